/*
 * Congestion control (src/tcp/cc*.c): CUBIC as Linux's tcp_cubic.c runs
 * RFC 9438 (the default), Reno beside it, TCP_CONGESTION and the
 * net.ipv4.tcp_congestion_control sysctls, HyStart, slow start after
 * idle and cwnd validation. Windows are read from TCP_INFO.
 *
 * The peer here ACKs every segment of a round separately, all at one
 * instant one RTT (100 ms) after the round went out: exact times, no
 * ACK trains inside a round (HyStart's train needs ACKs spread over
 * half an RTT).
 */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "scenario.h"

#define MSS 1460u
#define RTT 100u /* ms */

static char payload[512 * 1460];

struct flow {
	struct scn *t;
	int fd;
	uint32_t iss;
	uint32_t una;      /* what the peer has ACKed, from iss + 1 */
	uint32_t nxt;      /* the end of what we have seen sent */
	uint32_t queued;   /* bytes handed to send() */
	uint32_t limit;    /* bytes the application will write at most */
};

static struct tcp_info info_of(struct flow *f)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(f->t->st, f->fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static struct scn *new_scn(const char *cc)
{
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_early_retrans = 0; /* no tail loss probes in the way */
	if (cc)
		assert_int_equal(synack_config_set(&c, "net.ipv4.tcp_congestion_control", cc), 0);
	return scn_new(&c);
}

/* Keep the send buffer full, up to f->limit bytes written in all. */
static void top_up(struct flow *f)
{
	for (int i = 0; i < 64 && f->queued < f->limit; i++) {
		uint32_t want = f->limit - f->queued;
		if (want > sizeof(payload))
			want = sizeof(payload);
		ssize_t n = synack_send(f->t->st, f->fd, payload, want, 0);
		if (n <= 0)
			break;
		f->queued += (uint32_t)n;
	}
}

/* A passive connection, no SACK and no timestamps (NewReno recovery),
 * window scale 7 (the peer's 65535 is 8 MiB: never the limit), handshake
 * RTT 100 ms; the application writes limit bytes at 1000 ms. */
static struct flow established(struct scn *t, uint32_t limit)
{
	struct flow f = {.t = t, .limit = limit};
	int lfd = fx_listen(t);
	struct tcp_opts in = {.has_mss = true, .mss = MSS, .has_wscale = true, .wscale = 7};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	f.iss = s.seq;
	scn_inject(t, RTT, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = f.iss + 1));
	f.fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(f.fd >= 0);
	f.una = f.nxt = 0;
	scn_at(t, 1000);
	top_up(&f);
	return f;
}

/* Every segment sent since the last call, at time ms: how many. */
static unsigned drain(struct flow *f, uint64_t ms)
{
	struct tcp_seg s;
	synack_time_t at;
	unsigned n = 0;
	while (scn_pop(f->t, &s, &at)) {
		assert_int_equal(at, ms * 1000);
		assert_int_equal(s.len, MSS);
		uint32_t end = s.seq + s.len - (f->iss + 1);
		if (end > f->nxt)
			f->nxt = end;
		n++;
	}
	return n;
}

/* At ms the peer ACKs, one ACK per segment, everything seen sent. */
static void ack_all(struct flow *f, uint64_t ms)
{
	for (uint32_t a = f->una + MSS; a <= f->nxt; a += MSS)
		scn_inject(f->t, ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = f->iss + 1 + a));
	f->una = f->nxt;
	top_up(f);
}

/* n duplicate ACKs at ms. */
static void dupacks(struct flow *f, uint64_t ms, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		scn_inject(f->t, ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = f->iss + 1 + f->una));
}

/* One round: what went out at ms is all ACKed at ms + RTT; returns the
 * segments of the round. */
static unsigned round_trip(struct flow *f, uint64_t ms)
{
	unsigned n = drain(f, ms);
	ack_all(f, ms + RTT);
	return n;
}

/*
 * RFC 9438 4.6 (Linux cubictcp_recalc_ssthresh): a loss takes the window
 * to beta = 717/1024 of it. Slow start doubles 10 to 20 in one round;
 * the third duplicate ACK then sets ssthresh = 20 * 717 / 1024 = 14
 * (14.004) and NewReno's cwnd = ssthresh + 3 = 17 (RFC 6582 3.2). Reno
 * on the same path halves: 10 and 13.
 */
