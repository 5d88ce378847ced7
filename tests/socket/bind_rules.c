/*
 * bind() and listen() conflicts as Linux decides them (LINUX-SEMANTICS 6;
 * Linux inet_csk_bind_conflict, inet_csk_get_port, __inet_hash_connect).
 *
 * The rule: two sockets on a port clash when their addresses overlap,
 * unless both have SO_REUSEADDR and the old one is not listening, or both
 * have SO_REUSEPORT (and the same user, or the old one is in TIME-WAIT:
 * one stack is one user). Children and TIME-WAIT entries count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

#define RA 1 /* SO_REUSEADDR */
#define RP 2 /* SO_REUSEPORT */

enum old_state { OLD_BOUND, OLD_LISTEN, OLD_ESTAB, OLD_TIME_WAIT };

struct bind_row {
	enum old_state state;
	int old_flags, new_flags;
	int err; /* bind()'s errno, 0 = success */
};

/* Every flag combination on both sockets x the old socket's state. The
 * answers are LINUX-SEMANTICS 6's measured table, extended by its rule. */
static const struct bind_row rows[] = {
	{OLD_BOUND    , 0      , 0      , EADDRINUSE},
	{OLD_BOUND    , 0      , RA     , EADDRINUSE},
	{OLD_BOUND    , 0      , RP     , EADDRINUSE},
	{OLD_BOUND    , 0      , RA | RP, EADDRINUSE},
	{OLD_BOUND    , RA     , 0      , EADDRINUSE},
	{OLD_BOUND    , RA     , RA     , 0},
	{OLD_BOUND    , RA     , RP     , EADDRINUSE},
	{OLD_BOUND    , RA     , RA | RP, 0},
	{OLD_BOUND    , RP     , 0      , EADDRINUSE},
	{OLD_BOUND    , RP     , RA     , EADDRINUSE},
	{OLD_BOUND    , RP     , RP     , 0},
	{OLD_BOUND    , RP     , RA | RP, 0},
	{OLD_BOUND    , RA | RP, 0      , EADDRINUSE},
	{OLD_BOUND    , RA | RP, RA     , 0},
	{OLD_BOUND    , RA | RP, RP     , 0},
	{OLD_BOUND    , RA | RP, RA | RP, 0},
	{OLD_LISTEN   , 0      , 0      , EADDRINUSE},
	{OLD_LISTEN   , 0      , RA     , EADDRINUSE},
	{OLD_LISTEN   , 0      , RP     , EADDRINUSE},
	{OLD_LISTEN   , 0      , RA | RP, EADDRINUSE},
	{OLD_LISTEN   , RA     , 0      , EADDRINUSE},
	{OLD_LISTEN   , RA     , RA     , EADDRINUSE},
	{OLD_LISTEN   , RA     , RP     , EADDRINUSE},
	{OLD_LISTEN   , RA     , RA | RP, EADDRINUSE},
	{OLD_LISTEN   , RP     , 0      , EADDRINUSE},
	{OLD_LISTEN   , RP     , RA     , EADDRINUSE},
	{OLD_LISTEN   , RP     , RP     , 0},
	{OLD_LISTEN   , RP     , RA | RP, 0},
	{OLD_LISTEN   , RA | RP, 0      , EADDRINUSE},
	{OLD_LISTEN   , RA | RP, RA     , EADDRINUSE},
	{OLD_LISTEN   , RA | RP, RP     , 0},
	{OLD_LISTEN   , RA | RP, RA | RP, 0},
	{OLD_ESTAB    , 0      , 0      , EADDRINUSE},
	{OLD_ESTAB    , 0      , RA     , EADDRINUSE},
	{OLD_ESTAB    , 0      , RP     , EADDRINUSE},
	{OLD_ESTAB    , 0      , RA | RP, EADDRINUSE},
	{OLD_ESTAB    , RA     , 0      , EADDRINUSE},
	{OLD_ESTAB    , RA     , RA     , 0},
	{OLD_ESTAB    , RA     , RP     , EADDRINUSE},
	{OLD_ESTAB    , RA     , RA | RP, 0},
	{OLD_ESTAB    , RP     , 0      , EADDRINUSE},
	{OLD_ESTAB    , RP     , RA     , EADDRINUSE},
	{OLD_ESTAB    , RP     , RP     , 0},
	{OLD_ESTAB    , RP     , RA | RP, 0},
	{OLD_ESTAB    , RA | RP, 0      , EADDRINUSE},
	{OLD_ESTAB    , RA | RP, RA     , 0},
	{OLD_ESTAB    , RA | RP, RP     , 0},
	{OLD_ESTAB    , RA | RP, RA | RP, 0},
	{OLD_TIME_WAIT, 0      , 0      , EADDRINUSE},
	{OLD_TIME_WAIT, 0      , RA     , EADDRINUSE},
	{OLD_TIME_WAIT, 0      , RP     , EADDRINUSE},
	{OLD_TIME_WAIT, 0      , RA | RP, EADDRINUSE},
	{OLD_TIME_WAIT, RA     , 0      , EADDRINUSE},
	{OLD_TIME_WAIT, RA     , RA     , 0},
	{OLD_TIME_WAIT, RA     , RP     , EADDRINUSE},
	{OLD_TIME_WAIT, RA     , RA | RP, 0},
	{OLD_TIME_WAIT, RP     , 0      , EADDRINUSE},
	{OLD_TIME_WAIT, RP     , RA     , EADDRINUSE},
	{OLD_TIME_WAIT, RP     , RP     , 0},
	{OLD_TIME_WAIT, RP     , RA | RP, 0},
	{OLD_TIME_WAIT, RA | RP, 0      , EADDRINUSE},
	{OLD_TIME_WAIT, RA | RP, RA     , 0},
	{OLD_TIME_WAIT, RA | RP, RP     , 0},
	{OLD_TIME_WAIT, RA | RP, RA | RP, 0},
};

