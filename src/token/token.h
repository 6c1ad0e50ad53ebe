#ifndef RAXX_TOKEN_H
#define RAXX_TOKEN_H

/*
 * The one token source: every token the program hands out (get, token,
 * exec, the gh shim's cold path, doctor's mint check, handoff provision)
 * comes through here.
 *
 * A token source is opened once per process and holds what the calls
 * share: the token cache (cache.h), the vault client and its session
 * (vault.h), the GitHub client (github.h), each opened on first need.
 *
 *   token_get(ts, id):  the identity's entry, warm from the cache, else
 *     under the entry's lock (single flight: one process mints, the others
 *     wait and reuse its result), cold: minted and stored.
 *       a bot:      entry (RAXX_GITHUB_API, bot, scope key of the identity),
 *                   minted by mint.h with the identity's repository and
 *                   permissions;
 *       a handoff:  the manifest (handoff_manifest.h) decides the bot, the
 *                   repository and the permissions; warm from the cached
 *                   manifest and token, cold from the vault's manifest,
 *                   checked by the policy, then minted narrowed to it.
 *     The same single-flight code serves both.
 *   During an outage (raxx_err_outage()), a cached token that still lives
 *   at least TOKEN_OUTAGE_MIN_TTL seconds is served, with a warning,
 *   before any caller thinks of a fallback.
 *   Every outcome is audited (mint, reuse, fail).
 *
 * When a token broker is in use (broker_client.h), token_get,
 * token_get_for_bot and token_peek ask it instead, and this process needs
 * no vault identity: the broker mints, caches, audits and decides the
 * fallback (fallback_decide finds its decision).
 */

#include <time.h>

#include "identity/config.h"
#include "token_value.h"


struct token_source;
struct identity;
struct token_scope;
struct cache;
struct vault;
struct vault_settings;
struct github;

/* Never fails: what cannot be opened is opened (and reported) on need. */
struct token_source *token_source_open(struct raxx_config *c);
void token_source_close(struct token_source *ts);

/* c->id's token. Returns 0, or the exit code of the step that failed
 * (DESIGN.md table) with its message recorded. */
int token_get(struct token_source *ts, struct token *out);

/* bot's token for its whole installation, whoever asks (setup's author
 * look-up, doctor); cached and audited like token_get's. */
int token_get_for_bot(struct token_source *ts, const char *bot,
		      struct token *out);

/* The token of handoff slug for repo (NULL: the manifest's), whoever
 * asks: `handoff verify`. Audited by the caller. */
int token_get_handoff(struct token_source *ts, const char *slug,
		      const char *repo, struct token *out);

/*
 * A fresh token for bot narrowed to scope exactly as given, neither read
 * from nor stored in the cache: handoff provision's reach check. Not
 * audited here.
 */
int token_mint_scoped(struct token_source *ts, const char *bot,
		      const struct token_scope *scope, struct token *out);

/* c->id's cached token, if one still lives, from the cache alone: no
 * network, not audited (status). 1 with out filled, else 0. */
int token_peek(struct token_source *ts, struct token *out);

/*
 * The background re-mint of refresh ahead (refresh.h) for c->id: under
 * the entry's lock, taken without waiting, unless another process holds
 * it or has renewed the token meanwhile; the new token is cached, and
 * audited ("mint", reason "refresh ahead"; a failure "fail"). 0, or the
 * failed step's code.
 */
int token_refresh_ahead(struct token_source *ts);

/* The broker's socket when one is in use, else NULL. */
const char *token_source_broker(struct token_source *ts);

/* Whether this process can have a bot's token at all: a vault identity
 * (the client secret, from the environment or a file) or a broker. */
int token_can_mint(void);

/* The shared pieces, for the commands that work on them directly
 * (revoke, handoff). NULL (cache: none to use) or an error code. */
struct cache *token_source_cache(struct token_source *ts);
int token_source_vault(struct token_source *ts, struct vault **v,
		       const struct vault_settings **vs);
int token_source_github(struct token_source *ts, struct github **gh);

#endif
