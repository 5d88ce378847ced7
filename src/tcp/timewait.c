/*
 * TIME-WAIT and orphan FIN-WAIT-2 as Linux keeps them: a small timewait
 * entry instead of the full socket (Linux tcp_minisocks.c,
 * inet_timewait_sock.c; LINUX-SEMANTICS 5). The entry answers segments
 * for its 4-tuple as tcp_timewait_state_process does, hands a newer SYN
 * to the listener (RFC 6191), and ends when its timer fires.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

#define TW_MIN_SIZE 64
#define TW_KILLED_MAX_US 4000000u        /* Linux: scheduled for <= 4 s counts TWKilled */
#define PAWS_WINDOW 1                    /* Linux TCP_PAWS_WINDOW */
#define PAWS_24DAYS (60u * 60 * 24 * 24) /* s: ts_recent older than this is stale */
#define PAWS_MSL 60u                     /* s: a RST passes PAWS after this */

/* ---- The hash -------------------------------------------------------------- */

static struct tcp_tw **tw_chain(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				uint32_t raddr, uint16_t rport)
{
	uint32_t h = tcp_tuple_hash(st, laddr, lport, raddr, rport);
	return &st->tcp.tw[h & (st->tcp.tw_size - 1)];
}

/* Double the table when chains would average more than one entry. */
static bool tw_grow(struct synack_stack *st)
{
	struct tcp_table *t = &st->tcp;
	uint32_t old = t->tw_size, nsize = old ? old * 2 : TW_MIN_SIZE;
	struct tcp_tw **n = calloc(nsize, sizeof(*n));
	if (!n)
		return old != 0; /* longer chains, still correct */
	struct tcp_tw **o = t->tw;
	t->tw = n;
	t->tw_size = nsize;
	for (uint32_t i = 0; i < old; i++) {
		while (o[i]) {
			struct tcp_tw *tw = o[i];
			o[i] = tw->hnext;
			struct tcp_tw **c = tw_chain(st, tw->laddr, tw->lport, tw->raddr, tw->rport);
			tw->hnext = *c;
			*c = tw;
		}
	}
	free(o);
	return true;
}

static bool tw_hash_add(struct synack_stack *st, struct tcp_tw *tw)
{
	if (st->tcp.tw_count >= st->tcp.tw_size && !tw_grow(st))
		return false;
	struct tcp_tw **c = tw_chain(st, tw->laddr, tw->lport, tw->raddr, tw->rport);
	tw->hnext = *c;
	*c = tw;
	st->tcp.tw_count++;
	return true;
}

static void tw_hash_del(struct synack_stack *st, struct tcp_tw *tw)
{
	for (struct tcp_tw **pp = tw_chain(st, tw->laddr, tw->lport, tw->raddr, tw->rport); *pp;
	     pp = &(*pp)->hnext)
		if (*pp == tw) {
			*pp = tw->hnext;
			st->tcp.tw_count--;
			return;
		}
}

struct tcp_tw *tcp_tw_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport,
			     uint32_t raddr, uint16_t rport)
{
	if (!st->tcp.tw_count)
		return NULL;
	for (struct tcp_tw *tw = *tw_chain(st, laddr, lport, raddr, rport); tw; tw = tw->hnext)
		if (tw->lport == lport && tw->rport == rport && tw->laddr == laddr &&
		    tw->raddr == raddr)
			return tw;
	return NULL;
}

/* ---- Life and death -------------------------------------------------------- */

/* The entry is the connection now: its state changes are the connection's. */
static void tw_trace_state(struct tcp_tw *tw, int new_state, const char *why)
{
	tcp_trace_conn_state(tw->st, tw->id, -1, tw->laddr, tw->lport, tw->raddr, tw->rport,
			     tw->substate, new_state, why);
}

static void tw_arm(struct tcp_tw *tw, synack_time_t timeo)
{
	struct synack_stack *st = tw->st;
	timer_arm(&st->wheel, &tw->timer, (st->now + timeo + 999) / 1000);
}

