/*
 * Every arc of RFC 9293's state diagram (section 3.3.2, Figure 5), one
 * test each, named after the arc: the event, the segment sent, the state
 * reached. The per-state files go deeper; this file is the checklist.
 *
 * LISTEN --SEND--> SYN-SENT has no socket call (Linux refuses send() on a
 * listener with EPIPE), so that arc is tested as the refusal.
 */
#include <errno.h>
#include <string.h>

#include "scenario.h"

static struct scn *t_new(void) { return scn_new(NULL); }

/* CLOSED --passive OPEN--> LISTEN */
static void arc_closed__passive_open__listen(void **state)
{
	struct scn *t = t_new();
	int fd = fx_listen(t);
	assert_int_equal(scn_state(t, fd), SYNACK_LISTEN);
	scn_expect_none(t);
	scn_free(t);
}

/* CLOSED --active OPEN / snd SYN--> SYN-SENT */
static void arc_closed__active_open__syn_sent(void **state)
{
	struct scn *t = t_new();
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	scn_expect_syn(t);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	scn_free(t);
}

/* LISTEN --rcv SYN / snd SYN,ACK--> SYN-RECEIVED */
static void arc_listen__rcv_syn__syn_received(void **state)
{
	struct scn *t = t_new();
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_synack(t, R_ISS + 1);
	assert_int_equal(scn_conn_state(t), SYNACK_SYN_RECV);
	scn_free(t);
}

/* LISTEN --SEND--> SYN-SENT: no socket call; send() on a listener is
 * refused with EPIPE and the listener stays. */
static void arc_listen__send__refused_epipe(void **state)
{
	struct scn *t = t_new();
	int fd = fx_listen(t);
	assert_int_equal(synack_send(t->st, fd, "x", 1, 0), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(scn_state(t, fd), SYNACK_LISTEN);
	scn_expect_none(t);
	scn_free(t);
}

/* LISTEN --CLOSE--> CLOSED */
static void arc_listen__close__closed(void **state)
{
	struct scn *t = t_new();
	int fd = fx_listen(t);
	assert_int_equal(synack_close(t->st, fd), 0);
	assert_int_equal(synack_sockets(t->st, NULL, 0), 0);
	/* The port is closed now: a SYN gets RST,ACK. */
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 1, .wnd = 0));
	scn_free(t);
}

/* SYN-SENT --rcv SYN / snd SYN,ACK--> SYN-RECEIVED (simultaneous open) */
static void arc_syn_sent__rcv_syn__syn_received(void **state)
{
	struct scn *t = t_new();
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 5, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	assert_int_equal(scn_expect_synack(t, R_ISS + 1), iss);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_RECV);
	scn_free(t);
}

/* SYN-SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED */
static void arc_syn_sent__rcv_synack__established(void **state)
{
	struct scn *t = t_new();
	int fd = fx_active_established(t, NULL);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* SYN-SENT --CLOSE--> CLOSED: nothing is sent */
static void arc_syn_sent__close__closed(void **state)
{
	struct scn *t = t_new();
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	scn_connect(t, fd);
	struct tcp_seg syn;
	assert_true(scn_pop(t, &syn, NULL));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect_none(t);
	assert_int_equal(synack_sockets(t->st, NULL, 0), 0);
	/* No retransmission either. */
	scn_at(t, 5000);
	scn_expect_none(t);
	scn_free(t);
}

/* SYN-RECEIVED --rcv ACK of SYN--> ESTABLISHED */
static void arc_syn_received__rcv_ack_of_syn__established(void **state)
{
	struct scn *t = t_new();
	int fd = fx_passive_established(t, NULL);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* SYN-RECEIVED --CLOSE / snd FIN--> FIN-WAIT-1 (the active side of a
 * simultaneous open is the one an application can close there) */
static void arc_syn_received__close__fin_wait1(void **state)
{
	struct scn *t = t_new();
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 5, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_synack(t, R_ISS + 1);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	/* The peer acks SYN and FIN together: FIN-WAIT-2. */
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_free(t);
}

/* SYN-RECEIVED --rcv RST--> LISTEN (passive open: the listener remains) */
static void arc_syn_received__rcv_rst__listen(void **state)
{
	struct scn *t = t_new();
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 1, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	assert_int_equal(synack_sockets(t->st, NULL, 0), 1);
	scn_free(t);
}

/* ESTABLISHED --CLOSE / snd FIN--> FIN-WAIT-1 */
static void arc_established__close__fin_wait1(void **state)
{
	struct scn *t = t_new();
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	scn_free(t);
}

/* ESTABLISHED --rcv FIN / snd ACK--> CLOSE-WAIT. Segments sent after the
 * peer's FIN offer WND - 1: the FIN took a sequence number inside the
 * offered window, and the right edge never moves back or by less than an
 * MSS (RFC 9293 3.8.6.2.2). */
static void arc_established__rcv_fin__close_wait(void **state)
{
	struct scn *t = t_new();
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 2); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 2, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	scn_free(t);
}

/* Drive ESTABLISHED -> FIN-WAIT-1 by close(). */
static uint32_t to_fin_wait1(struct scn *t)
{
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 1));
	return iss;
}

