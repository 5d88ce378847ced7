/* The demo's insides, shared by demo.c (options, set-up, report) and
 * demo_app.c (the two applications and the loop that drives them). */
#ifndef SYNACK_TOOL_DEMO_INT_H
#define SYNACK_TOOL_DEMO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/memlink.h>
#include <synack/pcap.h>
#include <synack/synack.h>

#include "ladder.h"

#define DEMO_MSG "hello, synack\n"
#define DEMO_MSG_LEN (sizeof(DEMO_MSG) - 1)
#define DEMO_PORT 7
#define DEMO_ADDR_A "10.0.0.1"
#define DEMO_ADDR_B "10.0.0.2"
/* Every run stops at these, finished or not. */
#define DEMO_TIME_LIMIT SYNACK_SEC(600)
#define DEMO_STEP_LIMIT 1000000u

struct demo_opts {
	bool simultaneous_close;
	double loss;              /* each way */
	uint64_t seed;
	synack_time_t delay;      /* one way, us */
	const char *pcap_path;    /* NULL: no capture */
	bool delay_set;           /* --delay was given */
	/* --tun (demo_tun.c): B is the Linux kernel in a network namespace. */
	bool tun;
	bool time_wait_wait;      /* wait out A's TIME-WAIT (60 s) */
	const char *netns;        /* NULL: a private one, named after the pid */
};

enum demo_phase {
	PH_IDLE,        /* A: not connected yet; B: waiting in accept() */
	PH_CONNECTING,  /* A: connect() in progress */
	PH_TALKING,     /* A: sending and reading the echo; B: echoing */
	PH_DONE,        /* the application closed its sockets */
};

struct demo;

/* One host's application: A the client, B the echo server. */
struct demo_host {
	struct demo *d;
	int id;                   /* memlink host: 0 = A, 1 = B */
	struct synack_stack *st;
	enum demo_phase phase;
	int fd;                   /* the connection, -1 when none */
	int lfd;                  /* B: the listener, -1 when none */
	char buf[64];             /* what it read */
	size_t got, put;          /* bytes read, bytes written */
	bool eof;
};

struct demo {
	struct demo_opts opt;
	struct memlink *net;
	struct ladder *lad;
	struct synack_pcap *pcap;
	int pcap_errno;           /* the first pcap write error */
	uint64_t pcap_packets;
	struct demo_host host[2];
	unsigned long steps;
	char why[200];            /* what went wrong, empty if nothing */
};

/* Record the first failure (printf-style); returns -1. */
int demo_fail(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* B listens on DEMO_PORT; 0 or -1 (d->why says why). */
int demo_listen(struct demo *d);
/* Run both applications and the network until the exchange is over and
 * both columns are CLOSED; 0, or -1 with d->why set. */
int demo_drive(struct demo *d);

#endif