void tcp_tw_kill(struct tcp_tw *tw)
{
	struct synack_stack *st = tw->st;
	timer_cancel(&st->wheel, &tw->timer);
	tw_hash_del(st, tw);
	tcp_bind_tw_del(st, tw);
	free(tw);
}

/* The end: close in silence (inet_twsk_kill). */
static void tw_fire(struct timer *t, uint64_t now_ms)
{
	(void)now_ms;
	struct tcp_tw *tw = container_of(t, struct tcp_tw, timer);
	tw_trace_state(tw, SYNACK_CLOSE, tw->substate == SYNACK_TIME_WAIT
						 ? "TIME-WAIT timeout (2 MSL)"
						 : "FIN-WAIT-2 timeout (tcp_fin_timeout)");
	tcp_tw_kill(tw);
}

static void tw_die(struct tcp_tw *tw, const char *why)
{
	tw_trace_state(tw, SYNACK_CLOSE, why);
	tcp_tw_kill(tw);
}

void tcp_tw_free_all(struct synack_stack *st)
{
	struct tcp_table *t = &st->tcp;
	for (uint32_t i = 0; i < t->tw_size; i++)
		while (t->tw[i])
			tcp_tw_kill(t->tw[i]);
	free(t->tw);
	t->tw = NULL;
	t->tw_size = 0;
}

/*
 * Linux tcp_time_wait. The entry keeps what answering segments needs
 * (sequence numbers, the window last offered, timestamps) and lasts
 * max(timeo, 3.5 RTO), exactly 60 s in TIME-WAIT (TCP_TIMEWAIT_LEN). The
 * full socket is done either way (CLOSED for an application that still
 * holds it, as Linux's tcp_done leaves it); without room
 * (tcp_max_tw_buckets) there is no entry: TCPTimeWaitOverflow.
 */
void tcp_time_wait(struct tcp_sock *tp, int substate, synack_time_t timeo)
{
	struct synack_stack *st = tp->sk.st;
	struct tcp_tw *tw = NULL;
	if (st->tcp.tw_count < (uint32_t)st->cfg.tcp_max_tw_buckets)
		tw = calloc(1, sizeof(*tw));
	if (tw) {
		tw->laddr = tp->laddr, tw->raddr = tp->raddr;
		tw->lport = tp->lport, tw->rport = tp->rport;
		if (!tw_hash_add(st, tw)) {
			free(tw);
			tw = NULL;
		}
	}
	if (!tw) {
		MIB_INC(st, TCP_TIME_WAIT_OVERFLOW);
		tcp_done(tp, 0, "no timewait entry: tcp_max_tw_buckets reached");
		return;
	}
	tw->st = st;
	tw->id = tp->id;
	tw->entry_stamp = st->now;
	tw->snd_nxt = tp->snd_nxt;
	tw->rcv_nxt = tp->rcv_nxt;
	tw->rcv_wnd = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	tw->rcv_wscale = tp->rcv_wscale;
	tw->substate = (uint8_t)substate;
	tw->reuseaddr = tp->sk.reuseaddr;
	tw->reuseport = tp->sk.reuseport;
	/* Timestamps (RFC 7323): PAWS goes on in the entry, and they make
	 * the 4-tuple reusable (tcp_tw_unique). */
	tw->ts_ok = tp->rx_opt.ts_ok;
	tw->ts_recent = tp->rx_opt.ts_recent;
	tw->ts_recent_stamp = (uint32_t)(tp->ts_recent_stamp / 1000000);
	tw->ts_offset = tp->ts_offset;
	timer_init(&tw->timer, tw_fire);
	synack_time_t rto = (synack_time_t)tp->rto_us * 4 - tp->rto_us / 2;
	if (timeo < rto)
		timeo = rto;
	if (substate == SYNACK_TIME_WAIT)
		timeo = TCP_TIMEWAIT_US;
	tcp_bind_tw_take(tw, tp);
	if (timeo <= TW_KILLED_MAX_US)
		MIB_INC(st, TW_KILLED);
	else
		MIB_INC(st, TCP_TIMEWAIT);
	tw_arm(tw, timeo);
	tcp_done(tp, 0, NULL); /* quiet: the connection lives on in tw */
}

