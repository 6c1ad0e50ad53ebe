/*
 * A handoff's manifest in the vault and in the cache: the contract is in
 * handoff_store.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_store.h"
#include "store/cache.h"
#include "base/util.h"
#include "services/vault.h"

#include <string.h>

void handoff_ref_init(struct handoff_ref *r, const struct vault_settings *vs,
		      const char *slug)
{
	memset(r, 0, sizeof(*r));
	r->root = vault_secret_path(vs->path_prefix, "handoffs");
	if (!slug)
		return;
	r->slug = xstrdup(slug);
	r->folder = xstrfmt("%s/%s", r->root, slug);
	r->where = xstrfmt("%s/%s", r->folder, HANDOFF_MANIFEST);
	r->mapi = xstrfmt("handoff-manifest %s", vs->base);
	r->mscope = xstrfmt("%s %s %s", vs->project_id, vs->environment,
			    r->folder);
}

void handoff_ref_release(struct handoff_ref *r)
{
	free(r->slug);
	free(r->root);
	free(r->folder);
	free(r->where);
	free(r->mapi);
	free(r->mscope);
	memset(r, 0, sizeof(*r));
}

int handoff_manifest_fetch(struct vault *v, const struct handoff_ref *r,
			   struct manifest *m)
{
	char *json = NULL;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = vault_get_secret(v, r->folder, HANDOFF_MANIFEST, &json);
	if (ret)
		return ret;
	ret = manifest_parse(json, r->where, m);
	free(json);
	return ret;
}

int handoff_manifest_cached(struct cache *cache, const struct handoff_ref *r,
			    struct manifest *m)
{
	struct cache_entry e;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!cache || !cache_get_token(cache, r->mapi, r->slug, r->mscope, 0, &e))
		return -1;
	ret = manifest_parse(e.secret, r->where, m);
	cache_entry_release(&e);
	if (!ret && (ret = manifest_check_all(m, r->slug, now_seconds(), r->where)))
		manifest_release(m);
	if (ret)
		raxx_clear_error();	/* the vault's copy decides */
	return ret ? -1 : 0;
}

void handoff_manifest_cache(struct cache *cache, const struct handoff_ref *r,
			    const struct manifest *m)
{
	struct cache_entry e = { 0 };
	char *json;

	if (!cache)
		return;
	json = manifest_json(m);
	e.api = r->mapi;
	e.name = r->slug;
	e.scope = r->mscope;
	e.installation_id = (char *)"";
	e.expires_at = m->expires_at;
	e.secret = json;
	cache_put_token(cache, &e);	/* borrowed fields */
	free(json);
}

void handoff_manifest_uncache(struct cache *cache, const struct handoff_ref *r)
{
	struct cache_entry e;

	if (cache && cache_get_token(cache, r->mapi, r->slug, r->mscope, 0, &e)) {
		cache_drop(cache, &e);
		cache_entry_release(&e);
	}
}
