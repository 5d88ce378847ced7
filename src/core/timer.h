/*
 * A hierarchical timer wheel with 1 ms ticks: O(1) arm and cancel,
 * expiry in time order, and the exact next deadline for the caller.
 *
 * Five levels of 64 slots cover 2^30 ms (12 days); later deadlines are
 * clamped to the last level and re-armed when they come round.
 * Timers are embedded in their owner (no allocation).
 */
#ifndef SYNACK_CORE_TIMER_H
#define SYNACK_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TW_LEVELS 5
#define TW_SLOTS 64
#define TW_NOWHERE 0xffff

struct timer;
typedef void (*timer_fn)(struct timer *t, uint64_t now_ms);

struct timer {
	struct timer *next, **pprev; /* slot list; pprev == NULL: not armed */
	uint64_t expires;            /* ms tick */
	timer_fn fn;
	uint16_t where;              /* level * 64 + slot, or TW_NOWHERE (due list) */
};

struct timer_wheel {
	uint64_t now;                /* ms tick the wheel has reached */
	uint64_t occupied[TW_LEVELS]; /* bit i: slot i non-empty */
	struct timer *slot[TW_LEVELS][TW_SLOTS];
	struct timer *due;           /* armed at or before now: run at next advance */
	unsigned count;              /* armed timers */
	uint64_t slot_min[TW_LEVELS][TW_SLOTS]; /* lower bound of each slot's expiries */
	uint32_t slot_min_n[TW_LEVELS][TW_SLOTS]; /* timers at exactly slot_min */
	uint64_t min_dirty[TW_LEVELS];          /* bit i: slot_min of slot i may be stale */
	bool next_valid;             /* next_cache holds the earliest expiry */
	uint64_t next_cache;
};

void timer_wheel_init(struct timer_wheel *w, uint64_t now_ms);
void timer_init(struct timer *t, timer_fn fn);
/* Arm (or re-arm) t to fire at tick expires_ms. */
void timer_arm(struct timer_wheel *w, struct timer *t, uint64_t expires_ms);
void timer_cancel(struct timer_wheel *w, struct timer *t);
static inline bool timer_armed(const struct timer *t) { return t->pprev != 0; }
/* Move the wheel to now_ms, calling every timer with expires <= now_ms in
 * expiry order. Callbacks may arm and cancel timers (any timer). */
void timer_wheel_advance(struct timer_wheel *w, uint64_t now_ms);
/* The earliest expiry among armed timers, UINT64_MAX if none. */
uint64_t timer_wheel_next(struct timer_wheel *w);

#endif
