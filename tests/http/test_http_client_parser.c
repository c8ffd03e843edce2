/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the hare-load response parser (apps/hare-load/http_client_parser.c):
 * every split point, Content-Length / chunked / until-close bodies, interim
 * responses, keep-alive, pipelining and malformed input by error kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_client_parser.h"

#define MAX_RESP 6

/* What one response looked like to the caller. */
struct resp_out {
	enum http_resp_result rc;     /* COMPLETE or ERROR */
	enum http_resp_error error;
	uint16_t status;
	uint8_t status_class, minor;
	bool keep_alive;
	enum http_resp_body body_kind;
	uint64_t body_bytes, wire_bytes;
	size_t end_offset;
	char body[8192];
	size_t body_len;
};

struct run_out {
	struct resp_out r[MAX_RESP];
	int n;
	enum http_resp_result last;   /* result at end of stream (before eof) */
};

static int body_sink(void *ctx, const uint8_t *d, size_t n)
{
	struct resp_out *r = ctx;
	if (r->body_len + n > sizeof(r->body))
		return -1;
	memcpy(r->body + r->body_len, d, n);
	r->body_len += n;
	return 0;
}

static void take(struct resp_out *o, const struct http_resp_parser *p, enum http_resp_result rc,
		 size_t end)
{
	o->rc = rc;
	o->error = p->error;
	o->status = p->status;
	o->status_class = p->status_class;
	o->minor = p->version_minor;
	o->keep_alive = p->keep_alive;
	o->body_kind = p->body_kind;
	o->body_bytes = p->body_bytes;
	o->wire_bytes = p->wire_bytes;
	o->end_offset = end;
}

/*
 * Parse `msg` cut at `cuts` (sorted), each piece its own heap copy; `heads`
 * says which responses answer a HEAD. With `eof` the connection closes after
 * the last byte.
 */
/* Head memo for run_cuts' parsers; NULL: none (most tests). */
static struct http_resp_memo *g_memo;

static void run_cuts(const char *msg, size_t len, const size_t *cuts, int ncuts,
		     const bool *heads, bool eof, struct run_out *out)
{
	struct http_resp_parser p;
	memset(out, 0, sizeof(*out));
	struct resp_out *cur = &out->r[0];
	http_resp_init(&p, 0, body_sink, cur);
	http_resp_set_memo(&p, g_memo);
	http_resp_begin(&p, heads && heads[0]);
	size_t start = 0;
	bool stop = false;
	enum http_resp_result rc = HTTP_RESP_NEED_MORE;
	for (int k = 0; k <= ncuts && !stop; k++) {
		size_t end = k < ncuts ? cuts[k] : len;
		size_t plen = end - start;
		uint8_t *piece = malloc(plen ? plen : 1);
		assert_non_null(piece);
		memcpy(piece, msg + start, plen);
		size_t off = 0;
		while (off < plen) {
			size_t used;
			rc = http_resp_feed(&p, piece + off, plen - off, &used);
			assert_true(used <= plen - off);
			off += used;
			if (rc == HTTP_RESP_NEED_MORE) {
				assert_int_equal(off, plen);
				break;
			}
			take(cur, &p, rc, start + off);
			out->n++;
			if (rc == HTTP_RESP_ERROR || out->n == MAX_RESP) {
				stop = true;
				break;
			}
			cur = &out->r[out->n];
			p.body_ctx = cur;
			http_resp_begin(&p, heads && heads[out->n]);
			rc = HTTP_RESP_NEED_MORE;
		}
		free(piece);
		start = end;
	}
	out->last = rc;
	if (eof && !stop) {
		size_t last_end = out->n ? out->r[out->n - 1].end_offset : 0;
		if (last_end < len || p.head_done || out->n == 0) {
			rc = http_resp_eof(&p);
			take(cur, &p, rc, len);
			out->n++;
		}
	}
}

static void run_whole(const char *msg, const bool *heads, bool eof, struct run_out *out)
{
	run_cuts(msg, strlen(msg), NULL, 0, heads, eof, out);
}

