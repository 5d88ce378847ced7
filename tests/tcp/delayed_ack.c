/*
 * Delayed ACKs in Linux's shape (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2,
 * LINUX-SEMANTICS 2): the first data grants min(rcv_wnd / (2 * rcv_mss), 16)
 * quick ACKs; after that a lone segment is acked by the 40 ms timer
 * (TCP_DELACK_MIN), a second full-size segment is acked at once, out-of-
 * order, hole-filling and duplicate data are acked at once, and data we
 * send carries the ACK and cancels the timer.
 */
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "scenario.h"

static char payload[16 * 1460];

/*
 * The receive window as Linux advertises it (window.c; __tcp_select_window
 * and tcp_select_window), modelled from the peer's view with no window
 * scaling: what the buffer allows is min(free space, rcv_ssthresh) rounded
 * down to the rcv_mss estimate (kept while within one rcv_mss of the free
 * space; nothing below half the space unless at least 1/16 of it and one
 * rcv_mss is free), and an offer never moves the right edge left.
 */
struct rx {
	uint32_t nxt, wup, wnd; /* RCV.NXT; RCV.NXT and the window at our last ACK */
	uint32_t space, unread; /* the buffer's window (SO_RCVBUF / 2), bytes not yet read */
	uint32_t ssthresh;      /* rcv_ssthresh (= the clamp here) */
	uint32_t mss;           /* rcv_mss estimate */
};

/* space: the buffer's window; ssthresh: 65536 - 1460 = 64076 at the
 * default buffer; first: the SYN-ACK's window. */
static struct rx rx_init(uint32_t space, uint32_t ssthresh, uint32_t first)
{
	struct rx r = {.nxt = R_ISS + 1, .wup = R_ISS + 1, .wnd = first, .space = space,
		       .ssthresh = ssthresh, .mss = 536};
	return r;
}

/* Data of len arrived in order. */
static void rx_data(struct rx *r, uint32_t len)
{
	r->nxt += len;
	r->unread += len;
	if (len >= r->mss)
		r->mss = len < 1460 ? len : 1460;
}

