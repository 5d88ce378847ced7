/* The connection hash of one stack (listeners and ports: bind.c;
 * timewait entries: timewait.c). */
#include <errno.h>
#include <stdlib.h>

#include "core/siphash.h"
#include "tcp/tcp.h"

#define CONN_MIN_SIZE 64

int tcp_table_init(struct tcp_table *t)
{
	t->conn = calloc(CONN_MIN_SIZE, sizeof(*t->conn));
	if (!t->conn)
		return -1;
	t->conn_size = CONN_MIN_SIZE;
	return 0;
}

void tcp_table_free(struct synack_stack *st)
{
	while (st->tcp.all)
		tcp_sock_free(st->tcp.all);
	tcp_tw_free_all(st);
	free(st->tcp.conn);
	st->tcp.conn = NULL;
}

uint32_t tcp_tuple_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
			uint32_t raddr, uint16_t rport)
{
	uint32_t key[3] = {laddr, raddr, (uint32_t)lport << 16 | rport};
	return (uint32_t)siphash24(&st->conn_key, key, sizeof(key));
}

static uint32_t tp_hash(const struct synack_stack *st, const struct tcp_sock *tp)
{
	return tcp_tuple_hash(st, tp->laddr, tp->lport, tp->raddr, tp->rport);
}

/* Double the table when chains would average more than one entry. */
static void conn_grow(struct synack_stack *st)
{
	struct tcp_table *t = &st->tcp;
	uint32_t nsize = t->conn_size * 2;
	struct tcp_sock **n = calloc(nsize, sizeof(*n));
	if (!n)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i < t->conn_size; i++) {
		struct tcp_sock *tp = t->conn[i];
		while (tp) {
			struct tcp_sock *next = tp->hnext;
			uint32_t h = tp_hash(st, tp) & (nsize - 1);
			tp->hnext = n[h];
			n[h] = tp;
			tp = next;
		}
	}
	free(t->conn);
	t->conn = n;
	t->conn_size = nsize;
}

void tcp_hash_add(struct synack_stack *st, struct tcp_sock *tp)
{
	struct tcp_table *t = &st->tcp;
	if (tp->hashed)
		return;
	if (t->conn_count >= t->conn_size)
		conn_grow(st);
	uint32_t h = tp_hash(st, tp) & (t->conn_size - 1);
	tp->hnext = t->conn[h];
	t->conn[h] = tp;
	tp->hashed = true;
	t->conn_count++;
}

void tcp_hash_del(struct synack_stack *st, struct tcp_sock *tp)
{
	struct tcp_table *t = &st->tcp;
	if (!tp->hashed)
		return;
	uint32_t h = tp_hash(st, tp) & (t->conn_size - 1);
	for (struct tcp_sock **pp = &t->conn[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == tp) {
			*pp = tp->hnext;
			break;
		}
	}
	tp->hnext = NULL;
	tp->hashed = false;
	t->conn_count--;
}

struct tcp_sock *tcp_lookup_conn(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				 uint32_t raddr, uint16_t rport)
{
	struct tcp_table *t = &st->tcp;
	uint32_t h = tcp_tuple_hash(st, laddr, lport, raddr, rport) & (t->conn_size - 1);
	for (struct tcp_sock *tp = t->conn[h]; tp; tp = tp->hnext)
		if (tp->lport == lport && tp->rport == rport && tp->laddr == laddr &&
		    tp->raddr == raddr)
			return tp;
	return NULL;
}
