/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-load: incremental, validating HTTP/1.1 response parser (RFC 9112).
 *
 * Fed successive contiguous chunks of the byte stream, split anywhere. The
 * head is parsed byte by byte (never buffered); the body is never buffered
 * either: its bytes are only counted, and optionally handed to a callback as
 * pointers into the fed chunk (e.g. to write --get -o FILE).
 *
 * Per response:
 *     http_resp_begin(&p, request_was_head);
 *     feed chunks with http_resp_feed() until it returns COMPLETE or ERROR;
 *     on connection close call http_resp_eof() (completes a read-until-close
 *     body, otherwise reports CLOSED or SHORT_BODY).
 * COMPLETE reports the bytes consumed; with pipelining the next response
 * starts right after them (call http_resp_begin() first).
 *
 * Framing (RFC 9112 §6.3): no body for a HEAD request, 1xx, 204 and 304;
 * otherwise Transfer-Encoding whose final coding is chunked → chunked;
 * Transfer-Encoding with another final coding → read until close;
 * Content-Length → that many bytes; nothing → read until close.
 * Interim 1xx responses (except 101) are skipped (RFC 9110 §15.2); 101 is an
 * error, hare-load never asks to switch protocols.
 *
 * Validation decisions (all reported as HTTP_RESP_ERR_PARSE):
 * - CRLF line ends only: bare LF or bare CR is an error (same rule as the
 *   server parser; every server we test against sends CRLF).
 * - Status line "HTTP/1.x SP 3DIGIT [SP reason]"; code 100..599; major 1.
 *   A missing SP + reason after the code is accepted (old servers).
 * - Content-Length: 1*DIGIT, may be a list or repeated only with identical
 *   values (RFC 9112 §6.3 rule 5); sign, hex, empty or > 2^64-1: error.
 * - Transfer-Encoding together with Content-Length: error (RFC 9112 §6.3
 *   rule 3 says the message "ought to be handled as an error").
 * - obs-fold and whitespace before ':' are errors (RFC 9112 §5.1, §5.2).
 * - Chunk size: 1*HEXDIG, at most 2^64-1; chunk-ext bytes must be field
 *   content; a chunk line longer than HTTP_RESP_MAX_CHUNK_LINE bytes, or a
 *   head/trailer section longer than max_head, is an error.
 * Keep-alive (RFC 9112 §9.3): HTTP/1.1 persists unless "Connection: close";
 * HTTP/1.0 only with "Connection: keep-alive"; never after a read-until-close
 * body.
 *
 * Head memo (optional, http_resp_set_memo): a load test gets the same head
 * again and again (nginx: only Date changes, once a second). The memo keeps
 * the last head that a fresh parser took whole from one chunk, with what it
 * said (version, status, framing and persistence fields). A head that starts
 * with exactly the same bytes is then taken by one vector compare instead of
 * being parsed: the head verdict is a function of the head's bytes alone (and
 * of max_head, checked), so the result is the one parsing would give, byte
 * for byte; the body is framed as usual. Any difference is a miss: the head
 * is parsed and becomes the memo. One memo may serve many parsers of one
 * thread (hare-load: one per worker). For a GET answered with no body or a
 * Content-Length body that is all in the chunk, the memo also keeps what
 * framing the head gave (the verdict), so a hit is a compare and a copy.
 */
#ifndef HARE_HTTP_CLIENT_PARSER_H
#define HARE_HTTP_CLIENT_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "http_chars.h"

#define HTTP_RESP_DEFAULT_MAX_HEAD 65536u  /* status line + fields, and trailers */
#define HTTP_RESP_MAX_CHUNK_LINE   4096u   /* chunk-size line incl. extensions */

enum http_resp_result {
	HTTP_RESP_NEED_MORE = 0,  /* chunk used up, response not finished */
	HTTP_RESP_COMPLETE,       /* response finished (see consumed) */
	HTTP_RESP_ERROR,          /* see p->error */
};

/* Error kinds, counted separately by hare-load. */
enum http_resp_error {
	HTTP_RESP_ERR_NONE = 0,
	HTTP_RESP_ERR_PARSE,          /* malformed status line, field or framing */
	HTTP_RESP_ERR_HEAD_TOO_LARGE, /* head or trailers over max_head */
	HTTP_RESP_ERR_CLOSED,         /* connection closed before the head ended */
	HTTP_RESP_ERR_SHORT_BODY,     /* closed inside a Content-Length/chunked body */
	HTTP_RESP_ERR_ABORTED,        /* the body callback asked to stop */
	HTTP_RESP_ERR_COUNT,
};

/* How the body of the current response is delimited. */
enum http_resp_body {
	HTTP_RESP_BODY_NONE = 0,
	HTTP_RESP_BODY_LENGTH,
	HTTP_RESP_BODY_CHUNKED,
	HTTP_RESP_BODY_UNTIL_CLOSE,
};

