/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 byte classes and scanners shared by hare-httpd's request parser
 * and hare-load's response parser (header-only: both apps and their unit
 * tests include it, nothing to link).
 *
 * - hc_class[]: one table lookup per byte, built at compile time (no init).
 * - hc_span(): length of the run of bytes of one class, the parsers' inner
 *   loops. With AVX2 they classify 32 bytes per step (pshufb nibble tables:
 *   tchar, field content, Host bytes); a short run near the end of the
 *   buffer is classified by loading the LAST 32 bytes of the buffer and
 *   shifting (a buffer under 32 bytes: byte by byte), so no byte
 *   outside [base, end) is ever read (the unit tests feed every piece from
 *   its own heap copy, and run under valgrind, to catch that).
 * - struct hc_win: one 32-byte window per field line, classified once for
 *   the name (tchar) and the value (field content); hc_field_name() and
 *   hc_field_end() find "name:" and the CR LF after the value with bit scans.
 * - hc_name_eq(): exact case-insensitive compare of a field name against a
 *   lowercase constant, 8 bytes per step.
 * - struct hc_elem: the matcher for one element of a comma-separated list
 *   value (Connection, Transfer-Encoding, Expect), RFC 9110 §5.6.1.
 * - hc_chunk_byte(): one byte of chunked framing (RFC 9112 §7.1): size line,
 *   data CRLF, trailer section; the bounds and verdicts stay with the apps.
 * With HTTP_CHARS_SCALAR defined (or without AVX2) every scanner is a plain
 * table loop; the unit tests run both builds.
 */
#ifndef HARE_HTTP_CHARS_H
#define HARE_HTTP_CHARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX2__) && !defined(HTTP_CHARS_SCALAR)
#include <immintrin.h>
#define HC_AVX2 1
#endif

/* Character classes, as bits of one table lookup per byte. */
#define HC_TCHAR  1u   /* token char, RFC 9110 §5.6.2 */
#define HC_FIELD  2u   /* field content: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5) */
#define HC_TARGET 4u   /* visible ASCII: request-target bytes (RFC 9112 §3.2) */
#define HC_HEX    8u   /* HEXDIG */
#define HC_HOST   16u  /* uri-host / port bytes, RFC 3986 §3.2.2 (reg-name, IP-literal) */

