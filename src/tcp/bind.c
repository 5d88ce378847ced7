/*
 * Ports in use and listeners (Linux inet_hashtables.c, inet_connection_sock.c;
 * LINUX-SEMANTICS 6).
 *
 * A bind bucket per local port in use holds every socket on it: bound
 * only, listening, connecting, connected, children (which share their
 * listener's port), and timewait entries, as Linux's bucket owners do, so
 * bind() sees every clash Linux sees. Owners are doubly linked: 10,000
 * children leave a port in O(1) each. Listeners also sit in a table of
 * their own, so the lookup for each SYN walks listeners only, never the
 * children on the port.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/siphash.h"
#include "tcp/tcp.h"

struct tcp_bind_bucket {
	struct tcp_bind_bucket *next;  /* hash chain */
	struct tcp_sock *owners;
	struct tcp_tw *tw_owners;
	uint16_t port;
	bool by_connect;               /* made by connect()'s port choice (Linux fastreuse -1) */
};

static struct tcp_bind_bucket **bucket_slot(struct synack_stack *st, uint16_t port)
{
	return &st->tcp.bind[port % TCP_BIND_BUCKETS];
}

static struct tcp_bind_bucket *bucket_find(struct synack_stack *st, uint16_t port)
{
	for (struct tcp_bind_bucket *b = *bucket_slot(st, port); b; b = b->next)
		if (b->port == port)
			return b;
	return NULL;
}

static struct tcp_bind_bucket *bucket_get(struct synack_stack *st, uint16_t port, bool by_connect)
{
	struct tcp_bind_bucket *b = bucket_find(st, port);
	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->port = port;
	b->by_connect = by_connect;
	b->next = *bucket_slot(st, port);
	*bucket_slot(st, port) = b;
	return b;
}

/* The last owner left: the port is free again. */
static void bucket_put(struct synack_stack *st, struct tcp_bind_bucket *b)
{
	if (b->owners || b->tw_owners)
		return;
	for (struct tcp_bind_bucket **pp = bucket_slot(st, b->port); *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b);
}

static void owner_link(struct tcp_bind_bucket *b, struct tcp_sock *tp)
{
	tp->bnext = b->owners;
	if (tp->bnext)
		tp->bnext->bpprev = &tp->bnext;
	tp->bpprev = &b->owners;
	b->owners = tp;
	tp->bb = b;
	tp->bound = true;
}

static void bind_add(struct synack_stack *st, struct tcp_sock *tp, bool by_connect)
{
	if (tp->bb)
		return;
	struct tcp_bind_bucket *b = bucket_get(st, tp->lport, by_connect);
	if (b)
		owner_link(b, tp);
	else
		tp->bound = true; /* out of memory: the port is held, unseen by others */
}

void tcp_bind_add(struct synack_stack *st, struct tcp_sock *tp)
{
	bind_add(st, tp, false);
}

void tcp_bind_inherit(struct tcp_sock *child, const struct tcp_sock *lsn)
{
	child->bind_locked = lsn->bind_locked;
	if (lsn->bb && !child->bb)
		owner_link(lsn->bb, child);
}

void tcp_bind_del(struct synack_stack *st, struct tcp_sock *tp)
{
	tp->bound = false;
	struct tcp_bind_bucket *b = tp->bb;
	if (!b)
		return;
	*tp->bpprev = tp->bnext;
	if (tp->bnext)
		tp->bnext->bpprev = tp->bpprev;
	tp->bnext = NULL;
	tp->bpprev = NULL;
	tp->bb = NULL;
	bucket_put(st, b);
}

void tcp_bind_tw_take(struct tcp_tw *tw, struct tcp_sock *tp)
{
	struct tcp_bind_bucket *b = tp->bb;
	if (!b)
		return;
	tw->bnext = b->tw_owners;
	if (tw->bnext)
		tw->bnext->bpprev = &tw->bnext;
	tw->bpprev = &b->tw_owners;
	b->tw_owners = tw;
	tw->bb = b;
}

void tcp_bind_tw_del(struct synack_stack *st, struct tcp_tw *tw)
{
	struct tcp_bind_bucket *b = tw->bb;
	if (!b)
		return;
	*tw->bpprev = tw->bnext;
	if (tw->bnext)
		tw->bnext->bpprev = tw->bpprev;
	tw->bnext = NULL;
	tw->bpprev = NULL;
	tw->bb = NULL;
	bucket_put(st, b);
}

