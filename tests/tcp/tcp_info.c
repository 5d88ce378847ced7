/*
 * TCP_INFO in Linux's layout (include/synack/tcp_info.h, LINUX-SEMANTICS
 * 10): exact field values after a scripted exchange, the option bits and
 * window-scale nibbles the SYNs agreed, and Linux's length rule (the
 * kernel copies min(user length, its size) and returns that length).
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "scenario.h"

static char payload[2000];

static struct synack_tcp_info info(struct scn *t, int fd)
{
	struct synack_tcp_info ti;
	memset(&ti, 0xa5, sizeof(ti));
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(len, 280);
	return ti;
}

/* Established (no options but MSS), 1000 bytes out and acked, 100 bytes
 * in: every counter exact. */
static void estab__1000_out_acked_100_in__counters_exact(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), 1000);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = 1000, .any_wnd = true));
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_unacked, 1);
	assert_int_equal(ti.tcpi_notsent_bytes, 0);
	assert_int_equal(ti.tcpi_bytes_acked, 0);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1001));
	scn_inject(t, 40, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1001,
			      .data = payload, .len = 100));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1001, .ack = R_ISS + 101, .any_wnd = true));
	scn_at(t, 50);
	ti = info(t, fd);
	assert_int_equal(ti.tcpi_state, SYNACK_ESTABLISHED);
	assert_int_equal(ti.tcpi_ca_state, SYNACK_CA_OPEN);
	assert_int_equal(ti.tcpi_options, 0);
	assert_int_equal(ti.tcpi_snd_wscale, 0);
	assert_int_equal(ti.tcpi_rcv_wscale, 0);
	assert_int_equal(ti.tcpi_snd_mss, 1460);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(ti.tcpi_bytes_acked, 1000);
	assert_int_equal(ti.tcpi_bytes_received, 100);
	assert_int_equal(ti.tcpi_bytes_sent, 1000);
	assert_int_equal(ti.tcpi_bytes_retrans, 0);
	/* Linux tcp_create_openreq_child: the child starts with segs_in 1
	 * (the ACK that made it); the SYN and SYN-ACK were the request's.
	 * Then: in, the ACK of our data and the data; out, data and ACK. */
	assert_int_equal(ti.tcpi_segs_in, 3);
	assert_int_equal(ti.tcpi_segs_out, 2);
	assert_int_equal(ti.tcpi_data_segs_in, 1);
	assert_int_equal(ti.tcpi_data_segs_out, 1);
	/* The SYN-ACK (Linux counts it in SYN-RECEIVED) and one segment. */
	assert_int_equal(ti.tcpi_delivered, 2);
	assert_int_equal(ti.tcpi_total_retrans, 0);
	assert_int_equal(ti.tcpi_snd_wnd, 65535);
	assert_int_equal(ti.tcpi_last_data_sent, 40);
	assert_int_equal(ti.tcpi_last_data_recv, 10);
	assert_int_equal(ti.tcpi_last_ack_recv, 10);
	assert_int_equal(ti.tcpi_pmtu, 1500);
	/* The AccECN tail stays zero. */
	for (int i = 0; i < 8; i++)
		assert_int_equal(ti.tcpi_accecn_reserved[i], 0);
	scn_free(t);
}

/* A resend counts in bytes_retrans, and bytes_sent and data_segs_out
 * count it too (Linux tcp_retransmit_skb). */
static void estab__one_rto__bytes_retrans(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 300, 0), 300);
	struct tcp_seg seg;
	assert_true(scn_pop(t, &seg, NULL));
	/* The first resend (a tail loss probe or the RTO, whichever comes
	 * first) within 2 s. */
	bool resent = false;
	for (uint64_t ms = 1001; ms <= 3000 && !resent; ms++) {
		scn_at(t, ms);
		resent = scn_pop(t, &seg, NULL);
	}
	assert_true(resent);
	assert_int_equal(seg.len, 300);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_bytes_sent, 600);
	assert_int_equal(ti.tcpi_bytes_retrans, 300);
	assert_int_equal(ti.tcpi_data_segs_out, 2);
	assert_int_equal(ti.tcpi_bytes_acked, 0);
	scn_free(t);
}

/* SACK and window scale agreed, no timestamps: options 2|4, snd_wscale
 * the peer's 3 (low nibble), rcv_wscale our 7 (Linux's 6 MiB tcp_rmem). */
static void estab__sack_wscale_agreed__option_bits_and_nibbles(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_wscale = true,
			      .wscale = 3};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = sa.seq + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_options, SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE);
	assert_int_equal(ti.tcpi_snd_wscale, 3);
	assert_int_equal(ti.tcpi_rcv_wscale, 7);
	uint8_t raw[8];
	memcpy(raw, &ti, sizeof(raw));
	assert_int_equal(raw[5], 6);
	assert_int_equal(raw[6], 0x73); /* rcv_wscale high nibble, snd low */
	scn_free(t);
}

/* All three: options 7; with timestamps the MSS in use is 1448. */
static void estab__ts_sack_wscale__options_7(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_wscale = true,
			      .wscale = 7, .has_ts = true, .tsval = 1000};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	assert_true(sa.opt.has_ts);
	struct tcp_opts ack = {.has_ts = true, .tsval = 1001, .tsecr = sa.opt.tsval};
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = sa.seq + 1, .opt = &ack));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_options, 7);
	assert_int_equal(ti.tcpi_snd_wscale, 7);
	assert_int_equal(ti.tcpi_snd_mss, 1448);
	scn_free(t);
}

