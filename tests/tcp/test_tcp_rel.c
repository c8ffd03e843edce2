/* test_tcp_rel.c — reliability and robustness through the fake port: RTO
 * with exponential backoff (RFC 6298), fast retransmit and NewReno/SACK
 * recovery (RFC 5681/6582/2018), zero-window probes, sequence wrap-around
 * near 2^32, out-of-order queue with SACK blocks, PAWS (RFC 7323),
 * out-of-window data, receive-window backpressure, keepalive, malformed
 * segments, and the size of the per-connection structures. */
#include <stdio.h>
#include <string.h>
#include "tcp_helpers.h"
#include "tcp_impl.h"

static void
listen_on(struct ht_rig *r, const struct hare_tcp_ops *ops)
{
	assert_non_null(hare_tcp_listen(r->w, 0, TT_LPORT, ops, NULL));
}

static uint8_t pattern[65536];

static void
fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 31 + 7);
}

/* RFC 6298 §5: first retransmission after RTO (1 s without a sample), then
 * doubled each time (5.5); an ACK stops it. Karn: no RTT from them. */
static void
rto_and_backoff(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	assert_int_equal(hare_tcp_send_bytes(c, "abc", 3), 3);
	tt_expect(r, &s, TH_A | TH_P);
	uint32_t seq = s.seq;
	uint32_t waits[] = {1000, 2000, 4000, 8000};
	for (int i = 0; i < 4; i++) {
		tt_advance(r, waits[i] - 1);
		tt_expect_none(r);
		tt_advance(r, 1);
		tt_expect(r, &s, TH_A | TH_P);
		assert_int_equal(s.seq, seq);
		assert_int_equal(s.len, 3);
	}
	assert_int_equal(tt_stat(r, "tcp_rto_fired"), 4);
	assert_int_equal(tt_stat(r, "tcp_retransmits"), 4);
	t.rcv_nxt = seq + 3;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_unacked(c), 0);
	assert_int_equal(tt_app.sent, 3);
	tt_advance(r, 40000);
	tt_expect_none(r);

	ht_rig_free(r);
}

/* Data segments: retransmissions give up after the retry limit with a RST
 * and on_closed(TIMEOUT). */
static void
rto_gives_up(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	hare_tcp_send_bytes(c, "abc", 3);
	for (int i = 0; i < 40 && tt_app.closes == 0; i++)
		tt_advance(r, 60000);
	assert_int_equal(tt_app.closes, 1);
	assert_int_equal(tt_app.reason, HARE_TCP_CLOSE_TIMEOUT);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	ht_drain_tx(r);
	(void)s;
	ht_rig_free(r);
}

/* Three duplicate ACKs: the missing segment goes out at once (RFC 5681
 * §3.2), recovery ends with the ACK of everything (RFC 6582). */
static void
fast_retransmit(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	fill_pattern();
	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	assert_int_equal(hare_tcp_send_bytes(c, pattern, 5 * 1460), 5 * 1460);
	uint32_t first = 0;
	for (int i = 0; i < 5; i++) {
		assert_true(tt_recv(r, &s));
		assert_int_equal(s.len, 1460);
		if (i == 0)
			first = s.seq;
	}
	t.rcv_nxt = first + 1460;
	tt_send_next(&t, TH_A, NULL, 0); /* ACK of segment 1 */
	tt_send_next(&t, TH_A, NULL, 0); /* dup 1 */
	tt_send_next(&t, TH_A, NULL, 0); /* dup 2 */
	tt_expect_none(r);
	tt_send_next(&t, TH_A, NULL, 0); /* dup 3 */
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.seq, first + 1460);
	assert_int_equal(s.len, 1460);
	assert_memory_equal(s.data, pattern + 1460, 1460);
	assert_int_equal(tt_stat(r, "tcp_fast_retransmits"), 1);
	assert_int_equal(tt_stat(r, "tcp_dup_acks"), 3);
	assert_int_equal(tt_stat(r, "tcp_rto_fired"), 0);
	/* partial ACK (segments 2..3): the next hole (4) is resent (RFC 6582) */
	t.rcv_nxt = first + 3 * 1460;
	tt_send_next(&t, TH_A, NULL, 0);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.seq, first + 3 * 1460);
	t.rcv_nxt = first + 5 * 1460;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_unacked(c), 0);
	assert_int_equal(tt_app.sent, 5 * 1460);
	ht_rig_free(r);
}

/* With SACK, recovery resends only the holes below the SACKed data. */
static void
sack_recovery(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;
	uint8_t f[256], o[40];

	fill_pattern();
	listen_on(r, &tt_ops);
	c = tt_open(&t, r, true, 1000);
	const uint32_t M = 1448;
	assert_int_equal(hare_tcp_send_bytes(c, pattern, 6 * M), 6 * M);
	uint32_t b = 0;
	for (int i = 0; i < 6; i++) {
		assert_true(tt_recv(r, &s));
		if (i == 0)
			b = s.seq;
	}
	t.ts_recent = s.tsval;
	/* segments 1 and 4 lost: the peer SACKs 2-3 then 5-6. With 4
	 * segments SACKed above it, segment 1 counts as lost (RFC 6675
	 * IsLost) at the second ACK already. */
	uint32_t blk[2][2] = {{b + M, b + 3 * M}, {b + 4 * M, b + 6 * M}};
	for (int d = 0; d < 3; d++) {
		size_t ol = tt_opt_ts(o, ++t.tsval, t.ts_recent);
		ol += tt_opt_sack(o + ol, blk, d == 0 ? 1 : 2);
		size_t n = tt_build(f, t.pport, t.lport, t.snd_nxt, b, TH_A, t.wnd, o, ol, NULL, 0);
		ht_input(r, f, n);
		if (d == 0)
			tt_expect_none(r);
	}
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.seq, b);            /* first hole */
	assert_int_equal(s.len, M);
	assert_memory_equal(s.data, pattern, M);
	tt_expect(r, &s, TH_A);                /* then the second, not SACKed data */
	assert_int_equal(s.seq, b + 3 * M);
	assert_int_equal(s.len, M);
	tt_expect_none(r);
	assert_int_equal(tt_stat(r, "tcp_fast_retransmits"), 1);
	assert_int_equal(tt_stat(r, "tcp_retransmits"), 2);
	t.rcv_nxt = b + 6 * M;
	t.tsval++;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_unacked(c), 0);
	ht_rig_free(r);
}

/* RFC 6675 §5.1: SACKed data is never sent again, neither by the probe
 * timeout (which, RACK-TLP style, takes the head hole below SACKed data
 * as lost) nor by the go-back-N after an RTO; the first ACK after the RTO
 * lets slow start continue after the SACKed range. */
static void
rto_skips_sacked(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;
	uint8_t f[256], o[40];
	const uint32_t M = 1448;
	uint32_t b = 0, heads = 0;

	fill_pattern();
	listen_on(r, &tt_ops);
	c = tt_open(&t, r, true, 1000);
	assert_int_equal(hare_tcp_send_bytes(c, pattern, 6 * M), 6 * M);
	for (int i = 0; i < 6; i++) {
		assert_true(tt_recv(r, &s));
		if (i == 0)
			b = s.seq;
	}
	t.ts_recent = s.tsval;
	/* segments 2-3 SACKed: below DupThresh, nothing is resent yet */
	uint32_t blk[1][2] = {{b + M, b + 3 * M}};
	size_t ol = tt_opt_ts(o, ++t.tsval, t.ts_recent);
	ol += tt_opt_sack(o + ol, blk, 1);
	size_t n = tt_build(f, t.pport, t.lport, t.snd_nxt, b, TH_A, t.wnd, o, ol, NULL, 0);
	ht_input(r, f, n);
	tt_expect_none(r);
	/* until the RTO: only the head segment goes out again */
	for (int ms = 0; ms < 5000 && tt_stat(r, "tcp_rto_fired") == 0; ms++) {
		tt_advance(r, 1);
		while (tt_recv(r, &s)) {
			assert_int_equal(s.seq, b);
			assert_int_equal(s.len, M);
			assert_memory_equal(s.data, pattern, M);
			heads++;
		}
	}
	assert_int_equal(tt_stat(r, "tcp_rto_fired"), 1);
	assert_true(heads >= 2); /* at least one probe before the RTO, and the RTO's */
	/* the head arrives: slow start goes on after the SACKed range */
	ol = tt_opt_ts(o, ++t.tsval, t.ts_recent);
	n = tt_build(f, t.pport, t.lport, t.snd_nxt, b + M, TH_A, t.wnd, o, ol, NULL, 0);
	ht_input(r, f, n);
	assert_true(tt_recv(r, &s));
	assert_int_equal(s.seq, b + 3 * M);
	assert_memory_equal(s.data, pattern + 3 * M, s.len);
	while (tt_recv(r, &s))
		assert_true(SEQ_GEQ(s.seq, b + 3 * M));
	t.rcv_nxt = b + 6 * M;
	t.tsval++;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_unacked(c), 0);
	ht_rig_free(r);
}

/* RFC 9293 §3.8.6.1: a zero window is probed with one byte, backing off;
 * when the window opens the rest flows. */
static void
zero_window_probe(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	t.wnd = 0;
	tt_send_next(&t, TH_A, NULL, 0); /* window update to 0 */
	assert_int_equal(hare_tcp_send_bytes(c, "0123456789", 10), 10);
	tt_expect_none(r);
	tt_advance(r, 999);
	tt_expect_none(r);
	tt_advance(r, 1);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.len, 1);
	assert_int_equal(s.data[0], '0');
	uint32_t una = s.seq;
	tt_send_next(&t, TH_A, NULL, 0); /* still 0, probe not accepted */
	tt_advance(r, 1999);
	tt_expect_none(r);
	tt_advance(r, 1);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.seq, una);
	assert_int_equal(s.len, 1);
	t.wnd = 1000;
	tt_send_next(&t, TH_A, NULL, 0); /* window opens */
	tt_expect(r, &s, TH_A | TH_P);
	assert_int_equal(s.len, 9);
	assert_memory_equal(s.data, "123456789", 9);
	t.rcv_nxt = una + 10;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_unacked(c), 0);
	ht_rig_free(r);
}

static void
tiny_rcvbuf(struct hare_config *cfg)
{
	cfg->tcp.rcv_buf = 4096;
}

/* Backpressure: with MANUAL_RECV the window closes as data is held and
 * reopens (window update) when the app calls hare_tcp_recved. */
