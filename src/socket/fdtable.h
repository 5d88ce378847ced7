/* Descriptors of one stack: sockets and epoll instances, lowest free
 * number first as POSIX requires (numbers start at 3, like a process). */
#ifndef SYNACK_SOCKET_FDTABLE_H
#define SYNACK_SOCKET_FDTABLE_H

#include <stddef.h>

#define FD_FIRST 3
#define FD_MAX 1048576

enum fd_kind { FD_NONE = 0, FD_SOCK, FD_EPOLL };

struct fdent {
	enum fd_kind kind;
	void *obj;
};

struct fdtable {
	struct fdent *ent;
	size_t size;
	size_t lowest_free;            /* hint */
	size_t used;
};

void fdtable_init(struct fdtable *t);
void fdtable_free(struct fdtable *t);
/* Returns the new descriptor, or -1 (EMFILE / ENOMEM in errno). */
int fd_alloc(struct fdtable *t, enum fd_kind kind, void *obj);
void fd_release(struct fdtable *t, int fd);
/* The object if fd is of that kind, else NULL. */
void *fd_get(const struct fdtable *t, int fd, enum fd_kind kind);
enum fd_kind fd_kind(const struct fdtable *t, int fd);

#endif
