/*
 * The SACK-based sender (src/tcp/scoreboard.c): RFC 6675 loss recovery
 * with PRR (RFC 6937) in Linux's shape. ssthresh is Linux's
 * tcp_reno_ssthresh (cwnd / 2); PRR's RecoverFS is the cwnd at entry
 * (Linux prior_cwnd). Segments are 1460 bytes; S(i) is segment i.
 */
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

#define MSS 1460

static char payload[32 * MSS];

static struct tcp_info info_of(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/* These tests isolate RFC 6675 recovery: with their 1 ms handshake RTT,
 * Linux's tail loss probe (RFC 8985 7, tcp_early_retrans 3) would go 4 ms
 * after each flight, long before the scripted SACKs, and RACK's
 * reordering timer (RFC 8985 6, tcp_recovery 1) 3 ms after a SACK, so
 * both are off here (net.ipv4.tcp_early_retrans = 0, tcp_recovery = 0);
 * tests/tcp/tlp.c and tests/tcp/rack.c cover them. The figures below are
 * PRR's with Reno's halving (ssthresh = cwnd / 2, RFC 6937's examples),
 * so these connections run "reno" as a script would set it with
 * net.ipv4.tcp_congestion_control; tests/tcp/cubic.c checks cubic's 0.7. */
static struct scn *scn_no_tlp(void)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_early_retrans = 0;
	cfg.tcp_recovery = 0;
	assert_int_equal(synack_config_set(&cfg, "net.ipv4.tcp_congestion_control", "reno"), 0);
	return scn_new(&cfg);
}

/* A passive connection with SACK agreed (no timestamps), handshake RTT
 * 1 ms (RTO 201 ms). */
static int sack_established(struct scn *t, uint32_t *iss)
{
	struct tcp_opts in = {.has_mss = true, .mss = MSS, .sack_ok = true};
	return fx_passive_established_opts(t, &in, 1, iss);
}

/* Our next segment is data [S(from), S(from) + n) at time ms. */
static void expect_data(struct scn *t, uint32_t iss, uint64_t ms, uint32_t from, uint32_t n)
{
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, ms * 1000);
	assert_int_equal(s.seq, iss + 1 + from * MSS);
	assert_int_equal(s.len, n);
}

/* The peer ACKs S(ack) at ms with SACK blocks given as segment numbers
 * (pairs, first block first); byte-exact edges through blk_bytes. */
static void sack_ack_bytes(struct scn *t, uint64_t ms, uint32_t iss, uint32_t ack_off,
			   unsigned n, const uint32_t *blk_bytes)
{
	struct tcp_opts o = {.nsack = (uint8_t)n};
	for (unsigned i = 0; i < n; i++) {
		o.sack[i].start = iss + 1 + blk_bytes[2 * i];
		o.sack[i].end = iss + 1 + blk_bytes[2 * i + 1];
	}
	scn_inject(t, ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + ack_off, .opt = &o));
}

static void sack_ack(struct scn *t, uint64_t ms, uint32_t iss, uint32_t ack, unsigned n,
		     const uint32_t *blk)
{
	uint32_t b[2 * TCP_SACK_MAX];
	for (unsigned i = 0; i < 2 * n; i++)
		b[i] = blk[i] * MSS;
	sack_ack_bytes(t, ms, iss, ack * MSS, n, b);
}

/* Send n segments at 1000 ms; the first 10 (initial window) go at once. */
static void send_window(struct scn *t, int fd, uint32_t iss, uint32_t n)
{
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, n * MSS, 0), (ssize_t)(n * MSS));
	for (uint32_t i = 0; i < 10 && i < n; i++)
		expect_data(t, iss, 1000, i, MSS);
	scn_expect_none(t);
}

