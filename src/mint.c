#define _POSIX_C_SOURCE 200809L
#include "mint.h"
#include "github.h"
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

/* "app-id", "App_Id" ... look like APP_ID: upper-case, '-' as '_'. */
static int looks_like(const char *have, const char *want)
{
	size_t i;

	for (i = 0; have[i] && want[i]; i++) {
		char ch = have[i] == '-' ? '_' : (char)toupper((unsigned char)have[i]);
		if (ch != want[i])
			return 0;
	}
	return !have[i] && !want[i];
}

static int check_keys(const struct vault_secrets *s, const char *bot)
{
	struct strbuf missing = STRBUF_INIT, hints = STRBUF_INIT;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < sizeof(required_keys) / sizeof(*required_keys); i++) {
		const char *v = vault_secrets_get(s, required_keys[i]);

		if (v && *v)
			continue;
		sb_addf(&missing, "%s%s", missing.len ? ", " : "", required_keys[i]);
		for (j = 0; j < s->nr; j++)
			if (looks_like(s->items[j].key, required_keys[i]))
				sb_addf(&hints, "%s'%s' should be named %s",
					hints.len ? ", " : "", s->items[j].key,
					required_keys[i]);
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

static int mint_fresh(struct raxx_config *c, const char *repo,
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
	char *path = NULL;
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
	path = vault_secret_path(vs.path_prefix, c->bot);
	if ((ret = vault_get_secrets(v, path, &secrets)))
		goto out;
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
	scope_of(c, repo, &scope, &perms);
	ret = github_create_token(gh, key, vault_secrets_get(&secrets, "APP_ID"),
				  vault_secrets_get(&secrets, "INSTALLATION_ID"),
				  &scope, c->bot, &tok);
	if (ret)
		goto out;
	out->token = tok.token;
	out->expires_at = tok.expires_at;
	out->source = "mint";
	out->repo = repo ? xstrdup(repo) : NULL;
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
	return ret;
}

int mint_get_token(struct raxx_config *c, const char *repo,
		   struct mint_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!c->bot)
		return raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot "
				 "or --agent, or set raxx.bot / raxx.agent "
				 "(git-credential-raxx setup)");
	return mint_fresh(c, repo, out);
}

void mint_result_release(struct mint_result *r)
{
	free_secret(r->token);
	free(r->repo);
	memset(r, 0, sizeof(*r));
}
