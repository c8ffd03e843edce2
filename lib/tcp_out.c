/* tcp_out.c — segment output.
 *
 * Call chains:
 *   hare_tcp_send()/tcp_ack()/timers -> tcp_output() -> tcp_xmit()
 *       -> hare_ipv4_output() -> hare_arp_output() -> hare_tx_enqueue()
 *   tcp_send_ack() / tcp_send_challenge_ack() / tcp_send_rst_conn() -> tcp_xmit()
 *   no connection: tcp_reset_reply() / tcp_respond()
 *
 * Zero copy: the send queue is a list of single-segment mbufs (the app's
 * own, linked through their tcp_mbuf_meta, never ->next; the payload not
 * yet acknowledged starts meta.skip bytes into the data). A data segment
 * is a fresh header mbuf followed by indirect mbufs attached to the queued
 * ones (rte_pktmbuf_attach takes a reference), so a retransmission
 * re-attaches the same bytes and an ACK frees the queue entry while a copy
 * may still sit in the TX ring. Small payloads (<= TCP_COPY_MAX) are
 * copied into the header mbuf instead: cheaper than an indirect mbuf and
 * its atomic refcount. And a segment that is exactly one queued mbuf (the
 * usual reply or request) is sent in place: that mbuf, headers written in
 * its headroom, is the frame (sndq_in_place).
 */
#include <string.h>
#include "tcp_impl.h"
#include "ipv4.h"
#include "eth.h"

#define TCP_COPY_MAX 256

/* Mbuf of the send queue holding byte seq; *off = offset in it. */
static struct rte_mbuf *
sndq_find(struct hare_tcp_conn *c, uint32_t seq, uint32_t *off)
{
	const struct hare_tcp_ctx *x = c->w->tcp;
	struct rte_mbuf *q;
	uint32_t qseq;

	if (c->snd_cur && SEQ_GEQ(c->snd_cur_seq, c->snd_una) && SEQ_GEQ(seq, c->snd_cur_seq)) {
		q = c->snd_cur;
		qseq = c->snd_cur_seq;
	} else {
		q = c->sndq_head;
		qseq = c->snd_una;
	}
	while (q && SEQ_GEQ(seq, qseq + sndq_len(x, q))) {
		qseq += sndq_len(x, q);
		q = sndq_next(x, q);
	}
	c->snd_cur = q;
	c->snd_cur_seq = qseq;
	*off = seq - qseq;
	return q;
}

/* Copy payload [seq, seq+len) of the send queue to dst (the bytes may span
 * send-queue mbufs). 0, or -EINVAL when the queue does not hold them. */
static inline int
sndq_copy(struct hare_tcp_conn *c, uint32_t seq, uint32_t len, char *dst)
{
	const struct hare_tcp_ctx *x = c->w->tcp;
	uint32_t off;
	struct rte_mbuf *q = c->sndq_head;

	/* the usual case: the bytes start the queue's first mbuf (a reply
	 * sent when everything before it is acknowledged) */
	if (likely(seq == c->snd_una && q != NULL))
		off = 0;
	else
		q = sndq_find(c, seq, &off);
	while (len > 0 && q) {
		uint32_t n = RTE_MIN(sndq_len(x, q) - off, len);

		memcpy(dst, sndq_data(x, q) + off, n);
		dst += n;
		len -= n;
		off = 0;
		q = sndq_next(x, q);
	}
	return len == 0 ? 0 : -EINVAL;
}

/* Append payload [seq, seq+len) of the send queue to header mbuf h. */
static int
attach_payload(struct hare_worker *w, struct hare_tcp_conn *c, struct rte_mbuf *h,
	       uint32_t seq, uint32_t len)
{
	uint32_t off;
	struct rte_mbuf *q, *tail = h;

	if (len <= TCP_COPY_MAX && rte_pktmbuf_tailroom(h) >= len)
		return sndq_copy(c, seq, len, rte_pktmbuf_append(h, (uint16_t)len));
	q = sndq_find(c, seq, &off);
	while (len > 0) {
		struct rte_mbuf *ind;
		uint32_t n;

		if (q == NULL)
			return -EINVAL;
		n = RTE_MIN(sndq_len(w->tcp, q) - off, len);
		ind = hare_stash_alloc(&w->stash, w->pool);
		if (unlikely(ind == NULL)) {
			w->stats.drop_no_mbuf++;
			return -ENOBUFS;
		}
		rte_pktmbuf_attach(ind, q);
		ind->data_off = (uint16_t)(q->data_off + tcp_meta(w->tcp, q)->skip + off);
		ind->data_len = (uint16_t)n;
		ind->pkt_len = n;
		tail->next = ind;
		tail = ind;
		h->nb_segs++;
		h->pkt_len += n;
		len -= n;
		off = 0;
		q = sndq_next(w->tcp, q);
	}
	return 0;
}

