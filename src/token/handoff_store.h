#ifndef RAXX_HANDOFF_STORE_H
#define RAXX_HANDOFF_STORE_H

/*
 * Where a handoff's manifest lives: in the vault, the truth, at
 * {prefix}/handoffs/SLUG/PROVISION_MANIFEST; and sealed in the token cache
 * (cache.h), a token-kind entry (api "handoff-manifest " + vault base,
 * name SLUG, scope "PROJECT ENV FOLDER") kept until its expires_at. The
 * cached copy serves the warm path only: every cold mint reads the vault
 * again, so a revoked or edited manifest takes effect at the next mint.
 */

#include "handoff_manifest.h"

struct cache;
struct vault;
struct vault_settings;

/* The lock that makes a slug's cold path and its revoke single flight. */
#define HANDOFF_LOCK_NAME "handoff lock"

struct handoff_ref {
	char *slug;	/* NULL: the root only (handoff list) */
	char *root;	/* {prefix}/handoffs */
	char *folder;	/* {prefix}/handoffs/SLUG */
	char *where;	/* folder/PROVISION_MANIFEST, for messages */
	char *mapi;	/* the cached manifest's entry: api and scope */
	char *mscope;
};

void handoff_ref_init(struct handoff_ref *r, const struct vault_settings *vs,
		      const char *slug);
void handoff_ref_release(struct handoff_ref *r);

/* The vault's manifest, parsed (not checked): 0, 1 when there is none,
 * or an error code. */
int handoff_manifest_fetch(struct vault *v, const struct handoff_ref *r,
			   struct manifest *m);
/* The cached manifest when there is one and it passes the whole policy
 * now: 0 with *m filled, else -1 (no error recorded). */
int handoff_manifest_cached(struct cache *cache, const struct handoff_ref *r,
			    struct manifest *m);
void handoff_manifest_cache(struct cache *cache, const struct handoff_ref *r,
			    const struct manifest *m);
void handoff_manifest_uncache(struct cache *cache, const struct handoff_ref *r);

#endif
