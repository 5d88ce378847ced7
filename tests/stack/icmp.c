/*
 * ICMP through synack_input (RFC 792, RFC 1122 3.2.2 and 4.2.3.9, RFC 5927):
 * echo replies, protocol unreachable for what we cannot deliver, and
 * errors about our TCP segments as Linux's tcp_v4_err takes them: fatal in
 * SYN-SENT, soft (reported only on timeout) once synchronized, ignored
 * outside [SND.UNA, SND.NXT].
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define ROUTER 0x0a0000feu /* 10.0.0.254, a router on the path */

/* The next packet the stack sent, whatever its protocol. */
static const uint8_t *pop_raw(struct scn *t, size_t *len)
{
	if (t->head >= t->nout)
		return NULL;
	struct scn_pkt *p = &t->out[t->head++];
	*len = p->len;
	return p->data;
}

/* An ICMP message from src to us. */
static size_t icmp_pkt(uint8_t *out, uint32_t src, uint8_t type, uint8_t code, uint32_t rest,
		       const uint8_t *body, size_t blen)
{
	size_t n = icmp_emit(out + IPV4_HDR_LEN, type, code, rest, body, blen);
	ipv4_emit(out, src, L_ADDR, IPPROTO_ICMP_, 64, 7, (uint16_t)n, 0);
	return n + IPV4_HDR_LEN;
}

/* Deliver an ICMP error quoting the first 28 bytes (IP header + 8) of a
 * packet we sent. */
static void icmp_about(struct scn *t, uint64_t at, uint8_t type, uint8_t code,
		       const uint8_t *ours)
{
	uint8_t pkt[128];
	size_t n = icmp_pkt(pkt, ROUTER, type, code, 0, ours, IPV4_HDR_LEN + 8);
	scn_inject_raw(t, at, pkt, n);
}

/* The same, with the quoted TCP sequence number replaced. */
static void icmp_about_seq(struct scn *t, uint64_t at, uint8_t type, uint8_t code,
			   const uint8_t *ours, uint32_t seq)
{
	uint8_t q[28];
	memcpy(q, ours, sizeof(q));
	q[24] = (uint8_t)(seq >> 24), q[25] = (uint8_t)(seq >> 16);
	q[26] = (uint8_t)(seq >> 8), q[27] = (uint8_t)seq;
	icmp_about(t, at, type, code, q);
}

static int so_error(struct scn *t, int fd)
{
	int e = -1;
	socklen_t len = sizeof(e);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	return e;
}

/* A socket in SYN-SENT at t = 0; *syn is a copy of the SYN it sent. */
static int syn_sent(struct scn *t, uint8_t syn[64])
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	size_t len = 0;
	const uint8_t *p = pop_raw(t, &len);
	assert_non_null(p);
	assert_true(len <= 64);
	memcpy(syn, p, len);
	assert_int_equal(syn[9], IPPROTO_TCP_);
	return fd;
}

/* Established with an RTT of 100 ms (RTO 300 ms), 4 bytes sent at 1 s and
 * unacknowledged; *seg is a copy of that data segment. */
static int estab_with_data(struct scn *t, uint32_t *iss, uint8_t seg[128])
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	*iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, "data", 4, 0), 4);
	size_t len = 0;
	const uint8_t *p = pop_raw(t, &len);
	assert_non_null(p);
	memcpy(seg, p, len);
	return fd;
}

/* ===== Echo ============================================================= */

/* RFC 792 echo: the reply swaps the addresses and returns identifier,
 * sequence number and data unchanged, with a valid checksum. */
static void echo__request__reply_mirrors_request(void **state)
{
	struct scn *t = scn_new(NULL);
	uint8_t data[56];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	uint8_t pkt[128];
	size_t n = icmp_pkt(pkt, R_ADDR, ICMP_ECHO_, 0, 0x1234abcd, data, sizeof(data));
	scn_inject_raw(t, 5, pkt, n);
	size_t len = 0;
	const uint8_t *r = pop_raw(t, &len);
	assert_non_null(r);
	assert_int_equal(len, IPV4_HDR_LEN + 8 + sizeof(data));
	struct ipv4_hdr ip;
	assert_int_equal(ipv4_parse(&ip, r, len), IPV4_OK);
	assert_int_equal(ip.proto, IPPROTO_ICMP_);
	assert_int_equal(ip.saddr, L_ADDR);
	assert_int_equal(ip.daddr, R_ADDR);
	struct icmp_msg m;
	assert_int_equal(icmp_parse(&m, ip.payload, ip.payload_len), 0); /* checksum */
	assert_int_equal(m.type, ICMP_ECHOREPLY_);
	assert_int_equal(m.code, 0);
	assert_int_equal(m.rest, 0x1234abcd);
	assert_int_equal(m.body_len, sizeof(data));
	assert_memory_equal(m.body, data, sizeof(data));
	assert_null(pop_raw(t, &len));
	assert_int_equal(scn_counter(t, "IcmpInEchos"), 1);
	assert_int_equal(scn_counter(t, "IcmpOutEchoReps"), 1);
	assert_int_equal(scn_counter(t, "IcmpInMsgs"), 1);
	assert_int_equal(scn_counter(t, "IcmpOutMsgs"), 1);
	scn_free(t);
}

