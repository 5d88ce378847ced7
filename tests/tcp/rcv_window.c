/*
 * The receive window we offer, exactly as Linux 6.x chooses it
 * (src/tcp/window.c; tcp_openreq_init_rwin, tcp_select_initial_window,
 * tcp_init_buffer_space, __tcp_select_window, tcp_select_window,
 * tcp_cleanup_rbuf). Default buffer: tcp_rmem[1] = 131072 (SO_RCVBUF),
 * whose window is half, 65536 (scaling_ratio 50%).
 *
 * - First window: 65536 rounded down to our MSS (less 12 with
 *   timestamps): 64240 = 44 x 1460, 65160 = 45 x 1448.
 * - At the end of the handshake the clamp becomes 65536 - advmss = 64076
 *   (tcp_app_win 31 keeps one MSS back) and rcv_ssthresh min(first, clamp).
 * - Later offers: min(free space, rcv_ssthresh), rounded down to rcv_mss
 *   without window scaling (kept while within one rcv_mss), rounded up to
 *   the scale unit with it; zero when less than half is free and that is
 *   below 1/16 of the buffer's window or one rcv_mss; never shrinking
 *   what was offered.
 */
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "scenario.h"

static char pay[65536];

static struct synack_tcp_info info(struct scn *t, int fd)
{
	struct synack_tcp_info ti;
	socklen_t l = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	return ti;
}

static int rcvbuf(struct scn *t, int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
	return v;
}

static void drain(struct scn *t, int fd, uint32_t n)
{
	static char buf[65536];
	assert_int_equal(synack_recv(t->st, fd, buf, n, 0), (ssize_t)n);
}

/* A listener (SO_RCVBUF so_rcvbuf unless 0) takes the peer's SYN with
 * the given options; returns our ISS, the SYN-ACK in *synack. */
static uint32_t syn_to_listener(struct scn *t, int *lfd, int so_rcvbuf, const struct tcp_opts *o,
				struct tcp_seg *synack)
{
	*lfd = fx_listen(t);
	if (so_rcvbuf)
		assert_int_equal(synack_setsockopt(t->st, *lfd, SOL_SOCKET, SO_RCVBUF, &so_rcvbuf,
						   sizeof(so_rcvbuf)), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = o));
	assert_true(scn_pop(t, synack, NULL));
	assert_int_equal(synack->flags, SYN | ACK);
	return synack->seq;
}

/* ---- MSS-only peer ----------------------------------------------------- */

/* A peer offering only MSS 1460: SYN-ACK 64240 (Linux tcp_openreq_init_rwin
 * at the default buffer), then rcv_ssthresh = clamp = 64076 and
 * tcpi_rcv_space = min(64076, 64240, 10 x 1460) = 14600. */
static void listen__mss_only_syn__synack_64240_clamp_64076(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd;
	struct tcp_opts o = {.has_mss = true, .mss = 1460};
	struct tcp_seg sa;
	uint32_t iss = syn_to_listener(t, &lfd, 0, &o, &sa);
	assert_int_equal(sa.wnd, 64240);
	assert_false(sa.opt.has_wscale);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_rcv_wnd, 64240);
	assert_int_equal(ti.tcpi_rcv_ssthresh, 64076);
	assert_int_equal(ti.tcpi_rcv_space, 14600);
	assert_int_equal(ti.tcpi_rcv_wscale, 0);
	assert_int_equal(rcvbuf(t, fd), 131072);
	scn_free(t);
}

/* Full segments read as they come: the first ACK offers
 * rounddown(min(65536, 64076), 1460) = 62780 (rcv_mss learnt from the
 * segment), which then stands: within one MSS of what is free. */
static void estab_mss_only__reader_keeps_up__window_62780(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	for (uint32_t i = 0; i < 4; i++) {
		scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1 + 1460 * i, .ack = iss + 1,
				      .data = pay, .len = 1460));
		scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1461 + 1460 * i,
					 .wnd = 62780));
		drain(t, fd, 1460);
	}
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_rcv_wnd, 62780);
	assert_int_equal(ti.tcpi_rcv_mss, 1460);
	assert_int_equal(ti.tcpi_rcv_ssthresh, 64076); /* the clamp: no room to grow */
	scn_free(t);
}

/* ---- timestamps and window scaling -------------------------------------- */

static const struct tcp_opts ts_ws_syn = {.has_mss = true, .mss = 1460, .sack_ok = true,
					  .has_ts = true, .tsval = 1000, .has_wscale = true,
					  .wscale = 7};

/* The peer's segments carry timestamps: TSval 1000 + ms. */
static struct tcp_opts ts_at(uint64_t ms)
{
	return (struct tcp_opts){.has_ts = true, .tsval = 1000 + (uint32_t)ms};
}

