/*
 * The receiver's SACK blocks (RFC 2018) and D-SACK (RFC 2883) as Linux
 * sends them. The receive queue keeps the out-of-order ranges (buf.h,
 * offsets past RCV.NXT); here we keep which of them arrived most recently
 * (Linux's selective_acks) and a duplicate range owed to the sender
 * (Linux's duplicate_sack). Every ACK then carries the D-SACK block first
 * and the out-of-order blocks newest first, as many as the option space
 * holds: 4, or 3 next to timestamps (RFC 2018 3).
 */
#include <stdlib.h>

#include "tcp/tcp.h"

/* The blocks owed, allocated when the first is (an out-of-order arrival
 * or a duplicate) and freed once an ACK carried the last: in-order
 * connections never have one (tp->rsack). */
struct tcp_sack_rcv {
	struct tcp_sack_block recent[TCP_SACK_MAX]; /* nsack_recent of them */
	struct tcp_sack_block dsack_blk;            /* while tp->dsack */
};

static struct tcp_sack_rcv *rsack_get(struct tcp_sock *tp)
{
	if (!tp->rsack)
		tp->rsack = malloc(sizeof(*tp->rsack));
	return tp->rsack;
}

static bool sack_on(const struct tcp_sock *tp)
{
	return tp->rx_opt.sack_ok && tp->sk.st->cfg.tcp_sack;
}

/* The out-of-order range (as sequence numbers) that holds seq, if any. */
static bool ooo_range_of(const struct tcp_sock *tp, uint32_t seq, struct tcp_sack_block *b)
{
	const struct rcvq *q = &tp->rcvq;
	uint32_t off = seq - tp->rcv_nxt;
	if (!seq_gt(seq, tp->rcv_nxt) && seq != tp->rcv_nxt)
		return false;
	for (unsigned i = 0; i < q->nooo; i++) {
		if (q->ooo[i].start <= off && off < q->ooo[i].end) {
			b->start = tp->rcv_nxt + q->ooo[i].start;
			b->end = tp->rcv_nxt + q->ooo[i].end;
			return true;
		}
	}
	return false;
}

/*
 * Bring the recency list up to date with the queue: blocks that joined
 * in-order data go (Linux tcp_sack_remove), a block that grew takes its
 * range's new edges, and blocks that merged into one range become one
 * (Linux tcp_sack_maybe_coalesce), keeping the more recent position.
 */
static void sack_refresh(struct tcp_sock *tp)
{
	unsigned n = 0;
	for (unsigned i = 0; i < tp->nsack_recent; i++) {
		struct tcp_sack_block b, *recent = tp->rsack->recent;
		if (!ooo_range_of(tp, recent[i].start, &b))
			continue;
		bool dup = false;
		for (unsigned j = 0; j < n; j++)
			dup |= recent[j].start == b.start;
		if (!dup)
			recent[n++] = b;
	}
	tp->nsack_recent = (uint8_t)n;
}

/* Linux tcp_sack_new_ofo_skb: the block holding [seq, end) is now the
 * most recent; a fifth block pushes out the oldest. */
static void sack_note_ooo(struct tcp_sock *tp, uint32_t seq)
{
	struct tcp_sack_block b;
	if (!ooo_range_of(tp, seq, &b) || !rsack_get(tp))
		return; /* out of memory: the ACK reports fewer blocks */
	sack_refresh(tp);
	struct tcp_sack_block *recent = tp->rsack->recent;
	unsigned i = 0;
	while (i < tp->nsack_recent && recent[i].start != b.start)
		i++;
	if (i == tp->nsack_recent && i == TCP_SACK_MAX)
		i--; /* the oldest block falls off */
	else if (i == tp->nsack_recent)
		tp->nsack_recent++;
	for (; i > 0; i--)
		recent[i] = recent[i - 1];
	recent[0] = b;
}

