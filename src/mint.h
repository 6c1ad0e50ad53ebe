#ifndef RAXX_MINT_H
#define RAXX_MINT_H

/*
 * Getting the bot's token: from the cache when a live one is there, else
 * minted (vault secrets -> App JWT -> installation token) and cached.
 * Returns 0, or the exit code of the step that failed (DESIGN.md table)
 * with its message recorded.
 */

#include <time.h>

#include "config.h"

struct mint_result {
	char *token;		/* secret */
	time_t expires_at;	/* local clock */
	const char *source;	/* "mint" or "cache" */
	char *repo;		/* the scope, "OWNER/REPO" or NULL */
};

/* repo: "OWNER/REPO" to narrow the token to, or NULL. */
int mint_get_token(struct raxx_config *c, const char *repo,
		   struct mint_result *out);
void mint_result_release(struct mint_result *r);

#endif