/* After a segment (or close()): TIME-WAIT, or an orphan's FIN-WAIT-2 of
 * at most 60 s, goes on as an entry (the ACK owed has gone out first). */
bool tcp_tw_after_segment(struct tcp_sock *tp)
{
	if (tp->state == SYNACK_TIME_WAIT) {
		tcp_time_wait(tp, SYNACK_TIME_WAIT, TCP_TIMEWAIT_US);
		return true;
	}
	if (tp->state == SYNACK_FIN_WAIT2 && tp->orphan && tp->linger2 >= 0) {
		synack_time_t t = tcp_fin_time(tp);
		if (t <= TCP_TIMEWAIT_US) {
			tcp_time_wait(tp, SYNACK_FIN_WAIT2, t);
			return true;
		}
	}
	return false;
}

/* ---- Segments -------------------------------------------------------------- */

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with the window last offered
 * (Linux tcp_v4_timewait_ack). */
static void tw_send_ack(struct tcp_tw *tw)
{
	struct synack_stack *st = tw->st;
	struct tcp_seg seg;
	memset(&seg, 0, sizeof(seg));
	seg.saddr = tw->laddr;
	seg.daddr = tw->raddr;
	seg.sport = tw->lport;
	seg.dport = tw->rport;
	seg.seq = tw->snd_nxt;
	seg.ack = tw->rcv_nxt;
	seg.flags = TCP_ACK;
	uint32_t wnd = tw->rcv_wnd >> tw->rcv_wscale;
	seg.wnd = (uint16_t)(wnd > 65535 ? 65535 : wnd);
	if (tw->ts_ok) {
		seg.opt.has_ts = true;
		seg.opt.tsval = tcp_ts_now(st, tw->ts_offset);
		seg.opt.tsecr = tw->ts_recent;
	}
	tcp_emit_reply(st, &seg, false);
}

/* Linux tcp_oow_rate_limited: one ACK per tcp_invalid_ratelimit for
 * segments without data; data and FINs always get theirs. */
static bool tw_oow_limited(struct tcp_tw *tw, const struct tcp_seg *seg, enum mib_id mib)
{
	struct synack_stack *st = tw->st;
	if ((seg->len || (seg->flags & TCP_FIN)) && !(seg->flags & TCP_SYN))
		return false;
	if (tw->last_oow_ack && st->now - tw->last_oow_ack < TCP_INVALID_RATELIMIT_US) {
		st->mib.v[mib]++;
		return true;
	}
	tw->last_oow_ack = st->now;
	return false;
}

/* RFC 7323 5 (PAWS) as Linux tcp_paws_reject, against the entry's
 * ts_recent; dormant until the stack records timestamps. */
static bool tw_paws_reject(const struct tcp_tw *tw, const struct tcp_seg *seg)
{
	if (!tw->ts_ok || !seg->opt.has_ts)
		return false;
	uint32_t now_s = (uint32_t)(tw->st->now / 1000000);
	if ((int32_t)(tw->ts_recent - seg->opt.tsval) <= PAWS_WINDOW)
		return false;
	if (now_s >= tw->ts_recent_stamp + PAWS_24DAYS || !tw->ts_recent)
		return false;
	/* A RST is let through once ts_recent is older than a MSL. */
	return !((seg->flags & TCP_RST) && now_s >= tw->ts_recent_stamp + PAWS_MSL);
}

static bool in_window(uint32_t seq, uint32_t end, uint32_t s, uint32_t e)
{
	if (seq == s)
		return true;
	if (seq_gt(end, s) && seq_lt(seq, e))
		return true;
	return seq == e && seq == end;
}

