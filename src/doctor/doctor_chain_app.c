/*
 * doctor's chain checks (doctor_chain.h), a bot's App: bot-secrets (its
 * secrets in the vault), app-key, installation and mint. They run in
 * doctor's own process, and in a bot's child under --all.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_chain_state.h"
#include "cli/author.h"
#include "identity/discover.h"
#include "services/github.h"
#include "base/json.h"
#include "services/jwt.h"
#include "token/mint.h"
#include "identity/owners.h"
#include "base/util.h"
#include "services/vault.h"

#include <string.h>

/* ---------------------------------------------------------------- secrets */

static int numeric(const char *s)
{
	return s && *s && strlen(s) <= 20 && strspn(s, "0123456789") == strlen(s);
}

void doctor_chain_secrets(struct doctor_chain *ch)
{
	static const char *const keys[] = { "APP_ID", "INSTALLATION_ID",
					    "PRIVATE_KEY_PEM" };
	struct strbuf missing = STRBUF_INIT, alike = STRBUF_INIT;
	int miss[3] = { 0 }, alike_of[3] = { 0 };
	size_t i, j;
	char safe[128], *fix;

	if (!ch->bot || !ch->vault_ok) {
		doctor_report(ch->d, "bot-secrets", DOCTOR_SKIP, NULL, "%s",
			      !ch->bot ? "no bot" : "no vault session (see vault-login)");
		return;
	}
	doctor_begin_check(ch->d);
	ch->path = vault_secret_path(ch->vs.path_prefix, ch->bot);
	if (vault_get_secrets(ch->v, ch->path, &ch->secrets)) {
		fix = xstrfmt("create %s in environment %s holding APP_ID, "
			      "INSTALLATION_ID and PRIVATE_KEY_PEM, or point "
			      "INFISICAL_PATH_PREFIX (now %s) at the folder that "
			      "holds the bots", ch->path, ch->vs.environment,
			      ch->vs.path_prefix);
		doctor_report(ch->d, "bot-secrets", DOCTOR_FAIL, fix, "%s", doctor_errmsg());
		free(fix);
		return;
	}
	for (i = 0; i < 3; i++) {
		const char *v = vault_secrets_get(&ch->secrets, keys[i]);

		miss[i] = !v || !*v;
		if (miss[i])
			sb_addf(&missing, "%s%s", missing.len ? ", " : "", keys[i]);
		for (j = 0; j < ch->secrets.nr; j++)
			if (key_looks_like(ch->secrets.items[j].key, keys[i])) {
				alike_of[i] = 1;
				sb_addf(&alike, "%s'%s' should be named %s",
					alike.len ? ", " : "",
					sanitize(safe, sizeof(safe), ch->secrets.items[j].key),
					keys[i]);
			}
	}
	/* a CLIENT_ID is the JWT issuer, and then APP_ID is not needed */
	ch->app_num = vault_secrets_get(&ch->secrets, "APP_ID");
	ch->app_id = jwt_issuer(ch->app_num,
				vault_secrets_get(&ch->secrets, "CLIENT_ID"));
	ch->iss_key = ch->app_id && ch->app_id != ch->app_num ? "CLIENT_ID" : "APP_ID";
	if (!numeric(ch->app_num))
		ch->app_num = NULL;
	if (miss[0] && !strcmp(ch->iss_key, "CLIENT_ID")) {
		miss[0] = 0;
		sb_reset(&missing);
		for (i = 1; i < 3; i++)
			if (miss[i])
				sb_addf(&missing, "%s%s", missing.len ? ", " : "",
					keys[i]);
	}
	ch->pem = vault_secrets_get(&ch->secrets, "PRIVATE_KEY_PEM");
	ch->vault_inst = vault_secrets_get(&ch->secrets, "INSTALLATION_ID");
	if (ch->vault_inst && !*ch->vault_inst)
		ch->vault_inst = NULL;
	ch->app_id_ok = !miss[0] && jwt_issuer_ok(ch->app_id);

	if (miss[0] || miss[2] || (miss[1] && alike_of[1])) {
		doctor_report(ch->d, "bot-secrets", DOCTOR_FAIL, alike.len ?
			      "rename the look-alike keys in the vault to these "
			      "exact upper-case names" :
			      "add them in the vault with these exact names "
			      "(APP_ID, INSTALLATION_ID, PRIVATE_KEY_PEM)",
			      "%s (environment %s) lacks %s%s%s%s", ch->path,
			      ch->vs.environment, missing.buf, alike.len ? " (" : "",
			      sb_str(&alike), alike.len ? ")" : "");
		ch->app_id = ch->pem = NULL;
	} else if (!ch->app_id_ok) {
		doctor_report(ch->d, "bot-secrets", DOCTOR_FAIL,
			      "store the App's ID (the App's settings page, "
			      "'App ID') in APP_ID, or its client ID ('Client ID', "
			      "Iv1... or Iv23...) in CLIENT_ID",
			      "%s at %s is neither an App ID (a number) nor a "
			      "client ID", ch->iss_key, ch->path);
	} else if (miss[1]) {
		doctor_report(ch->d, "bot-secrets", DOCTOR_WARN,
			      "add INSTALLATION_ID (the installation check names it)",
			      "INSTALLATION_ID missing at %s (environment %s): raxx "
			      "looks the installation up by repository on every "
			      "cold mint", ch->path, ch->vs.environment);
	} else if (alike.len) {
		doctor_report(ch->d, "bot-secrets", DOCTOR_WARN,
			      "delete the look-alike keys: raxx reads only the "
			      "upper-case names",
			      "APP_ID, INSTALLATION_ID, PRIVATE_KEY_PEM at %s, but "
			      "also look-alikes: %s", ch->path, alike.buf);
	} else {
		doctor_report(ch->d, "bot-secrets", DOCTOR_PASS, NULL,
			      "%s, INSTALLATION_ID, PRIVATE_KEY_PEM at %s "
			      "(environment %s%s)", !strcmp(ch->iss_key, "CLIENT_ID") ?
			      "CLIENT_ID (the JWT issuer)" : "APP_ID", ch->path,
			      ch->vs.environment,
			      vault_read_api() == 3 ? "; read through v3 raw: this "
			      "vault has no v4 routes" : "");
	}
	sb_release(&missing);
	sb_release(&alike);
}

