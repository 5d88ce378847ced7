/*
 * Local congestion: the link refuses a packet (its transmit queue is
 * full; env.xmit answers SYNACK_XMIT_DROP, Linux's NET_XMIT_DROP from
 * the qdisc). As Linux's tcp_write_xmit, the segment is not sent: SND.NXT
 * stays, and with nothing in flight the probe timer holds the data
 * (tcp_check_probe_timer: first at the RTO, then every 500 ms,
 * TCP_RESOURCE_PROBE_INTERVAL, without backoff; each try counts in
 * icsk_probes_out). TCP_USER_TIMEOUT counts from the first probe timeout
 * (icsk_probes_tstamp); without it tcp_retries2 tries end the
 * connection. A refused retransmission (tcp_retransmit_timer: data, or
 * a SYN; a refused first SYN counts as sent, tcp_connect) does not
 * back off either and comes back in min(RTO, 500 ms), counted as
 * TCPRetransFail. A refused keepalive is not counted and is retried in
 * 500 ms. packetdrill user_timeout/user-timeout-probe.pkt runs the
 * first case against the kernel.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <string.h>
#include <sys/ioctl.h>

#include <synack/tcp_info.h>

#include "scenario.h"

static char payload[256];

#define DATA(iss, off, n, fl) \
	SEG(.flags = (fl), .seq = (iss) + 1 + (off), .ack = R_ISS + 1, .data = payload + (off), \
	    .len = (n))

static struct tcp_info info(struct scn *t, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/* Passive open whose final ACK comes 100 ms after the SYN-ACK (RTO
 * 300 ms); then 24 bytes at 1000 ms, acked at 1100 ms (RTO still 300). */
static int estab_idle(struct scn *t, uint32_t *iss)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)('a' + i % 26);
	int fd = fx_passive_established_rtt(t, 100, iss);
	scn_at(t, 1000);
	assert_int_equal(synack_send(t->st, fd, payload, 24, 0), 24);
	scn_expect_at(t, 1000, DATA(*iss, 0, 24, ACK | PSH));
	scn_inject(t, 1100, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 25));
	scn_expect_none(t);
	assert_int_equal(info(t, fd).tcpi_rto, 300000);
	return fd;
}

static uint32_t outq(struct scn *t, int fd)
{
	int v = -1;
	assert_int_equal(synack_ioctl(t->st, fd, SIOCOUTQ, &v), 0);
	return (uint32_t)v;
}

/* user-timeout-probe.pkt: 3 s user timeout, the device refuses from
 * 1100 ms on. The write's segment is refused at once; the probe timer
 * fires at 1400 (the RTO; icsk_probes_tstamp starts), then every 500 ms:
 * 1900, 2400, 2900, 3400, 3900 (6 tries, no backoff); the next one is
 * due at 4400, where 3 s have passed since 1400: ETIMEDOUT, no RST. */
static void estab__device_refuses__probes_every_500ms_until_user_timeout(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_idle(t, &iss);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
	uint64_t orig = scn_counter(t, "TcpExtTCPOrigDataSent");
	t->refuse = true;
	assert_int_equal(synack_send(t->st, fd, payload + 24, 24, 0), 24);
	assert_int_equal(t->refused, 1);
	/* Not sent: SND.NXT did not move, the bytes are still unsent. */
	struct tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_notsent_bytes, 24);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(outq(t, fd), 24);
	static const uint64_t at[] = {1400, 1900, 2400, 2900, 3400, 3900};
	for (unsigned i = 0; i < 6; i++) {
		scn_at(t, at[i] - 1);
		assert_int_equal(t->refused, 1 + i);
		scn_at(t, at[i]);
		assert_int_equal(t->refused, 2 + i);
		assert_int_equal(info(t, fd).tcpi_probes, 1 + i);
		assert_int_equal(info(t, fd).tcpi_backoff, 0);
	}
	/* Still alive just before: a write is taken (and refused). */
	scn_at(t, 4350);
	assert_int_equal(synack_send(t->st, fd, payload + 48, 24, 0), 24);
	assert_int_equal(t->refused, 8);
	scn_at(t, 4399);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 4400);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(t->refused, 8); /* dies without another try */
	ti = info(t, fd);
	assert_int_equal(ti.tcpi_probes, 6);
	assert_int_equal(ti.tcpi_backoff, 0);
	assert_int_equal(synack_send(t->st, fd, payload, 24, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, ETIMEDOUT);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(scn_counter(t, "IpOutDiscards"), 8);
	assert_int_equal(scn_counter(t, "TcpExtTCPWinProbe"), 0);
	assert_int_equal(scn_counter(t, "TcpExtTCPOrigDataSent"), orig);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	scn_free(t);
}

