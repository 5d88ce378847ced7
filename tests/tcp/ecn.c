/*
 * Classic ECN (RFC 3168) as Linux runs it (src/tcp/ecn.c): negotiation
 * under net.ipv4.tcp_ecn 0/1/2 and tcp_ecn_fallback, the ECN codepoint
 * of each segment we send (ECT(0) on new data only), the receiver's echo
 * (ECE from the first CE until a CWR arrives, quick ACKs), the sender's
 * reduction (TCP_CA_CWR, once per window, PRR, cubic's ssthresh) and
 * the counters (IpExtIn*Pkts, tcpi_delivered_ce, tcpi_options).
 */
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "scenario.h"

#define NOT_ECT 0
#define ECT0 2
#define CE 3
#define MSS 1460

static char payload[40 * MSS];

static struct synack_tcp_info info_of(struct scn *t, int fd)
{
	struct synack_tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static struct scn *new_ecn(int tcp_ecn, int fallback)
{
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_ecn = tcp_ecn;
	c.tcp_ecn_fallback = fallback;
	return scn_new(&c);
}

/* A listener gets flags (ECE|CWR asks for ECN) on a SYN with tos;
 * returns the SYN-ACK. */
static struct tcp_seg syn_to_listener(struct scn *t, int *lfd, uint8_t flags, uint8_t tos)
{
	*lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN | flags, .seq = R_ISS, .mss = MSS, .tos = tos));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.tos, NOT_ECT); /* RFC 3168 6.1.1: SYN-ACKs are Not-ECT */
	return s;
}

/* A passive connection that agreed to ECN (the peer asked, tcp_ecn 2). */
static int ecn_passive(struct scn *t, uint32_t *iss)
{
	int lfd;
	struct tcp_seg s = syn_to_listener(t, &lfd, ECE | CWR, NOT_ECT);
	assert_int_equal(s.flags, SYN | ACK | ECE);
	*iss = s.seq;
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1));
	scn_expect_none(t);
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(info_of(t, fd).tcpi_options & SYNACK_TCPI_OPT_ECN, SYNACK_TCPI_OPT_ECN);
	return fd;
}

/* ===== Negotiation (RFC 3168 6.1.1) ==================================== */

/* Linux tcp_ecn_create_request: with the default tcp_ecn 2 a listener
 * agrees to an ECN-setup SYN with an ECN-setup SYN-ACK (ECE, not CWR). */
static void listen__ecn_setup_syn__synack_ece(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = ecn_passive(t, &iss);
	assert_int_equal(info_of(t, fd).tcpi_options & SYNACK_TCPI_OPT_ECN_SEEN, 0);
	scn_free(t);
}

/* RFC 3168 6.1.1: a SYN that is itself ECT is not answered with ECN
 * (a middlebox is playing with the field); Linux checks !ect. */
static void listen__ecn_setup_syn_marked_ect__no_ecn(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int lfd;
	struct tcp_seg s = syn_to_listener(t, &lfd, ECE | CWR, ECT0);
	assert_int_equal(s.flags, SYN | ACK);
	scn_free(t);
}

/* tcp_ecn 0: no ECN at all; ECE alone (no CWR) is not a request either. */
static void listen__ecn_off_or_ece_only__plain_synack(void **state)
{
	(void)state;
	struct scn *t = new_ecn(0, 1);
	int lfd;
	assert_int_equal(syn_to_listener(t, &lfd, ECE | CWR, NOT_ECT).flags, SYN | ACK);
	scn_free(t);
	t = scn_new(NULL);
	assert_int_equal(syn_to_listener(t, &lfd, ECE, NOT_ECT).flags, SYN | ACK);
	scn_free(t);
}

/* Linux tcp_ecn_send_syn: only tcp_ecn 1 asks on outgoing connections;
 * the SYN carries ECE|CWR and is Not-ECT. */
static void closed__connect_tcp_ecn_1__syn_ece_cwr(void **state)
{
	(void)state;
	for (int mode = 0; mode <= 2; mode++) {
		struct scn *t = new_ecn(mode, 1);
		int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		scn_connect(t, fd);
		struct tcp_seg s;
		assert_true(scn_pop(t, &s, NULL));
		assert_int_equal(s.flags, mode == 1 ? (SYN | ECE | CWR) : SYN);
		assert_int_equal(s.tos, NOT_ECT);
		scn_free(t);
	}
}

/* An active connection with tcp_ecn 1: SYN ECE|CWR, SYN-ACK ECE agrees. */
static int ecn_active(struct scn *t, uint32_t *iss, uint8_t synack_flags)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ECE | CWR);
	*iss = s.seq;
	scn_inject(t, 10, SEG(.flags = SYN | ACK | synack_flags, .seq = R_ISS, .ack = *iss + 1,
			      .mss = MSS));
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 1, .ack = R_ISS + 1));
	return fd;
}

/* RFC 3168 6.1.1: the SYN-ACK with ECE agrees; new data then goes out
 * ECT(0) (Linux uses ECT(0), never ECT(1)), pure ACKs Not-ECT. */
