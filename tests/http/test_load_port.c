/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-load's source-port choice under RSS (apps/hare-load/load_port.c)
 * against the stack's flow hash (lib/tcp_flow.c, tcp_flow_hash_rss): with a
 * fake Toeplitz key and redirection table, every port load_port_fits()
 * accepts for a worker must hash, as the stack hashes the reply it receives
 * (remote -> local, host order, rte_softrss with the same key), to that
 * worker's own queue, and every port it refuses to another queue. The hash
 * is written out here the way lib/ computes it, so a change of tuple order
 * on either side fails this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <rte_byteorder.h>
#include <rte_thash.h>

#include "load.h"

/* a 40-byte key that is not the driver's symmetric 6d5a pattern */
static const uint8_t fake_key[40] = {
	0x3c, 0x91, 0x07, 0xe2, 0x5b, 0xa8, 0x14, 0x6f, 0xd3, 0x22,
	0x8e, 0x41, 0xf7, 0x0a, 0x69, 0xb5, 0x2d, 0xc0, 0x93, 0x5e,
	0x17, 0x7a, 0xe4, 0x38, 0xab, 0x06, 0xcf, 0x51, 0x8d, 0x24,
	0x72, 0xf9, 0x1e, 0x63, 0xba, 0x4c, 0x05, 0xde, 0x97, 0x30,
};

/* The stack's flow hash of a received reply server:dport -> us:sport. */
static uint32_t stack_hash(uint32_t server_be, uint16_t dport, uint32_t us_be, uint16_t sport)
{
	uint32_t in[3] = {
		rte_be_to_cpu_32(server_be),  /* raddr */
		rte_be_to_cpu_32(us_be),      /* laddr */
		((uint32_t)dport << 16) | sport,
	};
	return rte_softrss(in, 3, fake_key);
}

static void setup_port(struct load_port *lp, unsigned queue, unsigned n_queues)
{
	memset(lp, 0, sizeof(*lp));
	lp->worker_id = queue;
	lp->n_workers = n_queues;
	lp->rx_queue = (uint16_t)queue;
	lp->rss = true;
	memcpy(lp->rss_key, fake_key, sizeof(fake_key));
	lp->rss_key_len = sizeof(fake_key);
	lp->reta_size = 128;
	for (unsigned i = 0; i < lp->reta_size; i++)
		lp->reta[i] = (uint16_t)(i % n_queues);
	lp->dst_ip = rte_cpu_to_be_32(0xc6120002);  /* 198.18.0.2 */
	lp->dst_port = 80;
}

static void test_ports_hash_to_own_queue(void **state)
{
	(void)state;
	const uint32_t srcs[] = { rte_cpu_to_be_32(0xc612000b), rte_cpu_to_be_32(0xc6120105) };

	for (unsigned nq = 2; nq <= 4; nq++) {
		for (unsigned q = 0; q < nq; q++) {
			struct load_port lp;
			setup_port(&lp, q, nq);
			for (unsigned s = 0; s < 2; s++) {
				unsigned fit = 0, total = 0;
				for (uint32_t port = 1024; port < 1024 + 4096; port++) {
					uint32_t h = stack_hash(lp.dst_ip, lp.dst_port, srcs[s],
								(uint16_t)port);
					bool mine = lp.reta[h % lp.reta_size] == q;
					assert_int_equal(load_port_fits(&lp, srcs[s], (uint16_t)port), mine);
					fit += mine;
					total++;
				}
				/* the key spreads ports over the queues: roughly 1/nq each */
				assert_true(fit > total / nq / 2);
				assert_true(fit < total / nq * 3 / 2);
			}
		}
	}
}

/* The ports one worker takes and the ports another takes never overlap, and
 * together they are all of them (every reply has exactly one home). */
static void test_queues_partition_ports(void **state)
{
	(void)state;
	struct load_port a, b;
	uint32_t src = rte_cpu_to_be_32(0xc612000b);

	setup_port(&a, 0, 2);
	setup_port(&b, 1, 2);
	for (uint32_t port = 1024; port <= 65535; port++)
		assert_int_not_equal(load_port_fits(&a, src, (uint16_t)port),
				     load_port_fits(&b, src, (uint16_t)port));
}

/* Without RSS: one worker takes every port, several split them by port %. */
static void test_no_rss_split(void **state)
{
	(void)state;
	struct load_port lp;
	uint32_t src = rte_cpu_to_be_32(0xc612000b);

	setup_port(&lp, 0, 1);
	lp.rss = false;
	for (uint32_t port = 1024; port < 2048; port++)
		assert_true(load_port_fits(&lp, src, (uint16_t)port));
	setup_port(&lp, 1, 3);
	lp.rss = false;
	for (uint32_t port = 1024; port < 2048; port++)
		assert_int_equal(load_port_fits(&lp, src, (uint16_t)port), port % 3 == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_hash_to_own_queue),
		cmocka_unit_test(test_queues_partition_ports),
		cmocka_unit_test(test_no_rss_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
