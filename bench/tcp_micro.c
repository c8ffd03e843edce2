/* tcp_micro.c — drive hare's TCP input over the fake port (no NIC, no
 * hugepages) for a fixed count, so callgrind can count instructions per
 * event. bench/tcp_micro.sh runs it twice (N and 2N) under
 *   valgrind --tool=callgrind --toggle-collect=hare_worker_input
 *            --toggle-collect=hare_worker_timers
 * and divides the difference by N: set-up and warm-up cancel out, and
 * only the stack's own work is counted (building frames, the fake port
 * and the test peer are outside the toggled functions).
 *
 *   tcp_micro ack  N   pure ACKs, each acknowledging one full segment
 *   tcp_micro data N   in-order full-sized data segments (the app frees them)
 *   tcp_micro conn N   whole server connections: SYN .. request .. server
 *                      closes .. peer FIN .. TIME_WAIT reaped
 *   tcp_micro rr   N   request/response rounds on RR_CONNS keep-alive
 *                      connections: an 80 B request (acknowledging the last
 *                      response) in, a 200 B response out — the per-request
 *                      TCP work of hare-httpd and hare-load (the app's own
 *                      work is one hare_tcp_send_bytes call)
 *   tcp_micro sizes    sizes of the per-connection structures
 *
 * By default the fake NIC does checksums as virtio and physical NICs do:
 * it marks received ones GOOD and completes the TCP/IPv4 checksums of
 * what hare sends (hare writes the pseudo-header sum); with
 * TCP_MICRO_SW_CKSUM=1 hare verifies and computes them all in software,
 * as it must over net_af_packet.
 *
 * "data" excludes the application (the terms): tcp_micro.sh also
 * toggles collection at b_data there, so the app callback's own work
 * (freeing the mbuf) is not counted.
 *
 * The peer uses timestamps, SACK and window scaling, as Linux does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tcp_helpers.h"
#include <rte_arp.h>
#include "tcp_impl.h"

#define MSS_PAYLOAD 1448   /* 1460 minus the timestamp option, as Linux sends */

/* The bench's application: frees what it receives; in conn mode it closes
 * after the first request bytes (an HTTP/1.0-style server). */
static struct {
	struct hare_tcp_conn *conn;
	int close_on_data;
	uint32_t reply_len;   /* rr: bytes sent back per request */
	uint64_t accepted;
} app;

static int
b_accept(struct hare_tcp_conn *c, void *ctx)
{
	app.conn = c;
	app.accepted++;
	return 0;
}

static void
b_data(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	if (m != NULL)
		hare_tcp_free_mbuf(c, m);
	if (app.close_on_data && m != NULL)
		hare_tcp_close(c);
	if (app.reply_len && m != NULL) {
		static const uint8_t reply[1024];

		hare_tcp_send_bytes(c, reply, app.reply_len);
	}
}

static const struct hare_tcp_ops b_ops = { .on_accept = b_accept, .on_data = b_data };

/* The peer's view of one connection. */
struct peer {
	uint16_t port;
	uint32_t snd_nxt, rcv_nxt, tsval, ts_recent;
};

/* 1 = the fake NIC vouches for received IPv4/TCP checksums and completes
 * those of sent segments, as the virtio and most physical PMDs do; 0 =
 * hare verifies and computes them in software (net_af_packet). */
static int rx_offload = 1;

/* Received frames reach the stack in bursts, as from rte_eth_rx_burst
 * under load: "ack" and "data" queue up to BURST frames and hand them over
 * in one hare_worker_input call (the per-burst work, e.g. the loop's
 * prefetch, is then shared as in the run loop); the handshakes and "conn"
 * go one frame at a time (each waits for the stack's answer). */
#define BURST 32
static struct rte_mbuf *burst[BURST];
static unsigned n_burst, burst_max = 1;

static void
push(struct ht_rig *r)
{
	if (n_burst == 0)
		return;
	hare_worker_input(r->w, burst, (uint16_t)n_burst);
	hare_worker_tx_flush(r->w);
	n_burst = 0;
}

