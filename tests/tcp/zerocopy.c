/*
 * SO_ZEROCOPY and MSG_ZEROCOPY as Linux (Documentation/networking/
 * msg_zerocopy.rst; packetdrill zerocopy/): one number per send call that
 * queues data, a completion on the error queue once that data is acked
 * (Linux frees the skb then), consecutive completions merged, POLLERR
 * while the queue holds one, ENOBUFS past net.core.optmem_max, and
 * SO_EE_CODE_ZEROCOPY_COPIED always (synack copies). Also sendmsg's
 * zero-length iovec entries (syscall_bad_arg/sendmsg-empty-iov.pkt).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

/* The byte at stream offset i is data[i]: a segment's payload is the
 * slice at its offset. */
static char data[256];

#define DATA(iss, off, n, fl)                                                             \
	SEG(.flags = (fl), .seq = (iss) + 1 + (off), .ack = R_ISS + 1, .data = data + (off), \
	    .len = (n), .any_wnd = true)
#define PEER_ACK(iss, off) SEG(.flags = ACK, .seq = R_ISS + 1, .ack = (iss) + 1 + (off))

/* An established socket with SO_ZEROCOPY and TCP_NODELAY (each send is
 * its own segment). */
static int zc_established(struct scn *t, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NODELAY, 1);
	return fd;
}

/* Send the n bytes at stream offset off with MSG_ZEROCOPY. */
static ssize_t zc_send(struct scn *t, int fd, size_t off, size_t n)
{
	return synack_send(t->st, fd, data + off, n, MSG_ZEROCOPY);
}

/* recvmsg(MSG_ERRQUEUE) returns 0 with one notification [lo, hi]. */
static void expect_notification(struct scn *t, int fd, uint32_t lo, uint32_t hi)
{
	char ctl[128];
	memset(ctl, 0xaa, sizeof(ctl));
	struct msghdr msg = {.msg_control = ctl, .msg_controllen = sizeof(ctl)};
	assert_int_equal(synack_recvmsg(t->st, fd, &msg, MSG_ERRQUEUE), 0);
	assert_int_equal(msg.msg_flags, MSG_ERRQUEUE);
	size_t payload = sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in);
	assert_int_equal(msg.msg_controllen, CMSG_SPACE(payload));
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	assert_non_null(c);
	assert_int_equal(c->cmsg_level, SOL_IP);
	assert_int_equal(c->cmsg_type, IP_RECVERR);
	assert_int_equal(c->cmsg_len, CMSG_LEN(payload));
	struct sock_extended_err ee;
	memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	assert_int_equal(ee.ee_errno, 0);
	assert_int_equal(ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
	assert_int_equal(ee.ee_type, 0);
	assert_int_equal(ee.ee_code, SO_EE_CODE_ZEROCOPY_COPIED);
	assert_int_equal(ee.ee_info, lo);
	assert_int_equal(ee.ee_data, hi);
	struct sockaddr_in off, zero;
	memset(&zero, 0, sizeof(zero));
	memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
	assert_memory_equal(&off, &zero, sizeof(off));
}

static void expect_errqueue_empty(struct scn *t, int fd)
{
	char ctl[128];
	struct msghdr msg = {.msg_control = ctl, .msg_controllen = sizeof(ctl), .msg_flags = 0x55};
	assert_int_equal(synack_recvmsg(t->st, fd, &msg, MSG_ERRQUEUE), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(msg.msg_flags, 0x55); /* a failed call leaves msg as it was */
	assert_int_equal(msg.msg_controllen, sizeof(ctl));
}

/* SO_ZEROCOPY reads 0, takes 0 and 1 in any state (Linux 6.x), refuses
 * other values and short options with EINVAL; a child inherits it. */
static void closed__so_zerocopy__linux_values(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	int v = -1;
	socklen_t l = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ZEROCOPY, &v, &l), 0);
	assert_int_equal(v, 0);
	v = 2;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof(v)), -1);
	assert_int_equal(errno, EINVAL);
	char one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_ZEROCOPY, &one, 1), -1);
	assert_int_equal(errno, EINVAL);
	scn_set_int(t, fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	l = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ZEROCOPY, &v, &l), 0);
	assert_int_equal(v, 1);
	synack_close(t->st, fd);

	int lfd = fx_listen(t);
	scn_set_int(t, lfd, SOL_SOCKET, SO_ZEROCOPY, 1);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int c = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(c >= 0);
	l = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, c, SOL_SOCKET, SO_ZEROCOPY, &v, &l), 0);
	assert_int_equal(v, 1);
	scn_set_int(t, c, SOL_SOCKET, SO_ZEROCOPY, 0); /* connected: still allowed */
	scn_free(t);
}

