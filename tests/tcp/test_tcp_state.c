/* test_tcp_state.c — RFC 9293 §3.10 state machine through the fake port:
 * passive/active/simultaneous open, every close path, TIME_WAIT expiry,
 * the RST rules (closed port, SYN-SENT, exact / in-window / out-of-window
 * with RFC 5961 challenge ACKs), SYN with data, listen backlog, refusal. */
#include <string.h>
#include "tcp_helpers.h"

static struct hare_tcp_listener *
listen_on(struct ht_rig *r, const struct hare_tcp_ops *ops)
{
	struct hare_tcp_listener *l = hare_tcp_listen(r->w, 0, TT_LPORT, ops, NULL);

	assert_non_null(l);
	return l;
}

static void
finish(struct ht_rig *r)
{
	ht_rig_free(r); /* asserts every mbuf came back */
}

/* §3.10.7.1: nothing listens -> RST; SYN gets <SEQ=0><ACK=SEQ+1><RST,ACK>,
 * an ACK gets <SEQ=SEG.ACK><RST>, a RST gets nothing. */
static void
closed_port_rst(void **state)
{
	struct ht_rig *r = tt_rig();
	uint8_t f[256];
	struct tt_seg s;
	size_t n;

	n = tt_build(f, 1234, 8, 1000, 0, TH_S, 1000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_R | TH_A);
	assert_int_equal(s.seq, 0);
	assert_int_equal(s.ack, 1001);
	assert_int_equal(s.sport, 8);
	assert_int_equal(s.dport, 1234);
	n = tt_build(f, 1234, 8, 1000, 777, TH_A, 1000, NULL, 0, "xy", 2);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_R);
	assert_int_equal(s.seq, 777);
	n = tt_build(f, 1234, 8, 1000, 777, TH_R, 1000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect_none(r);
	assert_int_equal(tt_stat(r, "tcp_rst_tx"), 2);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	finish(r);
}

/* §3.10.7.2: LISTEN answers an ACK with RST, ignores RST, and a SYN
 * creates SYN_RCVD whose SYN-ACK carries the negotiated options. */
static void
passive_open_with_options(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	n = tt_build(f, TT_PPORT, TT_LPORT, 5, 99, TH_A, 1000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_R);
	assert_int_equal(s.seq, 99);
	n = tt_build(f, TT_PPORT, TT_LPORT, 5, 99, TH_R, 1000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect_none(r);

	struct hare_tcp_conn *c = tt_open(&t, r, true, 1000);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	uint32_t ip; uint16_t port;
	hare_tcp_peer(c, &ip, &port);
	assert_int_equal(ip, ht_ip(TT_PEER));
	assert_int_equal(port, TT_PPORT);
	assert_int_equal(tt_stat(r, "tcp_conn_opened"), 1);
	finish(r);
}

/* Data in, delayed ACK: one small segment is ACKed only after 40 ms, two
 * full-sized segments at once (RFC 5681 §4.2, RFC 1122 4.2.3.2). */
static void
data_and_delayed_ack(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	uint8_t big[1448];

	listen_on(r, &tt_ops);
	tt_open(&t, r, true, 1000);
	tt_send_next(&t, TH_A | TH_P, "hello", 5);
	assert_int_equal(tt_app.rx_len, 5);
	assert_memory_equal(tt_app.rx, "hello", 5);
	tt_expect_none(r);
	tt_advance(r, 39);
	tt_expect_none(r);
	tt_advance(r, 1);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, 1006);
	assert_int_equal(s.seq, t.rcv_nxt);

	memset(big, 'a', sizeof(big));
	tt_send_next(&t, TH_A, big, sizeof(big));
	tt_expect_none(r);
	tt_send_next(&t, TH_A, big, sizeof(big));
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, 1006 + 2 * 1448);
	assert_int_equal(tt_app.rx_len, 5 + 2 * 1448);
	assert_int_equal(tt_stat(r, "tcp_rx_bytes"), 5 + 2 * 1448);
	finish(r);
}

/* Peer closes first: ESTABLISHED -> CLOSE_WAIT (EOF to the app) ->
 * LAST_ACK on shutdown -> CLOSED on the ACK of our FIN; no TIME_WAIT. */
