/*
 * Retransmission on virtual time: the SYN and SYN-ACK schedules, the data
 * RTO (RFC 6298) with backoff, Karn's rule and Linux's retries-as-time
 * give-up, go-back-N after a timeout, fast retransmit and NewReno
 * (RFC 5681 3.2, RFC 6582). Numbers are Linux's (LINUX-SEMANTICS 2).
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

/* RFC 6298 2.4 / Linux TCP_RTO_MAX. */
#define RTO_MAX_MS 120000

/* Run the clock to ms, then expect the next segment to have left then. */
#define EXPECT_AT(t, ms, ...) \
	do { \
		scn_at((t), (ms)); \
		scn_expect_at((t), (ms), __VA_ARGS__); \
	} while (0)

static char payload[8 * 1460];

static void fill_payload(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)('a' + i % 26);
}

static struct tcp_info info_of(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static int so_error(struct scn *t, int fd)
{
	int e = -1;
	socklen_t len = sizeof(e);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	return e;
}

/* A socket bound to L_PORT, connecting to the peer at time now. */
static int connecting(struct scn *t, int syncnt, uint32_t *iss)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	if (syncnt)
		assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt,
						   sizeof(syncnt)), 0);
	scn_connect(t, fd);
	*iss = scn_expect_syn(t);
	return fd;
}

/* Passive open whose final ACK arrives rtt_ms after the SYN-ACK: one RTT
 * sample of rtt_ms (RFC 6298 2.2). */
static int estab_rtt(struct scn *t, uint64_t rtt_ms, uint32_t *iss)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t s = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, rtt_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s + 1));
	scn_expect_none(t);
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	*iss = s;
	return fd;
}

/* The data segment [off, off+n) of payload, as we send it. */
#define DATA(iss, off, n, fl) \
	SEG(.flags = (fl), .seq = (iss) + 1 + (off), .ack = R_ISS + 1, .data = payload + (off), \
	    .len = (n))
/* The peer's ACK of everything before off. */
#define PEER_ACK(iss, off) SEG(.flags = ACK, .seq = R_ISS + 1, .ack = (iss) + 1 + (off))

/* ===== SYN-SENT ========================================================= */

/* LINUX-SEMANTICS 2 (6.5+): 4 linear timeouts, then doubling: SYNs at
 * 0,1,2,3,4,5,7,11,19,35,67 s; ETIMEDOUT at 131 s, no RST. */
