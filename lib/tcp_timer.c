/* tcp_timer.c — the per-worker timer wheel and the TCP timer handlers.
 *
 * Call chain: hare_worker_timers() -> hare_tcp_timers() -> wheel slots
 *   -> tcp_timer_fire() -> tcp_rto() | tcp_persist() | delayed ACK |
 *      tcp_keep_fire() -> tcp_output()/tcp_xmit();
 *   then tcp_tw_expire() (TIME_WAIT FIFO) and tcp_reap_zombies().
 *
 * Design: a hashed timing wheel of 4096 one-millisecond slots (Varghese &
 * Lauck scheme 4). Each connection has ONE wheel node and up to three
 * deadlines (t_rexmt = retransmission or persist, t_delack, t_keep =
 * keepalive or FIN_WAIT_2). The node is armed at the earliest deadline;
 * pushing a deadline later (every ACK restarts the RTO) costs nothing — the
 * node fires early, finds nothing due and re-arms. Arm is O(1); cancel is
 * "set the deadline to 0". Deadlines beyond the wheel's span wrap around
 * and are skipped until due. A late call (the clock jumped) scans every
 * slot passed, at most one full turn.
 */
#include "tcp_impl.h"

void tcp_tw_expire(struct hare_tcp_ctx *x);

/* Memory pressure (Linux tcp_mem's idea, by mbufs): every connection may
 * hold up to rcv_buf of data, together far more than the pool. When free
 * mbufs fall below 1/4 of the pool, windows stop opening (promised space
 * is honoured, never shrunk); below 1/8, out-of-order segments are no
 * longer queued (the sender retransmits them). So the pool never runs dry
 * with every mbuf waiting for an ACK that could not be received. */
static void
tcp_mem_sample(struct hare_worker *w)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint32_t size, free_n;

	if (w->pool == NULL)
		return;
	size = w->pool->size;
	/* the pool's common store plus this lcore's cache: O(1), where
	 * rte_mempool_avail_count() walks every lcore's cache (RTE_MAX_LCORE)
	 * each millisecond. Other lcores' caches (a few hundred mbufs at
	 * most) count as used: the estimate errs towards pressure. */
	free_n = rte_mempool_get_ops(w->pool->ops_index)->get_count(w->pool);
	if (w->pool->cache_size != 0 && rte_lcore_id() < RTE_MAX_LCORE)
		free_n += w->pool->local_cache[rte_lcore_id()].len;
	free_n += hare_mbuf_stash_count(w);
	if (free_n > size)
		free_n = size;
	x->pool_free = free_n;
	x->mem_pressure = free_n < size / 8 ? 2 : free_n < size / 4 ? 1 : 0;
}

/* tcp_timer_link's body, inline where the passive open and the RTO arm
 * the node (once or twice per connection). */
static __rte_always_inline void
timer_link(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, uint32_t when)
{
	uint32_t idx = tcp_conn_idx(x, c), slot;

	if (c->t_linked)
		tcp_timer_unlink(x, c);
	/* never into the past: the slot for "now" may already be processed */
	if (TIME_LEQ(when, tcp_now(x->w)))
		when = tcp_now(x->w) + 1;
	c->t_expire = when;
	slot = when & (TCP_WHEEL_SLOTS - 1);
	c->t_prev = TCP_NONE;
	c->t_next = x->wheel[slot];
	if (c->t_next != TCP_NONE)
		x->conns[c->t_next].t_prev = idx;
	x->wheel[slot] = idx;
	c->t_linked = 1;
}

void
tcp_timer_link(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, uint32_t when)
{
	timer_link(x, c, when);
}

/* tcp_timer_arm with the link inline. */
static __rte_always_inline void
timer_arm(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, uint32_t when)
{
	if (likely(c->t_linked) && TIME_LEQ(c->t_expire, when))
		return;
	timer_link(x, c, when);
}

/* Arm the node at the earliest pending deadline, or unlink it. */
void
tcp_timer_rearm(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	uint32_t best = 0;
	bool any = false;
	const uint32_t d[3] = {c->t_rexmt, c->t_delack, c->t_keep};

	for (int i = 0; i < 3; i++) {
		if (d[i] == 0)
			continue;
		if (!any || TIME_LEQ(d[i], best))
			best = d[i];
		any = true;
	}
	if (!any) {
		tcp_timer_unlink(x, c);
		return;
	}
	tcp_timer_arm(x, c, best);
}

