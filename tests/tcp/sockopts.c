/*
 * Socket options as Linux stores, checks and reports them (tcp(7),
 * socket(7), LINUX-SEMANTICS 2, 3, 5): the default read back, a set/get
 * round trip, the errno for bad values and lengths (EINVAL, ENOPROTOOPT),
 * and the effect on the wire or on readiness.
 */
#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "scenario.h"

#define EXPECT_AT(t, ms, ...) \
	do { \
		scn_at((t), (ms)); \
		scn_expect_at((t), (ms), __VA_ARGS__); \
	} while (0)

static char payload[128 * 1024];

/* setsockopt(v) fails with err. */
static void set_fails(struct scn *t, int fd, int level, int name, int v, int err)
{
	assert_int_equal(synack_setsockopt(t->st, fd, level, name, &v, sizeof(v)), -1);
	assert_int_equal(errno, err);
}

static int new_sock(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	return fd;
}

/* ===== Defaults, round trips, bad values =============================== */

struct intopt {
	const char *name;
	int level, opt;
	int dflt;            /* read on a new socket */
	int set, got;        /* set this, read that */
	int bad1, bad2;      /* values Linux refuses with EINVAL (0 = none) */
};

/* Linux do_tcp_setsockopt / sk_setsockopt ranges and conversions. */
static const struct intopt intopts[] = {
	{"TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, 0, 5, 1, 0, 0},
	{"TCP_CORK", IPPROTO_TCP, TCP_CORK, 0, 7, 1, 0, 0},
	{"TCP_MAXSEG", IPPROTO_TCP, TCP_MAXSEG, 536, 1000, 1000, 87, 32768},
	{"TCP_SYNCNT", IPPROTO_TCP, TCP_SYNCNT, 6, 3, 3, 0, 128},
	{"TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE, 7200, 30, 30, 0, 32768},
	{"TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL, 75, 32767, 32767, 0, 32768},
	{"TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT, 9, 127, 127, 0, 128},
	{"TCP_QUICKACK", IPPROTO_TCP, TCP_QUICKACK, 1, 0, 0, 0, 0},
	{"TCP_INQ", IPPROTO_TCP, TCP_INQ, 0, 1, 1, 2, -1},
	{"TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 0, 500, 500, -1, 0},
	{"TCP_NOTSENT_LOWAT", IPPROTO_TCP, TCP_NOTSENT_LOWAT, 0, 4000, 4000, 0, 0},
	{"TCP_LINGER2 cap", IPPROTO_TCP, TCP_LINGER2, 60, 200, 120, 0, 0},
	{"TCP_LINGER2 neg", IPPROTO_TCP, TCP_LINGER2, 60, -5, -1, 0, 0},
	{"TCP_DEFER_ACCEPT", IPPROTO_TCP, TCP_DEFER_ACCEPT, 0, 5, 7, 0, 0},
	{"SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 0, 9, 1, 0, 0},
	{"SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, 16384, 10000, 20000, 0, 0},
	{"SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 131072, 10000, 20000, 0, 0},
	{"SO_SNDBUF min", SOL_SOCKET, SO_SNDBUF, 16384, 1, 4608, 0, 0},
	{"SO_RCVBUF min", SOL_SOCKET, SO_RCVBUF, 131072, 1, 2304, 0, 0},
	{"SO_RCVBUF max", SOL_SOCKET, SO_RCVBUF, 131072, 1 << 30, 2 * 212992, 0, 0},
	/* Linux min_t(u32, val, *mem_max): negative is the maximum. */
	{"SO_SNDBUF neg", SOL_SOCKET, SO_SNDBUF, 16384, -1, 2 * 212992, 0, 0},
	{"SO_RCVLOWAT", SOL_SOCKET, SO_RCVLOWAT, 1, 100, 100, 0, 0},
	{"SO_RCVLOWAT 0", SOL_SOCKET, SO_RCVLOWAT, 1, 0, 1, 0, 0},
	{"SO_RCVLOWAT neg", SOL_SOCKET, SO_RCVLOWAT, 1, -1, INT_MAX, 0, 0},
};

static void new_socket__each_option__default_roundtrip_and_einval(void **state)
{
	struct scn *t = scn_new(NULL);
	for (size_t i = 0; i < sizeof(intopts) / sizeof(intopts[0]); i++) {
		const struct intopt *o = &intopts[i];
		int fd = new_sock(t);
		print_message("%s\n", o->name);
		assert_int_equal(scn_get_int(t, fd, o->level, o->opt), o->dflt);
		scn_set_int(t, fd, o->level, o->opt, o->set);
		assert_int_equal(scn_get_int(t, fd, o->level, o->opt), o->got);
		if (o->bad1)
			set_fails(t, fd, o->level, o->opt, o->bad1, EINVAL);
		if (o->bad2)
			set_fails(t, fd, o->level, o->opt, o->bad2, EINVAL);
		assert_int_equal(scn_get_int(t, fd, o->level, o->opt), o->got);
		/* An int option shorter than an int: EINVAL, nothing changed. */
		int v = o->set;
		assert_int_equal(synack_setsockopt(t->st, fd, o->level, o->opt, &v, 3), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(synack_close(t->st, fd), 0);
	}
	scn_free(t);
}

/* Linux: TCP_USER_TIMEOUT 0, TCP_LINGER2 0 and TCP_MAXSEG 0 go back to the
 * default; TCP_QUICKACK 1 reads 1 again. */
static void new_socket__zero_values__back_to_defaults(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_LINGER2, 30);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_LINGER2), 30);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_LINGER2, 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_LINGER2), 60);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_MAXSEG, 1000);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_MAXSEG, 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_MAXSEG), 536);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_QUICKACK, 0);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_QUICKACK, 1);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_QUICKACK), 1);
	/* Keepalive options read the sysctls while unset. */
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_keepalive_time", "100"), 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_KEEPIDLE), 100);
	scn_free(t);
}

