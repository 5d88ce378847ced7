/*
 * Recording a ladder diagram: trace and tap events become a list of
 * events (sends, deliveries, state changes) in the order they happened.
 * ladder_print.c turns the list into rows.
 */
#include "ladder_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

struct ladder *ladder_new(void)
{
	struct ladder *lad = calloc(1, sizeof(*lad));
	if (!lad)
		return NULL;
	lad->app_host = -1;
	lad->state[0] = lad->state[1] = SYNACK_CLOSE;
	return lad;
}

void ladder_free(struct ladder *lad)
{
	if (!lad)
		return;
	for (size_t i = 0; i < lad->nseg; i++)
		free(lad->seg[i].pkt);
	free(lad->seg);
	free(lad->ev);
	free(lad);
}

/* Grow *v (n used, *cap allocated) by one element of size sz. */
static void *grow(void *v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 64;
	void *nv = realloc(v, c * sz);
	if (nv)
		*cap = c;
	return nv;
}

static struct lad_event *event_new(struct ladder *lad, enum lad_kind kind, synack_time_t t,
				   int host)
{
	struct lad_event *v = grow(lad->ev, lad->nev, &lad->cap_ev, sizeof(*v));
	if (!v) {
		lad->oom = true;
		return NULL;
	}
	lad->ev = v;
	struct lad_event *e = &v[lad->nev++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->t = t;
	e->host = host;
	e->states[0] = lad->state[host];
	e->nstates = 1;
	return e;
}

/* Add prefix and text to a row's note, "; " between items. */
static void note_append(char *note, const char *prefix, const char *text)
{
	size_t n = strlen(note);
	if (n && n + 2 < LAD_NOTE) {
		memcpy(note + n, "; ", 3);
		n += 2;
	}
	if (n + 1 < LAD_NOTE)
		snprintf(note + n, LAD_NOTE - n, "%s%s", prefix, text);
}

/* ---- Application calls and steps ---------------------------------------- */

void ladder_app_begin(struct ladder *lad, int host, const char *call)
{
	lad->app_host = host;
	snprintf(lad->app_call, sizeof(lad->app_call), "%c: %s", lad_host_letter(host), call);
	lad->app_first = lad->nev;
	lad->delivering[0] = lad->delivering[1] = 0;
}

void ladder_app_end(struct ladder *lad)
{
	lad->app_host = -1;
}

void ladder_step_end(struct ladder *lad)
{
	lad->delivering[0] = lad->delivering[1] = 0;
}

void ladder_begin(struct ladder *lad, synack_time_t now)
{
	lad->begun = true;
	struct lad_event *e = event_new(lad, LAD_START, now, 0);
	if (e)
		e->other_state = lad->state[1];
}

/* ---- State changes -------------------------------------------------------- */

/* Does ev belong to the connection host's column follows? The first
 * connection seen is followed; a listener hands over to its first child. */
static bool follows(struct ladder *lad, int host, const struct synack_trace *ev)
{
	if (lad->focus[host] == 0 || ev->conn == lad->focus[host]) {
		lad->focus[host] = ev->conn;
		return true;
	}
	if (lad->state[host] == SYNACK_LISTEN && ev->old_state == SYNACK_CLOSE &&
	    ev->new_state != SYNACK_LISTEN) {
		lad->focus[host] = ev->conn;
		return true;
	}
	return false;
}

/* Why a state changed, when neither a segment nor the application did it. */
static const char *state_cause(const struct synack_trace *ev)
{
	if (ev->old_state == SYNACK_TIME_WAIT && ev->new_state == SYNACK_CLOSE)
		return "(2MSL timeout)";
	return ev->why ? ev->why : "";
}

/*
 * memlink runs the timers due at an instant right after delivering the
 * packets of that instant, in the same step, so a timer's state change
 * can look like part of a delivery. The stack names its timer causes
 * ("TIME-WAIT timeout (2 MSL)", "retransmissions exhausted", "keepalive
 * probes unanswered"); those never belong to a delivery.
 */
static bool timer_caused(const struct synack_trace *ev)
{
	return ev->why && (strstr(ev->why, "timeout") || strstr(ev->why, "exhausted") ||
			   strstr(ev->why, "unanswered"));
}

static void on_state(struct ladder *lad, int host, const struct synack_trace *ev)
{
	if (!follows(lad, host, ev))
		return;
	lad->state[host] = ev->new_state;
	lad->stats.addr[host] = ev->local;
	if (!lad->begun)
		return;
	if (lad->delivering[host] && !timer_caused(ev)) {
		/* Part of processing a segment: the delivery row shows it. */
		struct lad_event *d = &lad->ev[lad->delivering[host] - 1];
		if (!lad->delivery_moved[host])
			d->nstates = 0;
		else if (d->nstates == LAD_CHAIN)
			d->nstates--;
		d->states[d->nstates++] = ev->new_state;
		lad->delivery_moved[host] = true;
		return;
	}
	struct lad_event *e = event_new(lad, LAD_STATE, ev->now, host);
	if (!e)
		return;
	if (lad->app_host == host)
		note_append(e->note, "", lad->app_call);
	else
		note_append(e->note, "", state_cause(ev));
}

/* The SEG_OUT trace follows the packet's MEMLINK_SENT (and LOST): it adds
 * what only the stack knows, whether this was a retransmission. */
static void on_seg_out(struct ladder *lad, int host, const struct synack_trace *ev)
{
	for (size_t i = lad->nseg; i-- > 0;) {
		struct lad_seg *s = &lad->seg[i];
		if (s->from != host || s->traced)
			continue;
		if (s->seq != ev->seq || s->ack != ev->ack || s->flags != ev->flags || s->len != ev->len)
			return; /* not the packet just sent: leave it */
		s->traced = true;
		s->retransmit = ev->retransmit;
		if (ev->retransmit) {
			lad->stats.retrans[host]++;
			struct lad_event *e = &lad->ev[s->send_ev];
			e->note[0] = '\0';
			note_append(e->note, "", "retransmission");
		}
		return;
	}
}

void ladder_trace(struct ladder *lad, int host, const struct synack_trace *ev)
{
	if (host < 0 || host > 1)
		return;
	switch (ev->kind) {
	case SYNACK_TRACE_STATE:
		on_state(lad, host, ev);
		break;
	case SYNACK_TRACE_SEG_OUT:
		on_seg_out(lad, host, ev);
		break;
	case SYNACK_TRACE_DROP:
		if (lad->delivering[host])
			note_append(lad->ev[lad->delivering[host] - 1].note, "dropped: ",
				    ev->why ? ev->why : "?");
		break;
	case SYNACK_TRACE_SEG_IN:
		break;
	}
}

/* ---- Packets ---------------------------------------------------------------- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read the fields the diagram shows from an IPv4 packet carrying TCP. */
static void parse_packet(struct lad_seg *s, const unsigned char *p, size_t len)
{
	s->tcp = false;
	if (len < 20 || p[0] >> 4 != 4 || p[9] != IPPROTO_TCP)
		return;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = (size_t)p[2] << 8 | p[3];
	if (total > len || ihl < 20 || total < ihl + 20)
		return;
	const unsigned char *t = p + ihl;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || ihl + doff > total)
		return;
	s->tcp = true;
	s->seq = get32(t + 4);
	s->ack = get32(t + 8);
	s->flags = t[13];
	s->len = (uint32_t)(total - ihl - doff);
}

