#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE	/* flock(2) on macOS */
#include "cache_internal.h"
#include "clientsecret.h"
#include "base/log.h"
#include "store.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* cache_open_local's key, of the user's own, in the directory */
#define LOCAL_KEY "local.key"
#define LOCAL_KEY_BYTES 32

struct cache {
	char *dir;
	int dfd;
	unsigned char *keys;	/* guarded: seal key, then name key */
};

static int warned_write;

/* A write failed: say so once per process, then carry on without. */
static void cannot_write(const struct cache *c, int err)
{
	if (warned_write++)
		return;
	warning("cache directory '%s' cannot be written (%s): minting without "
		"reuse; free some space, or set RAXX_CACHE_DIR to a writable "
		"directory", c->dir, strerror(err));
}

/* The directory and a cache around it, keys to come: NULL when there is
 * none to use (a warning said why, once). */
static struct cache *open_dir(void)
{
	static int warned_dir;
	struct cache *c;
	char why[200], *dir;
	int dfd;

	if (!(dir = cache_dir_path())) {
		trace("cache: off (no RAXX_CACHE_DIR, XDG_RUNTIME_DIR, "
		      "XDG_CACHE_HOME or HOME)");
		return NULL;
	}
	if ((dfd = private_dir_open(dir, why, sizeof(why))) < 0) {
		if (!warned_dir++)
			warning("cache directory '%s' %s; minting without reuse",
				dir, why);
		free(dir);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->dir = dir;
	c->dfd = dfd;
	c->keys = sodium_malloc(2 * CACHE_KEY_BYTES);
	if (!c->keys)
		die("out of memory (secure memory for the cache key)");
	return c;
}

struct cache *cache_open(void)
{
	const char *secret;
	struct cache *c;

	/* the one source of the secret (the environment or a file): an
	 * unusable file is the vault's error to report, not the cache's */
	if (client_secret_get(&secret, NULL) || !secret) {
		trace("cache: off (no usable INFISICAL_CLIENT_SECRET)");
		raxx_clear_error();
		return NULL;
	}
	if ((c = open_dir()))
		cache_keys_from_secret(secret, c->keys);
	return c;
}

/* This user's key for entries that hold no secret, made at first use. */
static int local_key(struct cache *c, unsigned char key[LOCAL_KEY_BYTES])
{
	unsigned char fresh[LOCAL_KEY_BYTES];
	const struct store_rules rules = { LOCAL_KEY_BYTES, LOCAL_KEY_BYTES, 0, 1 };
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if (store_open_read(c->dfd, LOCAL_KEY, &rules, &fd, &st) == STORE_OK) {
			size_t got = store_read_fd(fd, key, LOCAL_KEY_BYTES);

			close(fd);
			if (got == LOCAL_KEY_BYTES)
				return 0;
		}
		/* missing (or unusable: replaced) */
		randombytes_buf(fresh, sizeof(fresh));
		if (store_write_at(c->dfd, LOCAL_KEY, fresh, sizeof(fresh))) {
			cannot_write(c, errno);
			break;
		}
		sodium_memzero(fresh, sizeof(fresh));
	}
	sodium_memzero(fresh, sizeof(fresh));
	return -1;
}

struct cache *cache_open_local(void)
{
	unsigned char key[LOCAL_KEY_BYTES];
	struct cache *c = open_dir();

	if (!c)
		return NULL;
	if (local_key(c, key)) {
		cache_close(c);
		return NULL;
	}
	cache_keys_local(key, sizeof(key), c->keys);
	sodium_memzero(key, sizeof(key));
	return c;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	sodium_free(c->keys);	/* wipes */
	close(c->dfd);
	free(c->dir);
	free(c);
}

const char *cache_dir(const struct cache *c)
{
	return c->dir;
}

long cache_min_ttl(void)
{
	const char *v = env_get("RAXX_MIN_TTL");
	long ttl;

	if (!v)
		return CACHE_DEFAULT_MIN_TTL;
	if (parse_long(v, 0, 86400, &ttl)) {
		char safe[32];

		warning("RAXX_MIN_TTL '%s' is not a number of seconds (0-86400): "
			"using %d", sanitize(safe, sizeof(safe), v),
			CACHE_DEFAULT_MIN_TTL);
		return CACHE_DEFAULT_MIN_TTL;
	}
	return ttl;
}

/* Remove file unless it is no longer the one seen (a fresh entry renamed
 * over it meanwhile must stay). */
