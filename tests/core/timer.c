/* The timer wheel: arm/cancel, firing order and exact ticks, the exact
 * next deadline, callbacks that re-arm, big jumps, and a randomized run
 * checked against a brute-force model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "core/timer.h"

#define DAY_MS (24ULL * 3600 * 1000)

/* A timer owner that records its firings; the timer is the first member
 * so the callback can recover the owner. */
struct rec;
struct owned {
	struct timer t;
	struct rec *rec;
	int id;
};

struct rec {
	struct timer_wheel *w;
	int ids[64];
	uint64_t at[64];
	int n;
	/* Optional per-test behaviour. */
	uint64_t period;         /* re-arm self this far ahead, if nonzero */
	struct owned *other;     /* cancel (or arm) this one when firing */
	uint64_t other_at;       /* arm other at this tick, if nonzero */
	uint64_t next_seen[64];  /* timer_wheel_next() seen inside callback */
};

static void record_fire(struct timer *t, uint64_t now)
{
	struct owned *o = (struct owned *)t;
	struct rec *r = o->rec;

	assert_false(timer_armed(t));
	assert_int_equal(now, r->w->now);
	assert_true(r->n < 64);
	r->ids[r->n] = o->id;
	r->at[r->n] = now;
	r->next_seen[r->n] = timer_wheel_next(r->w);
	r->n++;
	if (r->period)
		timer_arm(r->w, t, now + r->period);
	if (r->other && r->other != o) {
		if (r->other_at)
			timer_arm(r->w, &r->other->t, r->other_at);
		else
			timer_cancel(r->w, &r->other->t);
	}
}

static void setup_owned(struct owned *o, int n, struct rec *r)
{
	for (int i = 0; i < n; i++) {
		timer_init(&o[i].t, record_fire);
		o[i].rec = r;
		o[i].id = i;
	}
}

static void test_arm_cancel_rearm(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[2];

	timer_wheel_init(&w, 1000);
	setup_owned(o, 2, &r);
	assert_false(timer_armed(&o[0].t));
	assert_int_equal(timer_wheel_next(&w), UINT64_MAX);

	timer_arm(&w, &o[0].t, 1100);
	assert_true(timer_armed(&o[0].t));
	assert_int_equal(w.count, 1);
	assert_int_equal(timer_wheel_next(&w), 1100);

	timer_cancel(&w, &o[0].t);
	assert_false(timer_armed(&o[0].t));
	assert_int_equal(w.count, 0);
	assert_int_equal(timer_wheel_next(&w), UINT64_MAX);
	for (int l = 0; l < TW_LEVELS; l++)
		assert_int_equal(w.occupied[l], 0);
	timer_cancel(&w, &o[0].t); /* cancelling an idle timer is a no-op */
	assert_int_equal(w.count, 0);

	/* Re-arming moves the timer rather than adding a second entry. */
	timer_arm(&w, &o[0].t, 5000);
	timer_arm(&w, &o[0].t, 1200);
	timer_arm(&w, &o[1].t, 1200);
	assert_int_equal(w.count, 2);
	assert_int_equal(timer_wheel_next(&w), 1200);
	timer_arm(&w, &o[0].t, 1300);
	assert_int_equal(w.count, 2);

	timer_wheel_advance(&w, 1250);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], 1);
	assert_int_equal(r.at[0], 1200);
	assert_int_equal(w.now, 1250);
	assert_int_equal(timer_wheel_next(&w), 1300);

	timer_wheel_advance(&w, 6000);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[1], 0);
	assert_int_equal(r.at[1], 1300);
	assert_int_equal(w.count, 0);
	assert_int_equal(timer_wheel_next(&w), UINT64_MAX);
}

