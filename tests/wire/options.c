/* TCP option parsing, case by case, against what Linux's
 * tcp_parse_options() would make of the same bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wire/tcp.h"

/* Parse n option bytes from a heap copy of exactly n bytes, so that a
 * read past the end is an ASan error rather than a read of the literal's
 * NUL. The result holds no pointer into the bytes. */
static void parse_exact(struct tcp_opts *o, const char *b, size_t n, bool syn)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, b, n);
	tcp_opts_parse(o, p, n, syn);
	free(p);
}

/* A string literal of option bytes (sizeof - 1: drop the NUL). */
#define PARSE(o, lit, syn) parse_exact((o), (lit), sizeof(lit) - 1, (syn))

static void assert_empty(const struct tcp_opts *o)
{
	assert_false(o->has_mss);
	assert_false(o->has_wscale);
	assert_false(o->sack_ok);
	assert_false(o->has_ts);
	assert_false(o->has_tfo);
	assert_int_equal(o->nsack, 0);
}

static void test_linux_syn(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x02\x04\x05\xb4\x04\x02\x08\x0a\x01\x02\x03\x04\x05\x06\x07\x08"
		  "\x01\x03\x03\x07", true);
	assert_true(o.has_mss);
	assert_int_equal(o.mss, 1460);
	assert_true(o.sack_ok);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, 0x01020304);
	assert_int_equal(o.tsecr, 0x05060708);
	assert_true(o.has_wscale);
	assert_int_equal(o.wscale, 7);
	assert_false(o.has_tfo);
	assert_int_equal(o.nsack, 0);

	PARSE(&o, "\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07", true);
	assert_true(o.has_mss && o.sack_ok && o.has_wscale);
	assert_false(o.has_ts);
}

static void test_empty_and_padding(void **state)
{
	struct tcp_opts o;

	memset(&o, 0xff, sizeof(o));
	tcp_opts_parse(&o, NULL, 0, true);
	assert_empty(&o);
	PARSE(&o, "\x01\x01\x01\x01", true);
	assert_empty(&o);
	PARSE(&o, "\x00\x00\x00\x00", true);
	assert_empty(&o);
}

/* EOL ends the list even if bytes follow (RFC 9293 3.2). */
static void test_eol_stops(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x03\x03\x05\x00\x02\x04\x05\xb4", true);
	assert_true(o.has_wscale);
	assert_int_equal(o.wscale, 5);
	assert_false(o.has_mss);
	/* Were 00 read as a kind with a length, 03 would skip to the MSS. */
	PARSE(&o, "\x00\x03\x00\x02\x04\x05\xb4\x01", true);
	assert_empty(&o);
}

/* Kinds with no length byte, lengths 0 and 1, lengths past the end:
 * stop, keep what came before. */
static void test_unwalkable_stops(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x02\x04\x05\xb4\x08", true);                 /* no length byte */
	assert_true(o.has_mss);
	assert_int_equal(o.mss, 1460);
	assert_false(o.has_ts);

	PARSE(&o, "\x02\x04\x05\xb4\x03\x00\x01\x03\x03\x07", true);  /* length 0 */
	assert_true(o.has_mss);
	assert_false(o.has_wscale);

	PARSE(&o, "\x02\x04\x05\xb4\x1e\x01\x01\x03\x03\x07", true);  /* length 1 */
	assert_true(o.has_mss);
	assert_false(o.has_wscale);

	PARSE(&o, "\x02\x04\x05\xb4\x08\x0a\x00\x00\x00\x01", true);  /* 10 > 6 left */
	assert_true(o.has_mss);
	assert_false(o.has_ts);

	PARSE(&o, "\x02\x05\x05\xb4", true);                     /* 5 > 4 left */
	assert_empty(&o);

	/* A NOP alone is one byte: a kind-less list end is fine. */
	PARSE(&o, "\x01\x03\x03\x02\x01", true);
	assert_true(o.has_wscale);
	assert_int_equal(o.wscale, 2);
}

/* Known kinds of the wrong size are skipped by their length and the
 * walk goes on. */
