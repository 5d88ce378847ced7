/*
 * A pcap writer for IPv4 packets (LINKTYPE_RAW), with the caller's
 * timestamps, so tshark and wireshark open what the stack sent.
 */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stddef.h>
#include <synack/synack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct synack_pcap;

/* Create or truncate path; NULL with errno on failure. */
struct synack_pcap *synack_pcap_open(const char *path);
/* Append one packet taken at time t (us). Returns 0 or -1 with errno. */
int synack_pcap_write(struct synack_pcap *pc, synack_time_t t, const void *pkt, size_t len);
/* Flush and close; returns 0 or -1 with errno if a write failed. */
int synack_pcap_close(struct synack_pcap *pc);

#ifdef __cplusplus
}
#endif
#endif
