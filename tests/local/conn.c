/*
 * listen, connect, accept and SO_PEERCRED as Linux's af_unix.c
 * (LINUX-SEMANTICS 11): backlog + 1 connections fit, a full queue gives
 * a non-blocking connect EAGAIN and makes a blocking one wait; the
 * listener closing resets what it never accepted.
 */
#include "local_test.h"

#define OFF ((socklen_t)offsetof(struct sockaddr_un, sun_path))

/* listen(1) holds 2 (full = more than backlog): the third non-blocking
 * connect gets EAGAIN; accept makes room. The listener is readable
 * (IN|RDNORM) while one waits, never writable; FIONREAD on it EINVAL. */
static void listen__backlog_plus_one__then_eagain(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int l = lt_listener(st, "srv", 1);
	assert_int_equal(synack_poll_events(st, l), 0);
	int c1 = lt_connect(st, "srv", SOCK_NONBLOCK);
	int c2 = lt_connect(st, "srv", SOCK_NONBLOCK);
	assert_true(c1 >= 0 && c2 >= 0);
	assert_int_equal(synack_poll_events(st, c1), M_OUT);
	int c3 = lt_connect(st, "srv", SOCK_NONBLOCK);
	assert_true(c3 < 0);
	assert_int_equal(errno, EAGAIN);
	c3 = -1 - c3;
	assert_int_equal(synack_poll_events(st, c3), M_OUT | EPOLLHUP);
	assert_int_equal(synack_poll_events(st, l), M_IN);
	int v;
	ASSERT_ERR(synack_ioctl(st, l, FIONREAD, &v), EINVAL);
	/* ss -x: a listener shows its queue and backlog. */
	struct synack_sockinfo rows[8];
	size_t n = synack_sockets(st, rows, 8);
	assert_int_equal(n, 6); /* l, c1, c2, two embryos, c3 */
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].fd == l) {
			assert_int_equal(rows[i].family, AF_UNIX);
			assert_int_equal(rows[i].state, SYNACK_LISTEN);
			assert_int_equal(rows[i].recv_q, 2);
			assert_int_equal(rows[i].send_q, 1);
			assert_int_equal(rows[i].un_local_len, OFF + 4);
			found++;
		}
	assert_int_equal(found, 1);
	int a1 = synack_accept(st, l, NULL, NULL);
	assert_true(a1 >= 0);
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, "srv");
	assert_int_equal(synack_connect(st, c3, (struct sockaddr *)&sa, len), 0);
	/* A connected socket: EISCONN (after the queue check, as Linux). */
	assert_int_equal(synack_accept(st, l, NULL, NULL), a1 + 1);
	ASSERT_ERR(synack_connect(st, c1, (struct sockaddr *)&sa, len), EISCONN);
	/* A listener connecting: EINVAL; accept on a non-listener EINVAL. */
	ASSERT_ERR(synack_connect(st, l, (struct sockaddr *)&sa, len), EINVAL);
	ASSERT_ERR(synack_accept(st, c1, NULL, NULL), EINVAL);
	assert_int_equal(synack_accept(st, l, NULL, NULL), a1 + 2);
	ASSERT_ERR(synack_accept(st, l, NULL, NULL), EAGAIN);
	synack_stack_free(st);
}

/* listen(0) holds 1; backlog is capped by somaxconn (negative = max). */
static void listen__backlog_zero_and_somaxconn(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	assert_int_equal(synack_sysctl_set(st, "net.core.somaxconn", "2"), 0);
	int l = lt_listener(st, "z", 0);
	assert_true(lt_connect(st, "z", SOCK_NONBLOCK) >= 0);
	assert_true(lt_connect(st, "z", SOCK_NONBLOCK) < 0);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(synack_listen(st, l, -1), 0); /* now min(UINT_MAX, 2) = 2 */
	assert_true(lt_connect(st, "z", SOCK_NONBLOCK) >= 0);
	assert_true(lt_connect(st, "z", SOCK_NONBLOCK) >= 0);
	assert_true(lt_connect(st, "z", SOCK_NONBLOCK) < 0);
	assert_int_equal(errno, EAGAIN);
	synack_stack_free(st);
}

