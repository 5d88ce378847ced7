/*
 * Zero-window probing as Linux's tcp_probe_timer runs it (RFC 9293
 * 3.8.6.1, RFC 1122 4.2.2.17): probes back off from the RTO to 120 s; a
 * peer that answers is probed for ever, one that stays silent for
 * tcp_retries2 (15) probes gets the connection closed with ETIMEDOUT,
 * and TCP_USER_TIMEOUT bounds probing from the first probe timeout.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

/* Passive open whose handshake ACK (offering a zero window) comes 100 ms
 * after the SYN-ACK: srtt 100 ms, rttvar 50 ms, RTO 100 + 4 x 50 = 300 ms. */
static int zero_window_estab(struct scn *t, uint32_t *iss_out)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 0));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	*iss_out = iss;
	return fd;
}

/* Probes (an ACK at SND.UNA - 1) at 300, 600, 1200 ... ms intervals, held
 * to 120 s from the tenth; with no answer, the timer that would send the
 * sixteenth closes the connection: ETIMEDOUT, no RST, TCPAbortOnTimeout. */
static void estab__zero_window_unanswered__fifteen_probes_then_etimedout(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zero_window_estab(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "0123456789", 10, 0), 10);
	scn_expect_none(t);
	uint64_t at = 100;
	for (unsigned k = 0; k < 15; k++) {
		uint64_t when = (uint64_t)300 << k;
		at += when < 120000 ? when : 120000;
		scn_at(t, at - 1);
		scn_expect_none(t);
		scn_at(t, at);
		scn_expect_at(t, at, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
	}
	assert_int_equal(at, 873400);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, at + 120000 - 1);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, at + 120000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char buf[4];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 15);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

/* Every answer resets the count (Linux tcp_ack: icsk_probes_out = 0), so
 * a peer that keeps answering with a zero window is never given up on:
 * twenty probes, each answered, and the connection stands. */
static void estab__zero_window_answered__probed_past_retries2(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zero_window_estab(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "0123456789", 10, 0), 10);
	uint64_t at = 100;
	for (unsigned k = 0; k < 20; k++) {
		uint64_t when = (uint64_t)300 << k;
		at += when < 120000 ? when : 120000;
		scn_at(t, at);
		scn_expect_at(t, at, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
		scn_inject(t, at, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 0));
		scn_expect_none(t);
	}
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 20);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 0);
	scn_free(t);
}

/* Linux 5.12+ (icsk_probes_tstamp): TCP_USER_TIMEOUT counts from the
 * first probe timeout and ends probing though the peer answers; the probe
 * timer is clamped to its end. RTO 300 ms, timeout 1 s: probes at 400
 * (the count starts) and 1000 ms, then the clamped timer at 1400 ms
 * closes the connection with ETIMEDOUT. */
static void estab__zero_window_user_timeout__closed_though_answered(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zero_window_estab(t, &iss);
	int ms = 1000;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)), 0);
	assert_int_equal(synack_send(t->st, fd, "0123456789", 10, 0), 10);
	static const uint64_t at[] = {400, 1000};
	for (unsigned k = 0; k < 2; k++) {
		scn_at(t, at[k]);
		scn_expect_at(t, at[k], SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
		scn_inject(t, at[k], SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 0));
		scn_expect_none(t);
	}
	scn_at(t, 1399);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 1400);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char buf[4];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 2);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__zero_window_unanswered__fifteen_probes_then_etimedout),
		cmocka_unit_test(estab__zero_window_answered__probed_past_retries2),
		cmocka_unit_test(estab__zero_window_user_timeout__closed_though_answered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