static void run_one_loss(const char *cc, uint32_t ssthresh)
{
	struct scn *t = new_scn(cc);
	struct flow f = established(t, sizeof(payload));
	assert_int_equal(round_trip(&f, 1000), 10);
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, 20);
	assert_int_equal(drain(&f, 1100), 20);
	dupacks(&f, 1200, 3);
	struct tcp_info ti = info_of(&f);
	assert_int_equal(ti.tcpi_ca_state, 3); /* Recovery */
	assert_int_equal(ti.tcpi_snd_ssthresh, ssthresh);
	assert_int_equal(ti.tcpi_snd_cwnd, ssthresh + 3);
	assert_int_equal(scn_counter(t, "TcpExtTCPRenoRecovery"), 1);
	scn_free(t);
}

static void cubic_estab__third_dupack__ssthresh_beta_0_7(void **state)
{
	run_one_loss(NULL, 14); /* the default is cubic */
}

static void reno_estab__third_dupack__ssthresh_half(void **state)
{
	run_one_loss("reno", 10);
}

/*
 * RFC 9438 4.2 on virtual time. Slow start 10 -> 20 -> 40 -> 80 (rounds
 * at 1000, 1100, 1200 ms, ACKed 100 ms later); segment 1 of the 80 sent
 * at 1300 is lost: three duplicate ACKs at 1400 (W_max = 80, ssthresh =
 * cwnd = 80 * 717 / 1024 = 56 after the full ACK at 1500 ends recovery).
 * From then on every round is ACKed one RTT later. With C = 0.4,
 * beta = 0.7 and the epoch starting at the first ACK of congestion
 * avoidance (t = 0 at 1600 ms), RFC 9438 eq. 1 and 2 give
 *   K = cbrt((W_max - cwnd_epoch) / C) = cbrt(24 / 0.4) = 3.915 s
 *   W_cubic(t) = 0.4 * (t - 3.915)^3 + 80
 * and the window aims for W_cubic(t + RTT) over each RTT (4.2: target,
 * Linux adds delay_min to t):
 *   round ACKed at t = 0.0 s: W_cubic(0.1) = 0.4 * (-3.815)^3 + 80 = 57.79
 *   t = 0.1 s: W_cubic(0.2) = 59.49     t = 0.2 s: W_cubic(0.3) = 61.11
 *   t = 0.3 s: W_cubic(0.4) = 62.63     t = 0.4 s: W_cubic(0.5) = 64.07
 * Linux's integer form takes W_max - floor(C * (K - t)^3) as the target
 * (58, 60, 62, 63, 65) once per round (the curve is evaluated once a
 * jiffy, and each round's ACKs share one), and the window grows by one
 * segment per cnt = cwnd / (target - cwnd) acked: 56 / 2 = 28 over 56
 * ACKs reaches 58; 58 / 2 = 29 over 58 reaches 60; 60 / 2 over 60 gives
 * 62; 62 / 1 over 62 gives 63; 63 / 2 = 31 over 63 gives 65. So the
 * window after the rounds ACKed at 1600 ... 2000 ms is 58, 60, 62, 63,
 * 65: each W_cubic(t + RTT) rounded up. (The Reno estimate, 56 + 0.53
 * per RTT, stays below: RFC 9438 4.3 does not apply.)
 */
static void cubic_ca__rounds_after_loss__follow_cubic_curve(void **state)
{
	struct scn *t = new_scn(NULL);
	struct flow f = established(t, sizeof(payload));
	assert_int_equal(round_trip(&f, 1000), 10);
	assert_int_equal(round_trip(&f, 1100), 20);
	assert_int_equal(round_trip(&f, 1200), 40);
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, 80);
	/* The 80 segments of the round at 1300: the first is lost. */
	unsigned n = drain(&f, 1300);
	assert_int_equal(n, 80);
	dupacks(&f, 1400, 3);
	assert_int_equal(info_of(&f).tcpi_snd_ssthresh, 56);
	/* Limited transmit sent two, the fast retransmit one. */
	struct tcp_seg s;
	unsigned k = 0;
	for (; k < 8 && scn_pop(t, &s, NULL); k++)
		if (s.seq + s.len - (f.iss + 1) > f.nxt)
			f.nxt = s.seq + s.len - (f.iss + 1);
	assert_int_equal(k, 3);
	ack_all(&f, 1500); /* the full ACK ends recovery: cwnd = ssthresh */
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, 56);
	assert_int_equal(info_of(&f).tcpi_ca_state, 0);
	static const uint32_t want[] = {58, 60, 62, 63, 65};
	for (unsigned r = 0; r < 5; r++) {
		round_trip(&f, 1500 + r * RTT);
		assert_int_equal(info_of(&f).tcpi_snd_cwnd, want[r]);
	}
	scn_free(t);
}