static void
passive_close(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	tt_send_next(&t, TH_A | TH_F, NULL, 0);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_CLOSE_WAIT);
	assert_int_equal(tt_app.eofs, 1);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(hare_tcp_send_bytes(c, "bye", 3), 3);
	tt_expect(r, &s, TH_A | TH_P);
	assert_int_equal(s.len, 3);
	assert_int_equal(hare_tcp_shutdown(c), 0);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_LAST_ACK);
	tt_expect(r, &s, TH_A | TH_F);
	assert_int_equal(s.seq, t.rcv_nxt + 3);
	t.rcv_nxt += 4;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(tt_app.closes, 1);
	assert_int_equal(tt_app.reason, HARE_TCP_CLOSE_NORMAL);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 0);
	finish(r);
}

static void
tw_short(struct hare_config *cfg)
{
	cfg->tcp.time_wait_ms = 2000;
}

/* We close first: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT; a retransmitted
 * FIN is re-ACKed from the compact entry; the entry expires at 2*MSL. */
static void
active_close_time_wait(void **state)
{
	struct ht_rig *r = tt_rig_cfg(tw_short);
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, true, 1000);
	assert_int_equal(hare_tcp_shutdown(c), 0);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_FIN_WAIT_1);
	tt_expect(r, &s, TH_A | TH_F);
	t.ts_recent = s.tsval;
	t.rcv_nxt++;
	t.tsval++;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_FIN_WAIT_2);
	tt_expect_none(r);
	t.tsval++;
	tt_send_next(&t, TH_A | TH_F, NULL, 0);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(tt_app.eofs, 1);
	assert_int_equal(tt_app.closes, 1);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1);
	assert_int_equal(tt_stat(r, "tcp_time_wait"), 1);
	/* FIN retransmitted: re-ACK, with the timestamp echoed */
	tt_send(&t, TH_A | TH_F, t.snd_nxt - 1, t.rcv_nxt, NULL, 0);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(s.seq, t.rcv_nxt);
	assert_true(s.has_ts);
	/* RST in TIME_WAIT is ignored (RFC 1337) */
	tt_send(&t, TH_R, t.snd_nxt, 0, NULL, 0);
	tt_expect_none(r);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1);
	tt_advance(r, 1000);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1); /* refreshed by the FIN */
	tt_advance(r, 1100);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 0);
	/* gone: a segment now meets a closed port -> RST */
	tt_send(&t, TH_A, t.snd_nxt, t.rcv_nxt, NULL, 0);
	tt_expect(r, &s, TH_R);
	finish(r);
}

/* Both FINs cross: FIN_WAIT_1 -> CLOSING -> TIME_WAIT. */
static void
simultaneous_close(void **state)
{
	struct ht_rig *r = tt_rig_cfg(tw_short);
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	hare_tcp_shutdown(c);
	tt_expect(r, &s, TH_A | TH_F);
	/* the peer's FIN does not acknowledge ours */
	tt_send_next(&t, TH_A | TH_F, NULL, 0);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_CLOSING);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	t.rcv_nxt++;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	tt_advance(r, 2001);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 0);
	finish(r);
}

/* FIN_WAIT_1 straight to TIME_WAIT when the FIN acknowledges ours. */
static void
fin_wait_1_fin_ack(void **state)
{
	struct ht_rig *r = tt_rig_cfg(tw_short);
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	hare_tcp_close(c);
	tt_expect(r, &s, TH_A | TH_F);
	t.rcv_nxt++;
	tt_send_next(&t, TH_A | TH_F, NULL, 0);
	tt_expect(r, &s, TH_A);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1);
	assert_int_equal(tt_app.closes, 0); /* closed handles get no callbacks */
	finish(r);
}

