/* The socket layer inside the stack: descriptor table, epoll, wakeups. */
#ifndef SYNACK_SOCKET_SOCKET_H
#define SYNACK_SOCKET_SOCKET_H

#include "core/stack.h"
#include "socket/sock.h"

/* Remove sk from every epoll instance watching it. */
void sock_detach_watchers(struct sock *sk);
/* Close every descriptor (stack teardown). */
void socket_close_all(struct synack_stack *st);
/* Socket-level options (SOL_SOCKET) common to every transport. */
int sock_setsockopt(struct sock *sk, int name, const void *val, socklen_t len);
int sock_getsockopt(struct sock *sk, int name, void *val, socklen_t *len);
/* Copy an int option out as Linux does (min of int and the caller's length). */
int sockopt_put_int(void *val, socklen_t *len, int v);
int sockopt_get_int(const void *val, socklen_t len, int *out);
/* The first min(len, max) bytes of an iovec in one malloc'd block
 * (*n gets the count), for a call that needs them contiguous (a Fast
 * Open SYN's data); NULL when out of memory. */
void *sock_iov_gather(const struct iovec *iov, size_t iovcnt, size_t len, size_t max, size_t *n);
struct epoll_inst;
void epoll_inst_free(struct epoll_inst *ep);

#endif
