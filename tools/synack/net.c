/*
 * The network subcommands' shared options and set-up (net.h): parse
 * --tun/--addr/--netns..., then make the namespace, the device, the
 * loop and its control socket, and turn SIGINT, SIGTERM and SIGHUP into
 * a clean stop (a signalfd the loop watches), so the namespace is removed
 * however the user ends the program short of SIGKILL.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <synack/pcap.h>

void net_opts_init(struct net_opts *o, const char *sub, unsigned port)
{
	*o = (struct net_opts){.sub = sub, .tun = NET_DEFAULT_TUN, .port = port, .prefix = 24};
	inet_pton(AF_INET, "10.211.0.2", &o->addr);
}

void net_fmt_sin(char *buf, size_t len, const struct sockaddr_in *s)
{
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
}

static int parse_cidr(struct net_opts *o, const char *arg)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(arg, '/');
	size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
	uint64_t p = 24;
	if (n >= sizeof(ip) || (slash && !cli_parse_u64(slash + 1, 1, 30, &p)))
		return -1;
	memcpy(ip, arg, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &o->addr) != 1)
		return -1;
	o->prefix = (unsigned)p;
	return 0;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ' ' || *s == ':' || *s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

int net_opt(struct net_opts *o, int c, const char *arg)
{
	uint64_t v;
	switch (c) {
	case NET_OPT_TUN:
		if (!valid_ifname(arg))
			return cli_usage_error(o->sub, "--tun wants a device name of 1 to 15 characters "
						       "without '/', ':' or spaces, got '%s'", arg);
		o->tun = arg;
		return 0;
	case NET_OPT_ADDR:
		if (parse_cidr(o, arg) < 0)
			return cli_usage_error(o->sub, "--addr wants an IPv4 address with an optional "
						       "/prefix of 1 to 30 (10.211.0.2/24), got '%s'", arg);
		return 0;
	case NET_OPT_KADDR:
		if (inet_pton(AF_INET, arg, &o->kaddr) != 1)
			return cli_usage_error(o->sub, "--kernel-addr wants an IPv4 address, got '%s'", arg);
		o->kaddr_set = true;
		return 0;
	case NET_OPT_NETNS:
		if (!valid_ifname(arg) || arg[0] == '.')
			return cli_usage_error(o->sub, "--netns wants a name of 1 to 15 characters "
						       "without '/' or spaces, got '%s'", arg);
		o->netns = arg;
		return 0;
	case NET_OPT_PCAP:
		if (!arg[0])
			return cli_usage_error(o->sub, "--pcap wants a file name");
		o->pcap = arg;
		return 0;
	case NET_OPT_DROP:
		if (!cli_parse_double(arg, 0, 0.5, &o->drop))
			return cli_usage_error(o->sub, "--drop wants a probability between 0 and 0.5, "
						       "got '%s'", arg);
		return 0;
	case NET_OPT_SEED:
		if (!cli_parse_u64(arg, 1, UINT64_MAX, &o->seed))
			return cli_usage_error(o->sub, "--seed wants a positive integer, got '%s'", arg);
		return 0;
	case NET_OPT_PORT:
		if (!cli_parse_u64(arg, 1, 65535, &v))
			return cli_usage_error(o->sub, "--port wants a port number between 1 and 65535, "
						       "got '%s'", arg);
		o->port = (unsigned)v;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	default:
		return 1;
	}
}

int net_opts_check(struct net_opts *o)
{
	uint32_t mask = o->prefix ? ~0u << (32 - o->prefix) : 0;
	uint32_t a = ntohl(o->addr.s_addr);
	if ((a & ~mask) == 0 || (a & ~mask) == ~mask)
		return cli_usage_error(o->sub, "--addr %s/%u is the network or broadcast address "
					       "of its prefix", inet_ntoa(o->addr), o->prefix);
	if (!o->kaddr_set) {
		o->kaddr.s_addr = htonl((a & mask) + 1);
		if (o->kaddr.s_addr == o->addr.s_addr)
			return cli_usage_error(o->sub, "--addr %s is the first host address, which the "
						       "kernel side takes; pick another or give --kernel-addr",
					       inet_ntoa(o->addr));
	}
	if (o->kaddr.s_addr == o->addr.s_addr)
		return cli_usage_error(o->sub, "--kernel-addr must differ from --addr");
	if ((ntohl(o->kaddr.s_addr) & mask) != (a & mask))
		return cli_usage_error(o->sub, "--kernel-addr %s is outside %s/%u", inet_ntoa(o->kaddr),
				       "--addr's prefix", o->prefix);
	return 0;
}

/* --verbose: one line per state change, "local peer OLD -> NEW (why)". */
static void net_trace(void *ctx, const struct synack_trace *ev)
{
	(void)ctx;
	if (ev->kind != SYNACK_TRACE_STATE)
		return;
	char l[32], p[32];
	net_fmt_sin(l, sizeof(l), &ev->local);
	net_fmt_sin(p, sizeof(p), &ev->peer);
	fprintf(stderr, "state %s %s %s -> %s%s%s%s\n", l, p, synack_state_ss_name(ev->old_state),
		synack_state_ss_name(ev->new_state), ev->why ? " (" : "", ev->why ? ev->why : "",
		ev->why ? ")" : "");
}