static void
receive_window_backpressure(void **state)
{
	struct ht_rig *r = tt_rig_cfg(tiny_rcvbuf);
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;
	static uint8_t d[4096];

	listen_on(r, &tt_ops_manual);
	c = tt_open(&t, r, false, 1000);
	tt_send_next(&t, TH_A, d, 1460);
	tt_send_next(&t, TH_A, d, 1460); /* second full segment: ACK now */
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.wnd, 4096 - 2920);
	tt_send_next(&t, TH_A, d, 4096 - 2920);
	tt_advance(r, 40);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.wnd, 0);
	/* beyond the window: not accepted */
	tt_send(&t, TH_A, t.snd_nxt, t.rcv_nxt, d, 100);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(tt_app.rx_len, 4096);
	hare_tcp_recved(c, 4096);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.wnd, 4096);
	ht_rig_free(r);
}

/* Sequence numbers wrap at 2^32 in both directions. */
static void
sequence_wraparound(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	fill_pattern();
	hare_tcp_test_fix_isn(r->w, 0xffffff00u);
	listen_on(r, &tt_ops);
	c = tt_open(&t, r, true, 0xfffffe00u);
	assert_int_equal(t.iss, 0xffffff00u);
	/* peer -> us: 4 x 200 bytes from 0xfffffe01 over 0 */
	for (int i = 0; i < 4; i++) {
		tt_send_next(&t, TH_A, pattern + 200 * i, 200);
		t.tsval++;
	}
	uint32_t expect_ack = 0xfffffe01u + 800;
	assert_true(expect_ack < 0x1000);
	tt_advance(r, 40);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, expect_ack);
	assert_int_equal(tt_app.rx_len, 800);
	assert_memory_equal(tt_app.rx, pattern, 800);
	/* us -> peer: 600 bytes from 0xffffff01 over 0 */
	assert_int_equal(hare_tcp_send_bytes(c, pattern, 600), 600);
	tt_expect(r, &s, TH_A | TH_P);
	assert_int_equal(s.seq, 0xffffff01u);
	assert_memory_equal(s.data, pattern, 600);
	t.rcv_nxt = 0xffffff01u + 600;
	t.ts_recent = s.tsval;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_unacked(c), 0);
	assert_int_equal(tt_app.sent, 600);
	/* out-of-order across the wrap, then the hole */
	uint32_t base = t.snd_nxt;
	tt_send(&t, TH_A, base + 100, t.rcv_nxt, pattern + 100, 100);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, base);
	tt_send(&t, TH_A, base, t.rcv_nxt, pattern, 100);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, base + 200);
	ht_rig_free(r);
}

/* Out-of-order segments: immediate duplicate ACK with a SACK block for
 * the queued data (RFC 2018 §4), delivery in order once the hole fills. */
static void
ooo_queue_and_sack(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;

	fill_pattern();
	listen_on(r, &tt_ops);
	tt_open(&t, r, true, 1000);
	uint32_t b = t.snd_nxt;
	tt_send(&t, TH_A, b + 300, t.rcv_nxt, pattern + 300, 100);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, b);
	assert_int_equal(s.n_sack, 1);
	assert_int_equal(s.sack[0][0], b + 300);
	assert_int_equal(s.sack[0][1], b + 400);
	tt_send(&t, TH_A, b + 100, t.rcv_nxt, pattern + 100, 100);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.n_sack, 2);
	assert_int_equal(s.sack[0][0], b + 100); /* most recent first */
	assert_int_equal(s.sack[1][0], b + 300);
	/* overlapping retransmission 150..350 */
	tt_send(&t, TH_A, b + 150, t.rcv_nxt, pattern + 150, 200);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.n_sack, 1);
	assert_int_equal(s.sack[0][0], b + 100);
	assert_int_equal(s.sack[0][1], b + 400);
	assert_int_equal(tt_app.rx_len, 0);
	tt_send(&t, TH_A, b, t.rcv_nxt, pattern, 100);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, b + 400);
	assert_int_equal(s.n_sack, 0);
	assert_int_equal(tt_app.rx_len, 400);
	assert_memory_equal(tt_app.rx, pattern, 400);
	assert_int_equal(tt_stat(r, "tcp_ooo_segments"), 3);
	ht_rig_free(r);
}

/* RFC 7323 §5: a segment whose TSval is older than TS.Recent is dropped
 * (and ACKed); a newer one is accepted. */
static void
paws_drop(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;

	listen_on(r, &tt_ops);
	tt_open(&t, r, true, 1000);
	t.tsval = 4000; /* older than the 5000 of the SYN */
	tt_send(&t, TH_A, t.snd_nxt, t.rcv_nxt, "old", 3);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(tt_app.rx_len, 0);
	assert_int_equal(tt_stat(r, "tcp_paws_drops"), 1);
	t.tsval = 6000;
	tt_send_next(&t, TH_A, "new", 3);
	assert_int_equal(tt_app.rx_len, 3);
	tt_advance(r, 40);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.tsecr, 6000);
	ht_rig_free(r);
}

/* Data entirely outside the window: ACK with RCV.NXT, nothing delivered. */
static void
out_of_window_data(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;

	listen_on(r, &tt_ops);
	tt_open(&t, r, false, 1000);
	tt_send(&t, TH_A, t.snd_nxt + 10000000, t.rcv_nxt, "far", 3);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	tt_send(&t, TH_A, t.snd_nxt - 50, t.rcv_nxt, "old", 3); /* duplicate */
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(tt_app.rx_len, 0);
	assert_int_equal(tt_stat(r, "tcp_drop_out_of_window"), 2);
	/* partly old: only the new bytes are taken */
	tt_send(&t, TH_A, t.snd_nxt - 2, t.rcv_nxt, "xyNEW", 5);
	assert_int_equal(tt_app.rx_len, 3);
	assert_memory_equal(tt_app.rx, "NEW", 3);
	ht_rig_free(r);
}

static void
keepalive_on(struct hare_config *cfg)
{
	cfg->tcp.keepalive_idle_ms = 1000;
	cfg->tcp.keepalive_intvl_ms = 500;
	cfg->tcp.keepalive_probes = 2;
}


/* Malformed segments are counted drops, never a crash or a leak. */
static void
malformed_segments(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	uint8_t f[256], o[40];
	size_t n;
	uint64_t before;

	listen_on(r, &tt_ops);
	tt_open(&t, r, false, 1000);
	/* bad checksum */
	n = tt_build(f, TT_PPORT, TT_LPORT, t.snd_nxt, t.rcv_nxt, TH_A, 100, NULL, 0, "abc", 3);
	f[n - 1] ^= 0xff;
	ht_input(r, f, n);
	assert_int_equal(tt_stat(r, "drop_bad_cksum"), 1);
	/* data offset beyond the segment */
	before = tt_stat(r, "drop_bad_len");
	n = tt_build(f, TT_PPORT, TT_LPORT, t.snd_nxt, t.rcv_nxt, TH_A, 100, NULL, 0, NULL, 0);
	f[14 + 20 + 12] = 0xf0;
	ht_input(r, f, n); /* (checksum is also off: either drop is fine) */
	assert_true(tt_stat(r, "drop_bad_len") + tt_stat(r, "drop_bad_cksum") > before + 1);
	/* data offset 4 (< 5) with a valid checksum */
	o[0] = 0;
	n = tt_build(f, TT_PPORT, TT_LPORT, t.snd_nxt, t.rcv_nxt, TH_A, 100, NULL, 0, NULL, 0);
	{
		/* rebuild with offset 4: fix the checksum by hand */
		uint8_t *th = f + 34;
		th[12] = 0x40;
		th[16] = th[17] = 0;
		uint8_t ph[12 + 20];
		uint32_t sa = ht_ip(TT_PEER), da = ht_ip(TT_US);
		memcpy(ph, &sa, 4); memcpy(ph + 4, &da, 4);
		ph[8] = 0; ph[9] = 6; ph[10] = 0; ph[11] = 20;
		memcpy(ph + 12, th, 20);
		uint16_t ck = ht_cksum(ph, 32);
		memcpy(th + 16, &ck, 2);
	}
	before = tt_stat(r, "drop_bad_len");
	ht_input(r, f, n);
	assert_int_equal(tt_stat(r, "drop_bad_len"), before + 1);
	/* option length running past the header, and a zero option length */
	o[0] = 8; o[1] = 30; o[2] = 0; o[3] = 0;
	n = tt_build(f, TT_PPORT, TT_LPORT, t.snd_nxt, t.rcv_nxt, TH_A, 100, o, 4, NULL, 0);
	ht_input(r, f, n);
	o[0] = 2; o[1] = 0; o[2] = 0; o[3] = 0;
	n = tt_build(f, TT_PPORT, TT_LPORT, t.snd_nxt, t.rcv_nxt, TH_A, 100, o, 4, NULL, 0);
	ht_input(r, f, n);
	/* SYN+FIN */
	n = tt_build(f, TT_PPORT, TT_LPORT, 1, 0, TH_S | TH_F, 100, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(tt_stat(r, "drop_bad_header"), 3);
	/* a truncated TCP header */
	n = ht_build_ipv4(f, TT_PEER, TT_US, IPPROTO_TCP, "short", 5);
	before = tt_stat(r, "drop_bad_len");
	ht_input(r, f, n);
	assert_int_equal(tt_stat(r, "drop_bad_len"), before + 1);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	assert_int_equal(tt_app.rx_len, 0);
	ht_drain_tx(r);
	ht_rig_free(r);
}

/* Keepalive (off by default): probes after idle, RST + TIMEOUT when
 * unanswered; any segment from the peer resets the count. */
static void
keepalive_probes(void **state)
{
	struct ht_rig *r = tt_rig_cfg(keepalive_on);
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	(void)c;
	tt_advance(r, 1001);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.seq, t.rcv_nxt - 1);
	assert_int_equal(s.len, 0);
	tt_advance(r, 500);
	tt_expect(r, &s, TH_A);
	tt_advance(r, 500);
	tt_expect(r, &s, TH_R | TH_A);
	assert_int_equal(tt_app.closes, 1);
	assert_int_equal(tt_app.reason, HARE_TCP_CLOSE_TIMEOUT);
	ht_rig_free(r);
}

/* Memory targets (issue 3): an idle ESTABLISHED connection <= 512 bytes
 * all-in, a TIME_WAIT entry <= 64 bytes all-in. The flow table runs at
 * load <= 0.5 with 8-byte slots: 16 bytes per entry. */
