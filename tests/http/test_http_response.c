/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for hare-httpd response heads (apps/hare-httpd/http_response.c):
 * exact bytes, IMF-fixdate against libc's gmtime/strftime, the per-second
 * Date refresh of templates, error responses and Content-Type by extension.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "http_response.h"

/* RFC 9110 §5.6.7's own example date. */
#define EXAMPLE_SEC 784111777
#define EXAMPLE_DATE "Sun, 06 Nov 1994 08:49:37 GMT"

static void test_date_example(void **state)
{
	(void)state;
	char out[HTTP_DATE_LEN + 1];
	http_date_format(EXAMPLE_SEC, out);
	assert_string_equal(out, EXAMPLE_DATE);
	http_date_format(0, out);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format(951782400, out);  /* leap day of a 400-year leap year */
	assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_date_format(4107542399, out); /* 2100 is not a leap year */
	assert_string_equal(out, "Sun, 28 Feb 2100 23:59:59 GMT");
	http_date_format(4107542400, out);
	assert_string_equal(out, "Mon, 01 Mar 2100 00:00:00 GMT");
}

/* Compare with glibc over many seconds, in the C locale (names are English). */
static void test_date_against_libc(void **state)
{
	(void)state;
	uint64_t s = 88172645463325252ull;
	for (int i = 0; i < 300000; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		int64_t sec = (int64_t)(s % 253402300800ull);  /* up to 9999-12-31 */
		if (i < 1000)
			sec = (int64_t)i * 86399;                 /* dense near the epoch */
		char ours[HTTP_DATE_LEN + 1], ref[64];
		time_t t = (time_t)sec;
		struct tm tm;
		assert_non_null(gmtime_r(&t, &tm));
		size_t n = strftime(ref, sizeof(ref), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		assert_int_equal(n, HTTP_DATE_LEN);
		http_date_format(sec, ours);
		if (strcmp(ours, ref) != 0) {
			print_error("sec %lld: ours \"%s\" libc \"%s\"\n", (long long)sec, ours, ref);
			fail();
		}
	}
}

static void test_date_cache(void **state)
{
	(void)state;
	struct http_date_cache dc;
	http_date_init(&dc, EXAMPLE_SEC);
	assert_string_equal(dc.text, EXAMPLE_DATE);
	assert_false(http_date_update(&dc, EXAMPLE_SEC));
	assert_true(http_date_update(&dc, EXAMPLE_SEC + 1));
	assert_string_equal(dc.text, "Sun, 06 Nov 1994 08:49:38 GMT");
}

static void test_exact_head(void **state)
{
	(void)state;
	struct http_date_cache dc;
	http_date_init(&dc, EXAMPLE_SEC);
	char buf[512];
	size_t n = http_resp_head_build(buf, sizeof(buf), 200, 64, "text/html; charset=utf-8",
					true, NULL, &dc);
	const char *want = "HTTP/1.1 200 OK\r\n"
			   "Server: hare\r\n"
			   "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "Content-Type: text/html; charset=utf-8\r\n"
			   "Content-Length: 64\r\n"
			   "Connection: keep-alive\r\n"
			   "\r\n";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);

	n = http_resp_head_build(buf, sizeof(buf), 404, 0, NULL, false, "X-A: b\r\n", &dc);
	want = "HTTP/1.1 404 Not Found\r\n"
	       "Server: hare\r\n"
	       "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	       "Content-Length: 0\r\n"
	       "Connection: close\r\n"
	       "X-A: b\r\n"
	       "\r\n";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);

	/* 204: no Content-Length (RFC 9110 §8.6) */
	n = http_resp_head_build(buf, sizeof(buf), 204, 99, NULL, true, NULL, &dc);
	buf[n] = '\0';
	assert_null(strstr(buf, "Content-Length"));
	assert_non_null(strstr(buf, "HTTP/1.1 204 No Content\r\n"));

	/* big lengths print in full */
	n = http_resp_head_build(buf, sizeof(buf), 200, 18446744073709551615ull, NULL, true, NULL,
				 &dc);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\r\nContent-Length: 18446744073709551615\r\n"));

	/* refusals: no room, bad status */
	assert_int_equal(http_resp_head_build(buf, 50, 200, 1, NULL, true, NULL, &dc), 0);
	assert_int_equal(http_resp_head_build(buf, sizeof(buf), 99, 1, NULL, true, NULL, &dc), 0);
	assert_int_equal(http_resp_head_build(buf, sizeof(buf), 600, 1, NULL, true, NULL, &dc), 0);
	/* one byte short of the exact size fails, the exact size works */
	size_t exact = http_resp_head_build(buf, sizeof(buf), 200, 64, NULL, true, NULL, &dc);
	assert_int_equal(http_resp_head_build(buf, exact - 1, 200, 64, NULL, true, NULL, &dc), 0);
	assert_int_equal(http_resp_head_build(buf, exact, 200, 64, NULL, true, NULL, &dc), exact);
}

