/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-httpd: incremental HTTP/1.1 request parser. Design notes and the
 * decisions taken on ambiguous input are in http_request.h.
 */
#include "http_request.h"

#include <string.h>
#include <strings.h>

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
	S_CHUNK_SIZE,
	S_CHUNK_SIZE_WS,   /* BWS after the chunk size (RFC 9112 §7.1.1) */
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

/* Field names we interpret; the bit index in name_mask is the id - 1. */
enum {
	H_OTHER = 0,
	H_HOST,
	H_CONNECTION,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_EXPECT,
	H_COUNT,
};

static const struct {
	const char *name;
	uint8_t len;
} known_hdrs[H_COUNT] = {
	[H_HOST] = { "host", 4 },
	[H_CONNECTION] = { "connection", 10 },
	[H_CONTENT_LENGTH] = { "content-length", 14 },
	[H_TRANSFER_ENCODING] = { "transfer-encoding", 17 },
	[H_EXPECT] = { "expect", 6 },
};
#define NAME_MASK_ALL ((uint8_t)((1u << (H_COUNT - 1)) - 1))

/* List-valued fields: the elements we look for, per header (lowercase). */
static const char *const elem_cands[H_COUNT][2] = {
	[H_CONNECTION] = { "close", "keep-alive" },
	[H_TRANSFER_ENCODING] = { "chunked", NULL },
	[H_EXPECT] = { "100-continue", NULL },
};

static const uint8_t elem_lens[H_COUNT][2] = {
	[H_CONNECTION] = { 5, 10 },
	[H_TRANSFER_ENCODING] = { 7, 0 },
	[H_EXPECT] = { 12, 0 },
};

/* elem_flags bits for the list-element matcher */
#define EF_STARTED 1u  /* a non-whitespace byte of the element was seen */
#define EF_WS      2u  /* whitespace followed the element's bytes */
#define EF_BAD     4u  /* the element cannot be one of the candidates */

static const char *const methods[] = { "GET", "HEAD", "POST" };
static const uint8_t method_lens[] = { 3, 4, 4 };
static const enum http_method method_ids[] = { HTTP_METHOD_GET, HTTP_METHOD_HEAD,
					       HTTP_METHOD_POST };
#define METHOD_MASK_ALL 7u

/* Character classes, as bits of one table lookup per byte. */
#define C_TCHAR  1u   /* token char, RFC 9110 §5.6.2 */
#define C_VCHAR  2u   /* field-vchar incl. obs-text, plus SP/HTAB (field content) */
#define C_TARGET 4u   /* visible ASCII: request-target bytes */
#define C_HEX    8u
#define C_HOST   16u  /* uri-host / port bytes, RFC 3986 §3.2.2 (reg-name, IP-literal) */

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
		if (c >= 0x21 && c <= 0x7e)
			f |= C_TARGET;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			f |= C_HEX;
		if (alnum || (c != 0 && strchr("-._~!$&'()*+,;=:[]%", c)))
			f |= C_HOST;
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

static inline int hexval(uint8_t c)
{
	if (c <= '9')
		return c - '0';
	return lower(c) - 'a' + 10;
}

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

static void reset_request(struct http_req_parser *p)
{
	memset(&p->req, 0, sizeof(p->req));
	p->error_status = 0;
	p->state = S_START;
	p->empty_lines = 0;
	p->hdr_id = H_OTHER;
	p->name_mask = 0;
	p->name_idx = 0;
	p->elem_idx = 0;
	p->elem_flags = 0;
	p->elem_count = 0;
	p->version_major = 0;
	p->method_mask = METHOD_MASK_ALL;
	p->method_idx = 0;
	p->ver_idx = 0;
	p->target_split = false;
	p->tcopied = 0;
	p->saw_cl = p->saw_te = p->te_chunked = p->te_other = false;
	p->conn_close = p->conn_keep = false;
	p->cl_overflow = false;
	p->head_bytes = 0;
	p->frame_bytes = 0;
	p->tgt_start = NULL;
	p->cl_value = 0;
	p->remaining = 0;
	p->chunk_size = 0;
	p->chunk_digits = 0;
}

