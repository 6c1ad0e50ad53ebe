#ifndef RAXX_SETTINGS_CACHE_H
#define RAXX_SETTINGS_CACHE_H

/*
 * git config, read once and remembered: the warm path's one child process
 * (config.h reads raxx.*, user.name, user.email and
 * extensions.worktreeConfig with their scopes and origins) is skipped when
 * nothing git would read has changed since.
 *
 * What is remembered, per directory git is run in and per environment: the
 * entries (with scope and origin, as the identity rules need them all),
 * and what git read them from. That is:
 *
 *   - the environment that changes what git reads (a digest, never the
 *     values): GIT_CONFIG_PARAMETERS (git -c), GIT_CONFIG_COUNT and every
 *     GIT_CONFIG_KEY_n/VALUE_n, GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM,
 *     GIT_CONFIG_NOSYSTEM, GIT_CEILING_DIRECTORIES,
 *     GIT_DISCOVERY_ACROSS_FILESYSTEM, HOME, XDG_CONFIG_HOME, PATH (which
 *     git), the directory and the worktree top found from it, the uid;
 *   - every file git may read, present or not, with its inode, size, mtime
 *     and ctime (nanoseconds): the system file (GIT_CONFIG_SYSTEM, else
 *     the one git names), the global ones ($XDG_CONFIG_HOME/git/config,
 *     ~/.gitconfig, or GIT_CONFIG_GLOBAL), the repository's config and
 *     config.worktree (found from .git, a directory or a "gitdir:" file,
 *     and commondir), every file an entry came from (--show-origin), and
 *     the target of every include.path and includeIf.*.path, whether its
 *     condition holds or not;
 *   - for includeIf: the inputs of its conditions are in the key. gitdir:
 *     and gitdir/i: depend on the repository's directory (the .git file or
 *     directory and the worktree top are watched, the directory is in the
 *     digest); onbranch: on HEAD (watched); hasconfig:remote.*.url: on
 *     config (watched).
 *
 * The remembered answer is used only when all of that is as it was; a
 * file changed less than two seconds before git read it is never
 * remembered (a change within a file system's timestamp granularity would
 * go unseen), nor is an answer when git failed, when GIT_DIR,
 * GIT_WORK_TREE, GIT_COMMON_DIR or GIT_CONFIG is set, when an origin is not
 * a file, when a repository's own config is not where .git says, or when
 * the repository is not what git found. An entry is trusted a day at most.
 *
 * Where: the token cache (cache.h), kind 'g', sealed with the cache key
 * like a token (no cache, no settings cache: git is asked every time).
 */

struct strbuf;

/*
 * The entries git config gives for the keys config.h keeps, in the
 * output format of `git config -z --show-scope --show-origin`, appended to
 * out: remembered, or read (one `git config --list` child) and
 * remembered. top: the worktree top (gitcmd.h find_toplevel), or NULL.
 */
void settings_read(const char *top, struct strbuf *out);

/* For this process, read git config every time and remember nothing: a
 * long-lived process (the broker) reads it once, and writes nothing to
 * disk but its audit log. */
void settings_cache_off(void);

/* The keys config.h keeps (lower-case, as git prints them). */
int settings_key_wanted(const char *key);

/*
 * A remembered payload, as the cache gives it back: "raxx-settings 1\n",
 * "system PATH\n", a "w ..." line for each file watched (how it looked,
 * then its path), "entries\n" and git's answer. 1 with that answer
 * appended to out when every file watched looks as it did, else 0; either
 * way *system is the system file it named (fresh), or NULL. What
 * settings_read uses on a cache hit; exported for the fuzz target.
 */
int settings_payload_check(const struct strbuf *blob, struct strbuf *out,
			   char **system);

#endif
