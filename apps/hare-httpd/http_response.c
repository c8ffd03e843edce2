/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-httpd: response heads, Date formatting, reason phrases, Content-Type.
 */
#include "http_response.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * Civil date from days since 1970-01-01 (proleptic Gregorian), using 400-year
 * eras so it is exact for any int64 day count we will meet. No libc, no TZ.
 */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;  /* shift the epoch to 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                        /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                  /* March = 0 */
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static inline void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void http_date_format(int64_t sec, char out[HTTP_DATE_LEN + 1])
{
	static const char wd[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t days = sec / 86400;
	int64_t rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	unsigned w = (unsigned)(((days % 7) + 7) % 7);  /* day 0 was a Thursday */
	/* IMF-fixdate needs a 4-digit year; clamp the absurd ones */
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;

	memcpy(out, wd[w], 3);
	out[3] = ',';
	out[4] = ' ';
	put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, mon[m - 1], 3);
	out[11] = ' ';
	put2(out + 12, (unsigned)(y / 100));
	put2(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	put2(out + 17, (unsigned)(rem / 3600));
	out[19] = ':';
	put2(out + 20, (unsigned)(rem / 60 % 60));
	out[22] = ':';
	put2(out + 23, (unsigned)(rem % 60));
	memcpy(out + 25, " GMT", 4);
	out[29] = '\0';
}

void http_date_init(struct http_date_cache *dc, int64_t now)
{
	dc->sec = now;
	http_date_format(now, dc->text);
}

bool http_date_update(struct http_date_cache *dc, int64_t now)
{
	if (now == dc->sec)
		return false;
	http_date_init(dc, now);
	return true;
}

const char *http_status_reason(unsigned status)
{
	/* RFC 9110 §15 phrases (413 is "Content Too Large" since RFC 9110) */
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

const char *http_content_type(const char *path, size_t len)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },  /* RFC 9239 */
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "json", "application/json" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "svg", "image/svg+xml" },
		{ "ico", "image/x-icon" },
		{ "wasm", "application/wasm" },
		{ "pdf", "application/pdf" },
	};
	/* the extension is after the last '.' of the last path segment */
	size_t k = len;
	while (k > 0 && path[k - 1] != '.' && path[k - 1] != '/')
		k--;
	if (k > 0 && path[k - 1] == '.' && !(k >= 2 && path[k - 2] == '/')) {
		const char *ext = path + k;
		size_t elen = len - k;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strlen(types[i].ext) == elen && strncasecmp(ext, types[i].ext, elen) == 0)
				return types[i].type;
	}
	return "application/octet-stream";
}

/* Append helper that tracks overflow. */
struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->cap - o->len < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putu(struct out *o, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	put(o, tmp, (size_t)n);
}

/* Build a head; *date_off gets the offset of the Date value. */
static size_t build(char *dst, size_t cap, unsigned status, uint64_t content_length,
		    const char *content_type, bool keep_alive, const char *extra,
		    const struct http_date_cache *dc, size_t *date_off)
{
	if (status < 100 || status > 599)
		return 0;
	struct out o = { dst, 0, cap, false };
	puts_(&o, "HTTP/1.1 ");
	putu(&o, status);
	puts_(&o, " ");
	puts_(&o, http_status_reason(status));
	puts_(&o, "\r\nServer: hare\r\nDate: ");
	*date_off = o.len;
	put(&o, dc->text, HTTP_DATE_LEN);
	puts_(&o, "\r\n");
	if (content_type) {
		puts_(&o, "Content-Type: ");
		puts_(&o, content_type);
		puts_(&o, "\r\n");
	}
	/* RFC 9110 §8.6: no Content-Length in 1xx or 204 responses */
	if (status >= 200 && status != 204) {
		puts_(&o, "Content-Length: ");
		putu(&o, content_length);
		puts_(&o, "\r\n");
	}
	puts_(&o, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	if (extra)
		puts_(&o, extra);
	puts_(&o, "\r\n");
	return o.overflow ? 0 : o.len;
}

size_t http_resp_head_build(char *dst, size_t cap, unsigned status, uint64_t content_length,
			    const char *content_type, bool keep_alive, const char *extra,
			    const struct http_date_cache *dc)
{
	size_t date_off;
	return build(dst, cap, status, content_length, content_type, keep_alive, extra, dc,
		     &date_off);
}

int http_resp_tmpl_init(struct http_resp_tmpl *t, unsigned status, uint64_t content_length,
			const char *content_type, bool keep_alive, const char *extra,
			const struct http_date_cache *dc)
{
	size_t date_off;
	size_t n = build(t->buf, sizeof(t->buf), status, content_length, content_type,
			 keep_alive, extra, dc, &date_off);
	if (n == 0)
		return -1;
	t->len = t->head_len = (uint16_t)n;
	t->date_off = (uint16_t)date_off;
	t->status = (uint16_t)status;
	t->date_sec = dc->sec;
	return 0;
}

int http_resp_error_tmpl_init(struct http_resp_tmpl *t, unsigned status, bool keep_alive,
			      const struct http_date_cache *dc)
{
	char body[64];
	int blen = snprintf(body, sizeof(body), "%u %s\n", status, http_status_reason(status));
	if (blen <= 0 || (size_t)blen >= sizeof(body))
		return -1;
	const char *extra = status == 405 ? "Allow: GET, HEAD\r\n" : NULL;
	if (http_resp_tmpl_init(t, status, (uint64_t)blen, "text/plain; charset=utf-8",
				keep_alive, extra, dc) != 0)
		return -1;
	if (sizeof(t->buf) - t->len < (size_t)blen)
		return -1;
	memcpy(t->buf + t->len, body, (size_t)blen);
	t->len = (uint16_t)(t->len + blen);
	return 0;
}
