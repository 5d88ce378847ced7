/*
 * synack demo: TCP A (10.0.0.1) connects to an echo server on TCP B
 * (10.0.0.2 port 7) over memlink, sends a line, reads it back and closes;
 * the conversation is printed as an RFC 9293 style ladder diagram.
 *
 * --pcap captures each packet when its sender hands it to the network
 * (MEMLINK_SENT), so lost packets are in the file too, as on a capture
 * taken at the sending host.
 */
#include "demo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo_int.h"
#include "demo_tun.h"

static const char demo_usage[] =
	"usage: synack demo [--simultaneous-close] [--loss P] [--seed N] [--delay MS]\n"
	"                   [--pcap FILE]\n"
	"       synack demo --tun [--time-wait-wait] [--netns NAME] [--loss P] [--seed N]\n"
	"                   [--pcap FILE]\n"
	"\n"
	"TCP A (" DEMO_ADDR_A ") connects to an echo server on TCP B (" DEMO_ADDR_B
	" port 7)\n"
	"over an in-memory network on virtual time, sends \"hello, synack\", reads the\n"
	"echo and closes; B closes when it reads end of file. Prints the segments and\n"
	"states as a ladder diagram in the style of RFC 9293 Figure 6.\n"
	"\n"
	"  --simultaneous-close  both close at the same instant: the FINs cross\n"
	"                        (FIN-WAIT-1, CLOSING, TIME-WAIT on both sides)\n"
	"  --loss P              drop each packet with probability P, both ways (0)\n"
	"  --seed N              seed of the network's random choices (1)\n"
	"  --delay MS            one-way delay in milliseconds (10)\n"
	"  --pcap FILE           write every packet, as sent, to FILE (tshark -r FILE)\n"
	"  -h, --help            this help\n"
	"\n"
	"--tun: TCP B is the Linux kernel instead. A private network namespace gets a\n"
	"TUN device (synack, TCP A, is 10.211.0.2, the kernel 10.211.0.1) and a python3\n"
	"echo server on port 7 that closes 200 ms after reading end of file. Each row\n"
	"shows B's state as the kernel's own `ss` in the namespace reports it, read\n"
	"right after each segment left or arrived. Needs root, /dev/net/tun, ip, ss\n"
	"and python3; real time, so --delay and --simultaneous-close do not apply.\n"
	"  --tun                 run against the Linux kernel over a TUN device\n"
	"  --time-wait-wait      wait out A's TIME-WAIT (60 s) instead of stopping there\n"
	"  --netns NAME          the namespace (made and removed unless it exists;\n"
	"                        synack-demo-PID)\n"
	"  --loss P              drop each packet in and out with probability P (0..0.5)\n"
	"  --seed N              seed of synack's keys and of --loss (1)\n"
	"\n"
	"Exit status: 0 the echo came back intact and both ends reached CLOSED\n"
	"(--tun: A in TIME-WAIT, or CLOSED with --time-wait-wait, and no socket left\n"
	"in the kernel's ss), 1 it did not, 2 bad usage, 77 (--tun) cannot run here.\n";

