/* IPv4 header parse (every field, every error) and emit; ICMP, which
 * rides on it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* 10.0.0.1 -> 10.0.0.2, TCP, id 0x1c46, DF, TTL 64, TOS 0x10, 4 bytes of
 * payload; checksum worked out by hand below. */
static const uint8_t valid_hdr[] = {
	0x45, 0x10, 0x00, 0x18, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
	0xde, 0xad, 0xbe, 0xef,
};

/* Recompute the header checksum over ihl bytes. */
static void fix_csum(uint8_t *p)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	uint16_t c;

	p[10] = p[11] = 0;
	c = csum_fold(csum_partial(p, ihl, 0));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

static void test_parse_valid(void **state)
{
	uint8_t p[sizeof(valid_hdr)];
	struct ipv4_hdr h;

	memcpy(p, valid_hdr, sizeof(p));
	/* 4510+0018+1c46+4000+4006+0a00+0001+0a00+0002 = f577 (no carry),
	 * complement 0a88. */
	p[10] = 0x0a;
	p[11] = 0x88;
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);
	assert_int_equal(h.saddr, 0x0a000001);
	assert_int_equal(h.daddr, 0x0a000002);
	assert_int_equal(h.proto, IPPROTO_TCP_);
	assert_int_equal(h.ttl, 64);
	assert_int_equal(h.tos, 0x10);
	assert_int_equal(h.ihl, 20);
	assert_int_equal(h.id, 0x1c46);
	assert_int_equal(h.tot_len, 24);
	assert_int_equal(h.frag_off, 0);
	assert_int_equal(h.df, 1);
	assert_int_equal(h.mf, 0);
	assert_ptr_equal(h.payload, p + 20);
	assert_int_equal(h.payload_len, 4);
	assert_memory_equal(h.payload, "\xde\xad\xbe\xef", 4);
}

/* Bytes past tot_len are link padding and not payload. */
static void test_parse_trailing_padding(void **state)
{
	uint8_t p[60];
	struct ipv4_hdr h;

	memset(p, 0xaa, sizeof(p));
	memcpy(p, valid_hdr, sizeof(valid_hdr));
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);
	assert_int_equal(h.payload_len, 4);
	assert_int_equal(h.tot_len, 24);
}

/* Fragment fields: MF with offset 0x1abc (units of 8 bytes). */
static void test_parse_fragment(void **state)
{
	uint8_t p[sizeof(valid_hdr)];
	struct ipv4_hdr h;

	memcpy(p, valid_hdr, sizeof(p));
	p[6] = 0x3a;   /* MF | 0x1a.. */
	p[7] = 0xbc;
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);
	assert_int_equal(h.df, 0);
	assert_int_equal(h.mf, 1);
	assert_int_equal(h.frag_off, 0x1abc);
}

/* IHL 6: four bytes of options, payload after them. */
static void test_parse_options(void **state)
{
	uint8_t p[28];
	struct ipv4_hdr h;

	memcpy(p, valid_hdr, 20);
	p[0] = 0x46;
	p[3] = 28;
	p[20] = 0x01; p[21] = 0x01; p[22] = 0x01; p[23] = 0x00;  /* NOP NOP NOP EOL */
	memcpy(p + 24, "\x01\x02\x03\x04", 4);
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);
	assert_int_equal(h.ihl, 24);
	assert_ptr_equal(h.payload, p + 24);
	assert_int_equal(h.payload_len, 4);
}

