#include <errno.h>
#include <stdlib.h>

#include "socket/fdtable.h"

void fdtable_init(struct fdtable *t)
{
	t->ent = NULL;
	t->size = 0;
	t->lowest_free = FD_FIRST;
	t->used = 0;
}

void fdtable_free(struct fdtable *t)
{
	free(t->ent);
	fdtable_init(t);
}

static int fd_grow(struct fdtable *t, size_t need)
{
	size_t n = t->size ? t->size : 64;
	while (n <= need)
		n *= 2;
	if (n > FD_MAX) {
		errno = EMFILE;
		return -1;
	}
	struct fdent *e = realloc(t->ent, n * sizeof(*e));
	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = t->size; i < n; i++)
		e[i].kind = FD_NONE, e[i].obj = NULL;
	t->ent = e;
	t->size = n;
	return 0;
}

int fd_alloc(struct fdtable *t, enum fd_kind kind, void *obj)
{
	size_t fd = t->lowest_free < FD_FIRST ? FD_FIRST : t->lowest_free;
	while (fd < t->size && t->ent[fd].kind != FD_NONE)
		fd++;
	if (fd >= t->size && fd_grow(t, fd) < 0)
		return -1;
	t->ent[fd].kind = kind;
	t->ent[fd].obj = obj;
	t->lowest_free = fd + 1;
	t->used++;
	return (int)fd;
}

void fd_release(struct fdtable *t, int fd)
{
	if (fd < 0 || (size_t)fd >= t->size || t->ent[fd].kind == FD_NONE)
		return;
	t->ent[fd].kind = FD_NONE;
	t->ent[fd].obj = NULL;
	if ((size_t)fd < t->lowest_free)
		t->lowest_free = (size_t)fd;
	t->used--;
}

void *fd_get(const struct fdtable *t, int fd, enum fd_kind kind)
{
	if (fd < 0 || (size_t)fd >= t->size || t->ent[fd].kind != kind)
		return NULL;
	return t->ent[fd].obj;
}

enum fd_kind fd_kind(const struct fdtable *t, int fd)
{
	if (fd < 0 || (size_t)fd >= t->size)
		return FD_NONE;
	return t->ent[fd].kind;
}
