/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-httpd: incremental HTTP/1.1 request parser. Design notes and the
 * decisions taken on ambiguous input are in http_request.h.
 */
#include "http_request.h"

#include <string.h>
#include <strings.h>

#define likely_(x) __builtin_expect(!!(x), 1)

/* Parser states, one per grammar position (RFC 9112 §2.1, §3, §5, §7.1). */
enum {
	S_START = 0,       /* before the request-line; empty lines allowed */
	S_START_LF,        /* CR of an empty leading line seen */
	S_METHOD,
	S_TARGET_FIRST,
	S_TARGET,
	S_VERSION,         /* "HTTP/" DIGIT "." DIGIT, then CR */
	S_RL_LF,           /* CR ending the request-line seen */
	S_LINE_START,      /* start of a field line or of the empty line */
	S_HDRS_LF,         /* CR of the empty line seen */
	S_NAME,
	S_VALUE,
	S_VALUE_LF,
	S_BODY_LEN,
	S_CHUNK_DATA,
	/* chunked framing, in the order of enum hc_chunk_pos (http_chars.h) */
	S_CHUNK_SIZE,
	S_CHUNK_SIZE_LF = S_CHUNK_SIZE + HC_CK_SIZE_LF,
	S_CHUNK_DATA_CR = S_CHUNK_SIZE + HC_CK_DATA_CR,
	S_TRAILER_START = S_CHUNK_SIZE + HC_CK_TR_START,
	S_TRAILER_END_LF = S_CHUNK_SIZE + HC_CK_TR_END_LF,
	S_DONE,
	S_ERROR,
};
_Static_assert(S_START == 0, "http_req_fresh() (http_request.h) takes state 0 for the start");

/* Field names we interpret; the bit index in name_miss is the id - 1. */
enum {
	H_OTHER = 0,
	H_HOST,
	H_CONNECTION,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_EXPECT,
	H_COUNT,
};

static const struct hc_known known_hdrs[H_COUNT] = {
	[H_HOST] = { "host", 4 },
	[H_CONNECTION] = { "connection", 10 },
	[H_CONTENT_LENGTH] = { "content-length", 14 },
	[H_TRANSFER_ENCODING] = { "transfer-encoding", 17 },
	[H_EXPECT] = { "expect", 6 },
};

/* List-valued fields: the elements we look for, per header (lowercase). */
static const char *const elem_cands[H_COUNT][2] = {
	[H_CONNECTION] = { "close", "keep-alive" },
	[H_TRANSFER_ENCODING] = { "chunked", NULL },
	[H_EXPECT] = { "100-continue", NULL },
};

/* Methods told apart; the bit index in method_miss is the id - 1. */
static const struct hc_known methods[HTTP_METHOD_OTHER] = {
	[HTTP_METHOD_GET] = { "GET", 3 },
	[HTTP_METHOD_HEAD] = { "HEAD", 4 },
	[HTTP_METHOD_POST] = { "POST", 4 },
};

const char *http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_METHOD_GET: return "GET";
	case HTTP_METHOD_HEAD: return "HEAD";
	case HTTP_METHOD_POST: return "POST";
	case HTTP_METHOD_OTHER: return "OTHER";
	default: return "NONE";
	}
}

void http_req_init(struct http_req_parser *p, const struct http_req_config *cfg,
		   char *tbuf, uint32_t tbuf_cap, http_body_cb body_cb, void *body_ctx)
{
	memset(p, 0, sizeof(*p));
	p->max_head = (cfg && cfg->max_head) ? cfg->max_head : HTTP_REQ_DEFAULT_MAX_HEAD;
	p->max_body = (cfg && cfg->max_body) ? cfg->max_body : HTTP_REQ_DEFAULT_MAX_BODY;
	p->tbuf = tbuf;
	p->tbuf_cap = tbuf_cap;
	p->body_cb = body_cb;
	p->body_ctx = body_ctx;
}

void http_req_pin_target(struct http_req_parser *p)
{
	if (p->req.target == NULL || p->req.target == p->tbuf)
		return;
	/* target_len <= tbuf_cap is enforced while parsing */
	memmove(p->tbuf, p->req.target, p->req.target_len);
	p->req.target = p->tbuf;
}

/* One element of a list-valued field ended (at ',' or end of line). */
static void elem_finish(struct http_req_parser *p)
{
	int hit = hc_elem_finish(&p->elem, elem_cands[p->hdr_id]);
	if (hit < 0)
		return;  /* empty element */
	switch (p->hdr_id) {
	case H_CONNECTION:
		if (hit == 0)
			p->conn_close = true;
		else if (hit == 1)
			p->conn_keep = true;
		break;
	case H_TRANSFER_ENCODING:
		if (hit == 0)
			p->te_chunked = true;
		else
			p->te_other = true;
		break;
	case H_EXPECT:
		if (hit == 0 && p->req.version_minor == 1)
			p->req.expect_continue = true;
		break;
	}
}

