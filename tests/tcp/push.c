/*
 * PSH as Linux sets it (push.c): tcp_push marks the last send buffer of a
 * write without MSG_MORE; forced_push marks a buffer once a write is more
 * than half the peer's largest window past the last push; a write that
 * appends to an unsent buffer takes its PSH away. On the wire a burst
 * (a Linux TSO packet: at most tcp_tso_segs segments and half the cwnd,
 * its flags on its last segment) of more than one segment always has PSH
 * (__tcp_transmit_skb forces it); a one-segment burst has it where a
 * marked buffer ends.
 *
 * With a zero-RTT handshake there is no pacing limit (64 KB bursts), so
 * bursts are bounded by half the initial cwnd (5).
 */
#include <string.h>
#include <sys/socket.h>

#include "scenario.h"

#define BIG 40000
static uint8_t big[BIG];

static void fill(void)
{
	for (unsigned i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7 + 3);
}

#define DATA(iss, off, n, fl)                                                              \
	SEG(.flags = (fl), .seq = (iss) + 1 + (off), .ack = R_ISS + 1, .data = (const char *)big + (off), \
	    .len = (n), .any_wnd = true)
#define PEER_ACK(iss, off, w) SEG(.flags = ACK, .seq = R_ISS + 1, .ack = (iss) + 1 + (off), .wnd = (w))

/* A passive connection whose peer offers window w (no window scaling),
 * its handshake taking rtt_ms. */
static int established_wnd(struct scn *t, uint32_t *iss, int32_t w, uint64_t rtt_ms)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .wnd = w));
	uint32_t s = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, rtt_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s + 1, .wnd = w));
	scn_expect_none(t);
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	*iss = s;
	return fd;
}

/* One write under the cwnd: one burst, PSH on its last segment only
 * (Linux: one skb with PSH, one TSO packet; the device puts PSH last). */
static void estab__write_3000__psh_on_last_segment_only(void **state)
{
	(void)state;
	fill();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_wnd(t, &iss, 65535, 0);
	assert_int_equal(synack_send(t->st, fd, big, 3000, 0), 3000);
	scn_expect(t, DATA(iss, 0, 1460, ACK));
	scn_expect(t, DATA(iss, 1460, 1460, ACK));
	scn_expect(t, DATA(iss, 2920, 80, ACK | PSH));
	scn_expect_none(t);
	scn_free(t);
}

/* A write past the cwnd: bursts of half the cwnd (tcp_cwnd_test), each
 * cut from the PSH-marked buffer, so each ends with PSH (packetdrill
 * slow_start/slow-start-after-idle: P. 1:5001, P. 5001:10001). */
static void estab__write_past_cwnd__psh_ends_each_half_cwnd_burst(void **state)
{
	(void)state;
	fill();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_wnd(t, &iss, 65535, 0);
	assert_int_equal(synack_send(t->st, fd, big, 20000, 0), 20000);
	for (unsigned i = 0; i < 10; i++)
		scn_expect(t, DATA(iss, i * 1460, 1460, i % 5 == 4 ? ACK | PSH : ACK));
	scn_expect_none(t);
	scn_free(t);
}

/* Bursts of one segment (tcp_min_tso_segs 1 and a 100 ms RTT: the
 * pacing rate's millisecond is under one MSS): PSH then shows exactly
 * where Linux marked a buffer (tcp_mark_push), as a one-segment packet
 * gets no forced PSH. */
static struct scn *one_seg_bursts(uint32_t *iss, int *fd, int32_t w)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_min_tso_segs = 1;
	struct scn *t = scn_new(&cfg);
	*fd = established_wnd(t, iss, w, 100);
	return t;
}

/* MSG_MORE: no PSH and a corked tail; the next write without MSG_MORE
 * releases the tail with PSH (packetdrill nagle/sendmsg_msg_more). */
static void estab__more_then_plain__psh_only_at_the_end(void **state)
{
	(void)state;
	fill();
	uint32_t iss;
	int fd;
	struct scn *t = one_seg_bursts(&iss, &fd, 65535);
	assert_int_equal(synack_send(t->st, fd, big, 3000, MSG_MORE), 3000);
	scn_expect(t, DATA(iss, 0, 1460, ACK));
	scn_expect(t, DATA(iss, 1460, 1460, ACK));
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, big + 3000, 100, 0), 100);
	scn_expect(t, DATA(iss, 2920, 180, ACK | PSH));
	scn_expect_none(t);
	scn_free(t);
}

/* One write of 20000 is one buffer (the goal is 22 MSS): the cwnd lets 10
 * one-segment bursts out, none at its end, so none has PSH; the ACK lets
 * the rest out and the segment that ends the write has PSH. */