/*
 * HyStart's delay increase (Linux hystart_update, HYSTART_DELAY): in
 * slow start with cwnd >= 16 (hystart_low_window), a round's least RTT
 * over its first 8 samples above delay_min + clamp(delay_min / 8, 4 ms,
 * 16 ms) ends slow start: ssthresh = cwnd. Rounds 1 and 2 see 100 ms
 * (delay_min 100 ms, threshold 12.5 ms); the 40 segments of round 3 are
 * ACKed 113 ms after they left: the 9th ACK (8 samples taken, cwnd
 * 40 + 8 = 48; the sample is taken before the ACK grows the window, as
 * Linux's pkts_acked runs before cong_avoid) finds 113 > 112.5 and sets
 * ssthresh = 48, after which the window no longer doubles.
 */
static void cubic_slow_start__rtt_rises__hystart_delay_exit(void **state)
{
	struct scn *t = new_scn(NULL);
	struct flow f = established(t, sizeof(payload));
	assert_int_equal(round_trip(&f, 1000), 10);
	assert_int_equal(round_trip(&f, 1100), 20);
	assert_int_equal(info_of(&f).tcpi_snd_ssthresh, 0x7fffffff);
	assert_int_equal(drain(&f, 1200), 40);
	for (uint32_t a = f.una + MSS, i = 1; a <= f.nxt; a += MSS, i++) {
		scn_inject(t, 1313, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = f.iss + 1 + a));
		if (i == 8)
			assert_int_equal(info_of(&f).tcpi_snd_ssthresh, 0x7fffffff);
		if (i == 9) {
			assert_int_equal(info_of(&f).tcpi_snd_ssthresh, 48);
			assert_int_equal(info_of(&f).tcpi_snd_cwnd, 48);
		}
	}
	assert_int_equal(scn_counter(t, "TcpExtTCPHystartDelayDetect"), 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPHystartDelayCwnd"), 48);
	assert_int_equal(scn_counter(t, "TcpExtTCPHystartTrainDetect"), 0);
	scn_free(t);
}

/* The same rise with reno: no HyStart, slow start goes on. */
static void reno_slow_start__rtt_rises__no_hystart(void **state)
{
	struct scn *t = new_scn("reno");
	struct flow f = established(t, sizeof(payload));
	round_trip(&f, 1000);
	round_trip(&f, 1100);
	drain(&f, 1200);
	ack_all(&f, 1313);
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, 80);
	assert_int_equal(info_of(&f).tcpi_snd_ssthresh, 0x7fffffff);
	assert_int_equal(scn_counter(t, "TcpExtTCPHystartDelayDetect"), 0);
	scn_free(t);
}

static int get_cc(struct scn *t, int fd, char *name, socklen_t *len)
{
	return synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_CONGESTION, name, len);
}

/* tcp(7) TCP_CONGESTION: getsockopt copies min(len, TCP_CA_NAME_MAX = 16)
 * bytes of the NUL-padded name and sets len to that; setsockopt takes a
 * registered name (not necessarily NUL-terminated), else ENOENT and the
 * algorithm stays (Linux tcp_set_congestion_control). */
