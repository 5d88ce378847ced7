/*
 * libsynack-packetdrill: one synack stack behind packetdrill's
 * shared-object interface. Not part of the core: this is a driver, so it
 * owns threads, a mutex, real descriptors and a clock of its own.
 *
 * Time is virtual (microseconds). It moves when packetdrill sleeps
 * (usleep), by a small step on every gettimeofday (packetdrill spins on it
 * before each event), and, while packetdrill waits for an outgoing packet
 * or a call waits with a deadline, straight to the stack's next timer.
 * Each step runs the stack's timers at their own deadlines, so packets
 * leave with exact virtual timestamps.
 */
#ifndef SYNACK_PD_H
#define SYNACK_PD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/synack.h>

#include "pd_iface.h"

#define PD_MAX_FDS 4096              /* real descriptors we can map */
#define PD_PKT_MAX 65536
#define PD_QUEUE_MAX 4096            /* outgoing packets waiting for packetdrill */
#define PD_TICK_US 1                 /* virtual time per gettimeofday call */
#define PD_NSTAT_MAX 256             /* counters nstat's history keeps */
#define PD_NSTAT_CALLS_MAX 8         /* nstat calls in one shell command */
#define PD_NSTAT_PATH 64

struct pd_pkt {
	synack_time_t at;
	size_t len;
	uint8_t *data;
};

/* pd_qdisc.c: what tun0's root qdisc does to our packets. */
struct pd_qdisc {
	int watch;                       /* netlink socket on RTNLGRP_TC, -1 = none */
	bool known, drops;               /* cached answer, valid while known */
};

struct pd {
	pthread_mutex_t mu;
	pthread_cond_t cv;               /* the stack changed, or time moved */
	pthread_t main_thread;           /* the thread that drives time */
	struct synack_stack *st;
	synack_time_t now;
	uint64_t gen;                    /* bumped on every change (see cv) */
	/* The syscall thread: inside a call, and if waiting, since which gen. */
	int bg_calls;
	bool bg_waiting;
	uint64_t bg_wait_gen;
	synack_time_t bg_deadline;       /* virtual deadline of its wait */
	/* Packets sent by the stack, oldest first (a ring). */
	struct pd_pkt q[PD_QUEUE_MAX];
	size_t q_head, q_len;
	/* Real descriptor -> synack descriptor + 1 (0 = not ours). */
	int map[PD_MAX_FDS];
	bool sysctl_loaded;
	struct pd_qdisc qdisc;
	/* pd_nstat.c: nstat's history, our counters when last updated. */
	uint64_t nstat_hist[PD_NSTAT_MAX];
	bool nstat_hist_set;
};

/* The one instance (for the LD_PRELOADed getsockopt/close). */
extern struct pd *pd_instance;

void pd_lock(struct pd *pd);
void pd_unlock(struct pd *pd);
/* Something changed: wake every waiter. Caller holds the lock. */
void pd_changed(struct pd *pd);
bool pd_is_main(const struct pd *pd);
/* Move virtual time to t, running timers at their deadlines. */
void pd_advance(struct pd *pd, synack_time_t t);
/*
 * Wait (lock held) for the stack to change or for the virtual deadline
 * (SYNACK_TIME_NEVER = none). The driving thread moves time itself; the
 * syscall thread sleeps until woken. Returns false when waiting cannot
 * make progress (the caller gives up).
 */
bool pd_wait(struct pd *pd, synack_time_t deadline);
/* Let a busy syscall thread settle before time moves (lock held). */
void pd_wait_bg_quiet(struct pd *pd);

/* Descriptor map: real fd <-> synack fd. */
int pd_sfd(struct pd *pd, int rfd);          /* -1 with EBADF if not ours */
int pd_new_fd(struct pd *pd, int sfd);       /* a real eventfd for sfd, or -1 */
void pd_drop_fd(struct pd *pd, int rfd);     /* forget and close the real fd */
/* Read the script's sysctls from /proc/sys/net into the stack. */
void pd_load_sysctls(struct pd *pd);
int pd_real_close(int fd);

/* pd_gso.c: join nx (nlen bytes) onto pkt (*len of cap bytes) if it is
 * the next segment of the same TSO burst and the payload stays within
 * max_payload; false, pkt untouched, if not. */
bool pd_gso_append(uint8_t *pkt, size_t *len, size_t cap, const uint8_t *nx, size_t nlen,
		   size_t max_payload);
/* pd_tso.c: the most payload one packet of pkt's flow may carry as
 * Linux's TSO sizing would (seg_payload: its first segment's); 0 = none
 * joined (the device has TSO and GSO off). Lock held. */
size_t pd_tso_limit(struct pd *pd, const uint8_t *pkt, size_t seg_payload);

/* pd_qdisc.c: watch tun0's qdiscs; does its root qdisc refuse every
 * packet (pfifo/bfifo limit 0: NET_XMIT_DROP, local congestion)? */
void pd_qdisc_init(struct pd_qdisc *q);
void pd_qdisc_free(struct pd_qdisc *q);
bool pd_qdisc_refuses(struct pd_qdisc *q);

/* pd_nstat.c: each nstat call in a shell command becomes `cat FILE`,
 * FILE holding nstat's output for our counters (history in pd). Returns
 * the command to run (malloc'd), or NULL to run it as it is; files lists
 * what pd_nstat_cleanup removes after it ran. Lock held. */
struct pd_nstat_files {
	unsigned n;
	char path[PD_NSTAT_CALLS_MAX][PD_NSTAT_PATH];
};
char *pd_nstat_rewrite(struct pd *pd, const char *cmd, struct pd_nstat_files *files);
void pd_nstat_cleanup(struct pd_nstat_files *files);

/* pd_sock.c / pd_poll.c fill their parts of the table. */
void pd_sock_fill(struct pd_iface *ifc);
void pd_poll_fill(struct pd_iface *ifc);

/* The synack fd of rfd (with the lock held); -1/EBADF otherwise. */
static inline bool pd_fd_ok(int rfd) { return rfd >= 0 && rfd < PD_MAX_FDS; }

#endif
