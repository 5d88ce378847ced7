/*
 * Hierarchical timer wheel. Level L has 64 slots of 64^L ms each; a timer
 * lives at the lowest level whose reach (64^(L+1) ms from the time it was
 * placed) covers its delay, in the slot of its expiry at that granularity.
 *
 * Invariant (n = w->now, g = a slot's granule index): the timers in level
 * L slot s all belong to the one granule g with g == s (mod 64) and
 * (n >> 6L) < g <= (n >> 6L) + 64, and all expire at or after g << 6L
 * (within that granule, except clamped timers, which expire later).
 * Level 0 slot (n & 63) only holds timers expiring at n itself, while the
 * tick n is being run. So walking each level's occupancy bitmap from the
 * slot after the current one visits granules in time order, which gives
 * both the next tick with work to do and the exact earliest expiry.
 *
 * Ticks are assumed to stay below 2^64 - 2^30.
 */
#include "core/timer.h"

#include <stddef.h>

#define LEVEL_BITS 6
/* Level 4's reach: delays at or beyond it are parked at its far end. */
#define WHEEL_SPAN (1ULL << (LEVEL_BITS * TW_LEVELS))

static unsigned level_shift(unsigned level)
{
	return LEVEL_BITS * level;
}

/* Rotate right so that slot `from` becomes bit 0. */
static uint64_t rotr64(uint64_t x, unsigned from)
{
	from &= 63;
	return from ? (x >> from) | (x << (64 - from)) : x;
}

