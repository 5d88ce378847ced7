#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "wire/ipv4.h"

static void on_send(void *ctx, const void *pkt, size_t len)
{
	struct scn *t = ctx;
	if (t->nout == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->out = realloc(t->out, t->cap * sizeof(*t->out));
		assert_non_null(t->out);
	}
	struct scn_pkt *p = &t->out[t->nout++];
	p->data = malloc(len);
	assert_non_null(p->data);
	memcpy(p->data, pkt, len);
	p->len = len;
	p->at = synack_now(t->st);
}

/* env.xmit: the device refuses while the test says its queue is full. */
static int on_xmit(void *ctx, const void *pkt, size_t len)
{
	struct scn *t = ctx;
	if (t->refuse) {
		t->refused++;
		return SYNACK_XMIT_DROP;
	}
	on_send(ctx, pkt, len);
	return SYNACK_XMIT_OK;
}

static void on_trace(void *ctx, const struct synack_trace *ev)
{
	struct scn *t = ctx;
	if (ev->kind == SYNACK_TRACE_STATE && t->nstates < 256 &&
	    (!t->watch_conn || t->watch_conn == ev->conn))
		t->states[t->nstates++] = ev->new_state;
	if (t->verbose && ev->kind == SYNACK_TRACE_DROP)
		fprintf(stderr, "  drop: %s (%s)\n", ev->why, ev->counter);
}

struct scn *scn_new(const struct synack_config *cfg)
{
	struct scn *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	if (cfg)
		t->cfg = *cfg;
	else
		synack_config_default(&t->cfg);
	t->verbose = getenv("SCN_VERBOSE") != NULL;
	struct synack_params p = {
		.addr = {htonl(L_ADDR)},
		.mtu = 1500,
		.seed = 1,
		.now = 0,
		.env = {.ctx = t, .send = on_send, .trace = on_trace, .xmit = on_xmit},
		.config = &t->cfg,
	};
	t->st = synack_stack_new(&p);
	assert_non_null(t->st);
	return t;
}

void scn_free(struct scn *t)
{
	synack_stack_free(t->st);
	for (size_t i = 0; i < t->nout; i++)
		free(t->out[i].data);
	free(t->out);
	free(t);
}

void scn_at(struct scn *t, uint64_t at_ms)
{
	synack_time_t to = SYNACK_MS(at_ms);
	assert_true(to >= t->now);
	/* Step through every deadline so each timer runs at its own time. */
	for (;;) {
		synack_time_t next = synack_poll(t->st, t->now);
		if (next == SYNACK_TIME_NEVER || next > to)
			break;
		assert_true(next > t->now);
		t->now = next;
	}
	t->now = to;
	synack_poll(t->st, t->now);
}

size_t scn_build(const struct seg_spec *s, uint8_t *out, size_t cap)
{
	struct tcp_seg seg;
	memset(&seg, 0, sizeof(seg));
	seg.saddr = R_ADDR;
	seg.daddr = L_ADDR;
	seg.sport = s->sport ? s->sport : R_PORT;
	seg.dport = s->dport ? s->dport : L_PORT;
	seg.seq = s->seq;
	seg.ack = s->ack;
	seg.flags = s->flags;
	seg.wnd = (uint16_t)(s->wnd == SEG_WND_DEFAULT ? PEER_WND : s->wnd);
	if (s->mss) {
		seg.opt.has_mss = true;
		seg.opt.mss = s->mss;
	}
	if (s->opt)
		seg.opt = *s->opt;
	seg.len = s->len ? s->len : (s->data ? (uint32_t)strlen(s->data) : 0);
	seg.data = (const uint8_t *)s->data;
	size_t n = tcp_seg_emit(&seg, out + IPV4_HDR_LEN, cap - IPV4_HDR_LEN);
	assert_true(n > 0);
	ipv4_emit_tos(out, R_ADDR, L_ADDR, IPPROTO_TCP_, 64, s->tos, 1, (uint16_t)n, 1);
	return n + IPV4_HDR_LEN;
}