static void syn_sent__no_answer__linear_then_doubling_until_131s(void **state)
{
	static const uint64_t at[] = {1000, 2000, 3000, 4000, 5000, 7000, 11000, 19000, 35000, 67000};
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = connecting(t, 0, &iss);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		EXPECT_AT(t, at[i], SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_at(t, 130999);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_at(t, 131000);
	scn_expect_none(t); /* tcp_write_err: no RST */
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), ETIMEDOUT);
	assert_int_equal(so_error(t, fd), 0); /* read and cleared */
	assert_int_equal(scn_counter(t, "TcpActiveOpens"), 1);
	assert_int_equal(scn_counter(t, "TcpAttemptFails"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 10);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 10);
	/* Every firing counts, the last (give-up) one included. */
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 11);
	/* tcp_write_err counts TCPAbortOnTimeout in SYN-SENT too. */
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: the failed connect's error goes to the next
 * connect() (inet_stream_connect's sock_error), once. */
static void syn_sent__timed_out__next_connect_reports_etimedout(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = connecting(t, 1, &iss);
	scn_at(t, 3000);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				  .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_connect(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(so_error(t, fd), 0);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ENOTCONN);
	scn_free(t);
}

/* SYN-SENT give-up (LINUX-SEMANTICS 2): TCP_SYNCNT 1 allows
 * (2^2-1) = 3 s: SYNs at 0, 1, 2, failure at 3 s. */
static void syn_sent__syncnt_1__fails_at_3s(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = connecting(t, 1, &iss);
	EXPECT_AT(t, 1000, SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	EXPECT_AT(t, 2000, SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_at(t, 2999);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_at(t, 3000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 2);
	assert_int_equal(scn_counter(t, "TcpAttemptFails"), 1);
	scn_free(t);
}

/* TCP_SYNCNT 2: (2^3-1) = 7 s, before the 2 + 4 retransmissions run out. */
static void syn_sent__syncnt_2__fails_at_7s(void **state)
{
	static const uint64_t at[] = {1000, 2000, 3000, 4000, 5000};
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = connecting(t, 2, &iss);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		EXPECT_AT(t, at[i], SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_at(t, 6999);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_at(t, 7000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 5);
	scn_free(t);
}

/* Before 6.5 (tcp_syn_linear_timeouts 0): 0,1,3,7,15,31,63 s, fail at 127 s. */
static void syn_sent__no_linear_timeouts__classic_schedule(void **state)
{
	static const uint64_t at[] = {1000, 3000, 7000, 15000, 31000, 63000};
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_syn_linear_timeouts", "0"), 0);
	uint32_t iss;
	int fd = connecting(t, 0, &iss);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		EXPECT_AT(t, at[i], SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_at(t, 126999);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_at(t, 127000);
	scn_expect_none(t);
	assert_int_equal(so_error(t, fd), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 6);
	scn_free(t);
}

/* RFC 6298 5.7 / Linux tcp_init_metrics: a handshake without an RTT
 * sample (the SYN was resent: Karn) leaves RTO at 3 s. One resend keeps
 * the initial window of 10 (tcp_init_transfer). */
static void syn_sent__synack_after_one_resend__rto_3s_no_rtt(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = connecting(t, 0, &iss);
	EXPECT_AT(t, 1000, SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_inject(t, 1500, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	EXPECT_AT(t, 1500, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_state, SYNACK_ESTABLISHED);
	assert_int_equal(ti.tcpi_rtt, 0);
	assert_int_equal(ti.tcpi_rto, 3000000);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1500, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 4500, DATA(iss, 0, 100, ACK | PSH));
	scn_free(t);
}

/* Linux tcp_init_transfer: more than one SYN retransmission cuts the
 * initial window to 1 (RFC 5681 3.1's loss-in-handshake rule). */
static void syn_sent__synack_after_two_resends__initial_cwnd_1(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = connecting(t, 0, &iss);
	EXPECT_AT(t, 1000, SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	EXPECT_AT(t, 2000, SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_inject(t, 2100, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 1);
	assert_int_equal(synack_send(t->st, fd, payload, 3 * 1460, 0), 3 * 1460);
	/* cwnd 1, then 2: each burst is one segment (half the cwnd at
	 * most, tcp_cwnd_test), so PSH only where the write ends (push.c). */
	scn_expect(t, DATA(iss, 0, 1460, ACK));
	scn_expect_none(t);
	scn_inject(t, 2200, PEER_ACK(iss, 1460));
	scn_expect(t, DATA(iss, 1460, 1460, ACK));
	scn_expect(t, DATA(iss, 2920, 1460, ACK | PSH));
	scn_expect_none(t);
	scn_free(t);
}

/* ===== SYN-RECEIVED ===================================================== */

/* tcp_synack_retries 5: SYN-ACKs at 0,1,3,7,15,31 s; the request dies
 * silently at 63 s (no RST); a late ACK then meets the listener. */
static void syn_recv__no_ack__synack_schedule_then_silent_drop(void **state)
{
	static const uint64_t at[] = {1000, 3000, 7000, 15000, 31000};
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		EXPECT_AT(t, at[i], SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	scn_at(t, 62999);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_at(t, 63000);
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 5);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 5);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 6);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 0);
	/* RFC 9293 3.10.7.2: an ACK for a listener gets <SEQ=SEG.ACK><CTL=RST>. */
	scn_inject(t, 64000, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1, .wnd = 0));
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	scn_free(t);
}

/* tcp_synack_retries 2: SYN-ACKs at 0, 1, 3 s; dropped at 7 s. */
static void syn_recv__synack_retries_2__dropped_at_7s(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_synack_retries", "2"), 0);
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	EXPECT_AT(t, 1000, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	EXPECT_AT(t, 3000, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	scn_at(t, 6999);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_at(t, 7000);
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* ===== RTO computation (RFC 6298 2.2-2.4, Linux rto_min 200 ms) ======== */

/* First sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(4 RTTVAR,
 * rto_min). R = 100 ms: RTO 300 ms. tcpi_* are microseconds. */
static void estab__first_rtt_sample__rto_srtt_plus_4rttvar(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_state, SYNACK_ESTABLISHED);
	assert_int_equal(ti.tcpi_rtt, 100000);
	assert_int_equal(ti.tcpi_rttvar, 50000);
	assert_int_equal(ti.tcpi_rto, 300000);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	scn_free(t);
}

/* A small RTT: RTTVAR term below rto_min, so RTO = SRTT + 200 ms. */
static void estab__small_rtt__rto_floor_200ms(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 10, &iss);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_rtt, 10000);
	assert_int_equal(ti.tcpi_rttvar, 5000);
	assert_int_equal(ti.tcpi_rto, 210000);
	scn_free(t);
}

/* net.ipv4.tcp_rto_min_us lowers the floor: 10 ms + max(20 ms, 50 ms). */
static void estab__rto_min_sysctl__lower_floor(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_rto_min_us", "50000"), 0);
	uint32_t iss;
	int fd = estab_rtt(t, 10, &iss);
	assert_int_equal(info_of(t, fd).tcpi_rto, 60000);
	scn_free(t);
}

/* Second sample R' = 280 ms (RFC 6298 2.3): RTTVAR = 3/4*50 + 1/4*|100-280|
 * = 82.5 ms, SRTT = 7/8*100 + 1/8*280 = 122.5 ms, RTO = 122.5 + 330 =
 * 452.5 ms. Linux's estimator gives the same numbers for a rising RTT. */
static void estab__second_rtt_sample__rfc6298_update(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1000, DATA(iss, 0, 100, ACK | PSH));
	scn_inject(t, 1280, PEER_ACK(iss, 100));
	scn_expect_none(t);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_rtt, 122500);
	assert_int_equal(ti.tcpi_rttvar, 82500);
	assert_int_equal(ti.tcpi_rto, 452500);
	/* The new RTO times the next segment (rounded up to the 1 ms tick,
	 * as Linux rounds to a jiffy). */
	assert_int_equal(synack_send(t->st, fd, payload + 100, 100, 0), 100);
	EXPECT_AT(t, 1280, DATA(iss, 100, 100, ACK | PSH));
	scn_at(t, 1732);
	scn_expect_none(t);
	EXPECT_AT(t, 1733, DATA(iss, 100, 100, ACK | PSH));
	scn_free(t);
}

/* ===== Data RTO and backoff ============================================= */

/* RFC 6298 5.5: each timeout doubles the RTO; the resend goes at
 * SND.UNA (5.4). tcpi_retransmits/backoff count the timeouts and
 * ca_state is Loss (4). */
static void estab__no_ack__exponential_backoff(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1000, DATA(iss, 0, 100, ACK | PSH));
	scn_at(t, 1299);
	scn_expect_none(t);
	EXPECT_AT(t, 1300, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 1900, DATA(iss, 0, 100, ACK | PSH));
	scn_at(t, 2000);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_retransmits, 2);
	assert_int_equal(ti.tcpi_backoff, 2);
	assert_int_equal(ti.tcpi_rto, 1200000);
	assert_int_equal(ti.tcpi_ca_state, 4);
	assert_int_equal(ti.tcpi_total_retrans, 2);
	assert_int_equal(ti.tcpi_snd_cwnd, 1);
	EXPECT_AT(t, 3100, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 5500, DATA(iss, 0, 100, ACK | PSH));
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 4);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 4);
	scn_free(t);
}

