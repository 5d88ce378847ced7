/*
 * The sender's SACK scoreboard and SACK-based loss recovery: RFC 6675's
 * conservative recovery with Proportional Rate Reduction (RFC 6937), in
 * Linux's shape (tcp_sacktag_write_queue, tcp_fastretrans_alert,
 * tcp_cwnd_reduction, tcp_xmit_retransmit_queue).
 *
 * The send queue is a byte ring from SND.UNA, so the scoreboard is a small
 * sorted list of SACKed ranges above SND.UNA rather than per-segment marks.
 * Recovery starts once DupThresh (3) segments are SACKed (RFC 6675 5,
 * Linux tcp_time_to_recover); which holes are lost follows Linux's RACK
 * (lost_point). Retransmitted bytes are those below HighRxt.
 */
#include <stdlib.h>

#include "tcp/tcp.h"


bool tcp_sb_on(const struct tcp_sock *tp)
{
	return tp->rx_opt.sack_ok && tp->sk.st->cfg.tcp_sack;
}

/* Bytes of [a, b) the scoreboard holds. */
static uint32_t sacked_in(const struct tcp_sock *tp, uint32_t a, uint32_t b)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < tp->nsacked; i++) {
		uint32_t s = seq_max(a, tp->sacked[i].start);
		uint32_t e = seq_min(b, tp->sacked[i].end);
		if (seq_lt(s, e))
			sum += e - s;
	}
	return sum;
}

/* Add [s, e), merging with touching ranges; returns the bytes new to the
 * scoreboard. Past TCP_SB_MAX ranges the highest is forgotten. */
static uint32_t sb_insert(struct tcp_sock *tp, uint32_t s, uint32_t e)
{
	uint32_t fresh = (e - s) - sacked_in(tp, s, e);
	struct tcp_sack_block out[TCP_SB_MAX + 1];
	unsigned n = 0;
	bool placed = false;
	for (unsigned i = 0; i < tp->nsacked; i++) {
		struct tcp_sack_block r = tp->sacked[i];
		if (seq_lt(r.end, s)) {
			out[n++] = r;
		} else if (seq_gt(r.start, e)) {
			if (!placed)
				out[n++] = (struct tcp_sack_block){s, e};
			placed = true;
			out[n++] = r;
		} else {
			s = seq_min(s, r.start); /* overlaps or touches: merge */
			e = seq_max(e, r.end);
		}
	}
	if (!placed)
		out[n++] = (struct tcp_sack_block){s, e};
	if (n > TCP_SB_MAX)
		n = TCP_SB_MAX;
	if (!tp->sacked && !(tp->sacked = malloc(TCP_SB_MAX * sizeof(*tp->sacked))))
		return 0; /* out of memory: as if the block had not come */
	for (unsigned i = 0; i < n; i++)
		tp->sacked[i] = out[i];
	tp->nsacked = (uint8_t)n;
	return fresh;
}

/* Forget what SND.UNA has passed. */
static void sb_prune(struct tcp_sock *tp)
{
	unsigned n = 0;
	for (unsigned i = 0; i < tp->nsacked; i++) {
		struct tcp_sack_block r = tp->sacked[i];
		if (!seq_gt(r.end, tp->snd_una))
			continue;
		r.start = seq_max(r.start, tp->snd_una);
		tp->sacked[n++] = r;
	}
	tp->nsacked = (uint8_t)n;
	if (!n) {
		free(tp->sacked); /* SND.UNA passed every SACKed range */
		tp->sacked = NULL;
	}
}

/* Linux tcp_dsack_seen, for TCP_INFO's dsack_dups: a D-SACK reports
 * one duplicate segment, or its length in MSS rounded up; an empty
 * block or one longer than the largest window is dubious and counts
 * nothing. */
static void tcp_dsack_seen(struct tcp_sock *tp, uint32_t start, uint32_t end)
{
	if (!seq_lt(start, end) || end - start > tp->max_window)
		return;
	uint32_t len = end - start;
	tp->dsack_dups += len > tp->mss ? (len + tp->mss - 1) / tp->mss : 1;
}

/*
 * RFC 2883 4 (Linux tcp_check_dsack): the first block is a D-SACK if it
 * lies below the cumulative ACK or inside the second block. Other blocks
 * must lie within (ACK, SND.MAX] (Linux tcp_is_sackblock_valid); the rest
 * are discarded and counted.
 */
/* The first byte of [s, e) not yet SACKed, or e. */
static uint32_t first_unsacked(const struct tcp_sock *tp, uint32_t s, uint32_t e)
{
	for (unsigned i = 0; i < tp->nsacked && seq_lt(s, e); i++)
		if (!seq_gt(tp->sacked[i].start, s) && seq_gt(tp->sacked[i].end, s))
			s = tp->sacked[i].end;
	return seq_lt(s, e) ? s : e;
}