/* Active open: SYN with options, SYN-ACK -> ESTABLISHED and ACK. */
static void
active_open(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg s;
	struct hare_tcp_conn *c;
	uint8_t f[256], o[40];
	size_t n, ol;

	c = hare_tcp_connect(r->w, ht_ip(TT_PEER), 80, &tt_ops, NULL);
	assert_non_null(c);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_SYN_SENT);
	tt_expect(r, &s, TH_S);
	assert_int_equal(s.dport, 80);
	assert_true(s.sport >= 32768);
	assert_int_equal(s.mss, 1460);
	assert_true(s.sack_ok && s.has_ts && s.ws >= 0);
	ol = tt_opt_syn(o, 1400, 2, true, true, 777, s.tsval);
	/* a SYN-ACK's window is never scaled (RFC 7323 §2.2) */
	n = tt_build(f, 80, s.sport, 5000, s.seq + 1, TH_S | TH_A, 65535, o, ol, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_ESTABLISHED);
	assert_int_equal(tt_app.connects, 1);
	uint16_t sport = s.sport;
	uint32_t iss = s.seq;
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, 5001);
	assert_int_equal(s.seq, iss + 1);
	assert_true(s.has_ts);
	assert_int_equal(s.tsecr, 777);
	/* data goes out in segments of the peer's MSS minus timestamps */
	static uint8_t buf[3000];
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(hare_tcp_send_bytes(c, buf, sizeof(buf)), 3000);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.len, 1400 - 12);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.len, 1400 - 12);
	tt_expect(r, &s, TH_A | TH_P);
	assert_int_equal(s.len, 3000 - 2 * 1388);
	(void)sport;
	hare_tcp_abort(c);
	tt_expect(r, &s, TH_R | TH_A);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	finish(r);
}

/* §3.10.7.3: SYN-SENT + SYN (no ACK) = simultaneous open: SYN_RCVD with a
 * SYN-ACK, then the ACK of our SYN establishes. */
static void
simultaneous_open(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg s;
	struct hare_tcp_conn *c;
	uint8_t f[256];
	size_t n;

	c = hare_tcp_connect_from(r->w, ht_ip(TT_US), 5555, ht_ip(TT_PEER), 6666, &tt_ops, NULL);
	assert_non_null(c);
	tt_expect(r, &s, TH_S);
	assert_int_equal(s.sport, 5555);
	uint32_t iss = s.seq;
	n = tt_build(f, 6666, 5555, 9000, 0, TH_S, 2000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_SYN_RCVD);
	tt_expect(r, &s, TH_S | TH_A);
	assert_int_equal(s.seq, iss);
	assert_int_equal(s.ack, 9001);
	n = tt_build(f, 6666, 5555, 9001, iss + 1, TH_A, 2000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_ESTABLISHED);
	assert_int_equal(tt_app.connects, 1);
	/* the port is taken now */
	assert_null(hare_tcp_connect_from(r->w, ht_ip(TT_US), 5555, ht_ip(TT_PEER), 6666, &tt_ops, NULL));
	finish(r);
}

/* §3.10.7.3 RST rules in SYN-SENT: a RST with an acceptable ACK refuses
 * the connection; one without ACK or with a wrong ACK is ignored; an
 * unacceptable ACK (no RST) is answered <SEQ=SEG.ACK><RST>. */
static void
syn_sent_rst_rules(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg s;
	struct hare_tcp_conn *c;
	uint8_t f[256];
	size_t n;

	c = hare_tcp_connect(r->w, ht_ip(TT_PEER), 81, &tt_ops, NULL);
	tt_expect(r, &s, TH_S);
	uint16_t sp = s.sport;
	uint32_t iss = s.seq;
	n = tt_build(f, 81, sp, 1, iss + 5, TH_A, 100, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_R);
	assert_int_equal(s.seq, iss + 5);
	n = tt_build(f, 81, sp, 1, iss + 5, TH_R | TH_A, 100, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	n = tt_build(f, 81, sp, 1, 0, TH_R, 100, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect_none(r);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_SYN_SENT);
	n = tt_build(f, 81, sp, 0, iss + 1, TH_R | TH_A, 0, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(tt_app.closes, 1);
	assert_int_equal(tt_app.reason, HARE_TCP_CLOSE_REFUSED);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	finish(r);
}

/* RFC 5961 §3.2: RST exactly at RCV.NXT resets; in the window but not
 * exact gets a challenge ACK; outside the window is dropped silently. */
static void
rst_rules_established(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	tt_send(&t, TH_R, t.snd_nxt + 100, 0, NULL, 0);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	assert_int_equal(tt_stat(r, "tcp_challenge_acks"), 1);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_ESTABLISHED);
	tt_send(&t, TH_R, t.snd_nxt + 10000000, 0, NULL, 0);
	tt_expect_none(r);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_ESTABLISHED);
	tt_send(&t, TH_R, t.snd_nxt, 0, NULL, 0);
	tt_expect_none(r);
	assert_int_equal(tt_app.closes, 1);
	assert_int_equal(tt_app.reason, HARE_TCP_CLOSE_RESET);
	assert_int_equal(tt_stat(r, "tcp_rst_rx"), 1);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	finish(r);
}