void scn_inject_raw(struct scn *t, uint64_t at_ms, const void *pkt, size_t len)
{
	scn_at(t, at_ms);
	synack_input(t->st, pkt, len, t->now);
}

void scn_inject(struct scn *t, uint64_t at_ms, struct seg_spec s)
{
	uint8_t buf[2048];
	size_t n = scn_build(&s, buf, sizeof(buf));
	scn_inject_raw(t, at_ms, buf, n);
}

bool scn_pop(struct scn *t, struct tcp_seg *seg, synack_time_t *at)
{
	while (t->head < t->nout) {
		struct scn_pkt *p = &t->out[t->head++];
		struct ipv4_hdr ip;
		assert_int_equal(ipv4_parse(&ip, p->data, p->len), IPV4_OK);
		if (ip.proto != IPPROTO_TCP_)
			continue;
		assert_int_equal(tcp_seg_parse(seg, ip.saddr, ip.daddr, ip.payload, ip.payload_len),
				 TCP_PARSE_OK);
		seg->tos = ip.tos;
		if (at)
			*at = p->at;
		return true;
	}
	return false;
}

static void fmt_spec(const struct seg_spec *s, char *buf, size_t len)
{
	struct tcp_seg seg = {.seq = s->seq, .ack = s->ack, .flags = s->flags,
			      .len = s->len ? s->len : (s->data ? (uint32_t)strlen(s->data) : 0)};
	int n = tcp_seg_format(&seg, buf, len);
	snprintf(buf + n, len - (size_t)n, "<WND=%d><TOS=%#x>", s->wnd, s->tos);
}

static void fmt_seg(const struct tcp_seg *seg, char *buf, size_t len)
{
	int n = tcp_seg_format(seg, buf, len);
	snprintf(buf + n, len - (size_t)n, "<WND=%u><TOS=%#x>", seg->wnd, seg->tos);
}

void scn_expect_at_(struct scn *t, struct seg_spec s, uint64_t at_ms, const char *file, int line)
{
	if (s.wnd == SEG_WND_DEFAULT)
		s.wnd = WND;
	struct tcp_seg seg;
	synack_time_t at;
	char want[160], got[160];
	fmt_spec(&s, want, sizeof(want));
	if (!scn_pop(t, &seg, &at)) {
		fprintf(stderr, "%s:%d: expected %s, nothing was sent\n", file, line, want);
		fail();
	}
	fmt_seg(&seg, got, sizeof(got));
	uint32_t len = s.len ? s.len : (s.data ? (uint32_t)strlen(s.data) : 0);
	uint8_t mask = s.any_psh ? (uint8_t)~TCP_PSH : 0xff;
	bool ok = (seg.flags & mask) == (s.flags & mask) && seg.len == len &&
		  (s.any_seq || seg.seq == s.seq) &&
		  (s.any_ack || !(s.flags & TCP_ACK) || seg.ack == s.ack) &&
		  (s.any_wnd || seg.wnd == (uint16_t)s.wnd) && (s.any_tos || seg.tos == s.tos) &&
		  (!s.data || memcmp(seg.data, s.data, len) == 0) &&
		  seg.sport == (s.dport ? s.dport : L_PORT) && seg.dport == (s.sport ? s.sport : R_PORT);
	if (!ok) {
		fprintf(stderr, "%s:%d: segment mismatch\n  expected %s\n  got      %s (ports %u->%u)\n",
			file, line, want, got, seg.sport, seg.dport);
		fail();
	}
	if (at_ms != UINT64_MAX && at != SYNACK_MS(at_ms)) {
		fprintf(stderr, "%s:%d: %s sent at %llu us, expected at %llu ms\n", file, line, got,
			(unsigned long long)at, (unsigned long long)at_ms);
		fail();
	}
}

void scn_expect_none_(struct scn *t, const char *file, int line)
{
	struct tcp_seg seg;
	if (scn_pop(t, &seg, NULL)) {
		char got[160];
		fmt_seg(&seg, got, sizeof(got));
		fprintf(stderr, "%s:%d: expected no segment, got %s\n", file, line, got);
		fail();
	}
}

