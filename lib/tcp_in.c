/* tcp_in.c — segment input: RFC 9293 §3.10.7 "SEGMENT ARRIVES".
 *
 * Call chain:
 *   hare_ipv4_input_at() -> hare_tcp_input_lean() 32-byte headers (NOP,NOP,TS):
 *     -> tcp_pure_ack()                          the pure ACK of new data
 *     -> tcp_input_lean()                        other predicted segments
 *     -> hare_tcp_input()                        the rest
 *   hare_ipv4_input() -> hare_tcp_input()        header checks, checksum,
 *                                                options, flow lookup
 *     -> tcp_input_tw()                          TIME_WAIT entry (compact)
 *     -> tcp_input_listen()                      §3.10.7.2 LISTEN
 *     -> tcp_input_conn()
 *          -> header prediction (ESTABLISHED, in-order pure ACK / data)
 *          -> tcp_input_syn_sent()               §3.10.7.3 SYN-SENT
 *          -> tcp_slow_path()                    §3.10.7.4 steps 1..8
 *               -> tcp_ack()  -> cc ops, on_sent, FIN-acked transitions
 *               -> tcp_data() -> on_data / OOO queue
 *               -> tcp_fin()  -> on_data(NULL), state change
 *          -> tcp_output() (ACK now / data the ACK allowed) or delayed ACK
 *   Exits: drop (free), dropafterack (ACK then free), dropwithreset
 *   (RST per §3.10.7.1 then free). Connections that died during the event
 *   are freed by tcp_reap_zombies() at the end.
 */
#include <string.h>
#include "tcp_impl.h"
#include "ipv4.h"

enum { TCP_OPT_EOL = 0, TCP_OPT_NOP = 1, TCP_OPT_MSS = 2, TCP_OPT_WS = 3,
       TCP_OPT_SACK_PERM = 4, TCP_OPT_SACK = 5, TCP_OPT_TS = 8 };

/* ---- mbuf helpers (chains allowed) -------------------------------- */

static struct rte_mbuf *
m_trim_front(struct rte_mbuf *m, uint32_t n)
{
	if (likely(n < m->data_len || m->next == NULL)) {
		m->data_off = (uint16_t)(m->data_off + n);
		m->data_len = (uint16_t)(m->data_len - n);
		m->pkt_len -= n;
		return m;
	}
	while (n > 0 && n >= m->data_len && m->next) {
		struct rte_mbuf *nx = m->next;

		nx->pkt_len = m->pkt_len - m->data_len;
		nx->nb_segs = (uint16_t)(m->nb_segs - 1);
		n -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = nx;
	}
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	m->pkt_len -= n;
	return m;
}

static void
m_trim_tail(struct rte_mbuf *m, uint32_t n)
{
	uint32_t keep = m->pkt_len - n, acc = 0;
	struct rte_mbuf *s = m;
	uint16_t segs = 0;

	for (;;) {
		segs++;
		if (acc + s->data_len >= keep || s->next == NULL) {
			s->data_len = (uint16_t)(keep - acc);
			if (s->next) {
				rte_pktmbuf_free(s->next);
				s->next = NULL;
			}
			break;
		}
		acc += s->data_len;
		s = s->next;
	}
	m->nb_segs = segs;
	m->pkt_len = keep;
}

/* Software check over the whole chain (hare_raw_cksum_mbuf: DPDK 22.11's
 * chain sum mishandles odd-length segments). */
static inline bool
tcp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	/* pseudo-header from a few adds (hare_phdr_sum); the segment length
	 * is m's: IPv4 input trimmed m to the datagram's payload */
	const uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t sum;

	if (likely(m->next == NULL)) /* one segment: summed inline, one chain */
		return hare_l4_cksum_ok(ip->src_addr, ip->dst_addr, IPPROTO_TCP,
					rte_pktmbuf_mtod(m, const void *), (uint16_t)len);
	sum = (uint32_t)hare_phdr_sum(ip->src_addr, ip->dst_addr, IPPROTO_TCP, (uint16_t)len) +
	      hare_raw_cksum_mbuf(m, 0, len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* The NIC's verdict on the received segment's checksum: 1 verified, 0
 * bad, -1 none given (software then). Never trust an unverified
 * checksum; NONE (virtio/vhost: the peer left a partial checksum for
 * "hardware", the data itself is intact) counts as verified, as DPDK's
 * mbuf API defines it. */
static __rte_always_inline int
tcp_rx_cksum_nic(const struct hare_worker *w, const struct rte_mbuf *m)
{
	const uint64_t ck = (w->offloads & HARE_OFFLOAD_RX_CKSUM) ?
		(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) : 0;

	if (ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD || ck == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return 1;
	return ck == RTE_MBUF_F_RX_L4_CKSUM_BAD ? 0 : -1;
}

/* The checksum verdict: the NIC's (tcp_rx_cksum_nic), else software */
static __rte_always_inline bool
tcp_rx_cksum_good(const struct hare_worker *w, const struct rte_mbuf *m,
		  const struct rte_ipv4_hdr *ip)
{
	const int nic = tcp_rx_cksum_nic(w, m);

	return nic >= 0 ? nic : tcp_cksum_ok(m, ip);
}

/* The option block of a segment as Linux and hare send them after the
 * handshake: NOP, NOP, timestamps (RFC 7323 Appendix A layout). */
#define TCP_OPT_NOP_NOP_TS RTE_BE32(0x0101080au)
#define TCP_LEAN_HLEN (sizeof(struct rte_tcp_hdr) + 12)

/* tcp_sndq_drop from entry q on, which the stash's fast free refused:
 * q's bytes are already taken off bytes and snd_cur already compared
 * with it. q is freed the general way, then the remaining bytes (if any)
 * are dropped as tcp_sndq_drop does (snd_cur, read again there, is NULL
 * if it was q, else the entry it was). */
void
tcp_sndq_drop_slow(struct hare_worker *w, struct hare_tcp_conn *c, struct rte_mbuf *q,
		   uint32_t bytes)
{
	struct rte_mbuf *next = tcp_meta(w->tcp, q)->qnext;

	hare_stash_free_seg_slow(&w->stash, w->pool, q);
	c->sndq_head = next;
	if (bytes != 0)
		tcp_sndq_drop_tpl(w, c, bytes, false);
	else if (next == NULL)
		c->sndq_tail = NULL;
}

/* The software TCP checksum of a segment of any length, out of line: its
 * vector sum would make every caller realign its stack and save the
 * vector state (the pure ACK's constant length is summed inline). */
static __rte_noinline bool
tcp_rx_cksum_sw_ok(const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, uint32_t len)
{
	return hare_l4_cksum_ok(ip->src_addr, ip->dst_addr, IPPROTO_TCP, th, (uint16_t)len);
}

/* tcp_rx_cksum_good for a single-segment frame not yet stripped to its
 * TCP header th, len bytes of TCP segment (hare_tcp_input_lean) */
static __rte_always_inline bool
tcp_rx_cksum_good_seg(const struct hare_worker *w, const struct rte_mbuf *m,
		      const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, uint32_t len)
{
	const int nic = tcp_rx_cksum_nic(w, m);

	if (nic >= 0)
		return nic;
	/* the usual 32-byte pure ACK with its length a constant: the sum
	 * is four add-with-carry steps */
	if (len == TCP_LEAN_HLEN)
		return hare_l4_cksum_ok(ip->src_addr, ip->dst_addr, IPPROTO_TCP, th, TCP_LEAN_HLEN);
	return tcp_rx_cksum_sw_ok(ip, th, len);
}

/* A segment's flow hash: the NIC's RSS hash when the stack has its key
 * (hare_tcp_set_rss_key), else the stack's own. */
static __rte_always_inline uint32_t
tcp_seg_hash(const struct hare_tcp_ctx *x, const struct rte_mbuf *m, const struct tcp_tuple *t)
{
	if (x->rss_key && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH))
		return m->hash.rss;
	return tcp_flow_hash(x, t);
}

/* ---- option parsing ------------------------------------------------ */

/* The common SYN's 20 option bytes: MSS, SACK-permitted, timestamps,
 * NOP, window scale (Linux's layout, and hare's own), its fixed bytes
 * compared as two words: 02 04 m m | 04 02 08 0a | TSval | TSecr |
 * 01 03 03 ws. False (nothing set) for any other layout. */
static __rte_always_inline bool
tcp_parse_syn_common(struct tcp_seg *s, const uint8_t *o)
{
	uint64_t a;
	uint32_t b, v, e;

	memcpy(&a, o, 8);
	memcpy(&b, o + 16, 4);
	if ((a & 0xffffffff0000ffffull) != 0x0a08020400000402ull ||
	    (b & 0x00ffffffu) != 0x00030301u)
		return false;
	s->mss = (uint16_t)((o[2] << 8) | o[3]);
	s->has_mss = 1;
	s->sack_ok = 1;
	memcpy(&v, o + 8, 4); memcpy(&e, o + 12, 4);
	s->tsval = rte_be_to_cpu_32(v);
	s->tsecr = rte_be_to_cpu_32(e);
	s->has_ts = 1;
	s->ws = RTE_MIN(o[19], 14); /* RFC 7323 §2.3 */
	s->has_ws = 1;
	return true;
}

/* Every option layout (tcp_parse_options' cases past the first two). */
static __rte_noinline bool
tcp_parse_options_general(struct tcp_seg *s, const uint8_t *o, uint32_t len)
{
	bool syn = s->flags & TH_SYN;

	while (len > 0) {
		uint8_t kind = o[0], olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			o++; len--;
			continue;
		}
		if (len < 2)
			return false;
		olen = o[1];
		if (olen < 2 || olen > len)
			return false;
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen == 4 && syn) {
				s->mss = (uint16_t)((o[2] << 8) | o[3]);
				s->has_mss = 1;
			}
			break;
		case TCP_OPT_WS:
			if (olen == 3 && syn) {
				s->ws = RTE_MIN(o[2], 14); /* RFC 7323 §2.3 */
				s->has_ws = 1;
			}
			break;
		case TCP_OPT_SACK_PERM:
			if (olen == 2 && syn)
				s->sack_ok = 1;
			break;
		case TCP_OPT_TS:
			if (olen == 10) {
				uint32_t v, e;

				memcpy(&v, o + 2, 4); memcpy(&e, o + 6, 4);
				s->tsval = rte_be_to_cpu_32(v);
				s->tsecr = rte_be_to_cpu_32(e);
				s->has_ts = 1;
			}
			break;
		case TCP_OPT_SACK:
			if (olen >= 10 && (olen - 2) % 8 == 0 && !syn) {
				unsigned n = RTE_MIN((unsigned)(olen - 2) / 8, (unsigned)TCP_MAX_SACK);

				for (unsigned i = 0; i < n; i++) {
					uint32_t l, r;

					memcpy(&l, o + 2 + 8 * i, 4); memcpy(&r, o + 6 + 8 * i, 4);
					s->sack[i][0] = rte_be_to_cpu_32(l);
					s->sack[i][1] = rte_be_to_cpu_32(r);
				}
				s->n_sack = (uint8_t)n;
			}
			break;
		default:
			break;
		}
		o += olen;
		len -= olen;
	}
	return true;
}