static inline uint8_t *
put_ts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	*o++ = 1; *o++ = 1; *o++ = 8; *o++ = 10;
	val = rte_cpu_to_be_32(val); ecr = rte_cpu_to_be_32(ecr);
	memcpy(o, &val, 4); memcpy(o + 4, &ecr, 4);
	return o + 8;
}

/* A SYN-ACK's options: MSS (RFC 9293 §3.7.1), then what the SYN offered
 * and we agreed to (c->opt): SACK-permitted (RFC 2018 §2) and timestamps
 * (RFC 7323 §3) as one 12-byte block in Linux's layout (or either with
 * NOPs), window scale (RFC 7323 §2) last. Returns their length. */
static __rte_always_inline uint32_t
tcp_synack_options(const struct hare_worker *w, const struct hare_tcp_conn *c, uint8_t *o)
{
	const uint16_t mss = rte_cpu_to_be_16(tcp_mss_for(w));
	uint32_t n = 4;

	o[0] = 2; o[1] = 4; memcpy(o + 2, &mss, 2);
	if (c->opt & TO_TS) {
		put_ts(o + 4, tcp_now(w) + c->ts_offset, c->ts_recent);
		if (c->opt & TO_SACK) {
			o[4] = 4; o[5] = 2; /* SACK-permitted in the NOPs' place */
		}
		n = 16;
	} else if (c->opt & TO_SACK) {
		o[4] = 1; o[5] = 1; o[6] = 4; o[7] = 2;
		n = 8;
	}
	if (c->opt & TO_WS) {
		/* NOP, kind 3, length 3, the shift: one 4-byte store */
		const uint32_t ws = rte_cpu_to_be_32(0x01030300u | c->rcv_wscale);

		memcpy(o + n, &ws, 4);
		n += 4;
	}
	return n;
}

/* SACK blocks describing the OOO queue (RFC 2018 §4): the block holding
 * the most recent arrival first, then the others in queue order. */
static unsigned
build_sack(const struct hare_tcp_ctx *x, const struct hare_tcp_conn *c, uint32_t blk[][2], unsigned max)
{
	uint32_t all[8][2];
	unsigned n = 0, out = 0, first = 0;

	for (struct rte_mbuf *m = c->ooo_head; m; m = tcp_meta(x, m)->qnext) {
		const struct tcp_mbuf_meta *mm = tcp_meta(x, m);

		if (n > 0 && SEQ_LEQ(mm->seq, all[n - 1][1])) {
			if (SEQ_GT(mm->seq + mm->len, all[n - 1][1]))
				all[n - 1][1] = mm->seq + mm->len;
			continue;
		}
		if (n == 8)
			break;
		all[n][0] = mm->seq;
		all[n][1] = mm->seq + mm->len;
		n++;
	}
	if (c->flags & TF_OOO_FIN && n > 0 && all[n - 1][1] == c->ooo_fin)
		all[n - 1][1]++;
	for (unsigned i = 0; i < n; i++)
		if (SEQ_GEQ(c->ooo_last, all[i][0]) && SEQ_LT(c->ooo_last, all[i][1]))
			first = i;
	if (n == 0)
		return 0;
	blk[out][0] = all[first][0]; blk[out][1] = all[first][1]; out++;
	for (unsigned i = 0; i < n && out < max; i++) {
		if (i == first)
			continue;
		blk[out][0] = all[i][0]; blk[out][1] = all[i][1]; out++;
	}
	return out;
}

/* Options of a SYN, RST or SACK-carrying segment into opts[]; returns
 * their length. */