static void closed__tcp_congestion__get_set_errno(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	char name[32];
	memset(name, 'x', sizeof(name));
	socklen_t len = sizeof(name);
	assert_int_equal(get_cc(t, fd, name, &len), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(name, "cubic\0\0\0\0\0\0\0\0\0\0\0", 16);
	len = 3;
	assert_int_equal(get_cc(t, fd, name, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(name, "cub", 3);
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	len = sizeof(name);
	assert_int_equal(get_cc(t, fd, name, &len), 0);
	assert_string_equal(name, "reno");
	errno = 0;
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_CONGESTION, "cubicx", 5), 0);
	len = sizeof(name);
	assert_int_equal(get_cc(t, fd, name, &len), 0);
	assert_string_equal(name, "cubic");
	scn_free(t);
}

/* net.ipv4.tcp_congestion_control names the default for new sockets
 * (ENOENT for an unknown one); tcp_available_congestion_control lists
 * the algorithms and is read-only (mode 0444: EACCES). */
static void stack__cc_sysctls__default_and_available(void **state)
{
	struct scn *t = scn_new(NULL);
	char buf[64];
	assert_int_equal(synack_config_get(&t->cfg, "net.ipv4.tcp_congestion_control", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cubic");
	assert_int_equal(synack_config_get(&t->cfg, "tcp_available_congestion_control", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "reno cubic");
	errno = 0;
	assert_int_equal(synack_sysctl_set(t->st, "tcp_available_congestion_control", "reno"), -1);
	assert_int_equal(errno, EACCES);
	errno = 0;
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_congestion_control", "vegas"), -1);
	assert_int_equal(errno, ENOENT);
	int before = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(synack_sysctl_set(t->st, "net.ipv4.tcp_congestion_control", "reno\n"), 0);
	assert_int_equal(synack_config_get(synack_config(t->st), "tcp_congestion_control", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "reno");
	int after = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	socklen_t len = sizeof(buf);
	assert_int_equal(get_cc(t, before, buf, &len), 0);
	assert_string_equal(buf, "cubic"); /* chosen when it was created */
	len = sizeof(buf);
	assert_int_equal(get_cc(t, after, buf, &len), 0);
	assert_string_equal(buf, "reno");
	scn_free(t);
}

/* A listener's TCP_CONGESTION carries over to its children (Linux
 * tcp_ca_openreq_child); without it a child takes the default. */
static void listen__tcp_congestion__child_inherits(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	assert_int_equal(synack_setsockopt(t->st, lfd, IPPROTO_TCP, TCP_CONGESTION, "reno", 5), 0);
	struct tcp_opts in = {.has_mss = true, .mss = MSS};
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .opt = &in));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s.seq + 1));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, 0);
	assert_true(fd >= 0);
	char buf[16];
	socklen_t len = sizeof(buf);
	assert_int_equal(get_cc(t, fd, buf, &len), 0);
	assert_string_equal(buf, "reno");
	scn_free(t);
}

/*
 * RFC 5681 4.1 (Linux tcp_cwnd_restart, tcp_slow_start_after_idle 1):
 * idle for more than an RTO (here 300 ms: SRTT 100 ms + 4 * 50 ms), a
 * write restarts from min(cwnd, initial window), halving once per RTO of
 * idleness: 20 after the first round, 1 s idle, 10 segments go. With the
 * sysctl 0 (packetdrill's defaults.sh) all 20 go.
 */
static void run_idle_restart(int after_idle, unsigned burst)
{
	struct scn *t = new_scn(NULL);
	assert_int_equal(synack_sysctl_set(t->st, "tcp_slow_start_after_idle", after_idle ? "1" : "0"), 0);
	struct flow f = established(t, 10 * MSS);
	assert_int_equal(round_trip(&f, 1000), 10);
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, 20);
	assert_int_equal(drain(&f, 1100), 0);
	scn_at(t, 2100);
	f.limit += 40 * MSS;
	top_up(&f);
	assert_int_equal(drain(&f, 2100), burst);
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, burst);
	scn_free(t);
}

static void estab_idle__write_after_rto__cwnd_restarts(void **state)
{
	run_idle_restart(1, 10);
}

static void estab_idle__slow_start_after_idle_0__cwnd_kept(void **state)
{
	run_idle_restart(0, 20);
}

/*
 * Linux tcp_is_cwnd_limited (tcp_cwnd_validate): an application that
 * keeps two segments in flight does not grow its window in slow start
 * (cwnd 10 is not below twice the 2 in flight): after five rounds of
 * two segments cwnd is still 10.
 */
static void estab_app_limited__acks__cwnd_not_grown(void **state)
{
	struct scn *t = new_scn(NULL);
	struct flow f = established(t, 2 * MSS);
	for (unsigned r = 0; r < 5; r++) {
		assert_int_equal(round_trip(&f, 1000 + r * RTT), 2);
		f.limit += 2 * MSS;
		scn_at(t, 1000 + (r + 1) * RTT);
		top_up(&f);
	}
	assert_int_equal(info_of(&f).tcpi_snd_cwnd, 10);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cubic_estab__third_dupack__ssthresh_beta_0_7),
		cmocka_unit_test(reno_estab__third_dupack__ssthresh_half),
		cmocka_unit_test(cubic_ca__rounds_after_loss__follow_cubic_curve),
		cmocka_unit_test(cubic_slow_start__rtt_rises__hystart_delay_exit),
		cmocka_unit_test(reno_slow_start__rtt_rises__no_hystart),
		cmocka_unit_test(closed__tcp_congestion__get_set_errno),
		cmocka_unit_test(stack__cc_sysctls__default_and_available),
		cmocka_unit_test(listen__tcp_congestion__child_inherits),
		cmocka_unit_test(estab_idle__write_after_rto__cwnd_restarts),
		cmocka_unit_test(estab_idle__slow_start_after_idle_0__cwnd_kept),
		cmocka_unit_test(estab_app_limited__acks__cwnd_not_grown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
