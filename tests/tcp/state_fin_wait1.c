/*
 * FIN-WAIT-1 (RFC 9293 3.6, 3.10.4 CLOSE, 3.10.7.4): our FIN is out and
 * not yet acked. The stack is the passive side (10.0.0.1:80, ISS `iss`),
 * the scripted peer has ISS R_ISS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* The listing row of the connection to the peer; false if it is gone. */
/* fx_passive_established_rtt: a handshake whose RTT sample is rtt_ms
 * (RFC 6298 2.2). fx_fin_wait1(t, true, ...): close() in ESTABLISHED,
 * <FIN,ACK> at SND.NXT. */

/* ---- Entering FIN-WAIT-1 ------------------------------------------------ */

/* RFC 9293 3.10.4 CLOSE in ESTABLISHED: queue a FIN, enter FIN-WAIT-1.
 * TcpCurrEstab counts ESTABLISHED and CLOSE-WAIT only (RFC 1213). */
static void established__close__fin_at_snd_nxt(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT1);
	assert_int_equal(r.fd, -1);
	assert_int_equal(r.recv_q, 0);
	assert_int_equal(r.send_q, 1); /* the FIN counts one (write_seq - snd_una) */
	assert_string_equal(r.timer, "on");
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_free(t);
}

/* shutdown(SHUT_WR) sends the same FIN; the descriptor stays usable. */
static void established__shutdown_wr__fin_at_snd_nxt(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_free(t);
}

/* RFC 9293 3.10.4: the FIN follows every queued byte. 3000 bytes with an
 * MSS of 1460: two full segments go out at send(), Nagle holds the last
 * 80 (RFC 896); close() lets them go and the FIN rides on them (Linux
 * tcp_send_fin marks the tail skb). */
static void established__close_with_unsent_data__fin_rides_on_last_data(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	/* A first small write goes at once; the second waits behind it
	 * (Nagle, Minshall's variant as Linux runs it). */
	assert_int_equal(synack_send(t->st, fd, "0123456789", 10, 0), 10);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "0123456789"));
	assert_int_equal(synack_send(t->st, fd, "abcde", 5, 0), 5);
	scn_expect_none(t);
	/* close(): the FIN rides on the held data (Linux tcp_send_fin). */
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | PSH | ACK, .seq = iss + 11, .ack = R_ISS + 1, .data = "abcde"));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	/* All data and the FIN acked at once: FIN-WAIT-2. */
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 17));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_free(t);
}

/* ---- The ACK of our FIN -------------------------------------------------- */

/* RFC 9293 3.10.7.4 fifth, FIN-WAIT-1: once the FIN is acked, FIN-WAIT-2.
 * Nothing is sent back for the bare ACK. */
static void fin_wait1__ack_of_fin__fin_wait2(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss);
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT2);
	assert_int_equal(r.send_q, 0);
	scn_free(t);
}

/* An ACK that covers our data but not the FIN leaves us in FIN-WAIT-1. */
static void fin_wait1__ack_of_data_only__stays(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "abc", 3, 0), 3);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "abc"));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 4, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 4));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT1);
	assert_int_equal(r.send_q, 1);
	scn_free(t);
}

/* ---- The peer's FIN ------------------------------------------------------ */

/* RFC 9293 3.10.7.4 eighth, FIN-WAIT-1: a FIN whose ACK does not cover
 * ours is a simultaneous close: ACK it and enter CLOSING. */
static void fin_wait1__fin_without_ack_of_ours__closing(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss);
	scn_inject(t, 5, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSING);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	scn_free(t);
}

/* A FIN that also acks ours: straight to TIME-WAIT, with an ACK
 * (RFC 9293 3.10.7.4 eighth: "otherwise enter the CLOSING state" applies
 * only when our FIN is still unacked). Linux counts TcpExtTW when it
 * schedules the TIME-WAIT timer. */
static void fin_wait1__fin_with_ack_of_ours__time_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss);
	scn_inject(t, 5, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	scn_free(t);
}

/* ---- Retransmission of the FIN ------------------------------------------ */

/* RFC 6298 2.2/2.3 with Linux's floor: the first sample r gives SRTT = r,
 * RTTVAR = r/2 and RTO = SRTT + max(4 RTTVAR, 200 ms). A 50 ms handshake
 * gives 50 + max(100, 200) = 250 ms. The FIN is resent at 250 ms, then
 * 500 ms later (5.5: back off by doubling). */