/* RFC 5961 §4: a SYN on an established connection gets a challenge ACK
 * and changes nothing; RFC 5961 §5: an ACK for data never sent too. */
static void
syn_and_bad_ack_in_established(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	tt_send(&t, TH_S, t.snd_nxt + 10, 0, NULL, 0);   /* in window */
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	tt_send(&t, TH_S, t.snd_nxt - 1000, 0, NULL, 0); /* below it */
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, t.snd_nxt);
	tt_send(&t, TH_A, t.snd_nxt, t.rcv_nxt + 5000, "x", 1);
	tt_expect(r, &s, TH_A);
	assert_int_equal(tt_app.rx_len, 0);
	assert_int_equal(tt_stat(r, "tcp_challenge_acks"), 3);
	assert_int_equal(hare_tcp_state(c), HARE_TCP_ESTABLISHED);
	finish(r);
}

/* A SYN carrying data: the SYN-ACK acknowledges only the SYN; the data is
 * delivered (and acknowledged) once the handshake completes. */
static void
syn_with_data(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg s;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7000, 0, TH_S, 5000, NULL, 0, "early", 5);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_S | TH_A);
	assert_int_equal(s.ack, 7001);
	assert_int_equal(tt_app.rx_len, 0);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7001, s.seq + 1, TH_A, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(tt_app.accepts, 1);
	assert_int_equal(tt_app.rx_len, 5);
	assert_memory_equal(tt_app.rx, "early", 5);
	tt_expect(r, &s, TH_A);
	assert_int_equal(s.ack, 7006);
	finish(r);
}

/* SYN_RCVD: a retransmitted SYN gets the SYN-ACK again; an ACK that does
 * not acknowledge our SYN gets a RST; the SYN-ACK is retransmitted with
 * backoff and the half-open connection is dropped after the retries. */
static void
syn_rcvd_rules(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg s;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7000, 0, TH_S, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_S | TH_A);
	uint32_t iss = s.seq;
	ht_input(r, f, n);
	tt_expect(r, &s, TH_S | TH_A);
	assert_int_equal(s.seq, iss);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7001, iss + 77, TH_A, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_R);
	assert_int_equal(s.seq, iss + 77);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	/* SYN-ACK retransmissions: 1 s, 2 s, 4 s, ... then given up */
	tt_advance(r, 999);
	tt_expect_none(r);
	tt_advance(r, 1);
	tt_expect(r, &s, TH_S | TH_A);
	tt_advance(r, 1999);
	tt_expect_none(r);
	tt_advance(r, 1);
	tt_expect(r, &s, TH_S | TH_A);
	tt_advance(r, 4000 + 8000 + 16000 + 32000 + 1000);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	assert_int_equal(tt_app.accepts, 0);
	ht_drain_tx(r);
	finish(r);
}

/* RST in SYN_RCVD of a passive open: back to LISTEN (the conn vanishes). */
static void
syn_rcvd_rst(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt_seg s;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7000, 0, TH_S, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_S | TH_A);
	n = tt_build(f, TT_PPORT, TT_LPORT, 7001, 0, TH_R, 0, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	assert_int_equal(tt_app.closes, 0);
	finish(r);
}

static void
backlog_two(struct hare_config *cfg)
{
	cfg->tcp.backlog = 2;
}

