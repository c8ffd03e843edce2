/* tcp_sack.c — the sender's SACK scoreboard and SACK-based loss recovery:
 * RFC 6675 (scoreboard, IsLost, pipe, NextSeg) with RFC 6937 PRR for how
 * much to send per ACK, detection of lost retransmissions, adaptive
 * DupThresh for reordering, and undo of spurious recoveries by D-SACK
 * (RFC 2883, RFC 3708 idea).
 *
 * Call chains:
 *   tcp_in.c tcp_ack() -> tcp_sack_update() (each SACK option)
 *            tcp_ack()/tcp_ack_new() -> tcp_sack_recovery() -> tcp_xmit()
 *                                       (holes) / tcp_output() (new data)
 *            tcp_ack_new() -> tcp_sack_note_reordering(), tcp_sack_prune()
 *   tcp_out.c tcp_output() -> tcp_sack_skip() / tcp_sacked_below()
 *            (after an RTO: go back N, but never resend SACKed bytes —
 *            RFC 6675 §5.1)
 *   tcp_timer.c tcp_rto() -> tcp_sack_on_rto()
 *
 * The scoreboard is a sorted array of disjoint SACKed ranges above snd_una
 * (at most TCP_SB_MAX; when full the lowest range is forgotten, which only
 * costs a needless retransmission, never a missed one).
 *
 * Lost retransmissions (what RACK, RFC 8985, finds by time): a "pass"
 * retransmits the lost holes from snd_una upward (rexmit_nxt). When no lost
 * hole is left above rexmit_nxt, rxt_fence = snd_max: every retransmission
 * of the pass went out before any byte above the fence. Once DupThresh
 * segments' worth of data above the fence are SACKed while holes remain
 * below it, those retransmissions are lost too (same reasoning as IsLost):
 * a new pass starts at snd_una. Without this, each lost retransmission
 * costs an RTO (>= 200 ms).
 *
 * Reordering (RFC 4653's idea, Linux tp->reordering): when a hole that was
 * never retransmitted is filled below SACKed data, the segment was
 * reordered, not lost; DupThresh grows to the distance seen. A D-SACK
 * (the peer got a byte twice) of a retransmitted byte means that
 * retransmission was spurious: DupThresh grows by one, and when every
 * retransmission of the episode was D-SACKed, cwnd/ssthresh are restored.
 */
#include <string.h>
#include "tcp_impl.h"

static inline uint32_t
dupthresh_bytes(const struct hare_tcp_conn *c)
{
	return (uint32_t)(c->dupthresh - 1) * c->mss;
}

static void
sb_recount(struct hare_tcp_conn *c)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->n_sack; i++)
		n += c->sack[i][1] - c->sack[i][0];
	c->sacked = n;
}

/* Insert [l, r) (above snd_una, within snd_max), keeping the array sorted
 * and merged. */
static void
sb_insert(struct hare_tcp_conn *c, uint32_t l, uint32_t r)
{
	unsigned i = 0, j;

	while (i < c->n_sack && SEQ_LT(c->sack[i][1], l))
		i++;
	/* ranges i..j-1 overlap or touch [l, r): merge them into one */
	j = i;
	while (j < c->n_sack && SEQ_LEQ(c->sack[j][0], r)) {
		l = SEQ_MIN(l, c->sack[j][0]);
		r = SEQ_MAX(r, c->sack[j][1]);
		j++;
	}
	if (j > i) {
		c->sack[i][0] = l;
		c->sack[i][1] = r;
		memmove(&c->sack[i + 1], &c->sack[j], (c->n_sack - j) * sizeof(c->sack[0]));
		c->n_sack = (uint8_t)(c->n_sack - (j - i - 1));
		return;
	}
	if (c->n_sack == TCP_SB_MAX) {
		/* full: forget the lowest range (safe, see the top) */
		if (i == 0)
			return;
		memmove(&c->sack[0], &c->sack[1], (i - 1) * sizeof(c->sack[0]));
		i--;
	} else {
		memmove(&c->sack[i + 1], &c->sack[i], (c->n_sack - i) * sizeof(c->sack[0]));
		c->n_sack++;
	}
	c->sack[i][0] = l;
	c->sack[i][1] = r;
}

