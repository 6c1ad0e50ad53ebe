/*
 * token, exec, revoke and setup: the actions that hand out, withdraw or
 * arrange the bot's token outside git's protocol.
 */
#define _XOPEN_SOURCE 700	/* realpath() */
#include "cli.h"
#include "ghexec.h"
#include "token/handoff_manifest.h"
#include "identity/identity.h"
#include "base/json.h"
#include "base/log.h"
#include "base/protocol.h"
#include "token/revoke.h"
#include "setup.h"
#include "token/token.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int no_bot(void)
{
	return raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot or "
			 "--agent, or set raxx.bot or raxx.agent "
			 "(git-credential-raxx setup)");
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

static void export_line(struct strbuf *sb, const char *name, const char *v)
{
	sb_addf(sb, "export %s=", name);
	shell_quote(sb, v);
	sb_adds(sb, "\n");
}

static char *token_json(const struct token *t)
{
	struct json_object *o = json_object_new_object();
	char when[32], *s;

	format_iso8601(t->expires_at, when, sizeof(when));
	json_object_object_add(o, "token", json_object_new_string(t->value));
	json_object_object_add(o, "expires_at", json_object_new_string(when));
	json_object_object_add(o, "bot", json_object_new_string(t->bot));
	json_object_object_add(o, "source", json_object_new_string(t->source));
	s = xstrfmt("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_put_wiped(o);
	return s;
}

int cmd_token(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "export", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct token_source *ts = NULL;
	struct token tok = { 0 };
	struct strbuf out = STRBUF_INIT;
	int json = 0, export = 0, opt, ret = 0;
	char when[32];

	while ((opt = cli_getopt(argc, argv, "+:h", longopts, &ret)) != -1) {
		if (opt == 'j')
			json = 1;
		else if (opt == 'e')
			export = 1;
		else
			return ret;
	}
	if (optind < argc)
		return cli_usage_error("token", "unexpected argument '%s'",
				       argv[optind]);
	if (json && export)
		return cli_usage_error("token", "--json and --export exclude each "
				       "other");
	if ((ret = identity_settle(c, c->opt_repo)))
		return cli_report(ret);
	if (!c->id->bot && !c->id->handoff)
		return cli_report(no_bot());
	ts = token_source_open(c);
	if ((ret = token_get(ts, &tok)))
		goto out;
	out.secret = 1;
	if (json) {
		char *j = token_json(&tok);

		sb_adds(&out, j);
		free_secret(j);
	} else if (export) {
		format_iso8601(tok.expires_at, when, sizeof(when));
		if (credential_host_matches(c->host, "github.com")) {
			export_line(&out, "GH_TOKEN", tok.value);
		} else {
			/* gh would offer GH_TOKEN to github.com too */
			export_line(&out, "GH_ENTERPRISE_TOKEN", tok.value);
			export_line(&out, "GH_HOST", c->host);
		}
		export_line(&out, "GH_TOKEN_EXPIRES_AT", when);
	} else {
		sb_addf(&out, "%s\n", tok.value);
	}
	if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout))
		ret = raxx_fail(RAXX_EINTERNAL, "cannot write the token to stdout");
out:
	sb_release(&out);
	token_release(&tok);
	token_source_close(ts);
	return cli_report(ret);
}

int cmd_exec(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "gh", no_argument, NULL, 'g' },
		{ "shim", required_argument, NULL, 's' },
		{ "keep-env", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct exec_opts o = { .caller = cli_caller_settings };
	int opt, ret = 0, i;

	while ((opt = cli_getopt(argc, argv, "+:h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'g':
			o.gh = 1;
			break;
		case 's':
			o.shim = cli_optarg;
			o.gh = 1;
			break;
		case 'k':
			o.keep_env = 1;
			break;
		default:
			return ret;
		}
	}
	i = optind;
	if (i >= argc && !o.gh)
		return cli_usage_error("exec", "no command given: exec -- CMD [ARGS]");
	/* returns only when nothing ran; it has said why */
	return exec_with_token(c, argv + i, argc - i, &o);
}

int cmd_revoke(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret = 0;

	while ((opt = cli_getopt(argc, argv, "+:h", longopts, &ret)) != -1)
		return ret;
	if (optind < argc)
		return cli_usage_error("revoke", "unexpected argument '%s'",
				       argv[optind]);
	if ((ret = identity_settle(c, c->opt_repo)))
		return cli_report(ret);
	if (!c->id->bot)
		return cli_report(no_bot());
	return cli_report(revoke_tokens(c));
}

/* Characters that make git run a helper string through the shell. */
#define SHELL_SPECIAL "|&;<>()$`\\\"' \t\n*?[#~=%"

/* dir (made absolute, symlinks resolved) + "/" + name; NULL on failure. */
static char *absolute_in(const char *dir, const char *name)
{
	char *real = realpath(*dir ? dir : ".", NULL), *p;

	if (!real)
		return NULL;
	p = xstrfmt("%s/%s", strcmp(real, "/") ? real : "", name);
	free(real);
	return p;
}

/*
 * This program by absolute path, for the helper string: the name it was
 * run by (a symlink stays a symlink, so an upgrade that moves the target
 * keeps working), found in PATH when it has no '/'; NULL when none.
 */
static char *program_path(const char *argv0)
{
	const char *slash = strrchr(argv0, '/'), *path = env_get("PATH"), *p, *q;
	char *dir, *found = NULL;

	if (slash) {
		dir = xstrndup(argv0, (size_t)(slash - argv0));
		found = absolute_in(slash == argv0 ? "/" : dir, slash + 1);
		free(dir);
		return found;
	}
	for (p = path; p && !found; p = *q ? q + 1 : NULL) {
		char *cand;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		dir = xstrndup(p, (size_t)(q - p));
		cand = xstrfmt("%s/%s", *dir ? dir : ".", argv0);
		if (!access(cand, X_OK))
			found = absolute_in(dir, argv0);
		free(cand);
		free(dir);
	}
	return found;
}

int cmd_setup(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "undo", no_argument, NULL, 'u' },
		{ "handoff", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup_opts o = { 0 };
	char *prog;
	int opt, ret = 0;

	while ((opt = cli_getopt(argc, argv, "+:nqh", longopts, &ret)) != -1) {
		switch (opt) {
		case 'n':
			o.dry_run = 1;
			break;
		case 'u':
			o.undo = 1;
			break;
		case 'H':
			o.handoff = cli_optarg;
			break;
		case 'q':
			log_verbosity = -1;
			break;
		default:
			return ret;
		}
	}
	if (optind < argc)
		return cli_usage_error("setup", "unexpected argument '%s'",
				       argv[optind]);
	if (o.handoff && !handoff_slug_ok(o.handoff))
		return cli_usage_error("setup", "--handoff needs a slug: letters, "
				       "digits, '-' and '_', at most %d",
				       HANDOFF_SLUG_MAX);
	if (o.handoff && o.undo)
		return cli_usage_error("setup", "--handoff and --undo exclude each "
				       "other");
	/* by absolute path, git runs the helper itself: one process less */
	prog = program_path(cli_argv0);
	if (prog && !prog[strcspn(prog, SHELL_SPECIAL)]) {
		o.program = prog;
	} else {
		if (prog)
			notice("setup: this program's path holds characters git "
			       "would hand to the shell: the helper is 'raxx' "
			       "(git-credential-raxx in PATH)");
		o.program = "raxx";
	}
	ret = cli_report(setup_worktree(c, &o));
	free(prog);
	return ret;
}
