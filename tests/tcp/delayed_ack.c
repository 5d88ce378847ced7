/*
 * Delayed ACKs in Linux's shape (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2,
 * LINUX-SEMANTICS 2): the first data grants min(rcv_wnd / (2 * rcv_mss), 16)
 * quick ACKs; after that a lone segment is acked by the 40 ms timer
 * (TCP_DELACK_MIN), a second full-size segment is acked at once, out-of-
 * order, hole-filling and duplicate data are acked at once, and data we
 * send carries the ACK and cancels the timer.
 */
#include <string.h>

#include "scenario.h"

static char payload[16 * 1460];

/*
 * The receive window as the stack advertises it: the free buffer (at most
 * 65535, unscaled), with the right edge moved only when it can advance by
 * at least min(buffer/2, rcv_mss) (receiver SWS avoidance, RFC 9293
 * 3.8.6.2.2). The model follows the peer's view of RCV.NXT.
 */
struct rx {
	uint32_t nxt, adv;      /* RCV.NXT, right edge offered */
	uint32_t buf, unread;   /* receive buffer, bytes not yet read */
	uint32_t mss;           /* rcv_mss estimate */
};

static struct rx rx_init(uint32_t buf)
{
	struct rx r = {.nxt = R_ISS + 1, .buf = buf, .mss = 536};
	r.adv = r.nxt + (buf < 65535 ? buf : 65535);
	return r;
}

/* Data of len arrived in order. */
static void rx_data(struct rx *r, uint32_t len)
{
	r->nxt += len;
	r->unread += len;
	if (len > r->mss && len <= 1460)
		r->mss = len;
}

/* The window the next ACK carries (and the edge it sets). */
static uint16_t rx_wnd(struct rx *r)
{
	uint32_t free_space = r->buf - r->unread;
	if (free_space > 65535)
		free_space = 65535;
	uint32_t cur = r->adv - r->nxt;
	uint32_t step = r->buf / 2 < r->mss ? r->buf / 2 : r->mss;
	if (free_space > cur && free_space - cur >= step)
		r->adv = r->nxt + free_space;
	return (uint16_t)(r->adv - r->nxt);
}

/* The peer's in-order data segment of len bytes. */
#define PEER_DATA(r, n) \
	SEG(.flags = ACK | PSH, .seq = (r).nxt, .ack = iss + 1, .data = payload, .len = (n))
/* Our pure ACK of everything the model has received. */
#define OUR_ACK(r) SEG(.flags = ACK, .seq = iss + 1, .ack = (r).nxt, .wnd = rx_wnd(&(r)))

/* Established at t = 0; the peer then sends 16 small segments 1 ms apart
 * starting at 10 ms, each acked at once (the quick-ACK credit). */
static int after_quickacks(struct scn *t, uint32_t *iss_out, struct rx *r)
{
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	*r = rx_init(131072);
	for (int i = 0; i < 16; i++) {
		scn_inject(t, 10 + (uint64_t)i, PEER_DATA(*r, 100));
		rx_data(r, 100);
		scn_expect_at(t, 10 + (uint64_t)i, OUR_ACK(*r));
	}
	scn_expect_none(t);
	*iss_out = iss;
	return fd;
}

/* Linux tcp_incr_quickack: 16 quick ACKs for the first data with the
 * default buffers (min(65535 / (2 * 536), 16)). */