#define HC_DIGIT_(c) ((c) >= '0' && (c) <= '9')
#define HC_ALNUM_(c) (HC_DIGIT_(c) || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define HC_IS_TCHAR(c)                                                                     \
	(HC_ALNUM_(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || \
	 (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' ||  \
	 (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define HC_IS_HOST(c)                                                                      \
	(HC_ALNUM_(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' || (c) == '!' || \
	 (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || (c) == '*' ||  \
	 (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=' || (c) == ':' || (c) == '[' ||   \
	 (c) == ']' || (c) == '%')
#define HC_IS_FIELD(c) (((c) >= 0x21 && (c) <= 0x7e) || (c) >= 0x80 || (c) == ' ' || (c) == '\t')
#define HC_IS_TARGET(c) ((c) >= 0x21 && (c) <= 0x7e)
#define HC_IS_HEX(c) (HC_DIGIT_(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define HC_CLASS_(c)                                                                   \
	((HC_IS_TCHAR(c) ? HC_TCHAR : 0u) | (HC_IS_FIELD(c) ? HC_FIELD : 0u) |             \
	 (HC_IS_TARGET(c) ? HC_TARGET : 0u) | (HC_IS_HEX(c) ? HC_HEX : 0u) |               \
	 (HC_IS_HOST(c) ? HC_HOST : 0u))
#define HC_R4_(b) HC_CLASS_(b), HC_CLASS_((b) + 1), HC_CLASS_((b) + 2), HC_CLASS_((b) + 3)
#define HC_R16_(b) HC_R4_(b), HC_R4_((b) + 4), HC_R4_((b) + 8), HC_R4_((b) + 12)
#define HC_R64_(b) HC_R16_(b), HC_R16_((b) + 16), HC_R16_((b) + 32), HC_R16_((b) + 48)

static const uint8_t hc_class[256] = { HC_R64_(0), HC_R64_(64), HC_R64_(128), HC_R64_(192) };

static inline uint8_t hc_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

/* Value of a HEXDIG (caller checked HC_HEX). */
static inline unsigned hc_hexval(uint8_t c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(hc_lower(c) - 'a' + 10);
}

static inline uint64_t hc_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint16_t hc_load16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* CR LF at s (two bytes readable). */
static inline bool hc_crlf(const uint8_t *s)
{
	return hc_load16(s) == (uint16_t)('\r' | '\n' << 8);
}

#ifdef HC_AVX2
/*
 * Nibble tables for a class within 0x00..0x7f: bit h of lo[l] says whether
 * byte h*16+l is in the class; hi[h] = 1 << h for h < 8, 0 for 0x80..0xff
 * (never in these classes). Member iff lo[x & 15] & hi[x >> 4] != 0.
 */
#define HC_LO_(P, l)                                                                      \
	(char)((P((l)) ? 1 : 0) | (P(0x10 + (l)) ? 2 : 0) | (P(0x20 + (l)) ? 4 : 0) |     \
	       (P(0x30 + (l)) ? 8 : 0) | (P(0x40 + (l)) ? 16 : 0) | (P(0x50 + (l)) ? 32 : 0) | \
	       (P(0x60 + (l)) ? 64 : 0) | (P(0x70 + (l)) ? 128 : 0))
#define HC_LO_TABLE_(P)                                                                   \
	_mm256_setr_epi8(HC_LO_(P, 0), HC_LO_(P, 1), HC_LO_(P, 2), HC_LO_(P, 3), HC_LO_(P, 4), \
			 HC_LO_(P, 5), HC_LO_(P, 6), HC_LO_(P, 7), HC_LO_(P, 8), HC_LO_(P, 9),  \
			 HC_LO_(P, 10), HC_LO_(P, 11), HC_LO_(P, 12), HC_LO_(P, 13),            \
			 HC_LO_(P, 14), HC_LO_(P, 15), HC_LO_(P, 0), HC_LO_(P, 1), HC_LO_(P, 2), \
			 HC_LO_(P, 3), HC_LO_(P, 4), HC_LO_(P, 5), HC_LO_(P, 6), HC_LO_(P, 7),  \
			 HC_LO_(P, 8), HC_LO_(P, 9), HC_LO_(P, 10), HC_LO_(P, 11),              \
			 HC_LO_(P, 12), HC_LO_(P, 13), HC_LO_(P, 14), HC_LO_(P, 15))

/*
 * hi[h] = 1 << h for the rows 0x00..0x7f; for 0x80..0xff (obs-text) `top`:
 * 0 for classes without them, 4 for field content (row 0x20..0x2f is all
 * field content, so bit 2 is set in every lo[l]).
 */
#define HC_HI_TABLE_(top)                                                                 \
	_mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, top, top, top, top, top, top, top, \
			 top, 1, 2, 4, 8, 16, 32, 64, (char)128, top, top, top, top, top, top, \
			 top, top)

/* Bit k set: byte k of x is NOT in the class given by the nibble tables. */
static inline __attribute__((always_inline)) uint32_t hc_not_in_lut(__m256i x, __m256i lo,
								    __m256i hi)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(x, nib));
	__m256i h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib));
	__m256i in = _mm256_and_si256(l, h);
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(in, _mm256_setzero_si256()));
}

/* Bit k set: byte k of x is not visible ASCII (0x21..0x7e). */
static inline uint32_t hc_not_target(__m256i x)
{
	/* signed compare: 0x80..0xff are negative, so below 0x21 too */
	__m256i bad = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x21), x);
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7f)));
	return (uint32_t)_mm256_movemask_epi8(bad);
}

#define HC_KIND_TCHAR  0
#define HC_KIND_FIELD  1
#define HC_KIND_TARGET 2
#define HC_KIND_HOST   3

