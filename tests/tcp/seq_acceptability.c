/*
 * RFC 9293 3.10.7.4 (first, check sequence number): the four cases of
 * the acceptability test, as one rule table (STYLE 12).
 *
 *   SEG.LEN  RCV.WND  acceptable when
 *   0        0        SEG.SEQ = RCV.NXT
 *   0        >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *   >0       0        never (but its ACK may still be processed)
 *   >0       >0       its first or its last byte lies in the window
 *
 * An unacceptable segment is answered <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
 * and dropped. Each row is run on a fresh ESTABLISHED connection where we
 * have 10 bytes in flight and the peer's segment acknowledges them, so
 * "accepted" shows as SIOCOUTQ falling to 0.
 *
 * Setups: window > 0: the peer sent 10 bytes first, so RCV.NXT =
 * R_ISS+11 and RCV.WND = 64230 (our first offer, 64240, less the 10 unread bytes). Window 0: our
 * receive buffer is 1152 bytes (SO_RCVBUF 1152) and the peer filled it.
 */
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

enum base { AT_NXT, AT_EDGE };
enum check { NOT_CHECKED = -1, NO = 0, YES = 1 };

struct row {
	const char *name;
	bool zero_wnd;           /* RCV.WND = 0 (else 64230) */
	enum base base;          /* SEG.SEQ relative to RCV.NXT or to RCV.NXT+RCV.WND */
	int32_t off;
	uint32_t len;
	bool accepted;           /* RFC 9293 verdict (Linux's where they differ) */
	enum check acked;        /* our 10 bytes acknowledged afterwards */
	uint32_t readable;       /* new bytes readable in order */
	bool reply;              /* an ACK is sent back */
	int32_t reply_ack;       /* its ACK field, relative to the old RCV.NXT */
	uint16_t reply_wnd;
};

static const struct row rows[] = {
	/* SEG.LEN = 0, RCV.WND > 0 */
	{"len0_wnd__at_rcv_nxt__accepted", false, AT_NXT, 0, 0, true, YES, 0, false, 0, 0},
	{"len0_wnd__last_byte_of_window__accepted", false, AT_EDGE, -1, 0, true, YES, 0, false, 0, 0},
	/* Linux tcp_sequence accepts SEG.SEQ = RCV.NXT+RCV.WND for an empty
	 * segment (it tests !after(seq, rcv_nxt + wnd)) and processes its ACK
	 * silently, where the RFC's test has a strict "<"; Linux wins. */
	{"len0_wnd__at_right_edge__accepted_as_linux", false, AT_EDGE, 0, 0, true, YES, 0, false, 0, 0},
	{"len0_wnd__below_rcv_nxt__rejected", false, AT_NXT, -1, 0, false, NO, 0, true, 0, 64230},
	{"len0_wnd__far_beyond__rejected", false, AT_NXT, 100000, 0, false, NO, 0, true, 0, 64230},
	/* SEG.LEN > 0, RCV.WND > 0 */
	{"data_wnd__at_rcv_nxt__accepted_in_order", false, AT_NXT, 0, 10, true, YES, 10, true, 10, 64220},
	{"data_wnd__inside__accepted_out_of_order", false, AT_NXT, 100, 10, true, YES, 0, true, 0, 64230},
	{"data_wnd__tail_past_edge__accepted", false, AT_EDGE, -5, 10, true, YES, 0, true, 0, 64230},
	{"data_wnd__head_old_tail_new__accepted_trimmed", false, AT_NXT, -5, 10, true, YES, 5, true, 5, 64225},
	{"data_wnd__all_old__rejected", false, AT_NXT, -11, 10, false, NO, 0, true, 0, 64230},
	{"data_wnd__at_right_edge__rejected", false, AT_EDGE, 0, 10, false, NO, 0, true, 0, 64230},
	/* SEG.LEN = 0, RCV.WND = 0 */
	{"len0_zero_wnd__at_rcv_nxt__accepted", true, AT_NXT, 0, 0, true, YES, 0, false, 0, 0},
	{"len0_zero_wnd__after_rcv_nxt__rejected", true, AT_NXT, 1, 0, false, NO, 0, true, 0, 0},
	{"len0_zero_wnd__before_rcv_nxt__rejected", true, AT_NXT, -1, 0, false, NO, 0, true, 0, 0},
	/* SEG.LEN > 0, RCV.WND = 0: never acceptable. At RCV.NXT the RFC still
	 * processes the ACK; Linux 6.18 (tcp_sequence, receive queue not
	 * empty) does not, so `acked` is left unchecked. Both answer. */
	{"data_zero_wnd__at_rcv_nxt__rejected", true, AT_NXT, 0, 10, false, NOT_CHECKED, 0, true, 0, 0},
	{"data_zero_wnd__after_rcv_nxt__rejected", true, AT_NXT, 5, 10, false, NO, 0, true, 0, 0},
};

