#define _POSIX_C_SOURCE 200809L
#include "doctor.h"
#include "author.h"
#include "broker.h"
#include "cli.h"
#include "identity.h"
#include "store.h"
#include "clientsecret.h"
#include "discover.h"
#include "github.h"
#include "http.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "mint.h"
#include "owners.h"
#include "protocol.h"
#include "util.h"
#include "vault.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char doctor_usage[] =
"usage: git-credential-raxx [OPTIONS] doctor [--all] [--json] [--quiet] [--ops]\n"
"                                           [--max-time SECS]\n"
"Check the whole chain, one line per check: [PASS], [WARN] (never changes\n"
"the exit status), [FAIL] (with its fix; exit 1) or [SKIP].\n"
"  --all            every bot of the trusted agent map and of the audit\n"
"                   log, in parallel: one block per bot, then a summary\n"
"  --json           one JSON object on stdout instead of lines\n"
"  --quiet          print only the FAIL lines (for cron)\n"
"  --ops            also verify the operator's Cloudflare, Heroku and\n"
"                   GitHub credentials (environment, else the OS keychain)\n"
"  --max-time SECS  network deadline of each check (default 10); with\n"
"                   --all, of each bot's checks together\n";

/* What the checks of the chain learn, for the later ones. */
struct doctor_chain {
	struct doctor *d;	/* the report */
	struct raxx_config *c;
	const char *bot;	/* c->id's, or NULL */
	char *bot_err;		/* why the bot asked for does not resolve, or NULL */

	int env_ok;
	struct vault_settings vs;
	int have_vs;
	struct vault *v;
	int vault_ok, cf_refused;
	char *login_err;
	char *path;
	struct vault_secrets secrets;
	const char *app_id, *pem, *vault_inst;	/* app_id: the JWT issuer */
	const char *iss_key;	/* where it came from: "APP_ID" or "CLIENT_ID" */
	const char *app_num;	/* APP_ID when it is the numeric App ID */
	int app_id_ok;
	struct jwt_key *key;
	struct github *gh;
	int github_answered;
	int app_ok;
	char *inst;
	long long bot_user_id;
};

/* ---------------------------------------------------------------- vault */

