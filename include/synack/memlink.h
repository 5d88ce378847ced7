/*
 * memlink: an in-memory network that joins any number of stacks in one
 * process, like hosts on one segment, on virtual time.
 *
 * Each direction between two hosts (a path) can delay, rate-limit, lose,
 * reorder, duplicate and corrupt packets. Every random choice comes from
 * one generator seeded at creation, so a seed replays the same run.
 * Time is virtual: memlink_run_until() jumps from event to event, so a
 * minute of TIME-WAIT costs no real minute.
 */
#ifndef SYNACK_MEMLINK_H
#define SYNACK_MEMLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <synack/synack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memlink;

/* Faults and shape of one direction. Probabilities are in [0, 1]. */
struct memlink_path {
	synack_time_t delay;          /* one-way propagation delay, us */
	uint64_t rate_bps;            /* bits per second, 0 = unlimited */
	size_t queue_limit;           /* bytes waiting for the rate limit, 0 = unlimited */
	double loss;                  /* drop the packet */
	double reorder;               /* hold the packet back by reorder_delay */
	synack_time_t reorder_delay;  /* us; 0 = delay + 1 ms */
	double duplicate;             /* deliver a second copy */
	double corrupt;               /* flip one random bit */
	/* A step AQM with ECN (RFC 3168 5, like DCTCP's marking threshold
	 * K): with rate_bps set, a packet arriving while at least this many
	 * bytes are queued is marked CE if it is ECN-capable (ECT(0) or
	 * ECT(1)) and dropped if not (Not-ECT; CE stays CE). 0 = never. */
	size_t ecn_mark;
};

enum memlink_fate {
	MEMLINK_SENT,       /* a host handed the packet to the network */
	MEMLINK_DELIVERED,  /* the packet reached its destination */
	MEMLINK_LOST,       /* dropped by the loss setting or a full queue */
	MEMLINK_NO_ROUTE,   /* no host has the destination address */
};

/* Sees every packet at each point of its life (pcap, ladder diagrams). */
typedef void (*memlink_tap_fn)(void *ctx, synack_time_t now, enum memlink_fate fate,
			       int from, int to, const void *pkt, size_t len);
/* A host that is not a synack stack (a scripted peer). */
typedef void (*memlink_deliver_fn)(void *ctx, synack_time_t now, const void *pkt, size_t len);

/* sent counts every packet handed in, routed or not; a duplicate adds one
 * to duplicated and, on arrival, one more to delivered. */
struct memlink_stats {
	uint64_t sent, delivered, lost, duplicated, corrupted, reordered, no_route;
	uint64_t ce_marked;           /* marked CE by ecn_mark (counted in delivered too) */
};

struct memlink *memlink_new(uint64_t seed, synack_time_t start);
/* Frees the network and every stack attached with memlink_host_attach. */
void memlink_free(struct memlink *net);

/* Add a host with an address; returns its id (0, 1, ...) or -1 with errno
 * (EEXIST: the address is taken). */
int memlink_host_add(struct memlink *net, struct in_addr addr);
/* The env a stack for this host is created with (its send goes here). */
struct synack_env memlink_host_env(struct memlink *net, int host);
/* Give the host its stack; memlink delivers to it and runs its timers.
 * memlink owns the stack from now on. Attaching (a stack or a callback)
 * frees the stack attached before. A host with nothing attached swallows
 * what it receives. */
void memlink_host_attach(struct memlink *net, int host, struct synack_stack *st);
/* Or: a host whose packets go to a callback. */
void memlink_host_attach_fn(struct memlink *net, int host, memlink_deliver_fn fn, void *ctx);
/* Convenience: add a host, create its stack with cfg (NULL = defaults),
 * attach it. trace/ctx are optional. Returns the stack. */
struct synack_stack *memlink_stack_add(struct memlink *net, const char *addr,
				       const struct synack_config *cfg,
				       void (*trace)(void *, const struct synack_trace *), void *ctx);
struct synack_stack *memlink_host_stack(struct memlink *net, int host);

/* Shape the direction from -> to; -1 means every host, including hosts
 * added later. A path follows the newest call that covers it. */
void memlink_set_path(struct memlink *net, int from, int to, const struct memlink_path *path);
void memlink_set_tap(struct memlink *net, memlink_tap_fn fn, void *ctx);
/* A scripted host sends a packet into the network. Packets are routed by
 * their IPv4 destination before any fault is applied; a corrupted copy
 * still reaches that host. */
void memlink_inject(struct memlink *net, int from, const void *pkt, size_t len);

synack_time_t memlink_now(const struct memlink *net);
/* Deliver packets and run timers in time order until the clock reaches t. */
void memlink_run_until(struct memlink *net, synack_time_t t);
/* Run until done(ctx) is true or the clock reaches limit. Returns done(). */
bool memlink_run_while(struct memlink *net, bool (*done)(void *ctx), void *ctx, synack_time_t limit);
/* Process the next event (a delivery or a timer) if it is due by limit;
 * returns false (and leaves the clock at limit) when there was none. */
bool memlink_step(struct memlink *net, synack_time_t limit);
void memlink_get_stats(const struct memlink *net, struct memlink_stats *out);

#ifdef __cplusplus
}
#endif
#endif
