/*
 * A listener's two queues as Linux keeps them (LINUX-SEMANTICS 3;
 * tcp_conn_request, tcp_check_req): requests in the SYN queue, children in
 * the accept queue; backlog + 1 fit; overflow at the final ACK keeps the
 * request and its SYN-ACK timer; tcp_abort_on_overflow; SYN-queue limits
 * with cookies off; the listing of both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>

#include "scenario.h"

static int listen_fd(struct scn *t, int backlog)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(t->st, fd, backlog), 0);
	return fd;
}

static struct scn *with(const char *name, const char *value)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	if (name)
		assert_int_equal(synack_config_set(&cfg, name, value), 0);
	return scn_new(&cfg);
}

/* SYN from `port`; returns the ISS of the SYN-ACK. */
static uint32_t syn(struct scn *t, uint64_t at, uint16_t port)
{
	scn_inject(t, at, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = port));
	return scn_expect_synack(t, R_ISS + 1);
}

static void ack(struct scn *t, uint64_t at, uint16_t port, uint32_t iss)
{
	scn_inject(t, at, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .sport = port));
}

static struct synack_sockinfo *row_for(struct scn *t, uint16_t peer_port, struct synack_sockinfo *out)
{
	struct synack_sockinfo rows[64];
	size_t n = synack_sockets(t->st, rows, 64);
	for (size_t i = 0; i < n && i < 64; i++) {
		if (ntohs(rows[i].peer.sin_port) == peer_port) {
			*out = rows[i];
			return out;
		}
	}
	return NULL;
}

static struct synack_sockinfo listener_row(struct scn *t, int lfd)
{
	struct synack_sockinfo rows[64];
	size_t n = synack_sockets(t->st, rows, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (rows[i].fd == lfd)
			return rows[i];
	fail();
	return rows[0];
}

static size_t count_rows(struct scn *t, int state)
{
	struct synack_sockinfo rows[64];
	size_t n = synack_sockets(t->st, rows, 64), c = 0;
	for (size_t i = 0; i < n && i < 64; i++)
		c += rows[i].state == state;
	return c;
}

/* Backlog 2 and four peers whose SYNs all got requests (the SYN queue
 * never held more than 2): three complete; d's final ACK finds the accept
 * queue full. Returns d's ISS. */
static uint32_t fill_backlog_2(struct scn *t, int lfd)
{
	uint32_t a = syn(t, 0, 40001), b = syn(t, 0, 40002);
	ack(t, 0, 40001, a);
	uint32_t c = syn(t, 0, 40003);
	ack(t, 0, 40002, b);
	uint32_t d = syn(t, 0, 40004);
	ack(t, 0, 40003, c);
	scn_expect_none(t);
	assert_int_equal(listener_row(t, lfd).recv_q, 3);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 3);
	ack(t, 0, 40004, d);
	return d;
}

/* Linux: backlog N holds N + 1; the next final ACK is dropped and counted
 * (ListenOverflows, ListenDrops), the request stays and its SYN-ACK timer
 * resends; after accept() the peer's ACK to that SYN-ACK completes. */
static void listen_queue__backlog_2__three_fit_fourth_ack_dropped_then_completes(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 2);
	uint32_t d = fill_backlog_2(t, lfd);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtListenOverflows"), 1);
	assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 1);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 3);
	struct synack_sockinfo r;
	assert_non_null(row_for(t, 40004, &r));
	assert_int_equal(r.state, SYNACK_SYN_RECV);
	assert_int_equal(r.fd, -1);
	assert_true(synack_accept(t->st, lfd, NULL, NULL) >= 0);
	scn_at(t, 1000);
	scn_expect_at(t, 1000, SEG(.flags = SYN | ACK, .seq = d, .ack = R_ISS + 1, .sport = 40004));
	scn_expect_none(t);
	ack(t, 1010, 40004, d);
	scn_expect_none(t);
	assert_int_equal(listener_row(t, lfd).recv_q, 3);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 4);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 0);
	scn_free(t);
}

/* tcp_abort_on_overflow=1: the final ACK that finds no room is answered
 * <SEQ=SEG.ACK><CTL=RST> and the request dies (EmbryonicRsts). */
static void listen_queue__abort_on_overflow__final_ack_rst_request_gone(void **state)
{
	struct scn *t = with("net.ipv4.tcp_abort_on_overflow", "1");
	int lfd = listen_fd(t, 2);
	uint32_t d = fill_backlog_2(t, lfd);
	scn_expect(t, SEG(.flags = RST, .seq = d + 1, .wnd = 0, .sport = 40004));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtListenOverflows"), 1);
	assert_int_equal(scn_counter(t, "TcpExtEmbryonicRsts"), 1);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 0);
	scn_at(t, 5000); /* no SYN-ACK timer left */
	scn_expect_none(t);
	scn_free(t);
}

