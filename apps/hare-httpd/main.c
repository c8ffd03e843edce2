/* hare-httpd — HTTP/1.1 server on the hare stack.
 *
 *   hare-httpd [EAL options] -- --ip A.B.C.D/LEN [--port 80]
 *              [--body-size N | --root DIR] [timeouts, bounds]
 *
 * --body-size N serves a generated N-byte body for every path (the
 * benchmark mode); --root DIR serves the regular files under DIR, loaded
 * into memory at start. Neither: --body-size 64. The server itself is
 * httpd_service.c; this file is options and the hooks of hare_app_main.
 * At exit it prints its counters as "httpd_<name> <value>" lines on stdout
 * after the stack's final block.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hare_app.h"
#include "httpd_service.h"

/* The app's state, shared read-only by the workers once they run. */
struct httpd_ctx {
	struct hare_app *app;
	struct httpd_service svc;
	const char *root;
	uint64_t body_size;
	bool body_size_set;
};

static const struct hare_app_opt httpd_opts[] = {
	{ "port", "N", "TCP port (default 80)" },
	{ "body-size", "N", "serve a generated body of N bytes (k/m/g suffix) for any path "
	  "(default 64 without --root)" },
	{ "root", "DIR", "serve the regular files under DIR (loaded at start; symlinks skipped)" },
	{ "max-conns", "N", "connections per worker (default 8192; more get RST)" },
	{ "max-head", "N", "request-line + header bytes (default 8192; 431 beyond)" },
	{ "header-timeout", "SEC", "a request head must arrive within SEC (default 10; 408)" },
	{ "idle-timeout", "SEC", "close keep-alive connections idle for SEC (default 60; 0 = never)" },
	{ "send-timeout", "SEC", "reset when a response makes no progress for SEC (default 60)" },
	{ "linger", "SEC", "after our FIN, drain the peer's input up to SEC (default 5)" },
	{ NULL, NULL, NULL },
};

/* Seconds (decimals allowed) into ms in [min_ms, 86400 s]. */
static int
parse_seconds(const char *name, const char *val, uint32_t min_ms, uint32_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (errno || end == val || *end != '\0' || !(v >= 0) || v > 86400 ||
	    (uint32_t)llround(v * 1000) < min_ms) {
		fprintf(stderr, "hare-httpd: --%s '%s': expected seconds in %.3f..86400 (e.g. 10 "
			"or 0.5)\n", name, val, min_ms / 1000.0);
		return -1;
	}
	*out = (uint32_t)llround(v * 1000);
	return 0;
}

static int
parse_size(const char *val, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (*val == '-' || *val == '\0')
		goto bad;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno || end == val)
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1024; end++; break;
	case 'm': case 'M': mult = 1024 * 1024; end++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; end++; break;
	default: goto bad;
	}
	if (*end != '\0' || v > HTTPD_MAX_BODY_SIZE / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	fprintf(stderr, "hare-httpd: --body-size '%s': expected bytes in 0..%llu, with an "
		"optional k/m/g suffix (e.g. 64, 10m)\n", val, HTTPD_MAX_BODY_SIZE);
	return -1;
}

static int
httpd_parse_opt(void *arg, const char *name, const char *val)
{
	struct httpd_ctx *ctx = arg;
	struct httpd_opts *o = &ctx->svc.o;
	unsigned long v;

	if (strcmp(name, "port") == 0) {
		if (hare_app_parse_uint(val, 1, 65535, &v) < 0) {
			fprintf(stderr, "hare-httpd: --port wants 1..65535, got '%s'\n", val);
			return -1;
		}
		o->port = (uint16_t)v;
	} else if (strcmp(name, "body-size") == 0) {
		if (parse_size(val, &ctx->body_size) < 0)
			return -1;
		ctx->body_size_set = true;
	} else if (strcmp(name, "root") == 0) {
		ctx->root = val;
	} else if (strcmp(name, "max-conns") == 0) {
		if (hare_app_parse_uint(val, 1, 1u << 20, &v) < 0) {
			fprintf(stderr, "hare-httpd: --max-conns wants 1..1048576, got '%s'\n", val);
			return -1;
		}
		o->max_conns = (uint32_t)v;
	} else if (strcmp(name, "max-head") == 0) {
		if (hare_app_parse_uint(val, 256, 65536, &v) < 0) {
			fprintf(stderr, "hare-httpd: --max-head wants 256..65536 bytes, got '%s'\n",
				val);
			return -1;
		}
		o->max_head = (uint32_t)v;
	} else if (strcmp(name, "header-timeout") == 0) {
		return parse_seconds(name, val, 1, &o->header_timeout_ms);
	} else if (strcmp(name, "idle-timeout") == 0) {
		return parse_seconds(name, val, 0, &o->idle_timeout_ms);
	} else if (strcmp(name, "send-timeout") == 0) {
		return parse_seconds(name, val, 1, &o->send_timeout_ms);
	} else if (strcmp(name, "linger") == 0) {
		return parse_seconds(name, val, 1, &o->linger_ms);
	} else {
		return -1;
	}
	return 0;
}

static int
httpd_check(void *arg, struct hare_config *cfg)
{
	struct httpd_ctx *ctx = arg;

	if (cfg->n_ips == 0) {
		fprintf(stderr, "hare-httpd: give the address to serve on: --ip A.B.C.D/LEN\n");
		return -1;
	}
	if (ctx->root && ctx->body_size_set) {
		fprintf(stderr, "hare-httpd: --root and --body-size exclude each other: give one\n");
		return -1;
	}
	if (ctx->root) {
		if (httpd_content_scan(&ctx->svc.content, ctx->root, "hare-httpd") < 0)
			return -1;
	} else {
		if (!ctx->body_size_set) {
			ctx->body_size = 64;
			fprintf(stderr, "hare-httpd: serving a generated 64-byte body for every path "
				"(choose with --body-size N or --root DIR)\n");
		}
		if (httpd_content_generate(&ctx->svc.content, ctx->body_size, "hare-httpd") < 0)
			return -1;
	}
	/* mbufs a worker's connections keep beyond the rings: a response head
	 * waiting for its ACK per connection, plus streamed-body references
	 * and held input, bounded by the TCP buffers */
	ctx->app->extra_mbufs = ctx->svc.o.max_conns * 2 + 8192;
	return 0;
}

static int
httpd_worker_setup(void *arg, struct hare_worker *w)
{
	struct httpd_ctx *ctx = arg;

	return httpd_service_start(&ctx->svc, w, "hare-httpd");
}

static void
httpd_worker_teardown(void *arg, struct hare_worker *w)
{
	struct httpd_ctx *ctx = arg;

	httpd_service_stop(&ctx->svc, w);
}

static void
httpd_report(void *arg, struct hare_worker *const *workers, unsigned n)
{
	struct httpd_ctx *ctx = arg;

	(void)workers;
	(void)n;
	httpd_service_report(&ctx->svc, stdout);
}

int
main(int argc, char **argv)
{
	static struct httpd_ctx ctx;
	static struct hare_app app = {
		.name = "hare-httpd",
		.summary = "hare-httpd: HTTP/1.1 server (--port N, --body-size N | --root DIR)",
		.opts = httpd_opts,
		.ctx = &ctx,
		.parse_opt = httpd_parse_opt,
		.check = httpd_check,
		.worker_setup = httpd_worker_setup,
		.worker_teardown = httpd_worker_teardown,
		.report = httpd_report,
	};

	ctx.app = &app;
	httpd_opts_default(&ctx.svc.o);
	return hare_app_main(&app, argc, argv);
}