/* The end of the highest SACKed range (Linux tcp_highest_sack_seq), or
 * SND.UNA with nothing SACKed. */
static uint32_t highest_sack(const struct tcp_sock *tp)
{
	return tp->nsacked ? tp->sacked[tp->nsacked - 1].end : tp->snd_una;
}

/* Linux tcp_check_sack_reordering: a never-retransmitted segment SACKed
 * below the highest SACK arrived out of order; the distance, in
 * segments, becomes the reordering assumed if it is larger (at most
 * tcp_max_reordering), and RACK keeps its window from then on. */
static void check_reordering(struct tcp_sock *tp, uint32_t low)
{
	uint32_t fack = highest_sack(tp);
	if (!seq_lt(low, fack) || !tp->mss)
		return;
	uint32_t metric = fack - low;
	if (metric > tp->reordering * tp->mss) {
		uint32_t r = (metric + tp->mss - 1) / tp->mss;
		uint32_t max = (uint32_t)tp->sk.st->cfg.tcp_max_reordering;
		tp->reordering = r < max ? r : max;
	}
	tp->reord_seen++;
	MIB_INC(tp->sk.st, TCP_SACK_REORDER);
}

uint32_t tcp_sb_update(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (!tcp_sb_on(tp))
		return 0;
	struct synack_stack *st = tp->sk.st;
	uint32_t ack = seg->ack;
	uint32_t delivered = 0;
	if (seq_gt(ack, tp->snd_una))
		delivered = (ack - tp->snd_una) - sacked_in(tp, tp->snd_una, ack);
	const struct tcp_opts *o = &seg->opt;
	uint32_t reord = tp->snd_max;
	for (unsigned i = 0; i < o->nsack && i < TCP_SACK_MAX; i++) {
		struct tcp_sack_block b = o->sack[i];
		bool dsack = false;
		if (i == 0) {
			dsack = seq_lt(b.start, ack);
			if (!dsack && o->nsack > 1)
				dsack = !seq_lt(b.start, o->sack[1].start) &&
					!seq_gt(b.end, o->sack[1].end);
		}
		if (dsack) {
			MIB_INC(st, TCP_DSACK_RECV); /* reports a duplicate, marks nothing */
			tcp_dsack_seen(tp, b.start, b.end);
			continue;
		}
		if (!seq_lt(b.start, b.end) || seq_lt(b.start, ack) || seq_gt(b.end, tp->snd_max)) {
			MIB_INC(st, TCP_SACK_DISCARD);
			continue;
		}
		/* Linux tcp_sacktag_one: the lowest newly SACKed start below
		 * the highest SACK, of a segment never retransmitted. */
		uint32_t fresh = first_unsacked(tp, b.start, b.end);
		if (seq_lt(fresh, b.end) && seq_lt(fresh, highest_sack(tp)) && seq_lt(fresh, reord) &&
		    !tcp_txl_ever_retrans(tp, fresh))
			reord = fresh;
		delivered += sb_insert(tp, b.start, b.end);
	}
	if (reord != tp->snd_max)
		check_reordering(tp, reord);
	return delivered;
}

/* SACKed segments (Linux sacked_out), a partial one counting whole. */
static uint32_t sacked_segs(const struct tcp_sock *tp)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < tp->nsacked; i++)
		n += (tp->sacked[i].end - tp->sacked[i].start + tp->mss - 1) / tp->mss;
	return n;
}

/*
 * Which unSACKed bytes are lost: those below *at. Linux's RACK with its
 * DupThresh rule (tcp_rack_reo_wnd: no reordering window once sacked_out
 * reaches tcp_reordering, 3, or in recovery) marks lost every segment
 * sent before the most recently delivered one; our original transmissions
 * go in sequence order, so that is every hole below the highest SACKed
 * range. Outside recovery, fewer than DupThresh segments SACKed: none
 * here; RACK's reordering window and timer (rack.c) decide.
 */
static bool lost_point(const struct tcp_sock *tp, uint32_t *at)
{
	if (tp->nsacked == 0)
		return false;
	if (!tp->sack_recovery && sacked_segs(tp) < tp->reordering)
		return false;
	*at = tp->sacked[tp->nsacked - 1].start;
	return true;
}

/* RFC 6675 SetPipe: unSACKed bytes, less the lost ones not yet resent
 * (lost and resent count once: the resent copy is in flight). */