static void
struct_sizes(void **state)
{
	size_t conn = sizeof(struct hare_tcp_conn) + 2 * sizeof(struct tcp_slot);
	size_t tw = sizeof(struct tcp_tw) + 2 * sizeof(struct tcp_slot);

	printf("# sizeof(struct hare_tcp_conn) = %zu, with flow slots = %zu\n",
	       sizeof(struct hare_tcp_conn), conn);
	printf("# sizeof(struct tcp_tw) = %zu, with flow slots = %zu\n", sizeof(struct tcp_tw), tw);
	assert_true(conn <= 512);
	assert_true(tw <= 64);
}

/* tcp_xmit() writes an ACK-carrying segment with a small payload (or none:
 * tcp_send_ack) itself (tcp_out.c, tcp_xmit_direct); the frame must be the
 * one tcp_xmit_general() + hare_ipv4_output() build, byte for byte and in
 * its offload requests, for payloads of 0..TCP_COPY_MAX bytes taken from
 * the send queue at several offsets, every TX offload combination, with
 * and without timestamps. */
static void
direct_ack_matches_general_path(void **state)
{
	static const uint32_t lens[] = { 0, 1, 100, 255, 256 };
	static uint8_t data[300];

	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 7 + 3);
	for (int ts = 0; ts < 2; ts++) {
		for (uint32_t off = 0; off < 4; off++) {
			struct ht_rig *r = tt_rig();
			struct tt t;
			struct hare_tcp_conn *c;

			listen_on(r, &tt_ops);
			c = tt_open(&t, r, ts, 5000);
			assert_int_equal(!!(c->opt & TO_TS), ts);
			r->w->offloads = ((off & 1) ? HARE_OFFLOAD_IPV4_CKSUM : 0) |
					 ((off & 2) ? HARE_OFFLOAD_TCP_CKSUM : 0);
			/* 300 bytes in flight (sent and dropped here): the
			 * segments below resend parts of them */
			assert_int_equal(hare_tcp_send_bytes(c, data, sizeof(data)), (int)sizeof(data));
			hare_worker_tx_flush(r->w);
			ht_drain_tx(r);
			for (size_t li = 0; li < RTE_DIM(lens); li++) {
				uint32_t len = lens[li];
				uint8_t fl = len ? TH_ACK | TH_PSH : TH_ACK;
				struct rte_mbuf *a, *b;
				uint16_t id = r->w->ip_id;

				/* tcp_xmit takes the direct builder for these */
				assert_int_equal(tcp_xmit(r->w, c, c->snd_una + 7 * (uint32_t)li, len, fl), 0);
				hare_worker_tx_flush(r->w);
				r->w->ip_id = id; /* the same IPv4 identification for both */
				assert_int_equal(tcp_xmit_general(r->w, c, c->snd_una + 7 * (uint32_t)li,
								  len, fl), 0);
				hare_worker_tx_flush(r->w);
				a = ht_pop_tx(r);
				b = ht_pop_tx(r);
				assert_non_null(a);
				assert_non_null(b);
				assert_int_equal(a->pkt_len, b->pkt_len);
				assert_int_equal(a->pkt_len, 14 + 20 + 20 + (ts ? 12 : 0) + len);
				assert_int_equal(a->nb_segs, 1);
				assert_int_equal(b->nb_segs, 1);
				assert_memory_equal(rte_pktmbuf_mtod(a, void *), rte_pktmbuf_mtod(b, void *),
						    a->pkt_len);
				assert_int_equal(a->ol_flags, b->ol_flags);
				assert_int_equal(a->l2_len, b->l2_len);
				assert_int_equal(a->l3_len, b->l3_len);
				rte_pktmbuf_free(a);
				rte_pktmbuf_free(b);
			}
			r->w->offloads = 0;
			ht_rig_free(r);
		}
	}
}

/* A passive open's SYN-ACK comes from tcp_xmit's direct builder too; it
 * must be the frame tcp_xmit_general() + hare_ipv4_output() build, byte
 * for byte and in its offload requests, for every combination of the
 * options the SYN offered (MSS always; SACK-permitted, timestamps, window
 * scale each on or off: the SYN-ACK's option layouts) and of the TX
 * offloads; and its option bytes must be those layouts, written out here
 * (the two builders share the option writer). */
static void
direct_synack_matches_general_path(void **state)
{
	for (unsigned opt = 0; opt < 8; opt++) {
		for (uint32_t off = 0; off < 4; off++) {
			const bool sack = opt & 1, ts = opt & 2, ws = opt & 4;
			struct ht_rig *r = tt_rig();
			struct hare_tcp_conn *c = NULL;
			struct rte_mbuf *a, *b;
			uint8_t f[256], o[40];
			size_t ol;
			uint16_t id;

			listen_on(r, &tt_ops);
			r->w->offloads = ((off & 1) ? HARE_OFFLOAD_IPV4_CKSUM : 0) |
					 ((off & 2) ? HARE_OFFLOAD_TCP_CKSUM : 0);
			ol = tt_opt_syn(o, 1400, ws ? 9 : -1, sack, ts, 3333, 0);
			ht_input(r, f, tt_build(f, TT_PPORT, TT_LPORT, 9000, 0, TH_S, 65535, o, ol,
						NULL, 0));
			hare_worker_tx_flush(r->w);
			a = ht_pop_tx(r); /* the SYN-ACK of the open (direct builder) */
			assert_non_null(a);
			for (uint32_t i = 0; i < r->w->tcp->max_conns; i++)
				if (r->w->tcp->conns[i].state == HARE_TCP_SYN_RCVD &&
				    !(r->w->tcp->conns[i].flags & TF_DEAD))
					c = &r->w->tcp->conns[i];
			assert_non_null(c);
			assert_int_equal(!!(c->opt & TO_SACK), sack);
			assert_int_equal(!!(c->opt & TO_TS), ts);
			assert_int_equal(!!(c->opt & TO_WS), ws);
			/* the same frame again from the general path: same IPv4
			 * identification, same clock (the TSval) */
			id = r->w->ip_id;
			r->w->ip_id = (uint16_t)(id - 1);
			assert_int_equal(tcp_xmit_general(r->w, c, c->iss, 0, TH_SYN | TH_ACK), 0);
			hare_worker_tx_flush(r->w);
			b = ht_pop_tx(r);
			assert_non_null(b);
			assert_int_equal(r->w->ip_id, id);
			/* two builders did run: the direct one writes the frame at
			 * the fresh mbuf's data, the general one prepends to it */
			assert_int_equal(a->data_off, RTE_PKTMBUF_HEADROOM);
			assert_int_equal(b->data_off, RTE_PKTMBUF_HEADROOM - 14 - 20);
			assert_int_equal(a->pkt_len, b->pkt_len);
			assert_int_equal(a->pkt_len, 14 + 20 + 20 + 4 + (ts ? 12 : sack ? 4 : 0) +
					 (ws ? 4 : 0));
			assert_memory_equal(rte_pktmbuf_mtod(a, void *), rte_pktmbuf_mtod(b, void *),
					    a->pkt_len);
			assert_int_equal(a->ol_flags, b->ol_flags);
			assert_int_equal(a->l2_len, b->l2_len);
			assert_int_equal(a->l3_len, b->l3_len);
			{
				/* and the option bytes are the layouts themselves:
				 * MSS; SACK-permitted + timestamps as one block,
				 * or either with NOPs; NOP + window scale */
				const uint8_t *o = rte_pktmbuf_mtod_offset(a, const uint8_t *, 14 + 20 + 20);
				const uint16_t mss = (uint16_t)(r->w->cfg->mtu - 40);
				uint8_t want[20];
				size_t n = 0;

				want[n++] = 2; want[n++] = 4;
				want[n++] = (uint8_t)(mss >> 8); want[n++] = (uint8_t)mss;
				if (ts) {
					want[n++] = sack ? 4 : 1; want[n++] = sack ? 2 : 1;
					want[n++] = 8; want[n++] = 10;
					memcpy(want + n, o + n, 4); /* our TSval */
					n += 4;
					want[n++] = 0; want[n++] = 0; want[n++] = 0x0d; want[n++] = 0x05;
				} else if (sack) {
					want[n++] = 1; want[n++] = 1; want[n++] = 4; want[n++] = 2;
				}
				if (ws) {
					want[n++] = 1; want[n++] = 3; want[n++] = 3;
					want[n++] = c->rcv_wscale;
				}
				assert_int_equal(a->pkt_len, 14 + 20 + 20 + n);
				assert_memory_equal(o, want, n);
			}
			rte_pktmbuf_free(a);
			rte_pktmbuf_free(b);
			r->w->offloads = 0;
			ht_rig_free(r);
		}
	}
}

/* hare_tcp_input_lean's lean path (a 32-byte segment with NOP,NOP,TS) must
 * do exactly what the full parse and tcp_input_conn do. The same ACKs run
 * twice on a fresh rig: with NOP,NOP,TS (lean path where it applies) and
 * with TS,NOP,NOP (same meaning, never the lean path); the connection's
 * state and what hare sends must match after every ACK. The sequence
 * covers what the lean path takes (new data, with PSH, a changed window)
 * and what it must turn away (duplicate ACK, a window update, an old
 * TSval, an ACK beyond snd_max, the ACK of all in flight). */
#define LEAN_STEPS 9
struct lean_snap {
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, max_sndwnd, wl1, wl2, cwnd, ssthresh;
	uint32_t ts_recent, srtt, rttvar, rto, flags, buffered, dupacks;
	/* timers and RTT bookkeeping, relative to the clock / our TS clock */
	int32_t t_rexmt, rexmt_stamp, ts_age, rtt_ecr;
	uint32_t head_skip, has_cur;    /* the send queue's front */
	uint64_t rx, tx, drops;
	uint32_t out_n, out_seq[8], out_ack[8], out_len[8], out_flags[8];
};

/* The connection's state after one segment, and what hare sent for it
 * (popped: t's ts_recent follows). Sequence numbers relative to hare's ISS
 * and, for the peer's, to peer_base (0: as they are). */
static void
lean_snap_take(struct lean_snap *sn, struct ht_rig *r, const struct hare_tcp_conn *c,
	       struct tt *t, uint32_t peer_base)
{
	struct tt_seg sg;

