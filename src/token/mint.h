#ifndef RAXX_MINT_H
#define RAXX_MINT_H

/*
 * Minting, the mechanics only: bot's App secrets from the vault
 * ({prefix}/{bot}: APP_ID, INSTALLATION_ID, PRIVATE_KEY_PEM), the App JWT,
 * and POST /app/installations/{id}/access_tokens narrowed to the scope, on
 * the installation discover.h picks (the vault's, or that of the
 * repository's owner when the owner is allowed); a stale or missing
 * INSTALLATION_ID healed there too. No cache, no
 * audit, no policy: token.h decides when to mint and what to keep.
 * Returns 0, or the exit code of the step that failed (DESIGN.md table)
 * with its message recorded.
 */

#include "services/github.h"

struct vault;
struct vault_settings;
struct owners;

struct mint_clients {
	struct vault *v;
	const struct vault_settings *vs;
	struct github *gh;
	const char *api;	/* RAXX_GITHUB_API, for discover's memories */
	const char *host;	/* the git host, to judge the origin by */
	const struct owners *owners;	/* the accounts beside the vault's
					   whose installations may be used
					   (owners.h); NULL: none */
};

struct mint_request {
	const char *bot;
	const struct token_scope *scope;	/* NULL: the whole installation */
	const char *repo_hint;	/* to find the installation by when the
				   vault's is stale; NULL: the scope's, else
				   the worktree's origin */
};

int mint_installation_token(const struct mint_clients *mc,
			    const struct mint_request *rq, struct gh_token *out,
			    char **installation_id);

/*
 * The two halves of mint_installation_token, for the broker, which holds
 * a bot's App key between mints (so that a re-mint is one request):
 *
 * mint_fetch_secrets: bot's secrets from the vault (mc->v, mc->vs) into
 * *out, checked for the required keys (RAXX_ESECRETS naming what is
 * missing); *path (fresh) gets the folder, for messages.
 *
 * mint_with_key: the JWT and GitHub only, with key (loaded from
 * PRIVATE_KEY_PEM), app_id and the vault's INSTALLATION_ID (NULL when
 * absent); mc->v is not used.
 */
struct vault_secrets;
struct jwt_key;
int mint_fetch_secrets(const struct mint_clients *mc, const char *bot,
		       struct vault_secrets *out, char **path);
int mint_with_key(const struct mint_clients *mc, const struct mint_request *rq,
		  struct jwt_key *key, const char *app_id, const char *vault_inst,
		  const char *vault_path, struct gh_token *out,
		  char **installation_id);

/* A vault key that means want but is spelt otherwise ("app-id",
 * "App_Id" for APP_ID: upper-cased, '-' as '_'); never want itself. */
int key_looks_like(const char *have, const char *want);

#endif
