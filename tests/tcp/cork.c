/*
 * Sender-side holding of small segments (tcp(7), LINUX-SEMANTICS 2):
 * Nagle (RFC 896, Minshall's variant as Linux runs it), TCP_NODELAY,
 * TCP_CORK and MSG_MORE. A corked small tail waits for one probe interval
 * (the RTO, 200 ms here: tcp(7)'s "200 ms ceiling") with nothing in
 * flight, then goes out with PSH (Linux tcp_write_wakeup). Uncorking, or
 * setting TCP_NODELAY, pushes. PSH marks the end of a send without
 * MSG_MORE (Linux tcp_push).
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

static const char data[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";

#define DATA(iss, off, n, fl) \
	SEG(.flags = (fl), .seq = (iss) + 1 + (off), .ack = R_ISS + 1, .data = data, .len = (n), .any_wnd = true)
#define PEER_ACK(iss, off) SEG(.flags = ACK, .seq = R_ISS + 1, .ack = (iss) + 1 + (off))

/* Nagle: a second small write waits while the first is unacknowledged;
 * the ACK releases it. */
static void estab__nagle_small_unacked__held_until_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_send(t->st, fd, data, 10, 0), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	assert_int_equal(synack_send(t->st, fd, data, 10, 0), 10);
	scn_expect_none(t);
	scn_inject(t, 5, PEER_ACK(iss, 10));
	scn_expect_at(t, 5, DATA(iss, 10, 10, ACK | PSH));
	scn_free(t);
}

/* TCP_NODELAY: both small writes go at once. */
static void estab__nodelay_small_writes__sent_at_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NODELAY, 1);
	assert_int_equal(synack_send(t->st, fd, data, 10, 0), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	assert_int_equal(synack_send(t->st, fd, data, 10, 0), 10);
	scn_expect(t, DATA(iss, 10, 10, ACK | PSH));
	scn_free(t);
}

/* TCP_CORK holds small writes with nothing in flight; uncorking sends
 * them as one segment with PSH (packetdrill nagle/sockopt_cork_nodelay). */
static void estab__cork_then_uncork__one_pushed_segment(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_CORK, 1);
	assert_int_equal(synack_send(t->st, fd, data, 20, 0), 20);
	scn_at(t, 50);
	assert_int_equal(synack_send(t->st, fd, data + 20, 20, 0), 20);
	scn_at(t, 60);
	scn_expect_none(t);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_CORK, 0);
	scn_expect_at(t, 60, DATA(iss, 0, 40, ACK | PSH));
	scn_expect_none(t);
	scn_free(t);
}

/* Corked with nothing in flight: the probe timer sends the tail after
 * one RTO (200 ms after a zero-RTT handshake), with PSH. */
static void estab__cork_idle__sent_after_rto_200ms(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_CORK, 1);
	assert_int_equal(synack_send(t->st, fd, data, 30, 0), 30);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	uint64_t rto_ms = ti.tcpi_rto / 1000;
	assert_int_equal(rto_ms, 200);
	scn_at(t, rto_ms - 1);
	scn_expect_none(t);
	/* Known: our timer wheel runs it one 1 ms tick after the RTO. */
	scn_at(t, rto_ms + 1);
	scn_expect(t, DATA(iss, 0, 30, ACK | PSH));
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 0);
	scn_free(t);
}

/* Setting TCP_NODELAY pushes past the cork. MSG_MORE data carries no
 * PSH (the sends never marked one). */
static void estab__msg_more_then_nodelay__pushed_without_psh(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_send(t->st, fd, data, 20, MSG_MORE), 20);
	assert_int_equal(synack_send(t->st, fd, data + 20, 20, MSG_MORE), 20);
	scn_expect_none(t);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NODELAY, 1);
	scn_expect(t, DATA(iss, 0, 40, ACK));
	scn_free(t);
}

/* MSG_MORE corks only its own send: a later plain write flushes both
 * with PSH, even with TCP_NODELAY on. */
static void estab__msg_more_then_write__flushed_with_psh(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NODELAY, 1);
	assert_int_equal(synack_send(t->st, fd, data, 20, MSG_MORE), 20);
	scn_at(t, 50);
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, data + 20, 20, 0), 20);
	scn_expect_at(t, 50, DATA(iss, 0, 40, ACK | PSH));
	scn_free(t);
}

/* MSG_EOR: a later write never joins the record's last segment; the
 * record's end carries PSH. */
static void estab__eor_record__not_coalesced(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_CORK, 1);
	assert_int_equal(synack_send(t->st, fd, data, 10, MSG_EOR), 10);
	assert_int_equal(synack_send(t->st, fd, data + 10, 10, 0), 10);
	/* The record is not the queue's tail: it goes although corked. */
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	scn_expect_none(t);
	/* Uncorked, Nagle (Minshall) still holds the tail behind the
	 * unacknowledged small record; the peer's ACK releases it. */
	scn_set_int(t, fd, IPPROTO_TCP, TCP_CORK, 0);
	scn_expect_none(t);
	scn_inject(t, 5, PEER_ACK(iss, 10));
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 11, .ack = R_ISS + 1, .data = data + 10,
			  .len = 10, .any_wnd = true));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__nagle_small_unacked__held_until_ack),
		cmocka_unit_test(estab__nodelay_small_writes__sent_at_once),
		cmocka_unit_test(estab__cork_then_uncork__one_pushed_segment),
		cmocka_unit_test(estab__cork_idle__sent_after_rto_200ms),
		cmocka_unit_test(estab__msg_more_then_nodelay__pushed_without_psh),
		cmocka_unit_test(estab__msg_more_then_write__flushed_with_psh),
		cmocka_unit_test(estab__eor_record__not_coalesced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
