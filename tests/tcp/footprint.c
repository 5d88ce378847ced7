/*
 * Cheap things stay cheap (DESIGN.md): an idle established connection is
 * its control block and little else, so the block's size is a budget
 * (synack bench --idle reports the heap it makes), and what only some
 * connections use lives in side structures that exist while used: SACK
 * blocks owed by the receiver, the sender's scoreboard, Fast Open and
 * MSG_ZEROCOPY state, send-side marks. A SYN-queue entry and a TIME-WAIT
 * entry stay small too (Linux's request and timewait socks).
 */
#include <string.h>

#include "scenario.h"
#include "tcp/reqsk.h"
#include "tcp/tcp.h"
#include "tcp/timewait.h"

static char payload[3 * 1460];

/* The connection to the peer's R_PORT. */
static struct tcp_sock *conn(struct scn *t)
{
	for (struct tcp_sock *tp = t->st->tcp.all; tp; tp = tp->next)
		if (tp->rport == R_PORT && tp->state != SYNACK_LISTEN)
			return tp;
	fail_msg("no connection");
	return NULL;
}

/* Every side structure of an idle connection is absent. */
static void assert_no_side_structures(const struct tcp_sock *tp)
{
	assert_null(tp->tfo);
	assert_null(tp->zc);
	assert_null(tp->rsack);
	assert_null(tp->sacked);
	assert_null(tp->txl);
	assert_null(tp->skbm);
	assert_null(tp->eor);
	assert_null(tp->lsn);
	assert_null(tp->rcvq.ooo);
	assert_null(tp->sk.errq);
}

/* The budgets (x86-64): the tcb 1040 bytes (1416 before it was packed
 * to 1016; ECN's CWR state and the reordering measure added 24), a
 * SYN-queue entry 136, a TIME-WAIT entry 152. */
static void structs__sizes__within_budget(void **state)
{
	(void)state;
	assert_true(sizeof(struct tcp_sock) <= 1040);
	assert_true(sizeof(struct tcp_req) <= 136);
	assert_true(sizeof(struct tcp_tw) <= 152);
}

/* A passive connection with SACK agreed (and no timestamps). */
static int sack_established(struct scn *t, uint32_t *iss)
{
	struct tcp_opts in = {.has_mss = true, .mss = 1460, .sack_ok = true};
	return fx_passive_established_opts(t, &in, 1, iss);
}

static void established__idle__only_the_tcb(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	sack_established(t, &iss);
	assert_no_side_structures(conn(t));
	scn_free(t);
}

/* RFC 2018 4: the block goes out with the ACK of the out-of-order
 * segment; once the hole is filled no block is owed and none is kept. */
static void established__hole_filled__receiver_blocks_released(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = sack_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1 + 100, .ack = iss + 1,
			      .data = payload, .len = 100));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.ack, R_ISS + 1);
	assert_int_equal(s.opt.nsack, 1);
	assert_int_equal(s.opt.sack[0].start, R_ISS + 1 + 100);
	assert_int_equal(s.opt.sack[0].end, R_ISS + 1 + 200);
	assert_non_null(conn(t)->rsack);
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = payload,
			      .len = 100));
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.ack, R_ISS + 1 + 200);
	assert_int_equal(s.opt.nsack, 0);
	assert_null(conn(t)->rsack);
	char buf[256];
	assert_int_equal(synack_recv(t->st, fd, buf, sizeof(buf), 0), 200);
	scn_free(t);
}

/* RFC 6675: the scoreboard holds the SACKed range until SND.UNA passes
 * it; then nothing is held and the scoreboard goes. */
static void established__sacked_then_acked__scoreboard_released(void **state)
{
	(void)state;
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = sack_established(t, &iss);
	assert_int_equal(synack_send(t->st, fd, payload, 3 * 1460, 0), 3 * 1460);
	struct tcp_seg s;
	for (int i = 0; i < 3; i++) {
		assert_true(scn_pop(t, &s, NULL));
		assert_int_equal(s.seq, iss + 1 + (uint32_t)i * 1460);
		assert_int_equal(s.len, 1460);
	}
	scn_expect_none(t);
	struct tcp_opts sk = {.nsack = 1,
			      .sack = {{iss + 1 + 2 * 1460, iss + 1 + 3 * 1460}}};
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 1460, .opt = &sk));
	assert_int_equal(conn(t)->nsacked, 1);
	assert_non_null(conn(t)->sacked);
	scn_inject(t, 11, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1 + 3 * 1460));
	assert_int_equal(conn(t)->nsacked, 0);
	assert_null(conn(t)->sacked);
	assert_int_equal(conn(t)->snd_una, iss + 1 + 3 * 1460);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(structs__sizes__within_budget),
		cmocka_unit_test(established__idle__only_the_tcb),
		cmocka_unit_test(established__hole_filled__receiver_blocks_released),
		cmocka_unit_test(established__sacked_then_acked__scoreboard_released),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
