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
 * A vault without v4 (an older self-hosted one: a v4 route answers
 * Fastify's 404 "Route GET:/api/v4/... not found") is read through v3 raw,
 * /v3/secrets/raw[/{name}]?workspaceId&..., for the rest of the process.
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

/* The HTTP status of the vault's last answer; 0 when the last request
 * got none (unreachable, TLS failure, timeout) or v is NULL. */
long vault_last_status(const struct vault *v);

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

/* The secrets API this process reads with: 4, or 3 once a vault
 * without v4 routes answered. */
int vault_read_api(void);

/* Requests and connections so far (for traces and measurements). */
int vault_requests(const struct vault *v);
int vault_connections(const struct vault *v);

/*
 * Single secrets and folders (handoff.c): reads through v4 (or v3 raw, as
 * above), writes through v3 raw (as Infisical's CLI does: older
 * self-hosted servers have them), folders through v2. Each logs in when there is no session and once more
 * when the vault refuses the session, as vault_get_secrets does. path is
 * a folder ("/MooseQuest/handoffs/fix-login"); values are never traced.
 */

/* GET /v4/secrets/{name} (or /v3/secrets/raw/{name}): 0 with *value
 * (fresh, wipe with free_secret), 1 when the vault has no such secret or
 * folder (404), else RAXX_EVAULT. */
int vault_get_secret(struct vault *v, const char *path, const char *name,
		     char **value);

/* POST /v3/secrets/raw/{name}: 0 when written, 1 when it exists already
 * (400), else RAXX_EVAULT (a missing folder, a secret-approval policy
 * that holds the write back, a refusal). */
int vault_create_secret(struct vault *v, const char *path, const char *name,
			const char *value);
/* PATCH /v3/secrets/raw/{name}: 0 when written, 1 when there is none. */
int vault_update_secret(struct vault *v, const char *path, const char *name,
			const char *value);
/* DELETE /v3/secrets/raw/{name} (parameters in a JSON body): 0 when
 * deleted, 1 when there was none (404), else RAXX_EVAULT. */
int vault_delete_secret(struct vault *v, const char *path, const char *name);

/* POST /v2/folders {path: parent, name}: 0 when created, 1 when it
 * existed already (400 "already exists"), else RAXX_EVAULT. The vault
 * makes missing parents itself. name: letters, digits, '-', '_'. */
int vault_create_folder(struct vault *v, const char *parent, const char *name);

/* GET /v2/folders?path=: the names of the folders directly in path
 * (*names: an array of *nr fresh strings, free with vault_names_free).
 * 0, 1 when path does not exist (404; an empty list is 0), or RAXX_EVAULT. */
int vault_list_folders(struct vault *v, const char *path, char ***names,
		       size_t *nr);
void vault_names_free(char **names, size_t nr);

#endif
