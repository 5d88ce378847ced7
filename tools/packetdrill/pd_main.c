/*
 * libsynack-packetdrill: the instance, virtual time, the packet device and
 * the descriptor map (see pd.h). packetdrill calls packetdrill_interface_init
 * once per script, then the table's functions, then free.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>

#include "pd.h"

struct pd *pd_instance;

#define PD_START_US ((synack_time_t)1700000000 * 1000000u) /* any epoch serves */
#define PD_STEP_LIMIT 1000000        /* bound on timer steps in one advance */
#define PD_QUIET_WAIT_MS 2000        /* longest real wait for the syscall thread */

int pd_real_close(int fd) { return (int)syscall(SYS_close, fd); }

void pd_lock(struct pd *pd) { pthread_mutex_lock(&pd->mu); }
void pd_unlock(struct pd *pd) { pthread_mutex_unlock(&pd->mu); }

void pd_changed(struct pd *pd)
{
	pd->gen++;
	pthread_cond_broadcast(&pd->cv);
}

bool pd_is_main(const struct pd *pd) { return pthread_equal(pthread_self(), pd->main_thread); }

/* Real-time wait on the condition variable for at most ms. */
static void cv_wait_ms(struct pd *pd, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&pd->cv, &pd->mu, &ts);
}

void pd_advance(struct pd *pd, synack_time_t t)
{
	for (int i = 0; i < PD_STEP_LIMIT && t > pd->now; i++) {
		synack_time_t next = synack_poll(pd->st, pd->now);
		if (next == SYNACK_TIME_NEVER || next > t)
			break;
		if (next <= pd->now)
			next = pd->now + 1;  /* due now and already run: move on */
		pd->now = next;
	}
	if (t > pd->now)
		pd->now = t;
	synack_poll(pd->st, pd->now);
	if (pd->bg_waiting && pd->bg_deadline <= pd->now)
		pd_changed(pd);
}

static bool bg_quiet(const struct pd *pd)
{
	return pd->bg_calls == 0 || (pd->bg_waiting && pd->bg_wait_gen == pd->gen);
}

void pd_wait_bg_quiet(struct pd *pd)
{
	for (int i = 0; i < PD_QUIET_WAIT_MS && !bg_quiet(pd); i++)
		cv_wait_ms(pd, 1);
}

/* The earliest moment something can happen: a timer or a waiter's deadline. */
static synack_time_t next_event(struct pd *pd, synack_time_t deadline)
{
	synack_time_t t = synack_poll(pd->st, pd->now);
	if (deadline < t)
		t = deadline;
	if (pd->bg_waiting && pd->bg_deadline < t)
		t = pd->bg_deadline;
	return t;
}

bool pd_wait(struct pd *pd, synack_time_t deadline)
{
	if (!pd_is_main(pd)) {
		pd->bg_waiting = true;
		pd->bg_wait_gen = pd->gen;
		pd->bg_deadline = deadline;
		pthread_cond_broadcast(&pd->cv); /* the driver may be waiting for us */
		cv_wait_ms(pd, 50);
		pd->bg_waiting = false;
		pd->bg_deadline = SYNACK_TIME_NEVER;
		return true;
	}
	uint64_t gen = pd->gen;
	pd_wait_bg_quiet(pd);
	if (pd->gen != gen)
		return true;
	synack_time_t t = next_event(pd, deadline);
	if (t == SYNACK_TIME_NEVER) {
		cv_wait_ms(pd, 1);
		return pd->gen != gen;
	}
	pd_advance(pd, t > pd->now ? t : pd->now + 1);
	return true;
}

/* ---- descriptors ------------------------------------------------------ */

int pd_sfd(struct pd *pd, int rfd)
{
	if (!pd_fd_ok(rfd) || pd->map[rfd] == 0) {
		errno = EBADF;
		return -1;
	}
	return pd->map[rfd] - 1;
}

