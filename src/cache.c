#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE	/* flock(2) on macOS */
#include "cache.h"
#include "clientsecret.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define MAGIC "RXC1"
#define MAGIC_LEN 4
#define HEADER_LEN (MAGIC_LEN + crypto_secretbox_NONCEBYTES)
#define NAME_HASH_BYTES 16
/* "t-" + 32 hex digits + NUL */
#define FILE_LEN (2 + 2 * NAME_HASH_BYTES + 1)
#define KEY_BYTES crypto_secretbox_KEYBYTES

/* Fixed contexts: changing one voids every cache (a new format). */
static const char seal_context[] = "git-credential-raxx cache seal v1";
static const char name_context[] = "git-credential-raxx cache name v1";

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

static char *home_dir(void)
{
	const char *h = env_get("HOME");

	return h ? xstrdup(h) : NULL;
}

/* An XDG variable counts only when it holds an absolute path. */
static const char *xdg(const char *name)
{
	const char *v = env_get(name);

	return v && v[0] == '/' ? v : NULL;
}

char *cache_dir_path(void)
{
	const char *v;
	char *home, *p;

	if ((v = env_get("RAXX_CACHE_DIR")))
		return xstrdup(v);
	if ((v = xdg("XDG_RUNTIME_DIR")))
		return xstrfmt("%s/git-credential-raxx", v);
	if ((v = xdg("XDG_CACHE_HOME")))
		return xstrfmt("%s/git-credential-raxx", v);
	if (!(home = home_dir()))
		return NULL;
	p = xstrfmt("%s/.cache/git-credential-raxx", home);
	free(home);
	return p;
}

char *state_dir_path(void)
{
	const char *v;
	char *home, *p;

	if ((v = env_get("RAXX_STATE_DIR")))
		return xstrdup(v);
	if ((v = xdg("XDG_STATE_HOME")))
		return xstrfmt("%s/git-credential-raxx", v);
	if (!(home = home_dir()))
		return NULL;
	p = xstrfmt("%s/.local/state/git-credential-raxx", home);
	free(home);
	return p;
}

/* mkdir -p for the parents of path, each new one 0700; errors are left
 * for the final mkdir to report. */
static void make_parents(const char *path)
{
	char *p = xstrdup(path);
	size_t i;

	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			trace("cannot create '%s': %s", p, strerror(errno));
		p[i] = '/';
	}
	free(p);
}

int private_dir_open(const char *path, char *why, size_t n)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		make_parents(path);
		if (mkdir(path, 0700) && errno != EEXIST) {
			snprintf(why, n, "cannot be created (%s)", strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (!lstat(path, &st) && S_ISLNK(st.st_mode))
			snprintf(why, n, "is a symbolic link, refused: use a real "
				 "directory");
		else
			snprintf(why, n, "cannot be opened (%s)", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, n, "is not a directory");
	} else if (st.st_uid != geteuid()) {
		snprintf(why, n, "belongs to uid %ld, not to you: use a "
			 "directory of your own", (long)st.st_uid);
	} else if (st.st_mode & 077) {
		snprintf(why, n, "is open to group or others (mode %04o), "
			 "refused: chmod 700 it", (unsigned)(st.st_mode & 07777));
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

static void derive_keys(const char *secret, unsigned char *keys)
{
	unsigned char ikm[crypto_generichash_BYTES_MAX];

	/* BLAKE2b keys are at most 64 bytes; a client secret may be longer */
	crypto_generichash(ikm, sizeof(ikm), (const unsigned char *)secret,
			   strlen(secret), NULL, 0);
	crypto_generichash(keys, KEY_BYTES, (const unsigned char *)seal_context,
			   sizeof(seal_context) - 1, ikm, sizeof(ikm));
	crypto_generichash(keys + KEY_BYTES, KEY_BYTES,
			   (const unsigned char *)name_context,
			   sizeof(name_context) - 1, ikm, sizeof(ikm));
	sodium_memzero(ikm, sizeof(ikm));
}

struct cache *cache_open(void)
{
	const char *secret;
	static int warned_dir;
	struct cache *c;
	char why[200], *dir;
	int dfd;

	/* the one source of the secret (the environment or a file): an
	 * unusable file is the vault's error to report, not the cache's */
	if (client_secret_get(&secret, NULL) || !secret) {
		trace("cache: off (no usable INFISICAL_CLIENT_SECRET)");
		raxx_clear_error();
		return NULL;
	}
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
	c->keys = sodium_malloc(2 * KEY_BYTES);
	if (!c->keys)
		die("out of memory (secure memory for the cache key)");
	derive_keys(secret, c->keys);
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

static void entry_file(const struct cache *c, char kind, const char *api,
		       const char *name, const char *scope, char out[FILE_LEN])
{
	crypto_generichash_state st;
	unsigned char h[NAME_HASH_BYTES];
	const char kinds[2] = { kind, '\n' };

	crypto_generichash_init(&st, c->keys + KEY_BYTES, KEY_BYTES, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)kinds, 2);
	crypto_generichash_update(&st, (const unsigned char *)api, strlen(api));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope));
	crypto_generichash_final(&st, h, sizeof(h));
	out[0] = kind;
	out[1] = '-';
	sodium_bin2hex(out + 2, FILE_LEN - 2, h, sizeof(h));
}

