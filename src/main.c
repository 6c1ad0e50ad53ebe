/*
 * git-credential-raxx: git's credential helper and gh's token source that
 * act as the worktree's GitHub App bot. main() only parses the command
 * line, hardens the process and dispatches; the work is in the modules.
 */
#define _POSIX_C_SOURCE 200809L
#include "audit.h"
#include "audit_cmd.h"
#include "author.h"
#include "config.h"
#include "doctor.h"
#include "ghexec.h"
#include "handoff.h"
#include "http.h"
#include "log.h"
#include "mint.h"
#include "protocol.h"
#include "revoke.h"
#include "setup.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
"  exec -- CMD [ARGS]   run CMD with GH_TOKEN set to the bot's token\n"
"  revoke               revoke the bot's cached tokens at GitHub\n"
"  setup [--dry-run] [--undo] [--handoff SLUG]\n"
"                       make this worktree the bot's: helper, agent, author\n"
"  doctor [--json] [--quiet] [--ops] [--max-time SECS]\n"
"                       diagnose the whole chain, one line per check\n"
"  audit [--since DURATION] [--json]\n"
"                       per-bot counts of the audit log: mints, fallbacks...\n"
"  handoff provision|verify|revoke|list|attach|detach\n"
"                       least-privilege identities for unattended agents\n"
"  help [ACTION]        this text, or an action's\n"
"\n"
"  --version            print the version\n"
"\n"
"Set up with: git config credential.helper raxx\n"
"See git-credential-raxx(1) for the configuration and exit codes.\n";

struct action_help {
	const char *name;
	const char *text;
};

static const struct action_help action_help[] = {
	{ "get", "usage: git-credential-raxx [OPTIONS] get < REQUEST\n"
	  "Answer git's credential request with the bot's token when the\n"
	  "protocol is https and the host is the configured GitHub host\n"
	  "(RAXX_GITHUB_HOST or raxx.host, default github.com).\n" },
	{ "store", "usage: git-credential-raxx store < REQUEST\n"
	  "Does nothing: the helper mints tokens, it does not store them.\n" },
	{ "erase", "usage: git-credential-raxx erase < REQUEST\n"
	  "Forget a cached token git rejected (the request's password).\n" },
	{ "revoke", "usage: git-credential-raxx [OPTIONS] revoke\n"
	  "Revoke the bot's live cached tokens at GitHub and drop them from\n"
	  "the cache; exit 8 when the cache held none.\n" },
	{ "token", "usage: git-credential-raxx [OPTIONS] token [--json | --export]\n"
	  "Print the bot's installation token (minted or reused).\n"
	  "  --json     token, expires_at, bot and source as JSON\n"
	  "  --export   'export GH_TOKEN=...' lines for eval\n" },
	{ "handoff", handoff_usage },
	{ "doctor", doctor_usage },
	{ "audit", audit_usage },
	{ "setup", "usage: git-credential-raxx [--agent NAME | --bot NAME] setup "
	  "[--dry-run] [--undo] [--handoff SLUG]\n"
	  "Make the current worktree the bot's, in its own config (git config\n"
	  "--worktree): the credential helper for the host (inherited helpers\n"
	  "cleared), raxx.agent or raxx.bot, and the commit author\n"
	  "BOT[bot] <ID+BOT[bot]@users.noreply.github.com>. Changes are listed\n"
	  "on stderr; running it again changes nothing.\n"
	  "  --dry-run  show what would change, change nothing\n"
	  "  --undo     remove what setup set, and only that\n"
	  "  --handoff SLUG\n"
	  "             also raxx.handoff=SLUG: a handoff worktree, minting only\n"
	  "             what the handoff's manifest allows (help handoff)\n" },
	{ "exec", "usage: git-credential-raxx [OPTIONS] exec -- CMD [ARGS...]\n"
	  "       git-credential-raxx [OPTIONS] exec --gh [--shim PATH] -- [GH ARGS...]\n"
	  "Run CMD with GH_TOKEN (and GH_ENTERPRISE_TOKEN for other hosts) set\n"
	  "to the bot's token; exits with CMD's status (127: not found).\n"
	  "  --gh         the command is the real gh: RAXX_GH, else the first gh\n"
	  "               in PATH that is not the gh shim\n"
	  "  --shim PATH  the gh shim's own path, never run (implies --gh)\n" },
};