struct conn {
	int fd;
	uint32_t iss;
	uint32_t rcv_nxt, rcv_wnd;   /* as our last ACK advertised them */
	int inq;
};

static int ioctl_int(struct scn *t, int fd, unsigned long req)
{
	int n = -1;
	assert_int_equal(synack_ioctl(t->st, fd, req, &n), 0);
	return n;
}

/* Passive open; rcvbuf 0 = default. */
static struct conn open_conn(struct scn *t, int rcvbuf)
{
	struct conn c;
	int lfd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (rcvbuf)
		assert_int_equal(synack_setsockopt(t->st, lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
						   sizeof(rcvbuf)), 0);
	assert_int_equal(synack_listen(t->st, lfd, 16), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	c.iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = c.iss + 1));
	c.fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(c.fd >= 0);
	return c;
}

/* The peer sends n bytes at RCV.NXT; we take our ACK (quick or delayed). */
static void peer_fill(struct scn *t, struct conn *c, uint32_t n)
{
	static char buf[1460];
	memset(buf, 'p', sizeof(buf));
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = c->iss + 1, .data = buf, .len = n));
	scn_at(t, 100);
	struct tcp_seg seg;
	assert_true(scn_pop(t, &seg, NULL));
	assert_int_equal(seg.flags, ACK);
	assert_int_equal(seg.ack, R_ISS + 1 + n);
	scn_expect_none(t);
	c->rcv_nxt = seg.ack;
	c->rcv_wnd = seg.wnd;
	c->inq = (int)n;
}

static void run_row(void **state)
{
	const struct row *r = *state;
	struct scn *t = scn_new(NULL);
	struct conn c;
	if (r->zero_wnd) {
		c = open_conn(t, 1152); /* rcvbuf = 2304 / 2 */
		peer_fill(t, &c, 1152);
		assert_int_equal(c.rcv_wnd, 0);
	} else {
		c = open_conn(t, 0);
		peer_fill(t, &c, 10);
		assert_int_equal(c.rcv_wnd, 64230);
	}
	/* Our 10 bytes in flight. */
	assert_int_equal(synack_send(t->st, c.fd, "0123456789", 10, 0), 10);
	scn_expect(t, SEG(.flags = PSH | ACK, .seq = c.iss + 1, .ack = c.rcv_nxt,
			  .wnd = (int32_t)c.rcv_wnd, .data = "0123456789"));
	assert_int_equal(ioctl_int(t, c.fd, SIOCOUTQ), 10);

	uint32_t seq = (r->base == AT_NXT ? c.rcv_nxt : c.rcv_nxt + c.rcv_wnd) + (uint32_t)r->off;
	static char data[16] = "ABCDEFGHIJKLMNO";
	scn_inject(t, 200, SEG(.flags = ACK | (r->len ? PSH : 0), .seq = seq, .ack = c.iss + 11,
			       .data = r->len ? data : NULL, .len = r->len));
	if (r->reply)
		scn_expect_at(t, 200, SEG(.flags = ACK, .seq = c.iss + 11,
					  .ack = c.rcv_nxt + (uint32_t)r->reply_ack, .wnd = r->reply_wnd));
	scn_expect_none(t);
	if (r->acked != NOT_CHECKED)
		assert_int_equal(ioctl_int(t, c.fd, SIOCOUTQ), r->acked == YES ? 0 : 10);
	assert_int_equal(ioctl_int(t, c.fd, FIONREAD), c.inq + (int)r->readable);
	if (r->readable) {
		char buf[2048];
		assert_int_equal(synack_recv(t->st, c.fd, buf, sizeof(buf), 0), c.inq + (int)r->readable);
		/* The new bytes are the tail of the segment that lay past RCV.NXT. */
		assert_memory_equal(buf + c.inq, data + (r->len - r->readable), r->readable);
	}
	assert_int_equal(scn_state(t, c.fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

int main(void)
{
	enum { N = sizeof(rows) / sizeof(rows[0]) };
	struct CMUnitTest tests[N];
	for (size_t i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){.name = rows[i].name, .test_func = run_row,
					       .initial_state = (void *)&rows[i]};
	return cmocka_run_group_tests_name("seq_acceptability", tests, NULL, NULL);
}
