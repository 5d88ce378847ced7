/*
 * Malformed input at the wire edge: every way a header or an option can
 * lie about a length, and a seeded random sweep. Buffers are malloc'd at
 * exactly their length so that ASan reports any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define SADDR 0x0a000001u
#define DADDR 0x0a000002u

/* A heap copy of exactly len bytes (len 0 still gets its own block). */
static uint8_t *dup_exact(const void *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static void set_tcp_csum(uint8_t *p, size_t len)
{
	uint16_t c;

	p[16] = p[17] = 0;
	c = csum_fold(csum_partial(p, len, csum_pseudo(SADDR, DADDR, 6, (uint16_t)len)));
	p[16] = (uint8_t)(c >> 8);
	p[17] = (uint8_t)c;
}

/* A segment with these option bytes (a multiple of 4) and payload, its
 * data offset set to cover the options, checksum valid. Returns its
 * length; the bytes are in a malloc of exactly that length in *out. */
static size_t make_seg(uint8_t **out, uint8_t flags, const char *opts, size_t olen,
		       const char *data, size_t dlen)
{
	size_t len = 20 + olen + dlen;
	uint8_t *p = malloc(len);

	assert_non_null(p);
	assert_int_equal(olen % 4, 0);
	memset(p, 0, 20);
	p[0] = 0x30;
	p[1] = 0x39;           /* port 12345 */
	p[3] = 80;
	p[7] = 1;              /* seq 1 */
	p[12] = (uint8_t)(((20 + olen) / 4) << 4);
	p[13] = flags;
	p[14] = 0xff;
	if (olen)
		memcpy(p + 20, opts, olen);
	if (dlen)
		memcpy(p + 20 + olen, data, dlen);
	set_tcp_csum(p, len);
	*out = p;
	return len;
}

#define MAKE(out, flags, opts, data) \
	make_seg((out), (flags), (opts), sizeof(opts) - 1, (data), sizeof(data) - 1)

static void test_tcp_bad_checksum(void **state)
{
	struct tcp_seg s;
	uint8_t *p;
	size_t len = MAKE(&p, TCP_ACK, "", "payload");

	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	p[16] ^= 0x01;
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_CHECKSUM);
	p[16] ^= 0x01;
	p[len - 1] ^= 0x40;     /* payload is covered */
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_CHECKSUM);
	p[len - 1] ^= 0x40;
	/* Shorter by one: the pseudo length and the words both change. */
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len - 1), TCP_PARSE_CHECKSUM);
	free(p);
}

static void test_tcp_doff(void **state)
{
	struct tcp_seg s;
	uint8_t *p;
	size_t len = MAKE(&p, TCP_ACK, "", "");

	/* Data offset 0..4 is less than a header; checksum kept valid. */
	for (uint8_t d = 0; d < 5; d++) {
		p[12] = (uint8_t)(d << 4);
		set_tcp_csum(p, len);
		assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_DOFF);
	}
	/* 6..15 words in a 20-byte segment: past the end. */
	for (uint8_t d = 6; d < 16; d++) {
		p[12] = (uint8_t)(d << 4);
		set_tcp_csum(p, len);
		assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_DOFF);
	}
	free(p);

	/* doff 15 with 40 bytes of options is exactly full: fine; one short
	 * of that is past the end. */
	len = MAKE(&p, TCP_SYN, "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
				"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
				"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
				"\x01\x01\x01\x01\x01\x01\x01\x01\x02\x04", "");
	assert_int_equal(len, 60);
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_int_equal(s.len, 0);
	assert_false(s.opt.has_mss);   /* 02 04 with nothing after: 4 > 2 left */
	set_tcp_csum(p, len - 1);
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len - 1), TCP_PARSE_DOFF);
	free(p);
}