/* Unknown options: ENOPROTOOPT at either level (Linux default case). */
static void new_socket__unknown_option__enoprotoopt(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	set_fails(t, fd, IPPROTO_TCP, 9999, 1, ENOPROTOOPT);
	set_fails(t, fd, SOL_SOCKET, 9999, 1, ENOPROTOOPT);
	set_fails(t, fd, 250, TCP_NODELAY, 1, ENOPROTOOPT);
	int v;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, 9999, &v, &len), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	scn_free(t);
}

/* SO_LINGER (socket(7)): struct linger; {0, t} clears the flag but keeps
 * t (Linux stores l_linger only when on); a short optlen is EINVAL. */
static void new_socket__so_linger__roundtrip(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	struct linger l = {.l_onoff = 7, .l_linger = 7};
	socklen_t len = sizeof(l);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(len, sizeof(l));
	assert_int_equal(l.l_onoff, 0);
	assert_int_equal(l.l_linger, 0);
	l = (struct linger){.l_onoff = 3, .l_linger = 5};
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 1);
	assert_int_equal(l.l_linger, 5);
	l = (struct linger){.l_onoff = 0, .l_linger = 9};
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 0);
	assert_int_equal(l.l_linger, 5);
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l) - 1), -1);
	assert_int_equal(errno, EINVAL);
	scn_free(t);
}

/* TCP_MAXSEG: user_mss before the connection; after it the MSS in use
 * (Linux mss_cache): the peer's 1460 without timestamps. */
static void estab__maxseg__reads_live_mss(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_passive_established(t, NULL);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_MAXSEG), 1460);
	scn_free(t);
}

/* TCP_MAXSEG on a listener clamps the MSS the SYN-ACK advertises and the
 * segments the child sends (Linux tcp_mss_clamp, tcp_sync_mss). */
static void listener_maxseg_1000__synack_mss_1000_and_segments_1000(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_set_int(t, lfd, IPPROTO_TCP, TCP_MAXSEG, 1000);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	assert_int_equal(sa.flags, SYN | ACK);
	assert_true(sa.opt.has_mss);
	assert_int_equal(sa.opt.mss, 1000);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = sa.seq + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
	/* tcpi_advmss is the clamped MSS too (packetdrill mss/ scripts). */
	struct synack_tcp_info ti;
	socklen_t tlen = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen), 0);
	assert_int_equal(ti.tcpi_advmss, 1000);
	assert_int_equal(ti.tcpi_snd_mss, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 1500, 0), 1500);
	scn_expect(t, SEG(.flags = ACK, .seq = sa.seq + 1, .ack = R_ISS + 1, .data = payload,
			  .len = 1000, .any_wnd = true));
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = sa.seq + 1001, .ack = R_ISS + 1,
			  .data = payload + 1000, .len = 500, .any_wnd = true));
	scn_free(t);
}

