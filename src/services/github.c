#define _POSIX_C_SOURCE 200809L
#include "github.h"
#include "http.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>

struct github {
	char *api;
	struct http_client *http;
	long offset;		/* GitHub's clock minus ours, seconds */
	int have_offset;
};

struct github *github_new(const char *api)
{
	struct github *gh;
	size_t n = strlen(api);

	if (http_check_url(api, "RAXX_GITHUB_API", RAXX_EGITHUB))
		return NULL;
	gh = xcalloc(1, sizeof(*gh));
	while (n > 0 && api[n - 1] == '/')
		n--;
	gh->api = xstrndup(api, n);
	gh->http = http_client_new("GitHub", RAXX_EGITHUB);
	if (!gh->http) {
		github_free(gh);
		return NULL;
	}
	return gh;
}

void github_free(struct github *gh)
{
	if (!gh)
		return;
	http_client_free(gh->http);
	free(gh->api);
	free(gh);
}

void github_preconnect(struct github *gh)
{
	const char *v = env_get("RAXX_PRECONNECT");
	char *url;

	if (v && !strcmp(v, "0"))
		return;
	url = xstrfmt("%s/rate_limit", gh->api);
	http_preconnect(gh->http, url);
	free(url);
}

int github_requests(const struct github *gh)
{
	return http_client_requests(gh->http);
}

int github_connections(const struct github *gh)
{
	return http_client_connections(gh->http);
}

long github_clock_offset(const struct github *gh)
{
	return gh->offset;
}

/* Learn GitHub's clock from an answer's Date header. */
static void note_date(struct github *gh, const struct http_response *r)
{
	time_t server;

	if (!r->date || parse_http_date(r->date, &server))
		return;
	/*
	 * Date has one-second resolution and was stamped after we sent:
	 * the largest offset consistent with it is Date + 1 - sent_at, and
	 * the largest offset gives the earliest (safe) local expiry.
	 */
	gh->offset = (long)(server + 1 - r->sent_at);
	gh->have_offset = 1;
}

static int request(struct github *gh, const char *method, const char *path,
		   const char *auth, const char *body, struct http_response *r)
{
	char *url = xstrfmt("%s%s", gh->api, path);
	const char *headers[5];
	size_t n = 0;
	int ret;

	headers[n++] = "Accept: application/vnd.github+json";
	headers[n++] = "X-GitHub-Api-Version: 2022-11-28";
	if (auth)
		headers[n++] = auth;
	if (body)
		headers[n++] = "Content-Type: application/json";
	headers[n] = NULL;
	ret = http_request(gh->http, method, url, headers, body, r);
	free(url);
	if (!ret)
		note_date(gh, r);
	return ret;
}

static char *jwt_auth(struct github *gh, struct jwt_key *key,
		      const char *app_id)
{
	char *jwt = jwt_sign(key, app_id, now_seconds() + gh->offset), *auth;

	if (!jwt)
		return NULL;
	auth = xstrfmt("Authorization: Bearer %s", jwt);
	free_secret(jwt);
	return auth;
}

static int clock_complaint(const char *msg)
{
	return !strncmp(msg, "'Expiration time' claim ('exp')", 31) ||
	       !strncmp(msg, "'Issued at' claim ('iat')", 25);
}

/* A request signed with the App JWT, re-signed once on a clock error. */
static int app_request(struct github *gh, struct jwt_key *key,
		       const char *app_id, const char *method,
		       const char *path, const char *body,
		       struct http_response *r)
{
	char msg[300];
	int attempt, ret = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		char *auth = jwt_auth(gh, key, app_id);

		if (!auth)
			return raxx_errcode();
		ret = request(gh, method, path, auth, body, r);
		free_secret(auth);
		if (ret || r->status != 401)
			break;
		json_message(r->body.buf, r->body.len, msg, sizeof(msg));
		if (attempt || !clock_complaint(msg) || !gh->have_offset)
			break;
		warning("GitHub says the App JWT's time is off (%s): this clock "
			"is %ld s %s GitHub's; signing again with GitHub's time",
			msg, gh->offset < 0 ? -gh->offset : gh->offset,
			gh->offset < 0 ? "ahead of" : "behind");
	}
	return ret;
}