static void assert_same(const struct run_out *a, const struct run_out *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		const struct resp_out *x = &a->r[i], *y = &b->r[i];
		assert_int_equal(x->rc, y->rc);
		assert_int_equal(x->error, y->error);
		assert_int_equal(x->end_offset, y->end_offset);
		assert_int_equal(x->status, y->status);
		assert_int_equal(x->keep_alive, y->keep_alive);
		assert_int_equal(x->body_kind, y->body_kind);
		assert_int_equal(x->body_bytes, y->body_bytes);
		assert_int_equal(x->body_len, y->body_len);
		assert_memory_equal(x->body, y->body, x->body_len);
		if (x->rc == HTTP_RESP_COMPLETE)
			assert_int_equal(x->wire_bytes, y->wire_bytes);
	}
}

/* Every single cut, one byte at a time, and (for short inputs) every pair. */
static void check_splits(const char *msg, const bool *heads, bool eof, bool pairs)
{
	size_t len = strlen(msg);
	struct run_out ref, got;
	run_whole(msg, heads, eof, &ref);
	for (size_t i = 0; i <= len; i++) {
		run_cuts(msg, len, &i, 1, heads, eof, &got);
		assert_same(&ref, &got);
	}
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	assert_non_null(cuts);
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	run_cuts(msg, len, cuts, len ? (int)(len - 1) : 0, heads, eof, &got);
	assert_same(&ref, &got);
	free(cuts);
	if (pairs)
		for (size_t i = 0; i <= len; i++)
			for (size_t j = i; j <= len; j++) {
				size_t c2[2] = { i, j };
				run_cuts(msg, len, c2, 2, heads, eof, &got);
				assert_same(&ref, &got);
			}
}

/* ---- valid responses ---------------------------------------------------- */

static void test_content_length(void **state)
{
	(void)state;
	const char *m = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 11\r\n"
			"Content-Type: text/plain\r\n\r\nhello world";
	struct run_out o;
	run_whole(m, NULL, false, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].status, 200);
	assert_int_equal(o.r[0].status_class, 2);
	assert_int_equal(o.r[0].minor, 1);
	assert_true(o.r[0].keep_alive);
	assert_int_equal(o.r[0].body_kind, HTTP_RESP_BODY_LENGTH);
	assert_int_equal(o.r[0].body_bytes, 11);
	assert_memory_equal(o.r[0].body, "hello world", 11);
	assert_int_equal(o.r[0].wire_bytes, strlen(m));
	check_splits(m, NULL, false, true);
	/* a close before the end is a short body, at every split */
	char trunc[200];
	snprintf(trunc, sizeof(trunc), "%.*s", (int)strlen(m) - 3, m);
	run_whole(trunc, NULL, true, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].rc, HTTP_RESP_ERROR);
	assert_int_equal(o.r[0].error, HTTP_RESP_ERR_SHORT_BODY);
	assert_int_equal(o.r[0].body_bytes, 8);
	check_splits(trunc, NULL, true, false);
}

static void test_chunked_ext_trailers(void **state)
{
	(void)state;
	const char *m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
			"4;name=value;q=\"x y\"\r\nWiki\r\n"
			"5 ; ext\r\npedia\r\n"
			"000E\r\n in\r\n\r\nchunks.\r\n"
			"0;last\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
	struct run_out o;
	run_whole(m, NULL, false, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].body_kind, HTTP_RESP_BODY_CHUNKED);
	assert_int_equal(o.r[0].body_bytes, 23);
	assert_memory_equal(o.r[0].body, "Wikipedia in\r\n\r\nchunks.", 23);
	assert_int_equal(o.r[0].end_offset, strlen(m));
	assert_true(o.r[0].keep_alive);
	check_splits(m, NULL, false, false);

	/* chunked followed by a pipelined response */
	const char *two = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
			  "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
	run_whole(two, NULL, false, &o);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.r[1].status, 404);
	assert_int_equal(o.r[1].status_class, 4);
	assert_memory_equal(o.r[1].body, "no", 2);
	check_splits(two, NULL, false, true);

	/* a big chunk with leading zeros in its size */
	char *big = malloc(70000);
	assert_non_null(big);
	size_t n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "0000000000000000000000000000fff0\r\n");
	memset(big + n, 'B', 0xfff0);
	n += 0xfff0;
	strcpy(big + n, "\r\n0\r\n\r\n");
	struct http_resp_parser p;
	http_resp_init(&p, 0, NULL, NULL);
	size_t used;
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)big, strlen(big), &used),
			 HTTP_RESP_COMPLETE);
	assert_int_equal(used, strlen(big));
	assert_int_equal(p.body_bytes, 0xfff0);
	free(big);

	/* closing inside a chunked body is a short body */
	run_whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", NULL, true, &o);
	assert_int_equal(o.r[0].error, HTTP_RESP_ERR_SHORT_BODY);
	run_whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n", NULL, true,
		  &o);
	assert_int_equal(o.r[0].error, HTTP_RESP_ERR_SHORT_BODY);
}

