/* Per-stack counters with Linux's MIB names (/proc/net/snmp, netstat),
 * written as nstat prints them. One list drives the enum and the names. */
#ifndef SYNACK_CORE_MIB_H
#define SYNACK_CORE_MIB_H

#include <stdint.h>

#define SYNACK_MIB_LIST(X) \
	X(IP_IN_RECEIVES, "IpInReceives") \
	X(IP_IN_HDR_ERRORS, "IpInHdrErrors") \
	X(IP_IN_ADDR_ERRORS, "IpInAddrErrors") \
	X(IP_IN_UNKNOWN_PROTOS, "IpInUnknownProtos") \
	X(IP_IN_DISCARDS, "IpInDiscards") \
	X(IP_IN_DELIVERS, "IpInDelivers") \
	X(IP_OUT_REQUESTS, "IpOutRequests") \
	X(IP_OUT_NO_ROUTES, "IpOutNoRoutes") \
	X(IP_OUT_DISCARDS, "IpOutDiscards") \
	X(IP_REASM_REQDS, "IpReasmReqds") \
	X(IP_REASM_FAILS, "IpReasmFails") \
	X(IP_EXT_IN_TRUNCATED_PKTS, "IpExtInTruncatedPkts") \
	X(IP_EXT_IN_CSUM_ERRORS, "IpExtInCsumErrors") \
	X(IP_EXT_IN_NO_ECT_PKTS, "IpExtInNoECTPkts") \
	X(IP_EXT_IN_ECT1_PKTS, "IpExtInECT1Pkts") \
	X(IP_EXT_IN_ECT0_PKTS, "IpExtInECT0Pkts") \
	X(IP_EXT_IN_CE_PKTS, "IpExtInCEPkts") \
	X(ICMP_IN_MSGS, "IcmpInMsgs") \
	X(ICMP_IN_ERRORS, "IcmpInErrors") \
	X(ICMP_IN_CSUM_ERRORS, "IcmpInCsumErrors") \
	X(ICMP_IN_DEST_UNREACHS, "IcmpInDestUnreachs") \
	X(ICMP_IN_TIME_EXCDS, "IcmpInTimeExcds") \
	X(ICMP_IN_ECHOS, "IcmpInEchos") \
	X(ICMP_IN_ECHO_REPS, "IcmpInEchoReps") \
	X(ICMP_OUT_MSGS, "IcmpOutMsgs") \
	X(ICMP_OUT_DEST_UNREACHS, "IcmpOutDestUnreachs") \
	X(ICMP_OUT_ECHO_REPS, "IcmpOutEchoReps") \
	X(TCP_ACTIVE_OPENS, "TcpActiveOpens") \
	X(TCP_PASSIVE_OPENS, "TcpPassiveOpens") \
	X(TCP_ATTEMPT_FAILS, "TcpAttemptFails") \
	X(TCP_ESTAB_RESETS, "TcpEstabResets") \
	X(TCP_CURR_ESTAB, "TcpCurrEstab") \
	X(TCP_IN_SEGS, "TcpInSegs") \
	X(TCP_OUT_SEGS, "TcpOutSegs") \
	X(TCP_RETRANS_SEGS, "TcpRetransSegs") \
	X(TCP_IN_ERRS, "TcpInErrs") \
	X(TCP_OUT_RSTS, "TcpOutRsts") \
	X(TCP_IN_CSUM_ERRORS, "TcpInCsumErrors") \
	X(LISTEN_OVERFLOWS, "TcpExtListenOverflows") \
	X(LISTEN_DROPS, "TcpExtListenDrops") \
	X(TCP_TIMEOUTS, "TcpExtTCPTimeouts") \
	X(TCP_LOSS_PROBES, "TcpExtTCPLossProbes") \
	X(TCP_LOSS_PROBE_RECOVERY, "TcpExtTCPLossProbeRecovery") \
	X(TCP_SYN_RETRANS, "TcpExtTCPSynRetrans") \
	X(DELAYED_ACKS, "TcpExtDelayedACKs") \
	X(DELAYED_ACK_LOST, "TcpExtDelayedACKLost") \
	X(PAWS_ESTAB, "TcpExtPAWSEstab") \
	X(PAWS_ACTIVE, "TcpExtPAWSActive") \
	X(TCP_ACK_SKIPPED_PAWS, "TcpExtTCPACKSkippedPAWS") \
	X(TCP_PURE_ACKS, "TcpExtTCPPureAcks") \
	X(TCP_OFO_QUEUE, "TcpExtTCPOFOQueue") \
	X(TCP_OFO_DROP, "TcpExtTCPOFODrop") \
	X(TCP_OFO_MERGE, "TcpExtTCPOFOMerge") \
	X(TCP_DSACK_OLD_SENT, "TcpExtTCPDSACKOldSent") \
	X(TCP_DSACK_OFO_SENT, "TcpExtTCPDSACKOfoSent") \
	X(TCP_RCVQ_DROP, "TcpExtTCPRcvQDrop") \
	X(TCP_ZERO_WINDOW_DROP, "TcpExtTCPZeroWindowDrop") \
	X(TCP_FAST_RETRANS, "TcpExtTCPFastRetrans") \
	X(TCP_SLOW_START_RETRANS, "TcpExtTCPSlowStartRetrans") \
	X(TCP_LOST_RETRANSMIT, "TcpExtTCPLostRetransmit") \
	X(TCP_RENO_RECOVERY, "TcpExtTCPRenoRecovery") \
	X(TCP_SACK_RECOVERY, "TcpExtTCPSackRecovery") \
	X(TCP_HYSTART_TRAIN_DETECT, "TcpExtTCPHystartTrainDetect") \
	X(TCP_HYSTART_TRAIN_CWND, "TcpExtTCPHystartTrainCwnd") \
	X(TCP_HYSTART_DELAY_DETECT, "TcpExtTCPHystartDelayDetect") \
	X(TCP_HYSTART_DELAY_CWND, "TcpExtTCPHystartDelayCwnd") \
	X(TCP_DSACK_RECV, "TcpExtTCPDSACKRecv") \
	X(TCP_SACK_DISCARD, "TcpExtTCPSACKDiscard") \
	X(TCP_SACK_REORDER, "TcpExtTCPSACKReorder") \
	X(TCP_SACK_RENEGING, "TcpExtTCPSACKReneging") \
	X(TCP_LOSS_UNDO, "TcpExtTCPLossUndo") \
	X(TCP_RETRANS_FAIL, "TcpExtTCPRetransFail") \
	X(TCP_ORIG_DATA_SENT, "TcpExtTCPOrigDataSent") \
	X(TCP_WIN_PROBE, "TcpExtTCPWinProbe") \
	X(TCP_KEEP_ALIVE, "TcpExtTCPKeepAlive") \
	X(TCP_ABORT_ON_TIMEOUT, "TcpExtTCPAbortOnTimeout") \
	X(TCP_ABORT_ON_CLOSE, "TcpExtTCPAbortOnClose") \
	X(TCP_ABORT_ON_DATA, "TcpExtTCPAbortOnData") \
	X(TCP_ABORT_ON_LINGER, "TcpExtTCPAbortOnLinger") \
	X(TCP_CHALLENGE_ACK, "TcpExtTCPChallengeACK") \
	X(TCP_SYN_CHALLENGE, "TcpExtTCPSYNChallenge") \
	X(TCP_ACK_SKIPPED_SEQ, "TcpExtTCPACKSkippedSeq") \
	X(OUT_OF_WINDOW_ICMPS, "TcpExtOutOfWindowIcmps") \
	X(TCP_TIMEWAIT, "TcpExtTW") \
	X(TW_KILLED, "TcpExtTWKilled") \
	X(TW_RECYCLED, "TcpExtTWRecycled") \
	X(TCP_FASTOPEN_ACTIVE, "TcpExtTCPFastOpenActive") \
	X(TCP_FASTOPEN_ACTIVE_FAIL, "TcpExtTCPFastOpenActiveFail") \
	X(TCP_FASTOPEN_PASSIVE, "TcpExtTCPFastOpenPassive") \
	X(TCP_FASTOPEN_PASSIVE_FAIL, "TcpExtTCPFastOpenPassiveFail") \
	X(TCP_FASTOPEN_LISTEN_OVERFLOW, "TcpExtTCPFastOpenListenOverflow") \
	X(TCP_FASTOPEN_COOKIE_REQD, "TcpExtTCPFastOpenCookieReqd") \
	X(TCP_FASTOPEN_BLACKHOLE, "TcpExtTCPFastOpenBlackhole") \
	X(TCP_FASTOPEN_PASSIVE_ALT_KEY, "TcpExtTCPFastOpenPassiveAltKey") \
	X(TCP_TIME_WAIT_OVERFLOW, "TcpExtTCPTimeWaitOverflow") \
	X(TCP_ABORT_ON_MEMORY, "TcpExtTCPAbortOnMemory") \
	X(PAWS_TIMEWAIT, "TcpExtPAWSTimewait") \
	X(TCP_ACK_SKIPPED_TIME_WAIT, "TcpExtTCPACKSkippedTimeWait") \
	X(TCP_ACK_SKIPPED_FIN_WAIT2, "TcpExtTCPACKSkippedFinWait2") \
	X(EMBRYONIC_RSTS, "TcpExtEmbryonicRsts") \
	X(TCP_REQQ_FULL_DROP, "TcpExtTCPReqQFullDrop") \
	X(TCP_REQQ_FULL_DO_COOKIES, "TcpExtTCPReqQFullDoCookies") \
	X(SYNCOOKIES_SENT, "TcpExtSyncookiesSent") \
	X(SYNCOOKIES_RECV, "TcpExtSyncookiesRecv") \
	X(SYNCOOKIES_FAILED, "TcpExtSyncookiesFailed") \
	X(TCP_DEFER_ACCEPT_DROP, "TcpExtTCPDeferAcceptDrop") \
	X(TCP_ACK_SKIPPED_SYN_RECV, "TcpExtTCPACKSkippedSynRecv") \
	X(TCP_DROP_NO_SOCKET, "TcpExtTCPDropNoSocket") \
	X(TCP_BAD_ACK_DROP, "TcpExtTCPBadAckDrop") \
	X(TCP_OOW_DROP, "TcpExtTCPOOWDrop")

enum mib_id {
#define MIB_ENUM_(id, name) MIB_##id,
	SYNACK_MIB_LIST(MIB_ENUM_)
#undef MIB_ENUM_
	MIB__COUNT
};

struct mib {
	uint64_t v[MIB__COUNT];
};

extern const char *const mib_names[MIB__COUNT];

#define MIB_INC(st, id) ((st)->mib.v[MIB_##id]++)
#define MIB_DEC(st, id) ((st)->mib.v[MIB_##id]--)
#define MIB_ADD(st, id, n) ((st)->mib.v[MIB_##id] += (n))

#endif
