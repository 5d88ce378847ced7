/*
 * CLOSE-WAIT lasts until the application closes (RFC 9293 3.6); one that
 * never ends is an application bug, so the listing shows each socket's
 * state age and unread bytes (struct synack_sockinfo) to find it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "scenario.h"

static struct synack_sockinfo conn_row(struct scn *t)
{
	struct synack_sockinfo r;
	if (!scn_conn_row(t, &r))
		fail_msg("no row for the connection");
	return r;
}

/* The peer's data and FIN at 1 s, nobody reads or closes: an hour later
 * the row says CLOSE-WAIT for 3600 s with 5 unread bytes (Recv-Q 6: the
 * FIN counts one), and nothing was sent but the ACK. */
static void close_wait_never_closed__listing__age_and_unread(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 1000, SEG(.flags = FIN | PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_at(t, 1040); /* the FIN's pingpong mode: the delayed ACK at ato */
	scn_expect_at(t, 1040, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 7, .wnd = WND - 6));
	scn_at(t, 3601000);
	struct synack_sockinfo r = conn_row(t);
	assert_int_equal(r.state, SYNACK_CLOSE_WAIT);
	assert_int_equal(r.fd, fd);
	assert_int_equal(r.state_age, SYNACK_SEC(3600));
	assert_int_equal(r.unread, 5);
	assert_int_equal(r.recv_q, 6);
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 5);
	r = conn_row(t);
	assert_int_equal(r.unread, 0);
	assert_int_equal(r.recv_q, 1);
	scn_expect_none(t);
	scn_free(t);
}

/* The age restarts with each state: ESTABLISHED at 0, CLOSE-WAIT from
 * 2 s, LAST-ACK from close() at 5 s. */
static void state_age__follows_each_state(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_at(t, 1500);
	assert_int_equal(conn_row(t).state_age, SYNACK_MS(1500));
	scn_inject(t, 2000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 2001); /* the FIN's delayed ACK, next tick (no data seen: ato 0) */
	scn_expect_at(t, 2001, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_at(t, 4000);
	assert_int_equal(conn_row(t).state_age, SYNACK_MS(2000));
	scn_at(t, 5000);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .any_wnd = true));
	scn_at(t, 5250);
	struct synack_sockinfo r = conn_row(t);
	assert_int_equal(r.state, SYNACK_LAST_ACK);
	assert_int_equal(r.state_age, SYNACK_MS(250));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(close_wait_never_closed__listing__age_and_unread),
		cmocka_unit_test(state_age__follows_each_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
