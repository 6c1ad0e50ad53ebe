#ifndef RAXX_HANDOFF_H
#define RAXX_HANDOFF_H

/*
 * Handoff identities: least privilege for unattended agents (a scheduled
 * or handed-off task with no operator present). Each task gets a slug and
 * a manifest in the vault (handoff_manifest.h: the format and the policy;
 * handoff_store.h: where it is kept), and every token handed out for it
 * is an installation token of the bot's App narrowed at mint time to the
 * manifest's one repository and permissions (token.h mints them).
 *
 * A worktree is a handoff worktree when RAXX_HANDOFF, or raxx.handoff in
 * any git config scope, names a slug (identity.h: an empty value never
 * ends it). There get, token, exec and the gh shim mint only what the
 * manifest allows, and never fall back to the operator token (fallback.h).
 *
 * Tokens are cached as entries of the bot at RAXX_GITHUB_API with the
 * scope "OWNER/REPO handoff=SLUG perms=..." (so the bot's own `revoke`
 * sees them too), their expiry capped at the manifest's. A live token that
 * is replaced (within RAXX_MIN_TTL of its end) is kept under
 * "... retired=FINGERPRINT" until it expires, so that `handoff revoke`
 * still finds it. A lock on ("handoff lock", SLUG) is held by the cold
 * path from the vault read to the cache write, and by `handoff revoke`
 * from the manifest deletion to the last token revoked, so no token
 * minted on this machine escapes a revoke.
 *
 * Across machines: every token is also recorded in the vault, in the
 * handoff's folder, before it is handed out (handoff_records.h), and
 * `handoff revoke` revokes the recorded ones too, wherever they were
 * minted.
 */

#include "identity/config.h"

/* The `handoff` action: argv[0] is "handoff". Returns the exit code,
 * with any error already printed. */
int handoff_main(struct raxx_config *c, int argc, char **argv);
extern const char handoff_usage[];

#endif
