#ifndef RAXX_VAULT_INTERNAL_H
#define RAXX_VAULT_INTERNAL_H

/*
 * What the files of the vault client share with one another; nothing
 * else includes this. The contract is vault.h.
 *
 *   vault.c        the settings, the session and the login, and reading:
 *                  a folder's secrets (v4, or v3 raw on an older vault),
 *                  a single secret; the refusals every request may meet.
 *   vault_write.c  writing single secrets (v3 raw) and the folders (v2).
 *
 * Calls go one way: vault_write.c -> vault.c.
 */

#include "vault.h"

#include <time.h>

struct http_response;

struct vault {
	const struct vault_settings *s;
	struct http_client *http;
	char *session;		/* secret */
	time_t session_expires;
	int logged_in;
	long last_status;	/* of the last answer; 0: none came */
};

/*
 * One request with the session: log in when there is none, and once more
 * when the vault refuses it (expired 403 TokenError, unknown 401). 0 with
 * Infisical's own answer in r (any status), else RAXX_EVAULT. what names
 * the request in Cloudflare's refusals ("vault write").
 */
int vault_authed_request(struct vault *v, const char *method,
			 const char *url, const char *body, const char *what,
			 struct http_response *r);

/* RAXX_EVAULT for an answer other than 200 to what ("vault read of") of
 * path/name (name may be NULL), with a hint for a write when write. */
int vault_refused(const struct http_response *r, const char *what,
		  const char *path, const char *name, int write);

/* A 404 about the secret or its folder, not about the environment or a
 * route the vault does not have. */
int vault_not_found(const struct http_response *r);

/* A read's answer, sorted: 1 when it found nothing (vault_not_found),
 * vault_refused's code for another answer than 200, 0 for a 200. */
int vault_read_answer(const struct http_response *r, const char *what,
		      const char *path, const char *name);

#endif