int pd_new_fd(struct pd *pd, int sfd)
{
	int rfd = eventfd(0, EFD_CLOEXEC);
	if (rfd < 0)
		return -1;
	if (!pd_fd_ok(rfd)) {
		pd_real_close(rfd);
		errno = EMFILE;
		return -1;
	}
	pd->map[rfd] = sfd + 1;
	return rfd;
}

void pd_drop_fd(struct pd *pd, int rfd)
{
	if (!pd_fd_ok(rfd))
		return;
	pd->map[rfd] = 0;
	pd_real_close(rfd);
}

/* ---- settings --------------------------------------------------------- */

/* One setting from /proc/sys (net.ipv4.tcp_rmem -> net/ipv4/tcp_rmem);
 * vectors there are tab-separated, ours space-separated. */
static void load_one(struct pd *pd, const char *name)
{
	char path[256], buf[256];
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	while (n && buf[n - 1] == ' ')
		buf[--n] = 0;
	synack_sysctl_set(pd->st, name, buf); /* a value we cannot take stays as it was */
}

void pd_load_sysctls(struct pd *pd)
{
	const char *name;
	for (size_t i = 0; (name = synack_config_name(i)) != NULL; i++)
		load_one(pd, name);
}

/* ---- the packet device and the clock ------------------------------------ */

/* The device: tun0's qdisc may refuse the packet (pd_qdisc.c), and so
 * does a full queue when packetdrill falls far behind; both are local
 * congestion, which the stack retries as Linux does. */
static int env_xmit(void *ctx, const void *pkt, size_t len)
{
	struct pd *pd = ctx;
	if (len > PD_PKT_MAX)
		return SYNACK_XMIT_OK; /* cannot happen (MTU): lost */
	if (pd->q_len == PD_QUEUE_MAX || pd_qdisc_refuses(&pd->qdisc))
		return SYNACK_XMIT_DROP;
	struct pd_pkt *p = &pd->q[(pd->q_head + pd->q_len) % PD_QUEUE_MAX];
	p->data = malloc(len);
	if (!p->data)
		return SYNACK_XMIT_DROP;
	memcpy(p->data, pkt, len);
	p->len = len;
	p->at = synack_now(pd->st);
	pd->q_len++;
	pd_changed(pd);
	return SYNACK_XMIT_OK;
}

static void env_event(void *ctx, int fd, uint32_t events)
{
	pd_changed(ctx);
}

static int pd_netdev_send(void *ud, const void *buf, size_t n)
{
	struct pd *pd = ud;
	pd_lock(pd);
	pd_wait_bg_quiet(pd);
	synack_input(pd->st, buf, n, pd->now);
	pd_changed(pd);
	pd_unlock(pd);
	return 0;
}

/* Block (bounded) until the stack sends: time jumps to its next timer. */
static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
	struct pd *pd = ud;
	int rc = -1;
	size_t cap = *count;
	pd_lock(pd);
	for (int i = 0; i < 100000; i++) {
		if (pd->q_len) {
			struct pd_pkt *p = &pd->q[pd->q_head];
			size_t n = p->len < *count ? p->len : *count;
			memcpy(buf, p->data, n);
			*count = n;
			*time_usecs = (long long)p->at;
			synack_time_t at = p->at;
			bool whole = n == p->len;
			free(p->data);
			pd->q_head = (pd->q_head + 1) % PD_QUEUE_MAX;
			pd->q_len--;
			/* The rest of the same burst, joined as TSO would (pd_gso.c). */
			size_t lim = 0;
			if (pd->q_len && whole && n > 40 && pd->q[pd->q_head].at == at)
				lim = pd_tso_limit(pd, buf, n - 20 - (size_t)(((const uint8_t *)buf)[32] >> 4) * 4);
			while (pd->q_len && whole) {
				struct pd_pkt *nx = &pd->q[pd->q_head];
				if (nx->at != at || !pd_gso_append(buf, count, cap, nx->data, nx->len, lim))
					break;
				free(nx->data);
				pd->q_head = (pd->q_head + 1) % PD_QUEUE_MAX;
				pd->q_len--;
			}
			rc = 0;
			break;
		}
		uint64_t gen = pd->gen;
		pd_wait(pd, SYNACK_TIME_NEVER);
		if (pd->gen == gen && !pd->q_len && next_event(pd, SYNACK_TIME_NEVER) == SYNACK_TIME_NEVER)
			break; /* nothing can ever come: let packetdrill ask again */
	}
	pd_unlock(pd);
	return rc;
}

