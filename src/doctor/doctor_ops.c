/*
 * doctor --ops: the operator's own credentials, as the session-bootstrap
 * runbook checks them. Each value comes from the environment, else from
 * the OS keychain under the runbook's service name; each is verified
 * with one read-only request:
 *
 *   CLOUDFLARE_ACCESS_MGMT_TOKEN, CF_WORKER_DEPLOY
 *       GET {RAXX_CLOUDFLARE_API}/user/tokens/verify (account-owned cfat_
 *       tokens: /accounts/{CLOUDFLARE_ACCOUNT_ID}/tokens/verify); PASS only
 *       with success == true and result.status == "active"
 *   HEROKU_API_KEY
 *       GET {RAXX_HEROKU_API}/account, Accept: application/vnd.heroku+json;
 *       version=3
 *   GITHUB_API_SECRETS_TOKEN
 *       GET {RAXX_GITHUB_API}/user; a token with an expiry (fine-grained
 *       PATs always have one) gets GitHub-Authentication-Token-Expiration
 *       on the answer: WARN from 14 days before it
 *
 * A credential in neither the environment nor the keychain (or with no
 * keychain tool here) is a FAIL, as the runbook's failure mode D says: an
 * operator who asked for --ops expects all four.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_ops.h"
#include "identity/config.h"
#include "services/http.h"
#include "base/json.h"
#include "services/keychain.h"
#include "base/log.h"
#include "store/store.h"
#include "base/util.h"

#include <string.h>

enum ops_kind { OPS_CLOUDFLARE, OPS_HEROKU, OPS_GITHUB };

struct ops_cred {
	const char *env;
	const char *service;	/* keychain service name (runbook) */
	enum ops_kind kind;
	const char *rotate;	/* the runbook's rotation doc */
};

static const struct ops_cred creds[] = {
	{ "CLOUDFLARE_ACCESS_MGMT_TOKEN", "raxx-cf-access-mgmt-token",
	  OPS_CLOUDFLARE, "docs/ops/runbooks/rotation/cloudflare-user-api-token.md" },
	{ "CF_WORKER_DEPLOY", "raxx-cf-worker-deploy-token", OPS_CLOUDFLARE,
	  "docs/ops/runbooks/rotation/cloudflare-user-api-token.md (scope "
	  "Zone:Workers Routes:Edit, #1093)" },
	{ "HEROKU_API_KEY", "raxx-heroku-api-key", OPS_HEROKU,
	  "docs/ops/runbooks/rotation/heroku-platform-token.md" },
	{ "GITHUB_API_SECRETS_TOKEN", "raxx-github-api-secrets-token", OPS_GITHUB,
	  "docs/ops/runbooks/rotation/github-pat.md" },
};

#define LAST_PASS_FILE "doctor-ops.last-pass"
/* warn this long before a GitHub PAT expires */
#define PAT_EXPIRY_WARN (14L * 86400)

struct ops_run {
	struct doctor *d;
	const struct ops_cred *k;
	const char *value;	/* secret */
	char *shown;		/* "redacted abcd…wxyz, from ..." */
	int from_env;
	struct http_client *http;
	char *base;
};

/* "https://x/y/" -> "https://x/y" from variable var, else def */
static char *base_url(const char *var, const char *def)
{
	const char *v = env_get(var);
	size_t n;

	if (!v)
		v = def;
	n = strlen(v);
	while (n > 0 && v[n - 1] == '/')
		n--;
	return xstrndup(v, n);
}

static char *rotate_fix(const struct ops_run *r)
{
	char *store, *fix;

	if (r->from_env)
		return xstrfmt("rotate via %s, then update %s where it is exported "
			       "(or unset it and keep it in the keychain as %s)",
			       r->k->rotate, r->k->env, r->k->service);
	store = keychain_store_command(r->k->service);
	fix = xstrfmt("rotate via %s, then store the new value: %s",
		      r->k->rotate, store);
	free(store);
	return fix;
}

