/* hare_port.c — ethdev port bring-up: queues, rings, per-worker mempools,
 * offload negotiation, MTU, link wait (see hare_port.h).
 *
 * Offloads are asked for only when dev_info advertises them, and each one
 * granted becomes a HARE_OFFLOAD_* bit; a clear bit makes lib/ compute in
 * software (IPv4/TCP checksums) or hash in software (RSS). net_af_packet,
 * the rig's PMD, advertises none of them (measured on DPDK 22.11), so the
 * rig exercises the software paths; a NIC or virtio port the hardware ones.
 *
 * RSS uses a symmetric Toeplitz key (0x6d5a repeated, Woo & Park 2012):
 * both directions of a flow hash alike, so a connection's packets land on
 * one queue whichever side sent them (DESIGN.md "Flows and cores").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include "hare_port.h"
#include "hare_worker.h"
#include "arp.h"

#define LINK_POLL_MS 100

int
hare_port_first(const char *prog)
{
	uint16_t pid, first = RTE_MAX_ETHPORTS;
	unsigned n = 0;

	RTE_ETH_FOREACH_DEV(pid) {
		if (first == RTE_MAX_ETHPORTS)
			first = pid;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "%s: no DPDK port found: pass --vdev net_af_packet0,iface=IF or -a PCI "
			"(before `--`; a PCI port must be bound to vfio-pci with dpdk-devbind.py)\n",
			prog);
		return -ENODEV;
	}
	if (n > 1)
		fprintf(stderr, "%s: %u DPDK ports found; using port %u only (pass one --vdev or -a "
			"to choose)\n", prog, n, first);
	return first;
}

/* Mbufs one queue/worker can hold at once: the RX ring filled, the TX ring
 * full of frames not yet reclaimed, one burst each way in the worker's
 * hands, the per-lcore cache, ARP's held packets at their bound, and what
 * the application keeps in flight. */
static unsigned
pool_size(const struct hare_port *p, uint32_t extra)
{
	return p->nb_rxd + p->nb_txd + HARE_RX_BURST + HARE_TX_BURST + HARE_PORT_POOL_CACHE +
	       HARE_ARP_TABLE_SIZE * HARE_ARP_PENDING_MAX + extra;
}

static void
free_pools(struct hare_port *p)
{
	for (unsigned q = 0; q < HARE_PORT_MAX_QUEUES; q++) {
		rte_mempool_free(p->pools[q]);
		p->pools[q] = NULL;
	}
}

/* Fill rss_conf for the port; returns the rss_hf asked for (0 = no RSS). */
static uint64_t
rss_setup(const struct rte_eth_dev_info *di, struct rte_eth_rss_conf *rc, uint8_t *key)
{
	uint64_t hf = di->flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
						    RTE_ETH_RSS_UDP);

	if (hf == 0)
		return 0;
	rc->rss_hf = hf;
	if (di->hash_key_size > 0 && di->hash_key_size <= 64) {
		for (unsigned i = 0; i < di->hash_key_size; i++)
			key[i] = (i & 1) ? 0x5a : 0x6d;
		rc->rss_key = key;
		rc->rss_key_len = di->hash_key_size;
	}
	return hf;
}

