/*
 * Path MTU discovery (RFC 1191, RFC 1122 4.2.2.6) as Linux runs it:
 * segments carry DF; an ICMP "fragmentation needed" quoting a sequence
 * number in [SND.UNA, SND.NXT] (tcp_v4_err) lowers the destination's
 * path MTU in the stack's cache (ip_rt_update_pmtu: never up, at least
 * route.min_pmtu 552, locked and without DF below it, forgotten after
 * route.mtu_expires 600 s); the MSS follows (tcp_sync_mss) and what no
 * longer fits is resent at once in pieces of the new size, cwnd kept
 * (tcp_simple_retransmit). New connections start from the cached MTU.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define ROUTER 0x0a0000feu /* 10.0.0.254, a router on the path */
#define MSS 1460

static char payload[8 * MSS];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)('a' + i % 26);
	return 0;
}

static struct tcp_info info_of(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/* A router's "fragmentation needed" with next-hop MTU mtu about our
 * segment from lport with sequence number seq (RFC 1191 4: IP header and
 * the first 8 bytes of the datagram). */
static void frag_needed(struct scn *t, uint64_t at, uint16_t lport, uint32_t seq, uint16_t mtu)
{
	uint8_t quote[IPV4_HDR_LEN + 8], pkt[128];
	ipv4_emit(quote, L_ADDR, R_ADDR, IPPROTO_TCP_, 64, 1, 1480, 1);
	uint8_t *th = quote + IPV4_HDR_LEN;
	th[0] = (uint8_t)(lport >> 8), th[1] = (uint8_t)lport;
	th[2] = (uint8_t)(R_PORT >> 8), th[3] = (uint8_t)R_PORT;
	th[4] = (uint8_t)(seq >> 24), th[5] = (uint8_t)(seq >> 16);
	th[6] = (uint8_t)(seq >> 8), th[7] = (uint8_t)seq;
	size_t n = icmp_emit(pkt + IPV4_HDR_LEN, ICMP_DEST_UNREACH_, ICMP_FRAG_NEEDED_, mtu, quote,
			     sizeof(quote));
	ipv4_emit(pkt, ROUTER, L_ADDR, IPPROTO_ICMP_, 64, 7, (uint16_t)n, 0);
	scn_inject_raw(t, at, pkt, n + IPV4_HDR_LEN);
}

/* DF of the next packet the stack sent (not consumed). */
static int next_df(struct scn *t)
{
	assert_true(t->head < t->nout);
	struct ipv4_hdr ip;
	assert_int_equal(ipv4_parse(&ip, t->out[t->head].data, t->out[t->head].len), IPV4_OK);
	return ip.df;
}

/* An established connection from lport to the peer (MSS 1460, no
 * timestamps); *iss is our ISS. */
static int established(struct scn *t, uint16_t lport, uint32_t *iss, uint16_t *syn_mss)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(lport)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	struct tcp_seg syn;
	assert_true(scn_pop(t, &syn, NULL));
	assert_int_equal(syn.flags, SYN);
	*syn_mss = syn.opt.mss;
	*iss = syn.seq;
	scn_inject(t, t->now / 1000, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = *iss + 1,
					 .mss = MSS, .dport = lport));
	/* Our first window: the 64 KiB space rounded down to the MSS we
	 * advertised (Linux tcp_select_initial_window): 64240 at 1460,
	 * 65280 at 1360. */
	int32_t wnd = 65536 / syn.opt.mss * syn.opt.mss;
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 1, .ack = R_ISS + 1, .dport = lport,
			  .wnd = wnd));
	return fd;
}

/* Two full segments out, then "fragmentation needed, MTU 1400" about the
 * first: both go again at once as 1360 + 100 bytes each (Linux
 * tcp_fragment at the new MSS; the 100-byte rest is not joined to the
 * next segment, which does not fit beside it), cwnd unchanged; DF on
 * every segment; tcpi_pmtu and tcpi_snd_mss follow. */