static void test_cancel_middle_of_slot(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[3];

	timer_wheel_init(&w, 0);
	setup_owned(o, 3, &r);
	for (int i = 0; i < 3; i++)
		timer_arm(&w, &o[i].t, 10); /* one slot, three entries */
	timer_cancel(&w, &o[1].t);
	assert_int_not_equal(w.occupied[0], 0);
	timer_cancel(&w, &o[2].t);
	timer_cancel(&w, &o[0].t);
	assert_int_equal(w.occupied[0], 0);
	assert_int_equal(w.count, 0);
	timer_wheel_advance(&w, 100);
	assert_int_equal(r.n, 0);
}

static void test_fire_order(void **state)
{
	/* Deadlines spread over every level, armed out of order. */
	static const uint64_t when[] = {
		7, 3, 64, 63, 65, 4096, 4095, 4097, 1, 200000, 262144,
		262143, 3, 16777216, 16777215, 99999999, 5000, 1000000000,
	};
	enum { N = sizeof when / sizeof when[0] };
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[N];

	timer_wheel_init(&w, 0);
	setup_owned(o, N, &r);
	for (int i = 0; i < N; i++)
		timer_arm(&w, &o[i].t, when[i]);
	assert_int_equal(w.count, N);

	timer_wheel_advance(&w, 2000000000);
	assert_int_equal(r.n, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(r.at[i], when[r.ids[i]]); /* on its own tick */
		if (i > 0)
			assert_true(r.at[i - 1] <= r.at[i]);
	}
	assert_int_equal(w.count, 0);
}

static void test_fire_in_steps(void **state)
{
	/* Same deadlines, reached 1 ms at a time from a non-aligned start. */
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[4];
	const uint64_t start = 4096 * 3 - 5;

	timer_wheel_init(&w, start);
	setup_owned(o, 4, &r);
	timer_arm(&w, &o[0].t, start + 5);    /* a level-1 boundary */
	timer_arm(&w, &o[1].t, start + 70);
	timer_arm(&w, &o[2].t, start + 4100);
	timer_arm(&w, &o[3].t, start + 1);
	for (uint64_t t = start + 1; t <= start + 5000; t++) {
		timer_wheel_advance(&w, t);
		for (int i = 0; i < r.n; i++)
			assert_true(r.at[i] <= t);
	}
	assert_int_equal(r.n, 4);
	assert_int_equal(r.at[0], start + 1);
	assert_int_equal(r.at[1], start + 5);
	assert_int_equal(r.at[2], start + 70);
	assert_int_equal(r.at[3], start + 4100);
}

static void test_next_exact(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[4];

	timer_wheel_init(&w, 100);
	setup_owned(o, 4, &r);

	/* Two timers sharing a level-1 slot: the slot's minimum, not its start. */
	timer_arm(&w, &o[0].t, 100 + 1000);
	timer_arm(&w, &o[1].t, 100 + 990);
	assert_int_equal(timer_wheel_next(&w), 1090);
	timer_cancel(&w, &o[1].t);
	assert_int_equal(timer_wheel_next(&w), 1100);

	/* A level-0 timer beats it; slot index wraps past 63. */
	timer_wheel_advance(&w, 125);
	timer_arm(&w, &o[2].t, 125 + 50); /* slot (175 & 63) < (125 & 63) */
	assert_int_equal(timer_wheel_next(&w), 175);

	/* The due list counts too, with its own (past) expiry. */
	timer_arm(&w, &o[3].t, 90);
	assert_int_equal(timer_wheel_next(&w), 90);
	timer_wheel_advance(&w, 125);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], 125);
	assert_int_equal(timer_wheel_next(&w), 175);
}

static void test_next_with_parked_timer(void **state)
{
	/* A timer beyond the wheel's reach is parked in level 4 at now + 2^30;
	 * a later, nearer level-4 timer can sit in a slot that comes after the
	 * parked one's slot. next() must still see the nearer one. */
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[2];
	const uint64_t far = 1ULL << 31, near = (1ULL << 30) + (1ULL << 24) + 5;

	timer_wheel_init(&w, 0);
	setup_owned(o, 2, &r);
	timer_arm(&w, &o[0].t, far);
	assert_int_equal(timer_wheel_next(&w), far);
	timer_wheel_advance(&w, 1ULL << 25);
	timer_arm(&w, &o[1].t, near);
	assert_int_equal(timer_wheel_next(&w), near);

	timer_wheel_advance(&w, far + 10);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], 1);
	assert_int_equal(r.at[0], near);
	assert_int_equal(r.next_seen[0], far);
	assert_int_equal(r.ids[1], 0);
	assert_int_equal(r.at[1], far);
}

