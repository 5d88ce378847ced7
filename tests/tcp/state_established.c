/*
 * ESTABLISHED (RFC 9293 3.10.7.4 and 3.8.6): data both ways, the ACK
 * policy of src/tcp/ack.c, flow control and zero windows in both
 * directions, reassembly, and the RFC 5961 answers to RST and SYN.
 *
 * The fixture opens passively with a 10 ms round trip, so the RTO is
 * 10 + 200 = 210 ms (RFC 6298 with Linux's RTTVAR floor of rto_min).
 * Our receive buffer is tcp_rmem[1] = 131072 bytes (SO_RCVBUF), whose
 * window is half: 65536; the peer offers neither window scaling nor
 * timestamps, so we offer 64240 first (rcv_window.c has the rules).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <sys/ioctl.h>

#include "scenario.h"

#define RTO_MS 210

/* SYN at 0 ms, final ACK at 10 ms; returns the accepted descriptor. */
static int estab(struct scn *t, uint32_t *iss)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	*iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 1));
	scn_expect_none(t);
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	return fd;
}

static int inq(struct scn *t, int fd)
{
	int n = -1;
	assert_int_equal(synack_ioctl(t->st, fd, FIONREAD, &n), 0);
	return n;
}

static int outq(struct scn *t, int fd)
{
	int n = -1;
	assert_int_equal(synack_ioctl(t->st, fd, SIOCOUTQ, &n), 0);
	return n;
}

/* A deterministic byte pattern. */
static const char *pattern(void)
{
	static char buf[4096];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('A' + i % 23);
	return buf;
}

#define ALL_ERR (EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM | EPOLLHUP | EPOLLERR)

/* ---- Receiving ---------------------------------------------------------- */

/* In-order data is readable exactly. Our first offer was 64240 (the
 * SYN-ACK's); what the buffer allows later is min(free, rcv_ssthresh =
 * 64076) rounded down to the peer's segment-size estimate (536 before
 * full segments: 63784), less than what is left of the first offer, and
 * an offer never shrinks (Linux tcp_select_window): the right edge stays
 * and the window is 64240 - 11. */
static void established__in_order_data__readable_exact(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello world"));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 12, .wnd = 64229));
	assert_int_equal(inq(t, fd), 11);
	char buf[16];
	assert_int_equal(synack_recv(t->st, fd, buf, 4, 0), 4);
	assert_memory_equal(buf, "hell", 4);
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "o world", 7);
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	/* Reading with the window wide open announces nothing (Linux
	 * tcp_cleanup_rbuf: only while the offer left is at most half the
	 * clamp, and only a window that at least doubles). */
	scn_expect_none(t);
	scn_free(t);
}

/* The first data grants min(rcv_wnd / (2 * rcv_mss), 16) = 16 quick ACKs
 * (Linux tcp_incr_quickack): each of 16 small segments is acked at once. */
static void established__first_16_segments__acked_at_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	estab(t, &iss);
	for (uint32_t i = 0; i < 16; i++) {
		scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1 + 10 * i, .ack = iss + 1,
				      .data = "0123456789"));
		scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 11 + 10 * i,
					 .wnd = (int32_t)(64230 - 10 * i)));
	}
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* Send n small segments of 10 bytes at `at`, draining their quick ACKs. */
static void use_up_quick_acks(struct scn *t, uint32_t iss, uint64_t at)
{
	for (uint32_t i = 0; i < 16; i++) {
		scn_inject(t, at, SEG(.flags = PSH | ACK, .seq = R_ISS + 1 + 10 * i, .ack = iss + 1,
				      .data = "0123456789"));
		struct tcp_seg seg;
		assert_true(scn_pop(t, &seg, NULL));
	}
	scn_expect_none(t);
}

/* Then a lone segment waits for the delayed-ACK timer: 40 ms
 * (TCP_DELACK_MIN), counted in TcpExtDelayedACKs. */
static void established__after_quick_acks__ack_delayed_40ms(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	estab(t, &iss);
	use_up_quick_acks(t, iss, 20);
	scn_inject(t, 25, SEG(.flags = PSH | ACK, .seq = R_ISS + 161, .ack = iss + 1, .data = "x"));
	scn_at(t, 64);
	scn_expect_none(t);
	scn_at(t, 100);
	scn_expect_at(t, 65, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 162, .wnd = 64079));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	scn_free(t);
}

