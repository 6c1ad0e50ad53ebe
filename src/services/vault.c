/*
 * The Infisical client: the contract is in vault.h. Writes and folders
 * are vault_write.c's (vault_internal.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "vault_internal.h"
#include "store/clientsecret.h"
#include "http.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>
#include <strings.h>

/* The longest a vault session is kept, whatever the vault says. */
#define VAULT_SESSION_MAX_TTL (30LL * 86400)

int vault_settings_from_env(struct vault_settings *s)
{
	const char *host = env_get("INFISICAL_HOST");
	const char *names[] = { "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET",
				"INFISICAL_PROJECT_ID" };
	struct strbuf missing = STRBUF_INIT;
	const char *secret;
	size_t i, n;

	memset(s, 0, sizeof(*s));
	/* the environment, or a file (INFISICAL_CLIENT_SECRET_FILE, systemd) */
	if (client_secret_get(&secret, NULL))
		return RAXX_EVAULT;
	for (i = 0; i < 3; i++)
		if (i == 1 ? !secret : !env_get(names[i]))
			sb_addf(&missing, "%s%s", missing.len ? ", " : "", names[i]);
	if (missing.len) {
		raxx_fail(RAXX_EVAULT, "%s not set: export the Universal Auth "
			  "machine identity (see git-credential-raxx(1), ENVIRONMENT)",
			  missing.buf);
		sb_release(&missing);
		return RAXX_EVAULT;
	}
	s->client_id = env_get("INFISICAL_CLIENT_ID");
	s->client_secret = secret;
	s->project_id = env_get("INFISICAL_PROJECT_ID");
	s->environment = env_get("INFISICAL_ENV");
	if (!s->environment)
		s->environment = "prod";
	s->path_prefix = env_get("INFISICAL_PATH_PREFIX");
	if (!s->path_prefix)
		s->path_prefix = "/MooseQuest/";
	if (!host)
		host = "https://app.infisical.com";
	n = strlen(host);
	while (n > 0 && host[n - 1] == '/')
		n--;
	if (n >= 4 && !strncmp(host + n - 4, "/api", 4))
		s->base = xstrndup(host, n);
	else
		s->base = xstrfmt("%.*s/api", (int)n, host);

	s->cf_id = env_get("CF_ACCESS_CLIENT_ID");
	s->cf_secret = env_get("CF_ACCESS_CLIENT_SECRET");
	if (!s->cf_id != !s->cf_secret) {
		warning("only %s is set: ignoring it (Cloudflare Access needs both "
			"CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET)",
			s->cf_id ? "CF_ACCESS_CLIENT_ID" : "CF_ACCESS_CLIENT_SECRET");
		s->cf_id = s->cf_secret = NULL;
	}
	return 0;
}

void vault_settings_release(struct vault_settings *s)
{
	free(s->base);
	s->base = NULL;
}

char *vault_secret_path(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);

	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (n == 0)
		return xstrfmt("/%s", name);
	return xstrfmt("%s%.*s/%s", prefix[0] == '/' ? "" : "/", (int)n,
		       prefix, name);
}

struct vault *vault_new(const struct vault_settings *s)
{
	struct vault *v;

	if (http_check_url(s->base, "INFISICAL_HOST", RAXX_EVAULT))
		return NULL;
	v = xcalloc(1, sizeof(*v));
	v->s = s;
	v->http = http_client_new("vault", RAXX_EVAULT);
	if (!v->http) {
		free(v);
		return NULL;
	}
	if (s->cf_id) {
		http_client_add_header(v->http, "CF-Access-Client-Id", s->cf_id);
		http_client_add_header(v->http, "CF-Access-Client-Secret",
				       s->cf_secret);
	}
	return v;
}

void vault_free(struct vault *v)
{
	if (!v)
		return;
	http_client_free(v->http);
	free_secret(v->session);
	free(v);
}

