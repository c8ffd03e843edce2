/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-httpd: response header building.
 *
 * Every response head the server sends is known ahead of time except for the
 * Date, so heads are prebuilt once per (status, length, type, persistence)
 * into a template; the per-request cost is one memcpy of the template (the
 * 29-byte Date is patched into the template at most once per second).
 *
 * Head layout (fixed order, CRLF line ends, RFC 9112 §4, §5):
 *     HTTP/1.1 <code> <reason>
 *     Server: hare
 *     Date: <IMF-fixdate>                 (RFC 9110 §5.6.7, §6.6.1)
 *     Content-Type: <type>                (only if a type is given)
 *     Content-Length: <n>                 (not for 1xx and 204, RFC 9110 §8.6)
 *     Connection: keep-alive | close
 *     <extra lines, e.g. "Allow: GET, HEAD\r\n">
 *     (empty line)
 *
 * "Connection: keep-alive" is sent explicitly so HTTP/1.0 clients that asked
 * for persistence see it was granted (RFC 9112 §9.3, Appendix C.2.2).
 *
 * Retransmission hazard for callers: a template's bytes change when the Date
 * is refreshed. Never hand a template buffer to the NIC by reference (mbuf
 * external buffer) while TCP may still retransmit it; copy the head into the
 * segment (http_resp_tmpl_write()) or keep per-second immutable copies.
 */
#ifndef HARE_HTTP_RESPONSE_H
#define HARE_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HTTP_DATE_LEN       29   /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_RESP_TMPL_MAX  512  /* head (+ inline error body) bytes */

/* The interim response to "Expect: 100-continue" (RFC 9110 §15.2.1). */
#define HTTP_RESP_100_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

/* Current Date field value, reformatted only when the second changes. */
struct http_date_cache {
	int64_t sec;                    /* Unix time the text is for */
	char text[HTTP_DATE_LEN + 1];   /* IMF-fixdate, NUL-terminated */
};

/* A prebuilt response head (optionally with a short inline body). */
struct http_resp_tmpl {
	uint16_t len;       /* bytes of head + inline body */
	uint16_t head_len;  /* bytes of the head alone */
	uint16_t date_off;  /* where the 29 Date bytes sit in buf */
	uint16_t status;
	int64_t date_sec;   /* second the Date in buf is for */
	char buf[HTTP_RESP_TMPL_MAX];
};

/* Format Unix time `sec` (UTC) as IMF-fixdate into out (30 bytes, NUL added). */
void http_date_format(int64_t sec, char out[HTTP_DATE_LEN + 1]);

/* Start a cache at time `now`. */
void http_date_init(struct http_date_cache *dc, int64_t now);

/* Move the cache to time `now`; returns true if the text changed. */
bool http_date_update(struct http_date_cache *dc, int64_t now);

/* Reason phrase for a status code ("Unknown" for codes not in the table). */
const char *http_status_reason(unsigned status);

/*
 * Content-Type for a file path, by its extension (case-insensitive): html
 * htm css js mjs json txt png jpg jpeg gif svg ico wasm pdf; anything else
 * "application/octet-stream".
 */
const char *http_content_type(const char *path, size_t len);

/*
 * Build a response head into dst. content_type may be NULL (no field);
 * extra may be NULL or pre-formatted field lines each ending in CRLF.
 * Returns the length, or 0 if dst is too small or status is not 100..599.
 */
size_t http_resp_head_build(char *dst, size_t cap, unsigned status, uint64_t content_length,
			    const char *content_type, bool keep_alive, const char *extra,
			    const struct http_date_cache *dc);

/*
 * Prebuild a template. Returns 0, or -1 if it does not fit HTTP_RESP_TMPL_MAX
 * or status is not 100..599.
 */
int http_resp_tmpl_init(struct http_resp_tmpl *t, unsigned status, uint64_t content_length,
			const char *content_type, bool keep_alive, const char *extra,
			const struct http_date_cache *dc);

/*
 * Prebuild a complete error response: head plus a short text/plain body
 * "<code> <reason>\n". A 405 carries "Allow: GET, HEAD" (RFC 9110 §15.5.6).
 * Returns 0 or -1 as http_resp_tmpl_init().
 */
int http_resp_error_tmpl_init(struct http_resp_tmpl *t, unsigned status, bool keep_alive,
			      const struct http_date_cache *dc);

/* Bring the template's Date up to the cache (a 29-byte copy, once a second). */
static inline void http_resp_tmpl_refresh(struct http_resp_tmpl *t,
					  const struct http_date_cache *dc)
{
	if (t->date_sec != dc->sec) {
		__builtin_memcpy(t->buf + t->date_off, dc->text, HTTP_DATE_LEN);
		t->date_sec = dc->sec;
	}
}

/*
 * Copy the template (with a current Date) to dst. Returns its length, or 0
 * if cap is too small. This is the per-request cost: one memcpy.
 */
static inline size_t http_resp_tmpl_write(struct http_resp_tmpl *t,
					  const struct http_date_cache *dc, char *dst, size_t cap)
{
	if (cap < t->len)
		return 0;
	http_resp_tmpl_refresh(t, dc);
	__builtin_memcpy(dst, t->buf, t->len);
	return t->len;
}

#endif /* HARE_HTTP_RESPONSE_H */
