/*
 * The sealing and naming of the token cache (cache_internal.h): the keys,
 * the entries' file names, the record a file seals, and its parsing. No
 * file is opened here: cache.c reads and writes them.
 */
#define _POSIX_C_SOURCE 200809L
#include "cache_internal.h"
#include "base/log.h"
#include "base/util.h"

#include <limits.h>
#include <string.h>

#include <sodium.h>

#define MAGIC "RXC1"
#define MAGIC_LEN 4
#define HEADER_LEN CACHE_HEADER_LEN
#define NAME_HASH_BYTES CACHE_NAME_HASH_BYTES
#define KEY_BYTES CACHE_KEY_BYTES
_Static_assert(HEADER_LEN == MAGIC_LEN + crypto_secretbox_NONCEBYTES,
	       "the header is the magic and the nonce");

/* Fixed contexts: changing one voids every cache (a new format). */
static const char seal_context[] = "git-credential-raxx cache seal v1";
static const char name_context[] = "git-credential-raxx cache name v1";
/* cache_open_local's: entries that hold no secret, under a key of the
 * user's own */
static const char local_seal_context[] = "git-credential-raxx local seal v1";
static const char local_name_context[] = "git-credential-raxx local name v1";

/* ---------------------------------------------------------------- keys */

/* The seal key, then the name key, from n bytes of input key material. */
static void derive_keys_raw(const unsigned char *in, size_t n,
			    unsigned char *keys, const char *seal_ctx,
			    const char *name_ctx)
{
	unsigned char ikm[crypto_generichash_BYTES_MAX];

	/* BLAKE2b keys are at most 64 bytes; a client secret may be longer */
	crypto_generichash(ikm, sizeof(ikm), in, n, NULL, 0);
	crypto_generichash(keys, KEY_BYTES, (const unsigned char *)seal_ctx,
			   strlen(seal_ctx), ikm, sizeof(ikm));
	crypto_generichash(keys + KEY_BYTES, KEY_BYTES,
			   (const unsigned char *)name_ctx, strlen(name_ctx),
			   ikm, sizeof(ikm));
	sodium_memzero(ikm, sizeof(ikm));
}

static void derive_keys(const char *secret, unsigned char *keys,
			const char *seal_ctx, const char *name_ctx)
{
	derive_keys_raw((const unsigned char *)secret, strlen(secret), keys,
			seal_ctx, name_ctx);
}

void cache_keys_from_secret(const char *secret, unsigned char *keys)
{
	derive_keys(secret, keys, seal_context, name_context);
}

void cache_keys_local(const unsigned char *key, size_t n, unsigned char *keys)
{
	derive_keys_raw(key, n, keys, local_seal_context, local_name_context);
}

/* ---------------------------------------------------------------- names */

void cache_entry_file(const unsigned char *keys, char kind, const char *api,
		      const char *name, const char *scope,
		      char out[CACHE_FILE_LEN])
{
	crypto_generichash_state st;
	unsigned char h[NAME_HASH_BYTES];
	const char kinds[2] = { kind, '\n' };

	crypto_generichash_init(&st, keys + KEY_BYTES, KEY_BYTES, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)kinds, 2);
	crypto_generichash_update(&st, (const unsigned char *)api, strlen(api));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope));
	crypto_generichash_final(&st, h, sizeof(h));
	out[0] = kind;
	out[1] = '-';
	sodium_bin2hex(out + 2, CACHE_FILE_LEN - 2, h, sizeof(h));
}

/* ---------------------------------------------------------------- records */

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

static int one_line(const char *s)
{
	return !strchr(s, '\n');
}

unsigned char *cache_seal(const unsigned char *keys, char kind,
			  const struct cache_entry *e, size_t *out_len)
{
	struct strbuf plain = STRBUF_INIT;
	unsigned char *raw;
	size_t len;

	if (!one_line(e->api) || !one_line(e->name) || !one_line(e->scope) ||
	    !one_line(e->installation_id) || !one_line(e->secret) || !*e->secret) {
		trace("cache: not storing an entry with a line break in it");
		return NULL;
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
		return NULL;
	}
	raw = xmalloc(len);
	memcpy(raw, MAGIC, MAGIC_LEN);
	randombytes_buf(raw + MAGIC_LEN, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(raw + HEADER_LEN, (const unsigned char *)plain.buf,
			      plain.len, raw + MAGIC_LEN, keys);
	sb_release(&plain);
	*out_len = len;
	return raw;
}

const char *cache_unseal(const unsigned char *keys, const char *file,
			 const unsigned char *raw, size_t len,
			 struct cache_entry *out, int *other_key)
{
	unsigned char *plain;
	char expect[CACHE_FILE_LEN];
	const char *why = NULL;
	size_t plen;

	*other_key = 0;
	if (len < CACHE_SEAL_MIN)
		return "truncated";	/* store.h's rules keep these out */
	plen = len - HEADER_LEN - crypto_secretbox_MACBYTES;
	plain = xmalloc(plen + 1);
	if (memcmp(raw, MAGIC, MAGIC_LEN)) {
		why = "not a cache entry";
	} else if (crypto_secretbox_open_easy(plain, raw + HEADER_LEN,
					      len - HEADER_LEN, raw + MAGIC_LEN,
					      keys)) {
		why = "corrupt, or sealed with another INFISICAL_CLIENT_SECRET";
		*other_key = 1;
	} else if (cache_parse_record((const char *)plain, plen, file[0], out)) {
		why = "malformed record";
	} else {
		cache_entry_file(keys, file[0], out->api, out->name, out->scope,
				 expect);
		if (strcmp(expect, file))
			why = "moved from another entry's name";
	}
	sodium_memzero(plain, plen + 1);
	free(plain);
	return why;
}
