/*
 * LISTEN (RFC 9293 3.10.7.2) and the listener's queues as Linux keeps
 * them (LINUX-SEMANTICS 3): RST ignored, ACK answered with RST, SYN makes
 * a SYN-RECEIVED child, anything else dropped; backlog, accept() and
 * readiness of the listening socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <sys/ioctl.h>

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

/* Pop a SYN-ACK and check every field, options included; returns its ISS. */
static uint32_t expect_synack_exact(struct scn *t, uint32_t ack, uint16_t peer_port)
{
	struct tcp_seg seg;
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.flags, SYN | ACK);
	assert_int_equal(seg.ack, ack);
	/* Linux tcp_openreq_init_rwin: tcp_rmem[1] / 2 = 65536 rounded down
	 * to our MSS, 44 * 1460 (unscaled, as every SYN window). */
	assert_int_equal(seg.wnd, 64240);
	assert_true(seg.opt.has_mss);
	assert_int_equal(seg.opt.mss, 1460); /* MTU 1500 - 40 */
	assert_false(seg.opt.has_wscale);
	assert_false(seg.opt.sack_ok);
	assert_false(seg.opt.has_ts);
	assert_int_equal(seg.len, 0);
	assert_int_equal(seg.sport, L_PORT);
	assert_int_equal(seg.dport, peer_port);
	return seg.seq;
}

/* SYN and final ACK from peer port `port`; returns the child's ISS. */
static uint32_t handshake(struct scn *t, uint64_t at, uint16_t port)
{
	scn_inject(t, at, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = port));
	uint32_t iss = expect_synack_exact(t, R_ISS + 1, port);
	scn_inject(t, at, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .sport = port));
	scn_expect_none(t);
	return iss;
}

/* 3.10.7.2 first: a RST is ignored. */
static void listen__rst__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = RST, .seq = R_ISS));
	scn_inject(t, 0, SEG(.flags = RST | ACK, .seq = R_ISS, .ack = 1234));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	assert_int_equal(scn_nsockets(t), 1);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	scn_free(t);
}

/* 3.10.7.2 second: any ACK is bad here: <SEQ=SEG.ACK><CTL=RST>. */
static void listen__ack__rst_seq_is_seg_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = 0xdeadbeef));
	scn_expect(t, SEG(.flags = RST, .seq = 0xdeadbeef, .wnd = 0));
	scn_inject(t, 1, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = 7, .data = "xyz"));
	scn_expect(t, SEG(.flags = RST, .seq = 7, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	assert_int_equal(scn_nsockets(t), 1);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 2);
	scn_free(t);
}

/* The ACK check comes before the SYN check: a SYN-ACK is an ACK. */
static void listen__synack__rst_seq_is_seg_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = 5000, .mss = 1460));
	scn_expect(t, SEG(.flags = RST, .seq = 5000, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 1);
	scn_free(t);
}

/* 3.10.7.2 third: a SYN makes a child in SYN-RECEIVED that answers
 * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; the listener stays in LISTEN. */
static void listen__syn__synack_and_child_in_syn_recv(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	expect_synack_exact(t, R_ISS + 1, R_PORT);
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	assert_int_equal(scn_nsockets(t), 2);
	assert_int_equal(scn_recv_q(t, lfd), 0); /* half-open ones are not counted */
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 0);
	assert_int_equal(scn_counter(t, "TcpOutSegs"), 1);
	scn_free(t);
}

/* Accept a peer that sent no MSS option (RFC 9293 3.7.1: assume 536). */
static int accept_no_mss(struct scn *t, uint32_t *iss)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS));
	*iss = expect_synack_exact(t, R_ISS + 1, R_PORT);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1));
	scn_expect_none(t);
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	return fd;
}

static void listen__syn_without_mss__child_mss_536(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = accept_no_mss(t, &iss);
	int mss = 0;
	socklen_t len = sizeof(mss);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	assert_int_equal(mss, 536);
	scn_free(t);
}

/* 1000 bytes to a 536-MSS peer: 536 then 464 (TCP_NODELAY, so that
 * Nagle plays no part; Linux sends both at once even with Nagle, see
 * state_established.c established__send_3000__segments_1460_1460_80). */