#define HTTP_RESP_MEMO_MAX 512u  /* longest head the memo keeps */

/* The last plain head parsed whole, and what it said (see above). */
struct http_resp_memo {
	uint32_t len;               /* head bytes (32..HTTP_RESP_MEMO_MAX); 0: empty */
	uint16_t code;
	uint8_t version_minor;
	bool saw_cl, saw_te, te_final_chunked, conn_close, conn_keep;
	uint64_t cl_value;
	uint64_t hits, misses;      /* heads taken from the memo / parsed (fresh, one chunk) */
	/* The verdict for a GET, set at the first hit (see feed_memo): */
	uint8_t v_next;             /* 0: none yet; else the state after the head */
	uint64_t v_body;            /* body bytes that follow the head (Content-Length);
				     * UINT64_MAX while v_next is 0 */
	uint8_t v_res[24];          /* the parser's results block, complete */
	uint8_t head[HTTP_RESP_MEMO_MAX] __attribute__((aligned(32)));
};

/* Body bytes as they pass; return non-zero to abort (→ ERR_ABORTED). */
typedef int (*http_resp_body_cb)(void *ctx, const uint8_t *data, size_t len);

/* Per-connection parser. Fields above the marker are results, the rest private. */
struct http_resp_parser {
	uint16_t status;            /* final status code, once head_done */
	uint8_t status_class;       /* status / 100 */
	uint8_t version_minor;
	bool head_done;             /* final head parsed */
	bool complete;
	bool keep_alive;            /* connection may carry the next request */
	enum http_resp_body body_kind;
	enum http_resp_error error;
	uint64_t content_length;    /* for HTTP_RESP_BODY_LENGTH */
	uint64_t body_bytes;        /* body bytes seen (decoded, for chunked) */
	uint64_t wire_bytes;        /* all bytes consumed for this response */
	/* --- private --- */
	uint32_t max_head;
	http_resp_body_cb body_cb;
	void *body_ctx;
	struct http_resp_memo *memo;  /* NULL: none */
	bool head_request;
	bool no_verdict;            /* head_request or body_cb: no memo verdict (feed_memo) */
	uint8_t state;
	uint8_t pos;                /* position in the status line */
	uint8_t version_major;
	uint8_t hdr_id;
	uint8_t name_miss;          /* known names that no longer match (bits) */
	uint8_t name_idx;
	struct hc_elem elem;        /* list-element matcher (RFC 9110 §5.6.1) */
	bool saw_cl, te_final_chunked, saw_te, conn_close, conn_keep;
	uint16_t code;              /* status code being parsed */
	uint32_t head_bytes;        /* head (or trailer section) bytes so far */
	uint32_t line_bytes;        /* bytes of the current chunk-size line */
	uint64_t cl_value;          /* Content-Length agreed so far */
	uint64_t cl_cur;            /* Content-Length element being read */
	uint64_t remaining;         /* bytes left of the body or chunk */
	uint64_t chunk_size;
	bool chunk_digits;
};

/* Set up a parser. max_head 0 = default. body_cb may be NULL. */
void http_resp_init(struct http_resp_parser *p, uint32_t max_head, http_resp_body_cb body_cb,
		    void *body_ctx);

/* Use (or with NULL stop using) a head memo; m starts zeroed (memset) or used. */
void http_resp_set_memo(struct http_resp_parser *p, struct http_resp_memo *m);

#define HTTP_RESP_STATE_START 0  /* the parser's first state (the status line) */

/* Expect a new response; head_request: it answers a HEAD (no body).
 * Inline (once per request in hare-load): the results (status ..
 * content_length) are zeroed at once, the private state waits for the
 * first feed (priv_reset in the .c; a head taken from the memo's verdict
 * never reads it). */
static inline void http_resp_begin(struct http_resp_parser *p, bool head_request)
{
	memset(p, 0, offsetof(struct http_resp_parser, body_bytes));  /* NONE kinds are 0 */
	p->body_bytes = 0;
	p->wire_bytes = 0;
	p->head_request = head_request;
	p->no_verdict = head_request || p->body_cb != NULL;
	p->state = HTTP_RESP_STATE_START;
	p->pos = 0;
}

/* Every way of feeding (the .c): what http_resp_feed falls back to. */
enum http_resp_result http_resp_feed_any(struct http_resp_parser *p, const uint8_t *data,
					 size_t len, size_t *consumed);

#define HTTP_RESP_STATE_DONE 23  /* the parser's state after a complete response */
/* The results block, status .. content_length (what the memo's verdict holds). */
#define HTTP_RESP_RESULTS_LEN offsetof(struct http_resp_parser, body_bytes)