static uint32_t
tcp_build_options(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t len, uint8_t flags,
		  uint8_t *opts)
{
	uint8_t *o = opts;

	if (flags & TH_SYN) {
		/* SYN offers what cfg allows; SYN-ACK answers what was offered */
		if (c->state != HARE_TCP_SYN_SENT)
			return tcp_synack_options(w, c, opts);
		const bool sack = w->cfg->tcp.sack, ts = w->cfg->tcp.timestamps;
		const bool ws = w->cfg->tcp.wscale;
		uint16_t mss = rte_cpu_to_be_16(tcp_mss_for(w));

		*o++ = 2; *o++ = 4; memcpy(o, &mss, 2); o += 2;
		if (sack && ts) {
			/* SACK-permitted then TS: 12 bytes, no NOP needed (Linux's layout) */
			*o++ = 4; *o++ = 2;
			o = put_ts(o - 2, tcp_now(w) + c->ts_offset, c->ts_recent);
			o[-12] = 4; o[-11] = 2;
		} else if (ts) {
			o = put_ts(o, tcp_now(w) + c->ts_offset, c->ts_recent);
		} else if (sack) {
			*o++ = 1; *o++ = 1; *o++ = 4; *o++ = 2;
		}
		if (ws) {
			*o++ = 1; *o++ = 3; *o++ = 3; *o++ = c->rcv_wscale;
		}
	} else if (!(flags & TH_RST) || (c->opt & TO_TS)) {
		if (c->opt & TO_TS)
			o = put_ts(o, tcp_now(w) + c->ts_offset, c->ts_recent);
		if ((c->opt & TO_SACK) && c->ooo_head && !(flags & TH_RST)) {
			/* as many blocks as fit beside the payload in the MTU */
			uint32_t used = (uint32_t)(o - opts) + len, room = 40 - (uint32_t)(o - opts);
			uint32_t mtu_room = tcp_mss_for(w) > used ? tcp_mss_for(w) - used : 0;
			unsigned max = (unsigned)((RTE_MIN(room, mtu_room) >= 12 ?
						   (RTE_MIN(room, mtu_room) - 4) / 8 : 0));
			uint32_t blk[4][2];
			unsigned n = max ? build_sack(w->tcp, c, blk, RTE_MIN(max, 4u)) : 0;

			if (n) {
				*o++ = 1; *o++ = 1; *o++ = 5; *o++ = (uint8_t)(2 + 8 * n);
				for (unsigned i = 0; i < n; i++) {
					uint32_t l = rte_cpu_to_be_32(blk[i][0]), r = rte_cpu_to_be_32(blk[i][1]);
					memcpy(o, &l, 4); memcpy(o + 4, &r, 4);
					o += 8;
				}
			}
		}
	}
	return (uint32_t)(o - opts);
}

int
tcp_xmit_general(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len,
		 uint8_t flags)
{
	struct rte_mbuf *m = hare_alloc_mbuf(w);
	struct rte_tcp_hdr *th;
	uint32_t win, hlen;
	bool syn = flags & TH_SYN;

	if (unlikely(m == NULL))
		return -ENOBUFS;
	if (likely(!(flags & (TH_SYN | TH_RST)) && !((c->opt & TO_SACK) && c->ooo_head))) {
		/* the common segment: the timestamp option alone, in RFC 7323
		 * Appendix A's layout, written in place */
		hlen = sizeof(*th) + ((c->opt & TO_TS) ? 12 : 0);
		th = rte_pktmbuf_mtod(m, struct rte_tcp_hdr *);
		m->data_len = (uint16_t)hlen;
		m->pkt_len = hlen;
		if (c->opt & TO_TS)
			put_ts((uint8_t *)(th + 1), tcp_now(w) + c->ts_offset, c->ts_recent);
	} else {
		uint8_t opts[40];

		hlen = sizeof(*th) + tcp_build_options(w, c, len, flags, opts);
		th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)hlen);
		memcpy(th + 1, opts, hlen - sizeof(*th));
	}
	th->src_port = c->t.lport;
	th->dst_port = c->t.rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = flags;
	th->tcp_urp = 0;
	th->cksum = 0;
	if (flags & TH_ACK) {
		th->recv_ack = rte_cpu_to_be_32(c->rcv_nxt);
	} else {
		th->recv_ack = 0;
	}
	if (unlikely(c->state == HARE_TCP_SYN_SENT && !(flags & TH_ACK))) {
		win = RTE_MIN(w->cfg->tcp.rcv_buf, 65535u);
		th->rx_win = rte_cpu_to_be_16((uint16_t)win);
	} else {
		win = tcp_rcv_window(c, w);
		if (syn)
			th->rx_win = rte_cpu_to_be_16((uint16_t)RTE_MIN(win, 65535u));
		else
			th->rx_win = rte_cpu_to_be_16((uint16_t)RTE_MIN(win >> c->rcv_wscale, 65535u));
	}
	if (len > 0 && attach_payload(w, c, m, seq, len) < 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	if (flags & TH_ACK) {
		uint32_t edge = c->rcv_nxt + (syn ? RTE_MIN(win, 65535u) :
					      (RTE_MIN(win >> c->rcv_wscale, 65535u) << c->rcv_wscale));

		c->last_ack_sent = c->rcv_nxt;
		if (SEQ_GT(edge, c->rcv_adv))
			c->rcv_adv = edge;
		c->flags &= ~(TF_ACKNOW | TF_DELACK | TF_WND_UPDATE | TF_ACK_2SEG);
		c->t_delack = 0;
	}
	if (flags & TH_RST)
		w->stats.tcp_rst_tx++;
	w->stats.tcp_tx_segments++;
	hare_ipv4_output(w, m, c->t.laddr, c->t.raddr, IPPROTO_TCP);
	return 0;
}