uint32_t scn_expect_syn_(struct scn *t, bool synack, uint32_t ack, const char *file, int line)
{
	struct tcp_seg seg;
	if (!scn_pop(t, &seg, NULL)) {
		fprintf(stderr, "%s:%d: expected a SYN, nothing was sent\n", file, line);
		fail();
	}
	uint8_t want = synack ? (TCP_SYN | TCP_ACK) : TCP_SYN;
	if (seg.flags != want || (synack && seg.ack != ack) || seg.len != 0 || !seg.opt.has_mss ||
	    seg.opt.mss != 1460) {
		char got[160];
		fmt_seg(&seg, got, sizeof(got));
		fprintf(stderr, "%s:%d: expected %s (MSS 1460), got %s\n", file, line,
			synack ? "SYN,ACK" : "SYN", got);
		fail();
	}
	return seg.seq;
}

int fx_listen(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(t->st, fd, 16), 0);
	return fd;
}

/* The passive handshake behind fx_passive_established(_rtt); *lfd gets
 * the listener. */
static int passive_established(struct scn *t, uint64_t ack_ms, int *lfd, uint32_t *iss)
{
	*lfd = fx_listen(t);
	uint64_t t0 = t->now / 1000;
	scn_inject(t, t0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t s = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, t0 + ack_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s + 1));
	scn_expect_none(t);
	int fd = synack_accept4(t->st, *lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	if (iss)
		*iss = s;
	return fd;
}

int fx_passive_established(struct scn *t, uint32_t *iss)
{
	int lfd;
	return passive_established(t, 0, &lfd, iss);
}

int fx_passive_established_rtt(struct scn *t, uint64_t ack_ms, uint32_t *iss)
{
	int lfd;
	return passive_established(t, ack_ms, &lfd, iss);
}

/* Our FIN from ESTABLISHED, by close() or shutdown(SHUT_WR). */
static void send_fin(struct scn *t, int fd, bool orphan, uint32_t iss, uint32_t ack, int32_t wnd)
{
	if (orphan)
		assert_int_equal(synack_close(t->st, fd), 0);
	else
		assert_int_equal(synack_shutdown(t->st, fd, SHUT_WR), 0);
	scn_expect(t, SEG(.flags = FIN | ACK, .seq = iss + 1, .ack = ack, .wnd = wnd));
}

int fx_fin_wait1(struct scn *t, bool orphan, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	send_fin(t, fd, orphan, *iss, R_ISS + 1, WND);
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT1);
	return fd;
}

int fx_closing(struct scn *t, bool orphan, uint32_t *iss)
{
	int fd = fx_fin_wait1(t, orphan, iss);
	uint64_t t0 = t->now / 1000;
	scn_inject(t, t0 + 5, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = *iss + 1));
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 2, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSING);
	return fd;
}

int fx_close_wait(struct scn *t, uint32_t *iss)
{
	int fd = fx_passive_established(t, iss);
	uint64_t t0 = t->now / 1000;
	scn_inject(t, t0 + 10, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = *iss + 1));
	scn_expect_none(t);
	scn_at(t, t0 + 11); /* Linux tcp_fin: pingpong, delayed ACK on the next tick */
	scn_expect_at(t, t0 + 11, SEG(.flags = ACK, .seq = *iss + 1, .ack = R_ISS + 2, .wnd = WND - 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE_WAIT);
	return fd;
}

int fx_last_ack(struct scn *t, bool orphan, uint32_t *iss)
{
	uint64_t t0 = t->now / 1000;
	int fd = fx_close_wait(t, iss);
	scn_at(t, t0 + 20);
	send_fin(t, fd, orphan, *iss, R_ISS + 2, WND - 1);
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_LAST_ACK);
	return fd;
}

int fx_time_wait(struct scn *t, uint32_t *iss)
{
	int lfd;
	int fd = passive_established(t, 0, &lfd, iss);
	uint64_t t0 = t->now / 1000;
	send_fin(t, fd, true, *iss, R_ISS + 1, WND);
	scn_inject(t, t0 + 5, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = *iss + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_FIN_WAIT2);
	scn_inject(t, t0 + 1000, SEG(.flags = FIN | ACK, .seq = R_ISS + 1, .ack = *iss + 2));
	scn_expect(t, SEG(.flags = ACK, .seq = *iss + 2, .ack = R_ISS + 2));
	scn_expect_none(t);
	assert_int_equal(scn_conn_state(t), SYNACK_TIME_WAIT);
	return lfd;
}

