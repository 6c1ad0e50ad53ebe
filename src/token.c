/*
 * The one token source: the contract is in token.h. Here the two paths, a
 * bot's token and a handoff's, and what the callers ask for (get, peek,
 * refresh ahead), audited; the pieces they share and the single flight
 * are token_flight.c's (token_internal.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "token_internal.h"
#include "audit.h"
#include "broker_client.h"
#include "cache.h"
#include "ghexec.h"
#include "github.h"
#include "handoff_records.h"
#include "handoff_store.h"
#include "http.h"
#include "identity.h"
#include "log.h"
#include "refresh.h"
#include "util.h"
#include "vault.h"

#include <string.h>

/* ---------------------------------------------------------------- a bot */

struct bot_flight {
	const struct identity *id;
	char *scope_key;
};

static int bot_warm(struct token_source *ts, void *ctx, long min_ttl,
		    struct token *out, int *err)
{
	struct bot_flight *b = ctx;
	struct cache_entry e;

	(void)err;
	if (!token_source_cache(ts) ||
	    !cache_get_token(ts->cache, ts->c->api, b->id->bot, b->scope_key,
			     min_ttl, &e))
		return 0;
	token_from_entry(&e, b->id->bot, b->id->repo, "cache", out);
	return 1;
}

static int bot_cold(struct token_source *ts, void *ctx, struct token *out)
{
	struct bot_flight *b = ctx;
	const struct identity *id = b->id;
	struct gh_permission *perms = NULL;
	struct token_scope scope = { 0 };
	struct cache_entry e = { 0 };
	size_t i;
	int ret;

	scope.repo = id->repo;
	if (id->repo && id->nr_perms) {
		perms = xcalloc(id->nr_perms, sizeof(*perms));
		for (i = 0; i < id->nr_perms; i++) {
			perms[i].name = id->perms[i].name;
			perms[i].level = id->perms[i].level;
		}
		scope.perms = perms;
		scope.nr_perms = id->nr_perms;
	}
	ret = token_mint_scoped(ts, id->bot, &scope, out);
	free(perms);
	if (ret || !ts->cache)
		return ret;
	e.api = ts->c->api;
	e.name = id->bot;
	e.scope = b->scope_key;
	e.installation_id = out->installation_id ? out->installation_id : (char *)"";
	e.expires_at = out->expires_at;
	e.secret = out->value;
	cache_put_token(ts->cache, &e);	/* borrowed fields: no release */
	return 0;
}

/* The options that make a background process settle id again: the
 * caller's own (the rest it inherits), or the bot named. */
static void bot_refresh_opts(struct token_source *ts, const struct identity *id,
			     const char **opts)
{
	size_t n = 0;

	if (id != ts->c->id || ts->c->opt_bot) {
		opts[n++] = "--bot";
		opts[n++] = id->bot;
	} else if (ts->c->opt_agent) {
		opts[n++] = "--agent";
		opts[n++] = ts->c->opt_agent;
	}
	if (id->repo) {
		opts[n++] = "--repo";
		opts[n++] = id->repo;
	}
}

static int bot_token(struct token_source *ts, const struct identity *id,
		     struct token *out)
{
	struct bot_flight b = { id, NULL };
	struct flight f = { 0 };
	const char *inherited;
	time_t exp;
	int ret;

	if (!id->repo && (inherited = child_token_inherited(ts->c->host, id->bot,
							     TOKEN_OUTAGE_MIN_TTL,
							     &exp))) {
		/* inside exec or the gh shim, which hold no vault identity
		 * but the token they were given */
		memset(out, 0, sizeof(*out));
		out->value = xstrdup(inherited);
		out->expires_at = exp;
		out->source = "given to this command";
		out->bot = xstrdup(id->bot);
		trace("token: %s's token as given to this command (%s)", id->bot,
		      TOKEN_FOR_ENV);
		return 0;
	}
	b.scope_key = identity_scope_key(id);
	f.lock_api = ts->c->api;
	f.lock_name = id->bot;
	f.lock_scope = b.scope_key;
	f.warm = bot_warm;
	f.cold = bot_cold;
	f.ctx = &b;
	bot_refresh_opts(ts, id, f.refresh_opts);
	ret = token_fly(ts, &f, out);
	free(b.scope_key);
	return ret;
}

int token_get_for_bot(struct token_source *ts, const char *bot,
		      struct token *out)
{
	struct identity id = { 0 };
	struct audit_event ev = { 0 };
	int ret;

