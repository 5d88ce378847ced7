/*
 * TCP Fast Open (RFC 7413) as Linux runs it (LINUX-SEMANTICS 4,
 * net/ipv4/tcp_fastopen.c): cookie request and answer, SYN data taken by
 * a child that is on the accept queue before the handshake ends, invalid
 * cookies, the TFO queue bound, and the client's cookie cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

#define TFO_ALL 0x403 /* client, server, every listener (Linux 0x400) */

static struct scn *tfo_scn(void)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_fastopen = TFO_ALL;
	return scn_new(&cfg);
}

static struct tcp_opts opts_tfo(const uint8_t *cookie, uint8_t len, bool exp)
{
	struct tcp_opts o = {.has_mss = true, .mss = 1460, .has_tfo = true, .tfo_len = len,
			     .tfo_exp = exp};
	if (len)
		memcpy(o.tfo_cookie, cookie, len);
	return o;
}

/* Pop one segment; it must be a SYN-ACK acking ack. */
static struct tcp_seg pop_synack(struct scn *t, uint32_t ack)
{
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ACK);
	assert_int_equal(s.ack, ack);
	return s;
}

/* A cookie request (kind 34, length 2) gets an 8-byte cookie in the
 * SYN-ACK (RFC 7413 4.1.2); TCPFastOpenCookieReqd counts it. */
static void listen__cookie_request__synack_carries_cookie(void **state)
{
	struct scn *t = tfo_scn();
	fx_listen(t);
	struct tcp_opts req = opts_tfo(NULL, 0, false);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &req));
	struct tcp_seg s = pop_synack(t, R_ISS + 1);
	assert_true(s.opt.has_tfo);
	assert_false(s.opt.tfo_exp);
	assert_int_equal(s.opt.tfo_len, 8);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenCookieReqd"), 1);
	scn_free(t);
}

/* The experimental form (254, magic 0xF989) is answered in kind. */
static void listen__exp_cookie_request__answered_in_exp_form(void **state)
{
	struct scn *t = tfo_scn();
	fx_listen(t);
	struct tcp_opts req = opts_tfo(NULL, 0, true);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &req));
	struct tcp_seg s = pop_synack(t, R_ISS + 1);
	assert_true(s.opt.has_tfo && s.opt.tfo_exp);
	assert_int_equal(s.opt.tfo_len, 8);
	scn_free(t);
}

/* Get the listener's cookie for R_ADDR with a request from port rport. */
static void get_cookie(struct scn *t, uint16_t rport, uint8_t cookie[8])
{
	struct tcp_opts req = opts_tfo(NULL, 0, false);
	scn_inject(t, t->now / 1000, SEG(.flags = SYN, .seq = R_ISS, .opt = &req, .sport = rport));
	struct tcp_seg s = pop_synack(t, R_ISS + 1);
	assert_int_equal(s.opt.tfo_len, 8);
	memcpy(cookie, s.opt.tfo_cookie, 8);
}

/* SYN + data + valid cookie: the SYN-ACK acks the data, accept() returns
 * a SYN-RECEIVED child whose data is readable before the handshake ends
 * (RFC 7413 4.2.2); the final ACK makes it ESTABLISHED. */
static void listen__syn_data_valid_cookie__child_accepted_before_handshake(void **state)
{
	struct scn *t = tfo_scn();
	int lfd = fx_listen(t);
	uint8_t ck[8];
	get_cookie(t, R_PORT + 1, ck);
	struct tcp_opts o = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "hello"));
	struct tcp_seg s = pop_synack(t, R_ISS + 6);
	assert_false(s.opt.has_tfo);
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_RECV);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenPassive"), 1);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 6, .ack = s.seq + 1));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	/* A reply goes out as data after the SYN-ACK's sequence number. */
	assert_int_equal(synack_send(t->st, fd, "ok", 2, 0), 2);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = s.seq + 1, .ack = R_ISS + 6, .data = "ok",
			  .any_wnd = true));
	scn_free(t);
}

/* An invalid cookie: the data is ignored (only the SYN acked), a fresh
 * cookie comes back, TCPFastOpenPassiveFail counts it. */
