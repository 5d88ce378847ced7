/*
 * Tail loss probe (RFC 8985 7; Linux tcp_schedule_loss_probe and
 * tcp_send_loss_probe, net.ipv4.tcp_early_retrans 3). A passive
 * connection whose handshake took rtt_ms: SRTT = rtt, RTTVAR = rtt / 2,
 * RTO = SRTT + max(4 * RTTVAR, 200 ms) (Linux). Segments are 1460 bytes.
 */
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

#define MSS 1460

static char payload[16 * MSS];

/* Established at rtt_ms; SACK agreed if sack; the peer offers wnd. */
static int tlp_established_wnd(struct scn *t, uint32_t *iss, uint64_t rtt_ms, bool sack,
			       int32_t wnd)
{
	int lfd = fx_listen(t);
	struct tcp_opts in = {.has_mss = true, .mss = MSS, .sack_ok = sack};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .wnd = wnd, .opt = &in));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	*iss = s.seq;
	scn_inject(t, rtt_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1, .wnd = wnd));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	return fd;
}

static int tlp_established(struct scn *t, uint32_t *iss, uint64_t rtt_ms, bool sack)
{
	return tlp_established_wnd(t, iss, rtt_ms, sack, WND);
}

/* Our next segment left at ms: flags, [off, off + len) of our data. */
static void expect_seg(struct scn *t, uint32_t iss, uint64_t ms, uint8_t flags, uint32_t off,
		       uint32_t len)
{
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, SYNACK_MS(ms));
	assert_int_equal(s.flags, flags);
	assert_int_equal(s.seq, iss + 1 + off);
	assert_int_equal(s.len, len);
}

/* Nothing leaves before ms (exclusive). */
static void quiet_until(struct scn *t, uint64_t ms)
{
	scn_at(t, ms - 1);
	scn_expect_none(t);
}

/* packetdrill user_timeout.pkt's schedule (RTT 100 ms, RTO 300 ms): the
 * FIN goes at 1000; the probe (2 * 100 + 200 = 400, capped by the RTO)
 * resends it at 1300; the RTO, re-armed in full after the probe, at
 * 1600; then backed off, 1200 ms later. */
static void established_sack__fin_unacked__probe_then_rto_backoff(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, true);
	scn_at(t, 1000);
	assert_int_equal(synack_close(t->st, fd), 0);
	expect_seg(t, iss, 1000, FIN | ACK, 0, 0);
	quiet_until(t, 1300);
	scn_at(t, 1300);
	expect_seg(t, iss, 1300, FIN | ACK, 0, 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 0);
	quiet_until(t, 1600);
	scn_at(t, 1600);
	expect_seg(t, iss, 1600, FIN | ACK, 0, 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 1);
	quiet_until(t, 2200);
	scn_at(t, 2200);
	expect_seg(t, iss, 2200, FIN | ACK, 0, 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 1);
	scn_free(t);
}

/* The same as packetdrill user_timeout.pkt runs it: TCP_USER_TIMEOUT
 * 3000 ms set just before close() at 2100. */
static void established_sack__fin_unacked_user_timeout__probe_then_rto(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, true);
	scn_at(t, 2100);
	int ut = 3000;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)), 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	expect_seg(t, iss, 2100, FIN | ACK, 0, 0);
	scn_at(t, 2400);
	expect_seg(t, iss, 2400, FIN | ACK, 0, 0);
	scn_at(t, 2700);
	expect_seg(t, iss, 2700, FIN | ACK, 0, 0);
	quiet_until(t, 3300);
	scn_at(t, 3300);
	expect_seg(t, iss, 3300, FIN | ACK, 0, 0);
	scn_free(t);
}

/* One segment out, RTT 300 ms (RTO 900): PTO = 2 * 300 + 200 = 800 ms
 * (under the RTO) resends it; the full RTO follows 900 ms later. */
static void established_sack__one_segment__probe_at_2srtt_plus_rto_min(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 300, true);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	expect_seg(t, iss, 1000, ACK | PSH, 0, 100);
	quiet_until(t, 1800);
	scn_at(t, 1800);
	expect_seg(t, iss, 1800, ACK | PSH, 0, 100);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 1);
	quiet_until(t, 2700);
	scn_at(t, 2700);
	expect_seg(t, iss, 2700, ACK | PSH, 0, 100);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 1);
	scn_free(t);
}

/* Three segments out, RTT 100 ms: PTO = 2 * 100 + 2 ms; the probe
 * resends the last segment (with its PSH); the RTO, 300 ms later, the
 * first. */
static void established_sack__several_segments__probe_resends_last(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, true);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 3 * MSS, 0), 3 * MSS);
	expect_seg(t, iss, 1000, ACK, 0, MSS);
	expect_seg(t, iss, 1000, ACK | PSH, MSS, MSS); /* push.c's forced push */
	expect_seg(t, iss, 1000, ACK | PSH, 2 * MSS, MSS);
	quiet_until(t, 1202);
	scn_at(t, 1202);
	expect_seg(t, iss, 1202, ACK | PSH, 2 * MSS, MSS);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 1);
	quiet_until(t, 1502);
	scn_at(t, 1502);
	expect_seg(t, iss, 1502, ACK, 0, MSS);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 1);
	scn_free(t);
}