/* A D-SACK (RFC 2883 §4) for [l, r). */
static void
tcp_dsack(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t l, uint32_t r)
{
	(void)r;
	w->stats.tcp_dsack_rx++;
	if (!SEQ_LT(l, c->rxt_high))
		return; /* never retransmitted: the network duplicated it */
	/* our retransmission was not needed: the original arrived too */
	if (c->dupthresh < TCP_DUPTHRESH_MAX)
		c->dupthresh++;
	if (c->undo_retrans > 0 && --c->undo_retrans == 0 && c->prior_cwnd) {
		/* every retransmission of the episode was spurious: undo */
		w->stats.tcp_recovery_undo++;
		c->cwnd = RTE_MAX(c->cwnd, c->prior_cwnd);
		c->ssthresh = RTE_MAX(c->ssthresh, c->prior_ssthresh);
		c->prior_cwnd = 0;
	}
}

/* Merge the segment's SACK blocks into the scoreboard (RFC 2018 §5,
 * RFC 6675 Update()). Returns true when they SACKed bytes not SACKed
 * before (RFC 6675 §2's "duplicate acknowledgment"). */
bool
tcp_sack_update(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s)
{
	uint32_t before = c->sacked;

	for (unsigned i = 0; i < s->n_sack; i++) {
		uint32_t l = s->sack[i][0], r = s->sack[i][1];

		if (!SEQ_LT(l, r) || SEQ_GT(r, c->snd_max))
			continue; /* bogus */
		if (i == 0 && (SEQ_LEQ(r, s->ack) ||
			       (s->n_sack > 1 && SEQ_GEQ(l, s->sack[1][0]) &&
				SEQ_LEQ(r, s->sack[1][1])))) {
			tcp_dsack(w, c, l, r);
			continue;
		}
		if (SEQ_LEQ(r, c->snd_una))
			continue;
		if (SEQ_LT(l, c->snd_una))
			l = c->snd_una;
		sb_insert(c, l, r);
	}
	sb_recount(c);
	return c->sacked > before;
}

/* Drop what the cumulative ACK now covers. */
void
tcp_sack_prune(struct hare_tcp_conn *c)
{
	unsigned k = 0;

	for (unsigned i = 0; i < c->n_sack; i++) {
		if (SEQ_LEQ(c->sack[i][1], c->snd_una))
			continue;
		c->sack[k][0] = SEQ_MAX(c->sack[i][0], c->snd_una);
		c->sack[k][1] = c->sack[i][1];
		k++;
	}
	c->n_sack = (uint8_t)k;
	sb_recount(c);
}

/* Before snd_una moves to ack: was the head hole filled by a segment never
 * retransmitted while data above it was already SACKed? Then it was
 * reordered by about (highest SACKed - snd_una) / mss segments. */
void
tcp_sack_note_reordering(struct hare_tcp_conn *c, uint32_t ack)
{
	uint32_t high, dist;

	if (c->n_sack == 0 || !SEQ_GEQ(c->snd_una, c->rxt_high) ||
	    !SEQ_LT(c->snd_una, c->sack[0][0]) || SEQ_LT(ack, c->sack[0][0]))
		return;
	high = c->sack[c->n_sack - 1][1];
	dist = (high - c->snd_una + c->mss - 1) / c->mss;
	if (dist + 1 > c->dupthresh)
		c->dupthresh = (uint8_t)RTE_MIN(dist + 1, (uint32_t)TCP_DUPTHRESH_MAX);
}

/* RFC 6675 IsLost() for holes: every hole below the returned edge has more
 * than (DupThresh-1)*SMSS bytes SACKed above it. snd_una = nothing lost. */
