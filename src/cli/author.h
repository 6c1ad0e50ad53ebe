#ifndef RAXX_AUTHOR_H
#define RAXX_AUTHOR_H

/*
 * The commit author of a bot, per worktree:
 *
 *   user.name  = BOT[bot]
 *   user.email = ID+BOT[bot]@DOMAIN
 *
 * ID is the numeric id of the bot user "BOT[bot]" (GET /users/BOT%5Bbot%5D
 * on RAXX_GITHUB_API). It never changes, so once looked up it is
 * remembered in the state directory (store.h state_dir_path: RAXX_STATE_DIR,
 * else $XDG_STATE_HOME/git-credential-raxx, else
 * ~/.local/state/git-credential-raxx), one small text file per (API, bot):
 *
 *   user-id.BOT.HASH     HASH: 16 hex digits of BLAKE2b(RAXX_GITHUB_API)
 *     api=https://api.github.com
 *     login=raxx-dev-bot[bot]
 *     id=190001
 *
 * The directory is 0700, the file 0600, written by temp file + fsync +
 * rename (store.h store_write); a file that is not ours, not private, a
 * symlink, over 4 KiB, or whose api/login do not match is ignored.
 *
 * DOMAIN: RAXX_NOREPLY_DOMAIN, else git config raxx.noreplyDomain, else
 * users.noreply.github.com when the git host (RAXX_GITHUB_HOST) is
 * github.com, else users.noreply.HOST with HOST the git host without its
 * port (GHES; unverified: GitHub documents only github.com's domain).
 *
 * raxx.author=off (or RAXX_AUTHOR=off; config.h author_off) turns all of
 * this off: neither setup nor get touches user.name or user.email.
 */

#include "identity/config.h"

/* "BOT[bot]", fresh. */
char *author_name(const char *bot);
/* "ID+BOT[bot]@DOMAIN", fresh. */
char *author_email(const char *bot, long long id, const char *domain);

/*
 * The noreply domain (see above) into *out (fresh). Returns 0, or
 * RAXX_EUSAGE when the configured domain has characters outside
 * [A-Za-z0-9.-] (or the host gives no usable default).
 */
int author_noreply_domain(struct raxx_config *c, char **out);

/* The remembered id of bot's user on api: 1 with *id set, 0 when none. */
int author_recall_id(const char *api, const char *bot, long long *id);
/* Remember it; a failure warns (naming the directory) and returns -1. */
int author_remember_id(const char *api, const char *bot, long long id);

/*
 * The id of bot's user on c->api: remembered, else looked up. The
 * look-up is unauthenticated first (the id is public, and setup then needs
 * no vault identity); when GitHub refuses that (GHES in private mode,
 * anonymous rate limit: anything but a 404) and a vault identity is
 * configured, it is retried once with the bot's installation token
 * (mint.h: cached or minted). A 404 is RAXX_ENOINST: no such bot.
 * With remember set, a looked-up id is written to the state directory.
 * *fetched (may be NULL) is set to 1 when the network was used.
 */
int author_user_id(struct raxx_config *c, const char *bot, int remember,
		   long long *id, int *fetched);

/*
 * get's upkeep, cheap enough for the warm path: when c->id has a bot, the
 * author is not off, the repository has extensions.worktreeConfig, and
 * user.name/user.email (read in config.c's single git config spawn) are
 * not the bot's, set them in the worktree config (gitcmd.h
 * git_worktree_set, spawned only then) and say so once on stderr. The id comes only from
 * the state file: when it is not remembered yet, nothing is done (a trace
 * line says so). Never fails the caller.
 */
void author_keep(struct raxx_config *c);

/*
 * Whether name/email have the shape author_name/author_email give (name
 * "X[bot]", email "DIGITS+X[bot]@..."; with name NULL, any bot's email):
 * setup --undo removes only such values.
 */
int author_is_bot_name(const char *name);
int author_is_bot_email(const char *email, const char *name);

#endif
