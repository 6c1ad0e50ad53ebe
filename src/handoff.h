#ifndef RAXX_HANDOFF_H
#define RAXX_HANDOFF_H

/*
 * Handoff identities: least privilege for unattended agents (a scheduled
 * or handed-off task with no operator present). Each task gets a slug and
 * a manifest in the vault,
 *
 *   {prefix}/handoffs/SLUG/PROVISION_MANIFEST
 *   {"slug":"fix-login-20260621","repo":"raxx-app/demo","bot":"raxx-dev-bot",
 *    "permissions":{"contents":"write","pull_requests":"write",
 *                   "issues":"write"},
 *    "created_at":"2026-06-21T08:00:00Z","expires_at":"2026-06-22T08:00:00Z"}
 *
 * and every token the helper hands out for that task is an installation
 * token of the bot's App narrowed at mint time to that one repository and
 * those permissions (github.h struct token_scope). The policy, checked on
 * every cold mint and by `handoff verify`:
 *   - permissions: a non-empty subset of contents:write,
 *     pull_requests:write, issues:write (read counts as within write);
 *     anything else is a scope violation (an empty set would mean all of
 *     the App's permissions, so it is one too);
 *   - one repository, OWNER/REPO; the slug is the folder's;
 *   - expires_at in the future, at most 24 h after created_at.
 * Refusals are RAXX_EHANDOFF (exit 9): manifest missing, malformed,
 * expired, or asking for more than the allowed permissions.
 *
 * A worktree is a handoff worktree when RAXX_HANDOFF, else git config
 * raxx.handoff (`setup --handoff SLUG` / `handoff attach SLUG` write it to
 * the worktree's own config), names a slug. There mint_get_token (so get,
 * token, exec and the gh shim) goes through handoff_get_token, and the
 * fallback to the operator token is never taken, whatever raxx.fallback
 * says (handoff_refuse_fallback).
 *
 * Cache (cache.h), sealed like every entry:
 *   - the manifest: a token-kind entry (api "handoff-manifest " + vault
 *     base, name SLUG, scope "PROJECT ENV PREFIX"), until its expires_at.
 *     It serves the warm path only; every cold mint reads the vault again,
 *     so a revoked or edited manifest takes effect at the next mint;
 *   - the tokens: entries of the bot at RAXX_GITHUB_API with the scope
 *     "OWNER/REPO handoff=SLUG perms=..." (so the bot's own `revoke` sees
 *     them too), their expiry capped at the manifest's. A live token that
 *     is replaced (within RAXX_MIN_TTL of its end) is kept under
 *     "... retired=FINGERPRINT" until it expires, so that `handoff revoke`
 *     still finds it.
 * Single flight per slug: a lock on ("handoff lock", SLUG) is held by the
 * cold path from the vault read to the cache write, and by `handoff
 * revoke` from the manifest deletion to the last token revoked, so no
 * token minted on this machine escapes a revoke.
 */

#include "config.h"

struct mint_result;

/* Slug rule (the vault's folder rule): [A-Za-z0-9_-], 1 to 64 bytes. */
#define HANDOFF_SLUG_MAX 64
#define HANDOFF_MAX_TTL_HOURS 24
#define HANDOFF_MANIFEST "PROVISION_MANIFEST"

int handoff_slug_ok(const char *slug);

/*
 * The slug in force for this process: RAXX_HANDOFF, else git config
 * raxx.handoff (read with the rest of raxx.*); NULL when none. Not
 * validated here (handoff_get_token refuses a bad one).
 */
const char *handoff_slug(struct raxx_config *c);

/*
 * The handoff worktree's token: a live cached one, else the manifest read
 * from the vault, checked, and a token minted narrowed to it. repo (the
 * request's, or NULL) must be the manifest's. c->bot becomes the
 * manifest's bot. Audited as mint, reuse or fail. Returns 0, RAXX_EHANDOFF
 * (with a message naming the slug and what to do), or the code of the
 * step that failed (vault, GitHub).
 */
int handoff_get_token(struct raxx_config *c, const char *repo,
		      struct mint_result *out);

/*
 * In a handoff worktree, minting failed with code: print why the operator
 * token is not used (what: "answering git", "running gh") and return 1;
 * outside one return 0 (the caller applies its fallback).
 */
int handoff_refuse_fallback(struct raxx_config *c, int code, const char *what);

/*
 * Make the current worktree a handoff worktree: `git config
 * extensions.worktreeConfig true` and `git config --worktree raxx.handoff
 * SLUG` (detach: unset it). For setup --handoff. Returns 0 or an error.
 */
int handoff_attach(struct raxx_config *c, const char *slug);
int handoff_detach(struct raxx_config *c);

/*
 * Parse json as a manifest and apply the whole policy above for slug at
 * local time now (no network): 0 when sound, else RAXX_EHANDOFF with the
 * reason recorded (the message names where, e.g. the vault path).
 */
#include <time.h>
int handoff_manifest_check(const char *json, const char *slug, time_t now,
			   const char *where);

/* The `handoff` action: argv[0] is "handoff". Returns the exit code,
 * with any error already printed. */
int handoff_main(struct raxx_config *c, int argc, char **argv);
extern const char handoff_usage[];

#endif
