/* boot_secret.c — the secret that keys ISNs and timestamp offsets
 * (RFC 6528 §3: ISN = M + F(4-tuple, secretkey)).
 *
 * Why per boot and not per process: a new hare process must continue the
 * ISNs and timestamps of the previous one on the same 4-tuple. A peer that
 * still holds that tuple in TIME_WAIT accepts a new SYN only when its ISN
 * or TSval is higher than the old connection's (RFC 6191); with a fresh
 * random key per process half the SYNs look old and each stalls for an RTO
 * (measured: 90 conn/s instead of 2,000/s when a load test is restarted).
 * Linux keeps its secret per boot for the same reason. M is the TSC, which
 * also runs per boot.
 *
 * Where: /run/hare/boot-secret, mode 0600 in a 0700 directory (only root
 * reads it); /run is a tmpfs, so a reboot makes a new one. Two processes
 * starting at once race through link(), which only one can win.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <rte_random.h>
#include "boot_secret.h"

#define SECRET_DIR "/run/hare"
#define SECRET_PATH SECRET_DIR "/boot-secret"

static int
read_secret(uint64_t key[2])
{
	int fd = open(SECRET_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, key, 2 * sizeof(key[0]));
	close(fd);
	return n == (ssize_t)(2 * sizeof(key[0])) ? 0 : -EIO;
}

int
hare_boot_secret(uint64_t key[2])
{
	char tmp[64];
	uint64_t fresh[2] = { rte_rand(), rte_rand() };
	int fd, rc;

	if (read_secret(key) == 0)
		return 0;
	key[0] = fresh[0];
	key[1] = fresh[1];
	if (mkdir(SECRET_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), SECRET_DIR "/boot-secret.%d", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) ? 0 : -EIO;
	close(fd);
	if (rc == 0 && link(tmp, SECRET_PATH) < 0 && errno != EEXIST)
		rc = -errno;
	unlink(tmp);
	if (rc < 0)
		return rc;
	/* Whoever won the link race, everyone uses the file's key. */
	return read_secret(key) == 0 ? 0 : -EIO;
}
