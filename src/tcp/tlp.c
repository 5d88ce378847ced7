/*
 * Tail loss probe (RFC 8985 7; Linux tcp_schedule_loss_probe,
 * tcp_send_loss_probe, tcp_process_tlp_ack). While the connection is
 * in the Open state with SACK, the retransmission timer slot first holds
 * a probe timeout (PTO) of about two round trips: when it fires, one
 * segment (new data if the windows allow, else the last one sent) asks
 * the peer for a SACK that lets fast recovery repair a lost tail,
 * instead of waiting for the RTO. At most one probe per tail.
 */
#include "tcp.h"

#define TLP_RTO_MIN_US 200000      /* Linux TCP_RTO_MIN (the constant) */
#define TLP_TIMEOUT_MIN_US 2000     /* Linux TCP_TIMEOUT_MIN: 2 jiffies */
#define TLP_TIMEOUT_INIT_US 1000000 /* Linux TCP_TIMEOUT_INIT: no RTT yet */

/* Linux tcp_schedule_loss_probe's preconditions: tcp_early_retrans 3 or
 * 4, SACK negotiated, data in flight, Open (or CWR) state: not in
 * recovery, not after an RTO (CA_Loss), nothing SACKed or dup-ACKed
 * (CA_Disorder), and no probe of this tail yet outstanding. */
static bool tlp_allowed(const struct tcp_sock *tp)
{
	int er = tp->sk.st->cfg.tcp_early_retrans;
	return (er == 3 || er == 4) && tcp_sb_on(tp) && tp->snd_max != tp->snd_una &&
	       tcp_synchronized(tp->state) && !tp->in_recovery && !tp->sb_loss &&
	       !tp->retransmits && !tp->dupacks && !tp->nsacked;
}

/* Packets in flight, in segments of the current MSS (Linux packets_out;
 * a FIN alone counts as one). */
static uint32_t packets_out(const struct tcp_sock *tp)
{
	uint32_t out = tp->snd_max - tp->snd_una;
	uint32_t mss = tp->mss ? tp->mss : 1;
	return (out + mss - 1) / mss;
}

bool tcp_tlp_schedule(struct tcp_sock *tp, synack_time_t rto, synack_time_t *delay)
{
	struct synack_stack *st = tp->sk.st;
	bool armed = timer_armed(&tp->rtx_timer);
	if (!tlp_allowed(tp) || tp->tlp_out) {
		/* No probe now (one per tail, or out of the Open state): a PTO
		 * pending becomes the RTO it stood in for, at that RTO's time
		 * (Linux tcp_rearm_rto's tcp_rto_delta_us). */
		if (tp->rtx_kind != RTX_PROBE || !armed)
			return false;
		tp->rtx_kind = RTX_RETRANS;
		*delay = tp->tlp_rto_at > st->now + 1000 ? tp->tlp_rto_at - st->now : 1000;
		return true;
	}
	if (tp->rtx_kind == RTX_PROBE && armed && tp->tlp_armed_max == tp->snd_max)
		return true; /* nothing new sent: the PTO stands */
	if (tp->rtx_kind == RTX_RETRANS && armed)
		tp->tlp_rto_at = tp->rtx_timer.expires * 1000; /* RTO pending */
	else if (tp->rtx_kind != RTX_PROBE || !armed)
		tp->tlp_rto_at = st->now + rto; /* a fresh (or advanced) RTO */
	/* RFC 8985 7.2: PTO = 2*SRTT, plus the peer's delayed-ACK allowance
	 * (TCP_RTO_MIN) when one segment alone is out, else 2 ms; 1 s with
	 * no RTT sample; never past the RTO. */
	synack_time_t pto;
	if (tp->srtt_us)
		pto = (synack_time_t)tp->srtt_us * 2 +
		      (packets_out(tp) == 1 ? TLP_RTO_MIN_US : TLP_TIMEOUT_MIN_US);
	else
		pto = TLP_TIMEOUT_INIT_US;
	if (tp->tlp_rto_at > st->now && tp->tlp_rto_at - st->now < pto)
		pto = tp->tlp_rto_at - st->now;
	if (tp->tlp_armed_max != tp->snd_max || tp->rtx_kind != RTX_PROBE)
		tp->tlp_tail_sent = st->now; /* the tail's last transmission */
	tp->tlp_armed_max = tp->snd_max;
	tp->rtx_kind = RTX_PROBE;
	*delay = pto;
	return true;
}