static void listen__invalid_cookie__data_ignored_fresh_cookie(void **state)
{
	struct scn *t = tfo_scn();
	int lfd = fx_listen(t);
	uint8_t ck[8];
	get_cookie(t, R_PORT + 1, ck);
	uint8_t bad[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct tcp_opts o = opts_tfo(bad, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "hello"));
	struct tcp_seg s = pop_synack(t, R_ISS + 1);
	assert_int_equal(s.opt.tfo_len, 8);
	assert_memory_equal(s.opt.tfo_cookie, ck, 8);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenPassiveFail"), 1);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	scn_free(t);
}

/* A cookie made with the backup key (TCP_FASTOPEN_KEY's second half) is
 * accepted, and the SYN-ACK gives back the primary key's cookie so the
 * client moves on (Linux tcp_try_fastopen, TCPFastOpenPassiveAltKey). */
static void listen__backup_key_cookie__synack_gives_primary_cookie(void **state)
{
	struct scn *t = tfo_scn();
	int lfd = fx_listen(t);
	uint8_t keys[32];
	for (int i = 0; i < 32; i++)
		keys[i] = (uint8_t)(i * 7 + 1);
	/* The backup key first as the only key: its cookie. */
	assert_int_equal(synack_setsockopt(t->st, lfd, IPPROTO_TCP, TCP_FASTOPEN_KEY, keys + 16, 16), 0);
	uint8_t old[8], primary[8];
	get_cookie(t, R_PORT + 1, old);
	assert_int_equal(synack_setsockopt(t->st, lfd, IPPROTO_TCP, TCP_FASTOPEN_KEY, keys, 32), 0);
	get_cookie(t, R_PORT + 2, primary);
	assert_memory_not_equal(old, primary, 8);
	struct tcp_opts o = opts_tfo(old, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "hi"));
	struct tcp_seg s = pop_synack(t, R_ISS + 3);
	assert_true(s.opt.has_tfo);
	assert_int_equal(s.opt.tfo_len, 8);
	assert_memory_equal(s.opt.tfo_cookie, primary, 8);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenPassiveAltKey"), 1);
	/* A primary-key cookie gets no cookie back. */
	o = opts_tfo(primary, 8, false);
	scn_inject(t, 20, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "hi", .sport = R_PORT + 3));
	s = pop_synack(t, R_ISS + 3);
	assert_false(s.opt.has_tfo);
	scn_free(t);
}

/* TCP_FASTOPEN 1: a second pending Fast Open child overflows the TFO
 * queue (TCPFastOpenListenOverflow): plain handshake, data not acked. */
static void listen__tfo_queue_full__overflow_plain_handshake(void **state)
{
	struct scn *t = tfo_scn();
	int lfd = fx_listen(t), one = 1, got = 0;
	socklen_t len = sizeof(got);
	assert_int_equal(synack_setsockopt(t->st, lfd, IPPROTO_TCP, TCP_FASTOPEN, &one, 4), 0);
	assert_int_equal(synack_getsockopt(t->st, lfd, IPPROTO_TCP, TCP_FASTOPEN, &got, &len), 0);
	assert_int_equal(got, 1);
	uint8_t ck[8];
	get_cookie(t, R_PORT + 1, ck);
	struct tcp_opts o = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "a", .sport = R_PORT));
	pop_synack(t, R_ISS + 2);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "b", .sport = R_PORT + 2));
	struct tcp_seg s = pop_synack(t, R_ISS + 1);
	assert_false(s.opt.has_tfo);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenListenOverflow"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenPassive"), 1);
	scn_free(t);
}

/* A client socket bound to lport, Fast Open sendto to the peer. */
static int tfo_client(struct scn *t, uint16_t lport)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(lport)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static struct tcp_info tfo_info(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static ssize_t tfo_sendto(struct scn *t, int fd, const char *data)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	return synack_sendto(t->st, fd, data, strlen(data), MSG_FASTOPEN, (struct sockaddr *)&to,
			     sizeof(to));
}

/* First connection: no cookie, the SYN asks for one and carries no data
 * (EINPROGRESS). The SYN-ACK's cookie is cached: the next connection's
 * SYN carries it and the data, and the SYN-ACK acking the data counts
 * TCPFastOpenActive (RFC 7413 4.1). */