/* The accept backlog bounds half-open connections; extra SYNs are dropped
 * and counted. on_accept may refuse: the peer gets a RST. */
static void
backlog_and_refuse(void **state)
{
	struct ht_rig *r = tt_rig_cfg(backlog_two);
	struct tt_seg s;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	for (int i = 0; i < 3; i++) {
		n = tt_build(f, (uint16_t)(1000 + i), TT_LPORT, 7000, 0, TH_S, 5000, NULL, 0, NULL, 0);
		ht_input(r, f, n);
	}
	assert_int_equal(hare_tcp_conn_count(r->w), 2);
	assert_int_equal(tt_stat(r, "tcp_drop_backlog"), 1);
	tt_expect(r, &s, TH_S | TH_A);
	uint32_t iss = s.seq;
	tt_app.refuse = true;
	n = tt_build(f, 1000, TT_LPORT, 7001, iss + 1, TH_A, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_recv(r, &s); /* second SYN-ACK */
	tt_expect(r, &s, TH_R | TH_A);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	finish(r);
}

/* Data after hare_tcp_close is answered by RST (the app cannot read it). */
static void
data_after_close_resets(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	hare_tcp_close(c);
	tt_expect(r, &s, TH_A | TH_F);
	tt_send_next(&t, TH_A, "late", 4);
	tt_expect(r, &s, TH_R | TH_A);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	finish(r);
}

static void
fw2_short(struct hare_config *cfg)
{
	cfg->tcp.fin_wait2_ms = 3000;
}

/* An orphaned FIN_WAIT_2 connection times out. */
static void
fin_wait_2_timeout(void **state)
{
	struct ht_rig *r = tt_rig_cfg(fw2_short);
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	hare_tcp_close(c);
	tt_expect(r, &s, TH_A | TH_F);
	t.rcv_nxt++;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	tt_advance(r, 2990);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	tt_advance(r, 20);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	finish(r);
}

/* A SYN to a TIME_WAIT tuple with a higher sequence number reopens it
 * (RFC 9293 §3.10.7.4 / RFC 6191); an old one only gets an ACK. */
static void
time_wait_syn_reuse(void **state)
{
	struct ht_rig *r = tt_rig();
	struct tt t;
	struct tt_seg s;
	struct hare_tcp_conn *c;
	uint8_t f[256];
	size_t n;

	listen_on(r, &tt_ops);
	c = tt_open(&t, r, false, 1000);
	hare_tcp_shutdown(c);
	tt_expect(r, &s, TH_A | TH_F);
	t.rcv_nxt++;
	tt_send_next(&t, TH_A | TH_F, NULL, 0);
	tt_expect(r, &s, TH_A);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1);
	n = tt_build(f, TT_PPORT, TT_LPORT, 500, 0, TH_S, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_A);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 1);
	n = tt_build(f, TT_PPORT, TT_LPORT, t.snd_nxt + 100000, 0, TH_S, 5000, NULL, 0, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_S | TH_A);
	assert_int_equal(s.ack, t.snd_nxt + 100001);
	assert_int_equal(hare_tcp_time_wait_count(r->w), 0);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	finish(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closed_port_rst),
		cmocka_unit_test(passive_open_with_options),
		cmocka_unit_test(data_and_delayed_ack),
		cmocka_unit_test(passive_close),
		cmocka_unit_test(active_close_time_wait),
		cmocka_unit_test(simultaneous_close),
		cmocka_unit_test(fin_wait_1_fin_ack),
		cmocka_unit_test(active_open),
		cmocka_unit_test(simultaneous_open),
		cmocka_unit_test(syn_sent_rst_rules),
		cmocka_unit_test(rst_rules_established),
		cmocka_unit_test(syn_and_bad_ack_in_established),
		cmocka_unit_test(syn_with_data),
		cmocka_unit_test(syn_rcvd_rules),
		cmocka_unit_test(syn_rcvd_rst),
		cmocka_unit_test(backlog_and_refuse),
		cmocka_unit_test(data_after_close_resets),
		cmocka_unit_test(fin_wait_2_timeout),
		cmocka_unit_test(time_wait_syn_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