/* The queue drains between tries: the next probe timeout sends the
 * held bytes (tcp_write_wakeup, PSH), probes and backoff reset, and the
 * retransmission timer takes over from there. */
static void estab__device_accepts_again__next_probe_sends_data(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_idle(t, &iss);
	t->refuse = true;
	assert_int_equal(synack_send(t->st, fd, payload + 24, 24, 0), 24);
	scn_at(t, 1900);
	assert_int_equal(t->refused, 3);
	assert_int_equal(info(t, fd).tcpi_probes, 2);
	t->refuse = false;
	scn_at(t, 2399);
	scn_expect_none(t);
	scn_at(t, 2400);
	scn_expect_at(t, 2400, DATA(iss, 24, 24, ACK | PSH));
	struct tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_probes, 0);
	assert_int_equal(ti.tcpi_backoff, 0);
	assert_int_equal(ti.tcpi_notsent_bytes, 0);
	assert_int_equal(ti.tcpi_unacked, 1);
	/* Unacked: the RTO (300 ms) resends it. */
	scn_at(t, 2700);
	scn_expect_at(t, 2700, DATA(iss, 24, 24, ACK | PSH));
	scn_inject(t, 2750, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 49));
	scn_expect_none(t);
	assert_int_equal(outq(t, fd), 0);
	assert_int_equal(scn_counter(t, "IpOutDiscards"), 3);
	scn_free(t);
}

/* Without TCP_USER_TIMEOUT, tcp_retries2 (15) tries end it (Linux
 * tcp_probe_timer: icsk_probes_out >= max_probes): tries at 1400 +
 * 500 k ms for k = 0..14, the give-up at 1400 + 7500 = 8900 ms. */
static void estab__device_refuses_no_user_timeout__retries2_tries(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_idle(t, &iss);
	t->refuse = true;
	assert_int_equal(synack_send(t->st, fd, payload + 24, 24, 0), 24);
	scn_at(t, 8899);
	assert_int_equal(t->refused, 16);
	assert_int_equal(info(t, fd).tcpi_probes, 15);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_at(t, 8900);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	assert_int_equal(t->refused, 16);
	int e = -1;
	socklen_t len = sizeof(e);
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	assert_int_equal(e, ETIMEDOUT);
	scn_free(t);
}

/* Data in flight, the first RTO (1300) resends it and backs off (RTO
 * 600). The device then refuses: the RTO at 1900 fails (TCPRetransFail),
 * keeps backoff 1 and RTO 600, and comes back in min(RTO, 500 ms) =
 * 2400, fails again, 2900 goes out; then the normal backoff (RTO 1200,
 * next at 4100). */
