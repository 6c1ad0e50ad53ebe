#ifndef RAXX_TOKEN_VALUE_H
#define RAXX_TOKEN_VALUE_H

/*
 * A token as the program holds it, from wherever it came (the cache, a
 * mint, the broker, the environment). Apart from token.h so that the
 * broker's client and the gh shim, which link no libcurl, can fill and
 * release one.
 */

#include <time.h>

/* A token still this long alive is served during an outage. */
#define TOKEN_OUTAGE_MIN_TTL 60

struct token {
	char *value;		/* secret: wiped on release */
	time_t expires_at;	/* local clock */
	const char *source;	/* "cache", "mint" or "cache, during an outage" */
	char *bot;		/* the bot it was minted for */
	char *repo;		/* the scope "OWNER/REPO", or NULL */
	char *installation_id;	/* the installation it was minted for */
};

/* Wipe and free t's fields; t is zeroed. */
void token_release(struct token *t);

#endif