static void test_tcp_truncated(void **state)
{
	uint8_t full[20] = { 0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10 };
	struct tcp_seg s;

	for (size_t len = 0; len < 20; len++) {
		uint8_t *p = dup_exact(full, len);

		assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, len ? p : NULL, len),
				 TCP_PARSE_TRUNCATED);
		free(p);
	}
}

/* Option bytes that cannot be walked stop the walk, and the segment,
 * with its payload, is still accepted. The payload right after the
 * options must never be read as options. */
static void test_tcp_truncated_options(void **state)
{
	struct tcp_seg s;
	uint8_t *p;
	size_t len;

	/* Kind 2 as the very last option byte: no length byte. */
	len = MAKE(&p, TCP_SYN, "\x01\x01\x01\x02", "\x04\x05\xb4\x00");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_false(s.opt.has_mss);
	assert_int_equal(s.len, 4);
	assert_ptr_equal(s.data, p + 24);
	free(p);

	/* Length 0, then length 1, after a good MSS. */
	len = MAKE(&p, TCP_SYN, "\x02\x04\x05\xb4\x08\x00\x01\x01", "x");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_true(s.opt.has_mss);
	assert_false(s.opt.has_ts);
	free(p);
	len = MAKE(&p, TCP_SYN, "\x02\x04\x05\xb4\x03\x01\x03\x03\x03\x07\x00\x00", "");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_true(s.opt.has_mss);
	assert_false(s.opt.has_wscale);
	free(p);

	/* TS claims 10 bytes with 2 left; a valid-looking rest sits in the
	 * payload. */
	len = MAKE(&p, TCP_ACK, "\x01\x01\x08\x0a", "\x00\x00\x00\x05\x00\x00\x00\x06");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_false(s.opt.has_ts);
	assert_int_equal(s.len, 8);
	free(p);

	/* SACK claiming 4 blocks in 12 option bytes. */
	len = MAKE(&p, TCP_ACK, "\x01\x01\x05\x22\x00\x00\x00\x01\x00\x00\x00\x02",
		   "0123456789abcdef0123456789");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_int_equal(s.opt.nsack, 0);
	free(p);
}

/* Known options of the wrong size are skipped; SYN-only options on an
 * ACK are ignored; the rest of the list still counts. */
static void test_tcp_ignored_options(void **state)
{
	struct tcp_seg s;
	uint8_t *p;
	size_t len;

	len = MAKE(&p, TCP_SYN, "\x02\x05\x05\xb4\x00\x03\x04\x07\x00\x01\x01\x01"
				"\x08\x09\x00\x00\x00\x01\x00\x00\x00\x04\x02\x01",
		   "");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_false(s.opt.has_mss);
	assert_false(s.opt.has_wscale);
	assert_false(s.opt.has_ts);
	assert_true(s.opt.sack_ok);
	free(p);

	/* MSS, WS, SACK_PERM on a pure ACK: ignored; TS kept. */
	len = MAKE(&p, TCP_ACK, "\x02\x04\x05\xb4\x01\x03\x03\x07\x01\x01\x04\x02"
				"\x01\x01\x08\x0a\x00\x00\x00\x07\x00\x00\x00\x08",
		   "");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_false(s.opt.has_mss);
	assert_false(s.opt.has_wscale);
	assert_false(s.opt.sack_ok);
	assert_true(s.opt.has_ts);
	assert_int_equal(s.opt.tsval, 7);
	assert_int_equal(s.opt.tsecr, 8);
	free(p);

	/* SACK of a bad length (2 + 7) and a good one after it. */
	len = MAKE(&p, TCP_ACK, "\x05\x09\x00\x00\x00\x01\x00\x00\x00"
				"\x05\x0a\x00\x00\x00\x03\x00\x00\x00\x04\x01",
		   "");
	assert_int_equal(tcp_seg_parse(&s, SADDR, DADDR, p, len), TCP_PARSE_OK);
	assert_int_equal(s.opt.nsack, 1);
	assert_int_equal(s.opt.sack[0].start, 3);
	assert_int_equal(s.opt.sack[0].end, 4);
	free(p);
}