/* Linux tcp_dsack_set / tcp_dsack_extend: report [seq, end) as received
 * twice. Counted as old (below RCV.NXT) or out-of-order. */
static void dsack_add(struct tcp_sock *tp, uint32_t seq, uint32_t end)
{
	if (!sack_on(tp) || !tp->sk.st->cfg.tcp_dsack || !seq_lt(seq, end))
		return;
	if (tp->dsack) {
		/* Extend the block owed (tcp_dsack_extend). */
		struct tcp_sack_block *d = &tp->rsack->dsack_blk;
		if (seq_lt(seq, d->start))
			d->start = seq;
		if (seq_gt(end, d->end))
			d->end = end;
		return;
	}
	if (!rsack_get(tp))
		return; /* out of memory: no D-SACK */
	if (seq_lt(seq, tp->rcv_nxt))
		MIB_INC(tp->sk.st, TCP_DSACK_OLD_SENT);
	else
		MIB_INC(tp->sk.st, TCP_DSACK_OFO_SENT);
	tp->dsack = true;
	tp->rsack->dsack_blk.start = seq;
	tp->rsack->dsack_blk.end = end;
}

void tcp_dsack_old(struct tcp_sock *tp, uint32_t seq, uint32_t end)
{
	if (seq_gt(end, tp->rcv_nxt))
		end = tp->rcv_nxt;
	dsack_add(tp, seq, end);
}

/*
 * Data at [seq, seq+len), at or past RCV.NXT, is about to be queued: the
 * part of it the out-of-order queue already holds is a duplicate (Linux
 * tcp_data_queue_ofo's "all the bits are present", and tcp_ofo_queue's
 * overlap when in-order data reaches held data). Returns true when every
 * byte was held already (TCPOFOMerge).
 */
bool tcp_sack_dup_check(struct tcp_sock *tp, uint32_t seq, uint32_t len)
{
	const struct rcvq *q = &tp->rcvq;
	uint32_t off = seq - tp->rcv_nxt, end = off + len;
	uint32_t lo = end, hi = off;
	for (unsigned i = 0; i < q->nooo; i++) {
		uint32_t s = q->ooo[i].start > off ? q->ooo[i].start : off;
		uint32_t e = q->ooo[i].end < end ? q->ooo[i].end : end;
		if (s < e) {
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
	}
	if (lo >= hi)
		return false;
	dsack_add(tp, tp->rcv_nxt + lo, tp->rcv_nxt + hi);
	return lo == off && hi == end && len > 0;
}

void tcp_sack_after_queue(struct tcp_sock *tp, uint32_t seq, bool in_order)
{
	if (!sack_on(tp))
		return;
	if (in_order)
		sack_refresh(tp);
	else
		sack_note_ooo(tp, seq);
}

unsigned tcp_sack_blocks_pending(const struct tcp_sock *tp)
{
	if (!sack_on(tp))
		return 0;
	unsigned n = tp->nsack_recent + (tp->dsack ? 1 : 0);
	unsigned max = tp->rx_opt.ts_ok ? 3 : 4;
	return n < max ? n : max;
}

/* The SACK option of the next segment: D-SACK first, then the newest
 * blocks; the D-SACK block is sent once (Linux clears it on output). */
void tcp_sack_put(struct tcp_sock *tp, struct tcp_opts *o)
{
	if (!sack_on(tp))
		return;
	unsigned max = o->has_ts ? 3 : 4, n = 0;
	if (tp->dsack) {
		o->sack[n++] = tp->rsack->dsack_blk;
		tp->dsack = false;
	}
	sack_refresh(tp);
	for (unsigned i = 0; i < tp->nsack_recent && n < max; i++)
		o->sack[n++] = tp->rsack->recent[i];
	o->nsack = (uint8_t)n;
	if (!tp->nsack_recent) {
		free(tp->rsack); /* nothing owed any more */
		tp->rsack = NULL;
	}
}
