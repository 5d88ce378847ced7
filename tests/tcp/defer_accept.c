/*
 * TCP_DEFER_ACCEPT (9) as Linux runs it (LINUX-SEMANTICS 3; tcp_check_req,
 * syn_ack_recalc): seconds become R SYN-ACK timeouts; a bare final ACK is
 * dropped (TCPDeferAcceptDrop) and the request waits, SYN-ACKs paused,
 * until data comes (the connection is made with it) or timeout R-1 sends
 * one last SYN-ACK whose ACK makes the connection without data; the
 * request expires after max(tcp_synack_retries, R) timeouts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>

#include "scenario.h"

static int defer_listener(struct scn *t, int secs)
{
	int lfd = fx_listen(t);
	assert_int_equal(synack_setsockopt(t->st, lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs,
					   sizeof(secs)), 0);
	return lfd;
}

static int requests(struct scn *t)
{
	struct synack_sockinfo rows[8];
	size_t n = synack_sockets(t->st, rows, 8);
	int c = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		c += rows[i].state == SYNACK_SYN_RECV;
	return c;
}

/* getsockopt reports the seconds the timeouts add up to (measured). */
static void defer_accept__sockopt__seconds_round_up_to_timeouts(void **state)
{
	static const int rows[][2] = {{0, 0}, {-5, 0}, {1, 1}, {2, 3}, {5, 7}, {10, 15},
				      {60, 63}, {200, 247}};
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int v = rows[i][0], got = -1;
		socklen_t len = sizeof(got);
		assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v)), 0);
		assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &got, &len), 0);
		assert_int_equal(got, rows[i][1]);
	}
	scn_free(t);
}

/* A bare ACK: accept() has nothing (EAGAIN), the request stays, and no
 * SYN-ACK goes out at 1 s or 3 s. Data at 2 s makes the connection with
 * the data readable (measured: accept at 2 s). */
static void defer_accept__bare_ack_then_data__accept_returns_with_data(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = defer_listener(t, 5);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPDeferAcceptDrop"), 1);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(requests(t), 1);
	scn_at(t, 1999);
	scn_expect_none(t); /* no SYN-ACK at 1 s */
	scn_inject(t, 2000, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "GET"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 4, .any_wnd = true));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 3);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 1);
	scn_free(t);
}

/* The threshold: at timeout R-1 (7 s for 5 s, R = 3) one SYN-ACK goes
 * out; the peer's ACK to it makes the connection without data (measured:
 * accept at about 7 s). */
static void defer_accept__no_data__synack_at_7s_and_ack_makes_connection(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = defer_listener(t, 5);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 6999);
	scn_expect_none(t);
	scn_at(t, 7000);
	scn_expect_at(t, 7000, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	scn_inject(t, 7010, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(scn_counter(t, "TcpExtTCPDeferAcceptDrop"), 1);
	scn_free(t);
}

/* Nobody sends data or answers: SYN-ACKs at 7, 15, 31 s; the request
 * goes at 63 s (max(5, 3) timeouts). */
static void defer_accept__acked_and_silent__expires_at_63s(void **state)
{
	struct scn *t = scn_new(NULL);
	defer_listener(t, 5);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	static const uint64_t at[] = {7000, 15000, 31000};
	for (size_t i = 0; i < 3; i++) {
		scn_at(t, at[i]);
		scn_expect_at(t, at[i], SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
		scn_expect_none(t);
	}
	scn_at(t, 62999);
	assert_int_equal(requests(t), 1);
	scn_at(t, 63000);
	scn_expect_none(t);
	assert_int_equal(requests(t), 0);
	scn_free(t);
}

/* R above tcp_synack_retries (200 s: R = 8): an acked request lives for 8
 * timeouts, silent until timeout 7 (at 247 s), gone at the 9th (367 s). */
static void defer_accept__200s__one_synack_at_247s_gone_at_367s(void **state)
{
	struct scn *t = scn_new(NULL);
	defer_listener(t, 200);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 246999);
	scn_expect_none(t);
	assert_int_equal(requests(t), 1);
	scn_at(t, 247000);
	scn_expect_at(t, 247000, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	scn_at(t, 366999);
	assert_int_equal(requests(t), 1);
	scn_at(t, 367000);
	scn_expect_none(t);
	assert_int_equal(requests(t), 0);
	scn_free(t);
}

/* Without a bare ACK the request is an ordinary one: SYN-ACKs at 1, 3 s... */
static void defer_accept__no_ack_at_all__synacks_as_usual(void **state)
{
	struct scn *t = scn_new(NULL);
	defer_listener(t, 5);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_at(t, 1000);
	scn_expect_at(t, 1000, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	scn_at(t, 3000);
	scn_expect_at(t, 3000, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	scn_free(t);
}

/* A FIN with the final ACK is not a bare ACK: the connection is made. */
static void defer_accept__fin_ack__connection_in_close_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = defer_listener(t, 5);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 11); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 11, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defer_accept__sockopt__seconds_round_up_to_timeouts),
		cmocka_unit_test(defer_accept__bare_ack_then_data__accept_returns_with_data),
		cmocka_unit_test(defer_accept__no_data__synack_at_7s_and_ack_makes_connection),
		cmocka_unit_test(defer_accept__acked_and_silent__expires_at_63s),
		cmocka_unit_test(defer_accept__200s__one_synack_at_247s_gone_at_367s),
		cmocka_unit_test(defer_accept__no_ack_at_all__synacks_as_usual),
		cmocka_unit_test(defer_accept__fin_ack__connection_in_close_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