static void
feed(struct ht_rig *r, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		fprintf(stderr, "tcp_micro: mbuf pool exhausted: a leak in the stack?\n");
		exit(1);
	}
	memcpy(rte_pktmbuf_mtod(m, void *), frame, len);
	if (rx_offload)
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	burst[n_burst++] = m;
	if (n_burst >= burst_max)
		push(r);
}

static void
peer_send(struct ht_rig *r, struct peer *p, uint8_t flags, const void *data, size_t len)
{
	uint8_t f[2048], o[12];
	size_t ol = tt_opt_ts(o, p->tsval++, p->ts_recent);
	size_t n = tt_build(f, p->port, TT_LPORT, p->snd_nxt, p->rcv_nxt, flags, 65535 >> 0,
			    o, ol, data, len);

	p->snd_nxt += (uint32_t)len + ((flags & (TH_S | TH_F)) ? 1 : 0);
	feed(r, f, n);
}

/* A SYN's options exactly as Linux writes them (tcp_options_write): MSS,
 * SACK-permitted, timestamps, NOP, window scale — 20 bytes. */
static size_t
linux_syn_opts(uint8_t *o, uint16_t mss, uint8_t ws, uint32_t tsval)
{
	uint32_t v = rte_cpu_to_be_32(tsval), e = 0;

	o[0] = 2; o[1] = 4; o[2] = (uint8_t)(mss >> 8); o[3] = (uint8_t)mss;
	o[4] = 4; o[5] = 2; o[6] = 8; o[7] = 10;
	memcpy(o + 8, &v, 4); memcpy(o + 12, &e, 4);
	o[16] = 1; o[17] = 3; o[18] = 3; o[19] = ws;
	return 20;
}

/* Handshake from the peer with Linux's options; returns false on failure. */
static bool
peer_open(struct ht_rig *r, struct peer *p, uint16_t port)
{
	uint8_t f[256], o[40];
	size_t ol, n;
	struct tt_seg s;

	memset(p, 0, sizeof(*p));
	p->port = port;
	p->snd_nxt = 1000000u * port;
	p->tsval = 100;
	ol = linux_syn_opts(o, 1460, 7, p->tsval++);
	n = tt_build(f, p->port, TT_LPORT, p->snd_nxt, 0, TH_S, 65535, o, ol, NULL, 0);
	feed(r, f, n);
	p->snd_nxt++;
	if (!tt_recv(r, &s) || s.flags != (TH_S | TH_A))
		return false;
	p->rcv_nxt = s.seq + 1;
	p->ts_recent = s.tsval;
	peer_send(r, p, TH_A, NULL, 0);
	return true;
}

static void
big_window(struct hare_config *cfg)
{
	cfg->tcp.max_conns = 1024;
	cfg->tcp.max_time_wait = 65536;
	cfg->tcp.time_wait_ms = 1000;   /* reaped within the run; see the note */
	cfg->tcp.snd_buf = 1 << 20;
}

static int
run_data(struct ht_rig *r, long count)
{
	static uint8_t payload[MSS_PAYLOAD];
	struct peer p;

	if (!peer_open(r, &p, 40000))
		return 1;
	burst_max = BURST;
	for (long i = 0; i < count; i++) {
		peer_send(r, &p, TH_A | TH_P, payload, sizeof(payload));
		if ((i & 63) == 63)
			ht_drain_tx(r);
	}
	push(r);
	return 0;
}