void vault_set_session(struct vault *v, const char *token, time_t expires)
{
	free_secret(v->session);
	v->session = xstrdup(token);
	v->session_expires = expires;
}

const char *vault_session(const struct vault *v, time_t *expires)
{
	if (expires)
		*expires = v->session_expires;
	return v->session;
}

int vault_logged_in(const struct vault *v)
{
	return v->logged_in;
}

int vault_requests(const struct vault *v)
{
	return http_client_requests(v->http);
}

int vault_connections(const struct vault *v)
{
	return http_client_connections(v->http);
}

long vault_last_status(const struct vault *v)
{
	return v ? v->last_status : 0;
}

/* http_request, remembering whether (and how) the vault answered. */
static int vault_http(struct vault *v, const char *method, const char *url,
		      const char *const *headers, const char *body,
		      struct http_response *r)
{
	int ret = http_request(v->http, method, url, headers, body, r);

	v->last_status = ret ? 0 : r->status;
	return ret;
}

static int is_html(const struct http_response *r)
{
	return r->content_type && strstr(r->content_type, "html");
}

/*
 * The common refusals of any vault request: Cloudflare Access in front,
 * or an answer that is not Infisical's. Returns RAXX_EVAULT with the
 * message set, or 0 when the answer is Infisical's own.
 */
static int cf_refusal(const struct vault *v, const struct http_response *r,
		      const char *what)
{
	char loc[200];

	if (r->status >= 300 && r->status < 400) {
		sanitize(loc, sizeof(loc), r->location ? r->location : "");
		if (v->s->cf_id)
			return raxx_fail(RAXX_EVAULT, "%s stopped by Cloudflare "
					 "Access (HTTP %ld to '%s'): the service "
					 "token in CF_ACCESS_CLIENT_ID/"
					 "CF_ACCESS_CLIENT_SECRET is not allowed: "
					 "attach a Service Auth policy for it",
					 what, r->status, loc);
		return raxx_fail(RAXX_EVAULT, "%s stopped by Cloudflare Access "
				 "(HTTP %ld to '%s'): set CF_ACCESS_CLIENT_ID "
				 "and CF_ACCESS_CLIENT_SECRET to a service token",
				 what, r->status, loc);
	}
	if (r->status == 403 && (is_html(r) ||
				 strstr(sb_str(&r->body), "error code: 1010")))
		return raxx_fail(RAXX_EVAULT, "%s refused by Cloudflare (HTTP 403, "
				 "not Infisical): %s", what, v->s->cf_id ?
				 "check that the Access policy includes the "
				 "service token in CF_ACCESS_CLIENT_ID" :
				 "set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET");
	return 0;
}

int vault_login(struct vault *v)
{
	struct json_object *req, *resp;
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *headers[] = { "Content-Type: application/json",
				  "Accept: application/json", NULL };
	const char *tok;
	char *url, *body, msg[300];
	long long ttl = 0;
	int ret;

	req = json_object_new_object();
	json_object_object_add(req, "clientId",
			       json_object_new_string(v->s->client_id));
	json_object_object_add(req, "clientSecret",
			       json_object_new_string(v->s->client_secret));
	body = xstrdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_put_wiped(req);
	url = xstrfmt("%s/v1/auth/universal-auth/login", v->s->base);
	ret = vault_http(v, "POST", url, headers, body, &r);
	free_secret(body);
	free(url);
	if (ret)
		goto out;
	if ((ret = cf_refusal(v, &r, "vault login")))
		goto out;
	if (r.status != 200) {
		json_message(r.body.buf, r.body.len, msg, sizeof(msg));
		ret = raxx_fail_http(r.status, RAXX_EVAULT, "vault login failed: "
				     "HTTP %ld%s%s: %s", r.status, *msg ? " " : "", msg,
				r.status == 401 ? "check INFISICAL_CLIENT_ID and "
				"INFISICAL_CLIENT_SECRET, and the identity's project" :
				r.status == 403 ? "the identity may not log in from "
				"here (trusted IPs), or Cloudflare refused it" :
				"check INFISICAL_HOST and retry later");
		goto out;
	}
	resp = json_parse(r.body.buf, r.body.len);
	tok = json_str(resp, "accessToken");
	if (!tok || !*tok || strpbrk(tok, "\r\n ")) {
		json_put_wiped(resp);
		ret = raxx_fail(RAXX_EVAULT, "vault login answer is not usable "
				"(no accessToken): is INFISICAL_HOST an Infisical "
				"server?");
		goto out;
	}
	json_int(resp, "expiresIn", &ttl);
	free_secret(v->session);
	v->session = xstrdup(tok);
	/* a TTL of 0 means no expiry: keep it a day, the vault says when; a
	 * longer one than 30 days is kept 30 days (and never overflows) */
	if (ttl <= 0)
		ttl = 86400;
	else if (ttl > VAULT_SESSION_MAX_TTL)
		ttl = VAULT_SESSION_MAX_TTL;
	v->session_expires = now_seconds() + ttl;
	v->logged_in = 1;
	json_put_wiped(resp);
	trace("vault: logged in (session valid %lld s)", ttl);
out:
	http_response_release(&r);
	return ret;
}

