#ifndef RAXX_REFRESH_H
#define RAXX_REFRESH_H

/*
 * Refresh ahead (DESIGN.md, RAXX_REFRESH_AHEAD): a warm call that finds
 * its token with less than RAXX_REFRESH_AHEAD seconds left (but more than
 * RAXX_MIN_TTL, or it would not be warm) answers with it at once and
 * starts one re-mint in the background, so that no call waits for a mint
 * while tokens are in use.
 *
 * The background re-mint is the program itself, run detached:
 *
 *   git-credential-raxx -q [--bot BOT] [--repo OWNER/REPO] refresh-ahead
 *
 * double-forked into a session of its own, with stdin, stdout and stderr
 * on /dev/null and no other descriptor of its caller's (git waits for EOF
 * on a helper's stdout; a test harness for its pipes), bounded by its own
 * RAXX_TIMEOUT. It settles the same identity as its caller (the options
 * say what the caller was asked, the environment and the worktree are
 * inherited) and re-mints under the entry's lock (token.h
 * token_refresh_ahead): single flight with every other mint. What it does
 * is audited ("mint", reason "refresh ahead"); a failure changes nothing
 * for anyone (the cached token serves until RAXX_MIN_TTL, then the next
 * call mints as it always did).
 *
 * One start per entry per REFRESH_RETRY_SECS (cache.h
 * cache_refresh_claim), so a failing vault is not asked on every call.
 *
 * No libcurl here: the gh shim starts refreshes too.
 */

#include <time.h>

#define REFRESH_DEFAULT_AHEAD 600
#define REFRESH_RETRY_SECS 30
/* The hidden action the background process runs. */
#define REFRESH_ACTION "refresh-ahead"

/* RAXX_REFRESH_AHEAD in seconds (default REFRESH_DEFAULT_AHEAD; 0: off;
 * a bad value warns once and uses the default). */
long refresh_ahead_secs(void);

/* Whether a token served warm, expiring at expires_at (local clock),
 * should be re-minted in the background now. */
int refresh_due(time_t expires_at);

/*
 * Run program (NULL: this program, /proc/self/exe or the like) with
 * argv[1..] (argv[0] is ignored) detached as above. Returns 0 when the
 * background process was started, -1 when it could not be (traced only:
 * a refresh is an optimisation).
 */
int refresh_spawn(const char *program, const char *const *argv);

#endif