static uint32_t sb_pipe(const struct tcp_sock *tp)
{
	uint32_t pipe = (tp->snd_max - tp->snd_una) - sacked_in(tp, tp->snd_una, tp->snd_max);
	uint32_t lost;
	if (!lost_point(tp, &lost))
		return pipe;
	uint32_t from = seq_max(tp->high_rxt, tp->snd_una);
	if (seq_lt(from, lost))
		pipe -= (lost - from) - sacked_in(tp, from, lost);
	return pipe;
}

uint32_t tcp_sb_in_flight(const struct tcp_sock *tp)
{
	if (tp->sack_recovery)
		return sb_pipe(tp);
	return (tp->snd_nxt - tp->snd_una) - sacked_in(tp, tp->snd_una, tp->snd_nxt);
}

void tcp_sb_skip(struct tcp_sock *tp)
{
	for (unsigned i = 0; i < tp->nsacked; i++)
		if (!seq_lt(tp->snd_nxt, tp->sacked[i].start) && seq_lt(tp->snd_nxt, tp->sacked[i].end))
			tp->snd_nxt = tp->sacked[i].end;
}

uint32_t tcp_sb_clip(const struct tcp_sock *tp, uint32_t seq, uint32_t n)
{
	for (unsigned i = 0; i < tp->nsacked; i++) {
		uint32_t s = tp->sacked[i].start;
		if (seq_gt(s, seq) && seq_lt(s, seq + n))
			return s - seq;
	}
	return n;
}

/* A timeout: every unSACKed byte counts as lost and is resent in order
 * (Linux tcp_timeout_mark_lost). If the peer ACKed up to SACKed data and
 * no further, it dropped what it SACKed (RFC 2018 8): forget the
 * scoreboard (Linux tcp_check_sack_reneging). */
void tcp_sb_on_rto(struct tcp_sock *tp)
{
	tp->sack_recovery = false;
	tp->sb_loss = true;
	if (tp->nsacked && !seq_gt(tp->sacked[0].start, tp->snd_una)) {
		MIB_INC(tp->sk.st, TCP_SACK_RENEGING);
		tp->nsacked = 0;
	}
}

static uint32_t segs_of(const struct tcp_sock *tp, uint32_t bytes)
{
	return (bytes + tp->mss - 1) / tp->mss;
}

/*
 * RFC 6937 (Linux tcp_cwnd_reduction): cwnd becomes pipe plus what may be
 * sent for this ACK. Above ssthresh, sending follows delivery in the ratio
 * ssthresh / RecoverFS (Linux's prior_cwnd); below it, slow start back up
 * to ssthresh, by at most what was delivered plus one (PRR-SSRB). The first
 * retransmission always goes. Pipe is tcp_sb_in_flight: RFC 6675's in SACK
 * recovery, the bytes out less those SACKed in ECN's CWR (ecn.c).
 */
void tcp_cwnd_reduction(struct tcp_sock *tp, uint32_t delivered, bool advanced)
{
	uint32_t dsegs = segs_of(tp, delivered);
	if (dsegs == 0 || tp->prior_cwnd == 0)
		return; /* Linux: nothing delivered (or no prior_cwnd), cwnd unchanged */
	tp->prr_delivered += dsegs;
	int64_t pipe = segs_of(tp, tcp_sb_in_flight(tp));
	int64_t delta = (int64_t)tp->ssthresh - pipe;
	int64_t sndcnt;
	if (delta < 0) {
		uint64_t div = (uint64_t)tp->ssthresh * tp->prr_delivered + tp->prior_cwnd - 1;
		sndcnt = (int64_t)(div / tp->prior_cwnd) - tp->prr_out;
	} else {
		int64_t d = (int64_t)tp->prr_delivered - tp->prr_out;
		sndcnt = d > dsegs ? d : dsegs;
		if (advanced)
			sndcnt++;
		sndcnt = sndcnt < delta ? sndcnt : delta;
	}
	if (sndcnt < (tp->prr_out ? 0 : 1))
		sndcnt = tp->prr_out ? 0 : 1;
	tp->cwnd = (uint32_t)(pipe + sndcnt);
}

/* RFC 6675 NextSeg rule 1 (Linux tcp_xmit_retransmit_queue): resend the
 * lost holes above HighRxt in order while pipe is below cwnd. New data
 * (rule 2) follows from tcp_output, which sees the same pipe. */
static void retransmit_holes(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	uint32_t lost;
	for (unsigned guard = 0; guard < 4096; guard++) {
		if (!lost_point(tp, &lost) || segs_of(tp, sb_pipe(tp)) >= tp->cwnd)
			return;
		uint32_t seq = seq_max(tp->high_rxt, tp->snd_una);
		for (unsigned i = 0; i < tp->nsacked; i++)
			if (!seq_lt(seq, tp->sacked[i].start) && seq_lt(seq, tp->sacked[i].end))
				seq = tp->sacked[i].end;
		if (!seq_lt(seq, lost))
			return;
		/* What went is HighRxt: the send MSS may be below tp->mss
		 * (our SACK blocks), leaving the rest of the hole for later. */
		uint32_t n = tcp_retransmit_at(tp, seq);
		if (n == 0)
			return;
		MIB_INC(st, TCP_FAST_RETRANS);
		tp->high_rxt = seq + n;
		tp->prr_out++;
	}
}

