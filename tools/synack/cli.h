/*
 * Helpers the subcommands share: strict number parsing and the one-line
 * error format "synack: SUB: what went wrong" (exit status 2).
 */
#ifndef SYNACK_TOOL_CLI_H
#define SYNACK_TOOL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit statuses: 0 success, 1 the run failed, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* Print "synack: SUB: <message>" on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run getopt_long over argv and report its complaints in our format.
 * Returns the option, -1 at the end, or '?' after printing an error (the
 * caller returns CLI_USAGE). Positional arguments are refused.
 */
int cli_getopt(const char *sub, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* After the option loop: complain about a positional argument, if any. */
int cli_no_operands(const char *sub, int argc, char **argv);

/* A decimal integer in [min, max]. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A byte count with an optional binary suffix K, M, G (KiB, MiB, GiB). */
bool cli_parse_bytes(const char *s, uint64_t *out);
/* A real number in [min, max] ("0.2", "1e-3"). */
bool cli_parse_double(const char *s, double min, double max, double *out);

#endif