/* ---------------------------------------------------------------- GitHub */

/* Does GET /app name the App of the issuer (and of APP_ID, when both)? */
static int app_matches(const struct doctor_chain *ch, struct json_object *o)
{
	const char *cid = json_str(o, "client_id");
	long long id = 0;
	int have_id = !json_int(o, "id", &id);

	if (ch->app_num && (!have_id || id != strtoll(ch->app_num, NULL, 10)))
		return 0;
	if (numeric(ch->app_id))
		return have_id && id == strtoll(ch->app_id, NULL, 10);
	return cid && !strcmp(cid, ch->app_id);
}

void doctor_chain_app(struct doctor_chain *ch)
{
	long status = 0;
	char *json = NULL, msg[300], *fix;
	struct json_object *o;
	const char *slug;

	if (!ch->app_id_ok || !ch->pem) {
		doctor_report(ch->d, "app-key", DOCTOR_SKIP, NULL, "%s", !ch->bot ?
			      "no bot" : "no usable APP_ID and PRIVATE_KEY_PEM "
			      "(see bot-secrets)");
		return;
	}
	doctor_begin_check(ch->d);
	if (!(ch->key = jwt_key_load(ch->pem, ch->path))) {
		fix = xstrfmt("store the App's private key (the .pem from the App's "
			      "settings, PKCS#1 or PKCS#8) in PRIVATE_KEY_PEM at %s",
			      ch->path);
		doctor_report(ch->d, "app-key", DOCTOR_FAIL, fix, "%s", doctor_errmsg());
		free(fix);
		return;
	}
	if (!(ch->gh = github_new(ch->c->api))) {
		doctor_report(ch->d, "app-key", DOCTOR_FAIL,
			      "set RAXX_GITHUB_API (or raxx.githubApi) to GitHub's "
			      "https:// REST base", "%s", doctor_errmsg());
		return;
	}
	if (github_app_get(ch->gh, ch->key, ch->app_id, "/app", &status, &json)) {
		doctor_report(ch->d, "app-key", DOCTOR_FAIL,
			      "check RAXX_GITHUB_API and the network, then retry",
			      "%s", doctor_errmsg());
		return;
	}
	ch->github_answered = 1;
	json_message(json, strlen(json), msg, sizeof(msg));
	o = json_parse(json, strlen(json));
	slug = json_str(o, "slug");
	if (status == 200 && app_matches(ch, o)) {
		char safe[128];

		ch->app_ok = 1;
		sanitize(safe, sizeof(safe), slug ? slug : "?");
		if (slug && strcmp(slug, ch->bot)) {
			fix = xstrfmt("name the bot after the App's slug (%s), or "
				      "store this bot's own App in %s", safe, ch->path);
			doctor_report(ch->d, "app-key", DOCTOR_WARN, fix,
				      "PRIVATE_KEY_PEM signs for App %s, whose slug "
				      "is '%s', not '%s': GitHub shows its work as "
				      "%s[bot]", ch->app_id, safe, ch->bot, safe);
			free(fix);
		} else {
			doctor_report(ch->d, "app-key", DOCTOR_PASS, NULL,
				      "PRIVATE_KEY_PEM signs for App %s (%s)",
				      ch->app_id, safe);
		}
	} else if (status == 200) {
		fix = xstrfmt("check that %s%s and PRIVATE_KEY_PEM are the same "
			      "App's", ch->iss_key, strcmp(ch->iss_key, "CLIENT_ID") ||
			      !ch->app_num ? "" : ", APP_ID");
		doctor_report(ch->d, "app-key", DOCTOR_FAIL, fix,
			      "GitHub's /app answer does not name App %s%s%s",
			      ch->app_id, ch->app_num && strcmp(ch->app_num, ch->app_id) ?
			      " with App ID " : "", ch->app_num &&
			      strcmp(ch->app_num, ch->app_id) ? ch->app_num : "");
		free(fix);
	} else if (status == 401 || status == 403) {
		fix = xstrfmt("%s and PRIVATE_KEY_PEM must belong to the same "
			      "App: generate a private key in App %s's settings "
			      "and store it in PRIVATE_KEY_PEM at %s", ch->iss_key,
			      ch->app_id, ch->path);
		doctor_report(ch->d, "app-key", DOCTOR_FAIL, fix,
			      "GitHub refused the App JWT for App %s (HTTP %ld: %s)",
			      ch->app_id, status, *msg ? msg : "no message");
		free(fix);
	} else {
		doctor_report(ch->d, "app-key", DOCTOR_FAIL,
			      "check RAXX_GITHUB_API, then retry",
			      "GET /app answered HTTP %ld%s%s", status,
			      *msg ? ": " : "", msg);
	}
	json_object_put(o);
	free(json);
}