static const struct option demo_longopts[] = {
	{"simultaneous-close", no_argument, NULL, 'S'},
	{"loss", required_argument, NULL, 'l'},
	{"seed", required_argument, NULL, 's'},
	{"delay", required_argument, NULL, 'd'},
	{"pcap", required_argument, NULL, 'p'},
	{"tun", no_argument, NULL, 'T'},
	{"time-wait-wait", no_argument, NULL, 'W'},
	{"netns", required_argument, NULL, 'n'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The options that make sense with --tun and those that need it; -1 to go
 * on, else CLI_USAGE. */
static int check_tun_opts(const struct demo_opts *o)
{
	if (!o->tun && (o->time_wait_wait || o->netns))
		return cli_usage_error("demo", "--%s needs --tun",
				       o->time_wait_wait ? "time-wait-wait" : "netns");
	if (o->tun && o->simultaneous_close)
		return cli_usage_error("demo", "--simultaneous-close is not available with --tun "
					       "(the kernel's echo server closes when it reads end of file)");
	if (o->tun && o->delay_set)
		return cli_usage_error("demo", "--delay is not available with --tun (the delay is "
					       "the kernel's; add one with tc qdisc ... netem delay)");
	if (o->tun && o->loss > 0.5)
		return cli_usage_error("demo", "--loss with --tun wants a probability between 0 and "
					       "0.5");
	return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_opts(struct demo_opts *o, int argc, char **argv)
{
	*o = (struct demo_opts){.seed = 1, .delay = SYNACK_MS(10)};
	int c;
	double ms;
	while ((c = cli_getopt("demo", argc, argv, "h", demo_longopts)) != -1) {
		switch (c) {
		case 'S':
			o->simultaneous_close = true;
			break;
		case 'l':
			if (!cli_parse_double(optarg, 0, 1, &o->loss))
				return cli_usage_error("demo", "--loss wants a probability between 0 and 1, "
							       "got '%s'", optarg);
			break;
		case 's':
			if (!cli_parse_u64(optarg, 0, UINT64_MAX, &o->seed))
				return cli_usage_error("demo", "--seed wants a non-negative integer, got '%s'", optarg);
			break;
		case 'd':
			if (!cli_parse_double(optarg, 0, 60000, &ms))
				return cli_usage_error("demo", "--delay wants milliseconds between 0 and "
							       "60000, got '%s'", optarg);
			o->delay = (synack_time_t)(ms * 1000 + 0.5); /* no libm: round by hand */
			o->delay_set = true;
			break;
		case 'T':
			o->tun = true;
			break;
		case 'W':
			o->time_wait_wait = true;
			break;
		case 'n':
			if (!optarg[0] || strlen(optarg) > 15 || strchr(optarg, '/') || optarg[0] == '.')
				return cli_usage_error("demo", "--netns wants a name of 1 to 15 characters "
							       "without '/', got '%s'", optarg);
			o->netns = optarg;
			break;
		case 'p':
			if (!optarg[0])
				return cli_usage_error("demo", "--pcap wants a file name");
			o->pcap_path = optarg;
			break;
		case 'h':
			fputs(demo_usage, stdout);
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	int rc = cli_no_operands("demo", argc, argv);
	return rc ? rc : check_tun_opts(o);
}

static void demo_trace(void *ctx, const struct synack_trace *ev)
{
	struct demo_host *h = ctx;
	ladder_trace(h->d->lad, h->id, ev);
}

static void demo_tap(void *ctx, synack_time_t now, enum memlink_fate fate, int from, int to,
		     const void *pkt, size_t len)
{
	struct demo *d = ctx;
	ladder_tap(d->lad, now, fate, from, to, pkt, len);
	if (fate != MEMLINK_SENT || !d->pcap || d->pcap_errno)
		return;
	if (synack_pcap_write(d->pcap, now, pkt, len) < 0)
		d->pcap_errno = errno ? errno : EIO;
	else
		d->pcap_packets++;
}

/* The network, both stacks (host 0 = A, host 1 = B) and B's listener. */
static int demo_setup(struct demo *d)
{
	d->net = memlink_new(d->opt.seed, 0);
	d->lad = ladder_new();
	if (!d->net || !d->lad)
		return demo_fail(d, "out of memory");
	if (d->opt.pcap_path && !(d->pcap = synack_pcap_open(d->opt.pcap_path)))
		return demo_fail(d, "%s: %s", d->opt.pcap_path, strerror(errno));
	memlink_set_tap(d->net, demo_tap, d);
	const char *addr[2] = {DEMO_ADDR_A, DEMO_ADDR_B};
	for (int i = 0; i < 2; i++) {
		struct demo_host *h = &d->host[i];
		*h = (struct demo_host){.d = d, .id = i, .fd = -1, .lfd = -1};
		h->st = memlink_stack_add(d->net, addr[i], NULL, demo_trace, h);
		if (!h->st)
			return demo_fail(d, "cannot create the stack for %s: %s", addr[i],
					 strerror(errno));
	}
	struct memlink_path path = {.delay = d->opt.delay, .loss = d->opt.loss};
	memlink_set_path(d->net, -1, -1, &path);
	if (demo_listen(d) < 0)
		return -1;
	ladder_begin(d->lad, memlink_now(d->net));
	return 0;
}

static void format_ms(char *buf, size_t len, synack_time_t us)
{
	snprintf(buf, len, "%llu.%03llu", (unsigned long long)(us / 1000),
		 (unsigned long long)(us % 1000));
}

static void print_header(const struct demo *d, const struct ladder_stats *s)
{
	for (int i = 0; i < 2; i++) {
		char ip[INET_ADDRSTRLEN] = "?", iss[16] = "none";
		inet_ntop(AF_INET, &s->addr[i].sin_addr, ip, sizeof(ip));
		if (s->have_iss[i])
			snprintf(iss, sizeof(iss), "%lu", (unsigned long)s->iss[i]);
		printf("TCP %c  %s:%u  ISS %s\n", i ? 'B' : 'A', ip, ntohs(s->addr[i].sin_port), iss);
	}
	char delay[32];
	format_ms(delay, sizeof(delay), d->opt.delay);
	printf("network: one-way delay %s ms, loss %g each way, seed %llu%s\n", delay, d->opt.loss,
	       (unsigned long long)d->opt.seed,
	       d->opt.simultaneous_close ? ", simultaneous close" : "");
	printf("Each row: the sender's state after sending, the segment, the receiver's state\n"
	       "after processing it; ms is when the row's first event happened (for a segment,\n"
	       "its sending); \"...\" marks a segment in flight while other things happen.\n\n");
}

static void print_summary(const struct demo *d, const struct ladder_stats *s)
{
	const struct demo_host *a = &d->host[0];
	bool intact = a->got == DEMO_MSG_LEN && !memcmp(a->buf, DEMO_MSG, DEMO_MSG_LEN);
	char t[32];
	format_ms(t, sizeof(t), memlink_now(d->net) / 1000); /* us -> ms, shown as s */
	printf("echoed        %zu of %zu bytes%s\n", a->got, DEMO_MSG_LEN,
	       intact ? ", \"hello, synack\\n\" came back intact" : "");
	for (int i = 0; i < 2; i++)
		printf("%s        %llu segments (%llu retransmitted, %llu lost)\n",
		       i ? "B -> A" : "A -> B", (unsigned long long)s->segs[i],
		       (unsigned long long)s->retrans[i], (unsigned long long)s->lost[i]);
	printf("final states  A %s, B %s\n", synack_state_rfc_name(ladder_state(d->lad, 0)),
	       synack_state_rfc_name(ladder_state(d->lad, 1)));
	printf("virtual time  %s s (%lu network steps)\n", t, d->steps);
	if (d->opt.pcap_path)
		printf("pcap          %s: %llu packets, captured as sent (lost ones too)\n",
		       d->opt.pcap_path, (unsigned long long)d->pcap_packets);
}

/* Check the result, print the diagram and the summary; the exit status. */
static int demo_report(struct demo *d, int drive_rc)
{
	const struct demo_host *a = &d->host[0];
	if (drive_rc == 0 && (a->got != DEMO_MSG_LEN || memcmp(a->buf, DEMO_MSG, DEMO_MSG_LEN)))
		demo_fail(d, "the echo differs from what A sent");
	if (!ladder_ok(d->lad))
		demo_fail(d, "out of memory while recording the diagram");
	if (d->pcap) {
		if (synack_pcap_close(d->pcap) < 0 && !d->pcap_errno)
			d->pcap_errno = errno ? errno : EIO;
		d->pcap = NULL;
		if (d->pcap_errno)
			demo_fail(d, "%s: %s", d->opt.pcap_path, strerror(d->pcap_errno));
	}
	struct ladder_stats s;
	ladder_get_stats(d->lad, &s);
	print_header(d, &s);
	ladder_print(d->lad, stdout);
	print_summary(d, &s);
	fflush(stdout);
	if (d->why[0]) {
		fprintf(stderr, "synack: demo: %s\n", d->why);
		return CLI_FAILED;
	}
	return CLI_OK;
}

int demo_main(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "synack: demo: out of memory\n");
		return CLI_FAILED;
	}
	int rc = parse_opts(&d->opt, argc, argv);
	if (rc < 0 && d->opt.tun) {
		rc = demo_tun_run(&d->opt);
	} else if (rc < 0) {
		if (demo_setup(d) == 0)
			rc = demo_report(d, demo_drive(d));
		else {
			fprintf(stderr, "synack: demo: %s\n", d->why);
			rc = CLI_FAILED;
		}
	}
	if (d->pcap)
		synack_pcap_close(d->pcap);
	memlink_free(d->net);
	ladder_free(d->lad);
	free(d);
	return rc;
}
