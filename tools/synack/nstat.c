/*
 * synack nstat: the counters of running synack processes, named and
 * printed as nstat prints the kernel's (name, value, rate). synack keeps
 * no history file, so values are absolute (nstat -a) and the rate column
 * is 0.0; zero counters are left out unless -z, as nstat does.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"
#include "servers.h"

struct nstat_opts {
	int zeros;
	char **pat;
	int npat;
	int last_pid;
};

static void nstat_row(void *ctx, int pid, const char *line)
{
	struct nstat_opts *o = ctx;
	char name[64];
	unsigned long long v;
	if (sscanf(line, "%63s %llu", name, &v) != 2)
		return;
	if (pid != o->last_pid) {
		printf("#synack pid %d\n", pid);
		o->last_pid = pid;
	}
	if (!v && !o->zeros)
		return;
	int match = o->npat == 0;
	for (int i = 0; i < o->npat && !match; i++)
		match = fnmatch(o->pat[i], name, 0) == 0;
	if (match)
		printf("%-32s%-16llu%6.1f\n", name, v, 0.0);
}

static const char nstat_usage[] =
	"usage: synack nstat [-azs] [--pid PID] [PATTERN...]\n"
	"\n"
	"Print the counters of the running synack processes (yours) with the names\n"
	"and layout of nstat (IpInReceives, TcpActiveOpens, TcpExtListenOverflows,\n"
	"...). Values are totals since the process started.\n"
	"\n"
	"  -z, --zeros         print zero counters too\n"
	"  -a, -s              accepted for nstat's habits (values are always absolute)\n"
	"  --pid PID           only that process\n"
	"  PATTERN             only counters matching a shell pattern (Tcp*)\n"
	"  -h, --help          this help\n";

int nstat_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"zeros", no_argument, NULL, 'z'}, {"absolute", no_argument, NULL, 'a'},
		{"pid", required_argument, NULL, 'P'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct nstat_opts o = {.last_pid = -1};
	uint64_t pid = 0;
	int c;
	while ((c = cli_getopt("nstat", argc, argv, "azsh", longopts)) != -1) {
		switch (c) {
		case 'z': o.zeros = 1; break;
		case 'a': case 's': break;
		case 'P':
			if (!cli_parse_u64(optarg, 1, 4194304, &pid))
				return cli_usage_error("nstat", "--pid wants a process id, got '%s'", optarg);
			break;
		case 'h': fputs(nstat_usage, stdout); return CLI_OK;
		default: return CLI_USAGE;
		}
	}
	o.pat = argv + optind;
	o.npat = argc - optind;
	return ctl_query("nstat", (long)pid, "nstat", nstat_row, &o) < 0 ? CLI_FAILED : CLI_OK;
}
