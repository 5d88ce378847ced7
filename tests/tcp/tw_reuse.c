/*
 * connect() into a TIME-WAIT 4-tuple (LINUX-SEMANTICS 5; Linux
 * tcp_twsk_unique, __inet_check_established, __inet_hash_connect). Every
 * entry here is reached by real segments: an active open with the
 * timestamps the peer's SYN-ACK agrees to (or not), our active close, the
 * peer's FIN. Linux's rule: only an entry that saw timestamps is ever
 * taken over. From a port bind() gave, that suffices; from a port the
 * chooser picks, tcp_tw_reuse must allow it (1: any peer, 2: loopback
 * only, 0: never) and the entry must be older than tcp_tw_reuse_delay
 * (1000 ms, strictly after). A taken-over tuple counts TWRecycled; its
 * SYN starts at the old SND.NXT + 65535 + 2 and echoes the entry's
 * ts_recent as TSecr, with TSval on the same per-address-pair clock, so
 * it is beyond every TSval the peer saw from the old connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"
#include "tcp/tcp.h"

#define PEER_TS 7000u /* the peer's TSval in its SYN-ACK; +10 in its FIN */
#define PORT_A 50000  /* ip_local_port_range "50000 50000" or "50000 50001" */

struct old_conn {
	uint32_t iss;      /* its ISS: SND.NXT in TIME-WAIT is iss + 2 */
	uint32_t ts_off;   /* our TSval minus the ms clock, per address pair */
	uint16_t port;     /* our port */
	uint64_t tw_at;    /* ms: when the timewait entry was made */
};

static struct scn *new_range(const char *range)
{
	struct synack_config c;
	synack_config_default(&c);
	assert_int_equal(synack_config_set(&c, "ip_local_port_range", range), 0);
	return scn_new(&c);
}

static int bound_socket(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	int one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static int plain_socket(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	return fd;
}

static int connect_peer(struct scn *t, int fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				  .sin_addr = {htonl(R_ADDR)}};
	return synack_connect(t->st, fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* Pop our SYN: flags, port, and its TS option; returns it. */
static struct tcp_seg pop_syn(struct scn *t)
{
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, SYN);
	assert_int_equal(s.dport, R_PORT);
	assert_true(s.opt.has_ts);
	return s;
}

/*
 * fd connects at the current time T: SYN-ACK at T+10 (TS val PEER_TS
 * when ts), close(), the peer's FIN at T+20 (TS val PEER_TS + 10): the
 * entry is ours from T+20, with ts_recent PEER_TS + 10.
 */
static struct old_conn time_wait_via(struct scn *t, int fd, bool ts)
{
	struct old_conn c;
	uint64_t t0 = t->now / 1000;
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EINPROGRESS);
	struct tcp_seg syn = pop_syn(t);
	assert_int_equal(syn.opt.tsecr, 0); /* a fresh SYN echoes nothing */
	c.iss = syn.seq;
	c.port = syn.sport;
	c.ts_off = syn.opt.tsval - (uint32_t)t0;
	struct tcp_opts o = {.has_mss = true, .mss = 1460, .has_ts = ts, .tsval = PEER_TS,
			     .tsecr = syn.opt.tsval};
	scn_inject(t, t0 + 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = c.iss + 1, .opt = &o,
				   .dport = c.port));
	scn_expect(t, SEG(.flags = ACK, .seq = c.iss + 1, .ack = R_ISS + 1, .any_wnd = true,
			  .dport = c.port));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = c.iss + 1, .ack = R_ISS + 1, .any_wnd = true,
			  .dport = c.port));
	struct tcp_opts f = {.has_ts = ts, .tsval = PEER_TS + 10, .tsecr = c.ts_off + (uint32_t)t0 + 10};
	scn_inject(t, t0 + 20, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = c.iss + 2, .opt = &f,
				   .dport = c.port));
	scn_expect(t, SEG(.flags = ACK, .seq = c.iss + 2, .ack = R_ISS + 2, .any_wnd = true,
			  .dport = c.port));
	c.tw_at = t0 + 20;
	struct tcp_tw *tw = tcp_tw_lookup(t->st, L_ADDR, c.port, R_ADDR, R_PORT);
	assert_non_null(tw);
	assert_int_equal(tw->substate, SYNACK_TIME_WAIT);
	assert_int_equal(tw->ts_ok, ts);
	return c;
}

