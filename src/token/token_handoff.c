/*
 * A handoff's token (token.h token_get_handoff): the manifest decides the
 * bot, the repository and the permissions; warm from the cached manifest
 * and token, cold from the vault's manifest, checked by the policy, then
 * minted narrowed to it and recorded in the vault (handoff_records.h)
 * before it is handed out. Flown by token_flight.c (token_internal.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "token_internal.h"
#include "store/audit.h"
#include "store/cache.h"
#include "services/github.h"
#include "handoff_records.h"
#include "handoff_store.h"
#include "identity/identity.h"
#include "refresh.h"
#include "base/util.h"
#include "services/vault.h"

#include <string.h>

struct handoff_flight {
	const char *repo;	/* the request's, or NULL */
	struct handoff_ref ref;
	int capped;		/* warm found a token outliving the manifest */
	int own;		/* the process's own handoff (refresh ahead) */
};

/* A token capped to its manifest's end is not renewed by a re-mint. */
static int handoff_refreshable(void *ctx)
{
	const struct handoff_flight *h = ctx;

	return h->own && !h->capped;
}

/* A token entry's life is the token's own (for revoke); what the caller
 * gets never outlives the manifest. */
static void cap_to(struct token *t, const struct manifest *m)
{
	if (t->expires_at > m->expires_at)
		t->expires_at = m->expires_at;
}

static int handoff_warm(struct token_source *ts, void *ctx, long min_ttl,
			struct token *out, int *err)
{
	struct handoff_flight *h = ctx;
	struct cache *cache = token_source_cache(ts);
	struct manifest m;
	struct cache_entry e;
	char *scope;
	int hit = 0;

	if (handoff_manifest_cached(cache, &h->ref, &m))
		return 0;
	if ((*err = manifest_check_repo(&m, h->repo)))
		goto out;
	scope = manifest_token_scope_key(&m);
	if (cache_get_token(cache, ts->c->api, m.bot, scope, min_ttl, &e)) {
		token_from_entry(&e, m.bot, m.repo, "cache", out);
		h->capped = out->expires_at >= m.expires_at;
		cap_to(out, &m);
		hit = 1;
	}
	free(scope);
out:
	manifest_release(&m);
	return hit;
}

/* Keep a live token about to be replaced, so that a revoke still finds it. */
static void retire(struct cache *cache, const char *api, const char *bot,
		   const char *scope)
{
	struct cache_entry e;
	char fp[AUDIT_FP_LEN + 1];

	if (!cache_get_token(cache, api, bot, scope, 0, &e))
		return;
	audit_fingerprint(e.secret, fp);
	free(e.scope);
	e.scope = xstrfmt("%s retired=%s", scope, fp);
	cache_put_token(cache, &e);
	cache_entry_release(&e);
}