static void fail(struct ops_run *r, const char *fmt, ...) RAXX_PRINTF(2, 3);
static void fail(struct ops_run *r, const char *fmt, ...)
{
	char why[1024];
	char *fix = rotate_fix(r);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	doctor_report(r->d, r->k->env, DOCTOR_FAIL, fix, "(%s): %s", r->shown, why);
	free(fix);
}

static void unreachable(struct ops_run *r, const char *service)
{
	doctor_report(r->d, r->k->env, DOCTOR_FAIL,
		      "check the network and the service's status page, then "
		      "retry", "(%s): no answer from %s (network or %s down?): %s",
		      r->shown, service, service,
		      *raxx_errmsg() ? raxx_errmsg() : "failed");
}

static int get(struct ops_run *r, const char *url, const char *accept,
	       int github, struct http_response *resp)
{
	char *auth = xstrfmt("Authorization: Bearer %s", r->value);
	const char *headers[4] = { auth, accept, NULL, NULL };
	int ret;

	if (github)
		headers[2] = "X-GitHub-Api-Version: 2022-11-28";
	ret = http_request(r->http, "GET", url, headers, NULL, resp);
	free_secret(auth);
	return ret;
}

static void verify_cloudflare(struct ops_run *r)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char *account = env_get("CLOUDFLARE_ACCOUNT_ID");
	int account_token = !strncmp(r->value, "cfat_", 5);
	struct json_object *o = NULL, *res = NULL, *errs = NULL, *succ = NULL;
	const char *status;
	char *url, msg[200] = "", st[40];
	time_t exp;

	if (account_token && !account) {
		doctor_report(r->d, r->k->env, DOCTOR_SKIP, NULL,
			      "(%s): an account-owned token (cfat_) is verified "
			      "per account: set CLOUDFLARE_ACCOUNT_ID to check it",
			      r->shown);
		return;
	}
	url = account_token ? xstrfmt("%s/accounts/%s/tokens/verify", r->base, account)
		: xstrfmt("%s/user/tokens/verify", r->base);
	if (get(r, url, "Accept: application/json", 0, &resp)) {
		unreachable(r, "Cloudflare");
		goto out;
	}
	if (resp.status == 401 && !account_token && account) {
		/* an older, unprefixed account-owned token */
		free(url);
		url = xstrfmt("%s/accounts/%s/tokens/verify", r->base, account);
		if (get(r, url, "Accept: application/json", 0, &resp)) {
			unreachable(r, "Cloudflare");
			goto out;
		}
	}
	o = json_parse(resp.body.buf, resp.body.len);
	if (!o || !json_object_is_type(o, json_type_object)) {
		fail(r, "Cloudflare answered HTTP %ld%s, not its API's JSON",
		     resp.status, strstr(sb_str(&resp.body), "1010") ?
		     " (error code 1010: its firewall refused the client)" : "");
		goto out;
	}
	json_object_object_get_ex(o, "success", &succ);
	json_object_object_get_ex(o, "result", &res);
	json_object_object_get_ex(o, "errors", &errs);
	if (errs && json_object_is_type(errs, json_type_array) &&
	    json_object_array_length(errs)) {
		struct json_object *e0 = json_object_array_get_idx(errs, 0);
		long long code = 0;

		json_int(e0, "code", &code);
		snprintf(msg, sizeof(msg), " (%lld: ", code);
		sanitize(msg + strlen(msg), sizeof(msg) - strlen(msg) - 1,
			 json_str(e0, "message") ? json_str(e0, "message") : "");
		strncat(msg, ")", sizeof(msg) - strlen(msg) - 1);
	}
	status = json_str(res, "status");
	sanitize(st, sizeof(st), status ? status : "none");
	if (!succ || !json_object_get_boolean(succ)) {
		fail(r, "Cloudflare returned success:false, HTTP %ld%s", resp.status, msg);
	} else if (!status || strcmp(status, "active")) {
		fail(r, "Cloudflare says the token is %s, not active", st);
	} else if (json_str(res, "expires_on") &&
		   !parse_iso8601(json_str(res, "expires_on"), &exp) &&
		   exp - now_seconds() < 7 * 86400) {
		char *fix = rotate_fix(r);

		doctor_report(r->d, r->k->env, DOCTOR_WARN, fix,
			      "(%s): active, but expires in %ld h", r->shown,
			      (long)(exp - now_seconds()) / 3600);
		free(fix);
	} else {
		doctor_report(r->d, r->k->env, DOCTOR_PASS, NULL, "(%s): active",
			      r->shown);
	}