/* Passive open with a timestamps + wscale 7 peer; returns the fd. */
static int ts_ws_established(struct scn *t, uint32_t *iss)
{
	int lfd;
	struct tcp_seg sa;
	*iss = syn_to_listener(t, &lfd, 0, &ts_ws_syn, &sa);
	/* 65536 rounded down to 1460 - 12 = 1448: 45 x 1448, unscaled. */
	assert_int_equal(sa.wnd, 65160);
	assert_true(sa.opt.has_wscale);
	assert_int_equal(sa.opt.wscale, 7); /* ilog2(tcp_rmem[2] 6 MiB) - 15 */
	struct tcp_opts o = ts_at(10);
	o.tsecr = sa.opt.tsval;
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1, .opt = &o));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	return fd;
}

/* The first ACK: min(65536 - 1448, 64076) rounded UP to the 128-byte
 * unit, 64128, advertised as 501; it stays 501 while the reader keeps
 * up. tcpi_rcv_wnd is the unscaled 64128. */
static void estab_ts_ws__data__window_501_scaled(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = ts_ws_established(t, &iss);
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_rcv_wnd, 65160);
	assert_int_equal(ti.tcpi_rcv_ssthresh, 64076);
	assert_int_equal(ti.tcpi_rcv_wscale, 7);
	assert_int_equal(ti.tcpi_advmss, 1460);
	for (uint32_t i = 0; i < 3; i++) {
		struct tcp_opts o = ts_at(20);
		scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1 + 1448 * i, .ack = iss + 1,
				      .data = pay, .len = 1448, .opt = &o));
		scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1449 + 1448 * i,
					 .wnd = 501));
		drain(t, fd, 1448);
	}
	assert_int_equal(info(t, fd).tcpi_rcv_wnd, 64128);
	scn_free(t);
}

/* Active open: our SYN offers 64240 (44 x 1460: the SYN's MSS has no
 * timestamp room taken) and wscale 7; the SYN-ACK brings timestamps, so
 * advmss becomes 1448 and the clamp 65536 - 1448 = 64088. The third ACK
 * would offer ALIGN(64088, 128) = 64128, less than the SYN's 64240 still
 * open, so it keeps that edge: ALIGN(64240, 128) = 64256, field 502
 * (LINUX-SEMANTICS 9, measured). */
static void syn_sent__ts_ws_synack__third_ack_502(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	struct tcp_seg syn;
	assert_true(scn_pop(t, &syn, NULL));
	assert_int_equal(syn.flags, SYN);
	assert_int_equal(syn.wnd, 64240);
	assert_int_equal(syn.opt.wscale, 7);
	struct tcp_opts o = ts_ws_syn;
	o.tsecr = syn.opt.tsval;
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = syn.seq + 1, .opt = &o));
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = syn.seq + 1, .ack = R_ISS + 1, .wnd = 502));
	struct synack_tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_advmss, 1448);
	assert_int_equal(ti.tcpi_rcv_ssthresh, 64088);
	assert_int_equal(ti.tcpi_rcv_wnd, 64256);
	assert_int_equal(ti.tcpi_rcv_space, 14480); /* 10 x advmss */
	scn_free(t);
}

/* ---- a slow reader ------------------------------------------------------- */

/* The peer sends full segments as far as each of our windows reaches
 * (scaled by 1 << shift); the application reads nothing. Records each
 * ACK's window field in w[] (at most max) and returns how many; *sent
 * gets the bytes taken. Delayed ACKs are waited for 40 ms at a time. */
static unsigned fill(struct scn *t, uint32_t iss, uint32_t mss, unsigned shift, uint32_t edge,
		     uint16_t *w, unsigned max, uint32_t *sent)
{
	uint32_t nxt = 0, acked = 0;
	uint16_t last = 1;
	unsigned n = 0;
	uint64_t now = 20;
	for (int guard = 0; guard < 400 && !(acked == nxt && last == 0); guard++) {
		uint32_t room = edge - nxt < mss ? edge - nxt : mss;
		if (room) {
			struct tcp_opts o = ts_at(now);
			scn_inject(t, now, SEG(.flags = ACK, .seq = R_ISS + 1 + nxt, .ack = iss + 1,
					       .data = pay, .len = room, .opt = shift ? &o : NULL));
			nxt += room;
		} else {
			now += 40;
			scn_at(t, now);
		}
		struct tcp_seg seg;
		while (scn_pop(t, &seg, NULL)) {
			acked = seg.ack - (R_ISS + 1);
			last = seg.wnd;
			edge = acked + ((uint32_t)seg.wnd << shift);
			if (n < max)
				w[n++] = seg.wnd;
		}
	}
	assert_int_equal(last, 0);
	*sent = nxt;
	return n;
}

/* With scaling each offer is rounded UP to 128 bytes and never shrinks,
 * so the edge creeps forward: on the 16 quick ACKs (one 1448-byte
 * segment each, unread) ALIGN(65536 - held, 128) or ALIGN(what is left)
 * gives 501 down to 336, the edge reaching 23168 + 43008 = 66176, 640
 * past the buffer's window. Then nothing is acked at once (two segments
 * unacked, but the offer would shrink) and the peer fills the window; the
 * delayed-ACK timer finds nothing free: 0. Reading reopens it only when
 * 65536 / 16 = 4096 are free: 4096, field 32; the rest of the read
 * offers the clamp 64076 rounded up, 64128 (501). */