static void test_until_close(void **state)
{
	(void)state;
	const char *m = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstream until close";
	struct run_out o;
	run_whole(m, NULL, true, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].body_kind, HTTP_RESP_BODY_UNTIL_CLOSE);
	assert_false(o.r[0].keep_alive);
	assert_int_equal(o.r[0].body_bytes, 18);
	check_splits(m, NULL, true, true);
	/* without the close it is not finished */
	run_whole(m, NULL, false, &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.last, HTTP_RESP_NEED_MORE);
	/* a coding other than final chunked: read until close (RFC 9112 §6.3) */
	run_whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz", NULL, true, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].body_kind, HTTP_RESP_BODY_UNTIL_CLOSE);
	assert_int_equal(o.r[0].body_bytes, 3);
	/* an empty until-close body */
	run_whole("HTTP/1.0 200 OK\r\n\r\n", NULL, true, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].body_bytes, 0);
}

static void test_no_body_cases(void **state)
{
	(void)state;
	struct run_out o;
	bool heads[MAX_RESP] = { true, false, false };
	/* HEAD answer with a Content-Length, then a GET answer on the same stream */
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
			"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
			"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
			"HTTP/1.1 200 OK";
	run_whole(m, heads, false, &o);
	assert_int_equal(o.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o.r[i].rc, HTTP_RESP_COMPLETE);
		assert_int_equal(o.r[i].body_kind, HTTP_RESP_BODY_NONE);
		assert_int_equal(o.r[i].body_bytes, 0);
		assert_true(o.r[i].keep_alive);
	}
	assert_int_equal(o.r[0].status, 200);
	assert_int_equal(o.r[1].status, 204);
	assert_int_equal(o.r[2].status, 304);
	check_splits(m, heads, false, false);

	/* Content-Length: 0 completes right after the head */
	run_whole("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", NULL, false, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].body_kind, HTTP_RESP_BODY_NONE);
}

static void test_interim_responses(void **state)
{
	(void)state;
	const char *m = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
			"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
	struct run_out o;
	run_whole(m, NULL, false, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].status, 201);
	assert_int_equal(o.r[0].body_bytes, 2);
	assert_int_equal(o.r[0].end_offset, strlen(m));
	check_splits(m, NULL, false, false);
	run_whole("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", NULL, false, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_ERROR);
	assert_int_equal(o.r[0].error, HTTP_RESP_ERR_PARSE);
}

static void test_keep_alive_rules(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		bool ka;
	} cs[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true },
		{ "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", true },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false },
		{ "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true },
		{ "HTTP/1.0 200 OK\r\nconnection: KEEP-ALIVE \r\nContent-Length: 0\r\n\r\n", true },
		{ "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", true },
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct run_out o;
		run_whole(cs[i].m, NULL, false, &o);
		assert_int_equal(o.n, 1);
		assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
		if (o.r[0].keep_alive != cs[i].ka) {
			print_error("case %zu: keep_alive %d\n", i, o.r[0].keep_alive);
			fail();
		}
	}
}