static uint32_t
sb_lost_edge(const struct hare_tcp_conn *c)
{
	uint32_t above = 0, need = dupthresh_bytes(c);

	/* RFC 5827 early retransmit: nothing new to send and all but one
	 * segment's worth SACKed: the head hole is lost */
	if (c->n_sack && c->snd_una + c->snd_buffered + !!(c->flags & TF_FIN_SENT) == c->snd_max &&
	    c->sacked + c->mss >= c->snd_max - c->snd_una)
		need = 0;

	for (int i = c->n_sack - 1; i >= 0; i--) {
		above += c->sack[i][1] - c->sack[i][0];
		if (above > need)
			return c->sack[i][0];
	}
	return c->snd_una;
}

/* SACKed bytes above seq. */
static uint32_t
sb_sacked_above(const struct hare_tcp_conn *c, uint32_t seq)
{
	uint32_t n = 0;

	for (int i = c->n_sack - 1; i >= 0 && SEQ_GT(c->sack[i][1], seq); i--)
		n += c->sack[i][1] - SEQ_MAX(c->sack[i][0], seq);
	return n;
}

uint32_t
tcp_sacked_below(const struct hare_tcp_conn *c, uint32_t seq)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->n_sack && SEQ_LT(c->sack[i][0], seq); i++)
		n += SEQ_MIN(c->sack[i][1], seq) - c->sack[i][0];
	return n;
}

/* Move *seq past any SACKed range it is in; return how many bytes from
 * there are unSACKed (UINT32_MAX: no SACKed range above). */
uint32_t
tcp_sack_skip(const struct hare_tcp_conn *c, uint32_t *seq)
{
	for (unsigned i = 0; i < c->n_sack; i++) {
		if (SEQ_LEQ(c->sack[i][1], *seq))
			continue;
		if (SEQ_LEQ(c->sack[i][0], *seq)) {
			*seq = c->sack[i][1];
			continue;
		}
		return c->sack[i][0] - *seq;
	}
	return UINT32_MAX;
}

/* The first unSACKed byte >= from and below limit, and the length of its
 * hole (clipped to limit). Returns 0 when there is none. */
static uint32_t
sb_next_hole(const struct hare_tcp_conn *c, uint32_t from, uint32_t limit, uint32_t *start)
{
	uint32_t p = from, room;

	if (SEQ_LT(p, c->snd_una))
		p = c->snd_una;
	room = tcp_sack_skip(c, &p);
	if (!SEQ_LT(p, limit))
		return 0;
	*start = p;
	return RTE_MIN(room, limit - p);
}

/* RFC 6675 SetPipe(): bytes in flight = outstanding - SACKed - lost and not
 * yet retransmitted in this pass (retransmitted ones are back in flight). */
static uint32_t
sb_pipe(const struct hare_tcp_conn *c, uint32_t lost_edge)
{
	uint32_t out = c->snd_max - c->snd_una - c->sacked, lost = 0, p = c->rexmit_nxt, len, st;

	while ((len = sb_next_hole(c, p, lost_edge, &st)) != 0) {
		lost += len;
		p = st + len;
	}
	return out > lost ? out - lost : 0;
}

/* Retransmit [p, p+len) of a hole. */
static void
sb_rexmit(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t p, uint32_t len)
{
	uint32_t data_end = c->snd_una + c->snd_buffered;
	uint8_t flags = TH_ACK;

	if (SEQ_GT(p + len, data_end))
		len = SEQ_GT(data_end, p) ? data_end - p : 0;
	if (len == 0 && !((c->flags & TF_FIN_SENT) && p == data_end))
		return;
	if ((c->flags & TF_FIN_SENT) && p + len == data_end && c->snd_max == data_end + 1)
		flags |= TH_FIN;
	w->stats.tcp_retransmits++;
	if (tcp_xmit(w, c, p, len, flags) < 0)
		return;
	c->rexmit_nxt = p + len;
	if (SEQ_GT(c->rexmit_nxt, c->rxt_high))
		c->rxt_high = c->rexmit_nxt;
	if (c->undo_retrans < UINT16_MAX)
		c->undo_retrans++;
}