static inline __attribute__((always_inline)) uint32_t hc_not_in(__m256i x, int kind)
{
	switch (kind) {
	case HC_KIND_TCHAR:
		return hc_not_in_lut(x, HC_LO_TABLE_(HC_IS_TCHAR), HC_HI_TABLE_(0));
	case HC_KIND_HOST:
		return hc_not_in_lut(x, HC_LO_TABLE_(HC_IS_HOST), HC_HI_TABLE_(0));
	case HC_KIND_TARGET:
		return hc_not_target(x);
	default:
		return hc_not_in_lut(x, HC_LO_TABLE_(HC_IS_FIELD), HC_HI_TABLE_(4));
	}
}

/*
 * Length of the run of bytes of `kind` starting at s, stopping at end.
 * Reads only [base, end); base <= s <= end.
 */
static inline __attribute__((always_inline)) size_t
hc_span(const uint8_t *base, const uint8_t *s, const uint8_t *end, int kind, uint8_t cls)
{
	const uint8_t *q = s;
	while (end - q >= 32) {
		uint32_t m = hc_not_in(_mm256_loadu_si256((const __m256i *)(const void *)q), kind);
		if (m)
			return (size_t)(q - s) + (size_t)__builtin_ctz(m);
		q += 32;
	}
	if (q == end)
		return (size_t)(end - s);
	if (end - base >= 32) {
		/* tail: classify the buffer's last 32 bytes, drop those before q */
		const uint8_t *w = end - 32;
		uint32_t m = hc_not_in(_mm256_loadu_si256((const __m256i *)(const void *)w), kind);
		m >>= (unsigned)(q - w);
		if (m)
			return (size_t)(q - s) + (size_t)__builtin_ctz(m);
		return (size_t)(end - s);
	}
	while (q < end && (hc_class[*q] & cls))
		q++;
	return (size_t)(q - s);
}
#else
#define HC_KIND_TCHAR  0
#define HC_KIND_FIELD  1
#define HC_KIND_TARGET 2
#define HC_KIND_HOST   3

static inline size_t hc_span(const uint8_t *base, const uint8_t *s, const uint8_t *end, int kind,
			     uint8_t cls)
{
	(void)base;
	(void)kind;
	const uint8_t *q = s;
	while (q < end && (hc_class[*q] & cls))
		q++;
	return (size_t)(q - s);
}
#endif

/*
 * A window of up to 32 bytes at a line start q, classified once for the
 * name (tchar) and the value (field content) of the line: two bit masks,
 * bit k for q[k], with the positions at and beyond the end of the data set
 * ("not in class"). hc_win_span(w, .., from, kind) is where the run of
 * `kind` (HC_KIND_TCHAR or HC_KIND_FIELD) starting at q + from ends (offset
 * from q); past the window it continues with hc_span(). Near the end of the
 * data the window is the data's last 32 bytes, shifted; in a buffer under
 * 32 bytes the masks are built byte by byte. No calls: the parsers' line
 * loops keep their vector constants in registers.
 */
struct hc_win {
	uint32_t nt;   /* bit k: q[k] is not a tchar */
	uint32_t nf;   /* bit k: q[k] is not field content */
};

static inline __attribute__((always_inline)) void
hc_win_at(struct hc_win *w, const uint8_t *base, const uint8_t *q, const uint8_t *end)
{
#ifdef HC_AVX2
	if (__builtin_expect(end - q >= 32, 1)) {
		/* the common case: no shifting, no padding */
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)q);
		w->nt = hc_not_in(x, HC_KIND_TCHAR);
		w->nf = hc_not_in(x, HC_KIND_FIELD);
		return;
	}
	if (end - base >= 32) {
		unsigned n = (unsigned)(end - q), sh = 32u - n;
		uint32_t pad = ~0u << n;
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(end - 32));
		w->nt = (hc_not_in(x, HC_KIND_TCHAR) >> sh) | pad;
		w->nf = (hc_not_in(x, HC_KIND_FIELD) >> sh) | pad;
		return;
	}