/*
 * One loss: S(0) lost. The first two SACKs let one new segment out each
 * (SACKed data leaves the flight: Linux's limited transmit, RFC 6675 5);
 * the third (3 segments SACKed: Linux's DupThresh, RFC 6675 5) starts
 * recovery: ssthresh 5, pipe 12 - 3 SACKed - 1 lost = 8, PRR sends
 * ceil(5 * 1 / 10) = 1: the retransmission of S(0). Then PRR lets out one
 * segment per two delivered; the ACK past the recovery point ends it with
 * cwnd = ssthresh.
 */
static void estab_sack__one_loss__hole_resent_prr_paced(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 14);
	sack_ack(t, 1100, iss, 0, 1, (const uint32_t[]){1, 2});
	expect_data(t, iss, 1100, 10, MSS);
	scn_expect_none(t);
	sack_ack(t, 1101, iss, 0, 1, (const uint32_t[]){1, 3});
	expect_data(t, iss, 1101, 11, MSS);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 1); /* Disorder */
	sack_ack(t, 1102, iss, 0, 1, (const uint32_t[]){1, 4});
	expect_data(t, iss, 1102, 0, MSS); /* the fast retransmit */
	scn_expect_none(t);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_ca_state, 3); /* Recovery */
	assert_int_equal(ti.tcpi_snd_ssthresh, 5);
	assert_int_equal(ti.tcpi_snd_cwnd, 9); /* pipe 8 + 1 */
	assert_int_equal(scn_counter(t, "TcpExtTCPSackRecovery"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPRenoRecovery"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 1);
	/* prr_delivered 2: ceil(10 / 10) - 1 = 0 more; cwnd = pipe 8. */
	sack_ack(t, 1103, iss, 0, 1, (const uint32_t[]){1, 5});
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 8);
	/* prr_delivered 3: ceil(15 / 10) - 1 = 1: new data S(12). */
	sack_ack(t, 1104, iss, 0, 1, (const uint32_t[]){1, 6});
	expect_data(t, iss, 1104, 12, MSS);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 8);
	/* All of it acked, past the recovery point S(12): cwnd = ssthresh,
	 * in flight S(12) only: 4 more segments (S(13) is the last). */
	sack_ack(t, 1150, iss, 12, 0, NULL);
	expect_data(t, iss, 1150, 13, MSS);
	scn_expect_none(t);
	ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_ca_state, 0);
	assert_int_equal(ti.tcpi_snd_cwnd, 5);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 1);
	scn_free(t);
}

/*
 * Two losses in one window, S(0) and S(3): one recovery. Both are lost
 * on entry (Linux's RACK: sent before the latest SACKed segment); PRR
 * paces them out in order, and never a SACKed segment. The partial ACKs that follow feed
 * PRR; at pipe == ssthresh PRR-SSRB sends nothing more than ssthresh
 * allows, below it one segment more than delivered.
 */
