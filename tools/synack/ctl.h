/* The control socket's client side (ctl.c), for `synack ss` and `nstat`. */
#ifndef SYNACK_TOOL_CTL_H
#define SYNACK_TOOL_CTL_H

#include <stddef.h>

typedef void (*ctl_line_fn)(void *ctx, int pid, const char *line);

/* Send req to process pid (0: every running synack process of ours) and
 * hand each answer line to fn. 0, or -1 after printing one line why. */
int ctl_query(const char *sub, long pid, const char *req, ctl_line_fn fn, void *ctx);
/* The value of key in a "key=value ..." line (into buf), or NULL. */
const char *ctl_field(const char *line, const char *key, char *buf, size_t len);
/* The same as a number, 0 if absent. */
unsigned long long ctl_num(const char *line, const char *key);

#endif