/* "4711 (raxx-app), 4712 (other-org)" from GET /app/installations; *only:
 * the one installation that may replace the vault's (discover.h), if one. */
static char *list_installations(struct doctor_chain *ch, const struct heal_request *h,
				int *count, char **only)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_object *arr;
	char *json = NULL, safe[100];
	long status = 0;
	size_t i;
	int healers = 0;

	*count = 0;
	*only = NULL;
	if (github_app_get(ch->gh, ch->key, ch->app_id, "/app/installations?per_page=100",
			   &status, &json) || status != 200) {
		free(json);
		return NULL;
	}
	arr = json_parse(json, strlen(json));
	if (arr && json_object_is_type(arr, json_type_array)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *in = json_object_array_get_idx(arr, i), *acct;
			long long id;

			long long aid = 0;

			if (json_int(in, "id", &id))
				continue;
			json_object_object_get_ex(in, "account", &acct);
			sb_addf(&sb, "%s%lld (%s)", sb.len ? ", " : "", id,
				sanitize(safe, sizeof(safe),
					 json_str(acct, "login") ? json_str(acct, "login") : "?"));
			(*count)++;
			if (json_int(acct, "id", &aid) ||
			    !discover_may_heal(h, json_str(acct, "login"), aid))
				continue;	/* never the vault's fix */
			if (!healers++)
				*only = xstrfmt("%lld", id);
		}
	}
	json_object_put(arr);
	free(json);
	if (healers != 1) {
		free(*only);
		*only = NULL;
	}
	return sb_detach(&sb);
}