out:
	json_object_put(o);
	http_response_release(&resp);
	free(url);
}

static void verify_heroku(struct ops_run *r)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct json_object *o = NULL;
	char *url = xstrfmt("%s/account", r->base), who[200], id[60], msg[200];
	const char *m;

	if (get(r, url, "Accept: application/vnd.heroku+json; version=3", 0, &resp)) {
		unreachable(r, "Heroku");
		goto out;
	}
	o = json_parse(resp.body.buf, resp.body.len);
	if (resp.status == 200 && json_str(o, "id")) {
		sanitize(who, sizeof(who), json_str(o, "email") ?
			 json_str(o, "email") : json_str(o, "id"));
		doctor_report(r->d, r->k->env, DOCTOR_PASS, NULL,
			      "(%s): account %s", r->shown, who);
		goto out;
	}
	/* errors: {"id", "message"}; very old answers said "error" */
	m = json_str(o, "message") ? json_str(o, "message") : json_str(o, "error");
	sanitize(id, sizeof(id), json_str(o, "id") ? json_str(o, "id") : "?");
	sanitize(msg, sizeof(msg), m ? m : "");
	fail(r, "HTTP %ld%s (%s%s%s)", resp.status, resp.status == 401 ?
	     " (invalid or revoked)" : "", id, *msg ? ": " : "", msg);
out:
	json_object_put(o);
	http_response_release(&resp);
	free(url);
}

int doctor_parse_token_expiration(const char *s, time_t *out)
{
	char iso[21];
	const char *zone;
	long off = 0;
	time_t t;

	/* "2026-12-10 12:00:00 UTC"; an ISO 8601 UTC time too, to be kind */
	if (!s)
		return -1;
	if (!parse_iso8601(s, out))
		return 0;
	if (strlen(s) < 20 || s[10] != ' ' || s[19] != ' ')
		return -1;
	memcpy(iso, s, 10);
	iso[10] = 'T';
	memcpy(iso + 11, s + 11, 8);
	iso[19] = 'Z';
	iso[20] = '\0';
	if (parse_iso8601(iso, &t))
		return -1;
	zone = s + 20;
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT")) {
		off = 0;
	} else if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5 &&
		   strspn(zone + 1, "0123456789") == 4) {
		long hh = (zone[1] - '0') * 10 + (zone[2] - '0');
		long mm = (zone[3] - '0') * 10 + (zone[4] - '0');

		if (hh > 23 || mm > 59)
			return -1;
		off = (hh * 60 + mm) * 60 * (zone[0] == '-' ? -1 : 1);
	} else {
		return -1;
	}
	*out = t - off;
	return 0;
}

