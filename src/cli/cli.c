/*
 * What the actions share: their help looked up in the table main.c hands
 * over, option parsing, usage errors and error reporting, the settings
 * loaded. The contract is in cli.h.
 */
#define _POSIX_C_SOURCE 200809L
#ifdef __APPLE__
#define _DARWIN_C_SOURCE	/* optreset */
#endif
#include "cli.h"
#include "base/process.h"
#include "services/http.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct process_settings cli_caller_settings;
const char *cli_argv0 = "git-credential-raxx";

/* The program's table (main.c), handed over before any action runs. */
static const struct action *actions;
static size_t nr_actions;
static const char *usage_text = "";

void cli_use_actions(const struct action *table, size_t nr, const char *usage)
{
	actions = table;
	nr_actions = nr;
	usage_text = usage;
}

const struct action *cli_find_action(const char *name)
{
	size_t i;

	for (i = 0; i < nr_actions; i++)
		if (!strcmp(actions[i].name, name))
			return &actions[i];
	return NULL;
}

const char *cli_help_text(const char *action)
{
	const struct action *a = action ? cli_find_action(action) : NULL;

	return a ? a->help : action ? NULL : usage_text;
}

int cli_usage_error(const char *action, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	raxx_clear_error();
	snprintf(prefix, sizeof(prefix), "raxx: %s%s", action ? action : "",
		 action ? ": " : "");
	va_start(ap, fmt);
	sink_vprintf(stderr, prefix, fmt, ap);
	va_end(ap);
	fprintf(stderr, "(see 'git-credential-raxx %s%s')\n",
		action ? "help " : "--help", action ? action : "");
	return RAXX_EUSAGE;
}

int cli_report(int code)
{
	if (code && *raxx_errmsg())
		error_msg("%s", raxx_errmsg());
	return code;
}

int cli_load(struct raxx_config *c)
{
	int ret = config_load(c);

	if (!ret)
		http_set_ca_bundle(c->ca_bundle);
	return ret;
}

char *cli_optarg;
int cli_optind;

/* getopt_long keeps its state in globals: start afresh for each argv. */
static void getopt_restart(void)
{
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
	defined(__NetBSD__)
	optreset = 1;
	optind = 1;
#else
	optind = 0;	/* glibc and musl: a full reset */
#endif
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *ret)
{
	int opt;

	if (cli_optind == 0)
		getopt_restart();
	opterr = 0;
	opt = getopt_long(argc, argv, shortopts, longopts, NULL);
	cli_optarg = optarg;
	cli_optind = optind;
	if (opt == -1) {
		cli_optind = 0;	/* the next caller starts afresh */
		return -1;
	}
	if (opt == 'h') {
		const char *text = cli_help_text(argv[0]);

		fputs(text ? text : usage_text, stdout);
		*ret = 0;
		cli_optind = 0;
		return '?';
	}
	if (opt == '?' || opt == ':') {
		const char *bad = argv[optind - 1 > 0 ? optind - 1 : 0];

		*ret = cli_usage_error(cli_find_action(argv[0]) ? argv[0] : NULL,
				       opt == ':' ?
				       "option '%s' needs a value" :
				       "unknown option '%s'", bad);
		cli_optind = 0;
		return '?';
	}
	return opt;
}

int cli_help(const char *action)
{
	const char *text = cli_help_text(action);

	if (!text)
		return cli_usage_error(NULL, "no help for unknown action '%s'",
				       action);
	fputs(text, stdout);
	return 0;
}

