/*
 * Loss recovery without SACK: fast retransmit on the third duplicate ACK,
 * limited transmit (RFC 3042) before it, and NewReno recovery (RFC 6582)
 * with its window inflation and partial-ACK deflation; and the window
 * after a retransmission timeout. How much the window is cut (ssthresh)
 * and how it grows outside recovery belong to the connection's congestion
 * control (cc.h: reno or cubic), as in Linux. Windows in segments.
 */
#include "tcp/tcp.h"

uint32_t tcp_packets_in_flight(const struct tcp_sock *tp)
{
	uint32_t bytes = tp->snd_max - tp->snd_una;
	return (bytes + tp->mss - 1) / tp->mss;
}

void tcp_cc_on_ack(struct tcp_sock *tp, uint32_t acked)
{
	tcp_cc_pkts_acked(tp, (acked + tp->mss - 1) / tp->mss); /* HyStart's RTT sample */
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
			tcp_cc_end_reduction(tp);
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
	if (tcp_ecn_cc_hold(tp))
		return; /* an ECN reduction (CWR) holds the window */
	/* Linux tcp_cong_avoid with acked_sacked: the algorithm grows the
	 * window (slow start, then reno's or cubic's increase). */
	tcp_cong_avoid(tp, tp->snd_una, delivered_segs ? delivered_segs : 1);
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
	/* Linux tcp_init_cwnd_reduction: the algorithm's ssthresh, unless
	 * an ECN reduction already took it. */
	if (!tcp_ecn_cwr_to_recovery(tp)) {
		tp->prior_cwnd = tp->cwnd;
		tp->ssthresh = tcp_cc_ssthresh(tp);
		tcp_ecn_queue_cwr(tp);
	}
	tp->cwnd_cnt = 0;
	tp->recover = tp->snd_max;
	tp->in_recovery = true;
	MIB_INC(st, TCP_RENO_RECOVERY);
	MIB_INC(st, TCP_FAST_RETRANS);
	tcp_retransmit_at(tp, tp->snd_una);
	tp->cwnd = tp->ssthresh + 3;
}

/*
 * Linux tcp_enter_loss: a new ssthresh from the algorithm unless this
 * timeout continues a loss episode or a recovery still under way (Linux
 * keeps the threshold of the first reduction then); the window drops to
 * one segment and the algorithm is told (CA_EVENT_LOSS, TCP_CA_Loss).
 */
void tcp_cc_on_rto(struct tcp_sock *tp)
{
	bool loss = tcp_ca_loss(tp);
	uint32_t high = tp->ca_cwr ? tp->cwr_high : tp->recover; /* Linux high_seq */
	if ((!tp->in_recovery && !tp->ca_cwr && !loss) || !seq_lt(tp->snd_una, high) ||
	    (loss && tp->retransmits == 0)) {
		tp->prior_cwnd = tp->cwnd;
		tp->ssthresh = tcp_cc_ssthresh(tp);
		tcp_cc_event(tp, CA_EVENT_LOSS);
	}
	tp->cwnd = 1;
	tp->cwnd_cnt = 0;
	tp->snd_cwnd_stamp = tp->sk.st->now;
	tp->dupacks = 0;
	tp->in_recovery = false;
	tp->recover = tp->snd_max;
	tcp_sb_on_rto(tp);
	tp->ca_cwr = false;
	tcp_ecn_queue_cwr(tp); /* Linux tcp_enter_loss */
	tcp_cc_set_state(tp, CA_ST_LOSS);
}
