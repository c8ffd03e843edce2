/* test_worker_loop.c — the run loop (hare_worker_run) on a net_ring port:
 * the app's poll hook is called once the TSC reaches the time it asked for
 * (hare_worker_poll_at), never before and never when not asked; the 1 ms
 * app tick runs. The ring port has nothing to receive; what hare sends
 * (its gratuitous ARP) goes to the harness's capture. */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_ring.h>
#include "harness.h"

static unsigned poll_calls, ticks;
static uint64_t poll_seen_tsc;

static void
on_poll(struct hare_worker *w, void *ctx)
{
	(void)ctx;
	poll_calls++;
	poll_seen_tsc = w->now_tsc;
	w->stop = true;
}

static unsigned tick_limit;

static void
on_tick(struct hare_worker *w, void *ctx)
{
	(void)ctx;
	if (++ticks >= tick_limit)
		w->stop = true;
}

/* A rig whose worker polls an empty net_ring port. */
static struct ht_rig *
ring_rig(void)
{
	static unsigned seq;
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	struct rte_ring *rx, *tx;
	char name[32];
	int port;

	ht_rig_start(r);
	snprintf(name, sizeof(name), "wl_rx%u", seq);
	rx = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "wl_tx%u", seq);
	tx = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(rx);
	assert_non_null(tx);
	snprintf(name, sizeof(name), "wl_port%u", seq++);
	port = rte_eth_from_rings(name, &rx, 1, &tx, 1, SOCKET_ID_ANY);
	assert_true(port >= 0);
	assert_int_equal(rte_eth_dev_configure((uint16_t)port, 1, 1,
					       &(struct rte_eth_conf){0}), 0);
	assert_int_equal(rte_eth_rx_queue_setup((uint16_t)port, 0, 64, SOCKET_ID_ANY, NULL,
						r->pool), 0);
	assert_int_equal(rte_eth_tx_queue_setup((uint16_t)port, 0, 64, SOCKET_ID_ANY, NULL), 0);
	assert_int_equal(rte_eth_dev_start((uint16_t)port), 0);
	r->w->port_id = (uint16_t)port;
	r->w->rx_queue = 0;
	poll_calls = ticks = 0;
	return r;
}

static void
ring_rig_free(struct ht_rig *r)
{
	uint16_t port = r->w->port_id;

	ht_drain_tx(r);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	ht_rig_free(r);
}

static void
poll_at_its_time(void **state)
{
	struct ht_rig *r = ring_rig();
	uint64_t want;

	(void)state;
	hare_worker_set_app_poll(r->w, on_poll, NULL);
	tick_limit = 1000; /* a guard: a loop that never polls ends in ~1 s */
	hare_worker_set_app_tick(r->w, on_tick, NULL);
	want = rte_rdtsc() + rte_get_tsc_hz() / 500; /* 2 ms from now */
	hare_worker_poll_at(r->w, want);
	assert_int_equal(hare_worker_run(r->w), 0); /* on_poll stops it */
	assert_int_equal(poll_calls, 1);
	assert_true(poll_seen_tsc >= want);
	ring_rig_free(r);
}

static void
no_poll_unless_asked(void **state)
{
	struct ht_rig *r = ring_rig();

	(void)state;
	hare_worker_set_app_poll(r->w, on_poll, NULL);
	tick_limit = 5;
	hare_worker_set_app_tick(r->w, on_tick, NULL); /* stops after 5 ticks */
	assert_int_equal(hare_worker_run(r->w), 0);
	assert_int_equal(poll_calls, 0);
	assert_int_equal(ticks, 5);
	/* asked once, called once: the loop disarms before the call */
	r->w->stop = false;
	ticks = 0;
	tick_limit = 1000;
	hare_worker_poll_at(r->w, 0);
	assert_int_equal(hare_worker_run(r->w), 0);
	assert_int_equal(poll_calls, 1);
	ring_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(poll_at_its_time),
		cmocka_unit_test(no_poll_unless_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
