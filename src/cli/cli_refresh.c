/*
 * refresh-ahead: the background re-mint that a warm call starts when its
 * token is close to its end (refresh.h). Its caller has already detached
 * it: stdin, stdout and stderr are /dev/null.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "identity/identity.h"
#include "base/log.h"
#include "token/token.h"
#include "base/util.h"

#include <string.h>
#include <unistd.h>

int cmd_refresh_ahead(struct raxx_config *c, int argc, char **argv)
{
	struct token_source *ts;
	const char *t = env_get("RAXX_TIMEOUT");
	long secs = 30;
	int ret;

	if (argc > 1)
		return cli_usage_error(argv[0], "no arguments expected");
	/* the HTTP deadline is RAXX_TIMEOUT already; this bounds the rest
	 * (a lock, git) too */
	if (t && parse_long(t, 1, 3600, &secs))
		secs = 30;
	alarm((unsigned)secs + 5);
	if ((ret = identity_settle(c, c->opt_repo)))
		return cli_report(ret);
	ts = token_source_open(c);
	ret = token_refresh_ahead(ts);
	token_source_close(ts);
	return cli_report(ret);
}
