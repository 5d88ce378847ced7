/*
 * SO_KEEPALIVE (RFC 1122 4.2.3.6) with Linux's shape (LINUX-SEMANTICS 2):
 * after tcp_keepalive_time of silence from the peer, a probe (an ACK with
 * SEQ=SND.UNA-1 and no data, which the peer must answer) every
 * tcp_keepalive_intvl; after tcp_keepalive_probes unanswered probes, RST
 * and ETIMEDOUT. Any acceptable ACK from the peer resets the count.
 */
#include <errno.h>
#include <string.h>

#include "scenario.h"

#define EXPECT_AT(t, ms, ...) \
	do { \
		scn_at((t), (ms)); \
		scn_expect_at((t), (ms), __VA_ARGS__); \
	} while (0)

/* The probe: <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK>, no data. */
#define PROBE(iss) SEG(.flags = ACK, .seq = (iss), .ack = R_ISS + 1)
/* The peer's answer: its current ACK and window. */
#define ANSWER SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1)
/* Linux tcp_send_active_reset: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>,
 * with the window tcp_transmit_skb fills in. */
#define ABORT_RST(iss) SEG(.flags = RST | ACK, .seq = (iss) + 1, .ack = R_ISS + 1)

/* Established at t=0 with SO_KEEPALIVE on. */
static int keepalive_estab(struct scn *t, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	return fd;
}

static struct scn *small_keepalive(void)
{
	struct scn *t = scn_new(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_keepalive_time", "10"), 0);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_keepalive_intvl", "2"), 0);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_keepalive_probes", "3"), 0);
	return t;
}

/* Defaults: the first probe after exactly 7200 s of silence. */
static void estab__idle_7200s__first_probe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	scn_at(t, 7199999);
	scn_expect_none(t);
	EXPECT_AT(t, 7200000, PROBE(iss));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 1);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* Defaults: probes at 7200 s + k*75 s for k = 0..8; at 7875 s the ninth
 * has gone unanswered: RST, ETIMEDOUT, TCPAbortOnTimeout (tcp_write_err). */
static void estab__nine_probes_unanswered__rst_and_etimedout(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	for (uint64_t k = 0; k < 9; k++)
		EXPECT_AT(t, 7200000 + k * 75000, PROBE(iss));
	scn_at(t, 7874999);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	EXPECT_AT(t, 7875000, ABORT_RST(iss));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 9);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 1);
	assert_int_equal(scn_counter(t, "TcpEstabResets"), 1);
	assert_int_equal(scn_counter(t, "TcpCurrEstab"), 0);
	/* Nothing more once it is gone. */
	scn_at(t, 9000000);
	scn_expect_none(t);
	scn_free(t);
}

/* Small sysctls: 10 s idle, 2 s apart, 3 probes: 10, 12, 14; RST at 16 s.
 * After the abort the socket reports ERR|HUP with IN|OUT|RDHUP
 * (LINUX-SEMANTICS 7). */
static void estab__small_sysctls__probes_then_rst(void **state)
{
	struct scn *t = small_keepalive();
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	EXPECT_AT(t, 10000, PROBE(iss));
	EXPECT_AT(t, 12000, PROBE(iss));
	EXPECT_AT(t, 14000, PROBE(iss));
	EXPECT_AT(t, 16000, ABORT_RST(iss));
	scn_expect_none(t);
	uint32_t want = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
	assert_int_equal(synack_poll_events(t->st, fd) & ~(uint32_t)(EPOLLRDNORM | EPOLLWRNORM),
			 want);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), 0);
	scn_free(t);
}

/* An answered probe resets the count (tcp_ack clears probes_out): the
 * next probe waits a full idle period from the answer, and then three
 * more are needed before the abort. */
static void estab__probe_answered__count_reset(void **state)
{
	struct scn *t = small_keepalive();
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	EXPECT_AT(t, 10000, PROBE(iss));
	EXPECT_AT(t, 12000, PROBE(iss));
	scn_inject(t, 12500, ANSWER);
	scn_expect_none(t);
	scn_at(t, 22499);
	scn_expect_none(t);
	EXPECT_AT(t, 22500, PROBE(iss));
	EXPECT_AT(t, 24500, PROBE(iss));
	EXPECT_AT(t, 26500, PROBE(iss));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	EXPECT_AT(t, 28500, ABORT_RST(iss));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 5);
	scn_free(t);
}

