/* Where TCP sockets are found: the connection hash (keyed SipHash of the
 * 4-tuple, so a peer cannot aim at one chain), listeners and the bind
 * table by local port, and one list of all sockets for the listing. */
#ifndef SYNACK_TCP_TABLE_H
#define SYNACK_TCP_TABLE_H

#include <stdint.h>

struct tcp_sock;
struct synack_stack;

#define TCP_BIND_BUCKETS 1024
#define TCP_PERTURB_SLOTS 256

struct tcp_table {
	struct tcp_sock **conn;        /* hash chains */
	uint32_t conn_size, conn_count;
	struct tcp_sock *bind[TCP_BIND_BUCKETS];
	struct tcp_sock *all;
	uint32_t all_count;
	uint32_t orphans;
	uint16_t perturb[TCP_PERTURB_SLOTS]; /* RFC 6056 alg. 4 table */
};

int tcp_table_init(struct tcp_table *t);
void tcp_table_free(struct synack_stack *st);
void tcp_hash_add(struct synack_stack *st, struct tcp_sock *tp);
void tcp_hash_del(struct synack_stack *st, struct tcp_sock *tp);
struct tcp_sock *tcp_lookup_conn(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				 uint32_t raddr, uint16_t rport);
struct tcp_sock *tcp_lookup_listener(struct synack_stack *st, uint32_t laddr, uint16_t lport);
void tcp_bind_add(struct synack_stack *st, struct tcp_sock *tp);
void tcp_bind_del(struct synack_stack *st, struct tcp_sock *tp);
/* Is (addr, port) taken in a way that forbids tp from binding it? */
int tcp_bind_conflict(struct synack_stack *st, const struct tcp_sock *tp, uint32_t addr, uint16_t port);
/* Pick a local port for connect() to raddr:rport (RFC 6056 alg. 4 shape). */
int tcp_pick_ephemeral(struct synack_stack *st, struct tcp_sock *tp, uint32_t raddr, uint16_t rport);
/* Pick a port for bind(port 0). */
int tcp_pick_bind_port(struct synack_stack *st, struct tcp_sock *tp, uint32_t addr);

#endif