static void test_status_lines(void **state)
{
	(void)state;
	struct run_out o;
	run_whole("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", NULL, false, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);   /* no reason phrase */
	run_whole("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", NULL, false, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);   /* empty reason phrase */
	run_whole("HTTP/1.1 599 Any \t reason \xff\r\nContent-Length: 0\r\n\r\n", NULL, false, &o);
	assert_int_equal(o.r[0].status, 599);
	assert_int_equal(o.r[0].status_class, 5);
}

/* ---- malformed input ---------------------------------------------------- */

static void test_bad_inputs(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		enum http_resp_error err;
	} cs[] = {
		{ "HTTP/1.1 2OO OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 099 Low\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 600 High\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 2000 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 20 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1  200 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/2 200 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/2.0 200 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "http/1.1 200 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "XTTP/1.1 200 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "<html>garbage</html>", HTTP_RESP_ERR_PARSE },
		{ "\r\nHTTP/1.1 200 OK\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\nContent-Length: 0\n\n", HTTP_RESP_ERR_PARSE },      /* bare LF */
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", HTTP_RESP_ERR_PARSE },  /* bare CR */
		{ "HTTP/1.1 200 O\x01K\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", HTTP_RESP_ERR_PARSE },
		/* lengths */
		{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding:  \r\n\r\n", HTTP_RESP_ERR_PARSE },
		/* chunk framing */
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5g\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;\x01\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 z\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", HTTP_RESP_ERR_PARSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", HTTP_RESP_ERR_PARSE },
		/* closes */
		{ "", HTTP_RESP_ERR_CLOSED },
		{ "HTTP/1.1 200 OK\r\nContent-Le", HTTP_RESP_ERR_CLOSED },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc", HTTP_RESP_ERR_SHORT_BODY },
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct run_out o;
		run_whole(cs[i].m, NULL, true, &o);
		if (o.n != 1 || o.r[0].rc != HTTP_RESP_ERROR || o.r[0].error != cs[i].err) {
			print_error("case %zu \"%s\": n=%d rc=%d err=%s want %s\n", i, cs[i].m, o.n,
				    o.n ? (int)o.r[0].rc : -1,
				    o.n ? http_resp_error_name(o.r[0].error) : "-",
				    http_resp_error_name(cs[i].err));
			fail();
		}
		assert_false(o.r[0].keep_alive);
		check_splits(cs[i].m, NULL, true, false);
	}
	/* identical repeated lengths are accepted (RFC 9112 §6.3 rule 5) */
	struct run_out o;
	run_whole("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc", NULL,
		  false, &o);
	assert_int_equal(o.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(o.r[0].body_bytes, 3);
	/* largest representable length parses */
	run_whole("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nab", NULL, false,
		  &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.last, HTTP_RESP_NEED_MORE);
	assert_string_equal(http_resp_error_name(HTTP_RESP_ERR_SHORT_BODY), "short_body");
}

static void test_bounds(void **state)
{
	(void)state;
	struct http_resp_parser p;
	size_t used;
	char buf[600];
	/* head over max_head */
	http_resp_init(&p, 100, NULL, NULL);
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nX-Pad: %0100d\r\n\r\n", 0);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)buf, (size_t)n, &used), HTTP_RESP_ERROR);
	assert_int_equal(p.error, HTTP_RESP_ERR_HEAD_TOO_LARGE);
	/* exactly max_head is fine */
	http_resp_init(&p, 100, NULL, NULL);
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: %0*d\r\n\r\n",
		     100 - 17 - 19 - 3 - 4, 0);
	assert_int_equal(n, 100);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)buf, (size_t)n, &used),
			 HTTP_RESP_COMPLETE);
	/* trailers over max_head */
	http_resp_init(&p, 100, NULL, NULL);
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
		     "T: %0100d\r\n\r\n", 0);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)buf, (size_t)n, &used), HTTP_RESP_ERROR);
	assert_int_equal(p.error, HTTP_RESP_ERR_HEAD_TOO_LARGE);
	/* endless chunk extension */
	http_resp_init(&p, 0, NULL, NULL);
	const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;";
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)h, strlen(h), &used), HTTP_RESP_NEED_MORE);
	memset(buf, 'e', sizeof(buf));
	enum http_resp_result r = HTTP_RESP_NEED_MORE;
	for (int k = 0; k < 20 && r == HTTP_RESP_NEED_MORE; k++)
		r = http_resp_feed(&p, (const uint8_t *)buf, sizeof(buf), &used);
	assert_int_equal(r, HTTP_RESP_ERROR);
	assert_int_equal(p.error, HTTP_RESP_ERR_PARSE);
}