static void test_due_list(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[3];

	timer_wheel_init(&w, 500);
	setup_owned(o, 3, &r);
	timer_arm(&w, &o[0].t, 500);
	timer_arm(&w, &o[1].t, 20);
	timer_arm(&w, &o[2].t, 300);
	assert_int_equal(w.count, 3);
	assert_int_equal(timer_wheel_next(&w), 20);

	/* Fires at the next advance, even one that does not move time,
	 * earliest expiry first. */
	timer_wheel_advance(&w, 500);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ids[0], 1);
	assert_int_equal(r.ids[1], 2);
	assert_int_equal(r.ids[2], 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r.at[i], 500);
	assert_int_equal(w.count, 0);

	/* Time never runs backwards. */
	timer_wheel_advance(&w, 400);
	assert_int_equal(w.now, 500);
}

static void test_callback_rearm_periodic(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w, .period = 10 };
	struct owned o;

	timer_wheel_init(&w, 0);
	setup_owned(&o, 1, &r);
	timer_arm(&w, &o.t, 10);
	timer_wheel_advance(&w, 640); /* one call, many re-arms */
	assert_int_equal(r.n, 64);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(r.at[i], 10 * (uint64_t)(i + 1));
		/* Inside the callback (before re-arming) nothing else is armed. */
		assert_int_equal(r.next_seen[i], UINT64_MAX);
	}
	assert_true(timer_armed(&o.t));
	assert_int_equal(timer_wheel_next(&w), 650);
	assert_int_equal(w.count, 1);
}

static void test_callback_arms_due_in_same_advance(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[2];

	timer_wheel_init(&w, 0);
	setup_owned(o, 2, &r);

	/* o0 fires at 100 and arms o1 for 100 (now) : same call, same tick. */
	r.other = &o[1];
	r.other_at = 100;
	timer_arm(&w, &o[0].t, 100);
	timer_wheel_advance(&w, 150);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[1], 1);
	assert_int_equal(r.at[1], 100);

	/* o0 fires at 200 and arms o1 for 230, inside this advance's range. */
	r.n = 0;
	r.other_at = 230;
	timer_arm(&w, &o[0].t, 200);
	timer_wheel_advance(&w, 300);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.at[0], 200);
	assert_int_equal(r.at[1], 230);
	assert_int_equal(w.count, 0);
}

static void test_callback_cancels_same_tick(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[2];

	timer_wheel_init(&w, 0);
	setup_owned(o, 2, &r);
	timer_arm(&w, &o[0].t, 77);
	timer_arm(&w, &o[1].t, 77);
	/* Whichever fires first cancels the other. */
	r.other = &o[1];
	timer_wheel_advance(&w, 77);
	if (r.n == 1) {
		assert_int_equal(r.ids[0], 0);
	} else {
		/* o1 went first; then o0 ran and found o1 idle. */
		assert_int_equal(r.n, 2);
		assert_int_equal(r.ids[0], 1);
	}
	assert_int_equal(w.count, 0);
	assert_int_equal(timer_wheel_next(&w), UINT64_MAX);
}

static void test_next_inside_callback_same_tick(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[3];

	timer_wheel_init(&w, 0);
	setup_owned(o, 3, &r);
	timer_arm(&w, &o[0].t, 4096); /* cascades from level 2 to this tick */
	timer_arm(&w, &o[1].t, 4096);
	timer_arm(&w, &o[2].t, 4097);
	timer_wheel_advance(&w, 5000);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.next_seen[0], 4096); /* its twin still pending */
	assert_int_equal(r.next_seen[1], 4097);
	assert_int_equal(r.next_seen[2], UINT64_MAX);
}