/* Known header id of a complete field name held in one buffer. */
static inline uint8_t lookup_name(const uint8_t *s, size_t n)
{
	switch (n) {
	case 4: return hc_name_eq(s, "host", 4) ? H_HOST : H_OTHER;
	case 6: return hc_name_eq(s, "expect", 6) ? H_EXPECT : H_OTHER;
	case 10: return hc_name_eq(s, "connection", 10) ? H_CONNECTION : H_OTHER;
	case 14: return hc_name_eq(s, "content-length", 14) ? H_CONTENT_LENGTH : H_OTHER;
	case 17: return hc_name_eq(s, "transfer-encoding", 17) ? H_TRANSFER_ENCODING : H_OTHER;
	default: return H_OTHER;
	}
}

/* Field name complete (':' seen), hdr_id set: start its value. 0 or a status. */
static int field_begin(struct http_req_parser *p)
{
	p->elem.count = 0;
	p->elem.flags = 0;
	switch (p->hdr_id) {
	case H_HOST:
		if (p->req.has_host)
			return 400;  /* RFC 9112 §3.2: more than one Host */
		p->req.has_host = true;
		break;
	case H_CONTENT_LENGTH:
		if (p->saw_cl)
			return 400;  /* any second Content-Length, see header */
		p->saw_cl = true;
		p->cl_value = 0;
		break;
	case H_TRANSFER_ENCODING:
		if (p->saw_te)
			return 400;  /* stacked codings or chunked twice */
		p->saw_te = true;
		hc_elem_reset(&p->elem);
		break;
	case H_CONNECTION:
	case H_EXPECT:
		hc_elem_reset(&p->elem);
		break;
	}
	return 0;
}

/* One byte of a field value (already known to be field content). 0 or status. */
static inline __attribute__((always_inline)) int value_byte(struct http_req_parser *p,
								    uint8_t c)
{
	switch (p->hdr_id) {
	case H_OTHER:
		return 0;
	case H_CONTENT_LENGTH:
		/* Content-Length = 1*DIGIT, surrounded by OWS (RFC 9110 §8.6) */
		if (c == ' ' || c == '\t') {
			if (p->elem.flags & HC_EF_STARTED)
				p->elem.flags |= HC_EF_WS;
			return 0;
		}
		if (c < '0' || c > '9' || (p->elem.flags & HC_EF_WS))
			return 400;
		p->elem.flags |= HC_EF_STARTED;
		if (p->cl_value > (UINT64_MAX - 9) / 10)
			p->cl_overflow = true;
		else
			p->cl_value = p->cl_value * 10 + (uint64_t)(c - '0');
		return 0;
	case H_HOST:
		/* RFC 9112 §3.2: invalid Host value is a 400. */
		if (c == ' ' || c == '\t') {
			if (p->elem.flags & HC_EF_STARTED)
				p->elem.flags |= HC_EF_WS;
			return 0;
		}
		if (!(hc_class[c] & HC_HOST) || (p->elem.flags & HC_EF_WS))
			return 400;
		p->elem.flags |= HC_EF_STARTED;
		return 0;
	default:
		if (c == ',')
			elem_finish(p);
		else
			hc_elem_byte(&p->elem, c);
		return 0;
	}
}

/* Field line complete. 0 or a status. */
static int value_done(struct http_req_parser *p)
{
	switch (p->hdr_id) {
	case H_CONTENT_LENGTH:
		if (!(p->elem.flags & HC_EF_STARTED))
			return 400;  /* empty Content-Length */
		break;
	case H_TRANSFER_ENCODING:
		elem_finish(p);
		if (p->elem.count == 0)
			return 400;  /* empty Transfer-Encoding */
		if (p->elem.count > 1)
			p->te_other = true;  /* e.g. "gzip, chunked": not supported */
		break;
	case H_CONNECTION:
	case H_EXPECT:
		elem_finish(p);
		break;
	}
	return 0;
}

/* Head complete: decide framing and persistence (RFC 9112 §6.3, §9.3). */
static inline int head_done(struct http_req_parser *p)
{
	struct http_request *r = &p->req;
	r->head_len = p->head_bytes;
	if (r->version_minor == 1 && !r->has_host)
		return 400;
	if (p->saw_te) {
		if (p->saw_cl)
			return 400;  /* §6.3 rule 3: smuggling attempt */
		if (r->version_minor == 0)
			return 400;  /* §6.1: TE in HTTP/1.0 is faulty framing */
		if (p->te_other || !p->te_chunked)
			return 501;
		r->body_kind = HTTP_BODY_CHUNKED;
	} else if (p->saw_cl) {
		if (p->cl_overflow || p->cl_value > p->max_body)
			return 413;
		r->content_length = p->cl_value;
		r->body_kind = p->cl_value ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	}
	if (r->version_minor == 1)
		r->keep_alive = !p->conn_close;
	else
		r->keep_alive = p->conn_keep && !p->conn_close;
	return 0;
}


/*
 * Fast paths. Most requests arrive whole in one segment, so at the start of
 * the request-line we take the complete line in one go, and at the start of
 * a field line we take that line and every following one, up to and
 * including the empty line, with the vector scanners of http_chars.h. They
 * only accept lines that are whole in this chunk, fit the head bound and
 * are valid throughout; at the first other line they stop having changed
 * nothing for it, and the byte-at-a-time machine below handles it (so every
 * error keeps its exact status and offset, and the split-at-every-byte tests
 * compare both paths).
 */