static int
run_ack(struct ht_rig *r, long count)
{
	static uint8_t chunk[32 * MSS_PAYLOAD];
	struct peer p;
	struct tt_seg s;
	long acks = 0;

	if (!peer_open(r, &p, 40000))
		return 1;
	while (acks < count) {
		static uint32_t ends[4096];
		unsigned n = 0;

		int q = hare_tcp_send_bytes(app.conn, chunk, sizeof(chunk));

		if (q <= 0) {
			fprintf(stderr, "tcp_micro: send_bytes returned %d after %ld acks\n", q, acks);
			return 1;
		}
		while (tt_recv(r, &s))
			if (s.len > 0 && n < RTE_DIM(ends)) {
				ends[n++] = s.seq + s.len;
				p.ts_recent = s.tsval;
			}
		if (n == 0) {
			fprintf(stderr, "tcp_micro: no data segment sent after %ld acks\n", acks);
			return 1;
		}
		burst_max = BURST;
		for (unsigned i = 0; i < n && acks < count; i++, acks++) {
			p.rcv_nxt = ends[i];
			peer_send(r, &p, TH_A, NULL, 0);
		}
		push(r);
		burst_max = 1;
		/* segments the ACKs released stay captured: acked next round */
	}
	return 0;
}

/* Request/response rounds, as a keep-alive HTTP server (or client) sees
 * them: RR_CONNS connections; each round every peer sends one request
 * carrying the ACK of the previous response, in bursts of BURST, and the
 * app answers each with one send. */
#define RR_CONNS 64
#define RR_REQ 80
#define RR_REPLY 200

static int
run_rr(struct ht_rig *r, long count)
{
	static const uint8_t req[RR_REQ];
	static struct peer ps[RR_CONNS];
	struct tt_seg s;
	long done = 0;

	for (unsigned i = 0; i < RR_CONNS; i++)
		if (!peer_open(r, &ps[i], (uint16_t)(40000 + i)))
			return 1;
	app.reply_len = RR_REPLY;
	while (done < count) {
		unsigned n = (unsigned)RTE_MIN((long)RR_CONNS, count - done), got = 0;

		burst_max = BURST;
		for (unsigned i = 0; i < n; i++)
			peer_send(r, &ps[i], TH_A | TH_P, req, sizeof(req));
		push(r);
		burst_max = 1;
		while (tt_recv(r, &s)) {
			unsigned i = s.dport - 40000u;

			if (i >= RR_CONNS || s.len != RR_REPLY)
				return 1;
			ps[i].rcv_nxt = s.seq + s.len;
			ps[i].ts_recent = s.tsval;
			got++;
		}
		if (got != n) {
			fprintf(stderr, "tcp_micro: %u responses to %u requests\n", got, n);
			return 1;
		}
		done += n;
	}
	return 0;
}

/* Whole connections, CONN_GROUP at a time in lockstep, as a server under
 * a connection-rate load sees them: a burst of SYNs, then of handshake
 * ACKs with the requests, then of the peers' FINs. */
#define CONN_GROUP 32

static int
run_conn(struct ht_rig *r, long count)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	static struct peer ps[CONN_GROUP];
	struct tt_seg s;
	uint8_t f[256], o[40];

	app.close_on_data = 1;
	if (count > 50000)
		count = 50000; /* distinct peer ports */
	for (long base = 0; base < count; base += CONN_GROUP) {
		unsigned n = (unsigned)RTE_MIN((long)CONN_GROUP, count - base);

		burst_max = BURST;
		for (unsigned i = 0; i < n; i++) {   /* SYNs (Linux-like options) */
			struct peer *p = &ps[i];
			size_t ol, fl;

			memset(p, 0, sizeof(*p));
			p->port = (uint16_t)(10000 + base + i);
			p->snd_nxt = 1000000u * p->port;
			p->tsval = 100;
			ol = linux_syn_opts(o, 1460, 7, p->tsval++);
			fl = tt_build(f, p->port, TT_LPORT, p->snd_nxt, 0, TH_S, 65535, o, ol, NULL, 0);
			feed(r, f, fl);
			p->snd_nxt++;
		}
		push(r);
		while (tt_recv(r, &s)) {             /* SYN-ACKs */
			struct peer *p = &ps[s.dport - 10000 - base];

			if (s.flags != (TH_S | TH_A) || s.dport - 10000 - base >= n)
				return 1;
			p->rcv_nxt = s.seq + 1;
			p->ts_recent = s.tsval;
		}
		for (unsigned i = 0; i < n; i++) {   /* ACK, then the request */
			peer_send(r, &ps[i], TH_A, NULL, 0);
			peer_send(r, &ps[i], TH_A | TH_P, req, sizeof(req) - 1);
		}
		push(r);
		/* hare closed in on_data: its FINs (maybe with the data's ACK) */
		while (tt_recv(r, &s))
			if (s.flags & TH_F) {
				struct peer *p = &ps[s.dport - 10000 - base];

				p->rcv_nxt = s.seq + s.len + 1;
				p->ts_recent = s.tsval;
			}
		for (unsigned i = 0; i < n; i++)
			peer_send(r, &ps[i], TH_A | TH_F, NULL, 0);
		push(r);
		burst_max = 1;
		ht_drain_tx(r);
		tt_advance(r, 1);
		ht_drain_tx(r);
	}
	tt_advance(r, 1500);   /* every TIME_WAIT entry expires */
	ht_drain_tx(r);
	if (hare_tcp_time_wait_count(r->w) != 0 || hare_tcp_conn_count(r->w) != 0) {
		fprintf(stderr, "tcp_micro: %u TIME_WAIT / %u conns left\n",
			hare_tcp_time_wait_count(r->w), hare_tcp_conn_count(r->w));
		return 1;
	}
	return 0;
}

