/*
 * shutdown() and close() as Linux's unix_shutdown and unix_release_sock
 * (LINUX-SEMANTICS 11), with the readiness masks unix_poll reports, as
 * measured on Linux 6.18.
 */
#include "local_test.h"

#define M_BOTH (M_OUT | M_RDHUP | EPOLLHUP)

/* One row per how: both ends' masks and what a 1-byte send and a recv
 * on each end give (the peer of a stream socket sees the mirror). */
static void shutdown__each_how__masks_and_results(void **state)
{
	(void)state;
	static const struct {
		int how;
		uint32_t a_mask, b_mask;
		int a_send, b_send;  /* bytes or -errno */
		int a_recv, b_recv;  /* bytes or -errno, after the sends */
	} rows[] = {
		{SHUT_RD, M_OUT | M_RDHUP, M_OUT, 1, -EPIPE, 0, 1},
		{SHUT_WR, M_OUT, M_OUT | M_RDHUP, -EPIPE, 1, 1, 0},
		{SHUT_RDWR, M_BOTH, M_BOTH, -EPIPE, -EPIPE, 0, 0},
	};
	struct synack_stack *st = lt_stack();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int sv[2];
		char buf[4];
		assert_int_equal(lt_pair(st, sv), 0);
		assert_int_equal(synack_shutdown(st, sv[0], rows[i].how), 0);
		assert_int_equal(synack_poll_events(st, sv[0]), rows[i].a_mask);
		assert_int_equal(synack_poll_events(st, sv[1]), rows[i].b_mask);
		ssize_t r = synack_send(st, sv[0], "x", 1, MSG_NOSIGNAL);
		assert_int_equal(r < 0 ? -errno : r, rows[i].a_send);
		r = synack_send(st, sv[1], "y", 1, MSG_NOSIGNAL);
		assert_int_equal(r < 0 ? -errno : r, rows[i].b_send);
		r = synack_recv(st, sv[0], buf, sizeof(buf), 0);
		assert_int_equal(r < 0 ? -errno : r, rows[i].a_recv);
		r = synack_recv(st, sv[1], buf, sizeof(buf), 0);
		assert_int_equal(r < 0 ? -errno : r, rows[i].b_recv);
	}
	ASSERT_ERR(synack_shutdown(st, 3, 7), EINVAL);
	synack_stack_free(st);
}

/* unix_shutdown on an unconnected socket: 0 (not ENOTCONN as TCP), and
 * the socket reports IN|OUT|HUP|RDHUP; a fresh one OUT|HUP. */
static void shutdown__unconnected__zero(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int s = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_poll_events(st, s), M_OUT | EPOLLHUP);
	assert_int_equal(synack_shutdown(st, s, SHUT_RDWR), 0);
	assert_int_equal(synack_poll_events(st, s), M_BOTH);
	synack_stack_free(st);
}

/* The peer closes having read everything: we read what it sent, then 0;
 * sends get EPIPE; both directions shut (IN|OUT|HUP|RDHUP), no error;
 * getpeername still answers. */
