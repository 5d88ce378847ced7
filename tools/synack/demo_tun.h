/*
 * `synack demo --tun` (demo_tun.c): the demo's echo exchange, but TCP B is
 * the Linux kernel in a private network namespace, running a python3 echo
 * server; the ladder (tladder.h) shows the kernel's states as its own `ss`
 * reports them. demo_tun_proc.c runs the Linux programs it needs.
 */
#ifndef SYNACK_TOOL_DEMO_TUN_H
#define SYNACK_TOOL_DEMO_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "demo_int.h"

/* Exit status when the demo cannot run here (not root, no TUN device, a
 * Linux tool missing): 77, the "skipped" status of automake and ctest. */
#define DEMO_SKIPPED 77

/* The port of B's echo server, and how long it waits after reading end of
 * file before it closes, so that `ss` can show CLOSE-WAIT. */
#define DTUN_PORT 7
#define DTUN_B_CLOSE_DELAY_MS 200

/* Run it; returns the exit status. */
int demo_tun_run(const struct demo_opts *o);

/* ---- demo_tun_proc.c ---- */

/* Is prog an executable in $PATH? */
bool dtun_in_path(const char *prog);
/*
 * Run `ip netns exec NS ss -tanH state all '( sport = :PORT and dst PEER )'`
 * (listening: `ss -tlnH '( sport = :PORT )'`) and put the first word of the
 * first row, the state, in state ("" when ss lists no such socket).
 * 0, or -1 if ss could not be run or took longer than 5 s.
 */
int dtun_ss_state(const char *ns, unsigned port, const char *peer, bool listening, char *state,
		  size_t len);
/* Start B's echo server: `ip netns exec NS python3 -c ...` on addr:port,
 * one connection, echoing until end of file, closing delay_ms after it.
 * Its pid, or -1 with errno. */
pid_t dtun_echo_server(const char *ns, const char *addr, unsigned port, unsigned delay_ms);
/* Wait up to wait_ms for pid to exit, then kill it (SIGKILL) and reap it. */
void dtun_reap(pid_t pid, int wait_ms);

#endif