static int abort_cb(void *ctx, const uint8_t *d, size_t n)
{
	(void)d;
	size_t *seen = ctx;
	*seen += n;
	return *seen >= 4 ? 1 : 0;
}

static void test_callback_abort_and_misuse(void **state)
{
	(void)state;
	struct http_resp_parser p;
	size_t seen = 0, used;
	http_resp_init(&p, 0, abort_cb, &seen);
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)m, strlen(m), &used), HTTP_RESP_NEED_MORE);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)"ab", 2, &used), HTTP_RESP_NEED_MORE);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)"cd", 2, &used), HTTP_RESP_ERROR);
	assert_int_equal(p.error, HTTP_RESP_ERR_ABORTED);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)"ef", 2, &used), HTTP_RESP_ERROR);
	assert_int_equal(used, 0);

	/* bytes after a complete response without begin(): reported */
	http_resp_init(&p, 0, NULL, NULL);
	const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP";
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)two, strlen(two), &used),
			 HTTP_RESP_COMPLETE);
	assert_int_equal(used, strlen(two) - 4);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)two + used, 4, &used), HTTP_RESP_ERROR);
	assert_int_equal(p.error, HTTP_RESP_ERR_PARSE);
}


/* Mutated responses: same verdict whole and cut at random points, no crash. */
static void test_mutation_split_invariance(void **state)
{
	(void)state;
	static const char *seeds[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhelloHTTP/1.1 204 No\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 100 Continue\r\n\r\nHTTP/1.0 404 Not Found\r\n\r\nbody until close",
	};
	static const char alphabet[] = "\r\n :;,0123456789aAfF-\t/.HTP\x00\x7f\x80";
	uint64_t s = 0x13198a2e03707344ull;
	for (int iter = 0; iter < 30000; iter++) {
		char msg[256];
		const char *seed = seeds[iter % 3];
		size_t len = strlen(seed);
		memcpy(msg, seed, len);
		int nmut = 1 + (int)(s % 3);
		for (int k = 0; k < nmut; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			size_t pos = (size_t)(s >> 8) % len;
			char c = alphabet[(s >> 40) % (sizeof(alphabet) - 1)];
			switch (s % 3) {
			case 0:
				msg[pos] = c;
				break;
			case 1:
				if (len < sizeof(msg) - 1) {
					memmove(msg + pos + 1, msg + pos, len - pos);
					msg[pos] = c;
					len++;
				}
				break;
			default:
				memmove(msg + pos, msg + pos + 1, len - pos - 1);
				len--;
			}
		}
		bool eof = iter & 1;
		struct run_out ref, got;
		run_cuts(msg, len, NULL, 0, NULL, eof, &ref);
		size_t cuts[2];
		for (int k = 0; k < 2; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			cuts[k] = (size_t)(s % (len + 1));
		}
		if (cuts[1] < cuts[0]) {
			size_t t = cuts[0];
			cuts[0] = cuts[1];
			cuts[1] = t;
		}
		run_cuts(msg, len, cuts, 2, NULL, eof, &got);
		assert_same(&ref, &got);
	}
}

/* ---- head memo ----------------------------------------------------------- */

static const char nginx_resp[] = "HTTP/1.1 200 OK\r\n"
				 "Server: nginx/1.22.1\r\n"
				 "Date: Tue, 14 May 2024 10:21:07 GMT\r\n"
				 "Content-Type: text/html\r\n"
				 "Content-Length: 64\r\n"
				 "Last-Modified: Tue, 14 May 2024 10:20:51 GMT\r\n"
				 "Connection: keep-alive\r\n"
				 "ETag: \"66433b73-40\"\r\n"
				 "Accept-Ranges: bytes\r\n"
				 "\r\n"
				 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Same results with a memo as without, warm or cold, whole and at every split. */
