/* The three benchmarks. Each returns 0, or -1 with why[] set. */
#ifndef SYNACK_BENCH_TESTS_H
#define SYNACK_BENCH_TESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_WHY 200

/* bulk: one connection moves bytes from the client to the server. */
struct bulk_result {
	uint64_t bytes;
	double cpu_s;             /* CPU seconds for the transfer */
	double virt_s;            /* virtual seconds it took */
	uint64_t segs;            /* packets on the wire, both ways */
};
int bench_bulk(uint64_t seed, uint64_t bytes, struct bulk_result *r, char *why);

/* crr: n sequential connect, 1-byte request, 1-byte reply, close. */
struct crr_result {
	uint64_t n;
	double cpu_s;
	double virt_s;
	uint64_t tw_sweeps;       /* times virtual time jumped past TIME-WAIT */
};
int bench_crr(uint64_t seed, uint64_t n, struct crr_result *r, char *why);

/* idle: n established connections, heap per connection. */
struct idle_result {
	uint64_t n;
	double cpu_s;             /* to open them all */
	bool measured;            /* false: the allocator reports nothing */
	double client_b, server_b; /* heap bytes per connection, each side */
};
int bench_idle(uint64_t seed, uint64_t n, struct idle_result *r, char *why);

#endif