static void estab__frag_needed_1400__resent_as_1360_at_once(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	uint16_t syn_mss;
	int fd = established(t, L_PORT, &iss, &syn_mss);
	assert_int_equal(syn_mss, 1460);
	assert_int_equal(synack_send(t->st, fd, payload, 2 * MSS, 0), 2 * MSS);
	assert_int_equal(next_df(t), 1);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = MSS, .any_psh = true));
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1 + MSS, .ack = R_ISS + 1,
			  .data = payload + MSS, .len = MSS));
	frag_needed(t, 10, L_PORT, iss + 1, 1400);
	assert_int_equal(next_df(t), 1);
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
				 .len = 1360, .any_psh = true));
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = iss + 1 + 1360, .ack = R_ISS + 1,
				 .data = payload + 1360, .len = 100, .any_psh = true));
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = iss + 1 + MSS, .ack = R_ISS + 1,
				 .data = payload + MSS, .len = 1360, .any_psh = true));
	scn_expect_at(t, 10, SEG(.flags = ACK | PSH, .seq = iss + 1 + MSS + 1360, .ack = R_ISS + 1,
				 .data = payload + MSS + 1360, .len = 100));
	scn_expect_none(t);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_pmtu, 1400);
	assert_int_equal(ti.tcpi_snd_mss, 1360);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_total_retrans, 4);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 4);
	assert_int_equal(scn_counter(t, "TcpExtTCPSlowStartRetrans"), 4);
	assert_int_equal(scn_counter(t, "IcmpInDestUnreachs"), 1);
	assert_int_equal(scn_counter(t, "TcpExtOutOfWindowIcmps"), 0);
	/* Everything acked: new data goes in 1360-byte segments. */
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 2 * MSS));
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, payload, 2000, 0), 2000);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1 + 2 * MSS, .ack = R_ISS + 1, .data = payload,
			  .len = 1360, .any_psh = true));
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1 + 2 * MSS + 1360, .ack = R_ISS + 1,
			  .data = payload + 1360, .len = 640));
	scn_free(t);
}

/* Linux tcp_v4_err: an error quoting a sequence number outside
 * [SND.UNA, SND.NXT] is not about a segment in flight (RFC 5927 4.1):
 * dropped, OutOfWindowIcmps; the path MTU stays. */
static void estab__frag_needed_seq_outside_window__ignored(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	uint16_t syn_mss;
	int fd = established(t, L_PORT, &iss, &syn_mss);
	assert_int_equal(synack_send(t->st, fd, payload, MSS, 0), MSS);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = MSS));
	frag_needed(t, 10, L_PORT, iss + 1 + MSS + 1, 1400); /* past SND.NXT */
	frag_needed(t, 11, L_PORT, iss, 1400);               /* below SND.UNA */
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtOutOfWindowIcmps"), 2);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_pmtu, 1500);
	assert_int_equal(ti.tcpi_snd_mss, MSS);
	/* SND.NXT itself is in the window Linux accepts (between()). */
	frag_needed(t, 12, L_PORT, iss + 1 + MSS, 1400);
	scn_expect_at(t, 12, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
				 .len = 1360, .any_psh = true));
	scn_expect_at(t, 12, SEG(.flags = ACK | PSH, .seq = iss + 1 + 1360, .ack = R_ISS + 1,
				 .data = payload + 1360, .len = 100));
	scn_expect_none(t);
	scn_free(t);
}

/* Linux __ip_rt_update_pmtu: an MTU above the current one is ignored;
 * one below route.min_pmtu (552) becomes 552, locked: the MSS is 512 and
 * TCP now goes without DF (ip_dont_fragment), so later reports change
 * nothing until the entry expires. */
static void estab__frag_needed_tiny_mtu__clamped_to_552_without_df(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	uint16_t syn_mss;
	int fd = established(t, L_PORT, &iss, &syn_mss);
	assert_int_equal(synack_send(t->st, fd, payload, MSS, 0), MSS);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = MSS));
	frag_needed(t, 5, L_PORT, iss + 1, 9000); /* larger: ignored */
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_pmtu, 1500);
	frag_needed(t, 10, L_PORT, iss + 1, 200);
	assert_int_equal(next_df(t), 0);
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
				 .len = 512, .any_psh = true));
	assert_int_equal(next_df(t), 0);
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = iss + 1 + 512, .ack = R_ISS + 1,
				 .data = payload + 512, .len = 512, .any_psh = true));
	scn_expect_at(t, 10, SEG(.flags = ACK | PSH, .seq = iss + 1 + 1024, .ack = R_ISS + 1,
				 .data = payload + 1024, .len = MSS - 1024));
	scn_expect_none(t);
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_pmtu, 552);
	assert_int_equal(ti.tcpi_snd_mss, 512);
	/* Locked: a later, smaller report is not taken. */
	frag_needed(t, 20, L_PORT, iss + 1, 400);
	scn_expect_none(t);
	assert_int_equal(info_of(t, fd).tcpi_pmtu, 552);
	scn_free(t);
}

