/*
 * The error queue and MSG_ZEROCOPY completions (errqueue.h), as Linux's
 * net/core/skbuff.c (msg_zerocopy_*) and ip_recv_error run them.
 *
 * synack copies user data into its send buffer in the send call itself,
 * so a caller may reuse its buffer at once. Completions still follow
 * Linux's contract (one number per call, queued when the data is
 * released, consecutive ranges merged) so programs written for Linux
 * work unchanged, and each one honestly says SO_EE_CODE_ZEROCOPY_COPIED:
 * Linux says the same whenever it had to copy (a device without
 * scatter-gather, loopback, tun), which tells the program that the flag
 * buys nothing here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/errqueue.h>

#include "core/stack.h"
#include "socket/errqueue.h"
#include "socket/socket.h"

/*
 * Option memory, as Linux charges it (sock_omalloc): each record and each
 * queued notification is an skb of truesize 832 (measured with
 * SO_MEMINFO on Linux 6.18, x86-64: one queued notification), and a new
 * record is refused when the charge plus SKB_TRUESIZE(0) (576) would pass
 * net.core.optmem_max: 157 outstanding at the default 128 KiB.
 */
#define ZC_SKB_TRUESIZE 832u
#define ZC_SKB_TRUESIZE_MIN 576u
/* Linux's uarg->len is a u16; a record stops growing at USHRT_MAX - 1. */
#define ZC_UARG_LEN_MAX 65534u

struct errq_ent {
	struct errq_ent *next;
	struct sock_extended_err ee;
};

struct sock_errq {
	uint32_t zckey;                  /* Linux sk_zckey: the next call's number */
	uint32_t omem;                   /* Linux sk_omem_alloc */
	struct errq_ent *head, *tail;
};

static struct sock_errq *errq_of(struct sock *sk)
{
	if (!sk->errq)
		sk->errq = calloc(1, sizeof(*sk->errq));
	return sk->errq;
}

int sock_set_zerocopy(struct sock *sk, int v)
{
	/* Linux 6.x takes it in any state (4.14-4.19 said EBUSY once
	 * connected); only 0 and 1 are values. */
	if (v < 0 || v > 1) {
		errno = EINVAL;
		return -1;
	}
	sk->zerocopy = v;
	return 0;
}

struct zc_uarg *sock_zc_get(struct sock *sk, struct zc_uarg *last)
{
	struct sock_errq *q = errq_of(sk);
	if (!q) {
		errno = ENOBUFS;
		return NULL;
	}
	/* msg_zerocopy_realloc: the newest record grows by one call while
	 * its numbers end where the counter is. */
	if (last && last->id + last->len == q->zckey && last->len < ZC_UARG_LEN_MAX) {
		last->len++;
		q->zckey++;
		return last;
	}
	uint64_t optmem = (uint64_t)(sk->st->cfg.optmem_max > 0 ? sk->st->cfg.optmem_max : 0);
	struct zc_uarg *u = NULL;
	if ((uint64_t)q->omem + ZC_SKB_TRUESIZE_MIN <= optmem)
		u = calloc(1, sizeof(*u));
	if (!u) {
		errno = ENOBUFS;
		return NULL;
	}
	u->id = q->zckey++;
	u->len = 1;
	q->omem += ZC_SKB_TRUESIZE;
	return u;
}

static void uarg_free(struct sock *sk, struct zc_uarg *u)
{
	sk->errq->omem -= ZC_SKB_TRUESIZE;
	free(u);
}

bool sock_zc_abort(struct sock *sk, struct zc_uarg *uarg)
{
	/* The call's number goes back, so the next call reuses it (no gap
	 * in the notifications; zerocopy/closed.pkt). */
	sk->errq->zckey--;
	uarg->len--;
	if (uarg->len)
		return false;
	uarg_free(sk, uarg);
	return true;
}

void sock_zc_complete(struct sock *sk, struct zc_uarg *uarg)
{
	struct sock_errq *q = sk->errq;
	if (!uarg->len || sk->fd < 0) {
		uarg_free(sk, uarg);
		return;
	}
	uint32_t lo = uarg->id, len = uarg->len;
	/* skb_zerocopy_notify_extend: the tail notification takes a range
	 * that continues it, while the sum stays below 2^32 calls. Linux
	 * does not compare ee_code here, nor do we (ours is always COPIED). */
	struct errq_ent *t = q->tail;
	if (t && t->ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY && lo == t->ee.ee_data + 1 &&
	    (uint64_t)(t->ee.ee_data - t->ee.ee_info) + 1 + len < (1ull << 32)) {
		t->ee.ee_data += len;
		uarg_free(sk, uarg);
		sock_wakeup(sk);
		return;
	}
	struct errq_ent *e = calloc(1, sizeof(*e));
	if (!e) {
		uarg_free(sk, uarg); /* no memory: the notification is lost */
		return;
	}
	/* The record's charge stays with the queued notification. */
	free(uarg);
	e->ee.ee_errno = 0; /* zero: blocks neither reads nor writes */
	e->ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
	e->ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED; /* we always copy */
	e->ee.ee_info = lo;
	e->ee.ee_data = lo + len - 1;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	sock_wakeup(sk); /* Linux sk_error_report: POLLERR */
}

/* Linux put_cmsg: as much of the message as fits, MSG_CTRUNC if cut;
 * no room for a header means no cmsg at all. */
static void put_cmsg(struct msghdr *msg, int level, int type, const void *data, size_t len)
{
	size_t room = msg->msg_control ? msg->msg_controllen : 0;
	size_t cmlen = CMSG_LEN(len);
	msg->msg_controllen = 0;
	if (room < sizeof(struct cmsghdr)) {
		msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	if (room < cmlen) {
		msg->msg_flags |= MSG_CTRUNC;
		cmlen = room;
	}
	struct cmsghdr h = {.cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type};
	memcpy(msg->msg_control, &h, sizeof(h));
	memcpy(CMSG_DATA((struct cmsghdr *)msg->msg_control), data,
	       cmlen - CMSG_LEN(0));
	size_t space = CMSG_SPACE(len);
	msg->msg_controllen = space < room ? space : room;
}

ssize_t sock_recv_errqueue(struct sock *sk, struct msghdr *msg)
{
	struct sock_errq *q = sk->errq;
	struct errq_ent *e = q ? q->head : NULL;
	if (!e) {
		errno = EAGAIN; /* reading the error queue never blocks */
		return -1;
	}
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	/* ip_recv_error: the error and the offender's address (none for
	 * zerocopy: zeroed), 0 bytes of data, msg_name untouched. */
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in offender;
	} errhdr;
	memset(&errhdr, 0, sizeof(errhdr));
	errhdr.ee = e->ee;
	msg->msg_flags = 0;
	msg->msg_namelen = 0;
	put_cmsg(msg, SOL_IP, IP_RECVERR, &errhdr, sizeof(errhdr));
	msg->msg_flags |= MSG_ERRQUEUE;
	q->omem -= ZC_SKB_TRUESIZE;
	free(e);
	if (q->head)
		sock_wakeup(sk); /* sock_dequeue_err_skb: more to read */
	return 0;
}

bool sock_errq_ready(const struct sock *sk)
{
	return sk->errq && sk->errq->head;
}

void sock_errq_free(struct sock *sk)
{
	struct sock_errq *q = sk->errq;
	if (!q)
		return;
	while (q->head) {
		struct errq_ent *e = q->head;
		q->head = e->next;
		free(e);
	}
	free(q);
	sk->errq = NULL;
}
