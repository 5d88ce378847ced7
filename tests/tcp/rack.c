/*
 * Transmission times (src/tcp/rack.c): Linux's RTT sample on every ACK
 * (tcp_clean_rtx_queue, tcp_ack_update_rtt) and RACK loss detection with
 * its reordering timer (RFC 8985 6; Linux tcp_rack_mark_lost,
 * tcp_rack_reo_timeout, tcp_recovery 1). Segments are 1000 bytes; the
 * tail loss probe is off (tests/tcp/tlp.c covers it).
 */
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

#define MSS 1000

static char payload[32 * MSS];

static struct tcp_info info_of(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static struct scn *scn_rack(void)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_early_retrans = 0;
	return scn_new(&cfg);
}

/* A passive connection with SACK agreed, handshake RTT rtt_ms. */
static int established(struct scn *t, uint32_t *iss, uint64_t rtt_ms)
{
	struct tcp_opts in = {.has_mss = true, .mss = MSS, .sack_ok = true};
	return fx_passive_established_opts(t, &in, rtt_ms, iss);
}

/* Our next segment: [from, from + n) (bytes after the ISN + 1) at ms. */
static void expect_bytes(struct scn *t, uint32_t iss, uint64_t ms, uint32_t from, uint32_t n,
			 bool psh)
{
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, ms * 1000);
	assert_int_equal(s.seq, iss + 1 + from);
	assert_int_equal(s.len, n);
	assert_int_equal(!!(s.flags & TCP_PSH), psh);
}

static void ack_sack(struct scn *t, uint64_t ms, uint32_t iss, uint32_t ack, uint32_t s0,
		     uint32_t e0)
{
	struct tcp_opts o = {.nsack = e0 ? 1 : 0};
	o.sack[0].start = iss + 1 + s0;
	o.sack[0].end = iss + 1 + e0;
	scn_inject(t, ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + ack, .opt = &o));
}

/*
 * Linux samples the RTT on every ACK, from the oldest segment it newly
 * acknowledges: a flight of 10 sent at 1000 and acked two at a time at
 * 1010, 1020, 1030 gives samples of 10, 20 and 30 ms (RFC 6298's one
 * timed segment per round trip would give only the first). SRTT 10 ->
 * 11.25 -> 13.593 ms; min_rtt stays the handshake's 10 ms.
 */
static void estab__flight_acked_in_pieces__rtt_sampled_per_ack(void **state)
{
	(void)state;
	struct scn *t = scn_rack();
	uint32_t iss;
	int fd = established(t, &iss, 10);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10 * MSS, 0), 10 * MSS);
	struct tcp_seg s;
	for (unsigned i = 0; i < 10; i++)
		assert_true(scn_pop(t, &s, NULL));
	ack_sack(t, 1010, iss, 2 * MSS, 0, 0);
	assert_int_equal(info_of(t, fd).tcpi_rtt, 10000);
	ack_sack(t, 1020, iss, 4 * MSS, 0, 0);
	assert_int_equal(info_of(t, fd).tcpi_rtt, 11250);
	ack_sack(t, 1030, iss, 6 * MSS, 0, 0);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_rtt, 13593);
	assert_int_equal(ti.tcpi_min_rtt, 10000);
	scn_free(t);
}

/*
 * RFC 8985 6.2: S(1) SACKed, S(0) (sent at the same time, below it) is
 * not yet lost: one segment SACKed is under DupThresh, so the reordering
 * window is min_rtt/4 (250 us of the 1 ms handshake) and RACK's timer
 * waits for it, in whole milliseconds plus Linux's TCP_TIMEOUT_MIN of
 * 2 ms: S(0) is resent at 1103, not at the RTO, and recovery starts
 * (TCP_CA_Recovery) with PRR letting exactly one segment go.
 */
static void estab_sack__one_sacked__reo_timer_resends_hole(void **state)
{
	(void)state;
	struct scn *t = scn_rack();
	uint32_t iss;
	int fd = established(t, &iss, 1);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 4 * MSS, 0), 4 * MSS);
	struct tcp_seg s;
	for (unsigned i = 0; i < 4; i++)
		assert_true(scn_pop(t, &s, NULL));
	ack_sack(t, 1100, iss, 0, MSS, 2 * MSS);
	scn_at(t, 1102);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 1); /* Disorder */
	scn_at(t, 1103);
	expect_bytes(t, iss, 1103, 0, MSS, false);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 3); /* Recovery */
	assert_int_equal(scn_counter(t, "TcpExtTCPSackRecovery"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 0);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	scn_free(t);
}

