/*
 * SYN cookies (LINUX-SEMANTICS 3; Linux syncookies.c): the pure encode and
 * decode of syncookie.c, then cookies on the wire: tcp_syncookies 2 sends
 * one for every SYN; the ACK brings the connection back with the MSS from
 * the table; forged, stale and off-by-one ACKs are counted (SyncookiesFailed)
 * and answered with RST; without a recent overflow nothing is checked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>

#include "scenario.h"
#include "tcp/options.h"
#include "tcp/syncookie.h"
#include "wire/ipv4.h"

static const struct siphash_key keys[2] = {{1, 2}, {3, 4}};
static const struct syncookie_tuple tu = {0x0a000002u, 0x0a000001u, 40000, 80};

/* {536, 1300, 1440, 1460}: the largest entry not above the MSS. */
static void syncookie__mss_index__table_rounded_down(void **state)
{
	static const struct { uint16_t in, out; } rows[] = {
		{100, 536}, {536, 536}, {1299, 536}, {1300, 1300}, {1439, 1300},
		{1440, 1440}, {1459, 1440}, {1460, 1460}, {9000, 1460},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint16_t got;
		unsigned idx = syncookie_mss_index(rows[i].in, &got);
		assert_int_equal(got, rows[i].out);
		assert_int_equal(syncookie_mss(idx), rows[i].out);
	}
}

/* A cookie is good in its minute and the next, for its tuple and ISN only. */
static void syncookie__check__valid_for_two_minutes_and_its_tuple(void **state)
{
	for (unsigned idx = 0; idx < 4; idx++) {
		uint32_t c = syncookie_make(keys, &tu, 1000, 7, idx);
		assert_int_equal(syncookie_check(keys, &tu, c, 1000, 7), (int)idx);
		assert_int_equal(syncookie_check(keys, &tu, c, 1000, 8), (int)idx);
		assert_int_equal(syncookie_check(keys, &tu, c, 1000, 9), -1);  /* stale */
		assert_int_equal(syncookie_check(keys, &tu, c, 1000, 6), -1);  /* from the future */
		/* Off by one: the index is the cookie's low bits, so only a step
		 * out of the table (0..3) is caught; inside it the MSS shifts
		 * (as in Linux, where the MSS is not otherwise protected). */
		assert_int_equal(syncookie_check(keys, &tu, c + 1, 1000, 7), idx == 3 ? -1 : (int)idx + 1);
		assert_int_equal(syncookie_check(keys, &tu, c, 1001, 7), idx == 0 ? -1 : (int)idx - 1);
		assert_int_equal(syncookie_check(keys, &tu, c + 0x1000000, 1000, 7), -1);
		assert_int_equal(syncookie_check(keys, &tu, c, 1000 + 0x800000, 7), -1);
		struct syncookie_tuple other = tu;
		other.sport++;
		assert_int_equal(syncookie_check(keys, &other, c, 1000, 7), -1);
		const struct siphash_key other_keys[2] = {{1, 2}, {3, 5}};
		assert_int_equal(syncookie_check(other_keys, &tu, c, 1000, 7), -1);
	}
	/* The minute counter wraps in the top 8 bits. */
	uint32_t c = syncookie_make(keys, &tu, 0xfffffff0u, 255, 3);
	assert_int_equal(syncookie_check(keys, &tu, c, 0xfffffff0u, 256), 3);
}

/* Linux cookie_init_timestamp: wscale 7 and SACK are 0x17 in the low six
 * bits (measured), never above the clock; decode gives them back. */
static void syncookie__timestamp__options_round_trip(void **state)
{
	struct syncookie_opts in = {.wscale_ok = true, .wscale = 7, .sack_ok = true}, out;
	uint32_t ts = syncookie_ts_encode(100000, &in);
	assert_int_equal(ts & 0x3f, 0x17);
	assert_true(ts <= 100000 && ts > 100000 - 64);
	assert_true(syncookie_ts_decode(ts, true, true, true, &out));
	assert_true(out.wscale_ok && out.sack_ok && !out.ecn_ok);
	assert_int_equal(out.wscale, 7);
	struct syncookie_opts none = {0};
	ts = syncookie_ts_encode(100000, &none);
	assert_int_equal(ts & 0x3f, 0x0f);
	assert_true(syncookie_ts_decode(ts, true, true, true, &out));
	assert_false(out.wscale_ok || out.sack_ok);
	struct syncookie_opts ecn = {.ecn_ok = true, .wscale_ok = true, .wscale = 0};
	assert_int_equal(syncookie_ts_encode(64, &ecn) & 0x3f, 0x20);
	/* Settings that no longer allow an option refuse the cookie. */
	assert_false(syncookie_ts_decode(0x17, false, true, true, &out));
	assert_false(syncookie_ts_decode(0x17, true, false, true, &out));
	assert_false(syncookie_ts_decode(0x07, true, true, false, &out));
	assert_true(syncookie_ts_decode(0x0f, true, true, false, &out));
}


/* ---- on the wire ------------------------------------------------------ */