int fx_passive_established_opts(struct scn *t, const struct tcp_opts *syn_opt, uint64_t ack_ms,
				uint32_t *iss)
{
	int lfd = fx_listen(t);
	uint64_t t0 = t->now / 1000;
	scn_inject(t, t0, SEG(.flags = SYN, .seq = R_ISS, .opt = syn_opt));
	struct tcp_seg s;
	assert_true(scn_pop(t, &s, NULL));
	assert_int_equal(s.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s.ack, R_ISS + 1);
	struct tcp_opts ack = {.has_ts = syn_opt->has_ts, .tsval = syn_opt->tsval + 1,
			       .tsecr = s.opt.tsval};
	scn_inject(t, t0 + ack_ms, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = s.seq + 1, .opt = &ack));
	int fd = synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(fd >= 0);
	if (iss)
		*iss = s.seq;
	return fd;
}

void scn_connect(struct scn *t, int fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(R_PORT),
				  .sin_addr = {htonl(R_ADDR)}};
	assert_int_equal(synack_connect(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
}

int fx_active_established(struct scn *t, uint32_t *iss)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	/* The peer is the listener here: bind our side to L_PORT so the
	 * scripted segments' default ports fit. */
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&me, sizeof(me)), 0);
	scn_connect(t, fd);
	uint32_t s = scn_expect_syn(t);
	scn_inject(t, t->now / 1000, SEG(.flags = SYN | ACK, .seq = R_ISS, .ack = s + 1, .mss = 1460));
	scn_expect(t, SEG(.flags = ACK, .seq = s + 1, .ack = R_ISS + 1));
	assert_int_equal(scn_state(t, fd), SYNACK_ESTABLISHED);
	if (iss)
		*iss = s;
	return fd;
}

int scn_state(struct scn *t, int fd)
{
	struct synack_sockinfo rows[64];
	size_t n = synack_sockets(t->st, rows, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (rows[i].fd == fd)
			return rows[i].state;
	return SYNACK_CLOSE;
}

bool scn_conn_row_port(struct scn *t, uint16_t rport, struct synack_sockinfo *out)
{
	struct synack_sockinfo rows[64];
	size_t n = synack_sockets(t->st, rows, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (ntohl(rows[i].peer.sin_addr.s_addr) == R_ADDR &&
		    ntohs(rows[i].peer.sin_port) == rport) {
			*out = rows[i];
			return true;
		}
	return false;
}

bool scn_conn_row(struct scn *t, struct synack_sockinfo *out)
{
	return scn_conn_row_port(t, R_PORT, out);
}

int scn_conn_state(struct scn *t)
{
	struct synack_sockinfo r;
	return scn_conn_row(t, &r) ? r.state : SYNACK_CLOSE;
}

uint64_t scn_counter(struct scn *t, const char *name)
{
	return synack_counter(t->st, name);
}

size_t scn_nsockets(struct scn *t)
{
	struct synack_sockinfo rows[8];
	return synack_sockets(t->st, rows, 8);
}

uint32_t scn_recv_q(struct scn *t, int fd)
{
	struct synack_sockinfo rows[64];
	size_t n = synack_sockets(t->st, rows, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (rows[i].fd == fd)
			return rows[i].recv_q;
	fail();
	return 0;
}

void scn_set_int(struct scn *t, int fd, int level, int name, int v)
{
	assert_int_equal(synack_setsockopt(t->st, fd, level, name, &v, sizeof(v)), 0);
}

int scn_get_int(struct scn *t, int fd, int level, int name)
{
	int v = -12345; /* no value an option reports: one left unwritten shows */
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(t->st, fd, level, name, &v, &len), 0);
	assert_int_equal(len, sizeof(int));
	return v;
}