#define LE32(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | \
			  (uint32_t)(d) << 24)

/* "method SP target SP HTTP/1.d CRLF" at s, before end. Returns bytes taken or 0. */
static inline __attribute__((always_inline)) size_t fast_request_line(struct http_req_parser *p, const uint8_t *s,
				       const uint8_t *end)
{
	size_t avail = (size_t)(end - s), j;
	enum http_method m;

	if (avail < 16)
		return 0;  /* shorter than "A / HTTP/1.1" CRLF CRLF: leave it to the machine */
	uint32_t mw = hc_load32(s);
	if (mw == LE32('G', 'E', 'T', ' ')) {
		j = 3;
		m = HTTP_METHOD_GET;
	} else {
		j = hc_span_tchar(s, s, end);
		if (j == 0 || j + 2 >= avail || s[j] != ' ')  /* s[j + 2] is read below */
			return 0;
		m = HTTP_METHOD_OTHER;
		if (j == 4 && mw == LE32('H', 'E', 'A', 'D'))
			m = HTTP_METHOD_HEAD;
		else if (j == 4 && mw == LE32('P', 'O', 'S', 'T'))
			m = HTTP_METHOD_POST;
	}
	size_t t0 = j + 1, k;
	if (s[t0] == '/' && s[t0 + 1] == ' ')
		k = t0 + 1;  /* "/", what load generators ask for */
	else
		k = t0 + hc_span_target(s, s + t0, end);
	if (k == t0 || k >= avail || s[k] != ' ' || k - t0 > p->tbuf_cap)
		return 0;
	size_t v = k + 1;
	if (avail - v < 10)
		return 0;
	uint64_t ver = hc_load64(s + v);
	uint8_t minor;
	if (ver == hc_str8("HTTP/1.1"))
		minor = 1;
	else if ((ver & 0x00ffffffffffffffull) == hc_str8("HTTP/1.\0") && s[v + 7] >= '0' &&
		 s[v + 7] <= '9')
		minor = s[v + 7] == '0' ? 0 : 1;
	else
		return 0;
	if (!hc_crlf(s + v + 8))
		return 0;
	size_t line = v + 10;
	if ((uint64_t)p->head_bytes + line > p->max_head)
		return 0;

	p->req.method = m;
	p->req.target = (const char *)s + t0;
	p->req.target_len = (uint32_t)(k - t0);
	p->version_major = 1;
	p->req.version_minor = minor;
	p->head_bytes += (uint32_t)line;
	p->state = S_LINE_START;
	return line;
}

/*
 * A known field's value q[j + 1 .. e) run through the byte machine's own
 * steps. 0, or the offset of the byte at which the machine fails, with
 * *status. Out of line: rare, and it keeps the fast loop's registers free.
 */
static __attribute__((noinline)) size_t value_line(struct http_req_parser *p, uint8_t h,
						   const uint8_t *q, size_t j, size_t e,
						   int *status)
{
	p->hdr_id = h;
	if ((*status = field_begin(p)) != 0)
		return j;
	for (size_t x = j + 1; x < e; x++)
		if ((*status = value_byte(p, q[x])) != 0)
			return x;
	if ((*status = value_done(p)) != 0)
		return e + 1;
	p->hdr_id = H_OTHER;
	return 0;
}

/*
 * The loop of fast_fields(): whole field lines while each is ordinary, and
 * the empty line. Stops at a known field whose value needs the byte
 * machine's steps (*sl), with that line not taken.
 */
static inline __attribute__((always_inline)) size_t
fast_lines(struct http_req_parser *p, const uint8_t *base, const uint8_t *s,
	   const uint8_t *end, bool *head_end, struct hc_line *sl)
{
	const uint8_t *q = s;
	uint32_t hb = p->head_bytes;
	const uint32_t max = p->max_head;

	while (hc_next_line(&q, end, &hb, max, head_end)) {
		size_t avail = (size_t)(end - q), e;  /* e: offset of the line's CR */
		if (avail >= 7 && (hc_load32(q) | 0x20202020u) == LE32('h', 'o', 's', 't') &&
		    q[4] == ':' && !p->req.has_host) {
			/*
			 * Host, in every HTTP/1.1 request: recognised without
			 * classifying its name, its value checked in one pass:
			 * OWS host-bytes OWS CRLF (RFC 9112 §3.2, RFC 3986 §3.2.2)
			 */
			size_t a = hc_skip_ows(q, 5, avail);
			e = hc_skip_ows(q, a + hc_span(base, q + a, end, HC_KIND_HOST, HC_HOST), avail);
			if (avail - e < 2 || !hc_crlf(q + e) || hb + e + 2 > max)
				break;
			p->req.has_host = true;
			hb += (uint32_t)(e + 2);
			q += e + 2;
			continue;
		}
		/* one 32-byte window classifies the name and (most of) the value */
		struct hc_win w;
		size_t j = hc_field_name(&w, base, q, end);
		if (j == 0)
			break;
		uint8_t h = lookup_name(q, j);
		e = hc_field_end(&w, base, q, end, j + 1);
		if (e == 0 || hb + e + 2 > max)
			break;
		if (h == H_CONTENT_LENGTH && !p->saw_cl) {
			size_t a = hc_skip_ows(q, j + 1, e);
			if (!hc_plain_number(q, a, hc_trim_ows(q, a, e), &p->cl_value))
				break;  /* anything unusual: the byte machine decides */
			p->saw_cl = true;
		} else if (h != H_OTHER) {
			/* the caller runs the byte machine's steps over this line */
			*sl = (struct hc_line){ h, j, e };
			break;
		}
		hb += (uint32_t)(e + 2);
		q += e + 2;
	}
	p->head_bytes = hb;
	return (size_t)(q - s);
}