/* Full segments read as they come, 16 of them on quick ACKs: the first
 * moves the edge (rcv_mss is 1460 now: rounddown(64076, 1460) = 62780),
 * the offer stays 62780. Then, more than one full segment unacknowledged
 * and the window not shrinking: ACK at once (RFC 9293 3.8.6.3, Linux
 * __tcp_ack_snd_check), cancelling the delayed ACK. */
static void established__two_full_segments__acked_at_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	const char *p = pattern();
	static char buf[1460];
	uint32_t off = 1;
	for (int i = 0; i < 16; i++, off += 1460) {
		scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + off, .ack = iss + 1, .data = p, .len = 1460));
		scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + off + 1460, .wnd = 62780));
		assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 1460);
	}
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + off, .ack = iss + 1, .data = p, .len = 1460));
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 1460);
	scn_expect_none(t);
	scn_inject(t, 31, SEG(.flags = ACK, .seq = R_ISS + off + 1460, .ack = iss + 1, .data = p, .len = 1460));
	scn_expect_at(t, 31, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + off + 2920, .wnd = 62780));
	scn_at(t, 200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* Unread, the same two segments wait: the buffer would allow
 * rounddown(65536 - 3080, 1460) = 61320, below the last offer (64080), so
 * Linux leaves the ACK to the timer (or to the read; __tcp_ack_snd_check's
 * "right edge advances far enough"). */
static void established__two_full_segments_unread__ack_delayed(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	estab(t, &iss);
	use_up_quick_acks(t, iss, 20);
	const char *p = pattern();
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 161, .ack = iss + 1, .data = p, .len = 1460));
	scn_inject(t, 31, SEG(.flags = ACK, .seq = R_ISS + 1621, .ack = iss + 1, .data = p, .len = 1460));
	scn_at(t, 69);
	scn_expect_none(t);
	scn_at(t, 70);
	/* 61320 is more than is left of the last offer (64080 - 2920): the
	 * edge moves on. */
	scn_expect_at(t, 70, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 3081, .wnd = 61320));
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	scn_free(t);
}

/* Out of order: an immediate duplicate ACK; the segment filling the hole
 * gets an immediate ACK covering both (RFC 9293 3.10.7.4 seventh,
 * RFC 5681 4.2). */
static void established__out_of_order__dup_ack_then_full_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 11, .ack = iss + 1, .data = "0123456789"));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(inq(t, fd), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPOFOQueue"), 1);
	scn_inject(t, 30, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "abcdefghij"));
	scn_expect_at(t, 30, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 21, .wnd = 64220));
	scn_expect_none(t);
	char buf[32];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 20);
	assert_memory_equal(buf, "abcdefghij0123456789", 20);
	scn_free(t);
}

/* A segment starting at or past the right edge is not acceptable:
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, data dropped (3.10.7.4 first). */
static void established__segment_beyond_window__ack_and_drop(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1 + 64240, .ack = iss + 1, .data = "edge"));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 21, SEG(.flags = PSH | ACK, .seq = R_ISS + 100000, .ack = iss + 1, .data = "far"));
	scn_expect_at(t, 21, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(inq(t, fd), 0);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* Old data again (its ACK was lost): ACK at once; Linux counts the
 * duplicate in TcpExtDelayedACKLost. */
static void established__old_duplicate_data__ack_at_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	use_up_quick_acks(t, iss, 20); /* the dup ACK must not be a quick ACK */
	scn_inject(t, 30, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "0123456789"));
	scn_expect_at(t, 30, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 161, .wnd = 64080));
	scn_expect_none(t);
	assert_int_equal(inq(t, fd), 160);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKLost"), 1);
	scn_free(t);
}

/* Fill our receive buffer without reading: a scripted peer sends what
 * each ACK allows (full segments). The buffer's window is 65536, yet the
 * first offer (64240) is never passed: every later offer the buffer
 * allows, rounddown(65536 - held, 1460), ends below that right edge, so
 * the edge stays and the windows count down to zero (Linux never shrinks
 * an offer). Stops at the zero window; returns the bytes taken, *now the
 * virtual time reached. */