/* The caller's settings, which `exec` gives back to the command it runs. */
static struct exec_opts caller_settings;


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

static int usage_error(const char *fmt, ...) RAXX_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "raxx: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'git-credential-raxx --help')\n");
	return RAXX_EUSAGE;
}

static int cmd_help(const char *action)
{
	size_t i;

	if (!action) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(action_help) / sizeof(*action_help); i++)
		if (!strcmp(action, action_help[i].name)) {
			fputs(action_help[i].text, stdout);
			return 0;
		}
	return usage_error("no help for unknown action '%s'", action);
}

/* Prints the recorded error, returns its code. */
static int report(int code)
{
	if (code && *raxx_errmsg())
		error_msg("%s", raxx_errmsg());
	return code;
}

static const char *fallback_name(enum fallback f)
{
	return f == FALLBACK_PAT ? "pat" : f == FALLBACK_PASS ? "pass" : "deny";
}

/*
 * Minting failed with code: say so loudly and apply the fallback policy.
 * Returns the operator token to use (pat) or NULL (pass, deny).
 */
static const char *fallback(struct raxx_config *c, int code)
{
	const char *pat = env_get("RAXX_OPERATOR_TOKEN");
	const char *bot = c->bot ? c->bot : "(no bot)";

	if (handoff_refuse_fallback(c, code, "answering git quit=1"))
		return NULL;
	switch (c->fallback) {
	case FALLBACK_PAT:
		if (pat) {
			warning("minting for %s failed (exit %d): %s; falling back to "
				"the operator token RAXX_OPERATOR_TOKEN "
				"(RAXX_FALLBACK=pat): this acts as you, not the bot",
				bot, code, raxx_errmsg());
			audit_record(c, "fallback", c->opt_repo, pat, 0,
				     "RAXX_FALLBACK=pat: the operator token");
			return pat;
		}
		warning("minting for %s failed (exit %d): %s; no operator token "
			"(RAXX_OPERATOR_TOKEN unset), so answering nothing "
			"(RAXX_FALLBACK=pat acts as pass)", bot, code, raxx_errmsg());
		return NULL;
	case FALLBACK_PASS:
		warning("minting for %s failed (exit %d): %s; answering nothing "
			"(RAXX_FALLBACK=%s)", bot, code, raxx_errmsg(),
			fallback_name(c->fallback));
		return NULL;
	case FALLBACK_DENY:
		warning("minting for %s failed (exit %d): %s; refusing "
			"(RAXX_FALLBACK=deny)", bot, code, raxx_errmsg());
		return NULL;
	}
	return NULL;
}

static int cmd_get(struct raxx_config *c)
{
	struct credential cred = CREDENTIAL_INIT;
	struct mint_result res;
	char *repo = NULL;
	const char *pat;
	int ret;

	if ((ret = credential_read(&cred, stdin)) ||
	    (ret = credential_check_complete(&cred)))
		goto out;
	if ((ret = config_load(c)))
		goto out;
	if (strcmp(cred.protocol, "https") ||
	    !credential_host_matches(cred.host, c->host)) {
		trace("not answering for %s://%s (configured: https://%s)",
		      cred.protocol, cred.host, c->host);
		goto out;
	}
	if ((ret = config_resolve_bot(c)))
		goto out;
	if (!c->bot && !handoff_slug(c))
		goto out;	/* git asks its next helper */
	author_keep(c);		/* the worktree's commits stay the bot's */
	if (c->opt_repo) {
		repo = xstrdup(c->opt_repo);
	} else if (cred.path && credential_repo(cred.path, &repo)) {
		char safe[128];

		warning("ignoring path '%s': not OWNER/REPO; the token is not "
			"narrowed to a repository", sanitize(safe, sizeof(safe), cred.path));
	}
	ret = mint_get_token(c, repo, &res);
	if (!ret) {
		ret = credential_write(stdout, "x-access-token", res.token,
				       res.expires_at);
		mint_result_release(&res);
		goto out;
	}
	pat = fallback(c, ret);
	raxx_clear_error();
	if (pat)
		ret = credential_write(stdout, "x-access-token", pat, 0);
	else if (c->fallback == FALLBACK_DENY || handoff_slug(c))
		credential_write_quit(stdout);
out:
	free(repo);
	credential_release(&cred);
	return report(ret);
}

