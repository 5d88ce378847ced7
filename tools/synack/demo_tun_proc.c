/*
 * The Linux programs `synack demo --tun` runs in B's namespace: the
 * kernel's `ss`, sampled at every segment, and a python3 echo server.
 * Both are spawned with an empty signal mask (net_up blocks SIGINT and
 * SIGTERM for its signalfd, and children must not inherit that).
 */
#include "demo_tun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SS_TIMEOUT_MS 5000

bool dtun_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	char dir[PATH_MAX], full[PATH_MAX + 64];
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0 && n < sizeof(dir)) {
			memcpy(dir, p, n);
			dir[n] = '\0';
			snprintf(full, sizeof(full), "%s/%s", dir, prog);
			if (access(full, X_OK) == 0)
				return true;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/* posix_spawnp argv with an empty signal mask; stdout to out_fd (-1: ours),
 * stderr to /dev/null when quiet. */
static pid_t spawn(char *const argv[], int out_fd, bool quiet)
{
	posix_spawnattr_t at;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_init(&fa);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e) {
		errno = e;
		return -1;
	}
	return pid;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read all of fd until EOF, at most len-1 bytes kept, within deadline. */
static int read_all(int fd, char *buf, size_t len, long long deadline)
{
	size_t n = 0;
	for (;;) {
		long long left = deadline - ms_now();
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		char tmp[512];
		ssize_t got = read(fd, tmp, sizeof(tmp));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		size_t k = (size_t)got < len - 1 - n ? (size_t)got : len - 1 - n;
		memcpy(buf + n, tmp, k);
		n += k;
	}
	buf[n] = '\0';
	return 0;
}

int dtun_ss_state(const char *ns, unsigned port, const char *peer, bool listening, char *state,
		  size_t len)
{
	char filter[128];
	if (listening)
		snprintf(filter, sizeof(filter), "( sport = :%u )", port);
	else
		snprintf(filter, sizeof(filter), "( sport = :%u and dst %s )", port, peer);
	char *lsn[] = {"ip", "netns", "exec", (char *)ns, "ss", "-tlnH", filter, NULL};
	char *conn[] = {"ip", "netns", "exec", (char *)ns, "ss", "-tanH", "state", "all", filter, NULL};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = spawn(listening ? lsn : conn, p[1], true);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	char out[4096];
	int rc = read_all(p[0], out, sizeof(out), ms_now() + SS_TIMEOUT_MS);
	close(p[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	size_t n = strcspn(out, " \t\n");
	if (n >= len)
		n = len - 1;
	memcpy(state, out, n);
	state[n] = '\0';
	return 0;
}

/* One connection, echoed until end of file; then a pause so the kernel's
 * CLOSE-WAIT lasts long enough for ss to see it, and close. The timeouts
 * end it should synack go away. */
static const char echo_py[] =
	"import socket, sys, time\n"
	"addr, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])\n"
	"s = socket.socket()\n"
	"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
	"s.bind((addr, port))\n"
	"s.listen(1)\n"
	"s.settimeout(30)\n"
	"c, _ = s.accept()\n"
	"c.settimeout(30)\n"
	"while True:\n"
	"    b = c.recv(65536)\n"
	"    if not b:\n"
	"        break\n"
	"    c.sendall(b)\n"
	"time.sleep(delay)\n"
	"c.close()\n"
	"s.close()\n";

pid_t dtun_echo_server(const char *ns, const char *addr, unsigned port, unsigned delay_ms)
{
	char p[16], d[32];
	snprintf(p, sizeof(p), "%u", port);
	snprintf(d, sizeof(d), "%u.%03u", delay_ms / 1000, delay_ms % 1000);
	char *argv[] = {"ip", "netns", "exec", (char *)ns, "python3", "-c", (char *)echo_py,
			(char *)addr, p, d, NULL};
	return spawn(argv, -1, false);
}

void dtun_reap(pid_t pid, int wait_ms)
{
	if (pid <= 0)
		return;
	long long end = ms_now() + wait_ms;
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		if (ms_now() >= end)
			break;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