static void test_wrong_length_ignored(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x02\x03\x05\x03\x03\x07", true);            /* MSS len 3, WS ok */
	assert_false(o.has_mss);
	assert_true(o.has_wscale);

	PARSE(&o, "\x02\x05\x05\xb4\x00\x03\x03\x07", true);    /* MSS len 5 */
	assert_false(o.has_mss);
	assert_true(o.has_wscale);

	PARSE(&o, "\x03\x04\x07\x00\x02\x04\x05\xb4", true);    /* WS len 4 */
	assert_false(o.has_wscale);
	assert_true(o.has_mss);

	PARSE(&o, "\x03\x02\x02\x04\x05\xb4", true);            /* WS len 2 */
	assert_false(o.has_wscale);
	assert_true(o.has_mss);

	PARSE(&o, "\x08\x08\x01\x02\x03\x04\x05\x06\x02\x04\x05\xb4", true);  /* TS len 8 */
	assert_false(o.has_ts);
	assert_true(o.has_mss);

	PARSE(&o, "\x08\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x03\x03\x01", true);
	assert_false(o.has_ts);                                  /* TS len 12 */
	assert_true(o.has_wscale);

	PARSE(&o, "\x04\x03\x00\x03\x03\x01", true);            /* SACK_PERM len 3 */
	assert_false(o.sack_ok);
	assert_true(o.has_wscale);
}

/* MSS, WS and SACK_PERM count only on a SYN; TS on any segment. */
static void test_syn_only(void **state)
{
	struct tcp_opts o;
	static const char b[] = "\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x09\x00\x00\x00\x0a"
				"\x01\x03\x03\x07";

	tcp_opts_parse(&o, (const uint8_t *)b, sizeof(b) - 1, false);
	assert_false(o.has_mss);
	assert_false(o.sack_ok);
	assert_false(o.has_wscale);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, 9);
	assert_int_equal(o.tsecr, 10);
}

static void test_mss_values(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x02\x04\x00\x00", true);   /* MSS 0: ignored */
	assert_false(o.has_mss);
	PARSE(&o, "\x02\x04\x05\xb4\x02\x04\x00\x00", true);   /* 0 after 1460: keep 1460 */
	assert_true(o.has_mss);
	assert_int_equal(o.mss, 1460);
	PARSE(&o, "\x02\x04\x05\xb4\x02\x04\x02\x18", true);   /* a repeat overwrites */
	assert_int_equal(o.mss, 536);
	PARSE(&o, "\x02\x04\xff\xff", true);
	assert_int_equal(o.mss, 65535);
	PARSE(&o, "\x03\x03\x0f", true);                       /* raw shift, no clamp */
	assert_true(o.has_wscale);
	assert_int_equal(o.wscale, 15);
	PARSE(&o, "\x03\x03\xff", true);
	assert_int_equal(o.wscale, 255);
}

static void test_sack_blocks(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x01\x01\x05\x0a\x00\x00\x10\x00\x00\x00\x20\x00", false);
	assert_int_equal(o.nsack, 1);
	assert_int_equal(o.sack[0].start, 0x1000);
	assert_int_equal(o.sack[0].end, 0x2000);

	PARSE(&o, "\x05\x22"
		  "\x00\x00\x00\x01\x00\x00\x00\x02" "\x00\x00\x00\x03\x00\x00\x00\x04"
		  "\x00\x00\x00\x05\x00\x00\x00\x06" "\xff\xff\xff\xff\x00\x00\x00\x00"
		  "\x01\x01", false);
	assert_int_equal(o.nsack, 4);
	assert_int_equal(o.sack[2].start, 5);
	assert_int_equal(o.sack[2].end, 6);
	assert_int_equal(o.sack[3].start, 0xffffffff);
	assert_int_equal(o.sack[3].end, 0);

	/* Bad lengths: no block (2), not 2 + 8n (11, 9); the walk goes on. */
	PARSE(&o, "\x05\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", false);
	assert_int_equal(o.nsack, 0);
	assert_true(o.has_ts);
	PARSE(&o, "\x05\x0b\x00\x00\x00\x01\x00\x00\x00\x02\x00\x01\x01\x08\x0a"
		  "\x00\x00\x00\x01\x00\x00\x00\x02", false);
	assert_int_equal(o.nsack, 0);
	assert_true(o.has_ts);
	PARSE(&o, "\x05\x09\x00\x00\x00\x01\x00\x00\x00", false);
	assert_int_equal(o.nsack, 0);

	/* On a SYN, blocks are ignored. */
	PARSE(&o, "\x05\x0a\x00\x00\x10\x00\x00\x00\x20\x00", true);
	assert_int_equal(o.nsack, 0);
}