static inline uint32_t
deadline(const struct hare_worker *w, uint32_t ms)
{
	uint32_t d = tcp_now(w) + ms;

	return d ? d : 1; /* 0 means "off" */
}

void
tcp_arm_rexmt(struct hare_worker *w, struct hare_tcp_conn *c)
{
	c->flags &= ~TF_TLP;
	c->t_rexmt = deadline(w, c->rto);
	timer_arm(w->tcp, c, c->t_rexmt);
}

/* The SYN-ACK's retransmission timer (RFC 6298 §2.1/§5.1: the initial
 * RTO). Its wheel node goes in at the minimum RTO instead, earlier: the
 * handshake usually completes within it, and the next timer armed (for
 * the first data or a FIN: an RTO never below the minimum, from a later
 * time) then finds the node early enough and leaves it where it is, where
 * a node at the initial RTO would have to move. A visit before the
 * deadline finds nothing due and re-links the node at it (tcp_timer_fire):
 * the SYN-ACK is still retransmitted at the initial RTO. */
void
tcp_arm_rexmt_synack(struct hare_worker *w, struct hare_tcp_conn *c)
{
	c->flags &= ~TF_TLP;
	c->t_rexmt = deadline(w, c->rto);
	timer_arm(w->tcp, c, deadline(w, RTE_MIN(c->rto, w->cfg->tcp.rto_min_ms)));
}

/* RFC 8985 §7.2: with an RTT sample and no recovery under way, the timer
 * first fires as a tail loss probe at PTO = 2*SRTT (plus a delayed-ACK
 * allowance when one segment is in flight), so a lost tail is repaired
 * through SACK after a few RTTs instead of a 200+ ms RTO. */
void
tcp_arm_rexmt_or_probe(struct hare_worker *w, struct hare_tcp_conn *c)
{
	uint32_t srtt = c->srtt >> 3, pto;

	/* in SACK recovery too: then the PTO finds lost retransmissions
	 * (tcp_sack_timeout), RACK's job */
	if (c->srtt == 0 || !(c->opt & TO_SACK) || (c->flags & TF_TLP_SENT) ||
	    (c->flags & (TF_IN_RECOVERY | TF_SACK_RECOVERY)) == TF_IN_RECOVERY ||
	    c->rxt_shift != 0 ||
	    (c->state != HARE_TCP_ESTABLISHED && c->state != HARE_TCP_CLOSE_WAIT)) {
		tcp_arm_rexmt(w, c);
		return;
	}
	pto = RTE_MAX(2 * srtt, 10u);
	if (c->snd_max - c->snd_una <= c->mss)
		pto = RTE_MAX(pto, srtt + srtt / 2 + w->cfg->tcp.delack_ms);
	if (pto >= c->rto) {
		tcp_arm_rexmt(w, c);
		return;
	}
	c->flags |= TF_TLP;
	c->t_rexmt = deadline(w, pto);
	tcp_timer_arm(w->tcp, c, c->t_rexmt);
}

/* The probe: one new segment if the windows allow, else the last one
 * again; then the ordinary RTO. */
static void
tcp_tlp(struct hare_worker *w, struct hare_tcp_conn *c)
{
	uint32_t off = c->snd_nxt - c->snd_una;

	c->flags = (c->flags & ~TF_TLP) | TF_TLP_SENT;
	c->t_rexmt = 0;
	if (tcp_sack_timeout(w, c)) {
		if (c->flags & TF_DEAD)
			return;
		/* in recovery a few more PTOs may find the next lost
		 * retransmission before the RTO (which collapses cwnd) */
		if ((c->flags & TF_SACK_RECOVERY) && ++c->rec_probes < TCP_REC_PROBES) {
			c->flags &= ~TF_TLP_SENT;
			tcp_arm_rexmt_or_probe(w, c);
		} else if (c->t_rexmt == 0) {
			tcp_arm_rexmt(w, c);
		}
		return;
	}
	if (off < c->snd_buffered && c->snd_nxt == c->snd_max &&
	    RTE_MIN(c->snd_wnd, c->cwnd + c->mss) > off) {
		uint32_t saved = c->cwnd;

		c->cwnd = RTE_MAX(c->cwnd, off + c->mss);
		tcp_output(w, c);
		c->cwnd = saved;
	} else if (c->snd_max != c->snd_una) {
		/* the highest segment SENT (RFC 8985 §7.3): never bytes
		 * beyond snd_max, which the window may be holding back */
		uint32_t end = c->snd_max, len;
		uint8_t flags = TH_ACK;

		if ((c->flags & TF_FIN_SENT) && !(c->flags & TF_FIN_ACKED)) {
			flags |= TH_FIN;
			end--;
		}
		len = RTE_MIN((uint32_t)c->mss, end - c->snd_una);
		w->stats.tcp_retransmits++;
		tcp_xmit(w, c, end - len, len, flags);
	}
	if (!(c->flags & TF_DEAD) && c->t_rexmt == 0 && c->snd_max != c->snd_una)
		tcp_arm_rexmt(w, c);
}

