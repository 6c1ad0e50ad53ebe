/*
 * libFuzzer target for what the program reads back from its own files:
 * a cache entry's record (src/store/cache.c), as the loader finds it once the
 * entry is opened (cache_parse_record), then stored and loaded again
 * through a real cache directory; an entry's file as found on disk; and
 * the installations remembered in the state directory (src/identity/discover.c).
 *
 *   byte 0    the kind of entry: 't' a token, 's' the vault session,
 *             'g' remembered settings (a blob), or any other byte;
 *             'R': the rest is an entry's file as found on disk;
 *             'D': byte 1 is 'i' or 'a', the rest the memory of a
 *             replacement installation (installation.BOT.HASH) or of
 *             the App's accounts (accounts.BOT.HASH)
 *   then      the record ("raxx-cache 1\nkind=t\napi=...")
 *
 * Beyond "no crash, no leak, no UB": a record accepted has every field,
 * none with a line break, a secret that is not empty and an expiry not
 * before 1970; written again in the record's form it parses to the same
 * entry; a token entry sealed with cache_put_token (when it fits in a
 * file) is read back by cache_get_token whole and equal, from the file
 * name its fields hash to; a blob's base64 decodes the same after a
 * round trip through libsodium's encoder. A file on disk that was not
 * sealed with the cache's key (the fuzzer cannot forge one) is a miss,
 * and is removed. A remembered installation is a number; once the
 * vault's account is learned, that account may heal and another may not,
 * whatever the memory held.
 *
 * The cache and state directories are fresh private ones in $TMPDIR,
 * else /dev/shm (a file system in memory: every file written is
 * fsync'd), else /tmp, removed at exit.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "store/cache.h"
#include "identity/discover.h"
#include "base/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static char dir[PATH_MAX], state[PATH_MAX], raw_file[PATH_MAX];
static char inst_file[PATH_MAX], acc_file[PATH_MAX];
static struct cache *cache;
static const struct heal_request heal = {
	.bot = "raxx-dev-bot", .api = "https://api.github.com", .host = "github.com",
	.app_id = "3501352", .vault_inst = "4711", .vault_path = "/MooseQuest/raxx-dev-bot",
	.vault_env = "prod",
};
static struct cache_entry fixed = {
	.api = (char *)"https://api.github.com", .name = (char *)"raxx-dev-bot",
	.scope = (char *)"", .installation_id = (char *)"4711",
	.secret = (char *)"ghs_16C7e42F292c6912E7710c838347Ae178B4a",
	.expires_at = 4102444800,
};

static void remove_dir(const char *path)
{
	struct dirent *de;
	DIR *d;

	if (!*path || !(d = opendir(path)))
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			char *p = xstrfmt("%s/%s", path, de->d_name);

			unlink(p);
			free(p);
		}
	closedir(d);
	rmdir(path);
}

static void remove_dirs(void)
{
	cache_close(cache);
	cache = NULL;
	remove_dir(dir);
	remove_dir(state);
}

/* The file in path whose name starts with prefix, into out. */
static void find_file(const char *path, const char *prefix, char *out, size_t n)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			snprintf(out, n, "%s/%s", path, de->d_name);
	closedir(d);
	if (!*out)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/raxx-fuzz-cache.XXXXXX", tmp);
	snprintf(state, sizeof(state), "%s/raxx-fuzz-state.XXXXXX", tmp);
	if (!mkdtemp(dir) || !mkdtemp(state)) {
		perror(tmp);
		abort();
	}
	setenv("RAXX_CACHE_DIR", dir, 1);
	setenv("RAXX_STATE_DIR", state, 1);
	setenv("INFISICAL_CLIENT_SECRET", "fuzz-client-secret", 1);
	unsetenv("INFISICAL_CLIENT_SECRET_FILE");
	cache = cache_open();
	if (!cache)
		abort();
	atexit(remove_dirs);

	/* the file name of one entry, for the raw files */
	{
		struct cache_entry e;

		cache_put_token(cache, &fixed);
		if (cache_get_token(cache, fixed.api, fixed.name, fixed.scope, 0, &e) != 1)
			abort();
		snprintf(raw_file, sizeof(raw_file), "%s/%s", dir, e.file);
		cache_entry_release(&e);
	}
	/* the names of the two memories: the one written on learning the
	 * vault's account, and the replacement's beside it */
	discover_learned(&heal, "raxx-app", 42);
	find_file(state, "accounts.", acc_file, sizeof(acc_file));
	snprintf(inst_file, sizeof(inst_file), "%s/installation.%s", state,
		 strrchr(acc_file, '/') + 1 + strlen("accounts."));
	return 0;
}

