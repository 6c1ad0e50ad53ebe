#ifndef RAXX_OWNERS_H
#define RAXX_OWNERS_H

/*
 * The accounts whose installations of a bot's App may be used besides the
 * vault's own (DESIGN.md "Trust": installations per owner): RAXX_OWNERS,
 * else git config raxx.owners, logins separated by spaces or commas.
 * discover.h applies them; this module only reads and matches them.
 *
 * Trust: the setting widens what a bot's token may reach (an installation
 * of a public App on any account that installed it), so it is taken only
 * from where the operator sets things up: the environment, the global and
 * system git config, and `git -c`. A raxx.owners in the repository's own
 * config (local or worktree scope, which an agent writes with a plain
 * `git config`) is ignored, with a warning naming where to set it instead.
 * The last value of the honoured scopes wins, as in git; an empty one is
 * none.
 */

#include <stddef.h>

struct raxx_config;

struct owners {
	char **logins;		/* as given (GitHub compares them ignoring case) */
	size_t nr;
	char *source;		/* "RAXX_OWNERS", "raxx.owners (global config)";
				   NULL when none is set */
};
#define OWNERS_INIT { NULL, 0, NULL }

/*
 * Read the setting into *o (empty when none). Returns 0, or RAXX_EUSAGE
 * when an entry is not a GitHub login (message recorded, *o empty).
 */
int owners_load(struct raxx_config *c, struct owners *o);

/* Parse list ("a b,c") from source into *o; 0 or RAXX_EUSAGE. */
int owners_parse(struct owners *o, const char *list, const char *source);

void owners_release(struct owners *o);

/* Whether login is one of o's (ignoring case, as GitHub does); o may be NULL. */
int owners_has(const struct owners *o, const char *login);

/* o's logins joined with ", " (fresh), "" when none. */
char *owners_list(const struct owners *o);

#endif