/* A full accept queue drops new SYNs even when cookies would apply
 * (tcp_conn_request checks it after the SYN-queue test). */
static void listen_queue__accept_queue_full_syncookies_2__syn_dropped(void **state)
{
	struct scn *t = with("net.ipv4.tcp_syncookies", "2");
	int lfd = listen_fd(t, 0);
	uint32_t a = syn(t, 0, 40001);
	ack(t, 0, 40001, a);
	assert_int_equal(listener_row(t, lfd).recv_q, 1);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40002));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtListenOverflows"), 1);
	assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 1);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesSent"), 1);
	scn_free(t);
}

/* tcp_syncookies=0: the SYN queue is full once it holds more than the
 * backlog; the next SYN is dropped (TCPReqQFullDrop, ListenDrops). */
static void listen_queue__syncookies_0_syn_queue_full__syn_dropped(void **state)
{
	struct scn *t = with("net.ipv4.tcp_syncookies", "0");
	listen_fd(t, 2);
	syn(t, 0, 40001);
	syn(t, 0, 40002);
	syn(t, 0, 40003); /* qlen 2 is not more than 2 */
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40004));
	scn_expect_none(t);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 3);
	assert_int_equal(scn_counter(t, "TcpExtTCPReqQFullDrop"), 1);
	assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 1);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesSent"), 0);
	scn_free(t);
}

/* Cookies off: past 3/4 of tcp_max_syn_backlog only proven peers get a
 * request (we prove none): with 8, the 8th SYN is refused. */
static void listen_queue__syncookies_0_max_syn_backlog_8__eighth_syn_dropped(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "tcp_syncookies", "0"), 0);
	assert_int_equal(synack_config_set(&cfg, "tcp_max_syn_backlog", "8"), 0);
	struct scn *t = scn_new(&cfg);
	listen_fd(t, 100);
	for (uint16_t p = 0; p < 7; p++)
		syn(t, 0, (uint16_t)(41000 + p));
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 41007));
	scn_expect_none(t);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 7);
	assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPReqQFullDrop"), 0);
	scn_free(t);
}

/* tcp_syncookies=1: the SYN that finds the SYN queue full gets a cookie
 * and leaves no request; its ACK makes the connection (SyncookiesRecv). */
static void listen_queue__syncookies_1_syn_queue_full__cookie_then_connection(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 2);
	syn(t, 0, 40001);
	syn(t, 0, 40002);
	syn(t, 0, 40003);
	uint32_t cookie = syn(t, 0, 40004);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 3);
	assert_int_equal(scn_counter(t, "TcpExtTCPReqQFullDoCookies"), 1);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesSent"), 1);
	ack(t, 10, 40004, cookie);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesRecv"), 1);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 1);
	assert_int_equal(listener_row(t, lfd).recv_q, 1);
	scn_free(t);
}

/* ss: a listener's Recv-Q is its accept queue, Send-Q its backlog;
 * requests are SYN-RECV rows with queues 0 0, the "on" timer and their
 * retransmissions. */
static void listen_queue__listing__queues_and_request_rows(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 5);
	struct synack_sockinfo l = listener_row(t, lfd);
	assert_int_equal(l.recv_q, 0);
	assert_int_equal(l.send_q, 5);
	syn(t, 0, 40001);
	struct synack_sockinfo r;
	assert_non_null(row_for(t, 40001, &r));
	assert_int_equal(r.state, SYNACK_SYN_RECV);
	assert_int_equal(r.recv_q, 0);
	assert_int_equal(r.send_q, 0);
	assert_string_equal(r.timer, "on");
	assert_int_equal(r.timer_expires, 1000000);
	assert_int_equal(r.retrans, 0);
	scn_at(t, 1000);
	scn_expect_synack(t, R_ISS + 1);
	assert_non_null(row_for(t, 40001, &r));
	assert_int_equal(r.retrans, 1);
	assert_int_equal(r.timer_expires, 2000000);
	scn_free(t);
}

/* listen() again changes the backlog; it is min((unsigned)n, somaxconn). */
static void listen_queue__listen_again__backlog_changes_and_clips(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 1);
	assert_int_equal(listener_row(t, lfd).send_q, 1);
	assert_int_equal(synack_listen(t->st, lfd, 3), 0);
	assert_int_equal(listener_row(t, lfd).send_q, 3);
	assert_int_equal(synack_listen(t->st, lfd, -1), 0);
	assert_int_equal(listener_row(t, lfd).send_q, 4096);
	assert_int_equal(synack_listen(t->st, lfd, 100000), 0);
	assert_int_equal(listener_row(t, lfd).send_q, 4096);
	scn_free(t);
}

