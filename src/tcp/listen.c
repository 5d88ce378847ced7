/*
 * LISTEN (RFC 9293 3.10.7.2) and the listener's two queues as Linux runs
 * them (LINUX-SEMANTICS 3; tcp_conn_request, tcp_check_req,
 * cookie_v4_check): a SYN makes a request entry (reqsk.c) and a SYN-ACK,
 * or a SYN cookie (syncookie.c) and no memory; the final ACK turns the
 * request into a full socket at the accept queue's tail.
 */
#include <errno.h>
#include <stdlib.h>

#include "socket/socket.h"
#include "tcp/syncookie.h"
#include "tcp/tcp.h"

/* Linux sk_acceptq_is_full: more than backlog, so backlog + 1 fit. */
static bool accept_queue_full(const struct tcp_listen *l)
{
	return (int)l->accept_len > l->backlog;
}

/* Linux inet_csk_reqsk_queue_is_full (6.x): more requests than backlog. */
static bool syn_queue_full(const struct tcp_listen *l)
{
	return l->qlen > (unsigned)l->backlog;
}

/* The peer's MSS as a request keeps it: the option, else 536, never above
 * our TCP_MAXSEG (Linux mss_clamp). */
static uint16_t peer_mss(const struct tcp_sock *lsn, const struct tcp_seg *seg)
{
	uint16_t mss = seg->opt.has_mss && seg->opt.mss ? seg->opt.mss : TCP_DEFAULT_MSS;
	if (lsn->user_mss && lsn->user_mss < mss)
		mss = lsn->user_mss;
	return mss;
}

/* Our first window to a request (Linux tcp_openreq_init_rwin): the
 * listener's buffer space rounded down to our MSS (less the timestamps'
 * 12 bytes if they ride along), e.g. 64240, or 65160 with timestamps.
 * The child takes it whole as offered (options.c does the same sum);
 * the SYN-ACK's field shows at most 65535 of it. *ws: our shift. */
static uint32_t synack_window(struct tcp_sock *lsn, const struct tcp_syn_opts *o, uint8_t *ws)
{
	const struct synack_config *cfg = &lsn->sk.st->cfg;
	uint32_t space = tcp_full_space(lsn), wnd;
	uint32_t clamp = lsn->sk.rcvbuf_locked ? space : 0;
	uint8_t shift;
	tcp_select_initial_window(cfg, space, tcp_adv_mss(lsn) - (o->ts_ok ? TCP_TS_ALIGNED : 0),
				  o->wscale_ok, &clamp, &wnd, &shift);
	if (ws)
		*ws = shift;
	return wnd;
}

/* A window field: at most 65535 (a SYN-ACK's is never scaled). */
static uint16_t synack_field(uint32_t wnd)
{
	return (uint16_t)(wnd < 65535 ? wnd : 65535);
}

/* What a child is made from: a request, or a cookie ACK. */
struct child_init {
	uint32_t irs, iss;
	struct tcp_syn_opts opts;
	uint16_t snd_wnd;
	uint32_t rcv_wnd;
	uint64_t snt_synack;     /* when the SYN-ACK left, if timed (a request's) */
	bool timed;
	unsigned num_retrans;
	uint64_t id;             /* the request's connection id, 0 for a cookie */
	bool ecn_ok;             /* ECN agreed (RFC 3168) */
};

/*
 * The full socket for a finished handshake (Linux tcp_create_openreq_child),
 * in SYN-RECEIVED, hashed, its listener's but in no queue yet: the segment
 * that completes the handshake is then processed on it, which moves it to
 * ESTABLISHED and the accept queue (input_sync.c ack_syn_recv).
 */
