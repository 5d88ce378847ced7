/*
 * SYN-SENT (RFC 9293 3.10.7.3): an active open waiting for the peer's SYN.
 * The segment is checked in the RFC's order: ACK acceptability, RST, SYN;
 * simultaneous open goes through SYN-RECEIVED. Socket calls give Linux's
 * errno and readiness (LINUX-SEMANTICS 7).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <sys/ioctl.h>

#include "scenario.h"

/* A socket bound to L_PORT, so the scripted peer's segments reach it. */
static int active_fd(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static int connect_again(struct scn *t, int fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				  .sin_addr = {htonl(R_ADDR)}};
	return synack_connect(t->st, fd, (struct sockaddr *)&sin, sizeof(sin));
}

static int so_error(struct scn *t, int fd)
{
	int e = -1;
	socklen_t len = sizeof(e);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	return e;
}

static int readable(struct scn *t, int fd)
{
	int n = -1;
	assert_int_equal(synack_ioctl(t->st, fd, FIONREAD, &n), 0);
	return n;
}

static struct synack_sockinfo row_of(struct scn *t, int fd)
{
	struct synack_sockinfo rows[8];
	size_t n = synack_sockets(t->st, rows, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		if (rows[i].fd == fd)
			return rows[i];
	fail();
	return rows[0];
}

/* connect() and the SYN it sends; returns the ISS. */
static uint32_t open_active(struct scn *t, int *fd)
{
	*fd = active_fd(t);
	scn_connect(t, *fd);
	return scn_expect_syn(t);
}

#define ALL_ERR (EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM | EPOLLHUP | EPOLLERR)

/* connect(): <SEQ=ISS><CTL=SYN> with Linux's window and options (measured,
 * LINUX-SEMANTICS 9): window 64240, mss 1460, sackOK, TS (TSecr 0),
 * wscale 7 (from tcp_rmem[2] = 6 MiB). */
static void syn_sent__connect__syn_with_mss_and_window(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = active_fd(t);
	scn_connect(t, fd);
	struct tcp_seg seg;
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.flags, SYN);
	assert_int_equal(seg.wnd, SYN_WND);
	assert_true(seg.opt.has_mss);
	assert_int_equal(seg.opt.mss, 1460);
	assert_true(seg.opt.has_wscale && seg.opt.sack_ok && seg.opt.has_ts);
	assert_int_equal(seg.opt.wscale, 7);
	assert_int_equal(seg.opt.tsecr, 0);
	assert_int_equal(seg.len, 0);
	assert_int_equal(seg.sport, L_PORT);
	assert_int_equal(seg.dport, R_PORT);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	assert_int_equal(scn_counter(t, "TcpActiveOpens"), 1);
	struct synack_sockinfo r = row_of(t, fd);
	assert_int_equal(r.send_q, 1); /* the SYN counts one */
	assert_string_equal(r.timer, "on");
	assert_int_equal(r.timer_expires, SYNACK_SEC(1)); /* initial RTO */
	scn_free(t);
}

/* An acceptable SYN-ACK: ESTABLISHED and <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>;
 * the next connect() reports success once, then EISCONN. */
static void syn_sent__synack__ack_established_connect_0_then_eisconn(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 30, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect_at(t, 30, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	assert_int_equal(synack_poll_events(t->st, fd), EPOLLOUT | EPOLLWRNORM);
	assert_int_equal(connect_again(t, fd), 0);
	assert_int_equal(connect_again(t, fd), -1);
	assert_int_equal(errno, EISCONN);
	scn_free(t);
}

/* RST with an acceptable ACK: the connection is refused (RFC 9293
 * 3.10.7.3 second); SO_ERROR reports ECONNREFUSED once. */
static void syn_sent__rst_ack__closed_so_error_econnrefused(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = RST | ACK, .seq = 0, .ack = iss + 1, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpAttemptFails"), 1);
	assert_int_equal(synack_poll_events(t->st, fd), ALL_ERR);
	assert_int_equal(so_error(t, fd), ECONNREFUSED);
	assert_int_equal(so_error(t, fd), 0);
	scn_at(t, 5000); /* no SYN retransmission after the end */
	scn_expect_none(t);
	scn_free(t);
}

/* The same error through a second connect() (Linux __inet_stream_connect). */
static void syn_sent__rst_ack__connect_reports_econnrefused(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = RST | ACK, .seq = 0, .ack = iss + 1, .wnd = 0));
	assert_int_equal(connect_again(t, fd), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(so_error(t, fd), 0);
	scn_expect_none(t);
	scn_free(t);
}