static void test_template_refresh(void **state)
{
	(void)state;
	struct http_date_cache dc;
	struct http_resp_tmpl t;
	http_date_init(&dc, EXAMPLE_SEC);
	assert_int_equal(http_resp_tmpl_init(&t, 200, 5, "text/plain; charset=utf-8", false, NULL,
					     &dc), 0);
	char a[512], b[512];
	size_t na = http_resp_tmpl_write(&t, &dc, a, sizeof(a));
	size_t nb = http_resp_head_build(b, sizeof(b), 200, 5, "text/plain; charset=utf-8",
					 false, NULL, &dc);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_int_equal(t.head_len, t.len);

	/* a second later the template carries the new Date, nothing else moves */
	http_date_update(&dc, EXAMPLE_SEC + 3600);
	na = http_resp_tmpl_write(&t, &dc, a, sizeof(a));
	nb = http_resp_head_build(b, sizeof(b), 200, 5, "text/plain; charset=utf-8", false, NULL,
				  &dc);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	a[na] = '\0';
	assert_non_null(strstr(a, "Date: Sun, 06 Nov 1994 09:49:37 GMT\r\n"));
	assert_int_equal(http_resp_tmpl_write(&t, &dc, a, na - 1), 0);

	/* a template too large for HTTP_RESP_TMPL_MAX is refused */
	char extra[600];
	memset(extra, 'x', sizeof(extra) - 3);
	memcpy(extra + sizeof(extra) - 3, "\r\n", 3);
	assert_int_equal(http_resp_tmpl_init(&t, 200, 5, NULL, true, extra, &dc), -1);
}

static void test_error_templates(void **state)
{
	(void)state;
	struct http_date_cache dc;
	struct http_resp_tmpl t;
	http_date_init(&dc, EXAMPLE_SEC);
	static const unsigned codes[] = { 400, 404, 405, 408, 411, 413, 414, 417, 431, 500, 501,
					  503, 505 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(http_resp_error_tmpl_init(&t, codes[i], false, &dc), 0);
		char buf[600];
		size_t n = http_resp_tmpl_write(&t, &dc, buf, sizeof(buf));
		buf[n] = '\0';
		char line[80], body[80];
		snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", codes[i],
			 http_status_reason(codes[i]));
		snprintf(body, sizeof(body), "%u %s\n", codes[i], http_status_reason(codes[i]));
		assert_int_equal(strncmp(buf, line, strlen(line)), 0);
		assert_string_equal(buf + t.head_len, body);
		char cl[40];
		snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(body));
		assert_non_null(strstr(buf, cl));
		assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
		assert_int_equal(strstr(buf, "\r\nAllow: GET, HEAD\r\n") != NULL, codes[i] == 405);
		assert_string_not_equal(http_status_reason(codes[i]), "Unknown");
	}
	assert_string_equal(http_status_reason(413), "Content Too Large");
	assert_string_equal(http_status_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_reason(299), "Unknown");
	assert_int_equal(http_resp_error_tmpl_init(&t, 404, true, &dc), 0);
	t.buf[t.len] = '\0';
	assert_non_null(strstr(t.buf, "\r\nConnection: keep-alive\r\n"));
}

static void test_100_continue(void **state)
{
	(void)state;
	assert_string_equal(HTTP_RESP_100_CONTINUE, "HTTP/1.1 100 Continue\r\n\r\n");
}

static void test_content_type(void **state)
{
	(void)state;
	static const struct {
		const char *path, *type;
	} cs[] = {
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/INDEX.HTM", "text/html; charset=utf-8" },
		{ "/s/site.css", "text/css; charset=utf-8" },
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/m.mjs", "text/javascript; charset=utf-8" },
		{ "/d.json", "application/json" },
		{ "/r.txt", "text/plain; charset=utf-8" },
		{ "/i.png", "image/png" },
		{ "/i.JPG", "image/jpeg" },
		{ "/i.jpeg", "image/jpeg" },
		{ "/i.gif", "image/gif" },
		{ "/i.svg", "image/svg+xml" },
		{ "/favicon.ico", "image/x-icon" },
		{ "/m.wasm", "application/wasm" },
		{ "/doc.pdf", "application/pdf" },
		{ "/archive.tar.gz", "application/octet-stream" },
		{ "/noext", "application/octet-stream" },
		{ "/dir.html/file", "application/octet-stream" },
		{ "/.html", "application/octet-stream" },      /* a dotfile, no extension */
		{ "/file.", "application/octet-stream" },
		{ "/file.htmlx", "application/octet-stream" },
		{ "/file.htm", "text/html; charset=utf-8" },
		{ "", "application/octet-stream" },
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		const char *got = http_content_type(cs[i].path, strlen(cs[i].path));
		if (strcmp(got, cs[i].type) != 0) {
			print_error("\"%s\": got \"%s\" want \"%s\"\n", cs[i].path, got, cs[i].type);
			fail();
		}
	}
	/* the length is honoured: "/a.html.bak" cut after ".html" */
	assert_string_equal(http_content_type("/a.html.bak", 7), "text/html; charset=utf-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_example),
		cmocka_unit_test(test_date_against_libc),
		cmocka_unit_test(test_date_cache),
		cmocka_unit_test(test_exact_head),
		cmocka_unit_test(test_template_refresh),
		cmocka_unit_test(test_error_templates),
		cmocka_unit_test(test_100_continue),
		cmocka_unit_test(test_content_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
