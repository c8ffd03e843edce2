/* echo_service.c — see echo_service.h.
 *
 * Call chain (worker lcore): hare_tcp_input -> on_data(m) -> hare_tcp_send(m)
 * -> ... peer ACKs -> on_sent(n) -> hare_tcp_recved(n) (window reopens);
 * on_data(NULL) (peer FIN) -> hare_tcp_shutdown (FIN after the data).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <rte_errno.h>
#include "hare_tcp.h"
#include "echo_service.h"

static int
echo_accept(struct hare_tcp_conn *c, void *listen_ctx)
{
	(void)c;
	(void)listen_ctx;
	return 0;
}

static void
echo_data(struct hare_tcp_conn *c, struct rte_mbuf *m)
{
	int rc;

	if (m == NULL) {
		/* peer closed: our FIN follows whatever is still queued */
		hare_tcp_shutdown(c);
		return;
	}
	rc = hare_tcp_send(c, m);
	if (rc < 0) {
		/* Cannot happen while snd_buf >= rcv_buf (echo_service_config);
		 * if it does, the stream cannot stay byte-exact: reset it. */
		hare_tcp_free_mbuf(c, m);
		hare_tcp_abort(c);
	}
}

static void
echo_sent(struct hare_tcp_conn *c, uint32_t bytes)
{
	/* echoed bytes are acknowledged: let the peer send that much more */
	hare_tcp_recved(c, bytes);
}

static const struct hare_tcp_ops echo_ops = {
	.on_accept = echo_accept,
	.on_data = echo_data,
	.on_sent = echo_sent,
	.flags = HARE_TCP_OPS_MANUAL_RECV,
};

void
echo_service_config(struct hare_config *cfg)
{
	if (cfg->tcp.snd_buf < cfg->tcp.rcv_buf)
		cfg->tcp.snd_buf = cfg->tcp.rcv_buf;
}

int
echo_service_start(const struct echo_service *svc, struct hare_worker *w)
{
	for (unsigned i = 0; i < svc->n_ports; i++) {
		if (hare_tcp_listen(w, 0, svc->ports[i], &echo_ops, NULL) == NULL) {
			int err = rte_errno;

			fprintf(stderr, "hare-echo: cannot listen on TCP port %u: %s "
				"(give each --port once, at most %d)\n",
				svc->ports[i], strerror(err), ECHO_MAX_PORTS);
			return -err;
		}
	}
	return 0;
}
