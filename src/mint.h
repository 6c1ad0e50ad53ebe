#ifndef RAXX_MINT_H
#define RAXX_MINT_H

/*
 * Getting the bot's token: from the cache when a live one is there, else
 * minted (vault secrets -> App JWT -> installation token) and cached.
 * Returns 0, or the exit code of the step that failed (DESIGN.md table)
 * with its message recorded.
 *
 * The cache (cache.h) is read first without a lock; on a miss the entry's
 * lock is taken and the cache read again (another process may have just
 * minted), and only then is a token minted and stored. A vault session
 * from the cache saves the login. Each outcome is audited (audit.h):
 * reuse, mint, or fail with the reason.
 */

#include <time.h>

#include "config.h"

struct mint_result {
	char *token;		/* secret */
	time_t expires_at;	/* local clock */
	const char *source;	/* "mint" or "cache" */
	char *repo;		/* the scope, "OWNER/REPO" or NULL */
	char *installation_id;	/* the installation it was minted for */
};

/* repo: "OWNER/REPO" to narrow the token to, or NULL. */
int mint_get_token(struct raxx_config *c, const char *repo,
		   struct mint_result *out);
/*
 * A fresh token for c->bot narrowed to scope exactly as given (scope->repo
 * and scope->perms, not the agent map's), neither read from nor stored in
 * the token cache (a vault session in the cache is still reused): for
 * callers that keep their own entries (handoff.c). Not audited here.
 */
struct token_scope;
int mint_fresh_scoped(struct raxx_config *c, const struct token_scope *scope,
		      struct mint_result *out);
void mint_result_release(struct mint_result *r);

/* A vault key that means want but is spelt otherwise ("app-id",
 * "App_Id" for APP_ID: upper-cased, '-' as '_'); never want itself. */
int key_looks_like(const char *have, const char *want);

#endif
