/*
 * `nstat` in a script's shell commands, answered for the stack under
 * test. A script that runs nstat checks the host's TCP counters, and
 * here the host's TCP is synack: each nstat call in the command is
 * replaced by `cat FILE`, FILE holding what nstat would print for our
 * counters (synack_counters, named as nstat names them), in its format
 * ("#kernel", then name, value and a 0.0 rate per line). nstat's history
 * (its file in /tmp) lives in struct pd instead, per script: without -a
 * a call prints what changed since the last call that updated it.
 * Options: -a (absolute), -n (history only), -s (no history update),
 * -r (forget history), -z (zeros too), and name patterns (fnmatch, case
 * ignored). A call with other options, or quoting we do not parse, is
 * left to the real nstat.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pd.h"

#define NSTAT_ARGS_MAX 16
#define NSTAT_ARG_LEN 128

struct nstat_call {
	bool absolute, no_output, no_update, reset, zeros;
	unsigned npat;
	char pat[NSTAT_ARGS_MAX][NSTAT_ARG_LEN];
};

static bool word_edge(char c) { return c == '\0' || strchr(" \t\n;|&()`<>", c) != NULL; }

/* Parse the arguments from p up to a shell operator; false if there is
 * anything we do not understand. *end is where the call ends. */
static bool parse_call(const char *p, struct nstat_call *c, const char **end)
{
	memset(c, 0, sizeof(*c));
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (word_edge(*p)) {
			*end = p;
			return true;
		}
		const char *s = p;
		while (!word_edge(*p))
			p++;
		size_t n = (size_t)(p - s);
		if (n >= NSTAT_ARG_LEN || memchr(s, '\'', n) || memchr(s, '"', n) || memchr(s, '$', n) ||
		    memchr(s, '\\', n))
			return false;
		if (s[0] == '-') {
			for (size_t i = 1; i < n; i++) {
				switch (s[i]) {
				case 'a': c->absolute = true; break;
				case 'n': c->no_output = true; break;
				case 's': c->no_update = true; break;
				case 'r': c->reset = true; break;
				case 'z': c->zeros = true; break;
				default: return false;
				}
			}
			continue;
		}
		if (c->npat == NSTAT_ARGS_MAX)
			return false;
		memcpy(c->pat[c->npat], s, n);
		c->pat[c->npat++][n] = '\0';
	}
}

static bool matches(const struct nstat_call *c, const char *name)
{
	if (!c->npat)
		return true;
	for (unsigned i = 0; i < c->npat; i++)
		if (fnmatch(c->pat[i], name, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* nstat's output for one call, into a new file; its path in out. */
static bool run_call(struct pd *pd, const struct nstat_call *c, char out[PD_NSTAT_PATH])
{
	struct synack_counter rows[PD_NSTAT_MAX];
	size_t n = synack_counters(pd->st, rows, PD_NSTAT_MAX);
	if (n > PD_NSTAT_MAX)
		n = PD_NSTAT_MAX;
	snprintf(out, PD_NSTAT_PATH, "/tmp/synack-nstat.XXXXXX");
	int fd = mkstemp(out);
	if (fd < 0)
		return false;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(out);
		return false;
	}
	if (c->reset)
		pd->nstat_hist_set = false;
	if (!c->no_output) {
		fprintf(f, "#kernel\n");
		for (size_t i = 0; i < n; i++) {
			uint64_t v = rows[i].value;
			if (!c->absolute && pd->nstat_hist_set)
				v -= pd->nstat_hist[i];
			if ((v || c->zeros) && matches(c, rows[i].name))
				fprintf(f, "%-32s%-16llu%6.1f\n", rows[i].name, (unsigned long long)v, 0.0);
		}
	}
	fclose(f);
	if (!c->no_update) {
		for (size_t i = 0; i < n; i++)
			pd->nstat_hist[i] = rows[i].value;
		pd->nstat_hist_set = true;
	}
	return true;
}

char *pd_nstat_rewrite(struct pd *pd, const char *cmd, struct pd_nstat_files *files)
{
	files->n = 0;
	size_t len = strlen(cmd), cap = len + 1;
	char *out = NULL;
	size_t olen = 0;
	const char *p = cmd, *copied = cmd;
	while ((p = strstr(p, "nstat")) != NULL) {
		const char *after = p + 5, *end;
		struct nstat_call c;
		if ((p != cmd && !word_edge(p[-1])) || !word_edge(*after) ||
		    files->n == PD_NSTAT_CALLS_MAX || !parse_call(after, &c, &end)) {
			p = after;
			continue;
		}
		char *path = files->path[files->n];
		if (!run_call(pd, &c, path)) {
			p = after;
			continue;
		}
		files->n++;
		size_t need = olen + (size_t)(p - copied) + strlen(path) + 8 + len + 1;
		if (need > cap || !out) {
			cap = need * 2;
			char *grown = realloc(out, cap);
			if (!grown) {
				free(out);
				return NULL;
			}
			out = grown;
		}
		memcpy(out + olen, copied, (size_t)(p - copied));
		olen += (size_t)(p - copied);
		olen += (size_t)sprintf(out + olen, "cat %s ", path);
		copied = p = end;
	}
	if (!out)
		return NULL;
	strcpy(out + olen, copied);
	return out;
}

void pd_nstat_cleanup(struct pd_nstat_files *files)
{
	for (unsigned i = 0; i < files->n; i++)
		unlink(files->path[i]);
	files->n = 0;
}