static void check_memo(const char *msg, const bool *heads, bool eof)
{
	static struct http_resp_memo memo;
	struct run_out ref, got;
	g_memo = NULL;
	run_whole(msg, heads, eof, &ref);
	memset(&memo, 0, sizeof(memo));
	g_memo = &memo;
	for (int k = 0; k < 3; k++) {   /* cold, then warm */
		run_whole(msg, heads, eof, &got);
		assert_same(&ref, &got);
	}
	check_splits(msg, heads, eof, false);
	g_memo = NULL;
}

static void test_memo(void **state)
{
	(void)state;
	static struct http_resp_memo memo;
	struct run_out ref, got;

	/* the nginx response: parsed once, then taken from the memo */
	memset(&memo, 0, sizeof(memo));
	g_memo = &memo;
	for (int k = 0; k < 4; k++) {
		run_whole(nginx_resp, NULL, false, &got);
		assert_int_equal(got.n, 1);
		assert_int_equal(got.r[0].rc, HTTP_RESP_COMPLETE);
		assert_int_equal(got.r[0].status, 200);
		assert_true(got.r[0].keep_alive);
		assert_int_equal(got.r[0].body_bytes, 64);
		assert_int_equal(got.r[0].wire_bytes, strlen(nginx_resp));
	}
	assert_int_equal(memo.misses, 1);
	assert_int_equal(memo.hits, 3);
	/* one byte different anywhere in the head: parsed again, same answer as without */
	size_t hlen = strstr(nginx_resp, "\r\n\r\n") + 4 - nginx_resp;
	char msg[sizeof(nginx_resp)];
	for (size_t i = 0; i < hlen; i++) {
		static const char subst[] = "\x01\t\r\n :,0Xx\x7f\x80";
		for (const char *c = subst; *c; c++) {
			memcpy(msg, nginx_resp, sizeof(nginx_resp));
			if (msg[i] == *c)
				continue;
			msg[i] = *c;
			g_memo = NULL;
			run_whole(msg, NULL, true, &ref);
			g_memo = &memo;
			run_whole(nginx_resp, NULL, false, &got);  /* the memo holds the original */
			uint64_t hits = memo.hits;
			run_whole(msg, NULL, true, &got);
			assert_same(&ref, &got);
			assert_int_equal(memo.hits, hits);
		}
	}
	/* a HEAD answer after the same head of a GET: no body, from the memo */
	memset(&memo, 0, sizeof(memo));
	g_memo = &memo;
	run_whole(nginx_resp, NULL, false, &got);
	bool heads[MAX_RESP] = { true };
	run_whole(nginx_resp, heads, false, &got);
	assert_int_equal(memo.hits, 1);
	assert_int_equal(got.r[0].rc, HTTP_RESP_COMPLETE);
	assert_int_equal(got.r[0].body_kind, HTTP_RESP_BODY_NONE);
	assert_int_equal(got.r[0].end_offset, hlen);
	/* a parser with a smaller max_head does not take the memo's longer head */
	struct http_resp_parser p;
	size_t used;
	http_resp_init(&p, 100, NULL, NULL);
	http_resp_set_memo(&p, &memo);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)nginx_resp, strlen(nginx_resp), &used),
			 HTTP_RESP_ERROR);
	assert_int_equal(p.error, HTTP_RESP_ERR_HEAD_TOO_LARGE);
	g_memo = NULL;

	/* every other response of these tests: same verdicts with a memo */
	static const char *const msgs[] = {
		"HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 11\r\n"
		"Content-Type: text/plain\r\n\r\nhello world",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
		"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
		"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.0 200 OK\r\nconnection: KEEP-ALIVE \r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstream until close",
		"HTTP/1.1 599 Any \t reason \xff\r\nContent-Length: 0\r\n\r\n",
		nginx_resp,
	};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		check_memo(msgs[i], NULL, false);
		check_memo(msgs[i], NULL, true);
	}
}

