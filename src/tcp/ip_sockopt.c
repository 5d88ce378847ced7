/*
 * IPPROTO_IP options of a TCP socket (ip(7)), as Linux's
 * do_ip_setsockopt / do_ip_getsockopt take and report them:
 *
 * - IP_TOS: the DSCP part goes on every packet of the socket (SYNs,
 *   data, ACKs, a listener's SYN-ACKs; children inherit it); on a stream
 *   socket the ECN bits stay TCP's (RFC 3168 5, Linux __ip_sock_set_tos).
 * - IP_TTL: the TTL of every packet, 1..255, -1 = ip_default_ttl.
 * - IP_RECVERR, IP_MTU_DISCOVER (0..5): kept and reported. Not modelled:
 *   IP_RECVERR's immediate report of ICMP errors (icmp.c keeps them soft)
 *   and IP_PMTUDISC_DONT's clear DF bit (every packet carries DF).
 * - IP_MTU (get only): the path MTU once the socket has a route
 *   (connecting or connected); ENOTCONN before.
 *
 * Values shorter than an int are read as one unsigned byte, as Linux
 * does; unknown options are ENOPROTOOPT, bad values EINVAL.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "tcp/tcp.h"

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Linux: an int if optlen allows it, else one unsigned char, else 0. */
static int ip_opt_val(const void *val, socklen_t len)
{
	int v = 0;
	if (len >= (socklen_t)sizeof(int)) {
		memcpy(&v, val, sizeof(int));
	} else if (len >= 1) {
		unsigned char c;
		memcpy(&c, val, 1);
		v = c;
	}
	return v;
}

int tcp_ip_setsockopt(struct tcp_sock *tp, int name, const void *val, socklen_t len)
{
	int v = ip_opt_val(val, len);
	switch (name) {
	case IP_TOS:
		/* Linux __ip_sock_set_tos: stream sockets keep their ECN bits. */
		tp->ip_tos = (uint8_t)v & (uint8_t)~IP_ECN_MASK_;
		return 0;
	case IP_TTL:
		if (len < 1)
			return fail(EINVAL);
		if (v != -1 && (v < 1 || v > 255))
			return fail(EINVAL);
		tp->ip_ttl = v < 0 ? 0 : (uint8_t)v; /* -1: the default, stored as 0 */
		return 0;
	case IP_RECVERR:
		tp->ip_recverr = v != 0;
		return 0;
	case IP_MTU_DISCOVER:
		if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
			return fail(EINVAL);
		tp->ip_pmtudisc = (uint8_t)v;
		return 0;
	default:
		return fail(ENOPROTOOPT);
	}
}

/* Linux do_ip_getsockopt: a buffer shorter than an int gets one byte
 * when the value fits one. */
static int ip_put(void *val, socklen_t *len, int v)
{
	if (*len < (socklen_t)sizeof(int) && *len > 0 && v >= 0 && v <= 255) {
		unsigned char c = (unsigned char)v;
		memcpy(val, &c, 1);
		*len = 1;
		return 0;
	}
	socklen_t n = *len < (socklen_t)sizeof(int) ? *len : (socklen_t)sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

int tcp_ip_getsockopt(struct tcp_sock *tp, int name, void *val, socklen_t *len)
{
	struct synack_stack *st = tp->sk.st;
	switch (name) {
	case IP_TOS:
		return ip_put(val, len, tp->ip_tos);
	case IP_TTL:
		return ip_put(val, len, tp->ip_ttl ? tp->ip_ttl : st->cfg.ip_default_ttl);
	case IP_RECVERR:
		return ip_put(val, len, tp->ip_recverr);
	case IP_MTU_DISCOVER:
		return ip_put(val, len, tp->ip_pmtudisc);
	case IP_MTU:
		/* The route's MTU; a socket without one (never connected,
		 * listening, closed) has none. */
		if (tp->state == SYNACK_CLOSE || tp->state == SYNACK_LISTEN)
			return fail(ENOTCONN);
		return ip_put(val, len, (int)st->mtu);
	default:
		return fail(ENOPROTOOPT);
	}
}
