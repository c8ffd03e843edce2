/* load_engine.c — hare-load's per-worker engine.
 *
 * Everything here runs on the worker's lcore: the TCP callbacks and the
 * 1 ms app tick (hare_worker_set_app_tick). No locks, no syscalls on the
 * packet path (--get's fwrite of the body is the one exception: it is a
 * one-shot fetch, not a load test).
 *
 * Accounting: a "request" is an HTTP request (--url), an echo round
 * (--echo), or a connection (--connect, --url --close, --get: the
 * connection is part of the request). Every started request ends exactly
 * once, as a response (valid, timed) or as a failure counted under one
 * error kind: requests = responses + failed + inflight. A connection that
 * cannot be opened also uses one unit of -n, so a dead server cannot make
 * a -n run go on forever.
 *
 * Phases (per worker): RUN (open, send) -> DRAIN at -d or -n (no new
 * requests; wait for the in-flight ones up to --timeout: any still there
 * then has been outstanding >= --timeout and fails as a timeout) -> CLOSE
 * (FIN every connection, wait up to 1 s for the stack to finish) -> DONE
 * (the main thread's should_stop sees every worker DONE and stops).
 *
 * Open loop (--rate, as wrk2): request k of a worker is due at
 * start + k / rate_per_worker; it goes out on an idle connection (or a new
 * one) as soon as one is free, and its latency is measured from the
 * intended time, so a stalled server cannot hide its queueing delay
 * (coordinated omission).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include "load.h"

#define OPEN_PER_TICK 512     /* new connections per worker per ms (ramp-up bound) */
#define LINGER_MS 1000        /* --close: wait this long for the server's FIN */
#define CLOSE_WAIT_MS 1000    /* CLOSE phase: wait for the stack to finish closes */
#define SCAN_ROUND_MS 64      /* every slot is checked for timeouts this often */
#define PAT_LEN (65536 + 256) /* echo payload source: byte i of a round = i & 0xff */
#define REQ_COPY_MIN 128      /* req_into_mbuf copies at least this much ... */
#define REQ_COPY_MAX 1024     /* ... and reuses the response mbuf up to this */
_Static_assert(REQ_COPY_MAX <= LOAD_MAX_REQ, "req_into_mbuf reads inside cfg->req");

static uint8_t pattern[PAT_LEN];

void
load_pattern_init(void)
{
	for (unsigned i = 0; i < PAT_LEN; i++)
		pattern[i] = (uint8_t)i;
}

static inline uint64_t
tsc_to_ns(const struct load_worker *lw, uint64_t d)
{
	return (uint64_t)(((unsigned __int128)d * lw->ns_mult) >> 32);
}

/* Is a connection itself the request (connect, --close, --get)? */
static inline bool
per_conn(const struct load_cfg *cfg)
{
	return cfg->mode == LOAD_MODE_CONNECT || cfg->mode == LOAD_MODE_GET || cfg->close;
}

static inline bool
can_issue(const struct load_worker *lw)
{
	return lw->phase == LP_RUN && lw->cnt.requests < lw->quota;
}

static void conn_open(struct load_worker *lw, struct load_conn *c, uint64_t t_req);
static void dispatch_due(struct load_worker *lw);

/* Slot bookkeeping --------------------------------------------------- */

static void
slot_free(struct load_worker *lw, struct load_conn *c)
{
	if (c->est) {
		c->est = false;
		lw->cnt.active--;
	}
	c->tc = NULL;
	c->state = LC_FREE;
	lw->free_stk[lw->n_free++] = c->idx;
}

static void
slot_idle(struct load_worker *lw, struct load_conn *c)
{
	c->state = LC_IDLE;
	c->deadline_ms = 0;
	if (!c->in_idle) {
		c->in_idle = true;
		lw->idle_stk[lw->n_idle++] = c->idx;
	}
}

static struct load_conn *
pop_idle(struct load_worker *lw)
{
	while (lw->n_idle) {
		struct load_conn *c = &lw->conns[lw->idle_stk[--lw->n_idle]];

		c->in_idle = false;
		if (c->state == LC_IDLE)
			return c;
	}
	return NULL;
}

