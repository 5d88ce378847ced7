/* memlink with scripted (callback) hosts: routing, path shaping, faults,
 * event order, virtual time and replay from a seed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <synack/memlink.h>

#define PKT_MAX 64

/* ---- A delivery log ----------------------------------------------------- */

struct rec {
	synack_time_t t;
	int host;
	size_t len;
	unsigned char data[PKT_MAX];
};

struct log {
	struct rec *v;
	size_t n, cap;
};

/* The deliver callback's ctx: which host, which log, and (for echo hosts)
 * the network to answer through. */
struct sink {
	struct log *log;
	struct memlink *net;
	int host;
	int echo;
};

static void log_add(struct log *l, synack_time_t t, int host, const void *pkt, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	struct rec *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->host = host;
	r->len = len;
	memcpy(r->data, pkt, len < PKT_MAX ? len : PKT_MAX);
}

static int log_equal(const struct log *a, const struct log *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct rec *x = &a->v[i], *y = &b->v[i];
		if (x->t != y->t || x->host != y->host || x->len != y->len ||
		    memcmp(x->data, y->data, PKT_MAX) != 0)
			return 0;
	}
	return 1;
}

/* A fake IPv4 packet: only the addresses matter to memlink; the id at
 * offset 20 tells packets apart. */
static size_t make_pkt(unsigned char *buf, size_t len, int src, int dst, uint32_t id)
{
	assert_true(len >= 24 && len <= PKT_MAX);
	memset(buf, 0, len);
	buf[0] = 0x45;
	buf[12] = 10, buf[15] = (unsigned char)(src + 1);
	buf[16] = 10, buf[19] = (unsigned char)(dst + 1);
	memcpy(buf + 20, &id, 4);
	return len;
}

static uint32_t pkt_id(const struct rec *r)
{
	uint32_t id;
	memcpy(&id, r->data + 20, 4);
	return id;
}

static void send_pkt(struct memlink *net, int src, int dst, size_t len, uint32_t id)
{
	unsigned char buf[PKT_MAX];
	make_pkt(buf, len, src, dst, id);
	memlink_inject(net, src, buf, len);
}

static void on_deliver(void *ctx, synack_time_t now, const void *pkt, size_t len)
{
	struct sink *s = ctx;
	log_add(s->log, now, s->host, pkt, len);
	if (s->echo && len >= 24) {
		/* Answer to the sender: swap the addresses. */
		unsigned char reply[PKT_MAX];
		memcpy(reply, pkt, len);
		memcpy(reply + 12, (const unsigned char *)pkt + 16, 4);
		memcpy(reply + 16, (const unsigned char *)pkt + 12, 4);
		memlink_inject(s->net, s->host, reply, len);
	}
}

/* ---- Fixture: n callback hosts 10.0.0.1 .. 10.0.0.n --------------------- */

#define NHOSTS 3

struct fx {
	struct memlink *net;
	struct log log;
	struct sink sink[NHOSTS];
};

static struct fx *fx_new(uint64_t seed, synack_time_t start)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->net = memlink_new(seed, start);
	assert_non_null(f->net);
	for (int i = 0; i < NHOSTS; i++) {
		struct in_addr a = {htonl(0x0a000001u + (uint32_t)i)};
		assert_int_equal(memlink_host_add(f->net, a), i);
		f->sink[i] = (struct sink){&f->log, f->net, i, 0};
		memlink_host_attach_fn(f->net, i, on_deliver, &f->sink[i]);
	}
	return f;
}

static void fx_free(struct fx *f)
{
	memlink_free(f->net);
	free(f->log.v);
	free(f);
}

/* ---- Routing and timing ------------------------------------------------- */

static void test_delivery_by_address(void **state)
{
	struct fx *f = fx_new(1, 0);
	send_pkt(f->net, 0, 2, 40, 7);
	send_pkt(f->net, 2, 1, 30, 8);
	memlink_run_until(f->net, SYNACK_SEC(1));
	assert_int_equal(f->log.n, 2);
	assert_int_equal(f->log.v[0].host, 2);
	assert_int_equal(f->log.v[0].len, 40);
	assert_int_equal(pkt_id(&f->log.v[0]), 7);
	assert_int_equal(f->log.v[0].t, 0);
	assert_int_equal(f->log.v[1].host, 1);
	assert_int_equal(pkt_id(&f->log.v[1]), 8);
	assert_int_equal(memlink_now(f->net), SYNACK_SEC(1));
	fx_free(f);
}

