/*
 * The receiver's SACK blocks (RFC 2018) and D-SACK (RFC 2883) as Linux
 * sends them: with SACK agreed, every ACK carries the out-of-order blocks,
 * the most recently received first (RFC 2018 4), at most 4 (3 beside
 * timestamps); a duplicate segment is reported as the first block
 * (RFC 2883 4), counted TCPDSACKOldSent below RCV.NXT and TCPDSACKOfoSent
 * above it. Offsets below are from the peer's first data byte.
 */
#include <string.h>

#include "scenario.h"
#include "wire/ipv4.h"

static char payload[4096];

#define D0 (R_ISS + 1) /* the peer's first data byte */

/* A passive connection; SYN options MSS, and SACK-permitted and/or
 * timestamps as asked (peer TSval 1000). */
static int sack_established(struct scn *t, uint32_t *iss, bool sack, bool ts)
{
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = sack, .has_ts = ts,
			      .tsval = 1000};
	return fx_passive_established_opts(t, &in, 1, iss);
}

/* The peer's data at offset off, n bytes (timestamps if ts). */
static void data_at(struct scn *t, uint64_t ms, uint32_t iss, uint32_t off, uint32_t n, bool ts)
{
	struct tcp_opts o = {.has_ts = ts, .tsval = 1002, .tsecr = 1};
	scn_inject(t, ms, SEG(.flags = ACK, .seq = D0 + off, .ack = iss + 1, .data = payload,
			      .len = n, .opt = &o));
}

/* Pop our next segment: a pure ACK of offset ack with exactly these SACK
 * blocks (pairs of offsets), in order. */
static void expect_sack(struct scn *t, uint32_t ack, unsigned n, const uint32_t *blk)
{
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.ack, D0 + ack);
	assert_int_equal(s.opt.nsack, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(s.opt.sack[i].start, D0 + blk[2 * i]);
		assert_int_equal(s.opt.sack[i].end, D0 + blk[2 * i + 1]);
	}
}

/* RFC 2018 4: one hole, the ACK names the block after it. The option is
 * NOP NOP SACK(10) on the wire (Linux's layout). */
static void established_sack__one_hole__one_block(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss, true, false);
	data_at(t, 10, iss, 1000, 500, false);
	assert_true(t->head < t->nout);
	struct scn_pkt *p = &t->out[t->head];
	struct ipv4_hdr ip;
	assert_int_equal(ipv4_parse(&ip, p->data, p->len), IPV4_OK);
	const uint8_t *th = ip.payload;
	assert_int_equal(th[12] >> 4, 8); /* 20 + 12 option bytes */
	uint32_t s = D0 + 1000, e = D0 + 1500;
	const uint8_t want[] = {1, 1, 5, 10, s >> 24, s >> 16 & 0xff, s >> 8 & 0xff, s & 0xff,
				e >> 24, e >> 16 & 0xff, e >> 8 & 0xff, e & 0xff};
	assert_memory_equal(th + 20, want, sizeof(want));
	expect_sack(t, 0, 1, (const uint32_t[]){1000, 1500});
	assert_int_equal(scn_counter(t, "TcpExtTCPOFOQueue"), 1);
	scn_free(t);
}

/* RFC 2018 4: several holes, newest block first; a segment joining two
 * blocks makes one block that comes first; filling the first hole moves
 * the ACK and drops the blocks below it. */
static void established_sack__several_holes__newest_first(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss, true, false);
	data_at(t, 10, iss, 200, 100, false);
	expect_sack(t, 0, 1, (const uint32_t[]){200, 300});
	data_at(t, 11, iss, 600, 100, false);
	expect_sack(t, 0, 2, (const uint32_t[]){600, 700, 200, 300});
	data_at(t, 12, iss, 400, 100, false);
	expect_sack(t, 0, 3, (const uint32_t[]){400, 500, 600, 700, 200, 300});
	data_at(t, 13, iss, 300, 100, false); /* joins [200,300) and [400,500) */
	expect_sack(t, 0, 2, (const uint32_t[]){200, 500, 600, 700});
	data_at(t, 14, iss, 0, 200, false); /* fills the first hole */
	expect_sack(t, 500, 1, (const uint32_t[]){600, 700});
	data_at(t, 15, iss, 500, 100, false); /* and the last */
	expect_sack(t, 700, 0, NULL);
	scn_expect_none(t);
	scn_free(t);
}

