/*
 * What the sender remembers of each transmission, and what Linux does
 * with it: an RTT sample on every ACK, and RACK loss detection (RFC 8985,
 * Linux tcp_recovery.c, tcp_recovery sysctl bit 1, on by default).
 *
 * Linux times every skb it sends (skb_mstamp). tcp_clean_rtx_queue takes
 * the RTT from the oldest never-retransmitted skb an ACK covers (the
 * smoothed RTT) and the newest one (min_rtt); without one it uses the
 * newly SACKed skbs, then the TSecr. A single timed segment per round
 * trip (RFC 6298's classic way) samples far less: after a burst acked in
 * pieces, Linux's SRTT grows with each piece's wait, and its pacing rate
 * and burst size (push.c) follow.
 *
 * RACK (RFC 8985 6): a segment is lost once a segment sent after it has
 * been delivered and more than RACK.rtt + reo_wnd has passed since it
 * was sent. reo_wnd is min_rtt/4 (at most SRTT), or 0 once DupThresh
 * segments are SACKed or in recovery (Linux tcp_rack_reo_wnd, no
 * reordering seen). A loss not yet due arms the reordering timer (Linux
 * ICSK_TIME_REO_TIMEOUT: the wait in whole jiffies plus TCP_TIMEOUT_MIN,
 * 2 ms at HZ 1000); when it fires, recovery starts with one segment
 * (tcp_rack_reo_timeout). Once in recovery the scoreboard (scoreboard.c)
 * takes over: every hole below the highest SACK is lost.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

#define RACK_TIMEOUT_MIN_US 2000 /* Linux TCP_TIMEOUT_MIN, 2 jiffies */

static uint32_t rec_start(const struct tcp_sock *tp, unsigned i)
{
	return i ? tp->txl[i - 1].end : tp->snd_una;
}

/*
 * Room for one more record. The log grows by doubling from 8 entries up
 * to TCP_TXL_MAX, so a connection with a few segments (or only its FIN)
 * in flight holds 128 bytes, not the whole table: the block always holds
 * at least the power of two at or above ntxl (8 at least), and is
 * resized when ntxl reaches it.
 */
static bool txl_room(struct tcp_sock *tp)
{
	unsigned n = tp->ntxl;
	if (tp->txl && (n < 8 || (n & (n - 1)) != 0))
		return true;
	if (n >= TCP_TXL_MAX)
		return true; /* full: the caller merges or keeps records whole */
	unsigned cap = n < 8 ? 8 : 2 * n;
	struct tcp_txrec *t = realloc(tp->txl, cap * sizeof(*t));
	if (!t)
		return false;
	tp->txl = t;
	return true;
}

/* Split the record holding seq so that a record ends at seq. */
static void split_at(struct tcp_sock *tp, uint32_t seq)
{
	for (unsigned i = 0; i < tp->ntxl; i++) {
		uint32_t s = rec_start(tp, i);
		if (!seq_gt(seq, s))
			return;
		if (seq_lt(seq, tp->txl[i].end)) {
			if (tp->ntxl == TCP_TXL_MAX || !txl_room(tp))
				return; /* full: the record stays whole */
			memmove(tp->txl + i + 1, tp->txl + i, (tp->ntxl - i) * sizeof(tp->txl[0]));
			tp->ntxl++;
			tp->txl[i].end = seq;
			return;
		}
	}
}

static bool append(struct tcp_sock *tp, uint32_t end, bool retrans)
{
	if (!txl_room(tp))
		return false;
	if (tp->ntxl == TCP_TXL_MAX) {
		/* Merge the two oldest: the later time, any retransmission. */
		tp->txl[1].retrans |= tp->txl[0].retrans;
		tp->txl[1].sacked &= tp->txl[0].sacked;
		memmove(tp->txl, tp->txl + 1, (TCP_TXL_MAX - 1) * sizeof(tp->txl[0]));
		tp->ntxl--;
	}
	tp->txl[tp->ntxl++] = (struct tcp_txrec){
		.end = end, .sent = tp->sk.st->now, .retrans = retrans, .sacked = false,
	};
	return true;
}

void tcp_txl_sent(struct tcp_sock *tp, uint32_t seq, uint32_t end)
{
	if (!seq_gt(end, seq))
		return;
	uint32_t top = tp->ntxl ? tp->txl[tp->ntxl - 1].end : tp->snd_una;
	if (!seq_lt(seq, top)) {
		append(tp, end, false); /* new data, or the FIN */
		return;
	}
	/* A retransmission: the records it covers get its time. */
	split_at(tp, seq);
	split_at(tp, seq_min(end, top));
	for (unsigned i = 0; i < tp->ntxl; i++) {
		uint32_t s = rec_start(tp, i);
		if (!seq_lt(s, seq_min(end, top)))
			break;
		if (!seq_lt(s, seq)) {
			tp->txl[i].sent = tp->sk.st->now;
			tp->txl[i].retrans = true;
		}
	}
	if (seq_gt(end, top))
		append(tp, end, false);
}