static void test_delay_exact(void **state)
{
	struct fx *f = fx_new(1, 1000);
	struct memlink_path p = {.delay = 5000};
	memlink_set_path(f->net, 0, 1, &p);
	send_pkt(f->net, 0, 1, 24, 1);
	send_pkt(f->net, 1, 0, 24, 2); /* the reverse path is untouched */

	assert_true(memlink_step(f->net, SYNACK_TIME_NEVER));
	assert_int_equal(memlink_now(f->net), 1000);
	assert_int_equal(f->log.n, 1);
	assert_int_equal(f->log.v[0].host, 0);

	/* Not due by 5999: the clock stops at the limit. */
	assert_false(memlink_step(f->net, 5999));
	assert_int_equal(memlink_now(f->net), 5999);
	assert_int_equal(f->log.n, 1);

	assert_true(memlink_step(f->net, 6000));
	assert_int_equal(memlink_now(f->net), 6000);
	assert_int_equal(f->log.n, 2);
	assert_int_equal(f->log.v[1].t, 6000);
	assert_int_equal(f->log.v[1].host, 1);

	/* Nothing left: no limit means the clock stays. */
	assert_false(memlink_step(f->net, SYNACK_TIME_NEVER));
	assert_int_equal(memlink_now(f->net), 6000);
	fx_free(f);
}

static void test_rate_limit_serialization(void **state)
{
	struct fx *f = fx_new(1, 0);
	/* 1 Mbit/s: 50 bytes take 400 us on the wire. */
	struct memlink_path p = {.rate_bps = 1000000, .delay = 100};
	memlink_set_path(f->net, 0, 1, &p);
	for (uint32_t i = 0; i < 3; i++)
		send_pkt(f->net, 0, 1, 50, i);
	memlink_run_until(f->net, 10000);
	assert_int_equal(f->log.n, 3);
	assert_int_equal(f->log.v[0].t, 400 + 100);
	assert_int_equal(f->log.v[1].t, 800 + 100);
	assert_int_equal(f->log.v[2].t, 1200 + 100);

	/* An idle link starts at now, not at the old busy_until. */
	send_pkt(f->net, 0, 1, 50, 3);
	memlink_run_until(f->net, 20000);
	assert_int_equal(f->log.v[3].t, 10000 + 400 + 100);

	/* Rounding up: 25 bytes at 3 Mbit/s is 66.67 us -> 67. */
	struct memlink_path q = {.rate_bps = 3000000};
	memlink_set_path(f->net, 1, 2, &q);
	send_pkt(f->net, 1, 2, 25, 4);
	send_pkt(f->net, 1, 2, 25, 5);
	memlink_run_until(f->net, 30000);
	assert_int_equal(f->log.n, 6);
	assert_int_equal(f->log.v[4].t, 20000 + 67);
	assert_int_equal(f->log.v[5].t, 20000 + 67 + 67);
	fx_free(f);
}

static void test_fifo_equal_times(void **state)
{
	struct fx *f = fx_new(1, 0);
	struct memlink_path p = {.delay = 300};
	memlink_set_path(f->net, -1, -1, &p);
	/* From different hosts, all due at 300: delivered in send order. */
	for (uint32_t i = 0; i < 20; i++)
		send_pkt(f->net, (int)(i % 2), 2, 24, i);
	memlink_run_until(f->net, 1000);
	assert_int_equal(f->log.n, 20);
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(pkt_id(&f->log.v[i]), i);
		assert_int_equal(f->log.v[i].t, 300);
	}
	fx_free(f);
}

static void test_run_until_idle(void **state)
{
	struct fx *f = fx_new(1, 500);
	assert_int_equal(memlink_now(f->net), 500);
	memlink_run_until(f->net, SYNACK_SEC(60));
	assert_int_equal(memlink_now(f->net), SYNACK_SEC(60));
	assert_false(memlink_step(f->net, SYNACK_SEC(61)));
	assert_int_equal(memlink_now(f->net), SYNACK_SEC(61));
	/* The clock never runs backwards. */
	memlink_run_until(f->net, SYNACK_SEC(1));
	assert_int_equal(memlink_now(f->net), SYNACK_SEC(61));
	assert_int_equal(f->log.n, 0);
	fx_free(f);
}

/* ---- Faults ------------------------------------------------------------- */

static size_t count_lost(uint64_t seed, double loss, int n)
{
	struct fx *f = fx_new(seed, 0);
	struct memlink_path p = {.loss = loss};
	memlink_set_path(f->net, 0, 1, &p);
	for (int i = 0; i < n; i++)
		send_pkt(f->net, 0, 1, 24, (uint32_t)i);
	memlink_run_until(f->net, 1);
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.sent, (uint64_t)n);
	assert_int_equal(s.lost + s.delivered, (uint64_t)n);
	assert_int_equal(s.delivered, f->log.n);
	size_t lost = (size_t)s.lost;
	fx_free(f);
	return lost;
}

