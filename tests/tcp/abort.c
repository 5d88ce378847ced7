/*
 * Abortive close (RFC 9293 3.10.5 ABORT; RFC 2525 2.17; LINUX-SEMANTICS
 * 5): close() with data the application never read sends a RST instead
 * of a FIN, so the peer learns that data was lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* ESTABLISHED with "hello" from the peer unread (acked at once: the
 * first data segment uses a quick ACK). */
static int established_with_unread(struct scn *t, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = *iss + 1, .data = "hello"));
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	return fd;
}

/* RFC 2525 2.17, Linux tcp_close: unread data → <RST,ACK> at SND.NXT
 * with ACK = RCV.NXT and the current window (tcp_send_active_reset goes
 * through tcp_transmit_skb), no FIN; TCPAbortOnClose; the socket is gone
 * at once. Linux's tcp_set_state counts ESTABLISHED → CLOSE as an
 * EstabReset. */
static void established__close_with_unread_data__rst_not_fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_with_unread(t, &iss);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnClose"), 1);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 1);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	/* Nothing else follows: no FIN, no retransmission. */
	scn_at(t, 130000);
	scn_expect_none(t);
	scn_free(t);
}

/* The peer's next segment finds no connection: RST from CLOSED,
 * <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.1). */
static void aborted__peer_segment__rst_from_closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_with_unread(t, &iss);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 6, .ack = iss + 1, .data = "more"));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1, .wnd = 0));
	scn_expect_none(t);
	scn_free(t);
}

/* Partly read is still unread: the RST goes out. */
static void established__close_with_partly_read_data__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_with_unread(t, &iss);
	char b[2];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 2);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnClose"), 1);
	scn_free(t);
}

/* MSG_PEEK does not consume: the data is still unread at close(). */
static void established__close_after_peek__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_with_unread(t, &iss);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), MSG_PEEK), 5);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_expect_none(t);
	scn_free(t);
}

/* Everything read: an orderly FIN, no abort. */
static void established__close_after_reading_all__fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_with_unread(t, &iss);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnClose"), 0);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	scn_free(t);
}

/* CLOSE-WAIT with data before the FIN unread: RST too (CLOSE-WAIT →
 * CLOSED is an EstabReset as well). */
static void close_wait__close_with_unread_data__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_at(t, 50); /* data and FIN: pingpong, the delayed ACK at ato (40 ms) */
	scn_expect_at(t, 50, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnClose"), 1);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_free(t);
}

/* Only the FIN unread: Linux's data_was_unread does not count the FIN,
 * so this is an orderly close (FIN, LAST-ACK). */
static void close_wait__close_with_only_fin_unread__fin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss); /* the peer's FIN at 10 ms, acked at 11 */
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_LAST_ACK);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnClose"), 0);
	scn_free(t);
}

/* Unsent data of our own is thrown away by the abort: the RST is at
 * SND.NXT, after what was already sent, and nothing else leaves. */
static void established__close_with_unread_and_unsent__rst_drops_ours(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_with_unread(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "abc", 3, 0), 3);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5,
			  .data = "abc"));
	assert_int_equal(synack_send(t->st, fd, "def", 3, 0), 3); /* held by Nagle */
	scn_expect_none(t);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 4, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_at(t, 10000);
	scn_expect_none(t);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(established__close_with_unread_data__rst_not_fin),
		cmocka_unit_test(aborted__peer_segment__rst_from_closed),
		cmocka_unit_test(established__close_with_partly_read_data__rst),
		cmocka_unit_test(established__close_after_peek__rst),
		cmocka_unit_test(established__close_after_reading_all__fin),
		cmocka_unit_test(close_wait__close_with_unread_data__rst),
		cmocka_unit_test(close_wait__close_with_only_fin_unread__fin),
		cmocka_unit_test(established__close_with_unread_and_unsent__rst_drops_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