static int token_chars_ok(const char *t)
{
	return *t && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._") == strlen(t);
}

static char *scope_body(const struct token_scope *scope)
{
	struct json_object *o, *perms;
	const char *slash;
	char *body;
	size_t i;

	if (!scope || (!scope->repo && !scope->nr_perms))
		return NULL;
	o = json_object_new_object();
	if (scope->repo) {
		struct json_object *repos = json_object_new_array();

		slash = strchr(scope->repo, '/');
		json_object_array_add(repos, json_object_new_string(
					      slash ? slash + 1 : scope->repo));
		json_object_object_add(o, "repositories", repos);
	}
	if (scope->nr_perms) {
		perms = json_object_new_object();
		for (i = 0; i < scope->nr_perms; i++)
			json_object_object_add(perms, scope->perms[i].name,
					       json_object_new_string(scope->perms[i].level));
		json_object_object_add(o, "permissions", perms);
	}
	body = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return body;
}

static int refusal(const struct http_response *r, const char *what,
		   const char *app_id, const char *installation_id)
{
	char msg[300], loc[200];

	json_message(r->body.buf, r->body.len, msg, sizeof(msg));
	if (r->status >= 300 && r->status < 400) {
		sanitize(loc, sizeof(loc), r->location ? r->location : "");
		return raxx_fail(RAXX_EGITHUB, "GitHub answered a redirect (HTTP %ld "
				 "to '%s'): check RAXX_GITHUB_API", r->status, loc);
	}
	if (r->status == 404)
		return raxx_fail(RAXX_ENOINST, "installation %s of App %s not found "
				 "(HTTP 404): the App was reinstalled or the "
				 "organization renamed: update INSTALLATION_ID for %s",
				 installation_id, app_id, what);
	if ((r->status == 403 || r->status == 429) &&
	    ((r->ratelimit_remaining && !strcmp(r->ratelimit_remaining, "0")) ||
	     strstr(msg, "rate limit")))
		/* throttled, not refused: an outage */
		return raxx_fail_outage(RAXX_EGITHUB, "GitHub rate limit hit (HTTP "
					"%ld: %s): wait and retry", r->status, msg);
	if (r->status == 401 || r->status == 403 || r->status == 422)
		return raxx_fail(RAXX_EAPPCRED, "GitHub refused the App credentials "
				 "for %s (HTTP %ld: %s): %s", what, r->status,
				 *msg ? msg : "no message",
				 r->status == 401 ? "APP_ID (or CLIENT_ID) and "
				 "PRIVATE_KEY_PEM must belong to the same App; "
				 "re-download the key if it changed" :
				 r->status == 422 ? "the App lacks the requested "
				 "repository or permissions" :
				 "check the App's installation on GitHub");
	return raxx_fail_http(r->status, RAXX_EGITHUB, "GitHub failed to mint "
			      "a token for %s (HTTP %ld%s%s): retry later", what,
			      r->status, *msg ? ": " : "", msg);
}

/* app_request, with an answer other than want refused (refusal): 0 with
 * r holding the answer, else the failure's code. */
static int app_call(struct github *gh, struct jwt_key *key, const char *app_id,
		    const char *method, const char *path, const char *body,
		    long want, const char *what, const char *installation_id,
		    struct http_response *r)
{
	int ret = app_request(gh, key, app_id, method, path, body, r);

	if (!ret && r->status != want)
		ret = refusal(r, what, app_id, installation_id);
	return ret;
}

