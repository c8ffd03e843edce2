/* app_main.c — the main() every hare program shares (see hare_app.h).
 *
 * Threads: one worker per enabled lcore, the main lcore included (it runs
 * worker 0). A plain pthread, the control thread, does everything that is
 * not packet work: it waits for signals with sigtimedwait (the signals are
 * blocked in every thread before EAL starts, so no async handler runs on a
 * worker), prints counters on --stats ticks and SIGUSR1, polls the app's
 * should_stop, and on SIGINT/SIGTERM sets every worker's stop flag.
 * Counters are read while workers write them: a value may be a burst old,
 * which is fine for counters (hare_stats.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include "hare_app.h"
#include "app_cli.h"
#include "hare_eal.h"
#include "hare_port.h"

#define LINK_WAIT_MS 5000
#define CONTROL_TICK_MS 100

/* Everything one run of a program holds; lives on hare_app_main's stack. */
struct app_run {
	struct hare_app *app;
	struct hare_config cfg;
	struct hare_port port;
	struct hare_worker *workers[HARE_PORT_MAX_QUEUES];
	unsigned n_workers;
	unsigned n_inited;          /* workers through hare_worker_init */
	atomic_uint started;        /* workers whose loop has begun */
	atomic_bool quit;           /* the control thread should end */
	struct hare_stats last;     /* previous --stats snapshot, for deltas */
	unsigned snapshots;
	bool failed;                /* a worker could not be launched */
	struct launch_arg {         /* what rte_eal_remote_launch hands a worker */
		struct app_run *r;
		struct hare_worker *w;
	} launch[HARE_PORT_MAX_QUEUES];
};

static void
sum_stats(const struct app_run *r, struct hare_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < r->n_workers; i++)
		hare_stats_add(sum, &r->workers[i]->stats);
}

/* One "== stats LABEL ==" block on stdout (format in hare_app.h). */
static void
print_block(struct app_run *r, const char *label, bool delta)
{
	struct hare_stats now;
	struct hare_port_counters pc;

	sum_stats(r, &now);
	printf("== stats %s ==\n", label);
	hare_stats_print(stdout, "  ", &now, delta ? &r->last : NULL);
	printf("  %-24s %14" PRIu64 "\n", "drops_total", hare_stats_drops(&now));
	if (hare_port_counters(&r->port, &pc) == 0)
		printf("  port_ipackets %" PRIu64 " port_opackets %" PRIu64 " port_imissed %" PRIu64
		       " port_ierrors %" PRIu64 " port_oerrors %" PRIu64 " port_rx_nombuf %" PRIu64
		       "\n", pc.ipackets, pc.opackets, pc.imissed, pc.ierrors, pc.oerrors,
		       pc.rx_nombuf);
	printf("== end ==\n");
	fflush(stdout);
	r->last = now;
}

