/* load_report.c — what hare-load prints (main thread only).
 *
 *   per second (--stats SEC, default 1; dperf's spirit: rates and errors):
 *     load t=3 req/s=54012 conn/s=0 rx_Mbit/s=45.12 tx_Mbit/s=3.10 active=64
 *          lat_avg_us=1180.2 2xx=54012 non2xx=0 errors=0 [kind=N ...]
 *   at the end: a summary in wrk's shape (latency avg/stdev/max/+-stdev,
 *     the distribution 50/75/90/99/99.9/99.99, totals, Requests/sec,
 *     Transfer/sec), error kinds, and with --json FILE every figure.
 * Worker counters are read while workers write them (a value may be a
 * burst old); the histograms only after the workers stopped.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <rte_cycles.h>
#include "load.h"

/* One per-second sample, kept for --json. */
struct load_sample {
	uint32_t t;
	double req_s, conn_s, rx_mbit_s, tx_mbit_s, lat_avg_us;
	uint64_t errors, active;
};

static struct {
	bool started;
	uint64_t start_ms, next_ms, last_ms;
	struct load_counters last;
	struct load_sample series[LOAD_MAX_SERIES];
	unsigned n_series;
	bool series_truncated;
} rep;

static void
sum_counters(struct load_worker *const *lws, unsigned n, struct load_counters *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < n; i++) {
		const struct load_counters *c = &lws[i]->cnt;

		s->conn_attempts += c->conn_attempts;
		s->conn_ok += c->conn_ok;
		s->requests += c->requests;
		s->responses += c->responses;
		s->failed += c->failed;
		for (unsigned k = 0; k < 6; k++)
			s->status[k] += c->status[k];
		s->tx_bytes += c->tx_bytes;
		s->rx_bytes += c->rx_bytes;
		s->body_bytes += c->body_bytes;
		s->lat_sum_ns += c->lat_sum_ns;
		for (unsigned k = 0; k < LOAD_ERR_COUNT; k++)
			s->err[k] += c->err[k];
		s->server_closed += c->server_closed;
		s->late += c->late;
		s->active += c->active;
	}
}

static uint64_t
err_total(const struct load_counters *c)
{
	uint64_t t = 0;

	for (unsigned k = 0; k < LOAD_ERR_COUNT; k++)
		t += c->err[k];
	return t;
}

void
load_report_tick(const struct load_cfg *cfg, struct load_worker *const *lws, unsigned n,
		 uint64_t now_ms)
{
	struct load_counters cur, d;
	double sec;

	if (!rep.started) {
		rep.started = true;
		rep.start_ms = rep.last_ms = now_ms;
		rep.next_ms = now_ms + (uint64_t)cfg->stats_s * 1000;
		return;
	}
	if (cfg->stats_s == 0 || now_ms < rep.next_ms)
		return;
	rep.next_ms += (uint64_t)cfg->stats_s * 1000;
	sum_counters(lws, n, &cur);
	sec = (double)(now_ms - rep.last_ms) / 1000.0;
	if (sec <= 0)
		sec = 1;
	d.responses = cur.responses - rep.last.responses;
	d.conn_ok = cur.conn_ok - rep.last.conn_ok;
	d.rx_bytes = cur.rx_bytes - rep.last.rx_bytes;
	d.tx_bytes = cur.tx_bytes - rep.last.tx_bytes;
	d.lat_sum_ns = cur.lat_sum_ns - rep.last.lat_sum_ns;

	struct load_sample s = {
		.t = (uint32_t)((now_ms - rep.start_ms + 500) / 1000),
		.req_s = (double)d.responses / sec,
		.conn_s = (double)d.conn_ok / sec,
		.rx_mbit_s = (double)d.rx_bytes * 8 / 1e6 / sec,
		.tx_mbit_s = (double)d.tx_bytes * 8 / 1e6 / sec,
		.lat_avg_us = d.responses ? (double)d.lat_sum_ns / (double)d.responses / 1e3 : 0,
		.errors = err_total(&cur),
		.active = cur.active,
	};
	uint64_t non2xx = cur.status[0] + cur.status[1] + cur.status[3] + cur.status[4] +
			  cur.status[5];

	printf("load t=%u req/s=%.0f conn/s=%.0f rx_Mbit/s=%.2f tx_Mbit/s=%.2f active=%" PRIu64
	       " lat_avg_us=%.1f 2xx=%" PRIu64 " non2xx=%" PRIu64 " errors=%" PRIu64,
	       s.t, s.req_s, s.conn_s, s.rx_mbit_s, s.tx_mbit_s, s.active, s.lat_avg_us,
	       cur.status[2], non2xx, s.errors);
	for (unsigned k = 0; k < LOAD_ERR_COUNT; k++)
		if (cur.err[k])
			printf(" %s=%" PRIu64, load_err_name(k), cur.err[k]);
	printf("\n");
	fflush(stdout);
	if (rep.n_series < LOAD_MAX_SERIES)
		rep.series[rep.n_series++] = s;
	else
		rep.series_truncated = true;
	rep.last = cur;
	rep.last_ms = now_ms;
}