static void installation_check(struct doctor_chain *ch, const struct owners *owners)
{
	struct heal_request h = {
		.bot = ch->bot, .api = ch->c->api, .host = ch->c->host,
		.app_id = ch->app_id, .vault_inst = ch->vault_inst,
		.vault_path = ch->path, .vault_env = ch->vs.environment,
		.repo = ch->c->opt_repo, .owners = owners,
	};
	char *json = NULL, *found = NULL, *from = NULL, *why = NULL, *fix;
	char *stale, *list, *only;
	long status = 0;
	int count;

	if (!ch->app_ok) {
		doctor_report(ch->d, "installation", DOCTOR_SKIP, NULL, "%s",
			      !ch->bot ? "no bot" : "the App key is not usable "
			      "(see app-key)");
		return;
	}
	doctor_begin_check(ch->d);
	if (ch->vault_inst && !numeric(ch->vault_inst)) {
		doctor_report(ch->d, "installation", DOCTOR_FAIL,
			      "store the numeric installation id in INSTALLATION_ID",
			      "INSTALLATION_ID at %s is not a number", ch->path);
		return;
	}
	if (ch->vault_inst) {
		char *p = xstrfmt("/app/installations/%s", ch->vault_inst);
		struct json_object *o;
		char msg[300];
		int r = github_app_get(ch->gh, ch->key, ch->app_id, p, &status, &json);

		free(p);
		if (r) {
			doctor_report(ch->d, "installation", DOCTOR_FAIL,
				      "check RAXX_GITHUB_API and the network, then "
				      "retry", "%s", doctor_errmsg());
			return;
		}
		o = json_parse(json, strlen(json));
		json_message(json, strlen(json), msg, sizeof(msg));
		if (status == 200) {
			struct json_object *acct = NULL, *susp = NULL;
			char who[100], sel[20];

			long long aid;

			json_object_object_get_ex(o, "account", &acct);
			json_object_object_get_ex(o, "suspended_at", &susp);
			if (!json_int(acct, "id", &aid))
				discover_learned(&h, json_str(acct, "login"), aid);
			sanitize(who, sizeof(who), json_str(acct, "login") ?
				 json_str(acct, "login") : "?");
			sanitize(sel, sizeof(sel), json_str(o, "repository_selection") ?
				 json_str(o, "repository_selection") : "?");
			if (susp && !json_object_is_type(susp, json_type_null))
				doctor_report(ch->d, "installation", DOCTOR_FAIL,
					      "unsuspend the App in the account's "
					      "settings (Settings > GitHub Apps)",
					      "installation %s on %s is suspended",
					      ch->vault_inst, who);
			else
				doctor_report(ch->d, "installation", DOCTOR_PASS, NULL,
					      "installation %s on %s (repositories: %s)",
					      ch->vault_inst, who, sel);
			ch->inst = xstrdup(ch->vault_inst);
		} else if (status != 404) {
			doctor_report(ch->d, "installation", DOCTOR_FAIL,
				      "check RAXX_GITHUB_API, then retry",
				      "GET /app/installations/%s answered HTTP %ld%s%s",
				      ch->vault_inst, status, *msg ? ": " : "", msg);
		}
		json_object_put(o);
		free(json);
		if (status != 404)
			return;
	}

	/* gone (404) or absent: what would the self-heal find? */
	stale = ch->vault_inst ?
		xstrfmt("installation %s of App %s not found (HTTP 404: the App "
			"was reinstalled or the organization renamed)",
			ch->vault_inst, ch->app_id) :
		xstrfmt("INSTALLATION_ID missing at %s", ch->path);
	if (discover_find(ch->gh, ch->key, &h, &found, &from)) {
		char *mem_file = NULL, *mem = discover_recall(&h, &mem_file);

		why = xstrdup(doctor_errmsg());
		if (mem) {
			found = mem;
			from = xstrfmt("remembered in %s", mem_file);
		}
		free(mem_file);
	} else {
		char *t = xstrfmt("found through %s", from);

		free(from);
		from = t;
	}
	if (found) {
		fix = xstrfmt("set INSTALLATION_ID at %s (environment %s) to %s; "
			      "until then raxx mints with %s and warns", ch->path,
			      ch->vs.environment, found, found);
		doctor_report(ch->d, "installation", DOCTOR_FAIL, fix,
			      "%s; the App's installation is now %s (%s)", stale,
			      found, from);
		free(fix);
		ch->inst = found;
		found = NULL;
	} else {
		list = list_installations(ch, &h, &count, &only);
		if (only)
			fix = xstrfmt("set INSTALLATION_ID at %s (environment %s) to "
				      "%s, the App's only installation%s", ch->path,
				      ch->vs.environment, only, count > 1 ?
				      " on an account it may use" : "");
		else
			fix = xstrfmt("install the App on the organization, then set "
				      "INSTALLATION_ID at %s (environment %s) to its "
				      "id; or rerun with --repo OWNER/REPO to find it",
				      ch->path, ch->vs.environment);
		doctor_report(ch->d, "installation", DOCTOR_FAIL, fix,
			      "%s, and %s; the App's installations: %s", stale,
			      why ? why : "none found",
			      list && *list ? list : count ? "?" : "none");
		free(fix);
		free(list);
		free(only);
	}
	free(stale);
	free(found);
	free(from);
	free(why);
}

