/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for apps/common/http_chars.h, the byte classes and scanners shared
 * by hare-httpd's and hare-load's parsers: the vector scanners (32 bytes at
 * a time, the "last 32 bytes, shifted" tail, the zero-padded copy of a tiny
 * buffer) must agree with a byte-by-byte reference built from the RFC
 * grammar for every byte value at every position of buffers of every
 * length up to 100, and never look outside the buffer (each buffer is its
 * own heap block, for valgrind/ASan). Also the exact case-insensitive name
 * compare, the list-element matcher, OWS trimming and plain numbers.
 * Built twice: with the vector code (-march=native) and with
 * HTTP_CHARS_SCALAR (the portable fallback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "http_chars.h"

/* Reference classes straight from the grammar (RFC 9110 §5.6.2, §5.5; RFC 3986 §3.2.2). */
static bool ref_in(int kind, uint8_t c)
{
	bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	switch (kind) {
	case HC_KIND_TCHAR:
		return alnum || (c && strchr("!#$%&'*+-.^_`|~", c));
	case HC_KIND_HOST:
		return alnum || (c && strchr("-._~!$&'()*+,;=:[]%", c));
	case HC_KIND_TARGET:
		return c >= 0x21 && c <= 0x7e;
	default:
		return (c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t';
	}
}

static const uint8_t kind_cls[4] = {
	[HC_KIND_TCHAR] = HC_TCHAR, [HC_KIND_FIELD] = HC_FIELD,
	[HC_KIND_TARGET] = HC_TARGET, [HC_KIND_HOST] = HC_HOST,
};

static size_t ref_span(int kind, const uint8_t *s, const uint8_t *end)
{
	const uint8_t *q = s;
	while (q < end && ref_in(kind, *q))
		q++;
	return (size_t)(q - s);
}

/* The compile-time table agrees with the grammar. */
static void test_class_table(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		for (int k = 0; k < 4; k++)
			assert_int_equal(!!(hc_class[c] & kind_cls[k]), ref_in(k, (uint8_t)c));
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		assert_int_equal(!!(hc_class[c] & HC_HEX), hex);
		if (hex)
			assert_int_equal(hc_hexval((uint8_t)c),
					 (unsigned)strtoul((char[]){ (char)c, 0 }, NULL, 16));
	}
}

/*
 * For buffer lengths 1..100: fill with class members, put one probe byte
 * (each of the 256 values) at one position, and compare the span from every
 * start offset (hc_span) and the window span from every line start and
 * every `from` (hc_win_span) with the reference.
 */
static void test_spans_every_byte_every_position(void **state)
{
	(void)state;
	static const uint8_t fill[4] = {
		[HC_KIND_TCHAR] = 'a', [HC_KIND_FIELD] = 'v',
		[HC_KIND_TARGET] = '/', [HC_KIND_HOST] = '1',
	};
	for (size_t len = 1; len <= 100; len += (len < 40 ? 1 : 7)) {
		uint8_t *buf = malloc(len);
		assert_non_null(buf);
		const uint8_t *end = buf + len;
		for (int kind = 0; kind < 4; kind++) {
			for (size_t pos = 0; pos < len; pos += (len < 40 ? 1 : 5)) {
				for (int c = 0; c < 256; c++) {
					memset(buf, fill[kind], len);
					buf[pos] = (uint8_t)c;
					for (size_t st = 0; st <= len; st += (len < 40 ? 1 : 3)) {
						size_t want = ref_span(kind, buf + st, end);
						assert_int_equal(hc_span(buf, buf + st, end, kind,
									 kind_cls[kind]), want);
					}
					/* windows (names and values): q = line start, from within and past 32 */
					if (kind != HC_KIND_TCHAR && kind != HC_KIND_FIELD)
						continue;
					for (size_t q = 0; q < len; q += (len < 40 ? 3 : 11)) {
						struct hc_win w;
						hc_win_at(&w, buf, buf + q, end);
						for (size_t from = 0; q + from <= len; from += 5) {
							size_t want = from + ref_span(kind, buf + q + from, end);
							assert_int_equal(hc_win_span(&w, buf, buf + q, end, from,
										     kind, kind_cls[kind]),
									 want);
						}
					}
				}
			}
		}
		free(buf);
	}
}

/* A field line's name: its length when followed by ':', else 0. */
static void test_field_name_and_end(void **state)
{
	(void)state;
	const char *lines[] = { "Host: x\r\n", "Content-Length: 12\r\n", "X:\r\n",
				"Bad Name: x\r\n", ": x\r\n", "NoColon\r\n",
				"Name:value with\ttab and \x80obs\r\n", "Name: ctl\x01here\r\n",
				"Name: bare\rcr\r\n", "Name: del\x7f\r\n" };
	const size_t want_j[] = { 4, 14, 1, 0, 0, 0, 4, 4, 4, 4 };
	const int want_crlf[] = { 1, 1, 1, -1, -1, -1, 1, 0, 0, 0 };
	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		size_t n = strlen(lines[k]);
		for (size_t pad = 0; pad < 70; pad += 23) {
			/* the line at the start of a buffer, with pad bytes after it */
			uint8_t *buf = malloc(n + pad);
			memcpy(buf, lines[k], n);
			memset(buf + n, 'z', pad);
			struct hc_win w;
			size_t j = hc_field_name(&w, buf, buf, buf + n + pad);
			assert_int_equal(j, want_j[k]);
			if (j) {
				size_t e = hc_field_end(&w, buf, buf, buf + n + pad, j + 1);
				assert_int_equal(e != 0, want_crlf[k] == 1);
				if (e)
					assert_int_equal(e, n - 2);
			}
			free(buf);
		}
	}
}

