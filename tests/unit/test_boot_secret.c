/* test_boot_secret.c — the ISN/timestamp secret is the same for every
 * process of one boot (so a restarted hare continues its ISNs, RFC 6191),
 * kept where only root reads it, and made anew when missing. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "boot_secret.h"

static void
same_key_across_processes(void **state)
{
	uint64_t mine[2], child[2];
	int fds[2];
	pid_t pid;

	ht_eal_init();
	assert_int_equal(hare_boot_secret(mine), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t k[2] = {0, 0};

		hare_boot_secret(k);
		_exit(write(fds[1], k, sizeof(k)) == sizeof(k) ? 0 : 1);
	}
	assert_int_equal(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
	waitpid(pid, NULL, 0);
	assert_memory_equal(mine, child, sizeof(mine));
	assert_false(mine[0] == 0 && mine[1] == 0);
}

static void
file_private_and_recreated(void **state)
{
	struct stat st;
	uint64_t a[2], b[2];

	assert_int_equal(hare_boot_secret(a), 0);
	assert_int_equal(stat("/run/hare/boot-secret", &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(unlink("/run/hare/boot-secret"), 0);  /* as after a reboot */
	assert_int_equal(hare_boot_secret(b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(stat("/run/hare/boot-secret", &st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_key_across_processes),
		cmocka_unit_test(file_private_and_recreated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
