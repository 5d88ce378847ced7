/*
 * bench crr: connect, request, response, close — n times in a row on one
 * client and one server. The client closes first and keeps a TIME-WAIT;
 * with no delay virtual time hardly moves, so every CRR_SWEEP connections
 * the clock is run 61 s ahead to let the TIME-WAITs expire before the
 * 28232 ephemeral ports (32768-60999) run out. That expiry is part of the
 * CPU time measured.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench_net.h"
#include "bench_tests.h"

#define CRR_SWEEP 14000
#define CRR_MAX_STEPS 100

/* Step until fd gives one byte (want_eof false) or end of file. */
static int wait_read(struct bench_pair *p, struct synack_stack *st, int fd, bool want_eof)
{
	for (int i = 0; i < CRR_MAX_STEPS; i++) {
		char c;
		ssize_t n = synack_read(st, fd, &c, 1);
		if (n == 1 && !want_eof)
			return 0;
		if (n == 0 && want_eof)
			return 0;
		if (n >= 0)
			return bench_fail(p, "read %zd bytes, wanted %s", n, want_eof ? "EOF" : "1");
		if (errno != EAGAIN)
			return bench_fail(p, "read: %s", strerror(errno));
		if (bench_step(p) < 0)
			return -1;
	}
	return bench_fail(p, "no reply after %d steps", CRR_MAX_STEPS);
}

/* Step until the server can accept; its fd or -1. */
static int wait_accept(struct bench_pair *p)
{
	for (int i = 0; i < CRR_MAX_STEPS; i++) {
		int fd = bench_accept(p);
		if (fd != -2)
			return fd;
		if (bench_step(p) < 0)
			return -1;
	}
	return bench_fail(p, "nothing to accept after %d steps", CRR_MAX_STEPS);
}

static int crr_one(struct bench_pair *p)
{
	int cfd = bench_connect(p);
	if (cfd < 0 || bench_wait_connected(p, cfd) < 0)
		return -1;
	if (synack_write(p->cli, cfd, "q", 1) != 1)
		return bench_fail(p, "client write: %s", strerror(errno));
	int sfd = wait_accept(p);
	if (sfd < 0 || wait_read(p, p->srv, sfd, false) < 0)
		return -1;
	if (synack_write(p->srv, sfd, "r", 1) != 1)
		return bench_fail(p, "server write: %s", strerror(errno));
	if (wait_read(p, p->cli, cfd, false) < 0)
		return -1;
	if (synack_close(p->cli, cfd) < 0)
		return bench_fail(p, "client close: %s", strerror(errno));
	if (wait_read(p, p->srv, sfd, true) < 0)
		return -1;
	if (synack_close(p->srv, sfd) < 0)
		return bench_fail(p, "server close: %s", strerror(errno));
	return 0;
}

int bench_crr(uint64_t seed, uint64_t n, struct crr_result *r, char *why)
{
	struct bench_pair p;
	int rc = bench_pair_init(&p, seed, NULL, 128);
	memset(r, 0, sizeof(*r));
	if (rc == 0) {
		synack_time_t v0 = memlink_now(p.net);
		double c0 = bench_cpu_seconds();
		for (uint64_t i = 0; i < n && rc == 0; i++) {
			if (i && i % CRR_SWEEP == 0) {
				memlink_run_until(p.net, memlink_now(p.net) + SYNACK_SEC(61));
				r->tw_sweeps++;
			}
			rc = crr_one(&p);
			if (rc == 0)
				r->n++;
		}
		r->cpu_s = bench_cpu_seconds() - c0;
		r->virt_s = (double)(memlink_now(p.net) - v0) / 1e6;
	}
	snprintf(why, BENCH_WHY, "%s", p.why);
	bench_pair_free(&p);
	return rc;
}
