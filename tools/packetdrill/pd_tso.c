/*
 * How large a packet the emulated TSO/GSO device shows (pd_gso.c joins
 * segments up to it). Linux sizes each TSO packet in tcp_write_xmit: at
 * most tcp_tso_segs segments (tcp_tso_autosize: the pacing rate's worth
 * of about a millisecond, sk_pacing_shift 10, plus up to 64 KB more under
 * tcp_tso_rtt_log's scale of minimum RTT; at least tcp_min_tso_segs) and
 * half the cwnd (tcp_cwnd_test). The core groups its segments the same way
 * (src/tcp/push.c) and marks PSH on the wire by it; the grouping itself is
 * not on the wire, so this driver recomputes it from the flow's TCP_INFO
 * (tcpi_pacing_rate, tcpi_min_rtt, tcpi_snd_cwnd). A device with TSO and
 * GSO off (ethtool -K tun0 tso off gso off) gets segments as they are.
 */
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <synack/tcp_info.h>

#include "pd.h"

#define GSO_MAX 65536u

/* Is offload cmd (ETHTOOL_GTSO, ETHTOOL_GGSO) on for tun0? Yes if unknown. */
static bool offload_on(int s, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "tun0", IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&ev;
	return ioctl(s, SIOCETHTOOL, &ifr) < 0 || ev.data;
}

static bool device_offloads(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return true;
	bool on = offload_on(s, ETHTOOL_GTSO) || offload_on(s, ETHTOOL_GGSO);
	close(s);
	return on;
}

/* The synack descriptor whose flow sent pkt (IPv4, no options), or -1. */
static int flow_sfd(struct pd *pd, const uint8_t *pkt)
{
	const uint8_t *th = pkt + 20;
	for (int rfd = 0; rfd < PD_MAX_FDS; rfd++) {
		int sfd = pd->map[rfd] - 1;
		if (sfd < 0)
			continue;
		struct sockaddr_in me, peer;
		socklen_t l1 = sizeof(me), l2 = sizeof(peer);
		if (synack_getsockname(pd->st, sfd, (struct sockaddr *)&me, &l1) < 0 ||
		    synack_getpeername(pd->st, sfd, (struct sockaddr *)&peer, &l2) < 0)
			continue;
		if (!memcmp(&me.sin_addr, pkt + 12, 4) && !memcmp(&me.sin_port, th, 2) &&
		    !memcmp(&peer.sin_addr, pkt + 16, 4) && !memcmp(&peer.sin_port, th + 2, 2))
			return sfd;
	}
	return -1;
}

size_t pd_tso_limit(struct pd *pd, const uint8_t *pkt, size_t seg_payload)
{
	if (!device_offloads())
		return 0;
	int sfd = flow_sfd(pd, pkt);
	struct synack_tcp_info ti;
	socklen_t l = sizeof(ti);
	if (sfd < 0 || synack_getsockopt(pd->st, sfd, IPPROTO_TCP, 11 /* TCP_INFO */, &ti, &l) < 0 ||
	    !ti.tcpi_snd_mss)
		return GSO_MAX;
	const struct synack_config *cf = synack_config(pd->st);
	uint64_t bytes = ti.tcpi_pacing_rate >> 10;
	uint32_t r = ti.tcpi_min_rtt == UINT32_MAX ? 32 : ti.tcpi_min_rtt >> cf->tcp_tso_rtt_log;
	if (r < 32)
		bytes += GSO_MAX >> r;
	if (bytes > GSO_MAX)
		bytes = GSO_MAX;
	uint64_t segs = bytes / ti.tcpi_snd_mss;
	uint64_t min = cf->tcp_min_tso_segs > 0 ? (uint64_t)cf->tcp_min_tso_segs : 1;
	if (segs < min)
		segs = min;
	uint64_t half = ti.tcpi_snd_cwnd / 2 ? ti.tcpi_snd_cwnd / 2 : 1;
	if (segs > half)
		segs = half;
	return (size_t)(segs * seg_payload);
}
