/*
 * epoll(7) through the public API: the ctl errors, level- vs edge-
 * triggered reporting, EPOLLONESHOT, removal on close, and the readiness
 * Linux's tcp_poll reports in each state (LINUX-SEMANTICS 7).
 */
#include <errno.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define NORM_BITS ((uint32_t)(EPOLLRDNORM | EPOLLWRNORM))
#define WATCH ((uint32_t)(EPOLLIN | EPOLLOUT | EPOLLRDHUP))

#define ASSERT_ERR(call, err) \
	do { \
		errno = 0; \
		assert_int_equal((call), -1); \
		assert_int_equal(errno, (err)); \
	} while (0)

static int watch(struct scn *t, int ep, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	return synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, fd, &ev);
}

/* One epoll_wait with room for 8; returns the count, the first in *ev. */
static int wait1(struct scn *t, int ep, struct epoll_event *ev)
{
	struct epoll_event evs[8];
	int n = synack_epoll_wait(t->st, ep, evs, 8, 0);
	assert_true(n >= 0);
	if (n && ev)
		*ev = evs[0];
	return n;
}

static void peer_data(struct scn *t, uint64_t at, uint32_t iss, uint32_t off, const char *s)
{
	scn_inject(t, at, SEG(.flags = ACK | PSH, .seq = R_ISS + 1 + off, .ack = iss + 1, .data = s));
}

/* ===== epoll_ctl and epoll_wait errors ================================== */

/* epoll_ctl(2): ADD twice EEXIST; DEL or MOD of an fd not in the set
 * ENOENT; a bad epfd or fd EBADF; epfd not an epoll instance, or the fd
 * being the epfd itself, EINVAL; epoll_wait with maxevents <= 0 EINVAL. */
static void epoll_ctl__errors__linux_errno(void **state)
{
	struct scn *t = scn_new(NULL);
	int ep = synack_epoll_create(t->st);
	assert_true(ep >= 0);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	int other = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	struct epoll_event ev = {.events = EPOLLIN};
	assert_int_equal(watch(t, ep, fd, EPOLLIN), 0);
	ASSERT_ERR(watch(t, ep, fd, EPOLLIN), EEXIST);
	ASSERT_ERR(synack_epoll_ctl(t->st, ep, EPOLL_CTL_DEL, other, NULL), ENOENT);
	ASSERT_ERR(synack_epoll_ctl(t->st, ep, EPOLL_CTL_MOD, other, &ev), ENOENT);
	ASSERT_ERR(synack_epoll_ctl(t->st, 999, EPOLL_CTL_ADD, fd, &ev), EBADF);
	ASSERT_ERR(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	ASSERT_ERR(synack_epoll_ctl(t->st, fd, EPOLL_CTL_ADD, other, &ev), EINVAL);
	ASSERT_ERR(synack_epoll_ctl(t->st, ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	ASSERT_ERR(synack_epoll_ctl(t->st, ep, 42, fd, &ev), EINVAL);
	struct epoll_event out[1];
	ASSERT_ERR(synack_epoll_wait(t->st, 999, out, 1, 0), EBADF);
	ASSERT_ERR(synack_epoll_wait(t->st, fd, out, 1, 0), EINVAL);
	ASSERT_ERR(synack_epoll_wait(t->st, ep, out, 0, 0), EINVAL);
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_DEL, fd, NULL), 0);
	ASSERT_ERR(synack_epoll_ctl(t->st, ep, EPOLL_CTL_DEL, fd, NULL), ENOENT);
	scn_free(t);
}

/* ===== Triggering ======================================================= */

/* Level-triggered: EPOLLIN is reported on every wait while data is
 * unread, and stops once it is drained. */
static void level_triggered__unread_data__reported_every_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int ep = synack_epoll_create(t->st);
	assert_int_equal(watch(t, ep, fd, EPOLLIN), 0);
	assert_int_equal(wait1(t, ep, NULL), 0);
	peer_data(t, 1, iss, 0, "abc");
	struct epoll_event ev;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wait1(t, ep, &ev), 1);
		assert_int_equal(ev.events, EPOLLIN);
		assert_int_equal(ev.data.fd, fd);
	}
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 3);
	assert_int_equal(wait1(t, ep, NULL), 0);
	scn_free(t);
}

/* Edge-triggered: one report per new event, even with data still unread;
 * new data is a new event. */
static void edge_triggered__new_data__reported_once(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int ep = synack_epoll_create(t->st);
	assert_int_equal(watch(t, ep, fd, EPOLLIN | EPOLLET), 0);
	assert_int_equal(wait1(t, ep, NULL), 0);
	peer_data(t, 1, iss, 0, "abc");
	struct epoll_event ev;
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(ev.events, EPOLLIN);
	assert_int_equal(wait1(t, ep, NULL), 0);
	peer_data(t, 2, iss, 3, "def");
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(ev.events, EPOLLIN);
	assert_int_equal(wait1(t, ep, NULL), 0);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 6);
	scn_free(t);
}

