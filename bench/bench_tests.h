/* The benchmarks. Each returns 0, or -1 with why[] set. */
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

/* local: the same bulk transfer and 1 B / 1 KiB ping-pong through synack
 * local pairs, synack TCP on memlink, Linux AF_UNIX and Linux TCP on
 * loopback; prints its own figures, ratios and breakdown. */
int bench_local(uint64_t seed, uint64_t bytes, uint64_t rr, char *why);

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

/* timewait: n connections closed by the server into TIME-WAIT entries;
 * heap per entry; and heap per orphan (FIN-WAIT-1, at most
 * TW_ORPHANS_MAX of them). */
#define TW_ORPHANS_MAX 20000
struct timewait_result {
	uint64_t n;               /* entries made */
	double cpu_s;             /* to make them */
	bool measured;            /* false: the allocator reports nothing */
	double entry_b;           /* heap bytes per TIME-WAIT entry */
	uint64_t orphans;
	double orphan_b;          /* heap bytes per orphan */
};
int bench_timewait(uint64_t seed, uint64_t n, struct timewait_result *r, char *why);

/* synflood: n spoofed SYNs at one listener, cookies on and off. */
struct synflood_result {
	uint64_t n;
	double cpu_cookies_s, cpu_drop_s;        /* CPU seconds for the n SYNs */
	int64_t peak_heap_cookies, peak_heap_drop; /* peak heap of the run (mallinfo2) */
	bool measured;
	double req_bytes;                        /* heap per SYN-queue entry */
};
int bench_synflood(uint64_t seed, uint64_t n, struct synflood_result *r, char *why);

#endif
