/*
 * Congestion control: slow start and congestion avoidance (RFC 5681),
 * fast retransmit and NewReno recovery (RFC 6582). Windows in segments,
 * as Linux counts them; initial window 10 (RFC 6928).
 */
#include "tcp/tcp.h"

void tcp_cc_init(struct tcp_sock *tp)
{
	tp->cwnd = TCP_INIT_CWND;
	tp->ssthresh = 0x7fffffff;
	tp->cwnd_cnt = 0;
	tp->dupacks = 0;
	tp->in_recovery = false;
}

uint32_t tcp_packets_in_flight(const struct tcp_sock *tp)
{
	uint32_t bytes = tp->snd_max - tp->snd_una;
	return (bytes + tp->mss - 1) / tp->mss;
}

static uint32_t half_flight(const struct tcp_sock *tp)
{
	uint32_t f = tcp_packets_in_flight(tp) / 2;
	return f < 2 ? 2 : f; /* RFC 5681 (4) */
}

void tcp_cc_on_ack(struct tcp_sock *tp, uint32_t acked)
{
	/* Segments that brought duplicate ACKs were delivered then; the
	 * ACK that covers them delivers the rest, at least one (Linux
	 * tcp_remove_reno_sacks: cwnd grows by what was delivered). */
	uint32_t delivered_segs = (acked + tp->mss - 1) / tp->mss;
	if (!tp->in_recovery)
		delivered_segs = delivered_segs > tp->dupacks + 1 ? delivered_segs - tp->dupacks : 1;
	tp->dupacks = 0;
	if (tp->sack_recovery)
		return; /* PRR sets cwnd (scoreboard.c) */
	if (tp->in_recovery) {
		if (seq_geq(tp->snd_una, tp->recover)) {
			/* Full acknowledgment (RFC 6582 3.2 step 3). */
			tp->in_recovery = false;
			tp->cwnd = tp->ssthresh;
		} else {
			/* Partial ACK: resend the next hole, deflate (step 4).
			 * Linux counts each resend in recovery as TCPFastRetrans. */
			MIB_INC(tp->sk.st, TCP_FAST_RETRANS);
			tcp_retransmit_at(tp, tp->snd_una);
			uint32_t segs = acked / tp->mss;
			tp->cwnd = tp->cwnd > segs ? tp->cwnd - segs + 1 : 1;
		}
		return;
	}
	if (tp->cwnd < tp->ssthresh) {
		tp->cwnd += delivered_segs ? delivered_segs : 1; /* slow start, RFC 5681 3.1 */
		return;
	}
	/* Congestion avoidance: one segment per window of ACKed segments. */
	tp->cwnd_cnt += (acked + tp->mss - 1) / tp->mss;
	if (tp->cwnd_cnt >= tp->cwnd) {
		tp->cwnd_cnt -= tp->cwnd;
		tp->cwnd++;
	}
}

void tcp_cc_on_dupack(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	/* With SACK agreed Linux counts SACKed segments, not duplicate
	 * ACKs (tcp_add_reno_sack is for non-SACK flows): scoreboard.c. */
	if (tcp_sb_on(tp))
		return;
	if (tp->in_recovery) {
		tp->cwnd++; /* RFC 6582 3.2 step 3: inflate */
		tcp_output(tp);
		return;
	}
	if (++tp->dupacks < 3) {
		/* RFC 3042 limited transmit: each of the first two duplicate
		 * ACKs lets one new segment out beyond cwnd, which itself stays
		 * (Linux gets the same from counting dupacks as left the network). */
		uint32_t cwnd = tp->cwnd;
		tp->cwnd += tp->dupacks;
		tcp_output(tp);
		tp->cwnd = cwnd;
		return;
	}
	/* RFC 6582 3.2 step 2: do not start a new recovery for losses of the
	 * window already being recovered. */
	if (seq_lt(tp->snd_una, tp->recover) && tp->recover != 0)
		return;
	tp->ssthresh = half_flight(tp);
	tp->recover = tp->snd_max;
	tp->in_recovery = true;
	MIB_INC(st, TCP_RENO_RECOVERY);
	MIB_INC(st, TCP_FAST_RETRANS);
	tcp_retransmit_at(tp, tp->snd_una);
	tp->cwnd = tp->ssthresh + 3;
}

void tcp_cc_on_rto(struct tcp_sock *tp)
{
	tp->ssthresh = half_flight(tp);
	tp->cwnd = 1;
	tp->cwnd_cnt = 0;
	tp->dupacks = 0;
	tp->in_recovery = false;
	tp->recover = tp->snd_max;
	tcp_sb_on_rto(tp);
}
