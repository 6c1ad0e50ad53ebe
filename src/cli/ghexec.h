#ifndef RAXX_GHEXEC_H
#define RAXX_GHEXEC_H

/*
 * `exec -- CMD...` and the gh shim: run one command with the bot's token in
 * its environment (GH_TOKEN, plus GH_ENTERPRISE_TOKEN when the configured
 * host is not github.com: gh ignores GH_TOKEN for enterprise hosts), by
 * replacing this process, so stdin, stdout, stderr, the terminal, the
 * process id and the exit status are the command's own.
 *
 * The gh shim (helper/gh, built from helper/gh.c) serves a warm cache itself
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
 * find_real_gh (ghfind.h), child_env_prepare (child_env.h) and
 * process_restore (process.h) stay free of libcurl and OpenSSL: the
 * compiled shim links them.
 */

#include "identity/config.h"
#include "ghfind.h"
#include "base/process.h"

struct exec_opts {
	int gh;			/* the command is gh: find the real one */
	int keep_env;		/* --keep-env: leave the vault identity in */
	const char *shim;	/* the shim's own path ($0), never run; or NULL */
	/* the caller's process settings, put back before the exec */
	struct process_settings caller;
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

#endif
