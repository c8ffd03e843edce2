/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-load: incremental HTTP/1.1 response parser. Decisions are listed in
 * http_client_parser.h.
 */
#include "http_client_parser.h"

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
	S_CHUNK_SIZE,
	S_CHUNK_SIZE_WS,
	S_CHUNK_EXT,
	S_CHUNK_SIZE_LF,
	S_CHUNK_DATA,
	S_CHUNK_DATA_CR,
	S_CHUNK_DATA_LF,
	S_TRAILER_START,
	S_TRAILER_NAME,
	S_TRAILER_VALUE,
	S_TRAILER_LF,
	S_TRAILER_END_LF,
	S_DONE,
	S_ERROR,
};

/* Fields that matter for framing and persistence. */
enum { H_OTHER = 0, H_CONTENT_LENGTH, H_TRANSFER_ENCODING, H_CONNECTION, H_COUNT };

static const struct {
	const char *name;
	uint8_t len;
} known_hdrs[H_COUNT] = {
	[H_CONTENT_LENGTH] = { "content-length", 14 },
	[H_TRANSFER_ENCODING] = { "transfer-encoding", 17 },
	[H_CONNECTION] = { "connection", 10 },
};
#define NAME_MASK_ALL ((uint8_t)((1u << (H_COUNT - 1)) - 1))

/* List elements looked for, per field (lowercase). */
static const char *const elem_cands[H_COUNT][2] = {
	[H_TRANSFER_ENCODING] = { "chunked", NULL },
	[H_CONNECTION] = { "close", "keep-alive" },
};
static const uint8_t elem_lens[H_COUNT][2] = {
	[H_TRANSFER_ENCODING] = { 7, 0 },
	[H_CONNECTION] = { 5, 10 },
};

#define EF_STARTED 1u
#define EF_WS      2u
#define EF_BAD     4u

#define C_TCHAR 1u
#define C_VCHAR 2u  /* field content: VCHAR, obs-text, SP, HTAB */
#define C_HEX   4u

static uint8_t cclass[256];

static void init_cclass(void)
{
	static bool done;
	if (done)
		return;
	for (int c = 0; c < 256; c++) {
		uint8_t f = 0;
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z');
		if (alnum || (c != 0 && strchr("!#$%&'*+-.^_`|~", c)))
			f |= C_TCHAR;
		if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t')
			f |= C_VCHAR;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			f |= C_HEX;
		cclass[c] = f;
	}
	done = true;
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Length of the run of field-content bytes (VCHAR, obs-text, SP, HTAB) at s,
 * at most n: 16 bytes per step with SSE2 (long values such as User-Agent
 * or Date are the bulk of a head), a table loop otherwise.
 */
static inline size_t scan_field_content(const uint8_t *s, size_t n)
{
	size_t k = 0;
#ifdef __SSE2__
	const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t');
	const __m128i del = _mm_set1_epi8(0x7f);
	for (; k + 16 <= n; k += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
		__m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);  /* x <= 0x1f */
		ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), ctl);
		ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(x, del));
		unsigned m = (unsigned)_mm_movemask_epi8(ctl);
		if (m)
			return k + (size_t)__builtin_ctz(m);
	}
#endif
	while (k < n && (cclass[s[k]] & C_VCHAR))
		k++;
	return k;
}

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

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

void http_resp_begin(struct http_resp_parser *p, bool head_request)
{
	p->status = 0;
	p->status_class = 0;
	p->version_minor = 0;
	p->head_done = false;
	p->complete = false;
	p->keep_alive = false;
	p->body_kind = HTTP_RESP_BODY_NONE;
	p->error = HTTP_RESP_ERR_NONE;
	p->content_length = 0;
	p->body_bytes = 0;
	p->wire_bytes = 0;
	p->head_request = head_request;
	p->remaining = 0;
	p->chunk_size = 0;
	p->chunk_digits = false;
	p->line_bytes = 0;
	head_reset(p);
}

void http_resp_init(struct http_resp_parser *p, uint32_t max_head, http_resp_body_cb body_cb,
		    void *body_ctx)
{
	init_cclass();
	memset(p, 0, sizeof(*p));
	p->max_head = max_head ? max_head : HTTP_RESP_DEFAULT_MAX_HEAD;
	p->body_cb = body_cb;
	p->body_ctx = body_ctx;
	http_resp_begin(p, false);
}

