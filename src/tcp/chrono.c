/*
 * TCP_INFO's busy, rwnd-limited and sndbuf-limited times: Linux's
 * "chronographs" (tcp_chrono_start/stop in tcp_output.c). One clock runs
 * at a time and the most telling condition wins (SNDBUF_LIMITED >
 * RWND_LIMITED > BUSY); stopping the running condition falls back to
 * BUSY while data is queued or unacked, else to none. busy_time is the
 * sum of all three. Times are the stack's (virtual) microseconds; Linux
 * counts jiffies, so its figures are multiples of 1/HZ.
 */
#include "tcp/tcp.h"

static void chrono_set(struct tcp_sock *tp, enum tcp_chrono type)
{
	synack_time_t now = tp->sk.st->now;
	if (tp->chrono_type > TCP_CHRONO_UNSPEC)
		tp->chrono_stat[tp->chrono_type - 1] += now - tp->chrono_start;
	tp->chrono_start = now;
	tp->chrono_type = (uint8_t)type;
}

/* Linux tcp_rtx_and_write_queues_empty: no byte and no FIN queued or
 * unacknowledged. */
static bool queues_empty(const struct tcp_sock *tp)
{
	return tp->sndq.len == 0 && tp->snd_una == tp->snd_max && !(tp->fin_queued && !tp->fin_sent);
}

/* Linux tcp_write_queue_empty: nothing queued that was never sent
 * (bytes resent after a timeout are Linux's retransmit queue). */
static bool write_queue_empty(const struct tcp_sock *tp)
{
	return !seq_gt(tp->snd_una + tp->sndq.len, tp->snd_max) && !(tp->fin_queued && !tp->fin_sent);
}

void tcp_chrono_start(struct tcp_sock *tp, enum tcp_chrono type)
{
	if (type > tp->chrono_type)
		chrono_set(tp, type);
}

void tcp_chrono_stop(struct tcp_sock *tp, enum tcp_chrono type)
{
	if (queues_empty(tp))
		chrono_set(tp, TCP_CHRONO_UNSPEC);
	else if (type == tp->chrono_type)
		chrono_set(tp, TCP_CHRONO_BUSY);
}

void tcp_chrono_end(struct tcp_sock *tp)
{
	chrono_set(tp, TCP_CHRONO_UNSPEC);
}

/* Linux sk_stream_write_space's test (__sk_stream_is_writeable with
 * wake): the queue below the buffer with at least half of what it holds
 * free, and twice the unsent bytes below TCP_NOTSENT_LOWAT. */
static bool writeable(const struct tcp_sock *tp)
{
	uint32_t q = tp->sndq.len;
	return q < tp->sndbuf && tp->sndbuf - q >= q / 2 &&
	       ((uint64_t)tcp_unsent(tp) << 1) < tcp_notsent_lowat(tp);
}

/* Linux tcp_check_space: an application that found the buffer full
 * (SOCK_NOSPACE) is writeable again; the sndbuf-limited clock stops. */
static void check_space(struct tcp_sock *tp)
{
	if (!tp->nospace || !writeable(tp))
		return;
	tp->nospace = false;
	tcp_chrono_stop(tp, TCP_CHRONO_SNDBUF_LIMITED);
}

void tcp_chrono_sendmsg(struct tcp_sock *tp, uint32_t took, uint32_t n)
{
	if (took)
		tcp_chrono_start(tp, TCP_CHRONO_BUSY); /* tcp_add_write_queue_tail */
	if (took < n)
		tp->nospace = true; /* tcp_sendmsg's wait_for_space */
	if (!took && queues_empty(tp)) {
		/* tcp_sendmsg's EAGAIN with nothing queued: write_space,
		 * and the sndbuf-limited clock stops. */
		check_space(tp);
		tcp_chrono_stop(tp, TCP_CHRONO_SNDBUF_LIMITED);
	}
}

/* Linux tcp_is_cwnd_limited as tcp_cwnd_validate leaves it: the cwnd is
 * full, or (slow start) below twice what is in flight. Linux takes the
 * most in flight over the last window (max_packets_out); we take now,
 * right after sending. */
static bool cwnd_limited(const struct tcp_sock *tp)
{
	uint32_t flight = tcp_packets_in_flight(tp);
	if (flight >= tp->cwnd)
		return true;
	return tp->cwnd < tp->ssthresh && tp->cwnd < 2 * flight;
}

/*
 * The end of tcp_write_xmit (pending: it had new data to send) and of
 * the ACK path's tcp_data_snd_check. The receive window stopped the
 * sending with the cwnd open (tcp_snd_wnd_test): rwnd-limited, else that
 * clock stops. Data went out, the cwnd is not the limit, nothing is left
 * to send and the application waits for buffer space: sndbuf-limited
 * (tcp_cwnd_validate's four conditions).
 */
void tcp_chrono_xmit(struct tcp_sock *tp, bool pending, bool sent)
{
	if (sent)
		check_space(tp); /* tcp_event_new_data_sent */
	if (pending) {
		bool cwnd_full = tcp_packets_in_flight(tp) >= tp->cwnd;
		if (!write_queue_empty(tp) && !cwnd_full && tcp_window_blocked(tp))
			tcp_chrono_start(tp, TCP_CHRONO_RWND_LIMITED);
		else
			tcp_chrono_stop(tp, TCP_CHRONO_RWND_LIMITED);
		if ((sent || cwnd_full) && !cwnd_limited(tp) && write_queue_empty(tp) &&
		    tp->nospace &&
		    (tp->state == SYNACK_ESTABLISHED || tp->state == SYNACK_CLOSE_WAIT))
			tcp_chrono_start(tp, TCP_CHRONO_SNDBUF_LIMITED);
	}
	check_space(tp); /* tcp_data_snd_check */
}

bool tcp_chrono_pending(const struct tcp_sock *tp)
{
	return !write_queue_empty(tp);
}

void tcp_chrono_ack(struct tcp_sock *tp)
{
	if (tp->snd_una == tp->snd_max)
		tcp_chrono_stop(tp, TCP_CHRONO_BUSY); /* tcp_clean_rtx_queue emptied it */
}

/* Linux tcp_get_info_chrono_stats: the running clock counts up to now. */
void tcp_chrono_info(const struct tcp_sock *tp, uint64_t *busy, uint64_t *rwnd, uint64_t *sndbuf)
{
	uint64_t s[TCP_CHRONO_MAX] = {0};
	for (int i = TCP_CHRONO_BUSY; i < TCP_CHRONO_MAX; i++) {
		s[i] = tp->chrono_stat[i - 1];
		if (i == tp->chrono_type)
			s[i] += tp->sk.st->now - tp->chrono_start;
	}
	*busy = s[TCP_CHRONO_BUSY] + s[TCP_CHRONO_RWND_LIMITED] + s[TCP_CHRONO_SNDBUF_LIMITED];
	*rwnd = s[TCP_CHRONO_RWND_LIMITED];
	*sndbuf = s[TCP_CHRONO_SNDBUF_LIMITED];
}
