/*
 * bench idle: open n connections, leave them established and idle, and
 * weigh the heap (mallinfo2) before and after. The client's share is what
 * freeing the client stack gives back, less what the empty stack took;
 * the server's is the rest. Packets the dying client stack sends are
 * dropped at the source, so they do not reach the server or the heap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_net.h"
#include "bench_tests.h"

#define IDLE_BATCH 256

/* Open n connections in batches, accepting as they complete. */
static int idle_open(struct bench_pair *p, uint64_t n, int *cfds, int *sfds)
{
	uint64_t opened = 0, accepted = 0, idle_steps = 0;
	while (accepted < n) {
		for (int k = 0; k < IDLE_BATCH && opened < n; k++) {
			cfds[opened] = bench_connect(p);
			if (cfds[opened++] < 0)
				return -1;
		}
		if (bench_step(p) < 0)
			return -1;
		uint64_t before = accepted;
		for (;;) {
			int fd = bench_accept(p);
			if (fd == -1)
				return -1;
			if (fd == -2)
				break;
			sfds[accepted++] = fd;
		}
		idle_steps = accepted == before ? idle_steps + 1 : 0;
		if (idle_steps > 100)
			return bench_fail(p, "%llu of %llu connections accepted, then none",
					  (unsigned long long)accepted, (unsigned long long)n);
	}
	for (uint64_t i = 0; i < n; i++)
		if (!(synack_poll_events(p->cli, cfds[i]) & EPOLLOUT))
			return bench_fail(p, "client connection %llu is not established",
					  (unsigned long long)i);
	/* Let anything pending (delayed ACKs) finish: the connections idle. */
	memlink_run_until(p->net, memlink_now(p->net) + SYNACK_SEC(1));
	return 0;
}

/* Free the client stack (and its connections); the heap it gave back. */
static int64_t drop_client(struct bench_pair *p)
{
	struct memlink_path blackhole = {.loss = 1.0};
	memlink_set_path(p->net, 0, -1, &blackhole);
	int64_t before = bench_heap_bytes();
	memlink_host_attach(p->net, 0, NULL);
	p->cli = NULL;
	return before - bench_heap_bytes();
}

int bench_idle(uint64_t seed, uint64_t n, struct idle_result *r, char *why)
{
	struct bench_pair p;
	int *cfds = calloc(n ? n : 1, sizeof(int)), *sfds = calloc(n ? n : 1, sizeof(int));
	int rc = bench_pair_init(&p, seed, NULL, 4096);
	memset(r, 0, sizeof(*r));
	if (!cfds || !sfds)
		rc = bench_fail(&p, "out of memory");
	if (rc == 0) {
		int64_t m0 = bench_heap_bytes();
		double c0 = bench_cpu_seconds();
		rc = idle_open(&p, n, cfds, sfds);
		r->cpu_s = bench_cpu_seconds() - c0;
		int64_t total = bench_heap_bytes() - m0;
		if (rc == 0) {
			r->n = n;
			int64_t client = drop_client(&p) - p.cli_base_heap;
			r->measured = total > 0 && n > 0;
			if (r->measured) {
				r->client_b = (double)client / (double)n;
				r->server_b = (double)(total - client) / (double)n;
			}
		}
	}
	snprintf(why, BENCH_WHY, "%s", p.why);
	bench_pair_free(&p);
	free(cfds);
	free(sfds);
	return rc;
}