/* Linux tcp_enter_recovery + tcp_init_cwnd_reduction. ssthresh is the
 * congestion control's (cc.h: reno max(cwnd / 2, 2), cubic 0.7 cwnd);
 * RecoverFS is the cwnd before (Linux prior_cwnd). */
static void enter_recovery(struct tcp_sock *tp)
{
	MIB_INC(tp->sk.st, TCP_SACK_RECOVERY);
	if (!tcp_ecn_cwr_to_recovery(tp)) { /* from CWR: its reduction goes on */
		tp->prior_cwnd = tp->cwnd;
		tp->ssthresh = tcp_cc_ssthresh(tp);
		tp->prr_delivered = 0;
		tp->prr_out = 0;
		tcp_ecn_queue_cwr(tp);
	}
	tp->recover = tp->snd_max;
	tp->high_rxt = tp->snd_una;
	tp->in_recovery = true;
	tp->sack_recovery = true;
	tp->dupacks = 0;
	tp->cwnd_cnt = 0;
}

void tcp_sb_after_ack(struct tcp_sock *tp, uint32_t delivered, bool advanced)
{
	if (!tcp_sb_on(tp))
		return;
	sb_prune(tp);
	if (tp->sack_recovery) {
		if (!seq_lt(tp->snd_una, tp->recover)) {
			/* RFC 6675 5 / Linux tcp_end_cwnd_reduction: done. */
			tp->sack_recovery = false;
			tp->in_recovery = false;
			tcp_cc_end_reduction(tp);
			return;
		}
		tcp_cwnd_reduction(tp, delivered, advanced);
		retransmit_holes(tp);
		return;
	}
	/* After a timeout, no recovery until that window is acked (Linux
	 * holds CA_Loss to high_seq). */
	if (tp->sb_loss && !seq_lt(tp->snd_una, tp->recover))
		tp->sb_loss = false;
	if (tp->sb_loss) {
		/* Linux CA_Loss still runs RACK: a resent segment sent
		 * before one now SACKed and overdue goes again. */
		tcp_rack_loss_resend(tp);
		return;
	}
	uint32_t lost;
	if (tp->in_recovery || tp->sb_loss)
		return;
	/* RACK (rack.c) decides when fewer than DupThresh segments are
	 * SACKed: lost now, or after its reordering window. Limited
	 * transmit meanwhile comes from tcp_sb_in_flight. */
	if (!lost_point(tp, &lost) && tcp_rack_check(tp) != RACK_LOST)
		return;
	enter_recovery(tp);
	tcp_cwnd_reduction(tp, delivered, advanced);
	retransmit_holes(tp);
	if (tp->rtx_kind == RTX_REO) {
		/* The retransmission of the head re-arms the RTO in place of
		 * RACK's timer (Linux tcp_xmit_retransmit_queue). */
		tp->rtx_kind = RTX_NONE;
		tcp_rearm_rtx(tp);
	}
}

/* Linux tcp_rack_reo_timeout: recovery starts (PRR counting one segment
 * delivered) and the lost holes go out as the reduced cwnd allows. */
void tcp_sb_rack_timeout(struct tcp_sock *tp)
{
	if (!tp->in_recovery && !tp->sb_loss) {
		enter_recovery(tp);
		tcp_cwnd_reduction(tp, 1, false);
	}
	retransmit_holes(tp);
}

/* TCP_INFO's tcpi_sacked, tcpi_lost and tcpi_retrans (Linux sacked_out,
 * lost_out, retrans_out) in segments; 0 when recovery is not by SACK. */
void tcp_sb_info(const struct tcp_sock *tp, uint32_t *sacked, uint32_t *lost, uint32_t *retrans)
{
	*sacked = sacked_segs(tp);
	*lost = *retrans = 0;
	uint32_t at;
	if (!lost_point(tp, &at) || !seq_lt(tp->snd_una, at))
		return;
	*lost = segs_of(tp, (at - tp->snd_una) - sacked_in(tp, tp->snd_una, at));
	if (tp->sack_recovery && seq_lt(tp->snd_una, tp->high_rxt))
		*retrans = segs_of(tp, (tp->high_rxt - tp->snd_una) -
					   sacked_in(tp, tp->snd_una, tp->high_rxt));
}