static void syn_sent__synack_ece__data_ect0(void **state)
{
	(void)state;
	struct scn *t = new_ecn(1, 1);
	uint32_t iss;
	int fd = ecn_active(t, &iss, ECE);
	assert_int_equal(info_of(t, fd).tcpi_options & SYNACK_TCPI_OPT_ECN, SYNACK_TCPI_OPT_ECN);
	assert_int_equal(synack_send(t->st, fd, "hello", 5, 0), 5);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "hello",
			  .tos = ECT0));
	scn_free(t);
}

/* Linux tcp_ecn_rcv_synack: a SYN-ACK without ECE, or with ECE|CWR (a
 * reflecting middlebox), refuses: data goes Not-ECT. */
static void syn_sent__synack_without_ece__no_ecn(void **state)
{
	(void)state;
	uint8_t answers[2] = {0, ECE | CWR};
	for (int i = 0; i < 2; i++) {
		struct scn *t = new_ecn(1, 1);
		uint32_t iss;
		int fd = ecn_active(t, &iss, answers[i]);
		assert_int_equal(info_of(t, fd).tcpi_options & SYNACK_TCPI_OPT_ECN, 0);
		assert_int_equal(synack_send(t->st, fd, "x", 1, 0), 1);
		scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "x"));
		scn_free(t);
	}
}

/* RFC 3168 6.1.1.1 / Linux tcp_ecn_clear_syn: with tcp_ecn_fallback 1 a
 * resent SYN no longer asks (the flags may be what a middlebox drops);
 * with 0 it asks again. An ECE SYN-ACK still agrees afterwards. */
static void syn_sent__syn_timeout__fallback_drops_ece_cwr(void **state)
{
	(void)state;
	for (int fb = 0; fb <= 1; fb++) {
		struct scn *t = new_ecn(1, fb);
		int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
		assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
		scn_connect(t, fd);
		struct tcp_seg syn;
		assert_true(scn_pop(t, &syn, NULL));
		assert_int_equal(syn.flags, SYN | ECE | CWR);
		uint32_t iss = syn.seq;
		scn_at(t, 1000);
		scn_expect_at(t, 1000, SEG(.flags = fb ? SYN : (SYN | ECE | CWR), .seq = iss,
					   .any_wnd = true));
		scn_inject(t, 1010, SEG(.flags = SYN | ACK | ECE, .seq = R_ISS, .ack = iss + 1,
					.mss = MSS));
		scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
		assert_int_equal(info_of(t, fd).tcpi_options & SYNACK_TCPI_OPT_ECN,
				 SYNACK_TCPI_OPT_ECN);
		scn_free(t);
	}
}

/* ===== Receiver: CE echoed until CWR (RFC 3168 6.1.3) ================== */

/* Linux tcp_ecn_check_ce: CE data sets DEMAND_CWR and earns a quick ACK;
 * every segment then carries ECE (pure ACKs stay Not-ECT) until data with
 * CWR arrives, which is acked at once (tcp_ecn_accept_cwr). */
static void estab__ce_data__ece_until_cwr(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = ecn_passive(t, &iss);
	uint32_t r = R_ISS + 1;
	scn_inject(t, 100, SEG(.flags = ACK, .seq = r, .ack = iss + 1, .data = "aaaa", .tos = CE));
	scn_expect_at(t, 100, SEG(.flags = ACK | ECE, .seq = iss + 1, .ack = r + 4, .any_wnd = true));
	assert_int_equal(scn_counter(t, "IpExtInCEPkts"), 1);
	struct synack_tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_options & SYNACK_TCPI_OPT_ECN_SEEN, SYNACK_TCPI_OPT_ECN_SEEN);
	/* ECT(0) data, no CWR yet: the echo goes on, on our data too. */
	scn_inject(t, 200, SEG(.flags = ACK, .seq = r + 4, .ack = iss + 1, .data = "bbbb", .tos = ECT0));
	scn_expect_at(t, 200, SEG(.flags = ACK | ECE, .seq = iss + 1, .ack = r + 8, .any_wnd = true));
	assert_int_equal(scn_counter(t, "IpExtInECT0Pkts"), 1);
	assert_int_equal(synack_send(t->st, fd, "zz", 2, 0), 2);
	scn_expect(t, SEG(.flags = ACK | PSH | ECE, .seq = iss + 1, .ack = r + 8, .data = "zz",
			  .tos = ECT0, .any_wnd = true));
	/* CWR with data: the echo stops and the ACK goes at once. */
	scn_inject(t, 300, SEG(.flags = ACK | CWR, .seq = r + 8, .ack = iss + 3, .data = "cccc",
			       .tos = ECT0));
	scn_expect_at(t, 300, SEG(.flags = ACK, .seq = iss + 3, .ack = r + 12, .any_wnd = true));
	scn_expect_none(t);
	scn_free(t);
}

/* Without ECN agreed, CE is only counted (IpExtInCEPkts): no echo. */
static void estab_no_ecn__ce_data__no_ece(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_passive_established(t, &iss);
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "aaaa",
			       .tos = CE));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 5, .any_wnd = true));
	assert_int_equal(scn_counter(t, "IpExtInCEPkts"), 1);
	scn_free(t);
}

