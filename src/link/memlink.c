/*
 * memlink: hosts joined by an in-memory network on virtual time.
 *
 * A packet sent by a host is routed by its IPv4 destination, shaped by the
 * (from, to) path and queued as an event; memlink_step() delivers events
 * and runs the stacks' timers in time order. Stacks never call each other
 * directly: a send only enqueues, so no stack is re-entered.
 *
 * Path settings: memlink_set_path() records each call with a generation
 * number at one of four levels (all paths, all from one host, all to one
 * host, one pair). A path uses the newest call that covers it, so "-1"
 * settings also apply to hosts added later, and no n*n matrix is kept.
 */
#include <synack/memlink.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "link/memlink_queue.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

/* One memlink_set_path() call (gen 0: never set). */
struct ml_rule {
	uint64_t gen;
	struct memlink_path p;
};

/* A departure still counted against a rate-limited path's queue. */
struct ml_dep {
	synack_time_t at;
	size_t len;
};

/* A (from, to) pair that was set on its own or carries rate-limit state. */
struct ml_pair {
	struct ml_rule rule;
	synack_time_t busy_until;   /* the link is serializing until then */
	size_t queued;              /* bytes accepted but not yet departed */
	struct ml_dep *dep;         /* ring, oldest first */
	size_t dep_head, dep_len, dep_cap;
};

struct ml_host {
	struct memlink *net;        /* the env ctx is this record */
	int id;
	int routable;               /* 0 once its address was withdrawn */
	struct in_addr addr;
	struct synack_stack *st;
	memlink_deliver_fn fn;
	void *fn_ctx;
	void (*trace)(void *, const struct synack_trace *);
	void *trace_ctx;
	struct ml_rule out, in;     /* set_path(id, -1) and set_path(-1, id) */
};

struct memlink {
	struct rng rng;             /* every random choice, in a fixed order */
	synack_time_t now;
	uint64_t seq;               /* insertion order of events */
	uint64_t gen;               /* last set_path generation */
	struct ml_host **hosts;     /* records stay put: env.ctx points at them */
	size_t nhosts, cap_hosts;
	struct ml_map by_addr;      /* s_addr -> host id */
	struct ml_rule all;
	struct ml_pair *pairs;
	size_t npairs, cap_pairs;
	struct ml_map by_pair;      /* from << 32 | to -> index in pairs */
	struct ml_heap events;
	memlink_tap_fn tap;
	void *tap_ctx;
	struct memlink_stats stats;
};

static int valid_host(const struct memlink *net, int host)
{
	return host >= 0 && (size_t)host < net->nhosts;
}

static void tap(struct memlink *net, enum memlink_fate fate, int from, int to, const void *pkt,
		size_t len)
{
	if (net->tap)
		net->tap(net->tap_ctx, net->now, fate, from, to, pkt, len);
}

/* ---- Paths -------------------------------------------------------------- */

static uint64_t pair_key(int from, int to)
{
	return (uint64_t)(uint32_t)from << 32 | (uint32_t)to;
}

static struct ml_pair *pair_find(struct memlink *net, int from, int to)
{
	uint32_t i = ml_map_get(&net->by_pair, pair_key(from, to));
	return i == ML_MAP_NONE ? NULL : &net->pairs[i];
}

/* The pair's record, created if needed; NULL with ENOMEM. The pointer is
 * valid until the next pair is created. */
static struct ml_pair *pair_get(struct memlink *net, int from, int to)
{
	struct ml_pair *pr = pair_find(net, from, to);
	if (pr)
		return pr;
	if (net->npairs >= ML_MAP_NONE) {
		errno = ENOMEM;
		return NULL;
	}
	if (net->npairs == net->cap_pairs) {
		size_t cap = net->cap_pairs ? net->cap_pairs * 2 : 16;
		struct ml_pair *v = realloc(net->pairs, cap * sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return NULL;
		}
		net->pairs = v;
		net->cap_pairs = cap;
	}
	if (ml_map_put(&net->by_pair, pair_key(from, to), (uint32_t)net->npairs) < 0)
		return NULL;
	pr = &net->pairs[net->npairs++];
	memset(pr, 0, sizeof(*pr));
	return pr;
}

