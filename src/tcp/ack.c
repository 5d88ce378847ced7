/*
 * When to acknowledge, in Linux's shape (RFC 9293 3.8.6.3, RFC 1122
 * 4.2.3.2): quick ACKs at the start of a connection, an immediate ACK for
 * out-of-order or hole-filling data and for every second full segment,
 * otherwise the delayed-ACK timer: ato (from 40 ms, Linux TCP_ATO_MIN)
 * adapts to the arrival gaps and to the timer firing, bounded by srtt
 * and 200 ms; pingpong mode (a quick reply, or TCP_QUICKACK 0) leaves
 * the ACK to the reply.
 */
#include "tcp/tcp.h"

_Static_assert(TCP_MAX_QUICKACKS <= UINT8_MAX, "tp->quickack is uint8_t");

/* Linux tcp_incr_quickack: a credit of min(rcv_wnd / 2 MSS, max) quick
 * ACKs (2 if that is 0), never lowering one already granted. */
void tcp_incr_quickack(struct tcp_sock *tp, uint32_t max)
{
	uint32_t q = (tp->rcv_adv - tp->rcv_wup) / (2u * tp->rcv_mss); /* Linux tp->rcv_wnd */
	if (q == 0)
		q = 2;
	if (q > max)
		q = max;
	if (q > tp->quickack)
		tp->quickack = q;
}

void tcp_enter_quickack_mode(struct tcp_sock *tp)
{
	tcp_incr_quickack(tp, TCP_MAX_QUICKACKS);
}

/* Linux tcp_event_data_recv on jiffies at HZ=1000: the first data starts
 * ato at 40 ms with quick ACKs; later arrivals pull ato towards their
 * gap (a gap of 20 ms or less towards 40 ms), bounded by the RTO; a gap
 * over the RTO means the sender restarts, so ACK quickly again. */
static void ato_on_data(struct tcp_sock *tp)
{
	synack_time_t now = tp->sk.st->now;
	uint32_t m = (uint32_t)(now / 1000 - tp->lrcvtime / 1000) * 1000;
	uint32_t rto = tp->rto_us / 1000 * 1000;
	if (!tp->ato_started) {
		tp->ato_started = true;
		tcp_enter_quickack_mode(tp);
		tp->ato_us = TCP_DELACK_MIN_US;
	} else if (m <= TCP_DELACK_MIN_US / 2) {
		tp->ato_us = tp->ato_us / 2 / 1000 * 1000 + TCP_DELACK_MIN_US / 2;
	} else if (m < tp->ato_us) {
		tp->ato_us = tp->ato_us / 2 / 1000 * 1000 + m;
		if (tp->ato_us > rto)
			tp->ato_us = rto;
	} else if (m > rto) {
		tcp_enter_quickack_mode(tp);
	}
	tp->lrcvtime = now;
}

/* Linux tcp_send_delayed_ack: above 40 ms, ato is held to the smoothed
 * RTT (at least 40 ms) and to 500 ms (200 ms in pingpong mode); always
 * to TCP_DELACK_MAX. */
static uint32_t delack_timeout(const struct tcp_sock *tp)
{
	uint32_t ato = tp->ato_us;
	if (ato > TCP_DELACK_MIN_US) {
		uint32_t max = tp->pingpong ? TCP_DELACK_MAX_US : 500000;
		if (tp->srtt_us) {
			uint32_t rtt = tp->srtt_us / 1000 * 1000;
			if (rtt < TCP_DELACK_MIN_US)
				rtt = TCP_DELACK_MIN_US;
			if (rtt < max)
				max = rtt;
		}
		if (ato > max)
			ato = max;
	}
	return ato < TCP_DELACK_MAX_US ? ato : TCP_DELACK_MAX_US;
}

void tcp_ack_schedule(struct tcp_sock *tp, bool in_order, uint32_t len)
{
	if (!in_order) {
		tp->ack_now = true;
		return;
	}
	ato_on_data(tp);
	/* Linux tcp_event_data_recv: segments of 128 bytes or more let the
	 * window grow (window.c). */
	if (len >= 128)
		tcp_grow_window(tp, len);
	tp->ack_sched = true;
}

/*
 * Linux __tcp_ack_snd_check, once the segment (data, then FIN) is done:
 * ACK now in quick-ACK mode (not in pingpong mode, which a FIN in
 * ESTABLISHED enters: tcp_fin), or when over one rcv_mss is unacked and
 * the window the buffer allows has not fallen below the last offer (an
 * unread queue otherwise waits for the timer or the read); else arm the
 * delayed-ACK timer.
 */
