#ifndef RAXX_HANDOFF_MANIFEST_H
#define RAXX_HANDOFF_MANIFEST_H

/*
 * The handoff policy: a manifest and what it may grant. Pure: no I/O, no
 * network, no clock but the one it is given.
 *
 *   {prefix}/handoffs/SLUG/PROVISION_MANIFEST in the vault:
 *   {"slug":"fix-login-20260621","repo":"raxx-app/demo","bot":"raxx-dev-bot",
 *    "permissions":{"contents":"write","pull_requests":"write",
 *                   "issues":"write"},
 *    "created_at":"2026-06-21T08:00:00Z","expires_at":"2026-06-22T08:00:00Z"}
 *
 * The policy, checked on every cold mint and by `handoff verify`:
 *   - permissions: a non-empty subset of contents:write,
 *     pull_requests:write, issues:write (read counts as within write);
 *     anything else is a scope violation (an empty set would mean all of
 *     the App's permissions, so it is one too);
 *   - one repository, OWNER/REPO; the slug is the folder's; a bot name;
 *   - expires_at in the future, at most 24 h after created_at.
 * Refusals are RAXX_EHANDOFF (exit 9) with a message naming where.
 */

#include <time.h>

#include "services/github.h"

/* Slug rule (the vault's folder rule): [A-Za-z0-9_-], 1 to 64 bytes. */
#define HANDOFF_SLUG_MAX 64
#define HANDOFF_MAX_TTL_HOURS 24
#define HANDOFF_MANIFEST "PROVISION_MANIFEST"
#define HANDOFF_MAX_PERMS 16
#define HANDOFF_ALLOWED_TEXT "contents:write, pull_requests:write, issues:write"

/* What a handoff may ever get, in that order. */
extern const struct gh_permission handoff_allowed[];
extern const size_t handoff_nr_allowed;

struct manifest {
	char *slug, *repo, *bot;
	char *names[HANDOFF_MAX_PERMS], *levels[HANDOFF_MAX_PERMS];
	size_t nr_perms;
	int too_many;
	time_t created_at, expires_at;
};

int handoff_slug_ok(const char *slug);
/* Whether name:level is within the allowed set. */
int manifest_perm_allowed(const char *name, const char *level);

/* Structure only (the policy is in the checks below): 0 or RAXX_EHANDOFF. */
int manifest_parse(const char *json, const char *where, struct manifest *m);
void manifest_release(struct manifest *m);
/* The manifest as JSON, as the vault keeps it (fresh). */
char *manifest_json(const struct manifest *m);

/* The slug, repository and bot are what they must be. */
int manifest_check_identity(const struct manifest *m, const char *slug,
			    const char *where);
/* The scope gate: a non-empty subset of the allowed permissions. */
int manifest_check_perms(const struct manifest *m, const char *where);
int manifest_check_expiry(const struct manifest *m, time_t now,
			  const char *where);
/* All three. */
int manifest_check_all(const struct manifest *m, const char *slug, time_t now,
		       const char *where);
/* A request for repo (or NULL: the manifest's) may be answered. */
int manifest_check_repo(const struct manifest *m, const char *repo);

/*
 * Parse json as a manifest and apply the whole policy for slug at local
 * time now: 0 when sound, else RAXX_EHANDOFF with the reason recorded.
 */
int handoff_manifest_check(const char *json, const char *slug, time_t now,
			   const char *where);

/* "contents:write, issues:write" (fresh). */
char *manifest_perms_text(const struct manifest *m);
/* The permissions and repository as GitHub's token request takes them;
 * p has room for HANDOFF_MAX_PERMS and must outlive scope. */
void manifest_scope(const struct manifest *m, struct gh_permission *p,
		    struct token_scope *scope);
/*
 * The cache scope of its tokens: "OWNER/REPO handoff=SLUG perms=a=l,b=l"
 * with the permissions sorted, so an equal manifest finds the same entry.
 * The repository comes first (revoke takes the first word as the
 * repository in its audit lines). Fresh.
 */
char *manifest_token_scope_key(const struct manifest *m);
/* Whether a token entry's scope belongs to slug (a word "handoff=SLUG"). */
int manifest_scope_is_slug(const char *scope, const char *slug);
/* "23h59m" (or "expired") for messages. */
void handoff_left_text(time_t left, char *out, size_t n);

#endif
