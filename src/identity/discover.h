#ifndef RAXX_DISCOVER_H
#define RAXX_DISCOVER_H

/*
 * Which installation of the bot's App a token is minted on (DESIGN.md
 * "Trust": installations per owner), and healing a stale installation id.
 *
 * The accounts a token may be minted on: the account of the vault's
 * INSTALLATION_ID, learned once (GET /app/installations/{id}) and
 * remembered with its numeric id, so that a renamed account is still
 * recognised; and the owners setting (owners.h), by login, or by the id
 * remembered for one of them. Nothing else: a public App may be installed
 * by anyone, and a token on a stranger's installation would let the bot
 * write where the stranger reads.
 *
 * A request for a repository on the vault's account (or a path-less one)
 * is minted on the vault's installation, narrowed as asked. A repository
 * of another allowed owner is minted on that owner's installation, found
 * with GET /repos/{owner}/{repo}/installation (one 301/307/308 within the
 * API followed, as for a renamed organization) and remembered per owner.
 * Any other owner gets no token: RAXX_ENOINST, a refusal (never an outage,
 * so never the operator's PAT), naming the owner and how to allow it.
 *
 * Healing: after an organization is renamed or the App reinstalled, the
 * vault's INSTALLATION_ID answers 404 for good. When that happens (or
 * INSTALLATION_ID is absent) and a repository is known, the installation
 * is found again for it; it replaces the vault's only when it is on the
 * vault's own account (by login, or by the remembered id after a rename;
 * before that account was ever learned here, an account the owners
 * setting names). Then the token is minted with it, a warning names the
 * stale id, the new id and the vault path to update, and the new id is
 * remembered in the state directory until the vault's value changes, so
 * that later cold mints go straight to it. An installation on any other
 * account is refused: not used, not remembered, not printed.
 *
 * The repository, first match wins: the request's (the credential path,
 * --repo), else the worktree's origin (`git remote get-url origin`) when
 * it points at the configured git host. The origin is read only in this
 * failure path, never when the stored installation works.
 *
 * State directory: RAXX_STATE_DIR, else $XDG_STATE_HOME/git-credential-raxx,
 * else ~/.local/state/git-credential-raxx (store.h state_dir_path); created
 * 0700 and refused when it is a symlink, not ours, or open to group or
 * others (store.h private_dir_open); files 0600 written by temp file +
 * fsync + rename and read only when they are regular files of ours, closed
 * to others, of at most STORE_STATE_MAX bytes (store.h store_write,
 * store_read). Failing to remember is a warning, never a failure.
 * Files, per bot and GitHub API (HASH): installation.BOT.HASH, the
 * replacement of a stale INSTALLATION_ID; accounts.BOT.HASH, the vault's
 * account and the installation found for each other owner.
 */

#include "services/github.h"
#include "services/jwt.h"

struct owners;

struct heal_request {
	const char *bot;
	const char *api;	/* RAXX_GITHUB_API: memories are per API */
	const char *host;	/* configured git host, to judge the origin */
	const char *app_id;
	const char *vault_inst;	/* the vault's INSTALLATION_ID, NULL: absent */
	const char *vault_path;	/* "/MooseQuest/raxx-dev-bot", for messages */
	const char *vault_env;	/* INFISICAL_ENV, for messages */
	const char *repo;	/* "OWNER/REPO" of this request, or NULL */
	const struct owners *owners;	/* RAXX_OWNERS / raxx.owners (owners.h);
					   NULL: none, the vault's account only */
};

/*
 * Mint for scope as above: with scope->repo on the vault's installation
 * or its owner's; without, through the remembered replacement, the
 * vault's, or a discovered one, in that order. Returns 0 with out filled,
 * or the error of the step that failed: RAXX_ENOINST when the vault's
 * installation is gone and none could be discovered, or the installation
 * is on an account the bot may not use (the message says why and what to
 * do). *used (may be NULL) gets the installation id minted with (fresh).
 */
int discover_create_token(struct github *gh, struct jwt_key *key,
			  const struct heal_request *h,
			  const struct token_scope *scope, struct gh_token *out,
			  char **used);

/*
 * Find the installation that would replace the vault's, for h->repo (or,
 * when that is NULL, the origin on h->host). Returns 0 with *inst and
 * *from (the repository used) fresh; RAXX_ENOINST when there is no
 * repository, the App is not installed there, or the installation is on
 * an account that may not replace the vault's (message set); another code
 * on a transport failure.
 */
int discover_find(struct github *gh, struct jwt_key *key,
		  const struct heal_request *h, char **inst, char **from);

/* "OWNER/REPO" of the worktree's origin when it is on host, else -1. */
int discover_origin_repo(const char *host, char **owner_repo);
/*
 * The same for one remote URL: https://[user@]HOST/OWNER/REPO[.git][/]
 * (host and port must equal host, as credential_host_matches says),
 * ssh://[user@]HOST[:port]/OWNER/REPO[.git] and [user@]HOST:OWNER/REPO[.git]
 * (the host name alone must match: their port is SSH's). 0 with
 * *owner_repo fresh, else -1 and NULL.
 */
int discover_repo_of_url(const char *url, const char *host, char **owner_repo);

/*
 * The remembered replacement installation id for h (bot, API, App), valid
 * while the vault still holds h->vault_inst and its account may replace
 * the vault's; a memory made for another vault value, or on another
 * account, is forgotten. NULL when none. *file (may be NULL) gets its path.
 */
char *discover_recall(const struct heal_request *h, char **file);
void discover_forget(const struct heal_request *h);

/* Whether an installation on this account (login, numeric id) may
 * replace the vault's for h, and so be printed as the vault's fix. */
int discover_may_heal(const struct heal_request *h, const char *login,
		      long long id);
/* Remember that h->vault_inst is on this account (seen by doctor), as the
 * first mint would. */
void discover_learned(const struct heal_request *h, const char *login,
		      long long id);

#endif