/* Sent in place: when a segment is exactly one send-queue mbuf (a reply,
 * a request: the usual small send), that mbuf becomes the frame. The
 * headers are written into its headroom just before the payload and it
 * goes to the TX ring with a second reference (the send queue keeps the
 * first), so no frame mbuf is allocated and no payload copied. The queue
 * then sees the payload through meta->skip (the headers' length), and
 * nothing in the stack moves the data of an mbuf the driver holds: acked
 * bytes are skipped, not cut (tcp_sndq_free_acked), the tail is not
 * appended to (refcnt 2), a retransmission while the driver still holds
 * it copies (this helper wants refcnt 1). The queue links through meta,
 * so the frame's ->next is NULL, as a driver's free requires. Returns
 * the mbuf with its data at where the frame starts, or NULL. */
static inline struct rte_mbuf *
sndq_in_place(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len,
	      uint32_t hdrs)
{
	const struct hare_tcp_ctx *x = w->tcp;
	struct rte_mbuf *q = c->sndq_head;
	struct tcp_mbuf_meta *qm;
	uint32_t start;

	if (len == 0 || seq != c->snd_una || q == NULL)
		return NULL;
	qm = tcp_meta(x, q);
	start = q->data_off + qm->skip; /* the payload, from buf_addr */
	if (q->data_len - qm->skip != len || rte_mbuf_refcnt_read(q) != 1 ||
	    !RTE_MBUF_DIRECT(q) || start < hdrs)
		return NULL;
	q->data_off = (uint16_t)(start - hdrs);
	qm->skip = hdrs;
	q->ol_flags = 0; /* direct: no buffer-kind flag; the TX requests are set afresh below */
	return q;
}

/* A segment carrying an ACK written straight into one fresh mbuf:
 * Ethernet, IPv4 and TCP headers in place and up to TCP_COPY_MAX bytes of
 * payload copied from the send queue behind them, the checksum summed over
 * that one buffer. The same bytes and side effects as tcp_xmit_general()
 * + hare_ipv4_output() (they share the header fillers in ipv4.h), without
 * their general cases: no RST, no SACK blocks (RFC 2018 needs
 * build_sack), a payload small enough to copy, the next hop's MAC known
 * (the ARP hint). A SYN-ACK (tcp_xmit sends only SYN_RCVD's here) is one
 * too: its options from tcp_build_options, as the general path writes
 * them, and its window unscaled (RFC 7323 §2.2). Returns 0 (sent),
 * -ENOBUFS (no mbuf; counted, as the general path would) or 1 (not this
 * case: take the general path). ts and syn are constants at each call
 * for an ACK: its builder has a fixed header length. */