	memset(sn, 0, sizeof(*sn));
	sn->snd_una = c->snd_una - t->iss; sn->snd_nxt = c->snd_nxt - t->iss;
	sn->snd_max = c->snd_max - t->iss; sn->snd_wnd = c->snd_wnd;
	sn->max_sndwnd = c->max_sndwnd; sn->wl1 = c->snd_wl1 - peer_base;
	sn->wl2 = c->snd_wl2 - t->iss;
	sn->cwnd = c->cwnd; sn->ssthresh = c->ssthresh; sn->ts_recent = c->ts_recent;
	sn->srtt = c->srtt; sn->rttvar = c->rttvar; sn->rto = c->rto; sn->flags = c->flags;
	sn->buffered = c->snd_buffered; sn->dupacks = c->dupacks;
	sn->t_rexmt = c->t_rexmt ? (int32_t)(c->t_rexmt - (uint32_t)r->w->now_ms) : -1;
	sn->rexmt_stamp = (int32_t)(c->rexmt_stamp - (uint32_t)r->w->now_ms);
	sn->ts_age = (int32_t)(c->ts_recent_age - (uint32_t)r->w->now_ms);
	sn->rtt_ecr = c->rtt_ecr ?
		(int32_t)(c->rtt_ecr - c->ts_offset - (uint32_t)r->w->now_ms) : -1;
	sn->head_skip = c->sndq_head ? tcp_meta(r->w->tcp, c->sndq_head)->skip : 0;
	sn->has_cur = c->snd_cur != NULL;
	sn->rx = r->w->stats.tcp_rx_segments; sn->tx = r->w->stats.tcp_tx_segments;
	sn->drops = tt_stat(r, "drop_bad_header") + tt_stat(r, "drop_bad_cksum");
	while (tt_recv(r, &sg)) {
		if (sn->out_n < 8) {
			sn->out_seq[sn->out_n] = sg.seq - t->iss;
			sn->out_ack[sn->out_n] = sg.ack - peer_base;
			sn->out_len[sn->out_n] = sg.len;
			sn->out_flags[sn->out_n] = sg.flags;
		}
		sn->out_n++;
		t->ts_recent = sg.tsval; /* differs between runs: not compared */
	}
}

/* A connection with `queued` bytes of hare's sent (and not yet acked),
 * the peer's ts_recent following; for the lean-path comparisons. */
static struct hare_tcp_conn *
lean_open_ops(struct ht_rig *r, struct tt *t, uint32_t isn, uint32_t peer_isn, uint32_t queued,
	      const struct hare_tcp_ops *ops)
{
	struct hare_tcp_conn *c;
	struct tt_seg sg;

	hare_tcp_test_fix_isn(r->w, isn);
	listen_on(r, ops);
	c = tt_open(t, r, true, peer_isn);
	assert_int_equal(hare_tcp_send_bytes(c, pattern, queued), (int)queued);
	while (tt_recv(r, &sg))
		t->ts_recent = sg.tsval;
	return c;
}

static struct hare_tcp_conn *
lean_open(struct ht_rig *r, struct tt *t, uint32_t isn, uint32_t peer_isn, uint32_t queued)
{
	return lean_open_ops(r, t, isn, peer_isn, queued, &tt_ops);
}

static bool lean_corrupt; /* lean_send: break the segment's checksum */

/* One peer segment 1 ms later, with its timestamps as NOP,NOP,TS (the
 * lean layout) or TS,NOP,NOP (the same option, never the lean path); dts:
 * the TSval step (a negative one is an old TSval, the clock not moved). */
static void
lean_send(struct ht_rig *r, struct tt *t, bool lean_layout, int32_t dts, uint32_t seq,
	  uint32_t ack, uint8_t flags, uint16_t wnd, const void *data, size_t len)
{
	uint8_t f[2048], o[12];
	uint32_t tsval = t->tsval + (uint32_t)dts;
	size_t n;

	tt_advance(r, 1);
	tt_opt_ts(o, tsval, t->ts_recent);
	if (!lean_layout) {
		memmove(o, o + 2, 10);
		o[10] = o[11] = 1;
	}
	if (dts > 0)
		t->tsval = tsval;
	n = tt_build(f, t->pport, t->lport, seq, ack, flags, wnd, o, 12, data, len);
	if (lean_corrupt)
		f[14 + 20 + 16] ^= 0x5a; /* the TCP checksum field */
	ht_input(r, f, n);
}

static void
lean_run(bool lean_layout, struct lean_snap snap[LEAN_STEPS])
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	/* ack (relative to hare's ISS + 1), window, TSval step, flags */
	static const struct { uint32_t ack; uint16_t wnd; int32_t dts; uint8_t fl; } step[LEAN_STEPS] = {
		{ 1460, 65535, 1, TH_A },        /* new data: taken */
		{ 2920, 65535, 1, TH_A | TH_P }, /* with PSH: taken */
		{ 4380, 40000, 1, TH_A },        /* new data, changed window: taken */
		{ 4380, 40000, 1, TH_A },        /* duplicate ACK: not taken */
		{ 4380, 50000, 1, TH_A },        /* window update: not taken */
		{ 5840, 50000, -100, TH_A },     /* old TSval (PAWS): not taken */
		{ 90000, 50000, 1, TH_A },       /* beyond snd_max: not taken */
		{ 5840, 50000, 1, TH_A },        /* new data again: taken */
		{ 7300, 50000, 1, TH_A },        /* all in flight: taken */
	};

	c = lean_open(r, &t, 777000, 5000, 5 * 1460);
	for (int i = 0; i < LEAN_STEPS; i++) {
		lean_send(r, &t, lean_layout, step[i].dts, t.snd_nxt, t.iss + 1 + step[i].ack,
			  step[i].fl, step[i].wnd, NULL, 0);
		lean_snap_take(&snap[i], r, c, &t, 0);
	}
	ht_rig_free(r);
}

static void
lean_ack_matches_full_path(void **state)
{
	struct lean_snap a[LEAN_STEPS], b[LEAN_STEPS];

	fill_pattern();
	lean_run(true, a);
	lean_run(false, b);
	for (int i = 0; i < LEAN_STEPS; i++) {
		printf("# step %d: snd_una +%u wnd %u cwnd %u out %u\n", i, a[i].snd_una,
		       a[i].snd_wnd, a[i].cwnd, a[i].out_n);
		assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
	}
	assert_int_equal(a[8].snd_una, 1 + 5 * 1460); /* the sequence did run */
	assert_int_equal(a[2].snd_wnd, 40000u << 7);
}

/* The pure ACK path (tcp_pure_ack) against the full parse, as above, for
 * an app without on_sent (so the ACK's whole work is the fast path's):
 * more queued than the initial window, so ACKs release new segments (the
 * output after the ACK); ACKs ending inside a send-queue entry and on its
 * end; a new TSecr (RTT sample) and the same one again; a changed window;
 * a duplicate ACK and an old TSval (turned away); everything in flight
 * acknowledged (the timer stopped); then the app's FIN sent and the ACKs
 * after it (the general path: the FIN's ACK moves the state); a bad
 * checksum (software-verified: counted, dropped, nothing changed). Compared
 * after every step, timers and the send queue's front included. */
#define PURE_STEPS 13
static struct hare_tcp_ops pure_ops; /* tt_ops without on_sent */

static void
pure_run(bool lean_layout, struct lean_snap snap[PURE_STEPS])
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	/* ack (relative to hare's ISS + 1), window, TSval step, flags; close:
	 * the app shuts down writing before the step */
	static const struct {
		uint32_t ack;
		uint16_t wnd;
		int32_t dts;
		bool close;
	} step[PURE_STEPS] = {
		{ 1460, 65535, 1, false },       /* new data, new TSecr: taken */
		{ 2920, 65535, 1, false },       /* a bad checksum: dropped (counted) */
		{ 2920, 65535, 1, false },       /* same TSecr: taken */
		{ 3650, 40000, 1, false },       /* half a segment, new window: taken */
		{ 3650, 40000, 1, false },       /* duplicate: not taken */
		{ 5840, 40000, -50, false },     /* old TSval: not taken */
		{ 5840, 40000, 1, false },       /* taken */
		{ 14600, 40000, 1, false },      /* many segments at once: taken */
		{ 20440, 50000, 1, false },      /* taken */
		{ 26280, 50000, 1, false },      /* taken */
		{ 36500, 50000, 1, false },      /* all of it: taken, the timer stops */
		{ 0, 50000, 1, true },           /* 1000 more and a FIN, all acked: not taken */
		{ 0, 50000, 1, false },          /* a duplicate in FIN_WAIT_2: not taken */
	};

	pure_ops = tt_ops;
	pure_ops.on_sent = NULL;
	c = lean_open_ops(r, &t, 313000, 7000, 25 * 1460, &pure_ops);
	for (int i = 0; i < PURE_STEPS; i++) {
		uint32_t ack = step[i].ack ? step[i].ack : c->snd_max - t.iss - 1;

		if (step[i].close) {
			assert_int_equal(hare_tcp_send_bytes(c, pattern, 1000), 1000);
			hare_tcp_shutdown(c);
			lean_snap_take(&snap[i], r, c, &t, 0); /* what the app's calls sent */
			ack = c->snd_max - t.iss - 1;   /* the FIN too (snd_max counts it) */
		}
		lean_corrupt = i == 1;
		lean_send(r, &t, lean_layout, step[i].dts, t.snd_nxt, t.iss + 1 + ack, TH_A,
			  step[i].wnd, NULL, 0);
		lean_corrupt = false;
		lean_snap_take(&snap[i], r, c, &t, 0);
	}
	ht_rig_free(r);
}

static void
pure_ack_matches_full_path(void **state)
{
	struct lean_snap a[PURE_STEPS], b[PURE_STEPS];

	fill_pattern();
	pure_run(true, a);
	pure_run(false, b);
	for (int i = 0; i < PURE_STEPS; i++) {
		printf("# step %d: snd_una +%u wnd %u cwnd %u rto %u t_rexmt %d out %u\n", i,
		       a[i].snd_una, a[i].snd_wnd, a[i].cwnd, a[i].rto, a[i].t_rexmt, a[i].out_n);
		assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
	}
	assert_int_equal(a[1].drops, a[0].drops + 1); /* the bad checksum counted */
	assert_int_equal(a[1].snd_una, a[0].snd_una);
	assert_int_equal(a[3].head_skip - a[2].head_skip, 730); /* half an entry acked */
	assert_true(a[0].out_n > 0);                /* the ACK released new data */
	assert_int_equal(a[3].snd_wnd, 40000u << 7);
	assert_int_equal(a[10].t_rexmt, -1);        /* all acknowledged: timer off */
	assert_true(a[9].t_rexmt > 0);              /* data in flight: timer on */
	assert_true(a[11].flags & TF_FIN_ACKED);    /* the general path took the FIN's ACK */
	assert_int_equal(a[11].snd_una, 1 + 36500 + 1000 + 1);
	assert_int_equal(a[12].buffered, 0);
}

