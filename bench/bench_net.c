/* The benchmarks' two-stack network, CPU clock and heap meter. */
#include "bench_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int bench_fail(struct bench_pair *p, const char *fmt, ...)
{
	if (!p->why[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->why, sizeof(p->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The client stack is made by hand (not memlink_stack_add) so the heap an
 * empty stack takes can be measured: bench idle subtracts it. */
static struct synack_stack *add_client(struct bench_pair *p, uint64_t seed,
				       const struct synack_config *cfg)
{
	struct in_addr a;
	inet_pton(AF_INET, BENCH_ADDR_CLIENT, &a);
	int host = memlink_host_add(p->net, a);
	if (host < 0)
		return NULL;
	struct synack_params params = {
		.addr = a,
		.mtu = 1500,
		.seed = seed ^ 0x9e3779b97f4a7c15ull,
		.now = memlink_now(p->net),
		.env = memlink_host_env(p->net, host),
		.config = cfg,
	};
	int64_t before = bench_heap_bytes();
	struct synack_stack *st = synack_stack_new(&params);
	p->cli_base_heap = bench_heap_bytes() - before;
	if (st)
		memlink_host_attach(p->net, host, st);
	return st;
}

int bench_pair_init(struct bench_pair *p, uint64_t seed, const struct synack_config *cfg,
		    int backlog)
{
	memset(p, 0, sizeof(*p));
	p->lfd = -1;
	p->net = memlink_new(seed, 0);
	if (!p->net)
		return bench_fail(p, "out of memory");
	p->cli = add_client(p, seed, cfg);
	if (!p->cli)
		return bench_fail(p, "cannot create the client stack: %s", strerror(errno));
	p->srv = memlink_stack_add(p->net, BENCH_ADDR_SERVER, cfg, NULL, NULL);
	if (!p->srv)
		return bench_fail(p, "cannot create the server stack: %s", strerror(errno));
	p->srv_addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(BENCH_PORT)};
	inet_pton(AF_INET, BENCH_ADDR_SERVER, &p->srv_addr.sin_addr);
	p->lfd = synack_socket(p->srv, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (p->lfd < 0 ||
	    synack_bind(p->srv, p->lfd, (struct sockaddr *)&p->srv_addr, sizeof(p->srv_addr)) < 0 ||
	    synack_listen(p->srv, p->lfd, backlog) < 0)
		return bench_fail(p, "server listener: %s", strerror(errno));
	return 0;
}

void bench_pair_free(struct bench_pair *p)
{
	memlink_free(p->net); /* frees both stacks */
	p->net = NULL;
	p->cli = p->srv = NULL;
}

int bench_step(struct bench_pair *p)
{
	p->steps++;
	if (memlink_step(p->net, memlink_now(p->net) + BENCH_STALL))
		return 0;
	return bench_fail(p, "stalled: nothing happened for %llu s of virtual time",
			  (unsigned long long)(BENCH_STALL / 1000000u));
}

int bench_connect(struct bench_pair *p)
{
	int fd = synack_socket(p->cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return bench_fail(p, "client socket: %s", strerror(errno));
	if (synack_connect(p->cli, fd, (struct sockaddr *)&p->srv_addr, sizeof(p->srv_addr)) < 0 &&
	    errno != EINPROGRESS) {
		int err = errno;
		synack_close(p->cli, fd);
		return bench_fail(p, "connect: %s", strerror(err));
	}
	return fd;
}

int bench_wait_connected(struct bench_pair *p, int fd)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t ev = synack_poll_events(p->cli, fd);
		if (ev & (EPOLLERR | EPOLLHUP))
			return bench_fail(p, "connect failed (events %#x)", ev);
		if (ev & EPOLLOUT)
			return 0;
		if (bench_step(p) < 0)
			return -1;
	}
	return bench_fail(p, "connect did not complete in 1000 steps");
}

int bench_accept(struct bench_pair *p)
{
	int fd = synack_accept(p->srv, p->lfd, NULL, NULL);
	if (fd >= 0)
		return fd;
	if (errno == EAGAIN)
		return -2;
	return bench_fail(p, "accept: %s", strerror(errno));
}

double bench_cpu_seconds(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t bench_heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (int64_t)mi.uordblks + (int64_t)mi.hblkhd;
}
