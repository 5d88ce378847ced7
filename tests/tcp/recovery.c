/*
 * The sender around losses, beyond tests/tcp/retransmit.c's fast
 * retransmit and NewReno cases: limited transmit (RFC 3042) and RTT
 * samples from timestamps on retransmitted data (RFC 7323 4.1).
 */
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

static char payload[16 * 1460];

static struct tcp_info info_of(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/* A passive connection, handshake RTT 1 ms; timestamps if ts (peer TSval
 * 1000; tcp_timestamps = 2 makes our TSval the 1 ms clock). */
static int established(struct scn *t, uint32_t *iss, bool ts)
{
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .has_ts = ts, .tsval = 1000};
	return fx_passive_established_opts(t, &in, 1, iss);
}

static struct scn *new_ts2(void)
{
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_timestamps = 2;
	return scn_new(&c);
}

/* Pop our next segment and check it is data [off, off+n) at time ms. */
static void expect_data(struct scn *t, uint32_t iss, uint64_t ms, uint32_t off, uint32_t n)
{
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, ms * 1000);
	assert_int_equal(s.seq, iss + 1 + off);
	assert_int_equal(s.len, n);
}

/* RFC 3042: with more data queued, the first and the second duplicate
 * ACK each send one new segment past cwnd (cwnd itself unchanged); the
 * third starts fast retransmit (RFC 5681 3.2). */
static void estab__dupacks_with_data_queued__limited_transmit(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established(t, &iss, false);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 13 * 1460, 0), 13 * 1460);
	for (uint32_t i = 0; i < 10; i++) /* initial window 10 (RFC 6928) */
		expect_data(t, iss, 1000, i * 1460, 1460);
	scn_expect_none(t);
	/* Segment 1 is lost: every later one brings a duplicate ACK. */
	scn_inject(t, 1100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	expect_data(t, iss, 1100, 10 * 1460, 1460);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 10);
	scn_inject(t, 1101, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	expect_data(t, iss, 1101, 11 * 1460, 1460);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 10);
	scn_inject(t, 1102, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	expect_data(t, iss, 1102, 0, 1460); /* the fast retransmit */
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 3); /* Recovery */
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 1);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	scn_free(t);
}

/* Reordering, not loss (packetdrill limited-transmit-no-sack): after two
 * duplicate ACKs the ACK of S(0)-S(2) grows cwnd by one segment only,
 * the two that brought duplicates having been counted delivered then
 * (Linux tcp_remove_reno_sacks): cwnd 11, 9 in flight, two segments go. */
static void estab__reordering_acked__cwnd_grows_by_delivered(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established(t, &iss, false);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 15 * 1460, 0), 15 * 1460);
	for (uint32_t i = 0; i < 10; i++)
		expect_data(t, iss, 1000, i * 1460, 1460);
	scn_inject(t, 1100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	expect_data(t, iss, 1100, 10 * 1460, 1460);
	scn_inject(t, 1110, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	expect_data(t, iss, 1110, 11 * 1460, 1460);
	scn_expect_none(t);
	scn_inject(t, 1120, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 3 * 1460));
	expect_data(t, iss, 1120, 12 * 1460, 1460);
	expect_data(t, iss, 1120, 13 * 1460, 1460);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 11);
	scn_free(t);
}

/* RFC 3042 2: nothing new to send, nothing sent on a duplicate ACK. */
static void estab__dupacks_nothing_queued__no_limited_transmit(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established(t, &iss, false);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 4 * 1460, 0), 4 * 1460);
	for (uint32_t i = 0; i < 4; i++) {
		struct tcp_seg s;
		assert_true(scn_pop(t, &s, NULL));
	}
	scn_inject(t, 1100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_inject(t, 1101, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	scn_free(t);
}

/*
 * RFC 7323 4.1 (Linux tcp_ack_update_rtt): the ACK of a retransmission
 * that echoes the retransmission's TSval is a valid RTT sample, where
 * Karn's rule would take none. Handshake sample 1 ms (SRTT 1 ms, RTTVAR
 * 0.5 ms, RTO 201 ms); data at 1000, resent at 1201, ACK at 1251 echoing
 * 1201: a 50 ms sample, SRTT (7 * 1000 + 50000) / 8 = 7125 us.
 */
static void estab_ts__ack_of_retransmission__ts_rtt_sample(void **state)
{
	struct scn *t = new_ts2();
	uint32_t iss;
	int fd = established(t, &iss, true);
	assert_int_equal(info_of(t, fd).tcpi_rtt, 1000);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	expect_data(t, iss, 1000, 0, 100);
	scn_at(t, 1201);
	expect_data(t, iss, 1201, 0, 100);
	struct tcp_opts ts = {.has_ts = true, .tsval = 1300, .tsecr = 1201};
	scn_inject(t, 1251, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 101, .opt = &ts));
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_rtt, 7125);
	assert_int_equal(ti.tcpi_rttvar, (3 * 500 + 49000) / 4);
	scn_free(t);
}

/* Without timestamps, Karn's rule (RFC 6298 3): no sample. */
static void estab__ack_of_retransmission__no_ts_no_sample(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established(t, &iss, false);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	expect_data(t, iss, 1000, 0, 100);
	scn_at(t, 1201);
	expect_data(t, iss, 1201, 0, 100);
	scn_inject(t, 1251, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 101));
	assert_int_equal(info_of(t, fd).tcpi_rtt, 1000);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__dupacks_with_data_queued__limited_transmit),
		cmocka_unit_test(estab__dupacks_nothing_queued__no_limited_transmit),
		cmocka_unit_test(estab__reordering_acked__cwnd_grows_by_delivered),
		cmocka_unit_test(estab_ts__ack_of_retransmission__ts_rtt_sample),
		cmocka_unit_test(estab__ack_of_retransmission__no_ts_no_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