/* A request ended with a valid response at now (TSC): one counter update
 * each, the latency into the histogram (O(1), see histogram.h). */
static inline __attribute__((always_inline)) void
record_ok(struct load_worker *lw, struct load_conn *c, uint64_t now)
{
	uint64_t ns = tsc_to_ns(lw, now - c->t_req_tsc);

	lw->last_done_tsc = now;
	lw->cnt.responses++;
	lw->cnt.lat_sum_ns += ns;
	hist_record(&lw->lat, ns);
}

static inline __attribute__((always_inline)) void
request_ok(struct load_worker *lw, struct load_conn *c, uint64_t now)
{
	record_ok(lw, c, now);
	lw->inflight--;
}

/* A request ended: ok, or failed with kind. */
static void
request_done(struct load_worker *lw, struct load_conn *c, bool ok, enum load_err kind)
{
	uint64_t now = rte_rdtsc();

	if (ok) {
		request_ok(lw, c, now);
		return;
	}
	lw->inflight--;
	lw->last_done_tsc = now;
	lw->cnt.failed++;
	lw->cnt.err[kind]++;
}

/* A connection failed before any request ran on it (keep-alive modes):
 * count the error, and use a unit of -n so a dead server ends a -n run. */
static void
conn_failed(struct load_worker *lw, enum load_err kind)
{
	lw->cnt.err[kind]++;
	if (lw->cnt.requests < lw->quota) {
		lw->cnt.requests++;
		lw->cnt.failed++;
	}
}

/* Give the connection back (FIN, or RST with --rst / on errors) and free
 * the slot; no callbacks come for it afterwards. */
static void
conn_drop(struct load_worker *lw, struct load_conn *c, bool rst)
{
	if (c->tc) {
		if (rst)
			hare_tcp_abort(c->tc);
		else
			hare_tcp_close(c->tc);
	}
	slot_free(lw, c);
}

/* Reopen a just-freed slot when the closed loop wants it (callbacks). */
static void
maybe_reopen(struct load_worker *lw, struct load_conn *c)
{
	if (lw->cfg->rate > 0 && per_conn(lw->cfg))
		return; /* the dispatcher opens at the intended times */
	if (!can_issue(lw) || c->state != LC_FREE)
		return;
	/* the slot is on top of the free stack (slot_free just pushed it) */
	if (lw->n_free && lw->free_stk[lw->n_free - 1] == c->idx) {
		lw->n_free--;
		conn_open(lw, c, rte_rdtsc());
	}
}

/* Requests ------------------------------------------------------------ */

static int
echo_push(struct load_worker *lw, struct load_conn *c)
{
	uint32_t size = lw->cfg->size;

	while (c->echo_tx_left) {
		uint32_t off = size - c->echo_tx_left;
		uint32_t chunk = c->echo_tx_left < 16384 ? c->echo_tx_left : 16384;
		int n = hare_tcp_send_bytes(c->tc, pattern + (off & 0xff), chunk);

		if (n < 0)
			return n;
		if (n == 0)
			break;  /* send buffer full: on_sent continues */
		c->echo_tx_left -= (uint32_t)n;
		lw->cnt.tx_bytes += (uint64_t)n;
	}
	return 0;
}

/* The HTTP request written into m, a delivered single-segment mbuf the app
 * is done with (the response just parsed), so that hare_tcp_send queues it
 * as it is: no stash allocation, no send-space query, no libc memcpy call
 * (hare-httpd answers in the request's mbuf the same way). Only a direct
 * mbuf with no other reference may be written (an indirect one shares its
 * buffer). The copy is lw->req_copy bytes (req_len rounded up, see
 * load_worker_create), so it needs that much room after data_off; it
 * reads past req_len only inside cfg->req. The stale receive fields
 * (offload flags, packet type) are cleared: the send queue never reads
 * them, but a segment attached for a retransmission would carry them.
 * false: m unchanged, the caller sends with hare_tcp_send_bytes. */