static int cmd_store_erase(struct raxx_config *c, int erase)
{
	struct credential cred = CREDENTIAL_INIT;
	int ret;

	/* read it all, so git never sees a closed pipe; nothing is stored */
	ret = credential_read(&cred, stdin);
	/* erase: git rejected this password; forget it if it is a cached token */
	if (!ret && erase && cred.password && cred.protocol && cred.host &&
	    !strcmp(cred.protocol, "https") && !(ret = config_load(c)) &&
	    credential_host_matches(cred.host, c->host))
		erase_token(c, cred.password);
	credential_release(&cred);
	return report(ret);
}

static void shell_quote(struct strbuf *sb, const char *s)
{
	sb_add(sb, "'", 1);
	for (; *s; s++) {
		if (*s == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_add(sb, s, 1);
	}
	sb_add(sb, "'", 1);
}

static int is_github_com(const char *host)
{
	return credential_host_matches(host, "github.com");
}

static int cmd_token(struct raxx_config *c, int argc, char **argv)
{
	int json = 0, export = 0, i, ret;
	struct mint_result res;
	struct strbuf out = STRBUF_INIT;
	char when[32];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--export"))
			export = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return cmd_help("token");
		else
			return usage_error("token: unknown option '%s'", argv[i]);
	}
	if (json && export)
		return usage_error("token: --json and --export exclude each other");
	if ((ret = config_load(c)) || (ret = config_resolve_bot(c)))
		return report(ret);
	if (!c->bot && !handoff_slug(c))
		return report(raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass "
					"--bot or --agent, or set raxx.bot or raxx.agent"));
	if ((ret = mint_get_token(c, c->opt_repo, &res)))
		return report(ret);
	out.secret = 1;
	format_iso8601(res.expires_at, when, sizeof(when));
	if (json) {
		sb_addf(&out, "{\"token\":\"%s\",\"expires_at\":\"%s\",\"bot\":\"%s\","
			"\"source\":\"%s\"}\n", res.token, when, c->bot, res.source);
	} else if (export) {
		sb_adds(&out, "export GH_TOKEN=");
		shell_quote(&out, res.token);
		sb_adds(&out, "\n");
		if (!is_github_com(c->host)) {
			/* gh ignores GH_TOKEN for enterprise hosts */
			sb_adds(&out, "export GH_ENTERPRISE_TOKEN=");
			shell_quote(&out, res.token);
			sb_adds(&out, "\n");
		}
		sb_adds(&out, "export GH_TOKEN_EXPIRES_AT=");
		shell_quote(&out, when);
		sb_adds(&out, "\n");
	} else {
		sb_addf(&out, "%s\n", res.token);
	}
	mint_result_release(&res);
	if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout))
		ret = raxx_fail(RAXX_EINTERNAL, "cannot write the token to stdout");
	sb_release(&out);
	return report(ret);
}

static int cmd_revoke(struct raxx_config *c, int argc, char **argv)
{
	int ret;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
			return cmd_help("revoke");
		return usage_error("revoke: unexpected argument '%s'", argv[1]);
	}
	if ((ret = config_load(c)) || (ret = config_resolve_bot(c)))
		return report(ret);
	if (!c->bot)
		return report(raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass "
					"--bot or --agent, or set raxx.bot or raxx.agent"));
	return report(revoke_tokens(c));
}

static int cmd_setup(struct raxx_config *c, int argc, char **argv)
{
	struct setup_opts o = { 0 };
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			o.dry_run = 1;
		else if (!strcmp(argv[i], "--undo"))
			o.undo = 1;
		else if (!strcmp(argv[i], "--handoff") && i + 1 < argc)
			o.handoff = argv[++i];
		else if (!strncmp(argv[i], "--handoff=", 10))
			o.handoff = argv[i] + 10;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return cmd_help("setup");
		else
			return usage_error("setup: unknown option '%s'", argv[i]);
	}
	if (o.handoff && !handoff_slug_ok(o.handoff))
		return usage_error("setup: --handoff needs a slug: letters, digits, "
				   "'-' and '_', at most %d", HANDOFF_SLUG_MAX);
	if (o.handoff && o.undo)
		return usage_error("setup: --handoff and --undo exclude each other");
	if ((ret = config_load(c)))
		return report(ret);
	return report(setup_worktree(c, &o));
}

