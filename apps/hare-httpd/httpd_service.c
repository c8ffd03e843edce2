/* httpd_service.c — connections, requests, responses, timeouts. See
 * httpd_service.h for the model.
 *
 * Call chains (all on the worker's lcore):
 *   hare_tcp_input -> httpd_accept      : take a connection slot, header timer
 *                  -> httpd_data(m)     : conn_fast() (one segment, nothing
 *                                         queued: the memo or parse, answer
 *                                         into m, send) or queue m, conn_run()
 *                  -> httpd_sent(n)     : output was blocked: conn_run()
 *                  -> httpd_closed      : free the slot
 *   conn_run: loop { emit the pending response (copy head, reference body);
 *                    parse the next request from the queued input;
 *                    decide its response } -> one hare_tcp_send (all the
 *             pipelined responses of the burst in one chain) ->
 *             hare_tcp_recved (window reopens by what was parsed) -> timer
 *   app tick (1 ms): Date refresh, the timer wheel's slots up to now
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include "hare_tcp.h"
#include "http_request.h"
#include "http_response.h"
#include "httpd_memo.h"
#include "httpd_service.h"

/* Bodies up to this size are copied behind the head (one mbuf, one memcpy:
 * cheaper than an extra mbuf and a refcount); larger ones are referenced. */
#define HTTPD_INLINE_MAX 1024u
/* Streaming: queue a body chunk only when this much send space (or all
 * that is left, or all up to the next IOVA block) is free, so a window
 * refilling one ACK at a time does not cut the body into tiny mbufs. */
#define HTTPD_STREAM_LOWAT (16u * 1024)
/* Parsed bytes are given back to the receive window (hare_tcp_recved) in
 * batches of this much: a window a few KiB short of the 256 KiB buffer
 * costs nothing, a call per small request costs ~90 instructions. Input
 * held while output is blocked is never counted here, so backpressure is
 * unchanged. */
#define HTTPD_RECVED_BATCH 4096u

/* Timers: which timeout a connection waits under (its state), each with
 * one constant duration. */
enum { TL_NONE = 0, TL_HEADER, TL_IDLE, TL_SEND, TL_LINGER, TL_COUNT };

/*
 * The timer wheel: one slot per millisecond, TW_SLOTS of them; a connection
 * with a timer sits in the slot of its `queued` time, and queued <= deadline
 * always. A later deadline (the idle timer pushed back by each request, a
 * new timer due no earlier than the slot) is only written to `deadline`: the
 * connection stays where it is, and the tick, visiting the slot of every
 * millisecond up to now, expires what is due and moves what is not to the
 * slot of its deadline. So each timeout fires at the first tick at or after
 * its deadline (exact to the tick, as sorted lists were), a request costs
 * two stores instead of a list move, and the tick touches a connection
 * about once per TW_SLOTS ms of its timeout.
 */
#define TW_SLOTS 1024u

/* A doubly linked ring: a wheel slot's head, or a connection's place in one. */
struct tw_link {
	struct tw_link *prev, *next;
};

/* conn flags */
#define CF_IN_HEAD   0x01  /* a request head is being received (header timer) */
#define CF_IN_BODY   0x02  /* a request body is being received (discarded) */
#define CF_GOT_BYTES 0x04  /* bytes of the current head arrived (408 on timeout) */
#define CF_EOF       0x08  /* the peer closed its side */
#define CF_LINGER    0x10  /* our FIN is queued; input is read and dropped */

/* A prebuilt response head (plus an inline body), per worker: its Date is
 * patched in place, so it is never handed to the NIC by reference. */
struct httpd_resp {
	char *buf;
	uint16_t head_len;       /* head bytes (what HEAD gets) */
	uint16_t len;            /* head + inline body */
	uint16_t date_off;
	uint16_t status;
	int64_t date_sec;        /* second the Date in buf is for */
	/* hare_tcp_payload_sum of buf[0..sum_len) as it was at sum_sec: the
	 * fast path hands it to the stack with the reply (hare_tcp_send_summed),
	 * which then need not sum the reply for the TCP checksum; redone when
	 * the Date changes (once a second) or another length is sent (HEAD) */
	uint16_t sum, sum_len;
	int64_t sum_sec;
};

/* A body's responses on one worker. */
struct httpd_wbody {
	struct httpd_resp r[2];  /* [0] Connection: close, [1] keep-alive */
	bool inline_body;        /* body copied behind the head (r[].len) */
};

/* The response being queued on a connection. */
struct httpd_pending {
	struct httpd_resp *r;    /* head (+ inline body) still to copy; NULL: done */
	uint64_t sleft;          /* bytes still to queue (0: none) */
	uint64_t soff;           /* body streamed by reference: content offset */
	uint16_t copy_len;
	bool close;              /* close the connection after this response */
};

/* One connection's state. What a keep-alive request touches (all but the
 * parser) is in the first cache line. */
struct httpd_conn {
	struct hare_tcp_conn *tc;        /* NULL: slot free */
	struct httpd_worker *hw;
	struct rte_mbuf *in_head;        /* received, not yet parsed: segments */
	uint8_t flags;                   /* CF_* */
	uint8_t tl;                      /* TL_* it waits under */
	uint32_t rx_owed;                /* parsed bytes not yet hare_tcp_recved */
	uint64_t deadline;               /* of its timer (tl != TL_NONE) */
	uint64_t queued;                 /* the wheel slot's time, <= deadline */
	struct httpd_pending pend;
	struct tw_link link;             /* in the wheel slot of `queued` */
	struct rte_mbuf *in_tail;        /*   linked through ->next */
	uint64_t head_deadline;          /* header timeout of the current request */
	struct httpd_conn *free_next;    /* free list */
	struct http_req_parser p;
	char tbuf[HTTPD_TARGET_MAX];     /* request-target split across segments */
} __rte_cache_aligned;