static uint32_t fill_receive_buffer(struct scn *t, int fd, uint32_t iss, uint64_t *now_out)
{
	const char *p = pattern();
	uint32_t nxt = 0, peer_edge = 64240, acked = 0;
	uint32_t last_wnd = 64240;
	uint64_t now = 20;
	for (int guard = 0; guard < 1000; guard++) {
		uint32_t room = peer_edge - nxt;
		if (room > 1460)
			room = 1460;
		if (room) {
			scn_inject(t, now, SEG(.flags = ACK, .seq = R_ISS + 1 + nxt, .ack = iss + 1,
					       .data = p + nxt % 1000, .len = room));
			nxt += room;
		} else {
			now += 40; /* wait for the delayed ACK */
			scn_at(t, now);
		}
		struct tcp_seg seg;
		while (scn_pop(t, &seg, NULL)) {
			uint32_t n = seg.ack - (R_ISS + 1);
			assert_int_equal(seg.flags, ACK);
			assert_int_equal(seg.seq, iss + 1);
			assert_true(n <= nxt);
			assert_int_equal(n + seg.wnd, 64240); /* the edge never moves */
			peer_edge = n + seg.wnd;
			acked = n;
			last_wnd = seg.wnd;
		}
		if (acked == nxt && last_wnd == 0)
			break;
	}
	assert_int_equal(last_wnd, 0);
	assert_int_equal(nxt, 64240);
	assert_int_equal(inq(t, fd), (int)nxt);
	*now_out = now;
	return nxt;
}

static void established__fill_receive_buffer__window_falls_to_zero(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	uint64_t now;
	uint32_t n = fill_receive_buffer(t, fd, iss, &now);
	/* One more byte does not fit: dropped, and the ACK repeats the
	 * zero window (RFC 9293 3.10.7.4 first and seventh). */
	scn_inject(t, now + 1, SEG(.flags = PSH | ACK, .seq = R_ISS + 1 + n, .ack = iss + 1, .data = "z"));
	scn_expect_at(t, now + 1, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1 + n, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(inq(t, fd), (int)n);
	scn_free(t);
}

/* Reading reopens the window on Linux's thresholds (__tcp_select_window,
 * tcp_cleanup_rbuf): with less than half the buffer free, nothing is
 * offered until the free space reaches 1/16 of the buffer's window
 * (4096) and one MSS; then rounddown(4096, 1460) = 2920. Reading the rest
 * offers rcv_ssthresh rounded to the MSS, 62780 (at least double). */
static void established__read_after_zero_window__window_update(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	uint64_t now;
	uint32_t n = fill_receive_buffer(t, fd, iss, &now);
	uint32_t free_space = 65536 - n; /* 1296 */
	static char buf[65536];
	assert_int_equal(synack_recv(t->st, fd, buf, 4095 - free_space, 0), (ssize_t)(4095 - free_space));
	scn_expect_none(t);
	assert_int_equal(synack_recv(t->st, fd, buf, 1, 0), 1);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1 + n, .wnd = 2920));
	scn_expect_none(t);
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), (ssize_t)(n - (4096 - free_space)));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1 + n, .wnd = 62780));
	scn_expect_none(t);
	/* The peer may send again (its quick ACKs are long used: delayed);
	 * the offer stays 62780 (within one MSS of what is free), so the
	 * edge moves with the data. */
	scn_inject(t, now + 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1 + n, .ack = iss + 1, .data = "more"));
	scn_at(t, now + 100);
	scn_expect_at(t, now + 50, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 5 + n, .wnd = 62780));
	assert_int_equal(inq(t, fd), 4);
	scn_free(t);
}

/* ---- Sending ------------------------------------------------------------ */

/* One small write: one segment, PSH|ACK, the exact bytes. */
static void established__send__one_psh_ack_segment(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_at(t, 20);
	assert_int_equal(synack_send(t->st, fd, "hello", 5, 0), 5);
	scn_expect_at(t, 20, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "hello"));
	scn_expect_none(t);
	assert_int_equal(outq(t, fd), 5);
	assert_int_equal(scn_counter(t, "TcpExtTCPOrigDataSent"), 1);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 6));
	scn_expect_none(t);
	assert_int_equal(outq(t, fd), 0);
	scn_at(t, 2000); /* nothing left to retransmit */
	scn_expect_none(t);
	scn_free(t);
}

