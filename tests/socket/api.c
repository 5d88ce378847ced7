/*
 * The POSIX socket calls through the public API only, with the errno
 * values Linux gives (socket(2), bind(2), connect(2), accept(2),
 * getsockopt(2), socket(7), tcp(7), ioctl_socket; LINUX-SEMANTICS 2, 6, 7).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_addr.s_addr = htonl(addr);
	s.sin_port = htons(port);
	return s;
}

static int new_sock(struct scn *t)
{
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	return fd;
}

static int bind_to(struct scn *t, int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in s = sin_of(addr, port);
	return synack_bind(t->st, fd, (struct sockaddr *)&s, sizeof(s));
}

static int ioctl_int(struct scn *t, int fd, unsigned long req)
{
	int v = -1;
	assert_int_equal(synack_ioctl(t->st, fd, req, &v), 0);
	return v;
}

#define ASSERT_ERR(call, err) \
	do { \
		errno = 0; \
		assert_int_equal((call), -1); \
		assert_int_equal(errno, (err)); \
	} while (0)

/* ===== socket() ========================================================= */

/* socket(2): an unsupported family is EAFNOSUPPORT. */
static void socket__bad_domain__eafnosupport(void **state)
{
	struct scn *t = scn_new(NULL);
	ASSERT_ERR(synack_socket(t->st, AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
	ASSERT_ERR(synack_socket(t->st, 9999, SOCK_STREAM, 0), EAFNOSUPPORT);
	scn_free(t);
}

/* Linux __sock_create: a type past SOCK_MAX is EINVAL; inet_create: a
 * protocol that does not serve the type is EPROTONOSUPPORT, a type with
 * no protocol at all ESOCKTNOSUPPORT. */
static void socket__bad_type_or_protocol__errno(void **state)
{
	struct scn *t = scn_new(NULL);
	ASSERT_ERR(synack_socket(t->st, AF_INET, 99, 0), EINVAL);
	ASSERT_ERR(synack_socket(t->st, AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	ASSERT_ERR(synack_socket(t->st, AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_true(fd >= 0);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	scn_free(t);
}

/* SOCK_NONBLOCK and SOCK_CLOEXEC show in F_GETFL and F_GETFD; F_SETFL
 * toggles O_NONBLOCK. */
static void socket__type_flags__fcntl(void **state)
{
	struct scn *t = scn_new(NULL);
	int a = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int b = new_sock(t);
	assert_int_equal(synack_fcntl(t->st, a, F_GETFL, 0), O_RDWR | O_NONBLOCK);
	assert_int_equal(synack_fcntl(t->st, a, F_GETFD, 0), FD_CLOEXEC);
	assert_int_equal(synack_fcntl(t->st, b, F_GETFL, 0), O_RDWR);
	assert_int_equal(synack_fcntl(t->st, b, F_GETFD, 0), 0);
	assert_int_equal(synack_fcntl(t->st, b, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(synack_fcntl(t->st, b, F_GETFL, 0), O_RDWR | O_NONBLOCK);
	assert_int_equal(synack_fcntl(t->st, a, F_SETFL, 0), 0);
	assert_int_equal(synack_fcntl(t->st, a, F_GETFL, 0), O_RDWR);
	scn_free(t);
}

/* A descriptor that is not open is EBADF for every call; an epoll
 * descriptor where a socket is needed is ENOTSOCK. */
static void any_call__bad_fd__ebadf(void **state)
{
	struct scn *t = scn_new(NULL);
	struct sockaddr_in s = sin_of(0, 80);
	char b[4];
	int v = 1;
	socklen_t len = sizeof(v);
	const int bad[] = {-1, 3, 12345};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = bad[i];
		ASSERT_ERR(synack_bind(t->st, fd, (struct sockaddr *)&s, sizeof(s)), EBADF);
		ASSERT_ERR(synack_listen(t->st, fd, 1), EBADF);
		ASSERT_ERR(synack_accept(t->st, fd, NULL, NULL), EBADF);
		ASSERT_ERR(synack_connect(t->st, fd, (struct sockaddr *)&s, sizeof(s)), EBADF);
		ASSERT_ERR(synack_send(t->st, fd, b, 1, 0), EBADF);
		ASSERT_ERR(synack_recv(t->st, fd, b, 1, 0), EBADF);
		ASSERT_ERR(synack_shutdown(t->st, fd, SHUT_RDWR), EBADF);
		ASSERT_ERR(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_KEEPALIVE, &v, len), EBADF);
		ASSERT_ERR(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), EBADF);
		ASSERT_ERR(synack_fcntl(t->st, fd, F_GETFL, 0), EBADF);
		ASSERT_ERR(synack_ioctl(t->st, fd, FIONREAD, &v), EBADF);
		ASSERT_ERR(synack_close(t->st, fd), EBADF);
	}
	/* A closed descriptor is bad too. */
	int fd = new_sock(t);
	assert_int_equal(synack_close(t->st, fd), 0);
	ASSERT_ERR(synack_close(t->st, fd), EBADF);
	int ep = synack_epoll_create(t->st);
	assert_true(ep >= 0);
	ASSERT_ERR(synack_bind(t->st, ep, (struct sockaddr *)&s, sizeof(s)), ENOTSOCK);
	scn_free(t);
}

/* ===== bind() =========================================================== */

/* inet_bind: a socket binds once (EINVAL); a non-local address is
 * EADDRNOTAVAIL; a short address EINVAL; another family EAFNOSUPPORT. */
static void bind__errors__linux_errno(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	struct sockaddr_in s = sin_of(L_ADDR, 8080);
	ASSERT_ERR(synack_bind(t->st, fd, (struct sockaddr *)&s, sizeof(s) - 1), EINVAL);
	s.sin_family = AF_INET6;
	ASSERT_ERR(synack_bind(t->st, fd, (struct sockaddr *)&s, sizeof(s)), EAFNOSUPPORT);
	ASSERT_ERR(bind_to(t, fd, 0x0a000009, 8080), EADDRNOTAVAIL);
	assert_int_equal(bind_to(t, fd, L_ADDR, 8080), 0);
	ASSERT_ERR(bind_to(t, fd, L_ADDR, 8081), EINVAL);
	ASSERT_ERR(bind_to(t, fd, L_ADDR, 8080), EINVAL);
	scn_free(t);
}

/* inet_bind's compatibility rule: AF_UNSPEC is taken as AF_INET when the
 * address is INADDR_ANY, refused (EAFNOSUPPORT) otherwise. */
static void bind__af_unspec_any__accepted(void **state)
{
	struct scn *t = scn_new(NULL);
	int a = new_sock(t), b = new_sock(t);
	struct sockaddr_in s = sin_of(L_ADDR, 8080);
	s.sin_family = AF_UNSPEC;
	ASSERT_ERR(synack_bind(t->st, a, (struct sockaddr *)&s, sizeof(s)), EAFNOSUPPORT);
	s.sin_addr.s_addr = htonl(INADDR_ANY);
	assert_int_equal(synack_bind(t->st, b, (struct sockaddr *)&s, sizeof(s)), 0);
	struct sockaddr_in got;
	socklen_t len = sizeof(got);
	assert_int_equal(synack_getsockname(t->st, b, (struct sockaddr *)&got, &len), 0);
	assert_int_equal(got.sin_family, AF_INET);
	assert_int_equal(ntohs(got.sin_port), 8080);
	scn_free(t);
}

/* LINUX-SEMANTICS 6: overlapping addresses on one port clash (EADDRINUSE),
 * the wildcard overlapping every address. */
static void bind__same_port__eaddrinuse(void **state)
{
	struct scn *t = scn_new(NULL);
	int a = new_sock(t), b = new_sock(t), c = new_sock(t);
	assert_int_equal(bind_to(t, a, INADDR_ANY, 8080), 0);
	ASSERT_ERR(bind_to(t, b, INADDR_ANY, 8080), EADDRINUSE);
	ASSERT_ERR(bind_to(t, c, L_ADDR, 8080), EADDRINUSE);
	/* A failed bind leaves the socket unbound: another port works. */
	assert_int_equal(bind_to(t, b, L_ADDR, 8081), 0);
	scn_free(t);
}

/* LINUX-SEMANTICS 6: SO_REUSEADDR on both and the old socket not listening:
 * no clash, and the new one may listen; a third then clashes with the
 * listener even with SO_REUSEADDR; one side without it clashes. */
static void bind__reuseaddr_both__allowed(void **state)
{
	struct scn *t = scn_new(NULL);
	int a = new_sock(t), b = new_sock(t), c = new_sock(t), d = new_sock(t);
	scn_set_int(t, a, SOL_SOCKET, SO_REUSEADDR, 1);
	scn_set_int(t, b, SOL_SOCKET, SO_REUSEADDR, 1);
	scn_set_int(t, c, SOL_SOCKET, SO_REUSEADDR, 1);
	assert_int_equal(scn_get_int(t, a, SOL_SOCKET, SO_REUSEADDR), 1);
	assert_int_equal(bind_to(t, a, INADDR_ANY, 8080), 0);
	ASSERT_ERR(bind_to(t, d, INADDR_ANY, 8080), EADDRINUSE);
	assert_int_equal(bind_to(t, b, INADDR_ANY, 8080), 0);
	assert_int_equal(synack_listen(t->st, b, 5), 0);
	ASSERT_ERR(bind_to(t, c, INADDR_ANY, 8080), EADDRINUSE);
	scn_free(t);
}

/* Linux 4.6+ (LINUX-SEMANTICS 6): bind(port 0) takes an odd port of
 * ip_local_port_range, getsockname shows it. */
static void bind__port_0__odd_ephemeral(void **state)
{
	struct scn *t = scn_new(NULL);
	for (int i = 0; i < 20; i++) {
		int fd = new_sock(t);
		assert_int_equal(bind_to(t, fd, INADDR_ANY, 0), 0);
		struct sockaddr_in got;
		socklen_t len = sizeof(got);
		assert_int_equal(synack_getsockname(t->st, fd, (struct sockaddr *)&got, &len), 0);
		assert_int_equal(len, sizeof(got));
		uint16_t p = ntohs(got.sin_port);
		assert_true(p >= 32768 && p <= 60999);
		assert_int_equal(p & 1, 1);
		assert_int_equal(got.sin_addr.s_addr, htonl(INADDR_ANY));
	}
	scn_free(t);
}

/* ===== connect(), names ================================================= */

/* connect() on an unbound socket picks an even port in range, and the
 * local address; the SYN leaves from that port (Linux 4.6+). */
static void connect__unbound__even_ephemeral_port(void **state)
{
	struct scn *t = scn_new(NULL);
	for (int i = 0; i < 10; i++) {
		int fd = new_sock(t);
		struct sockaddr_in to = sin_of(R_ADDR, (uint16_t)(R_PORT + i));
		ASSERT_ERR(synack_connect(t->st, fd, (struct sockaddr *)&to, sizeof(to)), EINPROGRESS);
		struct sockaddr_in got;
		socklen_t len = sizeof(got);
		assert_int_equal(synack_getsockname(t->st, fd, (struct sockaddr *)&got, &len), 0);
		uint16_t p = ntohs(got.sin_port);
		assert_true(p >= 32768 && p <= 60999);
		assert_int_equal(p & 1, 0);
		assert_int_equal(ntohl(got.sin_addr.s_addr), L_ADDR);
		struct tcp_seg syn;
		assert_true(scn_pop(t, &syn, NULL));
		assert_int_equal(syn.flags, SYN);
		assert_int_equal(syn.sport, p);
		assert_int_equal(syn.dport, R_PORT + i);
	}
	scn_free(t);
}

/* getsockname on a fresh socket: 0.0.0.0:0; getpeername: ENOTCONN until
 * connected; both fill the peer once established. */
static void names__unconnected_and_connected(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	struct sockaddr_in got;
	socklen_t len = sizeof(got);
	memset(&got, 0xff, sizeof(got));
	assert_int_equal(synack_getsockname(t->st, fd, (struct sockaddr *)&got, &len), 0);
	assert_int_equal(got.sin_family, AF_INET);
	assert_int_equal(got.sin_port, 0);
	assert_int_equal(got.sin_addr.s_addr, 0);
	ASSERT_ERR(synack_getpeername(t->st, fd, (struct sockaddr *)&got, &len), ENOTCONN);
	uint32_t iss;
	int c = fx_passive_established(t, &iss);
	len = sizeof(got);
	assert_int_equal(synack_getpeername(t->st, c, (struct sockaddr *)&got, &len), 0);
	assert_int_equal(ntohl(got.sin_addr.s_addr), R_ADDR);
	assert_int_equal(ntohs(got.sin_port), R_PORT);
	len = sizeof(got);
	assert_int_equal(synack_getsockname(t->st, c, (struct sockaddr *)&got, &len), 0);
	assert_int_equal(ntohl(got.sin_addr.s_addr), L_ADDR);
	assert_int_equal(ntohs(got.sin_port), L_PORT);
	/* A short buffer gets the truncated address and the full length. */
	uint8_t small[4];
	len = sizeof(small);
	assert_int_equal(synack_getsockname(t->st, c, (struct sockaddr *)small, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(small[0] | small[1] << 8, AF_INET);
	assert_int_equal(small[2] << 8 | small[3], L_PORT);
	scn_free(t);
}

/* LINUX-SEMANTICS 7: listen() on a connected or connecting socket is
 * EINVAL; accept() on a non-listener EINVAL. */
static void listen__connected_or_connecting__einval(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int c = fx_active_established(t, &iss);
	ASSERT_ERR(synack_listen(t->st, c, 5), EINVAL);
	ASSERT_ERR(synack_accept(t->st, c, NULL, NULL), EINVAL);
	int s = new_sock(t);
	struct sockaddr_in to = sin_of(R_ADDR, 9);
	ASSERT_ERR(synack_connect(t->st, s, (struct sockaddr *)&to, sizeof(to)), EINPROGRESS);
	ASSERT_ERR(synack_listen(t->st, s, 5), EINVAL);
	ASSERT_ERR(synack_accept(t->st, new_sock(t), NULL, NULL), EINVAL);
	scn_free(t);
}

/* accept4: SOCK_NONBLOCK shows in the child's F_GETFL, unknown flags are
 * EINVAL, an empty queue is EAGAIN; the address is the peer's. */
static void accept4__flags__reflected(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	ASSERT_ERR(synack_accept4(t->st, lfd, NULL, NULL, SOCK_NONBLOCK), EAGAIN);
	ASSERT_ERR(synack_accept4(t->st, lfd, NULL, NULL, 0x40000000), EINVAL);
	for (int i = 0; i < 2; i++) {
		uint16_t port = (uint16_t)(R_PORT + i);
		scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460, .sport = port));
		struct tcp_seg sa;
		assert_true(scn_pop(t, &sa, NULL));
		scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = sa.seq + 1, .sport = port));
	}
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	int a = synack_accept4(t->st, lfd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(a >= 0);
	assert_int_equal(len, sizeof(from));
	assert_int_equal(ntohl(from.sin_addr.s_addr), R_ADDR);
	assert_int_equal(ntohs(from.sin_port), R_PORT);
	assert_int_equal(synack_fcntl(t->st, a, F_GETFL, 0), O_RDWR | O_NONBLOCK);
	assert_int_equal(synack_fcntl(t->st, a, F_GETFD, 0), FD_CLOEXEC);
	int b = synack_accept4(t->st, lfd, NULL, NULL, 0);
	assert_true(b >= 0);
	assert_int_equal(synack_fcntl(t->st, b, F_GETFL, 0), O_RDWR);
	assert_int_equal(synack_fcntl(t->st, b, F_GETFD, 0), 0);
	scn_free(t);
}

/* ===== ioctl ============================================================ */

/* FIONREAD (SIOCINQ) counts unread bytes exactly; SIOCOUTQ the bytes not
 * yet acknowledged; both are EINVAL on a listener (tcp_ioctl). */
static void ioctl__fionread_siocoutq__exact(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	assert_int_equal(ioctl_int(t, fd, FIONREAD), 0);
	scn_inject(t, 1, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 1, .data = "hello"));
	scn_inject(t, 2, SEG(.flags = ACK | PSH, .seq = R_ISS + 6, .ack = iss + 1, .data = "world!!"));
	assert_int_equal(ioctl_int(t, fd, FIONREAD), 12);
	char b[16];
	assert_int_equal(synack_recv(t->st, fd, b, 4, 0), 4);
	assert_int_equal(ioctl_int(t, fd, FIONREAD), 8);
	assert_int_equal(synack_recv(t->st, fd, b, 3, MSG_PEEK), 3);
	assert_int_equal(ioctl_int(t, fd, FIONREAD), 8);
	assert_int_equal(ioctl_int(t, fd, SIOCOUTQ), 0);
	char out[100];
	memset(out, 'z', sizeof(out));
	assert_int_equal(synack_send(t->st, fd, out, sizeof(out), 0), 100);
	assert_int_equal(ioctl_int(t, fd, SIOCOUTQ), 100);
	scn_inject(t, 10, SEG(.flags = ACK, .seq = R_ISS + 13, .ack = iss + 61));
	assert_int_equal(ioctl_int(t, fd, SIOCOUTQ), 40);
	int lfd = synack_socket(t->st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind_to(t, lfd, INADDR_ANY, 81), 0);
	assert_int_equal(synack_listen(t->st, lfd, 1), 0);
	int v;
	ASSERT_ERR(synack_ioctl(t->st, lfd, FIONREAD, &v), EINVAL);
	ASSERT_ERR(synack_ioctl(t->st, lfd, SIOCOUTQ, &v), EINVAL);
	scn_free(t);
}

/* ===== SOL_SOCKET options =============================================== */

/* socket(7): SO_RCVBUF/SO_SNDBUF store twice the value, capped at
 * {r,w}mem_max before doubling, floored at 2304/4608; the defaults are
 * tcp_rmem[1] and tcp_wmem[1]. */
static void sockopt__buffers__doubled_and_clamped(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_RCVBUF), 131072);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_SNDBUF), 16384);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVBUF, 10000);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_RCVBUF), 20000);
	scn_set_int(t, fd, SOL_SOCKET, SO_SNDBUF, 10000);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_SNDBUF), 20000);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVBUF, 1 << 30);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_RCVBUF), 425984);
	scn_set_int(t, fd, SOL_SOCKET, SO_SNDBUF, 1 << 30);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_SNDBUF), 425984);
	scn_set_int(t, fd, SOL_SOCKET, SO_RCVBUF, 1);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_RCVBUF), 2304);
	scn_set_int(t, fd, SOL_SOCKET, SO_SNDBUF, 0);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_SNDBUF), 4608);
	scn_free(t);
}