/* Returns false for malformed options (lengths that lie). */
static inline bool
tcp_parse_options(struct tcp_seg *s, const uint8_t *o, uint32_t len)
{
	uint32_t w0;

	/* the common case: NOP NOP TS (RFC 7323 Appendix A layout), its
	 * first four bytes compared as one word */
	memcpy(&w0, o, 4); /* len >= 4: the data offset is in 32-bit words */
	if (likely(len == 12 && w0 == RTE_BE32(0x0101080au))) {
		uint32_t v, e;

		memcpy(&v, o + 4, 4); memcpy(&e, o + 8, 4);
		s->tsval = rte_be_to_cpu_32(v);
		s->tsecr = rte_be_to_cpu_32(e);
		s->has_ts = 1;
		return true;
	}
	/* the common SYN (tcp_parse_syn_common) */
	if (len == 20 && (s->flags & TH_SYN) && tcp_parse_syn_common(s, o))
		return true;
	return tcp_parse_options_general(s, o, len);
}

/* ---- shared pieces ------------------------------------------------- */

/* Free a received mbuf: into the worker's stash for the usual single
 * segment (an ACK), rte_pktmbuf_free() for chains. */
static inline void
tcp_free_seg_mbuf(struct hare_worker *w, struct tcp_seg *s)
{
	if (s->m) {
		if (likely(s->m->next == NULL))
			hare_free_seg(w, s->m); /* the usual single segment: to the stash */
		else
			rte_pktmbuf_free(s->m);
		s->m = NULL;
	}
}

/* Our window scale (RFC 7323 §2.3): the least shift that lets rcv_buf
 * be advertised; remembered per worker with the rcv_buf it was for. */
static uint8_t
tcp_pick_wscale(const struct hare_worker *w)
{
	struct hare_tcp_ctx *x = w->tcp;
	const uint32_t buf = w->cfg->tcp.rcv_buf;
	uint8_t ws = 0;

	if (likely(x->wscale_buf == buf))
		return x->wscale;
	while (ws < 14 && (buf >> ws) > 65535)
		ws++;
	x->wscale_buf = buf;
	x->wscale = ws;
	return ws;
}

/* Options of a SYN / SYN-ACK: what both sides agreed (RFC 7323 §1.3, RFC
 * 2018 §2, RFC 9293 §3.7.1 MSS clamped to our MTU). */