static void test_parse_errors(void **state)
{
	uint8_t p[sizeof(valid_hdr)];
	struct ipv4_hdr h;

	memcpy(p, valid_hdr, sizeof(p));
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);

	/* Shorter than 20. */
	assert_int_equal(ipv4_parse(&h, p, 19), IPV4_ERR_TRUNCATED);
	assert_int_equal(ipv4_parse(&h, p, 0), IPV4_ERR_TRUNCATED);
	/* tot_len (24) larger than the buffer. */
	assert_int_equal(ipv4_parse(&h, p, 23), IPV4_ERR_TRUNCATED);

	memcpy(p, valid_hdr, sizeof(p));
	p[0] = 0x65;   /* version 6 */
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_VERSION);

	memcpy(p, valid_hdr, sizeof(p));
	p[0] = 0x44;   /* IHL 4 */
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_IHL);
	p[0] = 0x40;   /* IHL 0 */
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_IHL);

	/* IHL 6 (24 bytes) with tot_len 22: options past the datagram. */
	memcpy(p, valid_hdr, sizeof(p));
	p[0] = 0x46;
	p[3] = 22;
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_IHL);

	/* IHL 15 (60 bytes) in a 24-byte datagram. */
	memcpy(p, valid_hdr, sizeof(p));
	p[0] = 0x4f;
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_IHL);

	/* tot_len smaller than any header. */
	memcpy(p, valid_hdr, sizeof(p));
	p[3] = 19;
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_LENGTH);
	p[3] = 0;
	fix_csum(p);
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_LENGTH);

	/* Checksum: one flipped bit anywhere in the header. */
	for (size_t i = 0; i < 20; i++) {
		memcpy(p, valid_hdr, sizeof(p));
		fix_csum(p);
		p[i] ^= 0x80;
		if (i == 0 || i == 2 || i == 3)
			continue;   /* version / tot_len: caught earlier */
		assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_CHECKSUM);
	}
	/* A payload byte is not covered. */
	memcpy(p, valid_hdr, sizeof(p));
	fix_csum(p);
	p[22] ^= 0xff;
	assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);
}

static void set_saddr(uint8_t *p, uint32_t a)
{
	p[12] = (uint8_t)(a >> 24);
	p[13] = (uint8_t)(a >> 16);
	p[14] = (uint8_t)(a >> 8);
	p[15] = (uint8_t)a;
	fix_csum(p);
}

static void test_parse_bad_source(void **state)
{
	static const uint32_t bad[] = { 0xe0000001, 0xefffffff, 0xe0000000, 0xffffffff, 0 };
	static const uint32_t good[] = { 0xdfffffff, 0xf0000000, 0x7f000001, 0x00000001 };
	uint8_t p[sizeof(valid_hdr)];
	struct ipv4_hdr h;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(p, valid_hdr, sizeof(p));
		set_saddr(p, bad[i]);
		assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_ERR_SADDR);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memcpy(p, valid_hdr, sizeof(p));
		set_saddr(p, good[i]);
		assert_int_equal(ipv4_parse(&h, p, sizeof(p)), IPV4_OK);
		assert_int_equal(h.saddr, good[i]);
	}
}

static void test_emit_bytes(void **state)
{
	static const uint8_t want[] = {
		0x45, 0x00, 0x00, 0x18, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
	};
	uint8_t out[20], w[20];

	memcpy(w, want, sizeof(w));
	fix_csum(w);
	assert_int_equal(ipv4_emit(out, 0x0a000001, 0x0a000002, IPPROTO_TCP_, 64, 0x1c46, 4, 1),
			 20);
	assert_memory_equal(out, w, 20);
	/* Same header as valid_hdr with TOS 0: sum f567, complement 0a98. */
	assert_int_equal(out[10], 0x0a);
	assert_int_equal(out[11], 0x98);

	assert_int_equal(ipv4_emit(out, 1, 2, IPPROTO_ICMP_, 1, 0, 0, 0), 20);
	assert_int_equal(out[6], 0);
	assert_int_equal(out[7], 0);
	assert_int_equal(out[9], 1);
	assert_int_equal(out[3], 20);

	memset(out, 0x5a, sizeof(out));
	assert_int_equal(ipv4_emit(out, 1, 2, 6, 64, 0, 65516, 0), 0);
	assert_int_equal(out[0], 0x5a);
	assert_int_equal(ipv4_emit(out, 1, 2, 6, 64, 0, 65515, 0), 20);
	assert_int_equal(out[2], 0xff);
	assert_int_equal(out[3], 0xff);
}