/* A RST without ACK cannot be tied to our SYN: ignored (RFC 5961 3.2). */
static void syn_sent__rst_without_ack__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	assert_int_equal(so_error(t, fd), 0);
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* RST whose ACK is not in (ISS, SND.NXT]: dropped, and no RST answers it. */
static void syn_sent__rst_bad_ack__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = RST | ACK, .seq = 0, .ack = iss));
	scn_inject(t, 10, SEG(.flags = RST | ACK, .seq = 0, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	assert_int_equal(so_error(t, fd), 0);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	scn_free(t);
}

/* 3.10.7.3 first: SEG.ACK =< ISS gets <SEQ=SEG.ACK><CTL=RST>; state kept. */
static void syn_sent__ack_at_iss__rst_state_unchanged(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS, .ack = iss));
	scn_expect(t, SEG(.flags = RST, .seq = iss, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_free(t);
}

/* 3.10.7.3 first: SEG.ACK > SND.NXT gets <SEQ=SEG.ACK><CTL=RST>. */
static void syn_sent__ack_past_snd_nxt__rst_state_unchanged(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS, .ack = iss + 2));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 2, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_free(t);
}

/* A SYN-ACK with a bad ACK is no answer to our SYN: RST, not ESTABLISHED. */
static void syn_sent__synack_bad_ack__rst_state_unchanged(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1000, .mss = 1460));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1000, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	assert_int_equal(so_error(t, fd), 0);
	scn_free(t);
}

/* 3.10.7.3 fifth: neither SYN nor RST: drop, even with a good ACK. */
static void syn_sent__no_syn_no_rst__dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = FIN, .seq = R_ISS + 1));
	scn_inject(t, 10, SEG(.flags = PSH, .seq = R_ISS + 1, .data = "data"));
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	assert_int_equal(readable(t, fd), 0);
	scn_free(t);
}

/* Simultaneous open (RFC 9293 3.5, figure 8): a SYN without ACK moves to
 * SYN-RECEIVED and sends <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
static uint32_t simultaneous_syn(struct scn *t, int *fd)
{
	uint32_t iss = open_active(t, fd);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	struct tcp_seg seg;
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.flags, SYN | ACK);
	assert_int_equal(seg.seq, iss);
	assert_int_equal(seg.ack, R_ISS + 1);
	assert_int_equal(seg.wnd, 64240); /* our SYN's first window, again */
	assert_true(seg.opt.has_mss);
	assert_int_equal(seg.opt.mss, 1460);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, *fd), SYNACK_SYN_RECV);
	return iss;
}

