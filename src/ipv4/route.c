/*
 * The path MTU cache (RFC 1191 6.3, Linux's route exceptions): one entry
 * per destination whose path MTU an ICMP "fragmentation needed" lowered,
 * kept net.ipv4.route.mtu_expires (600 s) and then forgotten, so the
 * device MTU is tried again. TCP asks it for every new connection's MSS
 * and notices a change through st->pmtu_gen.
 */
#include "core/stack.h"
#include "ipv4/ipv4.h"

static struct pmtu_entry *pmtu_find(struct synack_stack *st, uint32_t daddr)
{
	for (unsigned i = 0; i < STACK_PMTU_MAX; i++) {
		struct pmtu_entry *e = &st->pmtu[i];
		if (e->daddr != daddr || !daddr)
			continue;
		if (st->now >= e->expires) {
			e->daddr = 0; /* expired: the device MTU again */
			return NULL;
		}
		return e;
	}
	return NULL;
}

unsigned ipv4_route_mtu(struct synack_stack *st, uint32_t daddr, bool *locked,
			uint64_t *expires)
{
	struct pmtu_entry *e = pmtu_find(st, daddr);
	if (locked)
		*locked = e && e->locked;
	if (expires)
		*expires = e ? e->expires : 0;
	return e ? e->mtu : st->mtu;
}

/* Linux __ip_rt_update_pmtu: a report above the current path MTU is
 * ignored; one below route.min_pmtu is raised to it (never above the
 * current MTU) and locks the entry, whose packets then go without DF
 * (ip_dont_fragment) and which takes no further reports until it
 * expires. The same MTU again only refreshes an entry past half its
 * life. */
void ipv4_update_pmtu(struct synack_stack *st, uint32_t daddr, unsigned mtu)
{
	struct pmtu_entry *e = pmtu_find(st, daddr);
	if (e && e->locked)
		return;
	unsigned old = e ? e->mtu : st->mtu;
	if (old < mtu)
		return;
	bool lock = false;
	unsigned min = (unsigned)st->cfg.ip_rt_min_pmtu;
	if (mtu < min) {
		lock = true;
		mtu = old < min ? old : min;
	}
	synack_time_t life = SYNACK_SEC(st->cfg.ip_rt_mtu_expires);
	if (e && e->mtu == mtu && !lock && st->now + life / 2 < e->expires)
		return;
	if (!e) {
		/* A free slot, else the one closest to expiry (Linux
		 * fnhe_oldest reclaims the oldest). */
		e = &st->pmtu[0];
		for (unsigned i = 0; i < STACK_PMTU_MAX; i++) {
			struct pmtu_entry *c = &st->pmtu[i];
			if (!c->daddr || st->now >= c->expires) {
				e = c;
				break;
			}
			if (c->expires < e->expires)
				e = c;
		}
	}
	e->daddr = daddr;
	e->mtu = (uint16_t)mtu;
	e->locked = lock;
	e->expires = st->now + life;
	st->pmtu_gen++;
}

bool ipv4_dont_fragment(struct synack_stack *st, uint32_t daddr)
{
	bool locked;
	ipv4_route_mtu(st, daddr, &locked, NULL);
	return !locked;
}
