#ifndef RAXX_CACHE_INTERNAL_H
#define RAXX_CACHE_INTERNAL_H

/*
 * What the files of the token cache share with one another; nothing else
 * includes this. The contract is cache.h.
 *
 *   cache.c       the entry store: the directory, reading and writing
 *                 entries through store.h, get/put/list/drop, the locks,
 *                 the refresh marks, the blobs and their sweeping.
 *   cache_seal.c  the sealing and naming: the keys, the entries' file
 *                 names, the record a file seals and its parsing,
 *                 cache_entry_release.
 *
 * Calls go one way: cache.c -> cache_seal.c.
 */

#include "cache.h"

#include <sodium.h>

#define CACHE_KEY_BYTES crypto_secretbox_KEYBYTES
#define CACHE_NAME_HASH_BYTES 16
/* an entry's file name: "t-" + 32 hex digits + NUL */
#define CACHE_FILE_LEN (2 + 2 * CACHE_NAME_HASH_BYTES + 1)
/* a sealed file: "RXC1", the nonce, then the box (the MAC, the record) */
#define CACHE_HEADER_LEN (4 + crypto_secretbox_NONCEBYTES)
#define CACHE_SEAL_MIN (CACHE_HEADER_LEN + crypto_secretbox_MACBYTES)

/*
 * The keys (2 * CACHE_KEY_BYTES: the seal key, then the name key, into
 * guarded memory) from the client secret, or (cache_open_local) from n
 * bytes of the user's own key.
 */
void cache_keys_from_secret(const char *secret, unsigned char *keys);
void cache_keys_local(const unsigned char *key, size_t n, unsigned char *keys);

/* The file name of entry (kind, api, name, scope): kind, '-', then a
 * BLAKE2b hash of the fields keyed with the name key, in hex. */
void cache_entry_file(const unsigned char *keys, char kind, const char *api,
		      const char *name, const char *scope,
		      char out[CACHE_FILE_LEN]);

/*
 * e's record, sealed: "RXC1", a fresh nonce, then the record boxed with
 * the seal key. A fresh buffer of *len bytes (no secret left in it), or
 * NULL, traced, when e cannot be stored (a line break in a field, an
 * empty secret, over CACHE_MAX_FILE).
 */
unsigned char *cache_seal(const unsigned char *keys, char kind,
			  const struct cache_entry *e, size_t *len);

/*
 * Open the sealed contents of file (raw, len bytes). NULL with *out's
 * record fields filled (file, dev and ino are the caller's); else the
 * reason it is refused, in the trace's words, with *other_key set when
 * only the box would not open (corrupt, or sealed with another key). Either
 * way *out may hold fields: release it when refused.
 */
const char *cache_unseal(const unsigned char *keys, const char *file,
			 const unsigned char *raw, size_t len,
			 struct cache_entry *out, int *other_key);

#endif