#endif
	uint32_t nt = ~0u, nf = ~0u;
	for (unsigned k = 0; k < 32 && q + k < end; k++) {
		if (hc_class[q[k]] & HC_TCHAR)
			nt &= ~(1u << k);
		if (hc_class[q[k]] & HC_FIELD)
			nf &= ~(1u << k);
	}
	w->nt = nt;
	w->nf = nf;
	(void)base;
}

static inline __attribute__((always_inline)) size_t
hc_win_span(const struct hc_win *w, const uint8_t *base, const uint8_t *q, const uint8_t *end,
	    size_t from, int kind, uint8_t cls)
{
	if (from < 32) {
		uint32_t m = (kind == HC_KIND_TCHAR ? w->nt : w->nf) >> from;
		if (m)
			return from + (size_t)__builtin_ctz(m);
		from = 32;
	}
	return from + hc_span(base, q + from, end, kind, cls);
}

/* Runs of one class: token chars, field content, target bytes, Host bytes. */
static inline size_t hc_span_tchar(const uint8_t *base, const uint8_t *s, const uint8_t *end)
{
	return hc_span(base, s, end, HC_KIND_TCHAR, HC_TCHAR);
}
static inline size_t hc_span_field(const uint8_t *base, const uint8_t *s, const uint8_t *end)
{
	return hc_span(base, s, end, HC_KIND_FIELD, HC_FIELD);
}
static inline size_t hc_span_target(const uint8_t *base, const uint8_t *s, const uint8_t *end)
{
	return hc_span(base, s, end, HC_KIND_TARGET, HC_TARGET);
}
static inline size_t hc_span_host(const uint8_t *base, const uint8_t *s, const uint8_t *end)
{
	return hc_span(base, s, end, HC_KIND_HOST, HC_HOST);
}


static inline uint32_t hc_load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The first 8 bytes of a string constant as one little-endian word. */
static inline uint64_t hc_str8(const char *lit)
{
	return hc_load64(lit);
}

/*
 * Exact ASCII case-insensitive equality of s[0..n) with the constant lc,
 * made of lowercase letters, digits and '-' only (n >= 4; s readable for n
 * bytes): 8 (or 4) bytes per step, the last step overlapping. The fold mask
 * has 0x20 exactly at the letters of lc (bit 6 set: 0x61..0x7a; '-' and
 * digits have it clear), so (x | fold) == want accepts 'A'..'Z' for
 * 'a'..'z' and nothing else: e.g. CR, which is '-' minus 0x20, never
 * matches. With a string literal everything folds to constants.
 */
static inline __attribute__((always_inline)) bool hc_name_eq(const uint8_t *s, const char *lc,
							      size_t n)
{
	const uint64_t f6 = 0x2020202020202020ull;
	if (n < 8) {
		uint32_t a = hc_load32(lc), b = hc_load32(lc + n - 4);
		return ((hc_load32(s) | (uint32_t)((a >> 1) & f6)) == a) &
		       ((hc_load32(s + n - 4) | (uint32_t)((b >> 1) & f6)) == b);
	}
	size_t k = 0;
	for (; k + 8 <= n; k += 8) {
		uint64_t w = hc_load64(lc + k);
		if ((hc_load64(s + k) | ((w >> 1) & f6)) != w)
			return false;
	}
	if (k < n) {
		uint64_t w = hc_load64(lc + n - 8);
		if ((hc_load64(s + n - 8) | ((w >> 1) & f6)) != w)
			return false;
	}
	return true;
}

/* A name the byte-at-a-time matchers look for: lowercase (or exact, for methods). */
struct hc_known {
	const char *name;
	uint8_t len;
};

/*
 * Byte-at-a-time name matching, for names split across chunks: *miss has
 * bit (k - 1) set once known[k] (k = 1 .. n - 1) can no longer match; idx
 * is the position of byte c (already lowercased if the match is caseless).
 */
