/* echo_service.h — hare-echo's TCP echo (RFC 862 over TCP): every byte
 * received is sent back, in order, on the same connection; when the peer
 * closes its side, the remaining bytes go out and then our FIN.
 *
 * Bounded buffering: received mbufs are handed to hare_tcp_send as they
 * are (zero copy) and the receive window reopens only when the peer has
 * acknowledged the echoed bytes (HARE_TCP_OPS_MANUAL_RECV +
 * hare_tcp_recved from on_sent). A peer that sends and never reads thus
 * sees our window close after tcp.rcv_buf bytes; nothing else is held.
 */
#ifndef HARE_ECHO_SERVICE_H
#define HARE_ECHO_SERVICE_H

#include <stdint.h>
#include "hare.h"

#define ECHO_MAX_PORTS 16

/* The service's configuration (shared read-only by all workers). */
struct echo_service {
	uint16_t ports[ECHO_MAX_PORTS];  /* host order */
	unsigned n_ports;
};

/* Fix TCP tunables the echo relies on (send buffer >= receive buffer, so
 * an echoed mbuf always fits). Call before the workers are created. */
void echo_service_config(struct hare_config *cfg);

/* Listen on every port on every address of worker w. Returns 0 or a
 * negative errno (message printed on stderr). Main thread, before w runs. */
int echo_service_start(const struct echo_service *svc, struct hare_worker *w);

#endif
