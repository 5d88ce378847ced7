/* The seeded generator: replayable, seed-sensitive, unbiased ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rng.h"

static void test_seed_is_splitmix(void **state)
{
	struct rng r;

	/* The state is splitmix64's first four outputs from the seed
	 * (0xe220a8397b1dcdaf is splitmix64's well-known first output for 0). */
	rng_seed(&r, 0);
	assert_int_equal(r.s[0], 0xe220a8397b1dcdafULL);
	assert_int_equal(r.s[1], 0x6e789e6aa1b965f4ULL);
	assert_int_equal(r.s[2], 0x06c45d188009454fULL);
	assert_int_equal(r.s[3], 0xf88bb8a8724c81ecULL);
}

static void test_golden_sequence(void **state)
{
	/* Pinned so a seed keeps replaying the same run across versions
	 * (values from an independent model of xoshiro256**). */
	static const uint64_t want0[4] = {
		0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
		0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL,
	};
	static const uint64_t want42[4] = {
		0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
		0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL,
	};
	struct rng r;

	rng_seed(&r, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rng_next(&r), want0[i]);
	rng_seed(&r, 42);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rng_next(&r), want42[i]);
}

static void test_same_seed_same_sequence(void **state)
{
	struct rng a, b;

	rng_seed(&a, 0x5eed);
	rng_seed(&b, 0x5eed);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(rng_next(&a), rng_next(&b));
	/* Reseeding restarts the sequence. */
	uint64_t first = (rng_seed(&a, 7), rng_next(&a));
	rng_seed(&a, 7);
	assert_int_equal(rng_next(&a), first);
}

static void test_different_seeds_differ(void **state)
{
	for (uint64_t s = 0; s < 64; s++) {
		struct rng a, b;
		int same = 0;

		rng_seed(&a, s);
		rng_seed(&b, s + 1);
		for (int i = 0; i < 100; i++)
			same += rng_next(&a) == rng_next(&b);
		assert_true(same < 2);
	}
}

static void test_below_in_range(void **state)
{
	static const uint32_t ns[] = { 1, 2, 3, 7, 10, 1000, 65536, 0x80000001u, UINT32_MAX };
	struct rng r;

	rng_seed(&r, 1);
	for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
		for (int i = 0; i < 20000; i++)
			assert_true(rng_below(&r, ns[j]) < ns[j]);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rng_below(&r, 1), 0);
}

/* Pearson's chi-square of counts against the uniform expectation. */
static double chi_square(const unsigned *count, unsigned bins, unsigned draws)
{
	double expect = (double)draws / bins, x2 = 0;

	for (unsigned i = 0; i < bins; i++) {
		double d = count[i] - expect;
		x2 += d * d / expect;
	}
	return x2;
}

static void test_below_uniform(void **state)
{
	enum { DRAWS = 100000 };
	struct rng r;
	unsigned c10[10] = { 0 }, c37[37] = { 0 };

	/* Fixed seed: deterministic, cannot flake. Bounds are the p = 0.001
	 * critical values (9 and 36 degrees of freedom). */
	rng_seed(&r, 12345);
	for (int i = 0; i < DRAWS; i++)
		c10[rng_below(&r, 10)]++;
	assert_true(chi_square(c10, 10, DRAWS) < 27.88);
	for (int i = 0; i < DRAWS; i++)
		c37[rng_below(&r, 37)]++;
	assert_true(chi_square(c37, 37, DRAWS) < 67.99);
}

static void test_below_unbiased_large_n(void **state)
{
	/* n = 3 * 2^30: plain modulo of a 32-bit draw would land in
	 * [0, 2^30) half the time instead of a third. */
	const uint32_t n = 3u << 30;
	struct rng r;
	unsigned low = 0;

	rng_seed(&r, 99);
	for (int i = 0; i < 30000; i++)
		low += rng_below(&r, n) < (1u << 30);
	assert_in_range(low, 9500, 10500);
}

static void test_unit_range(void **state)
{
	struct rng r;
	unsigned bins[10] = { 0 };

	rng_seed(&r, 2024);
	for (int i = 0; i < 100000; i++) {
		double u = rng_unit(&r);
		assert_true(u >= 0.0 && u < 1.0);
		bins[(int)(u * 10)]++;
	}
	assert_true(chi_square(bins, 10, 100000) < 27.88);
}

static void test_unit_extremes(void **state)
{
	struct rng r;

	/* Low end: the (never seeded) all-zero state outputs 0, giving 0.0.
	 * High end: the largest 53-bit value must still scale to below 1. */
	r.s[0] = r.s[1] = r.s[2] = r.s[3] = 0;
	assert_true(rng_unit(&r) == 0.0);
	assert_true((double)(UINT64_MAX >> 11) * 0x1.0p-53 < 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_is_splitmix),
		cmocka_unit_test(test_golden_sequence),
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_different_seeds_differ),
		cmocka_unit_test(test_below_in_range),
		cmocka_unit_test(test_below_uniform),
		cmocka_unit_test(test_below_unbiased_large_n),
		cmocka_unit_test(test_unit_range),
		cmocka_unit_test(test_unit_extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