int github_parse_token(const char *body, size_t len, long offset,
		       const char *what, struct gh_token *out)
{
	struct json_object *o = json_parse(body, len);
	const char *tok = json_str(o, "token"), *exp = json_str(o, "expires_at");
	time_t expires;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!o)
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's token answer for %s is not "
				"JSON: check RAXX_GITHUB_API", what);
	else if (!tok || !token_chars_ok(tok) || strlen(tok) > 8192)
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's token answer for %s holds "
				"no usable token (missing, or characters outside "
				"[A-Za-z0-9._]): refusing to use it", what);
	else if (!exp || parse_iso8601(exp, &expires))
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's token answer for %s has no "
				"valid expires_at: refusing a token of unknown life",
				what);
	else if ((expires -= offset) <= now_seconds())
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's token for %s expired "
				"already (expires_at %s): check this machine's clock",
				what, exp);
	else if (expires > now_seconds() + GITHUB_MAX_TOKEN_LIFE)
		/* installation tokens live an hour: a longer life is not an
		 * installation token, and would be cached and trusted as one */
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's token for %s claims to "
				"live until %s, more than %d h ahead: refusing an "
				"answer that is not an installation token: check "
				"RAXX_GITHUB_API", what, exp,
				GITHUB_MAX_TOKEN_LIFE / 3600);
	if (!ret) {
		out->token = xstrdup(tok);
		out->expires_at = expires;
	}
	json_put_wiped(o);
	return ret;
}

int github_create_token(struct github *gh, struct jwt_key *key,
			const char *app_id, const char *installation_id,
			const struct token_scope *scope, const char *what,
			struct gh_token *out)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *path, *body;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!*installation_id ||
	    strspn(installation_id, "0123456789") != strlen(installation_id) ||
	    strlen(installation_id) > 20)
		return raxx_fail(RAXX_ESECRETS, "INSTALLATION_ID for %s is not a "
				 "number: store the numeric installation id", what);
	path = xstrfmt("/app/installations/%s/access_tokens", installation_id);
	body = scope_body(scope);
	ret = app_call(gh, key, app_id, "POST", path, body ? body : "", 201,
		       what, installation_id, &r);
	free(path);
	free(body);
	if (ret)
		goto out;
	ret = github_parse_token(r.body.buf, r.body.len, gh->offset, what, out);
out:
	http_response_release(&r);
	return ret;
}

void gh_token_release(struct gh_token *t)
{
	free_secret(t->token);
	t->token = NULL;
}

int github_revoke_token(struct github *gh, const char *token)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *auth = xstrfmt("Authorization: Bearer %s", token), msg[200];
	int ret;

	ret = request(gh, "DELETE", "/installation/token", auth, NULL, &r);
	free_secret(auth);
	if (ret)
		goto out;
	if (r.status == 204)
		ret = 0;
	else if (r.status == 401)
		ret = 1;
	else
		ret = raxx_fail(RAXX_EGITHUB, "GitHub did not revoke the token "
				"(HTTP %ld%s%s)", r.status,
				*json_message(r.body.buf, r.body.len, msg, sizeof(msg)) ?
				": " : "", msg);
out:
	http_response_release(&r);
	return ret;
}

int github_app_get(struct github *gh, struct jwt_key *key, const char *app_id,
		   const char *path, long *status, char **json)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	int ret = app_request(gh, key, app_id, "GET", path, NULL, &r);

	if (!ret) {
		*status = r.status;
		*json = xstrndup(r.body.buf ? r.body.buf : "", r.body.len);
	}
	http_response_release(&r);
	return ret;
}

int github_token_get(struct github *gh, const char *token, const char *path,
		     long *status, char **json)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *auth = xstrfmt("Authorization: Bearer %s", token);
	int ret = request(gh, "GET", path, auth, NULL, &r);

	free_secret(auth);
	if (!ret) {
		*status = r.status;
		*json = xstrndup(r.body.buf ? r.body.buf : "", r.body.len);
	}
	http_response_release(&r);
	return ret;
}

/*
 * GET path with the JWT, following one 301/307/308 that stays within the
 * API (GitHub's answer for a renamed organization or repository points at
 * /repositories/{id}/...): the JWT goes to the API's origin only. Any
 * other redirect, or a second one, is refused naming where it pointed.
 */