static struct tcp_sock *make_child(struct tcp_sock *lsn, const struct tcp_seg *seg,
				   const struct child_init *ci)
{
	struct synack_stack *st = lsn->sk.st;
	struct tcp_sock *c = tcp_sock_new(st);
	if (!c)
		return NULL;
	tcp_inherit(c, lsn);
	c->laddr = seg->daddr;
	c->lport = seg->dport;
	c->raddr = seg->saddr;
	c->rport = seg->sport;
	c->parent = lsn;
	tcp_pmtu_init(c);
	/* The SYN again, as the request remembered it, so that the child
	 * takes its options where every socket takes them (input.c). */
	struct tcp_seg syn = {
		.saddr = seg->saddr, .daddr = seg->daddr, .sport = seg->sport, .dport = seg->dport,
		.seq = ci->irs, .flags = TCP_SYN, .wnd = ci->snd_wnd,
		.opt = {.has_mss = true, .mss = ci->opts.mss, .has_wscale = ci->opts.wscale_ok,
			.wscale = ci->opts.snd_wscale, .sack_ok = ci->opts.sack_ok,
			.has_ts = ci->opts.ts_ok, .tsval = ci->opts.ts_recent},
	};
	tcp_take_syn(c, &syn);
	c->ecn_flags = ci->ecn_ok ? TCP_ECN_OK : 0; /* Linux tcp_ecn_openreq_child */
	c->rcv_adv = c->rcv_nxt + ci->rcv_wnd;
	c->iss = ci->iss;
	c->snd_una = c->snd_sml = ci->iss;
	c->snd_nxt = c->snd_max = ci->iss + 1;
	c->pushed_seq = ci->iss + 1; /* Linux tcp_create_openreq_child */
	c->total_retrans = ci->num_retrans;
	/* Linux tcp_synack_rtt_meas: the SYN-ACK's round trip, unless it was
	 * sent again (Karn); without one the RTO falls back to 3 s. */
	if (ci->timed && !ci->num_retrans) {
		c->rtt_sampling = true;
		c->rtt_seq = ci->iss;
		c->rtt_sent = ci->snt_synack;
	}
	tcp_hash_add(st, c);
	/* A request's child carries on its connection id and its traced
	 * SYN-RECEIVED; a cookie's child is a new connection. */
	if (ci->id)
		c->id = ci->id;
	tcp_set_state(c, SYNACK_SYN_RECV, ci->id ? NULL : "cookie ACK: the connection is made");
	return c;
}

struct tcp_sock *tcp_req_child(struct tcp_req *req, const struct tcp_seg *syn)
{
	struct child_init ci = {.irs = req->irs, .iss = req->iss, .opts = req->opts,
				.snd_wnd = req->snd_wnd, .rcv_wnd = req->rcv_wnd, .id = req->id,
				.ecn_ok = req->ecn_ok};
	return make_child(req->lsn, syn, &ci);
}

/* Feed the completing segment to the new child (Linux tcp_child_process). */
static void child_process(struct tcp_sock *c, const struct tcp_seg *seg)
{
	c->segs_in++;
	tcp_in_synchronized(c, seg);
}

/* A cookie SYN-ACK: the options it may carry are those the cookie can
 * bring back (Linux clears wscale and SACK when the SYN had no TS). */