/* A corrupt ICMP checksum: IcmpInErrors and IcmpInCsumErrors, no reply. */
static void echo__bad_checksum__dropped_counted(void **state)
{
	struct scn *t = scn_new(NULL);
	uint8_t pkt[128];
	size_t n = icmp_pkt(pkt, R_ADDR, ICMP_ECHO_, 0, 0x00010001, (const uint8_t *)"ping", 4);
	pkt[n - 1] ^= 0x10;
	scn_inject_raw(t, 5, pkt, n);
	size_t len = 0;
	assert_null(pop_raw(t, &len));
	assert_int_equal(scn_counter(t, "IcmpInErrors"), 1);
	assert_int_equal(scn_counter(t, "IcmpInCsumErrors"), 1);
	assert_int_equal(scn_counter(t, "IcmpInEchos"), 0);
	scn_free(t);
}

/* ===== Protocol unreachable ============================================ */

/* RFC 1122 3.2.2.1 / Linux ip_protocol_deliver_rcu: an unknown protocol
 * is IpInUnknownProtos and answered with protocol unreachable. Linux's
 * icmp_send quotes as much of the datagram as fits in 576 bytes
 * (RFC 1812 4.3.2.3): here all of it; a larger one is cut at 548. */
static void unknown_protocol__protocol_unreachable_quoting_datagram(void **state)
{
	static const size_t sizes[] = {100, 1000};
	for (size_t k = 0; k < 2; k++) {
		struct scn *t = scn_new(NULL);
		uint8_t pkt[1100];
		for (size_t i = 0; i < sizes[k]; i++)
			pkt[IPV4_HDR_LEN + i] = (uint8_t)i;
		ipv4_emit(pkt, R_ADDR, L_ADDR, 253, 64, 99, (uint16_t)sizes[k], 1);
		size_t n = IPV4_HDR_LEN + sizes[k];
		scn_inject_raw(t, 5, pkt, n);
		size_t len = 0;
		const uint8_t *r = pop_raw(t, &len);
		assert_non_null(r);
		struct ipv4_hdr ip;
		assert_int_equal(ipv4_parse(&ip, r, len), IPV4_OK);
		assert_int_equal(ip.proto, IPPROTO_ICMP_);
		assert_int_equal(ip.daddr, R_ADDR);
		struct icmp_msg m;
		assert_int_equal(icmp_parse(&m, ip.payload, ip.payload_len), 0);
		assert_int_equal(m.type, ICMP_DEST_UNREACH_);
		assert_int_equal(m.code, ICMP_PROT_UNREACH_);
		assert_int_equal(m.rest, 0);
		size_t want = n < 548 ? n : 548;
		assert_int_equal(m.body_len, want);
		assert_memory_equal(m.body, pkt, want);
		assert_int_equal(scn_counter(t, "IpInUnknownProtos"), 1);
		assert_int_equal(scn_counter(t, "IcmpOutDestUnreachs"), 1);
		assert_null(pop_raw(t, &len));
		scn_free(t);
	}
}

/* ===== Errors in SYN-SENT: the attempt ends at once ==================== */

struct syn_sent_row {
	const char *name;
	uint8_t type, code;
	int err;
};

/* Linux tcp_v4_err + icmp_err_convert: in SYN-SENT any of these aborts
 * the connect with the mapped errno (LINUX-SEMANTICS 7). */