/*
 * Field lines from s on, then the empty line ending the head. Returns the
 * bytes of the whole lines taken; *head_end tells whether the final CRLF was
 * among them. -1: a line that is an error exactly as the byte machine would
 * find it, with *status and *at (offset of the offending byte from s). The
 * rare lines that need the machine's own steps (Connection, Expect,
 * Transfer-Encoding, an unusual Content-Length) run here, outside
 * fast_lines(), whose loop then has no calls.
 */
static inline __attribute__((always_inline)) long
fast_fields(struct http_req_parser *p, const uint8_t *base, const uint8_t *s,
	    const uint8_t *end, bool *head_end, int *status, size_t *at)
{
	size_t done = 0;
	for (;;) {
		struct hc_line sl = { 0, 0, 0 };
		done += fast_lines(p, base, s + done, end, head_end, &sl);
		if (sl.h == H_OTHER)
			return (long)done;
		size_t bad = value_line(p, sl.h, s + done, sl.j, sl.e, status);
		if (bad) {
			*at = done + bad;
			return -1;
		}
		p->hdr_id = H_OTHER;
		p->head_bytes += (uint32_t)(sl.e + 2);
		done += sl.e + 2;
	}
}

static inline void body_out(struct http_req_parser *p, const uint8_t *d, size_t n)
{
	p->req.body_received += n;
	if (p->body_cb && n)
		p->body_cb(p->body_ctx, d, n);
}

#define FAIL(code) do { status = (code); goto fail; } while (0)

/* The head ended i bytes into this chunk: decide the framing and report. */
static inline enum http_req_result head_finish(struct http_req_parser *p, size_t i,
					       size_t *consumed)
{
	int status = head_done(p);
	*consumed = i;
	if (status != 0) {
		p->state = S_ERROR;
		p->error_status = (uint16_t)status;
		return HTTP_REQ_ERROR;
	}
	switch (p->req.body_kind) {
	case HTTP_BODY_LENGTH:
		p->remaining = p->req.content_length;
		p->state = S_BODY_LEN;
		return HTTP_REQ_HEAD_DONE;
	case HTTP_BODY_CHUNKED:
		p->state = S_CHUNK_SIZE;
		return HTTP_REQ_HEAD_DONE;
	default:
		p->state = S_DONE;
		return HTTP_REQ_COMPLETE;
	}
}