void doctor_chain_installation(struct doctor_chain *ch)
{
	struct owners owners = OWNERS_INIT;

	/* a malformed setting: the vault's account only (mint says why) */
	if (ch->app_ok && owners_load(ch->c, &owners))
		raxx_clear_error();
	installation_check(ch, &owners);
	owners_release(&owners);
}

void doctor_chain_mint(struct doctor_chain *ch)
{
	struct gh_token tok = { 0 };
	const char *fix;
	char *login;
	size_t len;
	long mins;
	int ret, rv;

	if (!ch->inst) {
		doctor_report(ch->d, "mint", DOCTOR_SKIP, NULL, "%s", !ch->bot ?
			      "no bot" : "no usable installation (see above)");
		return;
	}
	doctor_begin_check(ch->d);
	ret = github_create_token(ch->gh, ch->key, ch->app_id, ch->inst, NULL,
				  ch->bot, &tok);
	if (ret) {
		fix = ret == RAXX_EAPPCRED ? "check the installation (not suspended) "
			"and the App's permissions on GitHub" :
			ret == RAXX_ENOINST ? "see installation above" :
			"check RAXX_GITHUB_API and the network, then retry";
		doctor_report(ch->d, "mint", DOCTOR_FAIL, fix, "%s", doctor_errmsg());
		return;
	}
	len = strlen(tok.token);
	mins = (long)(tok.expires_at - now_seconds()) / 60;
	if (strncmp(tok.token, "ghs_", 4)) {
		doctor_report(ch->d, "mint", DOCTOR_FAIL,
			      "check that RAXX_GITHUB_API is GitHub's REST API",
			      "GitHub answered a token that does not start with "
			      "ghs_ (%zu characters)", len);
		github_revoke_token(ch->gh, tok.token);
		gh_token_release(&tok);
		return;
	}
	/* the bot's user id, for the author check, while the token lives */
	login = xstrfmt("%s[bot]", ch->bot);
	if (!author_recall_id(ch->c->api, ch->bot, &ch->bot_user_id) &&
	    github_user_id(ch->gh, login, tok.token, &ch->bot_user_id))
		ch->bot_user_id = 0;
	free(login);
	rv = github_revoke_token(ch->gh, tok.token);
	gh_token_release(&tok);
	doctor_report(ch->d, "mint", DOCTOR_PASS, NULL,
		      "minted a ghs_ token for installation %s (%zu characters, "
		      "valid %ld min)%s", ch->inst, len, mins,
		      rv == 0 ? " and revoked it" : "; could not revoke it");
	raxx_clear_error();
}
