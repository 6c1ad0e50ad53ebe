#define _POSIX_C_SOURCE 200809L
#include "mint.h"
#include "discover.h"
#include "audit.h"
#include "cache.h"
#include "github.h"
#include "handoff.h"
#include "http.h"
#include "jwt.h"
#include "log.h"
#include "util.h"
#include "vault.h"

#include <ctype.h>
#include <string.h>

static const char *const required_keys[] = {
	"APP_ID", "INSTALLATION_ID", "PRIVATE_KEY_PEM"
};

int key_looks_like(const char *have, const char *want)
{
	size_t i;

	for (i = 0; have[i] && want[i]; i++) {
		char ch = have[i] == '-' ? '_' : (char)toupper((unsigned char)have[i]);
		if (ch != want[i])
			return 0;
	}
	return !have[i] && !want[i] && strcmp(have, want);
}

static int check_keys(const struct vault_secrets *s, const char *bot)
{
	struct strbuf missing = STRBUF_INIT, hints = STRBUF_INIT;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < sizeof(required_keys) / sizeof(*required_keys); i++) {
		const char *v = vault_secrets_get(s, required_keys[i]);

		size_t had_hints = hints.len;

		if (v && *v)
			continue;
		for (j = 0; j < s->nr; j++)
			if (key_looks_like(s->items[j].key, required_keys[i]))
				sb_addf(&hints, "%s'%s' should be named %s",
					hints.len ? ", " : "", s->items[j].key,
					required_keys[i]);
		/* an absent INSTALLATION_ID is found again (discover.h) */
		if (!strcmp(required_keys[i], "INSTALLATION_ID") &&
		    hints.len == had_hints)
			continue;
		/* a CLIENT_ID is the JWT issuer without APP_ID (jwt.h) */
		if (!strcmp(required_keys[i], "APP_ID") &&
		    jwt_issuer(NULL, vault_secrets_get(s, "CLIENT_ID")))
			continue;
		sb_addf(&missing, "%s%s", missing.len ? ", " : "", required_keys[i]);
	}
	if (missing.len)
		ret = raxx_fail(RAXX_ESECRETS, "bot secrets at %s for %s missing "
				"keys: %s%s%s%s", s->path, bot, missing.buf,
				hints.len ? " (" : "", sb_str(&hints),
				hints.len ? "): rename them in the vault" :
				": add them in the vault with these exact names");
	sb_release(&missing);
	sb_release(&hints);
	return ret;
}

static void scope_of(const struct raxx_config *c, const char *repo,
		     struct token_scope *scope, struct gh_permission **perms)
{
	size_t i;

	memset(scope, 0, sizeof(*scope));
	*perms = NULL;
	if (!repo)
		return;
	scope->repo = repo;
	if (!c->map_bot || !c->map_bot->nr_perms)
		return;
	*perms = xcalloc(c->map_bot->nr_perms, sizeof(**perms));
	for (i = 0; i < c->map_bot->nr_perms; i++) {
		(*perms)[i].name = c->map_bot->perms[i].name;
		(*perms)[i].level = c->map_bot->perms[i].level;
	}
	scope->perms = *perms;
	scope->nr_perms = c->map_bot->nr_perms;
}

/* A vault session sealed in the cache saves the login (one request). */
static void reuse_session(struct cache *cache, struct vault *v,
			  const struct vault_settings *vs)
{
	struct cache_entry e;

	if (cache && cache_get_session(cache, vs->base, vs->client_id, &e)) {
		vault_set_session(v, e.secret, e.expires_at);
		cache_entry_release(&e);
	}
}

static void keep_session(struct cache *cache, struct vault *v,
			 const struct vault_settings *vs)
{
	const char *session;
	time_t expires;

	if (!cache || !vault_logged_in(v))
		return;	/* the cached one still works: nothing new to keep */
	if ((session = vault_session(v, &expires)))
		cache_put_session(cache, vs->base, vs->client_id, session, expires);
}

/*
 * Mint with the vault's installation; when it is gone (404) or absent,
 * with the one found again for the repository (discover.h), which warns
 * with the vault path to update. *inst gets the installation used.
 */
static int heal_and_mint(struct raxx_config *c, const struct vault_settings *vs,
			 const char *path, const struct vault_secrets *secrets,
			 const char *repo, struct github *gh, struct jwt_key *key,
			 const struct token_scope *scope, struct gh_token *tok,
			 char **inst)
{
	const char *vault_inst = vault_secrets_get(secrets, "INSTALLATION_ID");
	struct heal_request h = {
		.bot = c->bot, .api = c->api, .host = c->host,
		.app_id = jwt_issuer(vault_secrets_get(secrets, "APP_ID"),
				     vault_secrets_get(secrets, "CLIENT_ID")),
		.vault_inst = vault_inst && *vault_inst ? vault_inst : NULL,
		.vault_path = path, .vault_env = vs->environment,
		.repo = repo ? repo : c->opt_repo,
	};

	return discover_create_token(gh, key, &h, scope, tok, inst);
}

/* want: the scope to mint with (handoff.c), NULL: repo + the map's */
static int mint_fresh(struct raxx_config *c, const char *repo,
		      const struct token_scope *want, struct cache *cache,
		      struct mint_result *out)
{
	struct vault_settings vs;
	struct vault *v = NULL;
	struct vault_secrets secrets = { 0 };
	struct github *gh = NULL;
	struct jwt_key *key = NULL;
	struct gh_token tok = { 0 };
	struct token_scope scope;
	struct gh_permission *perms = NULL;
	char *path = NULL, *inst = NULL;
	int64_t t0 = now_ms();
	int ret;

