/* app_cli.h — splitting `hare-<app> [EAL options] -- [app options]` and
 * parsing the app part (internal to apps/common). */
#ifndef HARE_APP_CLI_H
#define HARE_APP_CLI_H

#include "hare_app.h"

/* The command line cut at the first "--". */
struct hare_cli {
	int eal_argc;        /* argv[0] and the EAL options */
	char **eal_argv;
	int app_argc;        /* a program name, then the app options */
	char **app_argv;
};

enum hare_cli_result {
	HARE_CLI_OK = 0,
	HARE_CLI_HELP,       /* --help seen: usage printed, exit 0 */
	HARE_CLI_ERROR,      /* message printed, exit 2 */
};

/* Split argv (argv is kept; app_argv is a new array). */
int hare_cli_split(int argc, char **argv, const char *prog, struct hare_cli *cli);

/* Parse the app options into cfg (after hare_config_init) and through
 * app->parse_opt; also catches --help and app options misplaced before
 * "--". */
enum hare_cli_result hare_cli_parse(struct hare_app *app, struct hare_cli *cli,
				    struct hare_config *cfg);

/* Print the usage text. */
void hare_cli_usage(const struct hare_app *app, FILE *out);

#endif
