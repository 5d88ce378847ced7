/*
 * TCP Fast Open (RFC 7413) as Linux runs it (net/ipv4/tcp_fastopen.c,
 * LINUX-SEMANTICS 4).
 *
 * Server: a listener with a TFO queue (TCP_FASTOPEN, or tcp_fastopen
 * 0x400) answers a cookie request with a cookie, the SipHash of the two
 * addresses under tcp_fastopen_key (Linux's bytes exactly), and turns a
 * SYN with a valid cookie into a full child at once: SYN-RECEIVED, on the
 * accept queue, its data readable, the SYN-ACK acking that data.
 *
 * Client: the per-destination cache (Linux tcp_metrics' fastopen part:
 * cookie, MSS, SYN losses) lives in the stack; connect with MSG_FASTOPEN
 * or TCP_FASTOPEN_CONNECT puts the cookie (or a request) and data in the
 * SYN; a SYN-ACK acking only the SYN sends the data again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socket/socket.h"
#include "tcp/tcp.h"
#include "wire/bytes.h"

#define TFO_CLIENT_ENABLE 0x1
#define TFO_SERVER_ENABLE 0x2
#define TFO_CLIENT_NO_COOKIE 0x4
#define TFO_SERVER_COOKIE_NOT_REQD 0x200
#define TFO_SERVER_WO_SOCKOPT1 0x400
#define TFO_COOKIE_SIZE 8            /* Linux TCP_FASTOPEN_COOKIE_SIZE: one SipHash */
#define TFO_KEY_LEN 16

/* What only Fast Open sockets need, allocated at first use and freed
 * with the socket (tp->tfo): a listener's TFO queue size and its own
 * keys, a passive child's listener. */
struct tcp_fastopen_sock {
	struct tcp_sock *lsn;            /* child: listener whose TFO queue counts us */
	int max_qlen;                    /* TCP_FASTOPEN (Linux fastopenq.max_qlen) */
	int nkeys;                       /* TCP_FASTOPEN_KEY keys, 0 = the sysctl's */
	struct siphash_key key[2];       /* the second is the backup */
};

static struct tcp_fastopen_sock *tfo_sock(struct tcp_sock *tp)
{
	if (!tp->tfo)
		tp->tfo = calloc(1, sizeof(*tp->tfo));
	return tp->tfo;
}

static int max_qlen(const struct tcp_sock *tp)
{
	return tp->tfo ? tp->tfo->max_qlen : 0;
}

/* Linux reads a key as little-endian 64-bit words of its bytes; the
 * sysctl's 32-bit hex words are those bytes, little-endian too. */
static struct siphash_key key_from_bytes(const uint8_t *b)
{
	struct siphash_key k = {0, 0};
	for (int i = 7; i >= 0; i--) {
		k.k0 = k.k0 << 8 | b[i];
		k.k1 = k.k1 << 8 | b[8 + i];
	}
	return k;
}

static struct siphash_key key_from_words(const uint32_t *w)
{
	return (struct siphash_key){w[0] | (uint64_t)w[1] << 32, w[2] | (uint64_t)w[3] << 32};
}

/* The keys a listener checks cookies with, primary first. Without a
 * tcp_fastopen_key the stack uses one derived from its seed (Linux: a
 * random key at first use). */
static int server_keys(const struct tcp_sock *lsn, struct siphash_key k[2])
{
	const struct synack_stack *st = lsn->sk.st;
	if (lsn->tfo && lsn->tfo->nkeys) {
		k[0] = lsn->tfo->key[0];
		k[1] = lsn->tfo->key[1];
		return lsn->tfo->nkeys;
	}
	if (st->cfg.tcp_fastopen_key_count > 0) {
		k[0] = key_from_words(st->cfg.tcp_fastopen_key);
		k[1] = key_from_words(st->cfg.tcp_fastopen_key + 4);
		return st->cfg.tcp_fastopen_key_count > 1 ? 2 : 1;
	}
	k[0].k0 = siphash24(&st->isn_key, "tfo-key0", 8);
	k[0].k1 = siphash24(&st->isn_key, "tfo-key1", 8);
	return 1;
}