void
tcp_arm_delack(struct hare_worker *w, struct hare_tcp_conn *c)
{
	if (c->t_delack != 0)
		return;
	c->t_delack = deadline(w, w->cfg->tcp.delack_ms);
	tcp_timer_arm(w->tcp, c, c->t_delack);
}

void
tcp_set_keep(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t ms)
{
	c->t_keep = deadline(w, ms);
	tcp_timer_arm(w->tcp, c, c->t_keep);
}

/* RFC 6298 §5.4-5.7 and RFC 5681 §3.1: retransmission timeout. */
static void
tcp_rto(struct hare_worker *w, struct hare_tcp_conn *c)
{
	struct hare_tcp_ctx *x = w->tcp;
	const struct hare_tcp_cfg *tc = &w->cfg->tcp;

	w->stats.tcp_rto_fired++;
	switch (c->state) {
	case HARE_TCP_SYN_SENT:
		if (c->rxt_shift >= TCP_SYN_RETRIES) {
			tcp_conn_closed(x, c, HARE_TCP_CLOSE_TIMEOUT);
			return;
		}
		break;
	case HARE_TCP_SYN_RCVD:
		if (c->rxt_shift >= TCP_SYNACK_RETRIES) {
			tcp_conn_closed(x, c, HARE_TCP_CLOSE_TIMEOUT);
			return;
		}
		break;
	default:
		if (c->rxt_shift >= TCP_DATA_RETRIES) {
			tcp_send_rst_conn(w, c);
			tcp_conn_closed(x, c, HARE_TCP_CLOSE_TIMEOUT);
			return;
		}
		break;
	}
	if (c->state == HARE_TCP_SYN_SENT || c->state == HARE_TCP_SYN_RCVD) {
		/* RFC 6298 §5.7: after a lost SYN the RTO later falls back to 3 s;
		 * we keep backing off from the initial value. */
		w->stats.tcp_retransmits++;
		tcp_xmit(w, c, c->iss, 0,
			 c->state == HARE_TCP_SYN_SENT ? TH_SYN : (TH_SYN | TH_ACK));
	} else {
		if (c->rxt_shift == 0 || !(c->flags & TF_IN_RECOVERY))
			x->cc->on_loss(c, true);
		else
			c->cwnd = c->mss;
		c->flags &= ~(TF_IN_RECOVERY | TF_RTT_TIMING | TF_TLP);
		c->dupacks = 0;
		tcp_sack_on_rto(c);       /* keep SACKed state unless repeated (RFC 6675 §5.1) */
		c->recover = c->snd_max;  /* RFC 6582 §3.2 step 4 */
		c->snd_nxt = c->snd_una;  /* go back N */
		c->snd_cur = NULL;
		c->rxt_shift++;
		c->rto = RTE_MIN(c->rto * 2, tc->rto_max_ms);
		c->t_rexmt = 0;
		tcp_output(w, c);
		if (c->flags & TF_DEAD)
			return;
		tcp_arm_rexmt(w, c);
		return;
	}
	c->rxt_shift++;
	c->rto = RTE_MIN(c->rto * 2, tc->rto_max_ms);
	tcp_arm_rexmt(w, c);
}

