/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-load: incremental HTTP/1.1 response parser. Decisions are listed in
 * http_client_parser.h.
 */
#include "http_client_parser.h"

#include <stddef.h>
#include <string.h>

/* Parser states (RFC 9112 §4 status line, §5 fields, §7.1 chunked). */
enum {
	S_STATUS = 0,     /* "HTTP/" DIGIT "." DIGIT SP 3DIGIT, pos counts */
	S_STATUS_SP,      /* after the code: SP (reason follows) or CR */
	S_REASON,
	S_STATUS_LF,
	S_LINE_START,
	S_HDRS_LF,
	S_NAME,
	S_VALUE,
	S_VALUE_LF,
	S_BODY_LEN,
	S_BODY_CLOSE,
	S_CHUNK_DATA,
	/* chunked framing, in the order of enum hc_chunk_pos (http_chars.h) */
	S_CHUNK_SIZE,
	S_CHUNK_DATA_CR = S_CHUNK_SIZE + HC_CK_DATA_CR,
	S_TRAILER_END_LF = S_CHUNK_SIZE + HC_CK_TR_END_LF,
	S_DONE,
	S_ERROR,
};

/* Fields that matter for framing and persistence; bit (id - 1) of name_miss. */
enum { H_OTHER = 0, H_CONTENT_LENGTH, H_TRANSFER_ENCODING, H_CONNECTION, H_COUNT };

static const struct hc_known known_hdrs[H_COUNT] = {
	[H_CONTENT_LENGTH] = { "content-length", 14 },
	[H_TRANSFER_ENCODING] = { "transfer-encoding", 17 },
	[H_CONNECTION] = { "connection", 10 },
};

/* List elements looked for, per field (lowercase). */
static const char *const elem_cands[H_COUNT][2] = {
	[H_TRANSFER_ENCODING] = { "chunked", NULL },
	[H_CONNECTION] = { "close", "keep-alive" },
};

const char *http_resp_error_name(enum http_resp_error e)
{
	switch (e) {
	case HTTP_RESP_ERR_NONE: return "none";
	case HTTP_RESP_ERR_PARSE: return "parse";
	case HTTP_RESP_ERR_HEAD_TOO_LARGE: return "head_too_large";
	case HTTP_RESP_ERR_CLOSED: return "closed";
	case HTTP_RESP_ERR_SHORT_BODY: return "short_body";
	case HTTP_RESP_ERR_ABORTED: return "aborted";
	default: return "unknown";
	}
}

/* Reset per-head state (also between an interim 1xx and the final head). */
static void head_reset(struct http_resp_parser *p)
{
	p->state = S_STATUS;
	p->pos = 0;
	p->code = 0;
	p->version_major = 0;
	p->hdr_id = H_OTHER;
	p->saw_cl = p->te_final_chunked = p->saw_te = false;
	p->conn_close = p->conn_keep = false;
	p->head_bytes = 0;
	p->cl_value = 0;
	p->cl_cur = 0;
}

/*
 * The private per-response state, reset lazily: a head taken whole from the
 * memo's verdict (feed_memo) never reads it, so http_resp_begin leaves it and
 * every other way into a fresh response (feed_fresh, the memo's slow path)
 * starts here.
 */
static void priv_reset(struct http_resp_parser *p)
{
	p->remaining = 0;
	p->chunk_size = 0;
	p->chunk_digits = false;
	p->line_bytes = 0;
	head_reset(p);
}

/* http_resp_begin (inline in the header) starts at the status line. */
_Static_assert(S_STATUS == HTTP_RESP_STATE_START, "http_resp_begin's first state");

void http_resp_init(struct http_resp_parser *p, uint32_t max_head, http_resp_body_cb body_cb,
		    void *body_ctx)
{
	memset(p, 0, sizeof(*p));
	p->max_head = max_head ? max_head : HTTP_RESP_DEFAULT_MAX_HEAD;
	p->body_cb = body_cb;
	p->body_ctx = body_ctx;
	http_resp_begin(p, false);
	priv_reset(p);
}