/* hc_name_eq: exact ASCII case folding, nothing else folds. */
static void test_name_eq(void **state)
{
	(void)state;
	const char *names[] = { "host", "expect", "connection", "content-length",
				"transfer-encoding", "close", "keep-alive" };
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t n = strlen(names[k]);
		uint8_t *buf = malloc(n);
		for (size_t pos = 0; pos < n; pos++) {
			for (int c = 0; c < 256; c++) {
				memcpy(buf, names[k], n);
				buf[pos] = (uint8_t)c;
				bool want = strncasecmp((const char *)buf, names[k], n) == 0 &&
					    memchr(buf, 0, n) == NULL;
				bool got;
				switch (n) {  /* constant lengths, as the parsers call it */
				case 4: got = hc_name_eq(buf, names[k], 4); break;
				case 5: got = hc_name_eq(buf, names[k], 5); break;
				case 6: got = hc_name_eq(buf, names[k], 6); break;
				case 10: got = hc_name_eq(buf, names[k], 10); break;
				case 14: got = hc_name_eq(buf, names[k], 14); break;
				default: got = hc_name_eq(buf, names[k], 17); break;
				}
				assert_int_equal(got, want);
			}
		}
		free(buf);
	}
}

static int elem_run(const char *value, const char *const cands[2], int *count)
{
	struct hc_elem e;
	int last = -1;
	memset(&e, 0, sizeof(e));
	for (const char *c = value;; c++) {
		if (*c == ',' || *c == '\0') {
			int h = hc_elem_finish(&e, cands);
			if (h >= 0)
				last = h;
			if (*c == '\0')
				break;
		} else {
			hc_elem_byte(&e, (uint8_t)*c);
		}
	}
	*count = e.count;
	return last;
}

/* The list-element matcher (RFC 9110 §5.6.1): OWS, empty elements, case. */
static void test_list_elements(void **state)
{
	(void)state;
	const char *const conn[2] = { "close", "keep-alive" };
	int n;
	assert_int_equal(elem_run(" Keep-Alive ", conn, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(elem_run("close", conn, &n), 0);
	assert_int_equal(elem_run(" , ,close , ", conn, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(elem_run("clo se", conn, &n), 2);  /* whitespace inside */
	assert_int_equal(elem_run("upgrade, keep-alive-x", conn, &n), 2);
	assert_int_equal(n, 2);
	assert_int_equal(elem_run("", conn, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(elem_run("keep-alive-and-more-than-twelve", conn, &n), 2);
}

static void test_ows_and_numbers(void **state)
{
	(void)state;
	const uint8_t *v = (const uint8_t *)" \t 615 \t";
	size_t a = hc_skip_ows(v, 0, 8), z = hc_trim_ows(v, a, 8);
	assert_int_equal(a, 3);
	assert_int_equal(z, 6);
	uint64_t x = 1;
	assert_true(hc_plain_number(v, a, z, &x));
	assert_int_equal(x, 615);
	const uint8_t *big = (const uint8_t *)"99999999999999999999";  /* 20 digits */
	assert_false(hc_plain_number(big, 0, 20, &x));
	assert_true(hc_plain_number(big, 0, 19, &x));
	assert_int_equal(x, 9999999999999999999ull);
	assert_false(hc_plain_number(v, a, a, &x));  /* empty */
	assert_false(hc_plain_number((const uint8_t *)"+5", 0, 2, &x));
	assert_false(hc_plain_number((const uint8_t *)"5,5", 0, 3, &x));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_table),
		cmocka_unit_test(test_spans_every_byte_every_position),
		cmocka_unit_test(test_field_name_and_end),
		cmocka_unit_test(test_name_eq),
		cmocka_unit_test(test_list_elements),
		cmocka_unit_test(test_ows_and_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
