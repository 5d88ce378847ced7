/* The Internet checksum against known vectors (RFC 1071, a real IPv4
 * header) and the properties TCP relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wire/checksum.h"

/* RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum
 * is its complement. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	assert_int_equal(csum_partial(b, sizeof(b), 0), 0xddf2);
	assert_int_equal(csum_fold(csum_partial(b, sizeof(b), 0)), 0x220d);
}

/* A captured IPv4 header whose checksum field is b861. */
static void test_ipv4_header_vector(void **state)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	/* Intact: the sum over everything folds to zero. */
	assert_int_equal(csum_fold(csum_partial(h, sizeof(h), 0)), 0);
	h[10] = h[11] = 0;
	assert_int_equal(csum_fold(csum_partial(h, sizeof(h), 0)), 0xb861);
}

/* An odd last byte is the high half of a zero-padded word. */
static void test_odd_length(void **state)
{
	static const uint8_t b[] = { 0x12, 0x34, 0x56 };
	static const uint8_t one[] = { 0xab };

	assert_int_equal(csum_partial(b, 3, 0), 0x1234 + 0x5600);
	assert_int_equal(csum_partial(one, 1, 0), 0xab00);
	assert_int_equal(csum_partial(b, 0, 0), 0);
	assert_int_equal(csum_fold(0), 0xffff);
}

/* Carries wrap around (end-around carry), and chaining even pieces gives
 * the same as one pass. */
static void test_carry_and_chaining(void **state)
{
	uint8_t b[64];
	uint32_t whole, chained;

	memset(b, 0xff, sizeof(b));
	assert_int_equal(csum_partial(b, sizeof(b), 0), 0xffff);
	b[0] = 0x80;
	b[1] = 0x00;
	b[2] = 0x80;
	b[3] = 0x01;
	/* 8000 + 8001 = 1 0001 -> 0002 */
	assert_int_equal(csum_partial(b, 4, 0), 0x0002);

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 37 + 11);
	whole = csum_partial(b, sizeof(b), 0);
	chained = csum_partial(b + 10, sizeof(b) - 10, csum_partial(b, 10, 0));
	assert_int_equal(csum_fold(whole), csum_fold(chained));
	assert_true(whole <= 0xffff);
}

/* The pseudo header: 10.0.0.1 -> 10.0.0.2, TCP, 20 bytes. */
static void test_pseudo(void **state)
{
	uint32_t s = csum_pseudo(0x0a000001, 0x0a000002, 6, 20);
	static const uint8_t ph[] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 20 };

	assert_int_equal(s, 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20);
	assert_int_equal(csum_fold(s), csum_fold(csum_partial(ph, sizeof(ph), 0)));
	/* Large addresses carry correctly. */
	assert_int_equal(csum_fold(csum_pseudo(0xffffffff, 0xffffffff, 255, 0xffff)),
			 csum_fold(csum_partial((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff,
								   0xff, 0xff, 0xff, 0, 0xff,
								   0xff, 0xff },
						12, 0)));
}

/* Storing the checksum makes the whole sum verify, from any data. */
static void test_verify_roundtrip(void **state)
{
	uint8_t b[41];

	for (size_t len = 2; len <= sizeof(b); len++) {
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)(i * 101 + len);
		b[0] = b[1] = 0;
		uint16_t c = csum_fold(csum_partial(b, len, 0));
		b[0] = (uint8_t)(c >> 8);
		b[1] = (uint8_t)c;
		assert_int_equal(csum_fold(csum_partial(b, len, 0)), 0);
		b[len - 1] ^= 0x01;
		assert_int_not_equal(csum_fold(csum_partial(b, len, 0)), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header_vector),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_carry_and_chaining),
		cmocka_unit_test(test_pseudo),
		cmocka_unit_test(test_verify_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
