/*
 * synack bench: bulk throughput, connection rate and heap per idle
 * connection of two stacks on memlink (no delay, no loss) in one thread.
 * Figures, not pass/fail: nothing is compared with a target.
 */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench_tests.h"
#include "cli.h"

#define BULK_DEFAULT (4ull << 30) /* about 3 s of CPU on a 2024 x86 core */
#define CRR_DEFAULT 20000
#define IDLE_DEFAULT 10000
#define IDLE_MAX 28232 /* one client address: the ephemeral port range */
#define TIMEWAIT_MAX 100000000

static const char bench_usage[] =
	"usage: synack bench [--bulk BYTES] [--crr N] [--idle N] [--timewait N]\n"
	"                    [--synflood N] [--local BYTES] [--rr N] [--seed S]\n"
	"\n"
	"Two stacks (client 10.0.0.1, server 10.0.0.2) on an in-memory network\n"
	"without delay or loss, in one thread, with Linux's default settings.\n"
	"\n"
	"  --bulk BYTES  move BYTES over one connection (suffix K, M, G: binary);\n"
	"                goodput per CPU second and per virtual second (4G)\n"
	"  --crr N       N times connect, 1-byte request, 1-byte reply, close;\n"
	"                connections per CPU second (20000)\n"
	"  --idle N      open N idle connections; heap bytes per connection on\n"
	"                each side, from mallinfo2 (10000, at most 28232)\n"
	"  --timewait N  N connections the server closes into TIME-WAIT (one\n"
	"                stack, scripted peers); heap per timewait entry and per\n"
	"                orphan, from mallinfo2 (0: skipped; try 1000000)\n"
	"  --synflood N  N SYNs from spoofed sources at one listener, cookies on\n"
	"                and off: SYNs per CPU second, heap per SYN-queue entry,\n"
	"                peak heap (0: skipped; try 1000000)\n"
	"  --local BYTES the same bulk transfer of BYTES and the same ping-pong\n"
	"                (--rr round trips of 1 B and of 1 KiB) through synack\n"
	"                local (AF_UNIX) pairs, synack TCP on memlink, Linux\n"
	"                AF_UNIX and Linux TCP on 127.0.0.1, with the ratios and\n"
	"                where TCP's time goes (0: skipped; try 1G)\n"
	"  --rr N        round trips per message size for --local (100000)\n"
	"  --seed S      seed of the network and the stacks (1)\n"
	"  -h, --help    this help\n"
	"\n"
	"N or BYTES 0 skips that benchmark. CPU time is the process's\n"
	"(CLOCK_PROCESS_CPUTIME_ID). Use a Release build for meaningful figures.\n";