/* The byte-at-a-time machine (with the per-line fast path at line starts). */
static __attribute__((noinline)) enum http_req_result
feed_machine(struct http_req_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	size_t i = 0;
	int status = 0;

	if (p->state == S_ERROR) {
		*consumed = 0;
		return HTTP_REQ_ERROR;
	}
	if (p->state == S_DONE) {
		/* caller forgot http_req_next(): a bug, not the peer's fault */
		status = 500;
		goto fail;
	}
	if (p->state == S_TARGET)
		p->tgt_start = (const char *)data;
	while (i < len) {
		uint8_t c = data[i];
		uint8_t st = p->state;

		if (st < S_BODY_LEN) {
			/* one more head byte: enforce the head bound */
			if (++p->head_bytes > p->max_head)
				FAIL((st == S_TARGET || st == S_TARGET_FIRST) ? 414 : 431);
		}

		switch (st) {
		case S_START:
			if (c == '\r') {
				p->state = S_START_LF;
			} else if (hc_class[c] & HC_TCHAR) {
				p->head_bytes--;  /* counted by the fast path or reprocessed */
				size_t n = fast_request_line(p, data + i, data + len);
				if (n) {
					i += n;
					continue;
				}
				p->state = S_METHOD;
				continue;
			} else {
				FAIL(400);
			}
			break;

		case S_START_LF:
			if (c != '\n' || ++p->empty_lines > HTTP_REQ_MAX_EMPTY_LINES)
				FAIL(400);
			p->state = S_START;
			break;

		case S_METHOD:
			if (hc_class[c] & HC_TCHAR) {
				/* case-sensitive (RFC 9110 §9.1) */
				hc_known_step(&p->method_miss, p->method_idx, c, methods,
					      HTTP_METHOD_OTHER);
				if (p->method_idx < UINT8_MAX)
					p->method_idx++;
			} else if (c == ' ') {
				int m = hc_known_end(p->method_miss, p->method_idx, methods,
						     HTTP_METHOD_OTHER);
				p->req.method = m ? (enum http_method)m : HTTP_METHOD_OTHER;
				p->state = S_TARGET_FIRST;
			} else {
				FAIL(400);
			}
			break;

		case S_TARGET_FIRST:
			if (!(hc_class[c] & HC_TARGET))
				FAIL(400);
			p->tgt_start = (const char *)&data[i];
			p->req.target_len = 0;
			p->state = S_TARGET;
			p->head_bytes--;  /* reprocess: counted in S_TARGET */
			continue;

		case S_TARGET:
			if (hc_class[c] & HC_TARGET) {
				if (++p->req.target_len > p->tbuf_cap)
					FAIL(414);
				/* fast path: run over the rest of the target in this chunk */
				while (i + 1 < len && (hc_class[data[i + 1]] & HC_TARGET)) {
					if (p->req.target_len + 1 > p->tbuf_cap ||
					    p->head_bytes + 1 > p->max_head)
						break;  /* let the slow path fail it */
					p->req.target_len++;
					p->head_bytes++;
					i++;
				}
			} else if (c == ' ') {
				size_t n = (size_t)((const char *)&data[i] - p->tgt_start);
				if (p->target_split) {
					memcpy(p->tbuf + p->tcopied, p->tgt_start, n);
					p->tcopied += (uint32_t)n;
					p->req.target = p->tbuf;
				} else {
					p->req.target = p->tgt_start;
				}
				p->state = S_VERSION;
			} else {
				FAIL(400);  /* CR here: no HTTP-version (HTTP/0.9) */
			}
			break;

		case S_VERSION: {
			/* "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3) */
			static const char pfx[] = "HTTP/";
			uint8_t v = p->ver_idx;
			if (v < 5) {
				if (c != (uint8_t)pfx[v])
					FAIL(400);
			} else if (v == 5 || v == 7) {
				if (c < '0' || c > '9')
					FAIL(400);
				if (v == 5)
					p->version_major = (uint8_t)(c - '0');
				else
					p->req.version_minor = c == '0' ? 0 : 1;
			} else if (v == 6) {
				if (c != '.')
					FAIL(400);
			} else {
				if (c != '\r')
					FAIL(400);
				if (p->version_major != 1)
					FAIL(505);
				p->state = S_RL_LF;
			}
			p->ver_idx++;
			break;
		}

		case S_RL_LF:
			if (c != '\n')
				FAIL(400);
			p->state = S_LINE_START;
			break;

		case S_LINE_START:
			if (c == '\r') {
				p->state = S_HDRS_LF;
			} else if (hc_class[c] & HC_TCHAR) {
				p->head_bytes--;  /* counted by the fast path or reprocessed */
				size_t at = 0;
				bool head_end = false;
				long n = fast_fields(p, data, data + i, data + len, &head_end,
						     &status, &at);
				if (n < 0) {
					i += at;
					goto fail;
				}
				i += (size_t)n;
				if (head_end)
					return head_finish(p, i, consumed);
				if (n > 0)
					continue;
				p->name_miss = 0;
				p->name_idx = 0;
				p->state = S_NAME;
				continue;
			} else {
				FAIL(400);  /* obs-fold, leading SP, bare LF, ':' ... */
			}
			break;

		case S_NAME:
			if (hc_class[c] & HC_TCHAR) {
				hc_known_step(&p->name_miss, p->name_idx, hc_lower(c), known_hdrs,
					      H_COUNT);
				if (p->name_idx < UINT8_MAX)
					p->name_idx++;
			} else if (c == ':') {
				p->hdr_id = (uint8_t)hc_known_end(p->name_miss, p->name_idx,
								  known_hdrs, H_COUNT);
				if ((status = field_begin(p)) != 0)
					goto fail;
				p->state = S_VALUE;
			} else {
				FAIL(400);  /* incl. whitespace before ':' (RFC 9112 §5.1) */
			}
			break;

		case S_VALUE:
			if (c == '\r') {
				p->state = S_VALUE_LF;
			} else if (hc_class[c] & HC_FIELD) {
				if (p->hdr_id == H_OTHER) {
					/* fast path: skip the rest of an uninteresting value */
					while (i + 1 < len && (hc_class[data[i + 1]] & HC_FIELD) &&
					       p->head_bytes < p->max_head) {
						p->head_bytes++;
						i++;
					}
				} else if ((status = value_byte(p, c)) != 0) {
					goto fail;
				}
			} else {
				FAIL(400);  /* CTL or bare LF in a field value */
			}
			break;

		case S_VALUE_LF:
			if (c != '\n')
				FAIL(400);
			if ((status = value_done(p)) != 0)
				goto fail;
			p->state = S_LINE_START;
			break;

		case S_HDRS_LF:
			if (c != '\n')
				FAIL(400);
			return head_finish(p, i + 1, consumed);

		case S_BODY_LEN: {
			size_t n = len - i;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			body_out(p, &data[i], n);
			p->remaining -= n;
			i += n;
			if (p->remaining == 0) {
				p->state = S_DONE;
				*consumed = i;
				return HTTP_REQ_COMPLETE;
			}
			continue;
		}

		case S_CHUNK_DATA: {
			size_t n = len - i;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			body_out(p, &data[i], n);
			p->remaining -= n;
			i += n;
			if (p->remaining == 0)
				p->state = S_CHUNK_DATA_CR;
			continue;
		}

		default:
			/*
			 * Chunk framing and trailers. Each chunk-size line (with its
			 * extensions) is bounded by HTTP_REQ_MAX_CHUNK_LINE (400),
			 * the trailer section by max_head (431), so tiny-chunk or
			 * endless-extension bodies cannot pin the parser.
			 */
			if (st >= S_TRAILER_START) {
				if (++p->frame_bytes > p->max_head)
					FAIL(431);
			} else if (st <= S_CHUNK_SIZE_LF) {
				if (++p->frame_bytes > HTTP_REQ_MAX_CHUNK_LINE)
					FAIL(400);
			}
			uint8_t pos = (uint8_t)(st - S_CHUNK_SIZE);
			bool digits = p->chunk_digits;
			switch (hc_chunk_byte(&pos, &p->chunk_size, &digits, c)) {
			case HC_CKE_MORE:
			case HC_CKE_DATA_END:
				break;
			case HC_CKE_DIGIT:
				if (p->chunk_size > p->max_body - p->req.body_received)
					FAIL(413);
				break;
			case HC_CKE_SIZE_END:
				p->frame_bytes = 0;
				if (p->chunk_size == 0) {
					pos = HC_CK_TR_START;
				} else {
					p->remaining = p->chunk_size;
					p->state = S_CHUNK_DATA;
					i++;
					continue;
				}
				break;
			case HC_CKE_DONE:
				p->state = S_DONE;
				*consumed = i + 1;
				return HTTP_REQ_COMPLETE;
			case HC_CKE_OVERFLOW:
				FAIL(413);
			default:
				FAIL(400);
			}
			p->chunk_digits = digits;
			p->state = (uint8_t)(S_CHUNK_SIZE + pos);
			break;
		}
		i++;
	}

	/* chunk used up in the middle of the target: keep its piece */
	if (p->state == S_TARGET) {
		size_t n = (size_t)((const char *)data + len - p->tgt_start);
		memcpy(p->tbuf + p->tcopied, p->tgt_start, n);
		p->tcopied += (uint32_t)n;
		p->target_split = true;
	}
	*consumed = len;
	return HTTP_REQ_NEED_MORE;

fail:
	p->state = S_ERROR;
	p->error_status = (uint16_t)status;
	*consumed = i;
	return HTTP_REQ_ERROR;
}