static __rte_always_inline void
tcp_syn_options(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s, bool active)
{
	const struct hare_tcp_cfg *tc = &w->cfg->tcp;
	uint16_t peer_mss = s->has_mss ? s->mss : TCP_DEFAULT_MSS;

	c->opt = 0;
	c->mss = RTE_MIN(peer_mss, tcp_mss_for(w));
	if (c->mss < 64)
		c->mss = 64; /* absurd MSS: floor it rather than send 1-byte segments */
	if (tc->wscale && s->has_ws) {
		c->opt |= TO_WS;
		c->snd_wscale = s->ws;
		if (!active)
			c->rcv_wscale = tcp_pick_wscale(w);
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (tc->timestamps && s->has_ts) {
		c->opt |= TO_TS;
		c->ts_recent = s->tsval;
		c->ts_recent_age = tcp_now(w);
		c->mss = (uint16_t)(c->mss - 12);
	}
	if (tc->sack && s->sack_ok)
		c->opt |= TO_SACK;
	c->rcv_mss = c->mss;
}

/* RFC 6298 §2: RTO from a new RTT sample r (ms). srtt is scaled by 8,
 * rttvar by 4 (Jacobson/Karels). */
static void
tcp_rtt_sample(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t r)
{
	const struct hare_tcp_cfg *tc = &w->cfg->tcp;
	uint32_t rto;

	if (r == 0)
		r = 1;
	if (c->srtt == 0) {
		c->srtt = r << 3;
		c->rttvar = r << 1;
	} else {
		int32_t delta = (int32_t)r - (int32_t)(c->srtt >> 3);

		c->srtt = (uint32_t)((int32_t)c->srtt + delta);
		if (delta < 0)
			delta = -delta;
		c->rttvar = (uint32_t)((int32_t)c->rttvar + delta - (int32_t)(c->rttvar >> 2));
	}
	rto = (c->srtt >> 3) + RTE_MAX(1u, c->rttvar);
	c->rto = RTE_MAX(RTE_MIN(rto, tc->rto_max_ms), tc->rto_min_ms);
}

/* Give in-order payload to the application. */
static void
tcp_deliver(struct hare_worker *w, struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	w->stats.tcp_rx_bytes += m->pkt_len;
	if (c->flags & TF_MANUAL_RECV)
		c->rcv_unread += m->pkt_len;
	if (!(c->flags & TF_ORPHAN) && c->ops && c->ops->on_data)
		c->ops->on_data(c, m);
	else
		rte_pktmbuf_free(m);
}

void
tcp_ooo_purge(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	struct rte_mbuf *m = c->ooo_head;

	while (m) {
		struct rte_mbuf *n = tcp_meta(x, m)->qnext;

		rte_pktmbuf_free(m);
		m = n;
	}
	c->ooo_head = NULL;
	c->ooo_count = 0;
}

/* Insert payload m (data already at the payload) at seq into the sorted
 * out-of-order queue, trimming overlaps. Consumes m. */
static void
tcp_ooo_insert(struct hare_worker *w, struct hare_tcp_conn *c, struct rte_mbuf *m, uint32_t seq)
{
	struct hare_tcp_ctx *x = w->tcp;
	struct rte_mbuf *prev = NULL, *cur = c->ooo_head;
	uint32_t len = m->pkt_len;

	/* The bytes are bounded by the window already (tcp_slow_path trims);
	 * the count bound is against tiny segments, and must not be below a
	 * window of rcv_mss-sized ones or a few losses in a full window
	 * force the peer to resend data we had (64 segments < 256 KiB). */
	if (c->ooo_count >= RTE_MAX(w->cfg->tcp.ooo_max_segs,
				    w->cfg->tcp.rcv_buf / RTE_MAX(c->rcv_mss, (uint16_t)536u) + 4) ||
	    x->mem_pressure > 1) {
		w->stats.tcp_drop_ooo++;
		rte_pktmbuf_free(m);
		return;
	}
	while (cur && SEQ_LT(tcp_meta(x, cur)->seq, seq)) {
		prev = cur;
		cur = tcp_meta(x, cur)->qnext;
	}
	if (prev) {
		uint32_t pend = tcp_meta(x, prev)->seq + tcp_meta(x, prev)->len;

		if (SEQ_GEQ(pend, seq + len)) {
			rte_pktmbuf_free(m); /* wholly duplicate */
			return;
		}
		if (SEQ_GT(pend, seq)) {
			m = m_trim_front(m, pend - seq);
			len -= pend - seq;
			seq = pend;
		}
	}
	while (cur) {
		struct tcp_mbuf_meta *cm = tcp_meta(x, cur);

		if (SEQ_GEQ(seq + len, cm->seq + cm->len)) {
			struct rte_mbuf *n = cm->qnext; /* new segment covers cur */

			rte_pktmbuf_free(cur);
			c->ooo_count--;
			cur = n;
			continue;
		}
		if (SEQ_GT(seq + len, cm->seq)) {
			m_trim_tail(m, seq + len - cm->seq);
			len = cm->seq - seq;
		}
		break;
	}
	tcp_meta(x, m)->seq = seq;
	tcp_meta(x, m)->len = len;
	tcp_meta(x, m)->qnext = cur;
	if (prev)
		tcp_meta(x, prev)->qnext = m;
	else
		c->ooo_head = m;
	c->ooo_count++;
	c->ooo_last = seq;
}

/* Move now-in-order data from the OOO queue to the application. */
static void
tcp_ooo_drain(struct hare_worker *w, struct hare_tcp_conn *c)
{
	struct hare_tcp_ctx *x = w->tcp;

	while (c->ooo_head && !(c->flags & TF_DEAD)) {
		struct rte_mbuf *m = c->ooo_head;
		struct tcp_mbuf_meta *mm = tcp_meta(x, m);
		uint32_t seq = mm->seq, len = mm->len;

		if (SEQ_GT(seq, c->rcv_nxt))
			break;
		c->ooo_head = mm->qnext;
		c->ooo_count--;
		if (SEQ_LEQ(seq + len, c->rcv_nxt)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (SEQ_LT(seq, c->rcv_nxt)) {
			m = m_trim_front(m, c->rcv_nxt - seq);
			len -= c->rcv_nxt - seq;
		}
		c->rcv_nxt += len;
		tcp_deliver(w, c, m);
	}
}

/* ---- FIN, ACK, data ------------------------------------------------ */

/* Eighth step: the peer's FIN is in order (rcv_nxt reached it). */
static void
tcp_fin(struct hare_worker *w, struct hare_tcp_conn *c)
{
	struct hare_tcp_ctx *x = w->tcp;

	if (c->flags & TF_RCVD_FIN) {
		c->flags |= TF_ACKNOW; /* retransmitted FIN */
		return;
	}
	c->rcv_nxt++;
	c->flags |= TF_RCVD_FIN | TF_ACKNOW;
	c->flags &= ~TF_OOO_FIN;
	switch (c->state) {
	case HARE_TCP_SYN_RCVD:
	case HARE_TCP_ESTABLISHED:
		c->state = HARE_TCP_CLOSE_WAIT;
		break;
	case HARE_TCP_FIN_WAIT_1:
		c->state = (c->flags & TF_FIN_ACKED) ? HARE_TCP_TIME_WAIT : HARE_TCP_CLOSING;
		break;
	case HARE_TCP_FIN_WAIT_2:
		c->state = HARE_TCP_TIME_WAIT;
		break;
	default:
		break;
	}
	/* end of stream to the app (it may shutdown/send from here) */
	if (!(c->flags & TF_ORPHAN) && c->ops && c->ops->on_data)
		c->ops->on_data(c, NULL);
	if (c->flags & TF_DEAD)
		return;
	if (c->state == HARE_TCP_TIME_WAIT) {
		tcp_send_ack(w, c);
		tcp_enter_time_wait(x, c);
	}
}

/* An RTT sample from an echoed TSval (RFC 7323 §4.1): now on our TSval
 * clock minus the echo; one from the future or 10 minutes old is none. */
static inline void
tcp_rtt_ts_sample(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t tsecr)
{
	uint32_t r = tcp_now(w) + c->ts_offset - tsecr;

	if ((int32_t)r >= 0 && r < 600000)
		tcp_rtt_sample(w, c, r);
}

/* The sample of a TSecr not seen before (tcp_ack_new: one per echoed
 * TSval), out of line: the ACKs of one flight echo the same value. */
static __rte_noinline void
tcp_rtt_new_echo(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t tsecr)
{
	c->rtt_ecr = tsecr;
	tcp_rtt_ts_sample(w, c, tsecr);
}

/* RFC 7323 §4.3: TS.Recent from an acceptable segment (PAWS passed) that
 * covers Last.ACK.sent. */
static __rte_always_inline void
tcp_ts_recent_take(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t tsval)
{
	if (SEQ_LEQ(seq, c->last_ack_sent)) {
		c->ts_recent = tsval;
		c->ts_recent_age = tcp_now(w);
	}
}

/* RFC 6298 §5.2/§5.3 after an ACK of new data: the timer off when all is
 * acknowledged (a persisting one stays), else restarted. The restart is
 * skipped when an ACK already restarted the plain timer (timer_plain: no
 * backoff, probe or recovery) in this millisecond with more than a
 * segment in flight: the deadline (ms resolution) would be the same. */
static __rte_always_inline void
tcp_ack_timer(struct hare_worker *w, struct hare_tcp_conn *c, bool timer_plain)
{
	if (c->snd_una == c->snd_max) {
		if (!(c->flags & TF_PERSIST))
			c->t_rexmt = 0;
	} else if (!(timer_plain && c->t_rexmt != 0 && c->rexmt_stamp == tcp_now(w) &&
		     c->snd_max - c->snd_una > c->mss)) {
		tcp_arm_rexmt_or_probe(w, c);
		c->rexmt_stamp = tcp_now(w);
	}
}

/* A new send window from the fast path (non-zero: no persist exit). */
static inline void
tcp_set_snd_wnd(struct hare_tcp_conn *c, uint32_t wnd)
{
	c->snd_wnd = wnd;
	if (wnd > c->max_sndwnd)
		c->max_sndwnd = wnd;
}

/* Fifth step for an ACK of new data (snd_una < ack <= snd_max), also the
 * fast path's pure ACK. Returns false if the connection is gone. */
static __rte_always_inline bool
tcp_ack_new(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s,
	    uint32_t sacked_before)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint32_t acked = s->ack - c->snd_una, data_acked, delivered = acked;
	bool fin_acked = false;
	/* the retransmission timer runs plainly: no backoff, probe or recovery */
	const bool timer_plain = c->rxt_shift == 0 &&
		!(c->flags & (TF_TLP_SENT | TF_IN_RECOVERY | TF_SACK_RECOVERY | TF_PERSIST));

	/* RTT: timestamps echo (RFC 7323 §4.1) else Karn-timed segment. One
	 * sample per echoed TSval: the ACKs of one flight echo the same
	 * value, and taking each would weigh one RTT many times over
	 * (RFC 7323 Appendix G); the first has the freshest measurement. */
	if ((c->opt & TO_TS) && s->has_ts && s->tsecr != 0) {
		if (s->tsecr != c->rtt_ecr)
			tcp_rtt_new_echo(w, c, s->tsecr);
	} else if ((c->flags & TF_RTT_TIMING) && SEQ_GT(s->ack, c->rtt_seq)) {
		c->flags &= ~TF_RTT_TIMING;
		tcp_rtt_sample(w, c, tcp_now(w) - c->rtt_start);
	}
	c->rxt_shift = 0;
	c->rec_probes = 0;
	c->flags &= ~TF_TLP_SENT;

	if ((c->flags & TF_FIN_SENT) && !(c->flags & TF_FIN_ACKED) && s->ack == c->snd_max &&
	    acked > c->snd_buffered) {
		fin_acked = true;
		c->flags |= TF_FIN_ACKED;
		acked--;
	}
	data_acked = RTE_MIN(acked, c->snd_buffered);
	if (data_acked)
		tcp_sndq_free_acked(w, c, data_acked);
	if (c->n_sack)
		tcp_sack_note_reordering(c, s->ack);
	c->snd_una = s->ack;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (c->n_sack || sacked_before) {
		tcp_sack_prune(c);
		/* RFC 6937 DeliveredData: delta(snd_una) + delta(SACKed) */
		delivered = (uint32_t)RTE_MAX((int64_t)acked + c->sacked - sacked_before, (int64_t)0);
	}

	if (c->flags & TF_IN_RECOVERY) {
		if (SEQ_GEQ(s->ack, c->recover)) {
			/* RFC 6582 §3.2 step 3 / RFC 6675: full acknowledgment */
			c->flags &= ~(TF_IN_RECOVERY | TF_SACK_RECOVERY | TF_RXT_FENCE);
			c->dupacks = 0;
			x->cc->on_recovery_end(c);
		} else if (c->flags & TF_SACK_RECOVERY) {
			tcp_sack_recovery(w, c, delivered);
		} else {
			/* NewReno partial acknowledgment: retransmit the next
			 * segment, deflate by the amount acked, add back one SMSS */
			tcp_retransmit_head(w, c);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked + c->mss : c->mss;
		}
	} else {
		c->dupacks = 0;
		if (likely(x->cc == &tcp_cc_newreno))
			tcp_newreno_on_ack(c, acked); /* the call, without the indirection */
		else
			x->cc->on_ack(c, acked);
		if (c->n_sack)
			tcp_sack_recovery(w, c, delivered); /* holes left: IsLost? */
	}

	tcp_ack_timer(w, c, timer_plain);

	if (data_acked && (c->flags & (TF_SENT_CB | TF_ORPHAN)) == TF_SENT_CB &&
	    c->state != HARE_TCP_SYN_RCVD) {
		c->ops->on_sent(c, data_acked);
		if (c->flags & TF_DEAD)
			return false;
	}
	if (fin_acked) {
		switch (c->state) {
		case HARE_TCP_FIN_WAIT_1:
			c->state = HARE_TCP_FIN_WAIT_2;
			if (c->flags & TF_ORPHAN)
				tcp_set_keep(w, c, w->cfg->tcp.fin_wait2_ms);
			break;
		case HARE_TCP_CLOSING:
			c->state = HARE_TCP_TIME_WAIT;
			tcp_enter_time_wait(x, c);
			return false;
		case HARE_TCP_LAST_ACK:
			tcp_conn_closed(x, c, HARE_TCP_CLOSE_NORMAL);
			return false;
		default:
			break;
		}
	}
	return true;
}

/* tcp_ack_new as a call: inlined only into the pure-ACK fast path, where
 * it is the whole work; elsewhere the call keeps the callers lean. */
static __rte_noinline bool
tcp_ack_new_outline(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s,
		    uint32_t sacked_before)
{
	return tcp_ack_new(w, c, s, sacked_before);
}

/* Fifth step, general: window update, duplicate ACKs, new data acked. */
static bool
tcp_ack(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint32_t wnd = s->wnd << c->snd_wscale, old_wnd = c->snd_wnd;
	bool wnd_changed = false, new_sack = false;
	uint32_t sacked_before = c->sacked;

	/* RFC 9293 §3.10.7.4: update the send window from newer segments */
	if (SEQ_LT(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, s->ack))) {
		wnd_changed = wnd != c->snd_wnd;
		c->snd_wnd = wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (wnd > c->max_sndwnd)
			c->max_sndwnd = wnd;
		if (wnd > 0 && (c->flags & TF_PERSIST)) {
			c->flags &= ~TF_PERSIST;
			c->t_rexmt = 0;
			c->rxt_shift = 0;
		}
	}
	if (c->opt & TO_SACK && s->n_sack)
		new_sack = tcp_sack_update(w, c, s);

	if (SEQ_LEQ(s->ack, c->snd_una)) {
		/* RFC 5681 §2 duplicate ACK, or RFC 6675 §2: an ACK with new SACK
		 * information (in a two-way transfer the peer's ACKs carry data
		 * and would never count as duplicates otherwise) */
		if (s->ack == c->snd_una && c->snd_max != c->snd_una &&
		    (new_sack || (s->len == 0 && !(s->flags & (TH_SYN | TH_FIN)) &&
				  wnd == old_wnd))) {
			w->stats.tcp_dup_acks++;
			if ((c->opt & TO_SACK) && (c->n_sack || (c->flags & TF_SACK_RECOVERY)) &&
			    !((c->flags & TF_IN_RECOVERY) && !(c->flags & TF_SACK_RECOVERY))) {
				/* RFC 6675: the scoreboard decides (entry, NextSeg);
				 * outside recovery SACKed bytes leave the flight, so
				 * tcp_output sends new data (RFC 3042's effect) */
				if (c->dupacks < TCP_DUPTHRESH)
					c->dupacks++;
				tcp_sack_recovery(w, c, c->sacked > sacked_before ?
							c->sacked - sacked_before : 0);
			} else if (c->flags & TF_IN_RECOVERY) {
				c->cwnd += c->mss; /* RFC 5681 §3.2 step 4 inflation */
				tcp_output(w, c);
			} else if (++c->dupacks == TCP_DUPTHRESH) {
				if (SEQ_GT(s->ack, c->recover) || c->recover == c->iss) {
					/* RFC 6582 §3.2 step 2: fast retransmit */
					w->stats.tcp_fast_retransmits++;
					x->cc->on_loss(c, false);
					c->recover = c->snd_max;
					c->flags |= TF_IN_RECOVERY;
					c->flags &= ~TF_RTT_TIMING;
					tcp_retransmit_head(w, c);
					tcp_arm_rexmt(w, c);
				}
			} else if (c->dupacks < TCP_DUPTHRESH) {
				/* RFC 3042 limited transmit: one new segment per dup ACK */
				uint32_t saved = c->cwnd;

				c->cwnd = RTE_MAX(c->cwnd, c->snd_max - c->snd_una + c->mss);
				tcp_output(w, c);
				c->cwnd = saved;
			}
		} else if (s->ack == c->snd_una && !(c->flags & TF_IN_RECOVERY)) {
			c->dupacks = 0;
		}
		if (wnd_changed)
			tcp_output(w, c);
		return !(c->flags & TF_DEAD);
	}
	if (!tcp_ack_new_outline(w, c, s, sacked_before))
		return false;
	return true;
}

