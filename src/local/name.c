/*
 * AF_UNIX names inside one stack (unix(7), Linux unix_bind,
 * unix_find_other, unix_getname). Abstract names (sun_path[0] == '\0')
 * are the bytes up to addrlen, as Linux's. Path names are the bytes up
 * to the first NUL, kept in the same per-stack table: they are names
 * inside the stack, not files (nothing is created on disk, permissions
 * are not checked, and the name is freed when its socket closes where
 * Linux leaves the file until unlink()). The table is hashed with a
 * keyed SipHash, so names a peer picks cannot be made to collide.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/local.h"

#define SUN_PATH_OFF ((socklen_t)offsetof(struct sockaddr_un, sun_path))

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Linux unix_validate_addr: more than the family, at most the struct,
 * family AF_UNIX; all else EINVAL. */
int local_check_addr(const struct sockaddr *addr, socklen_t len)
{
	if (!addr)
		return fail(EFAULT);
	if (len <= SUN_PATH_OFF || len > (socklen_t)sizeof(struct sockaddr_un))
		return fail(EINVAL);
	if (addr->sa_family != AF_UNIX)
		return fail(EINVAL);
	return 0;
}

/* The name as stored: an abstract name keeps addrlen; a path name is cut
 * at its first NUL and counts that NUL (Linux unix_mkname_bsd). */
static void name_parse(const struct sockaddr *addr, socklen_t len, struct local_name *n)
{
	memset(n, 0, sizeof(*n));
	memcpy(&n->sa, addr, len);
	n->sa.sun_family = AF_UNIX;
	if (n->sa.sun_path[0] == '\0') {
		n->len = len;
		return;
	}
	size_t max = (size_t)(len - SUN_PATH_OFF);
	size_t plen = strnlen(n->sa.sun_path, max);
	if (plen < sizeof(n->sa.sun_path))
		n->sa.sun_path[plen] = '\0';
	/* A path filling all 108 bytes has no room for the NUL: Linux
	 * reports 111 then (its buffer has spare bytes); we report 110. */
	n->len = SUN_PATH_OFF + (socklen_t)plen + (plen < sizeof(n->sa.sun_path) ? 1 : 0);
}

static size_t name_bucket(const struct local_ns *ns, const struct local_name *n)
{
	return siphash24(&ns->name_key, n->sa.sun_path, (size_t)(n->len - SUN_PATH_OFF)) %
	       ns->nnames;
}

static struct local_sock *name_find(const struct local_ns *ns, const struct local_name *n)
{
	for (struct local_sock *ls = ns->names[name_bucket(ns, n)]; ls; ls = ls->name_next)
		if (ls->name->len == n->len &&
		    !memcmp(ls->name->sa.sun_path, n->sa.sun_path, (size_t)(n->len - SUN_PATH_OFF)))
			return ls;
	return NULL;
}

static int name_insert(struct local_sock *ls, const struct local_name *n)
{
	struct local_ns *ns = ls->sk.st->local;
	struct local_name *copy = malloc(sizeof(*copy));
	if (!copy)
		return fail(ENOMEM);
	*copy = *n;
	ls->name = copy;
	size_t b = name_bucket(ns, n);
	ls->name_next = ns->names[b];
	ns->names[b] = ls;
	return 0;
}

void local_unbind(struct local_sock *ls)
{
	struct local_ns *ns = ls->sk.st->local;
	if (!ls->name)
		return;
	for (struct local_sock **pp = &ns->names[name_bucket(ns, ls->name)]; *pp;
	     pp = &(*pp)->name_next)
		if (*pp == ls) {
			*pp = ls->name_next;
			break;
		}
	ls->name_next = NULL;
}

/* Linux unix_autobind: "\0" and five hex digits, the first free one
 * from a number that advances per try (ENOSPC when all 2^20 are taken).
 * Already bound: nothing to do, 0. */
static int autobind(struct local_sock *ls)
{
	struct local_ns *ns = ls->sk.st->local;
	if (ls->name)
		return 0;
	struct local_name n;
	for (uint32_t tries = 0; tries <= 0xFFFFF; tries++) {
		char buf[8];
		uint32_t num = ns->autobind_next;
		ns->autobind_next = (num + 1) & 0xFFFFF;
		snprintf(buf, sizeof(buf), "%05x", num);
		memset(&n, 0, sizeof(n));
		n.sa.sun_family = AF_UNIX;
		memcpy(n.sa.sun_path + 1, buf, 5);
		n.len = SUN_PATH_OFF + 6;
		if (!name_find(ns, &n))
			return name_insert(ls, &n);
	}
	return fail(ENOSPC);
}

int local_bind(struct sock *sk, const struct sockaddr *addr, socklen_t len)
{
	struct local_sock *ls = local_sk(sk);
	if (!addr)
		return fail(EFAULT);
	if (len == SUN_PATH_OFF && addr->sa_family == AF_UNIX)
		return autobind(ls);
	if (local_check_addr(addr, len) < 0)
		return -1;
	struct local_name n;
	name_parse(addr, len, &n);
	bool abstract = n.sa.sun_path[0] == '\0';
	/* Linux's order: an abstract bind checks "already bound" first; a
	 * path bind makes the file first (EEXIST becomes EADDRINUSE). */
	if (abstract && ls->name)
		return fail(EINVAL);
	if (name_find(sk->st->local, &n))
		return fail(EADDRINUSE);
	if (ls->name)
		return fail(EINVAL);
	return name_insert(ls, &n);
}

struct local_sock *local_lookup(struct synack_stack *st, const struct sockaddr *addr,
				socklen_t len, int *err)
{
	if (local_check_addr(addr, len) < 0) {
		*err = errno;
		return NULL;
	}
	struct local_name n;
	name_parse(addr, len, &n);
	struct local_sock *ls = name_find(st->local, &n);
	if (!ls)
		*err = n.sa.sun_path[0] ? ENOENT : ECONNREFUSED;
	return ls;
}

void local_name_copy(const struct local_sock *ls, struct sockaddr_un *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*len = SUN_PATH_OFF;
	if (ls && ls->name) {
		*sa = ls->name->sa;
		*len = ls->name->len;
	}
}

/* Linux unix_getname: ours, or the peer's (ENOTCONN without one; a peer
 * that has closed still answers). An unbound socket's name is the
 * family alone (length 2). */
int local_getname(struct sock *sk, int peer, struct sockaddr *addr, socklen_t *len)
{
	struct local_sock *ls = local_sk(sk);
	if (!addr || !len)
		return fail(EFAULT);
	if ((int)*len < 0)
		return fail(EINVAL);
	const struct local_sock *who = ls;
	if (peer) {
		who = ls->peer;
		if (!who)
			return fail(ENOTCONN);
	}
	struct sockaddr_un sa;
	socklen_t n;
	local_name_copy(who, &sa, &n);
	memcpy(addr, &sa, *len < n ? *len : n);
	*len = n;
	return 0;
}
