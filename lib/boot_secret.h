/* boot_secret.h — a 128-bit secret shared by every hare process until the
 * machine reboots. */
#ifndef HARE_BOOT_SECRET_H
#define HARE_BOOT_SECRET_H

#include <stdint.h>

/* Fill key with the per-boot secret, creating it on first use. Returns 0,
 * or a negative errno with key filled from rte_rand() (per process) when
 * the secret file cannot be read or made. Not for the packet path. */
int hare_boot_secret(uint64_t key[2]);

#endif
