/*
 * Timewait entries (LINUX-SEMANTICS 5; Linux tcp_minisocks.c): TIME-WAIT
 * held by a small entry instead of the socket, a new SYN into a
 * TIME-WAIT 4-tuple (RFC 6191, RFC 1122 4.2.2.13), tcp_max_tw_buckets,
 * and the counters TW / TWKilled / TCPTimeWaitOverflow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* ---- The entry replaces the socket ---------------------------------------- */

/* Linux tcp_time_wait: the socket an application still holds (it only
 * shut its sending side) is CLOSED at once and a timewait entry without
 * a descriptor carries the connection; the application still reads the
 * data and end of file that arrived. */
static void time_wait_held_socket__entry_takes_over__socket_closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_fin_wait1(t, false, &iss); /* shutdown(SHUT_WR) at 0 */
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_inject(t, 10, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 2, .data = "bye"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 5, .wnd = WND - 4));
	struct synack_sockinfo rows[8];
	size_t n = synack_sockets(t->st, rows, 8);
	assert_int_equal(n, 3); /* entry, listener, the held socket */
	assert_int_equal(rows[0].state, SYNACK_TIME_WAIT);
	assert_int_equal(rows[0].fd, -1);
	assert_string_equal(rows[0].timer, "timewait");
	assert_int_equal(rows[0].timer_expires, SYNACK_SEC(60));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 3);
	assert_memory_equal(b, "bye", 3);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	/* The entry goes on after the application lets go. */
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_none(t);
	scn_at(t, 60009);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 60010);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* Linux inet_twsk_schedule: TcpExtTW counts an entry scheduled for more
 * than 4 s, TcpExtTWKilled one for 4 s or less (a short tcp_fin_timeout
 * orphan). The FIN_WAIT2 entry that moves to TIME-WAIT is not counted
 * again. */
static void fin_wait2_orphan_3s__entry__counted_tw_killed(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_fin_timeout", "3"), 0);
	uint32_t iss;
	fx_fin_wait1(t, true, &iss); /* close() at 0 */
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	struct synack_sockinfo r;
	assert_true(scn_conn_row_port(t, R_PORT, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT2);
	assert_string_equal(r.timer, "timewait");
	assert_int_equal(r.timer_expires, SYNACK_SEC(3));
	assert_int_equal(scn_counter(t, "TcpExtTWKilled"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	scn_at(t, 3099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 3100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* ---- A new SYN into TIME-WAIT -------------------------------------------- */

/* RFC 6191 / RFC 1122 4.2.2.13, Linux tcp_timewait_state_process: a SYN
 * beyond RCV.NXT ends the entry and opens a new connection through the
 * listener, with ISS = the old SND.NXT + 65537 so the old and new
 * sequence spaces do not overlap. */
static void time_wait__syn_above_rcv_nxt__new_connection(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int lfd = fx_time_wait(t, &iss);
	scn_inject(t, 5000, SEG(.flags = SYN, .seq = R_ISS + 100000, .mss = 1460));
	uint32_t iss2 = scn_expect_synack(t, R_ISS + 100001);
	assert_int_equal(iss2, iss + 2 + 65537);
	scn_inject(t, 5001, SEG(.flags = ACK, .seq = R_ISS + 100001, .ack = iss2 + 1));
	scn_expect_none(t);
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
	/* The old entry is gone: nothing happens at its old expiry. */
	scn_at(t, 70000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* A SYN at or below RCV.NXT may be an old duplicate: the entry stays and
 * answers with its ACK; a SYN without ACK does not restart the timer. */
static void time_wait__syn_below_rcv_nxt__acked_entry_stays(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_time_wait(t, &iss);
	scn_inject(t, 30000, SEG(.flags = SYN, .seq = R_ISS - 1000, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 60999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 61000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* Without a listener on the port, even a newer SYN only gets the ACK
 * (Linux tcp_v4_rcv: TCP_TW_SYN falls through to the ACK). */
static void time_wait_no_listener__newer_syn__acked(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int lfd = fx_time_wait(t, &iss);
	assert_int_equal(synack_close(t->st, lfd), 0);
	scn_inject(t, 2000, SEG(.flags = SYN, .seq = R_ISS + 100000, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_free(t);
}

/* Answers to out-of-window segments without data are rate-limited to
 * one per 500 ms (TcpExtTCPACKSkippedTimeWait). */
static void time_wait__bare_acks_out_of_window__rate_limited(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_time_wait(t, &iss);
	scn_inject(t, 2000, SEG(.flags = ACK, .seq = R_ISS + 500, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2));
	scn_inject(t, 2100, SEG(.flags = ACK, .seq = R_ISS + 500, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPACKSkippedTimeWait"), 1);
	scn_inject(t, 2500, SEG(.flags = ACK, .seq = R_ISS + 500, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2));
	scn_free(t);
}

/* ---- tcp_max_tw_buckets ---------------------------------------------------- */

/* Linux inet_twsk_alloc: with tcp_max_tw_buckets entries alive there is
 * no entry; the socket is simply closed (its last ACK went out) and
 * TcpExtTCPTimeWaitOverflow counts it. A retransmitted FIN then meets
 * the listener, which answers an ACK segment with a RST. */
static void time_wait_max_tw_buckets_0__no_entry__overflow_counted(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_max_tw_buckets", "0"), 0);
	uint32_t iss;
	int fd = fx_fin_wait1(t, false, &iss); /* shutdown(SHUT_WR) at 0 */
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeWaitOverflow"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	struct synack_sockinfo r;
	assert_true(scn_conn_row_port(t, R_PORT, &r));
	assert_int_equal(r.state, SYNACK_CLOSE); /* the held socket, no entry */
	assert_int_equal(r.fd, fd);
	scn_inject(t, 500, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 2, .wnd = 0));
	scn_free(t);
}

/* The limit counts live entries: with 1, the second connection to reach
 * TIME-WAIT gets none; once the first expires there is room again. */
static void time_wait_max_tw_buckets_1__second__overflow(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_max_tw_buckets", "1"), 0);
	int lfd = fx_listen(t);
	for (int i = 0; i < 3; i++) {
		uint16_t sport = (uint16_t)(R_PORT + i);
		uint64_t at = i == 2 ? 70000 : (uint64_t)i * 10;
		scn_inject(t, at, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = sport));
		uint32_t iss = scn_expect_synack(t, R_ISS + 1);
		scn_inject(t, at, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .sport = sport));
		int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
		assert_true(fd >= 0);
		assert_int_equal(synack_close(t->st, fd), 0);
		scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1, .sport = sport));
		scn_inject(t, at + 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2, .sport = sport));
		scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .sport = sport, .any_wnd = true));
		struct synack_sockinfo r;
		bool listed = scn_conn_row_port(t, sport, &r);
		if (i == 1) {
			assert_false(listed);
		} else {
			assert_true(listed);
			assert_int_equal(r.state, SYNACK_TIME_WAIT);
		}
	}
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeWaitOverflow"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 2);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_wait_held_socket__entry_takes_over__socket_closed),
		cmocka_unit_test(fin_wait2_orphan_3s__entry__counted_tw_killed),
		cmocka_unit_test(time_wait__syn_above_rcv_nxt__new_connection),
		cmocka_unit_test(time_wait__syn_below_rcv_nxt__acked_entry_stays),
		cmocka_unit_test(time_wait_no_listener__newer_syn__acked),
		cmocka_unit_test(time_wait__bare_acks_out_of_window__rate_limited),
		cmocka_unit_test(time_wait_max_tw_buckets_0__no_entry__overflow_counted),
		cmocka_unit_test(time_wait_max_tw_buckets_1__second__overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