/* FIN-WAIT-1 --rcv ACK of FIN--> FIN-WAIT-2 */
static void arc_fin_wait1__rcv_ack_of_fin__fin_wait2(void **state)
{
	struct scn *t = t_new();
	uint32_t iss = to_fin_wait1(t);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_free(t);
}

/* FIN-WAIT-1 --rcv FIN / snd ACK--> CLOSING */
static void arc_fin_wait1__rcv_fin__closing(void **state)
{
	struct scn *t = t_new();
	uint32_t iss = to_fin_wait1(t);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSING);
	scn_free(t);
}

/* FIN-WAIT-1 --rcv FIN,ACK of FIN / snd ACK--> TIME-WAIT */
static void arc_fin_wait1__rcv_fin_and_ack__time_wait(void **state)
{
	struct scn *t = t_new();
	uint32_t iss = to_fin_wait1(t);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_free(t);
}

/* FIN-WAIT-2 --rcv FIN / snd ACK--> TIME-WAIT */
static void arc_fin_wait2__rcv_fin__time_wait(void **state)
{
	struct scn *t = t_new();
	uint32_t iss = to_fin_wait1(t);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_inject(t, 2, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	/* The orphan is a FIN_WAIT2 timewait entry by now: it acks with the
	 * window it last offered (Linux tw_rcv_wnd), not one less. */
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND));
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_free(t);
}

/* CLOSING --rcv ACK of FIN--> TIME-WAIT */
static void arc_closing__rcv_ack_of_fin__time_wait(void **state)
{
	struct scn *t = t_new();
	uint32_t iss = to_fin_wait1(t);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_inject(t, 2, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_free(t);
}

/* CLOSE-WAIT --CLOSE / snd FIN--> LAST-ACK */
static void arc_close_wait__close__last_ack(void **state)
{
	struct scn *t = t_new();
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 2); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 2, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_conn_state(t), SYNACK_LAST_ACK);
	scn_free(t);
}

/* LAST-ACK --rcv ACK of FIN--> CLOSED */
static void arc_last_ack__rcv_ack_of_fin__closed(void **state)
{
	struct scn *t = t_new();
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 2); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 2, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(synack_close(t->st, fd), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_inject(t, 2, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	/* Only the listener is left. */
	assert_int_equal(synack_sockets(t->st, NULL, 0), 1);
	scn_free(t);
}

/* TIME-WAIT --Timeout=2MSL--> CLOSED (Linux: 60 s) */
static void arc_time_wait__timeout__closed(void **state)
{
	struct scn *t = t_new();
	uint32_t iss = to_fin_wait1(t);
	scn_inject(t, 1, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_at(t, 60000);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	scn_at(t, 60001);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_expect_none(t);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arc_closed__passive_open__listen),
		cmocka_unit_test(arc_closed__active_open__syn_sent),
		cmocka_unit_test(arc_listen__rcv_syn__syn_received),
		cmocka_unit_test(arc_listen__send__refused_epipe),
		cmocka_unit_test(arc_listen__close__closed),
		cmocka_unit_test(arc_syn_sent__rcv_syn__syn_received),
		cmocka_unit_test(arc_syn_sent__rcv_synack__established),
		cmocka_unit_test(arc_syn_sent__close__closed),
		cmocka_unit_test(arc_syn_received__rcv_ack_of_syn__established),
		cmocka_unit_test(arc_syn_received__close__fin_wait1),
		cmocka_unit_test(arc_syn_received__rcv_rst__listen),
		cmocka_unit_test(arc_established__close__fin_wait1),
		cmocka_unit_test(arc_established__rcv_fin__close_wait),
		cmocka_unit_test(arc_fin_wait1__rcv_ack_of_fin__fin_wait2),
		cmocka_unit_test(arc_fin_wait1__rcv_fin__closing),
		cmocka_unit_test(arc_fin_wait1__rcv_fin_and_ack__time_wait),
		cmocka_unit_test(arc_fin_wait2__rcv_fin__time_wait),
		cmocka_unit_test(arc_closing__rcv_ack_of_fin__time_wait),
		cmocka_unit_test(arc_close_wait__close__last_ack),
		cmocka_unit_test(arc_last_ack__rcv_ack_of_fin__closed),
		cmocka_unit_test(arc_time_wait__timeout__closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