/*
 * Linux inet_csk_bind_conflict, for one other owner of the port. Owners
 * clash when their addresses overlap (equal, or either the wildcard).
 * Both with SO_REUSEADDR and the other not listening: no clash, except
 * when choosing a port for bind(0) (!relax), which wants a port of its
 * own. Otherwise a clash, unless both have SO_REUSEPORT and the other is
 * in TIME-WAIT or has the same user (one stack is one user: always).
 */
static bool owner_clashes(bool reuse, bool reuseport, uint32_t addr, bool relax,
			  uint32_t o_addr, bool o_reuse, bool o_reuseport, bool o_listen)
{
	if (o_addr != addr && o_addr != INADDR_ANY && addr != INADDR_ANY)
		return false;
	if (reuse && o_reuse && !o_listen)
		return !relax;
	if (relax && reuseport && o_reuseport)
		return false;
	return true;
}

bool tcp_bind_conflict(struct synack_stack *st, const struct tcp_sock *tp, uint32_t addr,
		       uint16_t port, bool relax)
{
	struct tcp_bind_bucket *b = bucket_find(st, port);
	if (!b)
		return false;
	bool reuse = tp->sk.reuseaddr, reuseport = tp->sk.reuseport;
	for (const struct tcp_sock *o = b->owners; o; o = o->bnext)
		if (o != tp && owner_clashes(reuse, reuseport, addr, relax, o->laddr, o->sk.reuseaddr,
					     o->sk.reuseport, o->state == SYNACK_LISTEN))
			return true;
	for (const struct tcp_tw *w = b->tw_owners; w; w = w->bnext)
		if (owner_clashes(reuse, reuseport, addr, relax, w->laddr, w->reuseaddr,
				  w->reuseport, false))
			return true;
	return false;
}

/* ---- Listeners ------------------------------------------------------------ */

static struct tcp_sock **listen_slot(struct synack_stack *st, uint16_t port)
{
	return &st->tcp.listen[port % TCP_LISTEN_BUCKETS];
}

/* Appended, so a SO_REUSEPORT group keeps the order its members joined
 * in (Linux's socks[] array), which the hash indexes. */
void tcp_listen_hash(struct synack_stack *st, struct tcp_sock *tp)
{
	if (tp->listen_hashed)
		return;
	struct tcp_sock **pp = listen_slot(st, tp->lport);
	while (*pp)
		pp = &(*pp)->lnext;
	tp->lnext = NULL;
	*pp = tp;
	tp->listen_hashed = true;
}

void tcp_listen_unhash(struct synack_stack *st, struct tcp_sock *tp)
{
	if (!tp->listen_hashed)
		return;
	for (struct tcp_sock **pp = listen_slot(st, tp->lport); *pp; pp = &(*pp)->lnext)
		if (*pp == tp) {
			*pp = tp->lnext;
			break;
		}
	tp->lnext = NULL;
	tp->listen_hashed = false;
}

/*
 * Linux __inet_lookup_listener: the listener bound to laddr beats one on
 * the wildcard. If the best is in a SO_REUSEPORT group (same port and
 * address, all with SO_REUSEPORT), the 4-tuple's hash picks the member,
 * scaled onto the group as Linux's reciprocal_scale does.
 */
struct tcp_sock *tcp_lookup_listener4(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				      uint32_t raddr, uint16_t rport)
{
	struct tcp_sock *best = NULL;
	for (struct tcp_sock *tp = *listen_slot(st, lport); tp; tp = tp->lnext) {
		if (tp->lport != lport || (tp->laddr != laddr && tp->laddr != INADDR_ANY))
			continue;
		if (!best || (tp->laddr == laddr && best->laddr == INADDR_ANY))
			best = tp;
	}
	if (!best || !best->sk.reuseport)
		return best;
	uint32_t n = 0;
	for (struct tcp_sock *tp = best; tp; tp = tp->lnext)
		n += tp->lport == lport && tp->laddr == best->laddr && tp->sk.reuseport;
	uint32_t h = tcp_tuple_hash(st, laddr, lport, raddr, rport);
	uint32_t pick = (uint32_t)(((uint64_t)h * n) >> 32);
	for (struct tcp_sock *tp = best; tp; tp = tp->lnext) {
		if (tp->lport != lport || tp->laddr != best->laddr || !tp->sk.reuseport)
			continue;
		if (pick-- == 0)
			return tp;
	}
	return best;
}

struct tcp_sock *tcp_lookup_listener(struct synack_stack *st, uint32_t laddr, uint16_t lport)
{
	return tcp_lookup_listener4(st, laddr, lport, 0, 0);
}

/* ---- Choosing ports ------------------------------------------------------- */

