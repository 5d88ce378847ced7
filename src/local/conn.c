/*
 * Connections: listen, connect, accept, as Linux's unix_listen,
 * unix_stream_connect and unix_accept. A connect makes the server's
 * socket at once (an "embryo", connected to the client) and queues it
 * on the listener; accept() takes it. The queue holds backlog + 1
 * (full = more than backlog, unix_recvq_full). A full queue refuses a
 * non-blocking connect with EAGAIN; a blocking one waits: the core never
 * blocks, so it answers EINPROGRESS, the socket joins the listener's
 * wait list, and it is connected (EPOLLOUT, SO_ERROR 0) when accept()
 * makes room, or refused (SO_ERROR ECONNREFUSED) if the listener goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "local/local.h"
#include "socket/socket.h"

static int fail(int err)
{
	errno = err;
	return -1;
}

void local_pair(struct local_sock *a, struct local_sock *b)
{
	a->peer = b;
	local_hold(b);
	b->peer = a;
	local_hold(a);
	local_set_state(a, SYNACK_ESTABLISHED);
	local_set_state(b, SYNACK_ESTABLISHED);
}

static bool queue_full(const struct local_sock *lsn)
{
	return lsn->acc_len > (uint32_t)lsn->backlog;
}

/* The server's socket for a client: connected to it, queued on the
 * listener, named as the listener (unix_stream_connect copies the
 * address). Credentials: the embryo's are the connecting caller's, the
 * client's the listener's (init_peercred, copy_peercred). */
static int connect_now(struct local_sock *c, struct local_sock *lsn)
{
	struct local_sock *e = local_sock_new(c->sk.st, SOCK_STREAM);
	if (!e)
		return fail(ENOMEM);
	if (lsn->name) {
		e->name = malloc(sizeof(*e->name));
		if (!e->name) {
			local_release(e, false);
			return fail(ENOMEM);
		}
		*e->name = *lsn->name;
	}
	local_cred_capture(e);
	c->cred = lsn->cred;
	c->has_cred = lsn->has_cred;
	local_pair(c, e);
	e->parent = lsn;
	if (lsn->acc_tail)
		lsn->acc_tail->qnext = e;
	else
		lsn->acc_head = e;
	lsn->acc_tail = e;
	lsn->acc_len++;
	sock_wakeup(&lsn->sk);
	return 0;
}

/* Room on the queue (accept, a larger backlog): waiting connects go in
 * turn, as Linux's woken connect()s retry. */
static void admit_waiters(struct local_sock *lsn)
{
	while (lsn->wait_head && !queue_full(lsn)) {
		struct local_sock *w = lsn->wait_head;
		lsn->wait_head = w->qnext;
		if (!lsn->wait_head)
			lsn->wait_tail = NULL;
		w->qnext = NULL;
		w->parent = NULL;
		w->connecting = false;
		if (connect_now(w, lsn) < 0)
			w->sk.err = ENOMEM;
		local_put(lsn);
		sock_wakeup(&w->sk);
	}
}

void local_wait_cancel(struct local_sock *ls)
{
	struct local_sock *lsn = ls->parent;
	for (struct local_sock **pp = &lsn->wait_head; *pp; pp = &(*pp)->qnext)
		if (*pp == ls) {
			*pp = ls->qnext;
			break;
		}
	lsn->wait_tail = NULL;
	for (struct local_sock *w = lsn->wait_head; w; w = w->qnext)
		lsn->wait_tail = w;
	ls->qnext = NULL;
	ls->parent = NULL;
	ls->connecting = false;
	local_put(lsn);
}

/* Waiting connects find the listener gone or shut: ECONNREFUSED. */
void local_waiters_refuse(struct local_sock *lsn)
{
	while (lsn->wait_head) {
		struct local_sock *w = lsn->wait_head;
		local_wait_cancel(w);
		w->sk.err = ECONNREFUSED;
		sock_wakeup(&w->sk);
	}
}