static void
stop_workers(struct app_run *r)
{
	for (unsigned i = 0; i < r->n_workers; i++)
		r->workers[i]->stop = true;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *
control_thread(void *arg)
{
	struct app_run *r = arg;
	sigset_t set;
	struct timespec tick = { 0, CONTROL_TICK_MS * 1000000L };
	uint64_t start = mono_ms();
	uint64_t next_stats = start + (uint64_t)r->cfg.stats_interval_s * 1000;
	char label[64];

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	while (!atomic_load(&r->quit)) {
		int sig = sigtimedwait(&set, NULL, &tick);
		uint64_t now = mono_ms();

		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "%s: %s: stopping\n", r->app->name,
				sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		if (sig == SIGUSR1) {
			snprintf(label, sizeof(label), "snapshot %u", ++r->snapshots);
			print_block(r, label, true);
		}
		if (r->cfg.stats_interval_s && now >= next_stats) {
			next_stats += (uint64_t)r->cfg.stats_interval_s * 1000;
			snprintf(label, sizeof(label), "t=%" PRIu64 "s", (now - start + 500) / 1000);
			print_block(r, label, true);
		}
		if (r->app->should_stop && r->app->should_stop(r->app->ctx))
			break;
	}
	stop_workers(r);
	return NULL;
}

static int
worker_lcore_main(void *arg)
{
	struct launch_arg *a = arg;

	atomic_fetch_add(&a->r->started, 1);
	return hare_worker_run(a->w);
}

/* Allocate and initialise one worker per port queue; lcore ids in order:
 * the main lcore first, then the worker lcores. */
static int
setup_workers(struct app_run *r)
{
	unsigned lcores[RTE_MAX_LCORE], n = 0, lc;
	const char *prog = r->app->name;

	lcores[n++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(lc)
		lcores[n++] = lc;
	r->n_workers = r->port.n_queues;
	if (r->n_workers > n)
		r->n_workers = n;
	for (unsigned i = 0; i < r->n_workers; i++) {
		int socket = (int)rte_lcore_to_socket_id(lcores[i]);
		struct hare_worker *w = rte_zmalloc_socket("hare_worker", sizeof(*w),
							   RTE_CACHE_LINE_SIZE, socket);
		int rc;

		if (w == NULL) {
			fprintf(stderr, "%s: no memory for worker %u (give DPDK more memory: -m)\n",
				prog, i);
			return -ENOMEM;
		}
		r->workers[i] = w;
		rc = hare_worker_init(w, &r->cfg, r->port.pools[i], r->port.port_id, (uint16_t)i,
				      &r->port.mac, r->port.offloads, NULL, NULL);
		if (rc < 0) {
			fprintf(stderr, "%s: worker %u: init failed: %s\n", prog, i, strerror(-rc));
			return rc;
		}
		r->n_inited = i + 1;
		w->worker_id = i;
		w->n_workers = r->n_workers;
		w->lcore_id = lcores[i];
		if (r->app->worker_setup) {
			rc = r->app->worker_setup(r->app->ctx, w);
			if (rc < 0)
				return rc;
		}
	}
	int rc = hare_workers_link(r->workers, r->n_workers);
	if (rc < 0)
		fprintf(stderr, "%s: cannot link workers: %s (give DPDK more memory: -m)\n",
			prog, strerror(-rc));
	return rc;
}

/* App teardown and hare_worker_fini for every initialised worker. */
static void
fini_workers(struct app_run *r)
{
	for (unsigned i = 0; i < r->n_inited; i++) {
		if (r->app->worker_teardown)
			r->app->worker_teardown(r->app->ctx, r->workers[i]);
		hare_worker_fini(r->workers[i]);
	}
}

static void
release_workers(struct app_run *r)
{
	for (unsigned i = 0; i < r->n_workers; i++) {
		rte_free(r->workers[i]);
		r->workers[i] = NULL;
	}
}

int
hare_app_main(struct hare_app *app, int argc, char **argv)
{
	static struct app_run run; /* big (stats copies); one per process */
	struct app_run *r = &run;
	struct hare_cli cli;
	struct hare_eal_args eal;
	struct hare_port_conf pconf;
	pthread_t ctl;
	sigset_t set;
	const char *prog = app->name;
	int port, rc, status = 1;
	unsigned in_use;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(r, 0, sizeof(*r));
	r->app = app;
	hare_config_init(&r->cfg);
	if (hare_cli_split(argc, argv, prog, &cli) < 0)
		return 1;
	switch (hare_cli_parse(app, &cli, &r->cfg)) {
	case HARE_CLI_HELP:
		return 0;
	case HARE_CLI_ERROR:
		return 2;
	default:
		break;
	}

	/* Block the stop/dump signals in every thread (EAL's included); the
	 * control thread takes them with sigtimedwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (hare_eal_init(prog, cli.eal_argc, cli.eal_argv, &eal) < 0)
		return 1;
	port = hare_port_first(prog);
	if (port < 0)
		goto out_eal;
	memset(&pconf, 0, sizeof(pconf));
	pconf.n_queues = (uint16_t)RTE_MIN(rte_lcore_count(), (unsigned)HARE_PORT_MAX_QUEUES);
	pconf.mtu = r->cfg.mtu;
	pconf.extra_mbufs = app->extra_mbufs;
	if (hare_port_open(&r->port, (uint16_t)port, &pconf, prog) < 0)
		goto out_eal;
	hare_port_describe(&r->port, stderr, prog);
	hare_port_wait_link(&r->port, LINK_WAIT_MS, prog);

	rc = setup_workers(r);
	if (rc < 0) {
		fini_workers(r);
		release_workers(r);
		hare_port_close(&r->port);
		goto out_eal;
	}
	if (pthread_create(&ctl, NULL, control_thread, r) != 0) {
		fprintf(stderr, "%s: cannot start the control thread\n", prog);
		fini_workers(r);
		release_workers(r);
		hare_port_close(&r->port);
		goto out_eal;
	}
	for (unsigned i = 1; i < r->n_workers; i++) {
		r->launch[i] = (struct launch_arg){ r, r->workers[i] };
		rc = rte_eal_remote_launch(worker_lcore_main, &r->launch[i],
					   r->workers[i]->lcore_id);
		if (rc < 0) {
			fprintf(stderr, "%s: cannot launch worker %u on lcore %u: %s\n", prog, i,
				r->workers[i]->lcore_id, strerror(-rc));
			r->failed = true;
			/* unlaunched workers count as started so the wait below ends */
			atomic_fetch_add(&r->started, 1);
			stop_workers(r);
		}
	}
	while (atomic_load(&r->started) < r->n_workers - 1)
		rte_pause();
	if (!r->workers[0]->stop) {
		printf("ready\n");
		fflush(stdout);
		hare_worker_run(r->workers[0]);
	}
	rte_eal_mp_wait_lcore();
	atomic_store(&r->quit, true);
	pthread_join(ctl, NULL);

	fini_workers(r);
	print_block(r, "final", false);
	if (app->report)
		app->report(app->ctx, r->workers, r->n_workers);
	release_workers(r);
	in_use = hare_port_close(&r->port);
	printf("mbufs_in_use %u\n", in_use);
	if (r->port.pmd_kept != 0)
		printf("mbufs_kept_by_pmd %u\n", r->port.pmd_kept);
	fflush(stdout);
	if (r->port.pmd_kept != 0)
		fprintf(stderr, "%s: the %s PMD kept the %u mbufs of its RX rings through close "
			"(it took them at start; not hare's leak)\n", prog, r->port.driver,
			r->port.pmd_kept);
	if (in_use != 0)
		fprintf(stderr, "%s: %u mbufs were not returned to the pools at exit (a leak: "
			"please report it with the counters above)\n", prog, in_use);
	status = r->failed ? 1 : 0;
out_eal:
	hare_eal_cleanup();
	return status;
}