/*
 * Infisical versions (DESIGN.md): reads use v4. A vault that answers a v4
 * route with Fastify's own 404 ("Route GET:/api/v4/secrets?... not
 * found"), an older self-hosted server, is read through v3 raw
 * (/v3/secrets/raw, workspaceId) for the rest of the process. A 404 about
 * a folder, a secret or an environment is Infisical's own answer, with
 * another message, and changes nothing.
 */
static int read_v3;

int vault_read_api(void)
{
	return read_v3 ? 3 : 4;
}

/* Fastify's answer for a route the server does not have. */
static int route_missing(const struct http_response *r)
{
	struct json_object *o;
	const char *m;
	int missing;

	if (r->status != 404)
		return 0;
	o = json_parse(r->body.buf, r->body.len);
	m = json_str(o, "message");
	missing = m && !strncmp(m, "Route ", 6) && strstr(m, " not found");
	json_object_put(o);
	return missing;
}

/* After a v4 answer: 1 when it says there is no v4 here (now switched). */
static int switched_to_v3(const struct http_response *r)
{
	if (read_v3 || !route_missing(r))
		return 0;
	read_v3 = 1;
	trace("vault: no v4 routes here (HTTP 404 'Route ... not found'): reading "
	      "through v3 raw for the rest of this process");
	return 1;
}

static int fetch_once(struct vault *v, const char *path,
		      struct http_response *r)
{
	char *url, *auth, *proj = http_escape(v->s->project_id);
	char *env = http_escape(v->s->environment), *p = http_escape(path);
	const char *headers[3];
	int ret;

	url = xstrfmt("%s/%s?%s=%s&environment=%s&secretPath=%s"
		      "&viewSecretValue=true&expandSecretReferences=true"
		      "&recursive=false&include_imports=true&includeImports=true",
		      v->s->base, read_v3 ? "v3/secrets/raw" : "v4/secrets",
		      read_v3 ? "workspaceId" : "projectId", proj, env, p);
	auth = xstrfmt("Authorization: Bearer %s", v->session);
	headers[0] = auth;
	headers[1] = "Accept: application/json";
	headers[2] = NULL;
	ret = vault_http(v, "GET", url, headers, NULL, r);
	free_secret(auth);
	free(url);
	free(proj);
	free(env);
	free(p);
	return ret;
}

static int session_refused(const struct http_response *r)
{
	if (r->status == 401)
		return 1;
	if (r->status != 403)
		return 0;
	return strstr(r->body.buf ? r->body.buf : "", "\"TokenError\"") != NULL;
}

