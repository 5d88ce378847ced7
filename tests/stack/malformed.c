/*
 * Malformed packets through synack_input: every IPv4 and TCP header check
 * drops the packet under Linux's counter (ip_rcv_core, ip_local_deliver,
 * tcp_v4_rcv), option lists are read as tcp_parse_options reads them, and
 * a seeded fuzz loop of broken SYNs leaves the stack working. The build
 * runs under ASan and UBSan, so "nothing crashes" is checked byte by byte.
 */
#include <linux/tcp.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#define MSS_OPT 0x02, 0x04, 0x05, 0xb4 /* MSS 1460 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Recompute the IPv4 header checksum over IHL bytes. */
static void ip_fix(uint8_t *pkt)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	put16(pkt + 10, 0);
	put16(pkt + 10, csum_fold(csum_partial(pkt, ihl, 0)));
}

/* Recompute the TCP checksum of the segment after a 20-byte IP header. */
static void tcp_fix(uint8_t *pkt, size_t tcp_len)
{
	uint8_t *th = pkt + IPV4_HDR_LEN;
	put16(th + 16, 0);
	uint32_t sum = csum_pseudo(R_ADDR, L_ADDR, IPPROTO_TCP_, (uint16_t)tcp_len);
	put16(th + 16, csum_fold(csum_partial(th, tcp_len, sum)));
}

/* A segment from the peer with raw option bytes (olen a multiple of 4). */
static size_t raw_seg(uint8_t *pkt, uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t *opt,
		      size_t olen, const char *data, uint16_t sport)
{
	uint8_t *th = pkt + IPV4_HDR_LEN;
	size_t dlen = data ? strlen(data) : 0;
	size_t tcp_len = 20 + olen + dlen;
	memset(th, 0, 20);
	put16(th, sport);
	put16(th + 2, L_PORT);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (uint8_t)(((20 + olen) / 4) << 4);
	th[13] = flags;
	put16(th + 14, 65535);
	if (olen)
		memcpy(th + 20, opt, olen);
	if (dlen)
		memcpy(th + 20 + olen, data, dlen);
	tcp_fix(pkt, tcp_len);
	ipv4_emit(pkt, R_ADDR, L_ADDR, IPPROTO_TCP_, 64, 1, (uint16_t)tcp_len, 1);
	return IPV4_HDR_LEN + tcp_len;
}

/* A valid SYN to the listener (MSS 1460). */
static size_t good_syn(uint8_t *pkt)
{
	static const uint8_t opt[] = {MSS_OPT};
	return raw_seg(pkt, SYN, R_ISS, 0, opt, sizeof(opt), NULL, R_PORT);
}

/* A listening stack that has received one packet and must stay silent. */
static void expect_dropped(struct scn *t, const uint8_t *pkt, size_t len)
{
	scn_inject_raw(t, 1, pkt, len);
	scn_expect_none(t);
	assert_int_equal(t->nout, 0); /* nothing at all left the stack */
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	assert_int_equal(scn_counter(t, "IpInReceives"), 1);
}

/* ===== IPv4 header (RFC 791 3.1, RFC 1122 3.2.1; Linux ip_rcv_core) ==== */

struct ip_row {
	const char *name;
	void (*mangle)(uint8_t *pkt, size_t *len);
	const char *counter;     /* Linux's counter for the drop */
	const char *also;        /* a second one, or NULL */
};

static void bad_header_csum(uint8_t *p, size_t *len) { p[10] ^= 0x01; }
static void version_6(uint8_t *p, size_t *len) { p[0] = 0x65; ip_fix(p); }
static void ihl_4(uint8_t *p, size_t *len) { p[0] = 0x44; ip_fix(p); }
/* IHL 60 on a 40-byte datagram whose tot_len says 40. */
static void ihl_past_tot_len(uint8_t *p, size_t *len) { p[0] = 0x4f; }
/* IHL 60 and tot_len 60, but only 40 bytes arrived: no whole header. */
static void ihl_past_buffer(uint8_t *p, size_t *len)
{
	p[0] = 0x4f;
	put16(p + 2, 60);
}
static void tot_len_past_buffer(uint8_t *p, size_t *len)
{
	put16(p + 2, (uint16_t)(*len + 10));
	ip_fix(p);
}
static void tot_len_below_ihl(uint8_t *p, size_t *len)
{
	put16(p + 2, 16);
	ip_fix(p);
}
static void tot_len_below_ihl_options(uint8_t *p, size_t *len)
{
	p[0] = 0x46; /* 24-byte header, tot_len 20 */
	put16(p + 2, 20);
	ip_fix(p);
}
static void shorter_than_header(uint8_t *p, size_t *len) { *len = 19; }
static void not_our_address(uint8_t *p, size_t *len)
{
	put32(p + 16, 0x0a000003);
	ip_fix(p);
}
static void more_fragments(uint8_t *p, size_t *len)
{
	put16(p + 6, 0x2000); /* MF, offset 0 */
	ip_fix(p);
}
static void later_fragment(uint8_t *p, size_t *len)
{
	put16(p + 6, 0x0003); /* offset 24 bytes, last fragment */
	ip_fix(p);
}

