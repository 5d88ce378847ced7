/*
 * The control socket: `synack ss` and `synack nstat` ask a running
 * process for its sockets and counters.
 *
 * Access: the directory is 0700 and the socket 0600, both the owner's, and
 * a peer whose SO_PEERCRED uid is not ours is hung up on unanswered, so
 * another user cannot read the process's connections.
 *
 * Protocol: the client sends one line, "ss" or "nstat"; the server answers
 * with lines of text and closes. "ss": one line per socket of key=value
 * fields (state, queues, addresses, time in its state and unread bytes,
 * timer, and TCP_INFO figures where the socket has a descriptor); "nstat": "Name value" per counter. The client
 * (tools/synack/ss.c, nstat.c) does the formatting and the filtering.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "runtime/runtime_int.h"

void synack_control_dir(char *buf, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (x && x[0] == '/')
		snprintf(buf, len, "%s/synack", x);
	else if (geteuid() == 0)
		snprintf(buf, len, "/run/synack");
	else
		snprintf(buf, len, "/tmp/synack-%u", (unsigned)geteuid());
}

/* The directory must be ours and 0700, or someone else could swap sockets. */
static int control_mkdir(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	struct stat sb;
	if (lstat(dir, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static void put_sin(FILE *f, const char *key, const struct sockaddr_in *s)
{
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
	fprintf(f, " %s=%s:%u", key, a, ntohs(s->sin_port));
}

static void put_info(FILE *f, struct synack_stack *st, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (fd < 0 || synack_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return;
	fprintf(f, " rto=%u ato=%u mss=%u rcvmss=%u advmss=%u cwnd=%u ssthresh=%u rtt=%u rttvar=%u"
		" unacked=%u retrans_total=%u lastsnd=%u lastrcv=%u lastack=%u pmtu=%u"
		" rcv_space=%u rcv_ssthresh=%u minrtt=%u backoff=%u",
		ti.tcpi_rto, ti.tcpi_ato, ti.tcpi_snd_mss, ti.tcpi_rcv_mss, ti.tcpi_advmss,
		ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh, ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_unacked,
		ti.tcpi_total_retrans, ti.tcpi_last_data_sent, ti.tcpi_last_data_recv,
		ti.tcpi_last_ack_recv, ti.tcpi_pmtu, ti.tcpi_rcv_space, ti.tcpi_rcv_ssthresh,
		ti.tcpi_min_rtt, ti.tcpi_backoff);
}

/* An AF_UNIX name as ss -x shows it: "@" for the leading NUL of an
 * abstract name, "*" for none; bytes that would break the line (space,
 * control, non-ASCII) as '?'. */
static void put_un(FILE *f, const char *key, const struct sockaddr_un *sa, socklen_t len)
{
	size_t n = len > offsetof(struct sockaddr_un, sun_path)
			   ? (size_t)len - offsetof(struct sockaddr_un, sun_path) : 0;
	fprintf(f, " %s=", key);
	if (!n) {
		fputc('*', f);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)sa->sun_path[i];
		if (i == 0 && c == 0)
			fputc('@', f);
		else if (c == 0 && i == n - 1)
			break; /* a path name's NUL */
		else
			fputc(c > ' ' && c < 0x7f ? c : '?', f);
	}
}

static void answer_ss(struct synack_loop *l, FILE *f)
{
	/* The stack's clock stands where the loop last polled, maybe a
	 * minute ago: bring it to now so ages and timers are current. */
	synack_poll(l->st, synack_loop_clock());
	size_t n = synack_sockets(l->st, NULL, 0);
	struct synack_sockinfo *rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return;
	n = synack_sockets(l->st, rows, n);
	for (size_t i = 0; i < n; i++) {
		const struct synack_sockinfo *r = &rows[i];
		if (r->family == AF_UNIX) {
			fprintf(f, "unix state=%d rq=%u sq=%u fd=%d ino=%llu peer_ino=%llu age=%llu",
				r->state, r->recv_q, r->send_q, r->fd, (unsigned long long)r->conn,
				(unsigned long long)r->peer_conn, (unsigned long long)r->state_age);
			put_un(f, "local", &r->un_local, r->un_local_len);
			put_un(f, "peer", &r->un_peer, r->un_peer_len);
			fputc('\n', f);
			continue;
		}
		fprintf(f, "tcp state=%d rq=%u sq=%u fd=%d", r->state, r->recv_q, r->send_q, r->fd);
		put_sin(f, "local", &r->local);
		put_sin(f, "peer", &r->peer);
		fprintf(f, " age=%llu unread=%u", (unsigned long long)r->state_age, r->unread);
		if (r->timer)
			fprintf(f, " timer=%s expires=%llu retrans=%u", r->timer,
				(unsigned long long)r->timer_expires, r->retrans);
		put_info(f, l->st, r->fd);
		fputc('\n', f);
	}
	free(rows);
}

static void answer_nstat(struct synack_loop *l, FILE *f)
{
	size_t n = synack_counters(l->st, NULL, 0);
	struct synack_counter *rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return;
	n = synack_counters(l->st, rows, n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %llu\n", rows[i].name, (unsigned long long)rows[i].value);
	free(rows);
}

/* One client, answered at once: a short blocking exchange (1 s limits)
 * keeps the server simple; the answer is a few kilobytes. */
static void control_accept(struct synack_loop *l, int lfd, uint32_t events, void *arg)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != geteuid()) {
		close(c);
		return;
	}
	struct timeval tv = {.tv_sec = 1};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char req[32];
	ssize_t n = recv(c, req, sizeof(req) - 1, 0);
	FILE *f = n > 0 ? fdopen(c, "w") : NULL;
	if (!f) {
		close(c);
		return;
	}
	req[n] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	fprintf(f, "pid %d\n", (int)getpid());
	if (!strcmp(req, "ss"))
		answer_ss(l, f);
	else if (!strcmp(req, "nstat"))
		answer_nstat(l, f);
	else
		fprintf(f, "error unknown request\n");
	fclose(f);
}

int synack_loop_control_open(struct synack_loop *l)
{
	char dir[80];
	synack_control_dir(dir, sizeof(dir));
	if (control_mkdir(dir) < 0)
		return -1;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%d.sock", dir, (int)getpid());
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(sun.sun_path); /* a stale one from a process that had our pid */
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || chmod(sun.sun_path, 0600) < 0 || listen(fd, 8) < 0 ||
	    synack_loop_watch_host(l, fd, EPOLLIN, control_accept, NULL) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	l->control_fd = fd;
	snprintf(l->control_path, sizeof(l->control_path), "%s", sun.sun_path);
	return 0;
}

void loop_control_close(struct synack_loop *l)
{
	if (l->control_fd < 0)
		return;
	synack_loop_unwatch_host(l, l->control_fd);
	close(l->control_fd);
	unlink(l->control_path);
	l->control_fd = -1;
}