static void add_secret(struct vault_secrets *out, struct json_object *s)
{
	const char *k = json_str(s, "secretKey"), *val = json_str(s, "secretValue");
	size_t i;

	if (!k || !val)
		return;
	for (i = 0; i < out->nr; i++)
		if (!strcmp(out->items[i].key, k))
			return;	/* the folder's own secret wins over an import */
	out->items = xrealloc(out->items, (out->nr + 1) * sizeof(*out->items));
	out->items[out->nr].key = xstrdup(k);
	out->items[out->nr].value = xstrdup(val);
	out->nr++;
}

int vault_parse_secrets(const char *body, size_t len, const char *path,
			struct vault_secrets *out)
{
	struct json_object *o = json_parse(body, len), *arr, *imps;
	size_t i, j;

	if (!o || !json_object_object_get_ex(o, "secrets", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_put_wiped(o);
		return raxx_fail(RAXX_EVAULT, "vault fetch at %s: the answer is not "
				 "Infisical's secrets JSON: check INFISICAL_HOST",
				 path);
	}
	for (i = 0; i < json_object_array_length(arr); i++)
		add_secret(out, json_object_array_get_idx(arr, i));
	if (json_object_object_get_ex(o, "imports", &imps) &&
	    json_object_is_type(imps, json_type_array)) {
		for (i = 0; i < json_object_array_length(imps); i++) {
			struct json_object *im = json_object_array_get_idx(imps, i), *s;

			if (!json_object_object_get_ex(im, "secrets", &s) ||
			    !json_object_is_type(s, json_type_array))
				continue;
			for (j = 0; j < json_object_array_length(s); j++)
				add_secret(out, json_object_array_get_idx(s, j));
		}
	}
	json_put_wiped(o);
	return 0;
}

int vault_get_secrets(struct vault *v, const char *path,
		      struct vault_secrets *out)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char msg[300];
	int ret, relogged = 0;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	if (!v->session && (ret = vault_login(v)))
		return ret;
	relogged = v->logged_in;
	for (;;) {
		if ((ret = fetch_once(v, path, &r)))
			goto out;
		if ((ret = cf_refusal(v, &r, "vault fetch")))
			goto out;
		if (switched_to_v3(&r))
			continue;
		if (!relogged && session_refused(&r)) {
			trace("vault: session refused (HTTP %ld), logging in again",
			      r.status);
			relogged = 1;
			if ((ret = vault_login(v)))
				goto out;
			continue;
		}
		break;
	}
	if (r.status != 200) {
		json_message(r.body.buf, r.body.len, msg, sizeof(msg));
		ret = raxx_fail_http(r.status, RAXX_EVAULT, "vault fetch failed "
				     "at %s: HTTP %ld%s%s: %s", path, r.status,
				     *msg ? " " : "", msg,
				     route_missing(&r) ? "check INFISICAL_HOST: it "
				     "serves neither v4 nor v3 secrets" :
				r.status == 404 ? "check INFISICAL_PATH_PREFIX, "
				"INFISICAL_ENV and that the folder exists" :
				r.status == 403 ? "grant the identity read access "
				"to that path" : r.status == 400 ?
				"check INFISICAL_PROJECT_ID and INFISICAL_ENV" :
				"retry later");
		goto out;
	}
	ret = vault_parse_secrets(r.body.buf, r.body.len, path, out);
	trace("vault: %zu secrets at %s", out->nr, path);
out:
	http_response_release(&r);
	return ret;
}

const char *vault_secrets_get(const struct vault_secrets *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->items[i].key, key))
			return s->items[i].value;
	return NULL;
}

void vault_secrets_release(struct vault_secrets *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		free(s->items[i].key);
		free_secret(s->items[i].value);
	}
	free(s->items);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

/* ---- single secrets and folders (handoff.c): writes in vault_write.c ---- */

/*
 * One request with the session: log in when there is none, and once more
 * when the vault refuses it (expired 403 TokenError, unknown 401). 0 with
 * Infisical's own answer in r (any status), else RAXX_EVAULT.
 */