	if (token_source_broker(ts))
		return broker_token(ts->broker, ts->c, bot, http_deadline(), out);
	id.bot = (char *)bot;
	id.source = BOT_OPTION;
	ret = bot_token(ts, &id, out);
	ev.event = ret ? "fail" : !strcmp(out->source, "mint") ? "mint" : "reuse";
	ev.bot = bot;
	ev.host = ts->c->host;
	ev.token = ret ? NULL : out->value;
	ev.expires_at = ret ? 0 : out->expires_at;
	ev.reason = ret ? raxx_errmsg() : NULL;
	audit_write(&ev);
	return ret;
}

/* ---------------------------------------------------------------- a handoff */

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

/* ---------------------------------------------------------------- peek */

int token_peek(struct token_source *ts, struct token *out)
{
	const struct identity *id = ts->c->id;
	const struct vault_settings *vs;
	int hit = 0, err = 0;

	memset(out, 0, sizeof(*out));
	if (token_source_broker(ts))
		return broker_peek(ts->broker, ts->c, out);
	if (!token_source_cache(ts))
		return 0;
	if (id->handoff) {
		struct handoff_flight h = { id->repo, { 0 }, 0, 0 };

		if (!handoff_slug_ok(id->handoff) ||
		    token_source_vault(ts, NULL, &vs))
			return 0;
		handoff_ref_init(&h.ref, vs, id->handoff);
		hit = handoff_warm(ts, &h, 0, out, &err);
		handoff_ref_release(&h.ref);
	} else if (id->bot) {
		struct bot_flight b = { id, identity_scope_key(id) };

		hit = bot_warm(ts, &b, 0, out, &err);
		free(b.scope_key);
	}
	raxx_clear_error();
	return hit && !err;
}

/* ---------------------------------------------------------------- get */

int token_get(struct token_source *ts, struct token *out)
{
	const struct identity *id = ts->c->id;
	struct audit_event ev = { 0 };
	char reason[120];
	int ret;

	memset(out, 0, sizeof(*out));
	if (token_source_broker(ts))	/* it audits; its fallback decision waits */
		return broker_token(ts->broker, ts->c, NULL, http_deadline(), out);
	if (id->handoff)
		ret = token_get_handoff(ts, id->handoff, id->repo, out);
	else if (id->bot)
		ret = bot_token(ts, id, out);
	else
		return raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot "
				 "or --agent, or set raxx.bot / raxx.agent "
				 "(git-credential-raxx setup)");
	ev.agent = id->agent;
	ev.host = ts->c->host;
	if (id->handoff) {
		snprintf(reason, sizeof(reason), "handoff %s", id->handoff);
		ev.reason = reason;
	}
	if (ret) {
		ev.event = "fail";
		ev.bot = id->bot;
		ev.repo = id->repo;
		ev.reason = raxx_errmsg();
	} else {
		ev.event = !strcmp(out->source, "mint") ? "mint" : "reuse";
		ev.bot = out->bot;
		ev.repo = out->repo;
		ev.token = out->value;
		ev.expires_at = out->expires_at;
		if (strcmp(out->source, "mint") && strcmp(out->source, "cache"))
			ev.reason = out->source;
	}
	audit_write(&ev);
	info("token for %s: %s", ret ? (id->bot ? id->bot : id->handoff) : out->bot,
	     ret ? "none" : !strcmp(out->source, "mint") ? "minted" :
	     "reused from the cache");
	return ret;
}

/* ---------------------------------------------------------------- refresh */

int token_refresh_ahead(struct token_source *ts)
{
	const struct identity *id = ts->c->id;
	struct audit_event ev = { 0 };
	struct token tok = { 0 };
	char reason[300];
	int ret;

	if (!id->handoff && !id->bot)
		return 0;
	ts->refresh = 1;
	ret = id->handoff ? token_get_handoff(ts, id->handoff, id->repo, &tok) :
		bot_token(ts, id, &tok);
	ts->refresh = 0;
	if (ret == REFRESH_NOTHING || (!ret && strcmp(tok.source, "mint"))) {
		/* another process minted, or is minting; or a token given to
		 * this command, not ours to renew */
		token_release(&tok);
		raxx_clear_error();
		return 0;
	}
	ev.event = ret ? "fail" : "mint";
	ev.agent = id->agent;
	ev.host = ts->c->host;
	ev.bot = ret ? id->bot : tok.bot;
	ev.repo = ret ? id->repo : tok.repo;
	ev.token = ret ? NULL : tok.value;
	ev.expires_at = ret ? 0 : tok.expires_at;
	if (ret)
		snprintf(reason, sizeof(reason), "refresh ahead: %s", raxx_errmsg());
	else if (id->handoff)
		snprintf(reason, sizeof(reason), "refresh ahead, handoff %s",
			 id->handoff);
	else
		snprintf(reason, sizeof(reason), "refresh ahead");
	ev.reason = reason;
	audit_write(&ev);
	token_release(&tok);
	return ret;
}
