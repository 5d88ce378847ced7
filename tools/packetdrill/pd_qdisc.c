/*
 * tun0's qdisc, as the kernel would apply it to our packets.
 *
 * packetdrill's tun0 never carries synack's packets (they reach
 * packetdrill through netdev_receive), yet scripts shape that device with
 * tc, e.g. `tc qdisc add dev tun0 root pfifo limit 0` to make every
 * transmit fail (user_timeout/user-timeout-probe.pkt). On Linux that
 * qdisc answers NET_XMIT_DROP and TCP sees local congestion. So before a
 * packet is handed to packetdrill we ask the kernel (rtnetlink
 * RTM_GETQDISC, in our network namespace) what tun0's root qdisc is, and
 * refuse the packet when it is a pfifo or bfifo whose limit is 0: the
 * only qdisc that rejects every packet with NET_XMIT_DROP (noop answers
 * NET_XMIT_CN, which TCP takes as sent; netem's loss is wire loss).
 *
 * The answer is cached until the kernel says the qdiscs changed: a
 * second netlink socket is subscribed to RTNLGRP_TC, whose notifications
 * are queued before tc's command returns, so one non-blocking recv per
 * packet keeps the cache exact. Without the subscription every packet
 * asks again.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pd.h"

#define PD_TUN_NAME "tun0"   /* packetdrill's device */
#define PD_NL_BUF 16384
#define PD_NL_MAX_READS 64   /* bound on replies read for one dump */

void pd_qdisc_init(struct pd_qdisc *q)
{
	memset(q, 0, sizeof(*q));
	q->watch = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (q->watch < 0)
		return;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int grp = RTNLGRP_TC;
	if (bind(q->watch, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(q->watch, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		close(q->watch);
		q->watch = -1;
	}
}

void pd_qdisc_free(struct pd_qdisc *q)
{
	if (q->watch >= 0)
		close(q->watch);
	q->watch = -1;
}

/* One RTM_NEWQDISC: is it ifindex's root, and does it drop everything? */
static void take_qdisc(const struct nlmsghdr *h, int ifindex, bool *drops)
{
	if (h->nlmsg_type != RTM_NEWQDISC || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
		return;
	const struct tcmsg *tc = NLMSG_DATA(h);
	if (tc->tcm_ifindex != ifindex || tc->tcm_parent != TC_H_ROOT)
		return;
	char kind[32] = "";
	bool has_limit = false;
	uint32_t limit = 0;
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*tc)));
	const struct rtattr *a = (const struct rtattr *)((const char *)tc + NLMSG_ALIGN(sizeof(*tc)));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);
		if (a->rta_type == TCA_KIND && n > 0 && n < sizeof(kind)) {
			memcpy(kind, RTA_DATA(a), n);
			kind[n] = 0;
		} else if (a->rta_type == TCA_OPTIONS && n >= sizeof(struct tc_fifo_qopt)) {
			struct tc_fifo_qopt o;
			memcpy(&o, RTA_DATA(a), sizeof(o));
			limit = o.limit;
			has_limit = true;
		}
	}
	*drops = has_limit && limit == 0 &&
		 (strcmp(kind, "pfifo") == 0 || strcmp(kind, "bfifo") == 0);
}

/* Ask the kernel for tun0's root qdisc (a dump of the device's qdiscs).
 * No device, or no answer: nothing refuses. */
static bool query(void)
{
	int ifindex = (int)if_nametoindex(PD_TUN_NAME);
	if (ifindex == 0)
		return false;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return false;
	struct timeval tv = {.tv_sec = 1};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct {
		struct nlmsghdr h;
		struct tcmsg tc;
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.tc));
	req.h.nlmsg_type = RTM_GETQDISC;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = ifindex;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	bool drops = false;
	if (sendto(s, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		close(s);
		return false;
	}
	char buf[PD_NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (int r = 0; r < PD_NL_MAX_READS; r++) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				close(s);
				return drops;
			}
			take_qdisc(h, ifindex, &drops);
		}
	}
	close(s);
	return drops;
}

bool pd_qdisc_refuses(struct pd_qdisc *q)
{
	if (q->watch < 0)
		return query();
	/* Any notification (or a lost one: ENOBUFS) makes the cache stale. */
	char buf[PD_NL_BUF];
	for (int i = 0; i < PD_NL_MAX_READS; i++) {
		ssize_t n = recv(q->watch, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno != ENOBUFS)
			break;
		q->known = false;
	}
	if (!q->known) {
		q->drops = query();
		q->known = true;
	}
	return q->drops;
}