int
hare_port_open(struct hare_port *p, uint16_t port_id, const struct hare_port_conf *conf,
	       const char *prog)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf pc;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint8_t rss_key[64];
	uint16_t want = conf->n_queues ? conf->n_queues : 1;
	uint16_t mtu = conf->mtu ? conf->mtu : RTE_ETHER_MTU;
	uint32_t extra = conf->extra_mbufs ? conf->extra_mbufs : 2048;
	uint32_t data_room;
	int rc;

	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	rc = rte_eth_dev_info_get(port_id, &di);
	if (rc < 0) {
		fprintf(stderr, "%s: port %u: cannot read device info: %s\n", prog, port_id,
			rte_strerror(-rc));
		return rc;
	}
	rte_eth_dev_get_name_by_port(port_id, p->name);
	snprintf(p->driver, sizeof(p->driver), "%s", di.driver_name ? di.driver_name : "?");
	p->socket = rte_eth_dev_socket_id(port_id);
	if (p->socket < 0)
		p->socket = 0; /* vdevs report SOCKET_ID_ANY */

	/* Queues: one pair per worker, as many as the port has. */
	p->n_queues = want;
	if (p->n_queues > di.max_rx_queues)
		p->n_queues = di.max_rx_queues;
	if (p->n_queues > di.max_tx_queues)
		p->n_queues = di.max_tx_queues;
	if (p->n_queues > HARE_PORT_MAX_QUEUES)
		p->n_queues = HARE_PORT_MAX_QUEUES;
	if (p->n_queues == 0) {
		fprintf(stderr, "%s: port %u (%s) offers no RX/TX queue\n", prog, port_id, p->driver);
		return -ENODEV;
	}
	if (p->n_queues < want)
		fprintf(stderr, "%s: port %u (%s) has %u queue pair(s): running %u worker(s), not %u "
			"(-l with %u core(s) avoids idle lcores%s)\n", prog, port_id, p->driver,
			p->n_queues, p->n_queues, want, p->n_queues,
			strcmp(p->driver, "net_af_packet") == 0 ?
			"; net_af_packet takes qpairs=N in the --vdev" : "");

	/* MTU within what the port can do: its MTU range and its largest
	 * frame (ethdev checks MTU + 18 against max_rx_pktlen; net_af_packet
	 * of DPDK 22.11 states 1518 whatever its framesz=, so 1500 there). */
	if (di.max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN &&
	    di.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN < di.max_mtu)
		di.max_mtu = (uint16_t)(di.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);
	if (mtu < di.min_mtu || mtu > di.max_mtu) {
		fprintf(stderr, "%s: port %u (%s) takes an MTU in %u..%u, not %u: pass --mtu in that "
			"range%s\n", prog, port_id, p->driver, di.min_mtu, di.max_mtu, mtu,
			strcmp(p->driver, "net_af_packet") == 0 ?
			" (net_af_packet of DPDK 22.11 stops at 1500)" : "");
		return -EINVAL;
	}
	p->mtu = mtu;

	memset(&pc, 0, sizeof(pc));
	pc.rxmode.mtu = mtu;
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		p->offloads |= HARE_OFFLOAD_IPV4_CKSUM;
	}
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		p->offloads |= HARE_OFFLOAD_TCP_CKSUM;
	}
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* RX checksum: the NIC marks each mbuf GOOD/BAD/UNKNOWN; lib/ trusts
	 * only GOOD and BAD and verifies UNKNOWN itself, so asking for either
	 * is safe. */
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		pc.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		p->offloads |= HARE_OFFLOAD_RX_CKSUM;
	}
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) {
		pc.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		p->offloads |= HARE_OFFLOAD_RX_CKSUM;
	}
	if (rss_setup(&di, &pc.rx_adv_conf.rss_conf, rss_key) != 0) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		/* The hash reaches mbuf->hash.rss only with RSS_HASH granted. */
		if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) {
			pc.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
			p->offloads |= HARE_OFFLOAD_RSS;
		}
	}

	rc = rte_eth_dev_configure(port_id, p->n_queues, p->n_queues, &pc);
	if (rc < 0 && pc.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		/* Some PMDs advertise RSS but refuse it on one queue: go on
		 * without it (software hash in lib/). */
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		pc.rxmode.offloads &= ~RTE_ETH_RX_OFFLOAD_RSS_HASH;
		memset(&pc.rx_adv_conf.rss_conf, 0, sizeof(pc.rx_adv_conf.rss_conf));
		p->offloads &= ~HARE_OFFLOAD_RSS;
		rc = rte_eth_dev_configure(port_id, p->n_queues, p->n_queues, &pc);
	}
	if (rc < 0) {
		fprintf(stderr, "%s: port %u (%s): configure failed: %s (check the --vdev/-a "
			"arguments and that the device is not used by another process)\n",
			prog, port_id, p->driver, rte_strerror(-rc));
		return rc;
	}

	p->nb_rxd = conf->nb_rxd ? conf->nb_rxd : HARE_PORT_DEFAULT_RXD;
	p->nb_txd = conf->nb_txd ? conf->nb_txd : HARE_PORT_DEFAULT_TXD;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &p->nb_rxd, &p->nb_txd);
	if (rc < 0) {
		fprintf(stderr, "%s: port %u: descriptor counts rejected: %s\n", prog, port_id,
			rte_strerror(-rc));
		goto fail_close;
	}

	/* Mbufs big enough for a whole frame of the MTU (+VLAN tag, CRC). */
	data_room = RTE_PKTMBUF_HEADROOM + (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 4;
	if (data_room < RTE_MBUF_DEFAULT_BUF_SIZE)
		data_room = RTE_MBUF_DEFAULT_BUF_SIZE;

	rxc = di.default_rxconf;
	rxc.offloads = pc.rxmode.offloads;
	txc = di.default_txconf;
	txc.offloads = pc.txmode.offloads;
	for (uint16_t q = 0; q < p->n_queues; q++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		unsigned n = pool_size(p, extra);

		snprintf(name, sizeof(name), "hare_p%u_q%u", port_id, q);
		p->pools[q] = rte_pktmbuf_pool_create(name, n, HARE_PORT_POOL_CACHE, 0,
						      (uint16_t)data_room, p->socket);
		if (p->pools[q] == NULL) {
			fprintf(stderr, "%s: cannot create mempool of %u mbufs for queue %u on socket "
				"%d: %s (give DPDK more memory: more hugepages, or -m with "
				"--no-huge; or run fewer workers with -l)\n",
				prog, n, q, p->socket, rte_strerror(rte_errno));
			rc = -ENOMEM;
			goto fail_close;
		}
		rc = rte_eth_rx_queue_setup(port_id, q, p->nb_rxd, (unsigned)p->socket, &rxc,
					    p->pools[q]);
		if (rc < 0) {
			fprintf(stderr, "%s: port %u: RX queue %u setup failed: %s\n", prog, port_id,
				q, rte_strerror(-rc));
			goto fail_close;
		}
		rc = rte_eth_tx_queue_setup(port_id, q, p->nb_txd, (unsigned)p->socket, &txc);
		if (rc < 0) {
			fprintf(stderr, "%s: port %u: TX queue %u setup failed: %s\n", prog, port_id,
				q, rte_strerror(-rc));
			goto fail_close;
		}
	}

	/* rxmode.mtu is applied by configure on most PMDs; set it explicitly
	 * for those that only honour the callback (net_af_packet sets the
	 * kernel interface's MTU here). */
	rc = rte_eth_dev_set_mtu(port_id, mtu);
	if (rc < 0 && rc != -ENOTSUP) {
		fprintf(stderr, "%s: port %u (%s): cannot set MTU %u: %s (pass a smaller --mtu)\n",
			prog, port_id, p->driver, mtu, rte_strerror(-rc));
		goto fail_close;
	}

	rc = rte_eth_dev_start(port_id);
	if (rc < 0) {
		fprintf(stderr, "%s: port %u (%s): start failed: %s (is the interface up and not "
			"used by another DPDK process?)\n", prog, port_id, p->driver,
			rte_strerror(-rc));
		goto fail_close;
	}
	p->started = true;
	p->pmd_held = hare_port_mbufs_in_use(p);
	rc = conf->promisc ? rte_eth_promiscuous_enable(port_id) :
			     rte_eth_promiscuous_disable(port_id);
	if (rc < 0 && rc != -ENOTSUP && conf->promisc)
		fprintf(stderr, "%s: port %u: cannot enable promiscuous mode: %s\n", prog, port_id,
			rte_strerror(-rc));
	rc = rte_eth_macaddr_get(port_id, &p->mac);
	if (rc < 0) {
		fprintf(stderr, "%s: port %u: no MAC address: %s\n", prog, port_id,
			rte_strerror(-rc));
		goto fail_close;
	}
	return 0;

fail_close:
	if (p->started)
		rte_eth_dev_stop(port_id);
	p->started = false;
	rte_eth_dev_close(port_id);
	free_pools(p);
	return rc < 0 ? rc : -EIO;
}

