/*
 * TCP_INFO's busy_time, rwnd_limited and sndbuf_limited (Linux's
 * chronographs, tcp_chrono_start/stop): exact microseconds of virtual
 * time. Busy runs while data is queued or unacked; rwnd-limited while the
 * peer's window stops new data with the cwnd open (tcp_write_xmit's
 * tcp_snd_wnd_test); sndbuf-limited while everything is sent, the cwnd is
 * not the limit and the writer found the buffer full (tcp_cwnd_validate,
 * SOCK_NOSPACE), until the buffer is writeable again (tcp_check_space).
 * busy_time is the sum of the three.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "scenario.h"

static char payload[20000];

struct chrono {
	uint64_t busy, rwnd, sndbuf;
};

static struct chrono chrono(struct scn *t, int fd)
{
	struct synack_tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return (struct chrono){ti.tcpi_busy_time, ti.tcpi_rwnd_limited, ti.tcpi_sndbuf_limited};
}

#define expect_chrono(t, fd, b, r, s)                                                             \
	do {                                                                                      \
		struct chrono c_ = chrono((t), (fd));                                             \
		assert_int_equal(c_.busy, (b));                                                   \
		assert_int_equal(c_.rwnd, (r));                                                   \
		assert_int_equal(c_.sndbuf, (s));                                                 \
	} while (0)

/* Pop every segment sent now; returns the payload bytes (bounded). */
static uint32_t drain(struct scn *t, unsigned *nsegs)
{
	struct tcp_seg seg;
	uint32_t bytes = 0;
	unsigned n = 0;
	while (n < 64 && scn_pop(t, &seg, NULL)) {
		bytes += seg.len;
		n++;
	}
	if (nsegs)
		*nsegs = n;
	return bytes;
}

/* A new connection has run no clock. */
static void estab__nothing_sent__all_zero(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_passive_established(t, NULL);
	scn_at(t, 500);
	expect_chrono(t, fd, 0, 0, 0);
	scn_free(t);
}

/* The peer's window is zero when 1000 bytes are written at 20 ms: rwnd-
 * limited from then until the window opens at 150 ms and the data goes;
 * busy until its ACK at 180 ms; an idle second after adds nothing. */
static void zero_window__write_then_open__rwnd_limited_exact(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 0));
	scn_at(t, 20);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), 1000);
	scn_expect_none(t);
	scn_at(t, 120);
	expect_chrono(t, fd, 100000, 100000, 0);
	scn_inject(t, 150, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 2000));
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = payload,
			  .len = 1000, .any_wnd = true));
	expect_chrono(t, fd, 130000, 130000, 0);
	scn_inject(t, 180, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1001, .wnd = 2000));
	scn_at(t, 1180);
	expect_chrono(t, fd, 160000, 130000, 0);
	scn_free(t);
}

/* Busy accrues only while data is out: 30 ms, then an idle second, then
 * 20 ms. A 10-byte window then holds a 1000-byte write (sender SWS
 * avoidance: less than half the largest window) for 50 ms, rwnd-limited,
 * and busy takes that too. */
static void idle_then_small_window__busy_and_rwnd_exact(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), 1000);
	assert_int_equal(drain(t, NULL), 1000);
	scn_inject(t, 40, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1001));
	scn_at(t, 1000);
	expect_chrono(t, fd, 30000, 0, 0);
	assert_int_equal(synack_send(t->st, fd, payload, 500, 0), 500);
	assert_int_equal(drain(t, NULL), 500);
	scn_inject(t, 1020, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1501, .wnd = 10));
	expect_chrono(t, fd, 50000, 0, 0);
	scn_at(t, 1100);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), 1000);
	scn_expect_none(t);
	scn_inject(t, 1150, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1501));
	assert_int_equal(drain(t, NULL), 1000);
	scn_inject(t, 1170, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2501));
	scn_at(t, 2000);
	expect_chrono(t, fd, 120000, 50000, 0);
	scn_free(t);
}

/* 20000 bytes with cwnd 10: ten segments go and the rest waits for the
 * cwnd, not the window (65535 open): busy, never rwnd-limited. */
static void cwnd_full__not_rwnd_limited(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 20000, 0), 20000);
	unsigned n;
	assert_int_equal(drain(t, &n), 14600);
	assert_int_equal(n, 10);
	scn_at(t, 60);
	expect_chrono(t, fd, 50000, 0, 0);
	scn_free(t);
}

/*
 * SO_SNDBUF 5000: a 10000-byte write takes 5000 at 10 ms, all sent within
 * the cwnd, so the writer waits for space with nothing left to send:
 * sndbuf-limited. A later write gets EAGAIN. Acking 1460 bytes leaves
 * 3540 queued (free < half of it): still limited; acking 2920 leaves
 * 2080 (free 2920): writeable, so the clock stops at 60 ms. A write of
 * 3000 at 70 ms fills the buffer again (2920 taken, sent at once): limited
 * again until everything is acked at 100 ms.
 */
static void small_sndbuf__eagain__sndbuf_limited_exact(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int v = 5000;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 10000, 0), 5000);
	assert_int_equal(drain(t, NULL), 5000);
	scn_at(t, 20);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), -1);
	assert_int_equal(errno, EAGAIN);
	scn_at(t, 30);
	expect_chrono(t, fd, 20000, 0, 20000);
	scn_inject(t, 50, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 1460));
	expect_chrono(t, fd, 40000, 0, 40000);
	scn_inject(t, 60, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 2920));
	scn_at(t, 70);
	expect_chrono(t, fd, 60000, 0, 50000);
	assert_int_equal(synack_send(t->st, fd, payload, 3000, 0), 2920);
	assert_int_equal(drain(t, NULL), 2920);
	scn_inject(t, 100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 7920));
	scn_at(t, 500);
	expect_chrono(t, fd, 90000, 0, 80000);
	scn_free(t);
}

/* Sndbuf-limited needs data all sent with the cwnd open: SO_SNDBUF
 * 20000 takes 20000 bytes, the initial cwnd sends ten segments and 5400
 * bytes wait for it; a further write gets EAGAIN, yet the clock is busy,
 * not sndbuf-limited. */
static void cwnd_full_and_buffer_full__busy_only(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int v = 20000;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 20000, 0), 20000);
	assert_int_equal(synack_send(t->st, fd, payload, 100, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(drain(t, NULL), 14600);
	scn_at(t, 40);
	expect_chrono(t, fd, 30000, 0, 0);
	scn_free(t);
}

/* A RST ends the connection: no clock runs after it. */
static void rst__clocks_stop(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 10);
	assert_int_equal(synack_send(t->st, fd, payload, 1000, 0), 1000);
	assert_int_equal(drain(t, NULL), 1000);
	scn_inject(t, 30, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_at(t, 1000);
	expect_chrono(t, fd, 20000, 0, 0);
	scn_free(t);
}

int main(void)
{
	memset(payload, 'c', sizeof(payload));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__nothing_sent__all_zero),
		cmocka_unit_test(zero_window__write_then_open__rwnd_limited_exact),
		cmocka_unit_test(idle_then_small_window__busy_and_rwnd_exact),
		cmocka_unit_test(cwnd_full__not_rwnd_limited),
		cmocka_unit_test(small_sndbuf__eagain__sndbuf_limited_exact),
		cmocka_unit_test(cwnd_full_and_buffer_full__busy_only),
		cmocka_unit_test(rst__clocks_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
