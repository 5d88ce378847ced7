/*
 * What the interop tests in tests/net share: they run the synack program
 * ($SYNACK_BIN) on a TUN device in a network namespace of their own and
 * Linux tools (curl, nc, ping, ss, python3) in the same namespace.
 *
 * Each test skips, saying why, where namespaces or TUN devices cannot be
 * made (not root, no /dev/net/tun, no `ip`). Every wait is bounded, and the
 * teardown kills what a test started and deletes its namespace, pass or fail.
 * Header-only: CMake makes every .c here a test program of its own.
 */
#ifndef SYNACK_TESTS_NETTEST_H
#define SYNACK_TESTS_NETTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NT_ADDR "10.211.0.2"
#define NT_KADDR "10.211.0.1"
#define NT_MAX_PROCS 4

struct nt {
	char ns[32];                  /* this test's namespace */
	char dir[64];                 /* its scratch directory */
	const char *bin;              /* the synack program */
	char src[512];                /* tests/net, for peer.py */
	pid_t pids[NT_MAX_PROCS];
	int npids;
};

static inline void nt_msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Run a shell command (bounded by `timeout`); its exit status. */
static inline int nt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int nt_sh(const char *fmt, ...)
{
	char cmd[4096], full[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "timeout -k 5 120 sh -c '%s'", cmd);
	int st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* The command's stdout (malloc'd, NUL-terminated). */
static inline char *nt_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *nt_out(const char *fmt, ...)
{
	char cmd[4096], full[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "timeout -k 5 60 sh -c '%s'", cmd);
	FILE *f = popen(full, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	pclose(f);
	return buf;
}

/* Skip (with the reason on stderr) where the tests cannot run here. */
static inline void nt_require(struct nt *t, const char *tools)
{
	const char *why = NULL;
	t->bin = getenv("SYNACK_BIN");
	if (!t->bin || access(t->bin, X_OK) != 0)
		why = "SYNACK_BIN is not set or not executable (build the synack target)";
	else if (geteuid() != 0)
		why = "not root: network namespaces and TUN devices need root (or CAP_NET_ADMIN)";
	else if (access("/dev/net/tun", R_OK | W_OK) != 0)
		why = "no /dev/net/tun (load the module: modprobe tun)";
	else if (nt_sh("command -v ip >/dev/null && ip netns add sk-probe-%d 2>/dev/null && "
		       "ip netns del sk-probe-%d", (int)getpid(), (int)getpid()) != 0)
		why = "cannot create a network namespace (ip netns add failed)";
	if (!why && tools) {
		char t2[256];
		snprintf(t2, sizeof(t2), "%s", tools);
		for (char *s = strtok(t2, " "); s && !why; s = strtok(NULL, " "))
			if (nt_sh("command -v %s >/dev/null", s) != 0) {
				fprintf(stderr, "SKIP: %s is not installed (./do test installs it)\n", s);
				why = "";
			}
	}
	if (why) {
		if (*why)
			fprintf(stderr, "SKIP: %s\n", why);
		skip();
	}
}

static inline int nt_setup(void **state)
{
	struct nt *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/synack-net-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	chmod(t->dir, 0755); /* nobody must reach it in the permission test */
	/* Unique per test: the directory's random part names the namespace. */
	snprintf(t->ns, sizeof(t->ns), "sk-%s", t->dir + strlen("/tmp/synack-net-"));
	snprintf(t->src, sizeof(t->src), "%s", __FILE__);
	char *slash = strrchr(t->src, '/');
	if (slash)
		*slash = '\0';
	*state = t;
	return 0;
}

static inline void nt_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGCONT);
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		nt_msleep(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static inline int nt_teardown(void **state)
{
	struct nt *t = *state;
	for (int i = t->npids - 1; i >= 0; i--)
		nt_kill(t->pids[i]);
	t->npids = 0;
	nt_sh("ip netns pids %s 2>/dev/null | xargs -r kill -9 2>/dev/null; "
	      "ip netns del %s 2>/dev/null; rm -rf %s", t->ns, t->ns, t->dir);
	free(t);
	return 0;
}

/*
 * Start `sh -c CMD` in the background (exec'd, so the pid is the command's),
 * stdout and stderr to files in the scratch directory named NAME.out and
 * NAME.err, stdin from in_fd (-1: /dev/null). Killed by the teardown.
 */
static inline pid_t nt_spawn(struct nt *t, const char *name, int in_fd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline pid_t nt_spawn(struct nt *t, const char *name, int in_fd, const char *fmt, ...)
{
	char cmd[4096], out[128], err[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 6, fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s/%s.out", t->dir, name);
	snprintf(err, sizeof(err), "%s/%s.err", t->dir, name);
	assert_true(t->npids < NT_MAX_PROCS);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		char full[4200];
		snprintf(full, sizeof(full), "exec %s", cmd);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	t->pids[t->npids++] = pid;
	return pid;
}

/* Wait (at most ms) until file dir/NAME contains needle; 1 if it did. */
static inline int nt_wait_for(struct nt *t, const char *name, const char *needle, int ms)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	for (int waited = 0; waited <= ms; waited += 20) {
		FILE *f = fopen(path, "r");
		if (f) {
			char buf[8192];
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = '\0';
			fclose(f);
			if (strstr(buf, needle))
				return 1;
		}
		nt_msleep(20);
	}
	return 0;
}

/* Wait (at most ms) for shell command CMD to succeed. */
static inline int nt_wait_sh(int ms, const char *cmd)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		if (nt_sh("%s", cmd) == 0)
			return 1;
		nt_msleep(50);
	}
	return 0;
}

/* Wait for a spawned process to exit on its own (at most ms): its exit
 * status, or -1 if it was still running (then it is left to the teardown). */
static inline int nt_join(struct nt *t, pid_t pid, int ms)
{
	for (int waited = 0; waited <= ms; waited += 20) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			for (int i = 0; i < t->npids; i++)
				if (t->pids[i] == pid)
					t->pids[i] = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		nt_msleep(20);
	}
	return -1;
}

/* Start a synack server subcommand in this test's namespace and wait until
 * it listens. extra: more options ("--root DIR"). */
static inline pid_t nt_server(struct nt *t, const char *sub, const char *extra)
{
	pid_t pid = nt_spawn(t, "server", -1, "%s %s --netns %s --addr " NT_ADDR "/24 -v %s", t->bin,
			     sub, t->ns, extra ? extra : "");
	if (!nt_wait_for(t, "server.err", "listening on", 15000)) {
		char *e = nt_out("cat %s/server.err", t->dir);
		fprintf(stderr, "server did not start:\n%s\n", e);
		free(e);
		fail();
	}
	return pid;
}

/* Make a file of n random MiB in the scratch directory; its path in buf. */
static inline void nt_random_file(struct nt *t, const char *name, int mib, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->dir, name);
	assert_int_equal(nt_sh("head -c %dM /dev/urandom > %s", mib, buf), 0);
}

#endif
