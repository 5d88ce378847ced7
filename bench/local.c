/*
 * bench local: why the local stream transport is faster. The same bulk
 * transfer and the same request/response ping-pong (1-byte and 1 KiB
 * messages) through four transports, in one thread with non-blocking
 * sockets, in the same run:
 *   (a) synack local: a socketpair on one stack;
 *   (b) synack TCP: two stacks on memlink, no delay (TCP_NODELAY);
 *   (c) Linux AF_UNIX: socketpair(2);
 *   (d) Linux TCP: 127.0.0.1 loopback (TCP_NODELAY).
 * Figures are per CPU second of this process (user + system: the kernel's
 * work for (c) and (d) is counted as synack's own work is).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_net.h"
#include "bench_tests.h"

#define CHUNK (256 * 1024)

enum { X_LOCAL, X_TCP, X_LINUX_UNIX, X_LINUX_TCP, X_N };

static const char *const x_names[X_N] = {
	"synack local (AF_UNIX pair)", "synack TCP (memlink)", "Linux AF_UNIX socketpair",
	"Linux TCP 127.0.0.1",
};

struct xport {
	int kind;
	struct synack_stack *st;      /* X_LOCAL */
	struct bench_pair pair;       /* X_TCP */
	struct synack_stack *side_st[2];
	int fd[2];
	char *why;
};

static int x_fail(struct xport *x, const char *what)
{
	snprintf(x->why, BENCH_WHY, "%s: %s: %s", x_names[x->kind], what, strerror(errno));
	return -1;
}

static int open_linux_tcp(struct xport *x)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
		return x_fail(x, "listen");
	x->fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (x->fd[0] < 0 || connect(x->fd[0], (struct sockaddr *)&a, sizeof(a)) < 0)
		return x_fail(x, "connect");
	x->fd[1] = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	close(l);
	if (x->fd[1] < 0)
		return x_fail(x, "accept");
	if (fcntl(x->fd[0], F_SETFL, O_NONBLOCK) < 0)
		return x_fail(x, "fcntl");
	for (int i = 0; i < 2; i++)
		setsockopt(x->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int open_synack_tcp(struct xport *x, uint64_t seed)
{
	struct bench_pair *p = &x->pair;
	int one = 1;
	if (bench_pair_init(p, seed, NULL, 16) < 0)
		goto fail;
	x->fd[0] = bench_connect(p);
	if (x->fd[0] < 0 || bench_wait_connected(p, x->fd[0]) < 0)
		goto fail;
	for (int i = 0; i < 100 && (x->fd[1] = bench_accept(p)) == -2; i++)
		if (bench_step(p) < 0)
			goto fail;
	if (x->fd[1] < 0)
		goto fail;
	x->side_st[0] = p->cli;
	x->side_st[1] = p->srv;
	for (int i = 0; i < 2; i++)
		synack_setsockopt(x->side_st[i], x->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
fail:
	snprintf(x->why, BENCH_WHY, "%s: %.120s", x_names[x->kind], p->why);
	return -1;
}

static int x_open(struct xport *x, int kind, uint64_t seed, char *why)
{
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->why = why;
	x->fd[0] = x->fd[1] = -1;
	switch (kind) {
	case X_LOCAL: {
		struct synack_params p = {.seed = seed};
		x->st = synack_stack_new(&p);
		x->side_st[0] = x->side_st[1] = x->st;
		if (!x->st || synack_socketpair(x->st, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, x->fd) < 0)
			return x_fail(x, "socketpair");
		return 0;
	}
	case X_TCP:
		return open_synack_tcp(x, seed);
	case X_LINUX_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, x->fd) < 0)
			return x_fail(x, "socketpair");
		return 0;
	default:
		return open_linux_tcp(x);
	}
}

static void x_close(struct xport *x)
{
	if (x->kind == X_LOCAL) {
		synack_stack_free(x->st);
	} else if (x->kind == X_TCP) {
		bench_pair_free(&x->pair);
	} else {
		for (int i = 0; i < 2; i++)
			if (x->fd[i] >= 0)
				close(x->fd[i]);
	}
}

static ssize_t x_write(struct xport *x, int side, const void *buf, size_t len)
{
	if (x->kind >= X_LINUX_UNIX)
		return send(x->fd[side], buf, len, MSG_NOSIGNAL);
	return synack_send(x->side_st[side], x->fd[side], buf, len, 0);
}

static ssize_t x_read(struct xport *x, int side, void *buf, size_t len)
{
	if (x->kind >= X_LINUX_UNIX)
		return recv(x->fd[side], buf, len, 0);
	return synack_recv(x->side_st[side], x->fd[side], buf, len, 0);
}