static inline void elem_reset(struct http_resp_parser *p)
{
	p->elem_idx = 0;
	p->elem_flags = 0;
}

/* A list element ended. false: invalid. */
static bool elem_finish(struct http_resp_parser *p)
{
	if (p->hdr_id == H_CONTENT_LENGTH) {
		/* every element of every Content-Length must be the same number */
		if (!(p->elem_flags & EF_STARTED))
			return false;
		if (p->saw_cl && p->cl_cur != p->cl_value)
			return false;
		p->saw_cl = true;
		p->cl_value = p->cl_cur;
		p->cl_cur = 0;
		p->elem_flags = 0;
		return true;
	}
	if (p->elem_flags & EF_STARTED) {
		int hit = -1;
		if (p->elem_count < UINT8_MAX)
			p->elem_count++;
		if (!(p->elem_flags & EF_BAD))
			for (int k = 0; k < 2; k++)
				if (elem_lens[p->hdr_id][k] && elem_lens[p->hdr_id][k] == p->elem_idx &&
				    memcmp(p->elem_buf, elem_cands[p->hdr_id][k], p->elem_idx) == 0)
					hit = k;
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
	}
	elem_reset(p);
	return true;
}

/* One value byte of a known field. false: invalid. */
static inline __attribute__((always_inline)) bool value_byte(struct http_resp_parser *p,
								     uint8_t c)
{
	if (c == ',')
		return elem_finish(p);
	if (c == ' ' || c == '\t') {
		if (p->elem_flags & EF_STARTED)
			p->elem_flags |= EF_WS;
		return true;
	}
	if (p->hdr_id == H_CONTENT_LENGTH) {
		if (c < '0' || c > '9' || (p->elem_flags & EF_WS))
			return false;
		if (p->cl_cur > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
			return false;  /* longer than any body could be */
		p->cl_cur = p->cl_cur * 10 + (uint64_t)(c - '0');
		p->elem_flags |= EF_STARTED;
		return true;
	}
	if (p->elem_flags & EF_WS)
		p->elem_flags |= EF_BAD;
	p->elem_flags |= EF_STARTED;
	if (p->elem_flags & EF_BAD)
		return true;
	/* keep the (lowercased) element; longer than any candidate: no match */
	if (p->elem_idx < HTTP_RESP_ELEM_MAX)
		p->elem_buf[p->elem_idx++] = (char)lower(c);
	else
		p->elem_flags |= EF_BAD;
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
		return p->elem_count > 0;  /* an empty Transfer-Encoding is invalid */
	case H_CONNECTION:
		return elem_finish(p);
	}
	return true;
}

/*
 * Final head parsed: choose the framing. Returns S_* next state, S_STATUS
 * for an interim response, or S_ERROR.
 */
static uint8_t head_done(struct http_resp_parser *p)
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
 * status line and of each field line we take the whole line at once with
 * tight loops. They accept only a complete, valid line within the head
 * bound; otherwise they return 0 having changed nothing and the
 * byte-at-a-time machine decides (same verdicts, same offsets; the
 * every-split tests compare both paths).
 */