/* RFC 2018 3: at most 4 blocks fit, 3 beside timestamps (NOP NOP TS takes
 * 12 of the 40 option bytes); the oldest blocks are left out. */
static void established_sack__five_holes__four_blocks_three_with_ts(void **state)
{
	for (int ts = 0; ts <= 1; ts++) {
		struct scn *t = scn_new(NULL);
		uint32_t iss;
		sack_established(t, &iss, true, ts);
		for (uint32_t i = 0; i < 5; i++) {
			data_at(t, 10 + i, iss, 200 * (i + 1), 100, ts);
			struct tcp_seg s;
			assert_true(scn_pop(t, &s, NULL));
		}
		const uint32_t newest[] = {1000, 1100, 800, 900, 600, 700, 400, 500};
		data_at(t, 20, iss, 1000, 100, ts); /* again: D-SACK + 3 or 2 */
		struct tcp_seg s;
		assert_true(scn_pop(t, &s, NULL));
		assert_int_equal(s.opt.nsack, ts ? 3 : 4);
		assert_int_equal(s.opt.sack[0].start, D0 + 1000); /* the D-SACK */
		assert_int_equal(s.opt.sack[0].end, D0 + 1100);
		for (unsigned i = 1; i < s.opt.nsack; i++) {
			assert_int_equal(s.opt.sack[i].start, D0 + newest[2 * (i - 1)]);
			assert_int_equal(s.opt.sack[i].end, D0 + newest[2 * (i - 1) + 1]);
		}
		data_at(t, 21, iss, 100, 10, ts); /* new data: no D-SACK now */
		expect_sack(t, 0, ts ? 3 : 4, (const uint32_t[]){100, 110, 1000, 1100, 800, 900, 600, 700});
		scn_free(t);
	}
}

/* RFC 2883 4.1.1: a segment wholly below RCV.NXT is reported as the
 * first block, once (TCPDSACKOldSent). */
static void established_sack__old_duplicate__dsack_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss, true, true);
	data_at(t, 10, iss, 0, 100, true);
	expect_sack(t, 100, 0, NULL); /* quick ACK */
	data_at(t, 20, iss, 0, 100, true);
	expect_sack(t, 100, 1, (const uint32_t[]){0, 100});
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOldSent"), 1);
	data_at(t, 30, iss, 100, 100, true);
	expect_sack(t, 200, 0, NULL);
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOfoSent"), 0);
	scn_free(t);
}

/* RFC 2883 4.1.1: a segment partly below RCV.NXT: the old part is the
 * D-SACK block, the new part is taken. */
static void established_sack__partial_duplicate__dsack_old_part(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss, true, false);
	data_at(t, 10, iss, 0, 100, false);
	expect_sack(t, 100, 0, NULL);
	data_at(t, 20, iss, 50, 100, false);
	expect_sack(t, 150, 1, (const uint32_t[]){50, 100});
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOldSent"), 1);
	scn_free(t);
}

/* RFC 2883 4.1.2: a duplicate of held out-of-order data: D-SACK of it,
 * then the block that holds it (TCPDSACKOfoSent, TCPOFOMerge). */