/* A PAT's answer: PASS, or WARN from PAT_EXPIRY_WARN before its expiry. */
static void github_user_ok(struct ops_run *r, const char *who, const char *header)
{
	char when[32], raw[80], left[40];
	time_t exp;
	long secs;
	char *fix;

	if (!header) {
		doctor_report(r->d, r->k->env, DOCTOR_PASS, NULL, "(%s): user %s",
			      r->shown, who);
		return;
	}
	if (doctor_parse_token_expiration(header, &exp)) {
		doctor_report(r->d, r->k->env, DOCTOR_WARN,
			      "look the expiry up in GitHub's settings (Developer "
			      "settings, Personal access tokens)",
			      "(%s): user %s; GitHub's token expiration '%s' is not "
			      "understood, so the expiry is not checked", r->shown,
			      who, sanitize(raw, sizeof(raw), header));
		return;
	}
	format_iso8601(exp, when, sizeof(when));
	secs = (long)(exp - now_seconds());
	if (secs >= 2 * 86400)
		snprintf(left, sizeof(left), "in %ld days", secs / 86400);
	else
		snprintf(left, sizeof(left), "in %ld h", secs > 0 ? secs / 3600 : 0);
	if (secs > PAT_EXPIRY_WARN) {
		doctor_report(r->d, r->k->env, DOCTOR_PASS, NULL,
			      "(%s): user %s, expires %s (%s)", r->shown, who,
			      when, left);
		return;
	}
	fix = rotate_fix(r);
	doctor_report(r->d, r->k->env, DOCTOR_WARN, fix,
		      "(%s): user %s, but the token expires %s (%s)", r->shown,
		      who, when, left);
	free(fix);
}

static void verify_github(struct ops_run *r)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct json_object *o = NULL;
	char *url = xstrfmt("%s/user", r->base), who[120], msg[200];

	if (get(r, url, "Accept: application/vnd.github+json", 1, &resp)) {
		unreachable(r, "GitHub");
		goto out;
	}
	o = json_parse(resp.body.buf, resp.body.len);
	json_message(resp.body.buf, resp.body.len, msg, sizeof(msg));
	if (resp.status == 200 && json_str(o, "login")) {
		sanitize(who, sizeof(who), json_str(o, "login"));
		github_user_ok(r, who, resp.token_expiration);
	} else if (resp.status == 403 && strstr(msg, "integration")) {
		fail(r, "HTTP 403 (%s): this is an installation token, not a "
		     "personal access token", msg);
	} else {
		fail(r, "HTTP %ld%s%s%s", resp.status, resp.status == 401 ?
		     " (invalid or expired)" : "", *msg ? ": " : "", msg);
	}
out:
	json_object_put(o);
	http_response_release(&resp);
	free(url);
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* One credential: one line. */
static void check_one(struct doctor *d, const struct ops_cred *k,
		     struct http_client **clients, char **bases, char **errs)
{
	struct ops_run r = { d, k, NULL, NULL, 0, NULL, NULL };
	char *kc = NULL, why[300], *red;
	enum keychain_result kr;

	doctor_begin_check(d);
	if ((r.value = env_get(k->env))) {
		r.from_env = 1;
	} else {
		kr = keychain_lookup(k->service, doctor_max_time(d) * 1000, &kc,
				     why, sizeof(why));
		if (kr == KEYCHAIN_NO_TOOL || kr == KEYCHAIN_ABSENT) {
			/* the runbook's failure mode D */
			char *store = keychain_store_command(k->service);
			char *fix = xstrfmt("store it once: %s; or export %s (no "
					    "current value: rotate via %s)", store,
					    k->env, k->rotate);

			if (kr == KEYCHAIN_NO_TOOL)
				doctor_report(d, k->env, DOCTOR_FAIL, fix,
					      "not in the environment, and no "
					      "keychain tool (%s) here", keychain_tool());
			else
				doctor_report(d, k->env, DOCTOR_FAIL, fix,
					      "not in the environment or the "
					      "keychain (service %s)", k->service);
			free(store);
			free(fix);
			return;
		}
		if (kr == KEYCHAIN_ERROR) {
			doctor_report(d, k->env, DOCTOR_WARN,
				      "export it, or let the keychain answer "
				      "unattended (runbook: -T /bin/bash)",
				      "keychain service %s: %s", k->service, why);
			return;
		}
		r.value = kc;
	}
	red = doctor_redact(r.value);
	r.shown = r.from_env ? xstrfmt("redacted %s, from the environment", red) :
		xstrfmt("redacted %s, from keychain %s", red, k->service);
	free(red);
	if (has_control(r.value)) {
		fail(&r, "the value holds a control character (a stray newline?)");
		goto out;
	}
	r.http = clients[k->kind];
	r.base = bases[k->kind];
	if (!r.http) {
		doctor_report(d, k->env, DOCTOR_FAIL, "fix the endpoint variable",
			      "(%s): %s", r.shown, errs[k->kind]);
		goto out;
	}
	switch (k->kind) {
	case OPS_CLOUDFLARE:
		verify_cloudflare(&r);
		break;
	case OPS_HEROKU:
		verify_heroku(&r);
		break;
	case OPS_GITHUB:
		verify_github(&r);
		break;
	}
out:
	free(r.shown);
	free_secret(kc);
}

