/*
 * Classic ECN (RFC 3168) as Linux runs it (tcp_input.c, tcp_output.c,
 * tcp_ecn.h in its RFC 3168 mode):
 *
 * - negotiation: net.ipv4.tcp_ecn 1 puts ECE|CWR on our SYN; a SYN-ACK
 *   with ECE and without CWR agrees. A listener (tcp_ecn 1 or 2) agrees
 *   to a SYN with ECE|CWR that is not itself ECN-capable (RFC 3168
 *   6.1.1) by answering ECE. With tcp_ecn_fallback a resent SYN asks no
 *   more (RFC 3168 6.1.1.1), though an ECE SYN-ACK still agrees.
 * - sender: new data goes out ECT(0); pure ACKs, retransmissions and
 *   SYNs go Not-ECT (tcp_ecn_send). An ECE from the peer reduces the
 *   window once per window of data (tcp_enter_cwr: state CWR, ssthresh
 *   from the congestion control, PRR per ACK, cwnd = ssthresh once
 *   SND.UNA passes the SND.NXT of the reduction) and the next new data
 *   segment carries CWR; so do recovery and timeouts.
 * - receiver: data arriving CE makes every segment we send carry ECE
 *   until a segment with CWR arrives (tcp_ecn_check_ce,
 *   tcp_ecn_accept_cwr, which Linux takes on any acceptable ACK), with
 *   two quick ACKs when the echo starts; Not-ECT data after ECT has been
 *   seen (a retransmission, most likely) also earns them.
 */
#include "tcp/tcp.h"

bool tcp_ecn_syn_ok(const struct synack_stack *st, const struct tcp_seg *syn)
{
	/* Linux tcp_ecn_create_request: both flags, and the SYN Not-ECT. */
	if ((syn->flags & (TCP_ECE | TCP_CWR)) != (TCP_ECE | TCP_CWR))
		return false;
	return st->cfg.tcp_ecn != 0 && (syn->tos & IP_ECN_MASK_) == IP_ECN_NOT_ECT;
}

void tcp_ecn_send_syn(struct tcp_sock *tp, struct tcp_seg *seg, bool retrans)
{
	struct synack_stack *st = tp->sk.st;
	if (!retrans) /* Linux tcp_ecn_send_syn, at connect() */
		tp->ecn_flags = st->cfg.tcp_ecn == 1 ? TCP_ECN_OK : 0;
	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	/* tcp_ecn_clear_syn: the flags may be what lost the SYN. */
	if (retrans && st->cfg.tcp_ecn_fallback)
		return;
	seg->flags |= TCP_ECE | TCP_CWR;
}

void tcp_ecn_send_synack(const struct tcp_sock *tp, struct tcp_seg *seg)
{
	if (tp->ecn_flags & TCP_ECN_OK) /* tcp_ecn_make_synack, tcp_ecn_send_synack */
		seg->flags |= TCP_ECE;
}

void tcp_ecn_rcv_synack(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if ((tp->ecn_flags & TCP_ECN_OK) && (!(seg->flags & TCP_ECE) || (seg->flags & TCP_CWR)))
		tp->ecn_flags &= (uint8_t)~TCP_ECN_OK;
}

void tcp_ecn_rcv_syn(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if ((tp->ecn_flags & TCP_ECN_OK) &&
	    (seg->flags & (TCP_ECE | TCP_CWR)) != (TCP_ECE | TCP_CWR))
		tp->ecn_flags &= (uint8_t)~TCP_ECN_OK;
}

void tcp_ecn_xmit(struct tcp_sock *tp, struct tcp_seg *seg, bool retrans)
{
	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	if (seg->len && !retrans) {
		/* New data: ECT(0), and CWR on the first after a reduction. */
		seg->tos = (uint8_t)((seg->tos & ~IP_ECN_MASK_) | IP_ECN_ECT0);
		if (tp->ecn_flags & TCP_ECN_QUEUE_CWR) {
			tp->ecn_flags &= (uint8_t)~TCP_ECN_QUEUE_CWR;
			seg->flags |= TCP_CWR;
		}
	} else {
		seg->tos &= (uint8_t)~IP_ECN_MASK_;
	}
	if (tp->ecn_flags & TCP_ECN_DEMAND_CWR)
		seg->flags |= TCP_ECE;
}