/* A list element ended. false: invalid. */
static bool elem_finish(struct http_resp_parser *p)
{
	if (p->hdr_id == H_CONTENT_LENGTH) {
		/* every element of every Content-Length must be the same number */
		if (!(p->elem.flags & HC_EF_STARTED))
			return false;
		if (p->saw_cl && p->cl_cur != p->cl_value)
			return false;
		p->saw_cl = true;
		p->cl_value = p->cl_cur;
		p->cl_cur = 0;
		p->elem.flags = 0;
		return true;
	}
	int hit = hc_elem_finish(&p->elem, elem_cands[p->hdr_id]);
	if (hit < 0)
		return true;  /* empty element */
	if (p->hdr_id == H_TRANSFER_ENCODING) {
		/* only the final coding decides the framing (§6.3 rule 4) */
		p->saw_te = true;
		p->te_final_chunked = hit == 0;
	} else if (p->hdr_id == H_CONNECTION) {
		if (hit == 0)
			p->conn_close = true;
		else if (hit == 1)
			p->conn_keep = true;
	}
	return true;
}

/* One value byte of a known field. false: invalid. */
static inline __attribute__((always_inline)) bool value_byte(struct http_resp_parser *p,
								     uint8_t c)
{
	if (c == ',')
		return elem_finish(p);
	if (p->hdr_id == H_CONTENT_LENGTH) {
		if (c == ' ' || c == '\t') {
			if (p->elem.flags & HC_EF_STARTED)
				p->elem.flags |= HC_EF_WS;
			return true;
		}
		if (c < '0' || c > '9' || (p->elem.flags & HC_EF_WS))
			return false;
		if (p->cl_cur > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
			return false;  /* longer than any body could be */
		p->cl_cur = p->cl_cur * 10 + (uint64_t)(c - '0');
		p->elem.flags |= HC_EF_STARTED;
		return true;
	}
	hc_elem_byte(&p->elem, c);
	return true;
}

/* Field line ended. false: invalid. */
static bool value_done(struct http_resp_parser *p)
{
	switch (p->hdr_id) {
	case H_CONTENT_LENGTH:
		return elem_finish(p);
	case H_TRANSFER_ENCODING:
		elem_finish(p);
		return p->elem.count > 0;  /* an empty Transfer-Encoding is invalid */
	case H_CONNECTION:
		return elem_finish(p);
	}
	return true;
}

/*
 * Final head parsed: choose the framing. Returns S_* next state, S_STATUS
 * for an interim response, or S_ERROR.
 */
static inline __attribute__((always_inline)) uint8_t head_done(struct http_resp_parser *p)
{
	unsigned code = p->code;
	if (code >= 100 && code < 200) {
		if (code == 101)
			return S_ERROR;  /* we never ask to switch protocols */
		head_reset(p);       /* interim: the real response follows */
		return S_STATUS;
	}
	p->status = (uint16_t)code;
	p->status_class = (uint8_t)(code / 100);
	p->head_done = true;
	if (p->saw_te && p->saw_cl)
		return S_ERROR;
	bool ka = p->version_minor >= 1 ? !p->conn_close : (p->conn_keep && !p->conn_close);
	if (p->head_request || code == 204 || code == 304) {
		p->body_kind = HTTP_RESP_BODY_NONE;
	} else if (p->saw_te) {
		p->body_kind = p->te_final_chunked ? HTTP_RESP_BODY_CHUNKED
						   : HTTP_RESP_BODY_UNTIL_CLOSE;
	} else if (p->saw_cl) {
		p->content_length = p->cl_value;
		p->body_kind = p->cl_value ? HTTP_RESP_BODY_LENGTH : HTTP_RESP_BODY_NONE;
	} else {
		p->body_kind = HTTP_RESP_BODY_UNTIL_CLOSE;
	}
	if (p->body_kind == HTTP_RESP_BODY_UNTIL_CLOSE)
		ka = false;
	p->keep_alive = ka;
	switch (p->body_kind) {
	case HTTP_RESP_BODY_NONE: return S_DONE;
	case HTTP_RESP_BODY_LENGTH: p->remaining = p->cl_value; return S_BODY_LEN;
	case HTTP_RESP_BODY_CHUNKED: p->line_bytes = 0; return S_CHUNK_SIZE;
	default: return S_BODY_CLOSE;
	}
}


/*
 * Fast paths: most heads arrive in one segment, so at the start of the
 * status line we take the whole line at once, and at the start of a field
 * line that line and all that follow, up to and including the empty line,
 * with the vector scanners of http_chars.h (values of fields we do not use
 * are only checked for control bytes, 32 at a time). They accept only
 * complete, valid lines within the head bound; at the first other line they
 * stop having changed nothing for it and the byte-at-a-time machine decides
 * (same verdicts, same offsets; the every-split tests compare both paths).
 */

/* "HTTP/1.d SP 3DIGIT [SP reason] CRLF". Returns bytes taken or 0. */
static inline __attribute__((always_inline)) size_t
fast_status_line(struct http_resp_parser *p, const uint8_t *s, const uint8_t *end)
{
	size_t avail = (size_t)(end - s);
	if (avail < 14 || (hc_load64(s) & 0x00ffffffffffffffull) != hc_str8("HTTP/1.\0") ||
	    s[7] < '0' || s[7] > '9' || s[8] != ' ' || s[9] < '0' || s[9] > '9' || s[10] < '0' ||
	    s[10] > '9' || s[11] < '0' || s[11] > '9')
		return 0;
	unsigned code = (unsigned)(s[9] - '0') * 100 + (unsigned)(s[10] - '0') * 10 +
			(unsigned)(s[11] - '0');
	if (code < 100 || code > 599)
		return 0;
	size_t k = 12;
	if (s[k] == ' ') {
		struct hc_win w;
		hc_win_at(&w, s, s, end);
		k = hc_win_span(&w, s, s, end, 13, HC_KIND_FIELD, HC_FIELD);
	}
	if (k + 1 >= avail || !hc_crlf(s + k))
		return 0;
	if ((uint64_t)p->head_bytes + k + 2 > p->max_head)
		return 0;
	p->version_major = 1;
	p->version_minor = (uint8_t)(s[7] - '0');
	p->code = (uint16_t)code;
	p->head_bytes += (uint32_t)(k + 2);
	p->state = S_LINE_START;
	return k + 2;
}

/* Known header id of a complete field name. */
static inline uint8_t lookup_name(const uint8_t *s, size_t n)
{
	switch (n) {
	case 10: return hc_name_eq(s, "connection", 10) ? H_CONNECTION : H_OTHER;
	case 14: return hc_name_eq(s, "content-length", 14) ? H_CONTENT_LENGTH : H_OTHER;
	case 17: return hc_name_eq(s, "transfer-encoding", 17) ? H_TRANSFER_ENCODING : H_OTHER;
	default: return H_OTHER;
	}
}

/*
 * A known field's value q[j + 1 .. e) run through the byte machine's own
 * steps (lists, repeated Content-Length). 0, or the offset of the byte at
 * which the machine would fail. Out of line: rare, and it keeps the fast
 * loop's registers free.
 */
static __attribute__((noinline)) size_t value_line(struct http_resp_parser *p, uint8_t h,
						   const uint8_t *q, size_t j, size_t e)
{
	p->hdr_id = h;
	p->cl_cur = 0;
	p->elem.count = 0;
	hc_elem_reset(&p->elem);
	for (size_t x = j + 1; x < e; x++)
		if (!value_byte(p, q[x]))
			return x;
	if (!value_done(p))
		return e + 1;
	return 0;
}

/*
 * The loop of fast_fields(): whole field lines while each is ordinary, and
 * the empty line. Stops at a known field whose value needs the byte
 * machine's steps (*sl), with that line not taken.
 */
static inline __attribute__((always_inline)) size_t
fast_lines(struct http_resp_parser *p, const uint8_t *base, const uint8_t *s,
	   const uint8_t *end, bool *head_end, struct hc_line *sl)
{
	const uint8_t *q = s;
	uint32_t hb = p->head_bytes;
	const uint32_t max = p->max_head;

	while (hc_next_line(&q, end, &hb, max, head_end)) {
		/* one 32-byte window classifies the name and (most of) the value */
		struct hc_win w;
		size_t j = hc_field_name(&w, base, q, end);
		if (j == 0)
			break;
		size_t e = hc_field_end(&w, base, q, end, j + 1);
		if (e == 0 || hb + e + 2 > max)
			break;
		uint8_t h = lookup_name(q, j);
		if (h != H_OTHER) {
			size_t a = hc_skip_ows(q, j + 1, e), z = hc_trim_ows(q, a, e);
			if (h == H_CONTENT_LENGTH && !p->saw_cl) {
				/* the common case, one plain number */
				if (hc_plain_number(q, a, z, &p->cl_value)) {
					p->saw_cl = true;
					goto next;
				}
			} else if (h == H_CONNECTION && z - a == 10 &&
				   hc_name_eq(q + a, "keep-alive", 10)) {
				p->conn_keep = true;
				goto next;
			} else if (h == H_CONNECTION && z - a == 5 && hc_name_eq(q + a, "close", 5)) {
				p->conn_close = true;
				goto next;
			}
			/* anything else: the caller runs the byte machine's steps */
			*sl = (struct hc_line){ h, j, e };
			break;
		}
next:
		hb += (uint32_t)(e + 2);
		q += e + 2;
	}
	p->head_bytes = hb;
	return (size_t)(q - s);
}

/*
 * Field lines from s on, then the empty line ending the head. Returns the
 * bytes of the whole lines taken; *head_end: the final CRLF was among them.
 * -1: a line that is invalid exactly as the byte machine would find it,
 * with *at the offset of the offending byte from s. The rare lines that
 * need the machine's own steps (lists, repeated Content-Length) are run
 * here, outside fast_lines(), whose loop then has no calls.
 */
static inline __attribute__((always_inline)) long
fast_fields(struct http_resp_parser *p, const uint8_t *base, const uint8_t *s,
	    const uint8_t *end, bool *head_end, size_t *at)
{
	size_t done = 0;
	for (;;) {
		struct hc_line sl = { 0, 0, 0 };
		done += fast_lines(p, base, s + done, end, head_end, &sl);
		if (sl.h == H_OTHER)
			return (long)done;
		size_t bad = value_line(p, sl.h, s + done, sl.j, sl.e);
		if (bad) {
			*at = done + bad;
			return -1;
		}
		p->head_bytes += (uint32_t)(sl.e + 2);
		done += sl.e + 2;
	}
}

/* ---- head memo (see http_client_parser.h) ------------------------------ */

void http_resp_set_memo(struct http_resp_parser *p, struct http_resp_memo *m)
{
	p->memo = m;
}

/* The memo's head is here: set what parsing it would set (fast_status_line,
 * fast_fields) on a reset parser. */
static inline __attribute__((always_inline)) void
memo_take(struct http_resp_parser *p, const struct http_resp_memo *m)
{
	p->version_major = 1;
	p->version_minor = m->version_minor;
	p->code = m->code;
	p->saw_cl = m->saw_cl;
	p->cl_value = m->cl_value;
	p->saw_te = m->saw_te;
	p->te_final_chunked = m->te_final_chunked;
	p->conn_close = m->conn_close;
	p->conn_keep = m->conn_keep;
	p->head_bytes = m->len;
	p->state = S_LINE_START;
}

/* A fresh parser took the head data[0..n) whole: it becomes the memo. */
static __attribute__((noinline)) void memo_fill(const struct http_resp_parser *p,
						struct http_resp_memo *m, const uint8_t *data,
						size_t n)
{
	m->misses++;
	if (n < 32 || n > HTTP_RESP_MEMO_MAX) {
		m->len = 0;  /* not kept: the old head is unlikely to come back */
		return;
	}
	memcpy(m->head, data, n);
	m->len = (uint32_t)n;
	m->v_next = 0;  /* the verdict comes with the first hit; until then */
	m->v_body = UINT64_MAX;  /* no chunk holds the body: feed_memo goes slow */
	m->code = p->code;
	m->version_minor = p->version_minor;
	m->saw_cl = p->saw_cl;
	m->cl_value = p->cl_value;
	m->saw_te = p->saw_te;
	m->te_final_chunked = p->te_final_chunked;
	m->conn_close = p->conn_close;
	m->conn_keep = p->conn_keep;
}

/* Hand body bytes through. false: the callback aborted. */
static inline bool body_out(struct http_resp_parser *p, const uint8_t *d, size_t n)
{
	p->body_bytes += n;
	if (p->body_cb && n && p->body_cb(p->body_ctx, d, n) != 0)
		return false;
	return true;
}

#define FAIL(kind) do { err = (kind); goto fail; } while (0)

/* The byte-at-a-time machine (with the fast paths at line starts). */
static __attribute__((noinline)) enum http_resp_result
feed_machine(struct http_resp_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	size_t i = 0;
	enum http_resp_error err = HTTP_RESP_ERR_NONE;

	if (p->state == S_ERROR) {
		*consumed = 0;
		return HTTP_RESP_ERROR;
	}
	if (p->state == S_DONE) {
		if (len == 0) {
			*consumed = 0;
			return HTTP_RESP_COMPLETE;
		}
		FAIL(HTTP_RESP_ERR_PARSE);  /* bytes beyond the response, no begin() */
	}

	while (i < len) {
		uint8_t c = data[i];
		uint8_t st = p->state;

		if (st < S_BODY_LEN && ++p->head_bytes > p->max_head)
			FAIL(HTTP_RESP_ERR_HEAD_TOO_LARGE);

		switch (st) {
		case S_STATUS: {
			static const char pfx[] = "HTTP/";
			uint8_t k = p->pos;
			if (k == 0) {
				p->head_bytes--;  /* the fast path counts the whole line */
				size_t n = fast_status_line(p, data + i, data + len);
				if (n) {
					i += n;
					continue;
				}
				p->head_bytes++;
			}
			if (k < 5) {
				if (c != (uint8_t)pfx[k])
					FAIL(HTTP_RESP_ERR_PARSE);
			} else if (k == 5 || k == 7) {
				if (c < '0' || c > '9')
					FAIL(HTTP_RESP_ERR_PARSE);
				if (k == 5) {
					if (c != '1')
						FAIL(HTTP_RESP_ERR_PARSE);
					p->version_major = 1;
				} else {
					p->version_minor = (uint8_t)(c - '0');
				}
			} else if (k == 6) {
				if (c != '.')
					FAIL(HTTP_RESP_ERR_PARSE);
			} else if (k == 8) {
				if (c != ' ')
					FAIL(HTTP_RESP_ERR_PARSE);
			} else {
				if (c < '0' || c > '9')
					FAIL(HTTP_RESP_ERR_PARSE);
				p->code = (uint16_t)(p->code * 10 + (c - '0'));
				if (k == 11) {
					if (p->code < 100 || p->code > 599)
						FAIL(HTTP_RESP_ERR_PARSE);
					p->state = S_STATUS_SP;
				}
			}
			p->pos++;
			break;
		}

		case S_STATUS_SP:
			if (c == ' ')
				p->state = S_REASON;
			else if (c == '\r')
				p->state = S_STATUS_LF;
			else
				FAIL(HTTP_RESP_ERR_PARSE);  /* e.g. a 4-digit code */
			break;

		case S_REASON:
			if (c == '\r')
				p->state = S_STATUS_LF;
			else if (!(hc_class[c] & HC_FIELD))
				FAIL(HTTP_RESP_ERR_PARSE);
			break;

		case S_STATUS_LF:
			if (c != '\n')
				FAIL(HTTP_RESP_ERR_PARSE);
			p->state = S_LINE_START;
			break;

		case S_LINE_START:
			if (c == '\r') {
				p->state = S_HDRS_LF;
			} else if (hc_class[c] & HC_TCHAR) {
				p->head_bytes--;  /* counted by the fast path or reprocessed */
				size_t at = 0;
				bool head_end = false;
				long n = fast_fields(p, data, data + i, data + len, &head_end, &at);
				if (n < 0) {
					i += at;
					FAIL(HTTP_RESP_ERR_PARSE);
				}
				i += (size_t)n;
				if (head_end) {
					i--;  /* as if at the LF of the empty line */
					c = '\n';
					st = S_HDRS_LF;
					goto hdrs_lf;
				}
				if (n > 0)
					continue;
				p->name_miss = 0;
				p->name_idx = 0;
				p->state = S_NAME;
				continue;
			} else {
				FAIL(HTTP_RESP_ERR_PARSE);
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
				p->cl_cur = 0;
				p->elem.count = 0;
				hc_elem_reset(&p->elem);
				p->state = S_VALUE;
			} else {
				FAIL(HTTP_RESP_ERR_PARSE);
			}
			break;

		case S_VALUE:
			if (c == '\r') {
				p->state = S_VALUE_LF;
			} else if (!(hc_class[c] & HC_FIELD)) {
				FAIL(HTTP_RESP_ERR_PARSE);
			} else if (p->hdr_id == H_OTHER) {
				while (i + 1 < len && (hc_class[data[i + 1]] & HC_FIELD) &&
				       p->head_bytes < p->max_head) {
					p->head_bytes++;
					i++;
				}
			} else if (!value_byte(p, c)) {
				FAIL(HTTP_RESP_ERR_PARSE);
			}
			break;

		case S_VALUE_LF:
			if (c != '\n' || !value_done(p))
				FAIL(HTTP_RESP_ERR_PARSE);
			p->state = S_LINE_START;
			break;

		case S_HDRS_LF: {
hdrs_lf:
			if (c != '\n')
				FAIL(HTTP_RESP_ERR_PARSE);
			uint8_t next = head_done(p);
			if (next == S_ERROR)
				FAIL(HTTP_RESP_ERR_PARSE);
			p->state = next;
			if (next == S_DONE) {
				i++;
				goto complete;
			}
			break;
		}

		case S_BODY_LEN: {
			size_t n = len - i;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			if (!body_out(p, &data[i], n))
				FAIL(HTTP_RESP_ERR_ABORTED);
			p->remaining -= n;
			i += n;
			if (p->remaining == 0) {
				p->state = S_DONE;
				goto complete;
			}
			continue;
		}

		case S_BODY_CLOSE:
			if (!body_out(p, &data[i], len - i))
				FAIL(HTTP_RESP_ERR_ABORTED);
			i = len;
			continue;

		case S_CHUNK_DATA: {
			size_t n = len - i;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			if (!body_out(p, &data[i], n))
				FAIL(HTTP_RESP_ERR_ABORTED);
			p->remaining -= n;
			i += n;
			if (p->remaining == 0)
				p->state = S_CHUNK_DATA_CR;
			continue;
		}

		default: {
			/*
			 * Chunked framing: each size line (with extensions) is
			 * bounded by HTTP_RESP_MAX_CHUNK_LINE, the trailer section
			 * by max_head; trailers are syntax-checked and ignored.
			 */
			uint8_t pos = (uint8_t)(st - S_CHUNK_SIZE);
			if (pos <= HC_CK_SIZE_LF) {
				if (++p->line_bytes > HTTP_RESP_MAX_CHUNK_LINE)
					FAIL(HTTP_RESP_ERR_PARSE);
			} else if (pos >= HC_CK_TR_START) {
				if (++p->head_bytes > p->max_head)
					FAIL(HTTP_RESP_ERR_HEAD_TOO_LARGE);
			}
			bool digits = p->chunk_digits;
			switch (hc_chunk_byte(&pos, &p->chunk_size, &digits, c)) {
			case HC_CKE_MORE:
			case HC_CKE_DIGIT:
				break;
			case HC_CKE_DATA_END:
				p->line_bytes = 0;
				break;
			case HC_CKE_SIZE_END:
				if (p->chunk_size == 0) {
					p->head_bytes = 0;  /* trailer section bound starts */
					pos = HC_CK_TR_START;
					break;
				}
				p->remaining = p->chunk_size;
				p->state = S_CHUNK_DATA;
				i++;
				continue;
			case HC_CKE_DONE:
				p->state = S_DONE;
				i++;
				goto complete;
			default:
				FAIL(HTTP_RESP_ERR_PARSE);  /* malformed, or a size over 2^64-1 */
			}
			p->chunk_digits = digits;
			p->state = (uint8_t)(S_CHUNK_SIZE + pos);
			break;
		}
		}
		i++;
	}
	p->wire_bytes += len;
	*consumed = len;
	return HTTP_RESP_NEED_MORE;

complete:
	p->complete = true;
	p->wire_bytes += i;
	*consumed = i;
	return HTTP_RESP_COMPLETE;

fail:
	p->state = S_ERROR;
	p->error = err;
	p->keep_alive = false;
	p->wire_bytes += i;
	*consumed = i;
	return HTTP_RESP_ERROR;
}

/*
 * The head data[0..i) was taken whole by a fast path (p as the byte machine
 * would leave it at the head's last LF, next = head_done(p)): frame the body, take it when it is
 * all here and nobody looks at it, give the rest to the byte machine.
 */
static inline __attribute__((always_inline)) enum http_resp_result
head_taken(struct http_resp_parser *p, const uint8_t *data, size_t len, size_t i,
	   uint8_t next, size_t *consumed)
{
	if (next == S_BODY_LEN && p->remaining <= len - i &&
	    (p->body_cb == NULL || p->remaining == 0)) {
		/* the whole body is here and nobody looks at it */
		p->body_bytes += p->remaining;
		i += p->remaining;
		p->remaining = 0;
		next = S_DONE;
	}
	if (next == S_DONE) {
		p->state = S_DONE;
		p->complete = true;
		p->wire_bytes += i;
		*consumed = i;
		return HTTP_RESP_COMPLETE;
	}
	if (next == S_ERROR) {
		/* the byte machine fails at the LF of the empty line */
		p->state = S_ERROR;
		p->error = HTTP_RESP_ERR_PARSE;
		p->keep_alive = false;
		p->wire_bytes += i - 1;
		*consumed = i - 1;
		return HTTP_RESP_ERROR;
	}
	p->state = next;
	p->wire_bytes += i;
	enum http_resp_result r = feed_machine(p, data + i, len - i, consumed);
	*consumed += i;
	return r;
}

/* A fresh parser (start of a response): the line fast paths, then the machine. */
static __attribute__((noinline)) enum http_resp_result
feed_fresh(struct http_resp_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	priv_reset(p);
	size_t n = fast_status_line(p, data, data + len);
	if (n == 0)
		return feed_machine(p, data, len, consumed);
	size_t at = 0;
	bool head_end = false;
	long m = fast_fields(p, data, data + n, data + len, &head_end, &at);
	if (m < 0) {
		p->state = S_ERROR;
		p->error = HTTP_RESP_ERR_PARSE;
		p->keep_alive = false;
		p->wire_bytes += n + at;
		*consumed = n + at;
		return HTTP_RESP_ERROR;
	}
	size_t i = n + (size_t)m;
	if (head_end) {
		if (p->memo != NULL)
			memo_fill(p, p->memo, data, i);
		return head_taken(p, data, len, i, head_done(p), consumed);
	}
	p->wire_bytes += i;
	enum http_resp_result r = feed_machine(p, data + i, len - i, consumed);
	*consumed += i;
	return r;
}

/* The results block (status .. content_length) is what the memo's verdict copies. */
#define RESULTS_LEN HTTP_RESP_RESULTS_LEN
_Static_assert(RESULTS_LEN == sizeof(((struct http_resp_memo *)0)->v_res),
	       "http_resp_memo.v_res must hold status .. content_length");
_Static_assert(S_DONE == HTTP_RESP_STATE_DONE, "http_resp_feed's inline hit ends in S_DONE");

/*
 * The memo's verdict: head_done() on the memo's head, for a GET (head_request
 * false), is a function of the head's bytes alone, so the first hit keeps
 * the results it set (with complete = true) and the next state (S_DONE, or
 * S_BODY_LEN with content_length bytes to come). A later hit whose body is
 * all in the chunk, with nobody looking at it, copies those results and is
 * done: what head_taken() would end with, without resetting or filling the
 * private state, which nothing reads at S_DONE (http_resp_begin starts the
 * next response). Anything else (a HEAD answer, a body still to come, a body
 * callback, chunked) takes feed_memo_slow().
 */
/* A memo hit without a usable verdict: what parsing the head would set, then
 * the body as usual; the first such hit of a GET keeps the verdict. */
static __attribute__((noinline)) enum http_resp_result
feed_memo_slow(struct http_resp_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	struct http_resp_memo *m = p->memo;
	size_t n = m->len;
	priv_reset(p);
	memo_take(p, m);
	uint8_t next = head_done(p);
	if (m->v_next == 0 && !p->head_request && (next == S_DONE || next == S_BODY_LEN)) {
		m->v_next = next;
		m->v_body = next == S_BODY_LEN ? p->remaining : 0;
		p->complete = true;
		memcpy(m->v_res, p, RESULTS_LEN);
		p->complete = false;
	}
	return head_taken(p, data, len, n, next, consumed);
}

/* A fresh parser with a memo: its head with the verdict (a compare and a
 * copy, no call), its head without one (feed_memo_slow), or feed_fresh(). */
static inline __attribute__((always_inline)) enum http_resp_result
feed_memo(struct http_resp_parser *p, const uint8_t *data, size_t len, size_t *consumed)
{
	struct http_resp_memo *m = p->memo;
	size_t n = m->len;
	if (n == 0 || len < n || n > p->max_head || !http_resp_memo_same(data, m->head, n))
		return feed_fresh(p, data, len, consumed);
	m->hits++;
	uint64_t b = m->v_body;  /* body bytes after the head (0: none) */
	/* no verdict yet (b = UINT64_MAX), the body not all here, a HEAD
	 * answer or a body callback: the slow way */
	if (b > len - n || p->no_verdict)
		return feed_memo_slow(p, data, len, consumed);
	return http_resp_memo_take(p, m, n, b, consumed);
}

enum http_resp_result http_resp_feed_any(struct http_resp_parser *p, const uint8_t *data,
					 size_t len, size_t *consumed)
{
	if (p->state == S_STATUS && p->pos == 0) {
		/* the common case: a whole head at the start of a chunk */
		if (p->memo != NULL)
			return feed_memo(p, data, len, consumed);
		return feed_fresh(p, data, len, consumed);
	}
	return feed_machine(p, data, len, consumed);
}

enum http_resp_result http_resp_eof(struct http_resp_parser *p)
{
	switch (p->state) {
	case S_ERROR:
		return HTTP_RESP_ERROR;
	case S_DONE:
		return HTTP_RESP_COMPLETE;
	case S_BODY_CLOSE:
		p->state = S_DONE;
		p->complete = true;
		return HTTP_RESP_COMPLETE;
	default:
		p->error = p->state < S_BODY_LEN ? HTTP_RESP_ERR_CLOSED : HTTP_RESP_ERR_SHORT_BODY;
		p->state = S_ERROR;
		p->keep_alive = false;
		return HTTP_RESP_ERROR;
	}
}
