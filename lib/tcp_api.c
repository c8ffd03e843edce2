/* tcp_api.c — the application API (hare_tcp.h): listen, connect, send,
 * receive-window control, shutdown/close/abort and accessors.
 *
 * Call chains:
 *   hare_tcp_listen() -> listener slot
 *   hare_tcp_connect[_from]() -> tcp_conn_alloc() -> tcp_xmit(SYN)
 *   hare_tcp_send() -> send queue append -> tcp_output()
 *   hare_tcp_recved() -> window update ACK (tcp_send_ack)
 *   hare_tcp_shutdown()/hare_tcp_close() -> FIN via tcp_output()
 *   hare_tcp_abort() -> tcp_send_rst_conn() -> tcp_conn_release()
 * All run on the worker's lcore; none blocks.
 */
#include <errno.h>
#include <string.h>
#include <rte_errno.h>
#include "tcp_impl.h"
#include "cksum.h"

static uint8_t
pick_wscale(const struct hare_worker *w)
{
	uint8_t ws = 0;

	while (ws < 14 && (w->cfg->tcp.rcv_buf >> ws) > 65535)
		ws++;
	return ws;
}

struct hare_tcp_listener *
hare_tcp_listen(struct hare_worker *w, uint32_t ip, uint16_t port,
		const struct hare_tcp_ops *ops, void *ctx)
{
	struct hare_tcp_ctx *x = w->tcp;
	uint16_t lport = rte_cpu_to_be_16(port);
	struct tcp_listener *l = NULL;

	if (ops == NULL || port == 0 || (ip != 0 && hare_config_ip_index(w->cfg, ip) < 0)) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (unsigned i = 0; i < x->n_listeners; i++) {
		struct tcp_listener *e = &x->listeners[i];

		if (e->in_use && e->lport == lport && e->laddr == ip) {
			rte_errno = EADDRINUSE;
			return NULL;
		}
		if (!e->in_use && l == NULL)
			l = e;
	}
	if (l == NULL) {
		if (x->n_listeners >= TCP_MAX_LISTENERS) {
			rte_errno = ENOSPC;
			return NULL;
		}
		l = &x->listeners[x->n_listeners++];
	}
	memset(l, 0, sizeof(*l));
	l->laddr = ip;
	l->lport = lport;
	l->ops = ops;
	l->ctx = ctx;
	l->backlog = w->cfg->tcp.backlog;
	l->in_use = 1;
	return (struct hare_tcp_listener *)l;
}

void
hare_tcp_unlisten(struct hare_tcp_listener *hl)
{
	struct tcp_listener *l = (struct tcp_listener *)hl;

	if (l)
		l->in_use = 0;
}

/* Source-port choice. The seam for RSS-aware selection (mTCP/dperf): with
 * several queues, a port is acceptable only if the reply's hash maps to
 * this worker's queue; today every free port is. */
static bool
tcp_port_ok(const struct hare_tcp_ctx *x, const struct tcp_tuple *t, uint32_t hash)
{
	(void)t;
	(void)hash;
	(void)x;
	return true;
}

