/*
 * Buffer autotuning as Linux: the receive buffer grows to what the
 * application reads per round trip (tcp_moderate_rcvbuf, dynamic
 * right-sizing: tcp_rcv_space_adjust), the send buffer to two congestion
 * windows (tcp_sndbuf_expand); SO_RCVBUF / SO_SNDBUF switch it off.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <stdlib.h>
#include <string.h>

#include <synack/memlink.h>
#include <synack/tcp_info.h>

#include "scenario.h"

static int getint(struct scn *t, int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, level, name, &v, &l), 0);
	return v;
}

static struct synack_tcp_info info(struct scn *t, int fd)
{
	struct synack_tcp_info ti;
	socklen_t l = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	return ti;
}

/* The peer sends n full segments from sequence offset *off at at_ms; every
 * ACK we answer with is drained. */
static void peer_sends(struct scn *t, uint64_t at_ms, uint32_t iss, uint32_t *off, unsigned n)
{
	static const char pay[1460];
	for (unsigned i = 0; i < n; i++) {
		scn_inject(t, at_ms, SEG(.flags = ACK, .seq = R_ISS + 1 + *off, .ack = iss + 1,
					 .data = pay, .len = sizeof(pay)));
		*off += sizeof(pay);
	}
	struct tcp_seg seg;
	for (unsigned i = 0; i < 4 * n + 4 && scn_pop(t, &seg, NULL); i++)
		;
}

static uint32_t read_all(struct scn *t, int fd)
{
	static char buf[1 << 18];
	ssize_t n = synack_recv(t->st, fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	return (uint32_t)n;
}

/* As peer_sends, with the application reading each segment as it comes
 * (so our window keeps moving); returns the bytes read. */
static uint32_t peer_sends_read(struct scn *t, uint64_t at_ms, uint32_t iss, uint32_t *off,
				unsigned n, int fd)
{
	uint32_t got = 0;
	for (unsigned i = 0; i < n; i++) {
		peer_sends(t, at_ms, iss, off, 1);
		got += read_all(t, fd);
	}
	return got;
}

/*
 * Without timestamps the receiver times one advertised window's arrival
 * (Linux tcp_rcv_rtt_measure): the window last advertised was 64240 (the
 * SYN-ACK's) when the first segment came at 100 ms, so the sample ends
 * once RCV.NXT reaches 1460 + 64240 = 65700: the 44th segment of the
 * burst at 130 ms, a 30 ms RTT. The read right after it has taken 65700
 * bytes in that RTT, beating the first measure (10 MSS = 14600): window =
 * 2 x 65700 + 16 x 1460 = 154760, plus twice its share of the growth
 * 154760 x 51100 / 14600 = 541660, = 1238080 bytes; SO_RCVBUF reports
 * twice that, 2476160 (under tcp_rmem[2] 6291456), and the window clamp
 * follows it (tcp_rcv_space_adjust).
 */
static void estab__fast_reader__rcvbuf_grows_by_linux_rule(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss, off = 0;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(getint(t, fd, SOL_SOCKET, SO_RCVBUF), 131072);
	assert_int_equal(info(t, fd).tcpi_rcv_space, 14600);
	assert_int_equal(info(t, fd).tcpi_rcv_ssthresh, 64076);
	assert_int_equal(peer_sends_read(t, 100, iss, &off, 1, fd), 1460);
	assert_int_equal(peer_sends_read(t, 130, iss, &off, 44, fd), 64240);
	assert_int_equal(info(t, fd).tcpi_rcv_rtt, 30000);
	assert_int_equal(getint(t, fd, SOL_SOCKET, SO_RCVBUF), 2476160);
	assert_int_equal(info(t, fd).tcpi_rcv_space, 65700);
	/* Within the same RTT a second read measures nothing new. */
	assert_int_equal(peer_sends_read(t, 140, iss, &off, 46, fd), 67160);
	assert_int_equal(getint(t, fd, SOL_SOCKET, SO_RCVBUF), 2476160);
	assert_int_equal(info(t, fd).tcpi_rcv_space, 65700);
	/* Each of those 46 in-order segments raised rcv_ssthresh by 2 advmss
	 * towards the new clamp (tcp_grow_window). */
	assert_int_equal(info(t, fd).tcpi_rcv_ssthresh, 64076 + 46 * 2920);
	scn_free(t);
}

/* A reader that takes less per RTT than the last measure grows nothing. */
static void estab__slow_reader__rcvbuf_stays(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss, off = 0;
	int fd = fx_passive_established(t, &iss);
	peer_sends(t, 100, iss, &off, 1);
	peer_sends(t, 130, iss, &off, 45);
	char buf[1000];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 1000);
	assert_int_equal(getint(t, fd, SOL_SOCKET, SO_RCVBUF), 131072);
	assert_int_equal(info(t, fd).tcpi_rcv_space, 14600);
	scn_free(t);
}