/* Error responses we send, in err[] order. */
static const uint16_t err_status[] = { 400, 404, 405, 408, 413, 414, 431, 500, 501, 505 };
#define N_ERR (sizeof(err_status) / sizeof(err_status[0]))

/*
 * The fast path's memo (httpd_memo.h): the bytes of the last request
 * conn_fast() parsed from a fresh parser as one whole segment and answered
 * with a template in place (keep-alive, nothing streamed), and that answer.
 * Its parse depended on nothing but those bytes and the worker's parser
 * limits, its answer on the parsed request and the worker's content and
 * templates, none of which change while the worker runs; so the same bytes
 * to a fresh parser of the same worker get the same answer, with the same
 * counters.
 */
struct httpd_fast_memo {
	struct httpd_memo req;
	struct httpd_resp *hr;           /* the response template */
	uint16_t n;                      /* its bytes sent (HEAD: the head) */
	bool gen;                        /* gen_resp: counted in gen_answered */
	uint64_t body;                   /* else: body bytes respond() counted */
};

/* Per-worker state. */
struct httpd_worker {
	struct hare_worker *w;
	const struct httpd_service *svc;
	const struct httpd_content *ct;
	uint32_t timeout_ms[TL_COUNT];   /* per TL_* */
	uint64_t tw_done;                /* the wheel is visited up to this ms */
	struct tw_link wheel[TW_SLOTS];
	struct httpd_conn *free;         /* free slots (LIFO: warm ones first) */
	struct httpd_conn *conns;
	uint32_t n_conns;
	struct httpd_wbody *wb;          /* per body of ct */
	char *arena;                     /* the templates' bytes */
	struct httpd_resp err[N_ERR][2];
	struct http_req_config pcfg;
	struct http_date_cache date;
	int64_t wall0_ms;                /* wall clock at mono0_ms */
	uint64_t mono0_ms;
	struct rte_mempool *pool;        /* the worker's mbuf pool */
	uint16_t mbuf_room;              /* data room of the pool's mbufs */
	/* --body-size mode with an inline body: its keep-alive response
	 * (conn_fast), else NULL; and the body's length */
	struct httpd_resp *gen_resp;
	uint64_t gen_len;
	/* requests answered with gen_resp by conn_fast(): each one a request,
	 * a 2xx and gen_len body bytes, added to st by httpd_service_stats()
	 * (one increment per request instead of three counters) */
	uint64_t gen_answered;
	struct httpd_fast_memo memo;     /* conn_fast()'s */
	/* References to content memory by this worker's mbufs. Never freed
	 * (mbufs in a TX ring may still point here at port close); its free
	 * callback does nothing, as the content lives until exit. */
	struct rte_mbuf_ext_shared_info shinfo;
	struct httpd_stats st;
	char path[HTTPD_TARGET_MAX + 2]; /* http_path_sanitize output */
};

/* Output being built during one conn_run: a chain handed to TCP once. */
struct httpd_out {
	struct rte_mbuf *head, *tail;
	uint32_t space;                  /* send-buffer bytes still free */
	bool progress;
};

static const struct hare_tcp_ops httpd_ops;

void
httpd_opts_default(struct httpd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 80;
	o->max_conns = 8192;
	o->max_head = HTTP_REQ_DEFAULT_MAX_HEAD;
	o->header_timeout_ms = 10000;
	o->idle_timeout_ms = 60000;
	o->send_timeout_ms = 60000;
	o->linger_ms = 5000;
}

/* ---- timer wheel ------------------------------------------------------ */

static inline struct httpd_conn *
tw_conn(struct tw_link *l)
{
	return (struct httpd_conn *)(void *)((char *)l - offsetof(struct httpd_conn, link));
}