/* Seventh step: payload (already trimmed to the window, seq >= rcv_nxt). */
static __rte_always_inline void
tcp_data(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	struct rte_mbuf *m = m_trim_front(s->m, s->hlen);

	s->m = NULL;
	if (s->seq == c->rcv_nxt) {
		bool had_ooo = c->ooo_head != NULL;

		c->rcv_nxt += s->len;
		/* The ACK owed is noted before the app sees the data: a reply
		 * it sends from on_data carries the ACK and clears the note,
		 * so no delayed-ACK timer is armed for a request answered at
		 * once (RFC 9293 §3.8.6.3: the ACK piggybacks). */
		if (!had_ooo) {
			if (c->rcv_nxt - c->last_ack_sent >= 2u * c->rcv_mss)
				/* every second full-sized segment, at the end
				 * of the RX burst: see tcp_finish */
				c->flags |= TF_ACK_2SEG;
			else
				c->flags |= TF_DELACK;
		}
		tcp_deliver(w, c, m);
		if (had_ooo) {
			tcp_ooo_drain(w, c);
			c->flags |= TF_ACKNOW; /* RFC 5681 §4.2: a hole filled */
		}
		if (s->len > c->rcv_mss)
			c->rcv_mss = (uint16_t)RTE_MIN(s->len, 65535u);
	} else {
		w->stats.tcp_ooo_segments++;
		tcp_ooo_insert(w, c, m, s->seq);
		c->flags |= TF_ACKNOW; /* immediate duplicate ACK with SACK */
	}
}

/* A closing connection with nothing for the output pass: the FIN out at
 * snd_max (sent, perhaps acknowledged) after every queued byte, no ACK
 * owed (with ACK_2SEG the pass would send that ACK). The pass would find
 * no data, no FIN and no ACK to send. */
static __rte_always_inline bool
tcp_fin_idle(const struct hare_tcp_conn *c)
{
	return (c->flags & (TF_FIN_SENT | TF_ACKNOW | TF_WND_UPDATE | TF_ACK_2SEG)) == TF_FIN_SENT &&
	       c->snd_nxt == c->snd_max &&
	       c->snd_buffered == c->snd_nxt - c->snd_una - !(c->flags & TF_FIN_ACKED);
}

/* Tail of every event on a live connection: ACK now, or arm delayed ACK,
 * and send whatever the windows now allow. */
static __rte_always_inline void
tcp_finish(struct hare_worker *w, struct hare_tcp_conn *c)
{
	if (c->flags & TF_DEAD)
		return;
	/* An ACK owed only for two full segments waits for the end of the RX
	 * burst (hare_tcp_rx_burst_end): a burst of in-order segments then
	 * gets one ACK, as Linux's GRO gives one per aggregate, and a reply
	 * the app sends meanwhile carries it. Every other reason (a hole, a
	 * duplicate, a FIN) still ACKs at once: the sender counts those. */
	if ((c->flags & (TF_ACK_2SEG | TF_ACKNOW | TF_ACK_QUEUED)) == TF_ACK_2SEG) {
		struct hare_tcp_ctx *x = w->tcp;

		if (w->tcp_acks_owed < TCP_ACKQ_MAX) {
			x->ackq[w->tcp_acks_owed++] = tcp_conn_idx(x, c);
			c->flags |= TF_ACK_QUEUED;
		} else {
			c->flags |= TF_ACKNOW;
		}
	}
	/* skip the output pass when it has nothing to do (the common
	 * in-order data segment whose ACK is delayed) */
	if ((c->flags & (TF_ACKNOW | TF_WND_UPDATE | TF_FIN_QUEUED)) ||
	    c->snd_buffered != c->snd_nxt - c->snd_una) {
		/* ESTABLISHED, every queued byte sent, no FIN to send: the
		 * output pass would find nothing but the ACK (no persist
		 * either: all data is in flight), so send just that */
		if (c->state == HARE_TCP_ESTABLISHED && !(c->flags & TF_FIN_QUEUED) &&
		    c->snd_nxt == c->snd_max && c->snd_buffered == c->snd_nxt - c->snd_una)
			tcp_send_ack(w, c);
		else if (!tcp_fin_idle(c))
			tcp_output(w, c);
	}
	if ((c->flags & TF_DELACK) && !(c->flags & TF_DEAD))
		tcp_arm_delack(w, c);
}

/* ---- the states ---------------------------------------------------- */

/* Passive open completed (SYN_RCVD -> ESTABLISHED). False if refused. */
static bool
tcp_established_passive(struct hare_worker *w, struct hare_tcp_conn *c)
{
	struct hare_tcp_ctx *x = w->tcp;

	c->state = HARE_TCP_ESTABLISHED;
	w->stats.tcp_conn_opened++;
	if (w->cfg->tcp.keepalive_idle_ms)
		tcp_set_keep(w, c, w->cfg->tcp.keepalive_idle_ms);
	if (c->flags & TF_FIN_QUEUED)
		c->state = HARE_TCP_FIN_WAIT_1; /* shutdown while in SYN_RCVD */
	if (c->ops && (c->ops->flags & HARE_TCP_OPS_MANUAL_RECV))
		c->flags |= TF_MANUAL_RECV;
	if (c->flags & TF_ACTIVE) {
		if (c->ops && c->ops->on_connected)
			c->ops->on_connected(c);
		return !(c->flags & TF_DEAD);
	}
	if (x->listeners[c->lidx].pending > 0)
		x->listeners[c->lidx].pending--;
	c->flags |= TF_ACCEPTED;
	if (c->ops && c->ops->on_accept && c->ops->on_accept(c, c->ctx) < 0) {
		if (!(c->flags & TF_DEAD)) {
			c->flags |= TF_ORPHAN;
			tcp_send_rst_conn(w, c);
			tcp_conn_release(x, c);
		}
		return false;
	}
	return !(c->flags & TF_DEAD);
}

/* SYN-RECEIVED, fifth step, an acceptable ACK of our SYN (the caller
 * checked SND.UNA < SEG.ACK =< SND.NXT): RTT from the echoed timestamp,
 * the send window from this segment, ESTABLISHED (the app's accept), SYN
 * data made deliverable. False when the connection is gone (refused). */
static bool
tcp_synrcvd_ack(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s)
{
	if ((c->opt & TO_TS) && s->has_ts && s->tsecr != 0)
		tcp_rtt_ts_sample(w, c, s->tsecr);
	c->snd_una = c->iss + 1;
	c->snd_wnd = s->wnd << c->snd_wscale;
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->rxt_shift = 0;
	c->t_rexmt = 0;
	if (!tcp_established_passive(w, c))
		return false;
	/* SYN data parked in the OOO queue is now deliverable */
	if (c->ooo_head) {
		tcp_ooo_drain(w, c);
		c->flags |= TF_ACKNOW;
		if (c->flags & TF_DEAD)
			return false;
	}
	return true;
}

static void tcp_slow_path_ack(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s);

