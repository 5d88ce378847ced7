/*
 * Request entries (reqsk.h): allocation, the hash by 4-tuple, the SYN-ACK
 * and its timer. One timer per request on the stack's wheel (O(1) arm and
 * cancel; a listener-wide scan would cost O(queue) per tick under a flood).
 * The timer follows Linux's reqsk_timer_handler: SYN-ACKs again at 1, 3,
 * 7, 15, 31 s (tcp_synack_retries 5, or the listener's TCP_SYNCNT), the
 * request dropped silently at 63 s; a queue more than half full of old
 * requests gives them fewer retries; TCP_DEFER_ACCEPT holds resends back.
 */
#include <stddef.h>
#include <stdlib.h>

#include "tcp/tcp.h"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define REQ_HASH_MIN 64

/* The connection hash's keyed SipHash of the 4-tuple (table.c). */
#define req_hash tcp_tuple_hash

/* Double the table when chains would average more than one entry. */
static int reqtab_grow(struct synack_stack *st)
{
	struct tcp_reqtab *t = &st->reqs;
	uint32_t nsize = t->size ? t->size * 2 : REQ_HASH_MIN;
	struct tcp_req **n = calloc(nsize, sizeof(*n));
	if (!n)
		return t->size ? 0 : -1; /* longer chains, still correct */
	for (uint32_t i = 0; i < t->size; i++) {
		struct tcp_req *r = t->h[i];
		while (r) {
			struct tcp_req *next = r->hnext;
			uint32_t h = req_hash(st, r->laddr, r->lport, r->raddr, r->rport) & (nsize - 1);
			r->hnext = n[h];
			n[h] = r;
			r = next;
		}
	}
	free(t->h);
	t->h = n;
	t->size = nsize;
	return 0;
}

struct tcp_req *tcp_req_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport,
			       uint32_t raddr, uint16_t rport)
{
	struct tcp_reqtab *t = &st->reqs;
	if (!t->count)
		return NULL;
	uint32_t h = req_hash(st, laddr, lport, raddr, rport) & (t->size - 1);
	for (struct tcp_req *r = t->h[h]; r; r = r->hnext)
		if (r->lport == lport && r->rport == rport && r->laddr == laddr && r->raddr == raddr)
			return r;
	return NULL;
}

uint64_t tcp_req_timeout_us(const struct tcp_req *req)
{
	const struct synack_stack *st = req->lsn->sk.st;
	uint64_t max = (uint64_t)st->cfg.tcp_rto_max_ms * 1000u;
	uint64_t t = (uint64_t)TCP_TIMEOUT_INIT_US << (req->num_timeout < 20 ? req->num_timeout : 20);
	return t < max ? t : max;
}

void tcp_req_rearm(struct tcp_req *req)
{
	struct synack_stack *st = req->lsn->sk.st;
	timer_arm(&st->wheel, &req->timer, (st->now + tcp_req_timeout_us(req) + 999) / 1000);
}

static void req_timer_fire(struct timer *t, uint64_t now_ms);
static void send_synack(struct tcp_req *req, bool retrans, const struct tcp_opts *foc);

struct tcp_req *tcp_req_new(struct tcp_sock *lsn, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport)
{
	struct synack_stack *st = lsn->sk.st;
	struct tcp_reqtab *t = &st->reqs;
	if (t->count >= t->size && reqtab_grow(st) < 0)
		return NULL;
	struct tcp_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->lsn = lsn;
	req->id = st->next_conn_id++;
	req->laddr = laddr;
	req->lport = lport;
	req->raddr = raddr;
	req->rport = rport;
	/* Traced as the connection's state (Linux: TCP_NEW_SYN_RECV). */
	tcp_trace_conn_state(st, req->id, -1, laddr, lport, raddr, rport, SYNACK_CLOSE,
			     SYNACK_SYN_RECV, "SYN received (request in the SYN queue)");
	uint32_t h = req_hash(st, laddr, lport, raddr, rport) & (t->size - 1);
	req->hnext = t->h[h];
	t->h[h] = req;
	t->count++;
	struct tcp_listen *l = lsn->lsn;
	req->qnext = l->req_head;
	if (req->qnext)
		req->qnext->qprev = req;
	l->req_head = req;
	l->qlen++;
	l->young++;
	timer_init(&req->timer, req_timer_fire);
	tcp_req_rearm(req);
	return req;
}

