#include <stdio.h>

#include "segtext.h"

/* Control bits in the order RFC 9293's figures name them. */
static void flags_text(uint8_t flags, char *buf, size_t len)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} order[] = {
		{0x02, "SYN"}, {0x01, "FIN"}, {0x04, "RST"}, {0x08, "PSH"},
		{0x10, "ACK"}, {0x20, "URG"}, {0x40, "ECE"}, {0x80, "CWR"},
	};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (flags & order[i].bit)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
					      order[i].name);
}

void seg_text_format(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, char *buf, size_t size)
{
	char ctl[40], acks[24] = "", data[24] = "";
	flags_text(flags, ctl, sizeof(ctl));
	if (flags & 0x10)
		snprintf(acks, sizeof(acks), "<ACK=%lu>", (unsigned long)ack);
	if (len)
		snprintf(data, sizeof(data), "<DATA=%lu>", (unsigned long)len);
	snprintf(buf, size, "<SEQ=%lu>%s<CTL=%s>%s", (unsigned long)seq, acks, ctl, data);
}