static void syn_sent__syn__syn_recv_and_synack(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	simultaneous_syn(t, &fd);
	assert_int_equal(scn_counter(t, "TcpActiveOpens"), 1);
	/* SYN-RECEIVED is not yet connected: still EAGAIN, EALREADY. */
	char c;
	assert_int_equal(synack_send(t->st, fd, "x", 1, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(synack_recv(t->st, fd, &c, 1, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(connect_again(t, fd), -1);
	assert_int_equal(errno, EALREADY);
	scn_free(t);
}

/* The peer's SYN-ACK (its SYN again, acking ours) completes the open.
 * Linux (tcp_validate_incoming, since 6.11) lets this one SYN through in
 * SYN-RECEIVED instead of answering with a challenge ACK; its SYN, below
 * RCV.NXT, is then a duplicate to tcp_data_queue: an ACK at once
 * (DelayedACKLost; no SACK agreed here, so no D-SACK). */
static void syn_sent__simultaneous_open__synack_established(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = simultaneous_syn(t, &fd);
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPSYNChallenge"), 0);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKLost"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOldSent"), 0);
	assert_int_equal(connect_again(t, fd), 0);
	assert_int_equal(synack_send(t->st, fd, "hi", 2, 0), 2);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "hi"));
	scn_free(t);
}

/* Or a plain ACK of our SYN (3.10.7.4 fifth, SYN-RECEIVED). */
static void syn_sent__simultaneous_open__ack_established(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = simultaneous_syn(t, &fd);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 0);
	assert_int_equal(connect_again(t, fd), 0);
	scn_free(t);
}

/* Linux drops the payload of a SYN-ACK unless it had sent SYN data (Fast
 * Open): the ACK covers only the peer's SYN, and the bytes arrive when
 * the peer sends them again. (The RFC would queue them.) */
static void syn_sent__synack_with_data__data_dropped_syn_acked(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460,
			      .data = "early"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(readable(t, fd), 0);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "early"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	char buf[8];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "early", 5);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: connect() while SYN-SENT gives EALREADY. */
static void syn_sent__connect_again__ealready(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	open_active(t, &fd);
	assert_int_equal(connect_again(t, fd), -1);
	assert_int_equal(errno, EALREADY);
	scn_expect_none(t); /* and no second SYN */
	assert_int_equal(scn_counter(t, "TcpActiveOpens"), 1);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: non-blocking send and recv in SYN-SENT: EAGAIN. */
static void syn_sent__send_recv__eagain(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	open_active(t, &fd);
	char buf[4];
	assert_int_equal(synack_send(t->st, fd, "abc", 3, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	scn_expect_none(t);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: SYN-SENT reports no readiness at all. */
static void syn_sent__epoll__mask_empty(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	assert_int_equal(synack_poll_events(t->st, fd), 0);
	int ep = synack_epoll_create(t->st);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, fd, &ev), 0);
	struct epoll_event out[2];
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 0);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	scn_free(t);
}

/* A SYN-ACK without the MSS option: send with 536 (RFC 9293 3.7.1). */
static void syn_sent__synack_without_mss__mss_536(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd;
	uint32_t iss = open_active(t, &fd);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	int mss = 0;
	socklen_t len = sizeof(mss);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	assert_int_equal(mss, 536);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_sent__connect__syn_with_mss_and_window),
		cmocka_unit_test(syn_sent__synack__ack_established_connect_0_then_eisconn),
		cmocka_unit_test(syn_sent__rst_ack__closed_so_error_econnrefused),
		cmocka_unit_test(syn_sent__rst_ack__connect_reports_econnrefused),
		cmocka_unit_test(syn_sent__rst_without_ack__ignored),
		cmocka_unit_test(syn_sent__rst_bad_ack__ignored),
		cmocka_unit_test(syn_sent__ack_at_iss__rst_state_unchanged),
		cmocka_unit_test(syn_sent__ack_past_snd_nxt__rst_state_unchanged),
		cmocka_unit_test(syn_sent__synack_bad_ack__rst_state_unchanged),
		cmocka_unit_test(syn_sent__no_syn_no_rst__dropped),
		cmocka_unit_test(syn_sent__syn__syn_recv_and_synack),
		cmocka_unit_test(syn_sent__simultaneous_open__synack_established),
		cmocka_unit_test(syn_sent__simultaneous_open__ack_established),
		cmocka_unit_test(syn_sent__synack_with_data__data_dropped_syn_acked),
		cmocka_unit_test(syn_sent__connect_again__ealready),
		cmocka_unit_test(syn_sent__send_recv__eagain),
		cmocka_unit_test(syn_sent__epoll__mask_empty),
		cmocka_unit_test(syn_sent__synack_without_mss__mss_536),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