static void estab_sack__two_losses__each_hole_once(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 20);
	sack_ack(t, 1100, iss, 0, 1, (const uint32_t[]){1, 2});
	expect_data(t, iss, 1100, 10, MSS);
	sack_ack(t, 1101, iss, 0, 1, (const uint32_t[]){1, 3});
	expect_data(t, iss, 1101, 11, MSS);
	scn_expect_none(t);
	sack_ack(t, 1102, iss, 0, 2, (const uint32_t[]){4, 5, 1, 3});
	expect_data(t, iss, 1102, 0, MSS);
	scn_expect_none(t);
	/* S(0) and S(3) are lost (below the highest SACKed): pipe 12 - 3
	 * SACKed - 2 lost = 7, PRR ceil(5 / 10) = 1: S(0) only. */
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_snd_cwnd, 8);
	assert_int_equal(ti.tcpi_sacked, 3);
	assert_int_equal(ti.tcpi_lost, 2);
	assert_int_equal(ti.tcpi_retrans, 1);
	sack_ack(t, 1103, iss, 0, 2, (const uint32_t[]){4, 6, 1, 3});
	scn_expect_none(t); /* pipe 7, ceil(10 / 10) - 1 = 0 */
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 7);
	/* pipe 12 - 5 SACKed - 1 lost = 6, PRR ceil(15 / 10) - 1 = 1: S(3). */
	sack_ack(t, 1104, iss, 0, 2, (const uint32_t[]){4, 7, 1, 3});
	expect_data(t, iss, 1104, 3, MSS);
	scn_expect_none(t);
	ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_snd_cwnd, 7);
	assert_int_equal(ti.tcpi_sacked, 5);
	assert_int_equal(ti.tcpi_lost, 2);
	assert_int_equal(ti.tcpi_retrans, 2);
	/* S(0)'s copy arrives: ACK S(3). One delivered (S(1), S(2) were
	 * SACKed): pipe 6, ceil(20 / 10) - 2 = 0. */
	sack_ack(t, 1105, iss, 3, 1, (const uint32_t[]){4, 7});
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 6);
	/* S(3)'s copy: ACK S(7), pipe 5 = ssthresh: PRR-SSRB, nothing. */
	sack_ack(t, 1106, iss, 7, 0, NULL);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 5);
	/* ACK S(8): pipe 4 < ssthresh: one more segment, S(12). */
	sack_ack(t, 1107, iss, 8, 0, NULL);
	expect_data(t, iss, 1107, 12, MSS);
	scn_expect_none(t);
	/* Past the recovery point (S(12)): cwnd 5, S(12) in flight. */
	sack_ack(t, 1150, iss, 12, 0, NULL);
	for (uint32_t i = 13; i < 17; i++)
		expect_data(t, iss, 1150, i, MSS);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPSackRecovery"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 2);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 2);
	scn_free(t);
}

/*
 * After a timeout Linux marks every unSACKed segment lost and resends
 * them in order, skipping what is SACKed (tcp_timeout_mark_lost); too
 * few SACKs for fast recovery here (two segments above S(0)).
 */
static void estab_sack__rto__sacked_data_not_resent(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 4);
	sack_ack(t, 1100, iss, 0, 1, (const uint32_t[]){1, 2});
	sack_ack(t, 1101, iss, 0, 2, (const uint32_t[]){3, 4, 1, 2});
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 1); /* Disorder */
	assert_int_equal(info_of(t, fd).tcpi_sacked, 2);
	scn_at(t, 1201);
	expect_data(t, iss, 1201, 0, MSS); /* RTO: S(0) */
	scn_expect_none(t);
	/* ACK S(2) (S(1) was held): S(2) goes, S(3) is SACKed. */
	sack_ack(t, 1250, iss, 2, 1, (const uint32_t[]){3, 4});
	expect_data(t, iss, 1250, 2, MSS);
	scn_expect_none(t);
	sack_ack(t, 1300, iss, 4, 0, NULL);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 2);
	assert_int_equal(scn_counter(t, "TcpExtTCPSackRecovery"), 0);
	scn_free(t);
}

/* A hole shorter than a segment is resent as Linux resends skbs: the
 * rest of S(2) after the partial ACK alone (tcp_trim_head), since S(3)
 * does not fit beside it in one MSS (tcp_retrans_try_collapse joins
 * whole skbs only). */
static void estab_sack__rto__partial_hole_cut_at_sacked_edge(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 4);
	sack_ack_bytes(t, 1100, iss, 0, 1, (const uint32_t[]){MSS, 2 * MSS + 500});
	scn_expect_none(t);
	scn_at(t, 1201);
	expect_data(t, iss, 1201, 0, MSS);
	sack_ack_bytes(t, 1250, iss, 2 * MSS + 500, 1, (const uint32_t[]){3 * MSS + 100, 4 * MSS});
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.seq, iss + 1 + 2 * MSS + 500);
	assert_int_equal(s.len, MSS - 500); /* up to S(3) */
	/* The cwnd's bytes left (counted in bytes here, not Linux's
	 * packets) take S(3)'s bytes below the SACKed edge. */
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.seq, iss + 1 + 3 * MSS);
	assert_int_equal(s.len, 100);
	scn_expect_none(t);
	scn_free(t);
}