static void syn_sent__cookie_cached__next_syn_carries_data(void **state)
{
	struct scn *t = tfo_scn();
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hi"), -1);
	assert_int_equal(errno, EINPROGRESS);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN);
	assert_true(s.opt.has_tfo);
	assert_int_equal(s.opt.tfo_len, 0);
	assert_int_equal(s.len, 0);
	uint8_t ck[8] = {0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
	struct tcp_opts ans = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 1, .ack = R_ISS + 1, .any_wnd = true));

	int fd2 = tfo_client(t, L_PORT + 1);
	assert_int_equal(tfo_sendto(t, fd2, "hello"), 5);
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN);
	assert_int_equal(s.opt.tfo_len, 8);
	assert_memory_equal(s.opt.tfo_cookie, ck, 8);
	assert_int_equal(s.len, 5);
	assert_memory_equal(s.data, "hello", 5);
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 6, .mss = 1460,
			      .dport = L_PORT + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 6, .ack = R_ISS + 1, .any_wnd = true,
			  .dport = L_PORT + 1));
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenActive"), 1);
	assert_int_equal(scn_state(t, fd2), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* The SYN-ACK acks only the SYN: the data goes again at once, after it
 * (TCPFastOpenActiveFail; Linux tcp_rcv_fastopen_synack). */
static void syn_sent__synack_acks_only_syn__data_resent(void **state)
{
	struct scn *t = tfo_scn();
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, ""), -1);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
	struct tcp_opts ans = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 1, .ack = R_ISS + 1, .any_wnd = true));

	int fd2 = tfo_client(t, L_PORT + 1);
	assert_int_equal(tfo_sendto(t, fd2, "data!"), 5);
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.len, 5);
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .mss = 1460,
			      .dport = L_PORT + 1));
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = s.seq + 1, .ack = R_ISS + 1, .data = "data!",
			  .any_wnd = true, .dport = L_PORT + 1));
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenActiveFail"), 1);
	scn_free(t);
}

/* Linux tcp_rcv_fastopen_synack: SYN data the SYN-ACK did not ack is
 * marked lost and resent as a retransmission (non-congestion loss):
 * RetransSegs, TCPSlowStartRetrans, tcpi_retrans and total_retrans count
 * it, cwnd stays. A later SACK of data sent after it shows that copy
 * lost too (RACK runs in the loss state): it goes again at once,
 * TCPLostRetransmit (syn-data-only-syn-acked.pkt). */
static void syn_sent__synack_acks_only_syn__resend_is_retransmission_sack_resends(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, ""), -1);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
	struct tcp_opts ans = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 1, .ack = R_ISS + 1, .any_wnd = true));

	int fd2 = tfo_client(t, L_PORT + 1);
	assert_int_equal(tfo_sendto(t, fd2, "data!"), 5);
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.len, 5);
	uint32_t iss = s.seq;
	struct tcp_opts sack = {.has_mss = true, .mss = 1460, .sack_ok = true};
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .opt = &sack,
			      .dport = L_PORT + 1));
	scn_expect_at(t, 20, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1,
				 .data = "data!", .any_wnd = true, .dport = L_PORT + 1));
	struct tcp_info ti = tfo_info(t, fd2);
	assert_int_equal(ti.tcpi_retrans, 1);
	assert_int_equal(ti.tcpi_total_retrans, 1);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPSlowStartRetrans"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenActiveFail"), 1);
	/* New data after it, then a SACK of that data: the resent copy
	 * (sent before it, a round trip ago) is lost as well. */
	assert_int_equal(synack_send(t->st, fd2, "more", 4, 0), 4);
	scn_expect_at(t, 20, SEG(.flags = PSH | ACK, .seq = iss + 6, .ack = R_ISS + 1,
				 .data = "more", .any_wnd = true, .dport = L_PORT + 1));
	struct tcp_opts sk = {.nsack = 1, .sack = {{iss + 6, iss + 10}}};
	scn_inject(t, 40, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .opt = &sk,
			      .dport = L_PORT + 1));
	scn_expect_at(t, 40, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1,
				 .data = "data!", .any_wnd = true, .dport = L_PORT + 1));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPLostRetransmit"), 1);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 2);
	scn_inject(t, 60, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 10, .dport = L_PORT + 1));
	scn_expect_none(t);
	ti = tfo_info(t, fd2);
	assert_int_equal(ti.tcpi_retrans, 0);
	assert_int_equal(ti.tcpi_unacked, 0);
	scn_free(t);
}

/* A blocking sendto whose SYN took only part of the data (MSS - 40
 * bytes) goes on writing once connected, so Linux delays the SYN-ACK's
 * ACK to ride on the rest (sk_write_pending in tcp_rcv_synsent_state_
 * process); that reply, sent within ato of the SYN-ACK, enters pingpong
 * mode: the peer's answer is not ACKed at once, and the FIN carries the
 * ACK (cookie-less-sendto.pkt, blocking-sendto.pkt). */