/* Linux unix_release_sock on a listener: every embryo is released as
 * one (its client sees ECONNRESET), waiters are refused. */
void local_listen_stop(struct local_sock *lsn)
{
	while (lsn->acc_head) {
		struct local_sock *e = lsn->acc_head;
		lsn->acc_head = e->qnext;
		e->qnext = NULL;
		e->parent = NULL;
		lsn->acc_len--;
		local_release(e, true);
	}
	lsn->acc_tail = NULL;
	local_waiters_refuse(lsn);
}

/* Linux unix_listen: bound sockets only (EINVAL), not connected
 * (EINVAL); backlog as __sys_listen caps it, min((unsigned)n,
 * somaxconn); credentials captured here, reported to clients. */
int local_listen(struct sock *sk, int backlog)
{
	struct local_sock *ls = local_sk(sk);
	if (!ls->name || ls->connecting)
		return fail(EINVAL);
	if (ls->state != SYNACK_CLOSE && ls->state != SYNACK_LISTEN)
		return fail(EINVAL);
	unsigned b = (unsigned)backlog;
	if (b > (unsigned)sk->st->cfg.somaxconn)
		b = (unsigned)sk->st->cfg.somaxconn;
	ls->backlog = (int)b;
	if (ls->state != SYNACK_LISTEN)
		local_set_state(ls, SYNACK_LISTEN);
	local_cred_capture(ls);
	admit_waiters(ls);
	sock_wakeup(sk);
	return 0;
}

/* Linux unix_stream_connect's order: the address (EINVAL), the name
 * (ENOENT for a path, ECONNREFUSED for an abstract name), the other
 * side listening and not shut (ECONNREFUSED), its queue (EAGAIN, or a
 * wait), and only then our own state (EISCONN, or EINVAL for a
 * listener). */
int local_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len)
{
	struct local_sock *ls = local_sk(sk);
	int err = 0;
	if (ls->connecting)
		return fail(EALREADY);
	struct local_sock *lsn = local_lookup(sk->st, addr, len, &err);
	if (!lsn)
		return fail(err);
	if (lsn->state != SYNACK_LISTEN || lsn->sk.shut_rd)
		return fail(ECONNREFUSED);
	if (queue_full(lsn)) {
		if (sk->nonblock)
			return fail(EAGAIN);
		if (ls->state != SYNACK_CLOSE)
			return fail(ls->state == SYNACK_ESTABLISHED ? EISCONN : EINVAL);
		ls->connecting = true;
		ls->parent = lsn;
		local_hold(lsn);
		ls->qnext = NULL;
		if (lsn->wait_tail)
			lsn->wait_tail->qnext = ls;
		else
			lsn->wait_head = ls;
		lsn->wait_tail = ls;
		return fail(EINPROGRESS);
	}
	if (ls->state != SYNACK_CLOSE)
		return fail(ls->state == SYNACK_ESTABLISHED ? EISCONN : EINVAL);
	/* A socket that shut down before connecting stays shut (Linux keeps
	 * sk_shutdown); nothing else to carry over. */
	if (connect_now(ls, lsn) < 0)
		return -1;
	sock_wakeup(sk);
	return 0;
}

/* Linux unix_accept: EINVAL unless listening, EAGAIN when empty. */
struct sock *local_accept(struct sock *sk, int *err)
{
	struct local_sock *lsn = local_sk(sk);
	if (lsn->state != SYNACK_LISTEN) {
		*err = EINVAL;
		return NULL;
	}
	struct local_sock *e = lsn->acc_head;
	if (!e) {
		*err = EAGAIN;
		return NULL;
	}
	lsn->acc_head = e->qnext;
	if (!lsn->acc_head)
		lsn->acc_tail = NULL;
	lsn->acc_len--;
	e->qnext = NULL;
	e->parent = NULL;
	admit_waiters(lsn);
	return &e->sk;
}