/* RFC 6675 §5 step (4): enter recovery, halve (cc), retransmit the first
 * lost segment at once; RFC 6937 PRR starts counting. */
static void
sb_enter_recovery(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t lost_edge)
{
	uint32_t st, len;

	w->stats.tcp_fast_retransmits++;
	c->prior_cwnd = c->cwnd;
	c->prior_ssthresh = c->ssthresh;
	w->tcp->cc->on_loss(c, false);
	c->cwnd = c->ssthresh;
	c->recover = c->snd_max;
	c->flags |= TF_IN_RECOVERY | TF_SACK_RECOVERY;
	c->flags &= ~(TF_RTT_TIMING | TF_RXT_FENCE);
	c->rexmit_nxt = c->snd_una;
	c->undo_retrans = 0;
	c->prr_delivered = 0;
	c->prr_out = 0;
	c->recover_fs = c->snd_max - c->snd_una;
	c->dupacks = TCP_DUPTHRESH;
	c->rec_probes = 0;
	len = sb_next_hole(c, c->snd_una, lost_edge, &st);
	if (len) {
		len = RTE_MIN(len, (uint32_t)c->mss);
		sb_rexmit(w, c, st, len);
		c->prr_out += len;
	}
	tcp_arm_rexmt_or_probe(w, c);
}

/* The probe timer (PTO, tcp_timer.c) fired with a hole at snd_una below
 * SACKed data: RACK-TLP's reordering timer (RFC 8985 §6.3) reduced to what
 * the scoreboard knows. Everything sent before the data SACKed since had
 * a PTO (>= 2*SRTT) to arrive, so the head's (re)transmission is lost:
 * enter recovery even below DupThresh (small flights, slow start after an
 * RTO), or in recovery start a new retransmission pass. Returns false when
 * there is no such hole (an ordinary tail loss probe follows). */
bool
tcp_sack_timeout(struct hare_worker *w, struct hare_tcp_conn *c)
{
	uint32_t st, len;

	if (!(c->opt & TO_SACK) || c->n_sack == 0 || !SEQ_LT(c->snd_una, c->sack[0][0]))
		return false;
	if (!(c->flags & TF_IN_RECOVERY)) {
		if (SEQ_LT(c->snd_una, c->recover) && c->recover != c->iss) {
			/* go-back-N after an RTO: resend the head only */
			len = RTE_MIN(c->sack[0][0] - c->snd_una, (uint32_t)c->mss);
			sb_rexmit(w, c, c->snd_una, len);
			return true;
		}
		sb_enter_recovery(w, c, c->sack[0][0]);
		return true;
	}
	if (!(c->flags & TF_SACK_RECOVERY))
		return false;
	w->stats.tcp_lost_retransmits++;
	c->flags &= ~TF_RXT_FENCE;
	len = sb_next_hole(c, c->snd_una, c->sack[0][0], &st);
	if (len == 0)
		return false;
	len = RTE_MIN(len, (uint32_t)c->mss);
	sb_rexmit(w, c, st, len);
	c->prr_out += len;
	return true;
}

/* One ACK's worth of RFC 6675 loss recovery. delivered = bytes newly
 * acknowledged or SACKed by this ACK (RFC 6937 DeliveredData). Enters
 * recovery when the head segment IsLost(), then sends what PRR allows:
 * lost holes first (NextSeg rule 1), then new data (rule 2), then other
 * holes (rule 3). */
