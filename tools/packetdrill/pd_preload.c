/*
 * With LD_PRELOAD of this same library, packetdrill's own getsockopt and
 * close calls (its %{ tcp_info }% checks call the real getsockopt(TCP_INFO),
 * and it closes every script socket at the end) reach these. Descriptors
 * of the synack instance are answered by synack, in Linux's struct
 * tcp_info layout; every other descriptor goes on to libc.
 *
 * packetdrill runs a script's shell commands with system(); a command
 * that runs `ip tcp_metrics flush` (the scripts' way to forget Fast Open
 * cookies, also in common/defaults.sh) flushes the stack's per-destination
 * memory too, as it would the kernel's. Only a flush of everything is
 * recognised; the command still runs for the kernel's own cache. A
 * command that runs `nstat` reads our counters instead of the kernel's
 * (pd_nstat.c).
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pd_call.h"

typedef int (*getsockopt_fn)(int, int, int, void *, socklen_t *);

__attribute__((visibility("default")))
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
__attribute__((visibility("default")))
int close(int fd);
__attribute__((visibility("default")))
int system(const char *command);

static struct pd *owner_of(int fd)
{
	struct pd *pd = pd_instance;
	return pd && pd_fd_ok(fd) && pd->map[fd] ? pd : NULL;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd *pd = owner_of(fd);
	if (!pd) {
		getsockopt_fn next = (getsockopt_fn)dlsym(RTLD_NEXT, "getsockopt");
		if (!next) {
			errno = ENOSYS;
			return -1;
		}
		return next(fd, level, name, val, len);
	}
	pd_enter(pd);
	int r = pd_do_getsockopt(pd, fd, level, name, val, len);
	PD_RETURN(pd, r);
}

int close(int fd)
{
	struct pd *pd = owner_of(fd);
	if (!pd)
		return pd_real_close(fd);
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r = sfd < 0 ? pd_real_close(fd) : synack_close(pd->st, sfd);
	if (sfd >= 0)
		pd_drop_fd(pd, fd);
	PD_RETURN(pd, r);
}

typedef int (*system_fn)(const char *);

int system(const char *command)
{
	struct pd *pd = pd_instance;
	if (pd && command &&
	    (strstr(command, "tcp_metrics flush") || strstr(command, "tcpmetrics flush"))) {
		pd_enter(pd);
		synack_tcp_metrics_flush(pd->st, (struct in_addr){INADDR_ANY});
		pd_leave(pd);
	}
	system_fn next = (system_fn)dlsym(RTLD_NEXT, "system");
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	char *rewritten = NULL;
	struct pd_nstat_files files = {0};
	if (pd && command && strstr(command, "nstat")) {
		pd_enter(pd);
		rewritten = pd_nstat_rewrite(pd, command, &files);
		pd_leave(pd);
	}
	int r = next(rewritten ? rewritten : command);
	pd_nstat_cleanup(&files);
	free(rewritten);
	return r;
}
