/*
 * FIN-WAIT-2 (RFC 9293 3.6, 3.10.7.4): our FIN is acked, the peer's is
 * still to come. With the descriptor open this lasts as long as the peer
 * likes; an orphan gets tcp_fin_timeout (LINUX-SEMANTICS 5).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* ESTABLISHED, then shutdown(SHUT_WR) (or close() if orphan) at 0 ms and
 * the peer's ACK of our FIN at ack_ms: FIN-WAIT-2. */
static int to_fin_wait2(struct scn *t, bool orphan, uint64_t ack_ms, uint32_t *iss)
{
	int fd = fx_fin_wait1(t, orphan, iss);
	scn_inject(t, ack_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	return fd;
}

/* ---- The peer's FIN ------------------------------------------------------ */

/* RFC 9293 3.10.7.4 eighth, FIN-WAIT-2: ACK the FIN, enter TIME-WAIT
 * (Linux tcp_fin sends the ACK at once). TcpExtTW counts the entry. */
static void fin_wait2__fin__ack_and_time_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_fin_wait2(t, false, 5, &iss);
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	scn_free(t);
}

/* Data and FIN in one segment: both taken, one ACK, and the application
 * reads the data, then end of file. */
static void fin_wait2__data_with_fin__readable_then_eof(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = to_fin_wait2(t, false, 5, &iss);
	scn_inject(t, 10, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 2, .data = "world"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 7, .wnd = WND - 6));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "world", 5);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	scn_free(t);
}

/* ---- Half-close: the application keeps reading --------------------------- */

/* RFC 9293 3.10.7.4 seventh: FIN-WAIT-2 takes text, and the application
 * that shut only its sending side reads it. Linux keeps a FIN-WAIT-2
 * socket the application holds for ever: ten virtual minutes later it is
 * still there, with no timer and nothing sent. */
static void fin_wait2_shut_wr__peer_data__readable_and_kept(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = to_fin_wait2(t, false, 5, &iss);
	char b[16];
	scn_inject(t, 100, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 2, .data = "hello"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 6, .wnd = WND - 5));
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "hello", 5);
	scn_inject(t, 200, SEG(.flags = PSH | ACK, .seq = R_ISS + 6, .ack = iss + 2, .data = "again"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 11, .wnd = WND - 10));
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "again", 5);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, EAGAIN);
	scn_at(t, 10 * 60 * 1000);
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_int_equal(r.state, SYNACK_FIN_WAIT2);
	assert_int_equal(r.fd, fd);
	assert_int_equal(r.recv_q, 0);
	assert_int_equal(r.send_q, 0);
	assert_null(r.timer);
	scn_free(t);
}

/* ---- Orphans: tcp_fin_timeout --------------------------------------------- */

/* Linux tcp_fin_time: an orphan in FIN-WAIT-2 lives max(tcp_fin_timeout,
 * 3.5 RTO) from the ACK of its FIN: 60 s by default. It then goes away
 * without sending anything. */
static void fin_wait2_orphan__fin_timeout_60s__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_fin_wait2(t, true, 100, &iss);
	scn_at(t, 60099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 60100);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_free(t);
}