/* The idle time runs from the last segment received: data at 5 s moves
 * the first probe to 15 s (Linux keepalive_time_elapsed). The probe acks
 * the data. */
static void estab__data_received__idle_restarts(void **state)
{
	struct scn *t = small_keepalive();
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	scn_inject(t, 5000, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .data = "ping"));
	/* The right edge of the first offer stays put (an offer never
	 * shrinks; window.c): 64240 - 4 bytes offered, before and after the
	 * read. */
	scn_expect_at(t, 5000, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 5, .wnd = WND - 4));
	char b[8];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 4);
	scn_at(t, 14999);
	scn_expect_none(t);
	EXPECT_AT(t, 15000, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 5, .wnd = WND - 4));
	scn_free(t);
}

/* Without SO_KEEPALIVE an idle connection stays silent for ever. */
static void estab__keepalive_off__no_probe(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	scn_at(t, 20000000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 0);
	scn_free(t);
}

/* Turning SO_KEEPALIVE off stops the timer. */
static void estab__keepalive_turned_off__probes_stop(void **state)
{
	struct scn *t = small_keepalive();
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	EXPECT_AT(t, 10000, PROBE(iss));
	scn_at(t, 11000);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 0);
	scn_at(t, 100000);
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* A child inherits SO_KEEPALIVE from its listener (Linux copies the
 * flag and arms the timer when the handshake completes). */
static void listener_keepalive__child__probes(void **state)
{
	struct scn *t = small_keepalive();
	int lfd = fx_listen(t);
	scn_set_int(t, lfd, SOL_SOCKET, SO_KEEPALIVE, 1);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	EXPECT_AT(t, 10000, PROBE(iss));
	scn_free(t);
}

/* Linux tcp_keepalive_timer: "it is alive without keepalive" while data is
 * in flight: the retransmission timer owns the connection, no probe goes
 * out, and the give-up is tcp_retries2's (TCPAbortOnTimeout, no RST). */
static void estab__data_in_flight__no_probe(void **state)
{
	struct scn *t = small_keepalive();
	assert_int_equal(synack_sysctl_set(t->st, "tcp_keepalive_time", "1"), 0);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_retries2", "3"), 0);
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	scn_at(t, 500);
	assert_int_equal(synack_send(t->st, fd, "data", 4, 0), 4);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "data"));
	/* RTO 201 ms (handshake sample ~0): resends only, then the abort. */
	scn_at(t, 20000);
	for (int i = 0; i < 3; i++)
		scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "data"));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 0);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	scn_free(t);
}

/* Keepalive still runs in CLOSE-WAIT (the peer closed; we may still
 * send, Linux probes any state but CLOSE and SYN-SENT). */
static void close_wait__idle__probes(void **state)
{
	struct scn *t = small_keepalive();
	uint32_t iss;
	int fd = keepalive_estab(t, &iss);
	scn_inject(t, 1000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = iss + 1));
	scn_at(t, 1001); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, 1001, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	scn_at(t, 10999);
	scn_expect_none(t);
	/* The FIN took one sequence number of the offered window. */
	EXPECT_AT(t, 11000, SEG(.flags = ACK, .seq = iss, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__idle_7200s__first_probe),
		cmocka_unit_test(estab__nine_probes_unanswered__rst_and_etimedout),
		cmocka_unit_test(estab__small_sysctls__probes_then_rst),
		cmocka_unit_test(estab__probe_answered__count_reset),
		cmocka_unit_test(estab__data_received__idle_restarts),
		cmocka_unit_test(estab__keepalive_off__no_probe),
		cmocka_unit_test(estab__keepalive_turned_off__probes_stop),
		cmocka_unit_test(listener_keepalive__child__probes),
		cmocka_unit_test(estab__data_in_flight__no_probe),
		cmocka_unit_test(close_wait__idle__probes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