	if ((ret = vault_settings_from_env(&vs)))
		return ret;
	/* refuse a bad GitHub URL before anything reaches the vault */
	if ((ret = http_check_url(c->api, "RAXX_GITHUB_API", RAXX_EGITHUB)))
		goto out;
	if (!(v = vault_new(&vs))) {
		ret = raxx_errcode();
		goto out;
	}
	reuse_session(cache, v, &vs);
	path = vault_secret_path(vs.path_prefix, c->bot);
	if ((ret = vault_get_secrets(v, path, &secrets)))
		goto out;
	keep_session(cache, v, &vs);
	if ((ret = check_keys(&secrets, c->bot)))
		goto out;
	if (!(key = jwt_key_load(vault_secrets_get(&secrets, "PRIVATE_KEY_PEM"),
				 path))) {
		ret = raxx_errcode();
		goto out;
	}
	if (!(gh = github_new(c->api))) {
		ret = raxx_errcode();
		goto out;
	}
	if (want)
		scope = *want;
	else
		scope_of(c, repo, &scope, &perms);
	if ((ret = heal_and_mint(c, &vs, path, &secrets, repo, gh, key, &scope,
				 &tok, &inst)))
		goto out;
	out->token = tok.token;
	out->expires_at = tok.expires_at;
	out->source = "mint";
	out->repo = repo ? xstrdup(repo) : NULL;
	out->installation_id = inst;
	inst = NULL;
	tok.token = NULL;
	trace("minted a token for %s in %lld ms: vault %d requests over %d "
	      "connections, GitHub %d requests over %d connections", c->bot,
	      (long long)(now_ms() - t0), vault_requests(v), vault_connections(v),
	      github_requests(gh), github_connections(gh));
out:
	gh_token_release(&tok);
	free(perms);
	jwt_key_free(key);
	github_free(gh);
	vault_secrets_release(&secrets);
	vault_free(v);
	vault_settings_release(&vs);
	free(path);
	free(inst);
	return ret;
}

static void from_cache(struct cache_entry *e, const char *repo,
		       struct mint_result *out)
{
	out->token = e->secret;
	e->secret = NULL;
	out->expires_at = e->expires_at;
	out->source = "cache";
	out->repo = repo ? xstrdup(repo) : NULL;
	out->installation_id = e->installation_id;
	e->installation_id = NULL;
	cache_entry_release(e);
}

/* cache -> lock -> cache again -> mint -> store -> unlock */
int mint_get_token(struct raxx_config *c, const char *repo,
		   struct mint_result *out)
{
	struct cache *cache;
	struct cache_entry e;
	char *scope;
	long min_ttl;
	int lock = -1, ret = 0;

	memset(out, 0, sizeof(*out));
	/* a handoff worktree mints only what its manifest allows (handoff.h) */
	if (handoff_slug(c))
		return handoff_get_token(c, repo, out);
	if (!c->bot)
		return raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot "
				 "or --agent, or set raxx.bot / raxx.agent "
				 "(git-credential-raxx setup)");
	cache = cache_open();
	scope = cache_scope_key(repo, c->map_bot);
	min_ttl = cache_min_ttl();
	if (cache && cache_get_token(cache, c->api, c->bot, scope, min_ttl, &e)) {
		from_cache(&e, repo, out);
		goto out;
	}
	if (cache && (ret = cache_lock_token(cache, c->api, c->bot, scope,
					     http_deadline(), &lock)) > 0)
		goto out;	/* waited for another process until the deadline */
	if (cache && lock >= 0 &&
	    cache_get_token(cache, c->api, c->bot, scope, min_ttl, &e)) {
		from_cache(&e, repo, out);	/* it minted while we waited */
		goto out;
	}
	ret = mint_fresh(c, repo, NULL, cache, out);
	if (!ret && cache) {
		memset(&e, 0, sizeof(e));
		e.api = c->api;
		e.name = c->bot;
		e.scope = scope;
		e.installation_id = out->installation_id;
		e.expires_at = out->expires_at;
		e.secret = out->token;
		cache_put_token(cache, &e);	/* borrowed fields: no release */
	}
out:
	cache_unlock(lock);
	cache_close(cache);
	free(scope);
	if (ret)
		audit_record(c, "fail", repo, NULL, 0, raxx_errmsg());
	else
		audit_record(c, !strcmp(out->source, "cache") ? "reuse" : "mint",
			     repo, out->token, out->expires_at, NULL);
	info("token for %s: %s", c->bot, ret ? "none" :
	     !strcmp(out->source, "cache") ? "reused from the cache" : "minted");
	return ret;
}

int mint_fresh_scoped(struct raxx_config *c, const struct token_scope *scope,
		      struct mint_result *out)
{
	struct cache *cache = cache_open();	/* for the vault session only */
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mint_fresh(c, scope->repo, scope, cache, out);
	cache_close(cache);
	return ret;
}

void mint_result_release(struct mint_result *r)
{
	free_secret(r->token);
	free(r->repo);
	free(r->installation_id);
	memset(r, 0, sizeof(*r));
}