/*
 * The Host field line right after the request-line, as HTTP/1.1 clients
 * send it: "Host:" [SP] host-bytes CRLF (RFC 9112 §3.2, RFC 3986 §3.2.2).
 * Taken only in exactly that form and within the head bound: returns the
 * offset after it, having set has_host and counted it; else 0 with nothing
 * changed (then fast_fields() or the machine reach the same verdict).
 */
static inline __attribute__((always_inline)) size_t
fast_host_line(struct http_req_parser *p, const uint8_t *s, size_t at, size_t len)
{
	const uint8_t *q = s + at;
	size_t avail = len - at;

	if (avail < 8 || (hc_load32(q) | 0x20202020u) != LE32('h', 'o', 's', 't') || q[4] != ':')
		return 0;
	size_t a = 5 + (q[5] == ' ');
	size_t e = a + hc_span(s, q + a, s + len, HC_KIND_HOST, HC_HOST);
	if (avail - e < 2 || !hc_crlf(q + e) || (uint64_t)p->head_bytes + e + 2 > p->max_head)
		return 0;
	p->req.has_host = true;
	p->head_bytes += (uint32_t)(e + 2);
	return at + e + 2;
}

/*
 * The head goes on after the first n bytes of data (request-line, maybe
 * Host, taken by the fast paths): the other field lines with fast_fields(),
 * then whatever is left with the machine. Out of line so that
 * http_req_feed() keeps the common case free of calls.
 */
static __attribute__((noinline)) enum http_req_result
feed_rest(struct http_req_parser *p, const uint8_t *data, size_t n, size_t len,
	  size_t *consumed)
{
	size_t at = 0;
	int status = 0;
	bool head_end = false;
	long m = fast_fields(p, data, data + n, data + len, &head_end, &status, &at);
	if (m < 0) {
		p->state = S_ERROR;
		p->error_status = (uint16_t)status;
		*consumed = n + at;
		return HTTP_REQ_ERROR;
	}
	size_t i = n + (size_t)m;
	if (head_end)
		return head_finish(p, i, consumed);
	enum http_req_result r = feed_machine(p, data + i, len - i, consumed);
	*consumed += i;
	return r;
}

/*
 * Length of the run of Host bytes at s + a in the chunk s[0..len), len >=
 * 16, when one window reaches s + a: with AVX2 it classifies the chunk's
 * last 32 bytes (a shorter chunk: its first 16 and its last 16, the upper
 * half of the window either way), so a short chunk needs no byte loop.
 * SIZE_MAX when the window does not reach s + a (the caller leaves the fast
 * path). Reads only [s, s + len).
 */
