/*
 * A SYN flood over memlink: spoofed SYNs from random sources at one
 * listener (backlog 128) while 1,000 real clients on another stack
 * connect. With tcp_syncookies=1 every real client connects and the
 * listener holds at most backlog + 1 requests (no memory per cookie);
 * with tcp_syncookies=0 the refused SYNs are counted and nothing breaks.
 *
 * 1,000,000 SYNs each way (about 7 s under ASan); SYNACK_SYNFLOOD_N
 * changes the count for quick local runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <synack/memlink.h>
#include <synack/synack.h>

#include "wire/ipv4.h"
#include "wire/tcp.h"

#define CLIENTS 1000
#define BACKLOG 128
#define ROWS_MAX 4096

struct flood {
	struct memlink *net;
	struct synack_stack *srv, *cli;
	int attacker;
	int lfd;
	int cfd[CLIENTS];
	int accepted;
	uint64_t rng;
	size_t peak_rows, peak_requests;
	struct synack_sockinfo *rows;
};

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void discard(void *ctx, synack_time_t now, const void *pkt, size_t len)
{
	(void)ctx, (void)now, (void)pkt, (void)len;
}

/* One SYN from a random address in 100.64.0.0/10 (never a host here). */
static void spoofed_syn(struct flood *f)
{
	uint64_t r = next_rand(&f->rng);
	uint32_t saddr = 0x64400000u | (uint32_t)(r & 0x3fffff);
	struct tcp_seg seg = {.saddr = saddr, .daddr = 0x0a000001u,
			      .sport = (uint16_t)(1024 + ((r >> 22) % 60000)), .dport = 80,
			      .seq = (uint32_t)(r >> 32), .flags = TCP_SYN, .wnd = 64240,
			      .opt = {.has_mss = true, .mss = 1460}};
	uint8_t buf[128];
	size_t n = tcp_seg_emit(&seg, buf + IPV4_HDR_LEN, sizeof(buf) - IPV4_HDR_LEN);
	ipv4_emit(buf, saddr, 0x0a000001u, IPPROTO_TCP_, 64, 1, (uint16_t)n, 1);
	memlink_inject(f->net, f->attacker, buf, n + IPV4_HDR_LEN);
}

