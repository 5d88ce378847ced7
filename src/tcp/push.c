/*
 * Where PSH goes, and how data is grouped into bursts, as Linux does it.
 *
 * Linux keeps the send queue as buffers (skbs) of up to a size goal
 * (tcp_xmit_size_goal: half the peer's largest window, at most 64 KB, in
 * whole MSS). tcp_sendmsg appends to the last unsent buffer, clearing its
 * PSH; when a buffer fills in the middle of a write and the write has gone
 * more than half the largest window past the last push (forced_push), the
 * buffer gets PSH (tcp_mark_push) and is pushed; at the end of a write
 * without MSG_MORE, or a forced push, the last buffer gets PSH (tcp_push).
 * tcp_write_xmit then sends each buffer as TSO/GSO packets of at most
 * tcp_tso_segs segments (tcp_tso_autosize, from the pacing rate) and half
 * the cwnd (tcp_cwnd_test). The device cuts a packet into MSS segments
 * with its flags on the last one, so on the wire PSH ends a burst.
 *
 * What the upstream packetdrill scripts show of Linux 6.x (eor/, mss/,
 * nagle/https_client, notsent_lowat/, slow_start/slow-start-fq-*, all
 * passed by the kernel): every packet cut from a buffer that has PSH
 * carries PSH, not only the buffer's last, and the last packet of a send
 * that the congestion window cut short carries PSH too.
 *
 * We keep the buffers' ends and PSH marks (tp->skbm), not the buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

#define TCP_GSO_MAX_SIZE 65536u /* Linux GSO_LEGACY_MAX_SIZE */

static uint32_t write_seq(const struct tcp_sock *tp)
{
	return tcp_sndq_seq(tp) + tp->sndq.len;
}

/* Linux tcp_xmit_size_goal over tcp_bound_to_half_wnd. */
uint32_t tcp_size_goal(const struct tcp_sock *tp)
{
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS;
	uint32_t goal = TCP_GSO_MAX_SIZE;
	uint32_t cut = tp->max_window > TCP_DEFAULT_MSS ? tp->max_window / 2 : tp->max_window;
	if (cut && goal > cut)
		goal = cut;
	goal = goal / mss * mss;
	return goal < mss ? mss : goal;
}

void tcp_skbm_prune(struct tcp_sock *tp)
{
	unsigned k = 0;
	while (k < tp->nskbm && !seq_gt(tp->skbm[k].end, tp->snd_una))
		k++;
	if (k) {
		memmove(tp->skbm, tp->skbm + k, (tp->nskbm - k) * sizeof(tp->skbm[0]));
		tp->nskbm -= k;
	}
	if (!tp->nskbm) {
		/* All acked: an idle connection keeps no table. */
		free(tp->skbm);
		tp->skbm = NULL;
	}
}

static struct tcp_skb_mark *tail_at(struct tcp_sock *tp, uint32_t end)
{
	if (!tp->nskbm || tp->skbm[tp->nskbm - 1].end != end)
		return NULL;
	return &tp->skbm[tp->nskbm - 1];
}

/*
 * Room left in the last buffer, which ends at end: 0 if appended bytes
 * must start a new one. A buffer wholly sent has left the write queue, a
 * record's end takes no more (MSG_EOR), and a part already sent was split
 * off (tso_fragment), so only the unsent part counts against the goal.
 */
static uint32_t tail_room(struct tcp_sock *tp, uint32_t end, uint32_t goal)
{
	if (!tail_at(tp, end) || !seq_gt(end, tp->snd_nxt))
		return 0;
	for (unsigned i = 0; i < tp->neor; i++)
		if (tp->eor[i] == end)
			return 0;
	uint32_t start = tp->nskbm > 1 ? tp->skbm[tp->nskbm - 2].end : tp->snd_una;
	start = seq_max(start, tp->snd_nxt);
	uint32_t len = end - start;
	return len < goal ? goal - len : 0;
}

bool tcp_write_begin(struct tcp_sock *tp)
{
	tcp_skbm_prune(tp);
	if (!tail_room(tp, write_seq(tp), tcp_size_goal(tp)) || !tp->skbm[tp->nskbm - 1].psh)
		return false;
	tp->skbm[tp->nskbm - 1].psh = false; /* tcp_sendmsg_locked: !copied */
	return true;
}

void tcp_write_nothing(struct tcp_sock *tp, bool cleared)
{
	if (cleared && tail_at(tp, write_seq(tp)))
		tp->skbm[tp->nskbm - 1].psh = true;
}

void tcp_skb_grow(struct tcp_sock *tp, uint32_t end, uint32_t n)
{
	uint32_t goal = tcp_size_goal(tp);
	for (unsigned guard = 0; n && guard < 1u << 20; guard++) {
		uint32_t room = tail_room(tp, end, goal);
		if (!room) {
			if (!tp->skbm && !(tp->skbm = malloc(TCP_SKBM_MAX * sizeof(*tp->skbm))))
				return; /* no marks: PSH falls back to the queue's end */
			if (tp->nskbm == TCP_SKBM_MAX) {
				memmove(tp->skbm, tp->skbm + 1, (TCP_SKBM_MAX - 1) * sizeof(tp->skbm[0]));
				tp->nskbm--;
			}
			tp->skbm[tp->nskbm++] = (struct tcp_skb_mark){ .end = end, .psh = false };
			room = goal;
		}
		uint32_t c = n < room ? n : room;
		end += c;
		n -= c;
		tp->skbm[tp->nskbm - 1].end = end;
	}
}