static const struct ip_row ip_rows[] = {
	{"bad header checksum", bad_header_csum, "IpInHdrErrors", "IpExtInCsumErrors"},
	{"version 6", version_6, "IpInHdrErrors", NULL},
	{"IHL 4", ihl_4, "IpInHdrErrors", NULL},
	{"IHL past tot_len", ihl_past_tot_len, "IpInHdrErrors", NULL},
	{"IHL past the data", ihl_past_buffer, "IpInHdrErrors", NULL},
	{"tot_len past the data", tot_len_past_buffer, "IpExtInTruncatedPkts", NULL},
	{"tot_len below 20", tot_len_below_ihl, "IpInHdrErrors", NULL},
	{"tot_len below IHL", tot_len_below_ihl_options, "IpInHdrErrors", NULL},
	{"shorter than a header", shorter_than_header, "IpInHdrErrors", NULL},
	{"not our address", not_our_address, "IpInAddrErrors", NULL},
	{"first fragment", more_fragments, "IpReasmReqds", "IpReasmFails"},
	{"later fragment", later_fragment, "IpReasmReqds", "IpReasmFails"},
};

static const char *const ip_counters[] = {
	"IpInHdrErrors", "IpExtInCsumErrors", "IpExtInTruncatedPkts", "IpInAddrErrors",
	"IpReasmReqds", "IpReasmFails", "IpInUnknownProtos", "IpInDelivers", "TcpInSegs",
};

/* Each broken header is dropped before TCP sees it, counted under Linux's
 * name and nothing else. */
static void ipv4__broken_header__dropped_and_counted(void **state)
{
	for (size_t i = 0; i < sizeof(ip_rows) / sizeof(ip_rows[0]); i++) {
		const struct ip_row *r = &ip_rows[i];
		struct scn *t = scn_new(NULL);
		fx_listen(t);
		uint8_t pkt[128];
		size_t len = good_syn(pkt);
		r->mangle(pkt, &len);
		expect_dropped(t, pkt, len);
		for (size_t c = 0; c < sizeof(ip_counters) / sizeof(ip_counters[0]); c++) {
			const char *name = ip_counters[c];
			uint64_t want = (strcmp(name, r->counter) == 0 ||
					 (r->also && strcmp(name, r->also) == 0));
			if (scn_counter(t, name) != want) {
				fprintf(stderr, "%s: %s = %llu, want %llu\n", r->name, name,
					(unsigned long long)scn_counter(t, name),
					(unsigned long long)want);
				fail();
			}
		}
		scn_free(t);
	}
}

/* RFC 1122 3.2.1.2 is silent on link padding; Linux trims bytes past
 * tot_len (pskb_trim_rcsum): a padded SYN is answered. */
static void ipv4__link_padding__trimmed(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	uint8_t pkt[128];
	size_t len = good_syn(pkt);
	memset(pkt + len, 0, 6);
	scn_inject_raw(t, 1, pkt, len + 6);
	scn_expect_synack(t, R_ISS + 1);
	scn_free(t);
}

/* RFC 791 3.1: IP options (here NOP NOP NOP EOL) lengthen the header; the
 * TCP segment after them is delivered. */
static void ipv4__header_options__segment_delivered(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	uint8_t syn[128], pkt[132];
	size_t len = good_syn(syn);
	memcpy(pkt, syn, 20);
	pkt[0] = 0x46;
	put16(pkt + 2, (uint16_t)(len + 4));
	pkt[20] = 1, pkt[21] = 1, pkt[22] = 1, pkt[23] = 0;
	memcpy(pkt + 24, syn + 20, len - 20);
	ip_fix(pkt);
	scn_inject_raw(t, 1, pkt, len + 4);
	scn_expect_synack(t, R_ISS + 1);
	scn_free(t);
}

/* ===== TCP header (Linux tcp_v4_rcv) ==================================== */

/* A bad TCP checksum: TcpInErrs and TcpInCsumErrors, no RST, nothing
 * created. TcpInSegs counts it ("count it even if it's bad"). */
static void tcp__bad_checksum__in_errs_and_csum_errors(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	uint8_t pkt[128];
	size_t len = good_syn(pkt);
	pkt[IPV4_HDR_LEN + 16] ^= 0x40;
	expect_dropped(t, pkt, len);
	assert_int_equal(scn_counter(t, "TcpInErrs"), 1);
	assert_int_equal(scn_counter(t, "TcpInCsumErrors"), 1);
	assert_int_equal(scn_counter(t, "TcpInSegs"), 1);
	assert_int_equal(scn_counter(t, "IpInDelivers"), 1);
	assert_int_equal(scn_counter(t, "TcpOutRsts"), 0);
	scn_free(t);
}

