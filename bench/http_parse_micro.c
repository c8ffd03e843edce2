/* http_parse_micro.c — feed one HTTP message N times through hare's
 * parsers, so callgrind can count instructions per message.
 * bench/http_parse_micro.sh runs it with N and 2N under
 *   valgrind --tool=callgrind --toggle-collect=bench_req_one --toggle-collect=bench_resp_one
 * and divides the difference by N: set-up, the table initialisation and
 * this program's own loop cancel out or are not counted.
 *
 *   http_parse_micro req N        wrk's request (hare-httpd's parser)
 *   http_parse_micro req_curl N   curl's request (User-Agent, Accept)
 *   http_parse_micro resp N       nginx's 200 head + 615 B body, one chunk
 *                                 (hare-load's parser, with its head memo
 *                                 as hare-load runs it: the head repeats)
 *   http_parse_micro resp_split N the same split head | body, as two chunks
 *   http_parse_micro resp_parse N the one-chunk response without the memo:
 *                                 the head parsed every time (what a new
 *                                 head, e.g. after nginx's Date ticked, costs)
 *
 * Each message is parsed from the same buffer every time, as a server
 * parses each new request from a fresh mbuf: the bytes are hot in cache,
 * which is what callgrind counts anyway (instructions, not cycles).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"
#include "http_client_parser.h"

/* wrk 4.x: exactly these bytes for `wrk http://198.18.0.1/` */
static const char wrk_req[] = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n";

/* curl 7.88 for `curl http://198.18.0.1/` */
static const char curl_req[] = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n"
			       "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

/* nginx-light 1.22 answering GET / for its default 615 B index.html */
static const char nginx_head[] = "HTTP/1.1 200 OK\r\n"
				 "Server: nginx/1.22.1\r\n"
				 "Date: Tue, 14 May 2024 10:21:07 GMT\r\n"
				 "Content-Type: text/html\r\n"
				 "Content-Length: 615\r\n"
				 "Last-Modified: Tue, 14 May 2024 10:20:51 GMT\r\n"
				 "Connection: keep-alive\r\n"
				 "ETag: \"66433b73-267\"\r\n"
				 "Accept-Ranges: bytes\r\n"
				 "\r\n";

static int usage(void)
{
	fprintf(stderr, "usage: http_parse_micro req|req_curl|resp|resp_split|resp_parse N\n");
	return 2;
}

/*
 * One request through the parser, as hare-httpd does it: feed, then reset
 * for the next. Out of line: the callgrind toggle (bench/http_parse_micro.sh)
 * counts exactly what it calls.
 */
__attribute__((noinline)) int bench_req_one(struct http_req_parser *p, const uint8_t *msg,
					    size_t len)
{
	size_t used;
	enum http_req_result r = http_req_feed(p, msg, len, &used);
	int ok = r == HTTP_REQ_COMPLETE && used == len && p->req.method == HTTP_METHOD_GET;
	http_req_next(p);
	return ok;
}

/* Parse `msg` n times as requests; returns the number of complete ones. */
static unsigned long run_req(const char *msg, unsigned long n)
{
	static char tbuf[HTTP_REQ_DEFAULT_TARGET_CAP];
	struct http_req_parser p;
	size_t len = strlen(msg);
	unsigned long ok = 0;

	http_req_init(&p, NULL, tbuf, sizeof(tbuf), NULL, NULL);
	for (unsigned long k = 0; k < n; k++)
		ok += (unsigned long)bench_req_one(&p, (const uint8_t *)msg, len);
	return ok;
}

/* One response, as hare-load does it: begin, then feed (one or two chunks). */
__attribute__((noinline)) int bench_resp_one(struct http_resp_parser *p, const uint8_t *buf,
					     size_t hlen, size_t len, bool split)
{
	size_t used = 0, used2 = 0;
	enum http_resp_result r;
	http_resp_begin(p, false);
	if (split) {
		r = http_resp_feed(p, buf, hlen, &used);
		if (r == HTTP_RESP_NEED_MORE)
			r = http_resp_feed(p, buf + hlen, len - hlen, &used2);
	} else {
		r = http_resp_feed(p, buf, len, &used);
	}
	return r == HTTP_RESP_COMPLETE && used + used2 == len && p->status == 200 &&
	       p->keep_alive && p->body_bytes == 615;
}

/* Parse the nginx response n times, in one chunk or split head | body. */
static unsigned long run_resp(unsigned long n, bool split, bool memo)
{
	static uint8_t buf[sizeof(nginx_head) + 615];
	static struct http_resp_memo m;
	size_t hlen = strlen(nginx_head), len = hlen + 615;
	struct http_resp_parser p;
	unsigned long ok = 0;

	memcpy(buf, nginx_head, hlen);
	memset(buf + hlen, 'x', 615);
	http_resp_init(&p, 0, NULL, NULL);
	if (memo)
		http_resp_set_memo(&p, &m);
	for (unsigned long k = 0; k < n; k++)
		ok += (unsigned long)bench_resp_one(&p, buf, hlen, len, split);
	if (memo && m.misses != 1) {
		fprintf(stderr, "http_parse_micro: the head memo missed %lu times (want 1)\n",
			(unsigned long)m.misses);
		return 0;
	}
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return usage();
	unsigned long n = strtoul(argv[2], NULL, 10), ok;
	if (strcmp(argv[1], "req") == 0)
		ok = run_req(wrk_req, n);
	else if (strcmp(argv[1], "req_curl") == 0)
		ok = run_req(curl_req, n);
	else if (strcmp(argv[1], "resp") == 0)
		ok = run_resp(n, false, true);
	else if (strcmp(argv[1], "resp_split") == 0)
		ok = run_resp(n, true, true);
	else if (strcmp(argv[1], "resp_parse") == 0)
		ok = run_resp(n, false, false);
	else
		return usage();
	if (ok != n) {
		fprintf(stderr, "http_parse_micro: %lu of %lu messages parsed as expected: "
			"the parser changed behaviour, run build/tests/http/test_*\n", ok, n);
		return 1;
	}
	printf("%s: %lu messages parsed\n", argv[1], n);
	return 0;
}