static void listen__syn_without_mss__segments_of_536(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = accept_no_mss(t, &iss);
	int one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	static char buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (char)('a' + i % 26);
	assert_int_equal(synack_send(t->st, fd, buf, 1000, 0), 1000);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .len = 536, .data = buf));
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 537, .ack = R_ISS + 1, .len = 464,
			  .data = buf + 536));
	scn_expect_none(t);
	scn_free(t);
}

/* The peer's MSS below ours is the one we send with. */
static void listen__syn_mss_1000__child_mss_1000(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1000));
	uint32_t iss = expect_synack_exact(t, R_ISS + 1, R_PORT);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	int mss = 0;
	socklen_t len = sizeof(mss);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	assert_int_equal(mss, 1000);
	scn_free(t);
}

/* 3.10.7.2 fourth: neither SYN, ACK nor RST: drop, answer nothing. */
static void listen__no_syn_ack_or_rst__dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = FIN, .seq = R_ISS));
	scn_inject(t, 0, SEG(.flags = PSH, .seq = R_ISS, .data = "data"));
	scn_inject(t, 0, SEG(.flags = 0, .seq = R_ISS));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	assert_int_equal(scn_nsockets(t), 1);
	scn_free(t);
}

/* Linux tcp_rcv_state_process: a SYN with FIN is discarded in LISTEN. */
static void listen__syn_fin__dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN | FIN, .seq = R_ISS, .mss = 1460));
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 1);
	scn_free(t);
}

/* Without Fast Open Linux takes no data from a SYN: the SYN-ACK acks only
 * the ISN, and the peer must send the bytes again. */
static void listen__syn_with_data__synack_acks_isn_only(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .data = "hello"));
	uint32_t iss = expect_synack_exact(t, R_ISS + 1, R_PORT);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect_none(t);
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	int n = -1;
	assert_int_equal(synack_ioctl(t->st, fd, FIONREAD, &n), 0);
	assert_int_equal(n, 0);
	/* The retransmission is taken; 64240 - 5 bytes of window remain. */
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	char buf[16];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	scn_free(t);
}

/* listen(fd, 1): the accept queue is full when it holds more than the
 * backlog, so two connections complete; the third SYN is dropped silently
 * and counted (ListenOverflows, ListenDrops). */
static void listen__backlog_1__third_syn_dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 1);
	handshake(t, 0, 40001);
	handshake(t, 0, 40002);
	assert_int_equal(scn_recv_q(t, lfd), 2);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40003));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtListenOverflows"), 1);
	assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 1);
	assert_int_equal(scn_nsockets(t), 3);
	/* accept() makes room; the peer's SYN retransmission then succeeds. */
	assert_true(synack_accept(t->st, lfd, NULL, NULL) >= 0);
	scn_inject(t, 1000, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40003));
	expect_synack_exact(t, R_ISS + 1, 40003);
	scn_free(t);
}

/* Linux: a final ACK that finds the accept queue full is dropped and
 * counted; the child stays in SYN-RECEIVED and its SYN-ACK timer goes on,
 * so the handshake completes later when there is room. */
static void listen__backlog_full__final_ack_dropped_child_kept(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = listen_fd(t, 1);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40001));
	uint32_t iss1 = expect_synack_exact(t, R_ISS + 1, 40001);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40002));
	uint32_t iss2 = expect_synack_exact(t, R_ISS + 1, 40002);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss1 + 1, .sport = 40001));
	handshake(t, 0, 40003);
	assert_int_equal(scn_recv_q(t, lfd), 2);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss2 + 1, .sport = 40002));
	scn_expect_none(t);
	assert_int_equal(scn_recv_q(t, lfd), 2);
	assert_int_equal(scn_counter(t, "TcpExtListenOverflows"), 1);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 2);
	assert_true(synack_accept(t->st, lfd, NULL, NULL) >= 0);
	/* The SYN-ACK timer (1 s) resends; the peer's ACK now fits. */
	scn_at(t, 1000);
	scn_expect_at(t, 1000, SEG(.flags = SYN | ACK, .seq = iss2, .ack = R_ISS + 1, .sport = 40002));
	scn_inject(t, 1000, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss2 + 1, .sport = 40002));
	scn_expect_none(t);
	assert_int_equal(scn_recv_q(t, lfd), 2);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 3);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: accept() on an empty queue gives EAGAIN. */
