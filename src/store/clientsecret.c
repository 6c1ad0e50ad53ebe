/*
 * The vault identity's client secret: the contract is in clientsecret.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "clientsecret.h"
#include "store.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* A file's secret, read once per path; or the environment's, moved to
 * guarded memory by client_secret_scrub_env. */
static char *loaded_path;
static int load_err;
static char load_msg[512];
static char *secret_mem;	/* guarded, read-only once filled */
static const char *secret_val;
static char *secret_from;
static int scrubbed;

static void forget(void)
{
	if (secret_mem)
		sodium_free(secret_mem);
	secret_mem = NULL;
	secret_val = NULL;
	free(secret_from);
	secret_from = NULL;
	free(loaded_path);
	loaded_path = NULL;
	load_err = 0;
}

/* Read the file at path into guarded memory; 0 or RAXX_EVAULT. */
static int read_file(const char *path, const char *via)
{
	static const struct store_rules rules = {
		.min = 1,
		.max = CLIENT_SECRET_MAX,
	};
	char safe[256], *buf;
	struct stat st;
	size_t got, n;
	int fd;

	sanitize(safe, sizeof(safe), path);
	switch (store_open_read(AT_FDCWD, path, &rules, &fd, &st)) {
	case STORE_OK:
		break;
	case STORE_MISSING:
	case STORE_UNREADABLE:
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) %s: fix "
				 "the path, or set INFISICAL_CLIENT_SECRET", safe, via,
				 strerror(errno));
	case STORE_SYMLINK:
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) is a "
				 "symbolic link, refused: name the file itself", safe,
				 via);
	case STORE_NOT_OURS:
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) belongs "
				 "to uid %ld, not to you (uid %ld): refused: chown it",
				 safe, via, (long)st.st_uid, (long)geteuid());
	case STORE_OPEN_MODE:
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) is open "
				 "to group or others (mode %04o): refused: chmod 600 it",
				 safe, via, (unsigned)(st.st_mode & 07777));
	case STORE_TOO_SMALL:
	case STORE_TOO_LARGE:
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) is %s: "
				 "put the client secret alone in it", safe, via,
				 st.st_size <= 0 ? "empty" : "too large");
	default:
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) is not a "
				 "regular file: name the file that holds the secret",
				 safe, via);
	}
	if (!(buf = sodium_malloc(CLIENT_SECRET_MAX + 1)))
		die("out of memory (secure memory for the client secret)");
	got = store_read_fd(fd, buf, (size_t)st.st_size);
	close(fd);
	n = got;
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (got != (size_t)st.st_size || !n || strlen(buf) != n) {
		sodium_free(buf);
		return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) does not "
				 "hold one line: put the client secret alone in it",
				 safe, via);
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			sodium_free(buf);
			return raxx_fail(RAXX_EVAULT, "client secret file '%s' (%s) "
					 "holds control characters: put the client "
					 "secret alone in it", safe, via);
		}
	sodium_mprotect_readonly(buf);
	secret_mem = buf;
	secret_val = buf;
	secret_from = xstrdup(path);
	return 0;
}

int client_secret_get(const char **secret, const char **from)
{
	const char *env = env_get(CLIENT_SECRET_ENV);
	const char *file = env_get(CLIENT_SECRET_FILE_ENV);
	const char *creds = env_get("CREDENTIALS_DIRECTORY");
	char *path = NULL;

	*secret = NULL;
	if (from)
		*from = NULL;
	/* the environment first: a file named as well is not read */
	if (scrubbed || env) {
		*secret = scrubbed ? secret_val : env;
		if (from)
			*from = CLIENT_SECRET_ENV;
		return 0;
	}
	if (file)
		path = xstrdup(file);
	else if (creds && creds[0] == '/')
		path = xstrfmt("%s/%s", creds, CLIENT_SECRET_CREDENTIAL);
	if (!path)
		return 0;
	if (!file && access(path, F_OK) && errno == ENOENT) {
		free(path);	/* no such credential: not configured */
		return 0;
	}
	if (!loaded_path || strcmp(loaded_path, path)) {
		forget();
		loaded_path = path;
		path = NULL;
		if ((load_err = read_file(loaded_path, file ?
					  "INFISICAL_CLIENT_SECRET_FILE" :
					  "$CREDENTIALS_DIRECTORY")))
			snprintf(load_msg, sizeof(load_msg), "%s", raxx_errmsg());
	}
	free(path);
	if (load_err)
		return raxx_fail(load_err, "%s", load_msg);
	*secret = secret_val;
	if (from)
		*from = secret_from;
	return 0;
}

int client_secret_in_env(void)
{
	return env_get(CLIENT_SECRET_ENV) || env_get(CLIENT_SECRET_FILE_ENV);
}

void client_secret_scrub_env(void)
{
	char *v = getenv(CLIENT_SECRET_ENV);
	const char *s;

	if (!v)
		return;
	if (!client_secret_get(&s, NULL) && s == v) {
		/* keep a guarded copy: the environment's goes */
		size_t n = strlen(v);

		forget();
		if (!(secret_mem = sodium_malloc(n + 1)))
			die("out of memory (secure memory for the client secret)");
		memcpy(secret_mem, v, n + 1);
		sodium_mprotect_readonly(secret_mem);
		secret_val = secret_mem;
		scrubbed = 1;
	}
	raxx_clear_error();
	sodium_memzero(v, strlen(v));
	unsetenv(CLIENT_SECRET_ENV);
}