/* The FIN_WAIT2 substate repeats the checks of a full socket
 * (tcp_timewait_state_process's first half). */
static void fw2_input(struct tcp_tw *tw, const struct tcp_seg *seg, bool paws)
{
	struct synack_stack *st = tw->st;
	uint32_t seq = seg->seq;
	uint32_t end = seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	if (paws || !in_window(seq, end, tw->rcv_nxt, tw->rcv_nxt + tw->rcv_wnd)) {
		DROP(st, TCP_OOW_DROP, "fin-wait-2 entry: segment outside the window");
		if (!tw_oow_limited(tw, seg, MIB_TCP_ACK_SKIPPED_FIN_WAIT2))
			tw_send_ack(tw);
		return;
	}
	if (seg->flags & TCP_RST) {
		tw_die(tw, "RST in FIN-WAIT-2");
		return;
	}
	if ((seg->flags & TCP_SYN) && !seq_lt(seq, tw->rcv_nxt)) {
		tcp_send_rst_reply(st, seg);
		tw_die(tw, "SYN in FIN-WAIT-2 (RST sent)");
		return;
	}
	if (!(seg->flags & TCP_ACK) || !seq_gt(end, tw->rcv_nxt) || end == seq)
		return; /* a duplicate ACK */
	if (!(seg->flags & TCP_FIN) || end != tw->rcv_nxt + 1) {
		/* RFC 1122 4.2.2.13: data after close() is answered by RST. */
		tcp_send_rst_reply(st, seg);
		tw_die(tw, "data after close (RST sent)");
		return;
	}
	/* The FIN: true TIME-WAIT, 60 s from now (rescheduled: not counted again). */
	tw_trace_state(tw, SYNACK_TIME_WAIT, "FIN received");
	tw->substate = SYNACK_TIME_WAIT;
	tw->rcv_nxt = end;
	if (seg->opt.has_ts && tw->ts_ok) {
		/* Linux: the TIME-WAIT of reuse's delay starts here. */
		tw->entry_stamp = st->now;
		tw->ts_recent_stamp = (uint32_t)(st->now / 1000000);
		tw->ts_recent = seg->opt.tsval;
	}
	tw_arm(tw, TCP_TIMEWAIT_US);
	tw_send_ack(tw);
}

/*
 * TIME-WAIT (RFC 9293 3.10.7.4; Linux tcp_timewait_state_process):
 * - a bare ACK at RCV.NXT restarts the 60 s silently; a RST there ends
 *   the entry unless tcp_rfc1337;
 * - a SYN (no ACK) beyond RCV.NXT, or with a newer timestamp (RFC 6191),
 *   ends it and goes to the listener, whose ISN continues 65537 past our
 *   SND.NXT; without a listener it is acked;
 * - anything else but a RST restarts the timer if it acks, and is acked
 *   (rate-limited without data); other RSTs are dropped.
 */