static __rte_always_inline int
tcp_xmit_direct(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len,
		uint8_t flags, const bool ts, const bool syn)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr), l3 = sizeof(struct rte_ipv4_hdr);
	/* a SYN-ACK's options are at most 20 bytes (MSS, SACK-permitted,
	 * timestamps, window scale): this bound checks the MTU */
	uint32_t hlen = sizeof(struct rte_tcp_hdr) + (syn ? 20 : ts ? 12 : 0);
	const struct hare_arp_entry *e;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t nh, win, edge;
	bool in_place = false;

	if (unlikely(len > TCP_COPY_MAX || ((c->opt & TO_SACK) && c->ooo_head)))
		return 1;
	nh = hare_ipv4_route(w->cfg, c->t.raddr);
	if (unlikely(nh == 0 || l3 + hlen + len > w->cfg->mtu))
		return 1;
	e = hare_ipv4_arp_fresh(w, nh);
	if (unlikely(e == NULL))
		return 1;
	m = syn ? NULL : sndq_in_place(w, c, seq, len, l2 + l3 + hlen);
	if (m != NULL) {
		in_place = true;
	} else {
		m = hare_alloc_mbuf(w);
		if (unlikely(m == NULL))
			return -ENOBUFS;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	th = (struct rte_tcp_hdr *)(ip + 1);
	if (unlikely(syn)) {
		hlen = sizeof(*th) + tcp_synack_options(w, c, (uint8_t *)(th + 1));
		/* RFC 7323 §2.2: a SYN's window is never scaled */
		win = RTE_MIN(tcp_rcv_window(c, w), 65535u);
	} else {
		win = RTE_MIN(tcp_rcv_window(c, w) >> c->rcv_wscale, 65535u);
	}
	m->data_len = (uint16_t)(l2 + l3 + hlen + len);
	m->pkt_len = l2 + l3 + hlen + len;
	if (len > 0 && !in_place) {
		if (unlikely(sndq_copy(c, seq, len, (char *)th + hlen) != 0)) {
			hare_free_seg(w, m);
			return 1; /* not in the queue: the general path says so */
		}
	}

	th->src_port = c->t.lport;
	th->dst_port = c->t.rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(c->rcv_nxt);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16((uint16_t)win);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (ts && !syn)
		put_ts((uint8_t *)(th + 1), tcp_now(w) + c->ts_offset, c->ts_recent);
	if (w->offloads & HARE_OFFLOAD_TCP_CKSUM) {
		hare_ipv4_tcp_cksum(w, m, th, c->t.laddr, c->t.raddr, hlen + len, 0);
	} else {
		/* RFC 9293 §3.1 checksum: the header and payload as written
		 * (the payload's sum from the app when it gave one: the
		 * header is then all that is read back), the pseudo-header
		 * from the values (addresses, protocol, length). 32-bit
		 * values added into 64 bits lose no carry (RFC 1071 §2). */
		uint32_t ps = in_place ? tcp_meta(w->tcp, m)->psum : 0;
		uint64_t sum = (uint64_t)c->t.raddr + c->t.laddr + ((uint32_t)IPPROTO_TCP << 8) +
			       rte_cpu_to_be_16((uint16_t)(hlen + len));

		if (ps & TCP_PSUM_VALID) /* the header alone: a constant length */
			sum = hare_raw_sum64(th, hlen, sum + (ps & 0xffff));
		else
			sum = hare_raw_sum64(th, hlen + len, sum);
		th->cksum = (uint16_t)~hare_sum_fold(sum);
	}
	hare_ipv4_fill(w, m, ip, c->t.laddr, c->t.raddr, IPPROTO_TCP, l3 + hlen + len);
	hare_eth_fill(&w->mac, eh, &e->mac, RTE_ETHER_TYPE_IPV4);

	/* what tcp_xmit_general records for every segment carrying an ACK */
	edge = c->rcv_nxt + (syn ? win : win << c->rcv_wscale);
	c->last_ack_sent = c->rcv_nxt;
	if (SEQ_GT(edge, c->rcv_adv))
		c->rcv_adv = edge;
	c->flags &= ~(TF_ACKNOW | TF_DELACK | TF_WND_UPDATE | TF_ACK_2SEG);
	c->t_delack = 0;
	w->stats.tcp_tx_segments++;
	if (in_place)
		rte_mbuf_refcnt_set(m, 2); /* the send queue's and the driver's */
	hare_tx_enqueue(w, m);
	return 0;
}

