/*
 * bench timewait: the heap that TIME-WAIT and orphans cost.
 *
 * One stack, 10.0.0.2, listens on BENCH_PORT; this file plays many peers
 * with hand-built packets (no second stack, no memlink): for each, a SYN,
 * the ACK of the SYN-ACK, the server's close() (its FIN), then the peer's
 * FIN acking it. The server ends in TIME-WAIT, held by a timewait entry.
 * Peers are 11.x.y.z:1024-60999, so n may run into the millions. The heap
 * (mallinfo2) before the first connection and after the last gives bytes
 * per entry, hash table included. Orphans: n_orphan connections closed by
 * the server that the peers never acknowledge (FIN-WAIT-1, full sockets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "bench_net.h"
#include "bench_tests.h"
#include "rawpkt.h"

#define TW_SERVER 0x0a000002u /* 10.0.0.2 */
#define TW_PEER_BASE 0x0b000000u /* 11.0.0.0 */
#define TW_PORTS 59976u /* 1024..60999 per peer address */

struct tw_bench {
	struct synack_stack *st;
	synack_time_t now;
	uint32_t last_seq;         /* SEQ of the server's last segment */
	uint8_t last_flags;
	uint64_t sent;
};

static void tw_send(void *ctx, const void *pkt, size_t len)
{
	struct tw_bench *b = ctx;
	const uint8_t *p = pkt;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	if (len < ihl + 20 || p[9] != IPPROTO_TCP)
		return;
	const uint8_t *t = p + ihl;
	b->last_seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	b->last_flags = t[13];
	b->sent++;
}

/* One IPv4/TCP packet from peer:sport to the server, no options. */
static void tw_inject(struct tw_bench *b, uint32_t peer, uint16_t sport, uint32_t seq, uint32_t ack,
		      uint8_t flags)
{
	uint8_t pkt[44];
	size_t len = bench_tcp_packet(pkt, peer, TW_SERVER, sport, BENCH_PORT, seq, ack, flags,
				      65535, 0);
	b->now += 1; /* a microsecond per packet: all within one TIME-WAIT */
	synack_input(b->st, pkt, len, b->now);
}

enum { F_FIN = 0x01, F_SYN = 0x02, F_ACK = 0x10 };

/* Connection i: handshake, the server closes; fin: the peer's FIN acks it. */
static int tw_one(struct tw_bench *b, int lfd, uint64_t i, bool fin, char *why)
{
	uint32_t peer = TW_PEER_BASE + (uint32_t)(i / TW_PORTS);
	uint16_t sport = (uint16_t)(1024 + i % TW_PORTS);
	const uint32_t piss = 1000;
	tw_inject(b, peer, sport, piss, 0, F_SYN);
	if (b->last_flags != (F_SYN | F_ACK)) {
		snprintf(why, BENCH_WHY, "connection %llu: no SYN-ACK", (unsigned long long)i);
		return -1;
	}
	uint32_t iss = b->last_seq;
	tw_inject(b, peer, sport, piss + 1, iss + 1, F_ACK);
	int fd = synack_accept4(b->st, lfd, NULL, NULL, SOCK_NONBLOCK);
	if (fd < 0 || synack_close(b->st, fd) < 0) {
		snprintf(why, BENCH_WHY, "connection %llu: accept or close failed",
			 (unsigned long long)i);
		return -1;
	}
	if (fin)
		tw_inject(b, peer, sport, piss + 1, iss + 2, F_FIN | F_ACK);
	return 0;
}

static uint64_t counter(struct tw_bench *b, const char *name)
{
	return synack_counter(b->st, name);
}

static int tw_run(uint64_t seed, uint64_t n, bool fin, double *per, uint64_t *made, double *cpu,
		  char *why)
{
	struct tw_bench b = {0};
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_max_tw_buckets = cfg.tcp_max_orphans = 0x7fffffff;
	struct synack_params p = {.mtu = 1500, .seed = seed, .config = &cfg,
				  .env = {.ctx = &b, .send = tw_send}};
	p.addr.s_addr = htonl(TW_SERVER);
	b.st = synack_stack_new(&p);
	if (!b.st) {
		snprintf(why, BENCH_WHY, "out of memory");
		return -1;
	}
	int lfd = synack_socket(b.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(BENCH_PORT)};
	if (lfd < 0 || synack_bind(b.st, lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    synack_listen(b.st, lfd, 4096) < 0) {
		snprintf(why, BENCH_WHY, "listen failed");
		synack_stack_free(b.st);
		return -1;
	}
	int64_t m0 = bench_heap_bytes();
	double c0 = bench_cpu_seconds();
	int rc = 0;
	for (uint64_t i = 0; i < n && rc == 0; i++)
		rc = tw_one(&b, lfd, i, fin, why);
	*cpu = bench_cpu_seconds() - c0;
	int64_t used = bench_heap_bytes() - m0;
	struct synack_sockinfo row;
	*made = fin ? counter(&b, "TcpExtTW") : synack_sockets(b.st, &row, 0) - 1;
	*per = *made && used > 0 ? (double)used / (double)*made : 0;
	if (rc == 0 && *made != n) {
		snprintf(why, BENCH_WHY, "%llu of %llu made", (unsigned long long)*made,
			 (unsigned long long)n);
		rc = -1;
	}
	synack_stack_free(b.st);
	return rc;
}

int bench_timewait(uint64_t seed, uint64_t n, struct timewait_result *r, char *why)
{
	memset(r, 0, sizeof(*r));
	if (tw_run(seed, n, true, &r->entry_b, &r->n, &r->cpu_s, why) < 0)
		return -1;
	r->orphans = n < TW_ORPHANS_MAX ? n : TW_ORPHANS_MAX;
	double cpu;
	uint64_t made;
	if (tw_run(seed, r->orphans, false, &r->orphan_b, &made, &cpu, why) < 0)
		return -1;
	r->measured = r->entry_b > 0;
	return 0;
}
