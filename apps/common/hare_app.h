/* hare_app.h — what every hare program shares: the command line and main().
 *
 *   hare-<app> [EAL options] -- [app options]        (the DPDK convention)
 *
 * Shared app options: --ip A.B.C.D/LEN (repeatable), --gw A.B.C.D,
 * --mtu N, --stats SEC, --help. An app adds its own options through
 * struct hare_app_opt and the parse_opt hook, and its service through
 * worker_setup, called once per worker right after hare_worker_init().
 *
 * hare_app_main() does: parse app options (before touching DPDK, so a bad
 * option fails fast) -> EAL init (hare_eal) -> first port up (hare_port),
 * one queue pair per enabled lcore -> one worker per lcore, the main lcore
 * included -> app worker_setup per worker -> launch -> print "ready" on
 * stdout -> run until SIGINT/SIGTERM -> stop workers, print the final
 * counters, close the port, report leaked mbufs.
 *
 * Output contract (tests parse it; stdout, line-buffered):
 *   ready                          once, when the port is up and workers run
 *   == stats <label> ==            then "  name  value  (+delta)" lines, on
 *                                  every --stats tick, on SIGUSR1 and at exit
 *                                  (label "final"); a "port_*" group follows
 *                                  with the PMD's own counters
 *   mbufs_in_use N                 at exit, after the port closed (0 = no leak)
 *   mbufs_kept_by_pmd N            then, when the PMD kept its RX rings' mbufs
 *                                  through close (net_af_xdp): not counted above
 * Everything else (notes, warnings, errors) goes to stderr.
 */
#ifndef HARE_APP_H
#define HARE_APP_H

#include <stdbool.h>
#include <stdint.h>
#include "hare.h"

/* One app-specific long option. */
struct hare_app_opt {
	const char *name;     /* long name without "--" */
	const char *arg;      /* argument's name for --help, NULL = takes none */
	const char *help;     /* one line */
};

/* An application plugged into hare_app_main(). Hooks may be NULL. */
struct hare_app {
	const char *name;                  /* program name, e.g. "hare-echo" */
	const char *summary;               /* one line for --help */
	const struct hare_app_opt *opts;   /* app options, ended by {NULL} */
	void *ctx;                         /* handed to every hook */

	/* One app option (name without "--", arg NULL when it takes none).
	 * Return 0, or -1 after printing what is wrong on stderr. */
	int (*parse_opt)(void *ctx, const char *name, const char *arg);
	/* After all options parsed (cfg filled): check combinations, adjust
	 * cfg (e.g. TCP tunables). Return 0, or -1 after printing why. */
	int (*check)(void *ctx, struct hare_config *cfg);
	/* Mbufs per worker the app keeps in flight beyond rings and ARP
	 * (sizes the pools); 0 = the driver's default. */
	uint32_t extra_mbufs;
	/* Per worker, on the main thread, after hare_worker_init() and before
	 * any worker runs: open listeners, connect, set callbacks. Return 0,
	 * or a negative errno after printing why (the app then exits 1). */
	int (*worker_setup)(void *ctx, struct hare_worker *w);
	/* Per worker after all workers stopped, before hare_worker_fini();
	 * also for a worker whose worker_setup failed (undo what it did). */
	void (*worker_teardown)(void *ctx, struct hare_worker *w);
	/* On the main thread while workers run, about every 100 ms: return
	 * true to stop the program (e.g. a load test finished). */
	bool (*should_stop)(void *ctx);
	/* After the final counters are printed: app's own report. */
	void (*report)(void *ctx, struct hare_worker *const *workers, unsigned n);
};

/* The whole program. Returns the process exit status: 0 on a clean stop,
 * 1 on a start-up error (message printed), 2 on bad options (message and
 * usage hint printed). */
int hare_app_main(struct hare_app *app, int argc, char **argv);

/* Parse an unsigned decimal in [min, max]; returns 0 or -1. For hooks. */
int hare_app_parse_uint(const char *text, unsigned long min, unsigned long max,
			unsigned long *out);

#endif