/* ===== Keepalive per socket ============================================ */

/* TCP_KEEPIDLE 5, TCP_KEEPINTVL 1, TCP_KEEPCNT 2 override the sysctls:
 * probes at 5 and 6 s, RST and ETIMEDOUT at 7 s. */
static void estab__keepidle_5_intvl_1_cnt_2__probes_then_rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPIDLE, 5);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPCNT, 2);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	scn_at(t, 4999);
	scn_expect_none(t);
	EXPECT_AT(t, 5000, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
	scn_at(t, 5999);
	scn_expect_none(t);
	EXPECT_AT(t, 6000, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
	EXPECT_AT(t, 7000, SEG(.flags = RST | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 2);
	scn_free(t);
}

/* Linux tcp_sock_set_keepidle: a new idle time on a live keepalive
 * socket re-arms from the last segment received: set to 3 s at 2 s, the
 * probe goes at 3 s, not 5 s. */
static void estab__keepidle_changed__rearmed_from_last_receive(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	scn_at(t, 2000);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPIDLE, 3);
	scn_at(t, 2999);
	scn_expect_none(t);
	EXPECT_AT(t, 3000, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
	scn_free(t);
}

/* ===== TCP_QUICKACK ==================================================== */

/* With a small buffer only two quick ACKs are granted; the third segment's
 * ACK is delayed. TCP_QUICKACK 1 goes through Linux's read-side rule
 * (__tcp_sock_set_quickack -> tcp_cleanup_rbuf), which sends the owed ACK
 * only once the receive queue is empty: with 300 bytes unread nothing
 * goes; the read that drains them sends it, and the timer then has
 * nothing to send. */
static void estab__ack_delayed_data_unread__quickack_1_waits_for_the_read(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_set_int(t, lfd, SOL_SOCKET, SO_RCVBUF, 2920);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	uint32_t iss = sa.seq;
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	uint32_t nxt = R_ISS + 1;
	for (int i = 0; i < 3; i++) {
		scn_inject(t, 10 + (uint64_t)i, SEG(.flags = ACK | PSH, .seq = nxt, .ack = iss + 1,
						    .data = payload, .len = 100));
		nxt += 100;
		if (i < 2)
			scn_expect_at(t, 10 + (uint64_t)i,
				      SEG(.flags = ACK, .seq = iss + 1, .ack = nxt, .any_wnd = true));
	}
	scn_expect_none(t);
	scn_at(t, 20);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_QUICKACK, 1);
	scn_expect_none(t);
	scn_at(t, 25);
	char buf[512];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 300);
	scn_expect_at(t, 25, SEG(.flags = ACK, .seq = iss + 1, .ack = nxt, .any_wnd = true));
	scn_at(t, 100);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_QUICKACK), 1);
	scn_free(t);
}

/* In pingpong mode (TCP_QUICKACK 0) a read that drains one pushed
 * segment leaves the owed ACK to a reply; TCP_QUICKACK 1 then finds the
 * queue empty and sends it at once. */
static void estab__pingpong_data_read__quickack_1_sends_it_now(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_QUICKACK, 0);
	scn_inject(t, 10, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .data = payload,
			      .len = 100));
	scn_at(t, 12);
	char buf[512];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 100);
	scn_expect_none(t);
	scn_at(t, 20);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_QUICKACK, 1);
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 101, .any_wnd = true));
	scn_at(t, 100);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* No ACK owed: TCP_QUICKACK 1 sends nothing. */
static void estab__nothing_owed__quickack_1_sends_nothing(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_passive_established(t, NULL);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_QUICKACK, 1);
	scn_expect_none(t);
	scn_free(t);
}