/*
 * Reordering, not loss (packetdrill limited-transmit-sack): two SACKs
 * send S(10) and S(11); the ACK of S(0)-S(2) delivers one new segment
 * (two were SACKed), so slow start makes cwnd 11, not 13 (Linux grows
 * by acked_sacked): with 9 in flight, two segments go.
 */
static void estab_sack__reordering_acked__cwnd_grows_by_delivered(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 15);
	sack_ack(t, 1100, iss, 0, 1, (const uint32_t[]){1, 2});
	expect_data(t, iss, 1100, 10, MSS);
	sack_ack(t, 1110, iss, 0, 1, (const uint32_t[]){1, 3});
	expect_data(t, iss, 1110, 11, MSS);
	scn_expect_none(t);
	sack_ack(t, 1120, iss, 3, 0, NULL);
	expect_data(t, iss, 1120, 12, MSS);
	expect_data(t, iss, 1120, 13, MSS);
	scn_expect_none(t);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_snd_cwnd, 11);
	assert_int_equal(ti.tcpi_ca_state, 0);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 0);
	scn_free(t);
}

/* RFC 2018 8: the peer ACKs S(1) though it SACKed S(1)-S(2) before: it
 * dropped them. At the timeout the scoreboard goes (Linux
 * tcp_check_sack_reneging, TCPSACKReneging) and S(2) is resent too. */
static void estab_sack__reneged__rto_forgets_scoreboard(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 4);
	sack_ack(t, 1100, iss, 0, 1, (const uint32_t[]){1, 3});
	sack_ack(t, 1150, iss, 1, 0, NULL);
	scn_expect_none(t);
	scn_at(t, 1600); /* the RTO (the 150 ms sample moved it) */
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_true(at > 1150 * 1000);
	assert_int_equal(s.seq, iss + 1 + MSS);
	assert_int_equal(s.len, MSS);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPSACKReneging"), 1);
	sack_ack(t, 1650, iss, 2, 0, NULL);
	expect_data(t, iss, 1650, 2, MSS);
	expect_data(t, iss, 1650, 3, MSS);
	scn_expect_none(t);
	(void)fd;
	scn_free(t);
}

/* RFC 2883 4: a first block below the cumulative ACK is a D-SACK
 * (TCPDSACKRecv), one inside the second block too; a block past SND.MAX
 * is discarded (Linux TCPSACKDiscard). Neither marks anything. */
static void estab_sack__dsack_and_bad_blocks__counted_not_marked(void **state)
{
	struct scn *t = scn_no_tlp();
	uint32_t iss;
	int fd = sack_established(t, &iss);
	send_window(t, fd, iss, 4);
	sack_ack(t, 1100, iss, 1, 1, (const uint32_t[]){0, 1});
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKRecv"), 1);
	sack_ack(t, 1101, iss, 1, 2, (const uint32_t[]){2, 3, 2, 4});
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKRecv"), 2);
	sack_ack(t, 1102, iss, 1, 1, (const uint32_t[]){3, 5});
	assert_int_equal(scn_counter(t, "TcpExtTCPSACKDiscard"), 1);
	sack_ack(t, 1103, iss, 1, 1, (const uint32_t[]){4, 5});
	assert_int_equal(scn_counter(t, "TcpExtTCPSACKDiscard"), 2);
	scn_expect_none(t);
	(void)fd;
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab_sack__one_loss__hole_resent_prr_paced),
		cmocka_unit_test(estab_sack__two_losses__each_hole_once),
		cmocka_unit_test(estab_sack__rto__sacked_data_not_resent),
		cmocka_unit_test(estab_sack__rto__partial_hole_cut_at_sacked_edge),
		cmocka_unit_test(estab_sack__dsack_and_bad_blocks__counted_not_marked),
		cmocka_unit_test(estab_sack__reneged__rto_forgets_scoreboard),
		cmocka_unit_test(estab_sack__reordering_acked__cwnd_grows_by_delivered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