/* A blocking connect to a full queue waits (Linux unix_wait_for_peer):
 * the core answers EINPROGRESS, shows no readiness, EALREADY on a second
 * try, and connects when accept makes room (EPOLLOUT, SO_ERROR 0). */
static void connect__blocking_full__waits_for_accept(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int l = lt_listener(st, "w", 0);
	assert_true(lt_connect(st, "w", SOCK_NONBLOCK) >= 0);
	int c = lt_connect(st, "w", 0);
	assert_true(c < 0);
	assert_int_equal(errno, EINPROGRESS);
	c = -1 - c;
	assert_int_equal(synack_poll_events(st, c), 0);
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, "w");
	ASSERT_ERR(synack_connect(st, c, (struct sockaddr *)&sa, len), EALREADY);
	ASSERT_ERR(synack_send(st, c, "x", 1, 0), ENOTCONN);
	int a = synack_accept(st, l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(synack_poll_events(st, c), M_OUT);
	int err = -1;
	socklen_t elen = sizeof(err);
	assert_int_equal(synack_getsockopt(st, c, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
	assert_int_equal(err, 0);
	assert_int_equal(synack_send(st, c, "hi", 2, 0), 2);
	int a2 = synack_accept(st, l, NULL, NULL);
	char buf[4];
	assert_int_equal(synack_recv(st, a2, buf, sizeof(buf), 0), 2);
	assert_memory_equal(buf, "hi", 2);
	synack_stack_free(st);
}

/* The listener closes: a waiting connect is refused (SO_ERROR
 * ECONNREFUSED); a client whose connection was never accepted gets
 * ECONNRESET, then 0, and EPIPE (unix_release_sock, embrion). */
static void listener_close__embryos_reset_waiters_refused(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int l = lt_listener(st, "gone", 0);
	int c1 = lt_connect(st, "gone", SOCK_NONBLOCK);
	assert_int_equal(synack_send(st, c1, "abc", 3, 0), 3);
	int c2 = -1 - lt_connect(st, "gone", 0);
	assert_int_equal(errno, EINPROGRESS);
	assert_int_equal(synack_close(st, l), 0);
	assert_int_equal(synack_poll_events(st, c1),
			 M_OUT | M_RDHUP | EPOLLERR | EPOLLHUP);
	char buf[8];
	ASSERT_ERR(synack_recv(st, c1, buf, sizeof(buf), 0), ECONNRESET);
	assert_int_equal(synack_recv(st, c1, buf, sizeof(buf), 0), 0);
	ASSERT_ERR(synack_send(st, c1, "x", 1, 0), EPIPE);
	/* Its bytes were freed with the embryo: nothing charged any more. */
	assert_int_equal(lt_ioctl(st, c1, SIOCOUTQ), 0);
	int err = 0;
	socklen_t elen = sizeof(err);
	assert_int_equal(synack_getsockopt(st, c2, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(synack_poll_events(st, c2), M_OUT | EPOLLHUP);
	/* The name is free: connect now finds nobody. */
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, "gone");
	ASSERT_ERR(synack_connect(st, c2, (struct sockaddr *)&sa, len), ECONNREFUSED);
	synack_stack_free(st);
}

/* A listener shut for reading refuses new connects (ECONNREFUSED) but
 * its queued connections can still be accepted. */
static void listener_shut_rd__refuses_new(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int l = lt_listener(st, "s", 4);
	assert_true(lt_connect(st, "s", SOCK_NONBLOCK) >= 0);
	assert_int_equal(synack_shutdown(st, l, SHUT_RD), 0);
	assert_true(lt_connect(st, "s", SOCK_NONBLOCK) < 0);
	assert_int_equal(errno, ECONNREFUSED);
	assert_true(synack_accept(st, l, NULL, NULL) >= 0);
	synack_stack_free(st);
}

/* accept's address is the client's name (unbound: family alone, 2);
 * the accepted socket is named as the listener; the client's peer is the
 * listener's name. accept4 takes SOCK_NONBLOCK|SOCK_CLOEXEC only. */
static void accept__names_and_flags(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int l = lt_listener(st, "names", 4);
	int c = lt_connect(st, "names", 0);
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	ASSERT_ERR(synack_accept4(st, l, NULL, NULL, 0x1), EINVAL);
	int a = synack_accept4(st, l, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK);
	assert_true(a >= 0);
	assert_int_equal(len, OFF);
	assert_int_equal(synack_fcntl(st, a, F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
	len = sizeof(sa);
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(len, OFF + 6);
	assert_memory_equal(sa.sun_path, "\0names", 6);
	len = sizeof(sa);
	assert_int_equal(synack_getpeername(st, c, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(len, OFF + 6);
	/* A bound client: accept reports its name. */
	struct sockaddr_un me;
	socklen_t mlen = lt_abstract(&me, "client");
	int c2 = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_bind(st, c2, (struct sockaddr *)&me, mlen), 0);
	len = lt_abstract(&sa, "names");
	assert_int_equal(synack_connect(st, c2, (struct sockaddr *)&sa, len), 0);
	len = sizeof(sa);
	assert_true(synack_accept(st, l, (struct sockaddr *)&sa, &len) >= 0);
	assert_int_equal(len, mlen);
	assert_memory_equal(sa.sun_path, "\0client", 7);
	synack_stack_free(st);
}

/* SO_PEERCRED: the server's socket reports the connecting caller's
 * credentials, the client the listener's (taken at listen()); a pair
 * both the caller's; unconnected {0, -1, -1}; 12 bytes at most. */
static void peercred__captured_at_listen_connect_socketpair(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	struct ucred u;
	socklen_t len = sizeof(u);
	int s = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_getsockopt(st, s, SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_int_equal(len, 12);
	assert_int_equal(u.pid, 0);
	assert_int_equal(u.uid, (uid_t)-1);
	assert_int_equal(u.gid, (gid_t)-1);
	synack_set_ucred(st, 100, 1000, 1001);
	int l = lt_listener(st, "cred", 4);
	synack_set_ucred(st, 200, 2000, 2001);
	int c = lt_connect(st, "cred", 0);
	synack_set_ucred(st, 300, 3000, 3001);
	int a = synack_accept(st, l, NULL, NULL);
	len = sizeof(u);
	assert_int_equal(synack_getsockopt(st, a, SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_true(u.pid == 200 && u.uid == 2000 && u.gid == 2001);
	assert_int_equal(synack_getsockopt(st, c, SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_true(u.pid == 100 && u.uid == 1000 && u.gid == 1001);
	assert_int_equal(synack_getsockopt(st, l, SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_true(u.pid == 100 && u.uid == 1000 && u.gid == 1001);
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_getsockopt(st, sv[1], SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_true(u.pid == 300 && u.uid == 3000 && u.gid == 3001);
	/* A short buffer gets what fits. */
	len = 4;
	memset(&u, 0, sizeof(u));
	assert_int_equal(synack_getsockopt(st, sv[1], SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(u.pid, 300);
	assert_int_equal(u.uid, 0);
	synack_stack_free(st);
}

/* Default credentials: the creating process's (effective ids). */
static void peercred__default_is_process(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int sv[2];
	struct ucred u;
	socklen_t len = sizeof(u);
	assert_int_equal(lt_pair(st, sv), 0);
	assert_int_equal(synack_getsockopt(st, sv[0], SOL_SOCKET, SO_PEERCRED, &u, &len), 0);
	assert_int_equal(u.pid, getpid());
	assert_int_equal(u.uid, geteuid());
	assert_int_equal(u.gid, getegid());
	synack_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen__backlog_plus_one__then_eagain),
		cmocka_unit_test(listen__backlog_zero_and_somaxconn),
		cmocka_unit_test(connect__blocking_full__waits_for_accept),
		cmocka_unit_test(listener_close__embryos_reset_waiters_refused),
		cmocka_unit_test(listener_shut_rd__refuses_new),
		cmocka_unit_test(accept__names_and_flags),
		cmocka_unit_test(peercred__captured_at_listen_connect_socketpair),
		cmocka_unit_test(peercred__default_is_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
