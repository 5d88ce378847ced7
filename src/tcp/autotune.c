/*
 * Buffer autotuning, as Linux does it.
 *
 * Send side (tcp_sndbuf_expand): the send buffer holds twice the data of
 * the larger of the initial and the current congestion window (fast
 * recovery needs a second window's worth queued, RFC 5681 3.2), growing
 * as the window grows, up to tcp_wmem[2]; unless SO_SNDBUF fixed it.
 *
 * Receive side: Linux's dynamic right-sizing
 * (tcp_moderate_rcvbuf, on by default; tcp_rcv_space_adjust and the
 * receiver's RTT estimate tcp_rcv_rtt_measure{,_ts}).
 *
 * The receiver estimates the round trip from its side: from the
 * timestamps the peer echoes (RFC 7323 4.1: the peer's TSecr is our clock
 * when it sent the data's trigger), else from how long one advertised
 * window takes to arrive. Once per estimated RTT, after a read, it counts
 * what the application took in that RTT; when that beats the last
 * measure, the buffer grows to twice it plus 16 segments, plus twice the
 * growth ratio of that (a sender in slow start doubles per RTT), up to
 * tcp_rmem[2]. The window clamp follows the buffer and rcv_ssthresh
 * grows towards it as data arrives (window.c), so a fast reader over a
 * long path opens the window the path needs, and a slow one keeps the
 * memory small. SO_RCVBUF turns it off, as in Linux.
 */
#include "tcp/tcp.h"

/* Linux sizes sk_sndbuf in skb memory, about twice the data for an MSS
 * frame; synack's buffer holds data only, so twice the window in data
 * keeps the same number of windows queued. */
void tcp_sndbuf_expand(struct tcp_sock *tp)
{
	if (tp->sk.sndbuf_locked)
		return;
	uint32_t segs = tp->cwnd > TCP_INIT_CWND ? tp->cwnd : TCP_INIT_CWND;
	uint64_t want = 2ull * 2u * segs * tp->mss;
	uint64_t max = (uint64_t)tp->sk.st->cfg.tcp_wmem[2];
	if (want > max)
		want = max;
	if (want > tp->sndbuf) {
		tp->sndbuf = (uint32_t)want;
		tp->sk.sndbuf = (int)want;
	}
}

/* Linux tcp_new_space / tcp_should_expand_sndbuf: an ACK freed room and
 * the congestion window is not all in flight, so a bigger buffer could
 * keep it fuller. */
void tcp_sndbuf_after_ack(struct tcp_sock *tp)
{
	if (tcp_packets_in_flight(tp) < tp->cwnd)
		tcp_sndbuf_expand(tp);
}

/* Bytes the application has read: RCV.NXT less the unread in-order bytes. */
static uint32_t copied_seq(const struct tcp_sock *tp)
{
	return tp->rcv_nxt - rcvq_len(&tp->rcvq);
}

void tcp_rcvbuf_init(struct tcp_sock *tp)
{
	uint32_t space = TCP_INIT_CWND * (uint32_t)tp->advmss;
	uint32_t wnd = tp->rcv_adv - tp->rcv_wup; /* Linux tp->rcv_wnd */
	tcp_init_rcv_window(tp);
	/* Linux tcp_init_buffer_space: min(rcv_ssthresh, rcv_wnd, 10 MSS). */
	if (wnd < space)
		space = wnd;
	if (tp->rcv_ssthresh < space)
		space = tp->rcv_ssthresh;
	tp->rcvq_space = space;
	tp->rcvq_seq = copied_seq(tp);
	tp->rcvq_time = tp->sk.st->now;
	tp->rcv_rtt_us8 = 0;
	tp->rcv_rtt_time = 0;
}

/* Linux tcp_rcv_rtt_update: the estimate (x8) follows a smaller sample at
 * once and a larger one by 1/8; win_dep samples (a whole window's
 * arrival) may only lower it. */
static void rcv_rtt_update(struct tcp_sock *tp, uint32_t sample_us, bool win_dep)
{
	uint32_t old = tp->rcv_rtt_us8;
	uint64_t m = (uint64_t)sample_us << 3;
	if (m > UINT32_MAX)
		m = UINT32_MAX;
	if (old == 0 || m < old)
		tp->rcv_rtt_us8 = (uint32_t)m;
	else if (!win_dep)
		tp->rcv_rtt_us8 = old - (old >> 3) + sample_us;
}

void tcp_rcv_rtt_on_data(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	if (tp->rx_opt.ts_ok && seg->opt.has_ts && seg->opt.tsecr) {
		/* One sample per echoed value, from a full-sized segment
		 * (a small one may have waited on the peer's Nagle). */
		if (seg->opt.tsecr == tp->rcv_rtt_last_tsecr)
			return;
		tp->rcv_rtt_last_tsecr = seg->opt.tsecr;
		if (seg->len < tp->rcv_mss)
			return;
		int32_t ms = (int32_t)(tcp_ts_now(st, tp->ts_offset) - seg->opt.tsecr);
		if (ms < 0)
			return;
		rcv_rtt_update(tp, ms ? (uint32_t)ms * 1000u : 1000u, false);
		return;
	}
	/* No timestamps: time one advertised window's worth of arrival. */
	if (tp->rcv_rtt_time && seq_lt(tp->rcv_nxt, tp->rcv_rtt_seq))
		return;
	if (tp->rcv_rtt_time) {
		synack_time_t d = st->now - tp->rcv_rtt_time;
		rcv_rtt_update(tp, d ? (d > UINT32_MAX ? UINT32_MAX : (uint32_t)d) : 1, true);
	}
	/* The window last advertised (Linux rcv_wnd). */
	tp->rcv_rtt_seq = tp->rcv_nxt + (tp->rcv_adv - tp->rcv_wup);
	tp->rcv_rtt_time = st->now ? st->now : 1;
}

/* Grow the buffer for `copied` bytes read per RTT (was `old`). */
static void rcvbuf_grow(struct tcp_sock *tp, uint32_t copied, uint32_t old)
{
	const struct synack_config *cfg = &tp->sk.st->cfg;
	uint64_t win = ((uint64_t)copied << 1) + 16u * tp->advmss;
	win += (win * (copied - old) / (old ? old : 1)) << 1;
	uint64_t cap = (uint64_t)cfg->tcp_rmem[2];
	/* The buffer for that window (Linux tcp_space_from_win at the 50%
	 * ratio), at most tcp_rmem[2]; the clamp follows it (Linux
	 * tcp_rcv_space_adjust), and rcv_ssthresh grows to it as data
	 * arrives (tcp_grow_window). */
	uint64_t space = win << 1;
	if (space > cap)
		space = cap;
	if (space > (uint64_t)tp->sk.rcvbuf) {
		tp->sk.rcvbuf = (int)space;
		tp->window_clamp = tcp_full_space(tp);
	}
}

void tcp_rcvbuf_after_read(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	if (!tp->rcv_rtt_us8 || st->now - tp->rcvq_time < (tp->rcv_rtt_us8 >> 3))
		return;
	uint32_t copied = copied_seq(tp) - tp->rcvq_seq;
	if (copied > tp->rcvq_space) {
		if (st->cfg.tcp_moderate_rcvbuf && !tp->sk.rcvbuf_locked)
			rcvbuf_grow(tp, copied, tp->rcvq_space);
		tp->rcvq_space = copied;
	}
	tp->rcvq_seq = copied_seq(tp);
	tp->rcvq_time = st->now;
}