static int app_get_followed(struct github *gh, struct jwt_key *key,
			    const char *app_id, const char *path,
			    const char *what, struct http_response *r)
{
	char *url = NULL, *resolved = NULL, *rest = NULL, *first = NULL;
	char safe[300], was[300];
	int ret, hops, under = 0;

	for (hops = 0; ; hops++) {
		ret = app_request(gh, key, app_id, "GET", rest ? rest : path, NULL, r);
		if (ret || r->status < 300 || r->status >= 400)
			break;
		free(url);
		url = xstrfmt("%s%s", gh->api, rest ? rest : path);
		free(resolved);
		free(rest);
		resolved = rest = NULL;
		if (!r->location || !*r->location) {
			ret = raxx_fail(RAXX_EGITHUB, "GitHub answered HTTP %ld for %s "
					"without a Location: not followed; retry later",
					r->status, what);
			break;
		}
		under = http_location_under(gh->api, url, r->location, &resolved,
					    &rest);
		sanitize(safe, sizeof(safe), resolved ? resolved : r->location);
		if (hops) {
			ret = raxx_fail(RAXX_EGITHUB, "GitHub redirected %s twice (to "
					"'%s', then HTTP %ld to '%s'): only one redirect "
					"is followed; pass --repo OWNER/REPO with the "
					"repository's current name", what, first,
					r->status, safe);
			break;
		}
		if (r->status != 301 && r->status != 307 && r->status != 308) {
			ret = raxx_fail(RAXX_EGITHUB, "GitHub answered HTTP %ld for %s, a "
					"redirect to '%s': only a 301, 307 or 308 within "
					"the API is followed; pass --repo OWNER/REPO with "
					"the repository's current name", r->status, what,
					safe);
			break;
		}
		if (under) {
			sanitize(was, sizeof(was), gh->api);
			ret = raxx_fail(RAXX_EGITHUB, "GitHub answered HTTP %ld for %s, a "
					"redirect to '%s', which leaves the API at '%s': "
					"not followed, and the App JWT not sent there; "
					"pass --repo OWNER/REPO with the repository's "
					"current name", r->status, what, safe, was);
			break;
		}
		first = xstrdup(safe);
		trace("GitHub: %s moved (HTTP %ld to %s): following it once", what,
		      r->status, safe);
	}
	if (!ret && first && r->status == 200)
		warning("%s moved: GitHub answered with a redirect to '%s', "
			"followed within the API; point the remote (or --repo) at "
			"the repository's new name", what, first);
	free(url);
	free(resolved);
	free(rest);
	free(first);
	return ret;
}

void gh_installation_release(struct gh_installation *in)
{
	free(in->id);
	free(in->account);
	memset(in, 0, sizeof(*in));
}

/* A login as GitHub spells them (enterprise-managed ones hold '_'). */
static int login_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n && n <= 100 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* An installation object: its id and account. what names it in messages. */
static int parse_installation(const char *body, size_t len, const char *what,
			      struct gh_installation *out)
{
	struct json_object *o = json_parse(body, len), *acct = NULL;
	const char *login;
	long long id, aid;
	int ret = 0;

	if (json_int(o, "id", &id) || id <= 0) {
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's installation answer for %s "
				"has no id", what);
		goto out;
	}
	out->id = xstrfmt("%lld", id);
	/* an installation on an enterprise names no login: no account the
	 * owner rules could allow (discover.h) */
	if (json_object_object_get_ex(o, "account", &acct) &&
	    login_ok(login = json_str(acct, "login")) &&
	    !json_int(acct, "id", &aid) && aid > 0) {
		out->account = xstrdup(login);
		out->account_id = aid;
	}
out:
	json_object_put(o);
	return ret;
}

