/*
 * The TUN demo's ladder (tladder.h): a list of rows, and their layout.
 */
#include "segtext.h"
#include "tladder.h"

#include <stdlib.h>
#include <string.h>

struct tl_row *tl_add(struct tladder *tl, synack_time_t t, enum tl_dir dir)
{
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 64;
		struct tl_row *v = realloc(tl->v, cap * sizeof(*v));
		if (!v) {
			tl->oom = true;
			return NULL;
		}
		tl->v = v;
		tl->cap = cap;
	}
	if (tl->n == 0)
		tl->t0 = t;
	struct tl_row *row = &tl->v[tl->n++];
	memset(row, 0, sizeof(*row));
	row->t = t;
	row->dir = dir;
	return row;
}

void tl_note(struct tl_row *row, const char *text)
{
	size_t n = strlen(row->note);
	if (!text[0] || n + 3 >= sizeof(row->note))
		return;
	snprintf(row->note + n, sizeof(row->note) - n, "%s%s", n ? "; " : "", text);
}

void tl_ours(struct tl_row *row, int state, bool chain)
{
	if (!chain || row->nours == 0) {
		row->ours[0] = state;
		row->nours = 1;
		return;
	}
	if (row->ours[row->nours - 1] == state)
		return;
	if (row->nours == TL_CHAIN)
		row->nours--; /* keep the latest */
	row->ours[row->nours++] = state;
}

void tl_free(struct tladder *tl)
{
	free(tl->v);
	tl->v = NULL;
	tl->n = tl->cap = 0;
}

/* RFC 9293 notation: <SEQ=100><ACK=301><CTL=SYN,ACK>, plus <DATA=n>. */
static void seg_text(const struct tl_row *r, char *buf, size_t len)
{
	seg_text_format(r->flags, r->seq, r->ack, r->len, buf, len);
}

static const char *rfc_name(int state)
{
	const char *n = synack_state_rfc_name(state);
	return n ? n : "?";
}

struct tl_widths {
	int num, time, ours, seg, kernel;
};

struct tl_cells {
	char num[12], time[24], ours[24], seg[112], kernel[TL_KSTATE + 8];
	const char *arrow;
	const char *note;
};

static void cells(const struct tladder *tl, const struct tl_row *r, int line, struct tl_cells *c)
{
	memset(c, 0, sizeof(*c));
	c->arrow = "";
	c->note = "";
	if (line > 0) { /* a continuation: A's next state only */
		snprintf(c->ours, sizeof(c->ours), "%s", rfc_name(r->ours[line]));
		return;
	}
	synack_time_t d = r->t - tl->t0;
	snprintf(c->num, sizeof(c->num), "%zu.", (size_t)(r - tl->v) + 1);
	snprintf(c->time, sizeof(c->time), "%llu.%03llu", (unsigned long long)(d / 1000),
		 (unsigned long long)(d % 1000));
	if (r->nours)
		snprintf(c->ours, sizeof(c->ours), "%s", rfc_name(r->ours[0]));
	if (r->dir != TL_NONE) {
		seg_text(r, c->seg, sizeof(c->seg));
		c->arrow = r->dir == TL_OUT ? "-->" : "<--";
	}
	if (r->lost)
		snprintf(c->kernel, sizeof(c->kernel), "%s", r->dir == TL_OUT ? "(lost)" : "");
	if (r->kernel[0] && !(r->lost && r->dir == TL_OUT))
		snprintf(c->kernel, sizeof(c->kernel), "%s", r->kernel);
	c->note = r->note;
}

static int max_len(int w, const char *s)
{
	int n = (int)strlen(s);
	return n > w ? n : w;
}

static void print_line(FILE *out, const struct tl_widths *w, const struct tl_cells *c)
{
	char line[512];
	snprintf(line, sizeof(line), "%*s %*s  %-*s  %-3s %-*s %-3s  %-*s  %s", w->num, c->num,
		 w->time, c->time, w->ours, c->ours, c->arrow, w->seg, c->seg, c->arrow, w->kernel,
		 c->kernel, c->note);
	size_t n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(out, "%s\n", line);
}

void tl_print(const struct tladder *tl, FILE *out)
{
	struct tl_cells head = {.time = "ms", .ours = "TCP A (synack)", .arrow = "", .note = ""};
	snprintf(head.kernel, sizeof(head.kernel), "TCP B (ss)");
	struct tl_widths w = {0};
	struct tl_cells c;
	for (size_t i = 0; i <= tl->n; i++) {
		if (i < tl->n)
			cells(tl, &tl->v[i], 0, &c);
		else
			c = head;
		w.num = max_len(w.num, c.num);
		w.time = max_len(w.time, c.time);
		w.ours = max_len(w.ours, c.ours);
		w.seg = max_len(w.seg, c.seg);
		w.kernel = max_len(w.kernel, c.kernel);
	}
	print_line(out, &w, &head);
	for (size_t i = 0; i < tl->n; i++) {
		const struct tl_row *r = &tl->v[i];
		for (int line = 0; line < (r->nours > 1 ? r->nours : 1); line++) {
			cells(tl, r, line, &c);
			print_line(out, &w, &c);
		}
	}
	if (tl->oom)
		fprintf(out, "(out of memory: the diagram is incomplete)\n");
	fprintf(out, "\n");
}