/* The completion waits for the ACK of the call's data (Linux frees the
 * skb on the ACK), then reads once; POLLERR meanwhile. */
static void estab__zerocopy_send__notified_after_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zc_established(t, &iss);
	assert_int_equal(zc_send(t, fd, 0, 40), 40);
	scn_expect(t, DATA(iss, 0, 40, ACK | PSH));
	expect_errqueue_empty(t, fd);
	assert_false(synack_poll_events(t->st, fd) & EPOLLERR);
	scn_inject(t, 10, PEER_ACK(iss, 39)); /* all but the last byte */
	expect_errqueue_empty(t, fd);
	scn_inject(t, 20, PEER_ACK(iss, 40));
	assert_int_equal(synack_poll_events(t->st, fd), EPOLLOUT | EPOLLWRNORM | EPOLLERR);
	expect_notification(t, fd, 0, 0);
	assert_false(synack_poll_events(t->st, fd) & EPOLLERR);
	expect_errqueue_empty(t, fd);
	/* The next call is number 1. */
	assert_int_equal(zc_send(t, fd, 40, 10), 10);
	scn_expect(t, DATA(iss, 40, 10, ACK | PSH));
	scn_inject(t, 30, PEER_ACK(iss, 50));
	expect_notification(t, fd, 1, 1);
	scn_free(t);
}

/* Completions of consecutive calls merge while unread (one ACK or
 * several); one read starts a new range. */
static void estab__consecutive_completions__coalesced(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zc_established(t, &iss);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(zc_send(t, fd, 10 * i, 10), 10);
		scn_expect(t, DATA(iss, 10 * i, 10, ACK | PSH));
	}
	scn_inject(t, 10, PEER_ACK(iss, 10));
	scn_inject(t, 11, PEER_ACK(iss, 30));
	expect_notification(t, fd, 0, 2);
	expect_errqueue_empty(t, fd);
	for (int i = 3; i < 5; i++) {
		assert_int_equal(zc_send(t, fd, 10 * i, 10), 10);
		scn_expect(t, DATA(iss, 10 * i, 10, ACK | PSH));
	}
	scn_inject(t, 20, PEER_ACK(iss, 40));
	expect_notification(t, fd, 3, 3);
	scn_inject(t, 21, PEER_ACK(iss, 50));
	expect_notification(t, fd, 4, 4);
	scn_free(t);
}

/* Edge-triggered epoll reports EPOLLERR once per completion wakeup
 * (packetdrill zerocopy/epoll_edge.pkt). */
static void estab__completion__epollerr_edge_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zc_established(t, &iss);
	int ep = synack_epoll_create(t->st);
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.fd = fd}, out[2];
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	assert_int_equal(zc_send(t, fd, 0, 10), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	scn_inject(t, 10, PEER_ACK(iss, 10));
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 1);
	assert_int_equal(out[0].events, EPOLLOUT | EPOLLERR);
	assert_int_equal(synack_epoll_wait(t->st, ep, out, 2, 0), 0);
	expect_notification(t, fd, 0, 0);
	scn_free(t);
}

/* Without SO_ZEROCOPY the flag is ignored (msg_zerocopy.rst): a plain
 * send, no completion, no counter taken. */
