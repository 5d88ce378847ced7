/* Where TCP sockets are found: the connection hash (keyed SipHash of the
 * 4-tuple, so a peer cannot aim at one chain), the timewait hash beside it
 * (timewait.c), listeners by local port, the bind table of ports in use
 * (bind.c), and one list of all sockets for the listing. */
#ifndef SYNACK_TCP_TABLE_H
#define SYNACK_TCP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_sock;
struct tcp_tw;
struct tcp_bind_bucket;
struct synack_stack;

#define TCP_BIND_BUCKETS 4096
#define TCP_LISTEN_BUCKETS 64
#define TCP_PERTURB_SLOTS 256

struct tcp_table {
	struct tcp_sock **conn;        /* hash chains */
	uint32_t conn_size, conn_count;
	struct tcp_tw **tw;            /* timewait entries, hashed as conn */
	uint32_t tw_size, tw_count;
	struct tcp_bind_bucket *bind[TCP_BIND_BUCKETS]; /* ports in use, by port */
	struct tcp_sock *listen[TCP_LISTEN_BUCKETS];    /* listeners, by port */
	struct tcp_sock *all;
	uint32_t all_count;
	uint32_t orphans;
	uint16_t perturb[TCP_PERTURB_SLOTS]; /* RFC 6056 alg. 4 table */
};

int tcp_table_init(struct tcp_table *t);
void tcp_table_free(struct synack_stack *st);
/* The keyed hash of a 4-tuple that the connection, timewait and request
 * tables share. */
uint32_t tcp_tuple_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
			uint32_t raddr, uint16_t rport);
void tcp_hash_add(struct synack_stack *st, struct tcp_sock *tp);
void tcp_hash_del(struct synack_stack *st, struct tcp_sock *tp);
struct tcp_sock *tcp_lookup_conn(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				 uint32_t raddr, uint16_t rport);

/* ---- bind.c: ports in use and listeners (Linux inet_hashtables.c,
 * inet_connection_sock.c; LINUX-SEMANTICS 6) ------------------------------ */
/* The listener for a segment to laddr:lport from raddr:rport: a specific
 * address beats the wildcard; SO_REUSEPORT groups share by 4-tuple hash. */
struct tcp_sock *tcp_lookup_listener4(struct synack_stack *st, uint32_t laddr, uint16_t lport,
				      uint32_t raddr, uint16_t rport);
struct tcp_sock *tcp_lookup_listener(struct synack_stack *st, uint32_t laddr, uint16_t lport);
/* A socket enters or leaves LISTEN (tcp_set_state calls these). */
void tcp_listen_hash(struct synack_stack *st, struct tcp_sock *tp);
void tcp_listen_unhash(struct synack_stack *st, struct tcp_sock *tp);
/* tp takes tp->lport (explicit bind, listen's or connect's choice). */
void tcp_bind_add(struct synack_stack *st, struct tcp_sock *tp);
/* A child shares its listener's port (Linux __inet_inherit_port). */
void tcp_bind_inherit(struct tcp_sock *child, const struct tcp_sock *lsn);
void tcp_bind_del(struct synack_stack *st, struct tcp_sock *tp);
/* A timewait entry takes over tp's place on its port, and leaves it. */
void tcp_bind_tw_take(struct tcp_tw *tw, struct tcp_sock *tp);
void tcp_bind_tw_del(struct synack_stack *st, struct tcp_tw *tw);
/* Would tp binding addr:port clash with a socket or timewait entry there?
 * relax: bind(port) or listen(); false when choosing a port for bind(0). */
bool tcp_bind_conflict(struct synack_stack *st, const struct tcp_sock *tp, uint32_t addr,
		       uint16_t port, bool relax);
/* Pick a local port for connect() to raddr:rport (RFC 6056 alg. 4 shape),
 * bind tp to it and return it; -1 with errno EADDRNOTAVAIL. *isn != 0:
 * a timewait entry was recycled and the connection must start there. */
int tcp_pick_ephemeral(struct synack_stack *st, struct tcp_sock *tp, uint32_t raddr, uint16_t rport,
		       uint32_t *isn);
/* connect() from a port tp already holds: is the 4-tuple free (a
 * timewait entry may be recycled: *isn as above)? */
bool tcp_connect_tuple_free(struct synack_stack *st, struct tcp_sock *tp, uint32_t raddr,
			    uint16_t rport, uint32_t *isn);
/* Pick a port for bind(port 0). */
int tcp_pick_bind_port(struct synack_stack *st, struct tcp_sock *tp, uint32_t addr);

#endif
