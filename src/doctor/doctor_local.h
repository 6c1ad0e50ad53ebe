#ifndef RAXX_DOCTOR_LOCAL_H
#define RAXX_DOCTOR_LOCAL_H

/*
 * doctor's local checks: what this machine and this worktree add to the
 * chain, one line each, each on its own. doctor.c runs them after the
 * chain's checks, in the order
 *
 *   fallback  (fallbacks)  cache-dir  state-dir  clock  author
 *   helper-chain  git-version
 *
 * and hands them what the chain found (a bot, its user id, a GitHub
 * client). Each reports to d (doctor_report.h); none calls another doctor
 * module.
 */

#include "doctor_report.h"

struct github;
struct raxx_config;

/* fallback: c->fallback is understood, and does not act as the operator
 * in an outage. load_err: the configuration did not load, load_msg why. */
void doctor_local_fallback(struct doctor *d, const struct raxx_config *c,
			   int load_err, const char *load_msg);
/* cache-dir, state-dir (name): dir is private (0700, the user's, no file
 * others can read), or not made yet. var: the variable that sets it.
 * Takes dir (NULL: neither var nor HOME is set). */
void doctor_local_dir(struct doctor *d, const char *name, char *dir,
		      const char *var);
/* clock: this clock against GitHub's Date at api. gh: a client GitHub has
 * answered (its offset is known), or NULL: one request, no credentials. */
void doctor_local_clock(struct doctor *d, const char *api, struct github *gh);
/* author: commits in this worktree are authored by bot (SKIP outside a
 * worktree, with no bot, or with raxx.author off). bot_user_id: its
 * GitHub user id when known, else 0. */
void doctor_local_author(struct doctor *d, struct raxx_config *c,
			 const char *bot, long long bot_user_id);
/* helper-chain: git's credential helpers for c->host, in their order. */
void doctor_local_helper_chain(struct doctor *d, const struct raxx_config *c,
			       const char *bot);
/* git-version: git 2.41 or later (password_expiry_utc). */
void doctor_local_git_version(struct doctor *d);

#endif