static uint32_t port_range(const struct synack_stack *st, uint32_t *low)
{
	*low = (uint32_t)st->cfg.ip_local_port_range[0];
	return (uint32_t)st->cfg.ip_local_port_range[1] - *low + 1;
}

/*
 * Linux __inet_check_established: the 4-tuple from tp's address and port
 * is free, or held by a timewait entry that tcp_tw_unique lets us take
 * over (TWRecycled; the new ISN continues past the old sequence space).
 */
static bool tuple_free(struct synack_stack *st, struct tcp_sock *tp, uint16_t port,
		       uint32_t raddr, uint16_t rport, bool chosen, uint32_t *isn)
{
	if (tcp_lookup_conn(st, tp->laddr, port, raddr, rport))
		return false;
	if (tcp_req_lookup(st, tp->laddr, port, raddr, rport))
		return false;
	struct tcp_tw *tw = tcp_tw_lookup(st, tp->laddr, port, raddr, rport);
	if (!tw)
		return true;
	if (!tcp_tw_unique(tw, chosen, isn))
		return false;
	/* Linux tcp_twsk_unique: the new connection inherits the entry's
	 * ts_recent, which its SYN echoes as TSecr. */
	tp->rx_opt.ts_recent = tw->ts_recent;
	tp->ts_recent_stamp = (synack_time_t)tw->ts_recent_stamp * 1000000;
	MIB_INC(st, TW_RECYCLED);
	tcp_tw_kill(tw);
	return true;
}

/*
 * connect(): RFC 6056 algorithm 4 as Linux runs it (__inet_hash_connect).
 * A keyed hash of the addresses and destination port picks a start and a
 * perturbation slot; the slot advances past each port handed out, so the
 * next connect to the same place starts after the last one instead of
 * walking over every port in use. Even ports first (Linux 4.6+). A port
 * someone bound with bind() or listen() is skipped; one that connect()
 * took may be shared if the 4-tuple differs.
 */
int tcp_pick_ephemeral(struct synack_stack *st, struct tcp_sock *tp, uint32_t raddr, uint16_t rport,
		       uint32_t *isn)
{
	uint32_t low, n = port_range(st, &low);
	uint32_t key[3] = {tp->laddr, raddr, rport};
	uint64_t h = siphash24(&st->port_key, key, sizeof(key));
	uint16_t *perturb = &st->tcp.perturb[(h >> 32) % TCP_PERTURB_SLOTS];
	uint32_t offset = (uint32_t)h + *perturb;
	*isn = 0;
	for (int parity = 0; parity < 2; parity++) {
		for (uint32_t i = 0; i < n; i++) {
			uint16_t port = (uint16_t)(low + (offset + i) % n);
			if ((port & 1) != parity)
				continue;
			struct tcp_bind_bucket *b = bucket_find(st, port);
			if (b && !b->by_connect)
				continue;
			if (b && !tuple_free(st, tp, port, raddr, rport, true, isn))
				continue;
			/* Linux: step past this port plus a little randomness. */
			*perturb = (uint16_t)(*perturb + i + 2 + (rng_next(&st->rng) & 1) * 2);
			tp->lport = port;
			bind_add(st, tp, true);
			return port;
		}
	}
	errno = EADDRNOTAVAIL;
	return -1;
}

/* Linux __inet_hash_connect with a port already bound: alone on it, the
 * socket needs no check; otherwise the 4-tuple must be free. */
bool tcp_connect_tuple_free(struct synack_stack *st, struct tcp_sock *tp, uint32_t raddr,
			    uint16_t rport, uint32_t *isn)
{
	*isn = 0;
	if (tp->bb && tp->bb->owners == tp && !tp->bnext && !tp->bb->tw_owners)
		return true;
	return tuple_free(st, tp, tp->lport, raddr, rport, false, isn);
}

/* bind(port 0): odd ports first (Linux 4.6+), the first without a clash,
 * where sharing through SO_REUSEADDR counts as a clash (Linux
 * inet_csk_find_open_port: relax off). */
int tcp_pick_bind_port(struct synack_stack *st, struct tcp_sock *tp, uint32_t addr)
{
	uint32_t low, n = port_range(st, &low);
	uint32_t start = rng_below(&st->rng, n);
	for (int parity = 1; parity >= 0; parity--) {
		for (uint32_t i = 0; i < n; i++) {
			uint16_t port = (uint16_t)(low + (start + i) % n);
			if ((port & 1) != parity)
				continue;
			if (!tcp_bind_conflict(st, tp, addr, port, false))
				return port;
		}
	}
	errno = EADDRINUSE;
	return -1;
}
