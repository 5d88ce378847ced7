/*
 * Orphans (LINUX-SEMANTICS 5): connections the application closed that
 * TCP still finishes. tcp_max_orphans bounds them (RST,
 * TcpExtTCPAbortOnMemory); TCP_LINGER2 sets an orphan's FIN-WAIT-2 time
 * (Linux tcp_close, tcp_keepalive_timer, tcp_fin_time).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* tcp(7); <netinet/tcp.h> clashes with the wire layer's flag names. */
#define TCP_LINGER2 8

static int get_linger2(struct scn *t, int fd)
{
	int v = -2;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_LINGER2, &v, &len), 0);
	assert_int_equal(len, sizeof(v));
	return v;
}

static void set_linger2(struct scn *t, int fd, int v)
{
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_LINGER2, &v, sizeof(v)), 0);
}

/* An established connection with TCP_LINGER2 = linger2 (unless 0),
 * closed at 0 ms; the peer acks our FIN at 100 ms. */
static void orphan_fin_wait2(struct scn *t, int linger2, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	if (linger2)
		set_linger2(t, fd, linger2);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = *iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 2));
}

/* ---- TCP_LINGER2 as a socket option --------------------------------------- */

/* Linux do_tcp_{set,get}sockopt: reads tcp_fin_timeout (60) by default
 * and after 0; capped at TCP_FIN_TIMEOUT_MAX (120); any negative value
 * reads -1. */
static void linger2__set_get__linux_values(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(get_linger2(t, fd), 60);
	set_linger2(t, fd, 10);
	assert_int_equal(get_linger2(t, fd), 10);
	set_linger2(t, fd, 500);
	assert_int_equal(get_linger2(t, fd), 120);
	set_linger2(t, fd, -7);
	assert_int_equal(get_linger2(t, fd), -1);
	set_linger2(t, fd, 0);
	assert_int_equal(get_linger2(t, fd), 60);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_fin_timeout", "25"), 0);
	assert_int_equal(get_linger2(t, fd), 25);
	scn_free(t);
}

/* ---- FIN-WAIT-2 time of an orphan ------------------------------------------ */

/* TCP_LINGER2 = 10: a FIN_WAIT2 timewait entry for 10 s from the ACK. */
static void orphan_linger2_10s__fin_wait2_entry_10s(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	orphan_fin_wait2(t, 10, &iss);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT2);
	assert_string_equal(r.timer, "timewait");
	assert_int_equal(r.timer_expires, SYNACK_SEC(10));
	scn_at(t, 10099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 10100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	scn_free(t);
}

/* t > 60 s (Linux tcp_close / tcp_keepalive_timer): the full socket waits
 * t - 60 s on its keepalive timer, then an entry waits t - 60 s again.
 * TCP_LINGER2 = 90: full socket until 30.1 s, entry until 60.1 s. */
static void orphan_linger2_90s__socket_30s_then_entry_30s(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	orphan_fin_wait2(t, 90, &iss);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT2);
	assert_string_equal(r.timer, "keepalive");
	assert_int_equal(r.timer_expires, SYNACK_SEC(30));
	scn_at(t, 30100);
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT2);
	assert_string_equal(r.timer, "timewait");
	assert_int_equal(r.timer_expires, SYNACK_SEC(30));
	scn_at(t, 60099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 60100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* The peer's FIN while the full socket waits: TIME-WAIT (60 s) as usual. */
static void orphan_linger2_120s__fin__time_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	orphan_fin_wait2(t, 120, &iss);
	scn_inject(t, 20000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_TIME_WAIT);
	assert_int_equal(r.timer_expires, SYNACK_SEC(60));
	scn_free(t);
}

/* TCP_LINGER2 < 0 and close() finds FIN-WAIT-2 (after shutdown): RST
 * instead of waiting, TcpExtTCPAbortOnLinger. */
static void fin_wait2_linger2_negative__close__rst_abort_on_linger(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	set_linger2(t, fd, -1);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT2);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 2, .ack = R_ISS + 1, .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnLinger"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	scn_free(t);
}

/* TCP_LINGER2 < 0 on an orphan whose FIN gets acked: the ACK is answered
 * with <SEQ=SEG.ACK><CTL=RST>, TcpExtTCPAbortOnData (Linux
 * tcp_rcv_state_process). */
static void orphan_linger2_negative__fin_acked__rst_abort_on_data(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	orphan_fin_wait2(t, -1, &iss);
	scn_expect(t, SEG(.flags = RST, .seq = iss + 2, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 1);
	scn_free(t);
}

/* ---- tcp_max_orphans ----------------------------------------------------------- */

/* Linux __tcp_close / tcp_check_oom: once orphans exceed tcp_max_orphans
 * a closing connection is reset instead (TcpExtTCPAbortOnMemory). With
 * the limit at 1 the first orphan finishes normally, the second is
 * reset. */
static void close_over_max_orphans__rst_abort_on_memory(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_max_orphans", "1"), 0);
	int lfd = fx_listen(t);
	uint32_t iss[2];
	int fd[2];
	for (int i = 0; i < 2; i++) {
		uint16_t sport = (uint16_t)(R_PORT + i);
		scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = sport));
		iss[i] = scn_expect_synack(t, R_ISS + 1);
		scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss[i] + 1, .sport = sport));
		fd[i] = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
		assert_true(fd[i] >= 0);
	}
	assert_int_equal(synack_close(t->st, fd[0]), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss[0] + 1, .ack = R_ISS + 1));
	assert_int_equal(synack_close(t->st, fd[1]), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss[1] + 1, .ack = R_ISS + 1, .sport = R_PORT + 1));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss[1] + 2, .ack = R_ISS + 1, .sport = R_PORT + 1,
			  .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnMemory"), 1);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	scn_free(t);
}

/* tcp_max_orphans = 0: no orphan at all; every close() with a live
 * connection resets it. */
static void max_orphans_0__close__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_max_orphans", "0"), 0);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 2, .ack = R_ISS + 1, .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnMemory"), 1);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linger2__set_get__linux_values),
		cmocka_unit_test(orphan_linger2_10s__fin_wait2_entry_10s),
		cmocka_unit_test(orphan_linger2_90s__socket_30s_then_entry_30s),
		cmocka_unit_test(orphan_linger2_120s__fin__time_wait),
		cmocka_unit_test(fin_wait2_linger2_negative__close__rst_abort_on_linger),
		cmocka_unit_test(orphan_linger2_negative__fin_acked__rst_abort_on_data),
		cmocka_unit_test(close_over_max_orphans__rst_abort_on_memory),
		cmocka_unit_test(max_orphans_0__close__rst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