static struct scn *cookies(const char *v)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "tcp_syncookies", v), 0);
	return scn_new(&cfg);
}

static int count_rows(struct scn *t, int state)
{
	struct synack_sockinfo rows[16];
	size_t n = synack_sockets(t->st, rows, 16);
	int c = 0;
	for (size_t i = 0; i < n && i < 16; i++)
		c += rows[i].state == state;
	return c;
}

static int child_mss(struct scn *t, int lfd)
{
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	int mss = 0;
	socklen_t len = sizeof(mss);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	return mss;
}

/* tcp_syncookies=2: every SYN gets a cookie, no request is kept; the ACK
 * makes the connection with the table's MSS (1400 -> 1300; no timestamps
 * in the SYN, so no window scale or SACK either). */
static void syncookie__syncookies_2_round_trip__mss_from_table(void **state)
{
	static const struct { uint16_t peer, child; } rows[] = {
		{1460, 1460}, {1400, 1300}, {1000, 536}, {0, 536},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct scn *t = cookies("2");
		int lfd = fx_listen(t);
		scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = rows[i].peer));
		struct tcp_seg sa;
		assert_true(scn_pop(t, &sa, NULL));
		assert_int_equal(sa.flags, SYN | ACK);
		assert_int_equal(sa.ack, R_ISS + 1);
		assert_true(sa.opt.has_mss);
		assert_false(sa.opt.has_wscale || sa.opt.sack_ok || sa.opt.has_ts);
		assert_int_equal(count_rows(t, SYNACK_SYN_RECV), 0); /* no memory per cookie */
		assert_int_equal(scn_counter(t, "TcpExtSyncookiesSent"), 1);
		assert_int_equal(scn_counter(t, "TcpExtTCPReqQFullDoCookies"), 1);
		scn_inject(t, 30000, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = sa.seq + 1));
		scn_expect_none(t);
		assert_int_equal(scn_counter(t, "TcpExtSyncookiesRecv"), 1);
		assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
		assert_int_equal(child_mss(t, lfd), rows[i].child);
		scn_free(t);
	}
}

/* A SYN with every option Linux sends: MSS 1460, SACK-permitted, TS, wscale 7. */
static void inject_full_syn(struct scn *t, uint64_t at)
{
	struct tcp_seg seg = {.saddr = R_ADDR, .daddr = L_ADDR, .sport = R_PORT, .dport = L_PORT,
			      .seq = R_ISS, .flags = SYN, .wnd = 64240,
			      .opt = {.has_mss = true, .mss = 1460, .sack_ok = true, .has_ts = true,
				      .tsval = 1000, .has_wscale = true, .wscale = 7}};
	uint8_t buf[128];
	size_t n = tcp_seg_emit(&seg, buf + IPV4_HDR_LEN, sizeof(buf) - IPV4_HDR_LEN);
	assert_true(n > 0);
	ipv4_emit(buf, R_ADDR, L_ADDR, IPPROTO_TCP_, 64, 1, (uint16_t)n, 1);
	scn_inject_raw(t, at, buf, n + IPV4_HDR_LEN);
}

static void inject_ts_ack(struct scn *t, uint64_t at, uint32_t ack, uint32_t tsecr)
{
	struct tcp_seg seg = {.saddr = R_ADDR, .daddr = L_ADDR, .sport = R_PORT, .dport = L_PORT,
			      .seq = R_ISS + 1, .ack = ack, .flags = ACK, .wnd = 502,
			      .opt = {.has_ts = true, .tsval = 1010, .tsecr = tsecr}};
	uint8_t buf[128];
	size_t n = tcp_seg_emit(&seg, buf + IPV4_HDR_LEN, sizeof(buf) - IPV4_HDR_LEN);
	ipv4_emit(buf, R_ADDR, L_ADDR, IPPROTO_TCP_, 64, 1, (uint16_t)n, 1);
	scn_inject_raw(t, at, buf, n + IPV4_HDR_LEN);
}

/* With timestamps the cookie SYN-ACK answers every option, and the TSval's
 * low six bits (before the per-flow offset) bring wscale 7 and SACK back:
 * 0x17. The child has them: it scales the peer's window by 2^7. */
static void syncookie__round_trip_with_timestamps__wscale_and_sack_survive(void **state)
{
	struct scn *t = cookies("2");
	int lfd = fx_listen(t);
	inject_full_syn(t, 5000);
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	assert_int_equal(sa.flags, SYN | ACK);
	assert_true(sa.opt.has_ts && sa.opt.has_wscale && sa.opt.sack_ok);
	assert_int_equal(sa.opt.tsecr, 1000);
	uint32_t raw = sa.opt.tsval - tcp_ts_offset(t->st, L_ADDR, R_ADDR);
	assert_int_equal(raw & 0x3f, 0x17);
	assert_true(raw <= 5000 && raw > 5000 - 64);
	inject_ts_ack(t, 5010, sa.seq + 1, sa.opt.tsval);
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesRecv"), 1);
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_wscale, 7);
	assert_int_equal(ti.tcpi_snd_mss, 1448); /* 1460 less the 12 bytes of TS */
	scn_free(t);
}


