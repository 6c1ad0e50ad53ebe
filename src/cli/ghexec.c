#define _POSIX_C_SOURCE 200809L
#include "ghexec.h"
#include "token/child_env.h"
#include "token/fallback.h"
#include "identity/identity.h"
#include "base/log.h"
#include "token/token.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int exec_with_token(struct raxx_config *c, char **argv, int argc,
		    const struct exec_opts *o)
{
	struct fallback_decision d;
	struct token_source *ts = NULL;
	struct token tok = { 0 };
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
		snprintf(what, sizeof(what), "%s", argv[0]);
	}

	if ((ret = identity_settle(c, c->opt_repo))) {
		error_msg("%s", raxx_errmsg());
		goto out;
	}
	ts = token_source_open(c);
	ret = token_get(ts, &tok);
	if (!ret) {
		trace("exec: %s with %s's token (from %s)", what, tok.bot,
		      tok.source);
		child_env_prepare(c->host, tok.value, tok.bot, tok.expires_at,
				  o->keep_env);
		token_release(&tok);
	} else {
		fallback_decide(c, &d);
		fallback_announce(c, &d, what);
		if (d.action == FALLBACK_REFUSE)
			goto out;
		ret = 0;
		child_env_prepare(c->host, d.action == FALLBACK_USE_PAT ? d.pat :
				  NULL, NULL, 0, o->keep_env);
	}
	/* the vault session goes to the cache before this process is gone */
	token_source_close(ts);
	ts = NULL;
	raxx_clear_error();
	if (chain)
		setenv(GH_CHAIN_ENV, chain, 1);
	process_restore(&o->caller);
	fflush(NULL);
	if (o->gh)
		execv(cmd[0], cmd);
	else
		execvp(cmd[0], cmd);
	err = errno;
	ret = err == ENOENT || err == ENOTDIR ? RAXX_ENOTFOUND : RAXX_ECANNOTRUN;
	error_msg("exec: cannot run '%s': %s", what, strerror(err));
out:
	token_source_close(ts);
	free(cmd);
	free(gh);
	free(chain);
	return ret;
}