static void setup(struct flood *f, const char *cookies)
{
	memset(f, 0, sizeof(*f));
	f->rng = 42;
	f->net = memlink_new(7, 0);
	struct synack_config cfg;
	synack_config_default(&cfg);
	assert_int_equal(synack_config_set(&cfg, "tcp_syncookies", cookies), 0);
	f->srv = memlink_stack_add(f->net, "10.0.0.1", &cfg, NULL, NULL);
	f->cli = memlink_stack_add(f->net, "10.0.0.2", NULL, NULL, NULL);
	struct in_addr a = {htonl(0x0a000003u)};
	f->attacker = memlink_host_add(f->net, a);
	memlink_host_attach_fn(f->net, f->attacker, discard, NULL);
	struct memlink_path p = {.delay = 1000};
	memlink_set_path(f->net, -1, -1, &p);
	f->lfd = synack_socket(f->srv, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	assert_int_equal(synack_bind(f->srv, f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(f->srv, f->lfd, BACKLOG), 0);
	f->rows = calloc(ROWS_MAX, sizeof(*f->rows));
	for (int i = 0; i < CLIENTS; i++)
		f->cfd[i] = -1;
}

static void teardown(struct flood *f)
{
	free(f->rows);
	memlink_free(f->net);
}

static void connect_client(struct flood *f, int i)
{
	int fd = synack_socket(f->cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr = {htonl(0x0a000001u)}};
	assert_int_equal(synack_connect(f->cli, fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
	f->cfd[i] = fd;
}

/* Accept what is queued; watch the listener's memory (rows = sockets +
 * requests; SYN-RECV rows = requests). */
static void serve(struct flood *f)
{
	while (synack_accept(f->srv, f->lfd, NULL, NULL) >= 0)
		f->accepted++;
	size_t n = synack_sockets(f->srv, f->rows, ROWS_MAX), req = 0;
	assert_true(n <= ROWS_MAX);
	for (size_t i = 0; i < n; i++)
		req += f->rows[i].state == SYNACK_SYN_RECV;
	if (n > f->peak_rows)
		f->peak_rows = n;
	if (req > f->peak_requests)
		f->peak_requests = req;
}

static int connected(struct flood *f)
{
	struct synack_sockinfo *r = f->rows;
	size_t n = synack_sockets(f->cli, r, ROWS_MAX);
	int c = 0;
	for (size_t i = 0; i < n && i < ROWS_MAX; i++)
		c += r[i].state == SYNACK_ESTABLISHED;
	return c;
}

/* The flood: N spoofed SYNs, 100 per virtual millisecond, one real client
 * starting every N / 1000 of them; then 70 s for stragglers. */
static void run_flood(struct flood *f, uint64_t n)
{
	uint64_t per_client = n / CLIENTS ? n / CLIENTS : 1;
	int started = 0;
	for (uint64_t i = 0; i < n; i++) {
		spoofed_syn(f);
		if (i % per_client == 0 && started < CLIENTS)
			connect_client(f, started++);
		if (i % 100 == 99) {
			memlink_run_until(f->net, memlink_now(f->net) + 1000);
			serve(f);
		}
	}
	while (started < CLIENTS)
		connect_client(f, started++);
	synack_time_t end = memlink_now(f->net) + SYNACK_SEC(70);
	while (memlink_now(f->net) < end) {
		memlink_run_until(f->net, memlink_now(f->net) + 10000);
		serve(f);
	}
}

static uint64_t flood_n(void)
{
	const char *e = getenv("SYNACK_SYNFLOOD_N");
	return e ? strtoull(e, NULL, 10) : 1000000;
}

/* Cookies on: every real client is served, and the SYN queue never holds
 * more than backlog + 1 requests (qlen > backlog means full). */
static void synflood__syncookies_1__every_client_connects_memory_bounded(void **state)
{
	struct flood f;
	setup(&f, "1");
	uint64_t n = flood_n();
	run_flood(&f, n);
	assert_int_equal(f.accepted, CLIENTS);
	assert_int_equal(connected(&f), CLIENTS);
	assert_true(f.peak_requests <= BACKLOG + 1);
	assert_true(f.peak_rows <= 1 + BACKLOG + 1 + CLIENTS);
	assert_true(synack_counter(f.srv, "TcpExtSyncookiesSent") >= n - BACKLOG - 1);
	assert_true(synack_counter(f.srv, "TcpExtSyncookiesRecv") > 0);
	assert_int_equal(synack_counter(f.srv, "TcpExtSyncookiesFailed"), 0);
	printf("# syncookies=1: %llu SYNs, peak %zu requests, %zu rows, %llu cookies back\n",
	       (unsigned long long)n, f.peak_requests, f.peak_rows,
	       (unsigned long long)synack_counter(f.srv, "TcpExtSyncookiesRecv"));
	teardown(&f);
}

/* Cookies off: the full queue refuses SYNs (TCPReqQFullDrop, ListenDrops),
 * real clients included, until the spoofed requests expire at 63 s;
 * memory stays bounded and nothing crashes. */
static void synflood__syncookies_0__drops_counted_memory_bounded(void **state)
{
	struct flood f;
	setup(&f, "0");
	uint64_t n = flood_n();
	run_flood(&f, n);
	uint64_t drops = synack_counter(f.srv, "TcpExtTCPReqQFullDrop");
	assert_true(drops >= n - BACKLOG - 1);
	assert_true(synack_counter(f.srv, "TcpExtListenDrops") >= drops);
	assert_int_equal(synack_counter(f.srv, "TcpExtSyncookiesSent"), 0);
	assert_true(f.peak_requests <= BACKLOG + 1);
	assert_true(f.peak_rows <= 1 + BACKLOG + 1 + CLIENTS);
	printf("# syncookies=0: %llu SYNs, %llu refused, %d of %d clients accepted\n",
	       (unsigned long long)n, (unsigned long long)drops, f.accepted, CLIENTS);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(synflood__syncookies_1__every_client_connects_memory_bounded),
		cmocka_unit_test(synflood__syncookies_0__drops_counted_memory_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