static inline __attribute__((always_inline)) bool
req_into_mbuf(const struct load_worker *lw, struct rte_mbuf *m)
{
	const struct load_cfg *cfg = lw->cfg;
	uint32_t n = lw->req_copy;
	char *dst = rte_pktmbuf_mtod(m, char *);

	if (unlikely(!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
		     (uint32_t)m->buf_len - m->data_off < n))
		return false;
	if (likely(n == REQ_COPY_MIN)) {
		memcpy(dst, cfg->req, REQ_COPY_MIN);  /* four vector moves */
	} else {
		for (uint32_t i = 0; i < n; i += 64)
			memcpy(dst + i, cfg->req + i, 64);
	}
	m->ol_flags = 0;
	m->packet_type = 0;
	m->tx_offload = 0;
	m->data_len = (uint16_t)cfg->req_len;
	m->pkt_len = cfg->req_len;
	return true;
}

/* Could not queue the request (no mbufs, no send space): fail it, reset
 * the connection. */
static void
request_send_failed(struct load_worker *lw, struct load_conn *c)
{
	request_done(lw, c, false, LOAD_ERR_LOCAL);
	conn_drop(lw, c, true);
	maybe_reopen(lw, c);
}

/* Send the HTTP request on an established connection. spare: a delivered
 * mbuf the request may be written into (req_into_mbuf), or NULL. Returns
 * true when spare went to the stack; otherwise the caller still owns it. */
static inline __attribute__((always_inline)) bool
http_request_send(struct load_worker *lw, struct load_conn *c, struct rte_mbuf *spare)
{
	const struct load_cfg *cfg = lw->cfg;
	int n;

	c->state = LC_BUSY;
	c->deadline_ms = lw->w->now_ms + cfg->timeout_ms;
	http_resp_begin(&c->p, false);
	if (spare != NULL && req_into_mbuf(lw, spare)) {
		/* all or nothing: on failure the mbuf is still ours */
		n = hare_tcp_send_summed(c->tc, spare, lw->req_sum);
		if (likely(n == (int)cfg->req_len)) {
			lw->cnt.tx_bytes += (uint64_t)n;
			return true;
		}
	} else {
		n = hare_tcp_send_bytes(c->tc, cfg->req, cfg->req_len);
		if (n > 0)
			lw->cnt.tx_bytes += (uint64_t)n;
		if (n == (int)cfg->req_len)
			return false;
	}
	request_send_failed(lw, c);
	return false;
}

/* Send the request (HTTP, or an echo round) on an established connection. */
static void
request_send(struct load_worker *lw, struct load_conn *c)
{
	const struct load_cfg *cfg = lw->cfg;

	if (cfg->mode != LOAD_MODE_ECHO) {
		http_request_send(lw, c, NULL);
		return;
	}
	c->state = LC_BUSY;
	c->deadline_ms = lw->w->now_ms + cfg->timeout_ms;
	c->echo_tx_left = cfg->size;
	c->echo_rx_off = 0;
	if (echo_push(lw, c) != 0)
		request_send_failed(lw, c);
}

/* Keep-alive: start the next request on c (established). */
static void
request_start(struct load_worker *lw, struct load_conn *c, uint64_t t_req)
{
	lw->cnt.requests++;
	lw->inflight++;
	c->t_req_tsc = t_req;
	request_send(lw, c);
}

/* c is established and has no request: next one, or wait. now: the TSC
 * when c became free (closed loop: the next request is due at once, so its
 * latency starts there; one TSC read serves the response that ended and the
 * request that follows). */
static void
conn_next(struct load_worker *lw, struct load_conn *c, uint64_t now)
{
	if (lw->closed_loop && can_issue(lw)) {
		request_start(lw, c, now);
		return;
	}
	slot_idle(lw, c);
	if (!lw->closed_loop && lw->started)
		dispatch_due(lw);   /* a backlog goes out now, not at the next tick */
}

/* Open a connection in slot c (popped from the free stack). */
static void
conn_open(struct load_worker *lw, struct load_conn *c, uint64_t t_req)
{
	int err = 0;

	c->state = LC_CONNECTING;
	c->t_open_tsc = rte_rdtsc();
	c->t_req_tsc = t_req;
	c->deadline_ms = lw->w->now_ms + lw->cfg->connect_timeout_ms;
	if (per_conn(lw->cfg)) {
		lw->cnt.requests++;
		lw->inflight++;
	}
	c->tc = load_port_connect(&lw->port, lw->w, &lw->ops, c, &err);
	if (c->tc != NULL) {
		lw->cnt.conn_attempts++;
		return;
	}
	if (per_conn(lw->cfg))
		request_done(lw, c, false, LOAD_ERR_LOCAL);
	else
		conn_failed(lw, LOAD_ERR_LOCAL);
	slot_free(lw, c);
	/* no retry here: the tick retries within its budget */
}

