/*
 * synack ss: the sockets of running synack processes, printed as
 * `ss -tan` prints the kernel's: the same columns, state names, -l/-a
 * selection, -o timers, -i TCP_INFO figures, -p owner, and `state` /
 * `exclude` filters with ss's names and groups (ss(8)).
 *
 * One addition of ours: how long each socket has been in its state
 * (`age:`, with -e on every row, with -o on CLOSE-WAIT rows; CLOSE-WAIT
 * rows add `unread:`, the bytes the application has not read, as Recv-Q
 * counts them plus one for the FIN, as Linux's does) and the --min-age
 * filter, so that a CLOSE-WAIT that never ends (an application that
 * forgot to close) is easy to find: `synack ss -o --min-age 60 state
 * close-wait`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/synack.h>

#include "cli.h"
#include "ctl.h"
#include "servers.h"

#define ST(s) (1u << SYNACK_##s)
#define ST_ALL 0xffeu
/* ss's default: connected sockets, minus the time-wait and syn-recv "buckets". */
#define ST_CONN (ST_ALL & ~(ST(LISTEN) | ST(CLOSE) | ST(TIME_WAIT) | ST(SYN_RECV)))

struct ss_opts {
	unsigned mask;
	int timers, info, procs, header, ext;
	int unix_only;                 /* -x: AF_UNIX (local) sockets, as ss -x */
	unsigned long long min_age_ms; /* --min-age: rows at least this long in their state */
	unsigned rows;
};

static const struct {
	const char *name;
	unsigned mask;
} ss_states[] = {
	{"all", ST_ALL},
	{"connected", ST_ALL & ~(ST(LISTEN) | ST(CLOSE))},
	{"synchronized", ST_ALL & ~(ST(LISTEN) | ST(CLOSE) | ST(SYN_SENT))},
	{"bucket", ST(SYN_RECV) | ST(TIME_WAIT)},
	{"big", ST_ALL & ~(ST(SYN_RECV) | ST(TIME_WAIT))},
	{"established", ST(ESTABLISHED)},
	{"syn-sent", ST(SYN_SENT)},
	{"syn-recv", ST(SYN_RECV)},
	{"fin-wait-1", ST(FIN_WAIT1)},
	{"fin-wait-2", ST(FIN_WAIT2)},
	{"time-wait", ST(TIME_WAIT)},
	{"closed", ST(CLOSE)},
	{"close-wait", ST(CLOSE_WAIT)},
	{"last-ack", ST(LAST_ACK)},
	{"listening", ST(LISTEN)},
	{"listen", ST(LISTEN)},
	{"closing", ST(CLOSING)},
};

static int state_mask(const char *name, unsigned *mask)
{
	for (size_t i = 0; i < sizeof(ss_states) / sizeof(ss_states[0]); i++)
		if (!strcmp(name, ss_states[i].name)) {
			*mask = ss_states[i].mask;
			return 0;
		}
	return -1;
}

/* ss's timer figure: "216ms", "1.220ms" (sic: 1.22 s), "59sec", "9min42sec". */
static void fmt_timer(char *buf, size_t len, unsigned long long ms)
{
	unsigned long long min = ms / 60000, sec = ms / 1000 % 60, msec = ms % 1000;
	size_t n = 0;
	buf[0] = '\0';
	if (min) {
		n += (size_t)snprintf(buf + n, len - n, "%llumin", min);
		msec = 0;
		if (min > 9)
			sec = 0;
	}
	if (sec) {
		if (sec > 9)
			msec = 0;
		n += (size_t)snprintf(buf + n, len - n, "%llu%s", sec, msec ? "." : "sec");
	}
	if (msec || n == 0)
		snprintf(buf + n, len - n, n ? "%03llums" : "%llums", msec);
}

/* Time in a state: "350ms", "42sec", "9min42sec", "3h07min". */
static void fmt_age(char *buf, size_t len, unsigned long long ms)
{
	unsigned long long s = ms / 1000;
	if (s == 0)
		snprintf(buf, len, "%llums", ms);
	else if (s < 60)
		snprintf(buf, len, "%llusec", s);
	else if (s < 3600)
		snprintf(buf, len, "%llumin%llusec", s / 60, s % 60);
	else
		snprintf(buf, len, "%lluh%02llumin", s / 3600, s / 60 % 60);
}

static void addr_col(char *out, size_t len, const char *hostport)
{
	/* port 0 and address 0.0.0.0 of a listener's peer: "*" as ss shows it */
	const char *colon = strrchr(hostport, ':');
	if (colon && !strcmp(colon, ":0"))
		snprintf(out, len, "%.*s:*", (int)(colon - hostport), hostport);
	else
		snprintf(out, len, "%s", hostport);
}