/* RFC 9293 §3.8.6.1: zero-window probe with one byte of new data. */
static void
tcp_persist(struct hare_worker *w, struct hare_tcp_conn *c)
{
	uint32_t ms;

	if (c->snd_wnd != 0 || c->snd_buffered == 0) {
		c->flags &= ~TF_PERSIST;
		c->rxt_shift = 0;
		tcp_output(w, c);
		return;
	}
	tcp_xmit(w, c, c->snd_una, 1, TH_ACK);
	if (SEQ_LT(c->snd_nxt, c->snd_una + 1))
		c->snd_nxt = c->snd_una + 1;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	if (c->rxt_shift < 16)
		c->rxt_shift++;
	ms = c->rto << RTE_MIN(c->rxt_shift, 10);
	ms = RTE_MAX(ms, (uint32_t)TCP_PERSIST_MIN_MS);
	ms = RTE_MIN(ms, w->cfg->tcp.rto_max_ms);
	c->t_rexmt = deadline(w, ms);
}

static void
tcp_keep_fire(struct hare_worker *w, struct hare_tcp_conn *c)
{
	const struct hare_tcp_cfg *tc = &w->cfg->tcp;

	if (c->state == HARE_TCP_FIN_WAIT_2) {
		/* orphaned half-closed connection timed out (Linux tcp_fin_timeout) */
		tcp_conn_closed(w->tcp, c, HARE_TCP_CLOSE_TIMEOUT);
		return;
	}
	if (tc->keepalive_idle_ms == 0 ||
	    (c->state != HARE_TCP_ESTABLISHED && c->state != HARE_TCP_CLOSE_WAIT))
		return;
	if (c->ka_probes >= tc->keepalive_probes) {
		tcp_send_rst_conn(w, c);
		tcp_conn_closed(w->tcp, c, HARE_TCP_CLOSE_TIMEOUT);
		return;
	}
	/* RFC 9293 §3.8.4 / RFC 1122 4.2.3.6: SEG.SEQ = SND.NXT-1, no data */
	c->ka_probes++;
	tcp_xmit(w, c, c->snd_una - 1, 0, TH_ACK);
	c->t_keep = deadline(w, tc->keepalive_intvl_ms);
}

static void
tcp_timer_fire(struct hare_worker *w, struct hare_tcp_conn *c)
{
	uint32_t now = tcp_now(w);

	if (c->t_delack && TIME_LEQ(c->t_delack, now)) {
		c->t_delack = 0;
		if (c->flags & TF_DELACK)
			tcp_send_ack(w, c);
	}
	if (c->t_rexmt && TIME_LEQ(c->t_rexmt, now) && !(c->flags & TF_DEAD)) {
		c->t_rexmt = 0;
		if (c->flags & TF_PERSIST)
			tcp_persist(w, c);
		else if (c->flags & TF_TLP)
			tcp_tlp(w, c);
		else
			tcp_rto(w, c);
	}
	if (c->t_keep && TIME_LEQ(c->t_keep, now) && !(c->flags & TF_DEAD)) {
		c->t_keep = 0;
		tcp_keep_fire(w, c);
	}
	if (!(c->flags & TF_DEAD))
		tcp_timer_rearm(w->tcp, c);
}

void
hare_tcp_timers(struct hare_worker *w)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint32_t now = tcp_now(w), ticks;

	if ((int32_t)(now - x->wheel_last) < 0)
		x->wheel_last = now; /* clock set back (tests): restart from here */
	ticks = now - x->wheel_last;
	x->in_event = 1;
	if (ticks > TCP_WHEEL_SLOTS)
		ticks = TCP_WHEEL_SLOTS;
	for (uint32_t k = 1; k <= ticks; k++) {
		uint32_t slot = (x->wheel_last + k) & (TCP_WHEEL_SLOTS - 1);
		uint32_t idx = x->wheel[slot];

		while (idx != TCP_NONE) {
			struct hare_tcp_conn *c = &x->conns[idx];
			uint32_t next = c->t_next;

			if (TIME_LEQ(c->t_expire, now)) {
				tcp_timer_unlink(x, c);
				tcp_timer_fire(w, c);
				/* a callback may have unlinked `next`: rescan */
				if (next != TCP_NONE &&
				    (!x->conns[next].t_linked ||
				     (x->conns[next].t_expire & (TCP_WHEEL_SLOTS - 1)) != slot))
					next = x->wheel[slot];
			}
			idx = next;
		}
	}
	x->wheel_last = now;
	tcp_mem_sample(w);
	tcp_tw_expire(x);
	x->in_event = 0;
	tcp_reap_zombies(x);
}