void tcp_ack_snd_check(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	if (!tp->ack_sched)
		return;
	tp->ack_sched = false;
	if (tp->ack_now)
		return;
	/* tcp_dec_quickack_mode: the last quick ACK deflates ato. */
	if (tp->quickack && !tp->pingpong) {
		if (--tp->quickack == 0)
			tp->ato_us = TCP_DELACK_MIN_US;
		tp->ack_now = true;
		return;
	}
	if (tp->rcv_nxt - tp->rcv_wup > tp->rcv_mss) {
		uint32_t lowat = tp->sk.rcvlowat ? (uint32_t)tp->sk.rcvlowat : 1;
		if (rcvq_len(&tp->rcvq) < lowat || tcp_new_window(tp) >= tp->rcv_adv - tp->rcv_wup) {
			tp->ack_now = true;
			return;
		}
	}
	if (!timer_armed(&tp->delack_timer)) {
		/* On jiffies (HZ 1000): an ato of 0 (no data seen yet, e.g. a
		 * bare FIN) still waits for the next tick. */
		uint64_t at = (st->now + delack_timeout(tp) + 999) / 1000;
		if (at <= st->now / 1000)
			at = st->now / 1000 + 1;
		tp->delack_pending = true;
		timer_arm(&st->wheel, &tp->delack_timer, at);
	}
}

/* Linux tcp_measure_rcv_mss: a segment of at least rcv_mss sets the
 * estimate (up to our MSS; with PSH it marks the ACK pushed). A shorter one of 536 bytes or more, or one
 * of 88 or more without PSH, URG or FIN, is taken as the sender's size
 * once two in a row match; any other marks the ACK "pushed". */
void tcp_measure_rcv_mss(struct tcp_sock *tp, uint32_t len, uint8_t flags)
{
	if (len >= tp->rcv_mss) {
		tp->rcv_mss = (uint16_t)(len < tp->advmss ? len : tp->advmss);
		/* Linux 6.7+: a full-sized segment with PSH marks the
		 * ACK pushed too, so a reader draining it ACKs at once. */
		if (flags & TCP_PSH)
			tp->ack_pushed = true;
		return;
	}
	if (len >= TCP_DEFAULT_MSS || (len >= TCP_MIN_MSS && !(flags & (TCP_PSH | TCP_FIN | TCP_URG)))) {
		uint16_t lss = tp->last_seg_size;
		tp->last_seg_size = (uint16_t)len;
		if (len == lss) {
			tp->rcv_mss = (uint16_t)len;
			return;
		}
	}
	if (tp->ack_pushed)
		tp->ack_pushed2 = true;
	tp->ack_pushed = true;
}

/* Linux tcp_cleanup_rbuf's first test, after a read of copied bytes: an
 * owed (delayed) ACK goes now if over a segment is unacked, or if the
 * read drained the queue after a pushed segment (twice, or once outside
 * pingpong mode). */
bool tcp_ack_after_read(const struct tcp_sock *tp, uint32_t copied)
{
	if (!tp->delack_pending)
		return false;
	if (tp->rcv_nxt - tp->rcv_wup > tp->rcv_mss)
		return true;
	bool drained = rcvq_len(&tp->rcvq) == 0 && tp->rcvq.nooo == 0;
	return copied > 0 && drained && (tp->ack_pushed2 || (tp->ack_pushed && !tp->pingpong));
}

void tcp_event_data_sent(struct tcp_sock *tp)
{
	synack_time_t now = tp->sk.st->now;
	if (tp->ato_started && (now / 1000 - tp->lrcvtime / 1000) * 1000 < tp->ato_us)
		tp->pingpong = true;
}

/* Linux tcp_rcv_synsent_state_process: when a writer waits on the
 * connect (a blocking Fast Open send with bytes left, sk_write_pending),
 * or in pingpong mode, or with TCP_DEFER_ACCEPT, the SYN-ACK's ACK is
 * delayed (up to TCP_DELACK_MAX) to ride on the data; quick ACK mode
 * starts, ato at its minimum and the receive clock at the SYN-ACK. */
bool tcp_synack_ack_delayed(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	bool pending = tp->tfo_write_pending;
	tp->tfo_write_pending = false;
	if (!pending && !tp->pingpong && !tp->defer_accept)
		return false;
	tcp_enter_quickack_mode(tp);
	tp->pingpong = false;
	tp->ato_started = true;
	tp->ato_us = TCP_DELACK_MIN_US;
	tp->lrcvtime = st->now;
	tp->delack_pending = true;
	timer_arm(&st->wheel, &tp->delack_timer, (st->now + TCP_DELACK_MAX_US + 999) / 1000);
	return true;
}

void tcp_ack_sent(struct tcp_sock *tp)
{
	tp->ack_now = false;
	tp->ack_pushed = tp->ack_pushed2 = false;
	if (tp->delack_pending) {
		tp->delack_pending = false;
		timer_cancel(&tp->sk.st->wheel, &tp->delack_timer);
	}
}
