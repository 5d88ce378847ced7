/*
 * SYN option negotiation and timestamps on the wire, byte for byte as
 * Linux (LINUX-SEMANTICS 9; RFC 7323, RFC 2018): the SYN's and SYN-ACK's
 * option bytes for Linux's common SYN option sets, the windows and window
 * scale Linux chooses, TSval/TSecr on every later segment, and PAWS.
 * tcp_timestamps = 2 (no per-flow offset) makes TSval the 1 ms clock.
 */
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"
#include "wire/ipv4.h"

static struct scn *new_ts2(int rmem_max)
{
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_timestamps = 2;
	if (rmem_max)
		c.tcp_rmem[2] = rmem_max;
	return scn_new(&c);
}

/* The next packet's TCP options and window, raw. */
static size_t pop_opts(struct scn *t, uint8_t *out, uint16_t *wnd, uint8_t *flags)
{
	assert_true(t->head < t->nout);
	struct scn_pkt *p = &t->out[t->head++];
	struct ipv4_hdr ip;
	assert_int_equal(ipv4_parse(&ip, p->data, p->len), IPV4_OK);
	const uint8_t *th = ip.payload;
	size_t doff = (size_t)(th[12] >> 4) * 4;
	*wnd = (uint16_t)(th[14] << 8 | th[15]);
	*flags = th[13];
	memcpy(out, th + 20, doff - 20);
	return doff - 20;
}

static void expect_bytes(const uint8_t *got, size_t n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, wn);
	assert_memory_equal(got, want, wn);
}

static int listen_fd(struct scn *t) { return fx_listen(t); }

/* connect(): mss 1460, sackOK, TS val=now ecr 0, nop, wscale 7 in 20
 * bytes, window 64240 (measured on Linux 6.18). */
static void syn_sent__connect__linux_syn_bytes(void **state)
{
	struct scn *t = new_ts2(0);
	scn_at(t, 250);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	scn_connect(t, fd);
	uint8_t o[40], f;
	uint16_t w;
	size_t n = pop_opts(t, o, &w, &f);
	const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 250, 0, 0, 0, 0, 1, 3, 3, 7};
	expect_bytes(o, n, want, sizeof(want));
	assert_int_equal(w, SYN_WND);
	scn_free(t);
}

/* packetdrill's defaults.sh raises tcp_rmem[2] to 15 MiB: wscale 8. */
static void syn_sent__rmem_max_15m__wscale_8(void **state)
{
	struct scn *t = new_ts2(15 * 1024 * 1024);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	scn_connect(t, fd);
	uint8_t o[40], f;
	uint16_t w;
	size_t n = pop_opts(t, o, &w, &f);
	assert_int_equal(n, 20);
	assert_int_equal(o[19], 8);
	scn_free(t);
}

/* A Linux SYN <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7> gets the
 * same set back: TSecr echoes 1000, window 65160 (45 * 1448). */
static void listen__linux_syn__synack_all_options(void **state)
{
	struct scn *t = new_ts2(0);
	listen_fd(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_ts = true,
			      .tsval = 1000, .has_wscale = true, .wscale = 7};
	scn_inject(t, 100, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	uint8_t o[40], f;
	uint16_t w;
	size_t n = pop_opts(t, o, &w, &f);
	const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0x03, 0xe8,
				1, 3, 3, 7};
	assert_int_equal(f, SYN | ACK);
	expect_bytes(o, n, want, sizeof(want));
	assert_int_equal(w, 65160);
	scn_free(t);
}

/* packetdrill's usual SYN <mss 1000,nop,wscale 7>: <mss 1460,nop,wscale 7>
 * back, window 64240 (no timestamps: rounded to 1460s). */
static void listen__mss_wscale_syn__synack_mss_nop_wscale(void **state)
{
	struct scn *t = new_ts2(0);
	listen_fd(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1000, .has_wscale = true, .wscale = 7};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	uint8_t o[40], f;
	uint16_t w;
	size_t n = pop_opts(t, o, &w, &f);
	const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};
	expect_bytes(o, n, want, sizeof(want));
	assert_int_equal(w, SYN_WND);
	scn_free(t);
}

/* SACK without timestamps: mss, nop, nop, sackOK (RFC 2018; Linux order). */
static void listen__sack_syn__synack_mss_nop_nop_sackok(void **state)
{
	struct scn *t = new_ts2(0);
	listen_fd(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	uint8_t o[40], f;
	uint16_t w;
	size_t n = pop_opts(t, o, &w, &f);
	const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
	expect_bytes(o, n, want, sizeof(want));
	scn_free(t);
}

/* RFC 7323 2.3: a shift above 14 is taken as 14. */
static void listen__wscale_15__taken_as_14(void **state)
{
	struct scn *t = new_ts2(0);
	int lfd = listen_fd(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 15};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s.seq + 1, .wnd = 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_wscale, 14);
	assert_int_equal(ti.tcpi_rcv_wscale, 7);
	scn_free(t);
}

