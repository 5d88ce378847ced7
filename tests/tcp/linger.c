/*
 * Abortive close (LINUX-SEMANTICS 5; RFC 9293 3.10.4 ABORT, RFC 2525
 * 2.17): close() with unread data, SO_LINGER {1, 0}, and SO_LINGER's
 * struct linger as Linux stores and reports it. The core's close() never
 * blocks: SO_LINGER {1, t > 0} returns at once and the connection
 * finishes as an orphan (include/synack/synack.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

static void set_linger(struct scn *t, int fd, int onoff, int secs)
{
	struct linger l = {.l_onoff = onoff, .l_linger = secs};
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
}

/* socket(7), Linux sock_setsockopt/sk_getsockopt: off by default;
 * l_onoff reads back as 0 or 1; l_linger as given, kept while off;
 * a short option is EINVAL. */
static void so_linger__set_get__linux_values(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	struct linger l;
	socklen_t len = sizeof(l);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(len, sizeof(l));
	assert_int_equal(l.l_onoff, 0);
	assert_int_equal(l.l_linger, 0);
	set_linger(t, fd, 7, 30);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 1);
	assert_int_equal(l.l_linger, 30);
	set_linger(t, fd, 0, 99);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 0);
	assert_int_equal(l.l_linger, 30);
	int one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &one, sizeof(one)), -1);
	assert_int_equal(errno, EINVAL);
	scn_free(t);
}

/* SO_LINGER {1, 0}: close() aborts: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>,
 * no FIN, no TIME-WAIT, TcpExtTCPAbortOnData (Linux tcp_disconnect). */
static void estab_linger_0__close__rst_no_time_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	set_linger(t, fd, 1, 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	/* Nothing waits: the peer's next segment finds no connection. */
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1, .wnd = 0));
	scn_free(t);
}

/* The active closer that would end in TIME-WAIT: with SO_LINGER {1, 0}
 * set before close() in FIN-WAIT-2 (after shutdown), RST and no entry. */
static void fin_wait2_linger_0__close__rst_no_time_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	set_linger(t, fd, 1, 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 2, .ack = R_ISS + 1, .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 1);
	scn_free(t);
}

/* RFC 2525 2.17, Linux __tcp_close: unread data turns close() into an
 * abort (RST, TcpExtTCPAbortOnClose), whatever SO_LINGER says. */
static void estab_unread_data__close__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "unread"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	set_linger(t, fd, 1, 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 7, .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnClose"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 0);
	scn_free(t);
}

/* SO_LINGER {1, 30}: close() returns 0 at once (the core never blocks)
 * and the connection closes gracefully: FIN, then TIME-WAIT. */
static void estab_linger_30__close__graceful(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	set_linger(t, fd, 1, 30);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnData"), 0);
	scn_free(t);
}

/* A child takes its listener's SO_LINGER (Linux sk_clone copies it). */
static void listener_linger_0__child_close__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	set_linger(t, lfd, 1, 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(so_linger__set_get__linux_values),
		cmocka_unit_test(estab_linger_0__close__rst_no_time_wait),
		cmocka_unit_test(fin_wait2_linger_0__close__rst_no_time_wait),
		cmocka_unit_test(estab_unread_data__close__rst),
		cmocka_unit_test(estab_linger_30__close__graceful),
		cmocka_unit_test(listener_linger_0__child_close__rst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
