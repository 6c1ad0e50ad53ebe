/*
 * A token handed to a child process in its environment: the contract is
 * in child_env.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "child_env.h"
#include "store/clientsecret.h"
#include "base/protocol.h"
#include "base/log.h"
#include "base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int is_github_com(const char *host)
{
	return credential_host_matches(host, "github.com");
}

/* What a child never needs and an agent must never hold: the vault
 * identity (and where its secret is kept), Cloudflare's secret, the
 * operator's PAT. */
static const char *const identity_vars[] = {
	CLIENT_SECRET_ENV, CLIENT_SECRET_FILE_ENV,
	"CF_ACCESS_CLIENT_SECRET", "RAXX_OPERATOR_TOKEN",
};

void child_env_prepare(const char *host, const char *tok, const char *bot,
		       time_t expires_at, int keep_env)
{
	size_t i;

	if (!keep_env)
		for (i = 0; i < sizeof(identity_vars) / sizeof(*identity_vars); i++)
			unsetenv(identity_vars[i]);
	unsetenv(TOKEN_FOR_ENV);
	if (!tok)
		return;
	if (is_github_com(host)) {
		setenv("GH_TOKEN", tok, 1);
	} else {
		/* gh would offer GH_TOKEN to github.com: an enterprise token
		 * goes only where gh sends it to the enterprise host */
		unsetenv("GH_TOKEN");
		setenv("GH_ENTERPRISE_TOKEN", tok, 1);
		setenv("GH_HOST", host, 1);
	}
	if (bot) {
		char *v = xstrfmt("%s %s %lld", bot, host, (long long)expires_at);

		setenv(TOKEN_FOR_ENV, v, 1);
		free(v);
	}
}

const char *child_token_inherited(const char *host, const char *bot,
				  time_t min_left, time_t *expires_at)
{
	const char *mark = getenv(TOKEN_FOR_ENV), *tok;
	char *want;
	size_t n;
	long exp;
	int same;

	if (!mark || !bot || client_secret_in_env())
		return NULL;
	want = xstrfmt("%s %s ", bot, host);
	n = strlen(want);
	same = !strncmp(mark, want, n) && !parse_long(mark + n, 1, LONG_MAX, &exp);
	free(want);
	if (!same || exp - now_seconds() <= min_left)
		return NULL;
	tok = env_get(is_github_com(host) ? "GH_TOKEN" : "GH_ENTERPRISE_TOKEN");
	if (!tok || strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789._") != strlen(tok))
		return NULL;
	*expires_at = (time_t)exp;
	return tok;
}

int child_token_take(const char *host, const char *bot, struct token *out)
{
	const char *tok;
	time_t exp;

	if (!(tok = child_token_inherited(host, bot, TOKEN_OUTAGE_MIN_TTL, &exp)))
		return 0;
	memset(out, 0, sizeof(*out));
	out->value = xstrdup(tok);
	out->expires_at = exp;
	out->source = "given to this command";
	out->bot = xstrdup(bot);
	trace("token: %s's token as given to this command (%s)", bot,
	      TOKEN_FOR_ENV);
	return 1;
}