/* The memo's verdict (a GET whose body is all in the chunk, no body
 * callback): the same results, offsets and wire bytes as a parser without a
 * memo, for heads that alternate (each change refills the memo and drops the
 * old verdict), for a HEAD answer after the verdict of a GET, for a body cut
 * short, and for two responses in one chunk. */
static void test_memo_verdict(void **state)
{
	(void)state;
	static struct http_resp_memo memo;
	static const char *const msgs[] = {
		nginx_resp,
		"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 3\r\n"
		"Connection: close\r\n\r\nabc",
		"HTTP/1.1 204 No Content\r\nServer: nginx/1.22.1\r\nX-Pad: 0123456789\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 2\r\n\r\nok",
	};
	const size_t nm = sizeof(msgs) / sizeof(msgs[0]);
	struct http_resp_parser p, q;

	memset(&memo, 0, sizeof(memo));
	http_resp_init(&p, 0, NULL, NULL);
	http_resp_set_memo(&p, &memo);
	http_resp_init(&q, 0, NULL, NULL);
	for (unsigned round = 0; round < 4 * nm * 3; round++) {
		const char *msg = msgs[(round / 3) % nm];   /* each three times, then the next */
		bool head = round % 7 == 6;
		size_t len = strlen(msg), cut = round % 5 == 4 ? len - 1 : len;
		char buf[2 * sizeof(nginx_resp)];
		/* two copies back to back: the first response must stop at its end */
		memcpy(buf, msg, len);
		memcpy(buf + len, msg, len);
		size_t feed = round % 4 == 3 ? 2 * len : cut;
		size_t up, uq;
		http_resp_begin(&p, head);
		http_resp_begin(&q, head);
		enum http_resp_result rp = http_resp_feed(&p, (const uint8_t *)buf, feed, &up);
		enum http_resp_result rq = http_resp_feed(&q, (const uint8_t *)buf, feed, &uq);
		assert_int_equal(rp, rq);
		assert_int_equal(up, uq);
		assert_int_equal(p.status, q.status);
		assert_int_equal(p.status_class, q.status_class);
		assert_int_equal(p.version_minor, q.version_minor);
		assert_int_equal(p.head_done, q.head_done);
		assert_int_equal(p.complete, q.complete);
		assert_int_equal(p.keep_alive, q.keep_alive);
		assert_int_equal(p.body_kind, q.body_kind);
		assert_int_equal(p.error, q.error);
		assert_int_equal(p.content_length, q.content_length);
		assert_int_equal(p.body_bytes, q.body_bytes);
		assert_int_equal(p.wire_bytes, q.wire_bytes);
		if (rp == HTTP_RESP_NEED_MORE) {  /* the cut-off last byte completes both */
			rp = http_resp_feed(&p, (const uint8_t *)buf + up, 1, &up);
			rq = http_resp_feed(&q, (const uint8_t *)buf + uq, 1, &uq);
			assert_int_equal(rp, rq);
			assert_int_equal(p.body_bytes, q.body_bytes);
			assert_int_equal(p.wire_bytes, q.wire_bytes);
			assert_int_equal(p.keep_alive, q.keep_alive);
		}
		/* a complete parser fed again is an error, memo or not */
		if (rp == HTTP_RESP_COMPLETE) {
			rp = http_resp_feed(&p, (const uint8_t *)"x", 1, &up);
			rq = http_resp_feed(&q, (const uint8_t *)"x", 1, &uq);
			assert_int_equal(rp, rq);
			assert_int_equal(p.error, q.error);
		}
	}
	/* most rounds were hits (not: the first of each run, and a head cut
	 * short by its last byte) */
	assert_true(memo.hits >= 4 * nm * 3 / 2);
	assert_true(memo.v_next != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked_ext_trailers),
		cmocka_unit_test(test_until_close),
		cmocka_unit_test(test_no_body_cases),
		cmocka_unit_test(test_interim_responses),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_status_lines),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_callback_abort_and_misuse),
		cmocka_unit_test(test_mutation_split_invariance),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_memo_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
