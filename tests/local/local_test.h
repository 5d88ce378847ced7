/* What the tests/local programs share: a stack with no network (the
 * local transport needs none) and assertion helpers. Expected figures
 * are Linux 6.18's, measured with AF_UNIX stream sockets. */
#ifndef SYNACK_TESTS_LOCAL_TEST_H
#define SYNACK_TESTS_LOCAL_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <cmocka.h>
#include <synack/synack.h>

#define ASSERT_ERR(call, err) \
	do { \
		errno = 0; \
		assert_int_equal((call), -1); \
		assert_int_equal(errno, (err)); \
	} while (0)

/* Linux's unix_poll masks, as epoll reports them. */
#define M_OUT ((uint32_t)(EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND))
#define M_IN ((uint32_t)(EPOLLIN | EPOLLRDNORM))
#define M_RDHUP ((uint32_t)(EPOLLIN | EPOLLRDNORM | EPOLLRDHUP))

static inline struct synack_stack *lt_stack(void)
{
	struct synack_params p = {.seed = 1};
	p.addr.s_addr = htonl(0x0a000001);
	struct synack_stack *st = synack_stack_new(&p);
	assert_non_null(st);
	return st;
}

static inline socklen_t lt_abstract(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(sa->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static inline socklen_t lt_path(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return (socklen_t)sizeof(*sa);
}

static inline int lt_pair(struct synack_stack *st, int sv[2])
{
	return synack_socketpair(st, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
}

/* A bound, listening socket on an abstract name. */
static inline int lt_listener(struct synack_stack *st, const char *name, int backlog)
{
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, name);
	int l = synack_socket(st, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(l >= 0);
	assert_int_equal(synack_bind(st, l, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(synack_listen(st, l, backlog), 0);
	return l;
}

static inline int lt_connect(struct synack_stack *st, const char *name, int flags)
{
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, name);
	int c = synack_socket(st, AF_UNIX, SOCK_STREAM | flags, 0);
	assert_true(c >= 0);
	int r = synack_connect(st, c, (struct sockaddr *)&sa, len);
	return r < 0 ? -1 - c : c; /* -1 - fd on failure, errno kept */
}

static inline int lt_ioctl(struct synack_stack *st, int fd, unsigned long req)
{
	int v = -1;
	assert_int_equal(synack_ioctl(st, fd, req, &v), 0);
	return v;
}

#endif