/* A cookie's ACK may carry data: it is there to read after accept(). */
static void syncookie__ack_with_data__readable(void **state)
{
	struct scn *t = cookies("2");
	int lfd = fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t c = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = c + 1, .data = "hi"));
	scn_expect(t, SEG(.flags = ACK, .seq = c + 1, .ack = R_ISS + 3, .any_wnd = true));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 2);
	scn_free(t);
}

/* Forged (random ACK), off-by-one (ACK or SEQ) and stale (older than two
 * minutes) cookie ACKs: SyncookiesFailed and <SEQ=SEG.ACK><CTL=RST>. */
static void syncookie__bad_ack__failed_and_rst(void **state)
{
	struct scn *t = cookies("2");
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t c = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = 0x12345678));
	scn_expect(t, SEG(.flags = RST, .seq = 0x12345678, .wnd = 0));
	scn_inject(t, 20, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = c + 2));
	scn_expect(t, SEG(.flags = RST, .seq = c + 2, .wnd = 0));
	/* SEQ one past: the peer ISN is taken one too high; with MSS index 0
	 * (536) that steps out of the table. */
	scn_inject(t, 30, SEG(.flags = SYN, .seq = R_ISS, .mss = 536, .sport = 40001));
	uint32_t c536 = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 2, .ack = c536 + 1, .sport = 40001));
	scn_expect(t, SEG(.flags = RST, .seq = c536 + 1, .wnd = 0, .sport = 40001));
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesFailed"), 3);
	/* Stale: minute 2 against a minute-0 cookie; a SYN at 119 s keeps the
	 * overflow recent so the check runs. */
	scn_inject(t, 119000, SEG(.flags = SYN, .seq = 5, .mss = 1460, .sport = 41000));
	scn_expect_synack(t, 6);
	scn_inject(t, 120000, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = c + 1));
	scn_expect(t, SEG(.flags = RST, .seq = c + 1, .wnd = 0));
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesFailed"), 4);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesRecv"), 0);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 0);
	scn_free(t);
}

/* A cookie from the minute before still works (delta 1). */
static void syncookie__ack_next_minute__accepted(void **state)
{
	struct scn *t = cookies("2");
	fx_listen(t);
	scn_inject(t, 59000, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t c = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 61000, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = c + 1));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesRecv"), 1);
	assert_int_equal(scn_conn_state(t), SYNACK_ESTABLISHED);
	scn_free(t);
}

/* Linux tcp_synq_no_recent_overflow: with no cookie sent in the last two
 * minutes, an ACK is not a cookie candidate: RST, nothing counted. */
static void syncookie__no_recent_overflow__plain_rst(void **state)
{
	struct scn *t = cookies("2");
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t c = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 121000, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = c + 1));
	scn_expect(t, SEG(.flags = RST, .seq = c + 1, .wnd = 0));
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesFailed"), 0);
	struct scn *u = cookies("1");
	fx_listen(u);
	scn_inject(u, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = 77));
	scn_expect(u, SEG(.flags = RST, .seq = 77, .wnd = 0));
	assert_int_equal(scn_counter(u, "TcpExtSyncookiesFailed"), 0);
	scn_free(u);
	scn_free(t);
}

/* A valid cookie ACK that finds the accept queue full is dropped
 * silently (ListenOverflows); the peer's retransmission may succeed. */
static void syncookie__accept_queue_full__dropped_silently(void **state)
{
	struct scn *t = cookies("2");
	int lfd = fx_listen(t);
	assert_int_equal(synack_listen(t->st, lfd, 0), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40001));
	uint32_t a = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = 40002));
	uint32_t b = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = a + 1, .sport = 40001));
	scn_inject(t, 1, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = b + 1, .sport = 40002));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpExtSyncookiesRecv"), 2);
	assert_int_equal(scn_counter(t, "TcpExtListenOverflows"), 1);
	assert_true(synack_accept(t->st, lfd, NULL, NULL) >= 0);
	scn_inject(t, 2, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = b + 1, .sport = 40002));
	scn_expect_none(t);
	assert_int_equal(scn_counter(t, "TcpPassiveOpens"), 2);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syncookie__mss_index__table_rounded_down),
		cmocka_unit_test(syncookie__check__valid_for_two_minutes_and_its_tuple),
		cmocka_unit_test(syncookie__timestamp__options_round_trip),
		cmocka_unit_test(syncookie__syncookies_2_round_trip__mss_from_table),
		cmocka_unit_test(syncookie__round_trip_with_timestamps__wscale_and_sack_survive),
		cmocka_unit_test(syncookie__ack_with_data__readable),
		cmocka_unit_test(syncookie__bad_ack__failed_and_rst),
		cmocka_unit_test(syncookie__ack_next_minute__accepted),
		cmocka_unit_test(syncookie__no_recent_overflow__plain_rst),
		cmocka_unit_test(syncookie__accept_queue_full__dropped_silently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