/* wrk's units: time from ns; sizes in 1024 steps. */
static const char *
fmt_time(char *b, size_t sz, double ns)
{
	if (ns < 1e3)
		snprintf(b, sz, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(b, sz, "%.2fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(b, sz, "%.2fms", ns / 1e6);
	else
		snprintf(b, sz, "%.2fs", ns / 1e9);
	return b;
}

static const char *
fmt_bytes(char *b, size_t sz, double v)
{
	static const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	unsigned i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(b, sz, "%.2f%s", v, u[i]);
	return b;
}

/* Share of samples within mean +- stdev (wrk's "+/- Stdev"), from buckets. */
static double
within_stdev(const struct hist *h)
{
	double m = hist_mean(h), sd = hist_stdev(h);
	uint64_t in = 0;

	if (h->count == 0)
		return 0;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		double mid;

		if (h->buckets[i] == 0)
			continue;
		mid = ((double)hist_bucket_low(i) + (double)hist_bucket_high(i)) / 2;
		if (mid >= m - sd && mid <= m + sd)
			in += h->buckets[i];
	}
	return 100.0 * (double)in / (double)h->count;
}

static const double pcts[] = { 50, 75, 90, 99, 99.9, 99.99 };
#define N_PCTS (sizeof(pcts) / sizeof(pcts[0]))

static void
json_hist(FILE *f, const char *name, const struct hist *h)
{
	fprintf(f, "  \"%s\": {\"count\": %" PRIu64 ", \"min_ns\": %" PRIu64 ", \"avg_ns\": %.1f, "
		"\"stdev_ns\": %.1f, \"max_ns\": %" PRIu64 ", \"within_stdev_pct\": %.2f, "
		"\"percentiles_ns\": {", name, hist_count(h), hist_min(h), hist_mean(h),
		hist_stdev(h), hist_max(h), within_stdev(h));
	for (unsigned i = 0; i < N_PCTS; i++)
		fprintf(f, "%s\"%g\": %" PRIu64, i ? ", " : "", pcts[i], hist_percentile(h, pcts[i]));
	fprintf(f, "}},\n");
}

static const char *
mode_name(const struct load_cfg *cfg)
{
	switch (cfg->mode) {
	case LOAD_MODE_URL:
		return cfg->close ? "url-close" : "url";
	case LOAD_MODE_ECHO:
		return "echo";
	case LOAD_MODE_CONNECT:
		return "connect";
	case LOAD_MODE_GET:
		return "get";
	default:
		return "none";
	}
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int
write_json(const struct load_cfg *cfg, struct load_worker *const *lws, unsigned n,
	   const struct load_counters *s, const struct hist *lat, const struct hist *clat,
	   double elapsed)
{
	FILE *f = fopen(cfg->json_file, "w");

	if (f == NULL) {
		fprintf(stderr, "hare-load: cannot write --json %s: %m (check the directory exists "
			"and is writable)\n", cfg->json_file);
		return -1;
	}
	fprintf(f, "{\n  \"mode\": \"%s\",\n  \"target\": ", mode_name(cfg));
	json_string(f, cfg->target);
	fprintf(f, ",\n  \"workers\": %u,\n  \"connections\": %" PRIu64 ",\n"
		"  \"duration_ms\": %" PRIu64 ",\n  \"requests_limit\": %" PRIu64 ",\n"
		"  \"rate\": %.3f,\n  \"echo_size\": %u,\n  \"timeout_ms\": %u,\n"
		"  \"connect_timeout_ms\": %u,\n  \"elapsed_s\": %.6f,\n",
		n, cfg->conns, cfg->duration_ms, cfg->total, cfg->rate, cfg->size,
		cfg->timeout_ms, cfg->connect_timeout_ms, elapsed);
	fprintf(f, "  \"requests\": %" PRIu64 ",\n  \"responses\": %" PRIu64 ",\n"
		"  \"failed\": %" PRIu64 ",\n  \"errors\": %" PRIu64 ",\n"
		"  \"requests_per_s\": %.3f,\n  \"connections_per_s\": %.3f,\n"
		"  \"connect_attempts\": %" PRIu64 ",\n  \"connects_ok\": %" PRIu64 ",\n"
		"  \"rx_bytes\": %" PRIu64 ",\n  \"tx_bytes\": %" PRIu64 ",\n"
		"  \"body_bytes\": %" PRIu64 ",\n  \"rx_bytes_per_s\": %.1f,\n"
		"  \"server_closed\": %" PRIu64 ",\n  \"late\": %" PRIu64 ",\n",
		s->requests, s->responses, s->failed, err_total(s),
		elapsed > 0 ? (double)s->responses / elapsed : 0,
		elapsed > 0 ? (double)s->conn_ok / elapsed : 0, s->conn_attempts, s->conn_ok,
		s->rx_bytes, s->tx_bytes, s->body_bytes,
		elapsed > 0 ? (double)s->rx_bytes / elapsed : 0, s->server_closed, s->late);
	fprintf(f, "  \"status\": {\"1xx\": %" PRIu64 ", \"2xx\": %" PRIu64 ", \"3xx\": %" PRIu64
		", \"4xx\": %" PRIu64 ", \"5xx\": %" PRIu64 ", \"other\": %" PRIu64 "},\n",
		s->status[1], s->status[2], s->status[3], s->status[4], s->status[5], s->status[0]);
	fprintf(f, "  \"error_kinds\": {");
	for (unsigned k = 0; k < LOAD_ERR_COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", load_err_name(k), s->err[k]);
	fprintf(f, "},\n");
	json_hist(f, "latency", lat);
	json_hist(f, "connect_latency", clat);
	if (cfg->mode == LOAD_MODE_GET)
		fprintf(f, "  \"get\": {\"ok\": %s, \"status\": %d, \"body_bytes\": %" PRIu64 "},\n",
			lws[0]->get_ok ? "true" : "false", lws[0]->get_status, s->body_bytes);
	fprintf(f, "  \"per_worker\": [");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s{\"connections\": %u, \"requests\": %" PRIu64 ", \"responses\": %" PRIu64
			", \"failed\": %" PRIu64 "}", i ? ", " : "", lws[i]->n_conns,
			lws[i]->cnt.requests, lws[i]->cnt.responses, lws[i]->cnt.failed);
	fprintf(f, "],\n  \"series_truncated\": %s,\n  \"series\": [",
		rep.series_truncated ? "true" : "false");
	for (unsigned i = 0; i < rep.n_series; i++) {
		const struct load_sample *x = &rep.series[i];

		fprintf(f, "%s\n    {\"t\": %u, \"req_s\": %.1f, \"conn_s\": %.1f, \"rx_mbit_s\": %.3f, "
			"\"tx_mbit_s\": %.3f, \"lat_avg_us\": %.2f, \"errors\": %" PRIu64
			", \"active\": %" PRIu64 "}", i ? "," : "", x->t, x->req_s, x->conn_s,
			x->rx_mbit_s, x->tx_mbit_s, x->lat_avg_us, x->errors, x->active);
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "hare-load: writing --json %s failed: %m (disk full?)\n",
			cfg->json_file);
		return -1;
	}
	return 0;
}

int
load_report_final(const struct load_cfg *cfg, struct load_worker *const *lws, unsigned n)
{
	static struct hist lat, clat;
	struct load_counters s;
	double elapsed = 0, hz = (double)rte_get_tsc_hz();
	char a[32], b[32], c[32];
	const char *unit = cfg->mode == LOAD_MODE_ECHO ? "rounds" :
		cfg->mode == LOAD_MODE_CONNECT ? "connections" : "requests";

	hist_reset(&lat);
	hist_reset(&clat);
	sum_counters(lws, n, &s);
	for (unsigned i = 0; i < n; i++) {
		const struct load_worker *lw = lws[i];
		uint64_t end = lw->last_done_tsc > lw->drain_tsc ? lw->last_done_tsc : lw->drain_tsc;

		hist_merge(&lat, &lw->lat);
		hist_merge(&clat, &lw->conn_lat);
		if (lw->started && end > lw->start_tsc && (double)(end - lw->start_tsc) / hz > elapsed)
			elapsed = (double)(end - lw->start_tsc) / hz;
	}

	printf("Ran %.2fs test @ %s\n", elapsed, cfg->target);
	printf("  %u worker%s and %" PRIu64 " connection%s%s\n", n, n == 1 ? "" : "s", cfg->conns,
	       cfg->conns == 1 ? "" : "s", cfg->rate > 0 ? " (open loop, --rate)" : "");
	printf("  Thread Stats   Avg      Stdev     Max   +/- Stdev\n");
	printf("    Latency   %8s  %8s  %8s  %7.2f%%\n", fmt_time(a, sizeof(a), hist_mean(&lat)),
	       fmt_time(b, sizeof(b), hist_stdev(&lat)),
	       fmt_time(c, sizeof(c), (double)hist_max(&lat)), within_stdev(&lat));
	printf("    Connect   %8s  %8s  %8s  %7.2f%%\n", fmt_time(a, sizeof(a), hist_mean(&clat)),
	       fmt_time(b, sizeof(b), hist_stdev(&clat)),
	       fmt_time(c, sizeof(c), (double)hist_max(&clat)), within_stdev(&clat));
	printf("  Latency Distribution\n");
	for (unsigned i = 0; i < N_PCTS; i++)
		printf("  %6g%%  %s\n", pcts[i],
		       fmt_time(a, sizeof(a), (double)hist_percentile(&lat, pcts[i])));
	printf("  %" PRIu64 " %s in %.2fs, %s read\n", s.responses, unit, elapsed,
	       fmt_bytes(a, sizeof(a), (double)s.rx_bytes));
	printf("  Errors: %" PRIu64 " (", err_total(&s));
	for (unsigned k = 0; k < LOAD_ERR_COUNT; k++)
		printf("%s%s %" PRIu64, k ? ", " : "", load_err_name(k), s.err[k]);
	printf(")\n");
	if (cfg->mode == LOAD_MODE_URL || cfg->mode == LOAD_MODE_GET)
		printf("  Status: 1xx %" PRIu64 ", 2xx %" PRIu64 ", 3xx %" PRIu64 ", 4xx %" PRIu64
		       ", 5xx %" PRIu64 "\n  Non-2xx or 3xx responses: %" PRIu64 "\n",
		       s.status[1], s.status[2], s.status[3], s.status[4], s.status[5],
		       s.status[0] + s.status[1] + s.status[4] + s.status[5]);
	if (s.server_closed)
		printf("  Idle connections closed by the server: %" PRIu64 "\n", s.server_closed);
	if (cfg->rate > 0)
		printf("  Sent more than 1 ms after their intended time: %" PRIu64 "\n", s.late);
	printf("%s/sec: %10.2f\n", cfg->mode == LOAD_MODE_CONNECT ? "Connections" :
	       cfg->mode == LOAD_MODE_ECHO ? "Rounds" : "Requests",
	       elapsed > 0 ? (double)s.responses / elapsed : 0);
	if (cfg->mode != LOAD_MODE_CONNECT)
		printf("Connections/sec: %6.2f\n", elapsed > 0 ? (double)s.conn_ok / elapsed : 0);
	printf("Transfer/sec: %10s\n",
	       fmt_bytes(a, sizeof(a), elapsed > 0 ? (double)s.rx_bytes / elapsed : 0));
	fflush(stdout);
	if (cfg->json_file && write_json(cfg, lws, n, &s, &lat, &clat, elapsed) < 0)
		return -1;
	return 0;
}