/* ===== Sender: ECE → CWR state, once per window (RFC 3168 6.1.2) ======= */

/* Pop our next data segment: n bytes at off, with flags and tos. */
static void expect_data(struct scn *t, uint32_t iss, uint32_t off, uint8_t flags, uint8_t tos)
{
	scn_expect(t, SEG(.flags = flags, .seq = iss + 1 + off, .ack = R_ISS + 1, .len = MSS,
			  .tos = tos, .any_psh = true));
}

/*
 * Ten segments out (cwnd 10). The first ACK carries ECE: Linux
 * tcp_enter_cwr, ssthresh = cubic's max(10 * 717 / 1024, 2) = 7, and PRR
 * (tcp_cwnd_reduction) with 9 in flight: sndcnt = ceil(7 * 1 / 10) - 0 =
 * 1, cwnd 10; the one new segment carries CWR and ECT(0). A second ECE
 * in that window changes nothing more; PRR goes on (cwnd = in flight +
 * ceil(7 * delivered / 10) - sent). The ACK past SND.NXT of the
 * reduction ends it: cwnd = ssthresh = 7, state Open.
 */
static void estab__ece__cwr_once_per_window(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = ecn_passive(t, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 30 * MSS, 0), 30 * MSS);
	for (uint32_t i = 0; i < 10; i++)
		expect_data(t, iss, i * MSS, ACK, ECT0);
	scn_expect_none(t);
	scn_inject(t, 1100, SEG(.flags = ACK | ECE, .seq = R_ISS + 1, .ack = iss + 1 + MSS));
	struct synack_tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_ca_state, 2); /* TCP_CA_CWR */
	assert_int_equal(ti.tcpi_snd_ssthresh, 7);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_delivered_ce, 1);
	expect_data(t, iss, 10 * MSS, ACK | CWR, ECT0); /* RFC 3168 6.1.2: CWR once */
	scn_expect_none(t);
	/* Second ECE, same window: no new reduction. delivered 2, out 1:
	 * 9 in flight + ceil(14 / 10) - 1 = 10. */
	scn_inject(t, 1101, SEG(.flags = ACK | ECE, .seq = R_ISS + 1, .ack = iss + 1 + 2 * MSS));
	ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_ca_state, 2);
	assert_int_equal(ti.tcpi_snd_ssthresh, 7);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_delivered_ce, 2);
	expect_data(t, iss, 11 * MSS, ACK, ECT0); /* no second CWR */
	scn_expect_none(t);
	/* One ACK for four more: delivered 6, out 2, 6 in flight, below
	 * ssthresh: PRR-SSRB, sndcnt = min(7 - 6, max(6 - 2, 4) + 1) = 1,
	 * cwnd 7; one new segment. */
	scn_inject(t, 1102, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 6 * MSS));
	ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_snd_cwnd, 7);
	expect_data(t, iss, 12 * MSS, ACK, ECT0);
	scn_expect_none(t);
	/* Past SND.NXT of the reduction (10 segments): done, cwnd 7. */
	scn_inject(t, 1103, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 12 * MSS));
	ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_ca_state, 0);
	assert_int_equal(ti.tcpi_snd_cwnd, 7);
	assert_int_equal(ti.tcpi_snd_ssthresh, 7);
	scn_free(t);
}

/* Linux tcp_ecn_send: a retransmission goes Not-ECT; tcp_enter_loss
 * queues CWR for the next new data (RFC 3168 6.1.2). */
static void estab__rto__retransmit_not_ect_then_cwr(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = ecn_passive(t, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, MSS, 0), MSS);
	expect_data(t, iss, 0, ACK | PSH, ECT0);
	scn_at(t, 1500); /* RTO about 200 ms (handshake RTT 1 ms) */
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_true(at > SYNACK_MS(1000));
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.len, MSS);
	assert_int_equal(s.tos, NOT_ECT);
	assert_int_equal(s.flags & (CWR | ECE), 0);
	scn_expect_none(t);
	scn_inject(t, 1500, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + MSS));
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, payload, MSS, 0), MSS);
	expect_data(t, iss, MSS, ACK | PSH | CWR, ECT0);
	(void)fd;
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen__ecn_setup_syn__synack_ece),
		cmocka_unit_test(listen__ecn_setup_syn_marked_ect__no_ecn),
		cmocka_unit_test(listen__ecn_off_or_ece_only__plain_synack),
		cmocka_unit_test(closed__connect_tcp_ecn_1__syn_ece_cwr),
		cmocka_unit_test(syn_sent__synack_ece__data_ect0),
		cmocka_unit_test(syn_sent__synack_without_ece__no_ecn),
		cmocka_unit_test(syn_sent__syn_timeout__fallback_drops_ece_cwr),
		cmocka_unit_test(estab__ce_data__ece_until_cwr),
		cmocka_unit_test(estab_no_ecn__ce_data__no_ece),
		cmocka_unit_test(estab__ece__cwr_once_per_window),
		cmocka_unit_test(estab__rto__retransmit_not_ect_then_cwr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