static void estab_ts_ws__slow_reader__zero_window_then_update(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = ts_ws_established(t, &iss);
	uint16_t w[64];
	uint32_t sent;
	unsigned n = fill(t, iss, 1448, 7, 65160, w, 64, &sent);
	static const uint16_t want[] = {501, 490, 479, 468, 457, 446, 435, 424, 413,
					402, 391, 380, 369, 358, 347, 336, 0};
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(w[i], want[i]);
	assert_int_equal(sent, 23168 + 336 * 128);
	uint32_t free_space = 65536 - sent;
	drain(t, fd, 4095 - free_space);
	scn_expect_none(t);
	drain(t, fd, 1);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1 + sent, .wnd = 32));
	assert_int_equal(info(t, fd).tcpi_rcv_wnd, 4096);
	drain(t, fd, sent - (4096 - free_space));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1 + sent, .wnd = 501));
	scn_expect_none(t);
	scn_free(t);
}

/* ---- SO_RCVBUF ------------------------------------------------------------ */

/* SO_RCVBUF 4096 on the listener: reported 8192, a window of 4096;
 * the SYN-ACK offers rounddown(4096, 1460) = 2920 and shift 0 (the clamp
 * 4096 needs none); the clamp becomes max(2 x 1460, 4096 - 1460) = 2920.
 * One unread segment leaves rounddown(4096 - 1460, 1460) = 1460; a second
 * leaves 1176 free, below one MSS: window 0. Reading one segment frees
 * 2636 (over half): 1460 is offered. */
static void so_rcvbuf_4096__two_segments__zero_then_1460(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd;
	struct tcp_opts o = {.has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 7};
	struct tcp_seg sa;
	uint32_t iss = syn_to_listener(t, &lfd, 4096, &o, &sa);
	assert_int_equal(sa.wnd, 2920);
	assert_true(sa.opt.has_wscale);
	assert_int_equal(sa.opt.wscale, 0);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(rcvbuf(t, fd), 8192);
	assert_int_equal(info(t, fd).tcpi_rcv_ssthresh, 2920);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = pay, .len = 1460));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1461, .wnd = 1460));
	/* One quick ACK only (rcv_wnd 2920 / (2 x 1460)), and one segment
	 * unacked is not two: the delayed-ACK timer, 40 ms on. */
	scn_inject(t, 21, SEG(.flags = ACK, .seq = R_ISS + 1461, .ack = iss + 1, .data = pay, .len = 1460));
	scn_expect_none(t);
	scn_at(t, 61);
	scn_expect_at(t, 61, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2921, .wnd = 0));
	assert_int_equal(info(t, fd).tcpi_rcv_wnd, 0);
	/* Nothing more fits: a byte past the edge is dropped, the zero
	 * window repeated. */
	scn_inject(t, 70, SEG(.flags = ACK, .seq = R_ISS + 2921, .ack = iss + 1, .data = "z"));
	scn_expect_at(t, 70, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2921, .wnd = 0));
	drain(t, fd, 1460);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2921, .wnd = 1460));
	scn_expect_none(t);
	scn_free(t);
}

/* The smallest buffer: SO_RCVBUF 1 is raised to Linux's SOCK_MIN_RCVBUF
 * (2304), a window of 1152, offered whole (it is below one MSS). The
 * peer's 536-byte segments: the buffer then allows rounddown(616, 536) =
 * 536, less than the 616 left of the offer, which stands; then only 80
 * is free, below one rcv_mss (536), so the buffer allows 0, and again
 * what is left of the offer (80) stands: an offer never shrinks. */
static void so_rcvbuf_1__min_buffer__synack_1152(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd;
	struct tcp_opts o = {.has_mss = true, .mss = 536};
	struct tcp_seg sa;
	uint32_t iss = syn_to_listener(t, &lfd, 1, &o, &sa);
	assert_int_equal(sa.wnd, 1152);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(rcvbuf(t, fd), 2304);
	assert_int_equal(info(t, fd).tcpi_rcv_ssthresh, 1152);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = pay, .len = 536));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 537, .wnd = 616));
	/* One quick ACK (1152 / (2 x 536)); the second waits for the timer. */
	scn_inject(t, 21, SEG(.flags = ACK, .seq = R_ISS + 537, .ack = iss + 1, .data = pay, .len = 536));
	scn_at(t, 61);
	scn_expect_at(t, 61, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1073, .wnd = 80));
	scn_free(t);
	(void)fd;
}

int main(void)
{
	memset(pay, 'w', sizeof(pay));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen__mss_only_syn__synack_64240_clamp_64076),
		cmocka_unit_test(estab_mss_only__reader_keeps_up__window_62780),
		cmocka_unit_test(estab_ts_ws__data__window_501_scaled),
		cmocka_unit_test(syn_sent__ts_ws_synack__third_ack_502),
		cmocka_unit_test(estab_ts_ws__slow_reader__zero_window_then_update),
		cmocka_unit_test(so_rcvbuf_4096__two_segments__zero_then_1460),
		cmocka_unit_test(so_rcvbuf_1__min_buffer__synack_1152),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