static void syn_sent__blocking_send_pending__synack_ack_rides_on_data(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_fastopen = 0x5; /* client, no cookie needed */
	struct scn *t = scn_new(&cfg);
	static char buf[1900];
	memset(buf, 'x', sizeof(buf));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0); /* blocking */
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(synack_sendto(t->st, fd, buf, sizeof(buf), MSG_FASTOPEN,
				       (struct sockaddr *)&to, sizeof(to)), 1420);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN);
	assert_false(s.opt.has_tfo);
	assert_int_equal(s.len, 1420);
	uint32_t iss = s.seq;
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1421, .mss = 1460));
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, buf, 480, 0), 480);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1421, .ack = R_ISS + 1, .len = 480,
			  .data = buf, .any_wnd = true));
	scn_inject(t, 40, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1901, .data = "reply"));
	scn_expect_none(t);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_at(t, 40, SEG(.flags = FIN | ACK, .seq = iss + 1901, .ack = R_ISS + 6,
				 .any_wnd = true));
	scn_free(t);
}

/* The same send without blocking: nobody waits to write, so the
 * SYN-ACK is ACKed at once (Linux tcp_send_ack). */
static void syn_sent__nonblocking_send__synack_acked_at_once(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_fastopen = 0x5;
	struct scn *t = scn_new(&cfg);
	static char buf[1900];
	int fd = tfo_client(t, L_PORT);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_sendto(t->st, fd, buf, sizeof(buf), MSG_FASTOPEN,
				       (struct sockaddr *)&to, sizeof(to)), 1420);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1421, .mss = 1460));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = s.seq + 1421, .ack = R_ISS + 1, .any_wnd = true));
	scn_free(t);
}

/* Linux tcp_fastopen_cache_set's try_exp: a request in the RFC 7413 form
 * (kind 34) that goes unanswered is repeated once in the experimental
 * form (254, 0xF989); when that goes unanswered too, kind 34 for good
 * (fallback-exp-opt.pkt). ip tcp_metrics flush starts over. */
static void syn_sent__requests_unanswered__exp_form_tried_once(void **state)
{
	struct scn *t = tfo_scn();
	bool exp[5];
	for (int i = 0; i < 5; i++) {
		struct tcp_seg s;
		int fd = tfo_client(t, (uint16_t)(L_PORT + i));
		assert_int_equal(tfo_sendto(t, fd, "x"), -1);
		assert_true(scn_pop(t, &s, NULL));
		assert_true(s.opt.has_tfo);
		assert_int_equal(s.opt.tfo_len, 0);
		exp[i] = s.opt.tfo_exp;
		scn_inject(t, 10 * (i + 1), SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1,
						.mss = 1460, .dport = (uint16_t)(L_PORT + i)));
		assert_true(scn_pop(t, &s, NULL));
		if (i == 3)
			synack_tcp_metrics_flush(t->st, (struct in_addr){htonl(INADDR_ANY)});
	}
	assert_false(exp[0]);
	assert_true(exp[1]);
	assert_false(exp[2]);
	assert_false(exp[3]);
	assert_false(exp[4]); /* after the flush: kind 34 first again */
	scn_free(t);
}

/* ip tcp_metrics flush forgets the cookie: the next sendto asks again
 * and sends no data (Linux tcp_metrics_flush_all). */
static void closed__metrics_flushed__cookie_forgotten(void **state)
{
	struct scn *t = tfo_scn();
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, ""), -1);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	uint8_t ck[8] = {9, 8, 7, 6, 5, 4, 3, 2};
	struct tcp_opts ans = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans));
	assert_true(scn_pop(t, &s, NULL));
	synack_tcp_metrics_flush(t->st, (struct in_addr){htonl(R_ADDR)});
	int fd2 = tfo_client(t, L_PORT + 1);
	assert_int_equal(tfo_sendto(t, fd2, "hello"), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.opt.tfo_len, 0);
	assert_int_equal(s.len, 0);
	scn_free(t);
}

/* A TCP_FASTOPEN_CONNECT connect returns 0 and sends nothing; connecting
 * again is EISCONN, as Linux's __inet_stream_connect says of a deferred
 * connect (nonblocking-connect-bypass-errno.pkt). */