/* The peer's FIN on a segment that otherwise looks like a pure ACK of new
 * data (in order, no payload, the lean 32-byte header): never taken as a
 * pure ACK. It acknowledges the data and closes the peer's side
 * (ESTABLISHED -> CLOSE_WAIT, RCV.NXT past the FIN, RFC 9293 §3.10.7.4
 * eighth step), and is acknowledged at once. */
static void
peer_fin_on_a_pure_ack(void **state)
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	struct tt_seg sg;
	uint32_t rcv;
	bool acked = false;

	fill_pattern();
	c = lean_open(r, &t, 515000, 4000, 3 * 1460);
	rcv = c->rcv_nxt;
	lean_send(r, &t, true, 1, t.snd_nxt, t.iss + 1 + 1460, TH_A | TH_F, 65535, NULL, 0);
	assert_int_equal(c->state, HARE_TCP_CLOSE_WAIT);
	assert_int_equal(c->rcv_nxt, rcv + 1);
	assert_int_equal(c->snd_una, t.iss + 1 + 1460);
	while (tt_recv(r, &sg))
		if (sg.ack == rcv + 1)
			acked = true;
	assert_true(acked);
	ht_rig_free(r);
}

/* The lean path's lookup (straight from the headers) follows the flow
 * table: after an abort the same tuple's next ACK finds no connection
 * (RFC 9293 §3.10.7.1: a RST answers it); a new connection of that tuple
 * (in the freed slot) is found as itself, and an ACK of another tuple
 * that has no connection gets a RST. */
static void
lean_lookup_follows_the_table(void **state)
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c, *c2;
	struct tt t, t3;
	struct tt_seg sg;
	uint64_t rx;

	fill_pattern();
	c = lean_open(r, &t, 111000, 3000, 2 * 1460);
	lean_send(r, &t, true, 1, t.snd_nxt, t.iss + 1 + 1460, TH_A, 65535, NULL, 0);
	assert_int_equal(c->snd_una, t.iss + 1 + 1460); /* taken */
	hare_tcp_abort(c);
	while (tt_recv(r, &sg))
		;
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	lean_send(r, &t, true, 1, t.snd_nxt, t.iss + 1 + 2920, TH_A, 65535, NULL, 0);
	assert_true(tt_recv(r, &sg));
	assert_int_equal(sg.flags & TH_R, TH_R);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	/* the same tuple again: a new connection in the freed slot */
	tt_app.accepts = 0;
	hare_tcp_test_fix_isn(r->w, 222000);
	c2 = tt_open(&t, r, true, 8000);
	assert_ptr_equal(c2, c);
	while (tt_recv(r, &sg))
		t.ts_recent = sg.tsval;
	assert_int_equal(hare_tcp_send_bytes(c2, pattern, 1460), 1460);
	while (tt_recv(r, &sg))
		t.ts_recent = sg.tsval;
	rx = r->w->stats.tcp_rx_segments;
	lean_send(r, &t, true, 1, t.snd_nxt, t.iss + 1 + 1460, TH_A, 65535, NULL, 0);
	assert_int_equal(c2->snd_una, t.iss + 1 + 1460);
	assert_int_equal(r->w->stats.tcp_rx_segments, rx + 1);
	/* another peer port: no connection */
	t3 = t;
	t3.pport = (uint16_t)(t.pport + 1);
	lean_send(r, &t3, true, 1, t3.snd_nxt, t3.iss + 1 + 1460, TH_A, 65535, NULL, 0);
	assert_true(tt_recv(r, &sg));
	assert_int_equal(sg.flags & TH_R, TH_R);
	assert_int_equal(sg.dport, t3.pport);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	assert_int_equal(hare_tcp_state(c2), HARE_TCP_ESTABLISHED);
	ht_rig_free(r);
}

/* The lean path's data case must match the full parse too: in-order
 * data (acknowledging nothing new, new data, with PSH, with a changed
 * window) is taken; out-of-order data, the segment filling the hole, an
 * old TSval, an ACK beyond snd_max go to hare_tcp_input. Run twice as
 * above (NOP,NOP,TS vs TS,NOP,NOP) and compared after every segment,
 * including what the app received and every segment hare sent. */
#define LEAN_DATA_STEPS 9
struct lean_data_snap {
	struct lean_snap base;
	uint32_t rcv_nxt, app_rx, ooo, delack;
};

static void
lean_data_run(bool lean_layout, struct lean_data_snap snap[LEAN_DATA_STEPS])
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	/* peer seq (relative), payload, ack (relative to hare's ISS + 1),
	 * window, TSval step, flags */
	static const struct { uint32_t seq, len, ack; uint16_t wnd; int32_t dts; uint8_t fl; }
	step[LEAN_DATA_STEPS] = {
		{ 0, 100, 0, 65535, 1, TH_A },           /* in order, no new ACK: taken */
		{ 100, 100, 1460, 65535, 1, TH_A },      /* in order, new ACK: taken */
		{ 300, 100, 1460, 65535, 1, TH_A },      /* a hole before it: not taken */
		{ 200, 100, 1460, 65535, 1, TH_A },      /* fills the hole: not taken */
		{ 400, 100, 1460, 65535, -100, TH_A },   /* old TSval (PAWS): not taken */
		{ 400, 100, 90000, 65535, 1, TH_A },     /* ACK beyond snd_max: not taken */
		{ 400, 100, 2920, 65535, 1, TH_A | TH_P }, /* with PSH: taken */
		{ 500, 100, 2920, 30000, 1, TH_A },      /* changed window: taken */
		{ 600, 1448, 4380, 30000, 1, TH_A },     /* full-sized, all acked: taken */
	};
	static uint8_t payload[1448];

	c = lean_open(r, &t, 555000, 9000, 3 * 1460);
	const uint32_t base = t.snd_nxt;

	for (int i = 0; i < LEAN_DATA_STEPS; i++) {
		memset(payload, 'a' + i, sizeof(payload));
		lean_send(r, &t, lean_layout, step[i].dts, base + step[i].seq,
			  t.iss + 1 + step[i].ack, step[i].fl, step[i].wnd, payload, step[i].len);
		struct lean_data_snap *d = &snap[i];

		memset(d, 0, sizeof(*d));
		d->rcv_nxt = c->rcv_nxt - base;
		d->app_rx = tt_app.rx_len;
		d->ooo = (uint32_t)r->w->stats.tcp_ooo_segments;
		d->delack = c->t_delack != 0;
		lean_snap_take(&d->base, r, c, &t, base);
	}
	assert_int_equal(tt_app.rx_len, 600 + 1448);
	for (uint32_t k = 0; k < 600 + 1448; k++) /* delivered in order, each byte once */
		assert_int_equal(tt_app.rx[k], 'a' + (k < 200 ? (int)k / 100 : k < 300 ? 3 :
						   k < 400 ? 2 : k < 500 ? 6 : k < 600 ? 7 : 8));
	ht_rig_free(r);
}

static void
lean_data_matches_full_path(void **state)
{
	struct lean_data_snap a[LEAN_DATA_STEPS], b[LEAN_DATA_STEPS];

	fill_pattern();
	lean_data_run(true, a);
	lean_data_run(false, b);
	for (int i = 0; i < LEAN_DATA_STEPS; i++) {
		printf("# step %d: rcv_nxt +%u app %u snd_una +%u out %u\n", i, a[i].rcv_nxt,
		       a[i].app_rx, a[i].base.snd_una, a[i].base.out_n);
		assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
	}
	assert_int_equal(a[1].rcv_nxt, 200);       /* the in-order steps did run */
	assert_int_equal(a[2].ooo, 1);             /* the hole was seen */
	assert_int_equal(a[3].rcv_nxt, 400);       /* and filled */
	assert_int_equal(a[8].base.snd_una, 1 + 3 * 1460);
	assert_int_equal(a[7].base.snd_wnd, 30000u << 7);
}

/* The lean path's closing FIN (tcp_in.c, tcp_lean_fin) must end a
 * connection exactly as the slow path does: the same ACK sent, the same
 * TIME_WAIT entry, the same counters and app callbacks. Each case runs
 * twice (NOP,NOP,TS: the lean path where it applies; TS,NOP,NOP: never)
 * and is compared after every peer segment: the FIN acknowledging ours
 * in FIN-WAIT-1 and FIN-WAIT-2 (taken), with PSH and data still in
 * flight (taken), after an old TSval (not taken: PAWS, then taken), one
 * not acknowledging our FIN (CLOSING: not taken), one to an app that
 * only shut down (not an orphan: not taken), then a retransmitted FIN
 * to the TIME_WAIT entry. */
#define LEAN_FIN_CASES 6
#define LEAN_FIN_STEPS 3
struct lean_fin_snap {
	uint32_t out_n, out_seq[4], out_ack[4], out_flags[4], out_len[4], out_tsecr[4];
	uint32_t conns, tws, state, tw_snd, tw_rcv, tw_ts, tw_wnd, tw_has_ts, tw_left;
	uint64_t rx, tx, time_wait, paws, closed;
	int eofs, closes;
};

