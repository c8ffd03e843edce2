/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-httpd: incremental, zero-copy HTTP/1.1 request parser (RFC 9112).
 *
 * The caller feeds successive contiguous chunks of the byte stream (e.g. the
 * data of each segment of an mbuf chain, in order). The parser walks them once
 * as a byte state machine and never copies the request: only the
 * request-target is copied, and only when it straddles two chunks (see
 * "request-target storage" below). Headers that matter for framing and
 * connection management (Host, Connection, Content-Length, Transfer-Encoding,
 * Expect) are matched case-insensitively and interpreted on the fly; all other
 * fields are syntax-checked and skipped.
 *
 * Typical loop (one parser per connection):
 *
 *     while (len > 0) {
 *         size_t used;
 *         enum http_req_result r = http_req_feed(&p, data, len, &used);
 *         data += used; len -= used;
 *         if (r == HTTP_REQ_NEED_MORE) break;          // wait for more bytes
 *         if (r == HTTP_REQ_ERROR) { reply(p.error_status, close); break; }
 *         if (r == HTTP_REQ_HEAD_DONE) { ... }          // body follows
 *         if (r == HTTP_REQ_COMPLETE) { reply(&p.req); http_req_next(&p); }
 *     }
 *
 * Pipelining: http_req_feed() stops right after a complete request and
 * reports how many bytes it consumed, so the next request starts at
 * data + used.
 *
 * Decisions (each with its RFC section):
 * - Line endings: CRLF only. A bare LF or a bare CR anywhere in the head or
 *   in chunked framing is a 400 (RFC 9112 §2.2 allows, but does not require,
 *   accepting bare LF; refusing it removes a parser-differential smuggling
 *   vector, and curl, wrk, ab and browsers all send CRLF).
 * - Up to HTTP_REQ_MAX_EMPTY_LINES empty lines before the request-line are
 *   ignored (RFC 9112 §2.2 SHOULD).
 * - Request-line: method token, one SP, request-target (visible ASCII), one
 *   SP, "HTTP/" DIGIT "." DIGIT (case-sensitive, RFC 9112 §2.3). HTTP/1.x for
 *   x >= 2 is treated as 1.1 (RFC 9110 §6.2); any other major version is a
 *   505. A missing version (HTTP/0.9 style) is a 400.
 * - Whitespace before the colon of a field name, obs-fold (a line starting
 *   with SP/HTAB) and control characters in field values are 400
 *   (RFC 9112 §5.1, §5.2; RFC 9110 §5.5).
 * - HTTP/1.1 without Host, or more than one Host, is a 400 (RFC 9112 §3.2).
 * - Content-Length must be 1*DIGIT; any second Content-Length field, even an
 *   identical one, or a list value, is a 400 (RFC 9112 §6.3 rule 5 lets us
 *   treat it as invalid; nginx does the same). Larger than max_body: 413.
 * - Transfer-Encoding together with Content-Length is a 400 (RFC 9112 §6.3
 *   rule 3, request smuggling). Transfer-Encoding in an HTTP/1.0 request is a
 *   400 (RFC 9112 §6.1 "faulty framing"). A second Transfer-Encoding field is
 *   a 400. A Transfer-Encoding other than exactly "chunked" is a 501
 *   (RFC 9112 §6.1: unknown coding).
 * - Chunked request bodies are HANDLED: chunk sizes, extensions and trailer
 *   fields are parsed and validated and the chunk data is handed to the body
 *   callback; the total decoded size is bounded by max_body (413), each
 *   chunk-size line (with extensions) by HTTP_REQ_MAX_CHUNK_LINE (400) and the
 *   trailer section by max_head (431). So a client
 *   that streams a chunked POST keeps its connection and its pipeline.
 * - Head size: request-line + fields (and any ignored leading empty lines)
 *   must fit in max_head bytes; overflow inside the request-target is a 414
 *   (RFC 9110 §15.5.15), anywhere else a 431 (RFC 6585 §5).
 * - "Expect: 100-continue" sets expect_continue for HTTP/1.1 only (RFC 9110
 *   §10.1.1: ignore it in HTTP/1.0); other expectations are ignored.
 * - Keep-alive (RFC 9112 §9.3): HTTP/1.1 persists unless "Connection: close";
 *   HTTP/1.0 closes unless "Connection: keep-alive"; close wins over both.
 * - Methods are case-sensitive (RFC 9110 §9.1): GET, HEAD, POST are
 *   recognised, every other valid token is HTTP_METHOD_OTHER (the server
 *   answers 405); a non-token byte is a 400.
 *
 * Request-target storage: the target is returned as pointer + length. If it
 * lies entirely within one fed chunk the pointer points into that chunk (no
 * copy): the caller must keep that chunk's memory alive until it is done with
 * the request, or call http_req_pin_target() to move it into the parser's own
 * buffer. If it straddles chunks, its pieces are copied, as they arrive, into
 * the per-connection buffer given to http_req_init(); the pointer then points
 * there. The buffer's capacity is also the maximum target length, enforced
 * whether or not the target was split (a longer target is a 414), so the
 * outcome never depends on how the stream was segmented.
 */
