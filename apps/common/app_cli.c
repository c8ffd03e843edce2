/* app_cli.c — the command line every hare program shares.
 *
 * The app options are parsed before DPDK is touched, so a typo costs no
 * EAL start-up and its message is not buried under EAL's. getopt_long is
 * driven from a table built at run time: the shared options first, then
 * the app's own (option value HARE_OPT_APP + index).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "app_cli.h"

enum {
	HARE_OPT_IP = 256,
	HARE_OPT_GW,
	HARE_OPT_MTU,
	HARE_OPT_STATS,
	HARE_OPT_HELP,
	HARE_OPT_APP = 1024,
};

#define HARE_MAX_APP_OPTS 64

static const struct hare_app_opt common_opts[] = {
	{ "ip", "A.B.C.D/LEN", "local address and prefix (repeat for more addresses; /24 if no LEN)" },
	{ "gw", "A.B.C.D", "default gateway (must be on one of the --ip prefixes)" },
	{ "mtu", "N", "IP MTU of the port, 68..9000 (default 1500)" },
	{ "stats", "SEC", "print summed per-worker counters and deltas every SEC seconds" },
	{ "help", NULL, "this text" },
	{ NULL, NULL, NULL },
};

int
hare_app_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (text == NULL || *text == '\0' || *text == '-')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
hare_cli_split(int argc, char **argv, const char *prog, struct hare_cli *cli)
{
	int dd = argc;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	cli->eal_argc = dd;
	cli->eal_argv = argv;
	cli->app_argc = dd < argc ? argc - dd : 1;
	cli->app_argv = calloc((size_t)cli->app_argc + 1, sizeof(char *));
	if (cli->app_argv == NULL)
		return -ENOMEM;
	cli->app_argv[0] = (char *)prog;
	for (int i = 1; i < cli->app_argc; i++)
		cli->app_argv[i] = argv[dd + i];
	return 0;
}

static void
print_opts(FILE *out, const struct hare_app_opt *o)
{
	for (; o && o->name; o++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(out, "  %-26s %s\n", left, o->help);
	}
}

void
hare_cli_usage(const struct hare_app *app, FILE *out)
{
	fprintf(out,
		"usage: %s [EAL options] -- [options]\n"
		"%s\n\n"
		"EAL options (DPDK's own; the common ones):\n"
		"  --vdev net_af_packet0,iface=IF  open kernel interface IF through AF_PACKET\n"
		"                             (the rig: ip netns exec hare-stack ... iface=hs0)\n"
		"  -a PCI                     use the PCI port PCI, bound to vfio-pci first with\n"
		"                             dpdk-devbind.py --bind=vfio-pci PCI\n"
		"  -l CORES                   lcores for the workers, e.g. 0 or 0-1 (default: all);\n"
		"                             one worker per lcore, the main lcore included\n"
		"  --no-huge -m MB            no hugepages (added by itself when none are free)\n"
		"  --file-prefix P            default hare-<app>-<pid>; --in-memory is always added\n\n"
		"Options:\n", app->name, app->summary ? app->summary : "");
	print_opts(out, common_opts);
	if (app->opts && app->opts->name) {
		fprintf(out, "\n%s options:\n", app->name);
		print_opts(out, app->opts);
	}
	fprintf(out,
		"\nOutput: `ready` on stdout once the port is up and workers run; counters on\n"
		"--stats ticks, on SIGUSR1 and at exit (SIGINT/SIGTERM stop cleanly).\n"
		"Example (the rig, `./hare rig up`):\n"
		"  ip netns exec hare-stack build/apps/%s --vdev net_af_packet0,iface=hs0 -l 0 \\\n"
		"      -- --ip 198.18.0.1/24 --ip 198.18.0.3/24 --stats 5\n", app->name);
}

/* Is `arg` (from the EAL part) the name of an app option? */
static const char *
misplaced_app_opt(const struct hare_app *app, const char *arg)
{
	static char name[64];
	const struct hare_app_opt *lists[2] = { common_opts, app->opts };

	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	snprintf(name, sizeof(name), "%s", arg + 2);
	name[strcspn(name, "=")] = '\0';
	if (strcmp(name, "help") == 0)
		return NULL;
	for (unsigned l = 0; l < 2; l++)
		for (const struct hare_app_opt *o = lists[l]; o && o->name; o++)
			if (strcmp(o->name, name) == 0)
				return o->name;
	return NULL;
}

static int
parse_gateway(struct hare_config *cfg, const char *prog, const char *arg)
{
	if (hare_parse_ipv4(arg, &cfg->gateway) < 0 || cfg->gateway == 0) {
		fprintf(stderr, "%s: --gw '%s': expected a dotted-quad address such as 198.18.0.254\n",
			prog, arg);
		return -1;
	}
	return 0;
}

