/*
 * CLOSING (RFC 9293 3.6, 3.10.7.4): a simultaneous close. Both FINs are
 * out; the peer's is acked, ours is not yet. fx_closing: our FIN at 0
 * (close() or shutdown(SHUT_WR)), the peer's crossing FIN at 5 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* RFC 9293 3.6 figure (simultaneous close): FIN-WAIT-1 --FIN/ACK-->
 * CLOSING --ACK--> TIME-WAIT. The final ACK draws nothing. */
static void closing__ack_of_fin__time_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_closing(t, true, &iss);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_TIME_WAIT);
	assert_string_equal(r.timer, "timewait");
	assert_int_equal(r.timer_expires, SYNACK_SEC(60));
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	/* TIME-WAIT runs its 60 s from the ACK. */
	scn_at(t, 60009);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 60010);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* In the listing, CLOSING has the peer's FIN unread (Recv-Q 1: Linux's
 * close() drops the queue without moving copied_seq) and our FIN unacked
 * (Send-Q 1); the retransmission timer runs for our FIN. */
static void closing__listing__one_one_rto_timer(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_closing(t, true, &iss);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_string_equal(synack_state_ss_name(r.state), "CLOSING");
	assert_int_equal(r.recv_q, 1);
	assert_int_equal(r.send_q, 1);
	assert_string_equal(r.timer, "on");
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_free(t);
}

/* Our FIN is still unacked in CLOSING, so the RTO resends it, now with
 * ACK = RCV.NXT past the peer's FIN. A 50 ms handshake: RTO 250 ms
 * (SRTT 50 + max(4 * 25, 200)). */
static void closing__rto__fin_resent(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established_rtt(t, 50, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_at(t, 1000, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 1010, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_at(t, 1010, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSING);
	scn_at(t, 1249);
	scn_expect_none(t);
	scn_at(t, 1250);
	scn_expect_at(t, 1250, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_inject(t, 1300, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	scn_free(t);
}

/* A retransmission of the peer's FIN is acked again; still CLOSING. */
static void closing__retransmitted_fin__acked_again(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_closing(t, true, &iss);
	scn_inject(t, 100, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSING);
	scn_free(t);
}

/* RFC 9293 3.10.7.4 second, CLOSING: "enter the CLOSED state, delete the
 * TCB". The orphan is gone; no TIME-WAIT, nothing sent. */
static void closing__rst__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_closing(t, true, &iss);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_at(t, 5000);
	scn_expect_none(t);
	scn_free(t);
}

/* With the descriptor still open: CLOSED; recv() says end of file (the
 * FIN came first, Linux SOCK_DONE), send() fails with EPIPE after the
 * reset's ECONNRESET (Linux tcp_reset in CLOSING). */
static void closing_shut_wr__rst__closed_econnreset(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_closing(t, false, &iss);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	scn_free(t);
}

/* Linux tcp_reset_check: a RST at RCV.NXT - 1 resets CLOSING too. */
static void closing__rst_at_fin_seq__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_closing(t, true, &iss);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* A RST further off: RFC 5961 3.2 challenge ACK, still CLOSING. */
static void closing__rst_in_window__challenge_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_closing(t, true, &iss);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1000));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSING);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closing__ack_of_fin__time_wait),
		cmocka_unit_test(closing__listing__one_one_rto_timer),
		cmocka_unit_test(closing__rto__fin_resent),
		cmocka_unit_test(closing__retransmitted_fin__acked_again),
		cmocka_unit_test(closing__rst__closed),
		cmocka_unit_test(closing_shut_wr__rst__closed_econnreset),
		cmocka_unit_test(closing__rst_at_fin_seq__closed),
		cmocka_unit_test(closing__rst_in_window__challenge_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