#ifndef HARE_HTTP_REQUEST_H
#define HARE_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "http_chars.h"

#define HTTP_REQ_DEFAULT_MAX_HEAD     8192u          /* bytes of request-line + fields */
#define HTTP_REQ_DEFAULT_MAX_BODY     (1024u * 1024u) /* bytes of decoded body */
#define HTTP_REQ_DEFAULT_TARGET_CAP   2048u          /* suggested target buffer size */
#define HTTP_REQ_MAX_EMPTY_LINES      4u             /* CRLFs ignored before a request */
#define HTTP_REQ_MAX_CHUNK_LINE       1024u          /* chunk-size line incl. extensions */

/* Request methods the server distinguishes; everything else is OTHER (405). */
enum http_method {
	HTTP_METHOD_NONE = 0,
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_OTHER,
};

/* How the request body is framed (RFC 9112 §6.3). */
enum http_body_kind {
	HTTP_BODY_NONE = 0,
	HTTP_BODY_LENGTH,   /* Content-Length: n (n > 0) */
	HTTP_BODY_CHUNKED,  /* Transfer-Encoding: chunked */
};

/* Result of one http_req_feed() call. */
enum http_req_result {
	HTTP_REQ_NEED_MORE = 0, /* all input consumed, request not finished */
	HTTP_REQ_HEAD_DONE,     /* head parsed, a body follows: req is valid */
	HTTP_REQ_COMPLETE,      /* head and body done: req is valid */
	HTTP_REQ_ERROR,         /* malformed/oversized: see error_status */
};

/* Limits, per server. Zero fields take the defaults above. */
struct http_req_config {
	uint32_t max_head;      /* request-line + header bytes; over → 431/414 */
	uint64_t max_body;      /* decoded body bytes; over → 413 */
};

/* Called with each piece of body data, pointing into the fed chunk. */
typedef void (*http_body_cb)(void *ctx, const uint8_t *data, size_t len);

/* What the parser learned about the current request. */
struct http_request {
	enum http_method method;
	uint8_t version_minor;     /* 0 or 1 (1.x, x>1, is reported as 1) */
	bool keep_alive;           /* persist after the response (RFC 9112 §9.3) */
	bool expect_continue;      /* HTTP/1.1 "Expect: 100-continue" */
	bool has_host;
	enum http_body_kind body_kind;
	uint64_t content_length;   /* for HTTP_BODY_LENGTH */
	uint64_t body_received;    /* decoded body bytes seen so far */
	const char *target;        /* request-target, not NUL-terminated */
	uint32_t target_len;
	uint32_t head_len;         /* bytes of the head incl. final CRLF CRLF */
};

/*
 * Per-connection parser state. Treat all fields but req/error_status as
 * private. Everything from `req` on is per request: http_req_next() clears
 * it with one memset (all-zero is the start state), so keep the
 * configuration above it.
 */
struct http_req_parser {
	/* configuration */
	uint32_t max_head;
	uint32_t tbuf_cap;
	uint64_t max_body;
	char *tbuf;                /* per-connection target buffer (caller memory) */
	http_body_cb body_cb;
	void *body_ctx;

