/*
 * TCP_USER_TIMEOUT (RFC 5482; tcp(7); LINUX-SEMANTICS 2): milliseconds
 * that replace the time tcp_retries2 stands for. Counted from the first
 * transmission of the oldest unacknowledged data (Linux retrans_stamp);
 * while retransmitting, the RTO timer is clamped to fire exactly at the
 * give-up time (tcp_clamp_rto_to_user_timeout). Expiry: ETIMEDOUT, no
 * RST, TcpExtTCPAbortOnTimeout (tcp_write_err). With SO_KEEPALIVE it also
 * replaces the probe count (tcp_keepalive_timer). 0 restores the default.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

#define EXPECT_AT(t, ms, ...) \
	do { \
		scn_at((t), (ms)); \
		scn_expect_at((t), (ms), __VA_ARGS__); \
	} while (0)

static char payload[256];

#define DATA(iss, off, n, fl) \
	SEG(.flags = (fl), .seq = (iss) + 1 + (off), .ack = R_ISS + 1, .data = payload + (off), \
	    .len = (n))

/* Passive open whose final ACK comes 100 ms after the SYN-ACK: one RTT
 * sample of 100 ms, so RTO = 100 + max(4 * 50, 200) = 300 ms. */
static int estab_rto300(struct scn *t, uint32_t *iss)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)('a' + i % 26);
	return fx_passive_established_rtt(t, 100, iss);
}

/* The option itself: 0 by default, read back as set, negative EINVAL
 * (Linux tcp_sock_set_user_timeout), short optlen EINVAL. */
static void sockopt__set_get_and_bad_values(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 3000);
	int v = -1;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 3000);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	scn_free(t);
}

/* 2 s, data sent at 1.0 s and never acked: resends at 1.3 and 1.9 s (RTO
 * backoff); the next RTO (1.2 s, due 3.1 s) is clamped to 3.0 s, where
 * 2 s have passed since 1.0 s: ETIMEDOUT, nothing on the wire. */
static void estab__unacked_user_timeout_2s__etimedout_at_exactly_2s(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rto300(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 2000);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), 100);
	EXPECT_AT(t, 1000, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 100, ACK | PSH));
	EXPECT_AT(t, 1900, DATA(iss, 0, 100, ACK | PSH));
	scn_at(t, 2999);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 3000);
	scn_expect_none(t); /* no RST (tcp_write_err) */
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	int e = -1;
	socklen_t len = sizeof(e);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	assert_int_equal(e, ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 3);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 2);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	scn_free(t);
}

/* The error sticks for the next call: recv reports ETIMEDOUT once, then
 * writes get EPIPE (as after the tcp_retries2 give-up). */
static void estab__user_timeout_expired__recv_etimedout(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rto300(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10, 0), 10);
	EXPECT_AT(t, 1000, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 1900, DATA(iss, 0, 10, ACK | PSH));
	/* RTO 1.2 s clamped to the 0.1 s left. */
	scn_at(t, 1999);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 2000);
	scn_expect_none(t);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(synack_send(t->st, fd, b, sizeof(b), MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	scn_free(t);
}

/* A user timeout below the first RTO: the first timeout still resends
 * (Linux retransmits_timed_out is false before any retransmission); the
 * re-armed timer finds the time passed and fires one tick (1 ms) later. */
static void estab__user_timeout_below_rto__one_resend_then_abort(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rto300(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 100);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10, 0), 10);
	EXPECT_AT(t, 1000, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 10, ACK | PSH));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 1301);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

/* An ACK of everything restarts the count: data acked at 1.5 s, new data
 * at 2.0 s is given its own 1 s (resends 2.3, 2.9; dead at 3.0 s). */
static void estab__acked_then_new_data__clock_restarts(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_rto300(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10, 0), 10);
	EXPECT_AT(t, 1000, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 10, ACK | PSH));
	scn_inject(t, 1500, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 11));
	scn_expect_none(t);
	scn_at(t, 2000);
	assert_int_equal(synack_send(t->st, fd, payload + 10, 10, 0), 10);
	EXPECT_AT(t, 2000, DATA(iss, 10, 10, ACK | PSH));
	/* Karn: the acked resend gave no sample; the RTO backed off to 600 ms
	 * is kept (RFC 6298 5.7), so the resend goes at 2.6 s. */
	EXPECT_AT(t, 2600, DATA(iss, 10, 10, ACK | PSH));
	scn_at(t, 2999);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 3000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	scn_free(t);
}

/* User timeout 0 is the default rule: tcp_retries2 = 3 means 3 s of
 * doublings from 200 ms; resends at 1.3, 1.9, 3.1 s; dead at 5.5 s. */
static void estab__user_timeout_0__retries2_rule(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_retries2", "3"), 0);
	uint32_t iss;
	int fd = estab_rto300(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 2000);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 0);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10, 0), 10);
	EXPECT_AT(t, 1000, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 1300, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 1900, DATA(iss, 0, 10, ACK | PSH));
	EXPECT_AT(t, 3100, DATA(iss, 0, 10, ACK | PSH));
	scn_at(t, 5499);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 5500);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 3);
	scn_free(t);
}

/* A long user timeout outlives tcp_retries2: with retries2 = 3 (3 s) and
 * a 10 s user timeout the connection still resends at 5.5 s. */
static void estab__user_timeout_longer_than_retries2__keeps_trying(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_retries2", "3"), 0);
	uint32_t iss;
	int fd = estab_rto300(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 10000);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 10, 0), 10);
	EXPECT_AT(t, 1000, DATA(iss, 0, 10, ACK | PSH));
	const uint64_t at[] = {1300, 1900, 3100, 5500, 10300};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		EXPECT_AT(t, at[i], DATA(iss, 0, 10, ACK | PSH));
	/* The next RTO (9.6 s) is clamped to 11.0 s = 1.0 s + 10 s. */
	scn_at(t, 10999);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 11000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 5);
	scn_free(t);
}

/* Keepalive with TCP_USER_TIMEOUT (Linux tcp_keepalive_timer): once a
 * probe is out, silence longer than the user timeout kills the
 * connection at the next probe time, whatever TCP_KEEPCNT says. Idle
 * 10 s, interval 2 s, count 9, user timeout 5 s: probe at 10 s, RST and
 * ETIMEDOUT at 12 s. */
static void estab__keepalive_with_user_timeout__rst_at_next_interval(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPIDLE, 10);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPINTVL, 2);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPCNT, 9);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000);
	EXPECT_AT(t, 10000, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
	scn_at(t, 11999);
	scn_expect_none(t);
	EXPECT_AT(t, 12000, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

/* A child takes its listener's user timeout (Linux clones the socket). */
static void listener_user_timeout__child__inherits(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_set_int(t, lfd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1234);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t s = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 1234);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sockopt__set_get_and_bad_values),
		cmocka_unit_test(estab__unacked_user_timeout_2s__etimedout_at_exactly_2s),
		cmocka_unit_test(estab__user_timeout_expired__recv_etimedout),
		cmocka_unit_test(estab__user_timeout_below_rto__one_resend_then_abort),
		cmocka_unit_test(estab__acked_then_new_data__clock_restarts),
		cmocka_unit_test(estab__user_timeout_0__retries2_rule),
		cmocka_unit_test(estab__user_timeout_longer_than_retries2__keeps_trying),
		cmocka_unit_test(estab__keepalive_with_user_timeout__rst_at_next_interval),
		cmocka_unit_test(listener_user_timeout__child__inherits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
