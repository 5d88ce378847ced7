/*
 * A socket's error queue (Linux sk_error_queue) and the MSG_ZEROCOPY
 * completions that fill it (Documentation/networking/msg_zerocopy.rst).
 *
 * A send call with MSG_ZEROCOPY takes a completion record (Linux's
 * ubuf_info "uarg") numbered by the socket's 32-bit counter; the
 * transport holds it until the call's data is no longer needed (TCP:
 * acknowledged), then completes it, which queues a notification [lo, hi]
 * or widens the one at the queue's tail. Records and queued
 * notifications are charged to the socket's option memory as Linux
 * charges their skbs, so at most net.core.optmem_max worth are
 * outstanding: past it a send fails with ENOBUFS.
 */
#ifndef SYNACK_SOCKET_ERRQUEUE_H
#define SYNACK_SOCKET_ERRQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "socket/sock.h"

/* One completion record: send calls id .. id+len-1 (Linux extends the
 * last record while its data is still unsent, so one record may cover
 * several calls). end is the transport's: TCP's sequence number after the
 * record's last byte. */
struct zc_uarg {
	struct zc_uarg *next;
	uint32_t id, len;
	uint32_t end;
};

/* SO_ZEROCOPY (Linux sk_setsockopt): 0 or 1, else EINVAL. */
int sock_set_zerocopy(struct sock *sk, int v);

/*
 * A MSG_ZEROCOPY send call starts (Linux msg_zerocopy_realloc): last is
 * the transport's newest record if it may be extended (its data still
 * unsent), else NULL. Returns last (extended) or a new record; NULL with
 * ENOBUFS over the optmem limit.
 */
struct zc_uarg *sock_zc_get(struct sock *sk, struct zc_uarg *last);
/* The call took nothing (error): give its number back (Linux
 * msg_zerocopy_put_abort). Returns true if uarg is now empty and freed,
 * so the transport must unlink it. */
bool sock_zc_abort(struct sock *sk, struct zc_uarg *uarg);
/* The record's data is released: queue its notification, or merge it
 * into the tail one, and free the record. Nothing is queued for a socket
 * the application has closed (Linux SOCK_DEAD). */
void sock_zc_complete(struct sock *sk, struct zc_uarg *uarg);

/* recvmsg(MSG_ERRQUEUE) (Linux ip_recv_error). */
ssize_t sock_recv_errqueue(struct sock *sk, struct msghdr *msg);
/* Something waits on the error queue: POLLERR. */
bool sock_errq_ready(const struct sock *sk);
/* The socket is freed: drop the queue. */
void sock_errq_free(struct sock *sk);

#endif