static struct http_client *client_for(const char *base, const char *var,
				      const char *service, char **err)
{
	struct http_client *c = NULL;

	if (!http_check_url(base, var, RAXX_EINTERNAL))
		c = http_client_new(service, RAXX_EINTERNAL);
	*err = c ? NULL : xstrdup(raxx_errmsg());
	return c;
}

int doctor_ops(struct doctor *d, struct raxx_config *c)
{
	char *bases[3], *errs[3], *dir, *last, *stamp;
	struct http_client *clients[3];
	size_t i;
	int passed = 0, all;

	bases[OPS_CLOUDFLARE] = base_url("RAXX_CLOUDFLARE_API",
					 "https://api.cloudflare.com/client/v4");
	bases[OPS_HEROKU] = base_url("RAXX_HEROKU_API", "https://api.heroku.com");
	bases[OPS_GITHUB] = base_url("RAXX_GITHUB_API", c->api ? c->api :
				     "https://api.github.com");
	clients[OPS_CLOUDFLARE] = client_for(bases[OPS_CLOUDFLARE],
					     "RAXX_CLOUDFLARE_API", "Cloudflare",
					     &errs[OPS_CLOUDFLARE]);
	clients[OPS_HEROKU] = client_for(bases[OPS_HEROKU], "RAXX_HEROKU_API",
					 "Heroku", &errs[OPS_HEROKU]);
	clients[OPS_GITHUB] = client_for(bases[OPS_GITHUB], "RAXX_GITHUB_API",
					 "GitHub", &errs[OPS_GITHUB]);
	for (i = 0; i < sizeof(creds) / sizeof(*creds); i++) {
		int p0 = doctor_pass_count(d);

		check_one(d, &creds[i], clients, bases, errs);
		passed += doctor_pass_count(d) > p0;
	}
	all = passed == (int)(sizeof(creds) / sizeof(*creds));

	/* the time of the last run where every credential passed */
	dir = state_dir_path();
	if (all && dir) {
		char why[300], when[32];
		int ret;

		format_iso8601(now_seconds(), when, sizeof(when));
		stamp = xstrfmt("%s\n", when);
		ret = store_write(dir, LAST_PASS_FILE, stamp, strlen(stamp), why,
				  sizeof(why));
		if (ret)
			warning("cannot record the all-PASS time in %s: %s", dir,
				ret == STORE_EDIR ? why : "write failed");
		free(stamp);
	}
	last = dir ? store_read(dir, LAST_PASS_FILE, STORE_STATE_MAX) : NULL;
	if (last)
		last[strcspn(last, "\n")] = '\0';
	if (doctor_chatty(d))
		printf("ops: last run with all %zu operator credentials PASS: %s\n",
		       sizeof(creds) / sizeof(*creds), last && *last ? last : "never");
	doctor_json_add(d, "ops_last_all_pass", last && *last ?
			json_object_new_string(last) : NULL);
	free(last);
	free(dir);
	for (i = 0; i < 3; i++) {
		http_client_free(clients[i]);
		free(bases[i]);
		free(errs[i]);
	}
	return all;
}