int github_repo_installation(struct github *gh, struct jwt_key *key,
			     const char *app_id, const char *owner_repo,
			     struct gh_installation *out)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *path = xstrfmt("/repos/%s/installation", owner_repo);
	char *what = xstrfmt("'%s'", owner_repo);
	int ret;

	memset(out, 0, sizeof(*out));
	ret = app_get_followed(gh, key, app_id, path, what, &r);
	free(path);
	if (ret)
		goto out;
	if (r.status == 404)
		ret = raxx_fail(RAXX_ENOINST, "App %s is not installed on '%s' "
				"(HTTP 404): install it there", app_id, owner_repo);
	else if (r.status != 200)
		ret = refusal(&r, owner_repo, app_id, "?");
	else
		ret = parse_installation(r.body.buf, r.body.len, what, out);
	if (ret)
		gh_installation_release(out);
out:
	free(what);
	http_response_release(&r);
	return ret;
}

int github_find_installation(struct github *gh, struct jwt_key *key,
			     const char *app_id, const char *owner_repo,
			     char **installation_id)
{
	struct gh_installation in;
	int ret = github_repo_installation(gh, key, app_id, owner_repo, &in);

	*installation_id = NULL;
	if (!ret) {
		*installation_id = in.id;
		in.id = NULL;
	}
	gh_installation_release(&in);
	return ret;
}

int github_get_installation(struct github *gh, struct jwt_key *key,
			    const char *app_id, const char *installation_id,
			    const char *what, struct gh_installation *out)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *path, *name;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!*installation_id || strlen(installation_id) > 20 ||
	    strspn(installation_id, "0123456789") != strlen(installation_id))
		return raxx_fail(RAXX_ESECRETS, "INSTALLATION_ID for %s is not a "
				 "number: store the numeric installation id", what);
	path = xstrfmt("/app/installations/%s", installation_id);
	/* a 404 as for a mint: the installation is gone */
	ret = app_call(gh, key, app_id, "GET", path, NULL, 200, what,
		       installation_id, &r);
	free(path);
	if (ret)
		goto out;
	name = xstrfmt("installation %s", installation_id);
	ret = parse_installation(r.body.buf, r.body.len, name, out);
	free(name);
	if (ret)
		gh_installation_release(out);
out:
	http_response_release(&r);
	return ret;
}

int github_app_owner(struct github *gh, struct jwt_key *key, const char *app_id,
		     char **login, long long *id)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	struct json_object *o, *owner = NULL;
	const char *l;
	int ret;

	*login = NULL;
	*id = 0;
	ret = app_call(gh, key, app_id, "GET", "/app", NULL, 200, "the App", "?",
		       &r);
	if (ret)
		goto out;
	o = json_parse(r.body.buf, r.body.len);
	if (json_object_object_get_ex(o, "owner", &owner) &&
	    login_ok(l = json_str(owner, "login")) && !json_int(owner, "id", id) &&
	    *id > 0)
		*login = xstrdup(l);
	else
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's answer for App %s names no "
				"owner", app_id);
	json_object_put(o);
out:
	http_response_release(&r);
	return ret;
}

int github_user_id(struct github *gh, const char *login, const char *token,
		   long long *id)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *esc = http_escape(login), *path = xstrfmt("/users/%s", esc);
	char *auth = token ? xstrfmt("Authorization: Bearer %s", token) : NULL;
	struct json_object *o;
	int ret;

	ret = request(gh, "GET", path, auth, NULL, &r);
	free_secret(auth);
	free(path);
	free(esc);
	if (ret)
		goto out;
	if (r.status == 404) {
		ret = raxx_fail(RAXX_ENOINST, "GitHub has no user '%s' (HTTP 404): "
				"is the App's slug the bot name?", login);
		goto out;
	}
	if (r.status != 200) {
		ret = raxx_fail(RAXX_EGITHUB, "GitHub user look-up of '%s' failed "
				"(HTTP %ld)", login, r.status);
		goto out;
	}
	o = json_parse(r.body.buf, r.body.len);
	if (json_int(o, "id", id) || *id <= 0)
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's answer for user '%s' has "
				"no id", login);
	json_object_put(o);
out:
	http_response_release(&r);
	return ret;
}