static void established_sack__ooo_duplicate__dsack_then_block(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss, true, true);
	data_at(t, 10, iss, 200, 100, true);
	expect_sack(t, 0, 1, (const uint32_t[]){200, 300});
	data_at(t, 11, iss, 500, 100, true);
	expect_sack(t, 0, 2, (const uint32_t[]){500, 600, 200, 300});
	data_at(t, 12, iss, 200, 100, true);
	expect_sack(t, 0, 3, (const uint32_t[]){200, 300, 200, 300, 500, 600});
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOfoSent"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPOFOMerge"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOldSent"), 0);
	scn_free(t);
}

/* RFC 2018 2: without SACK-permitted in both SYNs, no block is sent, not
 * even for duplicates; tcp_dsack = 0 stops only the D-SACK. */
static void established_no_sack__holes_and_dups__no_blocks(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss, false, true);
	data_at(t, 10, iss, 200, 100, true);
	expect_sack(t, 0, 0, NULL);
	data_at(t, 11, iss, 200, 100, true);
	expect_sack(t, 0, 0, NULL);
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOfoSent"), 0);
	scn_free(t);

	struct synack_config c;
	synack_config_default(&c);
	c.tcp_dsack = 0;
	t = scn_new(&c);
	sack_established(t, &iss, true, false);
	data_at(t, 10, iss, 200, 100, false);
	expect_sack(t, 0, 1, (const uint32_t[]){200, 300});
	data_at(t, 11, iss, 200, 100, false);
	expect_sack(t, 0, 1, (const uint32_t[]){200, 300});
	scn_free(t);
}

/* Linux tcp_current_mss: while SACK blocks ride on our segments, the data
 * of each shrinks by their option space, so the packet still fits the
 * MTU: one block (12 bytes) leaves 1448 of 1460; two blocks leave 1440. */
static void established_sack__data_with_blocks__shorter_segments(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = sack_established(t, &iss, true, false);
	data_at(t, 10, iss, 1000, 500, false);
	expect_sack(t, 0, 1, (const uint32_t[]){1000, 1500});
	static char big[3000];
	memset(big, 'b', sizeof(big));
	assert_int_equal(synack_send(t->st, fd, big, sizeof(big), 0), 3000);
	struct tcp_seg seg;
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.len, 1448);
	assert_int_equal(seg.opt.nsack, 1);
	assert_int_equal(t->out[t->head - 1].len, 1500); /* a full-MTU packet, not more */
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.len, 1448);
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.len, 3000 - 2 * 1448);
	/* Linux tcp_send_loss_probe (RFC 8985 7): three segments out, SRTT
	 * 1 ms: the probe goes at 10 + 2 * 1 + 2 ms and resends the last
	 * segment, cut at the same 1448 bytes. */
	synack_time_t at;
	scn_at(t, 14);
	assert_true(scn_pop(t, &seg, &at));
	assert_int_equal(at, SYNACK_MS(14));
	assert_int_equal(seg.flags, ACK | PSH);
	assert_int_equal(seg.seq, iss + 1 + 2 * 1448);
	assert_int_equal(seg.len, 3000 - 2 * 1448);
	data_at(t, 20, iss, 2000, 100, false);
	expect_sack(t, 0, 2, (const uint32_t[]){2000, 2100, 1000, 1500});
	assert_int_equal(synack_send(t->st, fd, big, sizeof(big), 0), 3000);
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.opt.nsack, 2);
	assert_int_equal(seg.len, 1440);
	assert_int_equal(t->out[t->head - 1].len, 1500);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(established_sack__data_with_blocks__shorter_segments),
		cmocka_unit_test(established_sack__one_hole__one_block),
		cmocka_unit_test(established_sack__several_holes__newest_first),
		cmocka_unit_test(established_sack__five_holes__four_blocks_three_with_ts),
		cmocka_unit_test(established_sack__old_duplicate__dsack_once),
		cmocka_unit_test(established_sack__partial_duplicate__dsack_old_part),
		cmocka_unit_test(established_sack__ooo_duplicate__dsack_then_block),
		cmocka_unit_test(established_no_sack__holes_and_dups__no_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