uint32_t tcp_txl_resend_len(const struct tcp_sock *tp, uint32_t seq, uint32_t mss)
{
	for (unsigned i = 0; i < tp->ntxl; i++) {
		if (!seq_lt(seq, tp->txl[i].end))
			continue;
		uint32_t n = tp->txl[i].end - seq;
		if (n >= mss)
			return mss;
		for (unsigned j = i + 1; j < tp->ntxl && !tp->txl[j].sacked; j++) {
			uint32_t len = tp->txl[j].end - tp->txl[j - 1].end;
			if (n + len > mss)
				break;
			n += len;
		}
		return n;
	}
	return mss;
}

bool tcp_txl_first_over(const struct tcp_sock *tp, uint32_t mss, uint32_t *seq)
{
	for (unsigned i = 0; i < tp->ntxl; i++) {
		uint32_t s = rec_start(tp, i);
		if (!tp->txl[i].sacked && tp->txl[i].end - s > mss) {
			*seq = s;
			return true;
		}
	}
	return false;
}

/* Is [s, e) wholly inside a SACKed range of the scoreboard? */
static bool sb_covers(const struct tcp_sock *tp, uint32_t s, uint32_t e)
{
	for (unsigned i = 0; i < tp->nsacked; i++)
		if (!seq_lt(s, tp->sacked[i].start) && !seq_gt(e, tp->sacked[i].end))
			return true;
	return false;
}

/* RFC 8985 6.2 step 2 (Linux tcp_rack_advance): a delivered segment sent
 * after RACK's newest moves it. A retransmission delivered sooner than
 * min_rtt may be the original's delivery: ignored. */
static void rack_advance(struct tcp_sock *tp, const struct tcp_txrec *r)
{
	synack_time_t now = tp->sk.st->now;
	uint32_t rtt = (uint32_t)(now - r->sent);
	if (r->retrans && rtt < tp->min_rtt_us)
		return;
	if (tp->rack_xmit && (r->sent < tp->rack_xmit ||
			      (r->sent == tp->rack_xmit && !seq_gt(r->end, tp->rack_end))))
		return;
	tp->rack_xmit = r->sent;
	tp->rack_end = r->end;
	tp->rack_rtt_us = rtt;
	tp->rack_advanced = true;
}

/*
 * An acceptable ACK arrived (after its SACK blocks went to the
 * scoreboard, before SND.UNA moves): newly delivered segments advance
 * RACK, the RTT is sampled as Linux's tcp_clean_rtx_queue and
 * tcp_ack_update_rtt do, and records the ACK covers are dropped.
 */
void tcp_rack_on_ack(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	synack_time_t now = tp->sk.st->now;
	uint32_t ack = seg->ack;
	bool advanced = seq_gt(ack, tp->snd_una);
	synack_time_t first_ack = 0, last_ack = 0, first_sack = 0, last_sack = 0;
	bool retrans_acked = false;
	unsigned gone = 0;
	for (unsigned i = 0; i < tp->ntxl; i++) {
		struct tcp_txrec *r = &tp->txl[i];
		uint32_t s = rec_start(tp, i);
		if (advanced && !seq_gt(r->end, ack)) {
			gone = i + 1;
			if (r->sacked)
				continue; /* timed when it was SACKed */
			rack_advance(tp, r);
			if (r->retrans) {
				retrans_acked = true; /* Karn (RFC 6298 3) */
			} else {
				last_ack = r->sent;
				if (!first_ack)
					first_ack = r->sent;
			}
		} else if (!r->sacked && seq_geq(s, ack) && sb_covers(tp, s, r->end)) {
			r->sacked = true;
			rack_advance(tp, r);
			if (!r->retrans) {
				last_sack = r->sent;
				if (!first_sack)
					first_sack = r->sent;
			}
		}
	}
	if (gone) {
		memmove(tp->txl, tp->txl + gone, (tp->ntxl - gone) * sizeof(tp->txl[0]));
		tp->ntxl -= gone;
	}
	if (!tp->ntxl) {
		free(tp->txl); /* nothing in flight: an idle connection keeps no log */
		tp->txl = NULL;
	}
	/* Linux tcp_ack_update_rtt: cumulative sample, else SACK, else the
	 * echoed TSval (RFC 7323 4.1) on an ACK of new data. */
	if (first_ack && !retrans_acked) {
		tcp_rtt_sample2(tp, (uint32_t)(now - first_ack), (uint32_t)(now - last_ack));
	} else if (first_sack) {
		tcp_rtt_sample2(tp, (uint32_t)(now - first_sack), (uint32_t)(now - last_sack));
	} else if (advanced && seg->opt.has_ts) {
		tcp_rtt_sample_ts(tp, seg->opt.tsecr);
	}
}

bool tcp_rack_on(const struct tcp_sock *tp)
{
	return (tp->sk.st->cfg.tcp_recovery & 1) && tcp_sb_on(tp);
}

/* Linux tcp_rack_reo_wnd: until reordering has been seen, no window in
 * recovery or once tp->reordering segments are SACKed (DupThresh). */
