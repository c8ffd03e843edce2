/* tcp_helpers.c — see tcp_helpers.h. */
#include <string.h>
#include <rte_arp.h>
#include <rte_ip.h>
#include "tcp_helpers.h"

struct tt_app tt_app;

static int
rec_accept(struct hare_tcp_conn *c, void *ctx)
{
	(void)ctx;
	tt_app.accepts++;
	tt_app.conn = c;
	return tt_app.refuse ? -1 : 0;
}

static void
rec_connected(struct hare_tcp_conn *c)
{
	tt_app.connects++;
	tt_app.conn = c;
}

static void
rec_data(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	if (m == NULL) {
		tt_app.eofs++;
		return;
	}
	for (struct rte_mbuf *s = m; s; s = s->next) {
		uint32_t n = s->data_len;

		if (tt_app.rx_len + n <= sizeof(tt_app.rx)) {
			memcpy(tt_app.rx + tt_app.rx_len, rte_pktmbuf_mtod(s, void *), n);
			tt_app.rx_len += n;
		}
	}
	hare_tcp_free_mbuf(c, m); /* the stash path; leak checks at ht_rig_free */
}

static void
rec_sent(struct hare_tcp_conn *c, uint32_t n)
{
	(void)c;
	tt_app.sent += n;
}

static void
rec_closed(struct hare_tcp_conn *c, enum hare_tcp_close_reason why)
{
	(void)c;
	tt_app.closes++;
	tt_app.reason = why;
	tt_app.conn = NULL;
}

const struct hare_tcp_ops tt_ops = {
	.on_accept = rec_accept, .on_connected = rec_connected, .on_data = rec_data,
	.on_sent = rec_sent, .on_closed = rec_closed,
};
const struct hare_tcp_ops tt_ops_manual = {
	.on_accept = rec_accept, .on_connected = rec_connected, .on_data = rec_data,
	.on_sent = rec_sent, .on_closed = rec_closed, .flags = HARE_TCP_OPS_MANUAL_RECV,
};

static void
small_tables(struct hare_config *cfg)
{
	cfg->tcp.max_conns = 64;
	cfg->tcp.max_time_wait = 64;
}

struct ht_rig *
tt_rig_cfg(void (*edit)(struct hare_config *cfg))
{
	struct ht_rig *r = ht_rig_new(TT_US "/24", NULL);
	uint8_t f[128];
	size_t n;

	small_tables(&r->cfg);
	if (edit)
		edit(&r->cfg);
	ht_rig_start(r);
	memset(&tt_app, 0, sizeof(tt_app));
	/* the peer ARPs for us: hare learns its MAC (RFC 826) */
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, TT_PEER,
			 &(struct rte_ether_addr){{0}}, TT_US);
	ht_input(r, f, n);
	ht_drain_tx(r);
	return r;
}

struct ht_rig *
tt_rig(void)
{
	return tt_rig_cfg(NULL);
}

size_t
tt_build(uint8_t *buf, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
	 uint8_t flags, uint16_t wnd, const uint8_t *opts, size_t optlen,
	 const void *data, size_t len)
{
	uint8_t seg[2200], ph[12 + sizeof(seg)];
	size_t hl = 20 + optlen, tl = hl + len;

	assert_true(tl <= sizeof(seg) && optlen % 4 == 0 && optlen <= 40);
	memset(seg, 0, hl);
	seg[0] = (uint8_t)(sport >> 8); seg[1] = (uint8_t)sport;
	seg[2] = (uint8_t)(dport >> 8); seg[3] = (uint8_t)dport;
	seg[4] = (uint8_t)(seq >> 24); seg[5] = (uint8_t)(seq >> 16);
	seg[6] = (uint8_t)(seq >> 8); seg[7] = (uint8_t)seq;
	seg[8] = (uint8_t)(ack >> 24); seg[9] = (uint8_t)(ack >> 16);
	seg[10] = (uint8_t)(ack >> 8); seg[11] = (uint8_t)ack;
	seg[12] = (uint8_t)((hl / 4) << 4);
	seg[13] = flags;
	seg[14] = (uint8_t)(wnd >> 8); seg[15] = (uint8_t)wnd;
	if (optlen)
		memcpy(seg + 20, opts, optlen);
	if (len)
		memcpy(seg + hl, data, len);
	/* pseudo header + segment, independent checksum */
	uint32_t s = ht_ip(TT_PEER), d = ht_ip(TT_US);
	memcpy(ph, &s, 4); memcpy(ph + 4, &d, 4);
	ph[8] = 0; ph[9] = 6; ph[10] = (uint8_t)(tl >> 8); ph[11] = (uint8_t)tl;
	memcpy(ph + 12, seg, tl);
	uint16_t ck = ht_cksum(ph, 12 + tl);
	memcpy(seg + 16, &ck, 2);
	return ht_build_ipv4(buf, TT_PEER, TT_US, IPPROTO_TCP, seg, tl);
}