/* SO_RCVBUF fixes the buffer (Linux SOCK_RCVBUF_LOCK); so does
 * net.ipv4.tcp_moderate_rcvbuf = 0. The RTT is still measured. */
static void estab__rcvbuf_locked_or_sysctl_off__no_growth(void **state)
{
	for (int mode = 0; mode < 2; mode++) {
		struct synack_config cfg;
		synack_config_default(&cfg);
		if (mode == 1)
			assert_int_equal(synack_config_set(&cfg, "net.ipv4.tcp_moderate_rcvbuf", "0"), 0);
		struct scn *t = scn_new(&cfg);
		uint32_t iss, off = 0;
		int fd = fx_passive_established(t, &iss);
		if (mode == 0) {
			int v = 100000;
			assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
		}
		int before = getint(t, fd, SOL_SOCKET, SO_RCVBUF);
		peer_sends_read(t, 100, iss, &off, 1, fd);
		peer_sends_read(t, 130, iss, &off, 44, fd);
		assert_int_equal(info(t, fd).tcpi_rcv_rtt, 30000);
		assert_int_equal(getint(t, fd, SOL_SOCKET, SO_RCVBUF), before);
		assert_int_equal(info(t, fd).tcpi_rcv_space, 65700);
		scn_free(t);
	}
}

/*
 * Send side: two initial windows of data at establishment (4 x 10 x 1460
 * = 58400), then twice the congestion window as it grows: after ten
 * segments are acked in slow start the cwnd is 20 and the buffer
 * 4 x 20 x 1460 = 116800. SO_SNDBUF set by the application stays.
 */
static void estab__cwnd_grows__sndbuf_follows(void **state)
{
	for (int locked = 0; locked < 2; locked++) {
		struct scn *t = scn_new(NULL);
		uint32_t iss;
		int fd = fx_passive_established(t, &iss);
		if (locked) {
			int v = 30000;
			assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
		}
		int before = getint(t, fd, SOL_SOCKET, SO_SNDBUF);
		assert_int_equal(before, locked ? 60000 : 58400);
		static char data[14600];
		assert_int_equal(synack_send(t->st, fd, data, sizeof(data), 0), locked ? 14600 : 14600);
		struct tcp_seg seg;
		for (unsigned i = 0; i < 20 && scn_pop(t, &seg, NULL); i++)
			;
		scn_inject(t, 50, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 14600));
		assert_int_equal(info(t, fd).tcpi_snd_cwnd, 20);
		assert_int_equal(getint(t, fd, SOL_SOCKET, SO_SNDBUF), locked ? 60000 : 116800);
		scn_free(t);
	}
}

/* ---- end to end on memlink ------------------------------------------- */

struct bulk {
	struct synack_stack *a, *b;
	int cfd, sfd;
	uint64_t sent, got, total;
};