static const char *const state_names[] = {"bound", "LISTEN", "ESTABLISHED", "TIME-WAIT"};

static int tcp_socket(struct scn *t, int flags)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	int one = 1;
	if (flags & RA)
		assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (flags & RP)
		assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	return fd;
}

static int bind_to(struct scn *t, int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr = {htonl(addr)}};
	return synack_bind(t->st, fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* The old socket on L_PORT, driven to its state by real segments. */
static void make_old(struct scn *t, enum old_state s, int flags, uint32_t addr)
{
	int fd = tcp_socket(t, flags);
	assert_int_equal(bind_to(t, fd, addr, L_PORT), 0);
	if (s == OLD_BOUND)
		return;
	if (s == OLD_LISTEN) {
		assert_int_equal(synack_listen(t->st, fd, 8), 0);
		return;
	}
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 1, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	if (s == OLD_ESTAB)
		return;
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	scn_inject(t, 2, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .any_wnd = true));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	struct synack_sockinfo r[4];
	assert_int_equal(synack_sockets(t->st, r, 4), 1); /* the entry alone */
}

/* Each row with the old and the new socket on the wildcard or on the
 * host's address (both always overlap on a one-address host); where
 * bind() succeeds, listen() does too: the rule looks only at the other
 * socket's state. */
static void bind__table__linux_answers(void **state)
{
	static const uint32_t addrs[2] = {INADDR_ANY, L_ADDR};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (int a = 0; a < 4; a++) {
			const struct bind_row *row = &rows[i];
			struct scn *t = scn_new(NULL);
			make_old(t, row->state, row->old_flags, addrs[a >> 1]);
			int fd = tcp_socket(t, row->new_flags);
			int rc = bind_to(t, fd, addrs[a & 1], L_PORT);
			int err = rc < 0 ? errno : 0;
			if (err != row->err)
				fail_msg("row %zu: old %s flags %d on %s, new flags %d on %s: bind %s, Linux %s",
					 i, state_names[row->state], row->old_flags,
					 addrs[a >> 1] ? "10.0.0.1" : "0.0.0.0", row->new_flags,
					 addrs[a & 1] ? "10.0.0.1" : "0.0.0.0", strerror(err),
					 strerror(row->err));
			if (rc == 0)
				assert_int_equal(synack_listen(t->st, fd, 8), 0);
			scn_free(t);
		}
	}
}

/* LINUX-SEMANTICS 6: two sockets bound with SO_REUSEADDR; the first
 * listen() works, the second is EADDRINUSE (the other now listens). */
static void bind_reuseaddr_both__second_listen__eaddrinuse(void **state)
{
	struct scn *t = scn_new(NULL);
	int a = tcp_socket(t, RA), b = tcp_socket(t, RA);
	assert_int_equal(bind_to(t, a, INADDR_ANY, L_PORT), 0);
	assert_int_equal(bind_to(t, b, L_ADDR, L_PORT), 0);
	assert_int_equal(synack_listen(t->st, b, 8), 0);
	assert_int_equal(synack_listen(t->st, a, 8), -1);
	assert_int_equal(errno, EADDRINUSE);
	scn_free(t);
}

/* Server restart: a server (SO_REUSEADDR as flags says) closed its
 * connection first, so the connection sits in TIME-WAIT, then closed its
 * listener. A new server on the port: without SO_REUSEADDR bind() is
 * EADDRINUSE; with it (on both), bind() and listen() work and the new
 * listener takes connections while the entry lives. */
static void restart(bool reuse)
{
	struct scn *t = scn_new(NULL);
	int lfd = tcp_socket(t, reuse ? RA : 0);
	assert_int_equal(bind_to(t, lfd, INADDR_ANY, L_PORT), 0);
	assert_int_equal(synack_listen(t->st, lfd, 8), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	scn_inject(t, 2, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .any_wnd = true));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	assert_int_equal(synack_close(t->st, lfd), 0);

	int nfd = tcp_socket(t, reuse ? RA : 0);
	if (!reuse) {
		assert_int_equal(bind_to(t, nfd, INADDR_ANY, L_PORT), -1);
		assert_int_equal(errno, EADDRINUSE);
		/* ... until the entry is gone. */
		scn_at(t, 60002);
		assert_int_equal(bind_to(t, nfd, INADDR_ANY, L_PORT), 0);
		scn_free(t);
		return;
	}
	assert_int_equal(bind_to(t, nfd, INADDR_ANY, L_PORT), 0);
	assert_int_equal(synack_listen(t->st, nfd, 8), 0);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = R_PORT + 1));
	uint32_t iss2 = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 11, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss2 + 1, .sport = R_PORT + 1));
	assert_true(synack_accept4(t->st, nfd, NULL, NULL, SOCK_NONBLOCK) >= 0);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT); /* the old one, still there */
	scn_free(t);
}

