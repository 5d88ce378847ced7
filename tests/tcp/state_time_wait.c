/*
 * TIME-WAIT (RFC 9293 3.6, 3.10.7.4; LINUX-SEMANTICS 5): after an active
 * close, 2 MSL of waiting, which Linux fixes at TCP_TIMEWAIT_LEN = 60 s,
 * restarted by a retransmitted FIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* close() at 0, the peer's ACK of our FIN at 5 ms and its FIN at 1000 ms:
 * TIME-WAIT from 1000 ms. */
static void to_time_wait(struct scn *t, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = *iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 2));
	scn_inject(t, 1000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = *iss + 2));
	/* From 5 ms the orphan is a FIN_WAIT2 timewait entry (Linux
	 * tcp_time_wait): it acks with the window it last offered. */
	scn_expect_at(t, 1000, SEG(.flags = ACK, .seq = *iss + 2, .ack = R_ISS + 2, .wnd = WND));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
}

/* Linux TCP_TIMEWAIT_LEN: exactly 60 s, then CLOSED and gone from the
 * listing, without sending anything. */
static void time_wait__60s__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	scn_at(t, 60999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 61000);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_free(t);
}

/* ss -tano shows a TIME-WAIT entry as `0 0` with timer:(timewait,...):
 * Linux's timewait sockets report empty queues (inet_twsk_diag_fill). */
static void time_wait__listing__timewait_timer_empty_queues(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_at(t, 21000);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_string_equal(synack_state_ss_name(r.state), "TIME-WAIT");
	assert_int_equal(r.fd, -1);
	assert_int_equal(r.recv_q, 0);
	assert_int_equal(r.send_q, 0);
	assert_string_equal(r.timer, "timewait");
	assert_int_equal(r.timer_expires, SYNACK_SEC(40));
	assert_int_equal(r.retrans, 0);
	scn_free(t);
}

/* RFC 9293 3.10.7.4 eighth, TIME-WAIT: a retransmitted FIN is acked and
 * restarts the 2 MSL timeout; it ends 60 s after the last FIN. (The FIN
 * lies below RCV.NXT; Linux tcp_timewait_state_process restarts the
 * timer for any such segment carrying an ACK.) */
static void time_wait__retransmitted_fin__acked_and_restarted(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_inject(t, 31000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect_at(t, 31000, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND));
	scn_expect_none(t);
	scn_inject(t, 51000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect_at(t, 51000, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND));
	scn_at(t, 110999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 111000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1); /* counted once */
	scn_free(t);
}

/* Linux: a bare ACK at RCV.NXT is answered with nothing but also
 * restarts the timer (the peer may not have seen our last ACK). */
static void time_wait__bare_ack__silent_restart(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_inject(t, 41000, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	scn_at(t, 100999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 101000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* Data in TIME-WAIT cannot be taken; it is acked (Linux: "all the
 * segments are ACKed immediately") and restarts the timer. */
static void time_wait__data__acked_not_taken(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_inject(t, 2000, SEG(.flags = PSH | ACK, .seq = R_ISS + 2, .ack = iss + 2, .data = "zz"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND));
	scn_expect_none(t);
	scn_at(t, 61999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 62000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* RFC 1337 "TIME-WAIT assassination": Linux with tcp_rfc1337 = 0 (the
 * default) lets a RST at RCV.NXT end TIME-WAIT at once. TcpExtTW was
 * counted at entry and stays. */
static void time_wait__rst_at_rcv_nxt__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_inject(t, 2000, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_free(t);
}

/* With tcp_rfc1337 = 1 the RST is ignored: TIME-WAIT runs its 60 s, not
 * restarted. */
static void time_wait_rfc1337__rst__ignored(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "net.ipv4.tcp_rfc1337", "1"), 0);
	struct scn *t = scn_new(&cfg);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_inject(t, 2000, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_none(t);
	scn_at(t, 60999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 61000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* A RST elsewhere in the window is dropped silently: Linux's timewait
 * entry sends no challenge ACK (tcp_timewait_state_process). */
static void time_wait__rst_in_window__dropped_silently(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_time_wait(t, &iss);
	scn_inject(t, 2000, SEG(.flags = RST, .seq = R_ISS + 100));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 0);
	scn_at(t, 61000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* TIME-WAIT entered from CLOSING, with the descriptor still held
 * (shutdown): the same 60 s from the final ACK. */
static void time_wait_from_closing__60s(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 60099);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 60100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_wait__60s__closed),
		cmocka_unit_test(time_wait__listing__timewait_timer_empty_queues),
		cmocka_unit_test(time_wait__retransmitted_fin__acked_and_restarted),
		cmocka_unit_test(time_wait__bare_ack__silent_restart),
		cmocka_unit_test(time_wait__data__acked_not_taken),
		cmocka_unit_test(time_wait__rst_at_rcv_nxt__closed),
		cmocka_unit_test(time_wait_rfc1337__rst__ignored),
		cmocka_unit_test(time_wait__rst_in_window__dropped_silently),
		cmocka_unit_test(time_wait_from_closing__60s),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