int vault_authed_request(struct vault *v, const char *method,
			 const char *url, const char *body, const char *what,
			 struct http_response *r)
{
	const char *headers[4];
	char *auth;
	int ret, relogged;

	if (!v->session && (ret = vault_login(v)))
		return ret;
	relogged = v->logged_in;
	for (;;) {
		size_t n = 0;

		auth = xstrfmt("Authorization: Bearer %s", v->session);
		headers[n++] = auth;
		headers[n++] = "Accept: application/json";
		if (body)
			headers[n++] = "Content-Type: application/json";
		headers[n] = NULL;
		ret = vault_http(v, method, url, headers, body, r);
		free_secret(auth);
		if (ret || (ret = cf_refusal(v, r, what)))
			return ret;
		if (relogged || !session_refused(r))
			return 0;
		trace("vault: session refused (HTTP %ld), logging in again", r->status);
		relogged = 1;
		if ((ret = vault_login(v)))
			return ret;
	}
}

int vault_refused(const struct http_response *r, const char *what,
		  const char *path, const char *name, int write)
{
	char msg[300];

	json_message(r->body.buf, r->body.len, msg, sizeof(msg));
	return raxx_fail_http(r->status, RAXX_EVAULT, "%s %s%s%s failed: HTTP "
			      "%ld%s%s: %s", what,
			 path, name ? "/" : "", name ? name : "", r->status,
			 *msg ? " " : "", msg,
			 r->status == 403 ? (write ? "grant the identity write "
			 "access to that path" : "grant the identity read "
			 "access to that path") : r->status == 404 ?
			 "check INFISICAL_PATH_PREFIX and INFISICAL_ENV" :
			 r->status == 400 || r->status == 422 ?
			 "check INFISICAL_PROJECT_ID and INFISICAL_ENV" :
			 "retry later");
}

/* A 404 about the secret or its folder, not about the environment. */
int vault_not_found(const struct http_response *r)
{
	char msg[300];

	if (r->status != 404)
		return 0;
	json_message(r->body.buf, r->body.len, msg, sizeof(msg));
	return !strstr(msg, "Environment with slug") && !route_missing(r);
}

int vault_read_answer(const struct http_response *r, const char *what,
		      const char *path, const char *name)
{
	if (vault_not_found(r))
		return 1;
	if (r->status != 200)
		return vault_refused(r, what, path, name, 0);
	return 0;
}

int vault_get_secret(struct vault *v, const char *path, const char *name,
		     char **value)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	struct json_object *o, *sec;
	char *proj = http_escape(v->s->project_id), *env = http_escape(v->s->environment);
	char *p = http_escape(path), *n = http_escape(name), *url = NULL;
	const char *val;
	int ret;

	*value = NULL;
	do {
		free(url);
		url = xstrfmt("%s/%s/%s?%s=%s&environment=%s&secretPath=%s"
			      "&type=shared&viewSecretValue=true"
			      "&expandSecretReferences=false&include_imports=false"
			      "&includeImports=false", v->s->base,
			      read_v3 ? "v3/secrets/raw" : "v4/secrets", n,
			      read_v3 ? "workspaceId" : "projectId", proj, env, p);
		ret = vault_authed_request(v, "GET", url, NULL, "vault read", &r);
	} while (!ret && switched_to_v3(&r));
	free(proj);
	free(env);
	free(p);
	free(n);
	free(url);
	if (ret || (ret = vault_read_answer(&r, "vault read of", path, name)))
		goto out;
	o = json_parse(r.body.buf, r.body.len);
	if (!o || !json_object_object_get_ex(o, "secret", &sec) ||
	    !(val = json_str(sec, "secretValue")))
		ret = raxx_fail(RAXX_EVAULT, "vault read of %s/%s: the answer is not "
				"Infisical's secret JSON: check INFISICAL_HOST",
				path, name);
	else
		*value = xstrdup(val);
	json_put_wiped(o);
out:
	http_response_release(&r);
	return ret;
}