/* SACK agreed, 3000 bytes out. Linux tcp_dsack_seen: a D-SACK counts
 * one segment, or its length in MSS rounded up; an empty block or one
 * longer than the largest window is dubious and counts nothing. SACKed
 * segments count as delivered before the cumulative ACK covers them. */
static void estab_sack__dsacks__dsack_dups_and_delivered(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	uint32_t iss = sa.seq;
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(info(t, fd).tcpi_delivered, 1);
	int one = 1; /* three segments at once: 1460, 540, 1000 */
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 2000, 0), 2000);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), 1000);
	for (int i = 0; i < 3; i++)
		assert_true(scn_pop(t, &sa, NULL));
	scn_expect_none(t);
	/* The last segment SACKed: delivered 1 + 1. */
	struct tcp_opts sack = {.nsack = 1, .sack = {{iss + 2001, iss + 3001}}};
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .opt = &sack));
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_sacked, 1);
	assert_int_equal(ti.tcpi_delivered, 2);
	struct tcp_opts d1 = {.nsack = 1, .sack = {{iss + 1, iss + 1001}}};
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 3001, .opt = &d1));
	ti = info(t, fd);
	assert_int_equal(ti.tcpi_dsack_dups, 1);
	assert_int_equal(ti.tcpi_delivered, 4); /* SYN-ACK + 3000 bytes in 1460s */
	struct tcp_opts d3 = {.nsack = 1, .sack = {{iss + 1, iss + 3001}}};
	scn_inject(t, 40, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 3001, .opt = &d3));
	struct tcp_opts empty = {.nsack = 1, .sack = {{iss + 5, iss + 5}}};
	scn_inject(t, 50, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 3001, .opt = &empty));
	struct tcp_opts big = {.nsack = 1, .sack = {{iss + 3001 - 70000, iss + 3001}}};
	scn_inject(t, 60, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 3001, .opt = &big));
	ti = info(t, fd);
	assert_int_equal(ti.tcpi_dsack_dups, 4);
	assert_int_equal(ti.tcpi_delivered, 4);
	assert_int_equal(ti.tcpi_delivered_ce, 0);
	assert_int_equal(ti.tcpi_reord_seen, 0);
	scn_free(t);
}

/* Linux tcpi_rcv_wnd is tp->rcv_wnd, the window last advertised: data
 * whose ACK is still delayed (TCP_QUICKACK 0) leaves it as it was; the
 * ACK advertises anew. */
static void estab__data_ack_delayed__rcv_wnd_as_advertised(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int zero = 0;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	/* The SYN-ACK's 64240 (Linux tcp_openreq_init_rwin). */
	assert_int_equal(info(t, fd).tcpi_rcv_wnd, 64240);
	scn_inject(t, 10, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .data = payload,
			      .len = 100));
	scn_expect_none(t);
	assert_int_equal(info(t, fd).tcpi_rcv_wnd, 64240);
	struct tcp_seg ack;
	scn_at(t, 300); /* the delayed ACK has gone */
	assert_true(scn_pop(t, &ack, NULL));
	assert_int_equal(ack.ack, R_ISS + 101);
	assert_int_equal(info(t, fd).tcpi_rcv_wnd, (uint32_t)ack.wnd);
	scn_free(t);
}

/* Before a connection nothing is agreed: options 0, state CLOSE (7). */
static void new_socket__no_options(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_state, SYNACK_CLOSE);
	assert_int_equal(ti.tcpi_options, 0);
	assert_int_equal(ti.tcpi_min_rtt, UINT32_MAX);
	scn_free(t);
}

/* Linux do_tcp_getsockopt: len = min(len, sizeof(info)); copies that
 * much and writes it back; a longer buffer gets 280 bytes, the rest is
 * untouched. */
static void getsockopt_lengths__min_of_user_and_kernel(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_passive_established(t, NULL);
	uint8_t buf[400];
	memset(buf, 0xee, sizeof(buf));
	socklen_t len = 1;
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], SYNACK_ESTABLISHED);
	assert_int_equal(buf[1], 0xee);
	len = 104; /* the 2.6-era layout, up to total_retrans */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	assert_int_equal(len, 104);
	assert_int_equal(buf[104], 0xee);
	len = sizeof(buf);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	assert_int_equal(len, 280);
	assert_int_equal(buf[279], 0);
	assert_int_equal(buf[280], 0xee);
	len = 0;
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	assert_int_equal(len, 0);
	scn_free(t);
}

/* Linux starts the last_* clocks when the connection is established
 * (tcp_finish_connect; packetdrill tcp_info/tcp-info-last_data_recv):
 * one second later, with no data either way, each reads 1000 ms. */
static void estab__idle_one_second__last_times_1000ms(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_at(t, 5000);
	int fd = fx_active_established(t, NULL);
	scn_at(t, 6000);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_last_data_recv, 1000);
	assert_int_equal(ti.tcpi_last_data_sent, 1000);
	assert_int_equal(ti.tcpi_last_ack_recv, 1000);
	scn_free(t);
}

int main(void)
{
	memset(payload, 'i', sizeof(payload));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__idle_one_second__last_times_1000ms),
		cmocka_unit_test(estab__1000_out_acked_100_in__counters_exact),
		cmocka_unit_test(estab__one_rto__bytes_retrans),
		cmocka_unit_test(estab__sack_wscale_agreed__option_bits_and_nibbles),
		cmocka_unit_test(estab__ts_sack_wscale__options_7),
		cmocka_unit_test(estab_sack__dsacks__dsack_dups_and_delivered),
		cmocka_unit_test(estab__data_ack_delayed__rcv_wnd_as_advertised),
		cmocka_unit_test(new_socket__no_options),
		cmocka_unit_test(getsockopt_lengths__min_of_user_and_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
