/*
 * Half-close: shutdown() on one direction (RFC 9293 3.10.4 CLOSE is a
 * half-close; LINUX-SEMANTICS 5 and 7 for shutdown(), errors and epoll).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

#define IN_MASK (EPOLLIN | EPOLLRDNORM)
#define OUT_MASK (EPOLLOUT | EPOLLWRNORM)

/* ---- SHUT_WR ------------------------------------------------------------- */

/* SHUT_WR sends the FIN, yet the receive side keeps working: data from
 * the peer is acked and readable, in FIN-WAIT-2 as in FIN-WAIT-1. */
static void shut_wr__peer_data__still_received(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 2, .data = "data"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 5, .wnd = WND - 4));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT2);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "data", 4);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, EAGAIN);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: send after SHUT_WR is EPIPE, and nothing is sent. */
static void shut_wr__send__epipe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(synack_write(t->st, fd, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	scn_expect_none(t);
	scn_free(t);
}

/* A second SHUT_WR does nothing: one FIN only. */
static void shut_wr_twice__one_fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RDWR), 0);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	scn_free(t);
}

/* SHUT_WR with data still held by Nagle: the data leaves first, with
 * the FIN on it (RFC 9293 3.10.4: the FIN follows queued SENDs). */
static void shut_wr__queued_data__data_then_fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "one", 3, 0), 3);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "one"));
	assert_int_equal(synack_send(t->st, fd, "two", 3, 0), 3);
	scn_expect_none(t); /* Nagle: "one" is unacked */
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | PSH | ACK, .seq = iss + 4, .ack = R_ISS + 1, .data = "two"));
	scn_expect_none(t);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: local SHUT_WR only → OUT (a write would not block:
 * it fails at once), no HUP, no RDHUP. */
static void shut_wr__epoll__out_only(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(synack_poll_events(t->st, fd), OUT_MASK);
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	assert_int_equal(synack_poll_events(t->st, fd), OUT_MASK);
	scn_free(t);
}

/* SHUT_WR and then the peer's FIN: both directions shut →
 * IN|OUT|HUP|RDHUP. */
static void shut_wr_then_peer_fin__epoll__in_out_hup_rdhup(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(synack_poll_events(t->st, fd), IN_MASK | OUT_MASK | EPOLLHUP | EPOLLRDHUP);
	scn_free(t);
}

/* ---- SHUT_RD ------------------------------------------------------------- */

/* SHUT_RD sends nothing and leaves the state alone; recv() returns 0 on
 * an empty queue (LINUX-SEMANTICS 5). */
static void shut_rd__nothing_sent_recv_zero(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RD), 0);
	scn_at(t, 1000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(synack_poll_events(t->st, fd), IN_MASK | OUT_MASK | EPOLLRDHUP);
	/* Sending still works. */
	assert_int_equal(synack_send(t->st, fd, "out", 3, 0), 3);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "out"));
	scn_free(t);
}

/* Measured on Linux (LINUX-SEMANTICS 5): after SHUT_RD, later data is
 * still acked, queued and readable; once drained, recv() is 0 again. */
static void shut_rd__later_data__queued_and_readable(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RD), 0);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "late"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 5, .wnd = WND - 4));
	scn_expect_none(t);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "late", 4);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 0);
	scn_free(t);
}

/* ---- Both ---------------------------------------------------------------- */

/* SHUT_RDWR: the FIN goes out and epoll reports IN|OUT|HUP|RDHUP. */
static void shut_rdwr__fin_and_epoll_in_out_hup_rdhup(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RDWR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(synack_poll_events(t->st, fd), IN_MASK | OUT_MASK | EPOLLHUP | EPOLLRDHUP);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	scn_free(t);
}

/* SHUT_WR in CLOSE-WAIT: FIN, LAST-ACK (RFC 9293 3.10.4). */
static void close_wait__shut_wr__fin_last_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 5, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 6); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 6, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_state(t, fd), SYNACK_LAST_ACK);
	assert_int_equal(synack_poll_events(t->st, fd), IN_MASK | OUT_MASK | EPOLLHUP | EPOLLRDHUP);
	scn_free(t);
}

/* ---- Errors --------------------------------------------------------------- */

/* LINUX-SEMANTICS 5: shutdown() on a socket that never connected is
 * ENOTCONN, whatever the direction. */
static void unconnected__shutdown__enotconn(void **state)
{
	struct scn *t = scn_new(NULL);
	static const int hows[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(fd >= 0);
		assert_int_equal(synack_shutdown(t->st, fd, hows[i]), -1);
		assert_int_equal(errno, ENOTCONN);
		assert_int_equal(synack_close(t->st, fd), 0);
	}
	scn_expect_none(t);
	scn_free(t);
}

/* A bad direction is EINVAL (checked before the state), a bad
 * descriptor EBADF. */
static void shutdown__bad_how_or_fd__einval_ebadf(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, 3), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(synack_shutdown(t->st, 999, SHUT_WR), -1);
	assert_int_equal(errno, EBADF);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shut_wr__peer_data__still_received),
		cmocka_unit_test(shut_wr__send__epipe),
		cmocka_unit_test(shut_wr_twice__one_fin),
		cmocka_unit_test(shut_wr__queued_data__data_then_fin),
		cmocka_unit_test(shut_wr__epoll__out_only),
		cmocka_unit_test(shut_wr_then_peer_fin__epoll__in_out_hup_rdhup),
		cmocka_unit_test(shut_rd__nothing_sent_recv_zero),
		cmocka_unit_test(shut_rd__later_data__queued_and_readable),
		cmocka_unit_test(shut_rdwr__fin_and_epoll_in_out_hup_rdhup),
		cmocka_unit_test(close_wait__shut_wr__fin_last_ack),
		cmocka_unit_test(unconnected__shutdown__enotconn),
		cmocka_unit_test(shutdown__bad_how_or_fd__einval_ebadf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