struct hare_tcp_conn *
hare_tcp_connect_from(struct hare_worker *w, uint32_t src, uint16_t sport,
		      uint32_t dst, uint16_t dport, const struct hare_tcp_ops *ops, void *ctx)
{
	struct hare_tcp_ctx *x = w->tcp;
	struct tcp_tuple t;
	struct hare_tcp_conn *c;
	uint32_t hash = 0;

	if (dport == 0 || dst == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (src == 0) {
		if (w->cfg->n_ips == 0) {
			rte_errno = EADDRNOTAVAIL;
			return NULL;
		}
		src = w->cfg->ips[0].addr;
	} else if (hare_config_ip_index(w->cfg, src) < 0) {
		rte_errno = EADDRNOTAVAIL;
		return NULL;
	}
	t.laddr = src;
	t.raddr = dst;
	t.rport = rte_cpu_to_be_16(dport);
	if (sport != 0) {
		t.lport = rte_cpu_to_be_16(sport);
		hash = tcp_flow_hash(x, &t);
		if (tcp_flow_lookup(x, hash, &t) != 0) {
			rte_errno = EADDRINUSE;
			return NULL;
		}
	} else {
		unsigned span = TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1, tries;

		for (tries = 0; tries < span; tries++) {
			uint16_t p = x->next_port;

			x->next_port = (uint16_t)(p >= TCP_EPHEMERAL_HI ? TCP_EPHEMERAL_LO : p + 1);
			t.lport = rte_cpu_to_be_16(p);
			hash = tcp_flow_hash(x, &t);
			if (tcp_flow_lookup(x, hash, &t) == 0 && tcp_port_ok(x, &t, hash))
				break;
		}
		if (tries == span) {
			rte_errno = EADDRNOTAVAIL;
			return NULL;
		}
	}
	c = tcp_conn_alloc(x, &t, hash);
	if (c == NULL) {
		w->stats.tcp_drop_no_conn++;
		rte_errno = ENOMEM;
		return NULL;
	}
	c->flags |= TF_ACTIVE;
	tcp_set_ops(c, ops);
	c->ctx = ctx;
	c->state = HARE_TCP_SYN_SENT;
	c->rcv_wscale = w->cfg->tcp.wscale ? pick_wscale(w) : 0;
	c->mss = tcp_mss_for(w);
	x->cc->init(c);
	tcp_xmit(w, c, c->iss, 0, TH_SYN);
	c->snd_nxt = c->snd_max = c->iss + 1;
	tcp_arm_rexmt(w, c);
	return c;
}

struct hare_tcp_conn *
hare_tcp_connect(struct hare_worker *w, uint32_t dst, uint16_t port,
		 const struct hare_tcp_ops *ops, void *ctx)
{
	return hare_tcp_connect_from(w, 0, 0, dst, port, ops, ctx);
}

/* Whether the app may queue data: before its FIN, in the states that
 * send (SYN_SENT/SYN_RCVD queue until established). */
static inline bool
can_send(const struct hare_tcp_conn *c)
{
	if (c->flags & (TF_FIN_QUEUED | TF_DEAD | TF_ORPHAN))
		return false;
	return c->state == HARE_TCP_ESTABLISHED || c->state == HARE_TCP_CLOSE_WAIT ||
	       c->state == HARE_TCP_SYN_SENT || c->state == HARE_TCP_SYN_RCVD;
}

/* Free room in the send buffer (whether sending is allowed aside). */
static inline uint32_t
snd_room(const struct hare_tcp_conn *c)
{
	uint32_t buf = c->w->cfg->tcp.snd_buf;

	return c->snd_buffered >= buf ? 0 : buf - c->snd_buffered;
}

uint32_t
hare_tcp_send_space(const struct hare_tcp_conn *c)
{
	return can_send(c) ? snd_room(c) : 0;
}

/* Append one single-segment mbuf to the send queue; tiny ones are merged
 * into the tail's spare room (bounds mbufs held for 1-byte writes). */
static void
sndq_append(struct hare_tcp_conn *c, struct rte_mbuf *s, uint32_t psum)
{
	const struct hare_tcp_ctx *x = c->w->tcp;
	struct rte_mbuf *t = c->sndq_tail;
	uint32_t n = s->data_len;

	c->snd_buffered += n;
	/* (not into a tail that is also a frame on the TX ring: refcnt 2) */
	if (t && n <= 128 && RTE_MBUF_DIRECT(t) && rte_mbuf_refcnt_read(t) == 1 &&
	    rte_pktmbuf_tailroom(t) >= n) {
		sndq_tail_fill(x, t, rte_pktmbuf_mtod(s, char *), n);
		hare_free_seg(c->w, s);
		return;
	}
	/* the app's mbuf becomes a send-queue entry: whatever offload
	 * requests it carries are cleared (it may go out as a frame itself);
	 * what kind of buffer it has (external, attached) stays */
	s->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;
	s->tx_offload = 0;
	s->packet_type = 0;
	sndq_entry_init(x, s, psum);
	if (t)
		tcp_meta(x, t)->qnext = s;
	else
		c->sndq_head = s;
	c->sndq_tail = s;
}

/* hare_tcp_send's work: m (maybe a chain) split into send-queue entries;
 * psum (TCP_PSUM_VALID | sum, or 0) goes with a single segment. */
static inline int
tcp_send_queue(struct hare_tcp_conn *c, struct rte_mbuf *m, uint32_t psum)
{
	uint32_t len;

	if (!can_send(c))
		return -ENOTCONN;
	len = m->pkt_len;
	if (c->snd_buffered + len > c->w->cfg->tcp.snd_buf)
		return -EAGAIN;
	while (m) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (m->data_len == 0)
			hare_free_seg(c->w, m);
		else
			sndq_append(c, m, psum);
		m = next;
	}
	if (c->state == HARE_TCP_ESTABLISHED || c->state == HARE_TCP_CLOSE_WAIT)
		tcp_output(c->w, c);
	return (int)len;
}

