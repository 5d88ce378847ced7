/*
 * SYN option negotiation as Linux does it (tcp_syn_options,
 * tcp_synack_options, tcp_parse_options' consumers,
 * tcp_select_initial_window). Pure functions on plain values: a full
 * socket and a request entry use the same ones.
 */
#include "core/siphash.h"
#include "core/stack.h"
#include "tcp/options.h"
#include "tcp/tcp.h"

#define TS_OFFSET_DOMAIN 0x74736f66u  /* keeps these hashes apart from ISNs' */

void tcp_syn_opts_offer(struct tcp_syn_opts *n, const struct synack_config *cfg)
{
	*n = (struct tcp_syn_opts){
		.mss = TCP_DEFAULT_MSS,
		.wscale_ok = cfg->tcp_window_scaling != 0,
		.sack_ok = cfg->tcp_sack != 0,
		.ts_ok = cfg->tcp_timestamps != 0,
	};
}

void tcp_syn_opts_take(struct tcp_syn_opts *n, const struct synack_config *cfg,
		       const struct tcp_opts *in, const struct tcp_syn_opts *offered)
{
	struct tcp_syn_opts ours;
	if (!offered) {
		tcp_syn_opts_offer(&ours, cfg);
		offered = &ours;
	}
	n->mss = in->has_mss ? in->mss : TCP_DEFAULT_MSS;
	n->wscale_ok = in->has_wscale && offered->wscale_ok;
	n->snd_wscale = n->wscale_ok ? (in->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : in->wscale) : 0;
	n->sack_ok = in->sack_ok && offered->sack_ok;
	n->ts_ok = in->has_ts && offered->ts_ok;
	n->ts_recent = n->ts_ok ? in->tsval : 0;
}

void tcp_syn_opts_build(struct tcp_opts *o, const struct tcp_syn_opts *n, uint16_t mss,
			uint8_t rcv_wscale, uint32_t tsval)
{
	o->has_mss = true;
	o->mss = mss;
	o->sack_ok = n->sack_ok;
	o->has_ts = n->ts_ok;
	o->tsval = n->ts_ok ? tsval : 0;
	o->tsecr = n->ts_ok ? n->ts_recent : 0;
	o->has_wscale = n->wscale_ok;
	o->wscale = n->wscale_ok ? rcv_wscale : 0;
}

/* Linux tcp_win_from_space at its default scaling_ratio (128/256):
 * synack charges each queued byte twice, so the ratio stays there
 * (window.c). */
uint32_t tcp_win_from_space(uint32_t rcvbuf)
{
	return rcvbuf / 2;
}

static unsigned ilog2_u32(uint32_t v)
{
	unsigned r = 0;
	while (v >>= 1)
		r++;
	return r;
}

void tcp_select_initial_window(const struct synack_config *cfg, uint32_t space, uint32_t mss,
			       bool wscale_ok, uint32_t *clamp, uint32_t *rcv_wnd,
			       uint8_t *rcv_wscale)
{
	if (*clamp == 0)
		*clamp = 65535u << TCP_MAX_WSCALE;
	if (space > *clamp)
		space = *clamp;
	if (mss && space > mss)
		space -= space % mss;
	/* With window scaling not capped at 65535 (Linux 5.5+): the SYN's
	 * field shows at most that, the rest counts from the first ACK on.
	 * Without it, capped here: Linux leaves tp->rcv_wnd above 65535 too,
	 * but on a real device its scaling_ratio then rises above 50% and
	 * tcp_set_window_clamp lifts the clamp past it, so its offers catch
	 * up and the every-second-segment ACK fires (packetdrill
	 * ioctl-siocinq-fin); at our fixed 50% an uncapped first window would
	 * hold that ACK back for the first ~200 KB. */
	*rcv_wnd = wscale_ok || space < 65535 ? space : 65535;
	*rcv_wscale = 0;
	if (wscale_ok) {
		/* Room for the largest buffer autotuning may reach. */
		uint32_t big = space;
		if ((uint32_t)cfg->tcp_rmem[2] > big)
			big = (uint32_t)cfg->tcp_rmem[2];
		if ((uint32_t)cfg->rmem_max > big)
			big = (uint32_t)cfg->rmem_max;
		if (big > *clamp)
			big = *clamp;
		int s = (int)ilog2_u32(big) - 15;
		*rcv_wscale = (uint8_t)(s < 0 ? 0 : s > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : s);
	}
	uint64_t max = (uint64_t)65535 << *rcv_wscale;
	if (*clamp > max)
		*clamp = (uint32_t)max;
}

