/*
 * Fast Open (RFC 7413) meeting the rest of the state machine, as Linux
 * runs it: a simultaneous open whose SYNs both carry data (Linux
 * tcp_rcv_synsent_state_process ignores the peer's SYN data; its SYN-ACK
 * then completes the open and its SYN is a duplicate, D-SACKed), and a
 * server's Fast Open child that closes before its SYN-ACK is acked (Linux
 * keeps the request, fastopen_rsk, in FIN-WAIT-1: the SYN-ACK alone is
 * retransmitted until it is acked). A SYN with FIN never makes a child.
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

static struct tcp_opts opts_tfo(const uint8_t *cookie, uint8_t len)
{
	struct tcp_opts o = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_tfo = true,
			     .tfo_len = len};
	if (len)
		memcpy(o.tfo_cookie, cookie, len);
	return o;
}

/* A non-blocking client socket bound to lport. */
static int tfo_client(struct scn *t, uint16_t lport)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(lport)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static ssize_t tfo_sendto(struct scn *t, int fd, const char *data)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	return synack_sendto(t->st, fd, data, strlen(data), MSG_FASTOPEN, (struct sockaddr *)&to,
			     sizeof(to));
}

/* Cache a cookie for R_ADDR through a first connection from lport. */
static void warm_cookie(struct scn *t, uint16_t lport, uint64_t at)
{
	int fd = tfo_client(t, lport);
	assert_int_equal(tfo_sendto(t, fd, ""), -1);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	uint8_t ck[8] = {0xab, 0xcd, 0x12, 0x34, 0xab, 0xcd, 0x12, 0x34};
	struct tcp_opts ans = opts_tfo(ck, 8);
	scn_inject(t, at, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s.seq + 1, .opt = &ans,
			      .dport = lport));
	assert_true(scn_pop(t, &s, NULL));
}

/* ---- Simultaneous open ------------------------------------------------ */

/* Both SYNs carry data (simultaneous-fast-open.pkt). The peer's SYN moves
 * us to SYN-RECEIVED and draws a bare SYN-ACK acking only its SYN (Linux
 * does not take SYN data in a simultaneous open). Its SYN-ACK acking all
 * our data completes the open; that SYN lies below RCV.NXT, a duplicate
 * for Linux's tcp_data_queue: the ACK goes at once with a D-SACK of the
 * SYN's number (RFC 2883), DelayedACKLost and TCPDSACKOldSent count it.
 * The peer then sends its data again. */
static void syn_sent__simultaneous_fast_open__synack_dsacked(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	warm_cookie(t, L_PORT + 1, 10);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hello"), 5);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.len, 5);
	uint32_t iss = s.seq;
	uint8_t other[8] = {8, 7, 6, 5, 4, 3, 2, 1};
	struct tcp_opts o = opts_tfo(other, 8);
	scn_inject(t, 15, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "abc"));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ACK);
	assert_int_equal(s.seq, iss);
	assert_int_equal(s.ack, R_ISS + 1);
	assert_int_equal(s.len, 0);
	assert_false(s.opt.has_tfo);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_RECV);

	struct tcp_opts sa = {.has_mss = true, .mss = 1460, .sack_ok = true};
	scn_inject(t, 60, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 6, .opt = &sa));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_int_equal(s.seq, iss + 6);
	assert_int_equal(s.ack, R_ISS + 1);
	assert_int_equal(s.opt.nsack, 1);
	assert_int_equal(s.opt.sack[0].start, R_ISS);
	assert_int_equal(s.opt.sack[0].end, R_ISS + 1);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKLost"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPDSACKOldSent"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPSYNChallenge"), 0);

	/* The peer resends its data; the D-SACK was said once. */
	scn_inject(t, 160, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 6, .data = "abc"));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_int_equal(s.ack, R_ISS + 4);
	assert_int_equal(s.opt.nsack, 0);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 3);
	assert_memory_equal(b, "abc", 3);
	scn_free(t);
}

/* A SYN-ACK that acks our SYN but not the data our SYN carried is not
 * the simultaneous open's SYN-ACK (Linux compares SEG.ACK with snd_nxt,
 * past the data): an old SYN, answered with an ACK and dropped; the open
 * stays in SYN-RECEIVED. */