static bool bulk_done(void *ctx)
{
	struct bulk *k = ctx;
	static char buf[65536];
	for (int i = 0; i < 64 && k->sent < k->total; i++) {
		uint64_t want = k->total - k->sent < sizeof(buf) ? k->total - k->sent : sizeof(buf);
		ssize_t n = synack_send(k->a, k->cfd, buf, (size_t)want, 0);
		if (n <= 0)
			break;
		k->sent += (uint64_t)n;
	}
	for (int i = 0; i < 64; i++) {
		ssize_t n = synack_recv(k->b, k->sfd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		k->got += (uint64_t)n;
	}
	return k->got >= k->total;
}

/* Virtual seconds to move 16 MiB over a 50 ms, 200 Mbit/s path; the
 * receiver's final SO_RCVBUF and the sender's SO_SNDBUF. */
static double bulk_over_long_path(int moderate, int *rcvbuf, int *sndbuf)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_moderate_rcvbuf = moderate;
	struct memlink *net = memlink_new(7, 0);
	struct bulk k = {.total = 16u << 20};
	k.a = memlink_stack_add(net, "10.9.0.1", &cfg, NULL, NULL);
	k.b = memlink_stack_add(net, "10.9.0.2", &cfg, NULL, NULL);
	struct memlink_path p = {.delay = SYNACK_MS(25), .rate_bps = 200000000ull};
	memlink_set_path(net, -1, -1, &p);
	int lfd = synack_socket(k.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(5001),
				  .sin_addr = {htonl(0x0a090002)}};
	assert_int_equal(synack_bind(k.b, lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(k.b, lfd, 4), 0);
	k.cfd = synack_socket(k.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(synack_connect(k.a, k.cfd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	for (int i = 0; i < 100 && (k.sfd = synack_accept4(k.b, lfd, NULL, NULL, SOCK_NONBLOCK)) < 0; i++)
		assert_true(memlink_step(net, SYNACK_SEC(10)));
	assert_true(k.sfd >= 0);
	synack_time_t start = memlink_now(net);
	assert_true(memlink_run_while(net, bulk_done, &k, start + SYNACK_SEC(600)));
	socklen_t l = sizeof(int);
	assert_int_equal(synack_getsockopt(k.b, k.sfd, SOL_SOCKET, SO_RCVBUF, rcvbuf, &l), 0);
	assert_int_equal(synack_getsockopt(k.a, k.cfd, SOL_SOCKET, SO_SNDBUF, sndbuf, &l), 0);
	double secs = (double)(memlink_now(net) - start) / 1e6;
	memlink_free(net);
	return secs;
}

/*
 * Over a 50 ms path the fixed 128 KiB buffer allows ~2.6 MB/s; grown to
 * the path (bandwidth x delay = 1.25 MB) the same transfer runs several
 * times faster, and both buffers end well above their defaults.
 */
static void memlink__long_fat_path__autotuning_fills_it(void **state)
{
	int rb_on, sb_on, rb_off, sb_off;
	double on = bulk_over_long_path(1, &rb_on, &sb_on);
	double off = bulk_over_long_path(0, &rb_off, &sb_off);
	print_message("16 MiB over 50 ms / 200 Mbit/s: %.2f s autotuned (SO_RCVBUF %d, SO_SNDBUF %d), "
		      "%.2f s fixed (SO_RCVBUF %d)\n", on, rb_on, sb_on, off, rb_off);
	assert_int_equal(rb_off, 131072);
	assert_true(rb_on > 1250000);
	assert_true(sb_on > 1250000);
	assert_true(on * 3 < off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__fast_reader__rcvbuf_grows_by_linux_rule),
		cmocka_unit_test(estab__slow_reader__rcvbuf_stays),
		cmocka_unit_test(estab__rcvbuf_locked_or_sysctl_off__no_growth),
		cmocka_unit_test(estab__cwnd_grows__sndbuf_follows),
		cmocka_unit_test(memlink__long_fat_path__autotuning_fills_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
