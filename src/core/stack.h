/* The stack object: everything one host owns. No global state anywhere. */
#ifndef SYNACK_CORE_STACK_H
#define SYNACK_CORE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include <synack/synack.h>

#include "core/mib.h"
#include "core/rng.h"
#include "core/siphash.h"
#include "core/timer.h"
#include "socket/fdtable.h"
#include "tcp/reqsk.h"
#include "tcp/table.h"

#define STACK_TX_MAX 65536
#define STACK_PMTU_MAX 32          /* destinations with a learned path MTU */

/* A path MTU learned from ICMP (RFC 1191; Linux's route exception,
 * fib_nh_exception): per destination, until it expires. */
struct pmtu_entry {
	uint32_t daddr;                /* host order; 0 = free */
	uint16_t mtu;
	bool locked;                   /* clamped to min_pmtu: sent without DF */
	synack_time_t expires;
};

struct synack_stack {
	struct synack_config cfg;
	struct synack_env env;
	uint32_t addr;                 /* host order */
	unsigned mtu;
	synack_time_t now;
	struct rng rng;
	struct siphash_key conn_key;   /* connection table */
	struct siphash_key isn_key;    /* RFC 6528 ISNs */
	struct siphash_key port_key;   /* RFC 6056 ephemeral ports */
	struct timer_wheel wheel;
	struct mib mib;
	struct fdtable fds;
	struct tcp_table tcp;
	struct tcp_reqtab reqs;        /* request entries by 4-tuple (tcp/reqsk.c) */
	struct siphash_key cookie_key[2]; /* SYN cookies' two secrets (tcp/syncookie.c) */
	struct tcp_fastopen_cache *tfo_cache; /* Fast Open, per destination (tcp/fastopen.c) */
	struct local_ns *local;        /* AF_UNIX names and sockets (local/), NULL until used */
	struct pmtu_entry pmtu[STACK_PMTU_MAX]; /* ipv4/route.c */
	uint32_t pmtu_gen;             /* bumped when an entry changes */
	uint16_t ip_id;
	uint64_t next_conn_id;
	uint8_t tx[STACK_TX_MAX];      /* the packet being built */
	uint8_t scratch[STACK_TX_MAX]; /* payload copied out of a send queue */
};

static inline uint64_t stack_ms(const struct synack_stack *st) { return st->now / 1000; }

/* Count a drop and trace it with its reason (STYLE 9). */
void stack_drop(struct synack_stack *st, enum mib_id mib, const char *why);
#define DROP(st, id, why) stack_drop((st), MIB_##id, (why))

#endif