/* A list longer than the 40 bytes a header has (only tcp_opts_parse can
 * be handed one): five blocks, only four kept. */
static void test_sack_more_than_four(void **state)
{
	uint8_t b[42];
	struct tcp_opts o;

	b[0] = TCPOPT_SACK;
	b[1] = 42;
	for (int i = 0; i < 40; i++)
		b[2 + i] = (uint8_t)(i / 4 + 1);   /* words 1,2,3,... as bytes */
	tcp_opts_parse(&o, b, sizeof(b), false);
	assert_int_equal(o.nsack, TCP_SACK_MAX);
	assert_int_equal(o.sack[3].start, 0x07070707);
	assert_int_equal(o.sack[3].end, 0x08080808);
}

static void test_tfo(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x22\x02", true);                               /* request */
	assert_true(o.has_tfo);
	assert_int_equal(o.tfo_len, 0);
	assert_false(o.tfo_exp);

	PARSE(&o, "\x22\x06\xde\xad\xbe\xef", true);
	assert_true(o.has_tfo);
	assert_int_equal(o.tfo_len, 4);
	assert_memory_equal(o.tfo_cookie, "\xde\xad\xbe\xef", 4);

	PARSE(&o, "\x22\x12" "0123456789abcdef", true);             /* 16, the most */
	assert_true(o.has_tfo);
	assert_int_equal(o.tfo_len, 16);
	assert_memory_equal(o.tfo_cookie, "0123456789abcdef", 16);

	PARSE(&o, "\x22\x04\x01\x02", true);                       /* 2: too short */
	assert_false(o.has_tfo);
	PARSE(&o, "\x22\x14" "0123456789abcdefgh", true);           /* 18: too long */
	assert_false(o.has_tfo);
	PARSE(&o, "\x22\x07\x01\x02\x03\x04\x05", true);           /* odd: ignored */
	assert_false(o.has_tfo);
	PARSE(&o, "\x22\x06\xde\xad\xbe\xef", false);               /* not a SYN */
	assert_false(o.has_tfo);
	/* An invalid cookie after a good one cancels it (as Linux). */
	PARSE(&o, "\x22\x06\xde\xad\xbe\xef\x22\x04\x01\x02", true);
	assert_false(o.has_tfo);

	/* Experimental kind 254 with the Fast Open ExID (RFC 6994). */
	PARSE(&o, "\xfe\x04\xf9\x89", true);
	assert_true(o.has_tfo);
	assert_true(o.tfo_exp);
	assert_int_equal(o.tfo_len, 0);
	PARSE(&o, "\xfe\x0c\xf9\x89" "ABCDEFGH", true);
	assert_true(o.has_tfo);
	assert_true(o.tfo_exp);
	assert_int_equal(o.tfo_len, 8);
	assert_memory_equal(o.tfo_cookie, "ABCDEFGH", 8);
	PARSE(&o, "\xfe\x08\x12\x34" "ABCD", true);                 /* someone else's */
	assert_false(o.has_tfo);
	PARSE(&o, "\xfe\x03\xf9\x02\x04\x05\xb4", true);           /* too short for ExID */
	assert_false(o.has_tfo);
	assert_true(o.has_mss);
}

/* Unknown kinds are skipped by their length. */
static void test_unknown_skipped(void **state)
{
	struct tcp_opts o;

	PARSE(&o, "\x1e\x06\xaa\xbb\xcc\xdd\x02\x04\x05\xb4", true);   /* MPTCP-ish */
	assert_true(o.has_mss);
	PARSE(&o, "\x13\x12" "0123456789abcdef" "\x03\x03\x04", true); /* MD5 */
	assert_true(o.has_wscale);
	assert_int_equal(o.wscale, 4);
	PARSE(&o, "\x63\x02\x04\x02", true);                          /* 2-byte unknown */
	assert_true(o.sack_ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_syn),
		cmocka_unit_test(test_empty_and_padding),
		cmocka_unit_test(test_eol_stops),
		cmocka_unit_test(test_unwalkable_stops),
		cmocka_unit_test(test_wrong_length_ignored),
		cmocka_unit_test(test_syn_only),
		cmocka_unit_test(test_mss_values),
		cmocka_unit_test(test_sack_blocks),
		cmocka_unit_test(test_sack_more_than_four),
		cmocka_unit_test(test_tfo),
		cmocka_unit_test(test_unknown_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