static void syn_recv__simultaneous_synack_short_of_syn_data__stays(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	warm_cookie(t, L_PORT + 1, 10);
	int fd = tfo_client(t, L_PORT);
	assert_int_equal(tfo_sendto(t, fd, "hello"), 5);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	uint32_t iss = s.seq;
	scn_inject(t, 15, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ACK);
	scn_inject(t, 60, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_int_equal(s.ack, R_ISS + 1);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_RECV);
	scn_free(t);
}

/* ---- A Fast Open child closing before its SYN-ACK is acked ---------- */

/* Get the listener's cookie for R_ADDR with a request from port rport,
 * then reset that request so its SYN-ACKs stay out of the way. */
static void get_cookie(struct scn *t, uint16_t rport, uint8_t cookie[8])
{
	struct tcp_opts req = opts_tfo(NULL, 0);
	scn_inject(t, t->now / 1000, SEG(.flags = SYN, .seq = R_ISS, .opt = &req, .sport = rport));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ACK);
	assert_int_equal(s.opt.tfo_len, 8);
	memcpy(cookie, s.opt.tfo_cookie, 8);
	scn_inject(t, t->now / 1000, SEG(.flags = RST, .seq = R_ISS + 1, .sport = rport));
	scn_expect_none(t);
}

/* A listener; at 10 ms a SYN with a valid cookie and "hello" makes a
 * child, accepted and read at once. Returns its fd; *iss our ISS. */
static int tfo_child(struct scn *t, uint32_t *iss)
{
	int lfd = fx_listen(t);
	uint8_t ck[8];
	get_cookie(t, R_PORT + 1, ck);
	struct tcp_opts o = opts_tfo(ck, 8);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .opt = &o, .data = "hello"));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ACK);
	assert_int_equal(s.ack, R_ISS + 6);
	scn_expect_none(t);
	*iss = s.seq;
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	return fd;
}

static void expect_synack_at(struct scn *t, uint64_t at_ms, uint32_t iss, uint32_t ack)
{
	struct tcp_seg s;
	synack_time_t at;
	assert_true(scn_pop(t, &s, &at));
	assert_int_equal(at, (synack_time_t)at_ms * 1000);
	assert_int_equal(s.flags, SYN | ACK);
	assert_int_equal(s.seq, iss);
	assert_int_equal(s.ack, ack);
	assert_int_equal(s.len, 0);
}

static int sock_error(struct scn *t, int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	return err;
}

/* Linux discards a SYN with FIN in LISTEN (tcp_rcv_state_process)
 * before Fast Open looks at it: no child, no SYN-ACK, even with a valid
 * cookie (so tcp_fastopen_add_skb's FIN case is never reached). */
static void listen__syn_data_fin_valid_cookie__discarded(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	int lfd = fx_listen(t);
	uint8_t ck[8];
	get_cookie(t, R_PORT + 1, ck);
	struct tcp_opts o = opts_tfo(ck, 8);
	scn_inject(t, 10, SEG(.flags = SYN | FIN, .seq = R_ISS, .opt = &o, .data = "hello"));
	scn_expect_none(t);
	assert_int_equal(synack_accept(t->st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(scn_counter(t, "TcpExtTCPFastOpenPassive"), 0);
	scn_free(t);
}

/* close() before the SYN-ACK is acked: FIN-WAIT-1, and the FIN goes at
 * once (a Fast Open child may send before the handshake ends), from
 * ISS+1. The timer, still the SYN-ACK's, resends only the SYN-ACK (Linux
 * keeps fastopen_rsk in FIN-WAIT-1: "before we receive ACK to our
 * SYN-ACK don't retransmit anything else"). The ACK of the SYN-ACK alone
 * leaves the FIN in flight, resent one RTO later (3 s: no RTT sample
 * from a resent SYN-ACK; Linux tcp_rcv_synrecv_state_fastopen rearms);
 * the ACK of the FIN then brings FIN-WAIT-2. */
static void fin_wait1__synack_unacked__synack_resent_then_fin(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	uint32_t iss;
	int fd = tfo_child(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 6, .any_wnd = true));
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	scn_at(t, 1010);
	expect_synack_at(t, 1010, iss, R_ISS + 6);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 1);

	scn_inject(t, 1500, SEG(.flags = ACK, .seq = R_ISS + 6, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	scn_at(t, 4499);
	scn_expect_none(t);
	scn_at(t, 4500);
	scn_expect_at(t, 4500, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 6,
				   .any_wnd = true));
	scn_inject(t, 4600, SEG(.flags = ACK, .seq = R_ISS + 6, .ack = iss + 2));
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT2);
	/* The peer's FIN, then: TIME-WAIT as usual. */
	scn_inject(t, 4700, SEG(.flags = FIN | ACK, .seq = R_ISS + 6, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 7, .any_wnd = true));
	scn_free(t);
}

