/*
 * LAST-ACK (RFC 9293 3.6, 3.10.7.4): the peer closed first, we answered
 * with our FIN and wait for its ACK. There is no TIME-WAIT on this side.
 * fx_last_ack: the peer's FIN at 10 ms (acked at 11), our FIN at 20 ms
 * (close() or shutdown(SHUT_WR)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* RFC 9293 3.10.7.4 fifth, LAST-ACK: the ACK of our FIN ends it all:
 * CLOSED, the TCB deleted (gone from the listing), nothing sent. It was
 * an orderly close: TcpCurrEstab back to 0, no EstabReset, no TIME-WAIT. */
static void last_ack__ack_of_fin__closed_and_gone(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_last_ack(t, true, &iss);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_string_equal(synack_state_ss_name(r.state), "LAST-ACK");
	assert_int_equal(r.send_q, 1);
	assert_string_equal(r.timer, "on");
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	assert_false(scn_conn_row(t, &r));
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	scn_at(t, 120000);
	scn_expect_none(t);
	scn_free(t);
}

/* After that, the connection is unknown: a stray segment draws a RST
 * from CLOSED, <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.1; Linux, the
 * packetdrill close-remote-fin-then-close script). */
static void last_ack_closed__stray_ack__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_last_ack(t, true, &iss);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_inject(t, 40, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 2, .wnd = 0));
	scn_expect_none(t);
	scn_free(t);
}

/* With the descriptor kept (shutdown), the socket is CLOSED: recv() says
 * end of file, send() EPIPE. */
static void last_ack_shut_wr__ack_of_fin__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_last_ack(t, false, &iss);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	scn_free(t);
}

/* An ACK of our data that stops short of the FIN keeps LAST-ACK. */
static void last_ack__ack_of_data_only__stays(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_close_wait(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "bye", 3, 0), 3);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1,
			  .data = "bye"));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 4, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 4));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_LAST_ACK);
	assert_int_equal(r.send_q, 1);
	scn_inject(t, 40, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 5));
	assert_false(scn_conn_row(t, &r));
	scn_free(t);
}

/* RFC 9293 3.10.7.4 / RFC 6298 5.5: the FIN is retransmitted at the RTO
 * and backs off by doubling. A 50 ms handshake gives RTO 250 ms:
 * resends at +250, +750, +1750 ms. */
static void last_ack__rto__fin_resent_with_backoff(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established_rtt(t, 50, &iss);
	scn_inject(t, 500, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 501); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 501, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_at(t, 1000);
	assert_int_equal(synack_close(t->st, fd), 0);
	struct seg_spec fin = SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1);
	scn_expect_at(t, 1000, fin);
	scn_at(t, 1249);
	scn_expect_none(t);
	scn_at(t, 1250);
	scn_expect_at(t, 1250, fin);
	scn_at(t, 1749);
	scn_expect_none(t);
	scn_at(t, 1750);
	scn_expect_at(t, 1750, fin);
	scn_at(t, 2749);
	scn_expect_none(t);
	scn_at(t, 2750);
	scn_expect_at(t, 2750, fin);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 3);
	scn_inject(t, 2800, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_at(t, 10000);
	scn_expect_none(t);
	scn_free(t);
}

/* The peer missed our ACK of its FIN and resends the FIN: it lies below
 * RCV.NXT, so it is acked again (RFC 9293 3.10.7.4 first), <SEQ=SND.NXT>
 * past our FIN. */
static void last_ack__retransmitted_fin__acked_again(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_last_ack(t, true, &iss);
	scn_inject(t, 30, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_LAST_ACK);
	scn_free(t);
}

/* RFC 9293 3.10.7.4 second, LAST-ACK: a RST closes, no EstabReset (we
 * left CLOSE-WAIT already), nothing sent. */
static void last_ack__rst__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_last_ack(t, true, &iss);
	scn_inject(t, 30, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_at(t, 10000);
	scn_expect_none(t);
	scn_free(t);
}

/* Linux tcp_reset_check: RST at RCV.NXT - 1 (the peer's FIN) also counts. */
static void last_ack__rst_at_fin_seq__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_last_ack(t, true, &iss);
	scn_inject(t, 30, SEG(.flags = RST | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* Outside the window a RST is dropped without an answer. */
static void last_ack__rst_outside_window__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_last_ack(t, true, &iss);
	scn_inject(t, 30, SEG(.flags = RST, .seq = R_ISS - 1000));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_LAST_ACK);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(last_ack__ack_of_fin__closed_and_gone),
		cmocka_unit_test(last_ack_closed__stray_ack__rst),
		cmocka_unit_test(last_ack_shut_wr__ack_of_fin__closed),
		cmocka_unit_test(last_ack__ack_of_data_only__stays),
		cmocka_unit_test(last_ack__rto__fin_resent_with_backoff),
		cmocka_unit_test(last_ack__retransmitted_fin__acked_again),
		cmocka_unit_test(last_ack__rst__closed),
		cmocka_unit_test(last_ack__rst_at_fin_seq__closed),
		cmocka_unit_test(last_ack__rst_outside_window__ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
