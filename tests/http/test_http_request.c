/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the hare-httpd request parser (apps/hare-httpd/http_request.c):
 * segmentation invariance, pipelining, request-line and header validation,
 * bounds, framing (Content-Length, chunked), keep-alive rules and the path
 * sanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_request.h"

#define MAX_REQS 8
#define TCAP 256

/* Everything observable about one parsed request, copied out of the parser. */
struct req_out {
	enum http_req_result rc;   /* COMPLETE or ERROR */
	uint16_t status;
	enum http_method method;
	uint8_t minor;
	bool keep_alive, expect_continue, has_host, saw_head_done;
	enum http_body_kind body_kind;
	uint64_t content_length;
	char target[TCAP + 1];
	uint32_t target_len;
	uint32_t head_len;
	char body[4096];
	size_t body_len;
	size_t end_offset;         /* stream offset just after this request */
};

/* Result of parsing a whole stream. */
struct stream_out {
	struct req_out reqs[MAX_REQS];
	int n;                     /* requests finished (complete or error) */
	bool need_more;            /* stream ended inside a request */
};

static void body_sink(void *ctx, const uint8_t *d, size_t n)
{
	struct req_out *r = ctx;
	assert_true(r->body_len + n <= sizeof(r->body));
	memcpy(r->body + r->body_len, d, n);
	r->body_len += n;
}

/*
 * Parse `msg` delivered in pieces cut at the given offsets (sorted). Each
 * piece lives in its own heap buffer, as separate mbuf segments would, so a
 * target pointer into a previous piece would be caught by valgrind/ASan and
 * by the pointer checks below.
 */
static void parse_cuts(const char *msg, size_t len, const size_t *cuts, int ncuts,
		       const struct http_req_config *cfg, struct stream_out *out)
{
	struct http_req_parser p;
	char tbuf[TCAP];
	memset(out, 0, sizeof(*out));
	struct req_out *cur = &out->reqs[0];
	http_req_init(&p, cfg, tbuf, TCAP, body_sink, cur);

	uint8_t *pieces[64];
	size_t plens[64];
	int npieces = 0;
	size_t start = 0;
	bool stop = false;
	for (int k = 0; k <= ncuts && !stop; k++) {
		size_t end = k < ncuts ? cuts[k] : len;
		size_t plen = end - start;
		uint8_t *piece = malloc(plen ? plen : 1);
		assert_non_null(piece);
		memcpy(piece, msg + start, plen);
		assert_true(npieces < 64);
		plens[npieces] = plen;
		pieces[npieces++] = piece;
		size_t off = 0;
		while (off < plen) {
			size_t used = 0;
			enum http_req_result r = http_req_feed(&p, piece + off, plen - off, &used);
			assert_true(used <= plen - off);
			off += used;
			if (r == HTTP_REQ_NEED_MORE) {
				assert_int_equal(off, plen);
				break;
			}
			if (r == HTTP_REQ_HEAD_DONE) {
				cur->saw_head_done = true;
				continue;
			}
			cur->rc = r;
			cur->end_offset = start + off;
			if (r == HTTP_REQ_ERROR) {
				cur->status = p.error_status;
				out->n++;
				stop = true;
				break;
			}
			struct http_request *q = &p.req;
			cur->method = q->method;
			cur->minor = q->version_minor;
			cur->keep_alive = q->keep_alive;
			cur->expect_continue = q->expect_continue;
			cur->has_host = q->has_host;
			cur->body_kind = q->body_kind;
			cur->content_length = q->content_length;
			cur->head_len = q->head_len;
			assert_int_equal(q->body_received, cur->body_len);
			assert_true(q->target_len <= TCAP);
			/* the target points into tbuf or wholly into one (live) piece */
			bool inside = q->target == tbuf;
			for (int z = 0; z < npieces && !inside; z++)
				inside = (const uint8_t *)q->target >= pieces[z] &&
					 (const uint8_t *)q->target + q->target_len <=
						 pieces[z] + plens[z];
			assert_true(inside);
			memcpy(cur->target, q->target, q->target_len);
			cur->target[q->target_len] = '\0';
			cur->target_len = q->target_len;
			out->n++;
			if (out->n == MAX_REQS) {
				stop = true;
				break;
			}
			cur = &out->reqs[out->n];
			http_req_next(&p);
			p.body_ctx = cur;
		}
		start = end;
	}
	size_t last_end = out->n ? out->reqs[out->n - 1].end_offset : 0;
	out->need_more = !stop && last_end < len;
	for (int k = 0; k < npieces; k++)
		free(pieces[k]);
}

static void parse_whole(const char *msg, const struct http_req_config *cfg,
			struct stream_out *out)
{
	parse_cuts(msg, strlen(msg), NULL, 0, cfg, out);
}

static void assert_same(const struct stream_out *a, const struct stream_out *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->need_more, b->need_more);
	for (int i = 0; i < a->n; i++) {
		const struct req_out *x = &a->reqs[i], *y = &b->reqs[i];
		assert_int_equal(x->rc, y->rc);
		assert_int_equal(x->status, y->status);
		assert_int_equal(x->end_offset, y->end_offset);
		if (x->rc != HTTP_REQ_COMPLETE)
			continue;
		assert_int_equal(x->method, y->method);
		assert_int_equal(x->minor, y->minor);
		assert_int_equal(x->keep_alive, y->keep_alive);
		assert_int_equal(x->expect_continue, y->expect_continue);
		assert_int_equal(x->body_kind, y->body_kind);
		assert_int_equal(x->content_length, y->content_length);
		assert_int_equal(x->head_len, y->head_len);
		assert_int_equal(x->saw_head_done, y->saw_head_done);
		assert_string_equal(x->target, y->target);
		assert_int_equal(x->body_len, y->body_len);
		assert_memory_equal(x->body, y->body, x->body_len);
	}
}

