#ifndef RAXX_REVOKE_H
#define RAXX_REVOKE_H

/*
 * Forgetting tokens: the `erase` and `revoke` actions over the cache
 * (cache.h), each audited (audit.h); with a token broker in use, over the
 * broker's tokens (broker_client.h), which audits.
 */

#include "identity/config.h"

/*
 * erase: drop every cached token equal to token (compared in constant
 * time), whichever bot or scope it was minted for. Returns how many
 * entries were dropped (0 when none matched or there is no cache).
 */
int erase_token(struct raxx_config *c, const char *token);

/*
 * revoke: for each live cached token of c->bot minted at c->api (every
 * scope), under the entry's lock: DELETE /installation/token at GitHub,
 * then drop the entry. A token GitHub no longer knows (401) is dropped
 * too. Returns 0 when at least one was revoked and none failed;
 * RAXX_ENOTHING when the cache held none; RAXX_EVAULT without
 * INFISICAL_CLIENT_SECRET (the cache cannot be opened); else the first
 * failure's code (the entries that failed stay cached).
 */
int revoke_tokens(struct raxx_config *c);

#endif