static void on_signal(struct synack_loop *l, int fd, uint32_t events, void *arg)
{
	struct net_run *r = arg;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		r->got_signal = (int)si.ssi_signo;
	synack_loop_stop(l);
}

static int fail(struct net_run *r, const char *what, const char *why)
{
	fprintf(stderr, "synack: %s: %s%s%s\n", r->o->sub, what, why ? ": " : "", why ? why : "");
	net_down(r);
	return CLI_FAILED;
}

int net_up(struct net_run *r, const struct net_opts *o)
{
	*r = (struct net_run){.o = o, .sigfd = -1};
	char err[300];
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error return, not a death */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o->netns) {
		int made = netns_create(o->netns, err, sizeof(err));
		if (made < 0)
			return fail(r, err, NULL);
		r->netns_made = made == 1;
	}
	struct synack_tun *tun = netns_open_tun(o->netns, o, err, sizeof(err));
	if (!tun)
		return fail(r, err, NULL);
	if (o->drop > 0)
		synack_tun_set_drop(tun, o->drop, o->seed ? o->seed : 1);
	struct synack_pcap *pc = NULL;
	if (o->pcap && !(pc = synack_pcap_open(o->pcap))) {
		synack_tun_close(tun);
		return fail(r, o->pcap, strerror(errno));
	}
	struct synack_loop_params lp = {.addr = o->addr, .seed = o->seed, .tun = tun, .pcap = pc};
	if (o->trace) {
		lp.trace = o->trace;
		lp.trace_ctx = o->trace_ctx;
	} else if (o->verbose) {
		lp.trace = net_trace;
	}
	r->loop = synack_loop_new(&lp);
	if (!r->loop) {
		synack_tun_close(tun);
		if (pc)
			synack_pcap_close(pc);
		return fail(r, "cannot create the stack", strerror(errno));
	}
	r->st = synack_loop_stack(r->loop);
	if (r->sigfd >= 0)
		synack_loop_watch_host(r->loop, r->sigfd, EPOLLIN, on_signal, r);
	if (synack_loop_control_open(r->loop) < 0) {
		char dir[80];
		synack_control_dir(dir, sizeof(dir));
		fprintf(stderr, "synack: %s: warning: no control socket in %s (%s); `synack ss` "
			"will not see this process\n", o->sub, dir, strerror(errno));
	}
	return CLI_OK;
}

void net_down(struct net_run *r)
{
	if (r->loop)
		synack_loop_free(r->loop); /* closes the device */
	r->loop = NULL;
	free(r->owned);
	r->owned = NULL;
	if (r->netns_made)
		netns_delete(r->o->netns);
	r->netns_made = false;
	if (r->sigfd >= 0)
		close(r->sigfd);
	r->sigfd = -1;
}
