/* TCP segments: emit against the bytes Linux sends, parse every field,
 * round trips, and the text forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wire/tcp.h"

#define SADDR 0xc0a80001u   /* 192.168.0.1 */
#define DADDR 0xc0a80002u   /* 192.168.0.2 */

/* A checksum written out independently of wire/checksum.c: the pseudo
 * header as bytes, then the segment, summed as 16-bit big-endian words. */
static uint16_t ref_tcp_csum(uint32_t s, uint32_t d, const uint8_t *seg, size_t len)
{
	uint8_t ph[12] = { (uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s,
			   (uint8_t)(d >> 24), (uint8_t)(d >> 16), (uint8_t)(d >> 8), (uint8_t)d,
			   0, 6, (uint8_t)(len >> 8), (uint8_t)len };
	unsigned long sum = 0;

	for (size_t i = 0; i < 12; i += 2)
		sum += (unsigned long)ph[i] << 8 | ph[i + 1];
	for (size_t i = 0; i < len; i++)
		sum += (i & 1) ? seg[i] : (unsigned long)seg[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static struct tcp_seg syn_seg(void)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = SADDR;
	s.daddr = DADDR;
	s.sport = 40000;
	s.dport = 80;
	s.seq = 0x11223344;
	s.ack = 0;
	s.flags = TCP_SYN;
	s.wnd = 64240;
	s.opt.has_mss = true;
	s.opt.mss = 1460;
	s.opt.sack_ok = true;
	s.opt.has_ts = true;
	s.opt.tsval = 0xa1b2c3d4;
	s.opt.tsecr = 0;
	s.opt.has_wscale = true;
	s.opt.wscale = 7;
	return s;
}

/* A Linux SYN: MSS, SACK_PERM folded into the TS word, NOP WS. */
static void test_linux_syn_bytes(void **state)
{
	static const uint8_t want[] = {
		0x9c, 0x40, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00,
		0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
		0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x03, 0x03, 0x07,
	};
	struct tcp_seg s = syn_seg();
	uint8_t out[100], w[sizeof(want)];
	uint16_t c;

	assert_int_equal(tcp_opts_len(&s.opt), 20);
	assert_int_equal(tcp_seg_emit(&s, out, sizeof(out)), 40);
	memcpy(w, want, sizeof(w));
	c = ref_tcp_csum(SADDR, DADDR, w, sizeof(w));
	w[16] = (uint8_t)(c >> 8);
	w[17] = (uint8_t)c;
	assert_memory_equal(out, w, sizeof(w));
}

/* SACK without timestamps: NOP NOP SACK_PERM after MSS, then NOP WS. */
static void test_linux_syn_sack_no_ts(void **state)
{
	static const uint8_t want[] = {
		0x9c, 0x40, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00,
		0x80, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07,
	};
	struct tcp_seg s = syn_seg();
	uint8_t out[100], w[sizeof(want)];
	uint16_t c;

	s.opt.has_ts = false;
	assert_int_equal(tcp_seg_emit(&s, out, sizeof(out)), 32);
	memcpy(w, want, sizeof(w));
	c = ref_tcp_csum(SADDR, DADDR, w, sizeof(w));
	w[16] = (uint8_t)(c >> 8);
	w[17] = (uint8_t)c;
	assert_memory_equal(out, w, sizeof(w));
}

/* Each option alone, and the other TS layout (NOP NOP TS). */
static void test_option_layouts(void **state)
{
	struct tcp_opts o;
	uint8_t out[40];

	memset(&o, 0, sizeof(o));
	assert_int_equal(tcp_opts_len(&o), 0);
	assert_int_equal(tcp_opts_emit(&o, out, 0), 0);

	o.has_ts = true;
	o.tsval = 1;
	o.tsecr = 0x01020304;
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 12);
	assert_memory_equal(out, "\x01\x01\x08\x0a\x00\x00\x00\x01\x01\x02\x03\x04", 12);

	memset(&o, 0, sizeof(o));
	o.sack_ok = true;
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 4);
	assert_memory_equal(out, "\x01\x01\x04\x02", 4);

	memset(&o, 0, sizeof(o));
	o.has_wscale = true;
	o.wscale = 14;
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 4);
	assert_memory_equal(out, "\x01\x03\x03\x0e", 4);

	/* Established ACK with TS and two SACK blocks (Linux order). */
	memset(&o, 0, sizeof(o));
	o.has_ts = true;
	o.tsval = 0x0a0b0c0d;
	o.tsecr = 0x01020304;
	o.nsack = 2;
	o.sack[0] = (struct tcp_sack_block){ 0x1000, 0x2000 };
	o.sack[1] = (struct tcp_sack_block){ 0xfffffff0, 0x10 };
	assert_int_equal(tcp_opts_len(&o), 32);
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 32);
	assert_memory_equal(out,
			    "\x01\x01\x08\x0a\x0a\x0b\x0c\x0d\x01\x02\x03\x04"
			    "\x01\x01\x05\x12"
			    "\x00\x00\x10\x00\x00\x00\x20\x00"
			    "\xff\xff\xff\xf0\x00\x00\x00\x10", 32);
	/* Too small a buffer: nothing. */
	assert_int_equal(tcp_opts_emit(&o, out, 31), -1);
}

