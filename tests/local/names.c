/*
 * AF_UNIX names (unix(7), LINUX-SEMANTICS 11): socket() and
 * socketpair() arguments, bind with abstract and path names, autobind,
 * getsockname/getpeername, and connect's address errors, with Linux's
 * errno for each.
 */
#include "local_test.h"

#define OFF ((socklen_t)offsetof(struct sockaddr_un, sun_path))

/* unix_create: protocol 0 or PF_UNIX, else EPROTONOSUPPORT; types other
 * than SOCK_STREAM are not served here (ESOCKTNOSUPPORT), past
 * SOCK_PACKET EINVAL; other families EAFNOSUPPORT. */
static void socket__arguments__linux_errno(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	int fd = synack_socket(st, AF_UNIX, SOCK_STREAM, PF_UNIX);
	assert_true(fd >= 0);
	int v = -1;
	socklen_t len = sizeof(v);
	assert_int_equal(synack_getsockopt(st, fd, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
	assert_int_equal(v, AF_UNIX);
	assert_int_equal(synack_getsockopt(st, fd, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	assert_int_equal(v, SOCK_STREAM);
	ASSERT_ERR(synack_socket(st, AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	ASSERT_ERR(synack_socket(st, AF_UNIX, SOCK_DGRAM, 0), ESOCKTNOSUPPORT);
	ASSERT_ERR(synack_socket(st, AF_UNIX, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	ASSERT_ERR(synack_socket(st, AF_UNIX, 99, 0), EINVAL);
	ASSERT_ERR(synack_socket(st, AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
	int sv[2];
	ASSERT_ERR(synack_socketpair(st, AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
	ASSERT_ERR(synack_socketpair(st, AF_INET6, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	ASSERT_ERR(synack_socketpair(st, AF_UNIX, SOCK_DGRAM, 0, sv), ESOCKTNOSUPPORT);
	ASSERT_ERR(synack_socketpair(st, AF_UNIX, SOCK_STREAM, 0, NULL), EFAULT);
	/* SOCK_NONBLOCK and SOCK_CLOEXEC reach both ends. */
	assert_int_equal(synack_socketpair(st, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
					   0, sv), 0);
	assert_int_equal(sv[1], sv[0] + 1);
	assert_int_equal(synack_fcntl(st, sv[1], F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
	assert_int_equal(synack_fcntl(st, sv[0], F_GETFD, 0), FD_CLOEXEC);
	synack_stack_free(st);
}

/* unix_bind: an abstract name is every byte up to addrlen, reported back
 * as given; a second bind EINVAL; a taken name EADDRINUSE; addrlen of 2
 * or less (but exactly 2 autobinds), more than the struct, or another
 * family: EINVAL. */
static void bind__abstract__names_and_errors(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	struct sockaddr_un sa, got;
	socklen_t len = lt_abstract(&sa, "svc"), glen = sizeof(got);
	int a = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	int b = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_bind(st, a, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&got, &glen), 0);
	assert_int_equal(glen, OFF + 4);
	assert_memory_equal(got.sun_path, "\0svc", 4);
	ASSERT_ERR(synack_bind(st, a, (struct sockaddr *)&sa, len), EINVAL);
	ASSERT_ERR(synack_bind(st, b, (struct sockaddr *)&sa, len), EADDRINUSE);
	/* "\0svc" and "\0svc\0" are different names: the length counts. */
	assert_int_equal(synack_bind(st, b, (struct sockaddr *)&sa, len + 1), 0);
	int c = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	ASSERT_ERR(synack_bind(st, c, (struct sockaddr *)&sa, OFF - 1), EINVAL);
	ASSERT_ERR(synack_bind(st, c, (struct sockaddr *)&sa, sizeof(sa) + 1), EINVAL);
	sa.sun_family = AF_INET;
	ASSERT_ERR(synack_bind(st, c, (struct sockaddr *)&sa, len), EINVAL);
	ASSERT_ERR(synack_bind(st, c, NULL, len), EFAULT);
	/* The name is free again once its socket closes. */
	sa.sun_family = AF_UNIX;
	assert_int_equal(synack_close(st, a), 0);
	assert_int_equal(synack_bind(st, c, (struct sockaddr *)&sa, len), 0);
	/* Exactly the family's size with AF_UNIX is autobind, not an error. */
	int d = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_bind(st, d, (struct sockaddr *)&sa, OFF), 0);
	synack_stack_free(st);
}

/* Path names: cut at the first NUL, reported with it (length 2 +
 * strlen + 1); they live in the stack's table, not on disk. */
static void bind__path__name_in_stack_table(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	struct sockaddr_un sa, got;
	socklen_t glen = sizeof(got);
	lt_path(&sa, "/run/app.sock");
	int a = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	int b = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_bind(st, a, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&got, &glen), 0);
	assert_int_equal(glen, OFF + 14);
	assert_string_equal(got.sun_path, "/run/app.sock");
	/* Same path with a shorter addrlen that still holds it all. */
	ASSERT_ERR(synack_bind(st, b, (struct sockaddr *)&sa, OFF + 13), EADDRINUSE);
	/* Path binds make the "file" before checking for a bound socket. */
	ASSERT_ERR(synack_bind(st, a, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
	lt_path(&sa, "/run/other");
	ASSERT_ERR(synack_bind(st, a, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	/* A path no socket holds: connect gets ENOENT (abstract: ECONNREFUSED). */
	ASSERT_ERR(synack_connect(st, b, (struct sockaddr *)&sa, sizeof(sa)), ENOENT);
	struct sockaddr_un ab;
	socklen_t alen = lt_abstract(&ab, "nobody");
	ASSERT_ERR(synack_connect(st, b, (struct sockaddr *)&ab, alen), ECONNREFUSED);
	synack_stack_free(st);
}

/* Autobind (addrlen = sizeof(sa_family_t)): "\0" and five hex digits,
 * a new one per socket; a bound socket keeps its name and gets 0. */
static void bind__autobind__five_hex_digits(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	sa_family_t fam = AF_UNIX;
	struct sockaddr_un got, got2;
	socklen_t glen = sizeof(got), glen2 = sizeof(got2);
	int a = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	int b = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_bind(st, a, (struct sockaddr *)&fam, sizeof(fam)), 0);
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&got, &glen), 0);
	assert_int_equal(glen, OFF + 6);
	assert_int_equal(got.sun_path[0], '\0');
	for (int i = 1; i <= 5; i++)
		assert_non_null(strchr("0123456789abcdef", got.sun_path[i]));
	assert_int_equal(synack_bind(st, a, (struct sockaddr *)&fam, sizeof(fam)), 0);
	glen2 = sizeof(got2);
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&got2, &glen2), 0);
	assert_memory_equal(got.sun_path, got2.sun_path, 6);
	assert_int_equal(synack_bind(st, b, (struct sockaddr *)&fam, sizeof(fam)), 0);
	glen2 = sizeof(got2);
	assert_int_equal(synack_getsockname(st, b, (struct sockaddr *)&got2, &glen2), 0);
	assert_memory_not_equal(got.sun_path, got2.sun_path, 6);
	/* The autobound name can be connected to once listening. */
	assert_int_equal(synack_listen(st, b, 1), 0);
	int c = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_connect(st, c, (struct sockaddr *)&got2, glen2), 0);
	synack_stack_free(st);
}

/* getsockname of an unbound socket: the family alone (length 2);
 * getpeername unconnected ENOTCONN; a pair's ends are unbound; the
 * buffer is filled up to its length and the full length returned. */
static void getname__unbound_and_truncated(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	struct sockaddr_un got;
	socklen_t glen = sizeof(got);
	int a = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&got, &glen), 0);
	assert_int_equal(glen, OFF);
	assert_int_equal(got.sun_family, AF_UNIX);
	glen = sizeof(got);
	ASSERT_ERR(synack_getpeername(st, a, (struct sockaddr *)&got, &glen), ENOTCONN);
	int sv[2];
	assert_int_equal(lt_pair(st, sv), 0);
	glen = sizeof(got);
	assert_int_equal(synack_getpeername(st, sv[0], (struct sockaddr *)&got, &glen), 0);
	assert_int_equal(glen, OFF);
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, "a-long-name");
	assert_int_equal(synack_bind(st, a, (struct sockaddr *)&sa, len), 0);
	memset(&got, 0x55, sizeof(got));
	glen = OFF + 3;
	assert_int_equal(synack_getsockname(st, a, (struct sockaddr *)&got, &glen), 0);
	assert_int_equal(glen, len);
	assert_memory_equal(got.sun_path, "\0a-", 3);
	assert_int_equal((unsigned char)got.sun_path[3], 0x55);
	synack_stack_free(st);
}

/* unix_stream_connect: the address is checked first (EINVAL: short,
 * long, other family), then the name, then that it listens. */
static void connect__address_errors__linux_errno(void **state)
{
	(void)state;
	struct synack_stack *st = lt_stack();
	struct sockaddr_un sa;
	socklen_t len = lt_abstract(&sa, "x");
	int c = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	ASSERT_ERR(synack_connect(st, c, (struct sockaddr *)&sa, OFF), EINVAL);
	ASSERT_ERR(synack_connect(st, c, (struct sockaddr *)&sa, sizeof(sa) + 1), EINVAL);
	sa.sun_family = AF_INET;
	ASSERT_ERR(synack_connect(st, c, (struct sockaddr *)&sa, len), EINVAL);
	sa.sun_family = AF_UNIX;
	ASSERT_ERR(synack_connect(st, c, (struct sockaddr *)&sa, len), ECONNREFUSED);
	/* Bound but not listening: ECONNREFUSED. */
	int b = synack_socket(st, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(synack_bind(st, b, (struct sockaddr *)&sa, len), 0);
	ASSERT_ERR(synack_connect(st, c, (struct sockaddr *)&sa, len), ECONNREFUSED);
	/* listen() wants a bound socket. */
	ASSERT_ERR(synack_listen(st, c, 1), EINVAL);
	synack_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(socket__arguments__linux_errno),
		cmocka_unit_test(bind__abstract__names_and_errors),
		cmocka_unit_test(bind__path__name_in_stack_table),
		cmocka_unit_test(bind__autobind__five_hex_digits),
		cmocka_unit_test(getname__unbound_and_truncated),
		cmocka_unit_test(connect__address_errors__linux_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