/* tcp_retries2 = 15 is 924.6 s from the first transmission (base 200 ms,
 * LINUX-SEMANTICS 2). With RTO 300 ms the resends fall at +0.3, 0.9, 2.1,
 * 4.5, 9.3, 18.9, 38.1, 76.5, 153.3 s, then every 120 s (cap) up to
 * 873.3 s: 15 resends. The timer at 993.3 s finds 924.6 s passed: the
 * connection closes with ETIMEDOUT, no RST, TCPAbortOnTimeout. */
static void estab__no_ack__gives_up_after_retries2_time(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1000, DATA(iss, 0, 100, ACK | PSH));
	uint64_t at = 1000, rto = 300;
	for (int i = 0; i < 15; i++) {
		at += rto;
		rto = rto * 2 > RTO_MAX_MS ? RTO_MAX_MS : rto * 2;
		EXPECT_AT(t, at, DATA(iss, 0, 100, ACK | PSH));
	}
	assert_int_equal(at, 874300);
	scn_at(t, 994299);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 994300);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 15);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	/* Linux tcp_set_state: ESTABLISHED -> CLOSE counts EstabResets. */
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_free(t);
}

/* tcp_retries2 = 3: (2^4-1) * 200 ms = 3 s. Resends at +0.3, 0.9, 2.1 s;
 * the timer at +4.5 s gives up. The error sticks for send and recv. */