static void print_info(const char *line)
{
	if (!strstr(line, " rto="))
		return;
	printf("\t rto:%g ato:%g mss:%llu pmtu:%llu rcvmss:%llu advmss:%llu cwnd:%llu",
	       ctl_num(line, "rto") / 1000.0, ctl_num(line, "ato") / 1000.0, ctl_num(line, "mss"),
	       ctl_num(line, "pmtu"), ctl_num(line, "rcvmss"), ctl_num(line, "advmss"),
	       ctl_num(line, "cwnd"));
	unsigned long long ssth = ctl_num(line, "ssthresh");
	if (ssth < 0xffff)
		printf(" ssthresh:%llu", ssth);
	printf(" rtt:%g/%g", ctl_num(line, "rtt") / 1000.0, ctl_num(line, "rttvar") / 1000.0);
	if (ctl_num(line, "unacked"))
		printf(" unacked:%llu", ctl_num(line, "unacked"));
	if (ctl_num(line, "retrans_total"))
		printf(" retrans:0/%llu", ctl_num(line, "retrans_total"));
	printf(" lastsnd:%llu lastrcv:%llu lastack:%llu rcv_space:%llu rcv_ssthresh:%llu",
	       ctl_num(line, "lastsnd"), ctl_num(line, "lastrcv"), ctl_num(line, "lastack"),
	       ctl_num(line, "rcv_space"), ctl_num(line, "rcv_ssthresh"));
	unsigned long long minrtt = ctl_num(line, "minrtt");
	if (minrtt && minrtt != 0xffffffffull)
		printf(" minrtt:%g", minrtt / 1000.0);
	putchar('\n');
}

/* ss -x: Netid u_str, the name ("@abstract", a path, or "*") and the
 * socket's inode-like id, then the peer's name and id. */
static void ss_unix_row(struct ss_opts *o, int pid, const char *line)
{
	int state = (int)ctl_num(line, "state");
	if (state < 1 || state > 11 || !(o->mask & (1u << state)))
		return;
	char l[120], p[120], lc[140], pc[140];
	if (!ctl_field(line, "local", l, sizeof(l)))
		snprintf(l, sizeof(l), "*");
	if (!ctl_field(line, "peer", p, sizeof(p)))
		snprintf(p, sizeof(p), "*");
	snprintf(lc, sizeof(lc), "%s %llu", l, ctl_num(line, "ino"));
	snprintf(pc, sizeof(pc), "%s %llu", p, ctl_num(line, "peer_ino"));
	printf("%-6s %-10s %-6llu %-6llu %21s %21s", "u_str", synack_state_ss_name(state),
	       ctl_num(line, "rq"), ctl_num(line, "sq"), lc, pc);
	if (o->procs && !strstr(line, "fd=-1"))
		printf(" users:((\"synack\",pid=%d,fd=%ld))", pid, (long)ctl_num(line, "fd"));
	putchar('\n');
	o->rows++;
}

static void ss_row(void *ctx, int pid, const char *line)
{
	struct ss_opts *o = ctx;
	if (o->unix_only) {
		if (!strncmp(line, "unix ", 5))
			ss_unix_row(o, pid, line);
		return;
	}
	if (strncmp(line, "tcp ", 4))
		return;
	int state = (int)ctl_num(line, "state");
	if (state < 1 || state > 11 || !(o->mask & (1u << state)))
		return;
	unsigned long long age_ms = ctl_num(line, "age") / 1000;
	if (age_ms < o->min_age_ms)
		return;
	char l[40], p[40], lc[48], pc[48], t[20], timer[80] = "", age[64] = "";
	ctl_field(line, "local", l, sizeof(l));
	ctl_field(line, "peer", p, sizeof(p));
	addr_col(lc, sizeof(lc), l);
	addr_col(pc, sizeof(pc), p);
	if (o->timers && ctl_field(line, "timer", t, sizeof(t))) {
		char when[32];
		fmt_timer(when, sizeof(when), ctl_num(line, "expires") / 1000);
		snprintf(timer, sizeof(timer), " timer:(%s,%s,%llu)", t, when, ctl_num(line, "retrans"));
	}
	/* An older server sends no age: show none rather than 0. */
	if ((o->ext || (o->timers && state == SYNACK_CLOSE_WAIT)) && strstr(line, " age=")) {
		char a[24];
		fmt_age(a, sizeof(a), age_ms);
		int n = snprintf(age, sizeof(age), " age:%s", a);
		if (state == SYNACK_CLOSE_WAIT && n > 0)
			snprintf(age + n, sizeof(age) - (size_t)n, " unread:%llu", ctl_num(line, "unread"));
	}
	printf("%-10s %-6llu %-6llu %21s %21s", synack_state_ss_name(state), ctl_num(line, "rq"),
	       ctl_num(line, "sq"), lc, pc);
	long fd = (long)ctl_num(line, "fd");
	if (o->procs && !strstr(line, "fd=-1"))
		printf(" users:((\"synack\",pid=%d,fd=%ld))", pid, fd);
	printf("%s%s\n", timer, age);
	if (o->info)
		print_info(line);
	o->rows++;
}