/* Boolean options read back as 0/1; SO_TYPE is SOCK_STREAM; an option
 * nobody knows is ENOPROTOOPT; an int option shorter than an int is
 * EINVAL on set; a short read gets the leading bytes. */
static void sockopt__bools_unknown_and_short__linux_errno(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 7);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	scn_set_int(t, fd, SOL_SOCKET, SO_KEEPALIVE, 0);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_NODELAY), 0);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_NODELAY, 5);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_NODELAY), 1);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	int v = 1;
	socklen_t len = sizeof(v);
	ASSERT_ERR(synack_getsockopt(t->st, fd, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
	ASSERT_ERR(synack_getsockopt(t->st, fd, IPPROTO_TCP, 9999, &v, &len), ENOPROTOOPT);
	ASSERT_ERR(synack_setsockopt(t->st, fd, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
	ASSERT_ERR(synack_setsockopt(t->st, fd, IPPROTO_TCP, 9999, &v, sizeof(v)), ENOPROTOOPT);
	ASSERT_ERR(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_KEEPALIVE, &v, 2), EINVAL);
	ASSERT_ERR(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_NODELAY, &v, 3), EINVAL);
	ASSERT_ERR(synack_setsockopt(t->st, fd, SOL_SOCKET, SO_RCVBUF, &v, 0), EINVAL);
	uint8_t one = 0xee;
	len = 1;
	assert_int_equal(synack_getsockopt(t->st, fd, SOL_SOCKET, SO_TYPE, &one, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(one, SOCK_STREAM); /* little-endian low byte */
	scn_free(t);
}

/* SO_ERROR returns the pending error once and clears it: a connect()
 * answered by RST leaves ECONNREFUSED (LINUX-SEMANTICS 7). */
static void sockopt__so_error__read_and_clear(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	assert_int_equal(bind_to(t, fd, INADDR_ANY, L_PORT), 0);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), 0);
	scn_connect(t, fd);
	uint32_t iss = scn_expect_syn(t);
	scn_inject(t, 10, SEG(.flags = RST | ACK, .seq = 0, .ack = iss + 1));
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	assert_int_equal(scn_get_int(t, fd, SOL_SOCKET, SO_ERROR), 0);
	scn_free(t);
}

/* ===== IPPROTO_TCP options ============================================== */

/* tcp(7) TCP_MAXSEG: 536 (TCP_MSS_DEFAULT) before a connection, the MSS in
 * use after (1460 for a peer MSS of 1460); a set value is reported back
 * before connecting and offered in the SYN; out of 88..32767 is EINVAL
 * (Linux TCP_MIN_MSS, MAX_TCP_WINDOW). */
static void tcp_maxseg__before_and_after__linux_values(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_MAXSEG), 536);
	int v = 87;
	ASSERT_ERR(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), EINVAL);
	v = 32768;
	ASSERT_ERR(synack_setsockopt(t->st, fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), EINVAL);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_MAXSEG, 88);
	scn_set_int(t, fd, IPPROTO_TCP, TCP_MAXSEG, 1000);
	assert_int_equal(scn_get_int(t, fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
	struct sockaddr_in to = sin_of(R_ADDR, R_PORT);
	ASSERT_ERR(synack_connect(t->st, fd, (struct sockaddr *)&to, sizeof(to)), EINPROGRESS);
	struct tcp_seg syn;
	assert_true(scn_pop(t, &syn, NULL));
	assert_true(syn.opt.has_mss);
	assert_int_equal(syn.opt.mss, 1000);
	uint32_t iss;
	struct scn *u = scn_new(NULL);
	int c = fx_passive_established(u, &iss);
	assert_int_equal(scn_get_int(u, c, IPPROTO_TCP, TCP_MAXSEG), 1460);
	scn_free(u);
	scn_free(t);
}

/* TCP_INFO (LINUX-SEMANTICS 10): tcpi_state 1 when established, the RTT
 * fields in microseconds after the handshake's sample (30 ms here), the
 * MSS values; a short buffer gets the leading bytes. */
static void tcp_info__established__state_and_rtt(void **state)
{
	struct scn *t = scn_new(NULL);
	int lfd = fx_listen(t);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(synack_getsockopt(t->st, lfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_state, SYNACK_LISTEN);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	uint32_t iss = scn_expect_synack(t, R_ISS + 1);
	scn_inject(t, 30, SEG(.flags = ACK, .seq = R_ISS + 1, .ack = iss + 1));
	int fd = synack_accept(t->st, lfd, NULL, NULL);
	assert_true(fd >= 0);
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(len, sizeof(ti));
	assert_int_equal(ti.tcpi_state, 1);
	assert_int_equal(ti.tcpi_ca_state, 0);
	assert_int_equal(ti.tcpi_rtt, 30000);
	assert_int_equal(ti.tcpi_rttvar, 15000);
	assert_int_equal(ti.tcpi_min_rtt, 30000);
	assert_int_equal(ti.tcpi_rto, 230000);
	assert_int_equal(ti.tcpi_snd_mss, 1460);
	assert_int_equal(ti.tcpi_rcv_mss, 536);
	assert_int_equal(ti.tcpi_advmss, 1460);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(ti.tcpi_total_retrans, 0);
	uint8_t head[4] = {0};
	len = sizeof(head);
	assert_int_equal(synack_getsockopt(t->st, fd, IPPROTO_TCP, TCP_INFO, head, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(head[0], 1);
	scn_free(t);
}

/* ===== send and recv without a connection =============================== */

/* LINUX-SEMANTICS 7: send when unconnected or on a listener is EPIPE;
 * recv when unconnected or on a listener ENOTCONN. */
static void send_recv__not_connected__epipe_enotconn(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = new_sock(t);
	char b[4] = "abc";
	ASSERT_ERR(synack_send(t->st, fd, b, 3, MSG_NOSIGNAL), EPIPE);
	ASSERT_ERR(synack_recv(t->st, fd, b, 3, 0), ENOTCONN);
	int lfd = fx_listen(t);
	ASSERT_ERR(synack_send(t->st, lfd, b, 3, MSG_NOSIGNAL), EPIPE);
	ASSERT_ERR(synack_recv(t->st, lfd, b, 3, 0), ENOTCONN);
	ASSERT_ERR(synack_shutdown(t->st, fd, SHUT_WR), ENOTCONN);
	scn_expect_none(t);
	scn_free(t);
}

/* On a connected socket sendto() ignores its address (tcp_sendmsg) and
 * recvfrom() returns the data with an address length of 0: TCP does not
 * fill msg_name (inet_recvmsg). */
static void sendto_recvfrom__connected__address_ignored(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_passive_established(t, &iss);
	struct sockaddr_in elsewhere = sin_of(0x01020304, 9);
	assert_int_equal(synack_sendto(t->st, fd, "hi", 2, 0, (struct sockaddr *)&elsewhere,
				       sizeof(elsewhere)), 2);
	scn_expect(t, SEG(.flags = ACK | PSH, .seq = iss + 1, .ack = R_ISS + 1, .data = "hi"));
	scn_inject(t, 5, SEG(.flags = ACK | PSH, .seq = R_ISS + 1, .ack = iss + 3, .data = "yo"));
	char b[8];
	struct sockaddr_in from;
	memset(&from, 0x5a, sizeof(from));
	socklen_t len = sizeof(from);
	assert_int_equal(synack_recvfrom(t->st, fd, b, sizeof(b), 0, (struct sockaddr *)&from, &len),
			 2);
	assert_memory_equal(b, "yo", 2);
	assert_int_equal(len, 0);
	assert_int_equal(from.sin_port, 0x5a5a);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(socket__bad_domain__eafnosupport),
		cmocka_unit_test(socket__bad_type_or_protocol__errno),
		cmocka_unit_test(socket__type_flags__fcntl),
		cmocka_unit_test(any_call__bad_fd__ebadf),
		cmocka_unit_test(bind__errors__linux_errno),
		cmocka_unit_test(bind__af_unspec_any__accepted),
		cmocka_unit_test(bind__same_port__eaddrinuse),
		cmocka_unit_test(bind__reuseaddr_both__allowed),
		cmocka_unit_test(bind__port_0__odd_ephemeral),
		cmocka_unit_test(connect__unbound__even_ephemeral_port),
		cmocka_unit_test(names__unconnected_and_connected),
		cmocka_unit_test(listen__connected_or_connecting__einval),
		cmocka_unit_test(accept4__flags__reflected),
		cmocka_unit_test(ioctl__fionread_siocoutq__exact),
		cmocka_unit_test(sockopt__buffers__doubled_and_clamped),
		cmocka_unit_test(sockopt__bools_unknown_and_short__linux_errno),
		cmocka_unit_test(sockopt__so_error__read_and_clear),
		cmocka_unit_test(tcp_maxseg__before_and_after__linux_values),
		cmocka_unit_test(tcp_info__established__state_and_rtt),
		cmocka_unit_test(send_recv__not_connected__epipe_enotconn),
		cmocka_unit_test(sendto_recvfrom__connected__address_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