/* Nothing moved: let the transport work. synack TCP steps its network;
 * the kernel may have deferred work (softirq), so wait for readiness. */
static int x_progress(struct xport *x, int side)
{
	if (x->kind == X_TCP) {
		if (bench_step(&x->pair) < 0) {
			snprintf(x->why, BENCH_WHY, "%s: %.120s", x_names[x->kind], x->pair.why);
			return -1;
		}
		return 0;
	}
	if (x->kind >= X_LINUX_UNIX) {
		struct pollfd pf = {.fd = x->fd[side], .events = POLLIN};
		poll(&pf, 1, 10);
		return 0;
	}
	snprintf(x->why, BENCH_WHY, "%s: no progress", x_names[x->kind]);
	return -1;
}

/* Bulk: side 0 writes what it may, side 1 reads what is there. */
static int x_bulk(struct xport *x, uint64_t bytes, char *wbuf, char *rbuf)
{
	uint64_t sent = 0, got = 0, idle = 0;
	while (got < bytes) {
		int moved = 0;
		if (sent < bytes) {
			size_t want = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
			ssize_t n = x_write(x, 0, wbuf, want);
			if (n > 0) {
				sent += (uint64_t)n;
				moved = 1;
			} else if (n < 0 && errno != EAGAIN) {
				return x_fail(x, "write");
			}
		}
		for (;;) {
			ssize_t n = x_read(x, 1, rbuf, CHUNK);
			if (n > 0) {
				got += (uint64_t)n;
				moved = 1;
				continue;
			}
			if (n == 0 || errno != EAGAIN)
				return x_fail(x, "read");
			break;
		}
		if (!moved) {
			if (++idle > 10000000 || x_progress(x, 1) < 0)
				return x->why[0] ? -1 : x_fail(x, "stalled");
		}
	}
	return 0;
}

