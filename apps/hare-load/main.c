/* hare-load — a load-testing client (and a one-shot fetcher) on hare.
 *
 *   hare-load [EAL options] -- --ip A.B.C.D/LEN MODE [options]
 *   MODE: --url http://A.B.C.D[:P]/path [--close] | --echo A.B.C.D:P [--size N]
 *         | --connect A.B.C.D:P | --get URL [-o FILE]
 *
 * This file wires the engine into hare_app_main: options (load_cli.c),
 * one engine per worker (load_engine.c) with its share of -c and -n,
 * the per-second line and the stop decision on the main thread
 * (should_stop, ~every 100 ms), the final report (load_report.c).
 *
 * Exit status: 0 after a run (errors are reported, not fatal), 1 on a
 * start-up failure, 2 on bad options; --get: 0 only when the response was
 * complete, valid and 2xx (and -o written), else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hare_app.h"
#include "load.h"

#define MAX_WORKERS 128
#define STOP_GRACE_MS 10000   /* beyond -d + --timeout + close: stop regardless */

/* The program's state, shared by the hooks (main thread). */
struct load_app {
	struct load_cfg cfg;
	struct hare_app *app;
	struct load_worker *lws[MAX_WORKERS];
	unsigned n_lws, n_workers;
	FILE *out;
	bool out_failed;
	uint64_t start_ms;
	int report_rc;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
app_parse_opt(void *arg, const char *name, const char *val)
{
	struct load_app *la = arg;

	return load_parse_opt(&la->cfg, name, val);
}

static int
app_check(void *arg, struct hare_config *hc)
{
	struct load_app *la = arg;
	uint64_t extra;

	if (load_check(&la->cfg, hc) < 0)
		return -1;
	/* mbufs in flight per connection: a request or echo round queued for
	 * retransmission, plus receive-side out-of-order segments */
	extra = 4096 + 2 * la->cfg.conns;
	if (la->cfg.mode == LOAD_MODE_ECHO)
		extra += la->cfg.conns * ((la->cfg.size < hc->tcp.snd_buf ? la->cfg.size :
					    hc->tcp.snd_buf) / 1024 + 1);
	if (la->cfg.mode == LOAD_MODE_GET)
		extra += hc->tcp.ooo_max_segs * 2u + hc->tcp.rcv_buf / 1024;
	la->app->extra_mbufs = (uint32_t)(extra > (1u << 20) ? (1u << 20) : extra);
	return 0;
}

/* This worker's share of n when n is split in proportion to the
 * connections (workers without connections get none of -n). */
static uint64_t
share(uint64_t n, uint64_t conns, uint64_t before, uint64_t mine)
{
	unsigned __int128 hi = (unsigned __int128)n * (before + mine) / conns;
	unsigned __int128 lo = (unsigned __int128)n * before / conns;

	return (uint64_t)(hi - lo);
}

static int
app_worker_setup(void *arg, struct hare_worker *w)
{
	struct load_app *la = arg;
	const struct load_cfg *cfg = &la->cfg;
	unsigned nw = w->n_workers ? w->n_workers : 1, id = w->worker_id;
	uint64_t before = cfg->conns / nw * id + (id < cfg->conns % nw ? id : cfg->conns % nw);
	uint32_t mine = (uint32_t)(cfg->conns / nw + (id < cfg->conns % nw));
	uint64_t quota = cfg->total ? share(cfg->total, cfg->conns, before, mine) : UINT64_MAX;
	struct load_worker *lw;

	if (id >= MAX_WORKERS) {
		fprintf(stderr, "hare-load: at most %d workers (give fewer lcores with -l)\n",
			MAX_WORKERS);
		return -1;
	}
	lw = load_worker_create(w, cfg, quota, mine);
	if (lw == NULL) {
		fprintf(stderr, "hare-load: worker %u: no memory for %u connection slots (lower -c "
			"or give DPDK more memory with -m)\n", id, mine);
		return -12;
	}
	la->lws[id] = lw;
	la->n_lws = id + 1 > la->n_lws ? id + 1 : la->n_lws;
	la->n_workers = nw;
	if (cfg->mode == LOAD_MODE_GET && cfg->out_file && mine > 0) {
		la->out = fopen(cfg->out_file, "wb");
		if (la->out == NULL) {
			fprintf(stderr, "hare-load: cannot open -o %s: %m (check the directory "
				"exists and is writable)\n", cfg->out_file);
			return -1;
		}
		load_worker_set_output(lw, la->out);
	}
	return 0;
}

static bool
app_should_stop(void *arg)
{
	struct load_app *la = arg;
	uint64_t now = mono_ms();
	bool all_done = la->n_lws == la->n_workers && la->n_lws > 0;

	if (la->start_ms == 0)
		la->start_ms = now;
	load_report_tick(&la->cfg, la->lws, la->n_lws, now);
	for (unsigned i = 0; i < la->n_lws; i++)
		if (__atomic_load_n(&la->lws[i]->phase, __ATOMIC_RELAXED) != LP_DONE)
			all_done = false;
	if (all_done)
		return true;
	/* A bound that does not depend on the workers' own bookkeeping. */
	if (la->cfg.duration_ms &&
	    now > la->start_ms + la->cfg.duration_ms + la->cfg.timeout_ms + STOP_GRACE_MS) {
		fprintf(stderr, "hare-load: workers did not finish %u ms after -d + --timeout; "
			"stopping (please report this with the output above)\n", STOP_GRACE_MS);
		return true;
	}
	return false;
}

static void
app_report(void *arg, struct hare_worker *const *workers, unsigned n)
{
	struct load_app *la = arg;

	(void)workers;
	(void)n;
	la->report_rc = load_report_final(&la->cfg, la->lws, la->n_lws);
	if (la->out && fclose(la->out) != 0) {
		fprintf(stderr, "hare-load: writing -o %s failed: %m (disk full?)\n",
			la->cfg.out_file);
		la->out_failed = true;
	}
	la->out = NULL;
}

int
main(int argc, char **argv)
{
	static struct load_app la;
	int nargc, rc;
	char **nargv;
	struct hare_app app = {
		.name = "hare-load",
		.summary = "hare-load: HTTP/echo/connect load generator and one-shot HTTP fetcher\n"
			   "  short forms: -c N (--connections), -d T (--duration), -n N "
			   "(--requests), -o FILE (--output);\n"
			   "  --ip A.B.C.D-E.F.G.H/LEN adds a range of source addresses",
		.opts = load_opts,
		.ctx = &la,
		.parse_opt = app_parse_opt,
		.check = app_check,
		.worker_setup = app_worker_setup,
		.should_stop = app_should_stop,
		.report = app_report,
	};

	la.app = &app;
	load_pattern_init();
	if (load_cli_rewrite(argc, argv, &nargc, &nargv) < 0)
		return 2;
	rc = hare_app_main(&app, nargc, nargv);
	if (rc == 0 && la.report_rc < 0)
		rc = 1;
	if (rc == 0 && la.cfg.mode == LOAD_MODE_GET) {
		struct load_worker *lw = la.n_lws ? la.lws[0] : NULL;

		if (lw == NULL || !lw->get_ok || la.out_failed) {
			fprintf(stderr, "hare-load: --get %s failed: %s (see the errors above; "
				"a longer --timeout helps on a lossy path)\n", la.cfg.target,
				lw && lw->get_status && !lw->get_ok ? "the server's status is not 2xx" :
				la.out_failed ? "the output file could not be written" :
				"the response did not complete");
			rc = 1;
		}
	}
	for (unsigned i = 0; i < la.n_lws; i++)
		load_worker_destroy(la.lws[i]);
	return rc;
}