static void fix_ip_csum(uint8_t *p)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	uint16_t c;

	p[10] = p[11] = 0;
	c = csum_fold(csum_partial(p, ihl, 0));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

/* IPv4 lengths that lie, each in a buffer of exactly its size. */
static void test_ipv4_lying_lengths(void **state)
{
	uint8_t h[40];
	struct ipv4_hdr ih;
	uint8_t *p;

	memset(h, 0, sizeof(h));
	assert_int_equal(ipv4_emit(h, SADDR, DADDR, 6, 64, 1, 20, 1), 20);

	/* tot_len 40 in 39 and 20 bytes. */
	p = dup_exact(h, 39);
	assert_int_equal(ipv4_parse(&ih, p, 39), IPV4_ERR_TRUNCATED);
	free(p);
	p = dup_exact(h, 20);
	assert_int_equal(ipv4_parse(&ih, p, 20), IPV4_ERR_TRUNCATED);
	free(p);

	/* tot_len 65535 in 40. */
	h[2] = h[3] = 0xff;
	fix_ip_csum(h);
	p = dup_exact(h, 40);
	assert_int_equal(ipv4_parse(&ih, p, 40), IPV4_ERR_TRUNCATED);
	free(p);

	/* tot_len 24 < ihl 28, and tot_len 12 < 20. */
	h[0] = 0x47;
	h[2] = 0;
	h[3] = 24;
	fix_ip_csum(h);
	p = dup_exact(h, 40);
	assert_int_equal(ipv4_parse(&ih, p, 40), IPV4_ERR_IHL);
	free(p);
	h[0] = 0x45;
	h[3] = 12;
	fix_ip_csum(h);
	p = dup_exact(h, 40);
	assert_int_equal(ipv4_parse(&ih, p, 40), IPV4_ERR_LENGTH);
	free(p);

	/* IHL 15 (60 bytes) in a 40-byte buffer with tot_len 40. */
	h[0] = 0x4f;
	h[3] = 40;
	p = dup_exact(h, 40);
	assert_int_equal(ipv4_parse(&ih, p, 40), IPV4_ERR_IHL);
	free(p);

	/* Every short length. */
	for (size_t len = 0; len < 20; len++) {
		p = dup_exact(h, len);
		assert_int_equal(ipv4_parse(&ih, len ? p : NULL, len), IPV4_ERR_TRUNCATED);
		free(p);
	}
}

static void test_icmp_malformed(void **state)
{
	uint8_t m[16];
	struct icmp_msg im;
	uint8_t *p;

	assert_int_equal(icmp_emit(m, ICMP_ECHO_, 0, 0x00010002, (const uint8_t *)"abcdefgh", 8),
			 16);
	for (size_t len = 0; len < 8; len++) {
		p = dup_exact(m, len);
		assert_int_equal(icmp_parse(&im, len ? p : NULL, len), -1);
		free(p);
	}
	p = dup_exact(m, 16);
	assert_int_equal(icmp_parse(&im, p, 16), 0);
	p[9] ^= 0x10;
	assert_int_equal(icmp_parse(&im, p, 16), -1);
	free(p);
	/* A cut body no longer sums right. */
	p = dup_exact(m, 15);
	assert_int_equal(icmp_parse(&im, p, 15), -1);
	free(p);
}

static uint32_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*x >> 33);
}

/* Results that parse must stay inside the buffer. */
static void check_ipv4(const uint8_t *p, size_t len)
{
	struct ipv4_hdr h;

	if (ipv4_parse(&h, p, len) != IPV4_OK)
		return;
	assert_true(h.ihl >= 20 && h.ihl <= h.tot_len && h.tot_len <= len);
	assert_ptr_equal(h.payload, p + h.ihl);
	assert_int_equal(h.payload_len, h.tot_len - h.ihl);
}