static void
lean_fin_snap_take(struct lean_fin_snap *sn, struct ht_rig *r, struct tt *t, uint32_t pbase)
{
	const struct hare_tcp_ctx *x = r->w->tcp;
	struct tt_seg sg;

	memset(sn, 0, sizeof(*sn));
	while (tt_recv(r, &sg)) {
		if (sn->out_n < 4) {
			sn->out_seq[sn->out_n] = sg.seq - t->iss;
			sn->out_ack[sn->out_n] = sg.ack - pbase;
			sn->out_flags[sn->out_n] = sg.flags;
			sn->out_len[sn->out_n] = sg.len;
			sn->out_tsecr[sn->out_n] = sg.tsecr;
		}
		sn->out_n++;
		t->ts_recent = sg.tsval;
	}
	sn->conns = hare_tcp_conn_count(r->w);
	sn->tws = hare_tcp_time_wait_count(r->w);
	sn->state = sn->conns ? (uint32_t)hare_tcp_state(tt_app.conn) : 99;
	for (uint32_t i = 0; i < x->max_tw; i++) {
		const struct tcp_tw *tw = &x->tw[i];

		if (!tw->in_use)
			continue;
		sn->tw_snd = tw->snd_nxt - t->iss;
		sn->tw_rcv = tw->rcv_nxt - pbase;
		sn->tw_ts = tw->ts_recent;
		sn->tw_wnd = tw->wnd;
		sn->tw_has_ts = tw->has_ts;
		sn->tw_left = tw->expire - (uint32_t)r->w->now_ms;
	}
	sn->rx = r->w->stats.tcp_rx_segments;
	sn->tx = r->w->stats.tcp_tx_segments;
	sn->time_wait = r->w->stats.tcp_time_wait;
	sn->paws = r->w->stats.tcp_paws_drops;
	sn->closed = r->w->stats.tcp_conn_closed;
	sn->eofs = tt_app.eofs;
	sn->closes = tt_app.closes;
}

static void
lean_fin_run(bool lean_layout, int k, struct lean_fin_snap snap[LEAN_FIN_STEPS])
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	const uint32_t queued = k == 2 ? 3000 : 1000;

	c = lean_open(r, &t, 444000, 7000, queued);
	const uint32_t pbase = t.snd_nxt, fin_acked = t.iss + 1 + queued + 1;

	if (k != 2) { /* the data acknowledged first (the FIN may then go at once) */
		lean_send(r, &t, lean_layout, 1, pbase, t.iss + 1 + queued, TH_A, 65535, NULL, 0);
		tt_advance(r, 1);
	}
	if (k == 5)
		assert_int_equal(hare_tcp_shutdown(c), 0);
	else
		assert_int_equal(hare_tcp_close(c), 0);
	hare_worker_tx_flush(r->w);
	lean_fin_snap_take(&snap[0], r, &t, pbase);
	switch (k) {
	case 1: /* FIN-WAIT-2 first */
		lean_send(r, &t, lean_layout, 1, pbase, fin_acked, TH_A, 65535, NULL, 0);
		break;
	case 3: /* an old TSval: PAWS */
		lean_send(r, &t, lean_layout, -100, pbase, fin_acked, TH_A | TH_F, 65535, NULL, 0);
		break;
	case 4: /* our FIN not acknowledged: CLOSING */
		lean_send(r, &t, lean_layout, 1, pbase, fin_acked - 1, TH_A | TH_F, 65535, NULL, 0);
		break;
	default:
		break;
	}
	hare_worker_tx_flush(r->w);
	lean_fin_snap_take(&snap[1], r, &t, pbase);
	if (k == 4)
		lean_send(r, &t, lean_layout, 1, pbase + 1, fin_acked, TH_A, 65535, NULL, 0);
	else
		lean_send(r, &t, lean_layout, 1, pbase, fin_acked, TH_A | TH_F | (k == 2 ? TH_P : 0),
			  65535, NULL, 0);
	/* and a retransmission of that FIN, to whatever holds the tuple now */
	lean_send(r, &t, lean_layout, 1, pbase, fin_acked, TH_A | TH_F, 65535, NULL, 0);
	hare_worker_tx_flush(r->w);
	lean_fin_snap_take(&snap[2], r, &t, pbase);
	ht_rig_free(r);
}

static void
lean_fin_matches_full_path(void **state)
{
	struct lean_fin_snap a[LEAN_FIN_STEPS], b[LEAN_FIN_STEPS];

	fill_pattern();
	for (int k = 0; k < LEAN_FIN_CASES; k++) {
		lean_fin_run(true, k, a);
		lean_fin_run(false, k, b);
		for (int i = 0; i < LEAN_FIN_STEPS; i++) {
			printf("# case %d step %d: state %u tws %u out %u\n", k, i, a[i].state,
			       a[i].tws, a[i].out_n);
			assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
		}
		/* every case ends in TIME_WAIT, the FIN-WAIT cases answered once more */
		assert_int_equal(a[2].tws, 1);
		assert_int_equal(a[2].conns, 0);
		assert_int_equal(a[2].tw_rcv, 1);
		/* the retransmitted FIN restarted the 2 MSL wait (RFC 9293 §3.10.7.4) */
		assert_int_equal(a[2].tw_left, 60000u);
		/* the last ACK (none in CLOSING: the peer's ACK ends it), the re-ACK */
		assert_int_equal(a[2].out_n, k == 4 ? 1 : 2);
	}
}

/* The lean path's handshake ACK (tcp_in.c, tcp_lean_handshake) must open
 * the connection exactly as the slow path does. Each case runs twice as
 * above (NOP,NOP,TS vs TS,NOP,NOP) and the state after the SYN's answer
 * and after the peer's ACK is compared: the usual ACK (taken), an app
 * sending from on_accept (taken, then the general ACK processing), an
 * app refusing (taken: the RST), an old TSval (not taken: PAWS), an ACK
 * of nothing we sent (not taken: RST), an ACK with a FIN (not taken). */
#define LEAN_HS_CASES 6
struct lean_hs_snap {
	uint32_t out_n, out_seq[4], out_ack[4], out_flags[4], out_len[4], out_tsecr[4];
	uint32_t conns, state, snd_una, snd_nxt, snd_max, snd_wnd, max_sndwnd, wl1, wl2;
	uint32_t srtt, rttvar, rto, ts_recent, flags, dupacks, rcv_adv, last_ack_sent;
	uint32_t t_rexmt_set, t_delack_set;
	uint64_t rx, tx, opened, rst_tx, paws, closed;
	int accepts;
};

static int
hs_accept_send(struct hare_tcp_conn *c, void *ctx)
{
	tt_app.accepts++;
	tt_app.conn = c;
	assert_int_equal(hare_tcp_send_bytes(c, "hello", 5), 5);
	return 0;
}

static void
lean_hs_snap_take(struct lean_hs_snap *sn, struct ht_rig *r, uint32_t iss, uint32_t pbase)
{
	struct hare_tcp_ctx *x = r->w->tcp;
	const struct hare_tcp_conn *c = NULL;
	struct tt_seg sg;

	memset(sn, 0, sizeof(*sn));
	while (tt_recv(r, &sg)) {
		if (sn->out_n < 4) {
			sn->out_seq[sn->out_n] = sg.seq - iss;
			sn->out_ack[sn->out_n] = sg.ack - pbase;
			sn->out_flags[sn->out_n] = sg.flags;
			sn->out_len[sn->out_n] = sg.len;
			sn->out_tsecr[sn->out_n] = sg.tsecr;
		}
		sn->out_n++;
	}
	for (uint32_t i = 0; i < x->max_conns; i++)
		if (x->conns[i].state != HARE_TCP_CLOSED && !(x->conns[i].flags & TF_DEAD))
			c = &x->conns[i];
	sn->conns = hare_tcp_conn_count(r->w);
	if (c != NULL) {
		sn->state = c->state;
		sn->snd_una = c->snd_una - iss; sn->snd_nxt = c->snd_nxt - iss;
		sn->snd_max = c->snd_max - iss; sn->snd_wnd = c->snd_wnd;
		sn->max_sndwnd = c->max_sndwnd; sn->wl1 = c->snd_wl1 - pbase;
		sn->wl2 = c->snd_wl2 - iss; sn->srtt = c->srtt; sn->rttvar = c->rttvar;
		sn->rto = c->rto; sn->ts_recent = c->ts_recent; sn->flags = c->flags;
		sn->dupacks = c->dupacks; sn->rcv_adv = c->rcv_adv - pbase;
		sn->last_ack_sent = c->last_ack_sent - pbase;
		sn->t_rexmt_set = c->t_rexmt != 0;
		sn->t_delack_set = c->t_delack != 0;
	}
	sn->rx = r->w->stats.tcp_rx_segments;
	sn->tx = r->w->stats.tcp_tx_segments;
	sn->opened = r->w->stats.tcp_conn_opened;
	sn->rst_tx = r->w->stats.tcp_rst_tx;
	sn->paws = r->w->stats.tcp_paws_drops;
	sn->closed = r->w->stats.tcp_conn_closed;
	sn->accepts = tt_app.accepts;
}

static void
lean_hs_run(bool lean_layout, int k, struct lean_hs_snap snap[2])
{
	static struct hare_tcp_ops send_ops;
	struct ht_rig *r = tt_rig();
	struct tt_seg sg;
	struct tt t;
	uint8_t f[256], o[40];
	size_t ol;
	const uint32_t pisn = 8000;

	send_ops = tt_ops;
	send_ops.on_accept = hs_accept_send;
	hare_tcp_test_fix_isn(r->w, 123000);
	listen_on(r, k == 1 ? &send_ops : &tt_ops);
	tt_app.refuse = k == 2;
	memset(&t, 0, sizeof(t));
	t.pport = TT_PPORT;
	t.lport = TT_LPORT;
	t.tsval = 5000;
	ol = tt_opt_syn(o, 1460, 7, true, true, t.tsval, 0);
	ht_input(r, f, tt_build(f, t.pport, t.lport, pisn, 0, TH_S, 65535, o, ol, NULL, 0));
	hare_worker_tx_flush(r->w);
	assert_true(tt_recv(r, &sg));
	assert_int_equal(sg.flags, TH_S | TH_A);
	t.iss = sg.seq;
	t.ts_recent = sg.tsval;
	lean_hs_snap_take(&snap[0], r, t.iss, pisn);
	lean_send(r, &t, lean_layout, k == 3 ? -100 : 1, pisn + 1, t.iss + (k == 4 ? 5 : 1),
		  TH_A | (k == 5 ? TH_F : 0), 40000, NULL, 0);
	hare_worker_tx_flush(r->w);
	lean_hs_snap_take(&snap[1], r, t.iss, pisn);
	tt_app.refuse = false;
	ht_rig_free(r);
}

static void
lean_handshake_matches_full_path(void **state)
{
	struct lean_hs_snap a[2], b[2];

	for (int k = 0; k < LEAN_HS_CASES; k++) {
		lean_hs_run(true, k, a);
		lean_hs_run(false, k, b);
		for (int i = 0; i < 2; i++) {
			printf("# case %d step %d: state %u conns %u out %u accepts %d\n", k, i,
			       a[i].state, a[i].conns, a[i].out_n, a[i].accepts);
			assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
		}
	}
	/* the cases did what they say (the last run's snapshots: case 5) */
	assert_int_equal(a[1].state, HARE_TCP_CLOSE_WAIT);
}