/* §3.10.7.4 for synchronized states and SYN-RECEIVED. */
static void
tcp_slow_path(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint32_t rcv_wnd, seglen;
	bool acceptable;

	/* SYN-RECEIVED: a retransmitted SYN gets the SYN-ACK again */
	if (c->state == HARE_TCP_SYN_RCVD && (s->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    s->seq == c->irs) {
		w->stats.tcp_retransmits++;
		tcp_xmit(w, c, c->iss, 0, TH_SYN | TH_ACK);
		goto drop;
	}

	/* RFC 7323 §5.3 R1: PAWS */
	if ((c->opt & TO_TS) && s->has_ts && !(s->flags & TH_RST) && SEQ_LT(s->tsval, c->ts_recent)) {
		if (tcp_now(w) - c->ts_recent_age > TCP_PAWS_IDLE_MS) {
			c->ts_recent = s->tsval; /* R1 exception: idle > 24 days */
		} else {
			w->stats.tcp_paws_drops++;
			goto dropafterack;
		}
	}

	/* first, check sequence number (§3.10.7.4 table) */
	rcv_wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	seglen = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
	if (seglen == 0)
		acceptable = rcv_wnd == 0 ? s->seq == c->rcv_nxt :
			     SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LT(s->seq, c->rcv_nxt + rcv_wnd);
	else
		acceptable = rcv_wnd != 0 &&
			     ((SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LT(s->seq, c->rcv_nxt + rcv_wnd)) ||
			      (SEQ_GEQ(s->seq + seglen - 1, c->rcv_nxt) &&
			       SEQ_LT(s->seq + seglen - 1, c->rcv_nxt + rcv_wnd)));
	if (!acceptable && rcv_wnd == 0 && s->seq == c->rcv_nxt) {
		/* zero window: still take ACK/RST (§3.10.7.4), drop the text */
		s->len = 0;
		s->flags &= (uint8_t)~TH_FIN;
		c->flags |= TF_ACKNOW;
		acceptable = true;
	}
	if (!acceptable) {
		if (s->flags & TH_RST)
			goto drop;
		w->stats.tcp_drop_out_of_window++;
		if (s->flags & TH_SYN) {
			/* RFC 5961 §4.2: any SYN, whatever its sequence number */
			tcp_send_challenge_ack(w, c);
			goto drop;
		}
		goto dropafterack;
	}
	/* trim to the window: old bytes in front, bytes beyond the edge */
	if (SEQ_LT(s->seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - s->seq;

		if (s->flags & TH_SYN) {
			s->flags &= (uint8_t)~TH_SYN;
			s->seq++;
			d--;
		}
		if (d >= s->len) {
			if (d > s->len)
				s->flags &= (uint8_t)~TH_FIN; /* FIN already seen */
			d = s->len;
		}
		if (d) {
			/* drop the header together with the old bytes */
			s->m = m_trim_front(s->m, s->hlen + d);
			s->hlen = 0;
		}
		s->seq += d;
		s->len -= d;
		c->flags |= TF_ACKNOW; /* duplicate data: ACK at once */
	}
	if (SEQ_GT(s->seq + s->len, c->rcv_nxt + rcv_wnd)) {
		uint32_t excess = s->seq + s->len - (c->rcv_nxt + rcv_wnd);

		if (excess > s->len)
			excess = s->len;
		m_trim_tail(s->m, excess);
		s->len -= excess;
		s->flags &= (uint8_t)~TH_FIN;
		c->flags |= TF_ACKNOW;
	}

	/* second, check the RST bit (RFC 5961 §3.2) */
	if (s->flags & TH_RST) {
		if (s->seq != c->rcv_nxt) {
			tcp_send_challenge_ack(w, c);
			goto drop;
		}
		w->stats.tcp_rst_rx++;
		if (c->state == HARE_TCP_SYN_RCVD && !(c->flags & TF_ACTIVE)) {
			/* passive open: back to LISTEN = forget the conn */
			tcp_conn_closed(x, c, HARE_TCP_CLOSE_RESET);
			goto drop;
		}
		tcp_conn_closed(x, c, c->state == HARE_TCP_SYN_RCVD ? HARE_TCP_CLOSE_REFUSED
								      : HARE_TCP_CLOSE_RESET);
		goto drop;
	}

	/* third, security/compartment: not implemented (no IP security labels) */

	/* fourth, SYN in a synchronized state: RFC 5961 §4 challenge ACK */
	if (s->flags & TH_SYN) {
		tcp_send_challenge_ack(w, c);
		goto drop;
	}

	/* fifth, the ACK field */
	if (!(s->flags & TH_ACK))
		goto drop;
	if (c->state == HARE_TCP_SYN_RCVD) {
		if (!(SEQ_GT(s->ack, c->snd_una) && SEQ_LEQ(s->ack, c->snd_max)))
			goto dropwithreset;
		if (!tcp_synrcvd_ack(w, c, s))
			goto drop;
	}
	tcp_slow_path_ack(w, c, s);
	return;

dropafterack:
	if (!(s->flags & TH_RST)) {
		c->flags |= TF_ACKNOW;
		tcp_output(w, c);
	}
drop:
	tcp_free_seg_mbuf(w, s);
	return;
dropwithreset:
	tcp_reset_reply(w, s);
	tcp_free_seg_mbuf(w, s);
}

/* §3.10.7.4 from the fifth step's general checks on: the ACK, the text,
 * the FIN, then the answer (tcp_slow_path's rest, for a segment that
 * passed the first four steps and, in SYN-RECEIVED, tcp_synrcvd_ack). */
static void
tcp_slow_path_ack(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	struct hare_tcp_ctx *x = w->tcp;

	/* RFC 5961 §5.2: acceptable ACK range */
	if (SEQ_GT(s->ack, c->snd_max) ||
	    SEQ_LT(s->ack, c->snd_una - RTE_MAX(c->max_sndwnd, (uint32_t)c->mss))) {
		tcp_send_challenge_ack(w, c);
		goto drop;
	}
	if (!tcp_ack(w, c, s))
		goto drop;

	/* RFC 7323 §4.3: remember TSval when the segment covers Last.ACK.sent */
	if ((c->opt & TO_TS) && s->has_ts && SEQ_GEQ(s->tsval, c->ts_recent))
		tcp_ts_recent_take(w, c, s->seq, s->tsval);

	/* sixth, URG: urgent data is delivered inline as ordinary bytes */

	/* seventh, segment text */
	if (s->len > 0) {
		switch (c->state) {
		case HARE_TCP_ESTABLISHED:
		case HARE_TCP_FIN_WAIT_1:
		case HARE_TCP_FIN_WAIT_2:
			if (c->flags & TF_ORPHAN) {
				/* data after close(): RFC 9293 §3.10.4 / Linux: RST */
				tcp_send_rst_conn(w, c);
				tcp_conn_closed(x, c, HARE_TCP_CLOSE_RESET);
				goto drop;
			}
			tcp_data(w, c, s);
			if (c->flags & TF_DEAD)
				goto drop;
			break;
		default:
			break; /* after the peer's FIN: ignore */
		}
	}

	/* eighth, FIN */
	if (s->flags & TH_FIN) {
		uint32_t fin_seq = s->seq + s->len;

		if (fin_seq == c->rcv_nxt || (c->flags & TF_RCVD_FIN)) {
			tcp_fin(w, c);
		} else if (SEQ_GT(fin_seq, c->rcv_nxt)) {
			c->flags |= TF_OOO_FIN;
			c->ooo_fin = fin_seq;
		}
	}
	if (!(c->flags & TF_DEAD) && (c->flags & TF_OOO_FIN) && c->ooo_fin == c->rcv_nxt)
		tcp_fin(w, c);
	tcp_free_seg_mbuf(w, s);
	tcp_finish(w, c);
	return;
drop:
	tcp_free_seg_mbuf(w, s);
}

/* §3.10.7.3 SYN-SENT. */
static void
tcp_input_syn_sent(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	struct hare_tcp_ctx *x = w->tcp;

	/* first, the ACK bit */
	if ((s->flags & TH_ACK) && (SEQ_LEQ(s->ack, c->iss) || SEQ_GT(s->ack, c->snd_max))) {
		if (!(s->flags & TH_RST))
			tcp_reset_reply(w, s);
		goto drop;
	}
	/* second, the RST bit */
	if (s->flags & TH_RST) {
		if (s->flags & TH_ACK) {
			w->stats.tcp_rst_rx++;
			tcp_conn_closed(x, c, HARE_TCP_CLOSE_REFUSED);
		}
		goto drop;
	}
	/* fourth, the SYN bit */
	if (!(s->flags & TH_SYN))
		goto drop;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->last_ack_sent = c->rcv_nxt;
	c->rcv_adv = c->rcv_nxt;
	tcp_syn_options(w, c, s, true);
	x->cc->init(c);
	if (s->flags & TH_ACK) {
		if ((c->opt & TO_TS) && s->tsecr != 0)
			tcp_rtt_ts_sample(w, c, s->tsecr);
		c->snd_una = s->ack;
		c->snd_wnd = s->wnd; /* SYN segments' windows are never scaled */
		c->max_sndwnd = c->snd_wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		c->rxt_shift = 0;
		c->t_rexmt = 0;
		c->state = HARE_TCP_ESTABLISHED;
		w->stats.tcp_conn_opened++;
		c->flags |= TF_ACKNOW;
		if (w->cfg->tcp.keepalive_idle_ms)
			tcp_set_keep(w, c, w->cfg->tcp.keepalive_idle_ms);
		if (c->ops && (c->ops->flags & HARE_TCP_OPS_MANUAL_RECV))
			c->flags |= TF_MANUAL_RECV;
		if (c->ops && c->ops->on_connected)
			c->ops->on_connected(c);
		if (c->flags & TF_DEAD)
			goto drop;
		/* data or FIN on the SYN-ACK: continue at the sixth step */
		if (s->len > 0) {
			s->seq++;
			s->flags &= (uint8_t)~TH_SYN;
			if (s->len <= c->rcv_adv - c->rcv_nxt || c->rcv_adv == c->rcv_nxt)
				tcp_data(w, c, s);
			if (c->flags & TF_DEAD)
				goto drop;
		}
		if ((s->flags & TH_FIN) && s->seq + s->len == c->rcv_nxt)
			tcp_fin(w, c);
		tcp_free_seg_mbuf(w, s);
		tcp_finish(w, c);
		return;
	}
	/* simultaneous open (§3.10.7.3 fourth, "Otherwise, enter SYN-RECEIVED") */
	c->state = HARE_TCP_SYN_RCVD;
	c->snd_wnd = s->wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = c->iss;
	tcp_xmit(w, c, c->iss, 0, TH_SYN | TH_ACK);
	tcp_arm_rexmt(w, c);
drop:
	tcp_free_seg_mbuf(w, s);
}

/* §3.10.7.2 LISTEN: a SYN creates a connection in SYN-RECEIVED. */
static void
tcp_input_listen(struct hare_worker *w, int li, struct tcp_seg *s)
{
	struct hare_tcp_ctx *x = w->tcp;
	struct tcp_listener *l = &x->listeners[li];
	struct hare_tcp_conn *c;

	if (s->flags & TH_RST)
		goto drop;
	if (s->flags & TH_ACK) {
		tcp_reset_reply(w, s);
		goto drop;
	}
	if (!(s->flags & TH_SYN))
		goto drop;
	if (l->pending >= l->backlog) {
		w->stats.tcp_drop_backlog++;
		goto drop; /* silent: the peer retries the SYN */
	}
	c = tcp_conn_alloc(x, &s->t, s->hash);
	if (c == NULL) {
		w->stats.tcp_drop_no_conn++;
		goto drop;
	}
	l->pending++;
	c->lidx = (uint16_t)li;
	tcp_set_ops(c, l->ops);
	c->ctx = l->ctx;
	c->state = HARE_TCP_SYN_RCVD;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	tcp_syn_options(w, c, s, false);
	c->snd_wnd = s->wnd;
	c->max_sndwnd = s->wnd;
	c->snd_wl1 = s->seq;
	if (likely(x->cc == &tcp_cc_newreno))
		tcp_newreno_init(c); /* the call, without the indirection */
	else
		x->cc->init(c);
	if (s->len > 0) {
		/* SYN with data (RFC 9293 §3.10.7.2): queue it for delivery
		 * after the handshake; our SYN-ACK does not acknowledge it */
		struct rte_mbuf *m = m_trim_front(s->m, s->hlen);
		uint32_t maxlen = w->cfg->tcp.rcv_buf;

		s->m = NULL;
		if (m->pkt_len > maxlen)
			m_trim_tail(m, m->pkt_len - maxlen);
		c->flags |= TF_SYN_DATA;
		tcp_ooo_insert(w, c, m, s->seq + 1);
		if (s->flags & TH_FIN) {
			c->flags |= TF_OOO_FIN;
			c->ooo_fin = s->seq + 1 + s->len;
		}
	}
	if (tcp_xmit(w, c, c->iss, 0, TH_SYN | TH_ACK) == 0) {
		/* a SYN-ACK acknowledges only the SYN */
	}
	c->snd_nxt = c->snd_max = c->iss + 1;
	tcp_arm_rexmt_synack(w, c);
drop:
	tcp_free_seg_mbuf(w, s);
}

/* TIME-WAIT (§3.10.7.4 and RFC 6191 for a new SYN). Returns true if the
 * segment was a valid new SYN and the entry is gone (caller re-dispatches). */
static bool
tcp_input_tw(struct hare_worker *w, uint32_t idx, struct tcp_seg *s)
{
	struct hare_tcp_ctx *x = w->tcp;
	struct tcp_tw *tw = &x->tw[idx];
	uint32_t ts[2];

	if (s->flags & TH_RST)
		return false; /* RFC 1337: ignore RST in TIME-WAIT */
	if ((s->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		/* RFC 6191: reuse if the SYN is newer (timestamp or sequence) */
		if ((tw->has_ts && s->has_ts) ? SEQ_GT(s->tsval, tw->ts_recent)
					      : SEQ_GT(s->seq, tw->rcv_nxt)) {
			tcp_tw_remove(x, idx);
			return true;
		}
	}
	if ((s->flags & TH_FIN) || s->len > 0 || (s->flags & TH_SYN)) {
		if (s->flags & TH_FIN) {
			tw->expire = tcp_now(w) + w->cfg->tcp.time_wait_ms;
			tw->refreshed = 1;
		}
		ts[0] = tcp_now(w) + tw->ts_offset;
		ts[1] = s->has_ts ? s->tsval : tw->ts_recent;
		tcp_respond(w, &tw->t, tw->snd_nxt, tw->rcv_nxt, TH_ACK, tw->wnd,
			    tw->has_ts ? ts : NULL);
	}
	return false;
}

/* The predicted pure ACK for new data (snd_una < ack <= snd_max), shared
 * by tcp_input_conn's header prediction and hare_tcp_input's lean path:
 * the caller has checked every prediction condition. */
/* What every segment header prediction takes records: TS.Recent (RFC 7323
 * §4.3, ts_upd: at the left edge) and the send window with snd_wl1/wl2
 * (RFC 9293 §3.10.7.4: seq == rcv_nxt >= snd_wl1, so the update applies;
 * the window is non-zero, so no persist exit). */
static __rte_always_inline void
tcp_fast_accept(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s,
		uint32_t wnd, bool ts_upd)
{
	if (ts_upd) {
		c->ts_recent = s->tsval;
		c->ts_recent_age = tcp_now(w);
	}
	if (unlikely(wnd != c->snd_wnd))
		tcp_set_snd_wnd(c, wnd);
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
}

static __rte_always_inline void
tcp_fast_pure_ack(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s,
		  uint32_t wnd, bool ts_upd)
{
	tcp_fast_accept(w, c, s, wnd, ts_upd);
	tcp_free_seg_mbuf(w, s);
	if (tcp_ack_new(w, c, s, c->sacked) && c->snd_buffered > c->snd_nxt - c->snd_una)
		tcp_output(w, c);
}

/* Any segment proves the peer alive: push the keepalive deadline (lazy). */
static inline void
tcp_keepalive_touch(struct hare_worker *w, struct hare_tcp_conn *c)
{
	if (unlikely(w->cfg->tcp.keepalive_idle_ms != 0) && c->state >= HARE_TCP_ESTABLISHED) {
		c->ka_probes = 0;
		if (c->state == HARE_TCP_ESTABLISHED || c->state == HARE_TCP_CLOSE_WAIT)
			tcp_set_keep(w, c, w->cfg->tcp.keepalive_idle_ms);
	}
}

/* Connection flags with which a pure ACK of new data needs more than
 * tcp_pure_ack does (tcp_ack_new then): loss recovery (RFC 6582, RFC
 * 6675), the persist timer (RFC 9293 §3.8.6.1), a tail loss probe out
 * (RFC 8985 §7), a FIN sent (its ACK moves the state), an orphan. */
#define TF_PURE_ACK_OFF (TF_IN_RECOVERY | TF_SACK_RECOVERY | TF_PERSIST | TF_TLP_SENT | \
			 TF_FIN_SENT | TF_ORPHAN)

/* What may follow a pure ACK (tcp_ack_new's on_sent, then
 * tcp_fast_pure_ack's output of what the ACK let out), out of line: the
 * app and tcp_output may close connections, so as one event. */
static __rte_noinline void
tcp_pure_ack_tail(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t acked)
{
	struct hare_tcp_ctx *x = w->tcp;

	x->in_event = 1;
	if (c->flags & TF_SENT_CB)
		c->ops->on_sent(c, acked);
	if (!(c->flags & TF_DEAD) && c->snd_buffered > c->snd_nxt - c->snd_una)
		tcp_output(w, c);
	x->in_event = 0;
	if (unlikely(x->zombies != TCP_NONE))
		tcp_reap_zombies(x);
}

/* Whether an ACK of new data (0 < acked <= snd_max - snd_una, on a
 * connection header prediction takes) needs no more of tcp_ack_new than
 * tcp_ack_plain does: no backoff to reset, no SACK scoreboard, nothing of
 * TF_PURE_ACK_OFF, timestamps echoed (TSecr 0 goes to tcp_ack_new's
 * Karn timing), NewReno. */
static __rte_always_inline bool
tcp_ack_plain_ok(const struct hare_worker *w, const struct hare_tcp_conn *c, uint32_t tsecr)
{
	return !(c->flags & TF_PURE_ACK_OFF) && (c->opt & TO_TS) && tsecr != 0 &&
	       c->rxt_shift == 0 && c->n_sack == 0 && w->tcp->cc == &tcp_cc_newreno;
}

/* tcp_ack_new's steps for such an ACK (tcp_ack_plain_ok), the others
 * being no-ops then (FIN acked, SACK scoreboard, recovery, backoff
 * reset); on_sent and output are the caller's. The send queue is freed
 * after the congestion and timer steps, which do not read it (fewer
 * values live across its loop). */
static __rte_always_inline void
tcp_ack_plain(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t ack, uint32_t acked,
	      uint32_t tsecr)
{
	if (unlikely(tsecr != c->rtt_ecr))
		tcp_rtt_new_echo(w, c, tsecr);
	c->rec_probes = 0;
	c->snd_una = ack;
	c->dupacks = 0;
	tcp_newreno_on_ack(c, acked);
	tcp_ack_timer(w, c, true); /* TF_PERSIST is among TF_PURE_ACK_OFF */
	tcp_sndq_free_acked(w, c, acked);
}

/* The pure ACK for outstanding data, the commonest segment a sender gets
 * (FreeBSD tcp_input's header prediction, "pure ACK for outstanding
 * data"): ESTABLISHED, the segment in sequence with no payload, no FIN
 * and the NOP,NOP,TS option (th's 32-byte header, checked by the caller),
 * acknowledging new data (snd_una < ack <= snd_max), window non-zero,
 * TSval not old (RFC 7323 §5.3 PAWS), nothing retransmitted, probed or
 * SACKed, no recovery, FIN sent or persist (TF_PURE_ACK_OFF), NewReno,
 * no keepalive. It does exactly what tcp_input_conn -> tcp_fast_pure_ack
 * -> tcp_ack_new do in that case, straight from the header without a
 * struct tcp_seg; the steps the case makes no-ops are
 * left out (FIN acked, SACK scoreboard, recovery, backoff reset). False,
 * having changed nothing, for any other segment. */
static __rte_always_inline bool
tcp_pure_ack(struct hare_worker *w, struct hare_tcp_conn *c, struct rte_mbuf *m,
	     const struct rte_tcp_hdr *th)
{
	const uint8_t *o = (const uint8_t *)(th + 1);
	const uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	const uint32_t ack = rte_be_to_cpu_32(th->recv_ack);
	const uint32_t acked = ack - c->snd_una;
	uint32_t v, e, tsval, tsecr, wnd;

	memcpy(&v, o + 4, 4);
	memcpy(&e, o + 8, 4);
	tsval = rte_be_to_cpu_32(v);
	tsecr = rte_be_to_cpu_32(e);
	/* 0 < acked <= snd_max - snd_una: new data, none beyond snd_max. With
	 * no FIN sent every such byte is in the send queue (snd_buffered).
	 * rxt_shift and n_sack zero: no backoff to reset, no scoreboard;
	 * TSecr 0 (no echo) goes to tcp_ack_new's Karn timing. */
	if (!(c->state == HARE_TCP_ESTABLISHED && !(th->tcp_flags & TH_FIN) && seq == c->rcv_nxt &&
	      /* window non-zero: the field's test (the shift is at most
	       * 14, RFC 7323 §2.3); the scaled value is computed later,
	       * one value fewer live across these tests */
	      c->snd_nxt == c->snd_max && acked - 1 < c->snd_max - c->snd_una && th->rx_win != 0 &&
	      SEQ_GEQ(tsval, c->ts_recent) && tcp_ack_plain_ok(w, c, tsecr) &&
	      w->cfg->tcp.keepalive_idle_ms == 0))
		return false;
	w->stats.tcp_rx_segments++;
	/* tcp_fast_accept: TS.Recent at the left edge (RFC 7323 §4.3), the
	 * send window (RFC 9293 §3.10.7.4: seq == rcv_nxt >= snd_wl1) */
	tcp_ts_recent_take(w, c, seq, tsval);
	/* read again here (volatile: the compiler would keep the first
	 * read live in a stack slot across the tests above) */
	wnd = (uint32_t)rte_be_to_cpu_16(*(const volatile uint16_t *)&th->rx_win) << c->snd_wscale;
	if (unlikely(wnd != c->snd_wnd))
		tcp_set_snd_wnd(c, wnd);
	c->snd_wl1 = seq;
	c->snd_wl2 = ack;
	/* tcp_free_seg_mbuf: the stash for one segment, a chain (of empty
	 * segments past the first: pkt_len == data_len) whole */
	if (unlikely(!hare_stash_free_fast(&w->stash, w->pool, m))) {
		if (m->next == NULL)
			hare_stash_free_seg_slow(&w->stash, w->pool, m);
		else
			rte_pktmbuf_free(m);
	}
	tcp_ack_plain(w, c, ack, acked, tsecr);
	if (unlikely(c->flags & TF_SENT_CB) || c->snd_buffered > c->snd_nxt - c->snd_una)
		tcp_pure_ack_tail(w, c, acked);
	return true;
}

/* Header prediction's in-order data case (the caller has checked
 * tcp_predicted): nothing out of order queued, the payload within the
 * window, acknowledging nothing new or new data. */
static __rte_always_inline bool
tcp_fast_data_ok(const struct hare_tcp_conn *c, const struct tcp_seg *s)
{
	return c->ooo_head == NULL && s->len <= c->rcv_adv - c->rcv_nxt &&
	       (s->ack == c->snd_una || (SEQ_GT(s->ack, c->snd_una) && SEQ_LEQ(s->ack, c->snd_max)));
}

/* Take that segment: the ACK, then the data, then the answer. False when
 * the app closed from on_sent meanwhile (the connection is an orphan):
 * the caller then hands the segment to the slow path, whose answer to
 * data on a closed connection is a RST (RFC 9293 §3.10.4); it needs the
 * full parse's fields of s then. plain (a constant): the ACK's steps by
 * tcp_ack_plain when it applies (the lean path: a request carrying the
 * ACK of the last response); the full path keeps tcp_ack_new, which the
 * tests compare the lean path against. */
static __rte_always_inline bool
tcp_fast_data(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s, uint32_t wnd,
	      bool ts_upd, const bool plain)
{
	tcp_fast_accept(w, c, s, wnd, ts_upd);
	if (s->ack != c->snd_una) {
		if (plain && likely(tcp_ack_plain_ok(w, c, s->tsecr))) {
			/* tcp_ack_new's work for it, on_sent included */
			const uint32_t acked = s->ack - c->snd_una;

			tcp_ack_plain(w, c, s->ack, acked, s->tsecr);
			if (unlikely(c->flags & TF_SENT_CB)) {
				c->ops->on_sent(c, acked);
				if (c->flags & TF_DEAD) {
					tcp_free_seg_mbuf(w, s); /* gone (the app aborted) */
					return true;
				}
			}
		} else if (!tcp_ack_new(w, c, s, c->sacked)) {
			tcp_free_seg_mbuf(w, s); /* gone (the app aborted) */
			return true;
		}
		if (unlikely(c->flags & TF_ORPHAN))
			return false;
	}
	tcp_data(w, c, s);
	tcp_finish(w, c);
	return true;
}

/* Header prediction (FreeBSD tcp_input / Linux tcp_rcv_established):
 * ESTABLISHED, only ACK set, next expected seq, non-zero window, nothing
 * unusual going on. wnd: the segment's window, scaled. */
static __rte_always_inline bool
tcp_predicted(const struct hare_tcp_conn *c, const struct tcp_seg *s, uint32_t wnd)
{
	return c->state == HARE_TCP_ESTABLISHED &&
	       (s->flags & (TH_SYN | TH_FIN | TH_RST | TH_URG | TH_ACK)) == TH_ACK &&
	       s->seq == c->rcv_nxt &&
	       !(c->flags & (TF_IN_RECOVERY | TF_PERSIST | TF_ORPHAN)) &&
	       c->snd_nxt == c->snd_max && s->n_sack == 0 && wnd != 0 &&
	       (!(c->opt & TO_TS) || (s->has_ts && SEQ_GEQ(s->tsval, c->ts_recent)));
}

/* A segment for an existing connection. Taken by header prediction: a
 * pure ACK of new data, and in-order data that acknowledges nothing new
 * or new data — as Linux's fast path does: a request/response exchange
 * has every segment carry both (the request acknowledges the last
 * response). */
static __rte_always_inline void
tcp_input_conn(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	tcp_keepalive_touch(w, c);
	const uint32_t wnd = (uint32_t)s->wnd << c->snd_wscale;

	if (tcp_predicted(c, s, wnd)) {
		/* RFC 7323 §4.3: TS.Recent from an acceptable segment at the
		 * left edge; done only once the fast path is sure to take it */
		const bool ts_upd = (c->opt & TO_TS) && SEQ_LEQ(s->seq, c->last_ack_sent);

		/* The window: seq == rcv_nxt >= snd_wl1, so RFC 9293
		 * §3.10.7.4's update applies; a non-zero window needs no
		 * persist handling (a zero one takes the slow path). */
		if (s->len == 0) {
			if (SEQ_GT(s->ack, c->snd_una) && SEQ_LEQ(s->ack, c->snd_max)) {
				tcp_fast_pure_ack(w, c, s, wnd, ts_upd);
				return;
			}
			if (s->ack == c->snd_una && wnd != c->snd_wnd) {
				/* a window update: not a duplicate ACK, the window
				 * changed (RFC 5681 §2) */
				tcp_fast_accept(w, c, s, wnd, ts_upd);
				tcp_free_seg_mbuf(w, s);
				if (c->snd_buffered > c->snd_nxt - c->snd_una)
					tcp_output(w, c);
				return;
			}
		} else if (tcp_fast_data_ok(c, s)) {
			if (!tcp_fast_data(w, c, s, wnd, ts_upd, false))
				tcp_slow_path(w, c, s);
			return;
		}
	}
	if (c->state == HARE_TCP_SYN_SENT)
		tcp_input_syn_sent(w, c, s);
	else
		tcp_slow_path(w, c, s);
}

void
hare_tcp_rx_burst_end(struct hare_worker *w)
{
	struct hare_tcp_ctx *x = w->tcp;

	x->in_event = 1;
	for (uint32_t i = 0; i < w->tcp_acks_owed; i++) {
		struct hare_tcp_conn *c = &x->conns[x->ackq[i]];

		/* a slot freed and reused since has its flags cleared */
		if (!(c->flags & TF_ACK_QUEUED))
			continue;
		c->flags &= ~TF_ACK_QUEUED;
		if ((c->flags & TF_ACK_2SEG) && !(c->flags & TF_DEAD)) {
			c->flags |= TF_ACKNOW;
			tcp_finish(w, c);
		}
	}
	w->tcp_acks_owed = 0;
	x->in_event = 0;
	if (unlikely(x->zombies != TCP_NONE))
		tcp_reap_zombies(x);
}

/* The rest of the full parse's struct tcp_seg for a lean segment the
 * slow path takes after all. */
static inline void
tcp_lean_complete(struct tcp_seg *s, const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th,
		  uint32_t hash, const struct tcp_tuple *t)
{
	s->ip = ip;
	s->th = th;
	s->hlen = TCP_LEAN_HLEN;
	s->has_mss = s->has_ws = s->sack_ok = 0;
	s->hash = hash;
	s->t = *t;
}

/* The usual end of a server connection, from the lean path: the app has
 * closed (an orphan: no callbacks to make), our FIN is out, and the
 * peer's FIN arrives in order acknowledging everything, ours included.
 * RFC 9293 §3.10.7.4's steps come to this for such a segment: acceptable
 * (seq = RCV.NXT inside an open window, PAWS passed: RFC 7323 §5.3), no
 * RST or SYN, the ACK of our FIN (FIN-WAIT-1 -> FIN-WAIT-2, or already
 * there), TS.Recent recorded (RFC 7323 §4.3), the FIN in order: ACK it,
 * TIME-WAIT. What the general steps would also update (RTT, window,
 * cwnd, the FIN-WAIT-2 timer, the send queue) goes with the connection,
 * released here, so it is skipped; what outlives it (the ACK sent, the
 * TIME_WAIT entry, the counters) is the same (tests/tcp compares).
 * False, having changed nothing, for anything else. */
static __rte_always_inline bool
tcp_lean_fin(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	if ((s->flags & ~TH_PSH) != (TH_ACK | TH_FIN) ||
	    (c->flags & (TF_ORPHAN | TF_FIN_SENT | TF_RCVD_FIN | TF_OOO_FIN | TF_DEAD)) !=
	    (TF_ORPHAN | TF_FIN_SENT) ||
	    (c->state != HARE_TCP_FIN_WAIT_1 && c->state != HARE_TCP_FIN_WAIT_2) ||
	    s->seq != c->rcv_nxt || !SEQ_GT(c->rcv_adv, c->rcv_nxt) || c->ooo_head != NULL ||
	    s->ack != c->snd_max || c->snd_nxt != c->snd_max ||
	    !(c->opt & TO_TS) || SEQ_LT(s->tsval, c->ts_recent))
		return false;
	tcp_ts_recent_take(w, c, s->seq, s->tsval);
	c->snd_una = s->ack;
	c->rcv_nxt++;
	c->flags |= TF_FIN_ACKED | TF_RCVD_FIN;
	c->state = HARE_TCP_TIME_WAIT;
	tcp_free_seg_mbuf(w, s);
	tcp_send_ack(w, c);
	tcp_enter_time_wait(w->tcp, c);
	return true;
}

/* The handshake's ACK from the lean path (SYN-RECEIVED -> ESTABLISHED),
 * the usual one: in order, no FIN, acknowledging our SYN, timestamps
 * passing PAWS (RFC 7323 §5.3), no SYN data. §3.10.7.4's first four steps
 * pass for it as they stand (acceptable whatever the window: no text),
 * the fifth makes the connection ESTABLISHED (tcp_synrcvd_ack, as the
 * slow path), and when nothing is in flight (the app sent nothing from
 * on_accept) the general ACK processing comes to "not a duplicate, the
 * window just taken": what is left is TS.Recent (RFC 7323 §4.3) and the
 * usual end of an event. Anything else goes on through the slow path's
 * rest. False, having changed nothing, for a segment it does not take. */
static __rte_always_inline bool
tcp_lean_handshake(struct hare_worker *w, struct hare_tcp_conn *c, struct tcp_seg *s)
{
	if (c->state != HARE_TCP_SYN_RCVD || (s->flags & ~TH_PSH) != TH_ACK ||
	    s->seq != c->rcv_nxt || !(SEQ_GT(s->ack, c->snd_una) && SEQ_LEQ(s->ack, c->snd_max)) ||
	    c->ooo_head != NULL || (c->flags & (TF_OOO_FIN | TF_DEAD)) ||
	    !(c->opt & TO_TS) || SEQ_LT(s->tsval, c->ts_recent))
		return false;
	if (!tcp_synrcvd_ack(w, c, s)) {
		tcp_free_seg_mbuf(w, s);
		return true;
	}
	if (unlikely(c->snd_max != c->snd_una)) {
		tcp_slow_path_ack(w, c, s);
		return true;
	}
	c->dupacks = 0; /* tcp_ack's "ack == snd_una, nothing in flight" */
	tcp_ts_recent_take(w, c, s->seq, s->tsval);
	tcp_free_seg_mbuf(w, s);
	tcp_finish(w, c);
	return true;
}

/* The lean path of hare_tcp_input_lean (see there) past the flow lookup,
 * for a segment other than the pure ACK tcp_pure_ack took: 32-byte
 * header (NOP,NOP,TS), ACK alone or with PSH and/or FIN, the segment in
 * one mbuf, c
 * its connection (m stripped to the TCP header). A segment it does not
 * take goes to hare_tcp_input unchanged. */
static __rte_noinline void
tcp_input_lean(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
	       const struct rte_tcp_hdr *th, struct hare_tcp_conn *c, uint32_t hash)
{
	struct hare_tcp_ctx *x = w->tcp;
	const uint8_t *o = (const uint8_t *)(th + 1);
	struct tcp_tuple t;
	uint32_t v, e;
	struct tcp_seg s;

	t.raddr = ip->src_addr;
	t.laddr = ip->dst_addr;
	t.rport = th->src_port;
	t.lport = th->dst_port;
	s.m = m;
	s.flags = th->tcp_flags & 0x3f;
	s.seq = rte_be_to_cpu_32(th->sent_seq);
	s.ack = rte_be_to_cpu_32(th->recv_ack);
	s.wnd = rte_be_to_cpu_16(th->rx_win);
	s.len = rte_pktmbuf_pkt_len(m) - TCP_LEAN_HLEN;
	s.has_ts = 1;
	s.n_sack = 0;
	memcpy(&v, o + 4, 4);
	memcpy(&e, o + 8, 4);
	s.tsval = rte_be_to_cpu_32(v);
	s.tsecr = rte_be_to_cpu_32(e);
	const uint32_t wnd = s.wnd << c->snd_wscale;

	if (likely(s.len == 0 && tcp_predicted(c, &s, wnd) &&
		   SEQ_GT(s.ack, c->snd_una) && SEQ_LEQ(s.ack, c->snd_max))) {
		w->stats.tcp_rx_segments++;
		x->in_event = 1;
		tcp_keepalive_touch(w, c);
		tcp_fast_pure_ack(w, c, &s, wnd,
				  (c->opt & TO_TS) && SEQ_LEQ(s.seq, c->last_ack_sent));
	} else if (s.len != 0) {
		/* in-order data that header prediction takes (a request, a
		 * response, a bulk segment): tcp_input_conn's data case */
		if (!(tcp_predicted(c, &s, wnd) && tcp_fast_data_ok(c, &s))) {
			hare_tcp_input(w, m, ip);
			return;
		}
		s.hlen = TCP_LEAN_HLEN;
		w->stats.tcp_rx_segments++;
		x->in_event = 1;
		tcp_keepalive_touch(w, c);
		if (unlikely(!tcp_fast_data(w, c, &s, wnd,
					    (c->opt & TO_TS) && SEQ_LEQ(s.seq, c->last_ack_sent),
					    true))) {
			tcp_lean_complete(&s, ip, th, hash, &t);
			tcp_slow_path(w, c, &s);
		}
	} else if (c->state != HARE_TCP_ESTABLISHED && c->state != HARE_TCP_SYN_SENT) {
		/* what tcp_input_conn does in these states (no prediction):
		 * complete the full parse's fields and take the slow path
		 * (the handshake's ACK in SYN_RCVD, ACKs while closing);
		 * the peer's closing FIN and the usual handshake ACK have
		 * their own short ways */
		w->stats.tcp_rx_segments++;
		x->in_event = 1;
		tcp_keepalive_touch(w, c);
		if (!tcp_lean_fin(w, c, &s)) {
			tcp_lean_complete(&s, ip, th, hash, &t);
			if (!tcp_lean_handshake(w, c, &s))
				tcp_slow_path(w, c, &s);
		}
	} else {
		hare_tcp_input(w, m, ip); /* the rest of tcp_input_conn: the full path */
		return;
	}
	x->in_event = 0;
	if (unlikely(x->zombies != TCP_NONE))
		tcp_reap_zombies(x);
}

void
hare_tcp_input(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	struct hare_tcp_ctx *x = w->tcp;
	const struct rte_tcp_hdr *th;
	struct tcp_seg s;
	uint32_t ref, hlen;

	w->stats.tcp_rx_segments++;
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*th))) {
		w->stats.drop_bad_len++;
		goto drop;
	}
	th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);
	hlen = (uint32_t)(th->data_off >> 4) * 4;
	if (unlikely(hlen < sizeof(*th) || hlen > rte_pktmbuf_data_len(m))) {
		w->stats.drop_bad_len++;
		goto drop;
	}
	if (unlikely(!tcp_rx_cksum_good(w, m, ip))) {
		w->stats.drop_bad_cksum++;
		goto drop;
	}
	s.m = m;
	s.ip = ip;
	s.th = th;
	s.hlen = (uint16_t)hlen;
	s.flags = th->tcp_flags & 0x3f;
	s.seq = rte_be_to_cpu_32(th->sent_seq);
	s.ack = rte_be_to_cpu_32(th->recv_ack);
	s.wnd = rte_be_to_cpu_16(th->rx_win);
	s.len = rte_pktmbuf_pkt_len(m) - hlen;
	s.has_ts = s.has_mss = s.has_ws = s.sack_ok = s.n_sack = 0;
	s.t.raddr = ip->src_addr;
	s.t.laddr = ip->dst_addr;
	s.t.rport = th->src_port;
	s.t.lport = th->dst_port;
	if (unlikely(((s.flags & TH_SYN) && (s.flags & (TH_FIN | TH_RST))) ||
		     th->src_port == 0 || th->dst_port == 0)) {
		w->stats.drop_bad_header++;
		goto drop;
	}
	if (hlen > sizeof(*th) &&
	    unlikely(!tcp_parse_options(&s, (const uint8_t *)(th + 1), hlen - sizeof(*th)))) {
		w->stats.drop_bad_header++;
		goto drop;
	}
	s.hash = tcp_seg_hash(x, m, &s.t);

	x->in_event = 1;
	ref = tcp_flow_lookup(x, s.hash, &s.t);
	if (ref & TCP_REF_TW) {
		if (!tcp_input_tw(w, (ref & ~TCP_REF_TW) - 1, &s))
			goto drop;
		ref = 0; /* a new SYN replaced the TIME_WAIT entry */
	}
	if (likely(ref != 0)) {
		tcp_input_conn(w, &x->conns[ref - 1], &s);
	} else {
		int li = tcp_listener_find(x, s.t.laddr, s.t.lport);

		if (li >= 0) {
			tcp_input_listen(w, li, &s);
		} else {
			/* CLOSED (§3.10.7.1) */
			tcp_reset_reply(w, &s);
			tcp_free_seg_mbuf(w, &s);
		}
	}
	x->in_event = 0;
	if (unlikely(x->zombies != TCP_NONE))
		tcp_reap_zombies(x);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Ethernet + IPv4 header bytes in front of TCP on hare_tcp_input_lean's path */