/* The vault's manifest, checked, then a token minted narrowed to it. */
static int handoff_cold(struct token_source *ts, void *ctx, struct token *out)
{
	struct handoff_flight *h = ctx;
	struct cache *cache = token_source_cache(ts);
	struct gh_permission perms[HANDOFF_MAX_PERMS];
	struct token_scope scope = { 0 };
	struct manifest m;
	struct cache_entry e;
	struct vault *v;
	char *key = NULL;
	int ret;

	if ((ret = token_source_vault(ts, &v, NULL)))
		return ret;
	ret = handoff_manifest_fetch(v, &h->ref, &m);
	token_keep_session(ts);
	if (ret == 1) {
		handoff_manifest_uncache(cache, &h->ref);
		return raxx_fail(RAXX_EHANDOFF, "handoff '%s' has no manifest at %s "
				 "(revoked, or never provisioned): refusing to "
				 "mint: provision it (git-credential-raxx handoff "
				 "provision --task-slug %s --repo OWNER/REPO), or "
				 "leave the handoff worktree (git-credential-raxx "
				 "handoff detach)", h->ref.slug, h->ref.where,
				 h->ref.slug);
	}
	if (ret)
		return ret;
	if ((ret = manifest_check_all(&m, h->ref.slug, now_seconds(),
				      h->ref.where))) {
		handoff_manifest_uncache(cache, &h->ref);
		goto out;
	}
	if ((ret = manifest_check_repo(&m, h->repo)))
		goto out;
	handoff_manifest_cache(cache, &h->ref, &m);
	key = manifest_token_scope_key(&m);
	/* (a refresh ahead wants a token that outlives its window) */
	if (cache && cache_get_token(cache, ts->c->api, m.bot, key,
				     ts->refresh ? refresh_ahead_secs() :
				     cache_min_ttl(), &e)) {
		token_from_entry(&e, m.bot, m.repo, "cache", out);
		cap_to(out, &m);
		goto out;
	}
	manifest_scope(&m, perms, &scope);
	if ((ret = token_mint_scoped(ts, m.bot, &scope, out)))
		goto out;
	/* recorded in the vault before it is handed out, for a revoke
	 * anywhere; when that fails it is revoked again (handoff_records.h) */
	if ((ret = handoff_record_mint(v, ts->gh, &h->ref, &m, ts->c->api,
				       out->value, out->expires_at))) {
		token_release(out);
		goto out;
	}
	if (cache) {
		retire(cache, ts->c->api, m.bot, key);
		memset(&e, 0, sizeof(e));
		e.api = ts->c->api;
		e.name = m.bot;
		e.scope = key;
		e.installation_id = out->installation_id ? out->installation_id :
			(char *)"";
		e.expires_at = out->expires_at;	/* the token's own, for revoke */
		e.secret = out->value;
		cache_put_token(cache, &e);	/* borrowed fields */
	}
	cap_to(out, &m);	/* git forgets it with the handoff */
out:
	free(key);
	manifest_release(&m);
	return ret;
}

int token_get_handoff(struct token_source *ts, const char *slug,
		      const char *repo, struct token *out)
{
	const struct vault_settings *vs;
	struct handoff_flight h = { repo, { 0 }, 0, 0 };
	struct flight f = { 0 };
	char safe[80];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!handoff_slug_ok(slug))
		return raxx_fail(RAXX_EHANDOFF, "handoff slug '%s' is not valid "
				 "(letters, digits, '-' and '_', at most %d): fix "
				 "RAXX_HANDOFF or raxx.handoff, or leave the handoff "
				 "worktree", sanitize(safe, sizeof(safe), slug),
				 HANDOFF_SLUG_MAX);
	if ((ret = token_source_vault(ts, NULL, &vs)))
		return ret;
	handoff_ref_init(&h.ref, vs, slug);
	f.lock_api = ts->c->api;
	f.lock_name = HANDOFF_LOCK_NAME;
	f.lock_scope = slug;
	f.warm = handoff_warm;
	f.cold = handoff_cold;
	f.ctx = &h;
	h.own = ts->c->id && ts->c->id->handoff && !strcmp(ts->c->id->handoff, slug);
	f.refreshable = handoff_refreshable;
	if (repo) {
		f.refresh_opts[0] = "--repo";
		f.refresh_opts[1] = repo;
	}
	ret = token_fly(ts, &f, out);
	handoff_ref_release(&h.ref);
	return ret;
}

/* token_peek's look at a handoff: see token_internal.h. */
int token_handoff_peek(struct token_source *ts, const char *slug,
		       const char *repo, struct token *out, int *err)
{
	const struct vault_settings *vs;
	struct handoff_flight h = { repo, { 0 }, 0, 0 };
	int hit;

	if (!handoff_slug_ok(slug) || token_source_vault(ts, NULL, &vs))
		return -1;
	handoff_ref_init(&h.ref, vs, slug);
	hit = handoff_warm(ts, &h, 0, out, err);
	handoff_ref_release(&h.ref);
	return hit;
}