static void send_cookie_synack(struct tcp_sock *lsn, const struct tcp_seg *syn)
{
	struct synack_stack *st = lsn->sk.st;
	struct tcp_listen *l = lsn->lsn;
	struct syncookie_tuple tu = {syn->saddr, syn->daddr, syn->sport, syn->dport};
	unsigned idx = syncookie_mss_index(peer_mss(lsn, syn), NULL);
	struct tcp_syn_opts o;
	tcp_syn_opts_take(&o, &st->cfg, &syn->opt, NULL);
	if (!o.ts_ok)
		o.wscale_ok = o.sack_ok = false; /* nowhere to keep them */
	struct tcp_seg seg = {
		.saddr = syn->daddr, .daddr = syn->saddr, .sport = syn->dport, .dport = syn->sport,
		.seq = syncookie_make(st->cookie_key, &tu, syn->seq, syncookie_minute(st->now), idx),
		.ack = syn->seq + 1, .flags = TCP_SYN | TCP_ACK,
		.wnd = synack_field(synack_window(lsn, &o, NULL)),
		.tos = lsn->ip_tos & (uint8_t)~IP_ECN_MASK_,
	};
	/* Linux decides ECN before the cookie: the SYN-ACK says ECE, and
	 * the cookie keeps it only in the timestamp (cookie_init_timestamp). */
	bool ecn_ok = tcp_ecn_syn_ok(st, syn);
	if (ecn_ok)
		seg.flags |= TCP_ECE;
	tcp_syn_options_of(lsn, &seg.opt);
	seg.opt.has_ts = seg.opt.has_ts && o.ts_ok;
	seg.opt.has_wscale = seg.opt.has_wscale && o.wscale_ok;
	seg.opt.sack_ok = seg.opt.sack_ok && o.sack_ok;
	if (seg.opt.has_ts) {
		/* Linux cookie_init_timestamp: the options ride in the low bits
		 * of the clock, before the per-flow offset is added. */
		struct syncookie_opts co = {.wscale_ok = o.wscale_ok, .wscale = o.snd_wscale,
					    .sack_ok = o.sack_ok, .ecn_ok = ecn_ok};
		seg.opt.tsval = syncookie_ts_encode(tcp_ts_now(st, 0), &co) +
				tcp_ts_offset(st, syn->daddr, syn->saddr);
		seg.opt.tsecr = syn->opt.tsval;
	}
	/* Linux tcp_synq_overflow: cookie ACKs are checked for 2 min after. */
	if (!l->overflowed || st->now - l->last_overflow >= SYNACK_SEC(1)) {
		l->last_overflow = st->now;
		l->overflowed = true;
	}
	MIB_INC(st, SYNCOOKIES_SENT);
	tcp_emit_reply(st, &seg, false);
}

/*
 * Linux tcp_conn_request. The order of the checks is Linux's: SYN queue
 * full (or tcp_syncookies=2) decides cookie or drop; then a full accept
 * queue drops the SYN even for a cookie; then, with cookies off, the last
 * quarter of tcp_max_syn_backlog is kept for peers "proven" alive (we keep
 * no per-destination metrics, so no peer is proven).
 */