static void estab__retries2_3__gives_up_after_3s(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_retries2", "3"), 0);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1000, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 1900, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 3100, DATA(iss, 0, 100, ACK | PSH));
	scn_at(t, 5499);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 5500);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(synack_send(t->st, fd, b, sizeof(b), MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 3);
	scn_free(t);
}

/* RFC 6298 5.5 with Linux's cap: the RTO never exceeds 120 s. With
 * retries2 = 15 the intervals go 300 ms .. 76.8 s, then 120 s. */
static void estab__backoff__capped_at_120s(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10, 0), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	uint64_t at = 1000, rto = 300;
	for (int i = 0; i < 11; i++) {
		at += rto;
		rto = rto * 2 > RTO_MAX_MS ? RTO_MAX_MS : rto * 2;
		EXPECT_AT(t, at, DATA(iss, 0, 10, ACK | PSH));
	}
	assert_int_equal(info_of(t, fd).tcpi_rto, RTO_MAX_MS * 1000u);
	/* 153.3 s, 273.3 s, 393.3 s: 120 s apart. */
	assert_int_equal(at, 394300);
	scn_free(t);
}

/* Karn's rule (RFC 6298 3): an ACK covering a retransmitted segment gives
 * no sample (tcpi_rtt unchanged) and the backed-off RTO stays until a
 * fresh sample (RFC 6298 5.7; Linux resets it only in tcp_set_rto). */
static void estab__ack_of_retransmission__karn_no_sample(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1000, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 100, ACK | PSH));
	scn_inject(t, 1350, PEER_ACK(iss, 100));
	scn_expect_none(t);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_rtt, 100000);
	assert_int_equal(ti.tcpi_rttvar, 50000);
	assert_int_equal(ti.tcpi_rto, 600000);
	assert_int_equal(ti.tcpi_retransmits, 0);
	/* New data is timed with the backed-off RTO... */
	scn_at(t, 2000);
	assert_int_equal(synack_send(t->st, fd, payload + 100, 100, 0), 100);
	EXPECT_AT(t, 2000, DATA(iss, 100, 100, ACK | PSH));
	scn_at(t, 2599);
	scn_expect_none(t);
	EXPECT_AT(t, 2600, DATA(iss, 100, 100, ACK | PSH));
	/* ...and its retransmission is not sampled either. */
	scn_inject(t, 2700, PEER_ACK(iss, 200));
	assert_int_equal(info_of(t, fd).tcpi_rtt, 100000);
	/* Fresh data acked without a resend is a sample: RTO recomputed
	 * (SRTT 100 ms, RTTVAR 37.5 ms, RTO 100 + max(150, 200) ms). */
	scn_at(t, 3000);
	assert_int_equal(synack_send(t->st, fd, payload + 200, 100, 0), 100);
	EXPECT_AT(t, 3000, DATA(iss, 200, 100, ACK | PSH));
	scn_inject(t, 3100, PEER_ACK(iss, 300));
	ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_rtt, 100000);
	assert_int_equal(ti.tcpi_rttvar, 37500);
	assert_int_equal(ti.tcpi_rto, 300000);
	scn_expect_none(t);
	scn_free(t);
}

