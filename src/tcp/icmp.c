/*
 * ICMP errors about our segments (RFC 1122 4.2.3.9, RFC 5927), as Linux's
 * tcp_v4_err: the quoted sequence number must lie in [SND.UNA, SND.NXT];
 * in SYN-SENT or SYN-RECEIVED the error aborts the attempt at once; in a
 * synchronized state it is only remembered (a soft error) and reported
 * if the connection later times out. "Fragmentation needed" is path MTU
 * discovery (pmtu.c).
 */
#include <errno.h>
#include <string.h>

#include "socket/socket.h"
#include "tcp/tcp.h"
#include "wire/bytes.h"
#include "wire/icmp.h"

/* Linux's icmp_err_convert table for destination-unreachable codes. */
static int unreach_errno(uint8_t code)
{
	static const int map[] = {
		ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP,
		ENETUNREACH, EHOSTDOWN, ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH,
		EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
	};
	return code < sizeof(map) / sizeof(map[0]) ? map[code] : 0;
}

/* Linux tcp_req_err: a request in the SYN queue heeds only an error
 * quoting its ISS; net or host unreachable, time exceeded and parameter
 * problem drop it silently (ListenDrops), others leave it to its SYN-ACK
 * timer. */
static void tcp_req_err(struct tcp_req *req, uint8_t type, uint8_t code, uint32_t seq)
{
	struct synack_stack *st = req->lsn->sk.st;
	if (seq != req->iss) {
		MIB_INC(st, OUT_OF_WINDOW_ICMPS);
		return;
	}
	if (type == ICMP_PARAMETERPROB_ || type == ICMP_TIME_EXCEEDED_ ||
	    (type == ICMP_DEST_UNREACH_ && (code == ICMP_NET_UNREACH_ || code == ICMP_HOST_UNREACH_))) {
		MIB_INC(st, LISTEN_DROPS);
		tcp_req_drop(req);
	}
}

void tcp_icmp_error(struct synack_stack *st, uint8_t type, uint8_t code, uint32_t info,
		    const uint8_t *inner, size_t len)
{
	size_t ihl = (size_t)(inner[0] & 0xf) * 4; /* checked by icmp_input */
	const uint8_t *th = inner + ihl;
	uint32_t saddr = get32(inner + 12), daddr = get32(inner + 16);
	uint16_t sport = (uint16_t)(th[0] << 8 | th[1]), dport = (uint16_t)(th[2] << 8 | th[3]);
	uint32_t seq = get32(th + 4);
	struct tcp_sock *tp = tcp_lookup_conn(st, saddr, sport, daddr, dport);
	struct tcp_req *req = tp ? NULL : tcp_req_lookup(st, saddr, sport, daddr, dport);
	if (req) {
		tcp_req_err(req, type, code, seq);
		return;
	}
	if (!tp || tp->state == SYNACK_LISTEN) {
		MIB_INC(st, ICMP_IN_ERRORS); /* Linux tcp_v4_err: no socket */
		return;
	}
	if (!(seq_geq(seq, tp->snd_una) && seq_leq(seq, tp->snd_max))) {
		MIB_INC(st, OUT_OF_WINDOW_ICMPS);
		return;
	}
	int err;
	switch (type) {
	case ICMP_DEST_UNREACH_:
		if (code == ICMP_FRAG_NEEDED_) {
			tcp_mtu_reduced(tp, info); /* RFC 1191 (pmtu.c) */
			return;
		}
		err = unreach_errno(code);
		if (!err)
			return;
		break;
	case ICMP_TIME_EXCEEDED_:
		err = EHOSTUNREACH;
		break;
	case ICMP_PARAMETERPROB_:
		err = EPROTO;
		break;
	default:
		return;
	}
	if (tp->state == SYNACK_SYN_SENT || tp->state == SYNACK_SYN_RECV) {
		tcp_done(tp, err, "ICMP error during the handshake");
		return;
	}
	tp->soft_err = err;
}
