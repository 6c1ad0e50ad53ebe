#ifndef RAXX_CACHE_H
#define RAXX_CACHE_H

/*
 * The token cache: sealed files in a private directory, shared by every
 * process of the user (DESIGN.md "Cache, concurrency, audit").
 *
 * Directory: cache_dir_path() (store.h: RAXX_CACHE_DIR, else
 * $XDG_RUNTIME_DIR/git-credential-raxx, else
 * $XDG_CACHE_HOME/git-credential-raxx, else ~/.cache/git-credential-raxx),
 * opened with private_dir_open(): created 0700 (missing parents too); used
 * only when it is a real directory (not a symlink), owned by this user and
 * closed to group and others. Otherwise, or when it cannot be created or
 * written (read-only, full), the program mints without a cache and warns
 * once; the cache is never a reason to fail.
 *
 * Entries: one file per (kind, base URL, name, scope):
 *   kind "token":   (RAXX_GITHUB_API, bot, scope) -> installation token,
 *                   its expiry (local clock), the installation id;
 *   kind "session": (vault base, client id, "") -> the vault session.
 * The file name is a keyed BLAKE2b hash of those fields ("t-HEX", "s-HEX"):
 * it holds no secret and says nothing to someone without the key. The
 * content is "RXC1" + nonce + crypto_secretbox of a small text record that
 * repeats the fields, so a file moved to another name is refused. The key
 * is BLAKE2b keyed with BLAKE2b-512(INFISICAL_CLIENT_SECRET) over a fixed
 * context string: without that secret there is no cache at all.
 *
 * Files are read and written through store.h: 0600, opened without
 * following symlinks, and must be regular, owned by this user, closed to
 * group and others, with one link, and at most CACHE_MAX_FILE bytes.
 * Anything else (corrupt, truncated, sealed with another key, moved, wrong
 * mode, a symlink) is discarded with a trace line and treated as a miss.
 * Writes go to a temporary file in the directory, fsync'd, then renamed
 * over the entry. What this module adds is the sealing, the names, the
 * locks and which entries to drop.
 *
 * Single flight: "t-HEX.lock" beside each entry, taken with flock(2);
 * the kernel releases it when its holder dies. Waiting is bounded by the
 * process deadline (RAXX_TIMEOUT).
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct strbuf;

#define CACHE_MAX_FILE (16 * 1024)
#define CACHE_DEFAULT_MIN_TTL 300
/* a vault session is reused while it has at least this long to live */
#define CACHE_SESSION_MIN_TTL 60

struct cache;

struct cache_entry {
	char *api;		/* GitHub API base, or the vault base */
	char *name;		/* bot, or the vault client id */
	char *scope;		/* "" for the whole installation */
	char *installation_id;	/* may be "" */
	time_t expires_at;	/* local clock */
	char *secret;		/* the token or session: wiped on release */
	char *file;		/* the entry's file name in the directory */
	unsigned long long dev, ino;	/* the file it was read from */
};

/*
 * Open the cache: NULL (nothing recorded) when there is none to use —
 * INFISICAL_CLIENT_SECRET unset, or the directory unusable (a warning
 * said why, once). Cheap: no network, no child process.
 */
struct cache *cache_open(void);
/*
 * The same directory for entries that hold no secret (the remembered git
 * settings), sealed with a key of this user's kept beside them
 * ("local.key", 32 random bytes, 0600, made at first use): a process with
 * no vault identity (a token broker's client, git from an editor)
 * remembers its settings too. The key keeps entries apart from the
 * identity's and refuses tampered ones; it is no secret from this user,
 * who may edit their git config anyway. NULL when there is no cache
 * directory to use.
 */
struct cache *cache_open_local(void);
void cache_close(struct cache *c);
const char *cache_dir(const struct cache *c);

/* RAXX_MIN_TTL in seconds (default CACHE_DEFAULT_MIN_TTL; a bad value
 * warns and uses the default). */
long cache_min_ttl(void);

/*
 * A token for (api, bot, scope) living at least min_ttl more seconds:
 * 1 with *out filled (release with cache_entry_release), 0 on a miss.
 */
int cache_get_token(struct cache *c, const char *api, const char *bot,
		    const char *scope, long min_ttl, struct cache_entry *out);
/* Store a token entry; e's file is ignored. A failure warns once. */
void cache_put_token(struct cache *c, const struct cache_entry *e);

/* The vault session for (base, client_id), valid for at least
 * CACHE_SESSION_MIN_TTL more seconds: 1 and *out filled, or 0. */
int cache_get_session(struct cache *c, const char *base,
		      const char *client_id, struct cache_entry *out);
void cache_put_session(struct cache *c, const char *base,
		       const char *client_id, const char *session,
		       time_t expires_at);

/*
 * Single flight for one token entry. Returns 0 with *fd the lock held,
 * RAXX_EGITHUB (message recorded) when the deadline passed while another
 * process held it, or -1 when the lock cannot be had at all (the cache
 * cannot be written: go on without it). Release with cache_unlock.
 */
int cache_lock_token(struct cache *c, const char *api, const char *bot,
		     const char *scope, int64_t deadline_ms, int *fd);
void cache_unlock(int fd);

/*
 * Every readable token entry, expired ones included (stale files are
 * removed on the way). Fills *out (an array of *nr entries, release each
 * and free the array); entries sealed with another key are skipped.
 */
int cache_list_tokens(struct cache *c, struct cache_entry **out, size_t *nr);
/* Remove the entry's file, unless it has been replaced since it was read
 * (its lock file stays: a waiter may hold it). */
int cache_drop(struct cache *c, const struct cache_entry *e);
/* Lock / unlock by an entry read with cache_list_tokens. */
int cache_lock_entry(struct cache *c, const struct cache_entry *e,
		     int64_t deadline_ms, int *fd);

void cache_entry_release(struct cache_entry *e);

/*
 * An entry's record as it is sealed: "raxx-cache 1\nkind=K\n", then
 * api, name, scope, installation_id, expires_at (decimal, local clock)
 * and secret (not empty), one "key=value\n" line each in that order, and
 * nothing else. e must be zeroed. 0 with its fields filled (file, dev
 * and ino left alone), else -1 with whatever was filled, for
 * cache_entry_release. What the loader uses on an opened entry;
 * exported for the fuzz target.
 */
int cache_parse_record(const char *buf, size_t len, char kind,
		       struct cache_entry *e);

/*
 * Other kinds of entries (settings_cache.h): one blob per (kind, name,
 * scope), kind a lower-case letter other than 't' and 's', sealed and
 * checked like a token entry, refused after expires_at; at most about
 * 11 KiB (the file's cap after encoding). Not for secrets: it is not
 * wiped. cache_get_blob: 1 with the blob appended to out, else 0.
 * cache_put_blob also removes that kind's entries not written for
 * CACHE_BLOB_KEEP seconds (a worktree gone, an environment not seen
 * again).
 */
#define CACHE_BLOB_KEEP (7 * 86400)
int cache_get_blob(struct cache *c, char kind, const char *name,
		   const char *scope, struct strbuf *out);
void cache_put_blob(struct cache *c, char kind, const char *name,
		    const char *scope, const void *data, size_t len,
		    time_t expires_at);

/*
 * Claim the start of a background refresh (refresh.h) of the token entry
 * (api, bot, scope): 1 when none was claimed in the last interval seconds
 * (the claim is recorded: the mtime of "t-HEX.refresh" beside the entry),
 * 0 when one was, or when the mark cannot be kept (then no refresh).
 */
int cache_refresh_claim(struct cache *c, const char *api, const char *bot,
			const char *scope, long interval);

#endif