void
tcp_sack_recovery(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t delivered)
{
	uint32_t lost_edge = sb_lost_edge(c), pipe, mss = c->mss, st, len;
	int32_t sndcnt;

	if (!(c->flags & TF_IN_RECOVERY)) {
		if (!SEQ_GT(lost_edge, c->snd_una) || c->snd_una == c->snd_max)
			return;
		/* RFC 6675 §5.1 / RFC 6582: not again until the previous
		 * recovery (or RTO go-back-N) is over */
		if (SEQ_LT(c->snd_una, c->recover) && c->recover != c->iss)
			return;
		sb_enter_recovery(w, c, lost_edge);
		return;
	}
	if (!(c->flags & TF_SACK_RECOVERY))
		return;

	/* lost retransmissions: data sent after the pass's fence is SACKed */
	if ((c->flags & TF_RXT_FENCE) && SEQ_GT(c->rxt_fence, c->snd_una) &&
	    sb_sacked_above(c, c->rxt_fence) > dupthresh_bytes(c) &&
	    sb_next_hole(c, c->snd_una, c->rxt_fence, &st) != 0) {
		w->stats.tcp_lost_retransmits++;
		c->rexmit_nxt = c->snd_una;
		c->flags &= ~TF_RXT_FENCE;
	}

	/* RFC 6937 PRR-SSRB: how much may go out on this ACK */
	c->prr_delivered += delivered;
	pipe = sb_pipe(c, lost_edge);
	if (pipe > c->ssthresh) {
		uint64_t want = ((uint64_t)c->prr_delivered * c->ssthresh + c->recover_fs - 1) /
				RTE_MAX(c->recover_fs, 1u);

		sndcnt = (int32_t)(want - c->prr_out);
	} else {
		int32_t lim = RTE_MAX((int32_t)(c->prr_delivered - c->prr_out), (int32_t)delivered) +
			      (int32_t)mss;

		sndcnt = RTE_MIN((int32_t)(c->ssthresh - pipe), lim);
	}
	if (sndcnt < 0)
		sndcnt = 0;
	c->cwnd = pipe + (uint32_t)sndcnt;

	while (sndcnt > 0 && !(c->flags & TF_DEAD)) {
		/* rule 1: a lost hole not yet retransmitted in this pass */
		len = sb_next_hole(c, c->rexmit_nxt, lost_edge, &st);
		if (len) {
			len = RTE_MIN(len, mss);
			c->flags &= ~TF_RXT_FENCE;
			sb_rexmit(w, c, st, len);
			if (c->rexmit_nxt != st + len)
				break; /* no mbuf */
			sndcnt -= (int32_t)len;
			c->prr_out += len;
			continue;
		}
		if (!(c->flags & TF_RXT_FENCE)) {
			c->flags |= TF_RXT_FENCE;
			c->rxt_fence = c->snd_max;
		}
		/* rule 2: new data, within the peer's window */
		if (c->snd_buffered > c->snd_max - c->snd_una && c->snd_nxt == c->snd_max) {
			uint32_t saved = c->cwnd, before = c->snd_max;

			c->cwnd = (c->snd_nxt - c->snd_una) + RTE_MAX((uint32_t)sndcnt, mss);
			tcp_output(w, c);
			c->cwnd = saved;
			if (c->snd_max != before) {
				c->prr_out += c->snd_max - before;
				sndcnt -= (int32_t)(c->snd_max - before);
				continue;
			}
			break; /* the peer's window is full */
		}
		/* rule 3: an unSACKed hole below the highest SACKed byte */
		if (c->n_sack == 0)
			break;
		len = sb_next_hole(c, c->rexmit_nxt, c->sack[c->n_sack - 1][0], &st);
		if (len == 0)
			break;
		len = RTE_MIN(len, mss);
		sb_rexmit(w, c, st, len);
		if (c->rexmit_nxt != st + len)
			break;
		sndcnt -= (int32_t)len;
		c->prr_out += len;
	}
}

/* RFC 6675 §5.1: after an RTO the scoreboard is kept, so go-back-N skips
 * SACKed data — unless this is a repeated timeout: then the peer may have
 * reneged (RFC 2018 §8) and everything is resent. */
void
tcp_sack_on_rto(struct hare_tcp_conn *c)
{
	if (c->rxt_shift > 0) {
		c->n_sack = 0;
		c->sacked = 0;
	}
	c->flags &= ~(TF_SACK_RECOVERY | TF_RXT_FENCE);
	c->rxt_high = c->snd_max;
	c->prior_cwnd = 0; /* an RTO is never undone here */
}