/* tcp_recovery 0: no RACK, so one SACKed segment leaves S(0) to the RTO. */
static void estab_sack__rack_off__hole_waits_for_rto(void **state)
{
	(void)state;
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_early_retrans = 0;
	cfg.tcp_recovery = 0;
	struct scn *t = scn_new(&cfg);
	uint32_t iss;
	int fd = established(t, &iss, 1);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 4 * MSS, 0), 4 * MSS);
	struct tcp_seg s;
	for (unsigned i = 0; i < 4; i++)
		assert_true(scn_pop(t, &s, NULL));
	ack_sack(t, 1100, iss, 0, MSS, 2 * MSS);
	scn_at(t, 1150);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 0);
	scn_free(t);
}

/*
 * packetdrill eor/no-coalesce-retrans: MSG_EOR records of 400 bytes are
 * resent one record a segment, each with the PSH its send gave it
 * (Linux resends skb by skb and never joins one ending a record to the
 * next, tcp_skb_can_collapse): RACK's timer resends [0, 400) only, not
 * a full MSS across three records.
 */
static void estab_sack__eor_records__resent_one_record_each(void **state)
{
	(void)state;
	struct scn *t = scn_rack();
	uint32_t iss;
	int fd = established(t, &iss, 1);
	int one = 1; /* each record goes at once, not held by Nagle */
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	scn_at(t, 1000);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(synack_send(t->st, fd, payload, 400, MSG_EOR), 400);
	for (unsigned i = 0; i < 6; i++)
		expect_bytes(t, iss, 1000, 400 * i, 400, true);
	scn_expect_none(t);
	ack_sack(t, 1100, iss, 0, 1200, 2400); /* three records SACKed = 2 MSS */
	scn_at(t, 1103);
	expect_bytes(t, iss, 1103, 0, 400, true);
	scn_expect_none(t);
	scn_free(t);
}

/* SACK blocks from offset pairs (bytes after the ISN + 1). */
static void ack_sacks(struct scn *t, uint64_t ms, uint32_t iss, const uint32_t *blk, unsigned n)
{
	struct tcp_opts o = {.nsack = (uint8_t)n};
	for (unsigned i = 0; i < n; i++) {
		o.sack[i].start = iss + 1 + blk[2 * i];
		o.sack[i].end = iss + 1 + blk[2 * i + 1];
	}
	scn_inject(t, ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .opt = &o));
}

/*
 * Linux tcp_check_sack_reordering (sack-shift-sacked-2-6-8-3-9-nofack.pkt):
 * segments 3, 7 and 9 (of 10) SACKed in order say nothing of reordering;
 * then segment 4, never retransmitted, is SACKed below the highest SACK
 * (9001): it arrived 6000 bytes, 6 segments, out of order. tp->reordering
 * goes from 3 to 6, reord_seen counts one, TCPSACKReorder too. A second
 * such SACK closer than that leaves the figure.
 */
static void estab_sack__sacked_below_highest__reordering_measured(void **state)
{
	(void)state;
	struct scn *t = scn_rack();
	uint32_t iss;
	int fd = established(t, &iss, 1);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10 * MSS, 0), 10 * MSS);
	struct tcp_seg s;
	for (unsigned i = 0; i < 10 && scn_pop(t, &s, NULL); i++)
		;
	assert_int_equal(info_of(t, fd).tcpi_reordering, 3);
	const uint32_t b1[] = {2000, 3000}, b2[] = {2000, 3000, 6000, 7000},
		       b3[] = {2000, 3000, 6000, 7000, 8000, 9000},
		       b4[] = {2000, 4000, 6000, 7000, 8000, 9000},
		       b5[] = {2000, 5000, 6000, 7000, 8000, 9000};
	ack_sacks(t, 1100, iss, b1, 1);
	ack_sacks(t, 1101, iss, b2, 2);
	ack_sacks(t, 1102, iss, b3, 3);
	assert_int_equal(info_of(t, fd).tcpi_reordering, 3);
	assert_int_equal(info_of(t, fd).tcpi_reord_seen, 0);
	ack_sacks(t, 1109, iss, b4, 3);
	assert_int_equal(info_of(t, fd).tcpi_reordering, 6);
	assert_int_equal(info_of(t, fd).tcpi_reord_seen, 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPSACKReorder"), 1);
	ack_sacks(t, 1110, iss, b5, 3); /* 4001:5001, 5 segments below: seen, figure stays */
	assert_int_equal(info_of(t, fd).tcpi_reordering, 6);
	assert_int_equal(info_of(t, fd).tcpi_reord_seen, 2);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__flight_acked_in_pieces__rtt_sampled_per_ack),
		cmocka_unit_test(estab_sack__one_sacked__reo_timer_resends_hole),
		cmocka_unit_test(estab_sack__rack_off__hole_waits_for_rto),
		cmocka_unit_test(estab_sack__eor_records__resent_one_record_each),
		cmocka_unit_test(estab_sack__sacked_below_highest__reordering_measured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