static void check_tcp(const uint8_t *p, size_t len)
{
	struct tcp_seg s;
	struct tcp_opts o;

	tcp_opts_parse(&o, p, len, true);
	assert_true(o.nsack == 0);
	assert_true(o.tfo_len <= TCP_TFO_COOKIE_MAX);
	tcp_opts_parse(&o, p, len, false);
	assert_true(o.nsack <= TCP_SACK_MAX);
	assert_false(o.has_mss || o.has_wscale || o.sack_ok || o.has_tfo);
	if (tcp_seg_parse(&s, SADDR, DADDR, p, len) != TCP_PARSE_OK)
		return;
	assert_true(s.data >= p + 20 && s.data + s.len == p + len);
	assert_true(s.opt.nsack <= TCP_SACK_MAX && s.opt.tfo_len <= TCP_TFO_COOKIE_MAX);
}

/*
 * 10000 seeded random buffers of 0..99 bytes. A quarter are raw noise,
 * the rest are dressed up so that the deeper code runs: an IPv4 header
 * with a plausible version, lengths and a valid checksum; a TCP header
 * with a random data offset and a valid checksum (so its options are
 * walked); or option-shaped bytes (kinds drawn from the known ones).
 */
static void test_random_sweep(void **state)
{
	static const uint8_t kinds[] = { 0, 1, 2, 3, 4, 5, 8, 34, 254, 19, 30 };
	uint64_t x = 0x5eedULL;
	int ok_ip = 0, ok_tcp = 0;

	for (int iter = 0; iter < 10000; iter++) {
		size_t len = lcg(&x) % 100, i;
		uint8_t *p = malloc(len ? len : 1);
		struct ipv4_hdr h;
		struct tcp_seg s;
		uint32_t mode = lcg(&x) % 4;

		assert_non_null(p);
		for (i = 0; i < len; i++)
			p[i] = (uint8_t)lcg(&x);
		if (mode == 1 && len >= 20) {
			p[0] = (uint8_t)(0x40 | (lcg(&x) % 16));
			p[2] = 0;
			p[3] = (uint8_t)(lcg(&x) % (len + 8));
			p[12] = 10;
			if ((size_t)(p[0] & 0x0f) * 4 <= len)
				fix_ip_csum(p);
		} else if (mode == 2 && len >= 20) {
			p[12] = (uint8_t)(lcg(&x) % 16 << 4);
			p[16] = p[17] = 0;
			uint16_t c = csum_fold(csum_partial(p, len,
						csum_pseudo(SADDR, DADDR, 6, (uint16_t)len)));
			p[16] = (uint8_t)(c >> 8);
			p[17] = (uint8_t)c;
		} else if (mode == 3) {
			for (i = 0; i < len; i++)
				if (lcg(&x) % 3 == 0)
					p[i] = kinds[lcg(&x) % sizeof(kinds)];
				else if (lcg(&x) % 2)
					p[i] = (uint8_t)(lcg(&x) % 20);
		}
		check_ipv4(len ? p : NULL, len);
		check_tcp(len ? p : NULL, len);
		ok_ip += ipv4_parse(&h, len ? p : NULL, len) == IPV4_OK;
		ok_tcp += tcp_seg_parse(&s, SADDR, DADDR, len ? p : NULL, len) == TCP_PARSE_OK;
		free(p);
	}
	/* The dressing worked: the deep paths really ran. */
	assert_true(ok_ip > 100);
	assert_true(ok_tcp > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_bad_checksum),
		cmocka_unit_test(test_tcp_doff),
		cmocka_unit_test(test_tcp_truncated),
		cmocka_unit_test(test_tcp_truncated_options),
		cmocka_unit_test(test_tcp_ignored_options),
		cmocka_unit_test(test_ipv4_lying_lengths),
		cmocka_unit_test(test_icmp_malformed),
		cmocka_unit_test(test_random_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
