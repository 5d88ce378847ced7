/*
 * synack: the command-line program. One subcommand per job:
 *   demo     an echo exchange drawn as an RFC 9293 ladder diagram
 *   bench    throughput, connection rate and memory per connection
 *   echo-server, http-server, discard, source, connect   over a TUN device
 *   ss, nstat  sockets and counters of a running synack process
 *   version  the version
 *   help     usage
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "demo.h"
#include "servers.h"

/* The build may pass the project's version; this is the fallback. */
#ifndef SYNACK_VERSION
#define SYNACK_VERSION "0.1.0"
#endif

static const char main_usage[] =
	"usage: synack COMMAND [OPTIONS]\n"
	"\n"
	"A user-space TCP/IPv4 stack that behaves like Linux TCP.\n"
	"\n"
	"commands:\n"
	"  demo      run an echo exchange between two stacks and draw it as a\n"
	"            ladder diagram (RFC 9293 style)\n"
	"  bench     measure bulk throughput, connections per second and heap per\n"
	"            idle connection\n"
	"  echo-server  an echo server over a TUN device (--netns NAME: in a\n"
	"            private network namespace the kernel reaches it from)\n"
	"  http-server  an HTTP/1.1 server of files (--root) or a generated body\n"
	"  discard   a bulk sink;  source  a bulk source\n"
	"  connect   connect to HOST PORT: stdin to the peer, the peer to stdout\n"
	"  ss        list the sockets of running synack processes (as ss -tan)\n"
	"  nstat     print the counters of a running synack process (as nstat)\n"
	"  version   print the version\n"
	"  help      print this help\n"
	"\n"
	"'synack COMMAND --help' describes a command's options.\n";

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs("usage: synack version\n\nPrint the version and exit.\n", stdout);
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage_error("version", "unexpected argument '%s'", argv[1]);
	printf("synack %s\n", SYNACK_VERSION);
	return CLI_OK;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-h") && strcmp(argv[1], "--help"))
		return cli_usage_error("help", "unexpected argument '%s'", argv[1]);
	fputs(main_usage, stdout);
	return CLI_OK;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{"demo", demo_main},
	{"bench", bench_main},
	{"echo-server", echo_main},
	{"http-server", http_main},
	{"discard", discard_main},
	{"source", source_main},
	{"connect", connect_main},
	{"ss", ss_main},
	{"nstat", nstat_main},
	{"version", cmd_version},
	{"help", cmd_help},
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(NULL, "missing command (try 'synack --help')");
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		fputs(main_usage, stdout);
		return CLI_OK;
	}
	if (!strcmp(name, "--version"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (name[0] == '-')
		return cli_usage_error(NULL, "unknown option '%s' (try 'synack --help')", name);
	return cli_usage_error(NULL, "unknown command '%s' (try 'synack --help')", name);
}
