/* Helpers the call files of libsynack-packetdrill share (pd_sock.c,
 * pd_msg.c, pd_poll.c). */
#ifndef SYNACK_PD_CALL_H
#define SYNACK_PD_CALL_H

#include <errno.h>

#include "pd.h"

/* Take the lock for a call; the syscall thread counts as busy while in it. */
void pd_enter(struct pd *pd);
void pd_leave(struct pd *pd);
/* Leave, keeping the call's errno. */
#define PD_RETURN(pd, r)                                                      \
	do {                                                                  \
		int e_ = errno;                                               \
		pd_leave(pd);                                                 \
		errno = e_;                                                   \
		return (r);                                                   \
	} while (0)

bool pd_blocking(struct pd *pd, int sfd, int flags);
bool pd_block(struct pd *pd, int *waits);
ssize_t pd_do_recv(struct pd *pd, int sfd, void *buf, size_t n, int flags,
		   struct sockaddr *from, socklen_t *fromlen);
ssize_t pd_do_send(struct pd *pd, int sfd, const void *buf, size_t n, int flags);
ssize_t pd_do_sendto(struct pd *pd, int sfd, const void *buf, size_t n, int flags,
		     const struct sockaddr *to, socklen_t tolen);
int pd_do_getsockopt(struct pd *pd, int fd, int level, int name, void *val, socklen_t *len);
void pd_msg_fill(struct pd_iface *ifc);

#endif