static void test_tfo_layouts(void **state)
{
	struct tcp_opts o;
	uint8_t out[40];

	/* Cookie request: 22 02, NOP-padded after. */
	memset(&o, 0, sizeof(o));
	o.has_tfo = true;
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 4);
	assert_memory_equal(out, "\x22\x02\x01\x01", 4);

	/* Experimental request: fe 04 f9 89. */
	o.tfo_exp = true;
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 4);
	assert_memory_equal(out, "\xfe\x04\xf9\x89", 4);

	/* 8-byte cookie: 22 0a + cookie + NOP NOP. */
	memset(&o, 0, sizeof(o));
	o.has_tfo = true;
	o.tfo_len = 8;
	memcpy(o.tfo_cookie, "ABCDEFGH", 8);
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 12);
	assert_memory_equal(out, "\x22\x0a" "ABCDEFGH" "\x01\x01", 12);

	o.tfo_exp = true;
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 12);
	assert_memory_equal(out, "\xfe\x0c\xf9\x89" "ABCDEFGH", 12);

	/* A SYN with MSS, SACK+TS, WS and a 4-byte cookie: 20 + 8 = 28. */
	memset(&o, 0, sizeof(o));
	o.has_mss = true;
	o.mss = 1460;
	o.sack_ok = o.has_ts = o.has_wscale = true;
	o.wscale = 7;
	o.has_tfo = true;
	o.tfo_len = 4;
	memcpy(o.tfo_cookie, "\xde\xad\xbe\xef", 4);
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), 28);
	assert_memory_equal(out + 20, "\x22\x06\xde\xad\xbe\xef\x01\x01", 8);

	/* A cookie the struct cannot hold is refused. */
	o.tfo_len = 17;
	assert_int_equal(tcp_opts_len(&o), TCP_OPT_MAX + 1);
	assert_int_equal(tcp_opts_emit(&o, out, sizeof(out)), -1);
}

static void test_emit_refuses(void **state)
{
	struct tcp_seg s = syn_seg();
	uint8_t out[100];

	/* cap one byte short, and exactly right. */
	assert_int_equal(tcp_seg_emit(&s, out, 39), 0);
	assert_int_equal(tcp_seg_emit(&s, out, 40), 40);
	s.data = (const uint8_t *)"hello";
	s.len = 5;
	assert_int_equal(tcp_seg_emit(&s, out, 44), 0);
	assert_int_equal(tcp_seg_emit(&s, out, 45), 45);

	/* MSS + TS + WS + 3 SACK blocks = 4 + 12 + 4 + 28 = 48 > 40. */
	s.opt.nsack = 3;
	assert_int_equal(tcp_opts_len(&s.opt), 48);
	assert_int_equal(tcp_seg_emit(&s, out, sizeof(out)), 0);
	s.opt.nsack = 2;
	assert_int_equal(tcp_seg_emit(&s, out, sizeof(out)), 20 + 40 + 5);
	s.opt.nsack = 5;
	assert_int_equal(tcp_seg_emit(&s, out, sizeof(out)), 0);
}

static void test_parse_fields(void **state)
{
	uint8_t p[] = {
		0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x00, 0x00, 0x65,
		0x50, 0x18 | 0x20, 0x10, 0x00, 0x00, 0x00, 0x00, 0x07,
		'd', 'a', 't', 'a',
	};
	struct tcp_seg s;
	uint16_t c = ref_tcp_csum(DADDR, SADDR, p, sizeof(p));

	p[16] = (uint8_t)(c >> 8);
	p[17] = (uint8_t)c;
	assert_int_equal(tcp_seg_parse(&s, DADDR, SADDR, p, sizeof(p)), TCP_PARSE_OK);
	assert_int_equal(s.saddr, DADDR);
	assert_int_equal(s.daddr, SADDR);
	assert_int_equal(s.sport, 80);
	assert_int_equal(s.dport, 40000);
	assert_int_equal(s.seq, 300);
	assert_int_equal(s.ack, 101);
	assert_int_equal(s.flags, TCP_PSH | TCP_ACK | TCP_URG);
	assert_int_equal(s.wnd, 0x1000);
	assert_int_equal(s.urp, 7);
	assert_int_equal(s.len, 4);
	assert_ptr_equal(s.data, p + 20);
	assert_false(s.opt.has_mss || s.opt.has_ts || s.opt.sack_ok || s.opt.has_wscale ||
		     s.opt.has_tfo || s.opt.nsack);
	/* The addresses are in the sum (pseudo header). Swapping them would
	 * not show: the one's-complement sum commutes. */
	assert_int_equal(tcp_seg_parse(&s, DADDR + 1, SADDR, p, sizeof(p)), TCP_PARSE_CHECKSUM);
	assert_int_equal(tcp_seg_parse(&s, DADDR, SADDR ^ 0x01000000, p, sizeof(p)),
			 TCP_PARSE_CHECKSUM);
}

