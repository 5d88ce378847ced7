/*
 * Local stream sockets: creation, lifetime, close, shutdown, readiness,
 * options and ioctls, as Linux's af_unix.c (unix_create1,
 * unix_release_sock, unix_shutdown, unix_poll, unix_ioctl).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "local/local.h"
#include "socket/socket.h"

static int fail(int err)
{
	errno = err;
	return -1;
}

struct local_ns *local_ns_get(struct synack_stack *st)
{
	if (st->local)
		return st->local;
	struct local_ns *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->nnames = 256;
	ns->names = calloc(ns->nnames, sizeof(*ns->names));
	if (!ns->names) {
		free(ns);
		return NULL;
	}
	/* Keys from the connection key, so using AF_UNIX does not move the
	 * stack's generator (ISNs stay as they were). */
	ns->name_key.k0 = siphash24(&st->conn_key, "local-name-0", 12);
	ns->name_key.k1 = siphash24(&st->conn_key, "local-name-1", 12);
	/* Linux unix_autobind starts at a random number of 20 bits. */
	ns->autobind_next = (uint32_t)siphash24(&st->conn_key, "local-auto", 10) & 0xFFFFF;
	/* No processes in a stack: the creating process's credentials,
	 * which synack_set_ucred may replace (reported as Linux's
	 * cred_to_ucred: effective ids). */
	ns->cred = (struct local_cred){.pid = getpid(), .uid = geteuid(), .gid = getegid()};
	st->local = ns;
	return ns;
}

void synack_set_ucred(struct synack_stack *st, pid_t pid, uid_t uid, gid_t gid)
{
	struct local_ns *ns = local_ns_get(st);
	if (ns)
		ns->cred = (struct local_cred){.pid = pid, .uid = uid, .gid = gid};
}

void local_ns_free(struct synack_stack *st)
{
	struct local_ns *ns = st->local;
	if (!ns)
		return;
	/* The stack goes: every socket and message with it, whatever holds it. */
	while (ns->all) {
		struct local_sock *ls = ns->all;
		ns->all = ls->all_next;
		for (struct local_msg *m = ls->rq_head, *nx; m; m = nx) {
			nx = m->next;
			free(m);
		}
		free(ls->name);
		free(ls);
	}
	for (unsigned i = 0; i < ns->nmsg_cache; i++)
		free(ns->msg_cache[i]);
	free(ns->names);
	free(ns);
	st->local = NULL;
}

struct local_sock *local_sock_new(struct synack_stack *st, int type)
{
	struct local_ns *ns = local_ns_get(st);
	struct local_sock *ls = ns ? calloc(1, sizeof(*ls)) : NULL;
	if (!ls)
		return NULL;
	ls->sk.st = st;
	ls->sk.ops = &local_proto_ops;
	ls->sk.fd = -1;
	ls->sk.type = type;
	ls->sk.family = AF_UNIX;
	/* unix_create1: sock_init_data's defaults, the core *mem_default. */
	ls->sk.sndbuf = st->cfg.wmem_default;
	ls->sk.rcvbuf = st->cfg.rmem_default;
	ls->state = SYNACK_CLOSE;
	ls->state_since = st->now;
	ls->id = st->next_conn_id++;
	ls->refs = 1;
	ls->all_next = ns->all;
	if (ns->all)
		ns->all->all_prev = ls;
	ns->all = ls;
	return ls;
}

void local_hold(struct local_sock *ls) { ls->refs++; }

void local_put(struct local_sock *ls)
{
	if (--ls->refs > 0)
		return;
	struct local_ns *ns = ls->sk.st->local;
	if (ls->all_prev)
		ls->all_prev->all_next = ls->all_next;
	else
		ns->all = ls->all_next;
	if (ls->all_next)
		ls->all_next->all_prev = ls->all_prev;
	free(ls->name);
	free(ls);
}

void local_set_state(struct local_sock *ls, int state)
{
	ls->state = state;
	ls->state_since = ls->sk.st->now;
}

/* Linux init_peercred: the calling "process", here the stack's setting. */
void local_cred_capture(struct local_sock *ls)
{
	ls->cred = ls->sk.st->local->cred;
	ls->has_cred = true;
}

/*
 * Linux unix_release_sock: the name leaves the table (the socket keeps
 * it for a peer's getpeername), both directions shut; a connected peer
 * sees both directions shut too (recv 0 once drained, send EPIPE) and,
 * if we leave bytes unread or were never accepted, ECONNRESET first.
 * Our receive queue is freed, which gives its senders their room back.
 */
void local_release(struct local_sock *ls, bool embryo)
{
	struct sock *sk = &ls->sk;
	local_unbind(ls);
	int was = ls->state;
	local_set_state(ls, SYNACK_CLOSE);
	sk->shut_rd = sk->shut_wr = true;
	struct local_sock *peer = ls->peer;
	if (peer) {
		peer->sk.shut_rd = peer->sk.shut_wr = true;
		if (ls->rq_head || embryo)
			peer->sk.err = ECONNRESET;
		sock_wakeup(&peer->sk);
		ls->peer = NULL;
		local_put(peer);
	}
	if (was == SYNACK_LISTEN)
		local_listen_stop(ls);
	if (ls->connecting)
		local_wait_cancel(ls);
	local_purge(ls);
	ls->released = true;
	local_put(ls);
}