/* Linux __tcp_fastopen_cookie_gen_cipher: SipHash of the SYN's source and
 * destination addresses (network order), stored little-endian. */
static void cookie_gen(const struct siphash_key *k, uint32_t saddr, uint32_t daddr,
		       uint8_t out[TFO_COOKIE_SIZE])
{
	uint8_t in[8];
	put32(in, saddr);
	put32(in + 4, daddr);
	uint64_t h = siphash24(k, in, sizeof(in));
	for (int i = 0; i < TFO_COOKIE_SIZE; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}

/* ---- Server ---------------------------------------------------------- */

static int tfo_qlen_limit(const struct synack_stack *st, int v)
{
	/* Linux fastopen_queue_tune: min((unsigned)v, somaxconn). */
	unsigned b = (unsigned)v;
	return b > (unsigned)st->cfg.somaxconn ? st->cfg.somaxconn : (int)b;
}

int tcp_fastopen_listen(struct tcp_sock *lsn, int backlog)
{
	int f = lsn->sk.st->cfg.tcp_fastopen;
	int q = tfo_qlen_limit(lsn->sk.st, backlog);
	if ((f & TFO_SERVER_WO_SOCKOPT1) && (f & TFO_SERVER_ENABLE) && !max_qlen(lsn) && q) {
		if (!tfo_sock(lsn))
			return -1;
		lsn->tfo->max_qlen = q;
	}
	return 0;
}

/* Linux tcp_fastopen_queue_check: a TFO queue, and room in it. (Linux
 * also keeps reset children counted for a while, rskq_rst_head; here a
 * child leaves the queue when its SYN-ACK is acked or it closes.) */
static bool queue_check(struct tcp_sock *lsn)
{
	if (max_qlen(lsn) == 0)
		return false;
	if (lsn->lsn->tfo_qlen >= (unsigned)max_qlen(lsn)) {
		MIB_INC(lsn->sk.st, TCP_FASTOPEN_LISTEN_OVERFLOW);
		return false;
	}
	return true;
}

/* Linux tcp_fastopen_create_child: the request becomes a full socket in
 * SYN-RECEIVED that holds the SYN's data, sends the SYN-ACK (acking the
 * data) and goes straight to the accept queue. (tcp_fastopen_add_skb
 * would take a FIN too, but LISTEN discards a SYN with FIN before Fast
 * Open sees it: tcp_in_listen.) Until the SYN-ACK is acked (tfo_pending)
 * the child's retransmission timer resends only it, whatever state a
 * close() moves the child to. */
static struct tcp_sock *create_child(struct tcp_sock *lsn, const struct tcp_seg *seg,
				     struct tcp_req *req, const struct tcp_opts *foc)
{
	struct tcp_fastopen_sock *fs = calloc(1, sizeof(*fs));
	struct tcp_sock *c = fs ? tcp_req_child(req, seg) : NULL;
	if (!c) {
		free(fs);
		return NULL;
	}
	req->id = 0; /* the child is the connection now */
	tcp_req_drop(req);
	c->tfo_child = c->tfo_pending = true;
	c->tfo = fs;
	fs->lsn = lsn;
	lsn->lsn->tfo_qlen++;
	c->snd_wnd = c->max_window = seg->wnd; /* RFC 7323 2.2: never scaled in a SYN */
	c->rtt_sampling = false;
	tcp_established_init(c); /* Linux tcp_init_transfer */
	if (seg->len) {
		uint32_t adv = 0;
		rcvq_write(&c->rcvq, tcp_full_space(c), 0, seg->data, seg->len, &adv);
		c->rcv_nxt += adv;
		c->bytes_received = adv;
		c->data_segs_in = adv ? 1 : 0;
		c->syn_data_acked = adv > 0;
		c->last_data_recv = lsn->sk.st->now;
	}
	c->rcv_wup = c->rcv_nxt;
	c->snd_nxt = c->snd_max = c->iss; /* the SYN-ACK goes out now, first time */
	c->sndq_after_syn = true;        /* writes queue behind it */
	tcp_send_syn_tfo(c, NULL, foc);
	tcp_child_established(c);
	return c;
}

static void foc_set(struct tcp_opts *foc, const uint8_t *cookie, bool exp)
{
	foc->has_tfo = true;
	foc->tfo_exp = exp;
	foc->tfo_len = TFO_COOKIE_SIZE;
	memcpy(foc->tfo_cookie, cookie, TFO_COOKIE_SIZE);
}

/* Linux tcp_try_fastopen. */
bool tcp_fastopen_try(struct tcp_sock *lsn, const struct tcp_seg *seg, struct tcp_req *req,
		      struct tcp_opts *foc)
{
	struct synack_stack *st = lsn->sk.st;
	const struct tcp_opts *o = &seg->opt;
	bool syn_data = seg->len > 0;
	memset(foc, 0, sizeof(*foc));
	if (o->has_tfo && o->tfo_len == 0)
		MIB_INC(st, TCP_FASTOPEN_COOKIE_REQD);
	if (!(st->cfg.tcp_fastopen & TFO_SERVER_ENABLE) || !(syn_data || o->has_tfo) ||
	    !queue_check(lsn))
		return false;
	if (syn_data && ((st->cfg.tcp_fastopen & TFO_SERVER_COOKIE_NOT_REQD) ||
			 lsn->fastopen_no_cookie)) {
		if (create_child(lsn, seg, req, NULL)) {
			MIB_INC(st, TCP_FASTOPEN_PASSIVE);
			return true;
		}
		MIB_INC(st, TCP_FASTOPEN_PASSIVE_FAIL);
		return false;
	}
	if (!o->has_tfo)
		return false;
	struct siphash_key keys[2];
	int nkeys = server_keys(lsn, keys);
	uint8_t valid[2][TFO_COOKIE_SIZE];
	cookie_gen(&keys[0], seg->saddr, seg->daddr, valid[0]);
	int match = 0;
	if (o->tfo_len == TFO_COOKIE_SIZE) {
		for (int i = 0; i < nkeys && !match; i++) {
			if (i)
				cookie_gen(&keys[i], seg->saddr, seg->daddr, valid[i]);
			if (!memcmp(valid[i], o->tfo_cookie, TFO_COOKIE_SIZE))
				match = i + 1;
		}
	}
	if (o->tfo_len > 0 && match) {
		/* Linux tcp_try_fastopen: a cookie of the backup key is good,
		 * and the SYN-ACK brings the primary key's cookie back so the
		 * client moves on before the backup goes. */
		foc_set(foc, valid[0], o->tfo_exp);
		if (create_child(lsn, seg, req, match == 2 ? foc : NULL)) {
			memset(foc, 0, sizeof(*foc));
			if (match == 2)
				MIB_INC(st, TCP_FASTOPEN_PASSIVE_ALT_KEY);
			MIB_INC(st, TCP_FASTOPEN_PASSIVE);
			return true;
		}
		MIB_INC(st, TCP_FASTOPEN_PASSIVE_FAIL);
	} else if (o->tfo_len > 0) {
		MIB_INC(st, TCP_FASTOPEN_PASSIVE_FAIL); /* RFC 7413 4.2.2: data ignored */
	}
	foc_set(foc, valid[0], o->tfo_exp); /* a request, or a fresh cookie */
	return false;
}

void tcp_fastopen_child_done(struct tcp_sock *c)
{
	c->tfo_pending = false;
	if (!c->tfo || !c->tfo->lsn)
		return;
	struct tcp_listen *l = c->tfo->lsn->lsn;
	if (l && l->tfo_qlen)
		l->tfo_qlen--;
	c->tfo->lsn = NULL;
}

void tcp_fastopen_listener_gone(struct tcp_sock *lsn)
{
	for (struct tcp_sock *tp = lsn->sk.st->tcp.all; tp; tp = tp->next)
		if (tp->tfo && tp->tfo->lsn == lsn)
			tp->tfo->lsn = NULL;
	if (lsn->lsn)
		lsn->lsn->tfo_qlen = 0;
}

void tcp_fastopen_free(struct tcp_sock *tp)
{
	tcp_fastopen_active_close(tp); /* Linux tcp_v4_destroy_sock */
	if (tp->tfo_pending)
		tcp_fastopen_child_done(tp);
	if (tp->tfo && (tp->tfo->max_qlen || tp->tfo->nkeys))
		tcp_fastopen_listener_gone(tp);
	free(tp->tfo);
	tp->tfo = NULL;
}

/* Linux do_tcp_setsockopt TCP_FASTOPEN_KEY: 16 bytes, or 32 with a backup. */
static int set_key(struct tcp_sock *tp, const void *val, socklen_t len)
{
	if (len != TFO_KEY_LEN && len != 2 * TFO_KEY_LEN) {
		errno = EINVAL;
		return -1;
	}
	if (!val) {
		errno = EFAULT;
		return -1;
	}
	if (!tfo_sock(tp)) {
		errno = ENOMEM;
		return -1;
	}
	const uint8_t *b = val;
	tp->tfo->key[0] = key_from_bytes(b);
	tp->tfo->nkeys = 1;
	if (len == 2 * TFO_KEY_LEN) {
		tp->tfo->key[1] = key_from_bytes(b + TFO_KEY_LEN);
		tp->tfo->nkeys = 2;
	}
	return 0;
}

int tcp_fastopen_setsockopt(struct tcp_sock *tp, int name, const void *val, socklen_t len)
{
	if (name == TCP_FASTOPEN_KEY)
		return set_key(tp, val, len);
	int v;
	if (sockopt_get_int(val, len, &v) < 0)
		return -1;
	switch (name) {
	case TCP_FASTOPEN:
		/* Linux: only before or while listening. */
		if (tp->state != SYNACK_CLOSE && tp->state != SYNACK_LISTEN) {
			errno = EINVAL;
			return -1;
		}
		v = tfo_qlen_limit(tp->sk.st, v);
		if (v && !tfo_sock(tp)) {
			errno = ENOMEM;
			return -1;
		}
		if (tp->tfo)
			tp->tfo->max_qlen = v;
		return 0;
	case TCP_FASTOPEN_CONNECT:
		/* Linux: only on a socket that has not connected yet. */
		if (tp->state != SYNACK_CLOSE) {
			errno = EINVAL;
			return -1;
		}
		if (!(tp->sk.st->cfg.tcp_fastopen & TFO_CLIENT_ENABLE)) {
			errno = EOPNOTSUPP;
			return -1;
		}
		tp->fastopen_connect = v != 0;
		return 0;
	case TCP_FASTOPEN_NO_COOKIE:
		if (v < 0 || v > 1) {
			errno = EINVAL;
			return -1;
		}
		if (tp->state != SYNACK_CLOSE) {
			errno = EINVAL;
			return -1;
		}
		tp->fastopen_no_cookie = v;
		return 0;
	default:
		errno = ENOPROTOOPT;
		return -1;
	}
}

int tcp_fastopen_getsockopt(struct tcp_sock *tp, int name, void *val, socklen_t *len)
{
	int v;
	switch (name) {
	case TCP_FASTOPEN:
		v = max_qlen(tp);
		break;
	case TCP_FASTOPEN_CONNECT:
		v = tp->fastopen_connect;
		break;
	case TCP_FASTOPEN_NO_COOKIE:
		v = tp->fastopen_no_cookie;
		break;
	case TCP_FASTOPEN_KEY: {
		struct siphash_key k[2];
		int n = server_keys(tp, k);
		uint8_t out[2 * TFO_KEY_LEN];
		for (int i = 0; i < n; i++)
			for (int j = 0; j < 8; j++) {
				out[i * TFO_KEY_LEN + j] = (uint8_t)(k[i].k0 >> (8 * j));
				out[i * TFO_KEY_LEN + 8 + j] = (uint8_t)(k[i].k1 >> (8 * j));
			}
		socklen_t l = (socklen_t)(n * TFO_KEY_LEN);
		if (*len < l)
			l = *len;
		memcpy(val, out, l);
		*len = l;
		return 0;
	}
	default:
		errno = ENOPROTOOPT;
		return -1;
	}
	return sockopt_put_int(val, len, v);
}

/* ---- Client ---------------------------------------------------------- */

#define TFO_CACHE_MAX 64              /* destinations remembered (oldest replaced) */
#define TFO_MAX_OPTION_SPACE 40       /* Linux MAX_TCP_OPTION_SPACE: kept free in a SYN with data */

/* Linux tcp_metrics' Fast Open part, per destination. */
struct tfo_cache_entry {
	uint32_t daddr;
	uint16_t mss;                    /* the peer's MSS, 0 = unknown */
	uint8_t len;                     /* cookie bytes, 0 = none */
	bool exp;                        /* the cookie came in the experimental option */
	uint8_t try_exp;                 /* 1: ask in the experimental option next time */
	uint8_t syn_loss;                /* SYNs with data lost in a row */
	synack_time_t last_syn_loss;
	uint8_t cookie[TCP_TFO_COOKIE_MAX];
};

struct tcp_fastopen_cache {
	struct tfo_cache_entry e[TFO_CACHE_MAX];
	unsigned n, next;
	/* Linux tfo_active_disable_times/_stamp: middlebox black holes
	 * seen in a row, and when the last one paused active Fast Open. */
	unsigned disable_times;
	synack_time_t disable_stamp;
};

void tcp_fastopen_cache_free(struct synack_stack *st)
{
	free(st->tfo_cache);
	st->tfo_cache = NULL;
}

/* Forget one destination, or all (Linux tcp_metrics_flush_all). */
void tcp_fastopen_cache_flush(struct synack_stack *st, uint32_t daddr)
{
	struct tcp_fastopen_cache *c = st->tfo_cache;
	if (!c)
		return;
	if (daddr == 0) {
		c->n = c->next = 0;
		return;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (c->e[i].daddr == daddr) {
			c->e[i] = c->e[--c->n]; /* order does not matter but for next */
			if (c->next >= c->n)
				c->next = 0;
			return;
		}
}

static struct tfo_cache_entry *cache_find(struct synack_stack *st, uint32_t daddr, bool create)
{
	struct tcp_fastopen_cache *c = st->tfo_cache;
	if (!c) {
		if (!create || !(c = st->tfo_cache = calloc(1, sizeof(*c))))
			return NULL;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (c->e[i].daddr == daddr)
			return &c->e[i];
	if (!create)
		return NULL;
	struct tfo_cache_entry *e = &c->e[c->n < TFO_CACHE_MAX ? c->n++ : c->next];
	if (c->n == TFO_CACHE_MAX)
		c->next = (c->next + 1) % TFO_CACHE_MAX;
	memset(e, 0, sizeof(*e));
	e->daddr = daddr;
	return e;
}

/* ---- Blackhole detection (Linux tcp_fastopen_active_*) ---------------
 * A middlebox that drops SYNs with data (or a Fast Open connection's
 * later packets) shows as three timeouts in a row: active Fast Open then
 * pauses stack-wide for tcp_fastopen_blackhole_timeout_sec (0: never),
 * doubling with each further black hole up to 64 times; a Fast Open
 * connection that ends well after a pause resets the count. */

static void active_disable(struct synack_stack *st)
{
	if (!st->cfg.tcp_fastopen_blackhole_timeout_sec)
		return;
	if (!st->tfo_cache && !(st->tfo_cache = calloc(1, sizeof(*st->tfo_cache))))
		return;
	st->tfo_cache->disable_stamp = st->now;
	st->tfo_cache->disable_times++;
	MIB_INC(st, TCP_FASTOPEN_BLACKHOLE);
}

/* Linux tcp_fastopen_active_should_disable: true while paused; after a
 * pause, the connection is marked to reset the count if it goes well. */
static bool active_should_disable(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	unsigned timeout = (unsigned)st->cfg.tcp_fastopen_blackhole_timeout_sec;
	unsigned times = st->tfo_cache ? st->tfo_cache->disable_times : 0;
	if (!timeout || !times)
		return false;
	unsigned shift = times - 1 < 6 ? times - 1 : 6;
	if (st->now - st->tfo_cache->disable_stamp < SYNACK_SEC((uint64_t)timeout) << shift)
		return true;
	tp->tfo_check_reset = true; /* Linux syn_fastopen_ch */
	return false;
}

void tcp_fastopen_detect_blackhole(struct tcp_sock *tp, bool expired)
{
	/* Linux tcp_fastopen_active_detect_blackhole: the third timeout in
	 * a row (two before this one), or the last one. */
	if ((tp->syn_fastopen || tp->tfo_syn_data || tp->syn_data_acked) &&
	    (tp->retransmits == 2 || (tp->retransmits < 2 && expired))) {
		active_disable(tp->sk.st);
		MIB_INC(tp->sk.st, TCP_FASTOPEN_ACTIVE_FAIL);
	}
}

/* Linux tcp_fastopen_active_disable_ofo_check, at close: Fast Open
 * data that left out-of-order data behind means a middlebox dropped
 * packets after the handshake; a clean end after a pause resets the
 * count. */
void tcp_fastopen_active_close(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	if (!tp->syn_fastopen || !tp->data_segs_in)
		return;
	if (tp->rcvq.nooo && tp->raddr >> 24 != 127) {
		active_disable(st);
		return;
	}
	if (tp->tfo_check_reset && st->tfo_cache)
		st->tfo_cache->disable_times = 0;
}

/* Linux tcp_fastopen_cookie_check: may our SYN carry data (a cookie, or
 * no cookie needed)? *mss is the cached MSS (0 if none). */
static bool cookie_check(struct tcp_sock *tp, uint16_t *mss)
{
	struct synack_stack *st = tp->sk.st;
	struct tfo_cache_entry *e = cache_find(st, tp->raddr, false);
	*mss = e ? e->mss : 0;
	tp->tfo_paused = active_should_disable(tp);
	if (tp->tfo_paused)
		return false; /* no data, and no option at all */
	/* Linux tcp_fastopen_cache_get: after SYN-data losses, wait
	 * 60 s << losses before trying again. */
	if (e && e->syn_loss > 1 &&
	    st->now - e->last_syn_loss < SYNACK_SEC(60) << (e->syn_loss < 10 ? e->syn_loss : 10))
		return false;
	if ((st->cfg.tcp_fastopen & TFO_CLIENT_NO_COOKIE) || tp->fastopen_no_cookie)
		return true;
	if (e && e->len > 0)
		return true;
	tp->tfo_client_fail = 1; /* TFO_COOKIE_UNAVAILABLE */
	return false;
}

bool tcp_fastopen_defer_connect(struct tcp_sock *tp)
{
	uint16_t mss;
	if (!tp->fastopen_connect || tp->syn_fastopen)
		return false;
	if (cookie_check(tp, &mss)) {
		tp->defer_connect = true;
		return true;
	}
	tp->syn_fastopen = true; /* the SYN asks for a cookie */
	return false;
}

/* Linux tcp_send_syn_data and tcp_syn_options: our first SYN. */
void tcp_fastopen_syn(struct tcp_sock *tp, struct tcp_tfo_send *d, struct tcp_opts *o,
		      uint32_t *len)
{
	struct synack_stack *st = tp->sk.st;
	*len = 0;
	if (!tp->syn_fastopen)
		return;
	uint16_t mss;
	bool data = cookie_check(tp, &mss);
	struct tfo_cache_entry *e = cache_find(st, tp->raddr, false);
	bool no_cookie = (st->cfg.tcp_fastopen & TFO_CLIENT_NO_COOKIE) || tp->fastopen_no_cookie;
	if (!no_cookie && !tp->tfo_paused) {
		/* The cookie, or a request (RFC 7413 4.1.1); experimental kind
		 * when the last request in the RFC's form went unanswered. */
		o->has_tfo = true;
		o->tfo_len = data && e ? e->len : 0;
		o->tfo_exp = e && (o->tfo_len ? e->exp : e->try_exp == 1);
		if (o->tfo_len)
			memcpy(o->tfo_cookie, e->cookie, o->tfo_len);
		tp->syn_fastopen_exp = o->tfo_exp;
	}
	if (!data || !d || !d->buf || !d->len)
		return;
	uint32_t space = tcp_adv_mss(tp);
	if (mss && mss < space)
		space = mss;
	space = space > TFO_MAX_OPTION_SPACE ? space - TFO_MAX_OPTION_SPACE : 0;
	if (space > d->len)
		space = (uint32_t)d->len;
	tp->sndq_after_syn = true;
	uint32_t took = tcp_append(tp, d->buf, space);
	tcp_mark_push(tp);
	d->copied = took;
	tp->tfo_syn_data = (uint16_t)took; /* below the advertised MSS: fits */
	*len = took;
}

/* Linux tcp_rcv_fastopen_synack. */
bool tcp_fastopen_synack(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	if (!tp->syn_fastopen && !tp->sndq_after_syn)
		return false;
	const struct tcp_opts *o = &seg->opt;
	bool cookie = o->has_tfo && o->tfo_len > 0;
	uint32_t acked = seq_gt(seg->ack, tp->iss + 1) ? seg->ack - tp->iss - 1 : 0;
	if (acked > tp->tfo_syn_data)
		acked = tp->tfo_syn_data;
	bool lost = tp->tfo_syn_data && acked < tp->tfo_syn_data;
	struct tfo_cache_entry *e = cache_find(st, tp->raddr, true);
	if (e && tp->syn_fastopen) {
		if (o->has_mss && o->mss)
			e->mss = o->mss;
		/* Linux tcp_fastopen_cache_set: a request in the RFC's form
		 * that went unanswered asks in the experimental form once
		 * (try_exp 1), and one unanswered there goes back for good
		 * (2); try_exp only rises, and not once a cookie is known. */
		uint8_t try_exp = 0;
		if (!tp->total_retrans && !cookie && !tp->tfo_syn_data)
			try_exp = tp->syn_fastopen_exp ? 2 : 1;
		if (cookie) {
			e->len = o->tfo_len;
			e->exp = o->tfo_exp;
			memcpy(e->cookie, o->tfo_cookie, o->tfo_len);
		} else if (try_exp > e->try_exp && e->len == 0 && !e->exp) {
			e->try_exp = try_exp;
		}
		if (tp->total_retrans && !cookie && lost) {
			e->syn_loss++;
			e->last_syn_loss = st->now;
		} else {
			e->syn_loss = 0;
		}
	}
	if (tp->sndq_after_syn) {
		/* Acked SYN data leaves the queue; the rest goes again at once
		 * (RFC 7413 4.2.2: the server may have ignored it). */
		ring_consume(&tp->sndq, acked);
		tp->sndq_after_syn = false;
		tp->snd_una = tp->iss + 1 + acked;
		tp->snd_nxt = tp->snd_una;
		tcp_skbm_prune(tp);
		tcp_zc_acked(tp); /* MSG_ZEROCOPY calls the SYN carried complete */
		if (lost) {
			/* Linux tcp_rcv_fastopen_synack: the unacked SYN data
			 * is marked lost and resent as a retransmission
			 * (tcp_non_congestion_loss_retransmit): in flight since
			 * the SYN, counted in retrans_out, in the loss state so
			 * RACK resends it again if a later SACK shows it lost. */
			tcp_txl_sent(tp, tp->snd_una, tp->snd_max);
			tcp_enter_loss_nocc(tp);
		}
	} else {
		tp->snd_una = seg->ack;
	}
	tp->tfo_synack_ok = tp->syn_fastopen && !lost;
	if (lost) {
		/* The resent data carries the ACK (Linux returns before its
		 * delayed-ACK choice). */
		tp->tfo_write_pending = false;
		tp->tfo_client_fail = tp->total_retrans ? 3 : 2; /* SYN_RETRANSMITTED, DATA_NOT_ACKED */
		MIB_INC(st, TCP_FASTOPEN_ACTIVE_FAIL);
	} else if (tp->tfo_syn_data) {
		tp->syn_data_acked = true;
		MIB_INC(st, TCP_FASTOPEN_ACTIVE);
	}
	return true;
}

/* The cookie option of a first SYN-ACK: a Fast Open child's (the cookie
 * create_child asked for, the primary key's for a backup-key cookie), or
 * a plain request's that tcp_fastopen_try gave one (reqsk.c). */
void tcp_fastopen_synack_opts(const struct tcp_opts *foc, struct tcp_opts *o)
{
	o->has_tfo = true;
	o->tfo_exp = foc->tfo_exp;
	o->tfo_len = foc->tfo_len;
	memcpy(o->tfo_cookie, foc->tfo_cookie, foc->tfo_len);
}

/* Linux tcp_fastopen_add_skb: after a Fast Open SYN (data or a cookie
 * request) whose data the SYN-ACK acked, the SYN-ACK's own data and FIN
 * are taken (RFC 7413 leaves them to the server; Linux's server sends
 * none, but others may): readable at once, a FIN moves to CLOSE-WAIT. */
void tcp_fastopen_synack_data(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	bool ok = tp->tfo_synack_ok;
	tp->tfo_synack_ok = false;
	if (!ok || (!seg->len && !(seg->flags & TCP_FIN)))
		return;
	uint32_t adv = 0;
	if (seg->len)
		rcvq_write(&tp->rcvq, tcp_full_space(tp), 0, seg->data, seg->len, &adv);
	tp->rcv_nxt += adv;
	tp->rcv_wup = tp->rcv_nxt;
	tp->bytes_received += adv;
	tp->syn_data_acked = true; /* as Linux sets it here */
	if (adv) {
		tp->data_segs_in++;
		tp->last_data_recv = tp->sk.st->now;
	}
	if ((seg->flags & TCP_FIN) && adv == seg->len) {
		tp->rcv_nxt++;
		tp->fin_rcvd = true;
		tcp_set_state(tp, SYNACK_CLOSE_WAIT, "FIN in the SYN-ACK (Fast Open)");
	}
	sock_wakeup(&tp->sk);
}

void tcp_fastopen_syn_timeout(struct tcp_sock *tp)
{
	/* Linux tcp_write_timeout: the first SYN with data was lost; the
	 * retransmitted SYNs go bare (tcp_send_syn), the data waits. */
	if (tp->retransmits == 1 && tp->tfo_syn_data) {
		struct tfo_cache_entry *e = cache_find(tp->sk.st, tp->raddr, true);
		if (e) {
			e->syn_loss++;
			e->last_syn_loss = tp->sk.st->now;
		}
	}
}

/* Linux tcp_sendmsg_fastopen: connect with data in the SYN. Returns the
 * bytes the SYN took, or -1: EINPROGRESS (none taken), EALREADY, ... */
ssize_t tcp_fastopen_sendmsg(struct tcp_sock *tp, const void *buf, size_t len, uint32_t addr,
			     uint16_t port, int flags)
{
	if (!(tp->sk.st->cfg.tcp_fastopen & TFO_CLIENT_ENABLE)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (tp->syn_fastopen && tp->state == SYNACK_SYN_SENT) {
		errno = EALREADY;
		return -1;
	}
	tp->syn_fastopen = true;
	struct tcp_tfo_send d = {.buf = buf, .len = len};
	int r;
	if (tp->defer_connect) {
		tp->defer_connect = false;
		tcp_send_syn_tfo(tp, &d, NULL);
		r = -1;
		errno = EINPROGRESS;
	} else {
		r = tcp_connect_tfo(tp, addr, port, &d);
	}
	int err = errno;
	uint32_t copied = d.copied;
	/* Linux inet_wait_for_connect's sk_write_pending: a blocking caller
	 * whose SYN left bytes behind waits for the handshake and writes
	 * them, so the SYN-ACK's ACK is delayed to ride on them. */
	tp->tfo_write_pending = tp->state == SYNACK_SYN_SENT && copied < len &&
				!tp->sk.nonblock && !(flags & MSG_DONTWAIT);
	if (copied)
		return copied;
	if (r < 0 && err != EINPROGRESS)
		tp->syn_fastopen = false;
	errno = err;
	return r < 0 ? -1 : 0;
}