static const struct syn_sent_row syn_sent_rows[] = {
	{"port unreachable", ICMP_DEST_UNREACH_, ICMP_PORT_UNREACH_, ECONNREFUSED},
	{"host unreachable", ICMP_DEST_UNREACH_, ICMP_HOST_UNREACH_, EHOSTUNREACH},
	{"net unreachable", ICMP_DEST_UNREACH_, ICMP_NET_UNREACH_, ENETUNREACH},
	{"protocol unreachable", ICMP_DEST_UNREACH_, ICMP_PROT_UNREACH_, ENOPROTOOPT},
	{"admin prohibited", ICMP_DEST_UNREACH_, 13, EHOSTUNREACH},
	{"time exceeded", ICMP_TIME_EXCEEDED_, 0, EHOSTUNREACH},
	{"parameter problem", ICMP_PARAMETERPROB_, 0, EPROTO},
};

static void syn_sent__icmp_error__connect_fails(void **state)
{
	for (size_t i = 0; i < sizeof(syn_sent_rows) / sizeof(syn_sent_rows[0]); i++) {
		const struct syn_sent_row *r = &syn_sent_rows[i];
		struct scn *t = scn_new(NULL);
		uint8_t syn[64];
		int fd = syn_sent(t, syn);
		icmp_about(t, 300, r->type, r->code, syn);
		if (scn_state(t, fd) != SYNACK_CLOSE) {
			fprintf(stderr, "%s: still in state %d\n", r->name, scn_state(t, fd));
			fail();
		}
		assert_int_equal(so_error(t, fd), r->err);
		assert_int_equal(scn_counter(t, "TcpAttemptFails"), 1);
		scn_at(t, 10000);
		size_t len = 0;
		assert_null(pop_raw(t, &len)); /* no RST, no more SYNs */
		scn_free(t);
	}
}

/* The failed connect's error also goes to the next connect() (Linux
 * inet_stream_connect), once. */
static void syn_sent__port_unreachable__connect_reports_econnrefused(void **state)
{
	struct scn *t = scn_new(NULL);
	uint8_t syn[64];
	int fd = syn_sent(t, syn);
	icmp_about(t, 300, ICMP_DEST_UNREACH_, ICMP_PORT_UNREACH_, syn);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_connect(t->st, fd, (struct sockaddr *)&to, sizeof(to)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(so_error(t, fd), 0);
	assert_int_equal(scn_counter(t, "IcmpInDestUnreachs"), 1);
	scn_free(t);
}

/* tcp_v4_err: a quoted sequence number outside [SND.UNA, SND.NXT] is
 * ignored and counted OutOfWindowIcmps; the SYN keeps being resent. */
static void syn_sent__icmp_for_other_seq__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	uint8_t syn[64];
	int fd = syn_sent(t, syn);
	uint32_t iss = (uint32_t)syn[24] << 24 | syn[25] << 16 | syn[26] << 8 | syn[27];
	icmp_about_seq(t, 300, ICMP_DEST_UNREACH_, ICMP_PORT_UNREACH_, syn, iss + 1000);
	icmp_about_seq(t, 301, ICMP_DEST_UNREACH_, ICMP_PORT_UNREACH_, syn, iss - 1);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	assert_int_equal(so_error(t, fd), 0);
	assert_int_equal(scn_counter(t, "TcpExtOutOfWindowIcmps"), 2);
	scn_at(t, 1000);
	scn_expect_at(t, 1000, SEG(.flags = SYN, .seq = iss, .wnd = SYN_WND));
	scn_free(t);
}

/* ===== Errors once synchronized: soft ================================== */

/* RFC 1122 4.2.3.9 / Linux: in ESTABLISHED a host unreachable is only
 * remembered; the connection stays, SO_ERROR shows nothing and poll no
 * EPOLLERR. If it then times out (tcp_retries2 3), the error reported is
 * the remembered EHOSTUNREACH, not ETIMEDOUT. */
static void estab__host_unreachable__soft_until_timeout(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_retries2", "3"), 0);
	uint32_t iss;
	uint8_t seg[128];
	int fd = estab_with_data(t, &iss, seg);
	icmp_about(t, 1100, ICMP_DEST_UNREACH_, ICMP_HOST_UNREACH_, seg);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(so_error(t, fd), 0);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLERR, 0);
	scn_at(t, 5499);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 5500);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), EHOSTUNREACH);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	scn_free(t);
}

/* Linux tcp_ack clears the soft error on every acceptable ACK ("something
 * worked"): a later timeout is plain ETIMEDOUT. */
static void estab__soft_error_then_ack__timeout_is_etimedout(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_retries2", "3"), 0);
	uint32_t iss;
	uint8_t seg[128];
	int fd = estab_with_data(t, &iss, seg);
	icmp_about(t, 1100, ICMP_DEST_UNREACH_, ICMP_HOST_UNREACH_, seg);
	scn_inject(t, 1150, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 5));
	scn_at(t, 2000);
	assert_int_equal(synack_send(t->st, fd, "more", 4, 0), 4);
	scn_at(t, 20000);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), ETIMEDOUT);
	scn_free(t);
}