void http_req_init(struct http_req_parser *p, const struct http_req_config *cfg,
		   char *tbuf, uint32_t tbuf_cap, http_body_cb body_cb, void *body_ctx)
{
	init_cclass();
	memset(p, 0, sizeof(*p));
	p->max_head = (cfg && cfg->max_head) ? cfg->max_head : HTTP_REQ_DEFAULT_MAX_HEAD;
	p->max_body = (cfg && cfg->max_body) ? cfg->max_body : HTTP_REQ_DEFAULT_MAX_BODY;
	p->tbuf = tbuf;
	p->tbuf_cap = tbuf_cap;
	p->body_cb = body_cb;
	p->body_ctx = body_ctx;
	reset_request(p);
}

void http_req_next(struct http_req_parser *p)
{
	reset_request(p);
}

void http_req_pin_target(struct http_req_parser *p)
{
	if (p->req.target == NULL || p->req.target == p->tbuf)
		return;
	/* target_len <= tbuf_cap is enforced while parsing */
	memmove(p->tbuf, p->req.target, p->req.target_len);
	p->req.target = p->tbuf;
}

/* Begin matching a list element of a known list-valued field. */
static inline void elem_reset(struct http_req_parser *p)
{
	p->elem_idx = 0;
	p->elem_flags = 0;
}

/* One element of a list-valued field ended (at ',' or end of line). */
static void elem_finish(struct http_req_parser *p)
{
	if (p->elem_flags & EF_STARTED) {
		if (p->elem_count < UINT8_MAX)
			p->elem_count++;
		int hit = -1;
		if (!(p->elem_flags & EF_BAD))
			for (int k = 0; k < 2; k++)
				if (elem_lens[p->hdr_id][k] && elem_lens[p->hdr_id][k] == p->elem_idx &&
				    memcmp(p->elem_buf, elem_cands[p->hdr_id][k], p->elem_idx) == 0)
					hit = k;
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
	elem_reset(p);
}

/* One byte of a list element (not ',' and not a line end). */
static inline void elem_byte(struct http_req_parser *p, uint8_t c)
{
	if (c == ' ' || c == '\t') {
		if (p->elem_flags & EF_STARTED)
			p->elem_flags |= EF_WS;
		return;
	}
	if (p->elem_flags & EF_WS)
		p->elem_flags |= EF_BAD;  /* whitespace inside an element */
	p->elem_flags |= EF_STARTED;
	if (p->elem_flags & EF_BAD)
		return;
	/* keep the (lowercased) element; longer than any candidate: no match */
	if (p->elem_idx < HTTP_ELEM_MAX)
		p->elem_buf[p->elem_idx++] = (char)lower(c);
	else
		p->elem_flags |= EF_BAD;
}

/* Known header id of a complete field name held in one buffer. */
static uint8_t lookup_name(const uint8_t *s, size_t n)
{
	uint8_t h;
	switch (n) {
	case 4: h = H_HOST; break;
	case 6: h = H_EXPECT; break;
	case 10: h = H_CONNECTION; break;
	case 14: h = H_CONTENT_LENGTH; break;
	case 17: h = H_TRANSFER_ENCODING; break;
	default: return H_OTHER;
	}
	for (size_t k = 0; k < n; k++)
		if (lower(s[k]) != (uint8_t)known_hdrs[h].name[k])
			return H_OTHER;
	return h;
}

/* Field name complete (':' seen), hdr_id set: start its value. 0 or a status. */
static int field_begin(struct http_req_parser *p)
{
	p->elem_count = 0;
	p->elem_flags = 0;
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
		elem_reset(p);
		break;
	case H_CONNECTION:
	case H_EXPECT:
		elem_reset(p);
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
			if (p->elem_flags & EF_STARTED)
				p->elem_flags |= EF_WS;
			return 0;
		}
		if (c < '0' || c > '9' || (p->elem_flags & EF_WS))
			return 400;
		p->elem_flags |= EF_STARTED;
		if (p->cl_value > (UINT64_MAX - 9) / 10)
			p->cl_overflow = true;
		else
			p->cl_value = p->cl_value * 10 + (uint64_t)(c - '0');
		return 0;
	case H_HOST:
		/* RFC 9112 §3.2: invalid Host value is a 400. */
		if (c == ' ' || c == '\t') {
			if (p->elem_flags & EF_STARTED)
				p->elem_flags |= EF_WS;
			return 0;
		}
		if (!(cclass[c] & C_HOST) || (p->elem_flags & EF_WS))
			return 400;
		p->elem_flags |= EF_STARTED;
		return 0;
	default:
		if (c == ',')
			elem_finish(p);
		else
			elem_byte(p, c);
		return 0;
	}
}