static void test_loss_rate(void **state)
{
	size_t lost = count_lost(42, 0.1, 10000);
	/* Binomial(10000, 0.1): sd 30, so +-150 is five sigma. */
	assert_in_range(lost, 850, 1150);
	assert_int_equal(count_lost(42, 0.1, 10000), lost);
	assert_int_equal(count_lost(42, 0.0, 1000), 0);
	assert_int_equal(count_lost(42, 1.0, 1000), 1000);
}

static void test_duplicate(void **state)
{
	struct fx *f = fx_new(3, 0);
	struct memlink_path p = {.delay = 50, .duplicate = 1.0};
	memlink_set_path(f->net, 0, 1, &p);
	send_pkt(f->net, 0, 1, 30, 9);
	memlink_run_until(f->net, 1000);
	assert_int_equal(f->log.n, 2);
	assert_int_equal(f->log.v[0].t, 50);
	assert_int_equal(f->log.v[1].t, 51);
	assert_memory_equal(f->log.v[0].data, f->log.v[1].data, PKT_MAX);
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.sent, 1);
	assert_int_equal(s.duplicated, 1);
	assert_int_equal(s.delivered, 2);
	fx_free(f);
}

static void test_corrupt_one_bit(void **state)
{
	struct fx *f = fx_new(4, 0);
	struct memlink_path p = {.corrupt = 1.0};
	memlink_set_path(f->net, 0, 1, &p);
	unsigned char orig[PKT_MAX];
	size_t len = make_pkt(orig, 48, 0, 1, 77);
	int flipped_header = 0, flipped_payload = 0;
	for (int i = 0; i < 200; i++)
		memlink_inject(f->net, 0, orig, len);
	memlink_run_until(f->net, 1);
	assert_int_equal(f->log.n, 200);
	for (size_t i = 0; i < f->log.n; i++) {
		/* Routed before the flip: even a flipped address arrives at 1. */
		assert_int_equal(f->log.v[i].host, 1);
		int bits = 0;
		size_t at = 0;
		for (size_t k = 0; k < len; k++) {
			int d = __builtin_popcount((unsigned)(orig[k] ^ f->log.v[i].data[k]));
			if (d)
				at = k;
			bits += d;
		}
		assert_int_equal(bits, 1);
		if (at < 20)
			flipped_header = 1;
		else
			flipped_payload = 1;
	}
	assert_true(flipped_header && flipped_payload);
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.corrupted, 200);
	fx_free(f);
}

static void test_reorder(void **state)
{
	struct fx *f = fx_new(5, 0);
	struct memlink_path held = {.delay = 500, .reorder = 1.0};
	struct memlink_path plain = {.delay = 500};
	memlink_set_path(f->net, 0, 1, &held);
	send_pkt(f->net, 0, 1, 24, 1);   /* held back by delay + 1 ms */
	memlink_set_path(f->net, 0, 1, &plain);
	send_pkt(f->net, 0, 1, 24, 2);
	held.reorder_delay = 3000;
	memlink_set_path(f->net, 0, 1, &held);
	send_pkt(f->net, 0, 1, 24, 3);   /* held back by 3 ms */
	memlink_run_until(f->net, SYNACK_SEC(1));
	assert_int_equal(f->log.n, 3);
	assert_int_equal(pkt_id(&f->log.v[0]), 2);
	assert_int_equal(f->log.v[0].t, 500);
	assert_int_equal(pkt_id(&f->log.v[1]), 1);
	assert_int_equal(f->log.v[1].t, 500 + 500 + 1000);
	assert_int_equal(pkt_id(&f->log.v[2]), 3);
	assert_int_equal(f->log.v[2].t, 500 + 3000);
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.reordered, 2);
	fx_free(f);
}

static void test_queue_limit(void **state)
{
	struct fx *f = fx_new(6, 0);
	/* 50 bytes take 400 us; at most 120 bytes may wait. */
	struct memlink_path p = {.rate_bps = 1000000, .queue_limit = 120};
	memlink_set_path(f->net, 0, 1, &p);
	for (uint32_t i = 0; i < 4; i++)
		send_pkt(f->net, 0, 1, 50, i);   /* 50, 100 fit; 150 does not */
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.lost, 2);

	/* At 400 the first has left: room for one more, behind the second. */
	memlink_run_until(f->net, 400);
	send_pkt(f->net, 0, 1, 50, 4);
	send_pkt(f->net, 0, 1, 50, 5);
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.lost, 3);
	memlink_run_until(f->net, 10000);
	assert_int_equal(f->log.n, 3);
	assert_int_equal(pkt_id(&f->log.v[0]), 0);
	assert_int_equal(f->log.v[0].t, 400);
	assert_int_equal(pkt_id(&f->log.v[1]), 1);
	assert_int_equal(f->log.v[1].t, 800);
	assert_int_equal(pkt_id(&f->log.v[2]), 4);
	assert_int_equal(f->log.v[2].t, 1200);
	fx_free(f);
}

