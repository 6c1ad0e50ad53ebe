/*
 * doctor's chain checks (doctor_chain.h), the vault's half: the vault
 * identity and session, the bot, and a bot's child under --all. A bot's
 * App is doctor_chain_app.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_chain_state.h"
#include "store/clientsecret.h"
#include "identity/config.h"
#include "services/github.h"
#include "services/http.h"
#include "identity/identity.h"
#include "services/jwt.h"
#include "base/util.h"
#include "services/vault.h"

#include <string.h>
#include <unistd.h>

struct doctor_chain *doctor_chain_new(struct doctor *d, struct raxx_config *c,
				      const char *bot, const char *bot_err)
{
	struct doctor_chain *ch = xcalloc(1, sizeof(*ch));

	ch->d = d;
	ch->c = c;
	ch->bot = bot;
	ch->bot_err = bot_err ? xstrdup(bot_err) : NULL;
	return ch;
}

void doctor_chain_free(struct doctor_chain *ch)
{
	if (!ch)
		return;
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
	free(ch);
}

struct github *doctor_chain_github(const struct doctor_chain *ch)
{
	return ch->github_answered ? ch->gh : NULL;
}

long long doctor_chain_bot_user_id(const struct doctor_chain *ch)
{
	return ch->bot_user_id;
}

/* ---------------------------------------------------------------- vault */

void doctor_chain_env(struct doctor_chain *ch)
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

void doctor_chain_vault(struct doctor_chain *ch)
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

void doctor_chain_bot(struct doctor_chain *ch)
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

void doctor_chain_bot_child(struct doctor_chain *ch, const char *bot,
			    const char *about, int64_t deadline, int fd)
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
	doctor_chain_secrets(ch);
	doctor_chain_app(ch);
	doctor_chain_installation(ch);
	doctor_chain_mint(ch);
	_exit(0);	/* nothing of the parent's (stdio, atexit) runs twice */
}