/* Single cuts at every offset, every byte separate, and every pair of cuts. */
static void check_split_invariance(const char *msg, const struct http_req_config *cfg,
				   bool pairs)
{
	size_t len = strlen(msg);
	struct stream_out ref, got;
	parse_whole(msg, cfg, &ref);

	for (size_t i = 0; i <= len; i++) {
		parse_cuts(msg, len, &i, 1, cfg, &got);
		assert_same(&ref, &got);
	}
	if (len <= 63) {
		size_t cuts[64];
		for (size_t i = 0; i + 1 < len; i++)
			cuts[i] = i + 1;
		parse_cuts(msg, len, cuts, (int)(len - 1), cfg, &got);
		assert_same(&ref, &got);
	} else {
		/* one byte at a time through a single parser, without 64 pieces */
		struct http_req_parser p;
		char tbuf[TCAP];
		http_req_init(&p, cfg, tbuf, TCAP, NULL, NULL);
		size_t off = 0;
		int done = 0;
		while (off < len && done < ref.n) {
			uint8_t byte = (uint8_t)msg[off];
			size_t used;
			enum http_req_result r = http_req_feed(&p, &byte, 1, &used);
			off += used;
			if (r == HTTP_REQ_COMPLETE) {
				const struct req_out *x = &ref.reqs[done++];
				assert_int_equal(x->rc, HTTP_REQ_COMPLETE);
				assert_int_equal(x->end_offset, off);
				assert_int_equal(x->method, p.req.method);
				assert_int_equal(x->keep_alive, p.req.keep_alive);
				assert_int_equal(x->target_len, p.req.target_len);
				assert_memory_equal(x->target, p.req.target, x->target_len);
				http_req_next(&p);
			} else if (r == HTTP_REQ_ERROR) {
				const struct req_out *x = &ref.reqs[done++];
				assert_int_equal(x->rc, HTTP_REQ_ERROR);
				assert_int_equal(x->status, p.error_status);
				break;
			}
		}
		assert_int_equal(done, ref.n);
	}
	if (pairs)
		for (size_t i = 0; i <= len; i++)
			for (size_t j = i; j <= len; j++) {
				size_t cuts[2] = { i, j };
				parse_cuts(msg, len, cuts, 2, cfg, &got);
				assert_same(&ref, &got);
			}
}

/* ---- basic parsing ------------------------------------------------------ */

static void test_simple_get(void **state)
{
	(void)state;
	const char *m = "GET /index.html?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\n\r\n";
	struct stream_out o;
	parse_whole(m, NULL, &o);
	assert_int_equal(o.n, 1);
	const struct req_out *r = &o.reqs[0];
	assert_int_equal(r->rc, HTTP_REQ_COMPLETE);
	assert_int_equal(r->method, HTTP_METHOD_GET);
	assert_int_equal(r->minor, 1);
	assert_true(r->keep_alive);
	assert_true(r->has_host);
	assert_false(r->saw_head_done);
	assert_int_equal(r->body_kind, HTTP_BODY_NONE);
	assert_string_equal(r->target, "/index.html?x=1");
	assert_int_equal(r->head_len, strlen(m));
	assert_int_equal(r->end_offset, strlen(m));
}

static void test_zero_copy_target(void **state)
{
	(void)state;
	struct http_req_parser p;
	char tbuf[64];
	const char *m = "GET /abc HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t used;

	/* whole request in one chunk: the target points into that chunk */
	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)m, strlen(m), &used),
			 HTTP_REQ_COMPLETE);
	assert_ptr_equal(p.req.target, m + 4);
	assert_int_equal(p.req.target_len, 4);
	http_req_pin_target(&p);
	assert_ptr_equal(p.req.target, tbuf);
	assert_memory_equal(tbuf, "/abc", 4);

	/* target cut in the middle: pieces are copied into tbuf */
	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)m, 6, &used), HTTP_REQ_NEED_MORE);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)m + 6, strlen(m) - 6, &used),
			 HTTP_REQ_COMPLETE);
	assert_ptr_equal(p.req.target, tbuf);
	assert_memory_equal(p.req.target, "/abc", 4);

	/* target ending exactly at a chunk end, SP in the next chunk */
	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)m, 8, &used), HTTP_REQ_NEED_MORE);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)m + 8, strlen(m) - 8, &used),
			 HTTP_REQ_COMPLETE);
	assert_ptr_equal(p.req.target, tbuf);
	assert_memory_equal(p.req.target, "/abc", 4);
}

static void test_split_invariance_corpus(void **state)
{
	(void)state;
	struct http_req_config small = { .max_head = 120, .max_body = 64 };
	static const char *corpus[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"\r\nGET /a/b/c.html HTTP/1.1\r\nHost: example.org:8080\r\nConnection: Keep-Alive, Upgrade\r\n"
		"Accept: */*\r\nX-Long: " "abcdefghijklmnopqrstuvwxyz0123456789" "\r\n\r\n",
		"HEAD /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\nhello world",
		"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;name=val\r\nhello\r\n1 ;x\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer-A: 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"
		"POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nbad header: y\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET /very/long/path/that/keeps/going/and/going/and/going/and/going/and/going/and/going/on/and/on"
		"/and/on/and/on/and/on/and/on HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: 0123456789012345678901234567890123456789012345678901234567890123456789"
		"012345678901234567890123456789\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /incomplete HTTP/1.1\r\nHo",
		"GET / HTTP/1.1\r\nHost: x\r\n\nGET",
	};
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		bool pairs = strlen(corpus[i]) <= 140;
		check_split_invariance(corpus[i], &small, pairs);
		check_split_invariance(corpus[i], NULL, false);
	}
	/* spot-check that the corpus means what it says under the small config */
	struct stream_out o;
	parse_whole(corpus[10], &small, &o);
	assert_int_equal(o.reqs[0].status, 414);
	parse_whole(corpus[11], &small, &o);
	assert_int_equal(o.reqs[0].status, 431);
	parse_whole(corpus[12], &small, &o);
	assert_int_equal(o.reqs[0].status, 413);
	parse_whole(corpus[13], &small, &o);
	assert_int_equal(o.reqs[0].status, 413);
	parse_whole(corpus[14], NULL, &o);
	assert_int_equal(o.n, 1);
	assert_true(o.need_more);
}

