/*
 * When to acknowledge, in Linux's shape (RFC 9293 3.8.6.3, RFC 1122
 * 4.2.3.2): quick ACKs at the start of a connection, an immediate ACK for
 * out-of-order or hole-filling data and for every second full segment,
 * otherwise the delayed-ACK timer (40 ms, Linux TCP_DELACK_MIN).
 */
#include "tcp/tcp.h"

/* Linux tcp_incr_quickack: a credit of min(rcv_wnd / 2 MSS, 16) quick
 * ACKs (2 if that is 0), never lowering one already granted. */
void tcp_enter_quickack_mode(struct tcp_sock *tp)
{
	uint32_t q = tp->rcvbuf / (2u * tp->rcv_mss);
	if (q == 0)
		q = 2;
	if (q > TCP_MAX_QUICKACKS)
		q = TCP_MAX_QUICKACKS;
	if (q > tp->quickack)
		tp->quickack = q;
}

void tcp_ack_schedule(struct tcp_sock *tp, bool in_order, uint32_t len)
{
	struct synack_stack *st = tp->sk.st;
	if (!in_order) {
		tp->ack_now = true;
		return;
	}
	if (tp->bytes_received == len)
		tcp_enter_quickack_mode(tp); /* first data */
	else if (st->now - tp->last_data_recv > tp->rto_us)
		tcp_enter_quickack_mode(tp); /* Linux: a gap over RTO, the sender restarts */
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