/* One ACK covering the SYN-ACK and the FIN: FIN-WAIT-2 at once, and the
 * send queue gave up no byte it did not hold (the SYN's number is not
 * data). */
static void fin_wait1__synack_and_fin_acked__fin_wait2(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	uint32_t iss;
	int fd = tfo_child(t, &iss);
	assert_int_equal(synack_send(t->st, fd, "reply", 5, 0), 5);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 6, .data = "reply",
			  .any_wnd = true));
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 6, .ack = R_ISS + 6, .any_wnd = true));
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 6, .ack = iss + 7));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT2);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_unacked, 0);
	scn_at(t, 70000);
	scn_expect_none(t);
	scn_free(t);
}

/* The peer's SYN again while the SYN-ACK is unacked in FIN-WAIT-1: the
 * SYN-ACK goes again (Linux tcp_check_req). Another SYN in the window
 * draws a RST, but the child is not reset by it (tcp_check_req's
 * embryonic reset spares a Fast Open child); TcpAttemptFails counts it.
 * In SYN-RECEIVED the same holds. */
static void fin_wait1__synack_unacked_syn_again__synack_other_syn_rst(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	uint32_t iss;
	int fd = tfo_child(t, &iss);
	/* get_cookie's reset request counted once already. */
	uint64_t fails = scn_counter(t, "TcpAttemptFails");
	uint64_t embryonic = scn_counter(t, "TcpExtEmbryonicRsts");
	scn_inject(t, 100, SEG(.flags = SYN, .seq = R_ISS + 300));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 301, .wnd = 0));
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_RECV);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 6, .any_wnd = true));
	scn_inject(t, 200, SEG(.flags = SYN, .seq = R_ISS, .data = "hello"));
	expect_synack_at(t, 200, iss, R_ISS + 6);
	scn_expect_none(t);
	scn_inject(t, 300, SEG(.flags = SYN, .seq = R_ISS + 100));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 101, .wnd = 0));
	assert_int_equal(scn_counter(t, "TcpAttemptFails"), fails + 2);
	assert_int_equal(scn_counter(t, "TcpExtEmbryonicRsts"), embryonic);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	scn_free(t);
}

/* Never acked: SYN-ACKs at 1, 3, 7, 15, 31 and 63 s (a Fast Open child
 * gets one retry more than tcp_synack_retries), then at 127 s the child
 * ends with ETIMEDOUT (Linux tcp_fastopen_synack_timer, tcp_write_err:
 * TCPAbortOnTimeout), here after shutdown(SHUT_WR) in FIN-WAIT-1. */
static void fin_wait1__synack_never_acked__etimedout_at_127s(void **state)
{
	(void)state;
	struct scn *t = tfo_scn();
	uint32_t iss;
	int fd = tfo_child(t, &iss);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 6, .any_wnd = true));
	static const uint64_t at_ms[] = {1010, 3010, 7010, 15010, 31010, 63010};
	for (size_t i = 0; i < sizeof(at_ms) / sizeof(at_ms[0]); i++) {
		scn_at(t, at_ms[i]);
		expect_synack_at(t, at_ms[i], iss, R_ISS + 6);
		scn_expect_none(t);
	}
	scn_at(t, 127009);
	assert_int_equal(scn_state(t, fd), SYNACK_FIN_WAIT1);
	scn_at(t, 127010);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(sock_error(t, fd), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_sent__simultaneous_fast_open__synack_dsacked),
		cmocka_unit_test(syn_recv__simultaneous_synack_short_of_syn_data__stays),
		cmocka_unit_test(listen__syn_data_fin_valid_cookie__discarded),
		cmocka_unit_test(fin_wait1__synack_unacked__synack_resent_then_fin),
		cmocka_unit_test(fin_wait1__synack_and_fin_acked__fin_wait2),
		cmocka_unit_test(fin_wait1__synack_unacked_syn_again__synack_other_syn_rst),
		cmocka_unit_test(fin_wait1__synack_never_acked__etimedout_at_127s),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
