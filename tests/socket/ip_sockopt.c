/*
 * IPPROTO_IP options of TCP sockets (ip(7)) as Linux takes and reports
 * them (do_ip_setsockopt, do_ip_getsockopt): defaults, round trips,
 * EINVAL for bad values and ENOPROTOOPT for unknown options, and the
 * effect on the wire: IP_TOS's DSCP on every packet (the ECN bits stay
 * TCP's, RFC 3168 5), IP_TTL, children inheriting both, IP_MTU.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "scenario.h"
#include "wire/ipv4.h"

static int new_sock(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	return fd;
}

static void set_int(struct scn *t, int fd, int name, int v)
{
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_IP, name, &v, sizeof(v)), 0);
}

static void set_fails(struct scn *t, int fd, int name, int v, int err)
{
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_IP, name, &v, sizeof(v)), -1);
	assert_int_equal(errno, err);
}

static int get_int(struct scn *t, int fd, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_IP, name, &v, &len), 0);
	assert_int_equal(len, sizeof(int));
	return v;
}

/* The next packet we sent: its TOS byte and TTL, without popping it. */
static void peek_ip(struct scn *t, uint8_t *tos, uint8_t *ttl)
{
	assert_true(t->head < t->nout);
	struct ipv4_hdr ip;
	assert_int_equal(ipv4_parse(&ip, t->out[t->head].data, t->out[t->head].len), IPV4_OK);
	*tos = ip.tos;
	*ttl = ip.ttl;
}

/* Linux defaults: TOS 0, TTL ip_default_ttl (64), IP_RECVERR off,
 * IP_MTU_DISCOVER IP_PMTUDISC_WANT; IP_MTU needs a route (ENOTCONN). */
static void closed__ip_options__linux_defaults(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	assert_int_equal(get_int(t, fd, IP_TOS), 0);
	assert_int_equal(get_int(t, fd, IP_TTL), 64);
	assert_int_equal(get_int(t, fd, IP_RECVERR), 0);
	assert_int_equal(get_int(t, fd, IP_MTU_DISCOVER), IP_PMTUDISC_WANT);
	int v;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_IP, IP_MTU, &v, &len), -1);
	assert_int_equal(errno, ENOTCONN);
	scn_free(t);
}

/* __ip_sock_set_tos: a stream socket keeps its ECN bits (TCP's), so the
 * low two bits of IP_TOS are dropped; a one-byte value is taken too. */
static void closed__ip_tos__dscp_kept_ecn_bits_dropped(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	set_int(t, fd, IP_TOS, 0x13);
	assert_int_equal(get_int(t, fd, IP_TOS), 0x10);
	unsigned char c = 4;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_IP, IP_TOS, &c, 1), 0);
	assert_int_equal(get_int(t, fd, IP_TOS), 4);
	/* A short buffer reads one byte (do_ip_getsockopt). */
	unsigned char out = 0xff;
	socklen_t len = 1;
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_IP, IP_TOS, &out, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(out, 4);
	scn_free(t);
}

/* IP_TTL: 1..255, or -1 for the default; anything else EINVAL. Unknown
 * options (and IP_MTU, which is read-only) are ENOPROTOOPT;
 * IP_MTU_DISCOVER takes 0..5 (IP_PMTUDISC_OMIT). */