uint32_t tcp_ts_offset(const struct synack_stack *st, uint32_t laddr, uint32_t raddr)
{
	if (st->cfg.tcp_timestamps != 1)
		return 0;
	uint32_t key[3] = {laddr, raddr, TS_OFFSET_DOMAIN};
	return (uint32_t)siphash24(&st->isn_key, key, sizeof(key));
}

uint32_t tcp_ts_now(const struct synack_stack *st, uint32_t offset)
{
	return (uint32_t)stack_ms(st) + offset;
}

/* ---- full sockets ------------------------------------------------------ */

uint16_t tcp_adv_mss(const struct tcp_sock *tp)
{
	uint16_t mss = tp->advmss;
	if (tp->user_mss && tp->user_mss < mss)
		mss = tp->user_mss;
	return mss;
}

/* Our first window and shift. A SYN-ACK that will carry timestamps rounds
 * the window to MSS - 12 (Linux tcp_openreq_init_rwin); a SYN to the MSS.
 * With SO_RCVBUF set, the buffer also clamps the window (and the shift).
 * The offer grows from there up to rcv_ssthresh (window.c). */
static void init_rcv_window(struct tcp_sock *tp, bool answer)
{
	const struct synack_config *cfg = &tp->sk.st->cfg;
	uint32_t space = tcp_full_space(tp);
	uint32_t mss = tcp_adv_mss(tp) - (answer && tp->rx_opt.ts_ok ? TCP_TS_ALIGNED : 0);
	tp->window_clamp = tp->sk.rcvbuf_locked ? space : 0;
	tcp_select_initial_window(cfg, space, mss, tp->rx_opt.wscale_ok, &tp->window_clamp,
				  &tp->rcv_wnd_init, &tp->rcv_wscale);
	tp->rcv_ssthresh = tp->rcv_wnd_init;
}

void tcp_opts_connect_init(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	uint32_t ts_recent = tp->rx_opt.ts_recent; /* set by connect() (TIME-WAIT reuse) */
	tcp_syn_opts_offer(&tp->rx_opt, &st->cfg);
	tp->rx_opt.ts_recent = ts_recent;
	tp->ts_offset = tcp_ts_offset(st, tp->laddr, tp->raddr);
	init_rcv_window(tp, false);
}

void tcp_opts_take_syn(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	bool active = tp->state == SYNACK_SYN_SENT && (seg->flags & TCP_ACK);
	struct tcp_syn_opts offered = tp->rx_opt;
	if (tp->state != SYNACK_SYN_SENT)
		tp->ts_offset = tcp_ts_offset(st, tp->laddr, tp->raddr);
	tcp_syn_opts_take(&tp->rx_opt, &st->cfg, &seg->opt,
			  tp->state == SYNACK_SYN_SENT ? &offered : NULL);
	tp->snd_wscale = tp->rx_opt.snd_wscale;
	if (tp->rx_opt.ts_ok)
		tp->ts_recent_stamp = st->now;
	if (!active) {
		init_rcv_window(tp, true);
	} else if (!tp->rx_opt.wscale_ok) {
		/* RFC 7323 2.2: without the peer's option neither side scales. */
		tp->rcv_wscale = 0;
		if (tp->window_clamp > 65535)
			tp->window_clamp = 65535;
		if (tp->rcv_wnd_init > 65535) /* as tcp_select_initial_window */
			tp->rcv_wnd_init = 65535;
	}
	uint32_t mss = tp->rx_opt.mss;
	if (mss > tp->advmss)
		mss = tp->advmss;
	/* The path MTU may have dropped since (Linux tcp_sync_mss with
	 * icsk_pmtu_cookie, pmtu.c). */
	if (tp->pmtu_cookie && mss > tp->pmtu_cookie - 40u)
		mss = tp->pmtu_cookie - 40u;
	if (tp->user_mss && mss > tp->user_mss)
		mss = tp->user_mss;
	if (tp->rx_opt.ts_ok)
		mss -= TCP_TS_ALIGNED;
	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;
	tp->mss = (uint16_t)mss;
	/* Linux tcp_rcv_synsent_state_process: with timestamps the active
	 * side's advmss leaves room for them (tcpi_advmss 1448); the passive
	 * side keeps the full MSS. */
	if (active && tp->rx_opt.ts_ok)
		tp->advmss -= TCP_TS_ALIGNED;
	tp->rcv_mss = (uint16_t)(mss < TCP_DEFAULT_MSS ? mss : TCP_DEFAULT_MSS);
}