/* One segment: the direct builder for the usual one (an ACK with a small
 * payload or none, a passive open's SYN-ACK), else the general path. 0,
 * or -ENOBUFS. The ACK's builder is expanded twice, with and without the
 * timestamp option, so the header length is a constant in each (what
 * Linux and hare negotiate is the first). */
static __rte_always_inline int
tcp_xmit_inline(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len,
		uint8_t flags)
{
	int rc = 1;

	if (likely((flags & (TH_SYN | TH_RST | TH_ACK)) == TH_ACK))
		rc = likely(c->opt & TO_TS) ? tcp_xmit_direct(w, c, seq, len, flags, true, false) :
					      tcp_xmit_direct(w, c, seq, len, flags, false, false);
	else if (flags == (TH_SYN | TH_ACK) && c->state == HARE_TCP_SYN_RCVD)
		rc = tcp_xmit_direct(w, c, seq, 0, flags, c->opt & TO_TS, true);
	if (rc <= 0)
		return rc;
	return tcp_xmit_general(w, c, seq, len, flags);
}

int
tcp_xmit(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	return tcp_xmit_inline(w, c, seq, len, flags);
}

void
tcp_send_ack(struct hare_worker *w, struct hare_tcp_conn *c)
{
	tcp_xmit(w, c, c->snd_nxt, 0, TH_ACK);
}

/* RFC 5961 §3.2/§4.2/§5.2 challenge ACK, throttled per worker (§7). */
void
tcp_send_challenge_ack(struct hare_worker *w, struct hare_tcp_conn *c)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint32_t sec = (uint32_t)(w->now_ms / 1000);

	if (x->challenge_window != sec) {
		x->challenge_window = sec;
		x->challenge_count = 0;
	}
	if (x->challenge_count >= TCP_CHALLENGE_ACK_PER_S)
		return;
	x->challenge_count++;
	w->stats.tcp_challenge_acks++;
	tcp_send_ack(w, c);
}

void
tcp_send_rst_conn(struct hare_worker *w, struct hare_tcp_conn *c)
{
	tcp_xmit(w, c, c->snd_nxt, 0, TH_RST | TH_ACK);
}

/* A bare segment for a tuple without a connection (RST replies, TIME_WAIT ACKs). */
void
tcp_respond(struct hare_worker *w, const struct tcp_tuple *t, uint32_t seq, uint32_t ack,
	    uint8_t flags, uint16_t wnd, const uint32_t *ts)
{
	struct rte_mbuf *m = hare_alloc_mbuf(w);
	struct rte_tcp_hdr *th;
	uint32_t hlen = sizeof(*th) + (ts ? 12 : 0);

	if (unlikely(m == NULL))
		return;
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)hlen);
	th->src_port = t->lport;
	th->dst_port = t->rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (ts)
		put_ts((uint8_t *)(th + 1), ts[0], ts[1]);
	if (flags & TH_RST)
		w->stats.tcp_rst_tx++;
	w->stats.tcp_tx_segments++;
	hare_ipv4_output(w, m, t->laddr, t->raddr, IPPROTO_TCP);
}

/* RFC 9293 §3.10.7.1 (CLOSED): RST for anything but a RST. */
void
tcp_reset_reply(struct hare_worker *w, const struct tcp_seg *s)
{
	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK)
		tcp_respond(w, &s->t, s->ack, 0, TH_RST, 0, NULL);
	else
		tcp_respond(w, &s->t, 0,
			    s->seq + s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN),
			    TH_RST | TH_ACK, 0, NULL);
}

void
tcp_sndq_purge(struct hare_tcp_conn *c)
{
	const struct hare_tcp_ctx *x = c->w->tcp;
	struct rte_mbuf *q = c->sndq_head;

	while (q) {
		struct rte_mbuf *n = sndq_next(x, q);

		hare_free_seg(c->w, q);
		q = n;
	}
	c->sndq_head = c->sndq_tail = c->snd_cur = NULL;
	c->snd_buffered = 0;
}