/* A request answered from on_data: the reply carries the ACK (RFC 9293
 * §3.8.6.3), so no delayed-ACK timer is left armed and no bare ACK
 * follows the reply 40 ms later. A request the app does not answer still
 * gets its delayed ACK. */
static bool reply_on_data;

static void
reply_data(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	hare_tcp_free_mbuf(c, m);
	if (reply_on_data)
		assert_int_equal(hare_tcp_send_bytes(c, "response", 8), 8);
}

static struct hare_tcp_ops reply_ops; /* tt_ops with reply_data */

static void
reply_carries_the_ack(void **state)
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	struct tt_seg sg;

	reply_ops = tt_ops;
	reply_ops.on_data = reply_data;
	listen_on(r, &reply_ops);
	c = tt_open(&t, r, true, 4000);
	assert_non_null(c);
	reply_on_data = true;
	tt_send_next(&t, TH_A | TH_P, "request", 7);
	tt_expect(r, &sg, TH_A | TH_P);
	assert_int_equal(sg.len, 8);
	assert_int_equal(sg.ack, t.snd_nxt);          /* the reply acknowledges the request */
	assert_int_equal(c->t_delack, 0);
	t.rcv_nxt = sg.seq + sg.len;
	t.ts_recent = sg.tsval;
	tt_send_next(&t, TH_A, NULL, 0);              /* the peer acknowledges the reply */
	tt_advance(r, 200);
	tt_expect_none(r);                            /* no bare ACK after it */

	reply_on_data = false;
	tt_send_next(&t, TH_A | TH_P, "request", 7);
	tt_expect_none(r);
	assert_int_not_equal(c->t_delack, 0);         /* unanswered: the ACK is delayed */
	tt_advance(r, 200);
	tt_expect(r, &sg, TH_A);
	assert_int_equal(sg.len, 0);
	assert_int_equal(sg.ack, t.snd_nxt);
	ht_rig_free(r);
}

/* Sent in place (tcp_out.c): a reply that is exactly one send-queue mbuf
 * goes to the TX ring as that mbuf, with a second reference. While the
 * "driver" (here the test) still holds that frame, nothing the stack does
 * may change its bytes: a retransmission copies, a partial ACK skips
 * instead of cutting, more data goes into a new entry. Every segment is
 * checked byte for byte; no mbuf leaks (ht_rig_free). */
static void
send_in_place(void **state)
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct rte_mbuf *held;
	struct tt t;
	struct tt_seg sg;
	static uint8_t before[2048], after[2048], reply[200], more[50];
	size_t nb, na;
	uint32_t iss1;

	for (unsigned i = 0; i < sizeof(reply); i++)
		reply[i] = (uint8_t)(i * 7 + 1);
	memset(more, 'm', sizeof(more));
	listen_on(r, &tt_ops);
	c = tt_open(&t, r, true, 6000);
	assert_int_equal(hare_tcp_send_bytes(c, reply, sizeof(reply)), (int)sizeof(reply));
	hare_worker_tx_flush(r->w);
	held = ht_pop_tx(r);                        /* the driver keeps it */
	assert_non_null(held);
	assert_ptr_equal(held, c->sndq_head);        /* the queue's own mbuf went out */
	assert_int_equal(rte_mbuf_refcnt_read(held), 2);
	assert_null(held->next);
	nb = ht_frame_bytes(held, before, sizeof(before));
	assert_int_equal(nb, 14 + 20 + 32 + sizeof(reply));
	assert_memory_equal(before + nb - sizeof(reply), reply, sizeof(reply));
	iss1 = t.iss + 1;

	/* RTO while the frame is held: the retransmission is a copy */
	tt_advance(r, 1500);
	assert_true(tt_recv(r, &sg));
	assert_true(sg.flags & TH_A);
	assert_int_equal(sg.seq, iss1);
	assert_int_equal(sg.len, sizeof(reply));
	assert_memory_equal(sg.data, reply, sizeof(reply));
	while (tt_recv(r, &sg))
		;
	t.ts_recent = sg.tsval;

	/* the peer acknowledges 80 bytes: skipped, not cut */
	t.rcv_nxt = iss1 + 80;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(c->snd_buffered, sizeof(reply) - 80);
	/* more data while the frame is held: a new entry, not the tail's room */
	assert_int_equal(hare_tcp_send_bytes(c, more, sizeof(more)), (int)sizeof(more));
	assert_ptr_not_equal(c->sndq_tail, held);
	while (tt_recv(r, &sg))
		;
	tt_advance(r, 3000);                         /* RTO: the rest of the reply */
	assert_true(tt_recv(r, &sg));
	assert_true(sg.flags & TH_A);
	assert_int_equal(sg.seq, iss1 + 80);
	assert_true(sg.len >= sizeof(reply) - 80);
	assert_memory_equal(sg.data, reply + 80, sizeof(reply) - 80);
	if (sg.len > sizeof(reply) - 80)
		assert_memory_equal(sg.data + sizeof(reply) - 80, more,
				    sg.len - (sizeof(reply) - 80));
	while (tt_recv(r, &sg))
		;

	na = ht_frame_bytes(held, after, sizeof(after));
	assert_int_equal(na, nb);
	assert_memory_equal(after, before, nb);     /* the driver's frame untouched */
	rte_pktmbuf_free(held);                      /* the driver is done */
	assert_int_equal(rte_mbuf_refcnt_read(c->sndq_head), 1);

	t.rcv_nxt = iss1 + sizeof(reply) + sizeof(more);
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(c->snd_buffered, 0);
	assert_null(c->sndq_head);
	ht_rig_free(r);
}

/* An ACK covering a send-queue entry the driver still holds (refcnt 2):
 * the stash's fast free refuses it and tcp_sndq_drop_slow drops our
 * reference, then (all) goes on freeing the entries behind it or (exact)
 * stops there. The queue, its byte count and the held frame's reference
 * count come out right; no mbuf leaks (ht_rig_free). */
static void
ack_frees_held_entry(void **state)
{
	static uint8_t reply[200], more[50];

	memset(reply, 'r', sizeof(reply));
	memset(more, 'm', sizeof(more));
	for (int all = 0; all < 2; all++) {
		struct ht_rig *r = tt_rig();
		struct hare_tcp_conn *c;
		struct rte_mbuf *held;
		struct tt t;
		struct tt_seg sg;
		uint32_t iss1;

		listen_on(r, &tt_ops);
		c = tt_open(&t, r, true, 6000);
		iss1 = t.iss + 1;
		assert_int_equal(hare_tcp_send_bytes(c, reply, sizeof(reply)), (int)sizeof(reply));
		hare_worker_tx_flush(r->w);
		held = ht_pop_tx(r);                 /* the driver keeps it */
		assert_ptr_equal(held, c->sndq_head);
		assert_int_equal(rte_mbuf_refcnt_read(held), 2);
		/* a second entry behind it (the held one's room is not used) */
		assert_int_equal(hare_tcp_send_bytes(c, more, sizeof(more)), (int)sizeof(more));
		assert_ptr_not_equal(c->sndq_tail, held);
		while (tt_recv(r, &sg))
			t.ts_recent = sg.tsval;

		t.rcv_nxt = iss1 + sizeof(reply) + (all ? sizeof(more) : 0);
		tt_send_next(&t, TH_A, NULL, 0);
		assert_int_equal(rte_mbuf_refcnt_read(held), 1); /* ours dropped */
		if (all) {
			assert_int_equal(c->snd_buffered, 0);
			assert_null(c->sndq_head);
			assert_null(c->sndq_tail);
		} else {
			assert_int_equal(c->snd_buffered, sizeof(more));
			assert_non_null(c->sndq_head);
			assert_ptr_not_equal(c->sndq_head, held);
			assert_ptr_equal(c->sndq_head, c->sndq_tail);
		}
		assert_int_equal(c->snd_una, t.rcv_nxt);
		rte_pktmbuf_free(held);              /* the driver is done */
		ht_rig_free(r);
	}
}

/* HARE_TCP_OPS_SENT_ON_REQUEST: on_sent only while the app asks for it
 * (hare_tcp_want_sent); without the flag, on every ACK of new data. */
static void
sent_on_request(void **state)
{
	static struct hare_tcp_ops ops;
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct tt t;
	struct tt_seg sg;

	ops = tt_ops;
	ops.flags = HARE_TCP_OPS_SENT_ON_REQUEST;
	listen_on(r, &ops);
	c = tt_open(&t, r, true, 7000);
	for (int round = 0; round < 3; round++) {
		/* round 0: not asked; 1: asked; 2: asked, then not */
		if (round == 1)
			hare_tcp_want_sent(c, true);
		if (round == 2)
			hare_tcp_want_sent(c, false);
		tt_app.sent = 0;
		assert_int_equal(hare_tcp_send_bytes(c, "0123456789", 10), 10);
		tt_expect(r, &sg, TH_A | TH_P);
		t.rcv_nxt = sg.seq + sg.len;
		t.ts_recent = sg.tsval;
		tt_send_next(&t, TH_A, NULL, 0);
		assert_int_equal(c->snd_buffered, 0);
		assert_int_equal(tt_app.sent, round == 1 ? 10 : 0);
	}
	/* without the flag: every ACK, and want_sent changes nothing */
	hare_tcp_set_ops(c, &tt_ops);
	hare_tcp_want_sent(c, false);
	tt_app.sent = 0;
	assert_int_equal(hare_tcp_send_bytes(c, "abc", 3), 3);
	tt_expect(r, &sg, TH_A | TH_P);
	t.rcv_nxt = sg.seq + sg.len;
	t.ts_recent = sg.tsval;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(tt_app.sent, 3);
	ht_rig_free(r);
}

/* hare_tcp_send_summed: the app's payload sum goes into the software
 * checksum of a reply sent whole — a right sum gives a right checksum
 * (tt_recv checks every one), a wrong one visibly a wrong checksum (so the
 * sum is really used); after a partial ACK the rest is summed afresh. */
static struct rte_mbuf *
summed_mbuf(struct ht_rig *r, const uint8_t *d, uint16_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, n), d, n);
	return m;
}