static void assert_seg_equal(const struct tcp_seg *a, const struct tcp_seg *b)
{
	assert_int_equal(a->saddr, b->saddr);
	assert_int_equal(a->daddr, b->daddr);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->wnd, b->wnd);
	assert_int_equal(a->urp, b->urp);
	assert_int_equal(a->len, b->len);
	if (a->len)
		assert_memory_equal(a->data, b->data, a->len);
	assert_int_equal(a->opt.has_mss, b->opt.has_mss);
	if (a->opt.has_mss)
		assert_int_equal(a->opt.mss, b->opt.mss);
	assert_int_equal(a->opt.has_wscale, b->opt.has_wscale);
	if (a->opt.has_wscale)
		assert_int_equal(a->opt.wscale, b->opt.wscale);
	assert_int_equal(a->opt.sack_ok, b->opt.sack_ok);
	assert_int_equal(a->opt.has_ts, b->opt.has_ts);
	if (a->opt.has_ts) {
		assert_int_equal(a->opt.tsval, b->opt.tsval);
		assert_int_equal(a->opt.tsecr, b->opt.tsecr);
	}
	assert_int_equal(a->opt.nsack, b->opt.nsack);
	for (int i = 0; i < a->opt.nsack; i++) {
		assert_int_equal(a->opt.sack[i].start, b->opt.sack[i].start);
		assert_int_equal(a->opt.sack[i].end, b->opt.sack[i].end);
	}
	assert_int_equal(a->opt.has_tfo, b->opt.has_tfo);
	if (a->opt.has_tfo) {
		assert_int_equal(a->opt.tfo_exp, b->opt.tfo_exp);
		assert_int_equal(a->opt.tfo_len, b->opt.tfo_len);
		assert_memory_equal(a->opt.tfo_cookie, b->opt.tfo_cookie, a->opt.tfo_len);
	}
}