/* RFC 6298 5.3: an ACK of new data restarts the timer for what is left:
 * the next resend is one RTO after that ACK, not after the first send. */
static void estab__partial_ack__timer_restarted(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 2 * 1460, 0), 2 * 1460);
	scn_expect(t, DATA(iss, 0, 1460, ACK));
	scn_expect(t, DATA(iss, 1460, 1460, ACK | PSH));
	scn_inject(t, 1200, PEER_ACK(iss, 1460));
	/* Sample 200 ms: SRTT 112.5 ms, RTTVAR 3/4*50 + 1/4*100 = 62.5 ms,
	 * RTO 112.5 + 250 = 362.5 ms, rounded up to the 1 ms tick. */
	assert_int_equal(info_of(t, fd).tcpi_rto, 362500);
	scn_at(t, 1562);
	scn_expect_none(t);
	EXPECT_AT(t, 1563, DATA(iss, 1460, 1460, ACK | PSH));
	scn_free(t);
}

/* ===== Go-back-N after a timeout (RFC 5681 3.1, RFC 6298 5.4) ========= */

/* The timeout resends only SND.UNA's segment (cwnd 1); each ACK then
 * opens cwnd by one (slow start) and the rest is resent from there. */
static void estab__rto__go_back_n_in_slow_start(void **state)
{
	fill_payload();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rtt(t, 100, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 4 * 1460, 0), 4 * 1460);
	EXPECT_AT(t, 1000, DATA(iss, 0, 1460, ACK));
	EXPECT_AT(t, 1000, DATA(iss, 1460, 1460, ACK | PSH)); /* bursts of 2 (push.c) */
	EXPECT_AT(t, 1000, DATA(iss, 2920, 1460, ACK));
	EXPECT_AT(t, 1000, DATA(iss, 4380, 1460, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 1460, ACK));
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_snd_cwnd, 1);
	scn_inject(t, 1400, PEER_ACK(iss, 1460));
	EXPECT_AT(t, 1400, DATA(iss, 1460, 1460, ACK));
	EXPECT_AT(t, 1400, DATA(iss, 2920, 1460, ACK));
	scn_expect_none(t);
	scn_inject(t, 1500, PEER_ACK(iss, 2920));
	EXPECT_AT(t, 1500, DATA(iss, 4380, 1460, ACK | PSH));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 4);
	scn_inject(t, 1600, PEER_ACK(iss, 4 * 1460));
	scn_expect_none(t);
	/* Everything acked: no timer left to fire. */
	scn_at(t, 10000);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 4);
	scn_free(t);
}

/* ===== Fast retransmit and NewReno ===================================== */

/* Six segments; the peer lost segment 2 (and 5). Its ACKs for 1, 3, 4, 6. */
static int six_in_flight(struct scn *t, uint32_t *iss)
{
	fill_payload();
	int fd = estab_rtt(t, 100, iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 6 * 1460, 0), 6 * 1460);
	/* Bursts of tcp_tso_segs = 2 (the pacing rate at 100 ms RTT) cut
	 * from the pushed buffer: PSH on every second (push.c). */
	for (int i = 0; i < 6; i++)
		EXPECT_AT(t, 1000, DATA(*iss, i * 1460u, 1460, i % 2 ? ACK | PSH : ACK));
	scn_inject(t, 1100, PEER_ACK(*iss, 1460));
	scn_expect_none(t);
	return fd;
}

/* RFC 5681 3.2: the third duplicate ACK resends SND.UNA's segment at once,
 * long before the RTO (TCPFastRetrans, TCPRenoRecovery without SACK). */
static void estab__three_dupacks__fast_retransmit(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = six_in_flight(t, &iss);
	scn_inject(t, 1101, PEER_ACK(iss, 1460));
	scn_inject(t, 1102, PEER_ACK(iss, 1460));
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 1); /* Disorder */
	scn_inject(t, 1103, PEER_ACK(iss, 1460));
	EXPECT_AT(t, 1103, DATA(iss, 1460, 1460, ACK));
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 3); /* Recovery */
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPRenoRecovery"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 0);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	scn_free(t);
}