/* Data offset below 5 (even with a good checksum): TcpInErrs. */
static void tcp__data_offset_below_5__in_errs(void **state)
{
	for (uint8_t doff = 0; doff < 5; doff++) {
		struct scn *t = scn_new(NULL);
		fx_listen(t);
		uint8_t pkt[128];
		size_t len = good_syn(pkt);
		pkt[IPV4_HDR_LEN + 12] = (uint8_t)(doff << 4);
		tcp_fix(pkt, len - IPV4_HDR_LEN);
		expect_dropped(t, pkt, len);
		assert_int_equal(scn_counter(t, "TcpInErrs"), 1);
		assert_int_equal(scn_counter(t, "TcpInCsumErrors"), 0);
		scn_free(t);
	}
}

/* A data offset past the segment, or a segment shorter than 20 bytes:
 * dropped without an answer. */
static void tcp__data_offset_past_end_or_short__dropped(void **state)
{
	for (int variant = 0; variant < 2; variant++) {
		struct scn *t = scn_new(NULL);
		fx_listen(t);
		uint8_t pkt[128];
		size_t len = good_syn(pkt);
		if (variant == 0) {
			pkt[IPV4_HDR_LEN + 12] = 0xf0; /* 60 bytes of header in 24 */
			tcp_fix(pkt, len - IPV4_HDR_LEN);
		} else {
			len = IPV4_HDR_LEN + 12;
			put16(pkt + 2, (uint16_t)len);
			ip_fix(pkt);
		}
		expect_dropped(t, pkt, len);
		assert_int_equal(scn_counter(t, "TcpInSegs"), 1);
		assert_int_equal(scn_counter(t, "TcpInCsumErrors"), 0);
		scn_free(t);
	}
}

/* Linux tcp_v4_rcv sends such a packet to discard_it without counting it;
 * synack counts every drop (house rule: bad input is a counted drop), and
 * TcpInErrs is the counter for a segment that cannot be parsed. */
static void tcp__data_offset_past_end__counted_in_errs(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	uint8_t pkt[128];
	size_t len = good_syn(pkt);
	pkt[IPV4_HDR_LEN + 12] = 0xf0;
	tcp_fix(pkt, len - IPV4_HDR_LEN);
	expect_dropped(t, pkt, len);
	assert_int_equal(scn_counter(t, "TcpInErrs"), 1);
	assert_int_equal(scn_counter(t, "TcpInCsumErrors"), 0);
	scn_free(t);
}

/* ===== TCP options (RFC 9293 3.2; Linux tcp_parse_options) ============= */

struct opt_row {
	const char *name;
	uint8_t opt[12];
	size_t olen;
	int mss;       /* the send MSS the child ends up with (TCP_MAXSEG) */
};

/* A list that cannot be walked stops the walk and keeps the segment
 * (RFC 9293 3.2: be liberal); a wrong-length known option is skipped by
 * its length; what follows EOL is not read. Without an MSS the send MSS
 * is 536 (RFC 9293 3.7.1). */
static const struct opt_row opt_rows[] = {
	{"MSS cut off", {1, 1, 2, 4}, 4, 536},
	{"length 0", {3, 0, 2, 4, 0x03, 0xe8, 0, 0}, 8, 536},
	{"length 1", {8, 1, 2, 4, 0x03, 0xe8, 0, 0}, 8, 536},
	{"length past the end", {2, 4, 0x03, 0xe8, 5, 20, 0, 0}, 8, 1000},
	{"kind without length byte", {2, 4, 0x03, 0xe8, 1, 1, 1, 30}, 8, 1000},
	{"wrong-length MSS skipped", {2, 3, 0x05, 2, 4, 0x03, 0xe8, 0}, 8, 1000},
	{"MSS after EOL", {0, 2, 4, 0x03, 0xe8, 0, 0, 0}, 8, 536},
	{"MSS 0 ignored", {2, 4, 0, 0}, 4, 536},
	{"unknown kind skipped", {99, 4, 0xaa, 0xbb, 2, 4, 0x03, 0xe8}, 8, 1000},
};

/* A SYN with a broken option list still gets a SYN-ACK, and the child's
 * MSS shows what the parse kept. */