static inline __attribute__((always_inline)) size_t
host_span(const uint8_t *s, size_t a, size_t len)
{
#ifdef HC_AVX2
	size_t back = len - a;  /* bytes from s + a to the end */
	__m256i x;
	if (len >= 32) {
		if (back > 32)
			return SIZE_MAX;
		x = _mm256_loadu_si256((const __m256i *)(const void *)(s + len - 32));
	} else {
		if (back > 16)
			return SIZE_MAX;
		x = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(const void *)(s + len - 16)),
				     _mm_loadu_si128((const __m128i *)(const void *)s));
	}
	/* bit 32 - back is s[a]; a stop bit past the end */
	uint64_t m = (uint64_t)hc_not_in(x, HC_KIND_HOST) >> (32 - back);
	return (size_t)__builtin_ctzll(m | 1ull << back);
#else
	return hc_span(s, s + a, s + len, HC_KIND_HOST, HC_HOST);
#endif
}

/*
 * The request-line is taken (data[0..n)): the Host line fast path and the
 * end of the head, or feed_rest(). A head of request-line, Host and the
 * empty line gets what head_done() decides for it (RFC 9112 §9.3: 1.1
 * persists, 1.0 not).
 */
static inline enum http_req_result
feed_after_request_line(struct http_req_parser *p, const uint8_t *data, size_t n, size_t len,
			size_t *consumed)
{
	size_t h = fast_host_line(p, data, n, len);
	if (h != 0) {
		n = h;
		if (len - n >= 2 && hc_crlf(data + n) && p->head_bytes + 2 <= p->max_head) {
			p->head_bytes += 2;
			p->req.head_len = p->head_bytes;
			p->req.keep_alive = p->req.version_minor == 1;
			p->state = S_DONE;
			*consumed = n + 2;
			return HTTP_REQ_COMPLETE;
		}
	}
	return feed_rest(p, data, n, len, consumed);
}

/*
 * A request-line taken by http_req_feed() at data[0..line) (target
 * data[t0..k)) whose head does not end as its fast path wants: the line
 * within the head bound is committed as fast_request_line() would, then the
 * Host line fast path and feed_rest(); else the machine, as before.
 */
static __attribute__((noinline)) enum http_req_result
feed_after_line(struct http_req_parser *p, const uint8_t *data, size_t len, size_t *consumed,
		size_t t0, size_t k)
{
	size_t n = k + 11;  /* SP "HTTP/1.d" CRLF */
	if ((uint64_t)p->head_bytes + n > p->max_head)
		return feed_machine(p, data, len, consumed);
	uint32_t mw = hc_load32(data);
	enum http_method m = HTTP_METHOD_OTHER;
	if (t0 == 4 && mw == LE32('G', 'E', 'T', ' '))
		m = HTTP_METHOD_GET;
	else if (t0 == 5 && mw == LE32('H', 'E', 'A', 'D'))
		m = HTTP_METHOD_HEAD;
	else if (t0 == 5 && mw == LE32('P', 'O', 'S', 'T'))
		m = HTTP_METHOD_POST;
	p->req.method = m;
	p->req.target = (const char *)data + t0;
	p->req.target_len = (uint32_t)(k - t0);
	p->version_major = 1;
	p->req.version_minor = data[k + 8] == '0' ? 0 : 1;
	p->head_bytes += (uint32_t)n;
	p->state = S_LINE_START;
	return feed_after_request_line(p, data, n, len, consumed);
}

/*
 * What http_req_feed() did before its one-pass fast path, for the requests
 * that path leaves (another method, an HTTP/1.0 or 1.x request-line):
 * fast_request_line(), fast_host_line() and the end, or feed_rest(), or
 * the machine.
 */
static __attribute__((noinline)) enum http_req_result
feed_general(struct http_req_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	size_t n = fast_request_line(p, data, data + len);
	if (n == 0)
		return feed_machine(p, data, len, consumed);
	return feed_after_request_line(p, data, n, len, consumed);
}

/*
 * The common case in one pass, with nothing written until it is sure: a
 * whole "GET" request, HTTP/1.1, at the start of the chunk, made of the
 * request-line (fast_request_line()'s form), "Host:" [SP] host-bytes CRLF
 * (RFC 9112 §3.2, RFC 3986 §3.2.2) and the empty line, within the head
 * bound: what fast_request_line(), fast_host_line() and head_done() decide
 * for it (1.1 persists, RFC 9112 §9.3), with one bound check for the whole
 * head. Everything else leaves by a tail call with nothing changed
 * (feed_machine(), feed_general(), or feed_after_line() once the
 * request-line is taken), so this function needs no frame.
 */