/* Linux tcp_enter_quickack_mode(sk, 2): at most two quick ACKs (fewer
 * never), out of pingpong mode, ato back to its minimum. */
static void ecn_quickack(struct tcp_sock *tp)
{
	tcp_incr_quickack(tp, 2);
	tp->pingpong = false;
	tp->ato_us = TCP_DELACK_MIN_US;
}

void tcp_ecn_check_ce(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	switch (seg->tos & IP_ECN_MASK_) {
	case IP_ECN_NOT_ECT:
		/* Not-ECT after ECT: probably a retransmission. */
		if (tp->ecn_flags & TCP_ECN_SEEN)
			ecn_quickack(tp);
		break;
	case IP_ECN_CE:
		/* The sender's cwnd may be tiny: do not delay this echo. */
		if (!(tp->ecn_flags & TCP_ECN_DEMAND_CWR)) {
			ecn_quickack(tp);
			tp->ecn_flags |= TCP_ECN_DEMAND_CWR;
		}
		tp->ecn_flags |= TCP_ECN_SEEN;
		break;
	default:
		tp->ecn_flags |= TCP_ECN_SEEN;
		break;
	}
}

void tcp_ecn_ack_begin(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	tp->ecn_ece_ack = false;
	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	/* Linux tcp_ecn_rcv_ecn_echo: ECE on a SYN is negotiation. */
	tp->ecn_ece_ack = (seg->flags & TCP_ECE) && !(seg->flags & TCP_SYN);
	/* tcp_ecn_accept_cwr: the sender has reduced; stop echoing. A
	 * segment with data is acked at once (its cwnd may be small). */
	if (seg->flags & TCP_CWR) {
		tp->ecn_flags &= (uint8_t)~TCP_ECN_DEMAND_CWR;
		if (seg->len || (seg->flags & TCP_FIN))
			tp->ack_now = true;
	}
}

void tcp_ecn_queue_cwr(struct tcp_sock *tp)
{
	if (tp->ecn_flags & TCP_ECN_OK)
		tp->ecn_flags |= TCP_ECN_QUEUE_CWR;
}

bool tcp_ecn_cc_hold(struct tcp_sock *tp)
{
	/* tcp_fastretrans_alert: CWR ends once an ACK passes high_seq (so
	 * the CWR flag has reached the receiver); cwnd = ssthresh. */
	if (tp->ca_cwr && seq_gt(tp->snd_una, tp->cwr_high)) {
		tp->ca_cwr = false;
		tcp_cc_end_reduction(tp);
	}
	/* tcp_cong_control: no growth while reducing; an ECE ACK that starts
	 * a reduction does not grow it first. */
	return tp->ca_cwr || (tp->ecn_ece_ack && !tcp_ca_loss(tp));
}

bool tcp_ecn_cwr_to_recovery(struct tcp_sock *tp)
{
	if (!tp->ca_cwr)
		return false;
	tp->ca_cwr = false; /* Linux tcp_enter_recovery keeps the reduction */
	return true;
}

/* Linux tcp_enter_cwr + tcp_init_cwnd_reduction. */
static void enter_cwr(struct tcp_sock *tp)
{
	tp->cwr_high = tp->snd_max; /* Linux snd_nxt, never rewound */
	tp->cwnd_cnt = 0;
	tp->prior_cwnd = tp->cwnd;
	tp->prr_delivered = 0;
	tp->prr_out = 0;
	tp->ssthresh = tcp_cc_ssthresh(tp);
	tcp_ecn_queue_cwr(tp);
	tp->ca_cwr = true;
	tcp_cc_set_state(tp, CA_ST_CWR);
}

void tcp_ecn_ack_end(struct tcp_sock *tp, uint32_t delivered, bool advanced)
{
	bool ece = tp->ecn_ece_ack;
	tp->ecn_ece_ack = false;
	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS;
	if (ece) /* Linux tcp_count_delivered with an ECE ACK */
		tp->delivered_ce += (delivered + mss - 1) / mss;
	/* tcp_try_to_open: an ECE outside recovery and loss starts CWR. */
	if (ece && !tp->ca_cwr && !tp->in_recovery && !tcp_ca_loss(tp))
		enter_cwr(tp);
	if (tp->ca_cwr)
		tcp_cwnd_reduction(tp, delivered, advanced); /* PRR, scoreboard.c */
}
