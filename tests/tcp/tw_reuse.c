/*
 * connect() into a TIME-WAIT 4-tuple (LINUX-SEMANTICS 5; Linux
 * tcp_twsk_unique, __inet_check_established): reuse needs timestamps;
 * from a port the chooser picks, tcp_tw_reuse (2 = loopback only) and
 * tcp_tw_reuse_delay apply too. The scripted peer sends no timestamps,
 * so the tests mark the entry as having seen them (ts_ok) by hand: the
 * policy is what is tested here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"
#include "tcp/tcp.h"

static int reuse_socket(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	int one = 1;
	assert_int_equal(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

/* Our active open from L_PORT (SO_REUSEADDR) and active close: the
 * timewait entry is ours, from 20 ms on. */
static struct tcp_tw *client_time_wait(struct scn *t, uint32_t *iss)
{
	int fd = reuse_socket(t);
	scn_connect(t, fd);
	*iss = scn_expect_syn(t);
	scn_inject(t, 10, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = *iss + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = *iss + 1, .ack = R_ISS + 1, .any_wnd = true));
	scn_inject(t, 20, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = *iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 2, .ack = R_ISS + 2, .any_wnd = true));
	struct tcp_tw *tw = tcp_tw_lookup(t->st, L_ADDR, L_PORT, R_ADDR, R_PORT);
	assert_non_null(tw);
	return tw;
}

/* Without timestamps no entry is ever taken over: connect() from the
 * bound port to the same peer is EADDRNOTAVAIL (Linux). */
static void time_wait_no_timestamps__connect_same_tuple__eaddrnotavail(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	client_time_wait(t, &iss);
	scn_at(t, 5000);
	int fd = reuse_socket(t);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				  .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_connect(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 0);
	scn_free(t);
}

/* With timestamps, a connect() from a port bind() gave takes the tuple
 * over whatever tcp_tw_reuse says (twp == NULL in Linux): TWRecycled,
 * and the SYN starts at the old SND.NXT + 65537. */
static void time_wait_timestamps__connect_from_bound_port__recycled(void **state)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "0"), 0);
	uint32_t iss;
	struct tcp_tw *tw = client_time_wait(t, &iss);
	tw->ts_ok = true;
	scn_at(t, 30);
	int fd = reuse_socket(t);
	scn_connect(t, fd);
	assert_int_equal(scn_expect_syn(t), iss + 2 + 65537);
	assert_int_equal(scn_counter(t, "TcpExtTWRecycled"), 1);
	assert_null(tcp_tw_lookup(t->st, L_ADDR, L_PORT, R_ADDR, R_PORT));
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_SENT);
	scn_free(t);
}

/* From a chosen port: tcp_tw_reuse 2 allows loopback only; 1 allows any
 * peer once the entry is older than tcp_tw_reuse_delay (1000 ms, strictly
 * after); 0 never. A FIN_WAIT2 entry is never reused this way. */
static void tw_unique__chosen_port__reuse_sysctl_and_delay(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss, isn = 0;
	struct tcp_tw *tw = client_time_wait(t, &iss);
	tw->ts_ok = true;
	scn_at(t, 5000);
	assert_false(tcp_tw_unique(tw, true, &isn)); /* 2: 10.0.0.2 is no loopback */
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "1"), 0);
	assert_true(tcp_tw_unique(tw, true, &isn));
	assert_int_equal(isn, iss + 2 + 65537);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse_delay", "4980"), 0);
	assert_false(tcp_tw_unique(tw, true, &isn)); /* 20 + 4980 is not after 5000 */
	scn_at(t, 5001);
	assert_true(tcp_tw_unique(tw, true, &isn));
	tw->substate = SYNACK_FIN_WAIT2;
	assert_false(tcp_tw_unique(tw, true, &isn));
	assert_true(tcp_tw_unique(tw, false, &isn));
	tw->substate = SYNACK_TIME_WAIT;
	assert_int_equal(synack_sysctl_set(t->st, "tcp_tw_reuse", "0"), 0);
	assert_false(tcp_tw_unique(tw, true, &isn));
	tw->ts_ok = false;
	assert_false(tcp_tw_unique(tw, false, &isn));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_wait_no_timestamps__connect_same_tuple__eaddrnotavail),
		cmocka_unit_test(time_wait_timestamps__connect_from_bound_port__recycled),
		cmocka_unit_test(tw_unique__chosen_port__reuse_sysctl_and_delay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
