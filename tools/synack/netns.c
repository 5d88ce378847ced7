/*
 * The private network namespace behind --netns, and the kernel's side of
 * the TUN device.
 *
 * How the device gets into the namespace: `ip netns add NAME` makes the
 * namespace (a bind mount under /run/netns); this process then setns()
 * into it, opens /dev/net/tun (a TUN device belongs to the namespace its
 * opener is in at TUNSETIFF), runs `ip` to give the device the kernel's
 * address and bring it and lo up (children inherit the namespace), and
 * setns() back. The synack process itself so stays in the root namespace
 * (its control socket, files and stdin/stdout are the user's), while the
 * only handle on the device is its descriptor: the device is not
 * persistent, so it disappears with the process however that ends, and
 * `ip netns del` on exit removes the namespace and its routes. A namespace
 * that exists already is used and left in place (start a Linux server in it
 * first, then `synack connect` to it).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "net.h"

extern char **environ;

int net_ip(char *const argv[])
{
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none;
	sigemptyset(&none);
	/* Our SIGINT/SIGTERM are blocked for the signalfd; ip must not inherit that. */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int e = posix_spawnp(&pid, "ip", NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (e) {
		errno = e;
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int netns_create(const char *name, char *err, size_t errlen)
{
	char path[300];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (access(path, F_OK) == 0)
		return 0; /* the user's: use it, leave it */
	char *argv[] = {"ip", "netns", "add", (char *)name, NULL};
	if (net_ip(argv) < 0) {
		snprintf(err, errlen, "cannot create network namespace '%s' with `ip netns add` "
			 "(run as root, and install iproute2)", name);
		return -1;
	}
	return 1;
}

void netns_delete(const char *name)
{
	char *argv[] = {"ip", "netns", "del", (char *)name, NULL};
	net_ip(argv);
}

static int configure(const char *dev, const struct net_opts *o, int in_ns, char *err, size_t errlen)
{
	char cidr[40], ka[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &o->kaddr, ka, sizeof(ka));
	snprintf(cidr, sizeof(cidr), "%s/%u", ka, o->prefix);
	char *lo[] = {"ip", "link", "set", "dev", "lo", "up", NULL};
	/* replace, not add: a persistent device may carry the address already. */
	char *addr[] = {"ip", "addr", "replace", cidr, "dev", (char *)dev, NULL};
	char *up[] = {"ip", "link", "set", "dev", (char *)dev, "up", NULL};
	/* The stack speaks IPv4 only: keep the kernel's IPv6 chatter (router
	 * solicitations, MLD) off the device. /proc/sys/net is the namespace
	 * of the thread that opens it, which is the device's here. */
	char sysctl[96];
	snprintf(sysctl, sizeof(sysctl), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	FILE *f = fopen(sysctl, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	if ((in_ns && net_ip(lo) < 0) || net_ip(addr) < 0 || net_ip(up) < 0) {
		snprintf(err, errlen, "cannot configure %s with `ip` (address %s)", dev, cidr);
		return -1;
	}
	return 0;
}

struct synack_tun *netns_open_tun(const char *ns, const struct net_opts *o, char *err, size_t errlen)
{
	int self = -1, target = -1;
	if (ns) {
		char path[300];
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
			snprintf(err, errlen, "cannot enter network namespace '%s': %s", ns, strerror(errno));
			if (self >= 0)
				close(self);
			if (target >= 0)
				close(target);
			return NULL;
		}
	}
	struct synack_tun *t = synack_tun_open(o->tun, err, errlen);
	if (t && configure(synack_tun_name(t), o, ns != NULL, err, errlen) < 0) {
		synack_tun_close(t);
		t = NULL;
	}
	if (ns) {
		if (setns(self, CLONE_NEWNET) < 0) {
			/* Cannot happen with a descriptor of our own namespace; stop rather
			 * than run in the wrong one. */
			snprintf(err, errlen, "cannot return to the original namespace: %s", strerror(errno));
			synack_tun_close(t);
			t = NULL;
		}
		close(self);
		close(target);
	}
	return t;
}