int
hare_tcp_send(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	if (c == NULL || m == NULL)
		return -EINVAL;
	return tcp_send_queue(c, m, 0);
}

int
hare_tcp_send_summed(struct hare_tcp_conn *c, struct rte_mbuf *m, uint16_t payload_sum)
{
	if (c == NULL || m == NULL || m->next != NULL || m->pkt_len != m->data_len)
		return -EINVAL;
	return tcp_send_queue(c, m, payload_sum | TCP_PSUM_VALID);
}

uint16_t
hare_tcp_payload_sum(const void *buf, uint32_t len)
{
	return hare_raw_cksum(buf, len);
}

int
hare_tcp_send_bytes(struct hare_tcp_conn *c, const void *buf, uint32_t len)
{
	struct hare_worker *w;
	const char *p = buf;
	uint32_t done = 0, space;

	if (c == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (!can_send(c))
		return -ENOTCONN;
	w = c->w;
	space = snd_room(c);
	if (len > space)
		len = space;
	/* fill the tail's room first */
	if (c->sndq_tail && RTE_MBUF_DIRECT(c->sndq_tail) && len > 0) {
		struct rte_mbuf *t = c->sndq_tail;
		uint32_t n = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(t), len);

		if (n > 0 && rte_mbuf_refcnt_read(t) == 1) {
			sndq_tail_fill(w->tcp, t, p, n);
			c->snd_buffered += n;
			done += n;
		}
	}
	while (done < len) {
		struct rte_mbuf *m = hare_alloc_mbuf(w);
		uint32_t n;

		if (m == NULL)
			break;
		n = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), len - done);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), p + done, n);
		sndq_entry_init(w->tcp, m, 0);
		if (c->sndq_tail)
			tcp_meta(w->tcp, c->sndq_tail)->qnext = m;
		else
			c->sndq_head = m;
		c->sndq_tail = m;
		c->snd_buffered += n;
		done += n;
	}
	if (done && (c->state == HARE_TCP_ESTABLISHED || c->state == HARE_TCP_CLOSE_WAIT))
		tcp_output(w, c);
	return (int)done;
}

void
hare_tcp_free_mbuf(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	struct hare_worker *w = c->w;

	/* rte_pktmbuf_free()'s walk, each segment through the stash
	 * (mbuf_stash.h: refcount, foreign pools and detaching handled) */
	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		hare_free_seg(w, m);
		m = n;
	}
}

void
hare_tcp_recved(struct hare_tcp_conn *c, uint32_t bytes)
{
	uint32_t before, after;

	if (c == NULL || (c->flags & TF_DEAD))
		return;
	before = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	c->rcv_unread -= RTE_MIN(bytes, c->rcv_unread);
	switch (c->state) {
	case HARE_TCP_ESTABLISHED:
	case HARE_TCP_FIN_WAIT_1:
	case HARE_TCP_FIN_WAIT_2:
		break;
	default:
		return;
	}
	after = tcp_rcv_window(c, c->w);
	/* window update when it opened by 2 segments or half the buffer
	 * (RFC 9293 §3.8.6.2.2), at once if it was (nearly) closed */
	if (after > before &&
	    (after - before >= RTE_MIN(2u * c->rcv_mss, c->w->cfg->tcp.rcv_buf / 2) ||
	     before < c->rcv_mss))
		tcp_send_ack(c->w, c);
}

/* FIN queued: move to the closing state (RFC 9293 §3.10.4 CLOSE). */
static void
apply_fin_state(struct hare_tcp_conn *c)
{
	if (c->state == HARE_TCP_ESTABLISHED || c->state == HARE_TCP_SYN_RCVD)
		c->state = HARE_TCP_FIN_WAIT_1;
	else if (c->state == HARE_TCP_CLOSE_WAIT)
		c->state = HARE_TCP_LAST_ACK;
}

/* hare_tcp_shutdown for a connection (inline in hare_tcp_close too: the
 * usual server close). */