void tcp_conn_request(struct tcp_sock *lsn, const struct tcp_seg *seg, uint32_t isn)
{
	struct synack_stack *st = lsn->sk.st;
	struct tcp_listen *l = lsn->lsn;
	int cookies = st->cfg.tcp_syncookies;
	bool want_cookie = false;
	if ((cookies == 2 || syn_queue_full(l)) && !isn) {
		if (cookies) {
			MIB_INC(st, TCP_REQQ_FULL_DO_COOKIES);
			want_cookie = true;
		} else {
			MIB_INC(st, TCP_REQQ_FULL_DROP);
			DROP(st, LISTEN_DROPS, l->synflood_warned ? "listen: SYN queue full"
				: "listen: SYN queue full (possible SYN flooding; dropping requests)");
			l->synflood_warned = true;
			return;
		}
	}
	if (accept_queue_full(l)) {
		MIB_INC(st, LISTEN_OVERFLOWS);
		DROP(st, LISTEN_DROPS, "listen: accept queue full");
		return;
	}
	if (want_cookie) {
		send_cookie_synack(lsn, seg);
		return;
	}
	if (!isn) {
		int max = st->cfg.tcp_max_syn_backlog;
		if (!cookies && max - (int)l->qlen < (max >> 2)) {
			DROP(st, LISTEN_DROPS, "listen: last quarter of tcp_max_syn_backlog (cookies off)");
			return;
		}
		isn = tcp_isn(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	}
	struct tcp_req *req = tcp_req_new(lsn, seg->daddr, seg->dport, seg->saddr, seg->sport);
	if (!req) {
		DROP(st, LISTEN_DROPS, "listen: out of memory for a request");
		return;
	}
	/* Data on a SYN is taken only by Fast Open (fastopen.c); else only
	 * the SYN is acked. */
	req->irs = seg->seq;
	req->iss = isn;
	tcp_syn_opts_take(&req->opts, &st->cfg, &seg->opt, NULL);
	req->opts.mss = peer_mss(lsn, seg);
	req->snd_wnd = seg->wnd;
	req->rcv_wnd = synack_window(lsn, &req->opts, NULL);
	req->ecn_ok = tcp_ecn_syn_ok(st, seg); /* RFC 3168 6.1.1 */
	struct tcp_opts foc;
	if (tcp_fastopen_try(lsn, seg, req, &foc))
		return; /* a Fast Open child took the SYN and its data */
	tcp_req_send_synack_foc(req, &foc);
}

/*
 * Linux cookie_v4_check: a non-SYN segment with ACK to a listener that sent
 * cookies in the last two minutes may be a cookie's ACK. Returns true if it
 * was taken (a child made, or dropped for a full accept queue); false to
 * go on as LISTEN does (a RST for the ACK).
 */
static bool cookie_ack(struct tcp_sock *lsn, const struct tcp_seg *seg)
{
	struct synack_stack *st = lsn->sk.st;
	struct tcp_listen *l = lsn->lsn;
	if (!st->cfg.tcp_syncookies || !l->overflowed ||
	    st->now + SYNACK_SEC(1) < l->last_overflow ||
	    st->now - l->last_overflow > SYNCOOKIE_VALID_US)
		return false; /* tcp_synq_no_recent_overflow */
	struct syncookie_tuple tu = {seg->saddr, seg->daddr, seg->sport, seg->dport};
	int idx = syncookie_check(st->cookie_key, &tu, seg->ack - 1, seg->seq - 1,
				  syncookie_minute(st->now));
	if (idx < 0) {
		MIB_INC(st, SYNCOOKIES_FAILED);
		return false;
	}
	MIB_INC(st, SYNCOOKIES_RECV);
	struct child_init ci = {.irs = seg->seq - 1, .iss = seg->ack - 1, .snd_wnd = seg->wnd};
	ci.opts.mss = syncookie_mss((unsigned)idx);
	if (seg->opt.has_ts && seg->opt.tsecr) {
		struct syncookie_opts co;
		uint32_t tsecr = seg->opt.tsecr - tcp_ts_offset(st, seg->daddr, seg->saddr);
		if (!syncookie_ts_decode(tsecr, st->cfg.tcp_timestamps, st->cfg.tcp_sack,
					 st->cfg.tcp_window_scaling, &co))
			return false;
		ci.opts.ts_ok = true;
		ci.opts.ts_recent = seg->opt.tsval;
		ci.opts.sack_ok = co.sack_ok;
		ci.opts.wscale_ok = co.wscale_ok;
		ci.opts.snd_wscale = co.wscale;
		ci.ecn_ok = co.ecn_ok && st->cfg.tcp_ecn; /* Linux cookie_ecn_ok */
	}
	ci.rcv_wnd = synack_window(lsn, &ci.opts, NULL);
	if (accept_queue_full(l)) {
		MIB_INC(st, LISTEN_OVERFLOWS);
		DROP(st, LISTEN_DROPS, "listen: accept queue full (cookie ACK)");
		return true;
	}
	struct tcp_sock *c = make_child(lsn, seg, &ci);
	if (!c) {
		DROP(st, LISTEN_DROPS, "listen: out of memory for a cookie's child");
		return true;
	}
	child_process(c, seg);
	return true;
}

/*
 * RFC 9293 3.10.7.2 (LISTEN): a RST is ignored, an ACK gets
 * <SEQ=SEG.ACK><CTL=RST> (unless it is a SYN cookie's ACK), a SYN goes to
 * tcp_conn_request; anything else is dropped.
 */
void tcp_in_listen(struct tcp_sock *lsn, const struct tcp_seg *seg)
{
	struct synack_stack *st = lsn->sk.st;
	if (seg->flags & TCP_RST) {
		DROP(st, LISTEN_DROPS, "listen: RST ignored");
		return;
	}
	if (seg->flags & TCP_ACK) {
		if (!(seg->flags & TCP_SYN) && cookie_ack(lsn, seg))
			return;
		tcp_send_rst_reply(st, seg);
		DROP(st, LISTEN_DROPS, "listen: ACK without a connection (RST sent)");
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		DROP(st, LISTEN_DROPS, "listen: neither SYN, ACK nor RST");
		return;
	}
	/* Linux tcp_rcv_state_process: a SYN with FIN is discarded. */
	if (seg->flags & TCP_FIN) {
		DROP(st, LISTEN_DROPS, "listen: SYN with FIN");
		return;
	}
	tcp_conn_request(lsn, seg, 0);
}

/* Linux tcp_in_window on a request: the segment starts at RCV.NXT, or
 * overlaps [RCV.NXT, RCV.NXT + window), or is empty at the right edge. */
static bool req_in_window(const struct tcp_req *req, const struct tcp_seg *seg)
{
	uint32_t s = req->irs + 1, e = s + req->rcv_wnd;
	uint32_t end = seg->seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	if (seg->seq == s)
		return true;
	if (seq_gt(end, s) && seq_lt(seg->seq, e))
		return true;
	return seg->seq == e && seg->seq == end;
}

/* Linux tcp_oow_rate_limited for requests: answers to a SYN again or to
 * an out-of-window segment without data, one per 500 ms. */
static bool req_oow_limited(struct tcp_req *req, const struct tcp_seg *seg)
{
	struct synack_stack *st = req->lsn->sk.st;
	if (seg->len && !(seg->flags & TCP_SYN))
		return false;
	if (req->last_oow_ack && st->now - req->last_oow_ack < TCP_INVALID_RATELIMIT_US) {
		MIB_INC(st, TCP_ACK_SKIPPED_SYN_RECV);
		return true;
	}
	req->last_oow_ack = st->now ? st->now : 1;
	return false;
}

/* <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK> for a request (tcp_v4_reqsk_send_ack:
 * the first window, scaled by the shift our SYN-ACK offered). */
static void req_send_ack(struct tcp_req *req)
{
	uint8_t ws = 0;
	synack_window(req->lsn, &req->opts, &ws);
	uint32_t wnd = req->opts.wscale_ok ? req->rcv_wnd >> ws : req->rcv_wnd;
	struct tcp_seg seg = {
		.saddr = req->laddr, .daddr = req->raddr, .sport = req->lport, .dport = req->rport,
		.seq = req->iss + 1, .ack = req->irs + 1, .flags = TCP_ACK,
		.wnd = synack_field(wnd),
	};
	struct synack_stack *st = req->lsn->sk.st;
	if (req->opts.ts_ok) {
		seg.opt.has_ts = true;
		seg.opt.tsval = tcp_ts_now(st, tcp_ts_offset(st, req->laddr, req->raddr));
		seg.opt.tsecr = req->opts.ts_recent;
	}
	tcp_emit_reply(st, &seg, false);
}

/* Linux tcp_check_req's embryonic reset: a RST or a SYN inside the window
 * kills the request (a SYN is answered with a RST). */
static void req_embryonic_reset(struct tcp_req *req, const struct tcp_seg *seg)
{
	struct synack_stack *st = req->lsn->sk.st;
	if (!(seg->flags & TCP_RST))
		tcp_send_rst_reply(st, seg);
	MIB_INC(st, EMBRYONIC_RSTS);
	tcp_req_drop(req);
}

/* The final ACK found no room in the accept queue (Linux listen_overflow). */
static void req_overflow(struct tcp_req *req, const struct tcp_seg *seg)
{
	struct synack_stack *st = req->lsn->sk.st;
	MIB_INC(st, LISTEN_OVERFLOWS);
	DROP(st, LISTEN_DROPS, "request: accept queue full at the final ACK");
	if (!st->cfg.tcp_abort_on_overflow) {
		req->acked = true; /* the SYN-ACK timer goes on; a later ACK may fit */
		return;
	}
	req_embryonic_reset(req, seg);
}

/*
 * Linux tcp_check_req, RFC 9293 3.10.7.4 for SYN-RECEIVED as a request
 * sees it: a SYN again gets the SYN-ACK again; an ACK of anything but our
 * SYN goes to the listener (a RST); then the sequence check, RST and SYN
 * (embryonic reset), no ACK (drop), TCP_DEFER_ACCEPT, and a full accept
 * queue; else the request becomes a socket that takes the segment.
 */
void tcp_req_input(struct tcp_req *req, const struct tcp_seg *seg)
{
	struct tcp_sock *lsn = req->lsn;
	struct synack_stack *st = lsn->sk.st;
	uint8_t flg = seg->flags & (TCP_RST | TCP_SYN | TCP_ACK);
	if (seg->seq == req->irs && flg == TCP_SYN) {
		/* Our SYN-ACK was lost: again, and the timer restarts. */
		if (!req_oow_limited(req, seg)) {
			tcp_req_send_synack(req, true);
			tcp_req_rearm(req);
		}
		return;
	}
	if ((flg & TCP_ACK) && seg->ack != req->iss + 1) {
		tcp_in_listen(lsn, seg);
		return;
	}
	if (!req_in_window(req, seg)) {
		if (!(flg & TCP_RST) && !req_oow_limited(req, seg))
			req_send_ack(req);
		DROP(st, TCP_OOW_DROP, "request: segment outside the window");
		return;
	}
	if (seg->seq == req->irs)
		flg &= (uint8_t)~TCP_SYN; /* the SYN itself lies before the window */
	if (flg & (TCP_RST | TCP_SYN)) {
		MIB_INC(st, TCP_ATTEMPT_FAILS);
		req_embryonic_reset(req, seg);
		return;
	}
	if (!(flg & TCP_ACK)) {
		DROP(st, TCP_IN_ERRS, "request: segment without ACK");
		return;
	}
	uint32_t end = seg->seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	if (req->num_timeout < lsn->defer_accept && end == req->irs + 1) {
		/* TCP_DEFER_ACCEPT: a bare ACK waits for data. */
		req->acked = true;
		DROP(st, TCP_DEFER_ACCEPT_DROP, "request: bare ACK under TCP_DEFER_ACCEPT");
		return;
	}
	if (accept_queue_full(lsn->lsn)) {
		req_overflow(req, seg);
		return;
	}
	struct child_init ci = {.irs = req->irs, .iss = req->iss, .opts = req->opts,
				.snd_wnd = req->snd_wnd, .rcv_wnd = req->rcv_wnd,
				.snt_synack = req->snt_synack, .timed = true,
				.num_retrans = req->num_retrans, .id = req->id,
				.ecn_ok = req->ecn_ok};
	struct tcp_sock *c = make_child(lsn, seg, &ci);
	if (!c) {
		req->acked = true;
		DROP(st, LISTEN_DROPS, "request: out of memory for the child");
		return;
	}
	req->id = 0; /* the child is the connection now */
	tcp_req_drop(req);
	child_process(c, seg);
}

void tcp_listen_destroy(struct tcp_sock *lsn)
{
	struct tcp_listen *l = lsn->lsn;
	tcp_req_drop_all(lsn);
	tcp_fastopen_listener_gone(lsn);
	while (l->acc_head) {
		struct tcp_sock *c = l->acc_head;
		tcp_child_unlink(c);
		if (tcp_synchronized(c->state) && c->state != SYNACK_CLOSE)
			tcp_send_rst_abort(c);
		tcp_done(c, ECONNABORTED, "listener closed");
	}
	free(l);
	lsn->lsn = NULL;
}

/* Linux secs_to_retrans with TCP_TIMEOUT_INIT 1 s and TCP_RTO_MAX 120 s:
 * the fewest SYN-ACK timeouts whose doubling periods add up to secs. */
uint8_t tcp_defer_secs_to_retrans(int secs)
{
	if (secs <= 0)
		return 0;
	int timeout = 1, period = 1;
	uint8_t res = 1;
	while (secs > period && res < 255) {
		res++;
		timeout <<= 1;
		if (timeout > 120)
			timeout = 120;
		period += timeout;
	}
	return res;
}

/* Linux retrans_to_secs: what getsockopt(TCP_DEFER_ACCEPT) reports. */
int tcp_defer_retrans_to_secs(uint8_t retrans)
{
	if (!retrans)
		return 0;
	int timeout = 1, period = 1;
	while (--retrans) {
		timeout <<= 1;
		if (timeout > 120)
			timeout = 120;
		period += timeout;
	}
	return period;
}
