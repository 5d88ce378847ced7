/*
 * synack demo --tun: TCP A is synack on a TUN device, TCP B the Linux
 * kernel in a private network namespace running a python3 echo server.
 * A connects, writes DEMO_MSG, reads the echo and closes first; B closes
 * DTUN_B_CLOSE_DELAY_MS after reading end of file. The ladder's rows come
 * from synack's trace hook (SEG_OUT, SEG_IN, STATE); B's column is the
 * kernel's own `ss`, run inside the hook: on SEG_OUT the packet has been
 * written to the device (the kernel processes a TUN write before write()
 * returns, so ss shows the state after it), on SEG_IN it has been read
 * (ss shows the state the kernel sent it in, or a later one). While A
 * waits for B's FIN, ss is also polled, so a change with no segment of
 * its own shows too. A stops in TIME-WAIT (the 60 s timer is left
 * running) unless --time-wait-wait.
 */
#include "demo_tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"
#include "tladder.h"

#define DTUN_LIMIT_S 20          /* the whole exchange, TIME-WAIT aside */
#define DTUN_POLL_MS 50          /* loop pass, and ss polling while waiting */
#define DTUN_LISTEN_WAIT_MS 5000 /* for python3 to listen */

struct dtun {
	const struct demo_opts *o;
	struct net_opts no;
	struct net_run r;
	bool up;
	struct tladder lad;
	char ns[32];
	char addr[INET_ADDRSTRLEN], kaddr[INET_ADDRSTRLEN];
	pid_t py;
	/* A, the application. */
	int fd;
	enum demo_phase phase;
	char buf[64];
	size_t got, put;
	/* The A call running (its note), and a state change it made that no
	 * segment row has shown yet. */
	const char *call;
	bool call_moved;
	int call_state;
	/* A's column: the connection followed and its state. */
	uint64_t focus;
	int ours;
	bool reached_tw;
	size_t deliv;             /* row index + 1 of the arrival being processed */
	bool deliv_moved;
	/* B's column. */
	char kstate[TL_KSTATE];   /* as ss last showed it */
	bool kseen, kgone;
	unsigned samples, ss_errors;
	synack_time_t last_poll;
	/* Counts for the summary. */
	uint64_t segs[2], retrans, lost[2];
	struct synack_tun_stats ts;
	bool have_iss[2];
	uint32_t iss[2];
	uint16_t lport;
	synack_time_t t0, t_end;
	char why[200];
};