/* Fast retransmit / partial ACK: resend the segment at snd_una. */
void
tcp_retransmit_head(struct hare_worker *w, struct hare_tcp_conn *c)
{
	uint32_t len = RTE_MIN(c->snd_buffered, (uint32_t)c->mss);
	uint8_t flags = TH_ACK;

	if ((c->flags & TF_FIN_SENT) && len == c->snd_buffered)
		flags |= TH_FIN;
	if (len == 0 && !(flags & TH_FIN))
		return;
	w->stats.tcp_retransmits++;
	tcp_xmit(w, c, c->snd_una, len, flags);
}

/* New data at snd_nxt goes out: without timestamps, time it when no
 * segment is being timed (RFC 6298 §3, one sample per RTT; Karn: never a
 * retransmission). */
static inline void
tcp_rtt_time_new(struct hare_worker *w, struct hare_tcp_conn *c)
{
	if (!(c->opt & TO_TS) && !(c->flags & TF_RTT_TIMING)) {
		c->flags |= TF_RTT_TIMING;
		c->rtt_seq = c->snd_nxt;
		c->rtt_start = tcp_now(w);
	}
}

static void tcp_output_pass(struct hare_worker *w, struct hare_tcp_conn *c);
static void tcp_output_small(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t len);

/* Send what the windows allow (BSD tcp_output's shape). The usual small
 * send (a response, an echo) first: ESTABLISHED, nothing unusual, all
 * unsent data fits one segment and both windows, and Nagle lets it go
 * (nothing in flight, or nodelay, or a full segment). tcp_output_pass
 * would send exactly this segment (ACK|PSH) and then stop; this is that
 * pass without its general cases (and without its stack frame). */
void
tcp_output(struct hare_worker *w, struct hare_tcp_conn *c)
{
	if (likely(c->state == HARE_TCP_ESTABLISHED &&
		   !(c->flags & (TF_DEAD | TF_FIN_QUEUED | TF_IN_RECOVERY | TF_PERSIST)) &&
		   c->n_sack == 0 && c->snd_nxt == c->snd_max &&
		   !((c->opt & TO_SACK) && c->ooo_head))) {
		uint32_t off = c->snd_nxt - c->snd_una;
		uint32_t len = c->snd_buffered - off;

		if (len > 0 && len <= c->mss && off + len <= c->snd_wnd && off + len <= c->cwnd &&
		    (off == 0 || len == c->mss || w->cfg->tcp.nodelay)) {
			tcp_output_small(w, c, len);
			return;
		}
	}
	tcp_output_pass(w, c);
}

/* The usual small send's segment and what sending it records, in one
 * stack frame (the segment builder inlined): tcp_output's fast case. */
static __rte_noinline void
tcp_output_small(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t len)
{
	if (tcp_xmit_inline(w, c, c->snd_nxt, len, TH_ACK | TH_PSH) < 0)
		return; /* no mbuf: the RTO retries */
	w->stats.tcp_tx_bytes += len;
	tcp_rtt_time_new(w, c);
	c->snd_nxt += len;
	c->snd_max = c->snd_nxt;
	if (c->t_rexmt == 0)
		tcp_arm_rexmt_or_probe(w, c);
}

/* tcp_output's general case: segments while the windows allow, in any
 * state that sends. */
