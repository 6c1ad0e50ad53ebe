#ifndef RAXX_CLIENTSECRET_H
#define RAXX_CLIENTSECRET_H

/*
 * The vault identity's client secret, from one place, so that it need not
 * sit in any environment (DESIGN.md "Environment and config"):
 *
 *   1. INFISICAL_CLIENT_SECRET;
 *   2. else the file INFISICAL_CLIENT_SECRET_FILE names;
 *   3. else systemd's $CREDENTIALS_DIRECTORY/infisical-client-secret
 *      (LoadCredential=), when it exists.
 *
 * With INFISICAL_CLIENT_SECRET set, no file is read. A file (opened with
 * store.h store_open_read) must be a regular file (a symlink is refused),
 * owned by this user, closed to group and others, at most
 * CLIENT_SECRET_MAX bytes, not empty; one line end
 * after the secret (LF or CRLF) is dropped, and any other control
 * character is refused. A file is read once (per path) and its secret
 * kept in guarded memory (sodium_malloc, read-only).
 *
 * Not thread-safe: the broker reads it before it starts its threads.
 * Needs sodium_init() first.
 */

#define CLIENT_SECRET_MAX 4096
/* The variables that hold the secret or name its file: a child never
 * needs them (ghexec.h strips them). */
#define CLIENT_SECRET_ENV "INFISICAL_CLIENT_SECRET"
#define CLIENT_SECRET_FILE_ENV "INFISICAL_CLIENT_SECRET_FILE"
#define CLIENT_SECRET_CREDENTIAL "infisical-client-secret"

/*
 * 0 with *secret set (NULL when no source is configured) and, when from
 * is not NULL, *from naming the source ("INFISICAL_CLIENT_SECRET" or the
 * file's path); or RAXX_EVAULT with the message recorded when a source is
 * configured but unusable (a file that is missing, open to others, not
 * ours...). The strings live until the environment changes (a file
 * read anew replaces the one before).
 */
int client_secret_get(const char **secret, const char **from);

/*
 * Whether this process's environment names the secret (CLIENT_SECRET_ENV
 * or CLIENT_SECRET_FILE_ENV set and not empty), without reading a file: a
 * process with a vault identity of its own mints for itself.
 */
int client_secret_in_env(void);

/*
 * Overwrite INFISICAL_CLIENT_SECRET in this process's environment and
 * remove it, once the secret has been read (the broker: the value then
 * lives only in guarded memory).
 */
void client_secret_scrub_env(void);

#endif