static void discard(struct cache *c, const char *file, const struct stat *seen,
		    const char *why)
{
	struct stat now;

	trace("cache: discarding %s/%s: %s", c->dir, file, why);
	if (fstatat(c->dfd, file, &now, AT_SYMLINK_NOFOLLOW) || S_ISDIR(now.st_mode))
		return;
	if (seen && (now.st_ino != seen->st_ino || now.st_dev != seen->st_dev))
		return;
	if (unlinkat(c->dfd, file, 0))
		trace("cache: cannot remove %s/%s: %s", c->dir, file, strerror(errno));
}

/* The reason a file was refused, in the cache's words. */
static const char *refusal(enum store_status s, const struct stat *st,
			   char *buf, size_t n)
{
	switch (s) {
	case STORE_NO_STAT:
		return "cannot stat it";
	case STORE_NOT_REGULAR:
		return "not a regular file";
	case STORE_NOT_OURS:
		return "owned by another user";
	case STORE_OPEN_MODE:
		snprintf(buf, n, "mode %04o, not 0600",
			 (unsigned)(st->st_mode & 07777));
		return buf;
	case STORE_LINKED:
		return "more than one link to it";
	case STORE_TOO_LARGE:
		return "too large";
	default:
		return "truncated";	/* too small, or a short read */
	}
}

/*
 * Read and open the entry in file. Returns 1 with *out filled, 0 when
 * there is no such file, -1 when it was refused (and, unless it is only
 * sealed with a key not ours while listing, discarded).
 */
static int load(struct cache *c, const char *file, int listing,
		struct cache_entry *out)
{
	static const struct store_rules rules = {
		.min = CACHE_SEAL_MIN,
		.max = CACHE_MAX_FILE,
		.one_link = 1,
	};
	unsigned char *raw = NULL;
	char whybuf[64];
	const char *why = NULL;
	enum store_status s;
	struct stat st;
	size_t len = 0;
	int ret = -1, other_key;

	memset(out, 0, sizeof(*out));
	s = store_read_at(c->dfd, file, &rules, (char **)&raw, &len, &st);
	if (s == STORE_MISSING)
		return 0;
	if (s == STORE_UNREADABLE) {
		trace("cache: cannot read %s/%s: %s", c->dir, file, strerror(errno));
		return -1;
	}
	if (s == STORE_SYMLINK) {
		discard(c, file, &st, "a symbolic link, refused");
		return -1;
	}
	if (s != STORE_OK) {
		why = refusal(s, &st, whybuf, sizeof(whybuf));
		goto bad;
	}
	why = cache_unseal(c->keys, file, raw, len, out, &other_key);
	if (why && other_key && listing) {
		/* another identity may share the directory: leave it */
		trace("cache: skipping %s/%s: %s", c->dir, file, why);
		why = NULL;
		goto out;
	}
	if (why)
		goto bad;
	out->file = xstrdup(file);
	out->dev = (unsigned long long)st.st_dev;
	out->ino = (unsigned long long)st.st_ino;
	ret = 1;
	goto out;
bad:
	discard(c, file, &st, why);
out:
	if (ret != 1)
		cache_entry_release(out);
	if (raw) {
		sodium_memzero(raw, len);
		free(raw);
	}
	return ret;
}

/* Temp file + fsync + rename (store.h), so a reader sees the old or the
 * new entry. */
static void write_file(struct cache *c, const char *file,
		       const unsigned char *data, size_t len)
{
	if (store_write_at(c->dfd, file, data, len)) {
		cannot_write(c, errno);
		return;
	}
	trace("cache: stored %s/%s", c->dir, file);
}


static void store(struct cache *c, char kind, const struct cache_entry *e)
{
	unsigned char *raw;
	char file[CACHE_FILE_LEN];
	size_t len;

	if (!(raw = cache_seal(c->keys, kind, e, &len)))
		return;
	cache_entry_file(c->keys, kind, e->api, e->name, e->scope, file);
	write_file(c, file, raw, len);
	free(raw);	/* sealed: nothing secret left in it */
}

int cache_get_token(struct cache *c, const char *api, const char *bot,
		    const char *scope, long min_ttl, struct cache_entry *out)
{
	char file[CACHE_FILE_LEN];
	long long left;

	cache_entry_file(c->keys, 't', api, bot, scope, file);
	if (load(c, file, 0, out) != 1) {
		trace("cache: no token of %s for %s%s%s", bot, api,
		      *scope ? " scoped to " : "", scope);
		return 0;
	}
	left = (long long)(out->expires_at - now_seconds());
	if (left <= min_ttl) {
		trace("cache: the token of %s expires in %lld s, within "
		      "RAXX_MIN_TTL (%ld s): not reusing it", bot, left, min_ttl);
		cache_entry_release(out);
		return 0;
	}
	trace("cache: reusing the token of %s (%lld s left)", bot, left);
	return 1;
}