static void estab__msg_zerocopy_without_so_zerocopy__plain_send(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(zc_send(t, fd, 0, 10), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	scn_inject(t, 10, PEER_ACK(iss, 10));
	expect_errqueue_empty(t, fd);
	assert_false(synack_poll_events(t->st, fd) & EPOLLERR);
	/* Turned on now, the first call is number 0. */
	scn_set_int(t, fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	assert_int_equal(zc_send(t, fd, 10, 10), 10);
	scn_expect(t, DATA(iss, 10, 10, ACK | PSH));
	scn_inject(t, 20, PEER_ACK(iss, 20));
	expect_notification(t, fd, 0, 0);
	scn_free(t);
}

/* A call that fails (EPIPE on a closed socket) or sends nothing takes no
 * number (zerocopy/closed.pkt, sendmsg-empty-iov.pkt). */
static void closed__zerocopy_send_fails__no_number_taken(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	scn_set_int(t, fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	assert_int_equal(zc_send(t, fd, 0, 10), -1);
	assert_int_equal(errno, EPIPE);
	expect_errqueue_empty(t, fd);
	synack_close(t->st, fd);

	uint32_t iss;
	fd = zc_established(t, &iss);
	struct iovec iov[3] = {{(void *)data, 0}, {(void *)data, 0}, {(void *)data, 0}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
	assert_int_equal(synack_sendmsg(t->st, fd, &msg, MSG_ZEROCOPY), 0);
	scn_expect_none(t);
	assert_int_equal(zc_send(t, fd, 0, 10), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	scn_inject(t, 10, PEER_ACK(iss, 10));
	expect_notification(t, fd, 0, 0);
	scn_free(t);
}

/* Zero-length iovec entries are skipped: the bytes of the others go out
 * in order, as one segment (syscall_bad_arg/sendmsg-empty-iov.pkt). */
static void estab__sendmsg_zero_length_entries__skipped(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zc_established(t, &iss);
	struct iovec iov[4] = {
		{(void *)(data + 50), 0}, {(void *)data, 25}, {NULL, 0}, {(void *)(data + 25), 15},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 4};
	assert_int_equal(synack_sendmsg(t->st, fd, &msg, 0), 40);
	scn_expect(t, DATA(iss, 0, 40, ACK | PSH));
	/* The same with MSG_ZEROCOPY: one call, one number. */
	iov[1].iov_base = (void *)(data + 40);
	iov[1].iov_len = 10;
	iov[3].iov_base = (void *)(data + 50);
	iov[3].iov_len = 5;
	assert_int_equal(synack_sendmsg(t->st, fd, &msg, MSG_ZEROCOPY), 15);
	scn_expect(t, DATA(iss, 40, 15, ACK | PSH));
	scn_inject(t, 10, PEER_ACK(iss, 55));
	expect_notification(t, fd, 0, 0);
	/* And on the receiving side, recvmsg scatters over the entries. */
	scn_inject(t, 20, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 56, .data = data, .len = 12));
	char a[5], b[7];
	struct iovec riov[3] = {{a, sizeof(a)}, {NULL, 0}, {b, sizeof(b)}};
	struct msghdr rmsg = {.msg_iov = riov, .msg_iovlen = 3, .msg_controllen = 64, .msg_flags = 7};
	assert_int_equal(synack_recvmsg(t->st, fd, &rmsg, 0), 12);
	assert_memory_equal(a, data, 5);
	assert_memory_equal(b, data + 5, 7);
	assert_int_equal(rmsg.msg_controllen, 0);
	assert_int_equal(rmsg.msg_flags, 0);
	scn_free(t);
}

/*
 * Records are charged to option memory as Linux's skbs are (832 bytes
 * each, a new one only while the charge + 576 fits optmem_max): with
 * optmem_max 1408 two may be outstanding. A call whose predecessor's data
 * is still unsent joins its record (msg_zerocopy_realloc) and costs
 * nothing; the next new record is refused with ENOBUFS, taking no number
 * and queueing nothing, until completions are read.
 */
static void estab__optmem_full__enobufs_until_read(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.optmem_max = 1408;
	struct scn *t = scn_new(&cfg);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_ZEROCOPY, 1); /* Nagle on */
	assert_int_equal(zc_send(t, fd, 0, 10), 10);       /* #0, sent */
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	assert_int_equal(zc_send(t, fd, 10, 10), 10);      /* #1, held by Nagle */
	assert_int_equal(zc_send(t, fd, 20, 10), 10);      /* #2 joins #1's record */
	assert_int_equal(zc_send(t, fd, 30, 10), 10);      /* #3 too */
	scn_expect_none(t);
	scn_inject(t, 10, PEER_ACK(iss, 10));               /* #0 done: queued */
	scn_expect_at(t, 10, DATA(iss, 10, 30, ACK | PSH));
	/* #1..#3 are in flight; a new record would pass the limit. */
	assert_int_equal(zc_send(t, fd, 40, 10), -1);
	assert_int_equal(errno, ENOBUFS);
	scn_expect_none(t);
	assert_int_equal(synack_send(t->st, fd, data + 40, 10, 0), 10); /* copying sends still go */
	expect_notification(t, fd, 0, 0);
	assert_int_equal(zc_send(t, fd, 50, 10), 10);      /* #4: room again */
	scn_inject(t, 20, PEER_ACK(iss, 40));               /* #1..#3 done: queued */
	scn_expect_at(t, 20, DATA(iss, 40, 20, ACK | PSH));
	scn_inject(t, 30, PEER_ACK(iss, 60));               /* #4 done: merged */
	expect_notification(t, fd, 1, 4);
	scn_free(t);
}

/* A RST ends the connection with data unacked: the pending calls
 * complete (Linux tcp_write_queue_purge frees their skbs) and can be read. */
static void estab__rst_with_unacked_calls__completions_queued(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zc_established(t, &iss);
	assert_int_equal(zc_send(t, fd, 0, 10), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	assert_int_equal(zc_send(t, fd, 10, 10), 10);
	scn_expect(t, DATA(iss, 10, 10, ACK | PSH));
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1, .wnd = 0));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	expect_notification(t, fd, 0, 1);
	scn_free(t);
}

/* A send buffer takes at most max_skb_frags (17) zerocopy fragments: an
 * 18-entry vector of one-byte pieces in different places becomes a
 * 17-byte buffer with PSH, sent at once, and a 1-byte one that Nagle
 * holds until the ACK (zerocopy/maxfrags.pkt). Pieces that continue each
 * other in one page are one fragment. */
static void estab__zerocopy_vector_past_max_frags__new_buffer(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	static char pool[18 * 64] __attribute__((aligned(4096)));
	struct iovec iov[18];
	for (int i = 0; i < 18; i++) {
		pool[i * 64] = data[i];
		iov[i].iov_base = pool + i * 64;
		iov[i].iov_len = 1;
	}
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 18};
	assert_int_equal(synack_sendmsg(t->st, fd, &msg, 0), 18); /* copied: one buffer */
	scn_expect(t, DATA(iss, 0, 18, ACK | PSH));
	scn_inject(t, 10, PEER_ACK(iss, 18));
	for (int i = 0; i < 18; i++)
		pool[i * 64] = data[18 + i];
	assert_int_equal(synack_sendmsg(t->st, fd, &msg, MSG_ZEROCOPY), 18);
	scn_expect(t, DATA(iss, 18, 17, ACK | PSH));
	scn_expect_none(t);
	scn_inject(t, 20, PEER_ACK(iss, 35));
	scn_expect_at(t, 20, DATA(iss, 35, 1, ACK | PSH));
	scn_inject(t, 30, PEER_ACK(iss, 36));
	expect_notification(t, fd, 0, 0);
	/* 20 adjacent bytes in one page are one fragment: one buffer. */
	struct iovec one[20];
	for (int i = 0; i < 20; i++) {
		pool[i] = data[36 + i];
		one[i].iov_base = pool + i;
		one[i].iov_len = 1;
	}
	msg.msg_iov = one;
	msg.msg_iovlen = 20;
	assert_int_equal(synack_sendmsg(t->st, fd, &msg, MSG_ZEROCOPY), 20);
	scn_expect(t, DATA(iss, 36, 20, ACK | PSH));
	scn_free(t);
}

/* A short msg_control is cut as Linux's put_cmsg cuts it (MSG_CTRUNC);
 * the notification is consumed all the same. */
static void estab__errqueue_short_control__ctrunc(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = zc_established(t, &iss);
	assert_int_equal(zc_send(t, fd, 0, 10), 10);
	scn_expect(t, DATA(iss, 0, 10, ACK | PSH));
	scn_inject(t, 10, PEER_ACK(iss, 10));
	char ctl[20];
	struct msghdr msg = {.msg_control = ctl, .msg_controllen = sizeof(ctl)};
	assert_int_equal(synack_recvmsg(t->st, fd, &msg, MSG_ERRQUEUE), 0);
	assert_int_equal(msg.msg_flags, MSG_ERRQUEUE | MSG_CTRUNC);
	assert_int_equal(msg.msg_controllen, 20);
	struct cmsghdr c;
	memcpy(&c, ctl, sizeof(c));
	assert_int_equal(c.cmsg_len, 20);
	expect_errqueue_empty(t, fd);
	scn_free(t);
}

/* A Fast Open client's MSG_FASTOPEN|MSG_ZEROCOPY send (zerocopy/
 * fastopen-client.pkt): without a cookie the SYN carries no data, the
 * call returns EINPROGRESS and takes no number; with one, the SYN's data
 * is the call's, completed when the SYN-ACK acks it (Linux
 * tcp_sendmsg_locked takes the record before tcp_sendmsg_fastopen). */
static ssize_t fastopen_zc_send(struct scn *t, int fd, size_t n)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				 .sin_addr = {htonl(R_ADDR)}};
	return synack_sendto(t->st, fd, data, n, MSG_FASTOPEN | MSG_ZEROCOPY,
			     (struct sockaddr *)&to, sizeof(to));
}