enum hare_cli_result
hare_cli_parse(struct hare_app *app, struct hare_cli *cli, struct hare_config *cfg)
{
	struct option lopts[HARE_MAX_APP_OPTS + 8];
	unsigned n = 0, n_app = 0;
	unsigned long v;
	const char *prog = app->name;
	int c;

	/* --help anywhere, also before "--" (so EAL does not print its own). */
	for (int i = 1; i < cli->eal_argc; i++) {
		const char *misplaced;

		if (strcmp(cli->eal_argv[i], "--help") == 0 || strcmp(cli->eal_argv[i], "-h") == 0) {
			hare_cli_usage(app, stdout);
			return HARE_CLI_HELP;
		}
		misplaced = misplaced_app_opt(app, cli->eal_argv[i]);
		if (misplaced) {
			fprintf(stderr, "%s: --%s is an application option: put it after `--`, as in "
				"`%s [EAL options] -- --%s ...` (see %s --help)\n",
				prog, misplaced, prog, misplaced, prog);
			return HARE_CLI_ERROR;
		}
	}

	for (const struct hare_app_opt *o = common_opts; o->name; o++)
		lopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					      NULL, HARE_OPT_IP + (int)(o - common_opts) };
	for (const struct hare_app_opt *o = app->opts; o && o->name; o++) {
		if (n_app == HARE_MAX_APP_OPTS)
			break;
		lopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					      NULL, HARE_OPT_APP + (int)n_app };
		n_app++;
	}
	lopts[n] = (struct option){ NULL, 0, NULL, 0 };

	optind = 0; /* full reset of glibc getopt */
	opterr = 0;
	while ((c = getopt_long(cli->app_argc, cli->app_argv, "+h", lopts, NULL)) != -1) {
		switch (c) {
		case HARE_OPT_IP: {
			int rc = hare_config_add_ip(cfg, optarg);

			if (rc == -ENOSPC) {
				fprintf(stderr, "%s: --ip %s: at most %d addresses\n", prog, optarg,
					HARE_MAX_IPS);
				return HARE_CLI_ERROR;
			}
			if (rc < 0) {
				fprintf(stderr, "%s: --ip '%s': expected A.B.C.D/LEN, e.g. "
					"198.18.0.1/24\n", prog, optarg);
				return HARE_CLI_ERROR;
			}
			uint32_t a = ntohl(cfg->ips[cfg->n_ips - 1].addr);

			if (a == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe) {
				fprintf(stderr, "%s: --ip '%s': not a unicast host address\n", prog,
					optarg);
				return HARE_CLI_ERROR;
			}
			for (unsigned i = 0; i + 1 < cfg->n_ips; i++)
				if (cfg->ips[i].addr == cfg->ips[cfg->n_ips - 1].addr) {
					fprintf(stderr, "%s: --ip %s given twice\n", prog, optarg);
					return HARE_CLI_ERROR;
				}
			break;
		}
		case HARE_OPT_GW:
			if (parse_gateway(cfg, prog, optarg) < 0)
				return HARE_CLI_ERROR;
			break;
		case HARE_OPT_MTU:
			if (hare_app_parse_uint(optarg, 68, 9000, &v) < 0) {
				fprintf(stderr, "%s: --mtu '%s': expected a number in 68..9000\n", prog,
					optarg);
				return HARE_CLI_ERROR;
			}
			cfg->mtu = (uint16_t)v;
			break;
		case HARE_OPT_STATS:
			if (hare_app_parse_uint(optarg, 1, 86400, &v) < 0) {
				fprintf(stderr, "%s: --stats '%s': expected seconds in 1..86400\n", prog,
					optarg);
				return HARE_CLI_ERROR;
			}
			cfg->stats_interval_s = (unsigned)v;
			break;
		case 'h':
		case HARE_OPT_HELP:
			hare_cli_usage(app, stdout);
			return HARE_CLI_HELP;
		case '?':
		case ':':
			fprintf(stderr, "%s: unknown option, or option without its argument: '%s' "
				"(see %s --help)\n", prog, cli->app_argv[optind - 1], prog);
			return HARE_CLI_ERROR;
		default:
			if (c >= HARE_OPT_APP && c < HARE_OPT_APP + (int)n_app) {
				const struct hare_app_opt *o = &app->opts[c - HARE_OPT_APP];

				if (app->parse_opt == NULL ||
				    app->parse_opt(app->ctx, o->name, optarg) < 0)
					return HARE_CLI_ERROR;
				break;
			}
			fprintf(stderr, "%s: internal error parsing options\n", prog);
			return HARE_CLI_ERROR;
		}
	}
	if (optind < cli->app_argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (options start with --; see %s --help)\n",
			prog, cli->app_argv[optind], prog);
		return HARE_CLI_ERROR;
	}
	if (cfg->n_ips == 0) {
		fprintf(stderr, "%s: no address: pass at least one --ip after `--`, e.g. `%s --vdev "
			"net_af_packet0,iface=hs0 -- --ip 198.18.0.1/24`\n", prog, prog);
		return HARE_CLI_ERROR;
	}
	if (cfg->gateway != 0 && hare_config_ip_index(cfg, cfg->gateway) >= 0) {
		fprintf(stderr, "%s: --gw is one of our own addresses; give the router's address\n",
			prog);
		return HARE_CLI_ERROR;
	}
	if (cfg->gateway != 0) {
		bool onlink = false;

		for (unsigned i = 0; i < cfg->n_ips; i++)
			onlink |= ((cfg->gateway ^ cfg->ips[i].addr) & cfg->ips[i].netmask) == 0;
		if (!onlink) {
			fprintf(stderr, "%s: --gw is not on any --ip prefix: it must be reachable "
				"on the link (widen a --ip LEN or pick a gateway inside one)\n", prog);
			return HARE_CLI_ERROR;
		}
	}
	if (app->check && app->check(app->ctx, cfg) < 0)
		return HARE_CLI_ERROR;
	optind = 0;
	return HARE_CLI_OK;
}
