/* Settings under Linux sysctl names, with Linux's defaults
 * (Documentation/networking/ip-sysctl.rst; LINUX-SEMANTICS.md section 2). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/synack.h>

#include "tcp/cc.h"

struct config_entry {
	const char *name;       /* full sysctl name */
	size_t offset;
	unsigned count;         /* ints in the vector */
	int min, max;
	int kind;               /* CFG_INT, or a string setting */
};

enum { CFG_INT, CFG_CA_NAME, CFG_CA_AVAILABLE };

#define CFG(name, field, n, lo, hi) {name, offsetof(struct synack_config, field), n, lo, hi, CFG_INT}
#define CFGS(name, kind) {name, 0, 0, 0, 0, kind}

static const struct config_entry config_table[] = {
	CFG("net.ipv4.ip_default_ttl", ip_default_ttl, 1, 1, 255),
	CFG("net.ipv4.ip_local_port_range", ip_local_port_range, 2, 1, 65535),
	CFG("net.ipv4.route.min_pmtu", ip_rt_min_pmtu, 1, 68, 65535),
	CFG("net.ipv4.route.mtu_expires", ip_rt_mtu_expires, 1, 0, INT_MAX),
	CFG("net.core.somaxconn", somaxconn, 1, 0, INT_MAX),
	CFG("net.core.rmem_max", rmem_max, 1, 0, INT_MAX),
	CFG("net.core.wmem_max", wmem_max, 1, 0, INT_MAX),
	CFG("net.core.rmem_default", rmem_default, 1, 0, INT_MAX),
	CFG("net.core.wmem_default", wmem_default, 1, 0, INT_MAX),
	CFG("net.core.optmem_max", optmem_max, 1, 0, INT_MAX),
	CFG("net.core.max_skb_frags", max_skb_frags, 1, 1, 17),
	CFG("net.ipv4.tcp_rmem", tcp_rmem, 3, 1, INT_MAX),
	CFG("net.ipv4.tcp_wmem", tcp_wmem, 3, 1, INT_MAX),
	CFG("net.ipv4.tcp_syn_retries", tcp_syn_retries, 1, 1, 127),
	CFG("net.ipv4.tcp_syn_linear_timeouts", tcp_syn_linear_timeouts, 1, 0, 127),
	CFG("net.ipv4.tcp_synack_retries", tcp_synack_retries, 1, 0, 255),
	CFG("net.ipv4.tcp_retries1", tcp_retries1, 1, 0, 255),
	CFG("net.ipv4.tcp_retries2", tcp_retries2, 1, 0, 255),
	CFG("net.ipv4.tcp_orphan_retries", tcp_orphan_retries, 1, 0, 255),
	CFG("net.ipv4.tcp_fin_timeout", tcp_fin_timeout, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_keepalive_time", tcp_keepalive_time, 1, 1, INT_MAX),
	CFG("net.ipv4.tcp_keepalive_intvl", tcp_keepalive_intvl, 1, 1, INT_MAX),
	CFG("net.ipv4.tcp_keepalive_probes", tcp_keepalive_probes, 1, 1, 127),
	CFG("net.ipv4.tcp_notsent_lowat", tcp_notsent_lowat, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_min_tso_segs", tcp_min_tso_segs, 1, 1, 255),
	CFG("net.ipv4.tcp_tso_rtt_log", tcp_tso_rtt_log, 1, 0, 15),
	CFG("net.ipv4.tcp_pacing_ss_ratio", tcp_pacing_ss_ratio, 1, 0, 3000),
	CFG("net.ipv4.tcp_pacing_ca_ratio", tcp_pacing_ca_ratio, 1, 0, 3000),
	CFG("net.ipv4.tcp_max_syn_backlog", tcp_max_syn_backlog, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_max_orphans", tcp_max_orphans, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_max_tw_buckets", tcp_max_tw_buckets, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_rto_min_us", tcp_rto_min_us, 1, 1, INT_MAX),
	CFG("net.ipv4.tcp_rto_max_ms", tcp_rto_max_ms, 1, 1000, 120000),
	CFG("net.ipv4.tcp_timestamps", tcp_timestamps, 1, 0, 2),
	CFG("net.ipv4.tcp_window_scaling", tcp_window_scaling, 1, 0, 1),
	CFG("net.ipv4.tcp_sack", tcp_sack, 1, 0, 1),
	CFG("net.ipv4.tcp_dsack", tcp_dsack, 1, 0, 1),
	CFG("net.ipv4.tcp_early_retrans", tcp_early_retrans, 1, 0, 4),
	CFG("net.ipv4.tcp_recovery", tcp_recovery, 1, 0, 7),
	CFG("net.ipv4.tcp_reordering", tcp_reordering, 1, 1, INT_MAX),
	CFG("net.ipv4.tcp_max_reordering", tcp_max_reordering, 1, 1, INT_MAX),
	CFG("net.ipv4.tcp_syncookies", tcp_syncookies, 1, 0, 2),
	CFG("net.ipv4.tcp_abort_on_overflow", tcp_abort_on_overflow, 1, 0, 1),
	CFG("net.ipv4.tcp_rfc1337", tcp_rfc1337, 1, 0, 1),
	CFG("net.ipv4.tcp_tw_reuse", tcp_tw_reuse, 1, 0, 2),
	CFG("net.ipv4.tcp_tw_reuse_delay", tcp_tw_reuse_delay, 1, 1, INT_MAX),
	CFG("net.ipv4.tcp_fastopen", tcp_fastopen, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_moderate_rcvbuf", tcp_moderate_rcvbuf, 1, 0, 1),
	CFG("net.ipv4.tcp_fastopen_blackhole_timeout_sec", tcp_fastopen_blackhole_timeout_sec, 1, 0, INT_MAX),
	CFG("net.ipv4.tcp_slow_start_after_idle", tcp_slow_start_after_idle, 1, 0, 1),
	/* Classic ECN only: 3..5 (Accurate ECN, Linux 6.18) are refused. */
	CFG("net.ipv4.tcp_ecn", tcp_ecn, 1, 0, 2),
	CFG("net.ipv4.tcp_ecn_fallback", tcp_ecn_fallback, 1, 0, 1),
	CFGS("net.ipv4.tcp_congestion_control", CFG_CA_NAME),
	CFGS("net.ipv4.tcp_available_congestion_control", CFG_CA_AVAILABLE),
	/* count 0: the key string (key_set, key_get) */
	CFG("net.ipv4.tcp_fastopen_key", tcp_fastopen_key, 0, 0, 0),
};

#define CONFIG_COUNT (sizeof(config_table) / sizeof(config_table[0]))

void synack_config_default(struct synack_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ip_default_ttl = 64;
	c->ip_local_port_range[0] = 32768;
	c->ip_local_port_range[1] = 60999;
	c->ip_rt_min_pmtu = 552;       /* 512 + 20 + 20 */
	c->ip_rt_mtu_expires = 600;
	c->somaxconn = 4096;
	c->rmem_max = c->wmem_max = 212992;
	c->rmem_default = c->wmem_default = 212992;
	c->optmem_max = 131072;        /* 6.9+; 20480 before */
	c->max_skb_frags = 17;         /* MAX_SKB_FRAGS */
	c->tcp_rmem[0] = 4096, c->tcp_rmem[1] = 131072, c->tcp_rmem[2] = 6291456;
	c->tcp_wmem[0] = 4096, c->tcp_wmem[1] = 16384, c->tcp_wmem[2] = 4194304;
	c->tcp_syn_retries = 6;
	c->tcp_syn_linear_timeouts = 4;
	c->tcp_synack_retries = 5;
	c->tcp_retries1 = 3;
	c->tcp_retries2 = 15;
	c->tcp_orphan_retries = 0;
	c->tcp_fin_timeout = 60;
	c->tcp_keepalive_time = 7200;
	c->tcp_keepalive_intvl = 75;
	c->tcp_keepalive_probes = 9;
	c->tcp_notsent_lowat = INT_MAX;
	c->tcp_min_tso_segs = 2;
	c->tcp_tso_rtt_log = 9;
	c->tcp_pacing_ss_ratio = 200;
	c->tcp_pacing_ca_ratio = 120;
	c->tcp_max_syn_backlog = 2048;
	c->tcp_max_orphans = 131072;
	c->tcp_max_tw_buckets = 131072;
	c->tcp_rto_min_us = 200000;
	c->tcp_rto_max_ms = 120000;
	c->tcp_timestamps = 1;
	c->tcp_window_scaling = 1;
	c->tcp_sack = 1;
	c->tcp_dsack = 1;
	c->tcp_early_retrans = 3;
	c->tcp_recovery = 1;
	c->tcp_reordering = 3;
	c->tcp_max_reordering = 300;
	c->tcp_syncookies = 1;
	c->tcp_abort_on_overflow = 0;
	c->tcp_rfc1337 = 0;
	c->tcp_tw_reuse = 2;
	c->tcp_tw_reuse_delay = 1000;
	c->tcp_fastopen = 1;
	c->tcp_moderate_rcvbuf = 1;
	c->tcp_slow_start_after_idle = 1;
	c->tcp_ecn = 2;
	c->tcp_ecn_fallback = 1;
	strcpy(c->tcp_congestion_control, "cubic");
}

/* Linux tcp_set_default_congestion_control: a registered name, else
 * ENOENT; the available list is read-only (mode 0444: EACCES). */
static int ca_set(struct synack_config *cfg, const struct config_entry *e, const char *value)
{
	if (e->kind == CFG_CA_AVAILABLE) {
		errno = EACCES;
		return -1;
	}
	char name[TCP_CA_NAME_MAX];
	size_t n = strcspn(value, "\n"); /* proc_dostring stops at a newline */
	if (n >= sizeof(name)) {
		errno = ENOENT;
		return -1;
	}
	memcpy(name, value, n);
	name[n] = 0;
	const struct tcp_cc_ops *ops = tcp_cc_find(name);
	if (!ops) {
		errno = ENOENT;
		return -1;
	}
	snprintf(cfg->tcp_congestion_control, sizeof(cfg->tcp_congestion_control), "%s", ops->name);
	return 0;
}

static int ca_get(const struct synack_config *cfg, const struct config_entry *e, char *buf,
		  size_t len)
{
	const char *v = e->kind == CFG_CA_AVAILABLE ? tcp_cc_available()
			: cfg->tcp_congestion_control[0] ? cfg->tcp_congestion_control : "cubic";
	if (snprintf(buf, len, "%s", v) >= (int)len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* Accept "net.ipv4.x", "net/ipv4/x" and the bare "x". */
static const struct config_entry *config_find(const char *name)
{
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const char *full = config_table[i].name;
		const char *leaf = strrchr(full, '.') + 1;
		size_t n = strlen(full);
		if (strcmp(name, leaf) == 0)
			return &config_table[i];
		if (strlen(name) != n)
			continue;
		size_t j = 0;
		for (; j < n; j++) {
			char a = name[j] == '/' ? '.' : name[j];
			if (a != full[j])
				break;
		}
		if (j == n)
			return &config_table[i];
	}
	return NULL;
}

/* Linux proc_tcp_fastopen_key: one or two keys of four hex words. */
static int key_set(struct synack_config *cfg, const char *value)
{
	uint32_t w[8];
	int n = 0, used = 0;
	const char *p = value;
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 4; i++) {
			char *end;
			errno = 0;
			unsigned long v = strtoul(p, &end, 16);
			if (end == p || errno || v > UINT32_MAX || (i < 3 && *end != '-'))
				goto bad;
			w[n++] = (uint32_t)v;
			p = end + (i < 3);
		}
		used++;
		if (*p != ',')
			break;
		p++;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p)
		goto bad;
	memcpy(cfg->tcp_fastopen_key, w, (size_t)n * sizeof(w[0]));
	cfg->tcp_fastopen_key_count = used;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static int key_get(const struct synack_config *cfg, char *buf, size_t len)
{
	const uint32_t *w = cfg->tcp_fastopen_key;
	int n = snprintf(buf, len, "%08x-%08x-%08x-%08x", w[0], w[1], w[2], w[3]);
	if (n >= 0 && (size_t)n < len && cfg->tcp_fastopen_key_count > 1)
		n += snprintf(buf + n, len - (size_t)n, ",%08x-%08x-%08x-%08x", w[4], w[5], w[6], w[7]);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int synack_config_set(struct synack_config *cfg, const char *name, const char *value)
{
	const struct config_entry *e = config_find(name);
	if (!e) {
		errno = ENOENT;
		return -1;
	}
	if (e->kind != CFG_INT)
		return ca_set(cfg, e, value);
	if (e->count == 0)
		return key_set(cfg, value);
	int vals[3];
	const char *p = value;
	for (unsigned i = 0; i < e->count; i++) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno || v < e->min || v > e->max) {
			errno = EINVAL;
			return -1;
		}
		vals[i] = (int)v;
		p = end;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p) {
		errno = EINVAL;
		return -1;
	}
	if (e->count == 2 && vals[0] > vals[1]) {
		errno = EINVAL;
		return -1;
	}
	memcpy((char *)cfg + e->offset, vals, e->count * sizeof(int));
	return 0;
}

int synack_config_get(const struct synack_config *cfg, const char *name, char *buf, size_t len)
{
	const struct config_entry *e = config_find(name);
	if (!e) {
		errno = ENOENT;
		return -1;
	}
	if (e->kind != CFG_INT)
		return ca_get(cfg, e, buf, len);
	if (e->count == 0)
		return key_get(cfg, buf, len);
	const int *v = (const int *)((const char *)cfg + e->offset);
	int n = 0;
	for (unsigned i = 0; i < e->count; i++)
		n += snprintf(buf + (n < (int)len ? n : 0), n < (int)len ? len - n : 0,
			      i ? "\t%d" : "%d", v[i]);
	if (n >= (int)len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

const char *synack_config_name(size_t i)
{
	return i < CONFIG_COUNT ? config_table[i].name : NULL;
}