/* "HTTP/1.d SP 3DIGIT [SP reason] CRLF". Returns bytes taken or 0. */
static size_t fast_status_line(struct http_resp_parser *p, const uint8_t *s, size_t avail)
{
	if (avail < 14 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' ||
	    s[8] != ' ' || s[9] < '0' || s[9] > '9' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9')
		return 0;
	unsigned code = (unsigned)(s[9] - '0') * 100 + (unsigned)(s[10] - '0') * 10 +
			(unsigned)(s[11] - '0');
	if (code < 100 || code > 599)
		return 0;
	size_t k = 12;
	if (s[k] == ' ') {
		k++;
		while (k < avail && (cclass[s[k]] & C_VCHAR))
			k++;
	}
	if (k + 1 >= avail || s[k] != '\r' || s[k + 1] != '\n')
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

/* "name: value CRLF". Returns bytes taken, 0 to fall back, -1 with *at on error. */
static long fast_field_line(struct http_resp_parser *p, const uint8_t *s, size_t avail,
			    size_t *at)
{
	size_t j = 0;
	while (j < avail && (cclass[s[j]] & C_TCHAR))
		j++;
	if (j == 0 || j >= avail || s[j] != ':')
		return 0;
	size_t k = j + 1 + scan_field_content(s + j + 1, avail - j - 1);
	if (k + 1 >= avail || s[k] != '\r' || s[k + 1] != '\n')
		return 0;
	if ((uint64_t)p->head_bytes + k + 2 > p->max_head)
		return 0;
	uint8_t h = H_OTHER;
	for (uint8_t c = 1; c < H_COUNT; c++)
		if (known_hdrs[c].len == j) {
			h = c;
			for (size_t x = 0; x < j; x++)
				if (lower(s[x]) != (uint8_t)known_hdrs[c].name[x]) {
					h = H_OTHER;
					break;
				}
			break;
		}
	p->hdr_id = h;
	if (h == H_CONTENT_LENGTH && !p->saw_cl) {
		/* the common case, one plain number: trim OWS, read digits */
		size_t a = j + 1, b = k, x;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		uint64_t v = 0;
		for (x = a; x < b && b - a <= 19 && s[x] >= '0' && s[x] <= '9'; x++)
			v = v * 10 + (uint64_t)(s[x] - '0');
		if (a < b && x == b) {
			p->saw_cl = true;
			p->cl_value = v;
			p->head_bytes += (uint32_t)(k + 2);
			return (long)(k + 2);
		}
	}
	if (h != H_OTHER) {
		p->cl_cur = 0;
		p->elem_count = 0;
		elem_reset(p);
		for (size_t x = j + 1; x < k; x++)
			if (!value_byte(p, s[x])) {
				*at = x;
				return -1;
			}
		if (!value_done(p)) {
			*at = k + 1;
			return -1;
		}
	}
	p->head_bytes += (uint32_t)(k + 2);
	return (long)(k + 2);
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

enum http_resp_result http_resp_feed(struct http_resp_parser *p, const uint8_t *data,
				     size_t len, size_t *consumed)
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
				size_t n = fast_status_line(p, data + i, len - i);
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
			else if (!(cclass[c] & C_VCHAR))
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
			} else if (cclass[c] & C_TCHAR) {
				p->head_bytes--;  /* counted by the fast path or reprocessed */
				size_t at = 0;
				long n = fast_field_line(p, data + i, len - i, &at);
				if (n > 0) {
					i += (size_t)n;
					continue;
				}
				if (n < 0) {
					i += at;
					FAIL(HTTP_RESP_ERR_PARSE);
				}
				p->name_mask = NAME_MASK_ALL;
				p->name_idx = 0;
				p->state = S_NAME;
				continue;
			} else {
				FAIL(HTTP_RESP_ERR_PARSE);
			}
			break;

		case S_NAME:
			if (cclass[c] & C_TCHAR) {
				uint8_t lc = lower(c), m = p->name_mask;
				for (int h = 1; m && h < H_COUNT; h++) {
					uint8_t bit = (uint8_t)(1u << (h - 1));
					if ((m & bit) && (p->name_idx >= known_hdrs[h].len ||
							  (uint8_t)known_hdrs[h].name[p->name_idx] != lc))
						m &= (uint8_t)~bit;
				}
				p->name_mask = m;
				if (p->name_idx < UINT8_MAX)
					p->name_idx++;
			} else if (c == ':') {
				p->hdr_id = H_OTHER;
				for (int h = 1; h < H_COUNT; h++)
					if ((p->name_mask & (1u << (h - 1))) &&
					    known_hdrs[h].len == p->name_idx)
						p->hdr_id = (uint8_t)h;
				p->cl_cur = 0;
				p->elem_count = 0;
				elem_reset(p);
				p->state = S_VALUE;
			} else {
				FAIL(HTTP_RESP_ERR_PARSE);
			}
			break;

		case S_VALUE:
			if (c == '\r') {
				p->state = S_VALUE_LF;
			} else if (!(cclass[c] & C_VCHAR)) {
				FAIL(HTTP_RESP_ERR_PARSE);
			} else if (p->hdr_id == H_OTHER) {
				while (i + 1 < len && (cclass[data[i + 1]] & C_VCHAR) &&
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

		case S_CHUNK_SIZE:
		case S_CHUNK_SIZE_WS:
		case S_CHUNK_EXT:
		case S_CHUNK_SIZE_LF:
			if (++p->line_bytes > HTTP_RESP_MAX_CHUNK_LINE)
				FAIL(HTTP_RESP_ERR_PARSE);
			if (st == S_CHUNK_SIZE) {
				if (cclass[c] & C_HEX) {
					if (p->chunk_size >> 60)
						FAIL(HTTP_RESP_ERR_PARSE);  /* > 2^64-1 */
					uint8_t v = (uint8_t)(c <= '9' ? c - '0' : lower(c) - 'a' + 10);
					p->chunk_size = (p->chunk_size << 4) | v;
					p->chunk_digits = true;
				} else if (!p->chunk_digits) {
					FAIL(HTTP_RESP_ERR_PARSE);
				} else if (c == '\r') {
					p->state = S_CHUNK_SIZE_LF;
				} else if (c == ';') {
					p->state = S_CHUNK_EXT;
				} else if (c == ' ' || c == '\t') {
					p->state = S_CHUNK_SIZE_WS;
				} else {
					FAIL(HTTP_RESP_ERR_PARSE);
				}
			} else if (st == S_CHUNK_SIZE_WS) {
				if (c == ';')
					p->state = S_CHUNK_EXT;
				else if (c == '\r')
					p->state = S_CHUNK_SIZE_LF;
				else if (c != ' ' && c != '\t')
					FAIL(HTTP_RESP_ERR_PARSE);
			} else if (st == S_CHUNK_EXT) {
				if (c == '\r')
					p->state = S_CHUNK_SIZE_LF;
				else if (!(cclass[c] & C_VCHAR))
					FAIL(HTTP_RESP_ERR_PARSE);
			} else {
				if (c != '\n')
					FAIL(HTTP_RESP_ERR_PARSE);
				if (p->chunk_size == 0) {
					p->head_bytes = 0;  /* trailer section bound starts */
					p->state = S_TRAILER_START;
				} else {
					p->remaining = p->chunk_size;
					p->state = S_CHUNK_DATA;
				}
			}
			break;

		case S_CHUNK_DATA_CR:
			if (c != '\r')
				FAIL(HTTP_RESP_ERR_PARSE);
			p->state = S_CHUNK_DATA_LF;
			break;

		case S_CHUNK_DATA_LF:
			if (c != '\n')
				FAIL(HTTP_RESP_ERR_PARSE);
			p->chunk_size = 0;
			p->chunk_digits = false;
			p->line_bytes = 0;
			p->state = S_CHUNK_SIZE;
			break;

		default:
			/* trailer section: syntax-checked, ignored, bounded by max_head */
			if (++p->head_bytes > p->max_head)
				FAIL(HTTP_RESP_ERR_HEAD_TOO_LARGE);
			switch (st) {
			case S_TRAILER_START:
				if (c == '\r')
					p->state = S_TRAILER_END_LF;
				else if (cclass[c] & C_TCHAR)
					p->state = S_TRAILER_NAME;
				else
					FAIL(HTTP_RESP_ERR_PARSE);
				break;
			case S_TRAILER_NAME:
				if (c == ':')
					p->state = S_TRAILER_VALUE;
				else if (!(cclass[c] & C_TCHAR))
					FAIL(HTTP_RESP_ERR_PARSE);
				break;
			case S_TRAILER_VALUE:
				if (c == '\r')
					p->state = S_TRAILER_LF;
				else if (!(cclass[c] & C_VCHAR))
					FAIL(HTTP_RESP_ERR_PARSE);
				break;
			case S_TRAILER_LF:
				if (c != '\n')
					FAIL(HTTP_RESP_ERR_PARSE);
				p->state = S_TRAILER_START;
				break;
			case S_TRAILER_END_LF:
				if (c != '\n')
					FAIL(HTTP_RESP_ERR_PARSE);
				p->state = S_DONE;
				i++;
				goto complete;
			default:
				FAIL(HTTP_RESP_ERR_PARSE);
			}
			break;
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