uint32_t tcp_skb_last_start(const struct tcp_sock *tp)
{
	return tp->nskbm > 1 ? tp->skbm[tp->nskbm - 2].end : tp->snd_una;
}

bool tcp_skb_tail_open(struct tcp_sock *tp)
{
	return tail_room(tp, write_seq(tp), tcp_size_goal(tp)) != 0;
}

/* Linux forced_push: the write is more than half the largest window past
 * the last push. */
bool tcp_forced_push(const struct tcp_sock *tp)
{
	return seq_gt(write_seq(tp), tp->pushed_seq + tp->max_window / 2);
}

/* Linux tcp_mark_push on the last buffer. */
void tcp_mark_push(struct tcp_sock *tp)
{
	struct tcp_skb_mark *t = tail_at(tp, write_seq(tp));
	if (t)
		t->psh = true;
	tp->pushed_seq = write_seq(tp);
}

/* The buffer after the byte before seq: its mark, or NULL. */
static const struct tcp_skb_mark *skb_of(const struct tcp_sock *tp, uint32_t seq)
{
	for (unsigned i = 0; i < tp->nskbm; i++)
		if (seq_geq(tp->skbm[i].end, seq))
			return &tp->skbm[i];
	return NULL;
}

bool tcp_skb_ends_at(const struct tcp_sock *tp, uint32_t seq)
{
	const struct tcp_skb_mark *m = skb_of(tp, seq);
	return m && m->end == seq;
}

bool tcp_skb_psh(const struct tcp_sock *tp, uint32_t seq)
{
	const struct tcp_skb_mark *m = skb_of(tp, seq);
	return m && m->psh;
}

/*
 * Linux tcp_update_pacing_rate: cwnd (or what is in flight, if more) MSS
 * per smoothed RTT, times tcp_pacing_ss_ratio % in slow start (cwnd below
 * half ssthresh) and tcp_pacing_ca_ratio % after; bytes per second.
 * Unlimited (~0) before an RTT sample, as sk_pacing_rate starts.
 */
uint64_t tcp_pacing_rate(const struct tcp_sock *tp)
{
	const struct synack_config *cf = &tp->sk.st->cfg;
	if (!tp->srtt_us)
		return UINT64_MAX;
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS;
	uint64_t segs = tp->cwnd;
	uint32_t out = (tp->snd_nxt - tp->snd_una) / mss;
	if (out > segs)
		segs = out;
	unsigned ratio = tp->cwnd < tp->ssthresh / 2 ? (unsigned)cf->tcp_pacing_ss_ratio
						      : (unsigned)cf->tcp_pacing_ca_ratio;
	return (uint64_t)mss * segs * 1000000u / tp->srtt_us * ratio / 100;
}

/*
 * Linux tcp_tso_segs over tcp_tso_autosize: what the pacing rate sends in
 * about a millisecond (sk_pacing_shift 10), plus up to 64 KB more when the
 * minimum RTT is under tcp_tso_rtt_log's scale, bounded by the GSO size,
 * at least tcp_min_tso_segs.
 */
uint32_t tcp_tso_segs(const struct tcp_sock *tp)
{
	const struct synack_config *cf = &tp->sk.st->cfg;
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS;
	uint64_t bytes = tcp_pacing_rate(tp) >> 10;
	uint32_t r = tp->min_rtt_us == UINT32_MAX ? 32 : tp->min_rtt_us >> cf->tcp_tso_rtt_log;
	if (r < 32)
		bytes += TCP_GSO_MAX_SIZE >> r;
	if (bytes > TCP_GSO_MAX_SIZE)
		bytes = TCP_GSO_MAX_SIZE;
	uint32_t segs = (uint32_t)(bytes / mss);
	uint32_t min = cf->tcp_min_tso_segs > 0 ? (uint32_t)cf->tcp_min_tso_segs : 1;
	return segs < min ? min : segs;
}

/*
 * Append n bytes as tcp_sendmsg_locked does: buffer by buffer; when one
 * fills and more follows, a forced push marks it PSH and sends, else it
 * is sent if it is the first unsent one (tcp_push_one). Returns the bytes
 * taken (fewer when the send buffer is full).
 */
uint32_t tcp_append(struct tcp_sock *tp, const void *buf, uint32_t n)
{
	uint32_t goal = tcp_size_goal(tp), took = 0;
	for (unsigned guard = 0; took < n && guard < 1u << 20; guard++) {
		uint32_t end = write_seq(tp);
		uint32_t room = tail_room(tp, end, goal);
		if (!room)
			room = goal;
		uint32_t want = n - took < room ? n - took : room;
		uint32_t got = ring_append(&tp->sndq, tp->sndbuf, (const char *)buf + took, want);
		tcp_skb_grow(tp, end, got);
		took += got;
		if (got < want || took == n)
			break;
		if (tcp_forced_push(tp)) {
			tcp_mark_push(tp);
			tcp_output(tp);
		} else if (!seq_gt(end - (goal - room), tp->snd_nxt)) {
			tcp_output(tp);
		}
	}
	return took;
}
