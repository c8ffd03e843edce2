/* hare_eal.h — preparing the DPDK EAL command line for a hare process.
 *
 * Every hare program is started as `hare-<app> [EAL options] -- [app
 * options]`. Before rte_eal_init() the EAL part is completed so that a
 * process on a plain machine just works and leaves nothing behind:
 *
 *  - no files: `--in-memory` (no runtime files, no shared config, hugepages
 *    through memfd so no hugetlbfs mount is needed: measured here, 2 MiB
 *    pages reserved but not mounted work). With --no-huge, DPDK 22.11
 *    refuses --in-memory (no-huge implies legacy memory), so `--no-shconf`
 *    is added instead. Nothing is added when the user gave --in-memory,
 *    --no-shconf or --proc-type (multi-process setups);
 *  - `--file-prefix hare-<app>-<pid>`: unique per process unless the user
 *    gave one, so two hare processes (echo and load) never collide;
 *  - hugepages: when the free reserved pages (any size with --in-memory,
 *    mounted sizes otherwise) hold less than HARE_HUGE_MIN_MB (env,
 *    default 128 MiB), `--no-huge -m N` is added (N = env HARE_NOHUGE_MB,
 *    default 512) and one line on stderr says so and how to get
 *    hugepages. Skipped when the user chose the memory (--no-huge, -m,
 *    --socket-mem, --legacy-mem);
 *  - `--log-level=lib.eal:error --log-level=lib.telemetry:error` unless
 *    the user set a log level, so a healthy start prints no EAL chatter;
 *  - `--no-pci` when the ports are vdevs only (no -a/-b): the machine's
 *    own kernel NICs are not probed (on a VM that logs errors about its
 *    virtio-net, which belongs to the kernel).
 *
 * Plugin PMDs: Debian's librte_eal is built with the plugin directory
 * (/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0) and loads every PMD from it at
 * init, so nothing is added for them (measured: net_af_packet, net_null,
 * net_virtio appear without -d). If HARE_PMD_DIR is set, `-d $HARE_PMD_DIR`
 * is added, for DPDK builds that lack the default.
 *
 * None of this is thread-safe; call once from main() before rte_eal_init().
 */
#ifndef HARE_EAL_H
#define HARE_EAL_H

#include <stdbool.h>

/* The completed EAL argument vector. argv is heap-allocated and must live
 * as long as the process (EAL may keep pointers into it). */
struct hare_eal_args {
	int argc;
	char **argv;
	bool no_huge;        /* --no-huge was added or given */
	bool added_no_huge;  /* we added it (and printed the one line) */
};

/* Complete the EAL arguments argv[0..argc) (argv[0] is the program name,
 * no "--" or app options in it) for program `prog` (e.g. "hare-echo").
 * Prints the hugepage fallback line on stderr when it applies.
 * Returns 0, or -ENOMEM. */
int hare_eal_prepare(const char *prog, int argc, char **argv, struct hare_eal_args *out);

/* Free hugepage memory, in bytes: of every reserved size when need_mount
 * is false (--in-memory), else only of sizes with a hugetlbfs mount. */
unsigned long long hare_eal_free_hugepage_bytes(bool need_mount);

/* hare_eal_prepare() + rte_eal_init(). Returns 0, or -1 after printing why
 * and what to do. */
int hare_eal_init(const char *prog, int argc, char **argv, struct hare_eal_args *out);

/* rte_eal_cleanup(), then remove the runtime directory EAL leaves behind
 * (/var/run/dpdk/hare-...) when its prefix is one of ours. */
void hare_eal_cleanup(void);

#endif
