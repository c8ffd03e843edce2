/* test_echo_service.c — hare-echo's TCP echo service over the fake port:
 * bytes come back in order on the same connection, the peer's FIN is
 * answered by our FIN after the data (half-close), and a peer that never
 * reads sees the window close after tcp.rcv_buf bytes (bounded buffering
 * through the receive window, nothing else held). */
#include <string.h>
#include "tcp_helpers.h"
#include "echo_service.h"

static struct ht_rig *
echo_rig(void (*edit)(struct hare_config *))
{
	struct ht_rig *r = tt_rig_cfg(edit);
	struct echo_service svc = { .ports = {TT_LPORT}, .n_ports = 1 };

	echo_service_config(&r->cfg);
	assert_int_equal(echo_service_start(&svc, r->w), 0);
	/* a second start on the same port fails with a message */
	assert_true(echo_service_start(&svc, r->w) < 0);
	return r;
}

/* Passive open by hand (the echo's ops, not the recorder's). */
static void
open_echo(struct tt *t, struct ht_rig *r)
{
	uint8_t f[256], o[40];
	struct tt_seg s;
	size_t ol, n;

	memset(t, 0, sizeof(*t));
	t->r = r;
	t->pport = TT_PPORT;
	t->lport = TT_LPORT;
	t->wnd = 65535;
	ol = tt_opt_syn(o, 1460, -1, false, false, 0, 0);
	n = tt_build(f, t->pport, t->lport, 100, 0, TH_S, t->wnd, o, ol, NULL, 0);
	ht_input(r, f, n);
	tt_expect(r, &s, TH_S | TH_A);
	t->snd_nxt = 101;
	t->rcv_nxt = s.seq + 1;
	tt_send_next(t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
}

static void
echoes_and_half_closes(void **state)
{
	struct ht_rig *r = echo_rig(NULL);
	struct tt t;
	struct tt_seg s;

	open_echo(&t, r);
	tt_send_next(&t, TH_A | TH_P, "hello\n", 6);
	tt_expect(r, &s, TH_A | TH_P);
	assert_int_equal(s.len, 6);
	assert_memory_equal(s.data, "hello\n", 6);
	assert_int_equal(s.ack, t.snd_nxt); /* ACK piggybacked on the echo */
	t.rcv_nxt += 6;
	tt_send_next(&t, TH_A, "second", 6);
	tt_send_next(&t, TH_A | TH_F, NULL, 0); /* peer closes before our echo is ACKed */
	tt_expect(r, &s, TH_A | TH_P);
	assert_memory_equal(s.data, "second", 6);
	tt_expect(r, &s, TH_A | TH_F);          /* then our FIN, after the data */
	assert_int_equal(s.seq, t.rcv_nxt + 6);
	assert_int_equal(s.ack, t.snd_nxt);
	t.rcv_nxt += 7;
	tt_send_next(&t, TH_A, NULL, 0);
	assert_int_equal(hare_tcp_conn_count(r->w), 0);
	ht_rig_free(r);
}

static void
small_buf(struct hare_config *cfg)
{
	cfg->tcp.rcv_buf = 8192;
	cfg->tcp.snd_buf = 4096; /* echo_service_config raises it to rcv_buf */
}

static void
bounded_when_peer_does_not_read(void **state)
{
	struct ht_rig *r = echo_rig(small_buf);
	struct tt t;
	struct tt_seg s;
	static uint8_t d[1460];
	uint32_t echoed = 0;
	unsigned before;

	assert_int_equal(r->cfg.tcp.snd_buf, 8192);
	open_echo(&t, r);
	t.wnd = 0; /* the peer never reads: it advertises no window */
	before = ht_mbufs_in_use(r);
	for (int i = 0; i < 10; i++)
		tt_send_next(&t, TH_A, d, sizeof(d));
	/* only 8192 bytes were accepted; the rest was refused by the window */
	while (tt_recv(r, &s)) {
		if (s.len == 0)
			continue;
		echoed += s.len;
	}
	assert_int_equal(echoed, 0);                     /* peer window is 0 */
	assert_int_equal(tt_stat(r, "tcp_rx_bytes"), 8192);
	assert_true(tt_stat(r, "tcp_drop_out_of_window") > 0);
	/* what is held: the queued echo, ~6 mbufs for 8 KiB */
	assert_true(ht_mbufs_in_use(r) - before <= 8);
	assert_int_equal(hare_tcp_conn_count(r->w), 1);
	ht_drain_tx(r);
	ht_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echoes_and_half_closes),
		cmocka_unit_test(bounded_when_peer_does_not_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