static int cmd_exec(struct raxx_config *c, int argc, char **argv)
{
	struct exec_opts o = caller_settings;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--gh")) {
			o.gh = 1;
		} else if (!strcmp(a, "--shim")) {
			if (i + 1 >= argc)
				return usage_error("exec: option '--shim' needs a value");
			o.shim = argv[++i];
			o.gh = 1;
		} else if (!strncmp(a, "--shim=", 7)) {
			o.shim = a + 7;
			o.gh = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			return cmd_help("exec");
		} else if (a[0] == '-') {
			return usage_error("exec: unknown option '%s' (the command goes "
					   "after '--')", a);
		} else {
			break;
		}
	}
	if (i >= argc && !o.gh)
		return usage_error("exec: no command given: exec -- CMD [ARGS]");
	/* returns only when nothing ran; it has said why */
	return exec_with_token(c, argv + i, argc - i, &o);
}

int main(int argc, char **argv)
{
	struct raxx_config cfg = { 0 };
	const char *action;
	int i, ret;

	harden_process(&caller_settings);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--bot") || !strcmp(a, "--agent") ||
		    !strcmp(a, "--repo")) {
			if (i + 1 >= argc)
				return usage_error("option '%s' needs a value", a);
			if (!strcmp(a, "--bot"))
				cfg.opt_bot = argv[++i];
			else if (!strcmp(a, "--agent"))
				cfg.opt_agent = argv[++i];
			else
				cfg.opt_repo = argv[++i];
		} else if (!strncmp(a, "--bot=", 6)) {
			cfg.opt_bot = a + 6;
		} else if (!strncmp(a, "--agent=", 8)) {
			cfg.opt_agent = a + 8;
		} else if (!strncmp(a, "--repo=", 7)) {
			cfg.opt_repo = a + 7;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			log_verbosity = -1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			log_verbosity++;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			return cmd_help(NULL);
		} else if (!strcmp(a, "--version")) {
			printf("git-credential-raxx %s\n", RAXX_VERSION);
			return 0;
		} else if (a[0] == '-') {
			return usage_error("unknown option '%s'", a);
		} else {
			break;
		}
	}
	log_init();
	if (i >= argc) {
		fputs(usage_text, stderr);
		return RAXX_EUSAGE;
	}
	if (cfg.opt_repo) {
		char *norm = NULL;

		if (credential_repo(cfg.opt_repo, &norm))
			return usage_error("--repo '%s' is not OWNER/REPO", cfg.opt_repo);
		free(norm);
	}
	set_deadline();
	action = argv[i];
	argc -= i;
	argv += i;

	if (!strcmp(action, "get"))
		ret = cmd_get(&cfg);
	else if (!strcmp(action, "store"))
		ret = cmd_store_erase(&cfg, 0);
	else if (!strcmp(action, "erase"))
		ret = cmd_store_erase(&cfg, 1);
	else if (!strcmp(action, "token"))
		ret = cmd_token(&cfg, argc, argv);
	else if (!strcmp(action, "exec"))
		ret = cmd_exec(&cfg, argc, argv);
	else if (!strcmp(action, "doctor"))
		ret = doctor_main(&cfg, argc, argv);
	else if (!strcmp(action, "handoff"))
		ret = handoff_main(&cfg, argc, argv);
	else if (!strcmp(action, "audit"))
		ret = audit_main(&cfg, argc, argv);
	else if (!strcmp(action, "revoke"))
		ret = cmd_revoke(&cfg, argc, argv);
	else if (!strcmp(action, "setup"))
		ret = cmd_setup(&cfg, argc, argv);
	else if (!strcmp(action, "help"))
		ret = cmd_help(argc > 1 ? argv[1] : NULL);
	else if (!isatty(0))
		ret = 0;	/* git's rule: helpers ignore unknown actions */
	else
		ret = usage_error("unknown action '%s'", action);
	config_release(&cfg);
	return ret;
}