/* TCP callbacks ------------------------------------------------------- */

static void
on_connected(struct hare_tcp_conn *tc)
{
	struct load_conn *c = hare_tcp_ctx(tc);
	struct load_worker *lw = c->lw;
	const struct load_cfg *cfg = lw->cfg;
	uint64_t now = rte_rdtsc();

	lw->answered = true;
	lw->cnt.conn_ok++;
	hist_record(&lw->conn_lat, tsc_to_ns(lw, now - c->t_open_tsc));
	c->est = true;
	lw->cnt.active++;
	if (cfg->mode == LOAD_MODE_CONNECT) {
		request_done(lw, c, true, 0);
		conn_drop(lw, c, cfg->rst);
		maybe_reopen(lw, c);
		return;
	}
	if (per_conn(cfg)) {
		request_send(lw, c);    /* counted at open; latency from the open */
		return;
	}
	conn_next(lw, c, now);
}

/* The response on c is complete and valid. spare: the mbuf it came in,
 * free for the next request (http_request_send), or NULL. Returns true
 * when spare was used. */
static inline __attribute__((always_inline)) bool
http_done(struct load_worker *lw, struct load_conn *c, struct rte_mbuf *spare)
{
	unsigned cls = c->p.status_class;
	uint64_t now = rte_rdtsc();

	/* a complete final response has a status class 2..5: the parser takes
	 * codes 100..599 only and skips interim 1xx heads (101 is an error) */
	lw->cnt.status[cls]++;
	lw->cnt.body_bytes += c->p.body_bytes;
	record_ok(lw, c, now);
	if (unlikely(lw->per_conn || !c->p.keep_alive)) {
		if (lw->cfg->mode == LOAD_MODE_GET) {   /* per_conn: --get is one */
			lw->get_status = c->p.status;
			lw->get_ok = cls == 2;
		}
		/* the server closes: wait for its FIN, so TIME_WAIT stays there */
		lw->inflight--;
		c->state = LC_LINGER;
		c->deadline_ms = lw->w->now_ms + LINGER_MS;
		return false;
	}
	if (likely(lw->closed_loop && can_issue(lw))) {
		/* conn_next's closed loop, with inflight as it is: one request
		 * ended and the next starts, at now */
		lw->cnt.requests++;
		c->t_req_tsc = now;
		return http_request_send(lw, c, spare);
	}
	lw->inflight--;
	conn_next(lw, c, now);
	return false;
}

static enum load_err
parse_err_kind(const struct http_resp_parser *p)
{
	switch (p->error) {
	case HTTP_RESP_ERR_CLOSED:
		return LOAD_ERR_CLOSED;
	case HTTP_RESP_ERR_SHORT_BODY:
		return LOAD_ERR_SHORT_BODY;
	case HTTP_RESP_ERR_ABORTED:
		return LOAD_ERR_LOCAL;  /* -o write failed */
	default:
		return LOAD_ERR_PARSE;
	}
}

/* Peer's FIN. */
static void
on_fin(struct load_worker *lw, struct load_conn *c)
{
	if (c->state == LC_BUSY) {
		if (lw->cfg->mode != LOAD_MODE_ECHO && http_resp_eof(&c->p) == HTTP_RESP_COMPLETE) {
			http_done(lw, c, NULL);  /* read-until-close body */
		} else {
			enum load_err k = lw->cfg->mode == LOAD_MODE_ECHO ?
				(c->echo_rx_off ? LOAD_ERR_SHORT_BODY : LOAD_ERR_CLOSED) :
				parse_err_kind(&c->p);

			request_done(lw, c, false, k);
		}
	} else if (c->state == LC_IDLE) {
		lw->cnt.server_closed++;
	}
	conn_drop(lw, c, false);
	maybe_reopen(lw, c);
}

