/* A segment in RFC 9293's figure notation, shared by both ladder diagrams. */
#ifndef SYNACK_TOOLS_SEGTEXT_H
#define SYNACK_TOOLS_SEGTEXT_H

#include <stddef.h>
#include <stdint.h>

/* "<SEQ=100><ACK=301><CTL=SYN,ACK>", plus "<DATA=n>" when len > 0. */
void seg_text_format(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, char *buf, size_t size);

#endif