void cache_entry_release(struct cache_entry *e)
{
	free(e->api);
	free(e->name);
	free(e->scope);
	free(e->installation_id);
	free_secret(e->secret);
	free(e->file);
	memset(e, 0, sizeof(*e));
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

/* One "key=value" line of a record into *val (fresh); 0 on success. */
static int field(const char **p, const char *end, const char *key, char **val)
{
	size_t klen = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl || (size_t)(nl - *p) <= klen || memcmp(*p, key, klen) ||
	    (*p)[klen] != '=')
		return -1;
	*val = xstrndup(*p + klen + 1, (size_t)(nl - *p) - klen - 1);
	*p = nl + 1;
	return 0;
}

int cache_parse_record(const char *buf, size_t len, char kind,
		       struct cache_entry *e)
{
	const char *p = buf, *end = buf + len;
	char head[] = "raxx-cache 1\nkind=?\n", *exp = NULL;
	long t;
	int ret = -1;

	head[18] = kind;
	if (memchr(buf, '\0', len) || len < sizeof(head) - 1 ||
	    memcmp(p, head, sizeof(head) - 1))
		return -1;
	p += sizeof(head) - 1;
	if (field(&p, end, "api", &e->api) || field(&p, end, "name", &e->name) ||
	    field(&p, end, "scope", &e->scope) ||
	    field(&p, end, "installation_id", &e->installation_id) ||
	    field(&p, end, "expires_at", &exp) ||
	    field(&p, end, "secret", &e->secret) || p != end)
		goto out;
	if (parse_long(exp, 0, LONG_MAX, &t))
		goto out;
	e->expires_at = (time_t)t;
	ret = *e->secret ? 0 : -1;
out:
	free(exp);
	return ret;
}

/*
 * Read and open the entry in file. Returns 1 with *out filled, 0 when
 * there is no such file, -1 when it was refused (and, unless it is only
 * sealed with a key not ours while listing, discarded).
 */
static int load(struct cache *c, const char *file, int listing,
		struct cache_entry *out)
{
	unsigned char *raw = NULL, *plain = NULL;
	char whybuf[64], expect[FILE_LEN];
	const char *why = NULL;
	struct stat st;
	size_t len = 0, plen = 0, got = 0;
	int fd, ret = -1;

