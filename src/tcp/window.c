/*
 * The receive window we offer, as Linux chooses it (tcp_output.c
 * __tcp_select_window / tcp_select_window, tcp_input.c
 * tcp_init_buffer_space / tcp_grow_window).
 *
 * Memory model. Linux charges each queued skb's truesize to sk_rcvbuf
 * (what SO_RCVBUF reports, twice what the application asked for) and
 * turns memory into window with tcp_win_from_space: space *
 * scaling_ratio / 256, the ratio starting at 50% (TCP_DEFAULT_SCALING_RATIO)
 * and following len/truesize of the segments that arrive. synack has no
 * skbs: a queued byte is charged as two bytes of buffer, i.e. every
 * "skb" has exactly the overhead Linux assumes by default, so the ratio
 * never moves from 50%. Hence, with B = SO_RCVBUF as reported:
 *   - the receive queue holds at most B / 2 bytes of data (full space);
 *   - free space = B / 2 - bytes queued (in order and out of order);
 *   - tcp_grow_window's "this skb's overhead fits" test always passes,
 *     so rcv_ssthresh grows by max(2 * advmss, 2 * len) per segment, as
 *     Linux does for a well-behaved driver.
 * tcpi_rcv_ssthresh is rcv_ssthresh, tcpi_rcv_wnd the window last
 * offered (RCV.ADV - RCV.WUP, Linux tp->rcv_wnd), and every offer is at
 * most min(free space, rcv_ssthresh, window_clamp) unless the rule that
 * an offered window never shrinks keeps the old right edge.
 */
#include "tcp/tcp.h"

uint32_t tcp_full_space(const struct tcp_sock *tp)
{
	return tcp_win_from_space((uint32_t)tp->sk.rcvbuf);
}

/* Linux tcp_space: the window the free buffer would hold. Signed: a
 * buffer shrunk by SO_RCVBUF below what is queued has none. */
static int64_t rcv_space(const struct tcp_sock *tp)
{
	return (int64_t)tcp_full_space(tp) - rcvq_len(&tp->rcvq) - rcvq_ooo_bytes(&tp->rcvq);
}

/* Linux tcp_receive_window: what is left of the last offer. */
uint32_t tcp_receive_window(const struct tcp_sock *tp)
{
	return seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
}

/*
 * Linux __tcp_select_window: the window the buffer allows now.
 * - Less than half the space free: offer nothing when what is free is
 *   below 1/16 of the buffer's window or one rcv_mss (so the sender
 *   stops before the buffer is full), and give up quick ACKs.
 * - Else at most rcv_ssthresh (the window grows as data arrives).
 * - With window scaling, round up to the scale unit so the offer is not
 *   scaled away; without, keep the current offer while the free space
 *   is within one rcv_mss above it, else round down to rcv_mss.
 */
uint32_t tcp_new_window(struct tcp_sock *tp)
{
	int64_t mss = tp->rcv_mss;
	int64_t free_space = rcv_space(tp);
	int64_t allowed = tcp_full_space(tp);
	int64_t full = tp->window_clamp < allowed ? tp->window_clamp : allowed;
	int64_t unit = (int64_t)1 << tp->rcv_wscale;
	if (mss > full) {
		mss = full;
		if (mss <= 0)
			return 0;
	}
	if (free_space < full / 2) {
		tp->quickack = 0;
		free_space = free_space < 0 ? 0 : free_space / unit * unit;
		if (free_space < allowed / 16 || free_space < mss)
			return 0;
	}
	if (free_space > tp->rcv_ssthresh)
		free_space = tp->rcv_ssthresh;
	if (tp->rcv_wscale)
		return (uint32_t)((free_space + unit - 1) / unit * unit);
	int64_t window = tp->rcv_adv - tp->rcv_wup; /* Linux tp->rcv_wnd */
	if (window <= free_space - mss || window > free_space)
		window = free_space / mss * mss;
	else if (mss == full && free_space > window + full / 2)
		window = free_space;
	return (uint32_t)window;
}

/* Linux tcp_select_window: the offer never moves the right edge left
 * (RFC 9293 3.8.6.2.2); a smaller one becomes what is left of the old
 * offer, rounded up to the scale unit. */
uint32_t tcp_select_window(struct tcp_sock *tp)
{
	uint32_t cur = tcp_receive_window(tp);
	uint32_t wnd = tcp_new_window(tp);
	if (wnd < cur) {
		uint32_t unit = 1u << tp->rcv_wscale;
		wnd = (cur + unit - 1) & ~(unit - 1);
	}
	return wnd;
}

/*
 * Linux tcp_init_buffer_space (at the end of the handshake): the clamp
 * becomes the buffer's window, less one advmss held back for the
 * application (tcp_app_win 31: only the MSS reservation, so 65536 - 1460
 * = 64076 at the default buffer), and rcv_ssthresh starts at most there.
 */
void tcp_init_rcv_window(struct tcp_sock *tp)
{
	uint32_t maxwin = tcp_full_space(tp);
	uint32_t advmss = tp->advmss;
	/* tcp_app_win 31 reserves maxwin >> 31 = 0 bytes here. */
	if (tp->window_clamp >= maxwin)
		tp->window_clamp = maxwin;
	if (tp->window_clamp > 2 * advmss && tp->window_clamp + advmss > maxwin)
		tp->window_clamp = maxwin - advmss > 2 * advmss ? maxwin - advmss : 2 * advmss;
	if (tp->rcv_ssthresh > tp->window_clamp)
		tp->rcv_ssthresh = tp->window_clamp;
}

/*
 * Linux tcp_grow_window: in-order data of 128 bytes or more (and, with
 * SACK, data queued out of order) raises rcv_ssthresh towards the
 * clamp and the free space, by max(2 * advmss, 2 * len) (our segments
 * always fit the buffer's overhead: see the memory model above); a
 * growing window earns one quick ACK (icsk_ack.quick |= 1).
 */
void tcp_grow_window(struct tcp_sock *tp, uint32_t len)
{
	int64_t space = rcv_space(tp);
	int64_t limit = tp->window_clamp < space ? tp->window_clamp : space;
	int64_t room = limit - tp->rcv_ssthresh;
	if (room <= 0)
		return;
	int64_t incr = 2 * (int64_t)tp->advmss;
	if (incr < 2 * (int64_t)len)
		incr = 2 * (int64_t)len;
	tp->rcv_ssthresh += (uint32_t)(room < incr ? room : incr);
	tp->quickack |= 1;
}