static void memory(char which, const char *buf, size_t len)
{
	char *file = (char *)"unset", *inst;
	int fd;

	unlink(inst_file);
	unlink(acc_file);
	fd = open(which == 'a' ? acc_file : inst_file,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);

	inst = discover_recall(&heal, &file);
	if (inst) {
		CHECK(*inst && strlen(inst) <= 20 &&
		      strspn(inst, "0123456789") == strlen(inst));
		CHECK(file && !strcmp(file, inst_file));
	} else {
		CHECK(!file);
	}
	free(inst);
	free(file);
	discover_may_heal(&heal, "raxx-app", 42);

	discover_learned(&heal, "raxx-app", 42);
	CHECK(discover_may_heal(&heal, "raxx-app", 42));
	CHECK(discover_may_heal(&heal, "RAXX-APP", 42));
	CHECK(!discover_may_heal(&heal, "raxx-app", 43));
	CHECK(!discover_may_heal(&heal, "stranger", 7));
}

static void raw(const char *buf, size_t len)
{
	struct cache_entry e;
	int fd = open(raw_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);
	CHECK(!cache_get_token(cache, fixed.api, fixed.name, fixed.scope, 0, &e));
	CHECK(access(raw_file, F_OK));
}

static int one_line(const char *s)
{
	return s && !strchr(s, '\n');
}

static void same_entry(const struct cache_entry *a, const struct cache_entry *b)
{
	CHECK(!strcmp(a->api, b->api) && !strcmp(a->name, b->name) &&
	      !strcmp(a->scope, b->scope) &&
	      !strcmp(a->installation_id, b->installation_id) &&
	      !strcmp(a->secret, b->secret) && a->expires_at == b->expires_at);
}

/* The record as store() in cache.c writes it. */
static char *format_record(char kind, const struct cache_entry *e)
{
	return xstrfmt("raxx-cache 1\nkind=%c\napi=%s\nname=%s\nscope=%s\n"
		       "installation_id=%s\nexpires_at=%lld\nsecret=%s\n", kind,
		       e->api, e->name, e->scope, e->installation_id,
		       (long long)e->expires_at, e->secret);
}

static void sealed_round_trip(const struct cache_entry *e, size_t record_len)
{
	struct cache_entry got;
	/* magic, nonce, MAC: the file's size beyond the record */
	size_t file_len = 4 + crypto_secretbox_NONCEBYTES +
		crypto_secretbox_MACBYTES + record_len;

	cache_put_token(cache, e);
	if (!cache_get_token(cache, e->api, e->name, e->scope, LONG_MIN, &got)) {
		/* only an entry too large for a file is not stored */
		CHECK(file_len > CACHE_MAX_FILE);
		return;
	}
	CHECK(file_len <= CACHE_MAX_FILE);
	same_entry(e, &got);
	CHECK(got.file && got.file[0] == 't');
	CHECK(!cache_drop(cache, &got));
	cache_entry_release(&got);
}

static void base64_round_trip(const char *s)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	size_t n;
	char *enc;

	if (base64_decode(s, strlen(s), &a) || !a.len) {
		sb_release(&a);
		return;
	}
	n = sodium_base64_encoded_len(a.len, sodium_base64_VARIANT_ORIGINAL);
	enc = xmalloc(n);
	sodium_bin2base64(enc, n, (const unsigned char *)a.buf, a.len,
			  sodium_base64_VARIANT_ORIGINAL);
	CHECK(!base64_decode(enc, strlen(enc), &b));
	CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	free(enc);
	sb_release(&a);
	sb_release(&b);
}

static void record(char kind, const char *buf, size_t len)
{
	struct cache_entry e, again;
	char *text;

	memset(&e, 0, sizeof(e));
	if (cache_parse_record(buf, len, kind, &e)) {
		cache_entry_release(&e);
		return;
	}
	CHECK(one_line(e.api) && one_line(e.name) && one_line(e.scope) &&
	      one_line(e.installation_id) && one_line(e.secret));
	CHECK(*e.secret && e.expires_at >= 0 && !e.file);

	text = format_record(kind, &e);
	memset(&again, 0, sizeof(again));
	CHECK(!cache_parse_record(text, strlen(text), kind, &again));
	same_entry(&e, &again);
	cache_entry_release(&again);

	if (kind == 't')
		sealed_round_trip(&e, strlen(text));
	else
		base64_round_trip(e.secret);
	free(text);
	cache_entry_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] == 'R')
		raw((const char *)data + 1, size - 1);
	else if (data[0] == 'D' && size >= 2)
		memory((char)data[1], (const char *)data + 2, size - 2);
	else
		record((char)data[0], (const char *)data + 1, size - 1);
	raxx_clear_error();
	return 0;
}