bool
hare_port_wait_link(const struct hare_port *p, unsigned timeout_ms, const char *prog)
{
	struct rte_eth_link link;

	for (unsigned waited = 0;; waited += LINK_POLL_MS) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(p->port_id, &link) < 0)
			return true; /* PMD cannot tell: assume up */
		if (link.link_status == RTE_ETH_LINK_UP)
			return true;
		if (waited >= timeout_ms)
			break;
		rte_delay_ms(LINK_POLL_MS);
	}
	fprintf(stderr, "%s: port %u (%s) link still down after %u ms; going on (check the cable "
		"or that the interface and its peer are up: `ip link set IF up`)\n",
		prog, p->port_id, p->driver, timeout_ms);
	return false;
}

void
hare_port_describe(const struct hare_port *p, FILE *out, const char *prog)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	fprintf(out, "%s: port %u %s (%s) mac %s queues %u rxd %u txd %u mtu %u socket %d "
		"offloads:%s%s%s%s%s\n", prog, p->port_id, p->name, p->driver, mac, p->n_queues,
		p->nb_rxd, p->nb_txd, p->mtu, p->socket,
		(p->offloads & HARE_OFFLOAD_IPV4_CKSUM) ? " tx-ipv4-cksum" : "",
		(p->offloads & HARE_OFFLOAD_TCP_CKSUM) ? " tx-tcp-cksum" : "",
		(p->offloads & HARE_OFFLOAD_RX_CKSUM) ? " rx-cksum" : "",
		(p->offloads & HARE_OFFLOAD_RSS) ? " rss" : "",
		p->offloads ? "" : " none (software checksums and hash)");
}