/* EPOLLONESHOT: one report, then nothing (even with new data) until
 * EPOLL_CTL_MOD re-arms the entry. */
static void oneshot__reported_once__until_mod(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int ep = synack_epoll_create(t->st);
	assert_int_equal(watch(t, ep, fd, EPOLLIN | EPOLLONESHOT), 0);
	peer_data(t, 1, iss, 0, "abc");
	struct epoll_event ev;
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(wait1(t, ep, NULL), 0);
	peer_data(t, 2, iss, 3, "def");
	assert_int_equal(wait1(t, ep, NULL), 0);
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 77;
	assert_int_equal(synack_epoll_ctl(t->st, ep, EPOLL_CTL_MOD, fd, &ev), 0);
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(ev.events, EPOLLIN);
	assert_int_equal(ev.data.u64, 77);
	assert_int_equal(wait1(t, ep, NULL), 0);
	scn_free(t);
}

/* Closing a descriptor removes it from every set (epoll(7): the last
 * reference); the number, reused by a new socket, can be added again. */
static void close__removes_from_set(void **state)
{
	struct scn *t = scn_new(NULL);
	int ep = synack_epoll_create(t->st);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(watch(t, ep, fd, EPOLLOUT), 0);
	struct epoll_event ev;
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(ev.events, EPOLLOUT | EPOLLHUP);
	assert_int_equal(synack_close(t->st, fd), 0);
	assert_int_equal(wait1(t, ep, NULL), 0);
	int again = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(again, fd);
	assert_int_equal(watch(t, ep, again, EPOLLOUT), 0);
	assert_int_equal(wait1(t, ep, NULL), 1);
	scn_free(t);
}

/* Level-triggered entries beyond maxevents wait their turn: with room
 * for one, two ready sockets alternate (Linux puts a reported LT entry
 * behind the ones not yet reported). */
static void level_triggered__maxevents_1__round_robin(void **state)
{
	struct scn *t = scn_new(NULL);
	int ep = synack_epoll_create(t->st);
	int a = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	int b = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(watch(t, ep, a, EPOLLOUT), 0);
	assert_int_equal(watch(t, ep, b, EPOLLOUT), 0);
	struct epoll_event ev;
	int first = -1;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(synack_epoll_wait(t->st, ep, &ev, 1, 0), 1);
		if (i == 0)
			first = ev.data.fd;
		assert_int_equal(ev.data.fd, i % 2 == 0 ? first : (first == a ? b : a));
	}
	scn_free(t);
}

/* EPOLLERR and EPOLLHUP are always reported, asked for or not; other
 * events only when asked (epoll_ctl(2)). */
static void reset_socket__err_hup_always_reported(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	int ep = synack_epoll_create(t->st);
	assert_int_equal(watch(t, ep, fd, EPOLLPRI), 0);
	assert_int_equal(wait1(t, ep, NULL), 0);
	scn_inject(t, 1, SEG(.flags = RST, .seq = R_ISS + 1));
	struct epoll_event ev;
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(ev.events, EPOLLERR | EPOLLHUP);
	scn_free(t);
}

/* ===== Readiness in each state (LINUX-SEMANTICS 7) ===================== */

struct ready_row {
	const char *name;
	int (*setup)(struct scn *t);   /* returns the descriptor to check */
	uint32_t mask;                 /* without RDNORM/WRNORM */
};

static int never_connected(struct scn *t)
{
	return synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
}

static int syn_sent(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	scn_connect(t, fd);
	return fd;
}

static int estab(struct scn *t)
{
	return fx_passive_established(t, NULL);
}

static int estab_with_data(struct scn *t)
{
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	peer_data(t, 1, iss, 0, "data");
	return fd;
}

static int peer_fin(struct scn *t)
{
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	return fd;
}

static int local_shut_rd(struct scn *t)
{
	int fd = fx_passive_established(t, NULL);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RD), 0);
	return fd;
}

static int local_shut_wr(struct scn *t)
{
	int fd = fx_passive_established(t, NULL);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	return fd;
}

static int local_shut_rdwr(struct scn *t)
{
	int fd = fx_passive_established(t, NULL);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_RDWR), 0);
	return fd;
}

static int peer_fin_then_shut_wr(struct scn *t)
{
	int fd = peer_fin(t);
	assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	return fd;
}

static int reset_by_peer(struct scn *t)
{
	int fd = fx_passive_established(t, NULL);
	scn_inject(t, 1, SEG(.flags = RST, .seq = R_ISS + 1));
	return fd;
}