/* The same with net.ipv4.tcp_fin_timeout = 30 set at run time. */
static void fin_wait2_orphan__fin_timeout_30s_sysctl__closed(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_fin_timeout", "30"), 0);
	uint32_t iss;
	to_fin_wait2(t, true, 100, &iss);
	scn_at(t, 30099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 30100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* ... and through the creation-time config. */
static void fin_wait2_orphan__fin_timeout_30s_config__closed(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "tcp_fin_timeout", "30"), 0);
	struct scn *t = scn_new(&cfg);
	uint32_t iss;
	to_fin_wait2(t, true, 100, &iss);
	scn_at(t, 30099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 30100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* A tcp_fin_timeout below 3.5 RTO is raised to it (Linux tcp_fin_time).
 * RTO here is 200 ms + 1 us from a ~0 handshake sample, so 3.5 RTO is
 * 700.0035 ms, rounded up to 701 ms by the millisecond timer. */
static void fin_wait2_orphan__fin_timeout_1s__floor_not_hit(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_fin_timeout", "1"), 0);
	uint32_t iss;
	to_fin_wait2(t, true, 100, &iss);
	scn_at(t, 1099);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 1100);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* ... but not below 3.5 RTO: a 300 ms handshake sample, then the ACK of
 * our FIN 100 ms after it left (Linux times every segment, the FIN too):
 * SRTT 275 ms, RTTVAR 162.5 ms, RTO 925 ms, so the orphan waits
 * 3237.5 ms (not 1 s) from 400: closed at 3638 (ms timer). */
static void fin_wait2_orphan__fin_timeout_below_3_5_rto__raised(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_fin_timeout", "1"), 0);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 300, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 400, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_at(t, 3637);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 3638);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

/* close() after the FIN was already acked (shutdown first): the orphan
 * timer starts at close(), not at the ACK (Linux tcp_close). */
static void fin_wait2__close_later__timer_from_close(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = to_fin_wait2(t, false, 100, &iss);
	scn_at(t, 5000);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_none(t);
	scn_at(t, 64999);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_at(t, 65000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

/* The orphan's FIN still arrives in time: TIME-WAIT as usual, and the
 * fin_timeout no longer applies (TIME-WAIT lasts 60 s from the FIN). */
static void fin_wait2_orphan__fin__time_wait_60s(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_fin_wait2(t, true, 100, &iss);
	scn_inject(t, 50000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	/* The timewait entry acks with the window it last offered. */
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 109999);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 110000);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	scn_free(t);
}

/* Linux turns an orphan FIN-WAIT-2 (fin_timeout <= 60 s) into a timewait
 * entry with substate FIN_WAIT2, and counts TcpExtTW when it schedules
 * that entry (inet_twsk_schedule, timeout > 4 s), even if no FIN ever
 * comes. ss shows its timer as "timewait". */
static void fin_wait2_orphan__timeout__counted_as_tw(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_fin_wait2(t, true, 100, &iss);
	struct synack_sockinfo r;
	assert_true(scn_conn_row(t, &r));
	assert_string_equal(r.timer, "timewait");
	assert_int_equal(r.timer_expires, SYNACK_SEC(60));
	scn_at(t, 60100);
	assert_int_equal(scn_counter(t, "TcpExtTW"), 1);
	scn_free(t);
}

/* ---- RST and data --------------------------------------------------------- */

/* RFC 9293 3.10.7.4 second: a RST at RCV.NXT closes; the application
 * sees ECONNRESET; not an EstabReset (we left ESTABLISHED before). */
static void fin_wait2__rst__closed_econnreset(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = to_fin_wait2(t, false, 5, &iss);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 0);
	scn_free(t);
}

static void fin_wait2_orphan__rst__gone(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_fin_wait2(t, true, 5, &iss);
	scn_inject(t, 10, SEG(.flags = RST | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	scn_at(t, 70000);
	scn_expect_none(t);
	scn_free(t);
}

/* New data for an orphan in FIN-WAIT-2: <SEQ=SEG.ACK><CTL=RST> and the
 * connection is gone (Linux: TCP_TW_RST from the FIN_WAIT2 timewait
 * entry, which, unlike a full socket, does not count TCPAbortOnData). */
static void fin_wait2_orphan__data__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	to_fin_wait2(t, true, 5, &iss);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 2, .data = "late"));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 2, .wnd = 0));
	scn_expect_none(t);
	struct synack_sockinfo r;
	assert_false(scn_conn_row(t, &r));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fin_wait2__fin__ack_and_time_wait),
		cmocka_unit_test(fin_wait2__data_with_fin__readable_then_eof),
		cmocka_unit_test(fin_wait2_shut_wr__peer_data__readable_and_kept),
		cmocka_unit_test(fin_wait2_orphan__fin_timeout_60s__closed),
		cmocka_unit_test(fin_wait2_orphan__fin_timeout_30s_sysctl__closed),
		cmocka_unit_test(fin_wait2_orphan__fin_timeout_30s_config__closed),
		cmocka_unit_test(fin_wait2_orphan__fin_timeout_1s__floor_not_hit),
		cmocka_unit_test(fin_wait2_orphan__fin_timeout_below_3_5_rto__raised),
		cmocka_unit_test(fin_wait2__close_later__timer_from_close),
		cmocka_unit_test(fin_wait2_orphan__fin__time_wait_60s),
		cmocka_unit_test(fin_wait2_orphan__timeout__counted_as_tw),
		cmocka_unit_test(fin_wait2__rst__closed_econnreset),
		cmocka_unit_test(fin_wait2_orphan__rst__gone),
		cmocka_unit_test(fin_wait2_orphan__data__rst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