/* Why a host sent a packet outside any application call or delivery. */
static const char *timer_cause(const struct lad_seg *s)
{
	return s->tcp && s->flags == 0x10 && s->len == 0 ? "delayed ACK" : "timer";
}

static void on_sent(struct ladder *lad, synack_time_t now, int from, const void *pkt, size_t len)
{
	lad->stats.segs[from]++;
	struct lad_seg *v = grow(lad->seg, lad->nseg, &lad->cap_seg, sizeof(*v));
	unsigned char *copy = malloc(len ? len : 1);
	if (!v || !copy) {
		free(copy);
		lad->oom = true;
		if (v)
			lad->seg = v;
		return;
	}
	lad->seg = v;
	struct lad_seg *s = &v[lad->nseg];
	memset(s, 0, sizeof(*s));
	s->from = from;
	memcpy(copy, pkt, len);
	s->pkt = copy;
	s->pkt_len = len;
	parse_packet(s, pkt, len);
	if (s->tcp && (s->flags & 0x02) && !lad->stats.have_iss[from]) {
		lad->stats.have_iss[from] = true;
		lad->stats.iss[from] = s->seq;
	}
	struct lad_event *e = event_new(lad, LAD_SEND, now, from);
	if (!e) {
		free(copy);
		return;
	}
	s->send_ev = lad->nev - 1;
	e->seg = lad->nseg++;
	if (lad->app_host == from) {
		/* The call's state change shows in this row; no row of its own. */
		for (size_t i = lad->app_first; i + 1 < lad->nev; i++)
			if (lad->ev[i].kind == LAD_STATE && lad->ev[i].host == from)
				lad->ev[i].hidden = true;
		note_append(e->note, "", lad->app_call);
	} else if (!lad->delivering[from]) {
		note_append(e->note, "", timer_cause(s));
	}
}