/* Bytes nobody asked for, or a bad response: fail and reset. */
static void
data_error(struct load_worker *lw, struct load_conn *c, enum load_err kind)
{
	if (c->state == LC_BUSY)
		request_done(lw, c, false, kind);
	else
		lw->cnt.err[kind]++;
	conn_drop(lw, c, true);
	maybe_reopen(lw, c);
}

static void
on_data(struct hare_tcp_conn *tc, struct rte_mbuf *m)
{
	struct load_conn *c = hare_tcp_ctx(tc);
	struct load_worker *lw = c->lw;
	const struct load_cfg *cfg = lw->cfg;

	if (m == NULL) {
		on_fin(lw, c);
		return;
	}
	lw->cnt.rx_bytes += m->pkt_len;
	if (c->state != LC_BUSY) {
		data_error(lw, c, LOAD_ERR_PARSE);  /* unsolicited bytes */
		rte_pktmbuf_free(m);
		return;
	}
	c->deadline_ms = lw->w->now_ms + cfg->timeout_ms;   /* progress */
	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);
		size_t len = s->data_len, used = 0;

		if (len == 0)
			continue;
		if (cfg->mode == LOAD_MODE_ECHO) {
			if ((uint64_t)c->echo_rx_off + len > cfg->size ||
			    memcmp(pattern + (c->echo_rx_off & 0xff), d, len) != 0) {
				data_error(lw, c, LOAD_ERR_MISMATCH);
				break;
			}
			c->echo_rx_off += (uint32_t)len;
			if (c->echo_rx_off == cfg->size) {
				uint64_t now = rte_rdtsc();

				request_ok(lw, c, now);
				if (s->next != NULL) {   /* more than we sent */
					lw->cnt.err[LOAD_ERR_MISMATCH]++;
					conn_drop(lw, c, true);
					maybe_reopen(lw, c);
				} else {
					conn_next(lw, c, now);
				}
				break;
			}
			continue;
		}
		enum http_resp_result r = http_resp_feed(&c->p, d, len, &used);

		if (r == HTTP_RESP_NEED_MORE)
			continue;
		if (r == HTTP_RESP_ERROR) {
			data_error(lw, c, parse_err_kind(&c->p));
			break;
		}
		/* complete: nothing may follow (we never pipeline) */
		bool extra = used < len || s->next != NULL;

		http_done(lw, c, NULL);
		if (extra && c->tc == tc)
			data_error(lw, c, LOAD_ERR_PARSE);
		break;
	}
	/* into the worker's mbuf stash (what hare_tcp_free_mbuf does, inline:
	 * it needs only the worker, so also after a drop above), where the
	 * next request or ACK picks the mbufs up without a mempool trip */
	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		hare_free_seg(lw->w, m);
		m = n;
	}
}

/*
 * --url / --get: the common case first. A response (nginx: head and a small
 * body) arrives in one single-segment mbuf while its request is in flight:
 * feed it, finish it, free the mbuf. Anything else (FIN, unsolicited bytes,
 * a chain) goes through on_data.
 */
static __attribute__((flatten)) void
on_data_http(struct hare_tcp_conn *tc, struct rte_mbuf *m)
{
	struct load_conn *c = hare_tcp_ctx(tc);
	struct load_worker *lw = c->lw;

	if (unlikely(m == NULL || m->next != NULL || c->state != LC_BUSY)) {
		on_data(tc, m);
		return;
	}
	size_t len = m->data_len, used = 0;
	enum http_resp_result r = http_resp_feed(&c->p, rte_pktmbuf_mtod(m, const uint8_t *), len,
						 &used);

	lw->cnt.rx_bytes += m->pkt_len;
	if (likely(r == HTTP_RESP_COMPLETE && used == len)) {
		/* m carries the next request when one follows at once */
		if (http_done(lw, c, m))
			return;
	} else if (r == HTTP_RESP_NEED_MORE) {
		c->deadline_ms = lw->w->now_ms + lw->cfg->timeout_ms;   /* progress */
	} else if (r == HTTP_RESP_ERROR) {
		data_error(lw, c, parse_err_kind(&c->p));
	} else {
		/* complete with bytes after it: nothing may follow (we never pipeline) */
		http_done(lw, c, NULL);
		if (c->tc == tc)
			data_error(lw, c, LOAD_ERR_PARSE);
	}
	hare_free_seg(lw->w, m);   /* into the worker's stash, as on_data does */
}

