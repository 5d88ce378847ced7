/*
 * SYN-RECEIVED of a passive open (RFC 9293 3.10.7.4 for SYN-RECEIVED):
 * the child a listener made from a SYN, waiting for the final ACK. Where
 * Linux's request sockets (tcp_check_req) decide differently from the
 * RFC's text, the tests follow Linux and say so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <sys/ioctl.h>

#include "scenario.h"

struct open {
	int lfd;
	uint32_t iss;
};

/* A listener and one child in SYN-RECEIVED (SYN at 0 ms). */
static struct open half_open(struct scn *t)
{
	struct open o = {.lfd = fx_listen(t)};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	o.iss = scn_expect_synack(t, R_ISS + 1);
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	return o;
}

/* 3.10.7.4 fifth, SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT moves the
 * child to ESTABLISHED and into the accept queue (TcpPassiveOpens). The
 * handshake's 10 ms round trip sets the RTO to 10 + 200 ms (Linux keeps
 * RTTVAR >= rto_min). */
static void syn_recv__final_ack__established_and_queued(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	assert_int_equal(synack_poll_events(t->st, o.lfd), 0);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1);
	assert_int_equal(scn_recv_q(t, o.lfd), 1);
	assert_int_equal(synack_poll_events(t->st, o.lfd), EPOLLIN | EPOLLRDNORM);
	int fd = synack_accept(t->st, o.lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_rto, 210000);
	assert_int_equal(ti.tcpi_snd_mss, 1460);
	scn_at(t, 5000); /* the SYN-ACK timer is gone */
	scn_expect_none(t);
	scn_free(t);
}

/* The peer's SYN again (same ISN): our SYN-ACK was lost, send it again
 * (Linux tcp_check_req), counted as a retransmission. */
static void syn_recv__retransmitted_syn__synack_again(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 500, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_at(t, 500, SEG(.flags = SYN | ACK, .seq = o.iss, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 1);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPSYNChallenge"), 0);
	assert_int_equal(scn_nsockets(t), 2); /* no second child */
	scn_inject(t, 510, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* No final ACK: SYN-ACKs again at 1, 3, 7, 15, 31 s (tcp_synack_retries
 * 5), then the child is dropped silently at 63 s. */
static void syn_recv__no_ack__synack_resent_then_dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	static const uint64_t at[] = {1000, 3000, 7000, 15000, 31000};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		scn_at(t, at[i]);
		scn_expect_at(t, at[i], SEG(.flags = SYN | ACK, .seq = o.iss, .ack = R_ISS + 1));
		scn_expect_none(t);
	}
	scn_at(t, 62999);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_at(t, 63000);
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 1);
	assert_int_equal(scn_state(t, o.lfd), SYNACK_LISTEN);
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 5);
	scn_free(t);
}

/* A RST at RCV.NXT (3.10.7.4 second): a passive child goes away and its
 * listener stays in LISTEN (TcpExtEmbryonicRsts, TcpAttemptFails). */
static void syn_recv__rst_at_rcv_nxt__child_gone_listener_stays(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 1);
	assert_int_equal(scn_state(t, o.lfd), SYNACK_LISTEN);
	assert_int_equal(scn_counter(t, "TcpExtEmbryonicRsts"), 1);
	assert_int_equal(scn_counter(t, "TcpAttemptFails"), 1);
	assert_int_equal(synack_accept(t->st, o.lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	scn_at(t, 2000); /* its SYN-ACK timer died with it */
	scn_expect_none(t);
	/* A new SYN makes a new child. */
	scn_inject(t, 2000, SEG(.flags = SYN, .seq = 1000, .mss = 1460));
	scn_expect_synack(t, 1001);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_free(t);
}

/* Linux tcp_check_req applies no RFC 5961 challenge to a request: any RST
 * inside the window kills it (the RFC would send a challenge ACK). */
static void syn_recv__rst_in_window__child_gone(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 100));
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 1);
	assert_int_equal(scn_state(t, o.lfd), SYNACK_LISTEN);
	assert_int_equal(scn_counter(t, "TcpExtEmbryonicRsts"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPChallengeACK"), 0);
	scn_free(t);
}

/* A RST outside the window is dropped without an answer. */
static void syn_recv__rst_out_of_window__ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1 + 70000));
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS - 5));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* 3.10.7.4 fifth, SYN-RECEIVED: an unacceptable ACK draws
 * <SEQ=SEG.ACK><CTL=RST>; the child keeps waiting for the right one. */
static void syn_recv__ack_past_snd_nxt__rst_child_kept(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 2));
	scn_expect(t, SEG(.flags = RST, .seq = o.iss + 2, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
	scn_free(t);
}

static void syn_recv__ack_of_iss__rst_child_kept(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss));
	scn_expect(t, SEG(.flags = RST, .seq = o.iss, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 0);
	scn_free(t);
}

/* Without the ACK bit a segment is dropped in SYN-RECEIVED (3.10.7.4
 * fifth: "if the ACK bit is off drop the segment"); its data is lost. */
