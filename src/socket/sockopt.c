/* SOL_SOCKET options (socket(7)), as Linux stores and reports them. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "socket/errqueue.h"
#include "socket/socket.h"

#define SOCK_MIN_SNDBUF 4608  /* Linux: 2 * (2048 + sizeof(struct sk_buff)) */
#define SOCK_MIN_RCVBUF 2304

int sockopt_put_int(void *val, socklen_t *len, int v)
{
	socklen_t n = *len < (socklen_t)sizeof(int) ? *len : (socklen_t)sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

int sockopt_get_int(const void *val, socklen_t len, int *out)
{
	if (len < (socklen_t)sizeof(int)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(out, val, sizeof(int));
	return 0;
}

/* SO_SNDBUF/SO_RCVBUF: capped by the core maximum, then doubled for
 * bookkeeping overhead (socket(7)); the transport sees the new sizes.
 * Linux compares as unsigned (min_t(u32, ...)): a negative size means
 * the maximum. */
static void set_buf(struct sock *sk, int name, int v)
{
	const struct synack_config *c = &sk->st->cfg;
	if (name == SO_SNDBUF) {
		if (v < 0 || v > c->wmem_max)
			v = c->wmem_max;
		sk->sndbuf = v * 2 < SOCK_MIN_SNDBUF ? SOCK_MIN_SNDBUF : v * 2;
		sk->sndbuf_locked = true;
	} else {
		if (v < 0 || v > c->rmem_max)
			v = c->rmem_max;
		sk->rcvbuf = v * 2 < SOCK_MIN_RCVBUF ? SOCK_MIN_RCVBUF : v * 2;
		sk->rcvbuf_locked = true;
	}
}

/* SO_LINGER (socket(7)): struct linger; l_onoff 0 clears it. Linux keeps
 * l_linger as an unsigned count of seconds and reports it back as given.
 * The core's close() never waits: with {1, t > 0} it returns at once and
 * the connection finishes in the background as an orphan (the runtime's
 * synack_loop_close does Linux's wait); {1, 0} aborts with a RST
 * (tcp/socket.c). */
static int set_linger(struct sock *sk, const void *val, socklen_t len)
{
	struct linger l;
	if (len < (socklen_t)sizeof(l)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&l, val, sizeof(l));
	sk->linger = l.l_onoff != 0;
	if (sk->linger)
		sk->lingertime = (unsigned)l.l_linger;
	return 0;
}

int sock_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
	int v;
	if (name == SO_LINGER)
		return set_linger(sk, val, len);
	switch (name) {
	case SO_REUSEADDR:
	case SO_REUSEPORT:
	case SO_KEEPALIVE:
	case SO_SNDBUF:
	case SO_RCVBUF:
		if (sockopt_get_int(val, len, &v) < 0)
			return -1;
		break;
	case SO_ZEROCOPY:
		if (sockopt_get_int(val, len, &v) < 0)
			return -1;
		return sock_set_zerocopy(sk, v);
	case SO_MARK:
		/* Linux wants CAP_NET_ADMIN (EPERM); the stack's caller owns
		 * the stack. */
		if (sockopt_get_int(val, len, &v) < 0)
			return -1;
		sk->mark = (uint32_t)v;
		return 0;
	case SO_RCVLOWAT:
		/* Linux: negative means INT_MAX, 0 means 1. */
		if (sockopt_get_int(val, len, &v) < 0)
			return -1;
		sk->rcvlowat = v < 0 ? INT_MAX : v ? v : 1;
		sock_wakeup(sk);
		return 0;
	default:
		/* Options this stack does not know go to the transport. */
		return sk->ops->setsockopt(sk, SOL_SOCKET, name, val, len);
	}
	switch (name) {
	case SO_REUSEADDR:
		sk->reuseaddr = v != 0;
		return 0;
	case SO_REUSEPORT:
		sk->reuseport = v != 0;
		return 0;
	case SO_KEEPALIVE:
		sk->keepalive = v != 0;
		break;
	default:
		set_buf(sk, name, v);
		break;
	}
	/* The transport applies what changed (buffers, keepalive timer). */
	return sk->ops->setsockopt(sk, SOL_SOCKET, name, val, len);
}

int sock_getsockopt(struct sock *sk, int name, void *val, socklen_t *len)
{
	switch (name) {
	case SO_ERROR: {
		int e = sk->err;
		sk->err = 0;
		return sockopt_put_int(val, len, e);
	}
	case SO_TYPE:
		return sockopt_put_int(val, len, sk->type);
	case SO_DOMAIN:
		return sockopt_put_int(val, len, sk->family ? sk->family : AF_INET);
	case SO_PROTOCOL:
		return sockopt_put_int(val, len, sk->protocol);
	case SO_REUSEADDR:
		return sockopt_put_int(val, len, sk->reuseaddr);
	case SO_REUSEPORT:
		return sockopt_put_int(val, len, sk->reuseport);
	case SO_KEEPALIVE:
		return sockopt_put_int(val, len, sk->keepalive);
	case SO_SNDBUF:
		return sockopt_put_int(val, len, sk->sndbuf);
	case SO_RCVBUF:
		return sockopt_put_int(val, len, sk->rcvbuf);
	case SO_RCVLOWAT:
		return sockopt_put_int(val, len, sk->rcvlowat ? sk->rcvlowat : 1);
	case SO_ZEROCOPY:
		return sockopt_put_int(val, len, sk->zerocopy);
	case SO_MARK:
		return sockopt_put_int(val, len, (int)sk->mark);
	case SO_LINGER: {
		struct linger l = {.l_onoff = sk->linger, .l_linger = (int)sk->lingertime};
		socklen_t n = *len < (socklen_t)sizeof(l) ? *len : (socklen_t)sizeof(l);
		memcpy(val, &l, n);
		*len = n;
		return 0;
	}
	default:
		return sk->ops->getsockopt(sk, SOL_SOCKET, name, val, len);
	}
}