static void estab__retransmission_refused__retry_in_500ms_no_backoff(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_idle(t, &iss);
	scn_at(t, 2000);
	assert_int_equal(synack_send(t->st, fd, payload + 24, 24, 0), 24);
	scn_expect_at(t, 2000, DATA(iss, 24, 24, ACK | PSH));
	scn_at(t, 2300);
	scn_expect_at(t, 2300, DATA(iss, 24, 24, ACK | PSH));
	assert_int_equal(info(t, fd).tcpi_backoff, 1);
	t->refuse = true;
	scn_at(t, 2900);
	assert_int_equal(t->refused, 1);
	struct tcp_info ti = info(t, fd);
	assert_int_equal(ti.tcpi_backoff, 1);
	assert_int_equal(ti.tcpi_rto, 600000);
	assert_int_equal(scn_counter(t, "TcpExtTCPRetransFail"), 1);
	scn_at(t, 3399);
	assert_int_equal(t->refused, 1);
	scn_at(t, 3400);
	assert_int_equal(t->refused, 2);
	assert_int_equal(scn_counter(t, "TcpExtTCPRetransFail"), 2);
	t->refuse = false;
	scn_at(t, 3899);
	scn_expect_none(t);
	scn_at(t, 3900);
	scn_expect_at(t, 3900, DATA(iss, 24, 24, ACK | PSH));
	ti = info(t, fd);
	assert_int_equal(ti.tcpi_backoff, 2);
	assert_int_equal(ti.tcpi_rto, 1200000);
	scn_at(t, 5099);
	scn_expect_none(t);
	scn_at(t, 5100);
	scn_expect_at(t, 5100, DATA(iss, 24, 24, ACK | PSH));
	assert_int_equal(scn_counter(t, "TcpExtTCPTimeouts"), 5);
	assert_int_equal(scn_counter(t, "TcpRetransSegs"), 5); /* attempts, as Linux */
	assert_int_equal(scn_counter(t, "TcpExtTCPRetransFail"), 2);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* Keepalive (idle 10 s, interval 1 s): the probe at 11.1 s is refused
 * and not counted (Linux tcp_keepalive_timer); it is tried again every
 * 500 ms and goes out at 12.1 s once the device takes it. */
static void estab__keepalive_refused__retried_in_500ms_not_counted(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = estab_idle(t, &iss);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPIDLE, 10);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
	t->refuse = true;
	scn_at(t, 11099);
	assert_int_equal(t->refused, 0);
	scn_at(t, 11100);
	assert_int_equal(t->refused, 1);
	assert_int_equal(info(t, fd).tcpi_probes, 0);
	scn_at(t, 11600);
	assert_int_equal(t->refused, 2);
	t->refuse = false;
	scn_at(t, 12099);
	scn_expect_none(t);
	scn_at(t, 12100);
	scn_expect_at(t, 12100, SEG(.flags = ACK, .seq = iss + 24, .ack = R_ISS + 1));
	assert_int_equal(info(t, fd).tcpi_probes, 1);
	assert_int_equal(scn_counter(t, "TcpExtTCPKeepAlive"), 3);
	scn_free(t);
}

/* SYN-SENT: a refused first SYN counts as sent (Linux tcp_connect
 * ignores the error), so the RTO fires at 1 s; that resend is refused
 * and retried in min(RTO, 500 ms) without backoff (1.5 s, 2 s); the one
 * at 2 s goes out, and the next follows a full RTO later (retransmits 2,
 * still linear: 1 s). */
static void syn_sent__syn_refused__retried_in_500ms(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	t->refuse = true;
	scn_connect(t, fd);
	assert_int_equal(t->refused, 1);
	assert_int_equal(scn_state(t, fd), SYNACK_SYN_SENT);
	static const uint64_t at[] = {1000, 1500};
	for (unsigned i = 0; i < 2; i++) {
		scn_at(t, at[i] - 1);
		assert_int_equal(t->refused, 1 + i);
		scn_at(t, at[i]);
		assert_int_equal(t->refused, 2 + i);
		assert_int_equal(info(t, fd).tcpi_retransmits, 1);
		assert_int_equal(info(t, fd).tcpi_rto, 1000000);
	}
	t->refuse = false;
	scn_at(t, 1999);
	scn_expect_none(t);
	struct tcp_seg seg;
	synack_time_t when;
	scn_at(t, 2000);
	assert_true(scn_pop(t, &seg, &when));
	assert_int_equal(seg.flags, SYN);
	assert_int_equal(when, SYNACK_MS(2000));
	assert_int_equal(info(t, fd).tcpi_retransmits, 2);
	scn_at(t, 2999);
	scn_expect_none(t);
	scn_at(t, 3000);
	assert_true(scn_pop(t, &seg, &when));
	assert_int_equal(seg.flags, SYN);
	assert_int_equal(when, SYNACK_MS(3000));
	assert_int_equal(scn_counter(t, "TcpExtTCPSynRetrans"), 4);
	assert_int_equal(scn_counter(t, "TcpExtTCPRetransFail"), 2);
	assert_int_equal(scn_counter(t, "IpOutDiscards"), 3);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estab__device_refuses__probes_every_500ms_until_user_timeout),
		cmocka_unit_test(estab__device_accepts_again__next_probe_sends_data),
		cmocka_unit_test(estab__device_refuses_no_user_timeout__retries2_tries),
		cmocka_unit_test(estab__retransmission_refused__retry_in_500ms_no_backoff),
		cmocka_unit_test(estab__keepalive_refused__retried_in_500ms_not_counted),
		cmocka_unit_test(syn_sent__syn_refused__retried_in_500ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