enum http_req_result http_req_feed(struct http_req_parser *p, const uint8_t *data,
				   size_t len, size_t *consumed)
{
	const uint8_t *s = data;
	size_t k;

	/* 23 bytes: "A / HTTP/1.1" CRLF "Host:" CRLF CRLF, the least it takes */
	if (!likely_(p->state == S_START && len >= 23))
		return feed_machine(p, data, len, consumed);
	if (!likely_(hc_load32(s) == LE32('G', 'E', 'T', ' ')))
		return feed_general(p, data, len, consumed);
	if (likely_(hc_load16(s + 4) == (uint16_t)('/' | ' ' << 8))) {
		k = 5;  /* "/", what load generators ask for (tbuf_cap >= 1) */
	} else {
		k = 4 + hc_span_target(s, s + 4, s + len);
		if (k == 4 || k >= len || s[k] != ' ' || k - 4 > p->tbuf_cap)
			return feed_machine(p, data, len, consumed);
	}
	/* SP "HTTP/1.1" CRLF, then at least "Host:" CRLF CRLF */
	if (len - k < 20 || hc_load64(s + k + 1) != hc_str8("HTTP/1.1") || !hc_crlf(s + k + 9))
		return feed_general(p, data, len, consumed);
	/* the request-line is taken; now Host and the end, or feed_after_line() */
	size_t h = k + 11;
	if ((hc_load32(s + h) | 0x20202020u) != LE32('h', 'o', 's', 't') || s[h + 4] != ':')
		return feed_after_line(p, data, len, consumed, 4, k);
	size_t a = h + 5 + (s[h + 5] == ' ');
	size_t e = a + host_span(s, a, len);  /* SIZE_MAX: e < a */
	if (e < a || len - e < 4 || hc_load32(s + e) != LE32('\r', '\n', '\r', '\n') ||
	    (uint64_t)p->head_bytes + e + 4 > p->max_head)
		return feed_after_line(p, data, len, consumed, 4, k);
	p->req.method = HTTP_METHOD_GET;
	p->req.version_minor = 1;
	p->req.keep_alive = true;
	p->req.has_host = true;
	p->req.target = (const char *)s + 4;
	p->req.target_len = (uint32_t)(k - 4);
	p->head_bytes += (uint32_t)(e + 4);
	p->req.head_len = p->head_bytes;
	p->version_major = 1;
	p->state = S_DONE;
	*consumed = e + 4;
	return HTTP_REQ_COMPLETE;
}

/* ---- path normalisation ------------------------------------------------ */

/* Close the segment out[seg..o): resolve "." and "..". false: climbs out. */
static bool seg_close(char *out, size_t *o, size_t *seg, bool add_slash)
{
	size_t n = *o - *seg;
	const char *s = out + *seg;
	if (n == 0)
		return true;  /* empty segment: "//" collapses */
	if (n == 1 && s[0] == '.') {
		*o = *seg;
		return true;
	}
	if (n == 2 && s[0] == '.' && s[1] == '.') {
		if (*seg <= 1)
			return false;  /* would climb above the root */
		/* drop the previous segment: out[..seg-1] ends with '/' */
		size_t k = *seg - 1;
		while (k > 0 && out[k - 1] != '/')
			k--;
		*o = k;
		*seg = k;
		return true;
	}
	if (add_slash) {
		out[(*o)++] = '/';
		*seg = *o;
	}
	return true;
}

int http_path_sanitize(const char *target, size_t len, char *out, size_t out_cap,
		       size_t *out_len)
{
	const char *t = target;
	size_t n = len;

	/* absolute-form (RFC 9112 §3.2.2): drop scheme and authority */
	size_t skip = 0;
	if (n >= 7 && strncasecmp(t, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && strncasecmp(t, "https://", 8) == 0)
		skip = 8;
	bool implicit_root = false;
	if (skip) {
		t += skip;
		n -= skip;
		while (n && *t != '/' && *t != '?' && *t != '#') {
			t++;
			n--;
		}
		if (n == 0 || *t != '/')
			implicit_root = true;
	} else if (n == 0 || t[0] != '/') {
		return 400;  /* asterisk-form, authority-form or garbage */
	}

	/* the query and fragment play no part in the file path */
	for (size_t k = 0; k < n; k++)
		if (t[k] == '?' || t[k] == '#') {
			n = k;
			break;
		}
	if (implicit_root)
		n = 0;

	/* output never exceeds 1 + n bytes, plus the NUL */
	if (out_cap < n + 2)
		return 414;
	size_t o = 0, seg;
	out[o++] = '/';
	seg = o;
	size_t k = implicit_root ? 0 : 1;  /* skip the leading '/' */
	for (; k < n; k++) {
		uint8_t c = (uint8_t)t[k];
		if (!(hc_class[c] & HC_TARGET))
			return 400;  /* raw SP, CTL, NUL or non-ASCII */
		if (c == '%') {
			if (k + 2 >= n || !(hc_class[(uint8_t)t[k + 1]] & HC_HEX) ||
			    !(hc_class[(uint8_t)t[k + 2]] & HC_HEX))
				return 400;
			c = (uint8_t)(hc_hexval((uint8_t)t[k + 1]) << 4 | hc_hexval((uint8_t)t[k + 2]));
			k += 2;
			if (c < 0x20 || c == 0x7f)
				return 400;  /* %00 and other encoded controls */
		}
		if (c == '\\')
			return 400;  /* never a separator here, but one elsewhere */
		if (c == '/') {
			if (!seg_close(out, &o, &seg, true))
				return 400;
			continue;
		}
		out[o++] = (char)c;
	}
	if (!seg_close(out, &o, &seg, false))
		return 400;
	out[o] = '\0';
	*out_len = o;
	return 0;
}