static void test_emit_parse_roundtrip(void **state)
{
	uint8_t buf[20 + 100];
	struct ipv4_hdr h;
	uint32_t x = 12345;

	for (int i = 0; i < 500; i++) {
		uint32_t s, d;
		uint16_t id, plen;
		uint8_t ttl, proto;
		int df;

		x = x * 1103515245u + 12345u;
		s = (x % 0xdf000000u) + 1;    /* 0.0.0.1 .. 222.255.255.255 */
		x = x * 1103515245u + 12345u;
		d = x;
		x = x * 1103515245u + 12345u;
		id = (uint16_t)(x >> 8);
		ttl = (uint8_t)(x >> 24);
		proto = (uint8_t)(x >> 3);
		df = (x >> 30) & 1;
		plen = (uint16_t)((x >> 12) % 101);
		memset(buf + 20, (int)i, plen);
		assert_int_equal(ipv4_emit(buf, s, d, proto, ttl, id, plen, df), 20);
		assert_int_equal(ipv4_parse(&h, buf, 20 + (size_t)plen), IPV4_OK);
		assert_int_equal(h.saddr, s);
		assert_int_equal(h.daddr, d);
		assert_int_equal(h.proto, proto);
		assert_int_equal(h.ttl, ttl);
		assert_int_equal(h.id, id);
		assert_int_equal(h.df, df);
		assert_int_equal(h.mf, 0);
		assert_int_equal(h.frag_off, 0);
		assert_int_equal(h.tos, 0);
		assert_int_equal(h.ihl, 20);
		assert_int_equal(h.payload_len, plen);
		assert_ptr_equal(h.payload, buf + 20);
	}
}

/* Echo request id 0x1234 seq 1 "abcd": 0800+1234+0001+6162+6364 = defb,
 * checksum 2104. */
static void test_icmp_echo_vector(void **state)
{
	static const uint8_t want[] = { 0x08, 0x00, 0x21, 0x04, 0x12, 0x34, 0x00, 0x01,
					'a', 'b', 'c', 'd' };
	uint8_t out[32];
	struct icmp_msg m;

	assert_int_equal(icmp_emit(out, ICMP_ECHO_, 0, 0x12340001, (const uint8_t *)"abcd", 4),
			 12);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(icmp_parse(&m, out, 12), 0);
	assert_int_equal(m.type, ICMP_ECHO_);
	assert_int_equal(m.code, 0);
	assert_int_equal(m.rest, 0x12340001);
	assert_ptr_equal(m.body, out + 8);
	assert_int_equal(m.body_len, 4);
}

/* A frag-needed unreachable quoting a header, odd body length, and a
 * reply built in place over the request. */
static void test_icmp_roundtrip(void **state)
{
	uint8_t quote[29], out[64];
	struct icmp_msg m;

	for (size_t i = 0; i < sizeof(quote); i++)
		quote[i] = (uint8_t)(0xc3 ^ i);
	assert_int_equal(icmp_emit(out, ICMP_DEST_UNREACH_, ICMP_FRAG_NEEDED_, 1400, quote,
				   sizeof(quote)), 37);
	assert_int_equal(icmp_parse(&m, out, 37), 0);
	assert_int_equal(m.type, ICMP_DEST_UNREACH_);
	assert_int_equal(m.code, ICMP_FRAG_NEEDED_);
	assert_int_equal(m.rest & 0xffff, 1400);
	assert_int_equal(m.body_len, sizeof(quote));
	assert_memory_equal(m.body, quote, sizeof(quote));

	assert_int_equal(icmp_emit(out, ICMP_ECHO_, 0, 7, quote, 10), 18);
	assert_int_equal(icmp_parse(&m, out, 18), 0);
	assert_int_equal(icmp_emit(out, ICMP_ECHOREPLY_, 0, m.rest, m.body, m.body_len), 18);
	assert_int_equal(icmp_parse(&m, out, 18), 0);
	assert_int_equal(m.type, ICMP_ECHOREPLY_);
	assert_int_equal(m.rest, 7);
	assert_memory_equal(m.body, quote, 10);

	/* Header only. */
	assert_int_equal(icmp_emit(out, ICMP_TIME_EXCEEDED_, 0, 0, NULL, 0), 8);
	assert_int_equal(icmp_parse(&m, out, 8), 0);
	assert_int_equal(m.body_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_trailing_padding),
		cmocka_unit_test(test_parse_fragment),
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_bad_source),
		cmocka_unit_test(test_emit_bytes),
		cmocka_unit_test(test_emit_parse_roundtrip),
		cmocka_unit_test(test_icmp_echo_vector),
		cmocka_unit_test(test_icmp_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
