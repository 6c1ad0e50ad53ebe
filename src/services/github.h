#ifndef RAXX_GITHUB_H
#define RAXX_GITHUB_H

/*
 * GitHub's REST API as a GitHub App: installation tokens and the look-ups
 * around them. Every request carries Accept: application/vnd.github+json,
 * X-GitHub-Api-Version: 2022-11-28 and the program's User-Agent.
 *
 * Clock: GitHub judges the JWT by its own clock. The client keeps the
 * offset (GitHub's Date minus local time) of the last answer; after a 401
 * that names 'exp' or 'iat', it signs again with that offset and retries
 * once. expires_at values are turned into local time with that offset,
 * rounded so they are never later than the real expiry.
 *
 * Exit codes: transport, 5xx, redirects, unusable answers: RAXX_EGITHUB;
 * 401/403/422 on App endpoints: RAXX_EAPPCRED with GitHub's own message;
 * installation 404: RAXX_ENOINST.
 */

#include <stddef.h>
#include <time.h>

#include "jwt.h"

struct github;

/* An expires_at further ahead than this (after clock correction) is an
 * unusable answer: installation tokens live one hour. */
#define GITHUB_MAX_TOKEN_LIFE (2 * 3600)

/* api: RAXX_GITHUB_API (no trailing '/'). NULL with the error recorded. */
struct github *github_new(const char *api);
void github_free(struct github *gh);
/*
 * Open the connection to GitHub now, while the caller asks the vault
 * (http.h http_preconnect): an unauthenticated GET /rate_limit, the one
 * request GitHub answers without counting it against any rate limit, its
 * answer dropped. The next request then skips the TLS handshake.
 * RAXX_PRECONNECT=0 turns it off.
 */
void github_preconnect(struct github *gh);

int github_requests(const struct github *gh);
int github_connections(const struct github *gh);
long github_clock_offset(const struct github *gh);

struct gh_permission {
	const char *name;
	const char *level;
};

/* What a token is narrowed to: none of it means the whole installation. */
struct token_scope {
	const char *repo;		/* "OWNER/REPO" or NULL */
	const struct gh_permission *perms;
	size_t nr_perms;
};

struct gh_token {
	char *token;		/* secret */
	time_t expires_at;	/* local clock */
};

/*
 * POST /app/installations/{installation_id}/access_tokens signed with key
 * for app_id. what names the bot in messages. On success out holds a
 * token of [A-Za-z0-9._] only, with an expiry in the future.
 */
int github_create_token(struct github *gh, struct jwt_key *key,
			const char *app_id, const char *installation_id,
			const struct token_scope *scope, const char *what,
			struct gh_token *out);
void gh_token_release(struct gh_token *t);

/*
 * Parse a 201 answer of access_tokens; offset (GitHub minus local clock)
 * turns expires_at into local time. Refuses (RAXX_EGITHUB) non-JSON, a
 * token missing or with characters outside [A-Za-z0-9._], expires_at
 * missing, malformed, already past, or more than GITHUB_MAX_TOKEN_LIFE
 * ahead.
 */
int github_parse_token(const char *body, size_t len, long offset,
		       const char *what, struct gh_token *out);

/* DELETE /installation/token with the token itself. 0 when revoked,
 * 1 when GitHub no longer knew it (401), else an error code. */
int github_revoke_token(struct github *gh, const char *token);

/* GET {path} with an installation token (e.g. "/installation/repositories
 * ?per_page=100"); body into *json (fresh). 0 and *status for any answer. */
int github_token_get(struct github *gh, const char *token, const char *path,
		     long *status, char **json);

/*
 * GET /repos/{owner_repo}/installation with the JWT: the id (fresh
 * string), or RAXX_ENOINST when the App is not installed there. One 301,
 * 307 or 308 within the API (a renamed organization or repository) is
 * followed, the JWT going there only; any other redirect is RAXX_EGITHUB
 * with a message naming where it pointed.
 */
int github_find_installation(struct github *gh, struct jwt_key *key,
			     const char *app_id, const char *owner_repo,
			     char **installation_id);

/* An installation as GitHub describes it: its id and the account it is
 * installed on (DESIGN.md "Trust": installations per owner). */
struct gh_installation {
	char *id;		/* decimal, fresh */
	char *account;		/* the account's login (fresh), or NULL when
				   GitHub names none (an enterprise) */
	long long account_id;	/* the account's numeric id, 0 with no login */
};
void gh_installation_release(struct gh_installation *in);

/* github_find_installation with the account: GET
 * /repos/{owner_repo}/installation, the same redirects followed. */
int github_repo_installation(struct github *gh, struct jwt_key *key,
			     const char *app_id, const char *owner_repo,
			     struct gh_installation *out);

/*
 * GET /app/installations/{installation_id} with the JWT: whose it is.
 * RAXX_ENOINST (message set) when GitHub does not know it (404); what
 * names the bot in messages; other refusals as github_create_token's.
 */
int github_get_installation(struct github *gh, struct jwt_key *key,
			    const char *app_id, const char *installation_id,
			    const char *what, struct gh_installation *out);

/*
 * GET /app with the JWT: the account that owns the App (login fresh, and
 * numeric id). 0, or an error code; an owner without a login (an
 * enterprise) is RAXX_EGITHUB.
 */
int github_app_owner(struct github *gh, struct jwt_key *key, const char *app_id,
		     char **login, long long *id);

/* GET /users/{login} (e.g. "raxx-dev-bot[bot]"): the numeric id. */
int github_user_id(struct github *gh, const char *login, const char *token,
		   long long *id);

/* GET {path} with the App JWT; body into *json (fresh, caller frees).
 * Returns 0 and the HTTP status in *status for any answer. */
int github_app_get(struct github *gh, struct jwt_key *key, const char *app_id,
		   const char *path, long *status, char **json);

#endif