unsigned
hare_port_mbufs_in_use(const struct hare_port *p)
{
	unsigned n = 0;

	for (unsigned q = 0; q < HARE_PORT_MAX_QUEUES; q++)
		if (p->pools[q] != NULL)
			n += rte_mempool_in_use_count(p->pools[q]);
	return n;
}

int
hare_port_counters(const struct hare_port *p, struct hare_port_counters *c)
{
	struct rte_eth_stats st;
	int rc = rte_eth_stats_get(p->port_id, &st);

	memset(c, 0, sizeof(*c));
	if (rc < 0)
		return rc;
	c->ipackets = st.ipackets;
	c->opackets = st.opackets;
	c->imissed = st.imissed;
	c->ierrors = st.ierrors;
	c->oerrors = st.oerrors;
	c->rx_nombuf = st.rx_nombuf;
	return 0;
}

unsigned
hare_port_close(struct hare_port *p)
{
	unsigned in_use;

	if (p->started) {
		/* frames sent but not yet reclaimed by the PMD (net_af_xdp
		 * reclaims the last burst's only at the next TX call): give
		 * it that call, so they are back before the count below */
		for (uint16_t q = 0; q < p->n_queues; q++) {
			rte_eth_tx_done_cleanup(p->port_id, q, 0);
			rte_eth_tx_burst(p->port_id, q, NULL, 0);
		}
		rte_eth_dev_stop(p->port_id);
	}
	p->started = false;
	/* close releases the queues and the mbufs still in the RX rings */
	rte_eth_dev_close(p->port_id);
	in_use = hare_port_mbufs_in_use(p);
	p->pmd_kept = in_use >= p->pmd_held ? p->pmd_held : 0;
	free_pools(p);
	return in_use - p->pmd_kept;
}