	/* per request, zeroed by http_req_next() */
	struct http_request req;
	uint16_t error_status;     /* HTTP status to answer with on HTTP_REQ_ERROR */
	uint8_t state;
	uint8_t empty_lines;
	uint8_t hdr_id;            /* known header being read (enum in .c) */
	uint8_t name_miss;         /* known header names that no longer match (bits) */
	uint8_t name_idx;          /* bytes of the field name read so far (saturating) */
	uint8_t version_major;
	uint8_t method_miss;       /* known methods that no longer match (bits) */
	uint8_t method_idx;
	uint8_t ver_idx;           /* position in "HTTP/d.d" */
	bool target_split;         /* target is being collected in tbuf */
	bool saw_cl, saw_te, te_chunked, te_other, conn_close, conn_keep;
	bool cl_overflow;
	bool chunk_digits;         /* a size digit was seen on this chunk line */
	struct hc_elem elem;       /* list-element matcher; flags also for CL/Host */
	uint32_t tcopied;          /* target bytes already copied into tbuf */
	uint32_t head_bytes;       /* head bytes consumed so far */
	uint32_t frame_bytes;      /* bytes of this chunk line, or of the trailers */
	const char *tgt_start;     /* start of the target in the current chunk */
	uint64_t cl_value;
	uint64_t remaining;        /* body bytes left (Content-Length or chunk) */
	uint64_t chunk_size;
};

/*
 * Set up a parser. tbuf/tbuf_cap: per-connection buffer for a request-target
 * that straddles chunks, also the maximum target length (must be >= 1).
 * cfg may be NULL for the defaults. body_cb may be NULL (bodies discarded).
 */
void http_req_init(struct http_req_parser *p, const struct http_req_config *cfg,
		   char *tbuf, uint32_t tbuf_cap, http_body_cb body_cb, void *body_ctx);

/*
 * Start the next request on the same connection (after HTTP_REQ_COMPLETE):
 * all-zero is the start state of the per-request part, so one memset
 * (inline: it runs once per request).
 */
static inline void http_req_next(struct http_req_parser *p)
{
	memset(&p->req, 0, sizeof(*p) - offsetof(struct http_req_parser, req));
}

/*
 * Whether nothing of a request has been fed since http_req_init() or
 * http_req_next(): the all-zero start state (state 0 is the start of the
 * request-line, and only leading empty lines, which count head bytes, move
 * the parser without leaving it). Two parsers with the same limits that are
 * both fresh give the same results for the same bytes.
 */
static inline bool http_req_fresh(const struct http_req_parser *p)
{
	return p->state == 0 && p->head_bytes == 0;
}

/*
 * Feed the next contiguous chunk of the stream. Returns as soon as the head
 * is done (if a body follows), the request is complete, an error is found,
 * or the chunk is used up; *consumed says how many bytes were used. After
 * HTTP_REQ_ERROR the parser stays in error (answer error_status, then close).
 * Feeding after HTTP_REQ_COMPLETE without http_req_next() is an error (500).
 */
enum http_req_result http_req_feed(struct http_req_parser *p, const uint8_t *data,
				   size_t len, size_t *consumed);

/*
 * Copy the request-target into the parser's own buffer if it still points
 * into caller memory, so the caller may release its chunks. Always fits,
 * since the target length is bounded by the buffer capacity.
 */
void http_req_pin_target(struct http_req_parser *p);

/* Name of a method, for logs ("GET", ..., "OTHER"). */
const char *http_method_name(enum http_method m);

/*
 * Turn a request-target into a safe path relative to a document root.
 * Accepts origin-form ("/a/b?q") and absolute-form ("http://h/a/b");
 * drops the query, percent-decodes exactly once, resolves "." and ".."
 * segments and collapses repeated '/'. Refuses (returns 400) anything that
 * would climb above the root, a NUL, a backslash, a control byte (raw or
 * percent-encoded), a malformed %-escape, or a target not starting with '/'.
 * On success writes the normalised path, always starting with '/', to out
 * (NUL-terminated, at most len + 1 bytes needed) and returns 0. Returns 414
 * if out is too small.
 */
int http_path_sanitize(const char *target, size_t len, char *out, size_t out_cap,
		       size_t *out_len);

#endif /* HARE_HTTP_REQUEST_H */
