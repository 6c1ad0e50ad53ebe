/*
 * get, store, erase: git's credential-helper protocol (protocol.h) on
 * stdin and stdout. Only protocol lines reach stdout; everything else
 * goes to stderr through the message sink.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "author.h"
#include "token/fallback.h"
#include "services/http.h"
#include "identity/identity.h"
#include "base/log.h"
#include "base/protocol.h"
#include "token/revoke.h"
#include "token/token.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

/* No options but --help: git passes none. */
static int no_options(int argc, char **argv, int *ret)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(cli_help_text(argv[0]), stdout);
		*ret = 0;
		return 1;
	}
	*ret = 0;
	return 0;	/* anything else is git's business: ignored */
}

/* The repository of the request: --repo, else the credential's path. */
static char *request_repo(struct raxx_config *c, const struct credential *cred)
{
	char *repo = NULL;

	if (c->opt_repo)
		return xstrdup(c->opt_repo);
	if (cred->path && credential_repo(cred->path, &repo))
		warning("ignoring path '%s': not OWNER/REPO; the token is not "
			"narrowed to a repository", cred->path);
	return repo;
}

int cmd_get(struct raxx_config *c, int argc, char **argv)
{
	struct credential cred = CREDENTIAL_INIT;
	struct fallback_decision d;
	struct token_source *ts = NULL;
	struct token tok = { 0 };
	char *repo = NULL;
	int ret;

	if (no_options(argc, argv, &ret))
		return ret;
	if ((ret = credential_read(&cred, stdin, http_deadline())) ||
	    (ret = credential_check_complete(&cred)) || (ret = cli_load(c)))
		goto out;
	if (strcmp(cred.protocol, "https") ||
	    !credential_host_matches(cred.host, c->host)) {
		trace("not answering for %s://%s (configured: https://%s)",
		      cred.protocol, cred.host, c->host);
		goto out;
	}
	repo = request_repo(c, &cred);
	if ((ret = identity_settle(c, repo))) {
		/* a refused handoff override: git must not ask anyone else */
		if (ret == RAXX_EHANDOFF)
			credential_write_quit(stdout);
		goto out;
	}
	if (!c->id->bot && !c->id->handoff)
		goto out;	/* git asks its next helper */
	author_keep(c);		/* the worktree's commits stay the bot's */
	ts = token_source_open(c);
	if (!(ret = token_get(ts, &tok))) {
		ret = credential_write(stdout, "x-access-token", tok.value,
				       tok.expires_at);
		goto out;
	}
	fallback_decide(c, &d);
	fallback_announce(c, &d, NULL);
	raxx_clear_error();
	/* git ignores get's status; scripts see the failure's */
	ret = d.code;
	if (d.action == FALLBACK_USE_PAT)
		ret = credential_write(stdout, "x-access-token", d.pat, 0);
	else if (d.action == FALLBACK_REFUSE)
		credential_write_quit(stdout);
out:
	token_release(&tok);
	token_source_close(ts);
	free(repo);
	credential_release(&cred);
	return cli_report(ret);
}

int cmd_store(struct raxx_config *c, int argc, char **argv)
{
	struct credential cred = CREDENTIAL_INIT;
	int ret;

	(void)c;
	if (no_options(argc, argv, &ret))
		return ret;
	/* read it all, so git never sees a closed pipe; nothing is stored */
	ret = credential_read(&cred, stdin, http_deadline());
	credential_release(&cred);
	return cli_report(ret);
}

int cmd_erase(struct raxx_config *c, int argc, char **argv)
{
	struct credential cred = CREDENTIAL_INIT;
	int ret;

	if (no_options(argc, argv, &ret))
		return ret;
	ret = credential_read(&cred, stdin, http_deadline());
	/* git rejected this password: forget it if it is a cached token */
	if (!ret && cred.password && cred.protocol && cred.host &&
	    !strcmp(cred.protocol, "https") && !(ret = cli_load(c)) &&
	    credential_host_matches(cred.host, c->host))
		erase_token(c, cred.password);
	credential_release(&cred);
	return cli_report(ret);
}
