#define _POSIX_C_SOURCE 200809L
#include "ghexec.h"
#include "handoff.h"
#include "audit.h"
#include "log.h"
#include "mint.h"
#include "protocol.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Minting failed with code (message recorded): apply the fallback policy.
 * Returns 0 to go on and run the command, or code (deny).
 */
static int exec_fallback(struct raxx_config *c, int code, const char *what)
{
	const char *pat = env_get("RAXX_OPERATOR_TOKEN");
	const char *bot = c->bot ? c->bot : "(no bot)";
	char why[120];

	snprintf(why, sizeof(why), "not running %s", what);
	if (handoff_refuse_fallback(c, code, why))
		return code;
	switch (c->fallback) {
	case FALLBACK_PAT:
		if (pat) {
			warning("minting for %s failed (exit %d): %s; running %s with "
				"the operator token RAXX_OPERATOR_TOKEN (RAXX_FALLBACK="
				"pat): it acts as you, not the bot", bot, code,
				raxx_errmsg(), what);
			audit_record(c, "fallback", c->opt_repo, pat, 0,
				     "exec, RAXX_FALLBACK=pat: the operator token");
			gh_set_token_env(c, pat);
			return 0;
		}
		warning("minting for %s failed (exit %d): %s; no operator token "
			"(RAXX_OPERATOR_TOKEN unset), so running %s with its own "
			"credentials (RAXX_FALLBACK=pat acts as pass)", bot, code,
			raxx_errmsg(), what);
		audit_record(c, "fallback", c->opt_repo, NULL, 0,
			     "exec, RAXX_FALLBACK=pat without RAXX_OPERATOR_TOKEN: "
			     "the command's own credentials");
		return 0;
	case FALLBACK_PASS:
		warning("minting for %s failed (exit %d): %s; running %s with its "
			"own credentials, not the bot's (RAXX_FALLBACK=pass)", bot,
			code, raxx_errmsg(), what);
		audit_record(c, "fallback", c->opt_repo, NULL, 0,
			     "exec, RAXX_FALLBACK=pass: the command's own credentials");
		return 0;
	case FALLBACK_DENY:
		break;
	}
	error_msg("minting for %s failed (exit %d): %s; not running %s "
		  "(RAXX_FALLBACK=deny)", bot, code, raxx_errmsg(), what);
	return code;
}

int exec_with_token(struct raxx_config *c, char **argv, int argc,
		    const struct exec_opts *o)
{
	struct mint_result res;
	char **cmd = NULL, *gh = NULL, *chain = NULL, what[80];
	int ret, i, err;

	if (o->gh) {
		gh = find_real_gh(o->shim, env_get(GH_CHAIN_ENV), &chain);
		if (!gh) {
			error_msg("%s", raxx_errmsg());
			return RAXX_ENOTFOUND;
		}
		cmd = xcalloc((size_t)argc + 2, sizeof(*cmd));
		cmd[0] = gh;
		for (i = 0; i < argc; i++)
			cmd[i + 1] = argv[i];
		snprintf(what, sizeof(what), "gh");
	} else {
		if (argc < 1) {
			error_msg("exec: no command given: exec -- CMD [ARGS]");
			return RAXX_EUSAGE;
		}
		cmd = xcalloc((size_t)argc + 1, sizeof(*cmd));
		for (i = 0; i < argc; i++)
			cmd[i] = argv[i];
		sanitize(what, sizeof(what), argv[0]);
	}

	if ((ret = config_load(c)) || (ret = config_resolve_bot(c))) {
		error_msg("%s", raxx_errmsg());
		goto out;
	}
	ret = c->bot || handoff_slug(c) ? mint_get_token(c, c->opt_repo, &res) :
		raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot or "
			  "--agent, or set raxx.bot or raxx.agent "
			  "(git-credential-raxx setup)");
	if (!ret) {
		trace("exec: %s with %s's token (from %s)", what,
		      c->bot ? c->bot : "the handoff", res.source);
		gh_set_token_env(c, res.token);
		mint_result_release(&res);
	} else if ((ret = exec_fallback(c, ret, what))) {
		goto out;
	}
	raxx_clear_error();
	if (chain)
		setenv(GH_CHAIN_ENV, chain, 1);
	gh_restore_process(o);
	fflush(NULL);
	if (o->gh)
		execv(cmd[0], cmd);
	else
		execvp(cmd[0], cmd);
	err = errno;
	ret = err == ENOENT || err == ENOTDIR ? RAXX_ENOTFOUND : RAXX_ECANNOTRUN;
	error_msg("exec: cannot run '%s': %s", what, strerror(err));
out:
	free(cmd);
	free(gh);
	free(chain);
	return ret;
}