/* Two duplicate ACKs are not enough (RFC 5681 3.2: threshold 3). */
static void estab__two_dupacks__no_retransmit(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	six_in_flight(t, &iss);
	scn_inject(t, 1101, PEER_ACK(iss, 1460));
	scn_inject(t, 1102, PEER_ACK(iss, 1460));
	scn_at(t, 1200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 0);
	scn_free(t);
}

/* RFC 5681 2 (definition of a duplicate ACK): a window change or data on
 * the segment makes it no duplicate, so three such ACKs resend nothing. */
static void estab__acks_with_window_update__not_duplicates(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	six_in_flight(t, &iss);
	for (int i = 0; i < 3; i++)
		scn_inject(t, 1101 + i, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 1460,
					    .wnd = 60000 - i));
	scn_at(t, 1200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 0);
	scn_free(t);
}

/* RFC 6582 3.2 step 4: a partial ACK (below the recovery point) resends
 * the next hole at once; Linux counts it as another TCPFastRetrans. The
 * full ACK ends recovery with no further resend. */
static void estab__newreno_partial_ack__next_hole_resent(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = six_in_flight(t, &iss);
	for (int i = 1; i <= 3; i++)
		scn_inject(t, 1100 + i, PEER_ACK(iss, 1460));
	EXPECT_AT(t, 1103, DATA(iss, 1460, 1460, ACK));
	/* The peer now has 1-4 and 6: a partial ACK up to segment 5. */
	scn_inject(t, 1200, PEER_ACK(iss, 4 * 1460));
	EXPECT_AT(t, 1200, DATA(iss, 4 * 1460, 1460, ACK));
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_ca_state, 3);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastRetrans"), 2);
	assert_int_equal(scn_counter(t, "TcpExtTCPRenoRecovery"), 1);
	scn_inject(t, 1300, PEER_ACK(iss, 6 * 1460));
	scn_expect_none(t);
	scn_at(t, 5000);
	scn_expect_none(t); /* all acked: no RTO */
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 2);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_sent__no_answer__linear_then_doubling_until_131s),
		cmocka_unit_test(syn_sent__timed_out__next_connect_reports_etimedout),
		cmocka_unit_test(syn_sent__syncnt_1__fails_at_3s),
		cmocka_unit_test(syn_sent__syncnt_2__fails_at_7s),
		cmocka_unit_test(syn_sent__no_linear_timeouts__classic_schedule),
		cmocka_unit_test(syn_sent__synack_after_one_resend__rto_3s_no_rtt),
		cmocka_unit_test(syn_sent__synack_after_two_resends__initial_cwnd_1),
		cmocka_unit_test(syn_recv__no_ack__synack_schedule_then_silent_drop),
		cmocka_unit_test(syn_recv__synack_retries_2__dropped_at_7s),
		cmocka_unit_test(estab__first_rtt_sample__rto_srtt_plus_4rttvar),
		cmocka_unit_test(estab__small_rtt__rto_floor_200ms),
		cmocka_unit_test(estab__rto_min_sysctl__lower_floor),
		cmocka_unit_test(estab__second_rtt_sample__rfc6298_update),
		cmocka_unit_test(estab__no_ack__exponential_backoff),
		cmocka_unit_test(estab__no_ack__gives_up_after_retries2_time),
		cmocka_unit_test(estab__retries2_3__gives_up_after_3s),
		cmocka_unit_test(estab__backoff__capped_at_120s),
		cmocka_unit_test(estab__ack_of_retransmission__karn_no_sample),
		cmocka_unit_test(estab__partial_ack__timer_restarted),
		cmocka_unit_test(estab__rto__go_back_n_in_slow_start),
		cmocka_unit_test(estab__three_dupacks__fast_retransmit),
		cmocka_unit_test(estab__two_dupacks__no_retransmit),
		cmocka_unit_test(estab__acks_with_window_update__not_duplicates),
		cmocka_unit_test(estab__newreno_partial_ack__next_hole_resent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