/* ===== SO_RCVLOWAT ===================================================== */

/* Linux tcp_epollin_ready: EPOLLIN only with SO_RCVLOWAT bytes queued;
 * a non-blocking recv still returns what is there (tcp_recvmsg with
 * timeo 0 stops short of the target). */
static void estab__rcvlowat_100__epollin_at_100_bytes(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVLOWAT, 100);
	scn_inject(t, 10, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .data = payload,
			      .len = 50));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 51, .any_wnd = true));
	uint32_t ev = synack_poll_events(t->st, fd);
	assert_int_equal(ev & (EPOLLIN | EPOLLRDNORM), 0);
	assert_int_equal(ev & EPOLLOUT, EPOLLOUT);
	scn_inject(t, 11, SEG(.flags = ACK | PSH, .seq = R_ISS + 51, .ack = iss + 1,
			      .data = payload + 50, .len = 50));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 101, .any_wnd = true));
	ev = synack_poll_events(t->st, fd);
	assert_int_equal(ev & (EPOLLIN | EPOLLRDNORM), EPOLLIN | EPOLLRDNORM);
	/* Lowering the mark wakes readers at once: 60 bytes, lowat 50. */
	char b[200];
	assert_int_equal(synack_recv(t->st, fd, b, 40, 0), 40);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLIN, 0);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVLOWAT, 50);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLIN, EPOLLIN);
	scn_free(t);
}

static void estab__rcvlowat_100_with_50_bytes__nonblocking_recv_returns_50(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVLOWAT, 100);
	scn_inject(t, 10, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .data = payload,
			      .len = 50));
	char b[200];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 50);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, EAGAIN);
	scn_free(t);
}

/* A FIN makes the socket readable whatever the mark (EOF). */
static void estab__rcvlowat_high_then_fin__epollin(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVLOWAT, 1000);
	scn_inject(t, 10, SEG(.flags = ACK | PSH | FIN, .seq = R_ISS + 1, .ack = iss + 1,
			      .data = payload, .len = 10));
	assert_true(synack_poll_events(t->st, fd) & EPOLLIN);
	scn_free(t);
}

/* ===== TCP_NOTSENT_LOWAT =============================================== */

/* Readiness: EPOLLOUT only while 2 x unsent < notsent_lowat (Linux
 * tcp_stream_memory_free with wake = 1). Writes: buffers of the size goal
 * (half the peer's 65535 window in whole MSS: 22 x 1460 = 32120); the
 * first fills, ten segments leave (initial window), the 17520 unsent
 * are topped up to a full buffer (32120 unsent), then the next buffer is
 * refused: 46720 taken of 100000; another write gets EAGAIN. */
static void estab__notsent_lowat_4000__write_stops_and_no_epollout(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4000);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLOUT, EPOLLOUT);
	assert_int_equal(synack_send(t->st, fd, payload, 100000, 0), 46720);
	struct tcp_seg seg;
	int n = 0;
	while (n < 100 && scn_pop(t, &seg, NULL))
		n++;
	assert_int_equal(n, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), -1);
	assert_int_equal(errno, EAGAIN);
	int unsent = -1;
	assert_int_equal(synack_ioctl(t->st, fd, SIOCOUTQNSD, &unsent), 0);
	assert_int_equal(unsent, 32120);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLOUT, 0);
	/* Raising the threshold wakes writers (Linux sk_write_space). */
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 70000);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLOUT, EPOLLOUT);
	scn_free(t);
}

/* The ACK that lets the unsent bytes go out brings EPOLLOUT back once
 * 2 x unsent < lowat, and writes are taken again. */