static void test_pipelined_three(void **state)
{
	(void)state;
	const char *m = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
			"HEAD /two HTTP/1.1\r\nHost: x\r\n\r\n"
			"POST /three HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
			"GET /four";
	struct stream_out o;
	parse_whole(m, NULL, &o);
	assert_int_equal(o.n, 3);
	assert_true(o.need_more);
	assert_string_equal(o.reqs[0].target, "/one");
	assert_int_equal(o.reqs[0].method, HTTP_METHOD_GET);
	assert_int_equal(o.reqs[0].end_offset, strlen("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
	assert_string_equal(o.reqs[1].target, "/two");
	assert_int_equal(o.reqs[1].method, HTTP_METHOD_HEAD);
	assert_int_equal(o.reqs[1].end_offset, o.reqs[0].end_offset + 31);
	assert_string_equal(o.reqs[2].target, "/three");
	assert_int_equal(o.reqs[2].method, HTTP_METHOD_POST);
	assert_true(o.reqs[2].saw_head_done);
	assert_int_equal(o.reqs[2].body_len, 4);
	assert_memory_equal(o.reqs[2].body, "body", 4);
	assert_int_equal(o.reqs[2].end_offset, strlen(m) - strlen("GET /four"));
	check_split_invariance(m, NULL, false);

	/* the nc acceptance case from the issue: three identical requests */
	const char *three = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
			    "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	parse_whole(three, NULL, &o);
	assert_int_equal(o.n, 3);
	assert_false(o.need_more);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o.reqs[i].rc, HTTP_REQ_COMPLETE);
		assert_int_equal(o.reqs[i].end_offset, 27u * (unsigned)(i + 1));
	}
}

/* ---- table-driven status checks ----------------------------------------- */

struct case_ {
	const char *msg;
	int status;       /* 0: expect COMPLETE */
};

static void run_cases(const struct case_ *cs, size_t n, const struct http_req_config *cfg)
{
	for (size_t i = 0; i < n; i++) {
		struct stream_out o;
		parse_whole(cs[i].msg, cfg, &o);
		if (o.n != 1 || (cs[i].status == 0 && o.reqs[0].rc != HTTP_REQ_COMPLETE) ||
		    (cs[i].status != 0 && o.reqs[0].status != cs[i].status)) {
			print_error("case %zu: \"%s\": n=%d rc=%d status=%d, want %d\n", i, cs[i].msg,
				    o.n, o.n ? (int)o.reqs[0].rc : -1, o.n ? o.reqs[0].status : -1,
				    cs[i].status);
			fail();
		}
		/* and the same verdict for every split point */
		check_split_invariance(cs[i].msg, cfg, false);
	}
}

/*
 * The request-line + Host + end fast path of http_req_feed(): the verdicts
 * it takes must be the machine's (every split point goes through the
 * machine), and what it declines must still come out right.
 */