/* New data as the probe: one segment that the peer's window takes whole
 * (Linux tcp_snd_wnd_test); the congestion window does not hold it. */
static bool tlp_send_new(struct tcp_sock *tp)
{
	uint32_t unsent = tcp_unsent(tp);
	if (!unsent || tp->snd_nxt != tp->snd_max)
		return false;
	uint32_t mss = tcp_current_mss(tp);
	uint32_t n = unsent < mss ? unsent : mss;
	if (seq_lt(tp->snd_una + tp->snd_wnd, tp->snd_nxt + n))
		return false;
	return tcp_write_wakeup(tp) == TCP_WAKEUP_DATA;
}

/* The last segment sent again: the FIN, or the last MSS-sized piece of
 * the last buffer (Linux fragments the tail skb to send one MSS). */
static bool tlp_retransmit_last(struct tcp_sock *tp)
{
	if (tp->fin_sent && tp->snd_max == tp->fin_seq + 1)
		return tcp_retransmit_at(tp, tp->fin_seq) > 0;
	uint32_t last = tp->snd_max - 1, start = tp->snd_una;
	for (unsigned i = 0; i < tp->nskbm; i++) {
		if (seq_gt(tp->skbm[i].end, last))
			break;
		if (seq_gt(tp->skbm[i].end, start))
			start = tp->skbm[i].end;
	}
	uint32_t mss = tcp_current_mss(tp);
	uint32_t seq = start + (last - start) / mss * mss;
	return tcp_retransmit_upto(tp, seq, tp->snd_max) > 0;
}

synack_time_t tcp_tlp_fire(struct tcp_sock *tp, synack_time_t rto)
{
	struct synack_stack *st = tp->sk.st;
	bool sent = false;
	if (!tp->tlp_out && tlp_allowed(tp)) {
		if (tlp_send_new(tp)) {
			sent = true;
			tp->tlp_retrans = false;
		} else {
			sent = tlp_retransmit_last(tp);
			tp->tlp_retrans = sent;
			/* Linux tcp_retransmit_skb: the resent segment's first
			 * transmission starts TCP_USER_TIMEOUT's and retries2's
			 * clock (for a FIN alone, not the last data sent). */
			if (sent && !tp->retrans_stamp)
				tp->retrans_stamp = tp->tlp_tail_sent ? tp->tlp_tail_sent : st->now;
		}
	}
	tp->rtx_kind = RTX_RETRANS;
	if (sent) {
		tp->tlp_out = true;
		tp->tlp_high_seq = tp->snd_max;
		MIB_INC(st, TCP_LOSS_PROBES);
		return rto; /* Linux: the RTO restarts in full after a probe */
	}
	/* No probe: the RTO keeps its time (Linux tcp_rearm_rto's delta). */
	if (tp->tlp_rto_at > st->now + 1000)
		return tp->tlp_rto_at - st->now;
	return 1000;
}

void tcp_tlp_ack(struct tcp_sock *tp, uint32_t ack)
{
	/* Linux tcp_process_tlp_ack: an ACK at or past the probe's end ends
	 * the episode; one past a retransmitted probe shows it repaired a
	 * loss (both copies were not needed, so no D-SACK came). */
	if (!tp->tlp_out || seq_lt(ack, tp->tlp_high_seq))
		return;
	if (tp->tlp_retrans && seq_gt(ack, tp->tlp_high_seq))
		MIB_INC(tp->sk.st, TCP_LOSS_PROBE_RECOVERY);
	tp->tlp_out = false;
}