static void syn_sent__fastopen_zerocopy__syn_data_notified(void **state)
{
	struct scn *t = scn_new(NULL); /* tcp_fastopen 1: the client side */
	int fd[2];
	uint32_t iss[2];
	struct tcp_opts ans = {.has_mss = true, .mss = 1460, .has_tfo = true, .tfo_len = 8,
			       .tfo_cookie = {1, 2, 3, 4, 5, 6, 7, 8}};
	for (int i = 0; i < 2; i++) {
		fd[i] = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT + i)};
		assert_int_equal(synack_bind(t->st, fd[i], (struct sockaddr *)&me, sizeof(me)), 0);
		scn_set_int(t, fd[i], SOL_SOCKET, SO_ZEROCOPY, 1);
		struct tcp_seg s;
		if (i == 0) {
			assert_int_equal(fastopen_zc_send(t, fd[i], 100), -1);
			assert_int_equal(errno, EINPROGRESS);
			assert_true(scn_pop(t, &s, NULL));
			assert_int_equal(s.len, 0); /* a cookie request only */
		} else {
			assert_int_equal(fastopen_zc_send(t, fd[i], 100), 100);
			assert_true(scn_pop(t, &s, NULL));
			assert_int_equal(s.len, 100);
			expect_errqueue_empty(t, fd[i]); /* not acked yet */
		}
		iss[i] = s.seq;
		scn_inject(t, 10 * (i + 1), SEG(.flags = SYN | ACK, .seq = R_ISS,
						.ack = iss[i] + 1 + s.len, .opt = &ans,
						.dport = L_PORT + i));
		assert_true(scn_pop(t, &s, NULL)); /* the ACK */
		assert_int_equal(s.ack, R_ISS + 1);
	}
	expect_errqueue_empty(t, fd[0]);
	expect_notification(t, fd[1], 0, 0);
	expect_errqueue_empty(t, fd[1]);
	scn_free(t);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('!' + (i * 7) % 90);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closed__so_zerocopy__linux_values),
		cmocka_unit_test(estab__zerocopy_send__notified_after_ack),
		cmocka_unit_test(estab__consecutive_completions__coalesced),
		cmocka_unit_test(estab__completion__epollerr_edge_once),
		cmocka_unit_test(estab__msg_zerocopy_without_so_zerocopy__plain_send),
		cmocka_unit_test(closed__zerocopy_send_fails__no_number_taken),
		cmocka_unit_test(estab__sendmsg_zero_length_entries__skipped),
		cmocka_unit_test(estab__optmem_full__enobufs_until_read),
		cmocka_unit_test(estab__rst_with_unacked_calls__completions_queued),
		cmocka_unit_test(estab__zerocopy_vector_past_max_frags__new_buffer),
		cmocka_unit_test(estab__errqueue_short_control__ctrunc),
		cmocka_unit_test(syn_sent__fastopen_zerocopy__syn_data_notified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