/* The in-flight packet from -> (not yet arrived or lost) with these bytes;
 * the oldest if oldest, else the newest. */
static struct lad_seg *in_flight(struct ladder *lad, int from, const void *pkt, size_t len,
				 bool oldest)
{
	for (size_t k = 0; k < lad->nseg; k++) {
		struct lad_seg *s = &lad->seg[oldest ? k : lad->nseg - 1 - k];
		if (s->from == from && s->pkt && s->pkt_len == len && !memcmp(s->pkt, pkt, len))
			return s;
	}
	return NULL;
}

static void on_arrival(struct ladder *lad, synack_time_t now, enum memlink_fate fate, int from,
		       int to, const void *pkt, size_t len)
{
	struct lad_seg *s = in_flight(lad, from, pkt, len, fate == MEMLINK_DELIVERED);
	if (!s)
		return; /* a copy memlink made (duplication), or sent before the start */
	free(s->pkt);
	s->pkt = NULL;
	if (fate == MEMLINK_LOST) {
		s->lost = true;
		lad->stats.lost[from]++;
		return;
	}
	struct lad_event *e = event_new(lad, LAD_DELIVER, now, to);
	if (!e)
		return;
	s->delivered = true;
	s->deliver_ev = lad->nev - 1;
	e->seg = (size_t)(s - lad->seg);
	lad->delivering[to] = lad->nev;
	lad->delivery_moved[to] = false;
}

void ladder_tap(struct ladder *lad, synack_time_t now, enum memlink_fate fate, int from, int to,
		const void *pkt, size_t len)
{
	if (!lad->begun || from < 0 || from > 1 || lad->oom)
		return;
	if (fate == MEMLINK_SENT)
		on_sent(lad, now, from, pkt, len);
	else if ((fate == MEMLINK_DELIVERED || fate == MEMLINK_LOST) && to >= 0 && to <= 1)
		on_arrival(lad, now, fate, from, to, pkt, len);
}

/* ---- Queries ---------------------------------------------------------------- */

int ladder_state(const struct ladder *lad, int host)
{
	return host == 0 || host == 1 ? lad->state[host] : SYNACK_CLOSE;
}

void ladder_get_stats(const struct ladder *lad, struct ladder_stats *out)
{
	*out = lad->stats;
}

bool ladder_ok(const struct ladder *lad)
{
	return !lad->oom;
}
