/* The local sockets' rows of the listing (ss -x), as Linux's unix_diag
 * fills them: a listener's Recv-Q is its queued connections and its
 * Send-Q the backlog; other sockets show unread bytes and the bytes
 * charged to their send buffer (truesize). Released sockets are gone
 * from the table, as Linux unhashes them. */
#include <string.h>

#include "local/local.h"

size_t local_listing(struct synack_stack *st, struct synack_sockinfo *rows, size_t n, size_t max)
{
	if (!st->local)
		return n;
	for (struct local_sock *ls = st->local->all; ls; ls = ls->all_next) {
		if (ls->released)
			continue;
		if (n >= max) {
			n++;
			continue;
		}
		struct synack_sockinfo *r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->family = AF_UNIX;
		r->fd = ls->sk.fd;
		r->conn = ls->id;
		r->state = ls->state;
		if (ls->state == SYNACK_LISTEN) {
			r->recv_q = ls->acc_len;
			r->send_q = (uint32_t)ls->backlog;
		} else {
			r->recv_q = ls->rq_bytes;
			r->send_q = (uint32_t)ls->wmem;
		}
		r->unread = ls->rq_bytes;
		r->state_age = st->now - ls->state_since;
		local_name_copy(ls, &r->un_local, &r->un_local_len);
		local_name_copy(ls->peer, &r->un_peer, &r->un_peer_len);
		r->peer_conn = ls->peer ? ls->peer->id : 0;
	}
	return n;
}