static void
on_sent(struct hare_tcp_conn *tc, uint32_t bytes)
{
	struct load_conn *c = hare_tcp_ctx(tc);
	struct load_worker *lw = c->lw;

	(void)bytes;
	if (c->state == LC_BUSY && c->echo_tx_left && echo_push(lw, c) < 0)
		data_error(lw, c, LOAD_ERR_LOCAL);
}

static void
on_closed(struct hare_tcp_conn *tc, enum hare_tcp_close_reason why)
{
	struct load_conn *c = hare_tcp_ctx(tc);
	struct load_worker *lw = c->lw;
	enum load_err k;

	c->tc = NULL;  /* the handle dies when we return */
	lw->answered = true;
	switch (why) {
	case HARE_TCP_CLOSE_REFUSED:
		k = LOAD_ERR_REFUSED;
		break;
	case HARE_TCP_CLOSE_RESET:
		k = c->state == LC_CONNECTING ? LOAD_ERR_REFUSED : LOAD_ERR_RESET;
		break;
	case HARE_TCP_CLOSE_TIMEOUT:
		k = c->state == LC_CONNECTING ? LOAD_ERR_CONNECT_TIMEOUT : LOAD_ERR_TIMEOUT;
		break;
	case HARE_TCP_CLOSE_NOMEM:
		k = LOAD_ERR_LOCAL;
		break;
	default:
		k = c->state == LC_BUSY && c->echo_rx_off ? LOAD_ERR_SHORT_BODY : LOAD_ERR_CLOSED;
		break;
	}
	if (c->state == LC_BUSY || (c->state == LC_CONNECTING && per_conn(lw->cfg)))
		request_done(lw, c, false, k);
	else if (c->state == LC_CONNECTING)
		conn_failed(lw, k);
	else if (c->state == LC_IDLE && why != HARE_TCP_CLOSE_NORMAL)
		lw->cnt.err[k]++;
	/* LC_LINGER: the response was complete; how the server ends is its business */
	slot_free(lw, c);
	maybe_reopen(lw, c);
}

/* The tick ------------------------------------------------------------ */

/* --rate: send every request whose intended time has come. */
static void
dispatch_due(struct load_worker *lw)
{
	uint64_t now = rte_rdtsc();
	uint64_t late_tsc = rte_get_tsc_hz() / 1000;
	bool starved = false;   /* a request is due but no connection is free */

	while (can_issue(lw)) {
		uint64_t due = lw->start_tsc + (uint64_t)((double)lw->cnt.requests * lw->tsc_per_req);
		struct load_conn *c;

		if (due > now)
			break;
		if (per_conn(lw->cfg)) {
			if (lw->n_free == 0 || (!lw->answered && lw->cnt.conn_attempts > 0 &&
						lw->w->now_ms < lw->start_ms + 1000)) {
				starved = true;
				break;  /* no slot, or ARP warm-up (open_some) */
			}
			c = &lw->conns[lw->free_stk[--lw->n_free]];
			conn_open(lw, c, due);
		} else {
			c = pop_idle(lw);
			if (c == NULL) {
				starved = true;
				break;
			}
			request_start(lw, c, due);
		}
		if (now - due > late_tsc)
			lw->cnt.late++;
	}
	/* the next request's intended time: the run loop calls load_poll
	 * then; a request waiting for a connection goes when one frees
	 * (conn_next), or at the next tick */
	if (!starved && lw->started && lw->phase == LP_RUN && can_issue(lw))
		hare_worker_poll_at(lw->w, lw->start_tsc +
				    (uint64_t)((double)lw->cnt.requests * lw->tsc_per_req));
}

/* --rate: the run loop's call at a request's intended time. */
static void
load_poll(struct hare_worker *w, void *arg)
{
	struct load_worker *lw = arg;

	if (lw->phase == LP_RUN)
		dispatch_due(lw);
}