size_t
tt_opt_ts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
	val = rte_cpu_to_be_32(val); ecr = rte_cpu_to_be_32(ecr);
	memcpy(o + 4, &val, 4); memcpy(o + 8, &ecr, 4);
	return 12;
}

size_t
tt_opt_syn(uint8_t *o, int mss, int ws, bool sack, bool ts, uint32_t tsval, uint32_t tsecr)
{
	size_t n = 0;

	if (mss >= 0) {
		o[n++] = 2; o[n++] = 4; o[n++] = (uint8_t)(mss >> 8); o[n++] = (uint8_t)mss;
	}
	if (sack) {
		o[n++] = 1; o[n++] = 1; o[n++] = 4; o[n++] = 2;
	}
	if (ts)
		n += tt_opt_ts(o + n, tsval, tsecr);
	if (ws >= 0) {
		o[n++] = 1; o[n++] = 3; o[n++] = 3; o[n++] = (uint8_t)ws;
	}
	return n;
}

size_t
tt_opt_sack(uint8_t *o, const uint32_t blk[][2], int n)
{
	size_t k = 0;

	o[k++] = 1; o[k++] = 1; o[k++] = 5; o[k++] = (uint8_t)(2 + 8 * n);
	for (int i = 0; i < n; i++) {
		uint32_t l = rte_cpu_to_be_32(blk[i][0]), r = rte_cpu_to_be_32(blk[i][1]);

		memcpy(o + k, &l, 4); memcpy(o + k + 4, &r, 4);
		k += 8;
	}
	return k;
}

void
tt_send(struct tt *t, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, size_t len)
{
	uint8_t f[2300], o[40];
	size_t ol = 0, n;

	if (t->ts)
		ol = tt_opt_ts(o, t->tsval, t->ts_recent);
	n = tt_build(f, t->pport, t->lport, seq, ack, flags, t->wnd, o, ol, data, len);
	ht_input(t->r, f, n);
}

void
tt_send_next(struct tt *t, uint8_t flags, const void *data, size_t len)
{
	tt_send(t, flags, t->snd_nxt, t->rcv_nxt, data, len);
	t->snd_nxt += (uint32_t)len + !!(flags & TH_S) + !!(flags & TH_F);
}