static void restart_server_time_wait__no_reuseaddr__eaddrinuse(void **state) { restart(false); }
static void restart_server_time_wait__reuseaddr__listens(void **state) { restart(true); }

/* Children hold their listener's port with its flags (Linux
 * __inet_inherit_port): the listener gone, an accepted connection still
 * blocks a bind() without SO_REUSEADDR. */
static void listener_closed_child_alive__bind__eaddrinuse(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_close(t->st, fd - 1), 0); /* the listener */
	int nfd = tcp_socket(t, RA);
	assert_int_equal(bind_to(t, nfd, INADDR_ANY, L_PORT), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(synack_close(t->st, fd), 0); /* FIN: FIN-WAIT-1 orphan */
	assert_int_equal(bind_to(t, nfd, INADDR_ANY, L_PORT), -1);
	scn_inject(t, 5, SEG(.flags = RST, .seq = R_ISS + 1));
	assert_int_equal(bind_to(t, nfd, INADDR_ANY, L_PORT), 0);
	scn_free(t);
}

/* ---- Ephemeral ports -------------------------------------------------------- */

static void connect_to(struct scn *t, int fd, uint16_t rport)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(rport),
				  .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_connect(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
}

static uint16_t local_port(struct scn *t, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	assert_int_equal(synack_getsockname(t->st, fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* Linux __inet_hash_connect: connect() never takes a port someone bound
 * with bind(), shares a port connect() took when the 4-tuples differ, and
 * has no port left when every 4-tuple is in use: EADDRNOTAVAIL. */
static void connect_ephemeral__bound_port_skipped_connect_port_shared(void **state)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "ip_local_port_range", "40000 40001"), 0);
	struct scn *t = scn_new(&cfg);
	int b = tcp_socket(t, RA);
	assert_int_equal(bind_to(t, b, INADDR_ANY, 40000), 0);
	int c1 = tcp_socket(t, 0), c2 = tcp_socket(t, 0), c3 = tcp_socket(t, 0);
	connect_to(t, c1, 9000);
	assert_int_equal(local_port(t, c1), 40001);
	connect_to(t, c2, 9001);
	assert_int_equal(local_port(t, c2), 40001);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9000),
				  .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_connect(t->st, c3, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	/* bind(0) wants a port of its own: none is left. */
	int d = tcp_socket(t, RA);
	assert_int_equal(bind_to(t, d, INADDR_ANY, 0), -1);
	assert_int_equal(errno, EADDRINUSE);
	scn_free(t);
}

/* ---- SO_REUSEPORT listeners ------------------------------------------------- */

/* Linux reuseport_select_sock: a hash of the 4-tuple picks one listener
 * of the group, the same one for the same 4-tuple; 16 connections from
 * different ports land on both. */
static void reuseport_listeners__syns__shared_by_hash(void **state)
{
	struct scn *t = scn_new(NULL);
	int l[2];
	for (int i = 0; i < 2; i++) {
		l[i] = tcp_socket(t, RP);
		assert_int_equal(bind_to(t, l[i], INADDR_ANY, L_PORT), 0);
		assert_int_equal(synack_listen(t->st, l[i], 64), 0);
	}
	int got[2] = {0, 0};
	for (int k = 0; k < 16; k++) {
		uint16_t sport = (uint16_t)(R_PORT + k);
		scn_inject(t, 2 * (uint64_t)k, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = sport));
		uint32_t iss = scn_expect_synack(t, R_ISS + 1);
		scn_inject(t, 2 * (uint64_t)k + 1,
			   SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .sport = sport));
		int owner = -1;
		for (int i = 0; i < 2; i++)
			if (synack_accept4(t->st, l[i], NULL, NULL, SOCK_NONBLOCK) >= 0) {
				assert_int_equal(owner, -1);
				owner = i;
			}
		assert_true(owner >= 0);
		got[owner]++;
	}
	assert_true(got[0] > 0 && got[1] > 0);
	assert_int_equal(got[0] + got[1], 16);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bind__table__linux_answers),
		cmocka_unit_test(bind_reuseaddr_both__second_listen__eaddrinuse),
		cmocka_unit_test(restart_server_time_wait__no_reuseaddr__eaddrinuse),
		cmocka_unit_test(restart_server_time_wait__reuseaddr__listens),
		cmocka_unit_test(listener_closed_child_alive__bind__eaddrinuse),
		cmocka_unit_test(connect_ephemeral__bound_port_skipped_connect_port_shared),
		cmocka_unit_test(reuseport_listeners__syns__shared_by_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