static void syn_sent__deferred_connect_again__eisconn(void **state)
{
	struct scn *t = tfo_scn();
	int fd = tfo_client(t, L_PORT), one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, 4), 0);
	uint8_t ck[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	/* No cookie yet: the SYN goes at once, with a request. */
	assert_int_equal(synack_connect(t->st, fd, (struct sockaddr *)&to, sizeof(to)), -1);
	assert_int_equal(errno, EINPROGRESS);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	struct tcp_opts ans = opts_tfo(ck, 8, false);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans));
	assert_true(scn_pop(t, &s, NULL));
	/* With the cookie: connect() is deferred. */
	int fd2 = tfo_client(t, L_PORT + 1);
	assert_int_equal(synack_setsockopt(t->st, fd2, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, 4), 0);
	assert_int_equal(synack_connect(t->st, fd2, (struct sockaddr *)&to, sizeof(to)), 0);
	scn_expect_none(t);
	assert_int_equal(synack_connect(t->st, fd2, (struct sockaddr *)&to, sizeof(to)), -1);
	assert_int_equal(errno, EISCONN);
	scn_free(t);
}

/* Cache a cookie for R_ADDR through a first connection from lport. */
static void warm_cookie(struct scn *t, uint16_t lport, uint64_t at)
{
	int fd = tfo_client(t, lport);
	assert_int_equal(tfo_sendto(t, fd, ""), -1);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	uint8_t ck[8] = {0xab, 0xcd, 0x12, 0x34, 0xab, 0xcd, 0x12, 0x34};
	struct tcp_opts ans = opts_tfo(ck, 8, false);
	scn_inject(t, at, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans,
			      .dport = lport));
	assert_true(scn_pop(t, &s, NULL));
}

/* After SYN data the SYN-ACK acked, the SYN-ACK's own data is taken
 * (Linux tcp_fastopen_add_skb): ACKed at once, readable; the data after
 * it starts quick ACKs as usual (synack-data.pkt TEST1). */
static void syn_sent__synack_with_data__data_taken(void **state)
{
	struct scn *t = tfo_scn();
	warm_cookie(t, L_PORT + 1, 10);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hello"), 5);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.len, 5);
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 6, .mss = 1460,
			      .data = "welcome"));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 6, .ack = R_ISS + 8, .any_wnd = true));
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 8, .ack = s.seq + 6, .data = "more"));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 6, .ack = R_ISS + 12, .any_wnd = true));
	char b[32];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 11);
	assert_memory_equal(b, "welcomemore", 11);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* SYN-ACK with data and FIN: ESTABLISHED then CLOSE-WAIT at once, the
 * data then end of file (synack-data.pkt TEST2). */
static void syn_sent__synack_data_fin__close_wait(void **state)
{
	struct scn *t = tfo_scn();
	warm_cookie(t, L_PORT + 1, 10);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hello"), 5);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	scn_inject(t, 20, SEG(.flags = SYN | FIN | ACK, .seq = R_ISS, .ack = s.seq + 6, .mss = 1460,
			      .data = "bye"));
	scn_expect(t, SEG(.flags = ACK, .seq = s.seq + 6, .ack = R_ISS + 5, .any_wnd = true));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 3);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	scn_free(t);
}

/* A SYN-ACK with data after a plain SYN: Linux frees the data (the
 * peer sends it again); only the SYN is ACKed. */
static void syn_sent__synack_data_no_fastopen__data_dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460,
			      .data = "early"));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	scn_free(t);
}

/* With timestamps, a SYN-ACK whose TSecr is none of our TSvals (an old
 * incarnation's) is answered with a RST and counted (TcpExtPAWSActive);
 * a valid one then establishes (Linux tcp_rcv_synsent_state_process,
 * synack-data.pkt TEST5). */
static void syn_sent__synack_bad_tsecr__rst_paws_active(void **state)
{
	struct scn *t = tfo_scn();
	warm_cookie(t, L_PORT + 1, 10);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hello"), 5);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_true(s.opt.has_ts);
	struct tcp_opts bad = {.has_mss = true, .mss = 1460, .has_ts = true, .tsval = 1000,
			       .tsecr = s.opt.tsval + 5000};
	scn_inject(t, 30, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 6, .opt = &bad,
			      .data = "x"));
	scn_expect(t, SEG(.flags = RST, .seq = s.seq + 6, .wnd = 0));
	assert_int_equal(scn_counter(t, "TcpExtPAWSActive"), 1);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	struct tcp_opts good = bad;
	good.tsecr = s.opt.tsval;
	scn_inject(t, 40, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 6, .opt = &good,
			      .data = "x"));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_int_equal(s.ack, R_ISS + 2);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* Blackhole detection (Linux tcp_fastopen_active_detect_blackhole): a
 * Fast Open SYN that times out a third time in a row pauses active Fast
 * Open for tcp_fastopen_blackhole_timeout_sec (TcpExtTCPFastOpenBlackhole):
 * the next SYN carries neither data nor the option; after the pause, the
 * cookie and data go again. With the sysctl at 0 (Linux's default since
 * 5.14) nothing pauses. */