	memset(out, 0, sizeof(*out));
	fd = openat(c->dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (!fstatat(c->dfd, file, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode))
			discard(c, file, &st, "a symbolic link, refused");
		else
			trace("cache: cannot read %s/%s: %s", c->dir, file,
			      strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		why = "cannot stat it";
	} else if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
	} else if (st.st_uid != geteuid()) {
		why = "owned by another user";
	} else if (st.st_mode & 077) {
		snprintf(whybuf, sizeof(whybuf), "mode %04o, not 0600",
			 (unsigned)(st.st_mode & 07777));
		why = whybuf;
	} else if (st.st_nlink != 1) {
		why = "more than one link to it";
	} else if (st.st_size < HEADER_LEN + crypto_secretbox_MACBYTES) {
		why = "truncated";
	} else if (st.st_size > CACHE_MAX_FILE) {
		why = "too large";
	}
	if (why)
		goto bad;
	len = (size_t)st.st_size;
	raw = xmalloc(len);
	while (got < len) {
		ssize_t n = read(fd, raw + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	plen = len - HEADER_LEN - crypto_secretbox_MACBYTES;
	plain = xmalloc(plen + 1);
	if (got != len) {
		why = "truncated";
	} else if (memcmp(raw, MAGIC, MAGIC_LEN)) {
		why = "not a cache entry";
	} else if (crypto_secretbox_open_easy(plain, raw + HEADER_LEN,
					      len - HEADER_LEN, raw + MAGIC_LEN,
					      c->keys)) {
		why = "corrupt, or sealed with another INFISICAL_CLIENT_SECRET";
		if (listing) {
			/* another identity may share the directory: leave it */
			trace("cache: skipping %s/%s: %s", c->dir, file, why);
			why = NULL;
			goto out;
		}
	} else if (cache_parse_record((const char *)plain, plen, file[0], out)) {
		why = "malformed record";
	} else {
		entry_file(c, file[0], out->api, out->name, out->scope, expect);
		if (strcmp(expect, file))
			why = "moved from another entry's name";
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
	if (plain) {
		sodium_memzero(plain, plen + 1);
		free(plain);
	}
	if (raw) {
		sodium_memzero(raw, len);
		free(raw);
	}
	close(fd);
	return ret;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Temp file + fsync + rename, so a reader sees the old or the new entry. */
static void write_file(struct cache *c, const char *file,
		       const unsigned char *data, size_t len)
{
	unsigned char rnd[8];
	char tmp[32], hex[2 * sizeof(rnd) + 1];
	int fd, err = 0;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), ".tmp-%s", hex);
	fd = openat(c->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		cannot_write(c, errno);
		return;
	}
	if (write_all(fd, data, len) || fsync(fd))
		err = errno ? errno : EIO;
	if (close(fd) && !err)
		err = errno;
	if (!err && renameat(c->dfd, tmp, c->dfd, file))
		err = errno;
	if (err) {
		unlinkat(c->dfd, tmp, 0);
		cannot_write(c, err);
		return;
	}
	trace("cache: stored %s/%s", c->dir, file);
}

static int one_line(const char *s)
{
	return !strchr(s, '\n');
}

static void store(struct cache *c, char kind, const struct cache_entry *e)
{
	struct strbuf plain = STRBUF_INIT;
	unsigned char *raw;
	char file[FILE_LEN];
	size_t len;

	if (!one_line(e->api) || !one_line(e->name) || !one_line(e->scope) ||
	    !one_line(e->installation_id) || !one_line(e->secret) || !*e->secret) {
		trace("cache: not storing an entry with a line break in it");
		return;
	}
	plain.secret = 1;
	sb_addf(&plain, "raxx-cache 1\nkind=%c\napi=%s\nname=%s\nscope=%s\n"
		"installation_id=%s\nexpires_at=%lld\nsecret=%s\n", kind,
		e->api, e->name, e->scope, e->installation_id,
		(long long)e->expires_at, e->secret);
	len = HEADER_LEN + crypto_secretbox_MACBYTES + plain.len;
	if (len > CACHE_MAX_FILE) {
		trace("cache: entry too large to store (%zu bytes)", len);
		sb_release(&plain);
		return;
	}
	raw = xmalloc(len);
	memcpy(raw, MAGIC, MAGIC_LEN);
	randombytes_buf(raw + MAGIC_LEN, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(raw + HEADER_LEN, (const unsigned char *)plain.buf,
			      plain.len, raw + MAGIC_LEN, c->keys);
	sb_release(&plain);
	entry_file(c, kind, e->api, e->name, e->scope, file);
	write_file(c, file, raw, len);
	free(raw);	/* sealed: nothing secret left in it */
}

int cache_get_token(struct cache *c, const char *api, const char *bot,
		    const char *scope, long min_ttl, struct cache_entry *out)
{
	char file[FILE_LEN];
	long long left;

	entry_file(c, 't', api, bot, scope, file);
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
	char file[FILE_LEN];

	entry_file(c, 's', base, client_id, "", file);
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
	char lk[FILE_LEN + 5];
	struct stat st;
	int64_t start = now_ms(), nap = 2;
	int fd, waited = 0;

	*out = -1;
	snprintf(lk, sizeof(lk), "%s.lock", file);
	fd = openat(c->dfd, lk, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP) {
		discard(c, lk, NULL, "a symbolic link, refused");
		fd = openat(c->dfd, lk, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		cannot_write(c, errno);
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		trace("cache: lock file %s/%s is not a file of yours: no lock",
		      c->dir, lk);
		close(fd);
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
	char file[FILE_LEN];

	entry_file(c, 't', api, bot, scope, file);
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
		if (strlen(name) != FILE_LEN - 1 || strncmp(name, "t-", 2))
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
	char file[FILE_LEN], mark[FILE_LEN + 8];
	struct stat st;
	int fd;

	entry_file(c, 't', api, bot, scope, file);
	snprintf(mark, sizeof(mark), "%s.refresh", file);
	fd = openat(c->dfd, mark, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 1;	/* the first claim */
	}
	if (errno != EEXIST ||
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
	char file[FILE_LEN];
	int ret = 0;

	entry_file(c, kind, "", name, scope, file);
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
		    strlen(de->d_name) != FILE_LEN - 1)
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
