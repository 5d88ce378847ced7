/*
 * bench bulk: one connection moves a number of bytes from the client to
 * the server as fast as the two stacks can, with Linux's default buffer
 * settings. The loop writes what the send buffer takes, reads what has
 * arrived, and steps the network.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_net.h"
#include "bench_tests.h"

#define BULK_CHUNK (256 * 1024)

/* Connect, accept: the two ends of one established connection. */
static int bulk_open(struct bench_pair *p, int *cfd, int *sfd)
{
	*cfd = bench_connect(p);
	if (*cfd < 0 || bench_wait_connected(p, *cfd) < 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		*sfd = bench_accept(p);
		if (*sfd >= 0)
			return 0;
		if (*sfd == -1 || bench_step(p) < 0)
			return -1;
	}
	return bench_fail(p, "accept: no connection after 100 steps");
}

/* Read everything there is; returns bytes read or -1. */
static int64_t drain(struct bench_pair *p, int fd, char *buf)
{
	int64_t total = 0;
	for (;;) {
		ssize_t n = synack_read(p->srv, fd, buf, BULK_CHUNK);
		if (n > 0) {
			total += n;
			continue;
		}
		if (n == 0)
			return bench_fail(p, "the server read end of file early");
		if (errno == EAGAIN)
			return total;
		return bench_fail(p, "server read: %s", strerror(errno));
	}
}

static int bulk_move(struct bench_pair *p, int cfd, int sfd, uint64_t bytes, char *wbuf,
		     char *rbuf)
{
	uint64_t sent = 0, got = 0, max_steps = 1000 + bytes / 64;
	while (got < bytes) {
		if (sent < bytes) {
			size_t want = bytes - sent < BULK_CHUNK ? (size_t)(bytes - sent) : BULK_CHUNK;
			ssize_t n = synack_write(p->cli, cfd, wbuf, want);
			if (n > 0)
				sent += (uint64_t)n;
			else if (n < 0 && errno != EAGAIN)
				return bench_fail(p, "client write: %s", strerror(errno));
		}
		int64_t n = drain(p, sfd, rbuf);
		if (n < 0)
			return -1;
		got += (uint64_t)n;
		if (got >= bytes)
			break;
		if (p->steps > max_steps)
			return bench_fail(p, "gave up after %llu steps", (unsigned long long)p->steps);
		if (bench_step(p) < 0)
			return -1;
	}
	return 0;
}

int bench_bulk(uint64_t seed, uint64_t bytes, struct bulk_result *r, char *why)
{
	struct bench_pair p;
	char *wbuf = malloc(BULK_CHUNK), *rbuf = malloc(BULK_CHUNK);
	int rc = bench_pair_init(&p, seed, NULL, 16);
	int cfd = -1, sfd = -1;
	memset(r, 0, sizeof(*r));
	if (!wbuf || !rbuf)
		rc = bench_fail(&p, "out of memory");
	if (rc == 0)
		rc = bulk_open(&p, &cfd, &sfd);
	if (rc == 0) {
		for (size_t i = 0; i < BULK_CHUNK; i++)
			wbuf[i] = (char)(i * 7);
		struct memlink_stats s0, s1;
		memlink_get_stats(p.net, &s0);
		synack_time_t v0 = memlink_now(p.net);
		double c0 = bench_cpu_seconds();
		rc = bulk_move(&p, cfd, sfd, bytes, wbuf, rbuf);
		r->cpu_s = bench_cpu_seconds() - c0;
		r->virt_s = (double)(memlink_now(p.net) - v0) / 1e6;
		memlink_get_stats(p.net, &s1);
		r->segs = s1.sent - s0.sent;
		r->bytes = bytes;
	}
	snprintf(why, BENCH_WHY, "%s", p.why);
	bench_pair_free(&p);
	free(wbuf);
	free(rbuf);
	return rc;
}