static void close__no_unread__peer_eof_then_epipe(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	char buf[8];
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_send(st, sv[0], "hi", 2, 0), 2);
	assert_int_equal(synack_close(st, sv[0]), 0);
	assert_int_equal(synack_poll_events(st, sv[1]), M_BOTH);
	assert_int_equal(synack_recv(st, sv[1], buf, sizeof(buf), 0), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_int_equal(synack_recv(st, sv[1], buf, sizeof(buf), 0), 0);
	ASSERT_ERR(synack_send(st, sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	assert_int_equal(synack_getpeername(st, sv[1], (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path));
	synack_stack_free(st);
}

/* The peer closes with bytes of ours unread: we still read its bytes,
 * then ECONNRESET once (ERR until then), then 0; sends EPIPE; our
 * unread bytes are freed, so our charge drops to 0. */
static void close__unread__peer_econnreset(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	char buf[8];
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_send(st, sv[1], "abc", 3, 0), 3);
	assert_int_equal(synack_send(st, sv[0], "hi", 2, 0), 2);
	assert_int_equal(lt_ioctl(st, sv[1], SIOCOUTQ), 768);
	assert_int_equal(synack_close(st, sv[0]), 0);
	assert_int_equal(lt_ioctl(st, sv[1], SIOCOUTQ), 0);
	assert_int_equal(synack_poll_events(st, sv[1]), M_BOTH | EPOLLERR);
	assert_int_equal(synack_recv(st, sv[1], buf, sizeof(buf), 0), 2);
	assert_int_equal(synack_poll_events(st, sv[1]), M_BOTH | EPOLLERR);
	ASSERT_ERR(synack_recv(st, sv[1], buf, sizeof(buf), 0), ECONNRESET);
	assert_int_equal(synack_recv(st, sv[1], buf, sizeof(buf), 0), 0);
	ASSERT_ERR(synack_send(st, sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	assert_int_equal(synack_poll_events(st, sv[1]), M_BOTH);
	synack_stack_free(st);
}

/* Bytes we sent stay charged to us after we close until the reader
 * takes them (the closed socket lives on for them), and are readable. */
static void close__sender_gone__bytes_still_readable(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	char buf[8];
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_send(st, sv[0], "abcdef", 6, 0), 6);
	assert_int_equal(synack_close(st, sv[0]), 0);
	assert_int_equal(synack_recv(st, sv[1], buf, 3, 0), 3);
	assert_int_equal(synack_recv(st, sv[1], buf, 8, 0), 3);
	assert_memory_equal(buf, "def", 3);
	assert_int_equal(synack_recv(st, sv[1], buf, 8, 0), 0);
	assert_int_equal(synack_close(st, sv[1]), 0);
	/* Nothing left in the listing. */
	assert_int_equal(synack_sockets(st, NULL, 0), 0);
	synack_stack_free(st);
}

/* epoll: the reader hears of data (IN) and of the peer's close (RDHUP). */
static void epoll__reader_events(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	int ep = synack_epoll_create(st);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = sv[1]};
	assert_int_equal(synack_epoll_ctl(st, ep, EPOLL_CTL_ADD, sv[1], &ev), 0);
	assert_int_equal(synack_epoll_wait(st, ep, &ev, 1, 0), 0);
	assert_int_equal(synack_send(st, sv[0], "x", 1, 0), 1);
	assert_int_equal(synack_epoll_wait(st, ep, &ev, 1, 0), 1);
	assert_int_equal(ev.events, EPOLLIN);
	assert_int_equal(synack_shutdown(st, sv[0], SHUT_WR), 0);
	assert_int_equal(synack_epoll_wait(st, ep, &ev, 1, 0), 1);
	assert_int_equal(ev.events, EPOLLIN | EPOLLRDHUP);
	synack_stack_free(st);
}

/* ss -x rows: a pair shows ESTAB, each the other's id as peer, Recv-Q
 * the unread bytes and Send-Q the charge. */
static void listing__pair_rows(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_send(st, sv[0], "hello", 5, 0), 5);
	struct synack_sockinfo r[4];
	assert_int_equal(synack_sockets(st, r, 4), 2);
	const struct synack_sockinfo *a = r[0].fd == sv[0] ? &r[0] : &r[1];
	const struct synack_sockinfo *b = r[0].fd == sv[0] ? &r[1] : &r[0];
	assert_int_equal(a->family, AF_UNIX);
	assert_int_equal(a->state, SYNACK_ESTABLISHED);
	assert_int_equal(a->recv_q, 0);
	assert_int_equal(a->send_q, 768);
	assert_int_equal(b->recv_q, 5);
	assert_int_equal(b->send_q, 0);
	assert_true(a->peer_conn == b->conn && b->peer_conn == a->conn);
	assert_int_equal(a->un_local_len, offsetof(struct sockaddr_un, sun_path));
	synack_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shutdown__each_how__masks_and_results),
		cmocka_unit_test(shutdown__unconnected__zero),
		cmocka_unit_test(close__no_unread__peer_eof_then_epipe),
		cmocka_unit_test(close__unread__peer_econnreset),
		cmocka_unit_test(close__sender_gone__bytes_still_readable),
		cmocka_unit_test(epoll__reader_events),
		cmocka_unit_test(listing__pair_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
