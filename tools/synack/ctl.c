/*
 * The client side of the control socket (src/runtime/control.c) that
 * `synack ss` and `synack nstat` share: find the running processes'
 * sockets, ask, hand each answer line to the caller.
 */
#include "ctl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <synack/runtime.h>

#include "cli.h"

/* Ask one socket; 1 answered, 0 stale (no one listening), -1 error printed. */
static int ask(const char *sub, const char *path, const char *req, ctl_line_fn fn, void *ctx)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(s);
		if (e == ECONNREFUSED || e == ENOENT)
			return 0;
		fprintf(stderr, "synack: %s: cannot reach %s: %s%s\n", sub, path, strerror(e),
			e == EACCES ? " (only the user who runs that synack may ask it)" : "");
		return -1;
	}
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s\n", req);
	/* MSG_NOSIGNAL: a server that hangs up on us (not our uid) is an
	 * answer, not a SIGPIPE. */
	send(s, line, (size_t)n, MSG_NOSIGNAL);
	FILE *f = fdopen(s, "r");
	if (!f) {
		close(s);
		return -1;
	}
	int pid = -1, lines = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (lines++ == 0) {
			if (sscanf(line, "pid %d", &pid) != 1)
				break;
			continue;
		}
		fn(ctx, pid, line);
	}
	fclose(f);
	if (pid < 0) {
		fprintf(stderr, "synack: %s: %s did not answer (it answers only the user who runs it)\n",
			sub, path);
		return -1;
	}
	return 1;
}

int ctl_query(const char *sub, long pid, const char *req, ctl_line_fn fn, void *ctx)
{
	char dir[80], path[400];
	synack_control_dir(dir, sizeof(dir));
	if (pid > 0) {
		snprintf(path, sizeof(path), "%s/%ld.sock", dir, pid);
		int r = ask(sub, path, req, fn, ctx);
		if (r == 0)
			fprintf(stderr, "synack: %s: no synack process %ld is answering at %s\n", sub, pid,
				path);
		return r == 1 ? 0 : -1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			fprintf(stderr, "synack: %s: no running synack process (%s does not exist)\n",
				sub, dir);
		else
			fprintf(stderr, "synack: %s: cannot read %s: %s%s\n", sub, dir, strerror(errno),
				errno == EACCES ? " (only the user who runs synack may)" : "");
		return -1;
	}
	int answered = 0, failed = 0;
	struct dirent *de;
	for (int i = 0; i < 10000 && (de = readdir(d)); i++) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".sock"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		int r = ask(sub, path, req, fn, ctx);
		answered += r == 1;
		failed |= r < 0;
	}
	closedir(d);
	if (!answered && !failed)
		fprintf(stderr, "synack: %s: no running synack process (none answers in %s)\n", sub,
			dir);
	return answered && !failed ? 0 : -1;
}

/* Split "key=value key=value" in place; the value of key, or NULL. */
const char *ctl_field(const char *line, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	for (const char *p = line; (p = strstr(p, key)); p += kl) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t vl = strcspn(v, " ");
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
	}
	return NULL;
}

unsigned long long ctl_num(const char *line, const char *key)
{
	char b[32];
	return ctl_field(line, key, b, sizeof(b)) ? strtoull(b, NULL, 10) : 0;
}