/* 3000 bytes at MSS 1460: 1460, 1460, 80. At 10 ms RTT Linux's bursts
 * are 2 segments (tcp_tso_autosize), each cut from the pushed skb, so
 * PSH ends both (packetdrill nagle/https_client: ., P., P.; push.c).
 * TCP_NODELAY keeps Nagle out of it (see the next test). */
static void established__send_3000_nodelay__segments_1460_1460_80(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	const char *p = pattern();
	int one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	scn_at(t, 20);
	assert_int_equal(synack_send(t->st, fd, p, 3000, 0), 3000);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = p, .len = 1460));
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1461, .ack = R_ISS + 1, .data = p + 1460, .len = 1460));
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 2921, .ack = R_ISS + 1, .data = p + 2920, .len = 80));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPOrigDataSent"), 3);
	scn_free(t);
}

/* The same with Nagle on. Linux sends the 80-byte tail at once too: its
 * Nagle test (tcp_nagle_check with Minshall's tcp_minshall_check) holds a
 * small segment only while another small one is unacknowledged, and
 * one write of 3000 bytes is one skb sent while nothing is in flight. */
static void established__send_3000__segments_1460_1460_80(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	const char *p = pattern();
	scn_at(t, 20);
	assert_int_equal(synack_send(t->st, fd, p, 3000, 0), 3000);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = p, .len = 1460));
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 1461, .ack = R_ISS + 1, .data = p + 1460, .len = 1460));
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = iss + 2921, .ack = R_ISS + 1, .data = p + 2920, .len = 80));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPOrigDataSent"), 3);
	scn_free(t);
}

/* The peer offers 100 bytes. Linux sends no segment smaller than an MSS
 * (or the queued data) because of the window (tcp_snd_wnd_test); the
 * probe timer (one RTO) then sends what fits, with PSH (tcp_write_wakeup).
 * Only those 100 bytes go until the window opens. */
static void established__peer_window_100__100_bytes_until_window_opens(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	const char *p = pattern();
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 100));
	assert_int_equal(synack_send(t->st, fd, p, 300, 0), 300);
	scn_at(t, 20 + RTO_MS - 1);
	scn_expect_none(t);
	scn_at(t, 20 + RTO_MS);
	scn_expect_at(t, 20 + RTO_MS, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = p, .len = 100));
	scn_expect_none(t);
	scn_inject(t, 240, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 101, .wnd = 65535));
	scn_expect_at(t, 240, SEG(.flags = PSH | ACK, .seq = iss + 101, .ack = R_ISS + 1, .data = p + 100, .len = 200));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 0);
	scn_free(t);
}

/* A zero window: the persist timer probes at RTO, then doubling (210,
 * 420, 840 ms), each probe <SEQ=SND.UNA-1><CTL=ACK> with no data (Linux
 * tcp_xmit_probe_skb, TcpExtTCPWinProbe); data flows once the window
 * opens. */
static void established__zero_window__probes_then_data_when_open(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 0));
	assert_int_equal(synack_send(t->st, fd, "0123456789", 10, 0), 10);
	scn_expect_none(t);
	static const uint64_t at[] = {20 + 210, 20 + 210 + 420, 20 + 210 + 420 + 840};
	for (size_t i = 0; i < 3; i++) {
		scn_at(t, at[i] - 1);
		scn_expect_none(t);
		scn_at(t, at[i]);
		scn_expect_at(t, at[i], SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 1));
		scn_inject(t, at[i], SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 0));
		scn_expect_none(t);
	}
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 3);
	assert_int_equal(outq(t, fd), 10);
	scn_inject(t, 1600, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .wnd = 65535));
	scn_expect_at(t, 1600, SEG(.flags = PSH | ACK, .seq = iss + 1, .ack = R_ISS + 1, .data = "0123456789"));
	scn_expect_none(t);
	scn_free(t);
}

/* ---- RST, SYN and bad ACKs (RFC 5961) ----------------------------------- */

/* A RST exactly at RCV.NXT resets: CLOSED, nothing sent; recv reports
 * ECONNRESET once, then end of file; send gets EPIPE; every readiness bit
 * (LINUX-SEMANTICS 7). */