static const struct option bench_longopts[] = {
	{"bulk", required_argument, NULL, 'b'},
	{"crr", required_argument, NULL, 'c'},
	{"idle", required_argument, NULL, 'i'},
	{"timewait", required_argument, NULL, 't'},
	{"synflood", required_argument, NULL, 'f'},
	{"seed", required_argument, NULL, 's'},
	{"local", required_argument, NULL, 'L'},
	{"rr", required_argument, NULL, 'R'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct bench_opts {
	uint64_t bulk, crr, idle, seed, timewait, synflood;
	uint64_t local, rr;
};

/* Returns -1 to go on, else the exit status. */
static int parse_opts(struct bench_opts *o, int argc, char **argv)
{
	*o = (struct bench_opts){BULK_DEFAULT, CRR_DEFAULT, IDLE_DEFAULT, 1, 0, 0, 0, 100000};
	int c;
	while ((c = cli_getopt("bench", argc, argv, "h", bench_longopts)) != -1) {
		switch (c) {
		case 'b':
			if (!cli_parse_bytes(optarg, &o->bulk))
				return cli_usage_error("bench", "--bulk wants a byte count like 1048576 or "
								"256M, got '%s'", optarg);
			break;
		case 'c':
			if (!cli_parse_u64(optarg, 0, UINT32_MAX, &o->crr))
				return cli_usage_error("bench", "--crr wants a number of connections, got '%s'", optarg);
			break;
		case 'i':
			if (!cli_parse_u64(optarg, 0, IDLE_MAX, &o->idle))
				return cli_usage_error("bench", "--idle wants a number of connections "
								"from 0 to %d, got '%s'", IDLE_MAX, optarg);
			break;
		case 't':
			if (!cli_parse_u64(optarg, 0, TIMEWAIT_MAX, &o->timewait))
				return cli_usage_error("bench", "--timewait wants a number of connections "
								"from 0 to %d, got '%s'", TIMEWAIT_MAX, optarg);
			break;
		case 'f':
			if (!cli_parse_u64(optarg, 0, UINT32_MAX, &o->synflood))
				return cli_usage_error("bench", "--synflood wants a number of SYNs, got '%s'", optarg);
			break;
		case 's':
			if (!cli_parse_u64(optarg, 0, UINT64_MAX, &o->seed))
				return cli_usage_error("bench", "--seed wants a non-negative integer, got '%s'", optarg);
			break;
		case 'L':
			if (!cli_parse_bytes(optarg, &o->local))
				return cli_usage_error("bench", "--local wants a byte count like 1G, got '%s'", optarg);
			break;
		case 'R':
			if (!cli_parse_u64(optarg, 1, UINT32_MAX, &o->rr))
				return cli_usage_error("bench", "--rr wants a number of round trips, got '%s'", optarg);
			break;
		case 'h':
			fputs(bench_usage, stdout);
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	int rc = cli_no_operands("bench", argc, argv);
	return rc ? rc : -1;
}

/* ---- The table -------------------------------------------------------- */

#define TABLE_ROWS 24

struct table_row {
	const char *test, *figure, *unit;
	char value[32];
};

struct table {
	struct table_row row[TABLE_ROWS];
	int n;
};

static void add(struct table *t, const char *test, const char *figure, const char *unit,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct table *t, const char *test, const char *figure, const char *unit,
		const char *fmt, ...)
{
	if (t->n == TABLE_ROWS)
		return;
	struct table_row *r = &t->row[t->n++];
	r->test = test;
	r->figure = figure;
	r->unit = unit;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->value, sizeof(r->value), fmt, ap);
	va_end(ap);
}

static void table_print(const struct table *t)
{
	int wt = 4, wf = 6, wv = 5;
	for (int i = 0; i < t->n; i++) {
		const struct table_row *r = &t->row[i];
		wt = (int)strlen(r->test) > wt ? (int)strlen(r->test) : wt;
		wf = (int)strlen(r->figure) > wf ? (int)strlen(r->figure) : wf;
		wv = (int)strlen(r->value) > wv ? (int)strlen(r->value) : wv;
	}
	printf("%-*s  %-*s  %*s  %s\n", wt, "test", wf, "figure", wv, "value", "unit");
	for (int i = 0; i < t->n; i++) {
		const struct table_row *r = &t->row[i];
		printf("%-*s  %-*s  %*s  %s\n", wt, r->test, wf, r->figure, wv, r->value, r->unit);
	}
}

/* ---- The benchmarks ----------------------------------------------------- */

/* "synack: bench: crr: <why> (after 123 connections)"; returns CLI_FAILED. */
static int bench_error(const char *test, const char *why, uint64_t done)
{
	fprintf(stderr, "synack: bench: %s: %s", test, why);
	if (done)
		fprintf(stderr, " (after %llu connections)", (unsigned long long)done);
	fputc('\n', stderr);
	return CLI_FAILED;
}

static int run_bulk(struct table *t, const struct bench_opts *o)
{
	struct bulk_result r;
	char why[BENCH_WHY];
	if (bench_bulk(o->seed, o->bulk, &r, why) < 0)
		return bench_error("bulk", why, 0);
	double bits = (double)r.bytes * 8;
	add(t, "bulk", "moved, client to server", "bytes", "%llu", (unsigned long long)r.bytes);
	add(t, "bulk", "packets, both ways", "packets", "%llu", (unsigned long long)r.segs);
	add(t, "bulk", "CPU time", "s", "%.3f", r.cpu_s);
	if (r.cpu_s > 0) {
		add(t, "bulk", "goodput per CPU second", "Gbit/s", "%.3f", bits / r.cpu_s / 1e9);
		add(t, "bulk", "goodput per CPU second", "bytes/s", "%.0f", (double)r.bytes / r.cpu_s);
	}
	add(t, "bulk", "virtual time", "s", "%.6f", r.virt_s);
	if (r.virt_s > 0)
		add(t, "bulk", "goodput in virtual time", "Gbit/s", "%.3f", bits / r.virt_s / 1e9);
	else
		add(t, "bulk", "goodput in virtual time", "Gbit/s (no virtual time passed)", "n/a");
	return CLI_OK;
}

static int run_crr(struct table *t, const struct bench_opts *o)
{
	struct crr_result r;
	char why[BENCH_WHY];
	if (bench_crr(o->seed, o->crr, &r, why) < 0)
		return bench_error("crr", why, r.n);
	add(t, "crr", "transactions", "connections", "%llu", (unsigned long long)r.n);
	add(t, "crr", "CPU time", "s", "%.3f", r.cpu_s);
	if (r.cpu_s > 0)
		add(t, "crr", "rate", "connections/CPU s", "%.0f", (double)r.n / r.cpu_s);
	add(t, "crr", "virtual time", "s", "%.3f", r.virt_s);
	add(t, "crr", "TIME-WAIT expiry jumps (61 s)", "jumps", "%llu",
	    (unsigned long long)r.tw_sweeps);
	return CLI_OK;
}

static int run_idle(struct table *t, const struct bench_opts *o)
{
	struct idle_result r;
	char why[BENCH_WHY];
	if (bench_idle(o->seed, o->idle, &r, why) < 0)
		return bench_error("idle", why, 0);
	add(t, "idle", "established connections", "connections", "%llu", (unsigned long long)r.n);
	add(t, "idle", "CPU time to open them", "s", "%.3f", r.cpu_s);
	if (!r.measured) {
		add(t, "idle", "heap per connection",
		    "bytes (allocator reports nothing: sanitizer build?)", "n/a");
		return CLI_OK;
	}
	add(t, "idle", "heap per connection, client", "bytes", "%.0f", r.client_b);
	add(t, "idle", "heap per connection, server", "bytes", "%.0f", r.server_b);
	add(t, "idle", "heap per connection, both", "bytes", "%.0f", r.client_b + r.server_b);
	return CLI_OK;
}

static int run_synflood(struct table *t, const struct bench_opts *o)
{
	struct synflood_result r;
	char why[BENCH_WHY];
	if (bench_synflood(o->seed, o->synflood, &r, why) < 0)
		return bench_error("synflood", why, 0);
	add(t, "synflood", "spoofed SYNs", "SYNs", "%llu", (unsigned long long)r.n);
	if (r.cpu_cookies_s > 0)
		add(t, "synflood", "cookies on (tcp_syncookies=1)", "SYNs/CPU s", "%.0f",
		    (double)r.n / r.cpu_cookies_s);
	if (r.cpu_drop_s > 0)
		add(t, "synflood", "cookies off (tcp_syncookies=0)", "SYNs/CPU s", "%.0f",
		    (double)r.n / r.cpu_drop_s);
	if (r.measured) {
		add(t, "synflood", "heap per SYN-queue entry", "bytes", "%.0f", r.req_bytes);
		add(t, "synflood", "peak heap, cookies on", "bytes", "%lld", (long long)r.peak_heap_cookies);
		add(t, "synflood", "peak heap, cookies off", "bytes", "%lld", (long long)r.peak_heap_drop);
	}
	return CLI_OK;
}

static int run_timewait(struct table *t, const struct bench_opts *o)
{
	struct timewait_result r;
	char why[BENCH_WHY];
	if (bench_timewait(o->seed, o->timewait, &r, why) < 0)
		return bench_error("timewait", why, r.n);
	add(t, "timewait", "TIME-WAIT entries", "entries", "%llu", (unsigned long long)r.n);
	add(t, "timewait", "CPU time to make them", "s", "%.3f", r.cpu_s);
	if (!r.measured) {
		add(t, "timewait", "heap per entry",
		    "bytes (allocator reports nothing: sanitizer build?)", "n/a");
		return CLI_OK;
	}
	add(t, "timewait", "heap per TIME-WAIT entry", "bytes", "%.1f", r.entry_b);
	add(t, "timewait", "heap, all entries", "MiB", "%.1f",
	    r.entry_b * (double)r.n / (1024.0 * 1024.0));
	add(t, "timewait", "heap per orphan (FIN-WAIT-1)", "bytes", "%.0f", r.orphan_b);
	add(t, "timewait", "orphans measured", "orphans", "%llu", (unsigned long long)r.orphans);
	return CLI_OK;
}

static void print_header(const struct bench_opts *o)
{
	printf("synack bench: client 10.0.0.1 and server 10.0.0.2 on memlink, no delay,\n"
	       "no loss, one thread, Linux default settings, MTU 1500, seed %llu\n",
	       (unsigned long long)o->seed);
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__)
	printf("note: an unoptimized or sanitizer build; the figures are not representative\n");
#endif
	printf("\n");
}

int bench_main(int argc, char **argv)
{
	struct bench_opts o;
	int rc = parse_opts(&o, argc, argv);
	if (rc >= 0)
		return rc;
	struct table t = {0};
	print_header(&o);
	rc = CLI_OK;
	if (o.bulk && rc == CLI_OK)
		rc = run_bulk(&t, &o);
	if (o.crr && rc == CLI_OK)
		rc = run_crr(&t, &o);
	if (o.idle && rc == CLI_OK)
		rc = run_idle(&t, &o);
	if (o.timewait && rc == CLI_OK)
		rc = run_timewait(&t, &o);
	if (o.synflood && rc == CLI_OK)
		rc = run_synflood(&t, &o);
	table_print(&t);
	if (o.local && rc == CLI_OK) {
		char why[BENCH_WHY] = "";
		if (bench_local(o.seed, o.local, o.rr, why) < 0)
			rc = bench_error("local", why, 0);
	}
	return rc;
}