static void estab__notsent_lowat__ack_drains__epollout_again(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4000);
	assert_int_equal(synack_send(t->st, fd, payload, 100000, 0), 46720);
	struct tcp_seg seg;
	for (int i = 0; i < 100 && scn_pop(t, &seg, NULL); i++)
		;
	/* Ack the first ten: cwnd 20, so 20 segments leave; 2920 stay
	 * unsent, and 2 x 2920 >= 4000: still no EPOLLOUT. */
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 14600));
	int unsent = -1;
	assert_int_equal(synack_ioctl(t->st, fd, SIOCOUTQNSD, &unsent), 0);
	assert_int_equal(unsent, 2920);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLOUT, 0);
	/* Two more acked: cwnd 22, the rest leaves. */
	scn_inject(t, 11, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 17520));
	assert_int_equal(synack_ioctl(t->st, fd, SIOCOUTQNSD, &unsent), 0);
	assert_int_equal(unsent, 0);
	assert_int_equal(synack_poll_events(t->st, fd) & EPOLLOUT, EPOLLOUT);
	assert_true(synack_send(t->st, fd, payload, 1000, 0) == 1000);
	scn_free(t);
}

/* The sysctl applies when the option is 0 (Linux tcp_notsent_lowat). */
static void estab__notsent_lowat_sysctl__applies_when_unset(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_notsent_lowat", "4000"), 0);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT), 0);
	assert_int_equal(synack_send(t->st, fd, payload, 100000, 0), 46720);
	scn_free(t);
}

/* Without a threshold the send buffer alone limits a write. */
static void estab__no_notsent_lowat__write_fills_sndbuf(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	/* Linux grows sndbuf to 2 x 2 x initial window x MSS: 58400. */
	assert_int_equal(synack_send(t->st, fd, payload, 100000, 0), 58400);
	scn_free(t);
}

/* ===== TCP_INQ, SO_SNDBUF on the wire ================================== */

/* SO_RCVBUF before the handshake sets the window the SYN-ACK offers
 * (Linux: the buffer is doubled, half of it is window). */
static void listener_rcvbuf_2920__synack_window_2920(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	scn_set_int(t, lfd, SOL_SOCKET, SO_RCVBUF, 2920);
	assert_int_equal(scn_get_int(t, lfd, SOL_SOCKET, SO_RCVBUF), 5840);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	assert_int_equal(sa.wnd, 2920);
	scn_free(t);
}

/* SO_SNDBUF 8192 (reads 16384) limits what a write queues to 8192. */
static void estab__sndbuf_8192__write_takes_8192(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_passive_established(t, NULL);
	scn_set_int(t, fd, SOL_SOCKET, SO_SNDBUF, 8192);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_SNDBUF), 16384);
	assert_int_equal(synack_send(t->st, fd, payload, 100000, 0), 8192);
	scn_free(t);
}

int main(void)
{
	memset(payload, 'p', sizeof(payload));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_socket__each_option__default_roundtrip_and_einval),
		cmocka_unit_test(new_socket__zero_values__back_to_defaults),
		cmocka_unit_test(new_socket__unknown_option__enoprotoopt),
		cmocka_unit_test(new_socket__so_linger__roundtrip),
		cmocka_unit_test(estab__maxseg__reads_live_mss),
		cmocka_unit_test(listener_maxseg_1000__synack_mss_1000_and_segments_1000),
		cmocka_unit_test(estab__keepidle_5_intvl_1_cnt_2__probes_then_rst),
		cmocka_unit_test(estab__keepidle_changed__rearmed_from_last_receive),
		cmocka_unit_test(estab__ack_delayed_data_unread__quickack_1_waits_for_the_read),
		cmocka_unit_test(estab__pingpong_data_read__quickack_1_sends_it_now),
		cmocka_unit_test(estab__nothing_owed__quickack_1_sends_nothing),
		cmocka_unit_test(estab__rcvlowat_100__epollin_at_100_bytes),
		cmocka_unit_test(estab__rcvlowat_100_with_50_bytes__nonblocking_recv_returns_50),
		cmocka_unit_test(estab__rcvlowat_high_then_fin__epollin),
		cmocka_unit_test(estab__notsent_lowat_4000__write_stops_and_no_epollout),
		cmocka_unit_test(estab__notsent_lowat__ack_drains__epollout_again),
		cmocka_unit_test(estab__notsent_lowat_sysctl__applies_when_unset),
		cmocka_unit_test(estab__no_notsent_lowat__write_fills_sndbuf),
		cmocka_unit_test(listener_rcvbuf_2920__synack_window_2920),
		cmocka_unit_test(estab__sndbuf_8192__write_takes_8192),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
