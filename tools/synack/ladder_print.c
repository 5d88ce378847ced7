/*
 * Laying out a recorded ladder: decide which segments fit in one row,
 * build the rows' cells, size the columns and print.
 */
#include "segtext.h"
#include "ladder_int.h"

#include <stdlib.h>
#include <string.h>

#define ROW_STATE 24
#define ROW_SEG 96

struct lad_row {
	char num[12];
	char time[24];
	char state[2][ROW_STATE];
	const char *arrow[2];     /* the arrow cell beside each column */
	char seg[ROW_SEG];
	char note[2 * LAD_NOTE + 2];
};

struct lad_rows {
	struct lad_row *v;
	size_t n, cap;
	unsigned next_num;
	synack_time_t t0;
	bool oom;
};

/*
 * A delivered segment gets one row unless, while it is in flight,
 * something else happens at its receiver (a send, a state change, the
 * arrival of a segment drawn on two rows: the row would show the
 * receiver's state out of order) or a segment arrives at its sender (the
 * two crossed). Segments are looked at in the order they were sent.
 */
static void decide_merges(const struct ladder *lad, bool *merged)
{
	for (size_t i = 0; i < lad->nseg; i++) {
		const struct lad_seg *s = &lad->seg[i];
		merged[i] = false;
		if (!s->delivered)
			continue;
		int to = 1 - s->from;
		bool ok = true;
		for (size_t k = s->send_ev + 1; ok && k < s->deliver_ev; k++) {
			const struct lad_event *e = &lad->ev[k];
			if (e->hidden)
				continue;
			if (e->kind == LAD_DELIVER && e->host == to && merged[e->seg])
				continue; /* an earlier segment this way, drawn on one row */
			if (e->host == to || e->kind == LAD_DELIVER)
				ok = false;
		}
		merged[i] = ok;
	}
}

/* RFC 9293 notation: <SEQ=100><ACK=301><CTL=SYN,ACK>, plus <DATA=n>. */
static void seg_text(const struct lad_seg *s, char *buf, size_t len)
{
	if (!s->tcp) {
		snprintf(buf, len, "(not a TCP segment, %zu bytes)", s->pkt_len);
		return;
	}
	seg_text_format(s->flags, s->seq, s->ack, s->len, buf, len);
}

static const char *state_name(int state)
{
	const char *n = synack_state_rfc_name(state);
	return n ? n : "?";
}

/* A new row; numbered unless it continues the row above. */
static struct lad_row *row_new(struct lad_rows *r, synack_time_t t, bool numbered)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct lad_row *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			r->oom = true;
			return NULL;
		}
		r->v = v;
		r->cap = cap;
	}
	struct lad_row *row = &r->v[r->n++];
	memset(row, 0, sizeof(*row));
	row->arrow[0] = row->arrow[1] = "";
	if (numbered) {
		synack_time_t d = t - r->t0;
		snprintf(row->num, sizeof(row->num), "%u.", ++r->next_num);
		snprintf(row->time, sizeof(row->time), "%llu.%03llu", (unsigned long long)(d / 1000),
			 (unsigned long long)(d % 1000));
	}
	return row;
}

static void set_state(struct lad_row *row, int host, const char *name)
{
	snprintf(row->state[host], sizeof(row->state[host]), "%s", name);
}

static void add_note(struct lad_row *row, const char *note)
{
	size_t n = strlen(row->note);
	if (!note[0])
		return;
	snprintf(row->note + n, sizeof(row->note) - n, "%s%s", n ? "; " : "", note);
}

/* The states after the first of a delivery, each on a line of its own. */
static void add_chain(struct lad_rows *r, const struct lad_event *d)
{
	for (int i = 1; i < d->nstates; i++) {
		struct lad_row *row = row_new(r, d->t, false);
		if (row)
			set_state(row, d->host, state_name(d->states[i]));
	}
}

