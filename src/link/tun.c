/*
 * The TUN driver (include/synack/tun.h). Linux-only by nature: the
 * descriptor comes from /dev/net/tun and TUNSETIFF (Documentation/
 * networking/tuntap.rst). IFF_NO_PI: no 4-byte packet-info header, each
 * read or write is exactly one IP packet.
 */
#include <synack/tun.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rng.h"

/* Large enough for any IPv4 packet, whatever MTU the device is given. */
#define TUN_BUF 65536

struct synack_tun {
	int fd;
	unsigned mtu;
	char name[IFNAMSIZ];
	double drop;                /* probability, 0 = none */
	struct rng rng;
	struct synack_tun_stats stats;
	unsigned char buf[TUN_BUF];
};

static void open_error(char *err, size_t errlen, const char *name, int e)
{
	const char *what = name && *name ? name : "a TUN device";
	switch (e) {
	case EPERM:
	case EACCES:
		snprintf(err, errlen, "cannot open %s: %s (run as root, or give the program "
			 "CAP_NET_ADMIN: setcap cap_net_admin+ep)", what, strerror(e));
		break;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		snprintf(err, errlen, "cannot open %s: %s (the tun module is not loaded: "
			 "run `modprobe tun`)", what, strerror(e));
		break;
	case EBUSY:
	case EINVAL:
		snprintf(err, errlen, "cannot open %s: %s (a device of that name is in use "
			 "or is not a TUN device; pick another --tun name)", what, strerror(e));
		break;
	default:
		snprintf(err, errlen, "cannot open %s: %s", what, strerror(e));
	}
}

/* The MTU the kernel gives the device: SIOCGIFMTU on any socket of the
 * namespace the device is in (the caller's, when it was opened). */
static unsigned read_mtu(const char *name)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 1500;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	unsigned mtu = 1500;
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68)
		mtu = (unsigned)ifr.ifr_mtu;
	close(s);
	return mtu;
}

struct synack_tun *synack_tun_open(const char *name, char *err, size_t errlen)
{
	if (name && strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "TUN device name '%s' is longer than %d characters", name,
			 IFNAMSIZ - 1);
		errno = EINVAL;
		return NULL;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		open_error(err, errlen, "/dev/net/tun", e);
		errno = e;
		return NULL;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (name)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		open_error(err, errlen, name, e);
		close(fd);
		errno = e;
		return NULL;
	}
	struct synack_tun *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->mtu = read_mtu(t->name);
	rng_seed(&t->rng, 1);
	return t;
}

void synack_tun_close(struct synack_tun *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

int synack_tun_fd(const struct synack_tun *t) { return t->fd; }
const char *synack_tun_name(const struct synack_tun *t) { return t->name; }
unsigned synack_tun_mtu(const struct synack_tun *t) { return t->mtu; }

void synack_tun_set_drop(struct synack_tun *t, double p, uint64_t seed)
{
	t->drop = p;
	rng_seed(&t->rng, seed);
}

static int dropped(struct synack_tun *t)
{
	return t->drop > 0 && rng_unit(&t->rng) < t->drop;
}

int synack_tun_write(struct synack_tun *t, const void *pkt, size_t len)
{
	if (dropped(t)) {
		t->stats.tx_dropped++;
		return 0;
	}
	ssize_t n = write(t->fd, pkt, len);
	if (n < 0) {
		if (errno == EAGAIN || errno == ENOBUFS)
			t->stats.tx_dropped++;
		else
			t->stats.tx_errors++;
		return -1;
	}
	t->stats.tx_packets++;
	t->stats.tx_bytes += (uint64_t)n;
	return 0;
}

int synack_tun_read_batch(struct synack_tun *t, unsigned max, synack_tun_rx_fn fn, void *ctx)
{
	int handed = 0;
	for (unsigned i = 0; i < max; i++) {
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return handed ? handed : -1;
		}
		t->stats.rx_packets++;
		t->stats.rx_bytes += (uint64_t)n;
		if (dropped(t)) {
			t->stats.rx_dropped++;
			continue;
		}
		fn(ctx, t->buf, (size_t)n);
		handed++;
	}
	return handed;
}

void synack_tun_stats(const struct synack_tun *t, struct synack_tun_stats *s)
{
	*s = t->stats;
}