static inline void hc_known_step(uint8_t *miss, uint8_t idx, uint8_t c,
				 const struct hc_known *known, int n)
{
	uint8_t m = *miss;
	for (int k = 1; k < n; k++) {
		uint8_t bit = (uint8_t)(1u << (k - 1));
		if (!(m & bit) && (idx >= known[k].len || (uint8_t)known[k].name[idx] != c))
			m |= bit;
	}
	*miss = m;
}

/* The name ended after len bytes: the id of the known name it equals, or 0. */
static inline int hc_known_end(uint8_t miss, uint8_t len, const struct hc_known *known, int n)
{
	for (int k = 1; k < n; k++)
		if (!(miss & (1u << (k - 1))) && known[k].len == len)
			return k;
	return 0;
}

/* Offset of the first non-OWS byte of q[a..n) (n if none), RFC 9110 §5.6.3. */
static inline size_t hc_skip_ows(const uint8_t *q, size_t a, size_t n)
{
	if (a < n && q[a] == ' ')
		a++;  /* the usual single SP */
	while (a < n && (q[a] == ' ' || q[a] == '\t'))
		a++;
	return a;
}

/* End of q[a..e) without its trailing OWS. */
static inline size_t hc_trim_ows(const uint8_t *q, size_t a, size_t e)
{
	while (e > a && (q[e - 1] == ' ' || q[e - 1] == '\t'))
		e--;
	return e;
}

/*
 * 1*DIGIT in q[a..z) (a plain Content-Length, OWS trimmed) of at most 19
 * digits, which cannot overflow 64 bits. false: anything else (the byte
 * machines then decide: empty, sign, list, overflow).
 */
static inline bool hc_plain_number(const uint8_t *q, size_t a, size_t z, uint64_t *out)
{
	uint64_t v = 0;
	if (z == a || z - a > 19)
		return false;
	for (size_t x = a; x < z; x++) {
		if (q[x] < '0' || q[x] > '9')
			return false;
		v = v * 10 + (uint64_t)(q[x] - '0');
	}
	*out = v;
	return true;
}

/* What a head line starting at q is, for the fast paths. */
enum hc_line_kind {
	HC_LINE_FIELD = 0,  /* possibly a field line */
	HC_LINE_END,        /* the empty line (CR LF) ending the head, within max */
	HC_LINE_STOP,       /* too short here, a bare CR, or over max: the machine's */
};

/* *hb: head bytes so far; the empty line counts 2 if it fits max. */
static inline int hc_line_kind(const uint8_t *q, const uint8_t *end, uint32_t *hb, uint32_t max)
{
	if (end - q < 2)
		return HC_LINE_STOP;
	if (q[0] != '\r')
		return HC_LINE_FIELD;
	if (q[1] != '\n' || *hb + 2 > max)
		return HC_LINE_STOP;
	*hb += 2;
	return HC_LINE_END;
}

/*
 * Top of the fast paths' line loops: true to go on with a field line at *q;
 * false to stop, with *q moved past the empty line and *head_end set if
 * that is where the head ended.
 */
static inline bool hc_next_line(const uint8_t **q, const uint8_t *end, uint32_t *hb,
				uint32_t max, bool *head_end)
{
	int kind = hc_line_kind(*q, end, hb, max);
	if (kind == HC_LINE_FIELD)
		return true;
	if (kind == HC_LINE_END) {
		*head_end = true;
		*q += 2;
	}
	return false;
}

/*
 * A field line a fast path leaves to its byte machine's own steps (a list
 * value, a repeated or unusual Content-Length): which known field, the name
 * length, the offset of the CR.
 */
struct hc_line {
	uint8_t h;    /* the parser's known-field id; 0: none */
	size_t j;
	size_t e;
};

/*
 * Start of a field line at q (data up to end, base as for hc_win_at): loads
 * the window and returns the name length if a non-empty token is followed
 * by ':' within the data, else 0.
 */
static inline __attribute__((always_inline)) size_t
hc_field_name(struct hc_win *w, const uint8_t *base, const uint8_t *q, const uint8_t *end)
{
	size_t avail = (size_t)(end - q);
	hc_win_at(w, base, q, end);
	size_t j = hc_win_span(w, base, q, end, 0, HC_KIND_TCHAR, HC_TCHAR);
	if (j == 0 || j >= avail || q[j] != ':')
		return 0;
	return j;
}