/* One segment: sent (with its arrival when merged), lost, or arriving. */
static void seg_rows(struct lad_rows *r, const struct ladder *lad, const struct lad_event *e,
		     const bool *merged)
{
	const struct lad_seg *s = &lad->seg[e->seg];
	int from = s->from, to = 1 - from;
	const char *dir = from == 0 ? "-->" : "<--";
	bool arrival = e->kind == LAD_DELIVER;
	if (arrival && merged[e->seg])
		return; /* drawn with its sending */
	struct lad_row *row = row_new(r, e->t, true);
	if (!row)
		return;
	seg_text(s, row->seg, sizeof(row->seg));
	const struct lad_event *d = s->delivered ? &lad->ev[s->deliver_ev] : NULL;
	if (arrival) {
		row->arrow[from] = "...";
		row->arrow[to] = dir;
		set_state(row, to, state_name(e->states[0]));
		add_note(row, e->note);
		add_chain(r, e);
		return;
	}
	set_state(row, from, state_name(e->states[0]));
	row->arrow[from] = dir;
	add_note(row, e->note);
	if (s->lost) {
		row->arrow[to] = "...";
		set_state(row, to, "(lost)");
	} else if (d && merged[e->seg]) {
		row->arrow[to] = dir;
		set_state(row, to, state_name(d->states[0]));
		add_note(row, d->note);
		add_chain(r, d);
	} else {
		row->arrow[to] = "...";
	}
}

static void build_rows(struct lad_rows *r, const struct ladder *lad, const bool *merged)
{
	r->t0 = lad->nev ? lad->ev[0].t : 0;
	for (size_t i = 0; i < lad->nev && !r->oom; i++) {
		const struct lad_event *e = &lad->ev[i];
		struct lad_row *row;
		switch (e->kind) {
		case LAD_START:
			if ((row = row_new(r, e->t, true))) {
				set_state(row, 0, state_name(e->states[0]));
				set_state(row, 1, state_name(e->other_state));
			}
			break;
		case LAD_STATE:
			if (!e->hidden && (row = row_new(r, e->t, true))) {
				set_state(row, e->host, state_name(e->states[0]));
				add_note(row, e->note);
			}
			break;
		case LAD_SEND:
		case LAD_DELIVER:
			seg_rows(r, lad, e, merged);
			break;
		}
	}
}

struct lad_widths {
	int num, time, state[2], seg;
};

static int max_len(int w, const char *s)
{
	int n = (int)strlen(s);
	return n > w ? n : w;
}

static void print_row(FILE *out, const struct lad_widths *w, const struct lad_row *row)
{
	char line[512];
	snprintf(line, sizeof(line), "%*s %*s  %-*s  %-3s %-*s %-3s  %-*s  %s", w->num, row->num,
		 w->time, row->time, w->state[0], row->state[0], row->arrow[0], w->seg, row->seg,
		 row->arrow[1], w->state[1], row->state[1], row->note);
	size_t n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(out, "%s\n", line);
}

void ladder_print(const struct ladder *lad, FILE *out)
{
	struct lad_rows r = {0};
	bool *merged = calloc(lad->nseg ? lad->nseg : 1, sizeof(*merged));
	if (!merged) {
		fprintf(out, "(out of memory drawing the diagram)\n\n");
		return;
	}
	decide_merges(lad, merged);
	build_rows(&r, lad, merged);

	struct lad_row head = {.num = "", .time = "ms", .arrow = {"", ""}};
	set_state(&head, 0, "TCP A");
	set_state(&head, 1, "TCP B");
	struct lad_widths w = {0};
	for (size_t i = 0; i <= r.n; i++) {
		const struct lad_row *row = i < r.n ? &r.v[i] : &head;
		w.num = max_len(w.num, row->num);
		w.time = max_len(w.time, row->time);
		w.state[0] = max_len(w.state[0], row->state[0]);
		w.state[1] = max_len(w.state[1], row->state[1]);
		w.seg = max_len(w.seg, row->seg);
	}
	print_row(out, &w, &head);
	for (size_t i = 0; i < r.n; i++)
		print_row(out, &w, &r.v[i]);
	if (r.oom || lad->oom)
		fprintf(out, "(out of memory: the diagram is incomplete)\n");
	fprintf(out, "\n");
	free(r.v);
	free(merged);
}
