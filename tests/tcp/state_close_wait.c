/*
 * CLOSE-WAIT (RFC 9293 3.6, 3.10.7.4): the peer has sent its FIN; our
 * side may still send, and stays until the application closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* fx_close_wait: ESTABLISHED, then the peer's bare FIN at 10 ms, acked
 * by the delayed-ACK timer on the next tick (11 ms). */

/* ---- Entering CLOSE-WAIT --------------------------------------------------- */

/* RFC 9293 3.10.7.4 eighth, ESTABLISHED: a FIN moves RCV.NXT past it and
 * enters CLOSE-WAIT. Linux tcp_fin enters pingpong mode, so the ACK is
 * left to the delayed-ACK timer; with no data seen yet ato is 0 and the
 * timer fires on the next jiffy (1 ms at HZ 1000; packetdrill
 * close-remote-fin-then-close sees it "at once"). CLOSE-WAIT still
 * counts in TcpCurrEstab. */
static void established__fin__acked_next_tick_close_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	scn_at(t, 11);
	scn_expect_at(t, 11, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	scn_free(t);
}

/* After data, ato is 40 ms: a FIN 10 ms after a quickly acked segment is
 * acked 40 ms later, unless a reply or our FIN carries the ACK first. */
static void established__fin_after_data__acked_after_ato(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_inject(t, 20, SEG(.flags = FIN | ACK, .seq = R_ISS + 6, .ack = iss + 1));
	scn_at(t, 59);
	scn_expect_none(t);
	scn_at(t, 60);
	scn_expect_at(t, 60, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE_WAIT);
	scn_free(t);
}

/* ... and close() in the meantime sends FIN,ACK, which carries it. */
static void established__fin_then_close__ack_rides_on_fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_at(t, 30);
	scn_expect_none(t);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_at(t, 30, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	scn_at(t, 200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* The application reads what came before the FIN, then end of file,
 * as often as it asks (LINUX-SEMANTICS 5). */
static void close_wait__recv__data_then_zero(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	/* Data and FIN together: the data's quick ACK gives way to the
	 * FIN's pingpong mode; the timer acks both at ato (40 ms). */
	scn_inject(t, 10, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_expect_none(t);
	scn_at(t, 50);
	scn_expect_at(t, 50, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, 3, 0), 3);
	assert_memory_equal(b, "hel", 3);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 2);
	assert_memory_equal(b, "lo", 2);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	scn_expect_none(t); /* no window update once the FIN is in */
	scn_free(t);
}

/* LINUX-SEMANTICS 7: after the peer's FIN, epoll reports
 * IN|OUT|RDHUP (with their RDNORM/WRNORM twins), no HUP. */
static void close_wait__epoll__in_out_rdhup(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	assert_int_equal(synack_poll_events(t->st, fd),
			 EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | EPOLLRDHUP);
	int ep = synack_epoll_create(t->st);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, fd, &ev), 0);
	struct epoll_event out[2];
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	assert_int_equal(out[0].data.fd, fd);
	scn_free(t);
}

/* The listing counts an unread FIN in Recv-Q (rcv_nxt - copied_seq):
 * `1 0` (LINUX-SEMANTICS 1); once read, `0 0`. */
static void close_wait__listing__unread_fin_counts_one(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_CLOSE_WAIT);
	assert_string_equal(synack_state_ss_name(r.state), "CLOSE-WAIT");
	assert_int_equal(r.recv_q, 1);
	assert_int_equal(r.send_q, 0);
	assert_null(r.timer);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.recv_q, 0);
	assert_int_equal(r.send_q, 0);
	scn_free(t);
}

/* ... and unread data plus the FIN: 5 + 1. */
static void close_wait__listing__unread_data_and_fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_at(t, 50);
	scn_expect_at(t, 50, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.recv_q, 6);
	scn_free(t);
}

/* ---- Sending in CLOSE-WAIT ------------------------------------------------- */

/* RFC 9293 3.10.2 SEND in CLOSE-WAIT: still allowed; data goes out with
 * ACK = RCV.NXT past the FIN. */
static void close_wait__send__data_goes_out(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "reply", 5, 0), 5);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1,
			  .data = "reply"));
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 6));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	scn_free(t);
}

/* CLOSE-WAIT has no timer: an hour later it is still there, silent. */
static void close_wait__one_hour__still_close_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	scn_at(t, 3600 * 1000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	scn_free(t);
}

/* A retransmitted FIN lies below RCV.NXT: acked again, nothing else. */
static void close_wait__retransmitted_fin__acked_again(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	scn_inject(t, 300, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	/* At once (Linux tcp_data_queue: old data, quick ACK mode). */
	scn_expect_at(t, 300, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	scn_free(t);
}

/* ---- Leaving CLOSE-WAIT ---------------------------------------------------- */

/* RFC 9293 3.10.4 CLOSE in CLOSE-WAIT: send the FIN, enter LAST-ACK.
 * TcpCurrEstab drops to 0. */
static void close_wait__close__fin_last_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	assert_int_equal(synack_recv(t->st, fd, NULL, 0, 0), 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_LAST_ACK);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_free(t);
}

/* shutdown(SHUT_WR) does the same and later writes fail with EPIPE. */
static void close_wait__shutdown_wr__fin_last_ack_then_epipe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_state(t, fd), SYNACK_LAST_ACK);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	scn_expect_none(t);
	scn_free(t);
}

/* RFC 9293 3.10.7.4 second, CLOSE-WAIT: a RST at RCV.NXT closes. Linux
 * tcp_reset leaves EPIPE (not ECONNRESET) in CLOSE-WAIT; recv() still
 * says end of file first (SOCK_DONE), the next send() takes the EPIPE.
 * Leaving CLOSE-WAIT for CLOSED counts TcpEstabResets. */
static void close_wait__rst__closed_epipe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(synack_poll_events(t->st, fd),
			 EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP |
				 EPOLLRDHUP);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_free(t);
}

/* Linux tcp_reset_check: in CLOSE-WAIT, LAST-ACK and CLOSING a RST at
 * RCV.NXT - 1 (the peer's FIN) also resets: some stacks send their RST
 * at the sequence number of the FIN they already sent. */
static void close_wait__rst_at_fin_seq__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	scn_free(t);
}

/* RFC 5961 3.2: elsewhere in the window, a challenge ACK. */
static void close_wait__rst_in_window__challenge_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS + 50));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 1);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(established__fin__acked_next_tick_close_wait),
		cmocka_unit_test(established__fin_after_data__acked_after_ato),
		cmocka_unit_test(established__fin_then_close__ack_rides_on_fin),
		cmocka_unit_test(close_wait__recv__data_then_zero),
		cmocka_unit_test(close_wait__epoll__in_out_rdhup),
		cmocka_unit_test(close_wait__listing__unread_fin_counts_one),
		cmocka_unit_test(close_wait__listing__unread_data_and_fin),
		cmocka_unit_test(close_wait__send__data_goes_out),
		cmocka_unit_test(close_wait__one_hour__still_close_wait),
		cmocka_unit_test(close_wait__retransmitted_fin__acked_again),
		cmocka_unit_test(close_wait__close__fin_last_ack),
		cmocka_unit_test(close_wait__shutdown_wr__fin_last_ack_then_epipe),
		cmocka_unit_test(close_wait__rst__closed_epipe),
		cmocka_unit_test(close_wait__rst_at_fin_seq__closed),
		cmocka_unit_test(close_wait__rst_in_window__challenge_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