/*
 * a[0..n) == b[0..n), 32 <= n <= HTTP_RESP_MEMO_MAX, b 32-byte aligned: the
 * n / 32 whole blocks straight-line (a jump into an unrolled run, no loop
 * counter; two accumulators) and the last 32 bytes, overlapping.
 */
static inline __attribute__((always_inline)) bool
http_resp_memo_same(const uint8_t *a, const uint8_t *b, size_t n)
{
#ifdef HC_AVX2
	_Static_assert(HTTP_RESP_MEMO_MAX == 16 * 32, "http_resp_memo_same unrolls 16 blocks");
#define BLK(acc, i) acc = _mm256_or_si256(acc, _mm256_xor_si256( \
		_mm256_loadu_si256((const __m256i *)(const void *)(a + 32 * (i))), \
		_mm256_load_si256((const __m256i *)(const void *)(b + 32 * (i)))))
	__m256i acc0 = _mm256_xor_si256(
		_mm256_loadu_si256((const __m256i *)(const void *)(a + n - 32)),
		_mm256_loadu_si256((const __m256i *)(const void *)(b + n - 32)));
	__m256i acc1 = _mm256_setzero_si256();
	switch (n >> 5) {
	case 16: BLK(acc1, 15); /* fall through */
	case 15: BLK(acc0, 14); /* fall through */
	case 14: BLK(acc1, 13); /* fall through */
	case 13: BLK(acc0, 12); /* fall through */
	case 12: BLK(acc1, 11); /* fall through */
	case 11: BLK(acc0, 10); /* fall through */
	case 10: BLK(acc1, 9);  /* fall through */
	case 9:  BLK(acc0, 8);  /* fall through */
	case 8:  BLK(acc1, 7);  /* fall through */
	case 7:  BLK(acc0, 6);  /* fall through */
	case 6:  BLK(acc1, 5);  /* fall through */
	case 5:  BLK(acc0, 4);  /* fall through */
	case 4:  BLK(acc1, 3);  /* fall through */
	case 3:  BLK(acc0, 2);  /* fall through */
	case 2:  BLK(acc1, 1);  /* fall through */
	default: BLK(acc0, 0);  /* n >= 32 */
	}
#undef BLK
	acc0 = _mm256_or_si256(acc0, acc1);
	return _mm256_testz_si256(acc0, acc0);
#else
	return memcmp(a, b, n) == 0;
#endif
}

/* A memo hit with its verdict: the head's n bytes and the b body bytes
 * behind it are the whole response, its results those of the memo. */
static inline __attribute__((always_inline)) enum http_resp_result
http_resp_memo_take(struct http_resp_parser *p, struct http_resp_memo *m, size_t n, uint64_t b,
		    size_t *consumed)
{
	memcpy(p, m->v_res, HTTP_RESP_RESULTS_LEN);
	p->body_bytes += b;
	p->state = HTTP_RESP_STATE_DONE;
	p->wire_bytes += n + b;
	*consumed = n + b;
	return HTTP_RESP_COMPLETE;
}

/*
 * Feed the next chunk; *consumed bytes were used. Feeding a COMPLETE parser
 * is a PARSE error.
 *
 * Inline, the one case a load test meets per request: a fresh parser, the
 * memo's head at the start of the chunk with its verdict, the body all
 * here, nobody looking at it. That is what http_resp_feed_any() does for
 * it (feed_memo in the .c: same checks, same results), without the call;
 * any other case, including a memo hit without a usable verdict, goes to
 * http_resp_feed_any(), which then makes the compare itself (the cheap
 * checks come first here, so no compare is made twice on the way).
 */
static inline __attribute__((always_inline)) enum http_resp_result
http_resp_feed(struct http_resp_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	struct http_resp_memo *m = p->memo;

	/* a chunk known at compile time to be shorter than any memo head (32
	 * bytes at least) cannot hit: no compare inlined (GCC would warn about
	 * its loads, which len >= n keeps inside the chunk) */
	if (__builtin_constant_p(len) && len < 32)
		return http_resp_feed_any(p, data, len, consumed);
	if (p->state == HTTP_RESP_STATE_START && p->pos == 0 && m != NULL) {
		size_t n = m->len;
		uint64_t b = m->v_body;  /* UINT64_MAX: no verdict yet */

		if (n != 0 && len >= n && b <= len - n && !p->no_verdict && n <= p->max_head &&
		    http_resp_memo_same(data, m->head, n)) {
			m->hits++;
			return http_resp_memo_take(p, m, n, b, consumed);
		}
	}
	return http_resp_feed_any(p, data, len, consumed);
}

/* The peer closed the connection: finish a read-until-close body or fail. */
enum http_resp_result http_resp_eof(struct http_resp_parser *p);

/* Short name of an error kind ("parse", "short_body", ...). */
const char *http_resp_error_name(enum http_resp_error e);

#endif /* HARE_HTTP_CLIENT_PARSER_H */
