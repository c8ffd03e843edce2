/* hare-echo — TCP echo server (--port N, repeatable, default 7) on every
 * --ip address; also answers ARP and ICMP (ping, port unreachable for UDP).
 * The echo logic is in echo_service.c; this file parses --port and opens
 * the listeners per worker in the app.worker_setup hook (called by
 * hare_app_main right after hare_worker_init, before the worker runs).
 */
#include <stdio.h>
#include <string.h>
#include "hare_app.h"
#include "echo_service.h"

/* The app's state, shared read-only by its hooks. */
struct echo_ctx {
	struct echo_service svc;
};

static const struct hare_app_opt echo_opts[] = {
	{ "port", "N", "TCP echo port (repeatable; default 7)" },
	{ NULL, NULL, NULL },
};

static int
echo_parse_opt(void *arg, const char *name, const char *val)
{
	struct echo_ctx *ctx = arg;
	unsigned long v;

	if (strcmp(name, "port") != 0)
		return -1;
	if (hare_app_parse_uint(val, 1, 65535, &v) < 0) {
		fprintf(stderr, "hare-echo: --port wants 1..65535, got '%s'\n", val);
		return -1;
	}
	if (ctx->svc.n_ports >= ECHO_MAX_PORTS) {
		fprintf(stderr, "hare-echo: at most %d --port options\n", ECHO_MAX_PORTS);
		return -1;
	}
	ctx->svc.ports[ctx->svc.n_ports++] = (uint16_t)v;
	return 0;
}

static int
echo_check(void *arg, struct hare_config *cfg)
{
	struct echo_ctx *ctx = arg;

	if (ctx->svc.n_ports == 0)
		ctx->svc.ports[ctx->svc.n_ports++] = 7;
	echo_service_config(cfg);
	return 0;
}

static int
echo_worker_setup(void *arg, struct hare_worker *w)
{
	struct echo_ctx *ctx = arg;

	return echo_service_start(&ctx->svc, w);
}

int
main(int argc, char **argv)
{
	static struct echo_ctx ctx;
	struct hare_app app = {
		.name = "hare-echo",
		.summary = "hare-echo: TCP echo server (--port N, default 7); answers ARP and ping",
		.opts = echo_opts,
		.ctx = &ctx,
		.parse_opt = echo_parse_opt,
		.check = echo_check,
		.worker_setup = echo_worker_setup,
		/* received data waits in send queues until the peer ACKs the
		 * echo: room for ~128 connections with full 256 KiB windows
		 * (beyond that the stack's memory-pressure rule throttles) */
		.extra_mbufs = 24576,
	};

	return hare_app_main(&app, argc, argv);
}