static void estab__first_data__sixteen_quick_acks(void **state)
{
	memset(payload, 'q', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* Past the quick ACKs, a lone segment is acked by the delayed-ACK timer,
 * exactly 40 ms later (TCP_DELACK_MIN), counted as DelayedACKs. */
static void estab__after_quickacks__lone_segment_acked_at_40ms(void **state)
{
	memset(payload, 'd', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	scn_inject(t, 26, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 65);
	scn_expect_none(t);
	scn_at(t, 66);
	scn_expect_at(t, 66, OUR_ACK(r));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	/* Again, 100 ms later: another timer, another DelayedACKs. */
	scn_inject(t, 166, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 205);
	scn_expect_none(t);
	scn_at(t, 206);
	scn_expect_at(t, 206, OUR_ACK(r));
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 2);
	scn_free(t);
}

/* RFC 9293 3.8.6.3 / Linux __tcp_ack_snd_check: more than one full-size
 * segment unacknowledged is acked at once; the timer is then cancelled. */
static void estab__second_full_segment__immediate_ack(void **state)
{
	memset(payload, 'f', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	scn_inject(t, 30, PEER_DATA(r, 1460));
	rx_data(&r, 1460);
	scn_expect_none(t);
	scn_inject(t, 31, PEER_DATA(r, 1460));
	rx_data(&r, 1460);
	scn_expect_at(t, 31, OUR_ACK(r));
	scn_at(t, 200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* Data we send carries ACK=RCV.NXT, so the owed ACK rides on it and the
 * timer is cancelled (RFC 9293 3.8.6.3: piggybacking). */
static void estab__reply_while_ack_delayed__piggybacked(void **state)
{
	memset(payload, 'p', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	int fd = after_quickacks(t, &iss, &r);
	scn_inject(t, 26, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 30);
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, "reply", 5, 0), 5);
	scn_expect_at(t, 30, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = r.nxt,
				 .wnd = rx_wnd(&r), .data = "reply"));
	scn_at(t, 100);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* RFC 5681 4.2 / RFC 9293 3.10.7.4: an out-of-order segment is acked at
 * once (a duplicate ACK for RCV.NXT), and so is the segment that fills
 * the hole (acking both). */
static void estab__out_of_order_and_hole_fill__immediate_acks(void **state)
{
	memset(payload, 'o', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	uint32_t hole = r.nxt;
	scn_inject(t, 30, SEG(.flags = ACK | PSH, .seq = hole + 100, .ack = iss + 1, .data = payload,
			      .len = 100));
	/* Held out of order, not yet counted against the window. */
	scn_expect_at(t, 30, OUR_ACK(r));
	scn_inject(t, 31, SEG(.flags = ACK | PSH, .seq = hole, .ack = iss + 1, .data = payload,
			      .len = 100));
	rx_data(&r, 200);
	scn_expect_at(t, 31, OUR_ACK(r));
	scn_at(t, 200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPOFOQueue"), 1);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* Linux tcp_send_dupack: data entirely below RCV.NXT (a retransmission we
 * already had) is acked at once, counted DelayedACKLost, and puts the
 * receiver back in quick-ACK mode: the next new segment is acked at once. */
static void estab__duplicate_data__immediate_ack_counted(void **state)
{
	memset(payload, 'x', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	scn_inject(t, 30, SEG(.flags = ACK | PSH, .seq = r.nxt - 100, .ack = iss + 1, .data = payload,
			      .len = 100));
	scn_expect_at(t, 30, OUR_ACK(r));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKLost"), 1);
	scn_inject(t, 40, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_expect_at(t, 40, OUR_ACK(r));
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* The quick-ACK credit is min(rcv_wnd / (2 * rcv_mss), 16): a 2920-byte
 * buffer (SO_RCVBUF 2920, reported 5840) gives 2920 / 1072 = 2, as on
 * Linux where that buffer is a 2920-byte window. */
static void estab__small_rcvbuf__two_quick_acks(void **state)
{
	memset(payload, 's', sizeof(payload));
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	int v = 2920;
	assert_int_equal(synack_setsockopt(t->st, lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	struct tcp_seg synack;
	assert_true(scn_pop(t, &synack, NULL));
	assert_int_equal(synack.flags, SYN | ACK);
	assert_int_equal(synack.wnd, 2920);
	uint32_t iss = synack.seq;
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	assert_true(synack_accept(t->st, lfd, NULL, NULL) >= 0);
	struct rx r = rx_init(2920);
	for (int i = 0; i < 2; i++) {
		scn_inject(t, 10 + (uint64_t)i, PEER_DATA(r, 100));
		rx_data(&r, 100);
		scn_expect_at(t, 10 + (uint64_t)i, OUR_ACK(r));
	}
	scn_inject(t, 12, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_expect_none(t);
	scn_at(t, 52);
	scn_expect_at(t, 52, OUR_ACK(r));
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	scn_free(t);
}

/* Linux tcp_event_data_recv: data after a gap longer than the RTO (201 ms
 * here) means the sender is restarting; quick ACKs are granted again. */
static void estab__gap_longer_than_rto__quick_acks_again(void **state)
{
	memset(payload, 'g', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	/* 200 ms after the last data: not past the RTO, still delayed. */
	scn_inject(t, 225, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_expect_none(t);
	scn_at(t, 265);
	scn_expect_at(t, 265, OUR_ACK(r));
	/* 1 s later: past the RTO, acked at once, and the next ones too. */
	for (int i = 0; i < 3; i++) {
		scn_inject(t, 1265 + (uint64_t)i, PEER_DATA(r, 100));
		rx_data(&r, 100);
		scn_expect_at(t, 1265 + (uint64_t)i, OUR_ACK(r));
	}
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	scn_free(t);
}

/* A pure ACK from the peer (no data) is never acknowledged. */
static void estab__pure_ack__not_acked(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	fx_passive_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 500);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__first_data__sixteen_quick_acks),
		cmocka_unit_test(estab__after_quickacks__lone_segment_acked_at_40ms),
		cmocka_unit_test(estab__second_full_segment__immediate_ack),
		cmocka_unit_test(estab__reply_while_ack_delayed__piggybacked),
		cmocka_unit_test(estab__out_of_order_and_hole_fill__immediate_acks),
		cmocka_unit_test(estab__duplicate_data__immediate_ack_counted),
		cmocka_unit_test(estab__small_rcvbuf__two_quick_acks),
		cmocka_unit_test(estab__gap_longer_than_rto__quick_acks_again),
		cmocka_unit_test(estab__pure_ack__not_acked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