static void syn_recv__segment_without_ack__dropped(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = PSH, .seq = R_ISS + 1, .data = "lost"));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	int fd = synack_accept(t->st, o.lfd, NULL, NULL);
	int n = -1;
	assert_int_equal(synack_ioctl(t->st, fd, FIONREAD, &n), 0);
	assert_int_equal(n, 0);
	scn_free(t);
}

/* Data beyond the window: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and drop. */
static void syn_recv__segment_beyond_window__ack(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1 + 70000, .ack = o.iss + 1,
			      .data = "far"));
	scn_expect(t, SEG(.flags = ACK, .seq = o.iss + 1, .ack = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_free(t);
}

/* Linux tcp_check_req: a SYN inside the window at another sequence number
 * is not a retransmission; the request is reset (RST answering the SYN)
 * and dropped (TcpExtEmbryonicRsts). */
static void syn_recv__syn_at_other_seq__rst_child_gone(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = SYN, .seq = R_ISS + 100, .mss = 1460));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 101, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_nsockets(t), 1);
	assert_int_equal(scn_state(t, o.lfd), SYNACK_LISTEN);
	assert_int_equal(scn_counter(t, "TcpExtEmbryonicRsts"), 1);
	scn_free(t);
}

/* The final ACK may carry data: it is queued and acked at once (first
 * data: quick ACK), and is there to read after accept(). */
static void syn_recv__final_ack_with_data__readable_after_accept(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = o.iss + 1,
			      .data = "hello"));
	scn_expect_at(t, 10, SEG(.flags = ACK, .seq = o.iss + 1, .ack = R_ISS + 6, .wnd = WND - 5));
	scn_expect_none(t);
	int fd = synack_accept(t->st, o.lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(synack_poll_events(t->st, fd),
			 EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	char buf[16];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	scn_free(t);
}

/* The final ACK with FIN: ESTABLISHED then CLOSE-WAIT (3.10.7.4 eighth);
 * the FIN is acked (Linux tcp_fin: pingpong mode, the delayed-ACK timer on
 * the next tick) and accept() hands over a socket at end of file. */
static void syn_recv__fin_with_final_ack__close_wait(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	scn_inject(t, 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	scn_expect_none(t);
	scn_at(t, 11);
	scn_expect_at(t, 11, SEG(.flags = ACK, .seq = o.iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE_WAIT);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 1); /* CLOSE-WAIT counts */
	int fd = synack_accept(t->st, o.lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	assert_int_equal(synack_poll_events(t->st, fd),
			 EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM);
	char c;
	assert_int_equal(synack_recv(t->st, fd, &c, 1, 0), 0);
	scn_free(t);
}

/* The trace sees one connection through the handshake, request entry
 * and child alike: CLOSED -> SYN-RECEIVED at the SYN (Linux's
 * TCP_NEW_SYN_RECV), SYN-RECEIVED -> ESTABLISHED at the final ACK; and an
 * expired request goes SYN-RECEIVED -> CLOSED. */
static void syn_recv__trace__one_connection_from_syn_to_established(void **state)
{
	struct scn *t = scn_new(NULL);
	struct open o = half_open(t);
	/* The listener's LISTEN, then the request's SYN-RECEIVED. */
	assert_int_equal(t->nstates, 2);
	assert_int_equal(t->states[0], SYNACK_LISTEN);
	assert_int_equal(t->states[1], SYNACK_SYN_RECV);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = o.iss + 1));
	assert_int_equal(t->nstates, 3);
	assert_int_equal(t->states[2], SYNACK_ESTABLISHED);
	scn_free(t);

	t = scn_new(NULL);
	half_open(t);
	scn_at(t, 63000);
	assert_int_equal(t->nstates, 3);
	assert_int_equal(t->states[2], SYNACK_CLOSE);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_recv__final_ack__established_and_queued),
		cmocka_unit_test(syn_recv__trace__one_connection_from_syn_to_established),
		cmocka_unit_test(syn_recv__retransmitted_syn__synack_again),
		cmocka_unit_test(syn_recv__no_ack__synack_resent_then_dropped),
		cmocka_unit_test(syn_recv__rst_at_rcv_nxt__child_gone_listener_stays),
		cmocka_unit_test(syn_recv__rst_in_window__child_gone),
		cmocka_unit_test(syn_recv__rst_out_of_window__ignored),
		cmocka_unit_test(syn_recv__ack_past_snd_nxt__rst_child_kept),
		cmocka_unit_test(syn_recv__ack_of_iss__rst_child_kept),
		cmocka_unit_test(syn_recv__segment_without_ack__dropped),
		cmocka_unit_test(syn_recv__segment_beyond_window__ack),
		cmocka_unit_test(syn_recv__syn_at_other_seq__rst_child_gone),
		cmocka_unit_test(syn_recv__final_ack_with_data__readable_after_accept),
		cmocka_unit_test(syn_recv__fin_with_final_ack__close_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
