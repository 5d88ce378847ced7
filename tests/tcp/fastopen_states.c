/*
 * Fast Open (RFC 7413) meeting the rest of the state machine, as Linux
 * runs it: a simultaneous open whose SYNs both carry data (Linux
 * tcp_rcv_synsent_state_process ignores the peer's SYN data; its SYN-ACK
 * then completes the open and its SYN is a duplicate, D-SACKed), and a
 * FIN in a Fast Open SYN (Linux tcp_fastopen_add_skb calls tcp_fin: the
 * child is in CLOSE-WAIT before its SYN-ACK is acked, and that SYN-ACK is
 * still retransmitted until it is).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_sent__simultaneous_fast_open__synack_dsacked),
		cmocka_unit_test(syn_recv__simultaneous_synack_short_of_syn_data__stays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