/* Twelve segments queued, ten sent (initial cwnd): the peer's window
 * takes the eleventh, so the probe is that new segment, past the cwnd
 * (Linux tcp_write_xmit's push_one == 2). An ACK of everything ends
 * the episode; it was no retransmission, so no TCPLossProbeRecovery. */
static void established_sack__new_data_window_open__probe_sends_new(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, true);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 12 * MSS, 0), 12 * MSS);
	for (uint32_t i = 0; i < 10; i++) {
		struct tcp_seg s;
		assert_true(scn_pop(t, &s, NULL));
		assert_int_equal(s.seq, iss + 1 + i * MSS);
	}
	quiet_until(t, 1202);
	scn_at(t, 1202);
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, SYNACK_MS(1202));
	assert_int_equal(s.seq, iss + 1 + 10 * MSS);
	assert_int_equal(s.len, MSS);
	assert_true(s.flags & ACK);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbeRecovery"), 0);
	scn_free(t);
}

/* The peer's 1000-byte window takes [0, 1000) of the 3000 bytes: the
 * probe cannot be new data, so it resends the last segment sent, as it
 * went, and nothing past SND.MAX (the rest was never sent); one segment
 * out: PTO 400 ms, capped by the RTO. */
static void established_sack__window_limited__probe_resends_sent_tail(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established_wnd(t, &iss, 100, true, 1000);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 3000, 0), 3000);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.len, 1000);
	uint8_t flags = s.flags;
	quiet_until(t, 1300);
	scn_at(t, 1300);
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, SYNACK_MS(1300));
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.len, 1000);
	assert_int_equal(s.flags, flags);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 1);
	scn_free(t);
}

/* Without SACK there is no probe: the RTO alone, at 300 ms. */
static void established_no_sack__one_segment__rto_no_probe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, false);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	expect_seg(t, iss, 1000, ACK | PSH, 0, 100);
	quiet_until(t, 1300);
	scn_at(t, 1300);
	expect_seg(t, iss, 1300, ACK | PSH, 0, 100);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 1);
	scn_free(t);
}

/* net.ipv4.tcp_early_retrans = 0 turns the probe off (Linux). */
static void early_retrans_0__one_segment__rto_no_probe(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_early_retrans = 0;
	struct scn *t = scn_new(&cfg);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, true);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	expect_seg(t, iss, 1000, ACK | PSH, 0, 100);
	quiet_until(t, 1300);
	scn_at(t, 1300);
	expect_seg(t, iss, 1300, ACK | PSH, 0, 100);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 0);
	scn_free(t);
}

/* SACK recovery (S(0) lost, three segments SACKed): no probe (Linux:
 * only in the Open or CWR state). The first SACK armed RACK's
 * reordering timer in the slot; the fast retransmit at 1103 re-arms the
 * RTO in its place (Linux tcp_xmit_retransmit_queue), ~301 ms (SRTT
 * 101 ms from the SACK samples): 1404. */
static void established_sack__in_recovery__no_probe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = tlp_established(t, &iss, 100, true);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10 * MSS, 0), 10 * MSS);
	for (uint32_t i = 0; i < 10; i++) {
		struct tcp_seg s;
		assert_true(scn_pop(t, &s, NULL));
	}
	for (uint32_t k = 1; k <= 3; k++) {
		struct tcp_opts o = {.nsack = 1};
		o.sack[0].start = iss + 1 + MSS;
		o.sack[0].end = iss + 1 + (1 + k) * MSS;
		scn_inject(t, 1100 + k, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .opt = &o));
	}
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL)); /* the fast retransmit of S(0) */
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPSackRecovery"), 1);
	while (scn_pop(t, &s, NULL)) /* what PRR sends: not asserted here */
		;
	scn_at(t, 1403);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 0);
	scn_at(t, 1404);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPLossProbes"), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(established_sack__fin_unacked__probe_then_rto_backoff),
		cmocka_unit_test(established_sack__fin_unacked_user_timeout__probe_then_rto),
		cmocka_unit_test(established_sack__one_segment__probe_at_2srtt_plus_rto_min),
		cmocka_unit_test(established_sack__several_segments__probe_resends_last),
		cmocka_unit_test(established_sack__new_data_window_open__probe_sends_new),
		cmocka_unit_test(established_sack__window_limited__probe_resends_sent_tail),
		cmocka_unit_test(established_no_sack__one_segment__rto_no_probe),
		cmocka_unit_test(early_retrans_0__one_segment__rto_no_probe),
		cmocka_unit_test(established_sack__in_recovery__no_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