/* The cache is the stack's, per destination: the next connection to
 * the peer advertises and uses the learned path MTU (Linux's route
 * exception); after route.mtu_expires (600 s) it is forgotten, a new
 * SYN offers 1460 again and the old connection's MSS grows back
 * (tcp_current_mss re-syncs with the route). */
static void cache__next_connection__starts_at_learned_mtu_until_expiry(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	uint16_t syn_mss;
	int fd = established(t, L_PORT, &iss, &syn_mss);
	assert_int_equal(synack_send(t->st, fd, payload, MSS, 0), MSS);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = MSS));
	frag_needed(t, 10, L_PORT, iss + 1, 1400);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = 1360, .any_psh = true));
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1 + 1360, .ack = R_ISS + 1,
			  .data = payload + 1360, .len = 100));
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + MSS));

	uint32_t iss2;
	int fd2 = established(t, L_PORT + 1, &iss2, &syn_mss);
	assert_int_equal(syn_mss, 1360);
	struct tcp_info ti = info_of(t, fd2);
	assert_int_equal(ti.tcpi_pmtu, 1400);
	assert_int_equal(ti.tcpi_snd_mss, 1360);
	assert_int_equal(ti.tcpi_advmss, 1360);

	/* 600 s after the report the entry is gone. */
	scn_at(t, 10 + 600000 - 1);
	uint32_t iss3;
	int fd3 = established(t, L_PORT + 2, &iss3, &syn_mss);
	assert_int_equal(syn_mss, 1360);
	(void)fd3;
	scn_at(t, 10 + 600000);
	uint32_t iss4;
	int fd4 = established(t, L_PORT + 3, &iss4, &syn_mss);
	assert_int_equal(syn_mss, 1460);
	assert_int_equal(info_of(t, fd4).tcpi_pmtu, 1500);
	/* The first connection's next segment is a full 1460 again. */
	assert_int_equal(synack_send(t->st, fd, payload, MSS, 0), MSS);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1 + MSS, .ack = R_ISS + 1,
			  .data = payload, .len = MSS));
	assert_int_equal(info_of(t, fd).tcpi_pmtu, 1500);
	scn_free(t);
}

/* SYN-SENT, a SYN without data: nothing in flight is too big, so
 * nothing goes at once (tcp_simple_retransmit finds nothing), but the
 * MSS taken from the SYN-ACK is the path's (tcp_sync_mss with the
 * cookie) and the SYN resent at its timeout advertises 1360
 * (tcp_advertise_mss). */
static void syn_sent__frag_needed__mss_from_path(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	struct tcp_seg syn;
	assert_true(scn_pop(t, &syn, NULL));
	frag_needed(t, 10, L_PORT, syn.seq, 1400);
	scn_expect_none(t);
	scn_at(t, 1000);
	assert_true(scn_pop(t, &syn, NULL));
	assert_int_equal(syn.flags, SYN);
	assert_int_equal(syn.opt.mss, 1360);
	scn_inject(t, 1010, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = syn.seq + 1, .mss = MSS));
	scn_expect(t, SEG(.flags = ACK, .seq = syn.seq + 1, .ack = R_ISS + 1));
	struct tcp_info ti = info_of(t, fd);
	assert_int_equal(ti.tcpi_snd_mss, 1360);
	assert_int_equal(ti.tcpi_pmtu, 1400);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__frag_needed_1400__resent_as_1360_at_once),
		cmocka_unit_test(estab__frag_needed_seq_outside_window__ignored),
		cmocka_unit_test(estab__frag_needed_tiny_mtu__clamped_to_552_without_df),
		cmocka_unit_test(cache__next_connection__starts_at_learned_mtu_until_expiry),
		cmocka_unit_test(syn_sent__frag_needed__mss_from_path),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