/* ---- Replay from a seed ------------------------------------------------- */

static void run_scenario(uint64_t seed, struct log *out)
{
	struct fx *f = fx_new(seed, 0);
	struct memlink_path p = {
		.delay = 1000, .rate_bps = 10000000, .queue_limit = 2000, .loss = 0.1,
		.reorder = 0.1, .duplicate = 0.1, .corrupt = 0.1,
	};
	memlink_set_path(f->net, -1, -1, &p);
	f->sink[1].echo = 1;
	for (uint32_t i = 0; i < 300; i++) {
		send_pkt(f->net, (int)(i % NHOSTS), (int)((i + 1) % NHOSTS), 24 + i % 40, i);
		memlink_run_until(f->net, memlink_now(f->net) + 37 * (i % 5));
	}
	memlink_run_until(f->net, SYNACK_SEC(10));
	*out = f->log;
	f->log = (struct log){0};
	fx_free(f);
}

static void test_seed_replays(void **state)
{
	struct log a, b, c;
	run_scenario(1234, &a);
	run_scenario(1234, &b);
	run_scenario(1235, &c);
	assert_true(a.n > 200);
	assert_true(log_equal(&a, &b));
	assert_false(log_equal(&a, &c));
	free(a.v);
	free(b.v);
	free(c.v);
}

/* ---- Bookkeeping -------------------------------------------------------- */

struct tapcount {
	unsigned n[4];
	int last_to;
};

static void on_tap(void *ctx, synack_time_t now, enum memlink_fate fate, int from, int to,
		   const void *pkt, size_t len)
{
	struct tapcount *tc = ctx;
	tc->n[fate]++;
	tc->last_to = to;
}

static void test_no_route(void **state)
{
	struct fx *f = fx_new(7, 0);
	struct tapcount tc = {{0}, 0};
	memlink_set_tap(f->net, on_tap, &tc);
	unsigned char buf[PKT_MAX];
	make_pkt(buf, 24, 0, 1, 1);
	buf[19] = 99; /* 10.0.0.99: nobody */
	memlink_inject(f->net, 0, buf, 24);
	assert_int_equal(tc.last_to, -1);
	make_pkt(buf, 24, 0, 1, 2);
	memlink_inject(f->net, 0, buf, 19); /* too short to carry an address */
	memlink_run_until(f->net, 1000);
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.sent, 2);
	assert_int_equal(s.no_route, 2);
	assert_int_equal(s.delivered, 0);
	assert_int_equal(tc.n[MEMLINK_SENT], 2);
	assert_int_equal(tc.n[MEMLINK_NO_ROUTE], 2);
	assert_int_equal(f->log.n, 0);
	fx_free(f);
}

static void test_stats_and_tap(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct tapcount tc = {{0}, 0};
	memlink_set_tap(f->net, on_tap, &tc);
	struct memlink_path lossy = {.loss = 1.0};
	memlink_set_path(f->net, 0, 2, &lossy);
	send_pkt(f->net, 0, 1, 24, 1);
	send_pkt(f->net, 0, 2, 24, 2);
	send_pkt(f->net, 1, 2, 24, 3);
	memlink_run_until(f->net, 1000);
	struct memlink_stats s;
	memlink_get_stats(f->net, &s);
	assert_int_equal(s.sent, 3);
	assert_int_equal(s.delivered, 2);
	assert_int_equal(s.lost, 1);
	assert_int_equal(s.no_route + s.duplicated + s.corrupted + s.reordered, 0);
	assert_int_equal(tc.n[MEMLINK_SENT], 3);
	assert_int_equal(tc.n[MEMLINK_DELIVERED], 2);
	assert_int_equal(tc.n[MEMLINK_LOST], 1);
	fx_free(f);
}