static void listen__accept_empty_queue__eagain(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	/* A half-open child is not acceptable yet. */
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_synack(t, R_ISS + 1);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	scn_free(t);
}

/* accept() on a socket that is not listening: EINVAL. */
static void listen__accept_on_non_listener__einval(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(synack_accept(t->st, fd, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	int cfd = fx_passive_established(t, NULL);
	assert_int_equal(synack_accept(t->st, cfd, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	scn_free(t);
}

/* accept() hands over the established child with the peer's address. */
static void listen__accept__child_established_with_peer_address(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	handshake(t, 0, R_PORT);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int fd = synack_accept(t->st, lfd, (struct sockaddr *)&peer, &len);
	assert_true(fd >= 0);
	assert_int_equal(len, sizeof(peer));
	assert_int_equal(ntohl(peer.sin_addr.s_addr), R_ADDR);
	assert_int_equal(ntohs(peer.sin_port), R_PORT);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_recv_q(t, lfd), 0);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: a listener is readable (EPOLLIN) exactly while its
 * accept queue is non-empty; it is never writable. */
static void listen__epoll__in_only_while_accept_queue_non_empty(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	int ep = synack_epoll_create(t->st);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = lfd};
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, lfd, &ev), 0);
	struct epoll_event out[4];
	assert_int_equal(synack_poll_events(t->st, lfd), 0);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 4, 0), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	assert_int_equal(synack_poll_events(t->st, lfd), 0); /* half-open: not yet */
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 4, 0), 0);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	assert_int_equal(synack_poll_events(t->st, lfd), EPOLLIN | EPOLLRDNORM);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 4, 0), 1);
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(out[0].data.fd, lfd);
	assert_true(synack_accept(t->st, lfd, NULL, NULL) >= 0);
	assert_int_equal(synack_poll_events(t->st, lfd), 0);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 4, 0), 0);
	scn_free(t);
}

/* Linux inet_csk_listen_stop: closing the listener aborts the children
 * nobody accepted, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> with the
 * window tcp_select_window gives (Linux's active RSTs carry one). */
static void listen__close_with_queued_child__child_reset(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	uint32_t iss = handshake(t, 0, R_PORT);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	assert_int_equal(synack_close(t->st, lfd), 0);
	scn_expect(t, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 1, .wnd = WND));
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 0);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1); /* ESTAB -> CLOSE */
	scn_free(t);
}

/* A child still in SYN-RECEIVED is only a request to Linux: closing the
 * listener drops it without a word, and the peer's ACK that comes later
 * finds no socket and draws <SEQ=SEG.ACK><CTL=RST>. */
static void listen__close_with_half_open_child__no_rst_then_ack_reset(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	assert_int_equal(synack_close(t->st, lfd), 0);
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 0);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1, .wnd = 0));
	scn_expect_none(t);
	scn_at(t, 5000); /* and no SYN-ACK retransmission either */
	scn_expect_none(t);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen__rst__ignored),
		cmocka_unit_test(listen__ack__rst_seq_is_seg_ack),
		cmocka_unit_test(listen__synack__rst_seq_is_seg_ack),
		cmocka_unit_test(listen__syn__synack_and_child_in_syn_recv),
		cmocka_unit_test(listen__syn_without_mss__child_mss_536),
		cmocka_unit_test(listen__syn_without_mss__segments_of_536),
		cmocka_unit_test(listen__syn_mss_1000__child_mss_1000),
		cmocka_unit_test(listen__no_syn_ack_or_rst__dropped),
		cmocka_unit_test(listen__syn_fin__dropped),
		cmocka_unit_test(listen__syn_with_data__synack_acks_isn_only),
		cmocka_unit_test(listen__backlog_1__third_syn_dropped),
		cmocka_unit_test(listen__backlog_full__final_ack_dropped_child_kept),
		cmocka_unit_test(listen__accept_empty_queue__eagain),
		cmocka_unit_test(listen__accept_on_non_listener__einval),
		cmocka_unit_test(listen__accept__child_established_with_peer_address),
		cmocka_unit_test(listen__epoll__in_only_while_accept_queue_non_empty),
		cmocka_unit_test(listen__close_with_queued_child__child_reset),
		cmocka_unit_test(listen__close_with_half_open_child__no_rst_then_ack_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