static void syn_sent__syn_data_blackholed__active_fastopen_paused(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_fastopen = TFO_ALL;
	cfg.tcp_fastopen_blackhole_timeout_sec = 3600;
	struct scn *t = scn_new(&cfg);
	warm_cookie(t, L_PORT + 1, 10);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hello"), 5);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.len, 5);
	scn_at(t, 2500); /* two timeouts: still on */
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenBlackhole"), 0);
	scn_at(t, 3500); /* the third */
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenBlackhole"), 1);
	assert_int_equal(synack_close(t->st, fd), 0);
	while (scn_pop(t, &s, NULL))
		;
	int fd2 = tfo_client(t, L_PORT + 2);
	assert_int_equal(tfo_sendto(t, fd2, "hello"), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN);
	assert_false(s.opt.has_tfo);
	assert_int_equal(s.len, 0);
	assert_int_equal(synack_close(t->st, fd2), 0);
	scn_at(t, 3500 + 3600 * 1000);
	while (scn_pop(t, &s, NULL))
		;
	int fd3 = tfo_client(t, L_PORT + 3);
	assert_int_equal(tfo_sendto(t, fd3, "hello"), 5);
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.opt.tfo_len, 8);
	assert_int_equal(s.len, 5);
	scn_free(t);
}

/* tcp_fastopen 0: MSG_FASTOPEN is refused (Linux EOPNOTSUPP). */
static void closed__fastopen_disabled__eopnotsupp(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_fastopen = 0;
	struct scn *t = scn_new(&cfg);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "x"), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	scn_expect_none(t);
	scn_free(t);
}

/* tcp_fastopen_key reads back as set (Linux's sysctl format). */
static void config__fastopen_key__round_trip(void **state)
{
	struct synack_config cfg;
	char buf[128];
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "net.ipv4.tcp_fastopen_key",
					   "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"), 0);
	assert_int_equal(synack_config_get(&cfg, "tcp_fastopen_key", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
	assert_int_equal(synack_config_set(&cfg, "tcp_fastopen_key", "nothex"), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen__cookie_request__synack_carries_cookie),
		cmocka_unit_test(listen__exp_cookie_request__answered_in_exp_form),
		cmocka_unit_test(listen__syn_data_valid_cookie__child_accepted_before_handshake),
		cmocka_unit_test(listen__invalid_cookie__data_ignored_fresh_cookie),
		cmocka_unit_test(listen__tfo_queue_full__overflow_plain_handshake),
		cmocka_unit_test(listen__backup_key_cookie__synack_gives_primary_cookie),
		cmocka_unit_test(syn_sent__cookie_cached__next_syn_carries_data),
		cmocka_unit_test(syn_sent__synack_acks_only_syn__data_resent),
		cmocka_unit_test(syn_sent__synack_acks_only_syn__resend_is_retransmission_sack_resends),
		cmocka_unit_test(syn_sent__blocking_send_pending__synack_ack_rides_on_data),
		cmocka_unit_test(syn_sent__nonblocking_send__synack_acked_at_once),
		cmocka_unit_test(syn_sent__requests_unanswered__exp_form_tried_once),
		cmocka_unit_test(closed__metrics_flushed__cookie_forgotten),
		cmocka_unit_test(syn_sent__deferred_connect_again__eisconn),
		cmocka_unit_test(syn_sent__synack_with_data__data_taken),
		cmocka_unit_test(syn_sent__synack_data_fin__close_wait),
		cmocka_unit_test(syn_sent__synack_data_no_fastopen__data_dropped),
		cmocka_unit_test(syn_sent__synack_bad_tsecr__rst_paws_active),
		cmocka_unit_test(syn_sent__syn_data_blackholed__active_fastopen_paused),
		cmocka_unit_test(closed__fastopen_disabled__eopnotsupp),
		cmocka_unit_test(config__fastopen_key__round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
