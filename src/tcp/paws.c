/*
 * RFC 7323 5 (PAWS) and the ts_recent bookkeeping of RFC 7323 4.3, as
 * Linux runs them (tcp_paws_discard, tcp_replace_ts_recent).
 */
#include "tcp/tcp.h"

#define TCP_PAWS_WINDOW 1                               /* ticks of slack (Linux) */
#define TCP_PAWS_24DAYS ((synack_time_t)24 * 86400 * 1000000) /* RFC 7323 5.5 */

/* Linux tcp_paws_check: the TSval is not older than ts_recent (by more
 * than win ticks), or ts_recent is unset or too old to trust. */
static bool paws_ok(const struct tcp_sock *tp, uint32_t tsval, int win)
{
	if ((int32_t)(tp->rx_opt.ts_recent - tsval) <= win)
		return true;
	if (tp->sk.st->now >= tp->ts_recent_stamp + TCP_PAWS_24DAYS)
		return true;
	return tp->rx_opt.ts_recent == 0;
}

/* Linux tcp_disordered_ack: a pure duplicate ACK that only reordering
 * made old (it changes nothing, RFC 7323 5.3 note) is let through. */
static bool disordered_ack(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	uint32_t rto_ms = tp->rto_us / 1000;
	return (seg->flags & (TCP_ACK | TCP_SYN | TCP_FIN | TCP_RST)) == TCP_ACK &&
	       seg->len == 0 && seg->seq == tp->rcv_nxt && seg->ack == tp->snd_una &&
	       ((uint32_t)seg->wnd << tp->snd_wscale) == tp->snd_wnd &&
	       (int32_t)(tp->rx_opt.ts_recent - seg->opt.tsval) <= (int32_t)rto_ms;
}

enum tcp_paws tcp_paws_check(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	if (!tp->rx_opt.ts_ok || !seg->opt.has_ts || (seg->flags & TCP_RST))
		return PAWS_PASS; /* Linux: a RST is judged by its sequence number alone */
	if (paws_ok(tp, seg->opt.tsval, TCP_PAWS_WINDOW) || disordered_ack(tp, seg))
		return PAWS_PASS;
	if (seg->flags & TCP_SYN)
		return PAWS_PASS; /* check_syn answers it with a challenge ACK */
	DROP(st, PAWS_ESTAB, "PAWS: timestamp older than ts_recent");
	/* Linux tcp_send_dupack, rate-limited like other out-of-window
	 * answers when the segment carries nothing. */
	if (seg->len == 0 && !(seg->flags & TCP_FIN)) {
		if (tp->last_oow_ack && st->now - tp->last_oow_ack < TCP_INVALID_RATELIMIT_US) {
			MIB_INC(st, TCP_ACK_SKIPPED_PAWS);
			return PAWS_DROP;
		}
		tp->last_oow_ack = st->now;
	} else if (seq_lt(seg->seq, tp->rcv_nxt)) {
		MIB_INC(st, DELAYED_ACK_LOST);
		tcp_enter_quickack_mode(tp);
	}
	return PAWS_ACK_DROP;
}

void tcp_ts_recent_update(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (!tp->rx_opt.ts_ok || !seg->opt.has_ts || seq_gt(seg->seq, tp->rcv_wup))
		return;
	if (paws_ok(tp, seg->opt.tsval, 0)) {
		tp->rx_opt.ts_recent = seg->opt.tsval;
		tp->ts_recent_stamp = tp->sk.st->now;
	}
}
