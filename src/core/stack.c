/* The stack object: creation, time, the entry points for packets and
 * timers, drops and counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "local/local.h"
#include "socket/socket.h"
#include "tcp/tcp.h"

static void key_from_rng(struct rng *r, struct siphash_key *k)
{
	k->k0 = rng_next(r);
	k->k1 = rng_next(r);
}

struct synack_stack *synack_stack_new(const struct synack_params *p)
{
	struct synack_stack *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (p->config)
		st->cfg = *p->config;
	else
		synack_config_default(&st->cfg);
	st->env = p->env;
	st->addr = ntohl(p->addr.s_addr);
	st->mtu = p->mtu ? p->mtu : 1500;
	if (st->mtu < 68 || st->mtu > STACK_TX_MAX) {
		free(st);
		errno = EINVAL;
		return NULL;
	}
	st->now = p->now;
	rng_seed(&st->rng, p->seed);
	key_from_rng(&st->rng, &st->conn_key);
	key_from_rng(&st->rng, &st->isn_key);
	key_from_rng(&st->rng, &st->port_key);
	st->ip_id = (uint16_t)rng_next(&st->rng);
	key_from_rng(&st->rng, &st->cookie_key[0]);
	key_from_rng(&st->rng, &st->cookie_key[1]);
	st->next_conn_id = 1;
	timer_wheel_init(&st->wheel, st->now / 1000);
	fdtable_init(&st->fds);
	if (tcp_table_init(&st->tcp) < 0) {
		free(st);
		errno = ENOMEM;
		return NULL;
	}
	return st;
}

void synack_stack_free(struct synack_stack *st)
{
	if (!st)
		return;
	socket_close_all(st);
	tcp_table_free(st);
	tcp_reqtab_free(st);
	tcp_fastopen_cache_free(st);
	local_ns_free(st);
	fdtable_free(&st->fds);
	free(st);
}

/* Time only moves forward; a caller's clock that steps back is ignored. */
static void stack_set_time(struct synack_stack *st, synack_time_t now)
{
	if (now > st->now)
		st->now = now;
}

void synack_input(struct synack_stack *st, const void *pkt, size_t len, synack_time_t now)
{
	stack_set_time(st, now);
	/* Timers due by now run first, as they would have on a real host. */
	timer_wheel_advance(&st->wheel, st->now / 1000);
	ipv4_input(st, pkt, len);
}

synack_time_t synack_poll(struct synack_stack *st, synack_time_t now)
{
	stack_set_time(st, now);
	timer_wheel_advance(&st->wheel, st->now / 1000);
	uint64_t next = timer_wheel_next(&st->wheel);
	return next == UINT64_MAX ? SYNACK_TIME_NEVER : next * 1000;
}

synack_time_t synack_now(const struct synack_stack *st) { return st->now; }

struct in_addr synack_addr(const struct synack_stack *st)
{
	struct in_addr a = {htonl(st->addr)};
	return a;
}

const struct synack_config *synack_config(const struct synack_stack *st) { return &st->cfg; }

int synack_sysctl_set(struct synack_stack *st, const char *name, const char *value)
{
	return synack_config_set(&st->cfg, name, value);
}

void synack_tcp_metrics_flush(struct synack_stack *st, struct in_addr addr)
{
	tcp_fastopen_cache_flush(st, ntohl(addr.s_addr));
}

void stack_drop(struct synack_stack *st, enum mib_id mib, const char *why)
{
	st->mib.v[mib]++;
	if (!st->env.trace)
		return;
	struct synack_trace ev = {
		.kind = SYNACK_TRACE_DROP, .now = st->now, .fd = -1,
		.why = why, .counter = mib_names[mib],
	};
	st->env.trace(st->env.ctx, &ev);
}

size_t synack_counters(const struct synack_stack *st, struct synack_counter *rows, size_t max)
{
	for (size_t i = 0; i < MIB__COUNT && i < max; i++) {
		rows[i].name = mib_names[i];
		rows[i].value = st->mib.v[i];
	}
	return MIB__COUNT;
}

uint64_t synack_counter(const struct synack_stack *st, const char *name)
{
	for (size_t i = 0; i < MIB__COUNT; i++)
		if (strcmp(mib_names[i], name) == 0)
			return st->mib.v[i];
	return 0;
}