/* The recycled tuple's SYN: seq old SND.NXT + 65537, TSecr the entry's
 * ts_recent, TSval the pair's clock now; the entry is gone, TWRecycled. */
static void expect_recycled_syn(struct scn *t, const struct old_conn *c)
{
	struct tcp_seg s = pop_syn(t);
	assert_int_equal(s.sport, c->port);
	assert_int_equal(s.seq, c->iss + 2 + 65535 + 2);
	assert_int_equal(s.opt.tsecr, PEER_TS + 10);
	assert_int_equal(s.opt.tsval, c->ts_off + (uint32_t)(t->now / 1000));
	assert_true(s.opt.tsval > c->ts_off + (uint32_t)c->tw_at);
	assert_true(s.opt.has_mss && s.opt.has_wscale && s.opt.sack_ok);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 1);
	assert_null(tcp_tw_lookup(t->st, L_ADDR, c->port, R_ADDR, R_PORT));
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_SENT);
}

/* Without timestamps no entry is ever taken over: connect() from the
 * bound port to the same peer is EADDRNOTAVAIL (Linux), even at 5 s. */
static void time_wait_no_timestamps__connect_from_bound_port__eaddrnotavail(void **state)
{
	struct scn *t = scn_new(NULL);
	time_wait_via(t, bound_socket(t), false);
	scn_at(t, 5000);
	int fd = bound_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 0);
	assert_non_null(tcp_tw_lookup(t->st, L_ADDR, L_PORT, R_ADDR, R_PORT));
	scn_free(t);
}

/* With timestamps, a connect() from a port bind() gave takes the tuple
 * over whatever tcp_tw_reuse and its delay say (Linux: twp == NULL), here
 * 10 ms after the entry was made with tcp_tw_reuse 0. The new connection
 * then completes on the recycled tuple. */
static void time_wait_timestamps__connect_from_bound_port__recycled(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "0"), 0);
	struct old_conn c = time_wait_via(t, bound_socket(t), true);
	assert_int_equal(c.port, L_PORT);
	scn_at(t, 30);
	int fd = bound_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EINPROGRESS);
	expect_recycled_syn(t, &c);
	/* The peer (RFC 6191: the SYN is beyond its TIME-WAIT) answers. */
	uint32_t niss = c.iss + 2 + 65537;
	struct tcp_opts o = {.has_mss = true, .mss = 1460, .has_ts = true, .tsval = PEER_TS + 100,
			     .tsecr = c.ts_off + 30};
	scn_inject(t, 40, SEG(.flags = SYN | ACK, .seq = R_ISS + 5000, .ack = niss + 1, .opt = &o));
	scn_expect(t, SEG(.flags = ACK, .seq = niss + 1, .ack = R_ISS + 5001, .any_wnd = true));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* The only port the chooser has is held by the entry: tcp_tw_reuse 1
 * takes it over once the entry is more than tcp_tw_reuse_delay old
 * (made at 20 ms: not at 1020, yes at 1021); before, EADDRNOTAVAIL. */
static void time_wait_timestamps__chosen_only_port_reuse_1__after_delay(void **state)
{
	struct scn *t = new_range("50000 50000");
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "1"), 0);
	struct old_conn c = time_wait_via(t, plain_socket(t), true);
	assert_int_equal(c.port, PORT_A);
	scn_at(t, 1020);
	int fd = plain_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 0);
	scn_at(t, 1021);
	assert_int_equal(connect_peer(t, fd), -1); /* the same socket may try again */
	assert_int_equal(errno, EINPROGRESS);
	expect_recycled_syn(t, &c);
	scn_free(t);
}

/* A longer tcp_tw_reuse_delay moves the threshold with it. */
static void time_wait_timestamps__chosen_port_reuse_delay_5000__at_5021(void **state)
{
	struct scn *t = new_range("50000 50000");
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "1"), 0);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse_delay", "5000"), 0);
	struct old_conn c = time_wait_via(t, plain_socket(t), true);
	scn_at(t, 5020);
	int fd = plain_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	scn_at(t, 5021);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EINPROGRESS);
	expect_recycled_syn(t, &c);
	scn_free(t);
}