static inline int
tcp_shutdown(struct hare_tcp_conn *c)
{
	if (c->flags & (TF_FIN_QUEUED | TF_DEAD))
		return -ENOTCONN;
	switch (c->state) {
	case HARE_TCP_ESTABLISHED:
	case HARE_TCP_CLOSE_WAIT:
		c->flags |= TF_FIN_QUEUED;
		apply_fin_state(c);
		tcp_output(c->w, c);
		return 0;
	case HARE_TCP_SYN_RCVD:
		/* FIN after the handshake completes: keep SYN_RCVD, send
		 * once established (tcp_output does nothing before) */
		c->flags |= TF_FIN_QUEUED;
		return 0;
	default:
		return -ENOTCONN;
	}
}

int
hare_tcp_shutdown(struct hare_tcp_conn *c)
{
	if (c == NULL)
		return -EINVAL;
	return tcp_shutdown(c);
}

int
hare_tcp_close(struct hare_tcp_conn *c)
{
	struct hare_tcp_ctx *x;

	if (c == NULL)
		return -EINVAL;
	x = c->w->tcp;
	if (c->flags & TF_DEAD)
		return 0;
	c->flags |= TF_ORPHAN;
	switch (c->state) {
	case HARE_TCP_SYN_SENT:
		tcp_conn_release(x, c);
		if (!x->in_event)
			tcp_reap_zombies(x);
		break;
	case HARE_TCP_ESTABLISHED:
	case HARE_TCP_CLOSE_WAIT:
	case HARE_TCP_SYN_RCVD:
		if (!(c->flags & TF_FIN_QUEUED))
			tcp_shutdown(c);
		break;
	case HARE_TCP_FIN_WAIT_2:
		tcp_set_keep(c->w, c, c->w->cfg->tcp.fin_wait2_ms);
		break;
	default:
		break;
	}
	return 0;
}

void
hare_tcp_abort(struct hare_tcp_conn *c)
{
	if (c == NULL || (c->flags & TF_DEAD))
		return;
	c->flags |= TF_ORPHAN;
	if (c->state != HARE_TCP_SYN_SENT && c->state != HARE_TCP_CLOSED)
		tcp_send_rst_conn(c->w, c);
	tcp_conn_closed(c->w->tcp, c, HARE_TCP_CLOSE_RESET);
	if (!c->w->tcp->in_event)
		tcp_reap_zombies(c->w->tcp); /* called from outside any event */
}

enum hare_tcp_state
hare_tcp_state(const struct hare_tcp_conn *c)
{
	return (enum hare_tcp_state)c->state;
}

const char *
hare_tcp_state_name(enum hare_tcp_state s)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
		"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
	};
	return (unsigned)s < RTE_DIM(names) ? names[s] : "?";
}

void hare_tcp_set_ctx(struct hare_tcp_conn *c, void *ctx) { c->ctx = ctx; }

void
hare_tcp_want_sent(struct hare_tcp_conn *c, bool on)
{
	if (!c->ops || !c->ops->on_sent || !(c->ops->flags & HARE_TCP_OPS_SENT_ON_REQUEST))
		return; /* without the flag: always on (or no callback) */
	if (on)
		c->flags |= TF_SENT_CB;
	else
		c->flags &= ~TF_SENT_CB;
}
struct hare_worker *hare_tcp_worker(const struct hare_tcp_conn *c) { return c->w; }
uint32_t hare_tcp_unacked(const struct hare_tcp_conn *c) { return c->snd_buffered; }

void
hare_tcp_set_ops(struct hare_tcp_conn *c, const struct hare_tcp_ops *ops)
{
	tcp_set_ops(c, ops);
	if (ops && (ops->flags & HARE_TCP_OPS_MANUAL_RECV))
		c->flags |= TF_MANUAL_RECV;
	else
		c->flags &= ~TF_MANUAL_RECV;
}

void
hare_tcp_peer(const struct hare_tcp_conn *c, uint32_t *ip, uint16_t *port)
{
	if (ip)
		*ip = c->t.raddr;
	if (port)
		*port = rte_be_to_cpu_16(c->t.rport);
}

void
hare_tcp_local(const struct hare_tcp_conn *c, uint32_t *ip, uint16_t *port)
{
	if (ip)
		*ip = c->t.laddr;
	if (port)
		*port = rte_be_to_cpu_16(c->t.lport);
}
