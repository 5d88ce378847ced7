/*
 * The TUN driver: a Linux TUN device (IFF_TUN | IFF_NO_PI) as the stack's
 * link. Every read returns one IPv4 packet and every write sends one; the
 * descriptor is non-blocking, and synack_tun_read_batch drains up to a
 * batch per wake-up. The device lives in the network namespace the calling
 * thread is in when it is opened, and stays there (see tools/synack/netns.c).
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct synack_tun;

/*
 * Open (creating if needed) the TUN device name ("" or NULL: the kernel
 * picks tunN). On failure return NULL and write a one-line reason to err
 * that names what to do: run as root or grant CAP_NET_ADMIN (EPERM), load
 * the module with `modprobe tun` (ENOENT, ENODEV), or pick another name
 * (EBUSY: the device is taken by another process or is not a TUN device).
 */
struct synack_tun *synack_tun_open(const char *name, char *err, size_t errlen);
void synack_tun_close(struct synack_tun *t);

int synack_tun_fd(const struct synack_tun *t);
const char *synack_tun_name(const struct synack_tun *t);
/* The device's MTU as the kernel reports it when opened (1500 for a new device). */
unsigned synack_tun_mtu(const struct synack_tun *t);

/*
 * Drop each packet, in and out, with probability p (0 = none), deciding
 * with a generator seeded by seed: loss injection for tests where netem is
 * not available. Drops are counted in the statistics.
 */
void synack_tun_set_drop(struct synack_tun *t, double p, uint64_t seed);

/* One packet to the kernel. Returns 0, or -1 with errno (EAGAIN or
 * ENOBUFS: the device queue is full; the packet is not sent, and a driver
 * reports it to the stack as local congestion, SYNACK_XMIT_DROP). */
int synack_tun_write(struct synack_tun *t, const void *pkt, size_t len);

/* Read up to max packets that are waiting and call fn for each (buf is
 * valid during the call). Returns the number handed to fn, or -1 with
 * errno on an error other than EAGAIN. */
typedef void (*synack_tun_rx_fn)(void *ctx, const void *pkt, size_t len);
int synack_tun_read_batch(struct synack_tun *t, unsigned max, synack_tun_rx_fn fn, void *ctx);

struct synack_tun_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped;  /* rx_dropped: --drop */
	uint64_t tx_packets, tx_bytes, tx_dropped;  /* --drop and full queue */
	uint64_t tx_errors;                         /* other write errors */
};
void synack_tun_stats(const struct synack_tun *t, struct synack_tun_stats *s);

#ifdef __cplusplus
}
#endif
#endif