static __rte_noinline void
tcp_output_pass(struct hare_worker *w, struct hare_tcp_conn *c)
{
	if (c->flags & TF_DEAD)
		return;
	switch (c->state) {
	case HARE_TCP_ESTABLISHED:
	case HARE_TCP_CLOSE_WAIT:
	case HARE_TCP_FIN_WAIT_1:
	case HARE_TCP_CLOSING:
	case HARE_TCP_LAST_ACK:
		break;
	default:
		if (c->flags & TF_ACKNOW && c->state != HARE_TCP_SYN_SENT &&
		    c->state != HARE_TCP_CLOSED)
			tcp_send_ack(w, c);
		return;
	}
	/* The FIN alone (RFC 9293 §3.10.4 CLOSE, after the data): the app shut
	 * down with every queued byte sent. The loop below would find no
	 * payload to send and send just the FIN (the window does not hold
	 * back a segment without data); this is that pass. */
	if ((c->flags & (TF_FIN_QUEUED | TF_FIN_SENT)) == TF_FIN_QUEUED &&
	    c->snd_nxt == c->snd_max && c->snd_nxt - c->snd_una == c->snd_buffered) {
		if (tcp_xmit(w, c, c->snd_nxt, 0, TH_ACK | TH_FIN) < 0)
			return; /* no mbuf: as the loop's break (no persist: nothing unsent) */
		c->snd_nxt++;
		c->snd_max = c->snd_nxt;
		c->flags |= TF_FIN_SENT;
		if (c->t_rexmt == 0 || (c->flags & TF_PERSIST)) {
			c->flags &= ~TF_PERSIST;
			tcp_arm_rexmt_or_probe(w, c);
		}
		return;
	}
	for (;;) {
		uint32_t off, sendable, usable, flight, room = UINT32_MAX;
		uint32_t mss = c->mss;
		uint32_t len;
		bool fin, new_data;
		uint8_t flags = TH_ACK;

		if (unlikely(c->n_sack)) {
			/* go-back-N after an RTO skips SACKed data (RFC 6675
			 * §5.1); outside recovery SACKed bytes are not in flight */
			if (SEQ_LT(c->snd_nxt, c->snd_max))
				room = tcp_sack_skip(c, &c->snd_nxt);
			off = c->snd_nxt - c->snd_una;
			flight = (c->flags & TF_IN_RECOVERY) ? off : off - tcp_sacked_below(c, c->snd_nxt);
		} else {
			off = flight = c->snd_nxt - c->snd_una;
		}
		sendable = off < c->snd_buffered ? c->snd_buffered - off : 0;
		usable = RTE_MIN(c->snd_wnd > off ? c->snd_wnd - off : 0,
				 c->cwnd > flight ? c->cwnd - flight : 0);

		/* room for SACK blocks (RFC 2018: up to 3 beside timestamps) */
		if ((c->opt & TO_SACK) && c->ooo_head)
			mss -= 4 + 8 * RTE_MIN((uint32_t)c->ooo_count, (c->opt & TO_TS) ? 3u : 4u);
		len = RTE_MIN(RTE_MIN(sendable, usable), RTE_MIN((uint32_t)mss, room));

		if (len > 0 && len == room) {
			/* a hole before SACKed data: its size is what it is */
		} else if (len > 0 && len < mss && len < sendable) {
			/* window-limited runt: sender SWS avoidance (RFC 9293 §3.8.6.2.1) */
			if (len < c->max_sndwnd / 2)
				len = 0;
		} else if (len > 0 && len < mss && !w->cfg->tcp.nodelay && off > 0 &&
			   c->snd_una != c->snd_max) {
			len = 0; /* Nagle (RFC 1122 4.2.3.4) */
		}
		fin = (c->flags & TF_FIN_QUEUED) && c->snd_nxt + len == c->snd_una + c->snd_buffered &&
		      !(c->flags & TF_FIN_ACKED);
		if (len == 0 && !fin) {
			if (c->flags & (TF_ACKNOW | TF_WND_UPDATE | TF_ACK_2SEG))
				tcp_send_ack(w, c);
			break;
		}
		if (fin)
			flags |= TH_FIN;
		if (len > 0 && len == sendable)
			flags |= TH_PSH;
		new_data = SEQ_GEQ(c->snd_nxt, c->snd_max);
		if (tcp_xmit(w, c, c->snd_nxt, len, flags) < 0)
			break; /* no mbuf: the RTO retries */
		if (new_data) {
			w->stats.tcp_tx_bytes += len;
			if (len > 0)
				tcp_rtt_time_new(w, c);
		} else {
			w->stats.tcp_retransmits++;
		}
		c->snd_nxt += len + (fin ? 1 : 0);
		if (fin)
			c->flags |= TF_FIN_SENT;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		if (c->t_rexmt == 0 || (c->flags & TF_PERSIST)) {
			c->flags &= ~TF_PERSIST;
			tcp_arm_rexmt_or_probe(w, c);
		}
		if (fin)
			break;
	}
	/* zero window with data waiting and nothing in flight: persist */
	if (c->snd_wnd == 0 && c->snd_buffered > 0 && c->snd_una == c->snd_max && c->t_rexmt == 0) {
		c->flags |= TF_PERSIST;
		c->rxt_shift = 0;
		c->t_rexmt = tcp_now(w) + RTE_MAX(c->rto, (uint32_t)TCP_PERSIST_MIN_MS);
		tcp_timer_arm(w->tcp, c, c->t_rexmt);
	}
}