static void test_host_fast_path(void **state)
{
	(void)state;
	static const struct case_ cs[] = {
		{ "GET / HTTP/1.1\r\nHost: bench\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nHost: bench\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0 },              /* empty Host */
		{ "GET / HTTP/1.1\r\nHost: \r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHOST:198.18.0.1:80\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: x \r\n\r\n", 0 },           /* trailing OWS */
		{ "GET / HTTP/1.1\r\nHost:\tx\r\n\r\n", 0 },          /* HTAB as OWS */
		{ "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: \x01\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: bench\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: bench\r\nhost: bench\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\n", 400 },             /* bare LF */
		{ "GET / HTTP/1.1\r\nHost: x\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHosts: x\r\n\r\n", 400 },         /* no Host */
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", 0 },
	};
	run_cases(cs, sizeof(cs) / sizeof(cs[0]), NULL);

	struct stream_out o;
	parse_whole(cs[0].msg, NULL, &o);
	assert_true(o.reqs[0].keep_alive);
	assert_int_equal(o.reqs[0].end_offset, strlen(cs[0].msg));
	parse_whole(cs[1].msg, NULL, &o);
	assert_false(o.reqs[0].keep_alive);      /* RFC 9112 §9.3: 1.0 closes */
	parse_whole(cs[17].msg, NULL, &o);
	assert_false(o.reqs[0].keep_alive);

	/* the head bound (31 bytes: the Host line ends at 29), at the Host
	 * line, at the final CRLF, and just met */
	struct http_req_config c28 = { .max_head = 28, .max_body = 0 };
	struct http_req_config c30 = { .max_head = 30, .max_body = 0 };
	struct http_req_config c31 = { .max_head = 31, .max_body = 0 };
	parse_whole(cs[0].msg, &c28, &o);
	assert_int_equal(o.reqs[0].status, 431);
	check_split_invariance(cs[0].msg, &c28, false);
	parse_whole(cs[0].msg, &c30, &o);
	assert_int_equal(o.reqs[0].status, 431);
	check_split_invariance(cs[0].msg, &c30, false);
	parse_whole(cs[0].msg, &c31, &o);
	assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
	check_split_invariance(cs[0].msg, &c31, false);
}

/*
 * The one-pass fast path of http_req_feed() classifies the Host value with
 * one window over the chunk's last 32 bytes (a chunk under 32: its first
 * and last 16). Host values of every length from empty to past that
 * window's reach, a bad byte at its first, middle and last position, with
 * and without a pipelined request behind, "/" and longer targets, GET and
 * HEAD, 1.1 and 1.0, and the head bound just met and just missed: the same
 * verdict as the machine (every split point) and the expected one.
 */
static void test_one_pass_fast_path(void **state)
{
	(void)state;
	static const char *const lines[] = { "GET / HTTP/1.1", "GET /abc/def.html HTTP/1.1",
					     "HEAD / HTTP/1.1", "GET / HTTP/1.0" };
	static const char bad[] = { '/', '\x01', '\x80', ' ' };
	char host[64], msg[256];
	struct stream_out o;

	for (size_t li = 0; li < sizeof(lines) / sizeof(lines[0]); li++)
		for (size_t hl = 0; hl <= 48; hl++) {
			for (size_t x = 0; x < hl; x++)
				host[x] = (char)('a' + x % 26);
			host[hl] = '\0';
			snprintf(msg, sizeof(msg), "%s\r\nHost: %s\r\n\r\n", lines[li], host);
			size_t len = strlen(msg);
			parse_whole(msg, NULL, &o);
			assert_int_equal(o.n, 1);
			assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
			assert_int_equal(o.reqs[0].end_offset, len);
			assert_int_equal(o.reqs[0].head_len, len);
			assert_true(o.reqs[0].has_host);
			assert_int_equal(o.reqs[0].keep_alive, li != 3);
			assert_int_equal(o.reqs[0].method, li == 2 ? HTTP_METHOD_HEAD : HTTP_METHOD_GET);
			assert_string_equal(o.reqs[0].target, li == 1 ? "/abc/def.html" : "/");
			check_split_invariance(msg, NULL, false);

			/* the head bound: just met, just missed */
			struct http_req_config met = { .max_head = (uint32_t)len, .max_body = 0 };
			struct http_req_config missed = { .max_head = (uint32_t)len - 1, .max_body = 0 };
			parse_whole(msg, &met, &o);
			assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
			parse_whole(msg, &missed, &o);
			assert_int_equal(o.reqs[0].status, 431);
			check_split_invariance(msg, &missed, false);

			/* pipelined: the window then ends in the next request */
			snprintf(msg, sizeof(msg), "%s\r\nHost: %s\r\n\r\nGET /2 HTTP/1.1\r\nHost: y\r\n\r\n",
				 lines[li], host);
			parse_whole(msg, NULL, &o);
			assert_int_equal(o.n, 2);
			assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
			assert_int_equal(o.reqs[0].end_offset, len);
			assert_int_equal(o.reqs[1].rc, HTTP_REQ_COMPLETE);
			assert_string_equal(o.reqs[1].target, "/2");
			check_split_invariance(msg, NULL, false);

			if (hl == 0)
				continue;
			size_t at[3] = { 0, hl / 2, hl - 1 };
			for (size_t b = 0; b < sizeof(bad); b++)
				for (size_t z = 0; z < 3; z++) {
					char h2[64];
					memcpy(h2, host, hl + 1);
					h2[at[z]] = bad[b];
					snprintf(msg, sizeof(msg), "%s\r\nHost: %s\r\n\r\n", lines[li], h2);
					parse_whole(msg, NULL, &o);
					assert_int_equal(o.n, 1);
					if (bad[b] != ' ') {
						assert_int_equal(o.reqs[0].status, 400);
					} else if (at[z] == hl - 1 || at[z] == 0) {
						/* leading or trailing OWS */
						assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
					} else {
						assert_int_equal(o.reqs[0].status, 400);
					}
					check_split_invariance(msg, NULL, false);
				}
		}
}

static void test_bad_request_lines(void **state)
{
	(void)state;
	static const struct case_ cs[] = {
		{ "GET /\r\n\r\n", 400 },                          /* HTTP/0.9: no version */
		{ "GET / \r\n\r\n", 400 },
		{ "GET /\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400 },     /* trailing SP */
		{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },     /* two SP */
		{ "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400 },     /* HTAB as separator */
		{ " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },     /* leading SP */
		{ "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },      /* bad method token */
		{ "GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET / http/1.1\r\nHost: x\r\n\r\n", 400 },      /* lowercase version */
		{ "GET / Http/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/11.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "GET / HTTP/0.9\r\n\r\n", 505 },
		{ "GET / HTTP/1.1\nHost: x\n\n", 400 },            /* bare LF */
		{ "GET / HTTP/1.1\r\nHost: x\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\n", 400 },
		{ "GET / HTTP/1.1\rHost: x\r\n\r\n", 400 },        /* bare CR */
		{ "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400 }, /* CTL in target */
		{ "GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 400 },   /* strlen stops: incomplete */
		{ "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 0 }, /* leading empty lines ok */
		{ "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 0 },        /* 1.x → 1.1 */
		{ "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 0 },    /* unknown: 405 later */
	};
	/* the embedded-NUL case is cut at the NUL by strlen: it must wait */
	struct stream_out o;
	parse_whole(cs[26].msg, NULL, &o);
	assert_int_equal(o.n, 0);
	assert_true(o.need_more);
	/* with the NUL delivered it is a 400 */
	static const char nul[] = "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n";
	parse_cuts(nul, sizeof(nul) - 1, NULL, 0, NULL, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.reqs[0].status, 400);

	struct case_ rest[sizeof(cs) / sizeof(cs[0]) - 1];
	size_t k = 0;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		if (i != 26)
			rest[k++] = cs[i];
	run_cases(rest, k, NULL);

	parse_whole("GET / HTTP/1.2\r\nHost: x\r\n\r\n", NULL, &o);
	assert_int_equal(o.reqs[0].minor, 1);
	assert_true(o.reqs[0].keep_alive);
}

static void test_methods(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		enum http_method want;
	} ms[] = {
		{ "GET", HTTP_METHOD_GET },     { "HEAD", HTTP_METHOD_HEAD },
		{ "POST", HTTP_METHOD_POST },   { "get", HTTP_METHOD_OTHER },
		{ "GETS", HTTP_METHOD_OTHER },  { "GE", HTTP_METHOD_OTHER },
		{ "HEA", HTTP_METHOD_OTHER },   { "POS", HTTP_METHOD_OTHER },
		{ "PUT", HTTP_METHOD_OTHER },   { "DELETE", HTTP_METHOD_OTHER },
		{ "OPTIONS", HTTP_METHOD_OTHER }, { "X-CUSTOM!", HTTP_METHOD_OTHER },
	};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s / HTTP/1.1\r\nHost: x\r\n\r\n", ms[i].m);
		struct stream_out o;
		parse_whole(buf, NULL, &o);
		assert_int_equal(o.n, 1);
		assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
		assert_int_equal(o.reqs[0].method, ms[i].want);
	}
	assert_string_equal(http_method_name(HTTP_METHOD_HEAD), "HEAD");
	assert_string_equal(http_method_name(HTTP_METHOD_OTHER), "OTHER");
}

static void test_header_syntax(void **state)
{
	(void)state;
	static const struct case_ cs[] = {
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400 },          /* SP before ':' */
		{ "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400 }, /* obs-fold */
		{ "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nNo-Colon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\n\r\n", 0 }, /* obs-text ok */
		{ "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\r\n", 0 },       /* empty value ok */
		{ "GET / HTTP/1.1\r\nHost: x\r\nX-A: \t v \t\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\n\r\n", 400 },                       /* 1.1 without Host */
		{ "GET / HTTP/1.0\r\n\r\n", 0 },                         /* 1.0 may omit it */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 }, /* two Host */
		{ "GET / HTTP/1.1\r\nhOsT: a\r\nHOST: b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: 198.18.0.1 \r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0 },                /* empty Host ok */
		{ "GET / HTTP/1.1\r\nHostname: a\r\n\r\n", 400 },        /* not Host */
		{ "GET / HTTP/1.1\r\nHos: a\r\n\r\n", 400 },
	};
	run_cases(cs, sizeof(cs) / sizeof(cs[0]), NULL);
}

static void test_header_bounds(void **state)
{
	(void)state;
	/* build a head of exactly max_head bytes, then one more */
	struct http_req_config cfg = { .max_head = 200 };
	char buf[512];
	const char *pre = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
	size_t pad = 200 - strlen(pre) - 4;
	for (int extra = 0; extra <= 1; extra++) {
		size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", pre);
		memset(buf + n, 'p', pad + (size_t)extra);
		n += pad + (size_t)extra;
		memcpy(buf + n, "\r\n\r\n", 5);
		struct stream_out o;
		parse_whole(buf, &cfg, &o);
		assert_int_equal(o.n, 1);
		if (extra == 0) {
			assert_int_equal(strlen(buf), 200);
			assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
			assert_int_equal(o.reqs[0].head_len, 200);
		} else {
			assert_int_equal(o.reqs[0].status, 431);
		}
		check_split_invariance(buf, &cfg, false);
	}
	/* the default bound is 8 KiB: many small headers overflow it */
	char *big = malloc(10000);
	assert_non_null(big);
	size_t n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: x\r\n");
	while (n < 8300)
		n += (size_t)sprintf(big + n, "X-H%zu: v\r\n", n);
	strcpy(big + n, "\r\n");
	struct stream_out o;
	parse_whole(big, NULL, &o);
	assert_int_equal(o.reqs[0].status, 431);
	free(big);

	/* the request line overflowing the bound inside the target: 414 */
	struct http_req_config tiny = { .max_head = 20 };
	parse_whole("GET /0123456789012345678 HTTP/1.1\r\nHost: x\r\n\r\n", &tiny, &o);
	assert_int_equal(o.reqs[0].status, 414);
	/* ... inside the version: 431 */
	parse_whole("GET /0123456789 HTTP/1.1\r\nHost: x\r\n\r\n", &tiny, &o);
	assert_int_equal(o.reqs[0].status, 431);

	/* target longer than the target buffer (TCAP) is 414 split or not */
	char longt[600];
	n = (size_t)sprintf(longt, "GET /");
	memset(longt + n, 'a', TCAP);
	n += TCAP;
	strcpy(longt + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	parse_whole(longt, NULL, &o);
	assert_int_equal(o.reqs[0].status, 414);
	check_split_invariance(longt, NULL, false);
	/* exactly TCAP bytes is fine */
	n = (size_t)sprintf(longt, "GET /");
	memset(longt + n, 'a', TCAP - 1);
	n += TCAP - 1;
	strcpy(longt + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	parse_whole(longt, NULL, &o);
	assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
	assert_int_equal(o.reqs[0].target_len, TCAP);
	check_split_invariance(longt, NULL, false);
}

static void test_content_length(void **state)
{
	(void)state;
	struct http_req_config cfg = { .max_body = 100 };
	static const struct case_ cs[] = {
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\ncontent-length:5\r\n\r\nhello", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: \t5 \t\r\n\r\nhello", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
		  "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "012345678901234567890123456789", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5.0\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:  \r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ncontent-LENGTH: 50\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Lengthx: 5\r\n\r\n", 0 }, /* other field */
	};
	run_cases(cs, sizeof(cs) / sizeof(cs[0]), &cfg);

	struct stream_out o;
	parse_whole(cs[0].msg, &cfg, &o);
	assert_int_equal(o.reqs[0].body_kind, HTTP_BODY_LENGTH);
	assert_int_equal(o.reqs[0].content_length, 5);
	assert_true(o.reqs[0].saw_head_done);
	assert_memory_equal(o.reqs[0].body, "hello", 5);
	parse_whole(cs[3].msg, &cfg, &o);
	assert_int_equal(o.reqs[0].body_kind, HTTP_BODY_NONE);
	assert_false(o.reqs[0].saw_head_done);
	parse_whole(cs[19].msg, &cfg, &o);
	assert_int_equal(o.reqs[0].body_kind, HTTP_BODY_NONE);
}

static void test_transfer_encoding(void **state)
{
	(void)state;
	struct http_req_config cfg = { .max_body = 32 };
	static const struct case_ cs[] = {
		/* handled */
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\ntransfer-encoding:  Chunked \r\n\r\n"
		  "5;a=b;c=\"d e\"\r\nhello\r\nB ; ext\r\n 0123456789\r\n000\r\nT1: v\r\nT2:\r\n\r\n", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "20\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n", 0 }, /* = max_body */
		/* smuggling and unsupported codings */
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunkedx\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n", 400 },
		/* bad framing */
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;\x01\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: v\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\r", 400 },
		/* bounds */
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n21\r\n", 413 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "10\r\n0123456789abcdef\r\n11\r\n", 413 },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "ffffffffffffffffff\r\n", 413 },
	};
	run_cases(cs, sizeof(cs) / sizeof(cs[0]), &cfg);

	struct stream_out o;
	parse_whole(cs[0].msg, &cfg, &o);
	assert_int_equal(o.reqs[0].body_kind, HTTP_BODY_CHUNKED);
	assert_true(o.reqs[0].saw_head_done);
	assert_int_equal(o.reqs[0].body_len, 11);
	assert_memory_equal(o.reqs[0].body, "hello world", 11);
	assert_int_equal(o.reqs[0].end_offset, strlen(cs[0].msg));
	parse_whole(cs[1].msg, &cfg, &o);
	assert_int_equal(o.reqs[0].body_len, 16);
	assert_memory_equal(o.reqs[0].body, "hello 0123456789", 16);
	assert_int_equal(o.reqs[0].end_offset, strlen(cs[1].msg));

	/* a chunked request keeps the pipeline: the next request follows */
	const char *pipe = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n";
	parse_whole(pipe, &cfg, &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.reqs[1].target, "/next");
	check_split_invariance(pipe, &cfg, true);

	/* chunk-size line length bound (extensions) and trailer bound */
	char *buf = malloc(20000);
	assert_non_null(buf);
	size_t n = (size_t)sprintf(buf, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;");
	memset(buf + n, 'e', HTTP_REQ_MAX_CHUNK_LINE);
	strcpy(buf + n + HTTP_REQ_MAX_CHUNK_LINE, "\r\nx\r\n0\r\n\r\n");
	parse_whole(buf, &cfg, &o);
	assert_int_equal(o.reqs[0].status, 400);
	n = (size_t)sprintf(buf, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
	while (n < 9000)
		n += (size_t)sprintf(buf + n, "T%zu: v\r\n", n);
	strcpy(buf + n, "\r\n");
	parse_whole(buf, &cfg, &o);
	assert_int_equal(o.reqs[0].status, 431);
	/* many small chunks are fine: framing is bounded per line, not in total */
	struct http_req_config big = { .max_body = 100000 };
	n = (size_t)sprintf(buf, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int k = 0; k < 3000; k++)
		n += (size_t)sprintf(buf + n, "1\r\nz\r\n");
	strcpy(buf + n, "0\r\n\r\n");
	parse_whole(buf, &big, &o);
	assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
	free(buf);
}

static void test_keep_alive_rules(void **state)
{
	(void)state;
	static const struct {
		const char *msg;
		bool ka;
	} cs[] = {
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: clos\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: ,,close,,\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: x\r\nConnection: cl ose\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: x\r\nX-Connection: close\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive , te\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-aliv\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alivee\r\n\r\n", false },
		{ "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct stream_out o;
		parse_whole(cs[i].msg, NULL, &o);
		assert_int_equal(o.n, 1);
		assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
		if (o.reqs[0].keep_alive != cs[i].ka) {
			print_error("case %zu \"%s\": keep_alive %d\n", i, cs[i].msg,
				    o.reqs[0].keep_alive);
			fail();
		}
		check_split_invariance(cs[i].msg, NULL, false);
	}
}

static void test_expect_and_head(void **state)
{
	(void)state;
	struct stream_out o;
	parse_whole("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
		    NULL, &o);
	assert_true(o.reqs[0].expect_continue);
	parse_whole("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", NULL, &o);
	assert_false(o.reqs[0].expect_continue);  /* ignored in 1.0 */
	parse_whole("GET / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n", NULL, &o);
	assert_int_equal(o.reqs[0].rc, HTTP_REQ_COMPLETE);
	assert_false(o.reqs[0].expect_continue);

	parse_whole("HEAD /file.txt HTTP/1.1\r\nHost: x\r\n\r\n", NULL, &o);
	assert_int_equal(o.reqs[0].method, HTTP_METHOD_HEAD);
	assert_int_equal(o.reqs[0].body_kind, HTTP_BODY_NONE);
	assert_true(o.reqs[0].keep_alive);
	assert_string_equal(o.reqs[0].target, "/file.txt");
	parse_whole("HEAD / HTTP/1.0\r\n\r\n", NULL, &o);
	assert_int_equal(o.reqs[0].method, HTTP_METHOD_HEAD);
	assert_int_equal(o.reqs[0].minor, 0);
	assert_false(o.reqs[0].keep_alive);
}

static void test_misuse_and_sticky_error(void **state)
{
	(void)state;
	struct http_req_parser p;
	char tbuf[16];
	size_t used;
	const uint8_t *m = (const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET";
	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, m, 30, &used), HTTP_REQ_COMPLETE);
	assert_int_equal(used, 27);
	/* forgetting http_req_next() is reported, not silently parsed */
	assert_int_equal(http_req_feed(&p, m + used, 3, &used), HTTP_REQ_ERROR);
	assert_int_equal(p.error_status, 500);

	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)"GET / XTTP/1.1\r\n", 16, &used),
			 HTTP_REQ_ERROR);
	assert_int_equal(p.error_status, 400);
	assert_int_equal(http_req_feed(&p, m, 27, &used), HTTP_REQ_ERROR);
	assert_int_equal(used, 0);
	assert_int_equal(p.error_status, 400);

	/* empty feeds are harmless */
	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, m, 0, &used), HTTP_REQ_NEED_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(http_req_feed(&p, m, 27, &used), HTTP_REQ_COMPLETE);
}

/* ---- path sanitizer ----------------------------------------------------- */

static void test_path_sanitize_ok(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cs[] = {
		{ "/", "/" },
		{ "/index.html", "/index.html" },
		{ "/a/b/c.txt?x=1&y=../..", "/a/b/c.txt" },
		{ "/a/b/#frag", "/a/b/" },
		{ "/a//b///c", "/a/b/c" },
		{ "/a/./b/.", "/a/b/" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/b/%2e%2e/c", "/a/c" },
		{ "/a/%2E/b", "/a/b" },
		{ "/a/b/..", "/a/" },
		{ "/a/..", "/" },
		{ "/hello%20world.txt", "/hello world.txt" },
		{ "/caf%C3%A9", "/caf\xc3\xa9" },
		{ "/%2525", "/%25" },                 /* decoded exactly once */
		{ "/%2e%2e%2e", "/..." },             /* "..." is an ordinary name */
		{ "/..a/b..", "/..a/b.." },
		{ "/a%2fb", "/a/b" },
		{ "http://example.org/x/y", "/x/y" },
		{ "HTTP://example.org", "/" },
		{ "http://example.org?q", "/" },
		{ "https://h:443/a/../b", "/b" },
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		char out[128];
		size_t olen = 0;
		int rc = http_path_sanitize(cs[i].in, strlen(cs[i].in), out, sizeof(out), &olen);
		if (rc != 0 || strcmp(out, cs[i].out) != 0 || olen != strlen(cs[i].out)) {
			print_error("case %zu \"%s\": rc %d out \"%s\", want \"%s\"\n", i, cs[i].in, rc,
				    rc == 0 ? out : "", cs[i].out);
			fail();
		}
	}
}

static void test_path_traversal_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
		"/..", "/../", "/../etc/passwd", "/a/../../etc/passwd", "/a/b/../../..",
		"/./..", "//..//", "/%2e%2e", "/%2E%2E/etc", "/.%2e/x", "/%2e./x",
		"/a/%2e%2e/%2e%2e/x", "/%2e%2e%2fetc%2fpasswd", "/..%2f..%2fetc",
		"/a%2f..%2f..%2fb", "/..\\x", "/a\\..\\..\\x", "/%5c..%5cx", "/%5C",
		"/a%00.html", "/%00", "/a%0a", "/a%0d%0aX: y", "/a%7f", "/a%1", "/a%",
		"/a%zz", "/a%g0", "/a b", "/a\tb", "/\x01", "/\xc3\xa9",
		"*", "", "a/b", "example.org:80", "../x", "http://h/../x", "http://h/%2e%2e/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[128];
		size_t olen = 0;
		int rc = http_path_sanitize(bad[i], strlen(bad[i]), out, sizeof(out), &olen);
		if (rc != 400) {
			print_error("case %zu \"%s\": rc %d (out \"%s\"), want 400\n", i, bad[i], rc,
				    rc == 0 ? out : "");
			fail();
		}
	}
	/* an embedded raw NUL (strlen would hide it) */
	char out[16];
	size_t olen;
	assert_int_equal(http_path_sanitize("/a\0b", 4, out, sizeof(out), &olen), 400);
	/* output buffer too small */
	assert_int_equal(http_path_sanitize("/abcdef", 7, out, 4, &olen), 414);
	assert_int_equal(http_path_sanitize("/abcdef", 7, out, 9, &olen), 0);
	assert_string_equal(out, "/abcdef");
}

/* Random targets built from dangerous pieces: the output never escapes. */
static void test_path_sanitize_fuzz(void **state)
{
	(void)state;
	static const char *parts[] = { "/", "..", ".", "%2e", "%2E", "%2f", "a", "b", "%",
				       "%5c", "\\", "?", "%00", "//", "x%2", "%41" };
	uint64_t s = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 200000; iter++) {
		char in[128] = "/";
		size_t n = 1;
		int k = (int)(s % 10) + 1;
		for (int j = 0; j < k; j++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			const char *pc = parts[s % (sizeof(parts) / sizeof(parts[0]))];
			size_t pl = strlen(pc);
			memcpy(in + n, pc, pl);
			n += pl;
		}
		char out[256];
		size_t olen;
		int rc = http_path_sanitize(in, n, out, sizeof(out), &olen);
		assert_true(rc == 0 || rc == 400);
		if (rc != 0)
			continue;
		/* invariant: starts with '/', no "." or ".." segment, no '\\', no NUL */
		assert_int_equal(out[0], '/');
		assert_int_equal(strlen(out), olen);
		assert_null(strchr(out, '\\'));
		assert_null(strstr(out, "//"));
		const char *seg = out + 1;
		while (*seg) {
			const char *e = strchr(seg, '/');
			size_t sl = e ? (size_t)(e - seg) : strlen(seg);
			assert_false(sl == 1 && seg[0] == '.');
			assert_false(sl == 2 && seg[0] == '.' && seg[1] == '.');
			seg += sl + (e ? 1 : 0);
		}
	}
}


/*
 * Mutated requests (bytes replaced, inserted, deleted from a framing-heavy
 * alphabet) must get the same verdict whole and cut at random points, and
 * the parser must never read past what it was given (ASan/valgrind) or hang.
 */
static void test_mutation_split_invariance(void **state)
{
	(void)state;
	static const char *seeds[] = {
		"GET /a/b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\n\r\n",
		"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n",
	};
	static const char alphabet[] = "\r\n :;,0123456789aAfF-\t/.%HTPGE\x00\x7f\x80";
	struct http_req_config cfg = { .max_head = 96, .max_body = 40 };
	uint64_t s = 0x243f6a8885a308d3ull;
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
		struct stream_out ref, got;
		parse_cuts(msg, len, NULL, 0, &cfg, &ref);
		size_t cuts[3];
		for (int k = 0; k < 3; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			cuts[k] = (size_t)(s % (len + 1));
		}
		/* sort the three cuts */
		for (int a = 0; a < 3; a++)
			for (int b = a + 1; b < 3; b++)
				if (cuts[b] < cuts[a]) {
					size_t t = cuts[a];
					cuts[a] = cuts[b];
					cuts[b] = t;
				}
		parse_cuts(msg, len, cuts, 3, &cfg, &got);
		assert_same(&ref, &got);
		/* error verdicts are real HTTP statuses the server can send */
		for (int i = 0; i < ref.n; i++)
			if (ref.reqs[i].rc == HTTP_REQ_ERROR) {
				uint16_t st = ref.reqs[i].status;
				assert_true(st == 400 || st == 413 || st == 414 || st == 431 ||
					    st == 501 || st == 505);
			}
	}
}

/*
 * http_req_fresh(): true exactly when the per-request state is the start
 * state, so a fresh parser parses the next bytes as a new one would
 * (hare-httpd answers a fresh parser's repeated request from its memo).
 */
static bool per_request_zero(const struct http_req_parser *p)
{
	static const struct hc_elem zero_elem;
	const struct http_request *r = &p->req;
	return r->method == HTTP_METHOD_NONE && r->version_minor == 0 && !r->keep_alive &&
	       !r->expect_continue && !r->has_host && r->body_kind == HTTP_BODY_NONE &&
	       r->content_length == 0 && r->body_received == 0 && r->target == NULL &&
	       r->target_len == 0 && r->head_len == 0 && p->error_status == 0 &&
	       p->state == 0 && p->empty_lines == 0 && p->hdr_id == 0 && p->name_miss == 0 &&
	       p->name_idx == 0 && p->version_major == 0 && p->method_miss == 0 &&
	       p->method_idx == 0 && p->ver_idx == 0 && !p->target_split && !p->saw_cl &&
	       !p->saw_te && !p->te_chunked && !p->te_other && !p->conn_close && !p->conn_keep &&
	       !p->cl_overflow && !p->chunk_digits &&
	       memcmp(&p->elem, &zero_elem, sizeof(zero_elem)) == 0 && p->tcopied == 0 &&
	       p->head_bytes == 0 && p->frame_bytes == 0 && p->tgt_start == NULL &&
	       p->cl_value == 0 && p->remaining == 0 && p->chunk_size == 0;
}

/* xorshift64 (Marsaglia): the next pseudo-random value of *s. */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_fresh(void **state)
{
	(void)state;
	char tbuf[TCAP];
	struct http_req_parser p;
	size_t used;
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_true(http_req_fresh(&p));
	/* a leading empty line moves the parser without leaving the start state */
	assert_int_equal(http_req_feed(&p, (const uint8_t *)"\r\n", 2, &used), HTTP_REQ_NEED_MORE);
	assert_false(http_req_fresh(&p));
	assert_int_equal(http_req_feed(&p, (const uint8_t *)get, strlen(get), &used),
			 HTTP_REQ_COMPLETE);
	assert_false(http_req_fresh(&p));  /* done, not yet next */
	http_req_next(&p);
	assert_true(http_req_fresh(&p));
	assert_int_equal(http_req_feed(&p, (const uint8_t *)"G", 1, &used), HTTP_REQ_NEED_MORE);
	assert_false(http_req_fresh(&p));
	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	assert_int_equal(http_req_feed(&p, (const uint8_t *)"\x01", 1, &used), HTTP_REQ_ERROR);
	assert_false(http_req_fresh(&p));

	/* over mutated requests fed in random pieces: whenever it says fresh,
	 * the per-request state is all start state */
	static const char *seeds[] = {
		"\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
	};
	static const char alphabet[] = "\r\n :0123456789/HTPGE\x00";
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int fresh_seen = 0, fresh_mid = 0;
	for (int iter = 0; iter < 20000; iter++) {
		char msg[256];
		size_t len = strlen(seeds[iter % 3]);
		memcpy(msg, seeds[iter % 3], len);
		xorshift(&s);
		if (iter % 4)
			msg[(s >> 8) % len] = alphabet[(s >> 40) % (sizeof(alphabet) - 1)];
		http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
		size_t off = 0;
		while (off < len) {
			size_t n = 1 + (size_t)(xorshift(&s) % 24);
			if (n > len - off)
				n = len - off;
			enum http_req_result r = http_req_feed(&p, (const uint8_t *)msg + off, n, &used);
			off += used;
			if (r == HTTP_REQ_ERROR)
				break;
			if (r == HTTP_REQ_COMPLETE) {
				http_req_next(&p);
				assert_true(http_req_fresh(&p));
			}
			if (r == HTTP_REQ_NEED_MORE || r == HTTP_REQ_HEAD_DONE)
				http_req_pin_target(&p);  /* the piece goes away */
			if (http_req_fresh(&p)) {
				assert_true(per_request_zero(&p));
				fresh_seen++;
				if (off < len)
					fresh_mid++;
			} else {
				assert_false(per_request_zero(&p));
			}
		}
	}
	assert_true(fresh_seen > 1000 && fresh_mid > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_zero_copy_target),
		cmocka_unit_test(test_split_invariance_corpus),
		cmocka_unit_test(test_pipelined_three),
		cmocka_unit_test(test_host_fast_path),
		cmocka_unit_test(test_one_pass_fast_path),
		cmocka_unit_test(test_bad_request_lines),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_header_syntax),
		cmocka_unit_test(test_header_bounds),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_transfer_encoding),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_expect_and_head),
		cmocka_unit_test(test_misuse_and_sticky_error),
		cmocka_unit_test(test_path_sanitize_ok),
		cmocka_unit_test(test_path_traversal_refused),
		cmocka_unit_test(test_path_sanitize_fuzz),
		cmocka_unit_test(test_mutation_split_invariance),
		cmocka_unit_test(test_fresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