static const char ss_usage[] =
	"usage: synack ss [-tanloeipH] [--pid PID] [--min-age SEC] [state NAME | exclude NAME]...\n"
	"\n"
	"List the TCP sockets of the running synack processes (yours), with the\n"
	"columns and names of `ss -tan`. By default, connected sockets other than\n"
	"TIME-WAIT and SYN-RECV, as ss.\n"
	"\n"
	"  -a, --all           every socket, listeners and TIME-WAIT too\n"
	"  -l, --listening     listeners only\n"
	"  -o, --options       timers: timer:(on|keepalive|timewait|persist,left,n);\n"
	"                      on CLOSE-WAIT rows also age: (time in CLOSE-WAIT) and\n"
	"                      unread: (bytes not read; Recv-Q counts the FIN too)\n"
	"  -e, --extended      age: on every row, the time the socket has been in its state\n"
	"  -i, --info          TCP_INFO figures (rto, rtt, cwnd, ...) under each row\n"
	"  -p, --processes     the owning process and descriptor\n"
	"  -H, --no-header     no column titles\n"
	"  -x, --unix          the local (AF_UNIX) stream sockets instead, as ss -x:\n"
	"                      u_str, state, queues (listener: queued connections and\n"
	"                      backlog; else unread bytes and bytes charged to the send\n"
	"                      buffer), @abstract or path name (names inside the stack,\n"
	"                      not files) and an inode-like id, the peer's likewise\n"
	"  -t, -n              accepted for ss's habits (TCP, numeric: always)\n"
	"  --pid PID           only that process\n"
	"  --min-age SEC       only sockets in their state for at least SEC seconds;\n"
	"                      a CLOSE-WAIT that lasts is an application that forgot to\n"
	"                      close: synack ss -o --min-age 60 state close-wait\n"
	"  state NAME          only that state: established, syn-sent, syn-recv,\n"
	"                      fin-wait-1, fin-wait-2, time-wait, closed, close-wait,\n"
	"                      last-ack, listening, closing, or a group: all,\n"
	"                      connected, synchronized, bucket, big (repeatable)\n"
	"  exclude NAME        leave those out\n"
	"  -h, --help          this help\n";

int ss_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},     {"listening", no_argument, NULL, 'l'},
		{"options", no_argument, NULL, 'o'}, {"info", no_argument, NULL, 'i'},
		{"processes", no_argument, NULL, 'p'}, {"no-header", no_argument, NULL, 'H'},
		{"tcp", no_argument, NULL, 't'}, {"unix", no_argument, NULL, 'x'},     {"numeric", no_argument, NULL, 'n'},
		{"pid", required_argument, NULL, 'P'}, {"help", no_argument, NULL, 'h'},
		{"extended", no_argument, NULL, 'e'}, {"min-age", required_argument, NULL, 'A'},
		{NULL, 0, NULL, 0},
	};
	struct ss_opts o = {.header = 1};
	unsigned base = ST_CONN;
	uint64_t pid = 0;
	int c;
	uint64_t min_age = 0;
	while ((c = cli_getopt("ss", argc, argv, "tanloeipHxh", longopts)) != -1) {
		switch (c) {
		case 'a': base = ST_ALL; break;
		case 'l': base = ST(LISTEN); break;
		case 'o': o.timers = 1; break;
		case 'e': o.ext = 1; break;
		case 'i': o.info = 1; break;
		case 'p': o.procs = 1; break;
		case 'H': o.header = 0; break;
		case 't': case 'n': break;
		case 'x': o.unix_only = 1; break;
		case 'P':
			if (!cli_parse_u64(optarg, 1, 4194304, &pid))
				return cli_usage_error("ss", "--pid wants a process id, got '%s'", optarg);
			break;
		case 'A':
			if (!cli_parse_u64(optarg, 0, 100000000, &min_age))
				return cli_usage_error("ss", "--min-age wants seconds, got '%s'", optarg);
			o.min_age_ms = min_age * 1000;
			break;
		case 'h': fputs(ss_usage, stdout); return CLI_OK;
		default: return CLI_USAGE;
		}
	}
	unsigned incl = 0, excl = 0;
	for (int i = optind; i < argc; i += 2) {
		int ex = !strcmp(argv[i], "exclude") || !strcmp(argv[i], "excl");
		if (strcmp(argv[i], "state") && !ex)
			return cli_usage_error("ss", "unexpected argument '%s' (filters are 'state NAME' "
						     "or 'exclude NAME')", argv[i]);
		unsigned m;
		if (i + 1 >= argc)
			return cli_usage_error("ss", "'%s' wants a state name", argv[i]);
		if (state_mask(argv[i + 1], &m) < 0)
			return cli_usage_error("ss", "unknown state '%s' (try 'synack ss --help')", argv[i + 1]);
		*(ex ? &excl : &incl) |= m;
	}
	o.mask = (incl ? incl : excl ? ST_ALL : base) & ~excl;
	if (o.header && o.unix_only)
		printf("%-6s %-10s %-6s %-6s %21s %21s%s\n", "Netid", "State", "Recv-Q", "Send-Q",
		       "Local Address:Port", "Peer Address:Port", o.procs ? " Process" : "");
	else if (o.header)
		printf("%-10s %-6s %-6s %21s %21s%s\n", "State", "Recv-Q", "Send-Q", "Local Address:Port",
		       "Peer Address:Port", o.procs ? " Process" : "");
	return ctl_query("ss", (long)pid, "ss", ss_row, &o) < 0 ? CLI_FAILED : CLI_OK;
}
