#ifndef RAXX_VAULT_H
#define RAXX_VAULT_H

/*
 * Infisical: Universal Auth login, then the raw secrets of one folder,
 * over one reused connection. Every failure here is RAXX_EVAULT, except
 * what the callers check (missing keys: RAXX_ESECRETS, in mint.c).
 *
 *   POST {base}/v1/auth/universal-auth/login  {"clientId","clientSecret"}
 *   GET  {base}/v4/secrets?projectId&environment&secretPath&...
 *
 * base is INFISICAL_HOST with "/api" appended unless it already ends so.
 * With both CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET set, every
 * request carries the Cloudflare Access headers; one alone is ignored
 * with a warning. A 302 (or an HTML 403) means Cloudflare Access stopped
 * the request, and the message says so.
 */

#include <stddef.h>
#include <time.h>

struct vault_settings {
	char *base;			/* ".../api" */
	const char *client_id;
	const char *client_secret;	/* secret */
	const char *project_id;
	const char *environment;
	const char *path_prefix;
	const char *cf_id;
	const char *cf_secret;		/* secret */
};

/* Fill from the environment. Returns 0, or RAXX_EVAULT naming each
 * missing INFISICAL_* variable. Release with vault_settings_release. */
int vault_settings_from_env(struct vault_settings *s);
void vault_settings_release(struct vault_settings *s);

/* "{prefix without trailing /}/{name}", always with a leading '/'. */
char *vault_secret_path(const char *prefix, const char *name);

struct vault_secret {
	char *key;
	char *value;	/* secret: wiped on release */
};

struct vault_secrets {
	char *path;
	struct vault_secret *items;
	size_t nr;
};

struct vault;

/* NULL with RAXX_EVAULT recorded when the base URL is unacceptable. */
struct vault *vault_new(const struct vault_settings *s);
void vault_free(struct vault *v);

/*
 * A session token from an earlier process (sealed in the cache), used
 * instead of a login until the vault refuses it; and read back the
 * session in use (NULL when none) with its expiry (local clock).
 */
void vault_set_session(struct vault *v, const char *token, time_t expires);
const char *vault_session(const struct vault *v, time_t *expires);
int vault_logged_in(const struct vault *v);	/* a login happened here */

/* Log in now (also done on demand). Returns 0 or RAXX_EVAULT. */
int vault_login(struct vault *v);

/*
 * The secrets of folder path in the configured project and environment.
 * Logs in when there is no session; logs in again once when the vault
 * says the session is expired (403 TokenError) or unknown (401).
 */
int vault_get_secrets(struct vault *v, const char *path,
		      struct vault_secrets *out);
/* Parse a secrets answer (secrets, then imports: the folder's own win).
 * out->path must be set by the caller (for messages). */
int vault_parse_secrets(const char *body, size_t len, const char *path,
			struct vault_secrets *out);
const char *vault_secrets_get(const struct vault_secrets *s, const char *key);
void vault_secrets_release(struct vault_secrets *s);

/* Requests and connections so far (for traces and measurements). */
int vault_requests(const struct vault *v);
int vault_connections(const struct vault *v);

#endif