static unsigned lowest_bit(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

static void link_head(struct timer **head, struct timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static void unlink_timer(struct timer_wheel *w, struct timer *t)
{
	struct timer **pprev = t->pprev;

	*pprev = t->next;
	if (t->next)
		t->next->pprev = pprev;
	t->next = NULL;
	t->pprev = NULL;
	w->count--;
	/* The cached next deadline may have been this timer's. */
	if (w->next_valid && t->expires <= w->next_cache)
		w->next_valid = false;
	if (t->where == TW_NOWHERE)
		return;
	unsigned l = t->where / TW_SLOTS, slot = t->where % TW_SLOTS;
	if (!w->slot[l][slot]) {
		w->occupied[l] &= ~(1ULL << slot);
		w->min_dirty[l] &= ~(1ULL << slot);
	} else if (t->expires == w->slot_min[l][slot] && --w->slot_min_n[l][slot] == 0) {
		w->min_dirty[l] |= 1ULL << slot; /* the last timer at the minimum left */
	}
}

/* Put t in the wheel relative to tick ref (t->expires >= ref). */
static void place(struct timer_wheel *w, struct timer *t, uint64_t ref)
{
	uint64_t at = t->expires, delta = at - ref;
	unsigned level = 0, slot;

	if (delta >= WHEEL_SPAN) {
		/* Park in level 4's farthest slot; when that slot cascades the
		 * timer is placed again from its true expiry. */
		delta = WHEEL_SPAN - 1;
		at = ref + delta;
	}
	if (delta >= TW_SLOTS) /* lowest L with delta < 64^(L+1) */
		level = (63u - (unsigned)__builtin_clzll(delta)) / LEVEL_BITS;
	slot = (unsigned)(at >> level_shift(level)) & (TW_SLOTS - 1);
	link_head(&w->slot[level][slot], t);
	t->where = (uint16_t)(level * TW_SLOTS + slot);
	/* slot_min stays a lower bound of the slot's expiries; min_dirty says
	 * it may be below the true minimum after a removal. */
	if (!(w->occupied[level] >> slot & 1) || t->expires < w->slot_min[level][slot]) {
		w->slot_min[level][slot] = t->expires;
		w->slot_min_n[level][slot] = 1;
		if (!(w->occupied[level] >> slot & 1))
			w->min_dirty[level] &= ~(1ULL << slot);
	} else if (t->expires == w->slot_min[level][slot]) {
		w->slot_min_n[level][slot]++;
	}
	w->occupied[level] |= 1ULL << slot;
}

void timer_wheel_init(struct timer_wheel *w, uint64_t now_ms)
{
	*w = (struct timer_wheel){ .now = now_ms };
}

void timer_init(struct timer *t, timer_fn fn)
{
	*t = (struct timer){ .fn = fn };
}

void timer_arm(struct timer_wheel *w, struct timer *t, uint64_t expires_ms)
{
	if (timer_armed(t))
		unlink_timer(w, t);
	t->expires = expires_ms;
	w->count++;
	if (expires_ms <= w->now) {
		link_head(&w->due, t);
		t->where = TW_NOWHERE;
	} else
		place(w, t, w->now);
	if (w->next_valid && expires_ms < w->next_cache)
		w->next_cache = expires_ms;
}

void timer_cancel(struct timer_wheel *w, struct timer *t)
{
	if (timer_armed(t))
		unlink_timer(w, t);
}

/* Fire the due list, earliest expiry first (ties oldest first). It holds
 * only timers armed at or before the current tick, normally a handful, so
 * a linear search for the minimum is cheap. */
static void run_due(struct timer_wheel *w)
{
	while (w->due) {
		struct timer *first = w->due;

		for (struct timer *x = first->next; x; x = x->next)
			if (x->expires <= first->expires)
				first = x;
		unlink_timer(w, first);
		first->fn(first, w->now);
	}
}

/* The next tick after w->now at which a level-0 slot fires or a higher
 * slot cascades; UINT64_MAX if the wheel is empty. */
static uint64_t next_work_tick(const struct timer_wheel *w)
{
	uint64_t best = UINT64_MAX;

	for (unsigned l = 0; l < TW_LEVELS; l++) {
		if (!w->occupied[l])
			continue;
		unsigned sh = level_shift(l);
		uint64_t base = w->now >> sh;
		uint64_t k = lowest_bit(rotr64(w->occupied[l], (unsigned)(base + 1))) + 1;
		uint64_t tick = (base + k) << sh;
		if (tick < best)
			best = tick;
	}
	return best;
}

/* Move a higher-level slot's timers down, now that its granule starts. */
static void cascade(struct timer_wheel *w, unsigned level, unsigned slot)
{
	struct timer *t = w->slot[level][slot];

	w->slot[level][slot] = NULL;
	w->occupied[level] &= ~(1ULL << slot);
	w->min_dirty[level] &= ~(1ULL << slot);
	while (t) {
		struct timer *next = t->next;
		place(w, t, w->now);
		t = next;
	}
}

void timer_wheel_advance(struct timer_wheel *w, uint64_t now_ms)
{
	run_due(w);
	while (w->now < now_ms) {
		/* Jump straight to the next tick with work: empty stretches of
		 * any length cost one bitmap scan. */
		uint64_t tick = next_work_tick(w);
		if (tick > now_ms) {
			w->now = now_ms;
			break;
		}
		w->now = tick;

		/* Per the invariant, an occupied slot at an aligned tick is the
		 * granule starting now. Cascaded timers land in lower levels
		 * only, never in another slot cascading this tick. */
		for (unsigned l = TW_LEVELS - 1; l > 0; l--) {
			unsigned sh = level_shift(l);
			unsigned slot = (unsigned)(tick >> sh) & (TW_SLOTS - 1);
			if (!(tick & ((1ULL << sh) - 1)) && (w->occupied[l] >> slot & 1))
				cascade(w, l, slot);
		}

		/* Everything here expires at this tick. Callbacks cannot add to
		 * this slot (arming at <= now goes to the due list), but may
		 * cancel timers in it, so pop from the live head each time. */
		struct timer **head = &w->slot[0][tick & (TW_SLOTS - 1)];
		while (*head) {
			struct timer *t = *head;
			unlink_timer(w, t);
			t->fn(t, tick);
			run_due(w);
		}
		run_due(w);
	}
}

/* The earliest expiry changes only when a timer is armed earlier (arm
 * keeps the cache) or the earliest one leaves (unlink drops it), so the
 * slot scan below runs rarely even with many timers in one slot. */
uint64_t timer_wheel_next(struct timer_wheel *w)
{
	if (w->next_valid)
		return w->next_cache;
	uint64_t best = UINT64_MAX;

	for (const struct timer *t = w->due; t; t = t->next)
		if (t->expires < best)
			best = t->expires;

	/* Level 0 slot k ticks on from now holds only timers expiring at now + k
	 * (k = 0 while that tick is being run). */
	if (w->occupied[0]) {
		uint64_t tick = w->now + lowest_bit(rotr64(w->occupied[0], (unsigned)w->now));
		if (tick < best)
			best = tick;
	}

	/* Higher levels: walk granules in time order; every timer in a granule
	 * expires at or after its start, so stop once a start reaches best.
	 * Normally that is after one slot; parked (clamped) timers at level 4
	 * can make it look further. */
	for (unsigned l = 1; l < TW_LEVELS; l++) {
		unsigned sh = level_shift(l);
		uint64_t base = w->now >> sh;
		uint64_t occ = rotr64(w->occupied[l], (unsigned)(base + 1));

		while (occ) {
			uint64_t g = base + 1 + lowest_bit(occ);
			if (g << sh >= best)
				break;
			unsigned slot = (unsigned)(g & (TW_SLOTS - 1));
			if (w->min_dirty[l] >> slot & 1) {
				uint64_t m = UINT64_MAX;
				uint32_t n = 0;
				for (const struct timer *t = w->slot[l][slot]; t; t = t->next) {
					if (t->expires < m)
						m = t->expires, n = 0;
					n += t->expires == m;
				}
				w->slot_min[l][slot] = m;
				w->slot_min_n[l][slot] = n;
				w->min_dirty[l] &= ~(1ULL << slot);
			}
			if (w->slot_min[l][slot] < best)
				best = w->slot_min[l][slot];
			occ &= occ - 1;
		}
	}
	w->next_cache = best;
	w->next_valid = true;
	return best;
}