static uint32_t reo_wnd(const struct tcp_sock *tp)
{
	uint32_t sacked, lost, retrans;
	tcp_sb_info(tp, &sacked, &lost, &retrans);
	if (!tp->reord_seen) {
		if (tp->in_recovery || tp->sb_loss)
			return 0;
		if (sacked >= tp->reordering && !(tp->sk.st->cfg.tcp_recovery & 4))
			return 0;
	}
	if (tp->min_rtt_us == UINT32_MAX)
		return 0;
	uint32_t w = tp->min_rtt_us / 4;
	return w < tp->srtt_us ? w : tp->srtt_us;
}

/* Was r sent before RACK's newest delivered segment (Linux
 * tcp_rack_sent_after, the other way round)? Ties go by sequence. */
static bool sent_before_rack(const struct tcp_sock *tp, const struct tcp_txrec *r)
{
	return r->sent < tp->rack_xmit || (r->sent == tp->rack_xmit && seq_lt(r->end, tp->rack_end));
}

/*
 * RFC 8985 6.2 step 5 (Linux tcp_rack_detect_loss) outside recovery:
 * true if an unSACKed segment sent before RACK's newest delivered one is
 * overdue; otherwise, if one will be, *wait is how long until then.
 */
static bool rack_detect(const struct tcp_sock *tp, synack_time_t *wait)
{
	synack_time_t now = tp->sk.st->now;
	uint32_t w = reo_wnd(tp);
	*wait = 0;
	for (unsigned i = 0; i < tp->ntxl; i++) {
		const struct tcp_txrec *r = &tp->txl[i];
		if (r->sacked || !seq_gt(r->end, tp->snd_una))
			continue;
		if (!sent_before_rack(tp, r))
			continue;
		int64_t remaining = (int64_t)tp->rack_rtt_us + w - (int64_t)(now - r->sent);
		if (remaining <= 0)
			return true;
		if ((synack_time_t)remaining > *wait)
			*wait = (synack_time_t)remaining;
	}
	return false;
}

enum tcp_rack_verdict tcp_rack_check(struct tcp_sock *tp)
{
	if (!tcp_rack_on(tp) || !tp->rack_advanced || !tp->nsacked)
		return RACK_NONE;
	tp->rack_advanced = false;
	synack_time_t wait;
	if (rack_detect(tp, &wait))
		return RACK_LOST;
	if (!wait)
		return RACK_NONE;
	/* Linux tcp_rack_mark_lost: whole jiffies (1 ms) plus TCP_TIMEOUT_MIN. */
	tp->rtx_kind = RTX_REO;
	tcp_rtx_arm(tp, (wait + 999) / 1000 * 1000 + RACK_TIMEOUT_MIN_US);
	return RACK_TIMER;
}

unsigned tcp_rack_loss_resend(struct tcp_sock *tp)
{
	if (!tcp_rack_on(tp) || !tp->rack_advanced || !tp->nsacked)
		return 0;
	tp->rack_advanced = false;
	struct synack_stack *st = tp->sk.st;
	unsigned sent = 0;
	/* Bounded: each pass resends at least one record or moves on, and
	 * a resend splits one record into at most two. */
	for (unsigned i = 0; i < tp->ntxl && i < TCP_TXL_MAX; i++) {
		struct tcp_txrec *r = &tp->txl[i];
		uint32_t s = rec_start(tp, i);
		if (r->sacked || !seq_lt(s, tp->snd_nxt) || !seq_gt(r->end, tp->snd_una))
			continue;
		/* reo_wnd is 0 in the loss state (tcp_rack_reo_wnd). */
		if (!sent_before_rack(tp, r) || (int64_t)tp->rack_rtt_us - (int64_t)(st->now - r->sent) > 0)
			continue;
		bool was_retrans = r->retrans;
		uint32_t end = seq_min(r->end, tp->snd_nxt);
		uint32_t n = tcp_retransmit_upto(tp, s, end);
		if (n == 0)
			break; /* refused by the device, or nothing to send */
		if (was_retrans)
			MIB_INC(st, TCP_LOST_RETRANSMIT);
		MIB_INC(st, TCP_SLOW_START_RETRANS);
		tp->total_retrans++;
		sent++;
	}
	return sent;
}

bool tcp_txl_ever_retrans(const struct tcp_sock *tp, uint32_t seq)
{
	for (unsigned i = 0; i < tp->ntxl; i++)
		if (seq_lt(seq, tp->txl[i].end))
			return !seq_lt(seq, rec_start(tp, i)) && tp->txl[i].retrans;
	return false;
}

uint32_t tcp_txl_retrans_out(const struct tcp_sock *tp)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < tp->ntxl; i++)
		if (tp->txl[i].retrans && !tp->txl[i].sacked)
			n++;
	return n;
}

bool tcp_rack_reo_timeout(struct tcp_sock *tp)
{
	synack_time_t wait;
	return tcp_rack_on(tp) && tp->nsacked && rack_detect(tp, &wait);
}