/* Refused from a chosen port, entry 10 s old with timestamps: with
 * tcp_tw_reuse 0, and with the default 2 (10.0.0.x is not loopback);
 * and with tcp_tw_reuse 1 when the old connection had no timestamps. */
static void time_wait__chosen_only_port_refused__eaddrnotavail(void **state)
{
	struct { const char *reuse; bool ts; } cases[] = {{"0", true}, {"2", true}, {"1", false}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scn *t = new_range("50000 50000");
		assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", cases[i].reuse), 0);
		time_wait_via(t, plain_socket(t), cases[i].ts);
		scn_at(t, 10000);
		int fd = plain_socket(t);
		assert_int_equal(connect_peer(t, fd), -1);
		assert_int_equal(errno, EADDRNOTAVAIL);
		scn_expect_none(t);
		assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 0);
		assert_non_null(tcp_tw_lookup(t->st, L_ADDR, PORT_A, R_ADDR, R_PORT));
		scn_free(t);
	}
}

/* With a second port free, a refused entry (younger than the delay)
 * sends the chooser on to it: a fresh ISN, TSecr 0, the entry stays. */
static void time_wait_young__chosen_port__another_port(void **state)
{
	struct scn *t = new_range("50000 50001");
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "1"), 0);
	struct old_conn c = time_wait_via(t, plain_socket(t), true);
	assert_int_equal(c.port, PORT_A); /* even ports first */
	scn_at(t, 500);
	int fd = plain_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EINPROGRESS);
	struct tcp_seg s = pop_syn(t);
	assert_int_equal(s.sport, PORT_A + 1);
	assert_int_equal(s.opt.tsecr, 0);
	assert_int_equal(s.opt.tsval, c.ts_off + 500);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 0);
	assert_non_null(tcp_tw_lookup(t->st, L_ADDR, PORT_A, R_ADDR, R_PORT));
	scn_free(t);
}

/* An orphan's FIN-WAIT-2 entry (timestamps seen) is never taken over
 * from a chosen port, whatever its age (Linux: reuse = 0 for it). */
static void fin_wait2_entry__chosen_only_port__eaddrnotavail(void **state)
{
	struct scn *t = new_range("50000 50000");
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "1"), 0);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_fin_timeout", "30"), 0);
	int fd = plain_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	struct tcp_seg syn = pop_syn(t);
	struct tcp_opts o = {.has_mss = true, .mss = 1460, .has_ts = true, .tsval = PEER_TS,
			     .tsecr = syn.opt.tsval};
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = syn.seq + 1, .opt = &o,
			      .dport = PORT_A));
	scn_expect(t, SEG(.flags = ACK, .seq = syn.seq + 1, .ack = R_ISS + 1, .any_wnd = true,
			  .dport = PORT_A));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = syn.seq + 1, .ack = R_ISS + 1, .any_wnd = true,
			  .dport = PORT_A));
	struct tcp_opts a = {.has_ts = true, .tsval = PEER_TS + 10, .tsecr = syn.opt.tsval + 10};
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = syn.seq + 2, .opt = &a,
			      .dport = PORT_A));
	struct tcp_tw *tw = tcp_tw_lookup(t->st, L_ADDR, PORT_A, R_ADDR, R_PORT);
	assert_non_null(tw);
	assert_int_equal(tw->substate, SYNACK_FIN_WAIT2);
	assert_true(tw->ts_ok);
	scn_at(t, 5000);
	fd = plain_socket(t);
	assert_int_equal(connect_peer(t, fd), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_wait_no_timestamps__connect_from_bound_port__eaddrnotavail),
		cmocka_unit_test(time_wait_timestamps__connect_from_bound_port__recycled),
		cmocka_unit_test(time_wait_timestamps__chosen_only_port_reuse_1__after_delay),
		cmocka_unit_test(time_wait_timestamps__chosen_port_reuse_delay_5000__at_5021),
		cmocka_unit_test(time_wait__chosen_only_port_refused__eaddrnotavail),
		cmocka_unit_test(time_wait_young__chosen_port__another_port),
		cmocka_unit_test(fin_wait2_entry__chosen_only_port__eaddrnotavail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