/* The SYN above, with data, parses back to itself. */
static void test_roundtrip_syn_with_data(void **state)
{
	struct tcp_seg s = syn_seg(), r;
	uint8_t out[200];
	size_t n;

	s.data = (const uint8_t *)"GET / HTTP/1.0\r\n\r\n";
	s.len = 18;
	s.opt.has_tfo = true;
	s.opt.tfo_len = 0;
	n = tcp_seg_emit(&s, out, sizeof(out));
	assert_int_equal(n, 20 + 24 + 18);
	assert_int_equal(tcp_seg_parse(&r, SADDR, DADDR, out, n), TCP_PARSE_OK);
	assert_seg_equal(&s, &r);
	assert_ptr_equal(r.data, out + 44);
	/* Any flipped bit is caught. */
	for (size_t i = 0; i < n * 8; i += 7) {
		out[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(tcp_seg_parse(&r, SADDR, DADDR, out, n), TCP_PARSE_OK);
		out[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}

static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/* Random valid segments survive emit -> parse, respecting which options
 * count on a SYN (MSS, WS, SACK_PERM, TFO) and which off it (SACK). */
static void test_roundtrip_random(void **state)
{
	uint8_t out[20 + 40 + 300], payload[300];
	uint32_t x = 42;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)lcg(&x);
	for (int iter = 0; iter < 3000; iter++) {
		struct tcp_seg s, r;
		bool syn = lcg(&x) & 1;
		size_t n;

		memset(&s, 0, sizeof(s));
		s.saddr = lcg(&x) << 8 | lcg(&x);
		s.daddr = lcg(&x) << 8 | lcg(&x);
		s.sport = (uint16_t)lcg(&x);
		s.dport = (uint16_t)lcg(&x);
		s.seq = lcg(&x) << 8 ^ lcg(&x);
		s.ack = lcg(&x) << 8 ^ lcg(&x);
		s.flags = (uint8_t)((lcg(&x) & ~(uint32_t)TCP_SYN) | (syn ? TCP_SYN : 0));
		s.wnd = (uint16_t)lcg(&x);
		s.urp = (uint16_t)lcg(&x);
		s.len = lcg(&x) % 301;
		s.data = payload + (s.len ? lcg(&x) % (301 - s.len) : 0);
		s.opt.has_ts = lcg(&x) & 1;
		s.opt.tsval = lcg(&x) << 8 | lcg(&x);
		s.opt.tsecr = lcg(&x) << 8 | lcg(&x);
		if (syn) {
			s.opt.has_mss = lcg(&x) & 1;
			s.opt.mss = (uint16_t)(lcg(&x) % 0xffff + 1);
			s.opt.has_wscale = lcg(&x) & 1;
			s.opt.wscale = (uint8_t)lcg(&x);
			s.opt.sack_ok = lcg(&x) & 1;
			s.opt.has_tfo = lcg(&x) & 1;
			s.opt.tfo_exp = s.opt.has_tfo && (lcg(&x) & 1);
			if (s.opt.has_tfo && (lcg(&x) & 1))
				s.opt.tfo_len = (uint8_t)(4 + 2 * (lcg(&x) % 7));
			for (int k = 0; k < s.opt.tfo_len; k++)
				s.opt.tfo_cookie[k] = (uint8_t)lcg(&x);
		} else {
			s.opt.nsack = (uint8_t)(lcg(&x) % 5);
			for (int k = 0; k < s.opt.nsack; k++)
				s.opt.sack[k] = (struct tcp_sack_block){ lcg(&x), lcg(&x) };
		}
		n = tcp_seg_emit(&s, out, sizeof(out));
		if (tcp_opts_len(&s.opt) > TCP_OPT_MAX) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 20 + tcp_opts_len(&s.opt) + s.len);
		assert_int_equal(out[12] >> 4, (20 + tcp_opts_len(&s.opt)) / 4);
		assert_int_equal(tcp_seg_parse(&r, s.saddr, s.daddr, out, n), TCP_PARSE_OK);
		assert_seg_equal(&s, &r);
	}
}

static void test_format(void **state)
{
	struct tcp_seg s;
	char buf[128];

	memset(&s, 0, sizeof(s));
	s.seq = 100;
	s.ack = 301;
	s.flags = TCP_SYN | TCP_ACK;
	assert_int_equal(tcp_seg_format(&s, buf, sizeof(buf)), 31);
	assert_string_equal(buf, "<SEQ=100><ACK=301><CTL=SYN,ACK>");

	s.flags = TCP_SYN;
	assert_int_equal(tcp_seg_format(&s, buf, sizeof(buf)), 18);
	assert_string_equal(buf, "<SEQ=100><CTL=SYN>");

	s.flags = TCP_PSH | TCP_ACK;
	s.seq = 4294967295u;
	s.len = 5;
	tcp_seg_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "<SEQ=4294967295><ACK=301><CTL=PSH,ACK><DATA=5>");

	s.flags = 0;
	s.len = 0;
	tcp_seg_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "<SEQ=4294967295><CTL=->");

	/* snprintf-like: truncation returns the full length. */
	s.seq = 100;
	s.flags = TCP_RST | TCP_ACK;
	assert_int_equal(tcp_seg_format(&s, buf, 10), 31);
	assert_string_equal(buf, "<SEQ=100>");
	assert_int_equal(tcp_seg_format(&s, NULL, 0), 31);
}

static void test_flags_format(void **state)
{
	char buf[64];

	assert_int_equal(tcp_flags_format(TCP_SYN | TCP_ACK, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "SYN,ACK");
	tcp_flags_format(TCP_FIN | TCP_ACK, buf, sizeof(buf));
	assert_string_equal(buf, "FIN,ACK");
	assert_int_equal(tcp_flags_format(0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "-");
	assert_int_equal(tcp_flags_format(0xff, buf, sizeof(buf)), 31);
	assert_string_equal(buf, "SYN,FIN,RST,PSH,ACK,URG,ECE,CWR");
	tcp_flags_format(TCP_RST, buf, sizeof(buf));
	assert_string_equal(buf, "RST");
	tcp_flags_format(TCP_CWR | TCP_ECE | TCP_SYN, buf, sizeof(buf));
	assert_string_equal(buf, "SYN,ECE,CWR");
	assert_int_equal(tcp_flags_format(TCP_SYN | TCP_ACK, buf, 4), 7);
	assert_string_equal(buf, "SYN");
	assert_int_equal(tcp_flags_format(TCP_SYN, NULL, 0), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_syn_bytes),
		cmocka_unit_test(test_linux_syn_sack_no_ts),
		cmocka_unit_test(test_option_layouts),
		cmocka_unit_test(test_tfo_layouts),
		cmocka_unit_test(test_emit_refuses),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_roundtrip_syn_with_data),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_flags_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
