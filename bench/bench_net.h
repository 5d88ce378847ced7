/*
 * What the benchmarks share: a client stack (memlink host 0, 10.0.0.1)
 * and a server stack (host 1, 10.0.0.2, listening on BENCH_PORT) on a
 * memlink without delay or loss, driven in this thread; CPU time; heap.
 */
#ifndef SYNACK_BENCH_NET_H
#define SYNACK_BENCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/memlink.h>
#include <synack/synack.h>

#define BENCH_PORT 5001
#define BENCH_ADDR_CLIENT "10.0.0.1"
#define BENCH_ADDR_SERVER "10.0.0.2"
/* A step that finds nothing due within this much virtual time means the
 * benchmark is stuck (no delay: everything but timers is instantaneous). */
#define BENCH_STALL SYNACK_SEC(5)

struct bench_pair {
	struct memlink *net;
	struct synack_stack *cli, *srv;
	int lfd;                     /* the server's listener */
	struct sockaddr_in srv_addr;
	uint64_t steps;
	int64_t cli_base_heap;       /* heap the empty client stack took */
	char why[200];               /* the first failure */
};

/* Two stacks (cfg NULL = Linux defaults) and a listener with backlog.
 * Returns 0, or -1 with p->why set; bench_pair_free() in both cases. */
int bench_pair_init(struct bench_pair *p, uint64_t seed, const struct synack_config *cfg,
		    int backlog);
void bench_pair_free(struct bench_pair *p);

/* Record the first failure (printf-style); returns -1. */
int bench_fail(struct bench_pair *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One memlink step; -1 (p->why set) if nothing is due for BENCH_STALL. */
int bench_step(struct bench_pair *p);

/* A non-blocking client socket, connect() started. Returns it or -1. */
int bench_connect(struct bench_pair *p);
/* Step until fd is connected (EPOLLOUT); 0 or -1. */
int bench_wait_connected(struct bench_pair *p, int fd);
/* Accept one connection if one is ready: its fd, -2 if none, -1 on error. */
int bench_accept(struct bench_pair *p);

/* CPU seconds this process has used (CLOCK_PROCESS_CPUTIME_ID). */
double bench_cpu_seconds(void);
/* Bytes of heap in use (mallinfo2: arena plus mmapped chunks). */
int64_t bench_heap_bytes(void);

#endif