void tcp_req_drop(struct tcp_req *req)
{
	struct tcp_sock *lsn = req->lsn;
	struct synack_stack *st = lsn->sk.st;
	struct tcp_reqtab *t = &st->reqs;
	struct tcp_listen *l = lsn->lsn;
	if (req->id)
		tcp_trace_conn_state(st, req->id, -1, req->laddr, req->lport, req->raddr,
				     req->rport, SYNACK_SYN_RECV, SYNACK_CLOSE, "request dropped");
	timer_cancel(&st->wheel, &req->timer);
	uint32_t h = req_hash(st, req->laddr, req->lport, req->raddr, req->rport) & (t->size - 1);
	for (struct tcp_req **pp = &t->h[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == req) {
			*pp = req->hnext;
			t->count--;
			break;
		}
	}
	if (req->qprev)
		req->qprev->qnext = req->qnext;
	else
		l->req_head = req->qnext;
	if (req->qnext)
		req->qnext->qprev = req->qprev;
	l->qlen--;
	if (req->num_timeout == 0)
		l->young--;
	free(req);
}

void tcp_req_drop_all(struct tcp_sock *lsn)
{
	while (lsn->lsn->req_head)
		tcp_req_drop(lsn->lsn->req_head);
}

void tcp_reqtab_free(struct synack_stack *st)
{
	free(st->reqs.h);
	st->reqs.h = NULL;
	st->reqs.size = st->reqs.count = 0;
}

/*
 * <SEQ=ISS><ACK=IRS+1><CTL=SYN,ACK> with the listener's SYN options,
 * keeping only those the peer offered (RFC 7323 1.3, RFC 2018 2: window
 * scale, SACK-permitted and timestamps are answered, never volunteered).
 * The options a full socket sends come from output.c's syn_options(); a
 * request answers with the same (tcp_syn_options_of on its listener), so
 * when that learns window scale, SACK and timestamps, this follows;
 * req->opts (options.h) holds what the peer offered for it.
 */
void tcp_req_send_synack(struct tcp_req *req, bool retrans)
{
	send_synack(req, retrans, NULL);
}

void tcp_req_send_synack_foc(struct tcp_req *req, const struct tcp_opts *foc)
{
	send_synack(req, false, foc);
}

static void send_synack(struct tcp_req *req, bool retrans, const struct tcp_opts *foc)
{
	struct synack_stack *st = req->lsn->sk.st;
	struct tcp_seg seg = {
		.saddr = req->laddr, .daddr = req->raddr, .sport = req->lport, .dport = req->rport,
		.seq = req->iss, .ack = req->irs + 1, .flags = TCP_SYN | TCP_ACK,
		.wnd = (uint16_t)(req->rcv_wnd < 65535 ? req->rcv_wnd : 65535),
	};
	tcp_syn_options_of(req->lsn, &seg.opt);
	seg.tos = req->lsn->ip_tos & (uint8_t)~IP_ECN_MASK_; /* the listener's IP_TOS */
	if (req->ecn_ok)
		seg.flags |= TCP_ECE; /* RFC 3168 6.1.1: ECN-setup SYN-ACK */
	if (!req->opts.wscale_ok)
		seg.opt.has_wscale = false;
	if (!req->opts.sack_ok)
		seg.opt.sack_ok = false;
	if (!req->opts.ts_ok)
		seg.opt.has_ts = false;
	else {
		/* The child's TSvals go on from here: same per-flow offset. */
		seg.opt.tsval = tcp_ts_now(st, tcp_ts_offset(st, req->laddr, req->raddr));
		seg.opt.tsecr = req->opts.ts_recent;
	}
	if (foc && foc->has_tfo) /* RFC 7413 4.1.2: the cookie, first SYN-ACK only */
		tcp_fastopen_synack_opts(foc, &seg.opt);
	if (retrans) {
		MIB_INC(st, TCP_SYN_RETRANS);
		req->num_retrans++;
	} else {
		req->snt_synack = st->now;
	}
	tcp_emit_reply_ttl(st, &seg, retrans, req->lsn->ip_ttl ? req->lsn->ip_ttl : -1); /* Linux ip_build_and_send_pkt */
}

