#ifndef RAXX_GHEXEC_H
#define RAXX_GHEXEC_H

/*
 * `exec -- CMD...` and the gh shim: run one command with the bot's token in
 * its environment (GH_TOKEN, plus GH_ENTERPRISE_TOKEN when the configured
 * host is not github.com: gh ignores GH_TOKEN for enterprise hosts), by
 * replacing this process, so stdin, stdout, stderr, the terminal, the
 * process id and the exit status are the command's own.
 *
 * The gh shim (helper/gh, built from ghshim.c) serves a warm cache itself
 * and otherwise runs `git-credential-raxx exec --gh --shim SELF -- ARGS...`;
 * with `gh` set, the command is the real gh: RAXX_GH, else the
 * first `gh` in PATH that is not the shim. A PATH entry is skipped when its
 * real path (symlinks resolved) is the shim's directory, or when the `gh`
 * in it resolves to the shim file itself, so PATH may list the shim's
 * directory twice, or through a symlink, without a loop. As a last guard,
 * RAXX_GH_SHIM_CHAIN ("PID:DIR:DIR...", GH_CHAIN_ENV) names the shim directories already
 * passed through by this process id (exec keeps the pid): a second copy of
 * the shim elsewhere in PATH is skipped on the next hop instead of looping.
 *
 * find_real_gh, gh_set_token_env and gh_restore_process live in ghfind.c,
 * which must stay free of libcurl and OpenSSL: the compiled shim links it.
 */

#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"

/* "PID:DIR:DIR...": the shim directories this pid has passed through */
#define GH_CHAIN_ENV "RAXX_GH_SHIM_CHAIN"

/* Exit codes of exec's own, beyond the DESIGN.md table (as the shell's). */
#define RAXX_ECANNOTRUN 126	/* the command exists but cannot be run */
#define RAXX_ENOTFOUND 127	/* the command, or a real gh, not found */

struct exec_opts {
	int gh;			/* the command is gh: find the real one */
	int keep_env;		/* --keep-env: leave the vault identity in */
	const char *shim;	/* the shim's own path ($0), never run; or NULL */
	/* the caller's process settings, put back before the exec */
	mode_t umask;
	int have_core;
	struct rlimit core;
};

/*
 * Mint (or reuse) c->id's token and exec argv with it (child_env_prepare).
 * When there is none, fallback.h decides: the operator's token (with a
 * warning), the command's own credentials (with a warning), or nothing
 * runs and the failure's code is returned. Returns only on failure: that
 * code, RAXX_ENOTFOUND or RAXX_ECANNOTRUN, with the message printed.
 * With o->gh, argv holds gh's arguments only (it may be empty).
 */
int exec_with_token(struct raxx_config *c, char **argv, int argc,
		    const struct exec_opts *o);

/*
 * The real gh for the shim at shim_path (NULL: no shim to skip): RAXX_GH,
 * else the first executable `gh` in PATH that is not the shim and not in a
 * directory of chain (a RAXX_GH_SHIM_CHAIN value, or NULL). Returns a
 * malloc'd path, or NULL with RAXX_ENOTFOUND recorded. On success, *chain_out
 * gets the RAXX_GH_SHIM_CHAIN value to export before the exec (malloc'd).
 */
char *find_real_gh(const char *shim_path, const char *chain, char **chain_out);

/* "BOT HOST EXPIRES": the token in gh's variables is BOT's for HOST, as
 * exec or the gh shim gave it, until EXPIRES (unix seconds). */
#define TOKEN_FOR_ENV "RAXX_TOKEN_FOR"

/*
 * The command's environment: the token (unless NULL) in GH_TOKEN when host
 * is github.com, else in GH_ENTERPRISE_TOKEN with GH_HOST=host and no
 * GH_TOKEN (gh would offer it to github.com), and, when it is bot's,
 * TOKEN_FOR_ENV; and, unless keep_env, without INFISICAL_CLIENT_SECRET,
 * INFISICAL_CLIENT_SECRET_FILE, CF_ACCESS_CLIENT_SECRET and
 * RAXX_OPERATOR_TOKEN.
 */
void child_env_prepare(const char *host, const char *tok, const char *bot,
		       time_t expires_at, int keep_env);

/*
 * Inside such a command (no vault identity in the environment, and
 * TOKEN_FOR_ENV naming bot and host): the token it was given, when it
 * still lives more than min_left seconds, with its expiry; else NULL. A
 * gh alias, a script's git or a nested exec use the token they already
 * hold instead of failing to mint one.
 */
const char *child_token_inherited(const char *host, const char *bot,
				  time_t min_left, time_t *expires_at);
/*
 * Harden this process (no core dumps, umask 077, no SSLKEYLOGFILE,
 * SIGPIPE ignored), keeping the caller's umask and core limit in saved so
 * that gh_restore_process can give them (and SIGPIPE) back to a command
 * before exec.
 */
void harden_process(struct exec_opts *saved);
void gh_restore_process(const struct exec_opts *o);

#endif