static void check_env(struct doctor_chain *ch)
{
	const char *names[] = { "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET",
				"INFISICAL_PROJECT_ID" };
	struct strbuf missing = STRBUF_INIT;
	const char *prefix = env_get("INFISICAL_PATH_PREFIX"), *secret;
	size_t i;

	if (client_secret_get(&secret, NULL)) {
		doctor_report(ch->d, "infisical-env", DOCTOR_FAIL, NULL, "%s", doctor_errmsg());
		return;
	}
	for (i = 0; i < 3; i++)
		if (i == 1 ? !secret : !env_get(names[i]))
			sb_addf(&missing, "%s%s", missing.len ? ", " : "", names[i]);
	if (missing.len) {
		doctor_report(ch->d, "infisical-env", DOCTOR_FAIL,
			      "export the Universal Auth machine identity "
			      "(INFISICAL_CLIENT_ID, INFISICAL_CLIENT_SECRET, "
			      "INFISICAL_PROJECT_ID) in the agents' shell; see "
			      "git-credential-raxx(1), ENVIRONMENT",
			      "%s not set", missing.buf);
		sb_release(&missing);
		return;
	}
	sb_release(&missing);
	if (vault_settings_from_env(&ch->vs)) {
		doctor_report(ch->d, "infisical-env", DOCTOR_FAIL, NULL, "%s", doctor_errmsg());
		return;
	}
	ch->have_vs = 1;
	ch->env_ok = 1;
	doctor_report(ch->d, "infisical-env", DOCTOR_PASS, NULL,
		      "INFISICAL_CLIENT_ID, INFISICAL_CLIENT_SECRET, "
		      "INFISICAL_PROJECT_ID set; vault %s, environment %s, bot "
		      "folders under %s (%s)", ch->vs.base, ch->vs.environment,
		      ch->vs.path_prefix, prefix ? "INFISICAL_PATH_PREFIX" : "default");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void check_vault(struct doctor_chain *ch)
{
	const char *id = env_get("CF_ACCESS_CLIENT_ID");
	const char *sec = env_get("CF_ACCESS_CLIENT_SECRET");
	char *rid;

	doctor_begin_check(ch->d);
	if (ch->env_ok) {
		if (!(ch->v = vault_new(&ch->vs)) || vault_login(ch->v)) {
			ch->login_err = xstrdup(doctor_errmsg());
			ch->cf_refused = strstr(ch->login_err, "Cloudflare") != NULL;
		} else {
			ch->vault_ok = 1;
		}
	}

	/* Cloudflare Access: the first gate in front of a self-hosted vault */
	if (id && sec) {
		rid = doctor_redact(id);
		if (ch->cf_refused)
			doctor_report(ch->d, "cf-access", DOCTOR_FAIL,
				      "give the Access application a Service Auth "
				      "policy that includes this service token, or "
				      "set CF_ACCESS_CLIENT_ID/CF_ACCESS_CLIENT_SECRET "
				      "to a current one",
				      "Cloudflare Access refused service token %s: %s",
				      rid, ch->login_err);
		else if (!ends_with(id, ".access"))
			doctor_report(ch->d, "cf-access", DOCTOR_WARN,
				      "use the Client ID exactly as Cloudflare shows "
				      "it (NAME.access)",
				      "CF_ACCESS_CLIENT_ID %s does not end in '.access'",
				      rid);
		else
			doctor_report(ch->d, "cf-access", DOCTOR_PASS, NULL,
				      "service token %s set: sent on every vault "
				      "request%s", rid, ch->vault_ok ?
				      ", and the vault let it through" : "");
		free(rid);
	} else if (id || sec) {
		const char *have = id ? "CF_ACCESS_CLIENT_ID" : "CF_ACCESS_CLIENT_SECRET";

		doctor_report(ch->d, "cf-access", ch->cf_refused ? DOCTOR_FAIL : DOCTOR_WARN,
			      "set both CF_ACCESS_CLIENT_ID and "
			      "CF_ACCESS_CLIENT_SECRET, or neither",
			      "only %s is set, so it is ignored%s", have,
			      ch->cf_refused ? ", and Cloudflare Access stopped "
			      "the vault login" : "");
	} else if (ch->cf_refused) {
		doctor_report(ch->d, "cf-access", DOCTOR_FAIL,
			      "set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET "
			      "to a Cloudflare Access service token",
			      "the vault is behind Cloudflare Access and no service "
			      "token is set: %s", ch->login_err);
	} else {
		doctor_report(ch->d, "cf-access", DOCTOR_SKIP, NULL,
			      "CF_ACCESS_CLIENT_ID/SECRET not set (needed only when "
			      "the vault is behind Cloudflare Access)");
	}

	if (!ch->env_ok) {
		doctor_report(ch->d, "vault-login", DOCTOR_SKIP, NULL,
			      "INFISICAL_* missing (see infisical-env)");
	} else if (ch->vault_ok) {
		time_t exp = 0;

		long left;

		vault_session(ch->v, &exp);
		left = (long)(exp - now_seconds());
		rid = doctor_redact(ch->vs.client_id);
		doctor_report(ch->d, "vault-login", DOCTOR_PASS, NULL,
			      "logged in to %s as identity %s (session valid %ld %s)",
			      ch->vs.base, rid, left >= 2 * 86400 ? left / 86400 :
			      left >= 7200 ? left / 3600 : left / 60,
			      left >= 2 * 86400 ? "days" : left >= 7200 ? "h" : "min");
		free(rid);
	} else {
		long st = vault_last_status(ch->v);
		char *fix = ch->cf_refused ? xstrdup("see cf-access above") :
			!st ? xstrfmt("check INFISICAL_HOST (%s), the network and "
				      "any proxy (https_proxy, NO_PROXY), and "
				      "Cloudflare Access in front of the vault",
				      ch->vs.base) :
			st == 401 ? xstrdup("check INFISICAL_HOST, and "
					    "INFISICAL_CLIENT_ID / "
					    "INFISICAL_CLIENT_SECRET against the "
					    "identity's Universal Auth page in "
					    "Infisical (rotate the client secret "
					    "there if it expired)") :
			st == 403 ? xstrdup("check the identity's trusted IPs in "
					    "Infisical, and Cloudflare in front of "
					    "the vault") :
			xstrfmt("check that INFISICAL_HOST (%s) is an Infisical "
				"server, then retry later", ch->vs.base);

		doctor_report(ch->d, "vault-login", DOCTOR_FAIL, fix, "%s", ch->login_err);
		free(fix);
	}
}

/* ---------------------------------------------------------------- bot */

static void check_bot(struct doctor_chain *ch)
{
	struct raxx_config *c = ch->c;

	const char *agent = c->id ? c->id->agent : NULL;
	char *odd = NULL;

	if (!agent)
		agent = config_git(c, "raxx.agent");
	if (ch->bot_err)
		doctor_report(ch->d, "bot", DOCTOR_FAIL,
			      "fix the trusted agent map, or pass --bot NAME",
			      "%s", ch->bot_err);
	else if (ch->bot && agent &&
		 (odd = worktree_map_disagrees(c, agent, ch->bot)))
		doctor_report(ch->d, "bot", DOCTOR_WARN, "the working tree's map is "
			      "content, never configuration: fix the committed "
			      "map, or ignore it", "%s (from %s); %s, which is not "
			      "used", ch->bot, c->id->source_text, odd);
	else if (ch->bot)
		doctor_report(ch->d, "bot", DOCTOR_PASS, NULL, "%s (from %s)", ch->bot,
			      c->id->source_text);
	else if (c->id && c->id->handoff)
		doctor_report(ch->d, "bot", DOCTOR_SKIP, NULL, "handoff '%s' (from %s): "
			      "its manifest names the bot; 'git-credential-raxx "
			      "handoff verify --task-slug %s' checks it",
			      c->id->handoff, c->id->handoff_source, c->id->handoff);
	else
		doctor_report(ch->d, "bot", DOCTOR_SKIP, NULL,
			      "no bot here, so the bot checks are skipped (pass "
			      "--bot or --agent, or run git-credential-raxx setup "
			      "in the worktree)");
	free(odd);
}


static int numeric(const char *s)
{
	return s && *s && strlen(s) <= 20 && strspn(s, "0123456789") == strlen(s);
}

static void check_secrets(struct doctor_chain *ch)
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

static void check_app(struct doctor_chain *ch)
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

static void check_installation(struct doctor_chain *ch)
{
	struct owners owners = OWNERS_INIT;

	/* a malformed setting: the vault's account only (mint says why) */
	if (ch->app_ok && owners_load(ch->c, &owners))
		raxx_clear_error();
	installation_check(ch, &owners);
	owners_release(&owners);
}

static void check_mint(struct doctor_chain *ch)
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

void doctor_bot_child(struct doctor_chain *ch, const char *bot, const char *about,
		      int64_t deadline, int fd)
{
	struct vault *parent = ch->v;
	const char *session;
	time_t exp = 0;

	/*
	 * The parent's connections stay the parent's (two processes on one
	 * TLS stream would garble it): a vault client of this child's own,
	 * with the parent's session, so no bot costs a second login.
	 */
	http_forget_connections();
	ch->v = NULL;
	ch->gh = NULL;
	if (ch->vault_ok && (ch->v = vault_new(&ch->vs)) &&
	    (session = vault_session(parent, &exp)))
		vault_set_session(ch->v, session, exp);
	if (!ch->v)
		ch->vault_ok = 0;
	ch->bot = bot;
	doctor_report_stream(ch->d, deadline, fd);
	doctor_report(ch->d, "bot", DOCTOR_PASS, NULL, "%s: %s", bot, about);
	check_secrets(ch);
	check_app(ch);
	check_installation(ch);
	check_mint(ch);
	_exit(0);	/* nothing of the parent's (stdio, atexit) runs twice */
}

/* ---------------------------------------------------------------- main */

static int usage(const char *fmt, ...) RAXX_PRINTF(1, 2);
static int usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(stderr, "raxx: doctor: ", fmt, ap);
	va_end(ap);
	fprintf(stderr, "(see 'git-credential-raxx help doctor')\n");
	return RAXX_EUSAGE;
}