/*
 * End of the field value starting at q + from: the offset of the CR of a
 * CR LF right after field content, within the data; 0 if there is none.
 */
static inline __attribute__((always_inline)) size_t
hc_field_end(const struct hc_win *w, const uint8_t *base, const uint8_t *q, const uint8_t *end,
	     size_t from)
{
	size_t e = hc_win_span(w, base, q, end, from, HC_KIND_FIELD, HC_FIELD);
	if ((size_t)(end - q) - e < 2 || !hc_crlf(q + e))
		return 0;
	return e;
}

/* ---- list elements (RFC 9110 §5.6.1): "a , b ,c" ------------------------- */

#define HC_ELEM_MAX 12u   /* longest element matched ("100-continue") */

/* Matcher state for the current element of a list-valued field. */
struct hc_elem {
	uint8_t idx;                /* bytes kept in buf */
	uint8_t flags;              /* HC_EF_* */
	uint8_t count;              /* non-empty elements in this field so far */
	char buf[HC_ELEM_MAX];      /* the element, lowercased */
};

#define HC_EF_STARTED 1u  /* a non-whitespace byte of the element was seen */
#define HC_EF_WS      2u  /* whitespace followed the element's bytes */
#define HC_EF_BAD     4u  /* the element cannot be one of the candidates */

static inline void hc_elem_reset(struct hc_elem *e)
{
	e->idx = 0;
	e->flags = 0;
}

/* One byte of an element (not ',' and not a line end). */
static inline void hc_elem_byte(struct hc_elem *e, uint8_t c)
{
	if (c == ' ' || c == '\t') {
		if (e->flags & HC_EF_STARTED)
			e->flags |= HC_EF_WS;
		return;
	}
	if (e->flags & HC_EF_WS)
		e->flags |= HC_EF_BAD;  /* whitespace inside an element */
	e->flags |= HC_EF_STARTED;
	if (e->flags & HC_EF_BAD)
		return;
	/* keep the (lowercased) element; longer than any candidate: no match */
	if (e->idx < HC_ELEM_MAX)
		e->buf[e->idx++] = (char)hc_lower(c);
	else
		e->flags |= HC_EF_BAD;
}

/*
 * The element ended (',' or end of line). Returns -1 for an empty element
 * (not counted), else counts it and returns the index of the candidate it
 * equals (cands: up to 2 lowercase strings, NULL-padded) or 2 for none.
 */
static inline int hc_elem_finish(struct hc_elem *e, const char *const cands[2])
{
	int hit = -1;
	if (e->flags & HC_EF_STARTED) {
		hit = 2;
		if (e->count < UINT8_MAX)
			e->count++;
		if (!(e->flags & HC_EF_BAD))
			for (int k = 0; k < 2; k++)
				if (cands[k] && strlen(cands[k]) == e->idx &&
				    memcmp(e->buf, cands[k], e->idx) == 0)
					hit = k;
	}
	hc_elem_reset(e);
	return hit;
}

/* ---- chunked framing (RFC 9112 §7.1) ---------------------------------------- */

/*
 * Positions in the framing around chunk data, for a byte-at-a-time machine:
 * the chunk-size line (size, BWS, extensions, LF), the CRLF after chunk
 * data, and the trailer section. Each parser keeps these as consecutive
 * states, first = its chunk-size state, so its state minus that one is a
 * position here. Bounds (line and section sizes) stay with the parsers.
 */
enum hc_chunk_pos {
	HC_CK_SIZE = 0,   /* 1*HEXDIG */
	HC_CK_SIZE_WS,    /* BWS after the size (RFC 9112 §7.1.1) */
	HC_CK_EXT,        /* chunk-ext: field bytes, ignored */
	HC_CK_SIZE_LF,
	HC_CK_DATA_CR,    /* CRLF after chunk data */
	HC_CK_DATA_LF,
	HC_CK_TR_START,   /* trailer section: start of a field line or the end */
	HC_CK_TR_NAME,
	HC_CK_TR_VALUE,
	HC_CK_TR_LF,
	HC_CK_TR_END_LF,
};