void tcp_tw_input(struct tcp_tw *tw, const struct tcp_seg *seg)
{
	struct synack_stack *st = tw->st;
	bool paws = tw_paws_reject(tw, seg);
	if (tw->substate == SYNACK_FIN_WAIT2) {
		fw2_input(tw, seg, paws);
		return;
	}
	uint32_t seq = seg->seq;
	uint32_t end = seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	bool rst = seg->flags & TCP_RST;
	if (!paws && seq == tw->rcv_nxt && (seq == end || rst)) {
		if (!rst) {
			tw_arm(tw, TCP_TIMEWAIT_US);
		} else if (!st->cfg.tcp_rfc1337) {
			tw_die(tw, "RST in TIME-WAIT");
			return;
		} else {
			DROP(st, TCP_OOW_DROP, "time-wait: RST ignored (tcp_rfc1337)");
		}
		if (seg->opt.has_ts && tw->ts_ok) {
			tw->ts_recent = seg->opt.tsval;
			tw->ts_recent_stamp = (uint32_t)(st->now / 1000000);
		}
		return;
	}
	bool newer_ts = seg->opt.has_ts && tw->ts_ok &&
			(int32_t)(tw->ts_recent - seg->opt.tsval) < 0;
	if ((seg->flags & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_SYN && !paws &&
	    (seq_gt(seq, tw->rcv_nxt) || newer_ts)) {
		uint32_t isn = tw->snd_nxt + 65535 + 2;
		struct tcp_sock *lsn = tcp_lookup_listener4(st, seg->daddr, seg->dport, seg->saddr,
							    seg->sport);
		if (lsn) {
			tw_die(tw, "SYN in TIME-WAIT: a new connection");
			tcp_conn_request(lsn, seg, isn ? isn : 1);
			return;
		}
		tw_send_ack(tw);
		return;
	}
	if (paws)
		MIB_INC(st, PAWS_TIMEWAIT);
	if (rst) {
		DROP(st, TCP_OOW_DROP, "time-wait: RST not at RCV.NXT");
		return;
	}
	/* An old SYN without ACK may be a new one below RCV.NXT: no restart. */
	if (paws || (seg->flags & TCP_ACK))
		tw_arm(tw, TCP_TIMEWAIT_US);
	if (!tw_oow_limited(tw, seg, MIB_TCP_ACK_SKIPPED_TIME_WAIT))
		tw_send_ack(tw);
}

/*
 * Linux tcp_twsk_unique: a connect() may take over a TIME-WAIT 4-tuple
 * only where timestamps protect the new connection from the old one's
 * segments (the entry saw a timestamp). From a port the chooser picked,
 * tcp_tw_reuse must allow it (2: only to or from loopback) and the entry
 * be older than tcp_tw_reuse_delay; from a port bind() gave, timestamps
 * suffice. Never an entry still in FIN-WAIT-2.
 */
bool tcp_tw_unique(const struct tcp_tw *tw, bool chosen, uint32_t *isn)
{
	const struct synack_stack *st = tw->st;
	int reuse = st->cfg.tcp_tw_reuse;
	if (tw->substate == SYNACK_FIN_WAIT2)
		reuse = 0;
	if (reuse == 2 && (tw->raddr >> 24) != 127 && (tw->laddr >> 24) != 127)
		reuse = 0;
	uint64_t ready_ms = tw->entry_stamp / 1000 + (uint64_t)st->cfg.tcp_tw_reuse_delay;
	if (!tw->ts_ok || (chosen && (!reuse || stack_ms(st) <= ready_ms)))
		return false;
	*isn = tw->snd_nxt + 65535 + 2;
	if (*isn == 0)
		*isn = 1;
	return true;
}

/* ss shows timewait entries with empty queues (inet_twsk_diag_fill). */
size_t tcp_tw_listing(struct synack_stack *st, struct synack_sockinfo *rows, size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; i < st->tcp.tw_size; i++) {
		for (struct tcp_tw *tw = st->tcp.tw[i]; tw; tw = tw->hnext, n++) {
			if (n >= max)
				continue;
			struct synack_sockinfo *r = &rows[n];
			memset(r, 0, sizeof(*r));
			r->fd = -1;
			r->conn = tw->id;
			r->state = tw->substate;
			r->local.sin_family = r->peer.sin_family = AF_INET;
			r->local.sin_addr.s_addr = htonl(tw->laddr);
			r->local.sin_port = htons(tw->lport);
			r->peer.sin_addr.s_addr = htonl(tw->raddr);
			r->peer.sin_port = htons(tw->rport);
			r->timer = "timewait";
			synack_time_t at = (synack_time_t)tw->timer.expires * 1000;
			r->timer_expires = at > st->now ? at - st->now : 0;
			r->state_age = st->now - tw->entry_stamp;
		}
	}
	return n;
}