bool
tt_recv(struct ht_rig *r, struct tt_seg *s)
{
	struct rte_mbuf *m;
	uint8_t f[4096];

	hare_worker_tx_flush(r->w); /* frames sent from API calls / timers */
	while ((m = ht_pop_tx(r)) != NULL) {
		size_t len = ht_frame_bytes(m, f, sizeof(f));
		const struct rte_ipv4_hdr *ip = (const void *)(f + 14);

		rte_pktmbuf_free(m);
		if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip->next_proto_id != 6)
			continue;
		size_t ihl = (ip->version_ihl & 0xf) * 4;
		size_t tl = rte_be_to_cpu_16(ip->total_length) - ihl;
		const uint8_t *th = f + 14 + ihl;
		uint8_t ph[12 + 4096];

		assert_int_equal(rte_be_to_cpu_16(ip->total_length), len - 14);
		assert_true(len - 14 <= 1500); /* never beyond the MTU */
		memcpy(ph, &ip->src_addr, 4); memcpy(ph + 4, &ip->dst_addr, 4);
		ph[8] = 0; ph[9] = 6; ph[10] = (uint8_t)(tl >> 8); ph[11] = (uint8_t)tl;
		memcpy(ph + 12, th, tl);
		assert_int_equal(ht_cksum(ph, 12 + tl), 0); /* TCP checksum right */
		assert_int_equal(ht_cksum(ip, ihl), 0); /* IPv4 header checksum right */
		memset(s, 0, offsetof(struct tt_seg, data));
		s->n_sack = 0;
		s->has_ts = s->sack_ok = false;
		s->tsval = s->tsecr = 0; /* past data[]: not cleared above */
		s->src = ip->src_addr;
		s->dst = ip->dst_addr;
		s->sport = (uint16_t)(th[0] << 8 | th[1]);
		s->dport = (uint16_t)(th[2] << 8 | th[3]);
		s->seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
		s->ack = (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 | (uint32_t)th[10] << 8 | th[11];
		size_t hl = (size_t)(th[12] >> 4) * 4;
		s->flags = th[13];
		s->wnd = (uint16_t)(th[14] << 8 | th[15]);
		s->len = (uint32_t)(tl - hl);
		memcpy(s->data, th + hl, s->len);
		s->mss = s->ws = -1;
		for (size_t i = 20; i < hl;) {
			uint8_t k = th[i];

			if (k == 0)
				break;
			if (k == 1) { i++; continue; }
			uint8_t ol = th[i + 1];
			assert_true(ol >= 2 && i + ol <= hl);
			if (k == 2) s->mss = th[i + 2] << 8 | th[i + 3];
			if (k == 3) s->ws = th[i + 2];
			if (k == 4) s->sack_ok = true;
			if (k == 8) {
				s->has_ts = true;
				s->tsval = (uint32_t)th[i + 2] << 24 | (uint32_t)th[i + 3] << 16 |
					   (uint32_t)th[i + 4] << 8 | th[i + 5];
				s->tsecr = (uint32_t)th[i + 6] << 24 | (uint32_t)th[i + 7] << 16 |
					   (uint32_t)th[i + 8] << 8 | th[i + 9];
			}
			if (k == 5) {
				s->n_sack = (ol - 2) / 8;
				for (int b = 0; b < s->n_sack && b < 4; b++) {
					const uint8_t *p = th + i + 2 + 8 * b;
					s->sack[b][0] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
					s->sack[b][1] = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
				}
			}
			i += ol;
		}
		return true;
	}
	return false;
}

struct hare_tcp_conn *
tt_open(struct tt *t, struct ht_rig *r, bool opts, uint32_t peer_isn)
{
	uint8_t f[256], o[40] = {0};
	size_t ol = 0, n;
	struct tt_seg s;

	memset(t, 0, sizeof(*t));
	t->r = r;
	t->pport = TT_PPORT;
	t->lport = TT_LPORT;
	t->wnd = 65535;
	t->ts = opts;
	t->tsval = 5000;
	ol = opts ? tt_opt_syn(o, 1460, 7, true, true, t->tsval, 0)
		  : tt_opt_syn(o, 1460, -1, false, false, 0, 0); /* MSS only */
	n = tt_build(f, t->pport, t->lport, peer_isn, 0, TH_S, t->wnd, o, ol, NULL, 0);
	ht_input(r, f, n);
	t->snd_nxt = peer_isn + 1;
	tt_expect(r, &s, TH_S | TH_A);
	assert_int_equal(s.ack, peer_isn + 1);
	assert_int_equal(s.mss, 1460);
	if (opts) {
		assert_true(s.sack_ok);
		assert_true(s.has_ts);
		assert_int_equal(s.tsecr, t->tsval);
		assert_true(s.ws >= 0);
		t->ts_recent = s.tsval;
	} else {
		assert_int_equal(s.ws, -1);
		assert_false(s.has_ts);
	}
	t->iss = s.seq;
	t->rcv_nxt = s.seq + 1;
	tt_send_next(t, TH_A, NULL, 0);
	assert_int_equal(tt_app.accepts, 1);
	assert_non_null(tt_app.conn);
	assert_int_equal(hare_tcp_state(tt_app.conn), HARE_TCP_ESTABLISHED);
	return tt_app.conn;
}

void
tt_advance(struct ht_rig *r, uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++) {
		r->w->now_ms++;
		hare_worker_timers(r->w);
	}
	hare_worker_tx_flush(r->w);
}

uint64_t
tt_stat(struct ht_rig *r, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(hare_stats_get(&r->w->stats, name, &v), 0);
	return v;
}