/* Read exactly len bytes on side, letting the transport work meanwhile. */
static int read_all(struct xport *x, int side, char *buf, size_t len)
{
	size_t got = 0;
	for (int tries = 0; got < len && tries < 1000000; tries++) {
		ssize_t n = x_read(x, side, buf + got, len - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			return x_fail(x, "read");
		if (x_progress(x, side) < 0)
			return -1;
	}
	return got == len ? 0 : x_fail(x, "read stalled");
}

static int write_all(struct xport *x, int side, const char *buf, size_t len)
{
	size_t done = 0;
	for (int tries = 0; done < len && tries < 1000000; tries++) {
		ssize_t n = x_write(x, side, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return x_fail(x, "write");
		if (x_progress(x, !side) < 0)
			return -1;
	}
	return done == len ? 0 : x_fail(x, "write stalled");
}

/* n round trips: side 0 sends size bytes, side 1 reads them and answers
 * with size bytes, side 0 reads the answer. */
static int x_rr(struct xport *x, uint64_t n, size_t size, char *buf)
{
	for (uint64_t i = 0; i < n; i++) {
		if (write_all(x, 0, buf, size) < 0 || read_all(x, 1, buf, size) < 0 ||
		    write_all(x, 1, buf, size) < 0 || read_all(x, 0, buf, size) < 0)
			return -1;
	}
	return 0;
}

struct local_fig {
	double bulk_bps;           /* bytes per CPU second */
	double rr_us[2];           /* CPU microseconds per round trip: 1 B, 1 KiB */
	double pkts_rr[2];         /* synack TCP: packets per round trip */
	double pkts_mib;           /* synack TCP: packets per MiB of bulk */
};

static const size_t rr_sizes[2] = {1, 1024};

static int measure(int kind, uint64_t seed, uint64_t bytes, uint64_t rr, struct local_fig *f,
		   char *wbuf, char *rbuf, char *why)
{
	struct xport x;
	memset(f, 0, sizeof(*f));
	int rc = x_open(&x, kind, seed, why);
	struct memlink_stats s0, s1;
	if (rc == 0 && bytes) {
		if (kind == X_TCP)
			memlink_get_stats(x.pair.net, &s0);
		double c0 = bench_cpu_seconds();
		rc = x_bulk(&x, bytes, wbuf, rbuf);
		double c = bench_cpu_seconds() - c0;
		f->bulk_bps = c > 0 ? (double)bytes / c : 0;
		if (kind == X_TCP) {
			memlink_get_stats(x.pair.net, &s1);
			f->pkts_mib = (double)(s1.sent - s0.sent) / ((double)bytes / 1048576.0);
		}
	}
	for (int i = 0; i < 2 && rc == 0 && rr; i++) {
		if (kind == X_TCP)
			memlink_get_stats(x.pair.net, &s0);
		double c0 = bench_cpu_seconds();
		rc = x_rr(&x, rr, rr_sizes[i], rbuf);
		f->rr_us[i] = (bench_cpu_seconds() - c0) * 1e6 / (double)rr;
		if (kind == X_TCP) {
			memlink_get_stats(x.pair.net, &s1);
			f->pkts_rr[i] = (double)(s1.sent - s0.sent) / (double)rr;
		}
	}
	x_close(&x);
	return rc;
}

static void ratio(const char *what, double a, double b, const char *unit)
{
	if (a > 0 && b > 0)
		printf("  %-44s %8.2fx %s\n", what, a / b, unit);
}

int bench_local(uint64_t seed, uint64_t bytes, uint64_t rr, char *why)
{
	struct local_fig f[X_N];
	char *wbuf = malloc(CHUNK), *rbuf = malloc(CHUNK);
	int rc = wbuf && rbuf ? 0 : -1;
	if (rc < 0)
		snprintf(why, BENCH_WHY, "out of memory");
	for (size_t i = 0; wbuf && i < CHUNK; i++)
		wbuf[i] = (char)(i * 7);
	for (int k = 0; k < X_N && rc == 0; k++)
		rc = measure(k, seed, bytes, rr, &f[k], wbuf, rbuf, why);
	free(wbuf);
	free(rbuf);
	if (rc < 0)
		return -1;
	printf("\nlocal: the same transfers through four transports, one thread, non-blocking\n"
	       "(bulk %llu bytes in writes of up to 256 KiB; %llu round trips per size)\n\n",
	       (unsigned long long)bytes, (unsigned long long)rr);
	printf("  %-30s %14s %16s %16s\n", "transport", "bulk Gbit/s", "1 B RR us/trip",
	       "1 KiB RR us/trip");
	for (int k = 0; k < X_N; k++)
		printf("  %-30s %14.3f %16.3f %16.3f\n", x_names[k], f[k].bulk_bps * 8 / 1e9,
		       f[k].rr_us[0], f[k].rr_us[1]);
	printf("\n  (per CPU second; round trips in CPU microseconds each)\n\n");
	printf("  ratios (higher = synack local faster):\n");
	ratio("bulk, synack local vs synack TCP", f[X_LOCAL].bulk_bps, f[X_TCP].bulk_bps, "");
	ratio("bulk, synack local vs Linux AF_UNIX", f[X_LOCAL].bulk_bps, f[X_LINUX_UNIX].bulk_bps, "");
	ratio("bulk, Linux AF_UNIX vs Linux TCP", f[X_LINUX_UNIX].bulk_bps, f[X_LINUX_TCP].bulk_bps, "");
	for (int i = 0; i < 2; i++) {
		char a[64], b[64], c[64];
		snprintf(a, sizeof(a), "%s RR, synack local vs synack TCP", i ? "1 KiB" : "1 B");
		snprintf(b, sizeof(b), "%s RR, synack local vs Linux AF_UNIX", i ? "1 KiB" : "1 B");
		snprintf(c, sizeof(c), "%s RR, Linux AF_UNIX vs Linux TCP", i ? "1 KiB" : "1 B");
		ratio(a, f[X_TCP].rr_us[i], f[X_LOCAL].rr_us[i], "");
		ratio(b, f[X_LINUX_UNIX].rr_us[i], f[X_LOCAL].rr_us[i], "");
		ratio(c, f[X_LINUX_TCP].rr_us[i], f[X_LINUX_UNIX].rr_us[i], "");
	}
	printf("\n  where synack TCP spends what local skips, per unit of work:\n"
	       "    1 B round trip:   %.2f packets (IPv4 + TCP headers built, two checksums\n"
	       "                      each way, demux by 4-tuple hash, RTT/RACK records,\n"
	       "                      retransmission timer armed and cancelled, ACK logic)\n"
	       "    1 KiB round trip: %.2f packets\n"
	       "    bulk:             %.1f packets per MiB (MSS-sized segments, each\n"
	       "                      checksummed and copied into and out of the send and\n"
	       "                      receive rings, ACKs, cwnd and window updates)\n"
	       "    synack local: one malloc'd message per send (up to 36544 bytes), one\n"
	       "    copy in and one copy out, no headers, checksums, timers or ACKs.\n",
	       f[X_TCP].pkts_rr[0], f[X_TCP].pkts_rr[1], f[X_TCP].pkts_mib);
	return 0;
}