#define TCP_LEAN_L23 (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr))

/* m from the Ethernet header to the TCP header, as ipv4_input_general
 * hands segments on (rte_pktmbuf_adj without its length test: IPv4 input
 * checked the lengths) */
static inline void
tcp_lean_strip(struct rte_mbuf *m)
{
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	m->data_off = (uint16_t)(m->data_off + TCP_LEAN_L23);
	m->data_len = (uint16_t)(m->data_len - TCP_LEAN_L23);
	m->pkt_len -= TCP_LEAN_L23;
}

/* A TCP segment from IPv4 input's fast path (m still at the Ethernet
 * header), the lean path first. A segment with the 32-byte header Linux
 * and hare use after the handshake (NOP,NOP,TS), ACK alone or with PSH
 * (a FIN: see below), in one mbuf, is read straight from the header into locals, without the
 * option loop and the rest of the full parse (RFC 9293 §3.10.7.4 header
 * prediction; the shape of FreeBSD's tcp_input / Linux's
 * tcp_rcv_established). The pure ACK of new data for an ESTABLISHED
 * connection with nothing unusual going on is taken by tcp_pure_ack, the
 * frame freed as it came; every other lean segment is stripped to its
 * TCP header and goes to tcp_input_lean: the pure ACK and in-order data
 * exactly as tcp_input_conn takes them, through the same predicates
 * (tcp_predicted, tcp_fast_data_ok) and the same code (tcp_fast_pure_ack,
 * tcp_fast_data), for a segment with exactly these options (has_ts = 1,
 * n_sack = 0); a payload-less ACK for a connection in another state than
 * ESTABLISHED or SYN_SENT (the peer's FIN too: prediction never takes a
 * FIN) where tcp_input_conn would send it: the slow path, with the struct
 * tcp_seg the full parse would have built, or the short ways of the usual
 * handshake ACK and closing FIN (tcp_lean_handshake, tcp_lean_fin). Everything else
 * (other headers, listeners, TIME_WAIT, no connection, segments
 * prediction turns away, a checksum to refuse) goes to hare_tcp_input,
 * which parses and counts it as for any segment. Nothing malformed is
 * taken here: the lengths and flags are checked exactly and a connection
 * found has non-zero ports. */
