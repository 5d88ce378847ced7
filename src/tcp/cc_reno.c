/*
 * "reno": RFC 5681's window growth as Linux's tcp_cong.c runs it.
 * Slow start adds a segment for every segment acked, up to ssthresh
 * (tcp_slow_start; counting delivered segments rather than ACKs is RFC
 * 3465's byte counting with no per-ACK limit); congestion avoidance adds
 * one per cwnd segments acked (tcp_cong_avoid_ai); a loss halves the
 * window, never below 2 (tcp_reno_ssthresh). Neither grows a window the
 * sender is not using (tcp_is_cwnd_limited).
 */
#include "tcp/tcp.h"

void tcp_reno_cong_avoid(struct tcp_sock *tp, uint32_t ack, uint32_t acked)
{
	(void)ack;
	if (!tcp_is_cwnd_limited(tp))
		return;
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	tcp_cong_avoid_ai(tp, tp->cwnd, acked);
}

uint32_t tcp_reno_ssthresh(struct tcp_sock *tp)
{
	uint32_t half = tp->cwnd >> 1;
	return half > 2 ? half : 2;
}

uint32_t tcp_reno_undo_cwnd(struct tcp_sock *tp)
{
	return tp->cwnd > tp->prior_cwnd ? tp->cwnd : tp->prior_cwnd;
}

const struct tcp_cc_ops tcp_reno_ops = {
	.name = "reno",
	.ssthresh = tcp_reno_ssthresh,
	.cong_avoid = tcp_reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
};