void cache_put_token(struct cache *c, const struct cache_entry *e)
{
	store(c, 't', e);
}

int cache_get_session(struct cache *c, const char *base, const char *client_id,
		      struct cache_entry *out)
{
	char file[CACHE_FILE_LEN];

	cache_entry_file(c->keys, 's', base, client_id, "", file);
	if (load(c, file, 0, out) != 1)
		return 0;
	if (out->expires_at - now_seconds() < CACHE_SESSION_MIN_TTL) {
		trace("cache: the vault session is about to expire: not reusing it");
		cache_entry_release(out);
		return 0;
	}
	trace("cache: reusing the vault session (%lld s left)",
	      (long long)(out->expires_at - now_seconds()));
	return 1;
}

void cache_put_session(struct cache *c, const char *base, const char *client_id,
		       const char *session, time_t expires_at)
{
	struct cache_entry e = { 0 };

	e.api = (char *)base;
	e.name = (char *)client_id;
	e.scope = (char *)"";
	e.installation_id = (char *)"";
	e.secret = (char *)session;
	e.expires_at = expires_at;
	store(c, 's', &e);
}

static void nap_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int lock_file(struct cache *c, const char *file, const char *what,
		     int64_t deadline, int *out)
{
	char lk[CACHE_FILE_LEN + 5];
	int64_t start = now_ms(), nap = 2;
	int fd, waited = 0;

	*out = -1;
	snprintf(lk, sizeof(lk), "%s.lock", file);
	fd = store_open_write(c->dfd, lk, O_RDWR, NULL);
	if (fd == -1 && errno == ELOOP) {
		discard(c, lk, NULL, "a symbolic link, refused");
		fd = store_open_write(c->dfd, lk, O_RDWR | O_EXCL, NULL);
	}
	if (fd == STORE_ENOTOURS) {
		trace("cache: lock file %s/%s is not a file of yours: no lock",
		      c->dir, lk);
		return -1;
	}
	if (fd < 0) {
		cannot_write(c, errno);
		return -1;
	}
	if (deadline <= 0)
		deadline = start + 30000;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		int64_t now = now_ms();

		if (errno != EWOULDBLOCK && errno != EAGAIN && errno != EINTR) {
			trace("cache: cannot lock %s/%s: %s", c->dir, lk,
			      strerror(errno));
			close(fd);
			return -1;
		}
		if (!waited++)
			trace("cache: another process is minting for %s: waiting",
			      what);
		if (now >= deadline) {
			close(fd);
			return raxx_fail_outage(RAXX_EGITHUB, "gave up after %lld ms waiting "
					 "for another git-credential-raxx process "
					 "minting for %s (lock %s/%s): retry, or "
					 "raise RAXX_TIMEOUT", (long long)(now - start),
					 what, c->dir, lk);
		}
		nap_ms(nap < deadline - now ? nap : deadline - now);
		if (nap < 25)
			nap *= 2;
	}
	if (waited)
		trace("cache: lock for %s taken after %lld ms", what,
		      (long long)(now_ms() - start));
	*out = fd;
	return 0;
}

int cache_lock_token(struct cache *c, const char *api, const char *bot,
		     const char *scope, int64_t deadline_ms, int *fd)
{
	char file[CACHE_FILE_LEN];

	cache_entry_file(c->keys, 't', api, bot, scope, file);
	return lock_file(c, file, bot, deadline_ms, fd);
}

int cache_lock_entry(struct cache *c, const struct cache_entry *e,
		     int64_t deadline_ms, int *fd)
{
	return lock_file(c, e->file, e->name, deadline_ms, fd);
}

void cache_unlock(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}

int cache_drop(struct cache *c, const struct cache_entry *e)
{
	struct stat st;

	if (fstatat(c->dfd, e->file, &st, AT_SYMLINK_NOFOLLOW) ||
	    (unsigned long long)st.st_ino != e->ino ||
	    (unsigned long long)st.st_dev != e->dev) {
		trace("cache: %s/%s was replaced meanwhile: kept", c->dir, e->file);
		return 0;
	}
	if (unlinkat(c->dfd, e->file, 0) && errno != ENOENT) {
		trace("cache: cannot remove %s/%s: %s", c->dir, e->file,
		      strerror(errno));
		return -1;
	}
	trace("cache: dropped %s/%s", c->dir, e->file);
	return 0;
}