static void test_big_jumps(void **state)
{
	struct timer_wheel w;
	struct rec r = { .w = &w };
	struct owned o[4];
	const uint64_t t0 = 123456789;
	clock_t c0 = clock();

	timer_wheel_init(&w, t0);
	setup_owned(o, 4, &r);

	/* Empty wheel: the jump costs nothing. */
	timer_wheel_advance(&w, t0 + 60000);
	assert_int_equal(w.now, t0 + 60000);

	/* Two hours: not a tick early, then exactly on time. */
	uint64_t base = w.now;
	timer_arm(&w, &o[0].t, base + 7200000);
	timer_wheel_advance(&w, base + 7199999);
	assert_int_equal(r.n, 0);
	assert_int_equal(timer_wheel_next(&w), base + 7200000);
	timer_wheel_advance(&w, base + 7200000);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], base + 7200000);

	/* Ten days within one advance, and thirty (beyond the wheel's 2^30 ms
	 * reach, so parked and re-placed) both fire on their exact tick. */
	base = w.now;
	timer_arm(&w, &o[1].t, base + 10 * DAY_MS);
	timer_arm(&w, &o[2].t, base + 30 * DAY_MS + 17);
	timer_arm(&w, &o[3].t, base + 60000);
	timer_wheel_advance(&w, base + 40 * DAY_MS);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.at[1], base + 60000);
	assert_int_equal(r.at[2], base + 10 * DAY_MS);
	assert_int_equal(r.at[3], base + 30 * DAY_MS + 17);
	assert_int_equal(w.now, base + 40 * DAY_MS);

	/* Many long jumps with a long timer pending: each must skip empty
	 * time through the bitmaps (walking 1 ms at a time would take hours). */
	r.n = 0;
	timer_arm(&w, &o[0].t, w.now + 999 * DAY_MS + 3);
	base = w.now;
	for (int i = 1; i <= 1000; i++)
		timer_wheel_advance(&w, base + (uint64_t)i * DAY_MS);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], base + 999 * DAY_MS + 3);
	assert_true((double)(clock() - c0) / CLOCKS_PER_SEC < 5.0);
}

/* ---- Randomized run against a brute-force model ---------------------- */

enum { RT = 256, ROPS = 10000 };

struct model;
struct rtimer {
	struct timer t;
	struct model *m;
	int id;
};

struct model {
	struct timer_wheel w;
	struct rtimer tm[RT];
	bool armed[RT];
	uint64_t exp[RT];
	uint64_t seed;        /* splitmix64 state */
	uint64_t adv_start;   /* w.now when the current advance began */
	uint64_t last_fire;   /* now at the previous firing */
	unsigned fired;
};