/* The settings in force on from -> to: the newest call covering it. */
static struct memlink_path path_params(struct memlink *net, int from, int to)
{
	const struct ml_rule *best = &net->all;
	const struct ml_rule *out = &net->hosts[from]->out, *in = &net->hosts[to]->in;
	const struct ml_pair *pr = pair_find(net, from, to);
	if (out->gen > best->gen)
		best = out;
	if (in->gen > best->gen)
		best = in;
	if (pr && pr->rule.gen > best->gen)
		best = &pr->rule;
	return best->p;
}

/* Forget departures that are over by now. */
static void pair_expire(struct ml_pair *pr, synack_time_t now)
{
	while (pr->dep_len && pr->dep[pr->dep_head].at <= now) {
		pr->queued -= pr->dep[pr->dep_head].len;
		pr->dep_head = (pr->dep_head + 1) % pr->dep_cap;
		pr->dep_len--;
	}
}

static int pair_push_dep(struct ml_pair *pr, synack_time_t at, size_t len)
{
	if (pr->dep_len == pr->dep_cap) {
		size_t cap = pr->dep_cap ? pr->dep_cap * 2 : 16;
		struct ml_dep *v = malloc(cap * sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		/* Unroll the ring so the oldest entry is first again. */
		for (size_t i = 0; i < pr->dep_len; i++)
			v[i] = pr->dep[(pr->dep_head + i) % pr->dep_cap];
		free(pr->dep);
		pr->dep = v;
		pr->dep_cap = cap;
		pr->dep_head = 0;
	}
	pr->dep[(pr->dep_head + pr->dep_len) % pr->dep_cap] = (struct ml_dep){at, len};
	pr->dep_len++;
	pr->queued += len;
	if (at > pr->busy_until)
		pr->busy_until = at;
	return 0;
}

void memlink_set_path(struct memlink *net, int from, int to, const struct memlink_path *path)
{
	if (!path || (from != -1 && !valid_host(net, from)) || (to != -1 && !valid_host(net, to))) {
		errno = EINVAL;
		return;
	}
	struct ml_rule *r;
	if (from < 0 && to < 0) {
		r = &net->all;
	} else if (to < 0) {
		r = &net->hosts[from]->out;
	} else if (from < 0) {
		r = &net->hosts[to]->in;
	} else {
		struct ml_pair *pr = pair_get(net, from, to);
		if (!pr)
			return;
		r = &pr->rule;
	}
	r->gen = ++net->gen;
	r->p = *path;
}

/* ---- Sending ------------------------------------------------------------ */

/* The host with the packet's IPv4 destination, -1 if none. */
static int route(const struct memlink *net, const unsigned char *pkt, size_t len)
{
	if (len < 20)
		return -1;
	uint32_t dst;
	memcpy(&dst, pkt + 16, 4); /* network order, as in_addr.s_addr */
	uint32_t id = ml_map_get(&net->by_addr, dst);
	return id == ML_MAP_NONE ? -1 : (int)id;
}

static struct ml_pkt *pkt_new(int from, int to, const void *data, size_t len)
{
	struct ml_pkt *p = malloc(sizeof(*p) + len);
	if (!p)
		return NULL;
	p->from = from;
	p->to = to;
	p->len = len;
	memcpy(p->data, data, len);
	return p;
}

/* Queue p for arrival at time at; the packet is dropped if memory fails. */
static void schedule(struct memlink *net, struct ml_pkt *p, synack_time_t at)
{
	p->time = at;
	p->seq = net->seq++;
	if (ml_heap_push(&net->events, p) < 0) {
		net->stats.lost++;
		tap(net, MEMLINK_LOST, p->from, p->to, p->data, p->len);
		free(p);
	}
}

/* A draw happens only when the probability is positive, so paths without
 * faults consume no randomness. */
static int chance(struct memlink *net, double p)
{
	return p > 0 && rng_unit(&net->rng) < p;
}

static void lose(struct memlink *net, int from, int to, const void *pkt, size_t len)
{
	net->stats.lost++;
	tap(net, MEMLINK_LOST, from, to, pkt, len);
}

/* An IPv4 packet whose ECN field (RFC 3168 5) is ECT(0), ECT(1) or CE. */
static bool ecn_capable(const unsigned char *pkt, size_t len)
{
	return len >= 20 && (pkt[0] >> 4) == 4 && (pkt[1] & 0x3) != 0;
}

/* Mark CE and fix the header checksum (RFC 1624: recomputed whole). */
static void set_ce(struct memlink *net, unsigned char *pkt, size_t len)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	if (ihl < 20 || ihl > len || (pkt[1] & 0x3) == 0x3)
		return;
	pkt[1] |= 0x3;
	put16(pkt + 10, 0);
	put16(pkt + 10, csum_fold(csum_partial(pkt, ihl, 0)));
	net->stats.ce_marked++;
}

