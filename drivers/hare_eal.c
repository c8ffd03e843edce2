/* hare_eal.c — completing the EAL command line (see hare_eal.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <dirent.h>
#include <sys/stat.h>
#include "hare_eal.h"

#define HARE_HUGE_MIN_MB_DEFAULT 128
#define HARE_NOHUGE_MB_DEFAULT 512
#define HARE_EAL_EXTRA_ARGS 16

/* Unsigned from the environment, or def when unset/malformed/zero. */
static unsigned long
env_ulong(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtoul(s, &end, 10);
	return (*end == '\0' && v > 0) ? v : def;
}

/* Does argv hold option `name` (as "name", "name=..." or, for a short
 * option like "-m", "-m512")? */
static bool
has_opt(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n) != 0)
			continue;
		if (argv[i][n] == '\0' || argv[i][n] == '=')
			return true;
		if (name[1] != '-')  /* short option with attached value */
			return true;
	}
	return false;
}

/* Page size in kB from a hugetlbfs mount's options ("pagesize=2M"), or the
 * system default when the option is absent. */
static unsigned long
mount_pagesize_kb(const char *opts)
{
	const char *p = strstr(opts, "pagesize=");
	char *end;
	unsigned long v;
	FILE *f;
	char line[256];

	if (p != NULL) {
		v = strtoul(p + 9, &end, 10);
		switch (*end) {
		case 'G': case 'g': return v * 1024 * 1024;
		case 'M': case 'm': return v * 1024;
		case 'K': case 'k': return v;
		default: return v / 1024;
		}
	}
	f = fopen("/proc/meminfo", "r");
	if (f == NULL)
		return 0;
	v = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Free pages of one size (kB), from sysfs; 0 if unknown. */
static unsigned long
free_pages_of(unsigned long kb)
{
	char path[128];
	unsigned long n = 0;
	FILE *s;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
	s = fopen(path, "r");
	if (s == NULL)
		return 0;
	if (fscanf(s, "%lu", &n) != 1)
		n = 0;
	fclose(s);
	return n;
}

unsigned long long
hare_eal_free_hugepage_bytes(bool need_mount)
{
	char dev[256], dir[256], type[64], opts[512];
	unsigned long seen[8];
	unsigned n_seen = 0;
	unsigned long long total = 0;
	FILE *f;

	if (!need_mount) {
		/* --in-memory takes pages through memfd_create(MFD_HUGETLB): every
		 * reserved size counts, mounted or not. */
		DIR *d = opendir("/sys/kernel/mm/hugepages");
		struct dirent *e;
		unsigned long kb;

		if (d == NULL)
			return 0;
		while ((e = readdir(d)) != NULL)
			if (sscanf(e->d_name, "hugepages-%lukB", &kb) == 1)
				total += (unsigned long long)free_pages_of(kb) * kb * 1024;
		closedir(d);
		return total;
	}
	f = fopen("/proc/mounts", "r");
	if (f == NULL)
		return 0;
	while (fscanf(f, "%255s %255s %63s %511s %*d %*d", dev, dir, type, opts) == 4) {
		unsigned long kb;
		bool dup = false;

		if (strcmp(type, "hugetlbfs") != 0)
			continue;
		kb = mount_pagesize_kb(opts);
		for (unsigned i = 0; i < n_seen; i++)
			dup |= seen[i] == kb;
		if (kb == 0 || dup || n_seen == 8)
			continue;
		seen[n_seen++] = kb;
		total += (unsigned long long)free_pages_of(kb) * kb * 1024;
	}
	fclose(f);
	return total;
}

int
hare_eal_prepare(const char *prog, int argc, char **argv, struct hare_eal_args *out)
{
	char **v = calloc((size_t)argc + HARE_EAL_EXTRA_ARGS + 1, sizeof(*v));
	int n = 0;
	char buf[128];
	const char *pmd_dir = getenv("HARE_PMD_DIR");
	bool user_mem = has_opt(argc, argv, "--no-huge") || has_opt(argc, argv, "-m") ||
			has_opt(argc, argv, "--socket-mem") ||
			has_opt(argc, argv, "--legacy-mem");
	bool user_shm;

	if (v == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	v[n++] = argv[0];
	out->no_huge = has_opt(argc, argv, "--no-huge");
	user_shm = has_opt(argc, argv, "--in-memory") || has_opt(argc, argv, "--proc-type") ||
		   has_opt(argc, argv, "--no-shconf");
	if (!user_mem) {
		bool in_mem = !user_shm || has_opt(argc, argv, "--in-memory");
		unsigned long long free_b = hare_eal_free_hugepage_bytes(!in_mem);
		unsigned long min_mb = env_ulong("HARE_HUGE_MIN_MB", HARE_HUGE_MIN_MB_DEFAULT);
		unsigned long mem_mb = env_ulong("HARE_NOHUGE_MB", HARE_NOHUGE_MB_DEFAULT);

		if (free_b < (unsigned long long)min_mb << 20) {
			v[n++] = strdup("--no-huge");
			v[n++] = strdup("-m");
			snprintf(buf, sizeof(buf), "%lu", mem_mb);
			v[n++] = strdup(buf);
			out->no_huge = true;
			out->added_no_huge = true;
			fprintf(stderr, "%s: %llu MiB of free hugepages (< %lu MiB): running with "
				"--no-huge -m %lu; for hugepages run `./hare build` as root or `echo 512 > "
				"/proc/sys/vm/nr_hugepages`\n", prog, free_b >> 20, min_mb, mem_mb);
		}
	}
	/* No files behind: --in-memory with hugepages; without them DPDK 22.11
	 * refuses --in-memory (--no-huge implies legacy memory), and
	 * --no-shconf is what is left to drop (the shared config file). */
	if (!user_shm)
		v[n++] = strdup(out->no_huge ? "--no-shconf" : "--in-memory");
	/* One memfd per memory segment list instead of one per page: a
	 * vhost-user back end (net_virtio_user's peer) maps at most 8 regions,
	 * and page-per-fd memory fails "Failed to set memory table". */
	if (!out->no_huge && !has_opt(argc, argv, "--single-file-segments") &&
	    !has_opt(argc, argv, "--legacy-mem"))
		v[n++] = strdup("--single-file-segments");
	if (!has_opt(argc, argv, "--file-prefix")) {
		const char *app = strncmp(prog, "hare-", 5) == 0 ? prog + 5 : prog;

		v[n++] = strdup("--file-prefix");
		snprintf(buf, sizeof(buf), "hare-%s-%d", app, (int)getpid());
		v[n++] = strdup(buf);
	}
	if (!has_opt(argc, argv, "--log-level")) {
		v[n++] = strdup("--log-level=lib.eal:error");
		v[n++] = strdup("--log-level=lib.telemetry:error");
	}
	/* vdevs only: do not probe PCI. The kernel's own NICs (a VM's
	 * virtio-net) are not DPDK's to touch, and probing them only logs
	 * errors. A PCI port is asked for with -a, which keeps the scan on. */
	if (has_opt(argc, argv, "--vdev") && !has_opt(argc, argv, "-a") &&
	    !has_opt(argc, argv, "--allow") && !has_opt(argc, argv, "-b") &&
	    !has_opt(argc, argv, "--block") && !has_opt(argc, argv, "--no-pci"))
		v[n++] = strdup("--no-pci");
	if (pmd_dir != NULL && *pmd_dir != '\0') {
		v[n++] = strdup("-d");
		v[n++] = strdup(pmd_dir);
	}
	for (int i = 1; i < argc; i++)
		v[n++] = argv[i];
	v[n] = NULL;
	for (int i = 0; i < n; i++)
		if (v[i] == NULL) {
			free(v);
			return -ENOMEM;
		}
	out->argc = n;
	out->argv = v;
	return 0;
}

/* A vdev whose PMD shares packet memory with another process by file
 * descriptor (vhost-user). An explicit --no-huge works: DPDK 22.11 backs it
 * with one memfd mapped shared (eal_memory.c), which virtio_user passes to
 * the back end like a hugepage file (how hare-httpd runs on virtio_user
 * under valgrind). The silent fallback is still refused: its
 * -m 512 is too small for a vhost-user app's pools, and hugepages are what
 * such a port is meant to run on. */
static const char *
shared_memory_vdev(int argc, char **argv)
{
	static const char *const pmds[] = { "net_virtio_user", "net_vhost" };

	for (int i = 1; i < argc; i++)
		for (unsigned k = 0; k < sizeof(pmds) / sizeof(pmds[0]); k++)
			if (strstr(argv[i], pmds[k]) != NULL)
				return pmds[k];
	return NULL;
}

int
hare_eal_init(const char *prog, int argc, char **argv, struct hare_eal_args *out)
{
	int rc = hare_eal_prepare(prog, argc, argv, out);
	const char *pmd;

	if (rc < 0) {
		fprintf(stderr, "%s: out of memory preparing EAL arguments\n", prog);
		return -1;
	}
	pmd = shared_memory_vdev(argc, argv);
	if (out->added_no_huge && pmd != NULL) {
		fprintf(stderr, "%s: %s shares packet memory with its peer process and needs "
			"hugepages, but too few are free: run `./hare build` as root or `echo 1024 > "
			"/proc/sys/vm/nr_hugepages` (and stop other DPDK processes holding them)\n",
			prog, pmd);
		return -1;
	}
	/* rte_eal_init may permute argv; hand it a copy of the pointer array
	 * so out->argv keeps what we built (for messages). */
	char **copy = calloc((size_t)out->argc + 1, sizeof(*copy));

	if (copy == NULL)
		return -1;
	memcpy(copy, out->argv, (size_t)out->argc * sizeof(*copy));
	rc = rte_eal_init(out->argc, copy);
	if (rc < 0) {
		fprintf(stderr, "%s: DPDK EAL initialisation failed: %s. Check the EAL options "
			"before `--` (`%s --help`); run as root; without hugepages pass --no-huge -m 512\n",
			prog, rte_strerror(rte_errno), prog);
		return -1;
	}
	if (rc != out->argc - 1) {
		fprintf(stderr, "%s: unexpected EAL argument '%s': put application options after `--`"
			" (`%s --help`)\n", prog, copy[rc + 1] ? copy[rc + 1] : "?", prog);
		rte_eal_cleanup();
		return -1;
	}
	return 0;
}

void
hare_eal_cleanup(void)
{
	char dir[256];
	const char *rd = rte_eal_get_runtime_dir();
	bool ours = rd != NULL && strstr(rd, "/hare-") != NULL;

	if (ours)
		snprintf(dir, sizeof(dir), "%s", rd);
	rte_eal_cleanup();
	/* EAL leaves its (by now empty) runtime directory even in
	 * --in-memory mode; remove the one named after us. */
	if (ours) {
		/* telemetry unlinks its sockets only at exit(); do it now */
		char path[512];

		snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/telemetry", dir);
		unlink(path);
		rmdir(dir);
	}
}