/* The window the next ACK carries (and the edge it sets). */
static uint16_t rx_wnd(struct rx *r)
{
	int64_t free_space = (int64_t)r->space - r->unread, mss = r->mss, w;
	int64_t full = r->ssthresh < r->space ? r->ssthresh : r->space;
	if (free_space < full / 2 && (free_space < r->space / 16 || free_space < mss)) {
		w = 0;
	} else {
		if (free_space > r->ssthresh)
			free_space = r->ssthresh;
		w = r->wnd;
		if (w <= free_space - mss || w > free_space)
			w = free_space / mss * mss;
	}
	int64_t cur = (int64_t)(r->wup + r->wnd - r->nxt);
	if (w < cur)
		w = cur;
	r->wnd = (uint32_t)w;
	r->wup = r->nxt;
	return (uint16_t)w;
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
	*r = rx_init(65536, 64076, 64240);
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
 * default buffers (min(64240 / (2 * 536), 16)). */
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

static void read_all(struct scn *t, int fd, struct rx *r);

/* RFC 9293 3.8.6.3 / Linux __tcp_ack_snd_check: more than one full-size
 * segment unacknowledged is acked at once, if the window the buffer
 * allows is not below the last offer (the reader keeps up here: the
 * last offer, 63840, is within one MSS of the free space, capped at
 * rcv_ssthresh 64076, so it stands); the timer is then cancelled. The
 * segments carry no PSH, so the reads themselves send nothing. */
static void estab__second_full_segment__immediate_ack(void **state)
{
	memset(payload, 'f', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	int fd = after_quickacks(t, &iss, &r);
	read_all(t, fd, &r);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = r.nxt, .ack = iss + 1, .data = payload, .len = 1460));
	rx_data(&r, 1460);
	read_all(t, fd, &r);
	scn_expect_none(t);
	scn_inject(t, 31, SEG(.flags = ACK, .seq = r.nxt, .ack = iss + 1, .data = payload, .len = 1460));
	rx_data(&r, 1460);
	scn_expect_at(t, 31, OUR_ACK(r));
	assert_int_equal(r.wnd, 63840);
	scn_at(t, 200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* Unread, the second full segment waits for the timer: the buffer then
 * allows rounddown(65536 - 4520, 1460) = 59860, below the last offer
 * (63840), so the right edge would not advance (Linux
 * __tcp_ack_snd_check; a read would send the ACK instead). The timer's
 * ACK keeps the old edge: 63840 - 2920 = 60920. */
static void estab__second_full_segment_unread__timer(void **state)
{
	memset(payload, 'u', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	after_quickacks(t, &iss, &r);
	scn_inject(t, 30, PEER_DATA(r, 1460));
	rx_data(&r, 1460);
	scn_inject(t, 31, PEER_DATA(r, 1460));
	rx_data(&r, 1460);
	scn_at(t, 69);
	scn_expect_none(t);
	scn_at(t, 70);
	scn_expect_at(t, 70, OUR_ACK(r));
	assert_int_equal(r.wnd, 60920);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
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
	struct rx r = rx_init(2920, 2920, 2920);
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

/* ---- ato adaptation and pingpong mode (Linux tcp_event_data_recv,
 * tcp_send_delayed_ack, tcp_delack_timer_handler, tcp_event_data_sent) */

static uint32_t ato_us(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_ato;
}

static int quickack_opt(struct scn *t, int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_QUICKACK, &v, &len), 0);
	return v;
}

/* Passive open whose handshake ACK comes rtt_ms after the SYN-ACK (the
 * first RTT sample: srtt = rtt, RTO = 3 rtt), then 16 quick-ACKed
 * segments 1 ms apart from 10 ms after it. */
static int rtt_after_quickacks(struct scn *t, uint64_t rtt_ms, uint32_t *iss_out, struct rx *r)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, rtt_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	*r = rx_init(65536, 64076, 64240);
	for (int i = 0; i < 16; i++) {
		scn_inject(t, rtt_ms + 10 + (uint64_t)i, PEER_DATA(*r, 100));
		rx_data(r, 100);
		scn_expect_at(t, rtt_ms + 10 + (uint64_t)i, OUR_ACK(*r));
	}
	scn_expect_none(t);
	*iss_out = iss;
	return fd;
}

/* One lone segment at `at` whose ACK the timer sends at `ack_at`. */
static void lone_segment(struct scn *t, uint32_t iss, struct rx *r, uint64_t at, uint64_t ack_at)
{
	scn_inject(t, at, PEER_DATA(*r, 100));
	rx_data(r, 100);
	scn_at(t, ack_at - 1);
	scn_expect_none(t);
	scn_at(t, ack_at);
	scn_expect_at(t, ack_at, OUR_ACK(*r));
}

/* Linux tcp_delack_timer_handler: each time the timer (not a reply) has
 * to send the ACK, ato doubles, up to the RTO (900 ms here); the timer
 * itself waits min(ato, srtt (300 ms), TCP_DELACK_MAX 200 ms). A gap
 * below ato pulls it to ato/2 + gap (tcp_event_data_recv). */
static void estab__delack_timer_fires__ato_doubles_timer_capped_200ms(void **state)
{
	memset(payload, 'a', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	int fd = rtt_after_quickacks(t, 300, &iss, &r);
	assert_int_equal(ato_us(t, fd), 40000); /* leaving quick-ACK mode deflates it */
	lone_segment(t, iss, &r, 400, 440);
	assert_int_equal(ato_us(t, fd), 80000);
	lone_segment(t, iss, &r, 500, 580);
	assert_int_equal(ato_us(t, fd), 160000);
	lone_segment(t, iss, &r, 700, 860);
	assert_int_equal(ato_us(t, fd), 320000);
	/* Gap 300 < ato 320: ato = 160 + 300 = 460; the timer waits 200. */
	lone_segment(t, iss, &r, 1000, 1200);
	assert_int_equal(ato_us(t, fd), 900000); /* 920 held to the RTO */
	/* Gap 10 <= 20: ato = 450 + 20 = 470; still 200. */
	lone_segment(t, iss, &r, 1210, 1410);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 5);
	scn_free(t);
}

/* A gap between 20 ms and ato: ato = ato/2 + gap (40/2 + 30 = 50 ms),
 * which the timer uses since the RTT (300 ms) allows it. */
static void estab__gap_30ms__ack_after_50ms(void **state)
{
	memset(payload, 'b', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	int fd = rtt_after_quickacks(t, 300, &iss, &r);
	lone_segment(t, iss, &r, 355, 405);
	assert_int_equal(ato_us(t, fd), 100000); /* 50, doubled by the timer */
	scn_free(t);
}

/* With no RTT to speak of (handshake ACK at once), the timer waits 40 ms
 * however ato grows: srtt bounds it, but never below TCP_DELACK_MIN. */
static void estab__small_srtt__timer_stays_40ms(void **state)
{
	memset(payload, 'c', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	int fd = after_quickacks(t, &iss, &r);
	lone_segment(t, iss, &r, 100, 140);
	lone_segment(t, iss, &r, 200, 240);
	assert_int_equal(ato_us(t, fd), 160000);
	scn_free(t);
}

/* Linux tcp_event_data_sent: a reply within ato of the last data enters
 * pingpong mode (TCP_QUICKACK reads 0): quick ACKs stop and the next
 * segment's ACK waits for a reply or the timer; the timer firing in
 * pingpong mode leaves it (ato back to 40 ms), and quick ACKs resume. */
static void estab__reply_within_ato__pingpong_until_timer(void **state)
{
	memset(payload, 'q', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	struct rx r = rx_init(65536, 64076, 64240);
	scn_inject(t, 10, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_expect_at(t, 10, OUR_ACK(r)); /* quick ACK */
	assert_int_equal(quickack_opt(t, fd), 1);
	scn_at(t, 15);
	assert_int_equal(synack_send(t->st, fd, "reply", 5, 0), 5);
	scn_expect_at(t, 15, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = r.nxt,
				 .wnd = rx_wnd(&r), .data = "reply"));
	assert_int_equal(quickack_opt(t, fd), 0);
	scn_inject(t, 20, SEG(.flags = ACK | PSH, .seq = r.nxt, .ack = iss + 6, .data = payload,
			      .len = 100));
	rx_data(&r, 100);
	scn_at(t, 59);
	scn_expect_none(t);
	scn_at(t, 60);
	scn_expect_at(t, 60, SEG(.flags = ACK, .seq = iss + 6, .ack = r.nxt, .wnd = rx_wnd(&r)));
	assert_int_equal(quickack_opt(t, fd), 1);
	assert_int_equal(ato_us(t, fd), 40000);
	scn_inject(t, 70, SEG(.flags = ACK | PSH, .seq = r.nxt, .ack = iss + 6, .data = payload,
			      .len = 100));
	rx_data(&r, 100);
	scn_expect_at(t, 70, SEG(.flags = ACK, .seq = iss + 6, .ack = r.nxt, .wnd = rx_wnd(&r)));
	scn_free(t);
}

/* TCP_QUICKACK 0 enters pingpong mode at once: even the first data,
 * which would earn quick ACKs, is acked by the 40 ms timer. */
static void estab__quickack_0__first_data_delayed(void **state)
{
	memset(payload, 'z', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int v = 0;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v)), 0);
	struct rx r = rx_init(65536, 64076, 64240);
	scn_inject(t, 10, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 49);
	scn_expect_none(t);
	scn_at(t, 50);
	scn_expect_at(t, 50, OUR_ACK(r));
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 1);
	scn_free(t);
}

/* ---- reads (Linux tcp_cleanup_rbuf) */

static void read_all(struct scn *t, int fd, struct rx *r)
{
	static char buf[64 * 1024];
	ssize_t n = synack_recv(t->st, fd, buf, sizeof(buf), 0);
	assert_int_equal(n, r->unread);
	r->unread = 0;
}

/* A read that drains the queue after a pushed (PSH) segment sends the
 * owed ACK at once instead of at the timer, outside pingpong mode. */
static void estab__read_drains_pushed_segment__ack_at_once(void **state)
{
	memset(payload, 'r', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	struct rx r;
	int fd = after_quickacks(t, &iss, &r);
	scn_inject(t, 30, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 35);
	scn_expect_none(t);
	read_all(t, fd, &r);
	scn_expect_at(t, 35, OUR_ACK(r));
	scn_at(t, 200);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtDelayedACKs"), 0);
	scn_free(t);
}

/* In pingpong mode one pushed segment is not enough (the reply should
 * carry the ACK): the read leaves it to the timer; two are (PUSHED2). */
static void estab__pingpong_read__ack_after_two_pushed_segments(void **state)
{
	memset(payload, 'p', sizeof(payload));
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int v = 0;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v)), 0);
	struct rx r = rx_init(65536, 64076, 64240);
	scn_inject(t, 10, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 12);
	read_all(t, fd, &r);
	scn_expect_none(t);
	scn_inject(t, 20, PEER_DATA(r, 100));
	rx_data(&r, 100);
	scn_at(t, 25);
	scn_expect_none(t);
	read_all(t, fd, &r);
	scn_expect_at(t, 25, OUR_ACK(r));
	scn_at(t, 200);
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
		cmocka_unit_test(estab__second_full_segment_unread__timer),
		cmocka_unit_test(estab__reply_while_ack_delayed__piggybacked),
		cmocka_unit_test(estab__out_of_order_and_hole_fill__immediate_acks),
		cmocka_unit_test(estab__duplicate_data__immediate_ack_counted),
		cmocka_unit_test(estab__small_rcvbuf__two_quick_acks),
		cmocka_unit_test(estab__gap_longer_than_rto__quick_acks_again),
		cmocka_unit_test(estab__pure_ack__not_acked),
		cmocka_unit_test(estab__delack_timer_fires__ato_doubles_timer_capped_200ms),
		cmocka_unit_test(estab__gap_30ms__ack_after_50ms),
		cmocka_unit_test(estab__small_srtt__timer_stays_40ms),
		cmocka_unit_test(estab__reply_within_ato__pingpong_until_timer),
		cmocka_unit_test(estab__quickack_0__first_data_delayed),
		cmocka_unit_test(estab__read_drains_pushed_segment__ack_at_once),
		cmocka_unit_test(estab__pingpong_read__ack_after_two_pushed_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