/* Open free slots (ramp-up, retries), at most OPEN_PER_TICK. Until the
 * first answer from the server (SYN-ACK or RST) only one connection is
 * opened: the first SYN waits for ARP, and the stack's ARP queue keeps only
 * a few packets, so a burst of SYNs would mostly be dropped and retried a
 * second later (measured: 60 of 64 handshakes took 1 s without this). */
static void
open_some(struct load_worker *lw)
{
	unsigned budget = OPEN_PER_TICK;

	if (lw->cfg->rate > 0 && per_conn(lw->cfg))
		return;
	if (!lw->answered && lw->w->now_ms < lw->start_ms + 1000)
		budget = lw->cnt.conn_attempts == 0 ? 1 : 0;
	while (budget-- && lw->n_free && can_issue(lw)) {
		struct load_conn *c = &lw->conns[lw->free_stk[--lw->n_free]];

		conn_open(lw, c, rte_rdtsc());
	}
}

/* Abort what has made no progress in time. */
static void
scan_timeouts(struct load_worker *lw, uint64_t now)
{
	uint32_t n = lw->n_conns / SCAN_ROUND_MS + 1;

	if (lw->n_conns == 0)
		return;
	while (n--) {
		struct load_conn *c = &lw->conns[lw->scan_pos];

		lw->scan_pos = lw->scan_pos + 1 == lw->n_conns ? 0 : lw->scan_pos + 1;
		if (c->tc == NULL || c->deadline_ms == 0 || now < c->deadline_ms)
			continue;
		switch (c->state) {
		case LC_CONNECTING:
			if (per_conn(lw->cfg))
				request_done(lw, c, false, LOAD_ERR_CONNECT_TIMEOUT);
			else
				conn_failed(lw, LOAD_ERR_CONNECT_TIMEOUT);
			conn_drop(lw, c, true);
			break;
		case LC_BUSY:
			request_done(lw, c, false, LOAD_ERR_TIMEOUT);
			conn_drop(lw, c, true);
			break;
		case LC_LINGER:
			conn_drop(lw, c, lw->cfg->rst);
			break;
		default:
			continue;
		}
		maybe_reopen(lw, c);
	}
}

static void
enter_close(struct load_worker *lw, uint64_t now)
{
	for (uint32_t i = 0; i < lw->n_conns; i++) {
		struct load_conn *c = &lw->conns[i];

		if (c->tc == NULL)
			continue;
		if (c->state == LC_BUSY || (c->state == LC_CONNECTING && per_conn(lw->cfg))) {
			/* outstanding since before the drain began: >= --timeout */
			request_done(lw, c, false, c->state == LC_BUSY ? LOAD_ERR_TIMEOUT :
				     LOAD_ERR_CONNECT_TIMEOUT);
			conn_drop(lw, c, true);
		} else {
			conn_drop(lw, c, c->state == LC_CONNECTING || lw->cfg->rst);
		}
	}
	lw->phase = LP_CLOSE;
	lw->phase_until = now + CLOSE_WAIT_MS;
}

static void
load_tick(struct hare_worker *w, void *arg)
{
	struct load_worker *lw = arg;
	uint64_t now = w->now_ms;

	if (!lw->started) {
		lw->started = true;
		lw->start_ms = now;
		lw->start_tsc = rte_rdtsc();
		lw->end_ms = lw->cfg->duration_ms ? now + lw->cfg->duration_ms : UINT64_MAX;
	}
	switch (lw->phase) {
	case LP_RUN:
		if (now >= lw->end_ms || lw->cnt.requests >= lw->quota) {
			lw->phase = LP_DRAIN;
			lw->drain_tsc = rte_rdtsc();
			lw->phase_until = now + lw->cfg->timeout_ms;
			break;
		}
		if (lw->cfg->rate > 0)
			dispatch_due(lw);
		open_some(lw);
		break;
	case LP_DRAIN:
		if (lw->inflight == 0 || now >= lw->phase_until)
			enter_close(lw, now);
		break;
	case LP_CLOSE:
		if (hare_tcp_conn_count(w) == 0 || now >= lw->phase_until)
			lw->phase = LP_DONE;
		break;
	default:
		return;
	}
	scan_timeouts(lw, now);
}