static void syn__broken_options__still_answered(void **state)
{
	for (size_t i = 0; i < sizeof(opt_rows) / sizeof(opt_rows[0]); i++) {
		const struct opt_row *r = &opt_rows[i];
		struct scn *t = scn_new(NULL);
		int lfd = fx_listen(t);
		uint8_t pkt[128];
		size_t len = raw_seg(pkt, SYN, R_ISS, 0, r->opt, r->olen, NULL, R_PORT);
		scn_inject_raw(t, 1, pkt, len);
		uint32_t iss = scn_expect_synack(t, R_ISS + 1);
		scn_inject(t, 2, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
		int fd = synack_accept(t->st, lfd, NULL, NULL);
		assert_true(fd >= 0);
		int mss = 0;
		socklen_t sl = sizeof(mss);
		assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss,
						   &sl), 0);
		if (mss != r->mss) {
			fprintf(stderr, "%s: MSS %d, want %d\n", r->name, mss, r->mss);
			fail();
		}
		scn_free(t);
	}
}

/* Options on an established connection that cannot be walked do not stop
 * the data: it is taken and acked. */
static void estab__data_with_broken_options__accepted(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	static const uint8_t opt[] = {8, 0, 0, 0};
	uint8_t pkt[128];
	size_t len = raw_seg(pkt, ACK | PSH, R_ISS + 1, iss + 1, opt, sizeof(opt), "abc", R_PORT);
	scn_inject_raw(t, 1, pkt, len);
	scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 4, .wnd = WND - 3));
	char b[4];
	assert_int_equal(synack_recv(t->st, fd, b, sizeof(b), 0), 3);
	assert_memory_equal(b, "abc", 3);
	scn_free(t);
}

/* ===== Seeded fuzz ====================================================== */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 20000 packets made from a valid SYN (with data, MSS, and a timestamp
 * option) by random bit flips and truncations; half get their checksums
 * repaired so they reach TCP. Then a clean handshake must still work. */
static void fuzz__mangled_syns__no_crash_still_usable(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	static const uint8_t opt[] = {MSS_OPT, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
	uint8_t base[128];
	size_t base_len = raw_seg(base, SYN, R_ISS, 0, opt, sizeof(opt), "payload!", R_PORT);
	uint64_t seed = 0x5eed5eed12345678ull;
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t pkt[128];
		memcpy(pkt, base, base_len);
		size_t len = base_len;
		unsigned flips = 1 + (unsigned)(xorshift(&seed) % 4);
		bool repair = xorshift(&seed) & 1;
		for (unsigned f = 0; f < flips; f++) {
			uint64_t r = xorshift(&seed);
			/* Repaired packets are flipped only from the TCP
			 * header on, so they keep reaching TCP. */
			size_t lo = repair ? IPV4_HDR_LEN : 0;
			size_t at = lo + (size_t)(r % (base_len - lo));
			pkt[at] ^= (uint8_t)(1u << ((r >> 32) % 8));
		}
		if (xorshift(&seed) % 4 == 0)
			len = (size_t)(xorshift(&seed) % (base_len + 1));
		if (repair && len >= IPV4_HDR_LEN && len == base_len) {
			tcp_fix(pkt, len - IPV4_HDR_LEN);
			ip_fix(pkt);
		}
		scn_inject_raw(t, i / 10, pkt, len);
	}
	assert_int_equal(scn_counter(t, "IpInReceives"), 20000);
	assert_true(scn_counter(t, "TcpInSegs") > 5000);
	assert_int_equal(scn_state(t, lfd), SYNACK_LISTEN);
	struct tcp_seg seg;
	while (scn_pop(t, &seg, NULL))
		;
	/* A clean handshake from a fresh port. */
	scn_inject(t, 2000, SEG(.flags = SYN, .seq = 1000, .mss = 1460, .sport = 55555));
	struct tcp_seg sa;
	assert_true(scn_pop(t, &sa, NULL));
	assert_int_equal(sa.flags, SYN | ACK);
	assert_int_equal(sa.ack, 1001);
	assert_int_equal(sa.dport, 55555);
	scn_inject(t, 2000, SEG(.flags = ACK, .seq = 1001, .ack = sa.seq + 1, .sport = 55555));
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	int fd;
	do {
		fl = sizeof(from);
		fd = synack_accept(t->st, lfd, (struct sockaddr *)&from, &fl);
	} while (fd >= 0 && ntohs(from.sin_port) != 55555);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4__broken_header__dropped_and_counted),
		cmocka_unit_test(ipv4__link_padding__trimmed),
		cmocka_unit_test(ipv4__header_options__segment_delivered),
		cmocka_unit_test(tcp__bad_checksum__in_errs_and_csum_errors),
		cmocka_unit_test(tcp__data_offset_below_5__in_errs),
		cmocka_unit_test(tcp__data_offset_past_end_or_short__dropped),
		cmocka_unit_test(tcp__data_offset_past_end__counted_in_errs),
		cmocka_unit_test(syn__broken_options__still_answered),
		cmocka_unit_test(estab__data_with_broken_options__accepted),
		cmocka_unit_test(fuzz__mangled_syns__no_crash_still_usable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