static void closed__bad_values__einval_enoprotoopt(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	set_fails(t, fd, IP_TTL, 0, EINVAL);
	set_fails(t, fd, IP_TTL, 256, EINVAL);
	set_fails(t, fd, IP_TTL, -2, EINVAL);
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_IP, IP_TTL, "", 0), -1);
	assert_int_equal(errno, EINVAL);
	set_int(t, fd, IP_TTL, 9);
	assert_int_equal(get_int(t, fd, IP_TTL), 9);
	set_int(t, fd, IP_TTL, -1);
	assert_int_equal(get_int(t, fd, IP_TTL), 64);
	set_fails(t, fd, IP_MTU_DISCOVER, 6, EINVAL);
	set_fails(t, fd, IP_MTU_DISCOVER, -1, EINVAL);
	set_int(t, fd, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
	assert_int_equal(get_int(t, fd, IP_MTU_DISCOVER), IP_PMTUDISC_DONT);
	set_int(t, fd, IP_RECVERR, 5);
	assert_int_equal(get_int(t, fd, IP_RECVERR), 1);
	set_fails(t, fd, IP_MTU, 1400, ENOPROTOOPT);
	set_fails(t, fd, IP_HDRINCL, 1, ENOPROTOOPT);
	set_fails(t, fd, 200, 1, ENOPROTOOPT);
	int v;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_IP, 200, &v, &len), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	scn_free(t);
}

/* Every packet of the socket carries IP_TOS and IP_TTL: the SYN, the
 * ACK, data; IP_MTU on the connected socket is the path MTU. */
static void active__tos_ttl__on_every_packet(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	set_int(t, fd, IP_TOS, 0x28);
	set_int(t, fd, IP_TTL, 7);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	uint8_t tos, ttl;
	peek_ip(t, &tos, &ttl);
	assert_int_equal(tos, 0x28);
	assert_int_equal(ttl, 7);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .tos = 0x28));
	assert_int_equal(get_int(t, fd, IP_MTU), 1500);
	/* Changing it mid-connection applies to the next packet. */
	set_int(t, fd, IP_TOS, 0xb8);
	set_int(t, fd, IP_TTL, -1);
	assert_int_equal(synack_send(t->st, fd, "hi", 2, 0), 2);
	peek_ip(t, &tos, &ttl);
	assert_int_equal(ttl, 64);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "hi",
			  .tos = 0xb8));
	scn_free(t);
}

/* A listener's IP_TOS and IP_TTL go on its SYN-ACKs and to its children
 * (Linux clones inet_sk). */
static void listen__tos_ttl__synack_and_child(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	set_int(t, lfd, IP_TOS, 0x20);
	set_int(t, lfd, IP_TTL, 100);
	int v;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, lfd, IPPROTO_IP, IP_MTU, &v, &len), -1);
	assert_int_equal(errno, ENOTCONN);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint8_t tos, ttl;
	peek_ip(t, &tos, &ttl);
	assert_int_equal(tos, 0x20);
	assert_int_equal(ttl, 100); /* Linux ip_build_and_send_pkt: the listener's TTL */
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(get_int(t, fd, IP_TOS), 0x20);
	assert_int_equal(get_int(t, fd, IP_TTL), 100);
	assert_int_equal(synack_send(t->st, fd, "x", 1, 0), 1);
	peek_ip(t, &tos, &ttl);
	assert_int_equal(ttl, 100);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "x",
			  .tos = 0x20));
	scn_free(t);
}

/* With ECN agreed, new data carries IP_TOS's DSCP and ECT(0) together. */
static void estab_ecn__tos__dscp_and_ect0(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	set_int(t, lfd, IP_TOS, 0x10);
	scn_inject(t, 0, SEG(.flags = SYN | TCP_ECE | TCP_CWR, .seq = R_ISS, .mss = 1460));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN | ACK | TCP_ECE);
	assert_int_equal(s.tos, 0x10);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s.seq + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_int_equal(synack_send(t->st, fd, "x", 1, 0), 1);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = s.seq + 1, .ack = R_ISS + 1, .data = "x",
			  .tos = 0x10 | IP_ECN_ECT0));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closed__ip_options__linux_defaults),
		cmocka_unit_test(closed__ip_tos__dscp_kept_ecn_bits_dropped),
		cmocka_unit_test(closed__bad_values__einval_enoprotoopt),
		cmocka_unit_test(active__tos_ttl__on_every_packet),
		cmocka_unit_test(listen__tos_ttl__synack_and_child),
		cmocka_unit_test(estab_ecn__tos__dscp_and_ect0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
