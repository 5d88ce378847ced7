/*
 * synflood: N SYNs from random spoofed sources at one listener (backlog
 * 128, one stack, SYN-ACKs to nowhere), with tcp_syncookies=1 (the queue
 * fills, then cookies) and =0 (the queue fills, then drops). Figures: SYNs
 * per CPU second each way, heap per SYN-queue entry, peak heap of the run.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_net.h"
#include "bench_tests.h"
#include "rawpkt.h"

static void drop_tx(void *ctx, const void *pkt, size_t len)
{
	(void)ctx, (void)pkt, (void)len;
}

/* A 44-byte IPv4 SYN with MSS 1460 from a random 100.64.0.0/10 source. */
static size_t spoofed_syn(uint64_t *s, uint8_t *b)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	uint32_t saddr = 0x64400000u | (uint32_t)(z & 0x3fffff), daddr = 0x0a000002u;
	return bench_tcp_packet(b, saddr, daddr, (uint16_t)(1024 + (z >> 22) % 60000), BENCH_PORT,
				(uint32_t)(z >> 32), 0, 0x02, 64240, 1460);
}

static struct synack_stack *flood_stack(const char *cookies, int backlog, uint64_t seed, int *lfd)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	synack_config_set(&cfg, "tcp_syncookies", cookies);
	struct synack_params p = {.config = &cfg, .seed = seed, .env = {.send = drop_tx}};
	inet_pton(AF_INET, BENCH_ADDR_SERVER, &p.addr);
	struct synack_stack *st = synack_stack_new(&p);
	if (!st)
		return NULL;
	*lfd = synack_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(BENCH_PORT)};
	if (synack_bind(st, *lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    synack_listen(st, *lfd, backlog) < 0) {
		synack_stack_free(st);
		return NULL;
	}
	return st;
}

/* n SYNs, 100 per virtual millisecond; CPU seconds and peak heap. */
static int flood(const char *cookies, int backlog, uint64_t seed, uint64_t n, double *cpu,
		 int64_t *peak, int64_t *base)
{
	int lfd;
	int64_t h0 = bench_heap_bytes();
	struct synack_stack *st = flood_stack(cookies, backlog, seed, &lfd);
	if (!st)
		return -1;
	*base = bench_heap_bytes() - h0;
	*peak = *base;
	uint8_t buf[128];
	uint64_t rng = seed;
	synack_time_t now = 0;
	double t0 = bench_cpu_seconds();
	for (uint64_t i = 0; i < n; i++) {
		size_t len = spoofed_syn(&rng, buf);
		if (i % 100 == 0)
			now += 1000;
		synack_input(st, buf, len, now);
		if (i % 65536 == 0) {
			int64_t h = bench_heap_bytes() - h0;
			*peak = h > *peak ? h : *peak;
		}
	}
	*cpu = bench_cpu_seconds() - t0;
	int64_t h = bench_heap_bytes() - h0;
	*peak = h > *peak ? h : *peak;
	synack_stack_free(st);
	return 0;
}

int bench_synflood(uint64_t seed, uint64_t n, struct synflood_result *r, char *why)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	int64_t base;
	if (flood("1", 128, seed, n, &r->cpu_cookies_s, &r->peak_heap_cookies, &base) < 0 ||
	    flood("0", 128, seed, n, &r->cpu_drop_s, &r->peak_heap_drop, &base) < 0) {
		snprintf(why, BENCH_WHY, "could not set up a listener");
		return -1;
	}
	/* Heap per request: 1024 requests (backlog 4095, cookies off, below
	 * 3/4 of tcp_max_syn_backlog) less the empty stack, per entry. */
	double cpu;
	int64_t peak, empty;
	if (flood("0", 4095, seed, 0, &cpu, &empty, &base) < 0 ||
	    flood("0", 4095, seed, 1024, &cpu, &peak, &base) < 0) {
		snprintf(why, BENCH_WHY, "could not set up a listener");
		return -1;
	}
	r->measured = peak > 0;
	r->req_bytes = (double)(peak - empty) / 1024.0;
	return 0;
}
