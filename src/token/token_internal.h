#ifndef RAXX_TOKEN_INTERNAL_H
#define RAXX_TOKEN_INTERNAL_H

/*
 * What the files of the token source share with one another; nothing
 * else includes this. The contract is token.h.
 *
 *   token.c          a bot's token, and what the callers ask for:
 *                    token_get, token_get_for_bot, token_peek,
 *                    token_refresh_ahead (audited there).
 *   token_handoff.c  a handoff's token: its warm and cold paths, the
 *                    records hook (handoff_records.h), token_get_handoff.
 *   token_flight.c   the source and the pieces it holds (cache, vault,
 *                    GitHub, broker), the mint, and the single flight
 *                    (token_fly) both paths use.
 *
 * Calls go one way: token.c -> token_handoff.c -> token_flight.c, and
 * token.c -> token_flight.c.
 */

#include "token.h"
#include "services/vault.h"	/* struct vault_settings, held by the source */

struct cache_entry;

struct token_source {
	struct raxx_config *c;
	int refresh;		/* the background re-mint (token_refresh_ahead) */
	struct cache *cache;
	int cache_tried;
	struct vault_settings vs;
	int have_vs;
	struct vault *v;
	struct github *gh;
	char *broker;		/* the broker's socket, when one is in use */
	int broker_looked;
};

/* A vault session logged in here is handed to the cache, so the next
 * process skips the login. */
void token_keep_session(struct token_source *ts);

/* Fill out from a cache entry (its secret and installation id are taken,
 * the rest released); bot and repo are copied. */
void token_from_entry(struct cache_entry *e, const char *bot,
		      const char *repo, const char *source, struct token *out);

/* ---- the single flight */

struct flight {
	/* the entry whose lock makes the cold path single flight */
	const char *lock_api, *lock_name, *lock_scope;
	/* 1 with out filled when the cache holds a token living more than
	 * min_ttl seconds, 0 when not; an error: *err set */
	int (*warm)(struct token_source *ts, void *ctx, long min_ttl,
		    struct token *out, int *err);
	int (*cold)(struct token_source *ts, void *ctx, struct token *out);
	void *ctx;
	/* refresh ahead (refresh.h): whether the token warm() found may be
	 * re-minted in the background (NULL: yes), and the options that make
	 * the background process settle this identity */
	int (*refreshable)(void *ctx);
	const char *refresh_opts[6];
};

/* refresh_now: nothing to do (not an exit code) */
#define REFRESH_NOTHING (-1)

/*
 * f's token: warm, else under the entry's lock (another process minting:
 * wait for it and reuse its token), cold; during an outage a cached token
 * that still lives TOKEN_OUTAGE_MIN_TTL. A warm token close to its end
 * starts a refresh ahead. With ts->refresh, the background re-mint
 * instead (REFRESH_NOTHING: another process holds the lock, or the token
 * was renewed meanwhile). 0 with out filled, or the failed step's code.
 */
int token_fly(struct token_source *ts, const struct flight *f,
	      struct token *out);

/* ---- token_handoff.c */

/*
 * token_peek for handoff slug: 1 with out filled when the cached manifest
 * and token serve (err: the manifest refuses repo), 0 when not, -1 when
 * not looked at (a bad slug, or no vault settings: that error stays
 * recorded).
 */
int token_handoff_peek(struct token_source *ts, const char *slug,
		       const char *repo, struct token *out, int *err);

#endif
