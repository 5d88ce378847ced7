/* Command-line helpers: one-line errors and strict number parsing. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *sub, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "synack: ");
	if (sub)
		fprintf(stderr, "%s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

int cli_getopt(const char *sub, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	/* getopt's own messages would be a second, differently shaped line:
	 * silence them (opterr) and ask for ':' on a missing argument. */
	char spec[64];
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	int c = getopt_long(argc, argv, spec, longopts, NULL);
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (c == ':') {
		cli_usage_error(sub, "option '%s' wants a value", word);
		return '?';
	}
	if (c == '?') {
		if (optopt && !strchr(shortopts, optopt))
			cli_usage_error(sub, "unknown option '-%c' (try 'synack %s --help')", optopt,
					sub);
		else
			cli_usage_error(sub, "unknown option '%s' (try 'synack %s --help')", word, sub);
		return '?';
	}
	return c;
}

int cli_no_operands(const char *sub, int argc, char **argv)
{
	if (optind < argc)
		return cli_usage_error(sub, "unexpected argument '%s'", argv[optind]);
	return CLI_OK;
}

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false; /* strtoull would accept " 1", "-1" and "+1" */
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_bytes(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return false;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return false;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

bool cli_parse_double(const char *s, double min, double max, double *out)
{
	if (!s || !*s || strchr(" \t\n", *s))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}