void
hare_tcp_input_lean(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	struct hare_tcp_ctx *x = w->tcp;
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + 1);
	uint32_t hash, opt0, ports;
	struct hare_tcp_conn *c;
	uint16_t off_flags;
	uint64_t addrs;

	/* the data offset byte and the flags byte as one 16-bit word in
	 * network order: offset 32 bytes with the reserved bits 0, and of
	 * the six control bits ACK alone or with PSH and/or FIN (CWR/ECE not
	 * looked at) */
	memcpy(&off_flags, &th->data_off, 2);
	if (likely(rte_pktmbuf_pkt_len(m) == rte_pktmbuf_data_len(m) &&
		   rte_pktmbuf_data_len(m) >= TCP_LEAN_L23 + TCP_LEAN_HLEN &&
		   (off_flags & RTE_BE16(0xff00 | (0x3f & ~(TH_PSH | TH_FIN)))) ==
		   RTE_BE16(((TCP_LEAN_HLEN / 4) << 12) | TH_ACK))) {
		memcpy(&opt0, th + 1, 4);
		/* a bad checksum is counted by the full path */
		if (unlikely(opt0 != TCP_OPT_NOP_NOP_TS ||
			     !tcp_rx_cksum_good_seg(w, m, ip, th,
						    rte_pktmbuf_pkt_len(m) - TCP_LEAN_L23)))
			goto full;
		/* the tuple (struct tcp_tuple's layout) straight from the
		 * headers; with an RSS key the NIC's hash, and without one
		 * from the NIC the full path (tcp_seg_hash computes it) */
		memcpy(&addrs, &ip->src_addr, 8);
		memcpy(&ports, &th->src_port, 4);
		if (likely(x->rss_key == NULL))
			hash = tcp_flow_hash_hdr(x, addrs, ports);
		else if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
			hash = m->hash.rss;
		else
			goto full;
		c = tcp_flow_lookup_conn(x, hash, addrs, ports);
		if (unlikely(c == NULL))
			goto full;
		if (rte_pktmbuf_pkt_len(m) == TCP_LEAN_L23 + TCP_LEAN_HLEN &&
		    likely(tcp_pure_ack(w, c, m, th)))
			return;
		tcp_lean_strip(m);
		tcp_input_lean(w, m, ip, th, c, hash);
		return;
	}
full:
	tcp_lean_strip(m);
	hare_tcp_input(w, m, ip);
}
