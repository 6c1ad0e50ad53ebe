/*
 * Minting, the mechanics: the contract is in mint.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "mint.h"
#include "identity/discover.h"
#include "services/jwt.h"
#include "base/log.h"
#include "base/util.h"
#include "services/vault.h"

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

int mint_fetch_secrets(const struct mint_clients *mc, const char *bot,
		       struct vault_secrets *out, char **path)
{
	int ret;

	memset(out, 0, sizeof(*out));
	*path = vault_secret_path(mc->vs->path_prefix, bot);
	/* GitHub's TLS handshake while the vault answers, not after */
	if (mc->gh)
		github_preconnect(mc->gh);
	if ((ret = vault_get_secrets(mc->v, *path, out)) ||
	    (ret = check_keys(out, bot)))
		vault_secrets_release(out);
	return ret;
}

int mint_with_key(const struct mint_clients *mc, const struct mint_request *rq,
		  struct jwt_key *key, const char *app_id, const char *vault_inst,
		  const char *vault_path, struct gh_token *out,
		  char **installation_id)
{
	struct heal_request h;

	memset(out, 0, sizeof(*out));
	*installation_id = NULL;
	memset(&h, 0, sizeof(h));
	h.bot = rq->bot;
	h.api = mc->api;
	h.host = mc->host;
	h.app_id = app_id;
	h.vault_inst = vault_inst && *vault_inst ? vault_inst : NULL;
	h.vault_path = vault_path;
	h.vault_env = mc->vs->environment;
	h.repo = rq->repo_hint ? rq->repo_hint :
		rq->scope ? rq->scope->repo : NULL;
	h.owners = mc->owners;
	/* with the vault's installation; when it is gone (404) or absent,
	 * with the one found again for the repository, with a warning */
	return discover_create_token(mc->gh, key, &h, rq->scope, out,
				     installation_id);
}

int mint_installation_token(const struct mint_clients *mc,
			    const struct mint_request *rq, struct gh_token *out,
			    char **installation_id)
{
	struct vault_secrets secrets = { 0 };
	struct jwt_key *key = NULL;
	char *path = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	*installation_id = NULL;
	if ((ret = mint_fetch_secrets(mc, rq->bot, &secrets, &path)))
		goto out;
	if (!(key = jwt_key_load(vault_secrets_get(&secrets, "PRIVATE_KEY_PEM"),
				 path))) {
		ret = raxx_errcode();
		goto out;
	}
	ret = mint_with_key(mc, rq, key,
			    jwt_issuer(vault_secrets_get(&secrets, "APP_ID"),
				       vault_secrets_get(&secrets, "CLIENT_ID")),
			    vault_secrets_get(&secrets, "INSTALLATION_ID"), path,
			    out, installation_id);
out:
	jwt_key_free(key);
	vault_secrets_release(&secrets);
	free(path);
	return ret;
}