/*
 * One packet from host `from` enters the network. The order of steps, and
 * so of random draws, is fixed: loss, queue, corruption, reordering,
 * duplication.
 */
static void net_send(struct memlink *net, int from, const void *pkt, size_t len)
{
	int to = route(net, pkt, len);
	net->stats.sent++;
	tap(net, MEMLINK_SENT, from, to, pkt, len);
	if (to < 0) {
		net->stats.no_route++;
		tap(net, MEMLINK_NO_ROUTE, from, to, pkt, len);
		return;
	}
	struct memlink_path p = path_params(net, from, to);
	if (chance(net, p.loss)) {
		lose(net, from, to, pkt, len);
		return;
	}

	synack_time_t depart = net->now;
	struct ml_pair *pr = NULL;
	bool mark_ce = false;
	if (p.rate_bps) {
		pr = pair_get(net, from, to);
		if (!pr) {
			lose(net, from, to, pkt, len);
			return;
		}
		pair_expire(pr, net->now);
		if (p.queue_limit && pr->queued + len > p.queue_limit) {
			lose(net, from, to, pkt, len);
			return;
		}
		if (p.ecn_mark && pr->queued >= p.ecn_mark) {
			if (!ecn_capable(pkt, len)) {
				lose(net, from, to, pkt, len);
				return;
			}
			mark_ce = true;
		}
		synack_time_t start = pr->busy_until > net->now ? pr->busy_until : net->now;
		uint64_t bits = (uint64_t)len * 8u * 1000000u;
		depart = start + (bits + p.rate_bps - 1) / p.rate_bps;
	}

	struct ml_pkt *copy = pkt_new(from, to, pkt, len);
	if (!copy || (pr && pair_push_dep(pr, depart, len) < 0)) {
		free(copy);
		lose(net, from, to, pkt, len);
		return;
	}
	if (mark_ce)
		set_ce(net, copy->data, len);
	if (chance(net, p.corrupt)) {
		uint32_t bit = rng_below(&net->rng, (uint32_t)(len * 8));
		copy->data[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		net->stats.corrupted++;
	}
	synack_time_t arrive = depart + p.delay;
	if (chance(net, p.reorder)) {
		arrive += p.reorder_delay ? p.reorder_delay : p.delay + 1000;
		net->stats.reordered++;
	}
	int dup = chance(net, p.duplicate);
	struct ml_pkt *twin = dup ? pkt_new(from, to, copy->data, len) : NULL;
	schedule(net, copy, arrive);
	if (twin) {
		net->stats.duplicated++;
		schedule(net, twin, arrive + 1);
	}
}

void memlink_inject(struct memlink *net, int from, const void *pkt, size_t len)
{
	if (!valid_host(net, from) || (!pkt && len)) {
		errno = EINVAL;
		return;
	}
	net_send(net, from, pkt, len);
}

/* env.send of every host: ctx is the host record. */
static void env_send(void *ctx, const void *pkt, size_t len)
{
	struct ml_host *h = ctx;
	net_send(h->net, h->id, pkt, len);
}

/* env.trace: the env has one ctx (ours), so the user's is kept aside. */
static void env_trace(void *ctx, const struct synack_trace *ev)
{
	struct ml_host *h = ctx;
	if (h->trace)
		h->trace(h->trace_ctx, ev);
}

/* ---- Hosts -------------------------------------------------------------- */

struct memlink *memlink_new(uint64_t seed, synack_time_t start)
{
	struct memlink *net = calloc(1, sizeof(*net));
	if (!net)
		return NULL;
	rng_seed(&net->rng, seed);
	net->now = start;
	return net;
}

void memlink_free(struct memlink *net)
{
	if (!net)
		return;
	/* Stacks may send while closing; those packets are queued and freed
	 * below, and the tap (perhaps a closed pcap) no longer sees them. */
	net->tap = NULL;
	for (size_t i = 0; i < net->nhosts; i++) {
		struct synack_stack *st = net->hosts[i]->st;
		net->hosts[i]->st = NULL;
		if (st)
			synack_stack_free(st);
	}
	ml_heap_free(&net->events);
	for (size_t i = 0; i < net->nhosts; i++)
		free(net->hosts[i]);
	free(net->hosts);
	for (size_t i = 0; i < net->npairs; i++)
		free(net->pairs[i].dep);
	free(net->pairs);
	ml_map_free(&net->by_addr);
	ml_map_free(&net->by_pair);
	free(net);
}

int memlink_host_add(struct memlink *net, struct in_addr addr)
{
	if (ml_map_get(&net->by_addr, addr.s_addr) != ML_MAP_NONE) {
		errno = EEXIST;
		return -1;
	}
	if (net->nhosts >= INT_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (net->nhosts == net->cap_hosts) {
		size_t cap = net->cap_hosts ? net->cap_hosts * 2 : 8;
		struct ml_host **v = realloc(net->hosts, cap * sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		net->hosts = v;
		net->cap_hosts = cap;
	}
	struct ml_host *h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->net = net;
	h->id = (int)net->nhosts;
	h->routable = 1;
	h->addr = addr;
	if (ml_map_put(&net->by_addr, addr.s_addr, (uint32_t)h->id) < 0) {
		free(h);
		return -1;
	}
	net->hosts[net->nhosts++] = h;
	return h->id;
}

/* Withdraw a host's address (its stack could not be made); the id stays
 * taken, the address is free for another host. */
static void host_unroute(struct memlink *net, struct ml_host *h)
{
	h->routable = 0;
	/* Re-inserting fewer entries than before never grows the map. */
	ml_map_clear(&net->by_addr);
	for (size_t i = 0; i < net->nhosts; i++)
		if (net->hosts[i]->routable)
			ml_map_put(&net->by_addr, net->hosts[i]->addr.s_addr, (uint32_t)i);
}

struct synack_env memlink_host_env(struct memlink *net, int host)
{
	struct synack_env env = {0};
	if (!valid_host(net, host)) {
		errno = EINVAL;
		return env;
	}
	struct ml_host *h = net->hosts[host];
	env.ctx = h;
	env.send = env_send;
	env.trace = h->trace ? env_trace : NULL;
	return env;
}

/* Drop what the host had attached; memlink owns its stack. */
static void host_detach(struct ml_host *h)
{
	struct synack_stack *st = h->st;
	h->st = NULL;
	h->fn = NULL;
	h->fn_ctx = NULL;
	if (st)
		synack_stack_free(st);
}

void memlink_host_attach(struct memlink *net, int host, struct synack_stack *st)
{
	if (!valid_host(net, host)) {
		errno = EINVAL;
		return;
	}
	struct ml_host *h = net->hosts[host];
	if (h->st == st)
		return;
	host_detach(h);
	h->st = st;
}

void memlink_host_attach_fn(struct memlink *net, int host, memlink_deliver_fn fn, void *ctx)
{
	if (!valid_host(net, host)) {
		errno = EINVAL;
		return;
	}
	struct ml_host *h = net->hosts[host];
	host_detach(h);
	h->fn = fn;
	h->fn_ctx = ctx;
}

struct synack_stack *memlink_stack_add(struct memlink *net, const char *addr,
				       const struct synack_config *cfg,
				       void (*trace)(void *, const struct synack_trace *), void *ctx)
{
	struct in_addr a;
	if (!addr || inet_pton(AF_INET, addr, &a) != 1) {
		errno = EINVAL;
		return NULL;
	}
	int id = memlink_host_add(net, a);
	if (id < 0)
		return NULL;
	struct ml_host *h = net->hosts[id];
	h->trace = trace;
	h->trace_ctx = ctx;
	struct synack_params params = {
		.addr = a,
		.mtu = 1500,
		.seed = rng_next(&net->rng),
		.now = net->now,
		.env = memlink_host_env(net, id),
		.config = cfg,
	};
	struct synack_stack *st = synack_stack_new(&params);
	if (!st) {
		int err = errno;
		host_unroute(net, h);
		errno = err;
		return NULL;
	}
	h->st = st;
	return st;
}

struct synack_stack *memlink_host_stack(struct memlink *net, int host)
{
	return valid_host(net, host) ? net->hosts[host]->st : NULL;
}

void memlink_set_tap(struct memlink *net, memlink_tap_fn fn, void *ctx)
{
	net->tap = fn;
	net->tap_ctx = ctx;
}

/* ---- Time --------------------------------------------------------------- */

synack_time_t memlink_now(const struct memlink *net)
{
	return net->now;
}

void memlink_get_stats(const struct memlink *net, struct memlink_stats *out)
{
	*out = net->stats;
}

/* Run every stack's due timers at the current time; return the earliest
 * next deadline. Hosts may be added meanwhile, so nhosts is re-read. */
static synack_time_t poll_stacks(struct memlink *net)
{
	synack_time_t next = SYNACK_TIME_NEVER;
	for (size_t i = 0; i < net->nhosts; i++) {
		struct synack_stack *st = net->hosts[i]->st;
		if (!st)
			continue;
		synack_time_t d = synack_poll(st, net->now);
		if (d < next)
			next = d;
	}
	return next;
}

static void deliver(struct memlink *net, struct ml_pkt *p)
{
	struct ml_host *h = net->hosts[p->to];
	net->stats.delivered++;
	tap(net, MEMLINK_DELIVERED, p->from, p->to, p->data, p->len);
	/* A host with nothing attached swallows the packet. */
	if (h->st)
		synack_input(h->st, p->data, p->len, net->now);
	else if (h->fn)
		h->fn(h->fn_ctx, net->now, p->data, p->len);
}

bool memlink_step(struct memlink *net, synack_time_t limit)
{
	/* Deadlines are asked for afresh: socket calls between steps move them.
	 * Polling may send, so the heap is looked at afterwards. */
	synack_time_t t = poll_stacks(net);
	const struct ml_pkt *top = ml_heap_top(&net->events);
	if (top && top->time < t)
		t = top->time;
	if (t == SYNACK_TIME_NEVER || t > limit) {
		if (limit != SYNACK_TIME_NEVER && limit > net->now)
			net->now = limit;
		return false;
	}
	if (t > net->now)
		net->now = t;

	/* Packets that delivery itself causes at this same time go too. */
	struct ml_pkt *p;
	while ((top = ml_heap_top(&net->events)) && top->time <= net->now) {
		p = ml_heap_pop(&net->events);
		deliver(net, p);
		free(p);
	}
	poll_stacks(net);
	return true;
}

void memlink_run_until(struct memlink *net, synack_time_t t)
{
	while (memlink_step(net, t))
		;
	if (t != SYNACK_TIME_NEVER && t > net->now)
		net->now = t;
	/* Bring every stack's clock to t, so socket calls act at t. */
	poll_stacks(net);
}

bool memlink_run_while(struct memlink *net, bool (*done)(void *ctx), void *ctx, synack_time_t limit)
{
	for (;;) {
		if (done(ctx))
			return true;
		if (!memlink_step(net, limit))
			return done(ctx);
	}
}