static uint64_t mrand(struct model *m)
{
	uint64_t z = (m->seed += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* 0 .. 2^31, skewed to small values: a random bit width, then a value. */
static uint64_t skewed(struct model *m)
{
	unsigned bits = (unsigned)(mrand(m) % 32);
	uint64_t v = mrand(m) & ((1ULL << bits) - 1);
	return mrand(m) % 1000 == 0 ? 1ULL << 31 : v;
}

static void model_check_next(struct model *m)
{
	uint64_t want = UINT64_MAX;
	unsigned n = 0;

	for (int i = 0; i < RT; i++) {
		if (!m->armed[i])
			continue;
		n++;
		if (m->exp[i] < want)
			want = m->exp[i];
		assert_true(timer_armed(&m->tm[i].t));
	}
	assert_int_equal(timer_wheel_next(&m->w), want);
	assert_int_equal(m->w.count, n);
}

static void model_arm(struct model *m, int id, uint64_t at)
{
	timer_arm(&m->w, &m->tm[id].t, at);
	m->armed[id] = true;
	m->exp[id] = at;
}

static void model_cancel(struct model *m, int id)
{
	timer_cancel(&m->w, &m->tm[id].t);
	m->armed[id] = false;
}

static void model_fire(struct timer *t, uint64_t now)
{
	struct rtimer *rt = (struct rtimer *)t;
	struct model *m = rt->m;
	int id = rt->id;

	assert_false(timer_armed(t));
	assert_true(m->armed[id]);               /* exactly once per arming */
	assert_int_equal(t->expires, m->exp[id]);
	assert_int_equal(now, m->w.now);
	assert_true(t->expires <= now);          /* never early */
	if (t->expires >= m->adv_start)
		assert_int_equal(now, t->expires); /* and never late */
	assert_true(now >= m->last_fire);
	m->last_fire = now;
	m->armed[id] = false;
	m->fired++;
	model_check_next(m);

	/* Callbacks arm and cancel too, including for the current tick. */
	uint64_t r = mrand(m);
	int other = (int)(mrand(m) % RT);
	switch (r % 10) {
	case 0:
		model_arm(m, id, now + mrand(m) % 3); /* may be this tick */
		break;
	case 1:
		model_arm(m, id, now + skewed(m));
		break;
	case 2:
		model_cancel(m, other);
		break;
	case 3:
		model_arm(m, other, now + skewed(m));
		break;
	default:
		break;
	}
	model_check_next(m);
}

static void model_advance(struct model *m, uint64_t to)
{
	m->adv_start = m->w.now;
	m->last_fire = m->w.now;
	timer_wheel_advance(&m->w, to);
	assert_int_equal(m->w.now, to);
	for (int i = 0; i < RT; i++) {
		assert_int_equal(timer_armed(&m->tm[i].t), m->armed[i]);
		if (m->armed[i])
			assert_true(m->exp[i] > to); /* nothing due was left behind */
	}
	model_check_next(m);
}

static void test_randomized_against_model(void **state)
{
	struct model *m = calloc(1, sizeof *m);

	assert_non_null(m);
	m->seed = 0x7133e5eedULL;
	timer_wheel_init(&m->w, 1000000 + mrand(m) % 100000);
	for (int i = 0; i < RT; i++) {
		timer_init(&m->tm[i].t, model_fire);
		m->tm[i].m = m;
		m->tm[i].id = i;
	}

	for (int op = 0; op < ROPS; op++) {
		uint64_t r = mrand(m) % 100;
		int id = (int)(mrand(m) % RT);
		uint64_t now = m->w.now;

		if (r < 45) {
			model_arm(m, id, now + skewed(m));
		} else if (r < 50) {
			model_arm(m, id, now - mrand(m) % 50); /* already due */
		} else if (r < 65) {
			model_cancel(m, id);
		} else {
			/* Mostly short steps, some long ones. */
			uint64_t step = skewed(m);
			if (mrand(m) % 4)
				step %= 5000;
			model_advance(m, now + step);
		}
		model_check_next(m);
	}

	/* Drain: callbacks keep arming, so push on until the wheel is empty. */
	for (int i = 0; i < 100 && m->w.count; i++)
		model_advance(m, m->w.now + (1ULL << 32));
	assert_int_equal(m->w.count, 0);
	assert_true(m->fired > 1000);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_cancel_rearm),
		cmocka_unit_test(test_cancel_middle_of_slot),
		cmocka_unit_test(test_fire_order),
		cmocka_unit_test(test_fire_in_steps),
		cmocka_unit_test(test_next_exact),
		cmocka_unit_test(test_next_with_parked_timer),
		cmocka_unit_test(test_due_list),
		cmocka_unit_test(test_callback_rearm_periodic),
		cmocka_unit_test(test_callback_arms_due_in_same_advance),
		cmocka_unit_test(test_callback_cancels_same_tick),
		cmocka_unit_test(test_next_inside_callback_same_tick),
		cmocka_unit_test(test_big_jumps),
		cmocka_unit_test(test_randomized_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