static void chain_release(struct doctor_chain *ch)
{
	free(ch->login_err);
	free(ch->bot_err);
	free(ch->path);
	free(ch->inst);
	vault_secrets_release(&ch->secrets);
	jwt_key_free(ch->key);
	github_free(ch->gh);
	vault_free(ch->v);
	if (ch->have_vs)
		vault_settings_release(&ch->vs);
}

int doctor_main(struct raxx_config *c, int argc, char **argv)
{
	struct doctor_chain chain, *ch = &chain;
	struct doctor *d;
	char *load_msg = NULL, *broker = NULL;
	int i, load_err, ret, fallbacks_failed, counts[4];
	int json = 0, quiet = log_verbosity < 0, ops = 0, all_bots = 0;
	long max_time = 10;
	struct doctor_window window;
	struct doctor_all *all = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (!strcmp(a, "--json"))
			json = 1;
		else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
			quiet = 1;
		else if (!strcmp(a, "--ops"))
			ops = 1;
		else if (!strcmp(a, "--all"))
			all_bots = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(doctor_usage, stdout);
			return 0;
		} else if (!strcmp(a, "--max-time")) {
			if (i + 1 >= argc)
				return usage("option '%s' needs a value", a);
			v = argv[++i];
		} else if (!strncmp(a, "--max-time=", 11)) {
			v = a + 11;
		} else {
			return usage("unknown option '%s'", a);
		}
		if (v && parse_long(v, 1, 600, &max_time))
			return usage("--max-time '%s' is not a number of seconds "
				     "(1-600)", v);
	}
	if (all_bots && (c->opt_bot || c->opt_agent))
		return usage("--all checks every bot of the trusted agent map: "
			     "drop %s, or leave out --all", c->opt_bot ? "--bot" :
			     "--agent");
	d = doctor_report_new(json, quiet, all_bots ? "shared" : "checks",
			      max_time);

	memset(ch, 0, sizeof(*ch));
	ch->d = d;
	ch->c = c;
	load_err = cli_load(c);
	if (load_err)
		load_msg = xstrdup(doctor_errmsg());
	if (identity_settle(c, c->opt_repo))
		ch->bot_err = xstrdup(doctor_errmsg());
	ch->bot = c->id ? c->id->bot : NULL;
	raxx_clear_error();

	/* with a token broker in use, it holds the vault identity and keys */
	if (!doctor_broker_begin(d, c, &broker)) {
		check_env(ch);
		check_vault(ch);
	}
	if (all_bots) {
		/* the bots' checks run in children meanwhile; here, the shared
		 * ones, and the worktree's bot only when it does not resolve */
		all = doctor_all_start(d, ch, c);
		if (ch->bot_err)
			check_bot(ch);
	} else if (broker) {
		check_bot(ch);
		doctor_broker_mint(d, c, broker);
	} else {
		check_bot(ch);
		check_secrets(ch);
		check_app(ch);
		check_installation(ch);
		check_mint(ch);
	}
	doctor_local_fallback(d, c, load_err, load_msg);
	fallbacks_failed = doctor_fallbacks(d, &window);
	doctor_local_dir(d, "cache-dir", cache_dir_path(), "RAXX_CACHE_DIR");
	doctor_local_dir(d, "state-dir", state_dir_path(), "RAXX_STATE_DIR");
	doctor_local_clock(d, c->api, ch->github_answered ? ch->gh : NULL);
	doctor_local_author(d, c, ch->bot, ch->bot_user_id);
	doctor_local_helper_chain(d, c, ch->bot);
	doctor_local_git_version(d);
	if (ops)
		doctor_ops(d, c);
	if (all_bots)	/* the bots' blocks, their checks counted in */
		doctor_all_finish(d, all);
	/* healthy but for events already reported here: the window moves on */
	doctor_counts(d, counts, NULL);
	if (counts[DOCTOR_FAIL] == fallbacks_failed)
		doctor_record_pass(&window);

	ret = counts[DOCTOR_FAIL] ? 1 : 0;
	if (doctor_is_json(d)) {
		if (all_bots)	/* the bots are in "bots": none names the document */
			doctor_json_add(d, "all", json_object_new_boolean(1));
		else
			doctor_json_add(d, "bot", ch->bot ?
					json_object_new_string(ch->bot) : NULL);
		doctor_json_add(d, "host", json_object_new_string(c->host ?
								  c->host : ""));
	}
	/* --all: its own summary */
	doctor_report_end(d, ret, !all_bots);
	free(load_msg);
	free(broker);
	chain_release(ch);
	doctor_report_free(d);
	return ret;
}
