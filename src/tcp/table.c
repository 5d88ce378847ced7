/* Connection, listener and bind tables of one stack. */
#include <errno.h>
#include <stdlib.h>

#include "core/siphash.h"
#include "tcp/tcp.h"

#define CONN_MIN_SIZE 64

int tcp_table_init(struct tcp_table *t)
{
	t->conn = calloc(CONN_MIN_SIZE, sizeof(*t->conn));
	if (!t->conn)
		return -1;
	t->conn_size = CONN_MIN_SIZE;
	return 0;
}

void tcp_table_free(struct synack_stack *st)
{
	while (st->tcp.all)
		tcp_sock_free(st->tcp.all);
	free(st->tcp.conn);
	st->tcp.conn = NULL;
}

static uint32_t conn_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport)
{
	uint32_t key[3] = {laddr, raddr, (uint32_t)lport << 16 | rport};
	return (uint32_t)siphash24(&st->conn_key, key, sizeof(key));
}

static uint32_t tp_hash(const struct synack_stack *st, const struct tcp_sock *tp)
{
	return conn_hash(st, tp->laddr, tp->lport, tp->raddr, tp->rport);
}

/* Double the table when chains would average more than one entry. */
static void conn_grow(struct synack_stack *st)
{
	struct tcp_table *t = &st->tcp;
	uint32_t nsize = t->conn_size * 2;
	struct tcp_sock **n = calloc(nsize, sizeof(*n));
	if (!n)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i < t->conn_size; i++) {
		struct tcp_sock *tp = t->conn[i];
		while (tp) {
			struct tcp_sock *next = tp->hnext;
			uint32_t h = tp_hash(st, tp) & (nsize - 1);
			tp->hnext = n[h];
			n[h] = tp;
			tp = next;
		}
	}
	free(t->conn);
	t->conn = n;
	t->conn_size = nsize;
}

void tcp_hash_add(struct synack_stack *st, struct tcp_sock *tp)
{
	struct tcp_table *t = &st->tcp;
	if (tp->hashed)
		return;
	if (t->conn_count >= t->conn_size)
		conn_grow(st);
	uint32_t h = tp_hash(st, tp) & (t->conn_size - 1);
	tp->hnext = t->conn[h];
	t->conn[h] = tp;
	tp->hashed = true;
	t->conn_count++;
}

void tcp_hash_del(struct synack_stack *st, struct tcp_sock *tp)
{
	struct tcp_table *t = &st->tcp;
	if (!tp->hashed)
		return;
	uint32_t h = tp_hash(st, tp) & (t->conn_size - 1);
	for (struct tcp_sock **pp = &t->conn[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == tp) {
			*pp = tp->hnext;
			break;
		}
	}
	tp->hnext = NULL;
	tp->hashed = false;
	t->conn_count--;
}

struct tcp_sock *tcp_lookup_conn(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				 uint32_t raddr, uint16_t rport)
{
	struct tcp_table *t = &st->tcp;
	uint32_t h = conn_hash(st, laddr, lport, raddr, rport) & (t->conn_size - 1);
	for (struct tcp_sock *tp = t->conn[h]; tp; tp = tp->hnext)
		if (tp->lport == lport && tp->rport == rport && tp->laddr == laddr &&
		    tp->raddr == raddr)
			return tp;
	return NULL;
}

static struct tcp_sock **bind_chain(struct synack_stack *st, uint16_t port)
{
	return &st->tcp.bind[port % TCP_BIND_BUCKETS];
}

struct tcp_sock *tcp_lookup_listener(struct synack_stack *st, uint32_t laddr, uint16_t lport)
{
	struct tcp_sock *wild = NULL;
	for (struct tcp_sock *tp = *bind_chain(st, lport); tp; tp = tp->bnext) {
		if (tp->state != SYNACK_LISTEN || tp->lport != lport)
			continue;
		if (tp->laddr == laddr)
			return tp; /* a specific address beats the wildcard */
		if (tp->laddr == INADDR_ANY)
			wild = tp;
	}
	return wild;
}

void tcp_bind_add(struct synack_stack *st, struct tcp_sock *tp)
{
	if (tp->bound)
		return;
	struct tcp_sock **chain = bind_chain(st, tp->lport);
	tp->bnext = *chain;
	*chain = tp;
	tp->bound = true;
}