/* Field line complete. 0 or a status. */
static int value_done(struct http_req_parser *p)
{
	switch (p->hdr_id) {
	case H_CONTENT_LENGTH:
		if (!(p->elem_flags & EF_STARTED))
			return 400;  /* empty Content-Length */
		break;
	case H_TRANSFER_ENCODING:
		elem_finish(p);
		if (p->elem_count == 0)
			return 400;  /* empty Transfer-Encoding */
		if (p->elem_count > 1)
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
static int head_done(struct http_req_parser *p)
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
 * the request-line and of each field line we try to take the complete line
 * in one go with tight scanning loops. They only accept a line that is whole
 * in this chunk, fits the head bound and has valid bytes throughout; in any
 * other case they return 0 having changed nothing, and the byte-at-a-time
 * machine below handles it (so every error keeps its exact status and
 * offset, and the split-at-every-byte tests compare both paths).
 */

/* "method SP target SP HTTP/1.d CRLF" at s. Returns bytes taken or 0. */
static size_t fast_request_line(struct http_req_parser *p, const uint8_t *s, size_t avail)
{
	size_t j = 0;
	while (j < avail && (cclass[s[j]] & C_TCHAR))
		j++;
	if (j == 0 || j >= avail || s[j] != ' ')
		return 0;
	size_t t0 = j + 1, k = t0;
	while (k < avail && (cclass[s[k]] & C_TARGET))
		k++;
	if (k == t0 || k >= avail || s[k] != ' ' || k - t0 > p->tbuf_cap)
		return 0;
	size_t v = k + 1;
	if (avail - v < 10 || memcmp(s + v, "HTTP/1.", 7) != 0 || s[v + 7] < '0' ||
	    s[v + 7] > '9' || s[v + 8] != '\r' || s[v + 9] != '\n')
		return 0;
	size_t line = v + 10;
	if ((uint64_t)p->head_bytes + line > p->max_head)
		return 0;

	enum http_method m = HTTP_METHOD_OTHER;
	if (j == 3 && memcmp(s, "GET", 3) == 0)
		m = HTTP_METHOD_GET;
	else if (j == 4 && memcmp(s, "HEAD", 4) == 0)
		m = HTTP_METHOD_HEAD;
	else if (j == 4 && memcmp(s, "POST", 4) == 0)
		m = HTTP_METHOD_POST;
	p->req.method = m;
	p->req.target = (const char *)s + t0;
	p->req.target_len = (uint32_t)(k - t0);
	p->version_major = 1;
	p->req.version_minor = s[v + 7] == '0' ? 0 : 1;
	p->head_bytes += (uint32_t)line;
	p->state = S_LINE_START;
	return line;
}

/*
 * "name: value CRLF" at s. Returns bytes taken, 0 to fall back, or -1 with
 * *status and *at (offset of the offending byte, as the slow path reports).
 */
static long fast_field_line(struct http_req_parser *p, const uint8_t *s, size_t avail,
			    int *status, size_t *at)
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

	p->hdr_id = lookup_name(s, j);
	if ((*status = field_begin(p)) != 0) {
		*at = j;
		return -1;
	}
	if (p->hdr_id == H_HOST || p->hdr_id == H_CONTENT_LENGTH) {
		/* common single-token values: trim OWS, check the token in one loop */
		size_t a = j + 1, b = k;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		size_t x = a;
		if (p->hdr_id == H_HOST) {
			while (x < b && (cclass[s[x]] & C_HOST))
				x++;
		} else if (b - a <= 19) {
			/* at most 19 digits: cannot overflow 64 bits */
			uint64_t v = 0;
			while (x < b && s[x] >= '0' && s[x] <= '9')
				v = v * 10 + (uint64_t)(s[x++] - '0');
			p->cl_value = v;
		}
		if (x == b && (a < b || p->hdr_id == H_HOST)) {
			p->head_bytes += (uint32_t)(k + 2);
			return (long)(k + 2);
		}
		/* anything unusual: the byte machine below decides */
		p->cl_value = 0;
	}
	if (p->hdr_id != H_OTHER) {
		for (size_t x = j + 1; x < k; x++)
			if ((*status = value_byte(p, s[x])) != 0) {
				*at = x;
				return -1;
			}
		if ((*status = value_done(p)) != 0) {
			*at = k + 1;
			return -1;
		}
	}
	p->head_bytes += (uint32_t)(k + 2);
	return (long)(k + 2);
}

static inline void body_out(struct http_req_parser *p, const uint8_t *d, size_t n)
{
	p->req.body_received += n;
	if (p->body_cb && n)
		p->body_cb(p->body_ctx, d, n);
}

#define FAIL(code) do { status = (code); goto fail; } while (0)

enum http_req_result http_req_feed(struct http_req_parser *p, const uint8_t *data,
				   size_t len, size_t *consumed)
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
			} else if (cclass[c] & C_TCHAR) {
				p->head_bytes--;  /* counted by the fast path or reprocessed */
				size_t n = fast_request_line(p, data + i, len - i);
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
			if (cclass[c] & C_TCHAR) {
				for (int k = 0; k < 3; k++)
					if ((p->method_mask & (1u << k)) &&
					    (p->method_idx >= method_lens[k] ||
					     (uint8_t)methods[k][p->method_idx] != c))
						p->method_mask &= (uint8_t)~(1u << k);
				if (p->method_idx < UINT8_MAX)
					p->method_idx++;
			} else if (c == ' ') {
				p->req.method = HTTP_METHOD_OTHER;
				for (int k = 0; k < 3; k++)
					if ((p->method_mask & (1u << k)) &&
					    method_lens[k] == p->method_idx)
						p->req.method = method_ids[k];
				p->state = S_TARGET_FIRST;
			} else {
				FAIL(400);
			}
			break;

		case S_TARGET_FIRST:
			if (!(cclass[c] & C_TARGET))
				FAIL(400);
			p->tgt_start = (const char *)&data[i];
			p->req.target_len = 0;
			p->state = S_TARGET;
			p->head_bytes--;  /* reprocess: counted in S_TARGET */
			continue;

		case S_TARGET:
			if (cclass[c] & C_TARGET) {
				if (++p->req.target_len > p->tbuf_cap)
					FAIL(414);
				/* fast path: run over the rest of the target in this chunk */
				while (i + 1 < len && (cclass[data[i + 1]] & C_TARGET)) {
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
			} else if (cclass[c] & C_TCHAR) {
				p->head_bytes--;  /* counted by the fast path or reprocessed */
				size_t at = 0;
				long n = fast_field_line(p, data + i, len - i, &status, &at);
				if (n > 0) {
					i += (size_t)n;
					continue;
				}
				if (n < 0) {
					i += at;
					goto fail;
				}
				p->name_mask = NAME_MASK_ALL;
				p->name_idx = 0;
				p->state = S_NAME;
				continue;
			} else {
				FAIL(400);  /* obs-fold, leading SP, bare LF, ':' ... */
			}
			break;

		case S_NAME:
			if (cclass[c] & C_TCHAR) {
				uint8_t lc = lower(c);
				uint8_t m = p->name_mask;
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
			} else if (cclass[c] & C_VCHAR) {
				if (p->hdr_id == H_OTHER) {
					/* fast path: skip the rest of an uninteresting value */
					while (i + 1 < len && (cclass[data[i + 1]] & C_VCHAR) &&
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
			i++;
			if ((status = head_done(p)) != 0)
				goto fail;
			*consumed = i;
			switch (p->req.body_kind) {
			case HTTP_BODY_NONE:
				p->state = S_DONE;
				return HTTP_REQ_COMPLETE;
			case HTTP_BODY_LENGTH:
				p->remaining = p->req.content_length;
				p->state = S_BODY_LEN;
				return HTTP_REQ_HEAD_DONE;
			case HTTP_BODY_CHUNKED:
				p->state = S_CHUNK_SIZE;
				return HTTP_REQ_HEAD_DONE;
			}
			FAIL(500);

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
			switch (st) {
			case S_CHUNK_SIZE:
				if (cclass[c] & C_HEX) {
					uint64_t room = p->max_body - p->req.body_received;
					if (p->chunk_size > (UINT64_MAX >> 4))
						FAIL(413);
					p->chunk_size = (p->chunk_size << 4) | (uint64_t)hexval(c);
					if (p->chunk_size > room)
						FAIL(413);
					p->chunk_digits = 1;
				} else if (!p->chunk_digits) {
					FAIL(400);  /* empty or non-hex chunk size */
				} else if (c == '\r') {
					p->state = S_CHUNK_SIZE_LF;
				} else if (c == ';') {
					p->state = S_CHUNK_EXT;
				} else if (c == ' ' || c == '\t') {
					p->state = S_CHUNK_SIZE_WS;
				} else {
					FAIL(400);
				}
				break;
			case S_CHUNK_SIZE_WS:
				if (c == ';')
					p->state = S_CHUNK_EXT;
				else if (c == '\r')
					p->state = S_CHUNK_SIZE_LF;
				else if (c != ' ' && c != '\t')
					FAIL(400);
				break;
			case S_CHUNK_EXT:
				/* chunk-ext content is ignored; only field bytes allowed */
				if (c == '\r')
					p->state = S_CHUNK_SIZE_LF;
				else if (!(cclass[c] & C_VCHAR))
					FAIL(400);
				break;
			case S_CHUNK_SIZE_LF:
				if (c != '\n')
					FAIL(400);
				p->frame_bytes = 0;
				if (p->chunk_size == 0) {
					p->state = S_TRAILER_START;
				} else {
					p->remaining = p->chunk_size;
					p->state = S_CHUNK_DATA;
				}
				break;
			case S_CHUNK_DATA_CR:
				if (c != '\r')
					FAIL(400);
				p->state = S_CHUNK_DATA_LF;
				break;
			case S_CHUNK_DATA_LF:
				if (c != '\n')
					FAIL(400);
				p->chunk_size = 0;
				p->chunk_digits = 0;
				p->state = S_CHUNK_SIZE;
				break;
			case S_TRAILER_START:
				if (c == '\r')
					p->state = S_TRAILER_END_LF;
				else if (cclass[c] & C_TCHAR)
					p->state = S_TRAILER_NAME;
				else
					FAIL(400);
				break;
			case S_TRAILER_NAME:
				if (c == ':')
					p->state = S_TRAILER_VALUE;
				else if (!(cclass[c] & C_TCHAR))
					FAIL(400);
				break;
			case S_TRAILER_VALUE:
				if (c == '\r')
					p->state = S_TRAILER_LF;
				else if (!(cclass[c] & C_VCHAR))
					FAIL(400);
				break;
			case S_TRAILER_LF:
				if (c != '\n')
					FAIL(400);
				p->state = S_TRAILER_START;
				break;
			case S_TRAILER_END_LF:
				if (c != '\n')
					FAIL(400);
				p->state = S_DONE;
				*consumed = i + 1;
				return HTTP_REQ_COMPLETE;
			default:
				FAIL(500);
			}
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

	init_cclass();
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
		if (!(cclass[c] & C_TARGET))
			return 400;  /* raw SP, CTL, NUL or non-ASCII */
		if (c == '%') {
			if (k + 2 >= n || !(cclass[(uint8_t)t[k + 1]] & C_HEX) ||
			    !(cclass[(uint8_t)t[k + 2]] & C_HEX))
				return 400;
			c = (uint8_t)(hexval((uint8_t)t[k + 1]) << 4 | hexval((uint8_t)t[k + 2]));
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