/* What one framing byte did. */
enum hc_chunk_ev {
	HC_CKE_MORE = 0,  /* consumed, position updated */
	HC_CKE_DIGIT,     /* a size digit: *size grew (the caller may bound it) */
	HC_CKE_SIZE_END,  /* the size line ended: data (size > 0) or trailers follow */
	HC_CKE_DATA_END,  /* CRLF after data: the next size line follows */
	HC_CKE_DONE,      /* the empty line ending the trailers: message complete */
	HC_CKE_BAD,       /* malformed framing */
	HC_CKE_OVERFLOW,  /* size above 2^64 - 1 */
};

static inline int hc_chunk_byte(uint8_t *pos, uint64_t *size, bool *digits, uint8_t c)
{
	switch (*pos) {
	case HC_CK_SIZE:
		if (hc_class[c] & HC_HEX) {
			if (*size >> 60)
				return HC_CKE_OVERFLOW;
			*size = (*size << 4) | hc_hexval(c);
			*digits = true;
			return HC_CKE_DIGIT;
		}
		if (!*digits)
			return HC_CKE_BAD;  /* empty or non-hex chunk size */
		if (c == '\r')
			*pos = HC_CK_SIZE_LF;
		else if (c == ';')
			*pos = HC_CK_EXT;
		else if (c == ' ' || c == '\t')
			*pos = HC_CK_SIZE_WS;
		else
			return HC_CKE_BAD;
		return HC_CKE_MORE;
	case HC_CK_SIZE_WS:
		if (c == ';')
			*pos = HC_CK_EXT;
		else if (c == '\r')
			*pos = HC_CK_SIZE_LF;
		else if (c != ' ' && c != '\t')
			return HC_CKE_BAD;
		return HC_CKE_MORE;
	case HC_CK_EXT:
		if (c == '\r')
			*pos = HC_CK_SIZE_LF;
		else if (!(hc_class[c] & HC_FIELD))
			return HC_CKE_BAD;
		return HC_CKE_MORE;
	case HC_CK_SIZE_LF:
		return c == '\n' ? HC_CKE_SIZE_END : HC_CKE_BAD;
	case HC_CK_DATA_CR:
		if (c != '\r')
			return HC_CKE_BAD;
		*pos = HC_CK_DATA_LF;
		return HC_CKE_MORE;
	case HC_CK_DATA_LF:
		if (c != '\n')
			return HC_CKE_BAD;
		*size = 0;
		*digits = false;
		*pos = HC_CK_SIZE;
		return HC_CKE_DATA_END;
	case HC_CK_TR_START:
		if (c == '\r')
			*pos = HC_CK_TR_END_LF;
		else if (hc_class[c] & HC_TCHAR)
			*pos = HC_CK_TR_NAME;
		else
			return HC_CKE_BAD;
		return HC_CKE_MORE;
	case HC_CK_TR_NAME:
		if (c == ':')
			*pos = HC_CK_TR_VALUE;
		else if (!(hc_class[c] & HC_TCHAR))
			return HC_CKE_BAD;
		return HC_CKE_MORE;
	case HC_CK_TR_VALUE:
		if (c == '\r')
			*pos = HC_CK_TR_LF;
		else if (!(hc_class[c] & HC_FIELD))
			return HC_CKE_BAD;
		return HC_CKE_MORE;
	case HC_CK_TR_LF:
		if (c != '\n')
			return HC_CKE_BAD;
		*pos = HC_CK_TR_START;
		return HC_CKE_MORE;
	case HC_CK_TR_END_LF:
		return c == '\n' ? HC_CKE_DONE : HC_CKE_BAD;
	default:
		return HC_CKE_BAD;
	}
}

#endif /* HARE_HTTP_CHARS_H */
