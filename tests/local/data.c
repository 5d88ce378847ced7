/*
 * The data path and Linux's flow control (unix_stream_sendmsg,
 * LINUX-SEMANTICS 11): each message charged to the sender's SO_SNDBUF
 * at Linux's truesize until read. Every figure here was measured on
 * Linux 6.18 with an AF_UNIX stream socketpair.
 */
#include <stdlib.h>

#include "local_test.h"

/* One send of n bytes: SIOCOUTQ (the charge) as Linux reports it. */
static void truesize__per_message__as_linux(void **state)
{
	(void)state;
	static const struct {
		uint32_t n, outq;
	} rows[] = {
		{1, 768},      {64, 768},     {192, 768},     {193, 1280},    {500, 1280},
		{1000, 2304},  {2000, 4352},  {3776, 4352},   {3777, 4864},   {5000, 6400},
		{8000, 8960},  {10000, 12544}, {32768, 33536}, {36544, 37120},
		{36545, 37888}, /* two messages: 36544 + 1 */
		{100000, 103168},
	};
	struct synack_stack *st = lt_stack();
	static char buf[100000];
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int sv[2];
		assert_int_equal(lt_pair(st, sv), 0);
		assert_int_equal(synack_send(st, sv[0], buf, rows[i].n, 0), rows[i].n);
		assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), rows[i].outq);
		assert_int_equal(lt_ioctl(st, sv[1], FIONREAD), rows[i].n);
		synack_close(st, sv[0]);
		synack_close(st, sv[1]);
	}
	synack_stack_free(st);
}

/* How much a non-blocking writer gets in before EAGAIN: 278 one-byte
 * sends (charge 213504), 93 of 1000 bytes (214272), and one big send
 * takes 6 messages of 36544 = 219264 bytes (222720): a message may
 * start while the charge is below SO_SNDBUF (212992). */
static void flow__sndbuf_fill__exact_counts(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	static char buf[1000000];
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	int n = 0;
	while (synack_send(st, sv[0], "x", 1, 0) == 1 && n < 1000)
		n++;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(n, 278);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 213504);
	assert_int_equal(lt_pair(st, sv), 0);
	n = 0;
	while (synack_send(st, sv[0], buf, 1000, 0) == 1000 && n < 1000)
		n++;
	assert_int_equal(n, 93);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 214272);
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_send(st, sv[0], buf, sizeof(buf), 0), 219264);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 222720);
	assert_int_equal(lt_ioctl(st, sv[1], FIONREAD), 219264);
	ASSERT_ERR(synack_send(st, sv[0], buf, 1, 0), EAGAIN);
	/* An empty send on a full buffer is 0, not EAGAIN. */
	assert_int_equal(synack_send(st, sv[0], buf, 0, 0), 0);
	synack_stack_free(st);
}

/* SO_SNDBUF 10000 (stored 20000): messages of 20000/2-64 = 9936 bytes,
 * two fit (charge 25088), as Linux. SO_SNDBUF 4096 stores 8192. */
