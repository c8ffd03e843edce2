/* load_port.c — which source address and port a new connection uses.
 *
 * Addresses: every --ip in turn (round robin per connection), so -c N is
 * spread evenly and each address brings its own 64512 ports (1024..65535):
 * more than 64K concurrent connections need several addresses.
 *
 * Ports: each address has its own cursor; a candidate is skipped when the
 * 4-tuple is still in use (the stack says EADDRINUSE, e.g. TIME_WAIT) or
 * when the reply would land on another worker:
 *   - one worker: every port fits (the common case; the rig);
 *   - several workers, the port does RSS (HARE_OFFLOAD_RSS): the reply's
 *     Toeplitz hash is computed in software (rte_softrss) with the port's
 *     own key and redirection table, read at setup with
 *     rte_eth_dev_rss_hash_conf_get / rte_eth_dev_rss_reta_query; only
 *     ports whose reply maps to this worker's queue are used (mTCP's and
 *     dperf's trick);
 *   - several workers, no RSS: ports are split by port % n_workers, the
 *     seam where the multi-core issue's software steering plugs in (until
 *     it exists, replies land wherever the PMD puts them: a warning says so).
 */
#include <errno.h>
#include <string.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_thash.h>
#include "load.h"
#include "tcp.h"

#define PORT_LO 1024u
#define PORT_HI 65535u
#define CONNECT_TRIES 512   /* bound on candidates per open */

/* Read the port's RSS key and redirection table; 0 or -1 (no RSS info). */
static int
read_rss(struct load_port *lp, uint16_t port_id)
{
	struct rte_eth_rss_conf rc = { .rss_key = lp->rss_key, .rss_key_len = sizeof(lp->rss_key) };
	struct rte_eth_dev_info di;
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];

	if (rte_eth_dev_info_get(port_id, &di) != 0 || di.reta_size == 0 ||
	    di.reta_size > 512 || rte_eth_dev_rss_hash_conf_get(port_id, &rc) != 0 ||
	    rc.rss_key_len == 0 || rc.rss_key_len > sizeof(lp->rss_key) ||
	    !(rc.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP))
		return -1;  /* no table, or TCP not hashed over the 4-tuple (what we predict) */
	memset(reta, 0, sizeof(reta));
	for (unsigned i = 0; i < di.reta_size; i++)
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
	if (rte_eth_dev_rss_reta_query(port_id, reta, di.reta_size) != 0)
		return -1;
	for (unsigned i = 0; i < di.reta_size; i++)
		lp->reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	lp->reta_size = di.reta_size;
	lp->rss_key_len = rc.rss_key_len;
	return 0;
}

int
load_port_init(struct load_port *lp, struct hare_worker *w, const struct load_cfg *cfg)
{
	memset(lp, 0, sizeof(*lp));
	lp->worker_id = w->worker_id;
	lp->n_workers = w->n_workers ? w->n_workers : 1;
	lp->rx_queue = w->rx_queue;
	lp->dst_ip = cfg->dst_ip;
	lp->dst_port = cfg->dst_port;
	for (unsigned i = 0; i < w->cfg->n_ips; i++) {
		lp->ips[lp->n_ips] = w->cfg->ips[i].addr;
		/* start each address at a different spot: restarts do not reuse
		 * the previous run's ports first (their peers may hold TIME_WAIT) */
		lp->next[lp->n_ips] = (uint16_t)(PORT_LO + (rte_rand() % (PORT_HI - PORT_LO + 1)));
		lp->n_ips++;
	}
	bool have_rss = (w->offloads & HARE_OFFLOAD_RSS) && read_rss(lp, w->port_id) == 0;

	/* before the first connect: the flow table hashes with it from then on */
	if (have_rss && lp->rss_key_len >= 40)
		hare_tcp_set_rss_key(w, lp->rss_key, lp->rss_key_len);
	if (lp->n_workers > 1) {
		if (have_rss) {
			lp->rss = true;
		} else if (w->worker_id == 0) {
			fprintf(stderr, "hare-load: %u workers but the port gives no RSS key/table: "
				"source ports are split by port %% workers, and replies may reach "
				"another worker (run with -l <one core> until software steering "
				"exists)\n", lp->n_workers);
		}
	}
	return lp->n_ips ? 0 : -EADDRNOTAVAIL;
}

/* Would the reply to (src:sport -> dst:dport) reach this worker? */
bool
load_port_fits(const struct load_port *lp, uint32_t src, uint16_t sport)
{
	if (lp->n_workers == 1)
		return true;
	if (!lp->rss)
		return sport % lp->n_workers == lp->worker_id;
	/* the reply's tuple: source = server, destination = us (host order) */
	struct rte_ipv4_tuple t = {
		.src_addr = rte_be_to_cpu_32(lp->dst_ip),
		.dst_addr = rte_be_to_cpu_32(src),
		.sport = lp->dst_port,
		.dport = sport,
	};
	uint32_t h = rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, lp->rss_key);

	return lp->reta[h % lp->reta_size] == lp->rx_queue;
}

struct hare_tcp_conn *
load_port_connect(struct load_port *lp, struct hare_worker *w, const struct hare_tcp_ops *ops,
		  void *ctx, int *err)
{
	for (unsigned tries = 0; tries < CONNECT_TRIES; tries++) {
		unsigned i = lp->ip_next;
		uint16_t sport = lp->next[i];
		struct hare_tcp_conn *c;

		lp->ip_next = i + 1 == lp->n_ips ? 0 : i + 1;
		lp->next[i] = (uint16_t)(sport >= PORT_HI ? PORT_LO : sport + 1u);
		if (!load_port_fits(lp, lp->ips[i], sport))
			continue;
		c = hare_tcp_connect_from(w, lp->ips[i], sport, lp->dst_ip, lp->dst_port, ops, ctx);
		if (c != NULL)
			return c;
		if (rte_errno != EADDRINUSE) {
			*err = rte_errno;
			return NULL;
		}
	}
	*err = EADDRNOTAVAIL;
	return NULL;
}