/* A quoted sequence number below SND.UNA or above SND.NXT: ignored,
 * OutOfWindowIcmps; the timeout then reports ETIMEDOUT. */
static void estab__icmp_outside_window__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_retries2", "3"), 0);
	uint32_t iss;
	uint8_t seg[128];
	int fd = estab_with_data(t, &iss, seg);
	icmp_about_seq(t, 1100, ICMP_DEST_UNREACH_, ICMP_HOST_UNREACH_, seg, iss);
	icmp_about_seq(t, 1101, ICMP_DEST_UNREACH_, ICMP_HOST_UNREACH_, seg, iss + 6);
	assert_int_equal(scn_counter(t, "TcpExtOutOfWindowIcmps"), 2);
	/* SND.NXT itself is inside (tcp_v4_err's between(seq, una, nxt)). */
	icmp_about_seq(t, 1102, ICMP_DEST_UNREACH_, ICMP_NET_UNREACH_, seg, iss + 5);
	assert_int_equal(scn_counter(t, "TcpExtOutOfWindowIcmps"), 2);
	scn_at(t, 5500);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(so_error(t, fd), ENETUNREACH);
	scn_free(t);
}

/* tcp_v4_err: an error about no connection of ours is IcmpInErrors. */
static void no_connection__icmp_error__icmp_in_errors(void **state)
{
	struct scn *t = scn_new(NULL);
	uint8_t q[28];
	ipv4_emit(q, L_ADDR, R_ADDR, IPPROTO_TCP_, 64, 1, 20, 1);
	memset(q + 20, 0, 8);
	q[20] = 0, q[21] = 80, q[22] = 0x9c, q[23] = 0x40; /* 80 -> 40000 */
	icmp_about(t, 5, ICMP_DEST_UNREACH_, ICMP_PORT_UNREACH_, q);
	size_t len = 0;
	assert_null(pop_raw(t, &len));
	assert_int_equal(scn_counter(t, "IcmpInDestUnreachs"), 1);
	assert_int_equal(scn_counter(t, "IcmpInErrors"), 1);
	scn_free(t);
}

/* ===== Errors about a SYN-ACK (Linux tcp_req_err) ====================== */

/* A request in SYN-RECEIVED is dropped silently (ListenDrops) by a host or
 * net unreachable, time exceeded or parameter problem quoting its ISS; a
 * port unreachable leaves it alone. */
static void syn_recv__host_unreachable__request_dropped(void **state)
{
	for (int v = 0; v < 2; v++) {
		struct scn *t = scn_new(NULL);
		int lfd = fx_listen(t);
		scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
		size_t len = 0;
		const uint8_t *p = pop_raw(t, &len);
		assert_non_null(p);
		uint8_t synack[64];
		memcpy(synack, p, len);
		uint8_t code = v == 0 ? ICMP_HOST_UNREACH_ : ICMP_PORT_UNREACH_;
		icmp_about(t, 100, ICMP_DEST_UNREACH_, code, synack);
		if (v == 0) {
			assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
			assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 1);
			scn_at(t, 5000);
			assert_null(pop_raw(t, &len)); /* no more SYN-ACKs */
		} else {
			assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
			assert_int_equal(scn_counter(t, "TcpExtListenDrops"), 0);
			scn_at(t, 1000);
			assert_non_null(pop_raw(t, &len)); /* resent at 1 s */
		}
		assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
		scn_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echo__request__reply_mirrors_request),
		cmocka_unit_test(echo__bad_checksum__dropped_counted),
		cmocka_unit_test(unknown_protocol__protocol_unreachable_quoting_datagram),
		cmocka_unit_test(syn_sent__icmp_error__connect_fails),
		cmocka_unit_test(syn_sent__port_unreachable__connect_reports_econnrefused),
		cmocka_unit_test(syn_sent__icmp_for_other_seq__ignored),
		cmocka_unit_test(estab__host_unreachable__soft_until_timeout),
		cmocka_unit_test(estab__soft_error_then_ack__timeout_is_etimedout),
		cmocka_unit_test(estab__icmp_outside_window__ignored),
		cmocka_unit_test(no_connection__icmp_error__icmp_in_errors),
		cmocka_unit_test(syn_recv__host_unreachable__request_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