static inline void
tw_insert(struct tw_link *head, struct tw_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static inline void
tl_unlink(struct httpd_conn *hc)
{
	if (hc->tl == TL_NONE)
		return;
	hc->link.prev->next = hc->link.next;
	hc->link.next->prev = hc->link.prev;
	hc->tl = TL_NONE;
}

/* Into the wheel at time t (never a slot the tick has visited for this
 * round: at least tw_done + 1). */
static inline void
tw_queue(struct httpd_worker *hw, struct httpd_conn *hc, uint64_t t)
{
	if (t <= hw->tw_done)
		t = hw->tw_done + 1;
	hc->queued = t;
	tw_insert(&hw->wheel[t % TW_SLOTS], &hc->link);
}

/* Wait under timer `which` until `deadline`. A deadline no earlier than
 * the slot it is queued in only needs writing (see TW_SLOTS). */
static inline void
tl_move(struct httpd_worker *hw, struct httpd_conn *hc, uint8_t which, uint64_t deadline)
{
	if (likely(hc->tl != TL_NONE && deadline >= hc->queued)) {
		hc->tl = which;
		hc->deadline = deadline;
		return;
	}
	tl_unlink(hc);
	hc->tl = which;
	hc->deadline = deadline;
	tw_queue(hw, hc, deadline);
}

/* ---- connection slots ------------------------------------------------ */

static void
input_drop(struct httpd_conn *hc, uint32_t *freed)
{
	struct rte_mbuf *m = hc->in_head;

	while (m) {
		struct rte_mbuf *n = m->next;

		*freed += m->data_len;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = n;
	}
	hc->in_head = hc->in_tail = NULL;
}

/* Give the slot back; hc->tc must already be closed/aborted/dead. */
static void
conn_free(struct httpd_worker *hw, struct httpd_conn *hc)
{
	uint32_t dummy = 0;

	tl_unlink(hc);
	input_drop(hc, &dummy);
	hc->tc = NULL;
	hc->free_next = hw->free;
	hw->free = hc;
	hw->st.closed++;
}

/* Close gracefully (FIN after what is queued) and free the slot. */
static void
conn_close(struct httpd_worker *hw, struct httpd_conn *hc)
{
	hare_tcp_close(hc->tc);
	conn_free(hw, hc);
}

static void
conn_abort(struct httpd_worker *hw, struct httpd_conn *hc)
{
	hare_tcp_abort(hc->tc);
	conn_free(hw, hc);
}

/* ---- output ------------------------------------------------------------ */

static inline bool
pend_active(const struct httpd_conn *hc)
{
	return hc->pend.r != NULL || hc->pend.sleft != 0;
}

static inline void
out_link(struct httpd_out *o, struct rte_mbuf *m)
{
	if (o->tail) {
		o->tail->next = m;
		o->head->nb_segs++;
	} else {
		o->head = m;
	}
	o->tail = m;
}

/* Copy len bytes (<= mbuf_room) to the output. -ENOBUFS: no mbuf. */
static inline int
out_copy(struct httpd_worker *hw, struct httpd_out *o, const char *src, uint32_t len)
{
	struct rte_mbuf *t = o->tail;

	if (t == NULL || !RTE_MBUF_DIRECT(t) || rte_pktmbuf_tailroom(t) < len) {
		t = hare_alloc_mbuf(hw->w);  /* from the worker's stash: ~15 below the mempool */
		if (unlikely(t == NULL))
			return -ENOBUFS;
		out_link(o, t);
	}
	memcpy(rte_pktmbuf_mtod_offset(t, char *, t->data_len), src, len);
	t->data_len = (uint16_t)(t->data_len + len);
	if (t != o->head)
		t->pkt_len = t->data_len;
	o->head->pkt_len += len;
	return 0;
}

/* Copy a template's n bytes (head + inline body) to dst: 256 bytes at
 * once when n fits (a typical response is ~200 bytes), else 64-byte
 * blocks; so up to 256 bytes past n are read and written. The arena has
 * TMPL_COPY_SLACK bytes after its last template (build_templates); the
 * caller checks the room at dst. Cheaper than memcpy's size dispatch. */
#define TMPL_COPY_SLACK 256u
static inline void
tmpl_copy(char *dst, const char *src, uint32_t n)
{
	if (likely(n <= 256)) {
		memcpy(dst, src, 256);
		return;
	}
	for (uint32_t i = 0; i < n; i += 64)
		memcpy(dst + i, src + i, 64);
}

/* Reference len bytes of content at off (within one IOVA block). */
static inline int
out_ref(struct httpd_worker *hw, struct httpd_out *o, uint64_t off, uint32_t len)
{
	struct rte_mbuf *m = hare_alloc_mbuf(hw->w);

	if (unlikely(m == NULL))
		return -ENOBUFS;
	/* the shared info counts references; see struct httpd_worker */
	rte_mbuf_ext_refcnt_update(&hw->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, hw->ct->mem + off, httpd_content_iova(hw->ct, off),
				  (uint16_t)len, &hw->shinfo);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	out_link(o, m);
	if (m != o->head)
		o->head->pkt_len += len;
	return 0;
}

/* Queue what fits of the pending response. 0: done; 1: waits for send
 * space; -ENOBUFS. */
static int
emit(struct httpd_worker *hw, struct httpd_conn *hc, struct httpd_out *o)
{
	struct httpd_pending *pd = &hc->pend;

	if (pd->r) {
		struct httpd_resp *r = pd->r;

		if (o->space < pd->copy_len)
			return 1;
		if (unlikely(r->date_sec != hw->date.sec)) {
			memcpy(r->buf + r->date_off, hw->date.text, HTTP_DATE_LEN);
			r->date_sec = hw->date.sec;
		}
		if (out_copy(hw, o, r->buf, pd->copy_len) < 0)
			return -ENOBUFS;
		o->space -= pd->copy_len;
		o->progress = true;
		pd->r = NULL;
	}
	while (pd->sleft) {
		uint32_t room = HTTPD_IOVA_BLOCK - (uint32_t)(pd->soff % HTTPD_IOVA_BLOCK);
		uint32_t want = (uint32_t)RTE_MIN((uint64_t)room, pd->sleft);
		uint32_t n = RTE_MIN(want, o->space);

		if (n < RTE_MIN(want, HTTPD_STREAM_LOWAT))
			return 1;
		if (out_ref(hw, o, pd->soff, n) < 0)
			return -ENOBUFS;
		pd->soff += n;
		pd->sleft -= n;
		o->space -= n;
		o->progress = true;
		hw->st.body_bytes += n;
	}
	return 0;
}

/* ---- responses ---------------------------------------------------------- */

/* One response decided: the request and its status class counted. */
static inline void
count_response(struct httpd_worker *hw, unsigned status)
{
	hw->st.requests++;
	if (status >= 500)
		hw->st.resp_5xx++;
	else if (status >= 400)
		hw->st.resp_4xx++;
	else
		hw->st.resp_2xx++;
}

static inline unsigned
err_index(unsigned status)
{
	for (unsigned i = 0; i < N_ERR; i++)
		if (err_status[i] == status)
			return i;
	return 7;  /* 500 */
}

static void
respond_error(struct httpd_worker *hw, struct httpd_conn *hc, unsigned status, bool ka,
	      bool head_only)
{
	struct httpd_resp *r = &hw->err[err_index(status)][ka];

	hc->pend.r = r;
	hc->pend.copy_len = head_only ? r->head_len : r->len;
	hc->pend.sleft = 0;
	hc->pend.close = !ka;
	count_response(hw, r->status);
}

/* The body for the parsed request's target (--root mode), or NULL with
 * *status (400/414 from the path check, 404). Out of line: the generated
 * mode never needs it. */
static __attribute__((noinline)) const struct httpd_body *
find_body(struct httpd_worker *hw, const struct http_request *req, unsigned *status)
{
	const struct httpd_body *b;
	size_t plen;
	int rc = http_path_sanitize(req->target, req->target_len, hw->path, sizeof(hw->path),
				    &plen);

	if (rc != 0) {
		*status = (unsigned)rc;
		return NULL;
	}
	b = httpd_content_find(hw->ct, hw->path, plen);
	if (b == NULL)
		*status = 404;
	return b;
}

/* Decide the response to the parsed request (its target is still valid). */
static inline void
respond(struct httpd_worker *hw, struct httpd_conn *hc, bool ka)
{
	const struct http_request *req = &hc->p.req;
	const struct httpd_content *ct = hw->ct;
	const struct httpd_body *b;
	struct httpd_wbody *wb;
	struct httpd_resp *r;
	bool head_only = req->method == HTTP_METHOD_HEAD;
	bool streamed;

	if (unlikely(req->method != HTTP_METHOD_GET && !head_only)) {
		respond_error(hw, hc, 405, ka, false);
		return;
	}
	if (likely(ct->generated)) {
		b = &ct->bodies[0];
	} else {
		unsigned status;

		b = find_body(hw, req, &status);
		if (b == NULL) {
			respond_error(hw, hc, status, ka, head_only);
			return;
		}
	}
	wb = &hw->wb[b - ct->bodies];
	r = &wb->r[ka];
	streamed = !head_only && !wb->inline_body;
	hc->pend.r = r;
	hc->pend.copy_len = head_only ? r->head_len : r->len;
	hc->pend.close = !ka;
	hc->pend.soff = b->off;
	hc->pend.sleft = streamed ? b->len : 0;
	hw->st.requests++;
	hw->st.resp_2xx++;
	if (wb->inline_body && !head_only)
		hw->st.body_bytes += b->len;
}

/* ---- the connection's engine -------------------------------------------- */

/* Act on one parser result for the input segment m (the head of the input
 * queue): flags, timers, the response decision; then consume `used` bytes
 * of m (a used-up segment leaves the queue). */
static inline void
conn_step(struct httpd_worker *hw, struct httpd_conn *hc, struct rte_mbuf *m,
	  enum http_req_result r, size_t used, uint64_t now, uint32_t *freed)
{
	switch (r) {
	case HTTP_REQ_NEED_MORE:
		/* the segment is used up: keep the target before it goes */
		http_req_pin_target(&hc->p);
		if (used == 0)
			break;
		if (!(hc->flags & (CF_IN_HEAD | CF_IN_BODY))) {
			hc->flags |= CF_IN_HEAD;
			hc->head_deadline = now + hw->timeout_ms[TL_HEADER];
		}
		if (hc->flags & CF_IN_HEAD)
			hc->flags |= CF_GOT_BYTES;
		break;
	case HTTP_REQ_HEAD_DONE:
		hc->flags = (uint8_t)((hc->flags & ~(CF_IN_HEAD | CF_GOT_BYTES)) | CF_IN_BODY);
		/* RFC 9110 §10.1.1: answer now instead of 100 Continue and
		 * close, the body never being read */
		if (hc->p.req.expect_continue)
			respond(hw, hc, false);
		break;
	case HTTP_REQ_COMPLETE:
		hc->flags &= (uint8_t)~(CF_IN_HEAD | CF_IN_BODY | CF_GOT_BYTES);
		respond(hw, hc, hc->p.req.keep_alive);
		http_req_next(&hc->p);
		break;
	case HTTP_REQ_ERROR:
	default:
		hw->st.parse_errors++;
		respond_error(hw, hc, hc->p.error_status, false,
			      hc->p.req.method == HTTP_METHOD_HEAD);
		used = m->data_len;
		break;
	}
	/* consume: the response above no longer needs the bytes */
	*freed += (uint32_t)used;
	if (used < m->data_len) {
		m->data_off = (uint16_t)(m->data_off + used);
		m->data_len = (uint16_t)(m->data_len - used);
	} else {
		hc->in_head = m->next;
		if (hc->in_head == NULL)
			hc->in_tail = NULL;
		m->next = NULL;
		/* into the worker's mbuf stash, where out_copy and the
		 * stack's next segment take it back: the inline form of
		 * hare_tcp_free_mbuf (measured: the call costs ~48
		 * instructions per request, this ~25) */
		hare_free_seg(hw->w, m);
	}
}

/* Where the connection waits once its output is queued and nothing is
 * blocked: the header timer while a head is incomplete, else idle. */
static inline void
conn_wait(struct httpd_worker *hw, struct httpd_conn *hc, uint64_t now)
{
	if (hc->flags & CF_IN_HEAD) {
		if (hc->tl != TL_HEADER)
			tl_move(hw, hc, TL_HEADER, hc->head_deadline);
	} else if (hw->timeout_ms[TL_IDLE]) {
		tl_move(hw, hc, TL_IDLE, now + hw->timeout_ms[TL_IDLE]);
	} else {
		tl_unlink(hc);
	}
}

/* Emit what is pending, parse and answer the queued input, hand the output
 * to TCP. was_pending: a response was pending when the caller's work on
 * this connection began (stall accounting). */
static void
conn_run(struct httpd_worker *hw, struct httpd_conn *hc, bool was_pending)
{
	struct hare_tcp_conn *tc = hc->tc;
	struct httpd_out o = { NULL, NULL, hare_tcp_send_space(tc), false };
	uint64_t now = hw->w->now_ms;
	uint32_t freed = 0;
	bool closing = false;
	int rc = 0;

	for (;;) {
		struct rte_mbuf *m;
		enum http_req_result r;
		size_t used;

		if (pend_active(hc)) {
			rc = emit(hw, hc, &o);
			if (rc != 0)
				break;
			if (hc->pend.close) {
				closing = true;
				break;
			}
		}
		m = hc->in_head;
		if (m == NULL)
			break;
		r = http_req_feed(&hc->p, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &used);
		conn_step(hw, hc, m, r, used, now, &freed);
	}
	if (closing)
		input_drop(hc, &freed);  /* nothing after a closing response counts */
	if (o.head) {
		int n = hare_tcp_send(tc, o.head);

		if (unlikely(n < 0)) {
			/* cannot happen: o.space was hare_tcp_send_space */
			rte_pktmbuf_free(o.head);
			hw->st.nomem_aborts++;
			conn_abort(hw, hc);
			return;
		}
	}
	hc->rx_owed += freed;
	if (hc->rx_owed >= HTTPD_RECVED_BATCH || closing) {
		hare_tcp_recved(tc, hc->rx_owed);
		hc->rx_owed = 0;
	}
	if (unlikely(rc < 0)) {
		hw->st.nomem_aborts++;
		conn_abort(hw, hc);
		return;
	}
	if (closing) {
		if ((hc->flags & CF_EOF) || hare_tcp_shutdown(tc) < 0) {
			conn_close(hw, hc);
			return;
		}
		hc->flags |= CF_LINGER;
		tl_move(hw, hc, TL_LINGER, now + hw->timeout_ms[TL_LINGER]);
		return;
	}
	if (rc == 1) {
		/* output blocked: resumes from on_sent, asked for until then
		 * (HARE_TCP_OPS_SENT_ON_REQUEST: no call per ACK otherwise) */
		hare_tcp_want_sent(tc, true);
		if (!was_pending)
			hw->st.stalls++;
		if (hc->tl != TL_SEND || o.progress)
			tl_move(hw, hc, TL_SEND, now + hw->timeout_ms[TL_SEND]);
		return;
	}
	hare_tcp_want_sent(tc, false); /* output flows again (or never stopped) */
	if (hc->flags & CF_EOF) {
		/* everything the peer sent is answered; a partial request can
		 * never complete */
		conn_close(hw, hc);
		return;
	}
	conn_wait(hw, hc, now);
}

/* Count a response conn_fast() answers from the memo, as its first
 * answer was counted (gen_answered, or respond()'s counters). */
static inline void
memo_count(struct httpd_worker *hw, const struct httpd_fast_memo *fm)
{
	if (likely(fm->gen)) {
		hw->gen_answered++;
		return;
	}
	count_response(hw, fm->hr->status);
	hw->st.body_bytes += fm->body;
}

/*
 * The common case in one pass (keep-alive GET of a small body): nothing
 * queued or pending, and the segment m is exactly one complete request
 * whose response is one copy of a prebuilt template (head + inline body).
 * The response is written into m itself (the request is parsed and
 * answered by then; m would go to the stash and come straight back as the
 * output mbuf) and handed to TCP, whose refusal (no send space: it then
 * leaves m to us untouched) is the send-space check. Every other outcome
 * continues in conn_run() from exactly the state it would have reached
 * itself, so the behaviour is the same, only the common case is shorter.
 *
 * First the memo (struct httpd_fast_memo): when m holds the very bytes of
 * the last request answered here and the parser is fresh, as it was then,
 * the parse and the decision come from the memo, and the parser stays
 * fresh, as http_req_next() would leave it.
 */
static inline void
conn_fast(struct httpd_worker *hw, struct httpd_conn *hc, struct rte_mbuf *m)
{
	struct hare_tcp_conn *tc = hc->tc;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, freed = 0;
	/* m: ours alone (one segment, as httpd_data() checked), from the
	 * worker's pool; then the response is written into it */
	bool reuse = RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 && m->pool == hw->pool;
	struct httpd_fast_memo *fm = &hw->memo;
	struct httpd_resp *hr;
	enum http_req_result r;
	size_t used;
	uint32_t n;

	if (likely(httpd_memo_match(&fm->req, d, len) && http_req_fresh(&hc->p))) {
		hr = fm->hr;
		n = fm->n;
		memo_count(hw, fm);
		hw->st.memo_hits++;
		hc->flags &= (uint8_t)~(CF_IN_HEAD | CF_IN_BODY | CF_GOT_BYTES);
		goto answer;
	}
	bool fresh = http_req_fresh(&hc->p);

	r = http_req_feed(&hc->p, d, len, &used);
	if (likely(r == HTTP_REQ_COMPLETE && used == len)) {
		const struct http_request *req = &hc->p.req;
		uint64_t body0 = hw->st.body_bytes;
		bool gen;

		hr = hw->gen_resp;
		hc->flags &= (uint8_t)~(CF_IN_HEAD | CF_IN_BODY | CF_GOT_BYTES);
		if (likely(hr != NULL && req->method == HTTP_METHOD_GET && req->keep_alive)) {
			/* what respond() decides here, without the detour
			 * through hc->pend; gen_resp fits an mbuf with the
			 * tmpl_copy() slack (httpd_service_start) */
			n = hr->len;
			hw->gen_answered++;
			gen = true;
		} else {
			respond(hw, hc, req->keep_alive);
			if (hc->pend.sleft != 0 || hc->pend.close) {
				http_req_next(&hc->p);
				goto queue;
			}
			hr = hc->pend.r;
			n = hc->pend.copy_len;
			hc->pend.r = NULL;  /* set again below if it has to wait */
			gen = false;
			if (n + TMPL_COPY_SLACK > hw->mbuf_room) {
				http_req_next(&hc->p);
				goto pending;
			}
		}
		http_req_next(&hc->p);
		/* remembered: a keep-alive template answer, from a fresh
		 * parser (so from the bytes of m alone) */
		if (fresh && httpd_memo_fits(len)) {
			httpd_memo_set(&fm->req, d, len);
			fm->hr = hr;
			fm->n = (uint16_t)n;
			fm->gen = gen;
			fm->body = hw->st.body_bytes - body0;
		}
answer:
		if (likely(reuse)) {
			uint64_t rearm;

			if (unlikely(hr->date_sec != hw->date.sec)) {
				memcpy(hr->buf + hr->date_off, hw->date.text, HTTP_DATE_LEN);
				hr->date_sec = hw->date.sec;
			}
			if (unlikely(hr->sum_len != n || hr->sum_sec != hr->date_sec)) {
				hr->sum = hare_tcp_payload_sum(hr->buf, n);
				hr->sum_len = (uint16_t)n;
				hr->sum_sec = hr->date_sec;
			}
			/*
			 * m as rte_pktmbuf_reset() leaves it, holding n bytes,
			 * less the stores already true: next is NULL and the
			 * refcount 1 (checked above), ol_flags has no
			 * EXTERNAL bit (direct); the pool's buffers are longer
			 * than the headroom. data_off, refcnt, nb_segs and
			 * port are one 8-byte word (rearm_data).
			 */
			rearm = (uint64_t)RTE_PKTMBUF_HEADROOM | (uint64_t)1 << 16 |
				(uint64_t)1 << 32 | (uint64_t)RTE_MBUF_PORT_INVALID << 48;
			memcpy(&m->rearm_data, &rearm, sizeof(rearm));
			m->ol_flags = 0;
			m->packet_type = 0;
			m->tx_offload = 0;
			m->vlan_tci = 0;
			m->vlan_tci_outer = 0;
			tmpl_copy(rte_pktmbuf_mtod(m, char *), hr->buf, n);
			m->data_len = (uint16_t)n;
			m->pkt_len = n;
			if (likely(hare_tcp_send_summed(tc, m, hr->sum) >= 0)) {
				hc->rx_owed += len;
				if (hc->rx_owed >= HTTPD_RECVED_BATCH) {
					hare_tcp_recved(tc, hc->rx_owed);
					hc->rx_owed = 0;
				}
				/* conn_wait() with no head in progress; already
				 * under the idle timer: only a later deadline */
				if (likely(hc->tl == TL_IDLE))
					hc->deadline = hw->w->now_ms + hw->timeout_ms[TL_IDLE];
				else
					conn_wait(hw, hc, hw->w->now_ms);
				return;
			}
			/* no send space (or not allowed to send): m is ours
			 * again and conn_run() finds the output blocked */
		}
pending:
		/* the response waits as the pending one, as respond() left it */
		hc->pend.r = hr;
		hc->pend.copy_len = (uint16_t)n;
		hc->pend.close = false;
		hc->pend.sleft = 0;
		goto queue;
	}
	hc->in_head = hc->in_tail = m;
	conn_step(hw, hc, m, r, used, hw->w->now_ms, &freed);
	hc->rx_owed += freed;
	conn_run(hw, hc, false);
	return;
queue:
	/* m is used up: as conn_step() would, then conn_run() emits */
	hare_free_seg(hw->w, m);
	hc->rx_owed += len;
	conn_run(hw, hc, false);
}

/* ---- TCP callbacks ------------------------------------------------------ */

static int
httpd_accept(struct hare_tcp_conn *c, void *listen_ctx)
{
	struct httpd_worker *hw = listen_ctx;
	struct httpd_conn *hc = hw->free;

	if (unlikely(hc == NULL)) {
		hw->st.refused++;
		return -1;
	}
	hw->free = hc->free_next;
	hc->tc = c;
	hc->tl = TL_NONE;
	hc->in_head = hc->in_tail = NULL;
	hc->rx_owed = 0;
	memset(&hc->pend, 0, sizeof(hc->pend));
	http_req_init(&hc->p, &hw->pcfg, hc->tbuf, sizeof(hc->tbuf), NULL, NULL);
	/* the first request is due within the header timeout too */
	hc->flags = CF_IN_HEAD;
	hc->head_deadline = hw->w->now_ms + hw->timeout_ms[TL_HEADER];
	tl_move(hw, hc, TL_HEADER, hc->head_deadline);
	hare_tcp_set_ctx(c, hc);
	hw->st.accepted++;
	return 0;
}

static void
httpd_data(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	struct httpd_conn *hc = hare_tcp_ctx(c);
	struct httpd_worker *hw = hc->hw;
	struct rte_mbuf *last;

	if (m == NULL) {
		hc->flags |= CF_EOF;
		if (hc->flags & CF_LINGER) {
			conn_close(hw, hc);
			return;
		}
		if (!pend_active(hc))
			conn_run(hw, hc, false);
		return;
	}
	/* the common case: one segment, nothing queued or pending */
	if (likely(m->next == NULL && hc->in_head == NULL && !pend_active(hc) &&
		   !(hc->flags & (CF_LINGER | CF_EOF)))) {
		conn_fast(hw, hc, m);
		return;
	}
	if (hc->flags & CF_LINGER) {
		uint32_t len = m->pkt_len;

		rte_pktmbuf_free(m);
		hare_tcp_recved(c, len);
		return;
	}
	for (last = m; last->next; last = last->next)
		;
	if (hc->in_tail)
		hc->in_tail->next = m;
	else
		hc->in_head = m;
	hc->in_tail = last;
	/* while output is blocked the input only waits (window closes) */
	if (!pend_active(hc))
		conn_run(hw, hc, false);
}

static void
httpd_sent(struct hare_tcp_conn *c, uint32_t bytes)
{
	struct httpd_conn *hc = hare_tcp_ctx(c);

	(void)bytes;
	if (pend_active(hc) && !(hc->flags & CF_LINGER))
		conn_run(hc->hw, hc, true);
}

static void
httpd_closed(struct hare_tcp_conn *c, enum hare_tcp_close_reason why)
{
	struct httpd_conn *hc = hare_tcp_ctx(c);

	(void)why;
	conn_free(hc->hw, hc);
}

static const struct hare_tcp_ops httpd_ops = {
	.on_accept = httpd_accept,
	.on_data = httpd_data,
	.on_sent = httpd_sent,
	.on_closed = httpd_closed,
	.flags = HARE_TCP_OPS_MANUAL_RECV | HARE_TCP_OPS_SENT_ON_REQUEST,
};

/* ---- the tick ------------------------------------------------------------ */

static void
expire(struct httpd_worker *hw, struct httpd_conn *hc)
{
	switch (hc->tl) {
	case TL_HEADER:
		hw->st.header_timeouts++;
		if (hc->flags & CF_GOT_BYTES) {
			/* RFC 9110 §15.5.9: 408, then close */
			struct httpd_resp *r = &hw->err[err_index(408)][0];
			struct httpd_out o = { NULL, NULL, hare_tcp_send_space(hc->tc), false };

			hc->pend.r = r;
			hc->pend.copy_len = r->len;
			hc->pend.sleft = 0;
			if (emit(hw, hc, &o) == 0 && hare_tcp_send(hc->tc, o.head) >= 0) {
				hw->st.requests++;
				hw->st.resp_4xx++;
			} else if (o.head) {
				rte_pktmbuf_free(o.head);
			}
		}
		conn_close(hw, hc);
		break;
	case TL_IDLE:
		hw->st.idle_timeouts++;
		conn_close(hw, hc);
		break;
	case TL_SEND:
		hw->st.send_timeouts++;
		conn_abort(hw, hc);
		break;
	case TL_LINGER:
	default:
		hw->st.linger_timeouts++;
		conn_close(hw, hc);
		break;
	}
}

/*
 * One wheel slot at tick time now: what is due expires, the rest (a later
 * deadline, or a later round of this slot) goes to the slot of its
 * deadline. The slot's ring is first moved to a local head, so an entry
 * queued back into this slot is not seen again, and expire() (which unlinks
 * the connection, wherever it is) is safe.
 */
static void
tw_visit(struct httpd_worker *hw, struct tw_link *slot, uint64_t now)
{
	struct tw_link todo;

	if (slot->next == slot)
		return;
	todo.next = slot->next;
	todo.prev = slot->prev;
	todo.next->prev = &todo;
	todo.prev->next = &todo;
	slot->next = slot->prev = slot;
	while (todo.next != &todo) {
		struct httpd_conn *hc = tw_conn(todo.next);

		if (hc->deadline <= now) {
			expire(hw, hc);
			continue;
		}
		todo.next = hc->link.next;
		todo.next->prev = &todo;
		hc->queued = hc->deadline;
		tw_insert(&hw->wheel[hc->deadline % TW_SLOTS], &hc->link);
	}
}

static void
httpd_tick(struct hare_worker *w, void *ctx)
{
	struct httpd_worker *hw = ctx;
	uint64_t now = w->now_ms;
	int64_t sec = (hw->wall0_ms + (int64_t)(now - hw->mono0_ms)) / 1000;

	if (sec != hw->date.sec)
		http_date_update(&hw->date, sec);
	if (now <= hw->tw_done)
		return;
	/* the slots of (tw_done, now], each once (a longer gap: all of them) */
	for (uint64_t t = now - RTE_MIN(now - hw->tw_done, (uint64_t)TW_SLOTS) + 1; t <= now; t++)
		tw_visit(hw, &hw->wheel[t % TW_SLOTS], now);
	hw->tw_done = now;
}

static void
shinfo_free_noop(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

/* ---- set-up ---------------------------------------------------------------- */

/* Copy template t (+ inline body) into the arena at *pos (dst NULL: only
 * count). */
static void
resp_place(struct httpd_resp *r, const struct http_resp_tmpl *t, const uint8_t *body,
	   uint32_t blen, char *arena, size_t *pos)
{
	if (arena) {
		r->buf = arena + *pos;
		memcpy(r->buf, t->buf, t->len);
		if (blen)
			memcpy(r->buf + t->len, body, blen);
		r->head_len = t->head_len;
		r->len = (uint16_t)(t->len + blen);
		r->date_off = t->date_off;
		r->status = t->status;
		r->date_sec = t->date_sec;
		r->sum_len = 0; /* no sum yet */
	}
	*pos += (t->len + blen + 63) & ~(size_t)63;
}

/* Two passes over every template: count (arena NULL), then fill. */
static int
build_templates(struct httpd_worker *hw, char *arena, size_t *size, const char *prog)
{
	const struct httpd_content *ct = hw->ct;
	struct http_resp_tmpl t;
	size_t pos = 0;

	for (unsigned i = 0; i < N_ERR; i++)
		for (int ka = 0; ka < 2; ka++) {
			if (http_resp_error_tmpl_init(&t, err_status[i], ka, &hw->date) < 0)
				goto fail;
			resp_place(&hw->err[i][ka], &t, NULL, 0, arena, &pos);
		}
	for (uint32_t b = 0; b < ct->n_bodies; b++) {
		const struct httpd_body *bd = &ct->bodies[b];

		/* one decision for both variants: a template is at most
		 * HTTP_RESP_TMPL_MAX bytes, so head + body fit one mbuf */
		bool inl = bd->len <= HTTPD_INLINE_MAX &&
			   HTTP_RESP_TMPL_MAX + bd->len <= hw->mbuf_room;

		if (arena)
			hw->wb[b].inline_body = inl;
		for (int ka = 0; ka < 2; ka++) {
			if (http_resp_tmpl_init(&t, 200, bd->len, bd->ctype, ka, NULL, &hw->date) < 0)
				goto fail;
			resp_place(&hw->wb[b].r[ka], &t, arena ? bd->data : NULL,
				   inl ? (uint32_t)bd->len : 0, arena, &pos);
		}
	}
	*size = pos;
	return 0;
fail:
	fprintf(stderr, "%s: a response head does not fit %u bytes (Content-Type too long?)\n",
		prog, HTTP_RESP_TMPL_MAX);
	return -1;
}

int
httpd_service_start(struct httpd_service *s, struct hare_worker *w, const char *prog)
{
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	struct httpd_worker *hw;
	struct timespec ts;
	size_t arena_size = 0;

	if (socket < 0)
		socket = SOCKET_ID_ANY;
	if (w->worker_id >= HTTPD_MAX_WORKERS) {
		fprintf(stderr, "%s: at most %d workers (give fewer lcores with -l)\n", prog,
			HTTPD_MAX_WORKERS);
		return -EINVAL;
	}
	if (s->content.mem == NULL && httpd_content_load(&s->content, socket, prog) < 0)
		return -ENOMEM;
	hw = rte_zmalloc_socket("httpd_worker", sizeof(*hw), RTE_CACHE_LINE_SIZE, socket);
	if (hw == NULL)
		goto nomem;
	s->workers[w->worker_id] = hw;
	if (w->worker_id + 1 > s->n_workers)
		s->n_workers = w->worker_id + 1;
	hw->w = w;
	hw->svc = s;
	hw->ct = &s->content;
	hw->pcfg.max_head = s->o.max_head;
	hw->timeout_ms[TL_HEADER] = s->o.header_timeout_ms;
	hw->timeout_ms[TL_IDLE] = s->o.idle_timeout_ms;
	hw->timeout_ms[TL_SEND] = s->o.send_timeout_ms;
	hw->timeout_ms[TL_LINGER] = s->o.linger_ms;
	for (unsigned i = 0; i < TW_SLOTS; i++)
		hw->wheel[i].prev = hw->wheel[i].next = &hw->wheel[i];
	hw->tw_done = w->now_ms;
	hw->pool = w->pool;
	httpd_memo_clear(&hw->memo.req);
	hw->mbuf_room = (uint16_t)(rte_pktmbuf_data_room_size(w->pool) - RTE_PKTMBUF_HEADROOM);
	clock_gettime(CLOCK_REALTIME, &ts);
	hw->wall0_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	hw->mono0_ms = w->now_ms;
	http_date_init(&hw->date, hw->wall0_ms / 1000);
	hw->shinfo.free_cb = shinfo_free_noop;
	hw->shinfo.fcb_opaque = NULL;
	rte_mbuf_ext_refcnt_set(&hw->shinfo, 1);  /* our own, never dropped */

	hw->wb = rte_zmalloc_socket("httpd_wbody", sizeof(*hw->wb) * s->content.n_bodies + 1,
				    RTE_CACHE_LINE_SIZE, socket);
	if (hw->wb == NULL)
		goto nomem;
	if (build_templates(hw, NULL, &arena_size, prog) < 0)
		return -EINVAL;
	/* + slack: tmpl_copy() reads past the last template */
	hw->arena = rte_malloc_socket("httpd_tmpl", arena_size + TMPL_COPY_SLACK,
				      RTE_CACHE_LINE_SIZE, socket);
	if (hw->arena == NULL)
		goto nomem;
	build_templates(hw, hw->arena, &arena_size, prog);
	if (s->content.generated && hw->wb[0].inline_body &&
	    hw->wb[0].r[1].len + TMPL_COPY_SLACK <= hw->mbuf_room) {
		hw->gen_resp = &hw->wb[0].r[1];
		hw->gen_len = s->content.bodies[0].len;
	}

	hw->n_conns = s->o.max_conns;
	hw->conns = rte_zmalloc_socket("httpd_conns", sizeof(*hw->conns) * hw->n_conns,
				       RTE_CACHE_LINE_SIZE, socket);
	if (hw->conns == NULL)
		goto nomem;
	for (uint32_t i = hw->n_conns; i-- > 0;) {
		hw->conns[i].hw = hw;
		hw->conns[i].free_next = hw->free;
		hw->free = &hw->conns[i];
	}
	if (hare_tcp_listen(w, 0, s->o.port, &httpd_ops, hw) == NULL) {
		int err = rte_errno;

		fprintf(stderr, "%s: cannot listen on TCP port %u: %s (is --port taken by another "
			"listener?)\n", prog, s->o.port, strerror(err));
		return -err;
	}
	hare_worker_set_app_tick(w, httpd_tick, hw);
	return 0;
nomem:
	fprintf(stderr, "%s: worker %u: out of DPDK memory for %u connections (lower "
		"--max-conns, or give DPDK more memory: hugepages, or -m with --no-huge)\n",
		prog, w->worker_id, s->o.max_conns);
	return -ENOMEM;
}

void
httpd_service_stop(struct httpd_service *s, struct hare_worker *w)
{
	struct httpd_worker *hw = w->worker_id < HTTPD_MAX_WORKERS ? s->workers[w->worker_id] : NULL;

	if (hw == NULL || hw->conns == NULL)
		return;
	hare_worker_set_app_tick(w, NULL, NULL);
	/* the TCP layer frees its own queues in hare_worker_fini */
	for (uint32_t i = 0; i < hw->n_conns; i++) {
		uint32_t dummy = 0;

		if (hw->conns[i].tc != NULL)
			input_drop(&hw->conns[i], &dummy);
	}
	rte_free(hw->conns);
	hw->conns = NULL;
	/* templates: pend.r pointers die with the connections */
	rte_free(hw->arena);
	hw->arena = NULL;
	rte_free(hw->wb);
	hw->wb = NULL;
}

void
httpd_service_stats(const struct httpd_service *s, struct httpd_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct httpd_worker *hw = s->workers[i];

		if (hw == NULL)
			continue;
#define HTTPD_STATS_ADD(n) sum->n += hw->st.n;
		HTTPD_STATS_FIELDS(HTTPD_STATS_ADD)
#undef HTTPD_STATS_ADD
		sum->requests += hw->gen_answered;
		sum->resp_2xx += hw->gen_answered;
		sum->body_bytes += hw->gen_answered * hw->gen_len;
	}
}

void
httpd_service_report(const struct httpd_service *s, FILE *out)
{
	struct httpd_stats sum;

	httpd_service_stats(s, &sum);
#define HTTPD_STATS_PRINT(n) fprintf(out, "httpd_%s %llu\n", #n, (unsigned long long)sum.n);
	HTTPD_STATS_FIELDS(HTTPD_STATS_PRINT)
#undef HTTPD_STATS_PRINT
	fflush(out);
}