static int connect_refused(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 1, SEG(.flags = RST | ACK, .seq = 0, .ack = iss + 1));
	return fd;
}

static int connect_timed_out(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	int one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_SYNCNT, &one,
					   sizeof(one)), 0);
	scn_connect(t, fd);
	scn_at(t, 3000);
	return fd;
}

static int listener_empty(struct scn *t)
{
	return fx_listen(t);
}

static int listener_with_child(struct scn *t)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	return lfd;
}

static int listener_half_open(struct scn *t)
{
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	return lfd;
}

#define ALL_DOWN ((uint32_t)(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP))

static const struct ready_row ready_rows[] = {
	{"CLOSE, never connected", never_connected, EPOLLOUT | EPOLLHUP},
	{"SYN-SENT", syn_sent, 0},
	{"ESTABLISHED", estab, EPOLLOUT},
	{"ESTABLISHED with data", estab_with_data, EPOLLIN | EPOLLOUT},
	{"peer FIN (CLOSE-WAIT)", peer_fin, EPOLLIN | EPOLLOUT | EPOLLRDHUP},
	{"local SHUT_RD", local_shut_rd, EPOLLIN | EPOLLOUT | EPOLLRDHUP},
	{"local SHUT_WR only", local_shut_wr, EPOLLOUT},
	{"SHUT_RDWR", local_shut_rdwr, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP},
	{"peer FIN, then SHUT_WR", peer_fin_then_shut_wr,
	 EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP},
	{"RST received", reset_by_peer, ALL_DOWN},
	{"connect refused", connect_refused, ALL_DOWN},
	{"connect timed out", connect_timed_out, ALL_DOWN},
	{"listener, empty queue", listener_empty, 0},
	{"listener, only a half-open child", listener_half_open, 0},
	{"listener, child to accept", listener_with_child, EPOLLIN},
};

/* tcp_poll's mask in each state, seen both by synack_poll_events and by a
 * level-triggered epoll entry watching IN|OUT|RDHUP. */
static void readiness__each_state__linux_mask(void **state)
{
	for (size_t i = 0; i < sizeof(ready_rows) / sizeof(ready_rows[0]); i++) {
		const struct ready_row *r = &ready_rows[i];
		struct scn *t = scn_new(NULL);
		int fd = r->setup(t);
		assert_true(fd >= 0);
		uint32_t got = synack_poll_events(t->st, fd) & ~NORM_BITS;
		int ep = synack_epoll_create(t->st);
		assert_int_equal(watch(t, ep, fd, WATCH), 0);
		struct epoll_event ev = {0};
		int n = wait1(t, ep, &ev);
		if (got != r->mask || n != (r->mask != 0) || (n && ev.events != r->mask)) {
			fprintf(stderr, "%s: poll 0x%x epoll %d/0x%x, want 0x%x\n", r->name, got, n,
				ev.events, r->mask);
			fail();
		}
		scn_free(t);
	}
}

/* SO_ERROR takes the error: EPOLLERR goes, the rest stays. */
static void reset_socket__so_error_read__err_cleared(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = reset_by_peer(t);
	int e = 0;
	socklen_t len = sizeof(e);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	assert_int_equal(e, ECONNRESET);
	assert_int_equal(synack_poll_events(t->st, fd) & ~NORM_BITS,
			 EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP);
	scn_free(t);
}

/* A connecting socket becomes writable when the handshake completes: an
 * edge-triggered EPOLLOUT waiter hears about it once. */
static void syn_sent__handshake_done__epollout_edge(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	int ep = synack_epoll_create(t->st);
	assert_int_equal(watch(t, ep, fd, EPOLLOUT | EPOLLET), 0);
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	assert_int_equal(wait1(t, ep, NULL), 0);
	scn_inject(t, 5, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	struct epoll_event ev;
	assert_int_equal(wait1(t, ep, &ev), 1);
	assert_int_equal(ev.events, EPOLLOUT);
	assert_int_equal(wait1(t, ep, NULL), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(epoll_ctl__errors__linux_errno),
		cmocka_unit_test(level_triggered__unread_data__reported_every_wait),
		cmocka_unit_test(edge_triggered__new_data__reported_once),
		cmocka_unit_test(oneshot__reported_once__until_mod),
		cmocka_unit_test(close__removes_from_set),
		cmocka_unit_test(level_triggered__maxevents_1__round_robin),
		cmocka_unit_test(reset_socket__err_hup_always_reported),
		cmocka_unit_test(readiness__each_state__linux_mask),
		cmocka_unit_test(reset_socket__so_error_read__err_cleared),
		cmocka_unit_test(syn_sent__handshake_done__epollout_edge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