/* A passive connection with timestamps agreed (peer TSval 1000 at 0 ms). */
static int ts_established(struct scn *t, uint32_t *iss)
{
	int lfd = listen_fd(t);
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_ts = true,
			      .tsval = 1000, .has_wscale = true, .wscale = 7};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	*iss = s.seq;
	struct tcp_opts ts = {.has_ts = true, .tsval = 1001, .tsecr = s.opt.tsval};
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1, .wnd = 512, .opt = &ts));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	return fd;
}

/* RFC 7323 3, 4.3: every segment after the SYN carries NOP NOP TS with
 * TSval = our 1 ms clock and TSecr = the latest in-order TSval. */
static void established_ts__data__ack_echoes_tsval(void **state)
{
	struct scn *t = new_ts2(0);
	uint32_t iss;
	ts_established(t, &iss);
	struct tcp_opts ts = {.has_ts = true, .tsval = 2000, .tsecr = 1};
	scn_inject(t, 30, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 512,
			      .data = "hello", .opt = &ts));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.ack, R_ISS + 6);
	assert_true(s.opt.has_ts);
	assert_int_equal(s.opt.tsval, 30);
	assert_int_equal(s.opt.tsecr, 2000);
	scn_free(t);
}

/* RFC 7323 5.3 (PAWS): data whose TSval is older than ts_recent is
 * dropped, counted (PAWSEstab) and answered with a duplicate ACK. */
static void established_ts__old_tsval__paws_drop_dupack(void **state)
{
	struct scn *t = new_ts2(0);
	uint32_t iss;
	int fd = ts_established(t, &iss);
	struct tcp_opts old = {.has_ts = true, .tsval = 900, .tsecr = 1};
	scn_inject(t, 30, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 512,
			      .data = "stale", .opt = &old));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_int_equal(s.ack, R_ISS + 1);
	assert_int_equal(s.opt.tsecr, 1001);
	assert_int_equal(scn_counter(t, "TcpExtPAWSEstab"), 1);
	char buf[8];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), -1);
	scn_free(t);
}

/* RFC 7323 4.3: a TSval newer than ts_recent on an in-order segment moves
 * ts_recent, so a later segment with the older TSval fails PAWS. */
static void established_ts__newer_tsval__ts_recent_moves(void **state)
{
	struct scn *t = new_ts2(0);
	uint32_t iss;
	ts_established(t, &iss);
	struct tcp_opts a = {.has_ts = true, .tsval = 5000, .tsecr = 1};
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 512, .opt = &a));
	scn_expect_none(t);
	struct tcp_opts b = {.has_ts = true, .tsval = 4000, .tsecr = 1};
	scn_inject(t, 31, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 512,
			      .data = "x", .opt = &b));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.ack, R_ISS + 1);
	assert_int_equal(s.opt.tsecr, 5000);
	assert_int_equal(scn_counter(t, "TcpExtPAWSEstab"), 1);
	scn_free(t);
}

/* An active open whose SYN-ACK has only MSS: no option is used after
 * it (RFC 7323 1.3, RFC 2018 2): the ACK has no TS, the window no scale. */
static void syn_sent__synack_mss_only__nothing_negotiated(void **state)
{
	struct scn *t = new_ts2(0);
	uint32_t iss;
	int fd = fx_active_established(t, &iss);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_wscale, 0);
	assert_int_equal(ti.tcpi_rcv_wscale, 0);
	assert_int_equal(ti.tcpi_snd_mss, 1460);
	assert_int_equal(synack_send(t->st, fd, "a", 1, 0), 1);
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_false(s.opt.has_ts);
	scn_free(t);
}

/* With timestamps the send MSS loses 12 bytes (Linux tcp_sync_mss). */
static void syn_sent__synack_with_ts__mss_1448(void **state)
{
	struct scn *t = new_ts2(0);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	struct tcp_seg syn;
	assert_true(scn_pop(t, &syn, NULL));
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_ts = true,
			      .tsval = 77, .tsecr = syn.opt.tsval, .has_wscale = true, .wscale = 2};
	scn_inject(t, 20, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = syn.seq + 1, .opt = &in));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, ACK);
	assert_true(s.opt.has_ts);
	assert_int_equal(s.opt.tsecr, 77);
	assert_int_equal(s.opt.tsval, 20);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_mss, 1448);
	assert_int_equal(ti.tcpi_snd_wscale, 2);
	assert_int_equal(ti.tcpi_rcv_wscale, 7);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_sent__connect__linux_syn_bytes),
		cmocka_unit_test(syn_sent__rmem_max_15m__wscale_8),
		cmocka_unit_test(listen__linux_syn__synack_all_options),
		cmocka_unit_test(listen__mss_wscale_syn__synack_mss_nop_wscale),
		cmocka_unit_test(listen__sack_syn__synack_mss_nop_nop_sackok),
		cmocka_unit_test(listen__wscale_15__taken_as_14),
		cmocka_unit_test(established_ts__data__ack_echoes_tsval),
		cmocka_unit_test(established_ts__old_tsval__paws_drop_dupack),
		cmocka_unit_test(established_ts__newer_tsval__ts_recent_moves),
		cmocka_unit_test(syn_sent__synack_mss_only__nothing_negotiated),
		cmocka_unit_test(syn_sent__synack_with_ts__mss_1448),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