static void established__rst_at_rcv_nxt__closed_econnreset(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(synack_poll_events(t->st, fd), ALL_ERR);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	char c;
	assert_int_equal(synack_recv(t->st, fd, &c, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(synack_recv(t->st, fd, &c, 1, 0), 0);
	assert_int_equal(synack_send(t->st, fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	scn_expect_none(t);
	scn_free(t);
}

/* A RST in the window but not at RCV.NXT: challenge ACK
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, state unchanged (RFC 5961 3.2). */
static void established__rst_in_window__challenge_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS + 2));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 1);
	assert_int_equal(synack_poll_events(t->st, fd), EPOLLOUT | EPOLLWRNORM);
	/* The real RST that the challenge draws then resets. */
	scn_inject(t, 30, SEG(.flags = RST, .seq = R_ISS + 1));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	scn_free(t);
}

/* A RST outside the window is dropped silently (3.10.7.4 first). The
 * right edge itself counts as inside for an empty segment, as in Linux's
 * tcp_sequence, so the first RST here is one past it. */
static void established__rst_out_of_window__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS + 1 + 65536));
	scn_inject(t, 20, SEG(.flags = RST, .seq = R_ISS));
	scn_inject(t, 20, SEG(.flags = RST | ACK, .seq = R_ISS + 200000, .ack = iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 0);
	scn_free(t);
}

/* A SYN in a synchronized state: challenge ACK, dropped (RFC 5961 4.2;
 * TcpExtTCPSYNChallenge and TcpExtTCPChallengeACK). */
static void established__syn__challenge_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = SYN, .seq = R_ISS + 1, .mss = 1460));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPSYNChallenge"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 1);
	scn_free(t);
}

/* An ACK of bytes never sent: ACK back and drop the segment, data too
 * (3.10.7.4 fifth; Linux 6.18 tcp_ack sends it as a challenge ACK). */
static void established__ack_of_unsent_data__ack_and_drop(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 101, .data = "abc"));
	scn_expect_at(t, 20, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(inq(t, fd), 0);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 1);
	scn_free(t);
}

/* ---- Readiness ---------------------------------------------------------- */

/* LINUX-SEMANTICS 7: ESTABLISHED is writable; readable once data is in. */
static void established__epoll__out_then_in_with_data(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab(t, &iss);
	int ep = synack_epoll_create(t->st);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, fd, &ev), 0);
	struct epoll_event out[2];
	assert_int_equal(synack_poll_events(t->st, fd), EPOLLOUT | EPOLLWRNORM);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "ping"));
	assert_int_equal(synack_poll_events(t->st, fd), EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLIN | EPOLLOUT);
	char buf[8];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 4);
	assert_int_equal(synack_poll_events(t->st, fd), EPOLLOUT | EPOLLWRNORM);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(established__in_order_data__readable_exact),
		cmocka_unit_test(established__first_16_segments__acked_at_once),
		cmocka_unit_test(established__after_quick_acks__ack_delayed_40ms),
		cmocka_unit_test(established__two_full_segments__acked_at_once),
		cmocka_unit_test(established__two_full_segments_unread__ack_delayed),
		cmocka_unit_test(established__out_of_order__dup_ack_then_full_ack),
		cmocka_unit_test(established__segment_beyond_window__ack_and_drop),
		cmocka_unit_test(established__old_duplicate_data__ack_at_once),
		cmocka_unit_test(established__fill_receive_buffer__window_falls_to_zero),
		cmocka_unit_test(established__read_after_zero_window__window_update),
		cmocka_unit_test(established__send__one_psh_ack_segment),
		cmocka_unit_test(established__send_3000_nodelay__segments_1460_1460_80),
		cmocka_unit_test(established__send_3000__segments_1460_1460_80),
		cmocka_unit_test(established__peer_window_100__100_bytes_until_window_opens),
		cmocka_unit_test(established__zero_window__probes_then_data_when_open),
		cmocka_unit_test(established__rst_at_rcv_nxt__closed_econnreset),
		cmocka_unit_test(established__rst_in_window__challenge_ack),
		cmocka_unit_test(established__rst_out_of_window__ignored),
		cmocka_unit_test(established__syn__challenge_ack),
		cmocka_unit_test(established__ack_of_unsent_data__ack_and_drop),
		cmocka_unit_test(established__epoll__out_then_in_with_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