/* Life cycle ---------------------------------------------------------- */

struct load_worker *
load_worker_create(struct hare_worker *w, const struct load_cfg *cfg, uint64_t quota,
		   uint32_t n_conns)
{
	/* plain heap, not rte_malloc: the engine outlives EAL (main() reads
	 * the --get result and frees it after hare_app_main returned) */
	size_t sz = (sizeof(struct load_worker) + RTE_CACHE_LINE_SIZE - 1) &
		    ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
	struct load_worker *lw = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);

	if (lw == NULL)
		return NULL;
	memset(lw, 0, sz);
	lw->w = w;
	lw->cfg = cfg;
	lw->quota = quota;
	lw->n_conns = n_conns;
	lw->conns = calloc(n_conns ? n_conns : 1, sizeof(*lw->conns));
	lw->free_stk = calloc(n_conns ? n_conns : 1, sizeof(uint32_t));
	lw->idle_stk = calloc(n_conns ? n_conns : 1, sizeof(uint32_t));
	if (lw->conns == NULL || lw->free_stk == NULL || lw->idle_stk == NULL) {
		load_worker_destroy(lw);
		return NULL;
	}
	/* on_sent only matters to echo (a round bigger than the send buffer) */
	lw->ops = (struct hare_tcp_ops){
		.on_connected = on_connected,
		.on_data = cfg->mode == LOAD_MODE_ECHO ? on_data : on_data_http,
		.on_sent = cfg->mode == LOAD_MODE_ECHO ? on_sent : NULL,
		.on_closed = on_closed,
	};
	lw->closed_loop = cfg->rate == 0;
	lw->per_conn = per_conn(cfg);
	/* req_into_mbuf's copy: REQ_COPY_MIN bytes, or whole 64-byte blocks;
	 * UINT32_MAX (no mbuf has that room) turns the reuse off */
	lw->req_copy = cfg->req_len <= REQ_COPY_MIN ? REQ_COPY_MIN :
		       (cfg->req_len + 63) & ~63u;
	if (lw->req_copy > REQ_COPY_MAX)
		lw->req_copy = UINT32_MAX;
	/* the request never changes: its sum once, for every TCP checksum */
	lw->req_sum = hare_tcp_payload_sum(cfg->req, cfg->req_len);
	lw->ns_mult = (uint64_t)(((unsigned __int128)1000000000 << 32) / rte_get_tsc_hz());
	if (cfg->rate > 0)
		lw->tsc_per_req = (double)rte_get_tsc_hz() * (w->n_workers ? w->n_workers : 1) /
				  cfg->rate;
	hist_reset(&lw->lat);
	hist_reset(&lw->conn_lat);
	/* slots pushed in reverse so slot 0 opens first */
	for (uint32_t i = n_conns; i-- > 0;) {
		struct load_conn *c = &lw->conns[i];

		c->idx = i;
		c->lw = lw;
		http_resp_init(&c->p, 0, NULL, NULL);
		http_resp_set_memo(&c->p, &lw->memo);
		lw->free_stk[lw->n_free++] = i;
	}
	if (load_port_init(&lw->port, w, cfg) < 0) {
		load_worker_destroy(lw);
		return NULL;
	}
	hare_worker_set_app_tick(w, load_tick, lw);
	if (cfg->rate > 0)
		hare_worker_set_app_poll(w, load_poll, lw);
	return lw;
}

/* Body bytes of --get go to the -o file. */
static int
get_body(void *ctx, const uint8_t *data, size_t len)
{
	struct load_worker *lw = ctx;

	return fwrite(data, 1, len, lw->out) == len ? 0 : 1;
}

void
load_worker_set_output(struct load_worker *lw, FILE *out)
{
	lw->out = out;
	for (uint32_t i = 0; i < lw->n_conns; i++) {
		http_resp_init(&lw->conns[i].p, 0, out ? get_body : NULL, lw);
		http_resp_set_memo(&lw->conns[i].p, &lw->memo);
	}
}

void
load_worker_destroy(struct load_worker *lw)
{
	if (lw == NULL)
		return;
	free(lw->conns);
	free(lw->free_stk);
	free(lw->idle_stk);
	free(lw);
}