static int dt_fail(struct dtun *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int dt_fail(struct dtun *d, const char *fmt, ...)
{
	if (!d->why[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->why, sizeof(d->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- B's column: the kernel's ss ---------------------------------------- */

/* Sample ss for B's connection; put its state on row (if any). Returns
 * true if B's state changed. */
static bool sample_kernel(struct dtun *d, struct tl_row *row)
{
	char st[TL_KSTATE];
	if (dtun_ss_state(d->ns, DTUN_PORT, d->addr, false, st, sizeof(st)) < 0) {
		d->ss_errors++;
		if (row)
			snprintf(row->kernel, sizeof(row->kernel), "?");
		return false;
	}
	d->samples++;
	const char *name = st;
	if (st[0])
		d->kseen = true;
	else
		name = d->kseen ? "CLOSED" : "LISTEN"; /* the listener stays until B is done */
	d->kgone = d->kseen && !st[0];
	bool changed = strcmp(name, d->kstate) != 0;
	if (row) {
		snprintf(row->kernel, sizeof(row->kernel), "%s", name);
		/* B's application closing is the one B call ss reveals. */
		if (changed && (!strcmp(name, "LAST-ACK") || !strcmp(name, "FIN-WAIT-1")))
			tl_note(row, "B: close() after reading EOF");
	}
	snprintf(d->kstate, sizeof(d->kstate), "%s", name);
	return changed;
}

/* Between segments: a change ss shows gets a row of B's alone. */
static void poll_kernel(struct dtun *d)
{
	synack_time_t now = synack_loop_clock();
	if (d->kgone || now - d->last_poll < SYNACK_MS(DTUN_POLL_MS))
		return;
	d->last_poll = now;
	struct tl_row scratch = {0};
	if (!sample_kernel(d, &scratch))
		return;
	struct tl_row *row = tl_add(&d->lad, now, TL_NONE);
	if (row) {
		*row = scratch;
		row->t = now;
		row->dir = TL_NONE;
		if (!row->note[0])
			tl_note(row, "seen by polling ss");
	}
}

/* Packets the device's --loss dropped since the last look. */
static void count_drops(struct dtun *d, struct tl_row *out_row)
{
	struct synack_tun_stats s;
	synack_tun_stats(synack_loop_tun(d->r.loop), &s);
	if (s.tx_dropped > d->ts.tx_dropped && out_row) {
		out_row->lost = true;
		tl_note(out_row, "dropped on the device (--loss)");
		d->lost[0]++;
	}
	for (uint64_t i = d->ts.rx_dropped; i < s.rx_dropped; i++) {
		struct tl_row *row = tl_add(&d->lad, synack_loop_clock(), TL_NONE);
		if (row)
			tl_note(row, "a packet from B dropped by --loss");
		d->lost[1]++;
	}
	d->ts = s;
}

/* ---- A's column: the trace hook ------------------------------------------ */

/* State changes a timer makes: never part of an arrival (the stack names
 * its timer causes). */
static bool timer_caused(const struct synack_trace *ev)
{
	return ev->why && (strstr(ev->why, "timeout") || strstr(ev->why, "exhausted") ||
			   strstr(ev->why, "unanswered"));
}

static void on_state(struct dtun *d, const struct synack_trace *ev)
{
	if (d->focus == 0)
		d->focus = ev->conn;
	if (ev->conn != d->focus)
		return;
	d->ours = ev->new_state;
	if (ev->new_state == SYNACK_TIME_WAIT)
		d->reached_tw = true;
	if (d->deliv && !timer_caused(ev)) {
		tl_ours(&d->lad.v[d->deliv - 1], ev->new_state, d->deliv_moved);
		d->deliv_moved = true;
		return;
	}
	if (d->call) { /* shown by the call's segment, or by a row at its end */
		d->call_moved = true;
		d->call_state = ev->new_state;
		return;
	}
	struct tl_row *row = tl_add(&d->lad, synack_loop_clock(), TL_NONE);
	if (!row)
		return;
	tl_ours(row, ev->new_state, false);
	if (ev->old_state == SYNACK_TIME_WAIT && ev->new_state == SYNACK_CLOSE)
		tl_note(row, "(2MSL timeout)");
	else if (ev->why)
		tl_note(row, ev->why);
}

static void on_seg(struct dtun *d, const struct synack_trace *ev, enum tl_dir dir)
{
	char peer[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &ev->peer.sin_addr, peer, sizeof(peer));
	if (ntohs(ev->peer.sin_port) != DTUN_PORT || strcmp(peer, d->kaddr))
		return; /* not the demo's connection */
	int side = dir == TL_OUT ? 0 : 1;
	d->segs[side]++;
	if ((ev->flags & 0x02) && !d->have_iss[side]) {
		d->have_iss[side] = true;
		d->iss[side] = ev->seq;
	}
	d->lport = ntohs(ev->local.sin_port);
	if (dir == TL_IN)
		d->deliv = 0;
	struct tl_row *row = tl_add(&d->lad, synack_loop_clock(), dir);
	if (!row)
		return;
	row->seq = ev->seq;
	row->ack = ev->ack;
	row->len = ev->len;
	row->flags = ev->flags;
	tl_ours(row, d->ours, false);
	if (dir == TL_IN) {
		d->deliv = d->lad.n;
		d->deliv_moved = false;
	} else {
		if (ev->retransmit) {
			d->retrans++;
			tl_note(row, "retransmission");
		}
		if (d->call) {
			tl_note(row, d->call);
			d->call_moved = false;
		} else if (!d->deliv && !ev->retransmit) {
			tl_note(row, ev->flags == 0x10 && !ev->len ? "delayed ACK" : "timer");
		}
		size_t idx = (size_t)(row - d->lad.v);
		count_drops(d, row); /* may add rows: row moves */
		row = &d->lad.v[idx];
	}
	sample_kernel(d, row);
}

static void dt_trace(void *ctx, const struct synack_trace *ev)
{
	struct dtun *d = ctx;
	switch (ev->kind) {
	case SYNACK_TRACE_STATE:
		on_state(d, ev);
		break;
	case SYNACK_TRACE_SEG_OUT:
		on_seg(d, ev, TL_OUT);
		break;
	case SYNACK_TRACE_SEG_IN:
		on_seg(d, ev, TL_IN);
		break;
	case SYNACK_TRACE_DROP:
		if (d->deliv)
			tl_note(&d->lad.v[d->deliv - 1], ev->why ? ev->why : "dropped");
		break;
	}
}

/* ---- A, the application ------------------------------------------------- */

static void call_begin(struct dtun *d, const char *call)
{
	d->deliv = 0;
	d->call = call;
	d->call_moved = false;
}

/* A state change of the call that sent nothing gets its own row. */
static void call_end(struct dtun *d)
{
	if (d->call && d->call_moved) {
		struct tl_row *row = tl_add(&d->lad, synack_loop_clock(), TL_NONE);
		if (row) {
			tl_ours(row, d->call_state, false);
			tl_note(row, d->call);
		}
	}
	d->call = NULL;
	d->call_moved = false;
}

static int a_connect(struct dtun *d)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(DTUN_PORT),
				 .sin_addr = d->no.kaddr};
	d->fd = synack_socket(d->r.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (d->fd < 0)
		return dt_fail(d, "A: socket: %s", strerror(errno));
	call_begin(d, "A: connect()");
	int rc = synack_connect(d->r.st, d->fd, (struct sockaddr *)&to, sizeof(to));
	call_end(d);
	if (rc < 0 && errno != EINPROGRESS)
		return dt_fail(d, "A: connect: %s", strerror(errno));
	d->phase = PH_CONNECTING;
	return 1;
}

static int a_connecting(struct dtun *d)
{
	uint32_t ev = synack_poll_events(d->r.st, d->fd);
	if (ev & (EPOLLERR | EPOLLHUP)) {
		int err = 0;
		socklen_t len = sizeof(err);
		synack_getsockopt(d->r.st, d->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		return dt_fail(d, "A: connect: %s", strerror(err ? err : ECONNREFUSED));
	}
	if (!(ev & EPOLLOUT))
		return 0;
	d->phase = PH_TALKING;
	return 1;
}

static int a_talk(struct dtun *d)
{
	int progress = 0;
	if (d->put < DEMO_MSG_LEN) {
		call_begin(d, "A: write(14)");
		ssize_t n = synack_write(d->r.st, d->fd, DEMO_MSG + d->put, DEMO_MSG_LEN - d->put);
		call_end(d);
		if (n < 0 && errno != EAGAIN)
			return dt_fail(d, "A: write: %s", strerror(errno));
		if (n > 0) {
			d->put += (size_t)n;
			progress = 1;
		}
	}
	if (d->got == sizeof(d->buf))
		return dt_fail(d, "A: more bytes came back than were sent");
	call_begin(d, "A: read()");
	ssize_t n = synack_read(d->r.st, d->fd, d->buf + d->got, sizeof(d->buf) - d->got);
	call_end(d);
	if (n < 0 && errno != EAGAIN)
		return dt_fail(d, "A: read: %s", strerror(errno));
	if (n == 0)
		return dt_fail(d, "A: B closed after %zu of %zu echoed bytes", d->got, DEMO_MSG_LEN);
	if (n > 0) {
		d->got += (size_t)n;
		progress = 1;
	}
	if (d->got >= DEMO_MSG_LEN) {
		call_begin(d, "A: close()");
		int rc = synack_close(d->r.st, d->fd);
		call_end(d);
		d->fd = -1;
		if (rc < 0)
			return dt_fail(d, "A: close: %s", strerror(errno));
		d->phase = PH_DONE;
		d->last_poll = synack_loop_clock();
		return 1;
	}
	return progress;
}

/* One of A's steps: 1 progress, 0 none, -1 failed. */
static int a_step(struct dtun *d)
{
	switch (d->phase) {
	case PH_IDLE:
		return a_connect(d);
	case PH_CONNECTING:
		return a_connecting(d);
	case PH_TALKING:
		return a_talk(d);
	case PH_DONE:
		break;
	}
	return 0;
}

static bool finished(const struct dtun *d)
{
	if (d->phase != PH_DONE || !d->kgone || !d->reached_tw)
		return false;
	return !d->o->time_wait_wait || d->ours == SYNACK_CLOSE;
}

/* Run A and the loop until the exchange is over; 0 or -1 (d->why). */
static int drive(struct dtun *d)
{
	synack_time_t limit = synack_loop_clock() + SYNACK_SEC(DTUN_LIMIT_S);
	if (d->o->time_wait_wait)
		limit += SYNACK_SEC(60);
	for (;;) {
		for (int i = 0; i < 16; i++) {
			int p = a_step(d);
			if (p < 0)
				return -1;
			if (!p)
				break;
		}
		if (finished(d))
			return 0;
		if (synack_loop_stopped(d->r.loop))
			return dt_fail(d, "interrupted");
		if (synack_loop_clock() >= limit)
			return dt_fail(d, "not finished after %d s (A %s, B %s)",
				       (int)((limit - d->t0) / 1000000u),
				       synack_state_rfc_name(d->ours), d->kstate);
		if (synack_loop_run_once(d->r.loop, DTUN_POLL_MS) < 0)
			return dt_fail(d, "event loop: %s", strerror(errno));
		d->deliv = 0;
		count_drops(d, NULL);
		if (d->phase == PH_DONE)
			poll_kernel(d);
	}
}

/* ---- Set-up, report ------------------------------------------------------- */

/* Why the demo cannot run here, or NULL. */
static const char *cannot_run(void)
{
	if (geteuid() != 0)
		return "it needs root (a network namespace and a TUN device)";
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return "no usable /dev/net/tun (load the module: modprobe tun)";
	if (!dtun_in_path("ip") || !dtun_in_path("ss"))
		return "`ip` and `ss` are needed (install iproute2)";
	if (!dtun_in_path("python3"))
		return "python3 is needed for the kernel's echo server";
	return NULL;
}

/* The namespace and device (net_up), then B's echo server, listening. */
static int setup(struct dtun *d)
{
	if (d->o->netns)
		snprintf(d->ns, sizeof(d->ns), "%s", d->o->netns);
	else
		snprintf(d->ns, sizeof(d->ns), "synack-demo-%d", (int)getpid());
	net_opts_init(&d->no, "demo", DTUN_PORT);
	d->no.netns = d->ns;
	d->no.pcap = d->o->pcap_path;
	d->no.drop = d->o->loss;
	d->no.seed = d->o->seed;
	d->no.trace = dt_trace;
	d->no.trace_ctx = d;
	if (net_opts_check(&d->no))
		return dt_fail(d, "bad addresses");
	inet_ntop(AF_INET, &d->no.addr, d->addr, sizeof(d->addr));
	inet_ntop(AF_INET, &d->no.kaddr, d->kaddr, sizeof(d->kaddr));
	if (net_up(&d->r, &d->no) != CLI_OK)
		return -1; /* net_up said why */
	d->up = true;
	d->py = dtun_echo_server(d->ns, d->kaddr, DTUN_PORT, DTUN_B_CLOSE_DELAY_MS);
	if (d->py < 0)
		return dt_fail(d, "cannot start python3 in %s: %s", d->ns, strerror(errno));
	char st[TL_KSTATE] = "";
	for (int waited = 0; strcmp(st, "LISTEN"); waited += 20) {
		if (waited > DTUN_LISTEN_WAIT_MS || waitpid(d->py, NULL, WNOHANG) == d->py)
			return dt_fail(d, "the kernel's echo server (python3) did not start listening "
					  "on %s:%d", d->kaddr, DTUN_PORT);
		if (dtun_ss_state(d->ns, DTUN_PORT, NULL, true, st, sizeof(st)) < 0)
			return dt_fail(d, "cannot run `ip netns exec %s ss`", d->ns);
		if (strcmp(st, "LISTEN"))
			synack_loop_run_once(d->r.loop, 20);
	}
	d->t0 = synack_loop_clock();
	struct tl_row *row = tl_add(&d->lad, d->t0, TL_NONE);
	if (row) {
		tl_ours(row, SYNACK_CLOSE, false);
		snprintf(row->kernel, sizeof(row->kernel), "LISTEN");
		snprintf(d->kstate, sizeof(d->kstate), "LISTEN");
	}
	d->ours = SYNACK_CLOSE;
	return 0;
}

static void print_header(const struct dtun *d)
{
	char iss[2][16] = {"none", "none"};
	for (int i = 0; i < 2; i++)
		if (d->have_iss[i])
			snprintf(iss[i], sizeof(iss[i]), "%lu", (unsigned long)d->iss[i]);
	printf("TCP A  synack  %s:%u  ISS %s  (user space, TUN device %s)\n", d->addr, d->lport,
	       iss[0], d->no.tun);
	printf("TCP B  Linux   %s:%d  ISS %s  (python3 echo server)\n", d->kaddr, DTUN_PORT,
	       iss[1]);
	printf("network namespace %s; B closes %d ms after reading end of file\n", d->ns,
	       DTUN_B_CLOSE_DELAY_MS);
	printf("Each row: A's state after the segment left or was processed, the segment, and\n"
	       "B's state as the kernel's own `ss` printed it right after the segment was\n"
	       "written to or read from the device (ss's names: ESTAB is ESTABLISHED, SYN-RECV\n"
	       "is SYN-RECEIVED; CLOSED: ss lists no such socket). ms: real time.\n\n");
}

static void print_summary(const struct dtun *d, bool intact)
{
	synack_time_t el = d->t_end - d->t0;
	printf("echoed        %zu of %zu bytes%s\n", d->got, DEMO_MSG_LEN,
	       intact ? ", \"hello, synack\\n\" came back intact" : "");
	printf("A -> B        %llu segments (%llu retransmitted, %llu lost)\n",
	       (unsigned long long)d->segs[0], (unsigned long long)d->retrans,
	       (unsigned long long)d->lost[0]);
	printf("B -> A        %llu segments arrived (%llu more lost)\n",
	       (unsigned long long)d->segs[1], (unsigned long long)d->lost[1]);
	printf("ss            run %u times in %s%s\n", d->samples, d->ns,
	       d->ss_errors ? " (some runs failed: \"?\")" : "");
	if (d->ours == SYNACK_TIME_WAIT)
		printf("final states  A TIME-WAIT: its 2MSL timer (60 s) is still running; the demo\n"
		       "              stops here (--time-wait-wait waits it out); B %s\n", d->kstate);
	else
		printf("final states  A %s, B %s\n", synack_state_rfc_name(d->ours), d->kstate);
	printf("real time     %llu.%03llu s\n", (unsigned long long)(el / 1000000u),
	       (unsigned long long)(el / 1000u % 1000u));
	if (d->o->pcap_path)
		printf("pcap          %s: every packet synack sent and received\n", d->o->pcap_path);
}

/* Check, print; the exit status. */
static int report(struct dtun *d, int drive_rc)
{
	bool intact = d->got == DEMO_MSG_LEN && !memcmp(d->buf, DEMO_MSG, DEMO_MSG_LEN);
	if (drive_rc == 0 && !intact)
		dt_fail(d, "the echo differs from what A sent");
	if (drive_rc == 0 && d->ss_errors)
		dt_fail(d, "`ss` failed %u times", d->ss_errors);
	if (d->lad.oom)
		dt_fail(d, "out of memory while recording the diagram");
	print_header(d);
	tl_print(&d->lad, stdout);
	print_summary(d, intact);
	fflush(stdout);
	if (d->why[0]) {
		fprintf(stderr, "synack: demo: %s\n", d->why);
		return CLI_FAILED;
	}
	return CLI_OK;
}

static void teardown(struct dtun *d)
{
	if (d->py > 0)
		dtun_reap(d->py, 1000); /* it ends after closing; else killed */
	d->py = -1;
	if (d->up)
		net_down(&d->r); /* the device, then the namespace */
	d->up = false;
}

int demo_tun_run(const struct demo_opts *o)
{
	const char *why = cannot_run();
	if (why) {
		fprintf(stderr, "synack: demo: --tun cannot run here: %s (skipped)\n", why);
		return DEMO_SKIPPED;
	}
	struct dtun *d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "synack: demo: out of memory\n");
		return CLI_FAILED;
	}
	d->o = o;
	d->fd = -1;
	d->py = -1;
	int rc;
	if (setup(d) == 0) {
		int drc = drive(d);
		d->t_end = synack_loop_clock();
		if (d->fd >= 0)
			synack_close(d->r.st, d->fd);
		teardown(d);
		rc = report(d, drc);
	} else {
		if (d->why[0])
			fprintf(stderr, "synack: demo: %s\n", d->why);
		teardown(d);
		rc = CLI_FAILED;
	}
	tl_free(&d->lad);
	free(d);
	return rc;
}
