/* tcp_cc.c — congestion control: NewReno (RFC 5681 + RFC 6582), IW10
 * (RFC 6928). The struct tcp_cc_ops seam lets CUBIC (RFC 9438) replace
 * the window arithmetic; recovery entry/exit stays in tcp_in.c.
 *
 * Call chain: tcp_in.c tcp_ack() -> cc->on_ack() | cc->on_loss();
 *             tcp_timer.c tcp_rto() -> cc->on_loss(rto = true).
 */
#include "tcp_impl.h"

/* tcp_newreno_init (tcp_impl.h, inline for the passive open) */
static void
newreno_init(struct hare_tcp_conn *c)
{
	tcp_newreno_init(c);
}

/* tcp_newreno_on_ack (tcp_impl.h, inline for the ACK fast path) */
static void
newreno_on_ack(struct hare_tcp_conn *c, uint32_t acked)
{
	tcp_newreno_on_ack(c, acked);
}

/* RFC 5681 (4): ssthresh = max(FlightSize/2, 2*SMSS). On RTO cwnd = 1 SMSS
 * (loss window); on fast retransmit the caller inflates cwnd. */
static void
newreno_on_loss(struct hare_tcp_conn *c, bool rto)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->ssthresh = RTE_MAX(flight / 2, 2u * c->mss);
	if (rto)
		c->cwnd = c->mss;
	else
		c->cwnd = c->ssthresh + 3u * c->mss;
}

/* RFC 6582 §3.2 step 3 (full ACK): cwnd = min(ssthresh, FlightSize + SMSS). */
static void
newreno_on_recovery_end(struct hare_tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->cwnd = RTE_MIN(c->ssthresh, flight + c->mss);
	if (c->cwnd < c->mss)
		c->cwnd = c->mss;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_loss = newreno_on_loss,
	.on_recovery_end = newreno_on_recovery_end,
};