static void
send_summed(void **state)
{
	struct ht_rig *r = tt_rig();
	struct hare_tcp_conn *c;
	struct rte_mbuf *f;
	struct tt t;
	struct tt_seg sg;
	static uint8_t d[300], frame[2048];
	uint16_t sum;
	size_t n;

	for (unsigned i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(r->w->offloads & HARE_OFFLOAD_TCP_CKSUM, 0);
	listen_on(r, &tt_ops);
	c = tt_open(&t, r, true, 8000);

	/* right sum: a right checksum, the bytes as given */
	sum = hare_tcp_payload_sum(d, 101);
	assert_int_equal(hare_tcp_send_summed(c, summed_mbuf(r, d, 101), sum), 101);
	assert_true(tt_recv(r, &sg));
	assert_int_equal(sg.len, 101);
	assert_memory_equal(sg.data, d, 101);
	t.rcv_nxt = sg.seq + sg.len;
	t.ts_recent = sg.tsval;
	tt_send_next(&t, TH_A, NULL, 0);

	/* wrong sum: the checksum is wrong (the stack did not re-sum) */
	assert_int_equal(hare_tcp_send_summed(c, summed_mbuf(r, d, 100), (uint16_t)(sum ^ 0x1234)), 100);
	hare_worker_tx_flush(r->w);
	f = ht_pop_tx(r);
	assert_non_null(f);
	n = ht_frame_bytes(f, frame, sizeof(frame));
	rte_pktmbuf_free(f);
	{
		const uint8_t *ip = frame + 14;
		size_t tl = n - 14 - 20;
		uint8_t ph[12 + 2048];

		memcpy(ph, ip + 12, 8);
		ph[8] = 0; ph[9] = 6; ph[10] = (uint8_t)(tl >> 8); ph[11] = (uint8_t)tl;
		memcpy(ph + 12, ip + 20, tl);
		assert_int_not_equal(ht_cksum(ph, 12 + tl), 0);
	}
	t.rcv_nxt += 100;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(c->snd_buffered, 0);

	/* right sum, then a partial ACK: the retransmitted rest is summed anew */
	sum = hare_tcp_payload_sum(d, 300);
	assert_int_equal(hare_tcp_send_summed(c, summed_mbuf(r, d, 300), sum), 300);
	assert_true(tt_recv(r, &sg));
	assert_int_equal(sg.len, 300);
	t.ts_recent = sg.tsval;
	t.rcv_nxt = sg.seq + 120;
	tt_send_next(&t, TH_A, NULL, 0);
	tt_advance(r, 3000);
	assert_true(tt_recv(r, &sg));                /* checksum checked in tt_recv */
	assert_int_equal(sg.seq, t.rcv_nxt);
	assert_int_equal(sg.len, 180);
	assert_memory_equal(sg.data, d + 120, 180);
	while (tt_recv(r, &sg))
		;
	t.rcv_nxt += 180;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(c->snd_buffered, 0);
	ht_rig_free(r);
}

/* Frames of the peer handed to the stack in one hare_worker_input call
 * (one RX burst); what the stack sends is then in the capture. */
static void
send_burst(struct tt *t, const uint32_t *seqs, unsigned n, size_t len)
{
	static uint8_t payload[1460];
	struct rte_mbuf *ms[32];
	uint8_t f[2300], o[40];

	assert_true(n <= 32);
	for (unsigned i = 0; i < n; i++) {
		size_t ol = t->ts ? tt_opt_ts(o, t->tsval, t->ts_recent) : 0;
		size_t fl = tt_build(f, t->pport, t->lport, seqs[i], t->rcv_nxt, TH_A, t->wnd,
				     o, ol, payload, len);

		ms[i] = rte_pktmbuf_alloc(t->r->pool);
		assert_non_null(ms[i]);
		memcpy(rte_pktmbuf_append(ms[i], (uint16_t)fl), f, fl);
	}
	hare_worker_input(t->r->w, ms, (uint16_t)n);
	hare_worker_tx_flush(t->r->w);
}

/* RFC 9293 §3.8.6.3 asks an ACK for every second full-sized segment; hare
 * sends it at the end of the RX burst, so a burst of in-order segments
 * gets one ACK (as GRO gives Linux). Out-of-order segments still get one
 * duplicate ACK each, at once (the sender counts them, RFC 5681 §3.2). */
static void
acks_per_burst(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	uint32_t seqs[8];
	const size_t full = 1448; /* 1460 less the timestamp option */

	listen_on(r, &tt_ops);
	tt_open(&t, r, true, 1000);
	/* eight full segments in one burst: one ACK covering all */
	for (unsigned i = 0; i < 8; i++)
		seqs[i] = t.snd_nxt + i * (uint32_t)full;
	send_burst(&t, seqs, 8, full);
	t.snd_nxt += 8 * (uint32_t)full;
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	tt_expect_none(r);
	assert_int_equal(tt_app.rx_len, 8 * full);

	/* four segments beyond a one-segment hole, in one burst: four
	 * duplicate ACKs, each asking for the hole */
	for (unsigned i = 0; i < 4; i++)
		seqs[i] = t.snd_nxt + (i + 1) * (uint32_t)full;
	send_burst(&t, seqs, 4, full);
	for (unsigned i = 0; i < 4; i++) {
		tt_expect(r, &s, TH_A);
		assert_int_equal(s.ack, t.snd_nxt);
	}
	tt_expect_none(r);
	/* the hole filled: an immediate ACK for everything */
	seqs[0] = t.snd_nxt;
	send_burst(&t, seqs, 1, full);
	t.snd_nxt += 5 * (uint32_t)full;
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	tt_expect_none(r);

	/* one segment per burst: the first waits (delayed ACK), the second
	 * is ACKed at the end of its burst */
	seqs[0] = t.snd_nxt;
	send_burst(&t, seqs, 1, full);
	tt_expect_none(r);
	seqs[0] = t.snd_nxt + (uint32_t)full;
	send_burst(&t, seqs, 1, full);
	t.snd_nxt += 2 * (uint32_t)full;
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	tt_expect_none(r);
	assert_int_equal(tt_app.rx_len, 15 * full);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	ht_rig_free(r);
}

/* The SYN a conn gets from options o (ol bytes): state after the SYN. */
static void
syn_state(const uint8_t *o, size_t ol, struct hare_tcp_conn *out)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg sa;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7000, 0, TH_S, 65535, o, ol, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &sa, TH_S | TH_A);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	for (uint32_t i = 0; i < r->w->tcp->max_conns; i++)
		if (r->w->tcp->conns[i].state == HARE_TCP_SYN_RCVD)
			*out = r->w->tcp->conns[i];
	ht_rig_free(r);
}

/* tcp_parse_options reads Linux's SYN layout (MSS, SACK-permitted, TS,
 * NOP, WS: 20 bytes) with two word compares; the result must be the
 * general parser's for the same options in another order, also for a
 * window scale above 14 (clamped, RFC 7323 §2.3), and a layout one byte
 * off must still be parsed (by the general parser) as what it says. */
static void
syn_options_linux_layout(void **state)
{
	static const struct { uint16_t mss; uint8_t ws; } cases[] = {
		{ 1460, 7 }, { 536, 0 }, { 1400, 14 }, { 9000, 20 },
	};

	for (size_t k = 0; k < RTE_DIM(cases); k++) {
		uint8_t lx[20] = { 2, 4, (uint8_t)(cases[k].mss >> 8), (uint8_t)cases[k].mss,
				   4, 2, 8, 10, 0, 0, 0x13, 0x88, 0, 0, 0, 0,
				   1, 3, 3, cases[k].ws };
		uint8_t gx[40];
		size_t gl = tt_opt_syn(gx, cases[k].mss, cases[k].ws, true, true, 5000, 0);
		struct hare_tcp_conn a, b;

		syn_state(lx, sizeof(lx), &a);
		syn_state(gx, gl, &b);
		assert_int_equal(a.opt, b.opt);
		assert_int_equal(a.opt & (TO_SACK | TO_TS | TO_WS), TO_SACK | TO_TS | TO_WS);
		assert_int_equal(a.mss, b.mss);
		assert_int_equal(a.snd_wscale, b.snd_wscale);
		assert_int_equal(a.snd_wscale, RTE_MIN(cases[k].ws, 14));
		assert_int_equal(a.ts_recent, 5000);
		assert_int_equal(a.ts_recent, b.ts_recent);
	}
	/* one byte off (SACK-permitted's kind becomes an unknown kind 30):
	 * no SACK, the rest as said */
	{
		uint8_t lx[20] = { 2, 4, 5, 0xb4, 30, 2, 8, 10, 0, 0, 0x13, 0x88, 0, 0, 0, 0,
				   1, 3, 3, 7 };
		struct hare_tcp_conn a;

		syn_state(lx, sizeof(lx), &a);
		assert_int_equal(a.opt & (TO_SACK | TO_TS | TO_WS), TO_TS | TO_WS);
		assert_int_equal(a.snd_wscale, 7);
		assert_int_equal(a.ts_recent, 5000);
	}
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rto_and_backoff),
		cmocka_unit_test(rto_gives_up),
		cmocka_unit_test(fast_retransmit),
		cmocka_unit_test(sack_recovery),
		cmocka_unit_test(rto_skips_sacked),
		cmocka_unit_test(zero_window_probe),
		cmocka_unit_test(receive_window_backpressure),
		cmocka_unit_test(sequence_wraparound),
		cmocka_unit_test(ooo_queue_and_sack),
		cmocka_unit_test(paws_drop),
		cmocka_unit_test(out_of_window_data),
		cmocka_unit_test(malformed_segments),
		cmocka_unit_test(keepalive_probes),
		cmocka_unit_test(struct_sizes),
		cmocka_unit_test(direct_ack_matches_general_path),
		cmocka_unit_test(acks_per_burst),
		cmocka_unit_test(lean_ack_matches_full_path),
		cmocka_unit_test(pure_ack_matches_full_path),
		cmocka_unit_test(peer_fin_on_a_pure_ack),
		cmocka_unit_test(lean_lookup_follows_the_table),
		cmocka_unit_test(lean_data_matches_full_path),
		cmocka_unit_test(lean_fin_matches_full_path),
		cmocka_unit_test(lean_handshake_matches_full_path),
		cmocka_unit_test(direct_synack_matches_general_path),
		cmocka_unit_test(reply_carries_the_ack),
		cmocka_unit_test(send_in_place),
		cmocka_unit_test(ack_frees_held_entry),
		cmocka_unit_test(sent_on_request),
		cmocka_unit_test(send_summed),
		cmocka_unit_test(syn_options_linux_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