/* Like tt_rig_cfg, but the pool has a per-lcore cache as the apps' pools
 * do (drivers/hare_port.c), so mbuf alloc/free cost what they cost there. */
static struct ht_rig *
bench_rig(void)
{
	struct ht_rig *r = ht_rig_new(TT_US "/24", NULL);
	uint8_t f[128];
	size_t n;

	rte_mempool_free(r->pool);
	r->pool = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (r->pool == NULL) {
		fprintf(stderr, "tcp_micro: cannot create the mbuf pool\n");
		exit(1);
	}
	big_window(&r->cfg);
	ht_rig_start(r);
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, TT_PEER,
			 &(struct rte_ether_addr){{0}}, TT_US);
	ht_input(r, f, n);
	ht_drain_tx(r);
	return r;
}

int
main(int argc, char **argv)
{
	struct ht_rig *r;
	long count = argc > 2 ? atol(argv[2]) : 10000;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: tcp_micro ack|data|conn|rr N | sizes\n");
		return 2;
	}
	if (strcmp(argv[1], "sizes") == 0) {
		printf("struct hare_tcp_conn %zu bytes\n", sizeof(struct hare_tcp_conn));
		printf("struct tcp_tw %zu bytes\n", sizeof(struct tcp_tw));
		printf("struct tcp_slot %zu bytes\n", sizeof(struct tcp_slot));
		return 0;
	}
	if (getenv("TCP_MICRO_SW_CKSUM") != NULL)
		rx_offload = 0;
	r = bench_rig();
	if (rx_offload) /* a NIC that checks checksums computes them too */
		r->w->offloads |= HARE_OFFLOAD_RX_CKSUM | HARE_OFFLOAD_IPV4_CKSUM |
				  HARE_OFFLOAD_TCP_CKSUM;
	if (hare_tcp_listen(r->w, 0, TT_LPORT, &b_ops, NULL) == NULL) {
		fprintf(stderr, "tcp_micro: listen failed\n");
		return 1;
	}
	if (strcmp(argv[1], "data") == 0)
		rc = run_data(r, count);
	else if (strcmp(argv[1], "ack") == 0)
		rc = run_ack(r, count);
	else if (strcmp(argv[1], "conn") == 0)
		rc = run_conn(r, count);
	else if (strcmp(argv[1], "rr") == 0)
		rc = run_rr(r, count);
	else {
		fprintf(stderr, "tcp_micro: unknown scenario %s (ack, data, conn, rr, sizes)\n", argv[1]);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "tcp_micro: %s run failed: the stack did not answer as expected\n",
			argv[1]);
		return 1;
	}
	printf("%s %ld done: rx %lu tx %lu\n", argv[1], count,
	       (unsigned long)r->w->stats.tcp_rx_segments, (unsigned long)r->w->stats.tcp_tx_segments);
	return 0;
}