void tcp_bind_del(struct synack_stack *st, struct tcp_sock *tp)
{
	if (!tp->bound)
		return;
	for (struct tcp_sock **pp = bind_chain(st, tp->lport); *pp; pp = &(*pp)->bnext) {
		if (*pp == tp) {
			*pp = tp->bnext;
			break;
		}
	}
	tp->bnext = NULL;
	tp->bound = false;
}

/* Linux's rule (LINUX-SEMANTICS 6): two sockets on one port clash when
 * their addresses overlap, unless both set SO_REUSEADDR and the old one
 * is not listening, or both set SO_REUSEPORT. */
int tcp_bind_conflict(struct synack_stack *st, const struct tcp_sock *tp, uint32_t addr,
		      uint16_t port)
{
	for (struct tcp_sock *o = *bind_chain(st, port); o; o = o->bnext) {
		if (o == tp || o->lport != port)
			continue;
		if (o->laddr != addr && o->laddr != INADDR_ANY && addr != INADDR_ANY)
			continue;
		if (tp->sk.reuseaddr && o->sk.reuseaddr && o->state != SYNACK_LISTEN)
			continue;
		if (tp->sk.reuseport && o->sk.reuseport)
			continue;
		return 1;
	}
	return 0;
}

static uint32_t port_range(const struct synack_stack *st, uint32_t *low)
{
	*low = (uint32_t)st->cfg.ip_local_port_range[0];
	return (uint32_t)st->cfg.ip_local_port_range[1] - *low + 1;
}

/* Is port free for a connection from tp to raddr:rport? The 4-tuple must
 * be unused, and no listener or bind-only socket may hold the port. */
static bool ephemeral_ok(struct synack_stack *st, const struct tcp_sock *tp, uint16_t port,
			 uint32_t raddr, uint16_t rport)
{
	if (tcp_lookup_conn(st, tp->laddr, port, raddr, rport))
		return false;
	for (struct tcp_sock *o = *bind_chain(st, port); o; o = o->bnext)
		if (o->lport == port && (o->state == SYNACK_LISTEN || o->state == SYNACK_CLOSE))
			return false;
	return true;
}

/*
 * connect(): RFC 6056 algorithm 4 as Linux runs it (__inet_hash_connect).
 * A keyed hash of the addresses and destination port picks a start and a
 * perturbation slot; the slot advances past each port handed out, so the
 * next connect to the same place starts after the last one instead of
 * walking over every port in use. Even ports first (Linux 4.6+).
 */
int tcp_pick_ephemeral(struct synack_stack *st, struct tcp_sock *tp, uint32_t raddr, uint16_t rport)
{
	uint32_t low, n = port_range(st, &low);
	uint32_t key[3] = {tp->laddr, raddr, rport};
	uint64_t h = siphash24(&st->port_key, key, sizeof(key));
	uint16_t *perturb = &st->tcp.perturb[(h >> 32) % TCP_PERTURB_SLOTS];
	uint32_t offset = (uint32_t)h + *perturb;
	for (int parity = 0; parity < 2; parity++) {
		for (uint32_t i = 0; i < n; i++) {
			uint16_t port = (uint16_t)(low + (offset + i) % n);
			if ((port & 1) != parity || !ephemeral_ok(st, tp, port, raddr, rport))
				continue;
			/* Linux: step past this port plus a little randomness. */
			*perturb = (uint16_t)(*perturb + i + 2 + (rng_next(&st->rng) & 1) * 2);
			return port;
		}
	}
	errno = EADDRNOTAVAIL;
	return -1;
}

/* bind(port 0): odd ports first (Linux 4.6+), the first without a clash. */
int tcp_pick_bind_port(struct synack_stack *st, struct tcp_sock *tp, uint32_t addr)
{
	uint32_t low, n = port_range(st, &low);
	uint32_t start = rng_below(&st->rng, n);
	for (int parity = 1; parity >= 0; parity--) {
		for (uint32_t i = 0; i < n; i++) {
			uint16_t port = (uint16_t)(low + (start + i) % n);
			if ((port & 1) != parity)
				continue;
			if (*bind_chain(st, port) == NULL || !tcp_bind_conflict(st, tp, addr, port))
				return port;
		}
	}
	errno = EADDRINUSE;
	return -1;
}
