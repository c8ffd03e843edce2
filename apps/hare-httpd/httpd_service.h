/* httpd_service.h — hare-httpd's HTTP/1.1 server on the hare TCP API.
 *
 * One listener per worker on the configured port; every connection lives
 * on the worker that accepted it and never leaves its lcore. Per request:
 * the request is parsed in place in the received mbufs (http_request.h),
 * unless the segment holds the very bytes of the last small request the
 * worker answered in one pass: then that answer is taken from the worker's
 * memo (httpd_memo.h) without a parse. The response head is copied from a
 * per-worker prebuilt template (the Date patched once a second), a small
 * body is copied right behind it, a large one is queued as external-buffer
 * mbufs that reference the one loaded copy (httpd_content.h), a send
 * window's worth at a time.
 *
 * Bounded per connection: one parser and target buffer; received bytes are
 * held only while output is blocked, and then the TCP receive window closes
 * (HARE_TCP_OPS_MANUAL_RECV); output is at most the TCP send buffer.
 *
 * Timeouts (per-worker lists ordered by deadline, walked by the app tick):
 *   header  - a request head (or the first request) must arrive whole within
 *             it (slowloris); then 408 if bytes came, and close
 *   idle    - keep-alive connection with nothing to do; close
 *   send    - output blocked without progress (peer not reading); reset
 *   linger  - after our FIN (Connection: close, errors) the peer's input is
 *             read and discarded until its FIN or this timeout, so a
 *             client's late pipelined bytes never trigger an RST that
 *             could destroy the response in its receive buffer
 */
#ifndef HARE_HTTPD_SERVICE_H
#define HARE_HTTPD_SERVICE_H

#include <stdint.h>
#include <stdio.h>
#include "hare.h"
#include "httpd_content.h"

#define HTTPD_MAX_WORKERS 128
#define HTTPD_TARGET_MAX  2048u   /* longest request-target (414 beyond) */

/* Options, shared read-only by every worker. */
struct httpd_opts {
	uint16_t port;               /* host order */
	uint32_t max_conns;          /* per worker */
	uint32_t max_head;           /* request-line + fields, bytes (431 beyond) */
	uint32_t header_timeout_ms;
	uint32_t idle_timeout_ms;    /* 0 = keep idle connections forever */
	uint32_t send_timeout_ms;
	uint32_t linger_ms;
};

/* Counters, one set per worker (only that worker writes). */
#define HTTPD_STATS_FIELDS(X) \
	X(accepted)          /* connections taken */ \
	X(refused)           /* connections refused: --max-conns reached (RST) */ \
	X(closed)            /* connections finished, any way */ \
	X(requests)          /* requests answered (incl. errors) */ \
	X(resp_2xx) \
	X(resp_4xx) \
	X(resp_5xx) \
	X(parse_errors)      /* malformed or oversized requests (then closed) */ \
	X(body_bytes)        /* response body bytes queued */ \
	X(stalls)            /* responses that waited for send-buffer space */ \
	X(header_timeouts) \
	X(idle_timeouts) \
	X(send_timeouts) \
	X(linger_timeouts) \
	X(nomem_aborts)      /* connections reset: no mbuf for a response */ \
	X(memo_hits)         /* requests answered from the fast path's memo, */ \
	                     /*   not parsed again (also in requests) */

struct httpd_stats {
#define HTTPD_STATS_DECL(n) uint64_t n;
	HTTPD_STATS_FIELDS(HTTPD_STATS_DECL)
#undef HTTPD_STATS_DECL
};

struct httpd_worker;  /* per-worker state, httpd_service.c */

/* The service: options, content, and the workers' states for the report. */
struct httpd_service {
	struct httpd_opts o;
	struct httpd_content content;
	struct httpd_worker *workers[HTTPD_MAX_WORKERS];
	unsigned n_workers;
};

/* Set the defaults. */
void httpd_opts_default(struct httpd_opts *o);

/* Worker set-up (main thread, before the worker runs): loads the content on
 * the first call, builds the worker's templates and connection table, opens
 * the listener, installs the app tick. 0 or a negative errno (printed). */
int httpd_service_start(struct httpd_service *s, struct hare_worker *w, const char *prog);

/* After the worker stopped, before hare_worker_fini: release what the
 * worker's connections hold. */
void httpd_service_stop(struct httpd_service *s, struct hare_worker *w);

/* Sum of the workers' counters. */
void httpd_service_stats(const struct httpd_service *s, struct httpd_stats *sum);

/* "httpd_<name> <value>" lines on out. */
void httpd_service_report(const struct httpd_service *s, FILE *out);

#endif