static int pd_usleep(void *ud, useconds_t us)
{
	struct pd *pd = ud;
	pd_lock(pd);
	pd_wait_bg_quiet(pd);
	pd_advance(pd, pd->now + us);
	pd_unlock(pd);
	return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct pd *pd = ud;
	pd_lock(pd);
	pd_advance(pd, pd->now + PD_TICK_US);
	tv->tv_sec = (time_t)(pd->now / 1000000u);
	tv->tv_usec = (suseconds_t)(pd->now % 1000000u);
	pd_unlock(pd);
	return 0;
}

static void pd_free(void *ud)
{
	struct pd *pd = ud;
	if (pd_instance == pd)
		pd_instance = NULL;
	for (int i = 0; i < PD_MAX_FDS; i++)
		if (pd->map[i])
			pd_drop_fd(pd, i);
	synack_stack_free(pd->st);
	pd_qdisc_free(&pd->qdisc);
	for (size_t i = 0; i < pd->q_len; i++)
		free(pd->q[(pd->q_head + i) % PD_QUEUE_MAX].data);
	pthread_cond_destroy(&pd->cv);
	pthread_mutex_destroy(&pd->mu);
	free(pd);
}

/* --so_flags: space- or comma-separated key=value (addr, mtu, seed). */
static void parse_flags(const char *flags, struct synack_params *p)
{
	char buf[512], *save = NULL;
	if (!flags)
		return;
	snprintf(buf, sizeof(buf), "%s", flags);
	for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		char *v = strchr(tok, '=');
		if (!v)
			continue;
		*v++ = 0;
		if (strcmp(tok, "addr") == 0)
			inet_pton(AF_INET, v, &p->addr);
		else if (strcmp(tok, "mtu") == 0)
			p->mtu = (unsigned)strtoul(v, NULL, 0);
		else if (strcmp(tok, "seed") == 0)
			p->seed = strtoull(v, NULL, 0);
	}
}

__attribute__((visibility("default")))
void packetdrill_interface_init(const char *flags, struct pd_iface *ifc);

void packetdrill_interface_init(const char *flags, struct pd_iface *ifc)
{
	struct pd *pd = calloc(1, sizeof(*pd));
	if (!pd)
		abort();
	pthread_mutex_init(&pd->mu, NULL);
	pthread_cond_init(&pd->cv, NULL);
	pd->main_thread = pthread_self();
	pd->now = PD_START_US;
	pd->bg_deadline = SYNACK_TIME_NEVER;
	pd_qdisc_init(&pd->qdisc);
	struct synack_params p = {
		.seed = 1, .now = pd->now,
		.env = {.ctx = pd, .event = env_event, .xmit = env_xmit},
	};
	inet_pton(AF_INET, "192.168.0.1", &p.addr); /* packetdrill's default local_ip */
	parse_flags(flags, &p);
	pd->st = synack_stack_new(&p);
	if (!pd->st)
		abort();
	pd_instance = pd;
	memset(ifc, 0, sizeof(*ifc));
	ifc->userdata = pd;
	ifc->free = pd_free;
	ifc->netdev_send = pd_netdev_send;
	ifc->netdev_receive = pd_netdev_receive;
	ifc->usleep = pd_usleep;
	ifc->gettimeofday = pd_gettimeofday;
	pd_sock_fill(ifc);
	pd_poll_fill(ifc);
}