static void estab__one_seg_bursts__psh_where_the_write_ends(void **state)
{
	(void)state;
	fill();
	uint32_t iss;
	int fd;
	struct scn *t = one_seg_bursts(&iss, &fd, 65535);
	assert_int_equal(synack_send(t->st, fd, big, 20000, 0), 20000);
	for (unsigned i = 0; i < 10; i++)
		scn_expect(t, DATA(iss, i * 1460, 1460, ACK));
	scn_expect_none(t);
	scn_inject(t, 200, PEER_ACK(iss, 14600, 65535));
	scn_expect_at(t, 200, DATA(iss, 14600, 1460, ACK));
	scn_expect_at(t, 200, DATA(iss, 16060, 1460, ACK));
	scn_expect_at(t, 200, DATA(iss, 17520, 1460, ACK));
	scn_expect_at(t, 200, DATA(iss, 18980, 1020, ACK | PSH));
	scn_expect_none(t);
	scn_free(t);
}

/* The same, then a MSG_MORE write appended to the unsent PSH buffer
 * takes its PSH (tcp_sendmsg_locked clears TCPHDR_PSH on the skb it
 * first copies into): nothing the ACK releases has PSH. */
static void estab__more_appends_to_pushed_tail__psh_taken_away(void **state)
{
	(void)state;
	fill();
	uint32_t iss;
	int fd;
	struct scn *t = one_seg_bursts(&iss, &fd, 65535);
	assert_int_equal(synack_send(t->st, fd, big, 20000, 0), 20000);
	for (unsigned i = 0; i < 10; i++)
		scn_expect(t, DATA(iss, i * 1460, 1460, ACK));
	assert_int_equal(synack_send(t->st, fd, big + 20000, 400, MSG_MORE), 400);
	scn_expect_none(t);
	scn_inject(t, 200, PEER_ACK(iss, 14600, 65535));
	scn_expect_at(t, 200, DATA(iss, 14600, 1460, ACK));
	scn_expect_at(t, 200, DATA(iss, 16060, 1460, ACK));
	scn_expect_at(t, 200, DATA(iss, 17520, 1460, ACK));
	scn_expect_at(t, 200, DATA(iss, 18980, 1420, ACK));
	scn_expect_none(t);
	scn_free(t);
}

/* A small peer window (6000: buffers of 2 MSS, half the window 3000):
 * a MSG_MORE write of 4 MSS ends more than half the window past the last
 * push, so Linux's forced_push marks its last buffer PSH all the same;
 * the first buffer's end (2 MSS) has none. */
static void estab__more_past_half_window__forced_push_psh(void **state)
{
	(void)state;
	fill();
	uint32_t iss;
	int fd;
	struct scn *t = one_seg_bursts(&iss, &fd, 6000);
	assert_int_equal(synack_send(t->st, fd, big, 5840, MSG_MORE), 5840);
	scn_expect(t, DATA(iss, 0, 1460, ACK));
	scn_expect(t, DATA(iss, 1460, 1460, ACK));
	scn_expect(t, DATA(iss, 2920, 1460, ACK));
	scn_expect(t, DATA(iss, 4380, 1460, ACK | PSH));
	scn_expect_none(t);
	scn_free(t);
}

/* The same write under a large window is not forced: no PSH at all. */
static void estab__more_under_half_window__no_psh(void **state)
{
	(void)state;
	fill();
	uint32_t iss;
	int fd;
	struct scn *t = one_seg_bursts(&iss, &fd, 65535);
	assert_int_equal(synack_send(t->st, fd, big, 5840, MSG_MORE), 5840);
	for (unsigned i = 0; i < 4; i++)
		scn_expect(t, DATA(iss, i * 1460, 1460, ACK));
	scn_expect_none(t);
	scn_free(t);
}

/* tcp_tso_autosize at 100 ms RTT, cwnd 10, MSS 1460: 2 segments a burst
 * (tcp_min_tso_segs); each burst of two has PSH forced on its last. */
static void estab__rtt_100ms__bursts_of_two_each_pushed(void **state)
{
	(void)state;
	fill();
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = established_wnd(t, &iss, 65535, 100);
	assert_int_equal(synack_send(t->st, fd, big, 5840, MSG_MORE), 5840);
	for (unsigned i = 0; i < 4; i++)
		scn_expect(t, DATA(iss, i * 1460, 1460, i % 2 ? ACK | PSH : ACK));
	scn_expect_none(t);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__write_3000__psh_on_last_segment_only),
		cmocka_unit_test(estab__write_past_cwnd__psh_ends_each_half_cwnd_burst),
		cmocka_unit_test(estab__more_then_plain__psh_only_at_the_end),
		cmocka_unit_test(estab__one_seg_bursts__psh_where_the_write_ends),
		cmocka_unit_test(estab__more_appends_to_pushed_tail__psh_taken_away),
		cmocka_unit_test(estab__more_past_half_window__forced_push_psh),
		cmocka_unit_test(estab__more_under_half_window__no_psh),
		cmocka_unit_test(estab__rtt_100ms__bursts_of_two_each_pushed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