/* The final ACK is looked up among connections before the SYN queue: the
 * same ACK again, after accept(), reaches the accepted connection (an
 * old duplicate there) and makes no second one. */
static void listen_queue__final_ack_again_after_accept__no_second_connection(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 8);
	uint32_t iss = syn(t, 0, R_PORT);
	ack(t, 10, R_PORT, iss);
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	ack(t, 20, R_PORT, iss);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 1);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(count_rows(t, SYNACK_ESTABLISHED), 1);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* Linux tcp_check_req: a SYN again gets the SYN-ACK again and restarts
 * the timer (now + 1 s), so the timed resend comes at 1.5 s, not 1 s. */
static void listen_queue__syn_again__synack_and_timer_restarted(void **state)
{
	struct scn *t = scn_new(NULL);
	listen_fd(t, 8);
	uint32_t iss = syn(t, 0, R_PORT);
	scn_inject(t, 500, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_at(t, 500, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	/* A third within 500 ms is not answered (TCPACKSkippedSynRecv). */
	scn_inject(t, 700, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPACKSkippedSynRecv"), 1);
	scn_at(t, 1499);
	scn_expect_none(t);
	scn_at(t, 1500);
	scn_expect_at(t, 1500, SEG(.flags = SYN | ACK, .seq = iss, .ack = R_ISS + 1));
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 2);
	scn_free(t);
}

/* Linux reqsk_timer_handler: every timeout counts TCPTimeouts; the
 * request goes silently at the sixth (63 s), counting no AttemptFails. */
static void listen_queue__request_expiry__timeouts_counted(void **state)
{
	struct scn *t = scn_new(NULL);
	listen_fd(t, 8);
	syn(t, 0, R_PORT);
	scn_at(t, 62999);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 5);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 1);
	scn_at(t, 63000);
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 6);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 0);
	assert_int_equal(scn_counter(t, "TcpAttemptFails"), 0);
	scn_free(t);
}

/* TCP_SYNCNT on the listener replaces tcp_synack_retries for its requests. */
static void listen_queue__syncnt_2__request_gone_at_7s(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 8);
	int two = 2;
	assert_int_equal(synack_setsockopt(t->st, lfd, IPPROTO_TCP, TCP_SYNCNT, &two, sizeof(two)), 0);
	syn(t, 0, R_PORT);
	scn_at(t, 1000);
	scn_expect_synack(t, R_ISS + 1);
	scn_at(t, 3000);
	scn_expect_synack(t, R_ISS + 1);
	scn_at(t, 6999);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 1);
	scn_at(t, 7000);
	scn_expect_none(t);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 0);
	scn_free(t);
}

/* Closing the listener drops its requests: no SYN-ACK ever again, and the
 * request hash forgets them (the ACK then meets the CLOSED rules). */
static void listen_queue__close_listener__requests_gone(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 8);
	uint32_t a = syn(t, 0, 40001);
	syn(t, 0, 40002);
	assert_int_equal(synack_close(t->st, lfd), 0);
	assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 0);
	scn_at(t, 10000);
	scn_expect_none(t);
	ack(t, 10000, 40001, a);
	scn_expect(t, SEG(.flags = RST, .seq = a + 1, .wnd = 0, .sport = 40001));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen_queue__backlog_2__three_fit_fourth_ack_dropped_then_completes),
		cmocka_unit_test(listen_queue__abort_on_overflow__final_ack_rst_request_gone),
		cmocka_unit_test(listen_queue__accept_queue_full_syncookies_2__syn_dropped),
		cmocka_unit_test(listen_queue__syncookies_0_syn_queue_full__syn_dropped),
		cmocka_unit_test(listen_queue__syncookies_0_max_syn_backlog_8__eighth_syn_dropped),
		cmocka_unit_test(listen_queue__syncookies_1_syn_queue_full__cookie_then_connection),
		cmocka_unit_test(listen_queue__listing__queues_and_request_rows),
		cmocka_unit_test(listen_queue__listen_again__backlog_changes_and_clips),
		cmocka_unit_test(listen_queue__final_ack_again_after_accept__no_second_connection),
		cmocka_unit_test(listen_queue__syn_again__synack_and_timer_restarted),
		cmocka_unit_test(listen_queue__request_expiry__timeouts_counted),
		cmocka_unit_test(listen_queue__syncnt_2__request_gone_at_7s),
		cmocka_unit_test(listen_queue__close_listener__requests_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