/* A temporary file a crashed writer left behind, an hour old or more. */
static void reap_temp(struct cache *c, const char *name)
{
	struct stat st;

	if (!fstatat(c->dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    st.st_mtime < now_seconds() - 3600)
		discard(c, name, &st, "a temporary file left behind");
}

int cache_list_tokens(struct cache *c, struct cache_entry **out, size_t *nr)
{
	struct cache_entry e, *list = NULL;
	struct dirent *de;
	DIR *d;
	int fd = dup(c->dfd);
	size_t n = 0;

	*out = NULL;
	*nr = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return raxx_fail(RAXX_EINTERNAL, "cache directory '%s' cannot be "
				 "listed: %s", c->dir, strerror(errno));
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		const char *name = de->d_name;

		if (!strncmp(name, ".tmp-", 5)) {
			reap_temp(c, name);
			continue;
		}
		if (strlen(name) != CACHE_FILE_LEN - 1 || strncmp(name, "t-", 2))
			continue;
		if (load(c, name, 1, &e) != 1)
			continue;
		if (e.expires_at <= now_seconds()) {
			cache_drop(c, &e);	/* of no use to anyone */
			cache_entry_release(&e);
			continue;
		}
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n++] = e;
	}
	closedir(d);
	*out = list;
	*nr = n;
	return 0;
}

int cache_refresh_claim(struct cache *c, const char *api, const char *bot,
			const char *scope, long interval)
{
	char file[CACHE_FILE_LEN], mark[CACHE_FILE_LEN + 8];
	struct stat st;
	int fd;

	cache_entry_file(c->keys, 't', api, bot, scope, file);
	snprintf(mark, sizeof(mark), "%s.refresh", file);
	fd = store_open_write(c->dfd, mark, O_WRONLY | O_EXCL, NULL);
	if (fd >= 0) {
		close(fd);
		return 1;	/* the first claim */
	}
	if (fd == STORE_ENOTOURS || errno != EEXIST ||
	    fstatat(c->dfd, mark, &st, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		trace("cache: refresh mark %s/%s unusable: no refresh", c->dir, mark);
		return 0;
	}
	if (st.st_mtime > now_seconds() - interval &&
	    st.st_mtime <= now_seconds()) {
		trace("cache: a refresh of %s was started %lld s ago", bot,
		      (long long)(now_seconds() - st.st_mtime));
		return 0;
	}
	if (utimensat(c->dfd, mark, NULL, AT_SYMLINK_NOFOLLOW))
		return 0;
	return 1;
}

int cache_get_blob(struct cache *c, char kind, const char *name,
		   const char *scope, struct strbuf *out)
{
	struct cache_entry e;
	char file[CACHE_FILE_LEN];
	int ret = 0;

	cache_entry_file(c->keys, kind, "", name, scope, file);
	if (load(c, file, 0, &e) != 1)
		return 0;
	if (e.expires_at <= now_seconds())
		trace("cache: %s/%s is past its time", c->dir, file);
	else
		ret = !base64_decode(e.secret, strlen(e.secret), out);
	cache_entry_release(&e);
	return ret;
}

/* Remove kind's entries older than CACHE_BLOB_KEEP. */
static void sweep_kind(struct cache *c, char kind)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = dup(c->dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] != kind || de->d_name[1] != '-' ||
		    strlen(de->d_name) != CACHE_FILE_LEN - 1)
			continue;
		if (!fstatat(c->dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    st.st_mtime < now_seconds() - CACHE_BLOB_KEEP)
			discard(c, de->d_name, &st, "not used for a week");
	}
	closedir(d);
}

void cache_put_blob(struct cache *c, char kind, const char *name,
		    const char *scope, const void *data, size_t len,
		    time_t expires_at)
{
	const int variant = sodium_base64_VARIANT_ORIGINAL;
	struct cache_entry e = { 0 };
	size_t n = sodium_base64_encoded_len(len, variant);
	char *b64;

	if (!len || n > CACHE_MAX_FILE) {
		trace("cache: not storing a blob of %zu bytes", len);
		return;
	}
	b64 = xmalloc(n);
	sodium_bin2base64(b64, n, data, len, variant);
	e.api = (char *)"";
	e.name = (char *)name;
	e.scope = (char *)scope;
	e.installation_id = (char *)"";
	e.expires_at = expires_at;
	e.secret = b64;
	store(c, kind, &e);	/* borrowed fields */
	free(b64);
	sweep_kind(c, kind);
}