/* -1 covers hosts added later; among covering settings the newest wins. */
static void test_wildcard_paths(void **state)
{
	struct fx *f = fx_new(9, 0);
	struct memlink_path d100 = {.delay = 100}, d200 = {.delay = 200}, d300 = {.delay = 300};
	memlink_set_path(f->net, 0, 1, &d300);
	memlink_set_path(f->net, -1, -1, &d100);  /* overrides 0 -> 1 too */
	memlink_set_path(f->net, -1, 2, &d200);   /* newer, into host 2 */
	struct in_addr a = {htonl(0x0a000004u)};
	int h3 = memlink_host_add(f->net, a);
	assert_int_equal(h3, 3);
	struct sink s3 = {&f->log, f->net, 3, 0};
	memlink_host_attach_fn(f->net, h3, on_deliver, &s3);

	send_pkt(f->net, 0, 1, 24, 1);
	send_pkt(f->net, 0, 2, 24, 2);
	send_pkt(f->net, 0, 3, 24, 3);
	memlink_run_until(f->net, 1000);
	assert_int_equal(f->log.n, 3);
	assert_int_equal(pkt_id(&f->log.v[0]), 1);
	assert_int_equal(f->log.v[0].t, 100);
	assert_int_equal(pkt_id(&f->log.v[1]), 3);
	assert_int_equal(f->log.v[1].t, 100);
	assert_int_equal(pkt_id(&f->log.v[2]), 2);
	assert_int_equal(f->log.v[2].t, 200);
	fx_free(f);
}

static void test_host_add(void **state)
{
	struct memlink *net = memlink_new(1, 0);
	struct in_addr a = {htonl(0x0a000001u)};
	assert_int_equal(memlink_host_add(net, a), 0);
	assert_int_equal(memlink_host_add(net, a), -1);
	assert_null(memlink_host_stack(net, 0));
	assert_null(memlink_host_stack(net, 5));
	struct synack_env env = memlink_host_env(net, 0);
	assert_non_null(env.send);
	assert_non_null(env.ctx);
	assert_null(env.trace);
	memlink_free(net);

	/* Many hosts: the tables grow; the last one is still reachable. */
	struct log log = {0};
	net = memlink_new(1, 0);
	enum { MANY = 1000 };
	struct sink *sinks = calloc(MANY, sizeof(*sinks));
	assert_non_null(sinks);
	for (int i = 0; i < MANY; i++) {
		struct in_addr b = {htonl(0x0a010000u + (uint32_t)i)};
		assert_int_equal(memlink_host_add(net, b), i);
		sinks[i] = (struct sink){&log, net, i, 0};
		memlink_host_attach_fn(net, i, on_deliver, &sinks[i]);
	}
	unsigned char buf[PKT_MAX];
	make_pkt(buf, 24, 0, 0, 1);
	uint32_t dst = htonl(0x0a010000u + MANY - 1);
	memcpy(buf + 16, &dst, 4);
	memlink_inject(net, 0, buf, 24);
	memlink_run_until(net, 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.v[0].host, MANY - 1);
	memlink_free(net);
	free(sinks);
	free(log.v);
}

/* A host that answers from its callback: the answer is queued, not sent
 * re-entrantly, and run_while stops as soon as the goal is met. */
struct goal {
	struct log *log;
	size_t want;
};

static bool enough(void *ctx)
{
	struct goal *g = ctx;
	return g->log->n >= g->want;
}

static void test_echo_and_run_while(void **state)
{
	struct fx *f = fx_new(10, 0);
	struct memlink_path p = {.delay = 250};
	memlink_set_path(f->net, -1, -1, &p);
	f->sink[1].echo = 1;
	send_pkt(f->net, 0, 1, 24, 1);
	struct goal g = {&f->log, 2};
	assert_true(memlink_run_while(f->net, enough, &g, SYNACK_SEC(1)));
	assert_int_equal(memlink_now(f->net), 500);
	assert_int_equal(f->log.v[0].host, 1);
	assert_int_equal(f->log.v[1].host, 0);
	assert_int_equal(f->log.v[1].t, 500);

	g.want = 3; /* never comes: host 0 does not echo */
	assert_false(memlink_run_while(f->net, enough, &g, SYNACK_SEC(1)));
	assert_int_equal(memlink_now(f->net), SYNACK_SEC(1));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_by_address),
		cmocka_unit_test(test_delay_exact),
		cmocka_unit_test(test_rate_limit_serialization),
		cmocka_unit_test(test_fifo_equal_times),
		cmocka_unit_test(test_run_until_idle),
		cmocka_unit_test(test_loss_rate),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_corrupt_one_bit),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_seed_replays),
		cmocka_unit_test(test_no_route),
		cmocka_unit_test(test_stats_and_tap),
		cmocka_unit_test(test_wildcard_paths),
		cmocka_unit_test(test_host_add),
		cmocka_unit_test(test_echo_and_run_while),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
