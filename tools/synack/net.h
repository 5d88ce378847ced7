/*
 * What the network subcommands (echo-server, http-server, connect,
 * discard, source) share: the options that pick the TUN device, the
 * addresses and the namespace, and the set-up and tear-down around a
 * struct synack_loop (net.c, netns.c).
 */
#ifndef SYNACK_TOOL_NET_H
#define SYNACK_TOOL_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <synack/runtime.h>

#include "cli.h"

#define NET_DEFAULT_TUN "synack0"
#define NET_DEFAULT_ADDR "10.211.0.2/24"

struct net_opts {
	const char *sub;            /* the subcommand, for messages */
	const char *tun;            /* device name */
	struct in_addr addr;        /* synack's address */
	unsigned prefix;
	struct in_addr kaddr;       /* the kernel's side of the device */
	bool kaddr_set;
	const char *netns;          /* NULL: use the current namespace */
	const char *pcap;
	double drop;
	uint64_t seed;
	unsigned port;
	bool verbose;               /* state changes on stderr */
	/* Optional: the stack's trace hook (overrides --verbose's). */
	void (*trace)(void *ctx, const struct synack_trace *ev);
	void *trace_ctx;
};

/* getopt codes of the shared options, and the table rows to splice in. */
enum { NET_OPT_TUN = 0x100, NET_OPT_ADDR, NET_OPT_KADDR, NET_OPT_NETNS, NET_OPT_PCAP,
       NET_OPT_DROP, NET_OPT_SEED, NET_OPT_PORT };
#define NET_LONGOPTS \
	{"tun", required_argument, NULL, NET_OPT_TUN}, \
	{"addr", required_argument, NULL, NET_OPT_ADDR}, \
	{"kernel-addr", required_argument, NULL, NET_OPT_KADDR}, \
	{"netns", required_argument, NULL, NET_OPT_NETNS}, \
	{"pcap", required_argument, NULL, NET_OPT_PCAP}, \
	{"drop", required_argument, NULL, NET_OPT_DROP}, \
	{"seed", required_argument, NULL, NET_OPT_SEED}, \
	{"verbose", no_argument, NULL, 'v'}, \
	{"help", no_argument, NULL, 'h'}

/* The option lines of every network subcommand's --help. */
#define NET_HELP \
	"  --tun NAME          the TUN device to create or open (" NET_DEFAULT_TUN ")\n" \
	"  --addr A/P          synack's IPv4 address and prefix (" NET_DEFAULT_ADDR ")\n" \
	"  --kernel-addr K     the kernel's address on the device (first host of A/P)\n" \
	"  --netns NAME        put the device in network namespace NAME, created\n" \
	"                      (and removed on exit) unless it exists; reach synack\n" \
	"                      with `ip netns exec NAME ...`\n" \
	"  --pcap FILE         record every packet in and out to FILE\n" \
	"  --drop P            drop each packet in and out with probability P (0)\n" \
	"  --seed N            seed of the stack's keys and of --drop (random)\n" \
	"  -v, --verbose       print every state change on stderr\n" \
	"  -h, --help          this help\n"

void net_opts_init(struct net_opts *o, const char *sub, unsigned port);
/* Handle one of the shared options: 0 handled, 1 not ours, CLI_USAGE after
 * printing the error. */
int net_opt(struct net_opts *o, int c, const char *arg);
/* Checks after parsing (addresses consistent); 0 or CLI_USAGE. */
int net_opts_check(struct net_opts *o);

/* A running set-up: namespace, device, loop, control socket, signals. */
struct net_run {
	const struct net_opts *o;
	struct synack_loop *loop;
	struct synack_stack *st;
	int sigfd;                  /* SIGINT, SIGTERM, SIGHUP stop the loop */
	int got_signal;
	bool netns_made;
	void *owned;                /* the application's, freed by net_down */
};

/* Set everything up; 0, or CLI_FAILED after printing one line. */
int net_up(struct net_run *r, const struct net_opts *o);
void net_down(struct net_run *r);

/* netns.c: the namespace and the device's kernel side. netns_create
 * returns 1 if it made the namespace, 0 if it existed, -1 (err set). */
int netns_create(const char *name, char *err, size_t errlen);
void netns_delete(const char *name);
/* Run `ip ARGS...` (NULL-terminated), waiting; 0 if it exited 0. */
int net_ip(char *const argv[]);
/* Open the device in namespace ns (NULL: ours) and give its kernel side
 * kaddr/prefix, up; NULL after writing err. */
struct synack_tun *netns_open_tun(const char *ns, const struct net_opts *o, char *err, size_t errlen);

/* "a.b.c.d:port" */
void net_fmt_sin(char *buf, size_t len, const struct sockaddr_in *s);

#endif