static void fin_wait1__rto_after_50ms_rtt__fin_resent_at_250ms(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established_rtt(t, 50, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_at(t, 1000, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_at(t, 1249);
	scn_expect_none(t);
	scn_at(t, 1250);
	scn_expect_at(t, 1250, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_at(t, 1749);
	scn_expect_none(t);
	scn_at(t, 1750);
	scn_expect_at(t, 1750, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 2);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 2);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT1);
	assert_string_equal(r.timer, "on");
	assert_int_equal(r.retrans, 2);
	assert_int_equal(r.timer_expires, SYNACK_MS(1000));
	/* The ACK of the resent FIN ends the retransmissions. */
	scn_inject(t, 1800, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 10000);
	scn_expect_none(t);
	scn_free(t);
}

/* A handshake answered at once gives a sample of ~0 (1 us): RTO =
 * 1 us + 200 ms, which the millisecond timer rounds up to 201 ms, as
 * Linux's jiffies do at HZ=1000 (usecs_to_jiffies rounds up). */
static void fin_wait1__rto_after_zero_rtt__fin_resent_at_201ms(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_at(t, 1000, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_at(t, 1200);
	scn_expect_none(t);
	scn_at(t, 1201);
	scn_expect_at(t, 1201, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_free(t);
}

/* ---- RST ----------------------------------------------------------------- */

/* RFC 9293 3.10.7.4 second: a RST at RCV.NXT closes the connection; the
 * application sees ECONNRESET (Linux tcp_reset). TcpEstabResets counts
 * only resets from ESTABLISHED or CLOSE-WAIT. */
static void fin_wait1__rst__closed_econnreset(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_at(t, 5000);
	scn_expect_none(t); /* no FIN retransmission after the reset */
	scn_free(t);
}

/* An orphan that is reset just goes away. */
static void fin_wait1_orphan__rst__gone(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss);
	scn_inject(t, 5, SEG(.flags = RST | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	scn_at(t, 5000);
	scn_expect_none(t);
	scn_free(t);
}

/* RFC 5961 3.2: a RST inside the window but not at RCV.NXT gets a
 * challenge ACK and changes nothing. */
static void fin_wait1__rst_in_window__challenge_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss);
	scn_inject(t, 5, SEG(.flags = RST, .seq = R_ISS + 100));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 1);
	scn_free(t);
}

/* ---- Data from the peer --------------------------------------------------- */

/* RFC 9293 3.10.7.4 seventh: FIN-WAIT-1 still takes text. After
 * shutdown(SHUT_WR) the application reads it; the first data segment is
 * acked at once (Linux quick-ACK credit). */
static void fin_wait1_shut_wr__data__readable_and_acked(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_expect_none(t);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 0);
	scn_free(t);
}

/* Linux (RFC 1122 4.2.2.13's "MUST send a reset"): new data for a socket
 * whose receive side is shut in FIN-WAIT-1/2 is answered with a RST built
 * from the segment, <SEQ=SEG.ACK><CTL=RST> (tcp_v4_send_reset), counted
 * as TCPAbortOnData; the connection is gone. */
static void fin_wait1_orphan__data__rst_abort_on_data(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss);
	scn_inject(t, 5, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1, .wnd = 0));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 1);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_at(t, 5000);
	scn_expect_none(t);
	scn_free(t);
}

/* The same holds with the descriptor still open after shutdown(SHUT_RDWR):
 * Linux tests RCV_SHUTDOWN, not the orphan flag, and the socket reports
 * ECONNRESET (tcp_reset). */
static void fin_wait1_shut_rdwr__data__rst_econnreset(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RDWR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2, .data = "x"));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 2, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 1);
	scn_free(t);
}

/* A pure duplicate of old data is not new data: no reset, just the
 * duplicate ACK (RFC 9293 3.10.7.4 first). */
static void fin_wait1_orphan__old_data__dup_ack_no_rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 1, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "ab"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 3, .wnd = WND - 2));
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 2);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 3, .wnd = WND - 2));
	scn_inject(t, 5, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "ab"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 3, .wnd = WND - 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(established__close__fin_at_snd_nxt),
		cmocka_unit_test(established__shutdown_wr__fin_at_snd_nxt),
		cmocka_unit_test(established__close_with_unsent_data__fin_rides_on_last_data),
		cmocka_unit_test(fin_wait1__ack_of_fin__fin_wait2),
		cmocka_unit_test(fin_wait1__ack_of_data_only__stays),
		cmocka_unit_test(fin_wait1__fin_without_ack_of_ours__closing),
		cmocka_unit_test(fin_wait1__fin_with_ack_of_ours__time_wait),
		cmocka_unit_test(fin_wait1__rto_after_50ms_rtt__fin_resent_at_250ms),
		cmocka_unit_test(fin_wait1__rto_after_zero_rtt__fin_resent_at_201ms),
		cmocka_unit_test(fin_wait1__rst__closed_econnreset),
		cmocka_unit_test(fin_wait1_orphan__rst__gone),
		cmocka_unit_test(fin_wait1__rst_in_window__challenge_ack),
		cmocka_unit_test(fin_wait1_shut_wr__data__readable_and_acked),
		cmocka_unit_test(fin_wait1_orphan__data__rst_abort_on_data),
		cmocka_unit_test(fin_wait1_shut_rdwr__data__rst_econnreset),
		cmocka_unit_test(fin_wait1_orphan__old_data__dup_ack_no_rst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
