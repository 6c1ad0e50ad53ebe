/*
 * The command line's shared pieces: the one table of actions (name,
 * handler, help), their help texts, option parsing and error reporting.
 * main.c only dispatches through them.
 */
#define _POSIX_C_SOURCE 200809L
#ifdef __APPLE__
#define _DARWIN_C_SOURCE	/* optreset */
#endif
#include "cli.h"
#include "audit_cmd.h"
#include "broker.h"
#include "doctor.h"
#include "ghexec.h"
#include "handoff.h"
#include "http.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct exec_opts cli_caller_settings;
const char *cli_argv0 = "git-credential-raxx";

const char cli_usage_text[] =
"usage: git-credential-raxx [--bot NAME | --agent NAME] [--repo OWNER/REPO]\n"
"                           [-q | -v] ACTION [ARGS]\n"
"\n"
"actions:\n"
"  get, store, erase    git's credential-helper protocol on stdin/stdout\n"
"  token [--json | --export]\n"
"                       print the bot's installation token\n"
"  exec [--keep-env] -- CMD [ARGS]\n"
"                       run CMD with the bot's token in gh's variables\n"
"  revoke               revoke the bot's cached tokens at GitHub\n"
"  status [--json]      what this worktree acts as (no network)\n"
"  setup [--dry-run] [--undo] [--handoff SLUG]\n"
"                       make this worktree the bot's: helper, bot, author\n"
"  doctor [--all] [--json] [--quiet] [--ops] [--max-time SECS]\n"
"                       diagnose the whole chain, one line per check\n"
"  audit [--since DURATION] [--json]\n"
"                       per-bot counts of the audit log: mints, fallbacks...\n"
"  handoff provision|verify|revoke|list|attach|detach\n"
"                       least-privilege identities for unattended agents\n"
"  broker [--socket PATH]\n"
"                       the token broker: holds the vault identity for\n"
"                       the agents of this host (foreground)\n"
"  help [ACTION]        this text, or an action's\n"
"\n"
"  --version            print the version\n"
"\n"
"Set up a worktree with: git-credential-raxx --bot NAME setup\n"
"See git-credential-raxx(1) for the configuration and exit codes.\n";

static const char get_help[] =
"usage: git-credential-raxx [OPTIONS] get < REQUEST\n"
"Answer git's credential request with the bot's token when the\n"
"protocol is https and the host is the configured GitHub host\n"
"(RAXX_GITHUB_HOST or raxx.host, default github.com).\n";
static const char store_help[] =
"usage: git-credential-raxx store < REQUEST\n"
"Does nothing: the helper mints tokens, it does not store them.\n";
static const char erase_help[] =
"usage: git-credential-raxx erase < REQUEST\n"
"Forget a cached token git rejected (the request's password).\n";
static const char revoke_help[] =
"usage: git-credential-raxx [OPTIONS] revoke\n"
"Revoke the bot's live cached tokens at GitHub and drop them from\n"
"the cache; exit 8 when the cache held none.\n";
static const char token_help[] =
"usage: git-credential-raxx [OPTIONS] token [--json | --export]\n"
"Print the bot's installation token (minted or reused).\n"
"  --json     token, expires_at, bot and source as JSON\n"
"  --export   'export GH_TOKEN=...' lines for eval (for a host other\n"
"             than github.com: GH_ENTERPRISE_TOKEN and GH_HOST)\n";
static const char setup_help[] =
"usage: git-credential-raxx [--agent NAME | --bot NAME] setup "
"[--dry-run] [--undo] [--handoff SLUG]\n"
"Make the current worktree the bot's, in its own config (git config\n"
"--worktree): the credential helper for the host (inherited helpers\n"
"cleared), raxx.bot (with --agent, the bot the trusted agent map names,\n"
"and raxx.agent for reference), and the commit author\n"
"BOT[bot] <ID+BOT[bot]@users.noreply.github.com>. Changes are listed\n"
"on stderr; running it again changes nothing.\n"
"  -n, --dry-run  show what would change, change nothing\n"
"  --undo         remove what setup set, and only that\n"
"  --handoff SLUG\n"
"                 also raxx.handoff=SLUG: a handoff worktree, minting only\n"
"                 what the handoff's manifest allows (help handoff); the\n"
"                 bot is the manifest's\n"
"  -q, --quiet    do not list the changes\n";
static const char exec_help[] =
"usage: git-credential-raxx [OPTIONS] exec [--keep-env] -- CMD [ARGS...]\n"
"       git-credential-raxx [OPTIONS] exec --gh [--shim PATH] -- [GH ARGS...]\n"
"Run CMD with the bot's token: in GH_TOKEN for github.com, else in\n"
"GH_ENTERPRISE_TOKEN with GH_HOST. The command does not get\n"
"INFISICAL_CLIENT_SECRET, CF_ACCESS_CLIENT_SECRET or RAXX_OPERATOR_TOKEN.\n"
"Exits with CMD's status (127: not found).\n"
"  --keep-env     leave those three in the command's environment\n"
"  --gh           the command is the real gh: RAXX_GH, else the first gh\n"
"                 in PATH that is not the gh shim\n"
"  --shim PATH    the gh shim's own path, never run (implies --gh)\n";
static const char status_help[] =
"usage: git-credential-raxx [OPTIONS] status [--json]\n"
"What this worktree acts as, from local state alone (no network, never a\n"
"token): the bot and where it came from, the handoff, the commit author,\n"
"the credential helpers git asks for the host, the broker, the cached\n"
"token's fingerprint and expiry, the cache directory.\n"
"  --json     one JSON object: bot, bot_source, handoff, author_name,\n"
"             author_email, helper, broker, token_fingerprint,\n"
"             token_expires_at, cache_dir\n";
static const char refresh_help[] =
"usage: git-credential-raxx [OPTIONS] refresh-ahead\n"
"Re-mint the token of this identity now unless another process is\n"
"minting it or has renewed it (see RAXX_REFRESH_AHEAD). Started in the\n"
"background by a call that finds its token close to its end; not\n"
"meant to be run by hand.\n";
static const char help_help[] =
"usage: git-credential-raxx help [ACTION]\n";

/* One row per action: the table is the help and the dispatch. */
static const struct action actions[] = {
	{ "get", cmd_get, get_help, 0 },
	{ "store", cmd_store, store_help, 0 },
	{ "erase", cmd_erase, erase_help, 0 },
	{ "token", cmd_token, token_help, 1 },
	{ "exec", cmd_exec, exec_help, 1 },
	{ "revoke", cmd_revoke, revoke_help, 1 },
	{ "status", cmd_status, status_help, 1 },
	{ "setup", cmd_setup, setup_help, 1 },
	{ "doctor", doctor_main, doctor_usage, 0 },
	{ "handoff", handoff_main, handoff_usage, 0 },
	{ "broker", broker_main, broker_usage, 0 },	/* loads it itself */
	{ "audit", audit_main, audit_usage, 1 },
	{ "refresh-ahead", cmd_refresh_ahead, refresh_help, 1 },
	{ "help", NULL, help_help, 0 },
};
#define NR_ACTIONS (sizeof(actions) / sizeof(*actions))

const struct action *cli_find_action(const char *name)
{
	size_t i;

	for (i = 0; i < NR_ACTIONS; i++)
		if (!strcmp(actions[i].name, name))
			return &actions[i];
	return NULL;
}

const char *cli_help_text(const char *action)
{
	const struct action *a = action ? cli_find_action(action) : NULL;

	return a ? a->help : action ? NULL : cli_usage_text;
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

		fputs(text ? text : cli_usage_text, stdout);
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

