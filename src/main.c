/*
 * git-credential-raxx: git's credential helper and gh's token source that
 * act as the worktree's GitHub App bot. This file holds the one table of
 * actions (name, handler, help); main() parses the global options, hardens
 * the process and dispatches through it. The work is in the modules.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"
#include "cli/audit_cmd.h"
#include "broker/broker.h"
#include "doctor/doctor.h"
#include "handoff/handoff.h"
#include "base/process.h"
#include "services/http.h"
#include "identity/identity.h"
#include "base/log.h"
#include "base/protocol.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static const char usage_text[] =
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

static void set_deadline(void)
{
	const char *t = env_get("RAXX_TIMEOUT");
	long secs = 30;

	if (t && parse_long(t, 1, 3600, &secs)) {
		warning("RAXX_TIMEOUT '%.20s' is not a number of seconds (1-3600): "
			"using 30", t);
		secs = 30;
	}
	http_set_deadline(now_ms() + secs * 1000);
}

/* The global options, before the action (git appends the action to the
 * helper string): returns -1 to go on, else the exit status. */
static int global_options(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bot", required_argument, NULL, 'b' },
		{ "agent", required_argument, NULL, 'a' },
		{ "repo", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret = 0;

	while ((opt = cli_getopt(argc, argv, "+:qvh", longopts, &ret)) != -1) {
		switch (opt) {
		case 'b':
			c->opt_bot = cli_optarg;
			break;
		case 'a':
			c->opt_agent = cli_optarg;
			break;
		case 'r':
			c->opt_repo = cli_optarg;
			break;
		case 'q':
			log_verbosity = -1;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'V':
			printf("git-credential-raxx %s\n", RAXX_VERSION);
			cli_optind = 0;
			return 0;
		default:
			return ret;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct raxx_config cfg = { 0 };
	const struct action *a;
	char *norm = NULL;
	int i, ret;

	process_harden(&cli_caller_settings);
	cli_use_actions(actions, sizeof(actions) / sizeof(*actions), usage_text);
	if (argc > 0 && *argv[0])
		cli_argv0 = argv[0];
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	if ((ret = global_options(&cfg, argc, argv)) >= 0)
		return ret;
	i = optind;
	log_init();
	if (i >= argc) {
		fputs(usage_text, stderr);
		return RAXX_EUSAGE;
	}
	if (cfg.opt_repo) {
		if (credential_repo(cfg.opt_repo, &norm))
			return cli_usage_error(NULL, "--repo '%s' is not OWNER/REPO",
					       cfg.opt_repo);
		free(norm);
	}
	set_deadline();
	argc -= i;
	argv += i;
	if (!(a = cli_find_action(argv[0]))) {
		/* git's rule: helpers ignore unknown actions */
		if (!isatty(0))
			return 0;
		return cli_usage_error(NULL, "unknown action '%s'", argv[0]);
	}
	if (!a->run)
		return cli_help(argc > 1 ? argv[1] : NULL);
	ret = a->loads_config ? cli_report(cli_load(&cfg)) : 0;
	if (!ret)
		ret = a->run(&cfg, argc, argv);
	identity_forget(&cfg);
	config_release(&cfg);
	return ret;
}