static void local_close(struct sock *sk) { local_release(local_sk(sk), false); }

/* Linux unix_shutdown: SHUT_RD/SHUT_WR mark us, and the peer of a stream
 * socket gets the mirror image (our SHUT_WR is its end of input, our
 * SHUT_RD its end of output: its sends get EPIPE). 0 even unconnected. */
static int local_shutdown(struct sock *sk, int how)
{
	struct local_sock *ls = local_sk(sk);
	bool rd = how == SHUT_RD || how == SHUT_RDWR;
	bool wr = how == SHUT_WR || how == SHUT_RDWR;
	sk->shut_rd |= rd;
	sk->shut_wr |= wr;
	struct local_sock *peer = ls->peer;
	if (peer && ls->state == SYNACK_ESTABLISHED) {
		peer->sk.shut_wr |= rd;
		peer->sk.shut_rd |= wr;
		sock_wakeup(&peer->sk);
	}
	/* A listener shut for reading refuses connects (unix_stream_connect). */
	if (ls->state == SYNACK_LISTEN && rd)
		local_waiters_refuse(ls);
	sock_wakeup(sk);
	return 0;
}

bool local_writable(const struct local_sock *ls)
{
	/* Linux counts sk_wmem_alloc from 1 here (refcount_read). */
	return ls->state != SYNACK_LISTEN && (ls->wmem + 1) * 4 <= (uint64_t)ls->sk.sndbuf;
}

/* Linux unix_poll. A connect waiting for backlog room shows nothing (in
 * Linux that caller sleeps inside connect), then OUT once connected. */
static uint32_t local_poll(struct sock *sk)
{
	struct local_sock *ls = local_sk(sk);
	uint32_t m = 0;
	if (sk->err)
		m |= EPOLLERR;
	if (ls->connecting)
		return m;
	if (sk->shut_rd && sk->shut_wr)
		m |= EPOLLHUP;
	if (sk->shut_rd)
		m |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (ls->rq_head || (ls->state == SYNACK_LISTEN && ls->acc_head))
		m |= EPOLLIN | EPOLLRDNORM;
	if (ls->state == SYNACK_CLOSE)
		m |= EPOLLHUP;
	if (local_writable(ls))
		m |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	return m;
}

/* Linux unix_ioctl: SIOCINQ the unread bytes (EINVAL on a listener),
 * SIOCOUTQ the bytes charged to our send buffer (truesize). */
static int local_ioctl(struct sock *sk, unsigned long req, void *arg)
{
	struct local_sock *ls = local_sk(sk);
	int v;
	switch (req) {
	case FIONREAD:
		if (ls->state == SYNACK_LISTEN)
			return fail(EINVAL);
		v = (int)ls->rq_bytes;
		break;
	case SIOCOUTQ:
		v = (int)ls->wmem;
		break;
	default:
		return fail(ENOTTY);
	}
	memcpy(arg, &v, sizeof(v));
	return 0;
}

static int local_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len)
{
	(void)val;
	(void)len;
	if (level != SOL_SOCKET)
		return fail(EOPNOTSUPP); /* unix_stream_ops has no setsockopt */
	switch (name) {
	case SO_SNDBUF:
		sock_wakeup(sk); /* writability follows the new size */
		return 0;
	case SO_RCVBUF:
	case SO_KEEPALIVE:
		return 0;        /* kept by the socket layer; no effect on a stream pair */
	default:
		return fail(ENOPROTOOPT);
	}
}

/* SO_PEERCRED (socket(7)): struct ucred, no more than the caller asked
 * for; a socket without credentials reports pid 0, uid and gid -1. */
static int local_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len)
{
	struct local_sock *ls = local_sk(sk);
	if (level != SOL_SOCKET)
		return fail(EOPNOTSUPP);
	switch (name) {
	case SO_PEERCRED: {
		struct ucred u = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		if (ls->has_cred)
			u = (struct ucred){.pid = ls->cred.pid, .uid = ls->cred.uid, .gid = ls->cred.gid};
		socklen_t n = *len < (socklen_t)sizeof(u) ? *len : (socklen_t)sizeof(u);
		memcpy(val, &u, n);
		*len = n;
		return 0;
	}
	case SO_ACCEPTCONN:
		return sockopt_put_int(val, len, ls->state == SYNACK_LISTEN);
	default:
		return fail(ENOPROTOOPT);
	}
}

const struct proto_ops local_proto_ops = {
	.listen = local_listen,
	.accept = local_accept,
	.send = local_send,
	.recv = local_recv,
	.shutdown = local_shutdown,
	.close = local_close,
	.poll = local_poll,
	.setsockopt = local_setsockopt,
	.getsockopt = local_getsockopt,
	.ioctl = local_ioctl,
	.bind_sa = local_bind,
	.connect_sa = local_connect,
	.getname_sa = local_getname,
};
