/*
 * When to acknowledge, in Linux's shape (RFC 9293 3.8.6.3, RFC 1122
 * 4.2.3.2): quick ACKs at the start of a connection, an immediate ACK for
 * out-of-order or hole-filling data and for every second full segment,
 * otherwise the delayed-ACK timer (40 ms, Linux TCP_DELACK_MIN).
 */
#include "tcp/tcp.h"

void tcp_ack_schedule(struct tcp_sock *tp, bool in_order, uint32_t len)
{
	struct synack_stack *st = tp->sk.st;
	if (!in_order) {
		tp->ack_now = true;
		return;
	}
	if (tp->bytes_received == len) {
		/* First data: Linux's quick-ack credit, min(rcv_wnd / 2 MSS, 16). */
		uint32_t q = tp->rcvbuf / (2u * tp->rcv_mss);
		tp->quickack = q < TCP_MAX_QUICKACKS ? q : TCP_MAX_QUICKACKS;
	}
	if (tp->quickack) {
		tp->quickack--;
		tp->ack_now = true;
		return;
	}
	if (tp->rcv_nxt - tp->rcv_wup > tp->rcv_mss) {
		tp->ack_now = true;
		return;
	}
	if (!timer_armed(&tp->delack_timer)) {
		tp->delack_pending = true;
		timer_arm(&st->wheel, &tp->delack_timer,
			  (st->now + tp->ato_us + 999) / 1000);
	}
}

void tcp_ack_sent(struct tcp_sock *tp)
{
	tp->ack_now = false;
	if (tp->delack_pending) {
		tp->delack_pending = false;
		timer_cancel(&tp->sk.st->wheel, &tp->delack_timer);
	}
}