/* Linux reqsk_timer_handler: how many SYN-ACK timeouts this request may
 * see. When more than half the queue (or 4) is taken, requests that
 * already timed out lose retries while young ones are few. */
static unsigned req_max_retries(const struct tcp_req *req)
{
	const struct tcp_sock *lsn = req->lsn;
	const struct tcp_listen *l = lsn->lsn;
	unsigned max = lsn->syn_retries ? (unsigned)lsn->syn_retries
					: (unsigned)lsn->sk.st->cfg.tcp_synack_retries;
	unsigned cap = l->backlog > 8 ? (unsigned)l->backlog : 8u;
	if ((l->qlen << 1) > cap) {
		unsigned young = l->young << 1;
		while (max > 2 && l->qlen >= young) {
			max--;
			young <<= 1;
		}
	}
	return max;
}

static void req_timer_fire(struct timer *t, uint64_t now_ms)
{
	(void)now_ms;
	struct tcp_req *req = container_of(t, struct tcp_req, timer);
	struct tcp_sock *lsn = req->lsn;
	struct synack_stack *st = lsn->sk.st;
	unsigned max = req_max_retries(req);
	unsigned defer = lsn->defer_accept;
	bool expire, resend;
	/* Linux syn_ack_recalc: an acked request waiting for data under
	 * TCP_DEFER_ACCEPT is not resent until its last chance. */
	if (!defer) {
		expire = req->num_timeout >= max;
		resend = true;
	} else {
		expire = req->num_timeout >= max && (!req->acked || req->num_timeout >= defer);
		resend = !req->acked || req->num_timeout + 1u >= defer;
	}
	MIB_INC(st, TCP_TIMEOUTS); /* Linux tcp_syn_ack_timeout */
	if (expire) {
		tcp_req_drop(req); /* silently, as Linux: the peer learns nothing */
		return;
	}
	if (resend)
		tcp_req_send_synack(req, true);
	if (req->num_timeout++ == 0)
		lsn->lsn->young--;
	tcp_req_rearm(req);
}

/* The socket listing shows requests as SYN-RECV rows with their timer
 * and retransmissions, queues 0 0 (Linux inet_req_diag_fill). */
size_t tcp_req_rows(struct tcp_sock *lsn, struct synack_sockinfo *rows, size_t n, size_t max)
{
	struct synack_stack *st = lsn->sk.st;
	for (struct tcp_req *req = lsn->lsn->req_head; req; req = req->qnext, n++) {
		if (n >= max)
			continue;
		struct synack_sockinfo *r = &rows[n];
		*r = (struct synack_sockinfo){.fd = -1, .state = SYNACK_SYN_RECV, .timer = "on",
					      .retrans = req->num_retrans};
		r->local.sin_family = r->peer.sin_family = AF_INET;
		r->local.sin_addr.s_addr = htonl(req->laddr);
		r->local.sin_port = htons(req->lport);
		r->peer.sin_addr.s_addr = htonl(req->raddr);
		r->peer.sin_port = htons(req->rport);
		synack_time_t at = (synack_time_t)req->timer.expires * 1000;
		r->timer_expires = at > st->now ? at - st->now : 0;
	}
	return n;
}