static void flow__so_sndbuf__message_size_and_limit(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	static char buf[100000];
	int sv[2], v = 10000;
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_setsockopt(st, sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	assert_int_equal(synack_send(st, sv[0], buf, sizeof(buf), 0), 19872);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 25088);
	v = 4096;
	assert_int_equal(synack_setsockopt(st, sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(st, sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	assert_int_equal(v, 8192);
	/* The receiver's SO_RCVBUF plays no part in a stream pair. */
	v = 1;
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_setsockopt(st, sv[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	assert_int_equal(synack_send(st, sv[0], buf, sizeof(buf), 0), 100000);
	synack_stack_free(st);
}

/* EPOLLOUT while the charge (counted from 1, as Linux's refcount) is at
 * most a quarter of SO_SNDBUF: after 24 sends of 1000 bytes (55296) the
 * writer is not writable (mask 0) though sends still succeed; reading
 * the messages back makes it writable again. */
static void flow__writable_quarter__epollout(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	static char buf[1000];
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	int ep = synack_epoll_create(st);
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.fd = sv[0]};
	assert_int_equal(synack_epoll_ctl(st, ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
	assert_int_equal(synack_epoll_wait(st, ep, &ev, 1, 0), 1);
	for (int i = 0; i < 23; i++)
		assert_int_equal(synack_send(st, sv[0], buf, 1000, 0), 1000);
	assert_int_equal(synack_poll_events(st, sv[0]), M_OUT); /* 52992 */
	assert_int_equal(synack_send(st, sv[0], buf, 1000, 0), 1000);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 55296);
	assert_int_equal(synack_poll_events(st, sv[0]), 0);
	assert_int_equal(synack_epoll_wait(st, ep, &ev, 1, 0), 0);
	/* Reading one message frees 2304: 52992 is writable again, and the
	 * edge-triggered watcher hears of it. */
	char rb[1000];
	assert_int_equal(synack_recv(st, sv[1], rb, 1000, 0), 1000);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 52992);
	assert_int_equal(synack_poll_events(st, sv[0]), M_OUT);
	assert_int_equal(synack_epoll_wait(st, ep, &ev, 1, 0), 1);
	assert_int_equal(ev.events, EPOLLOUT);
	synack_stack_free(st);
}

/* A message is charged until its last byte is read: a partial read
 * frees nothing; MSG_PEEK reads across messages and takes nothing;
 * reads join messages; iovecs scatter and gather. */
static void recv__partial_peek_iovec(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_send(st, sv[0], "abc", 3, 0), 3);
	struct iovec wv[3] = {{"de", 2}, {NULL, 0}, {"fg", 2}};
	struct msghdr wm = {.msg_iov = wv, .msg_iovlen = 3};
	assert_int_equal(synack_sendmsg(st, sv[0], &wm, 0), 4);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 2 * 768);
	char buf[16] = {0};
	assert_int_equal(synack_recv(st, sv[1], buf, sizeof(buf), MSG_PEEK), 7);
	assert_memory_equal(buf, "abcdefg", 7);
	assert_int_equal(lt_ioctl(st, sv[1], FIONREAD), 7);
	assert_int_equal(synack_recv(st, sv[1], buf, 2, 0), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 2 * 768);
	assert_int_equal(lt_ioctl(st, sv[1], FIONREAD), 5);
	assert_int_equal(synack_recv(st, sv[1], buf, 2, MSG_PEEK), 2);
	assert_memory_equal(buf, "cd", 2);
	char x[1], y[3];
	struct iovec rv[2] = {{x, 1}, {y, 3}};
	struct msghdr rm = {.msg_iov = rv, .msg_iovlen = 2};
	assert_int_equal(synack_recvmsg(st, sv[1], &rm, 0), 4);
	assert_memory_equal(x, "c", 1);
	assert_memory_equal(y, "def", 3);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 768);
	/* MSG_WAITALL never waits in the core: what is there. */
	assert_int_equal(synack_recv(st, sv[1], buf, 10, MSG_WAITALL), 1);
	assert_int_equal(buf[0], 'g');
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 0);
	ASSERT_ERR(synack_recv(st, sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	ASSERT_ERR(synack_recv(st, sv[1], buf, 0, 0), EAGAIN);
	assert_int_equal(synack_send(st, sv[1], "z", 1, 0), 1);
	assert_int_equal(synack_recv(st, sv[0], buf, 0, 0), 0);
	assert_int_equal(synack_poll_events(st, sv[0]), M_OUT | M_IN);
	synack_stack_free(st);
}

/* Argument errors: MSG_OOB EOPNOTSUPP (a kernel without
 * CONFIG_AF_UNIX_OOB); an address on a stream send EISCONN when
 * connected, EOPNOTSUPP when not; send unconnected ENOTCONN, recv
 * unconnected or on a listener EINVAL; send on a listener ENOTCONN. */
static void data__bad_calls__linux_errno(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	char buf[4];
	assert_int_equal(lt_pair(st, sv), 0);
	ASSERT_ERR(synack_send(st, sv[0], "x", 1, MSG_OOB), EOPNOTSUPP);
	ASSERT_ERR(synack_recv(st, sv[0], buf, 1, MSG_OOB), EOPNOTSUPP);
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, "foo");
	ASSERT_ERR(synack_sendto(st, sv[0], "x", 1, 0, (struct sockaddr *)&sa, len), EISCONN);
	int s = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	ASSERT_ERR(synack_sendto(st, s, "x", 1, 0, (struct sockaddr *)&sa, len), EOPNOTSUPP);
	ASSERT_ERR(synack_send(st, s, "x", 1, 0), ENOTCONN);
	ASSERT_ERR(synack_recv(st, s, buf, 1, 0), EINVAL);
	int l = lt_listener(st, "lsn", 1);
	ASSERT_ERR(synack_recv(st, l, buf, 1, 0), EINVAL);
	ASSERT_ERR(synack_send(st, l, "x", 1, 0), ENOTCONN);
	assert_int_equal(lt_ioctl(st, l, SIOCOUTQ), 0);
	int v = 0;
	ASSERT_ERR(synack_ioctl(st, sv[0], SIOCATMARK, &v), ENOTTY);
	ASSERT_ERR(synack_setsockopt(st, sv[0], IPPROTO_TCP, 1, &v, sizeof(v)), EOPNOTSUPP);
	synack_stack_free(st);
}

/* 64 MiB through a pair in sends of odd sizes and reads of others,
 * the FNV-1a hash of what arrives equal to what was sent. */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void bulk__64mib__fnv_equal(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	const size_t total = 64u << 20;
	unsigned char *w = malloc(65536), *r = malloc(70000);
	assert_non_null(w);
	assert_non_null(r);
	uint64_t hs = 0xcbf29ce484222325ull, hr = hs, seed = 1;
	size_t sent = 0, got = 0, pending = 0, loops = 0;
	while (got < total && loops++ < 10000000) {
		if (sent < total) {
			if (!pending) {
				pending = 1 + (size_t)((seed = seed * 6364136223846793005ull + 1) >> 49) % 65536;
				if (pending > total - sent)
					pending = total - sent;
				for (size_t i = 0; i < pending; i++)
					w[i] = (unsigned char)((sent + i) * 2654435761u >> 13);
			}
			ssize_t n = synack_send(st, sv[0], w + 0, pending, 0);
			if (n > 0) {
				hs = fnv(hs, w, (size_t)n);
				memmove(w, w + n, pending - (size_t)n);
				pending -= (size_t)n;
				sent += (size_t)n;
			}
		}
		size_t want = 1 + (size_t)(seed >> 40) % 70000;
		ssize_t m = synack_recv(st, sv[1], r, want, 0);
		if (m > 0) {
			hr = fnv(hr, r, (size_t)m);
			got += (size_t)m;
		}
	}
	assert_int_equal(got, total);
	assert_int_equal(sent, total);
	assert_true(hs == hr);
	assert_int_equal(lt_ioctl(st, sv[0], SIOCOUTQ), 0);
	free(w);
	free(r);
	synack_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(truesize__per_message__as_linux),
		cmocka_unit_test(flow__sndbuf_fill__exact_counts),
		cmocka_unit_test(flow__so_sndbuf__message_size_and_limit),
		cmocka_unit_test(flow__writable_quarter__epollout),
		cmocka_unit_test(recv__partial_peek_iovec),
		cmocka_unit_test(data__bad_calls__linux_errno),
		cmocka_unit_test(bulk__64mib__fnv_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
