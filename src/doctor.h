#ifndef RAXX_DOCTOR_H
#define RAXX_DOCTOR_H

/*
 * `doctor`: diagnose the whole chain, one line per check, in the order a
 * mint walks it:
 *
 *   [broker]  infisical-env  cf-access  vault-login  bot  bot-secrets
 *   app-key  installation  mint  fallback  fallbacks  cache-dir  state-dir
 *   clock  author  helper-chain  git-version
 *   (broker: only when a token broker is in use; the vault and App checks
 *   then SKIP, and mint asks the broker: broker.h)
 *   with --ops:    CLOUDFLARE_ACCESS_MGMT_TOKEN  CF_WORKER_DEPLOY
 *                  HEROKU_API_KEY  GITHUB_API_SECRETS_TOKEN (each FAILs
 *                  when in neither the environment nor the keychain)
 *
 * Each check ends as [PASS], [WARN] (worth knowing, never changes the
 * exit status), [FAIL] (with a "fix:" line) or [SKIP] (does not apply
 * here, or an earlier check it needs failed). Exit status: 1 when any
 * check failed, else 0; 64 on a usage error.
 *
 * No bot (no --bot/--agent/RAXX_BOT/raxx.bot/raxx.agent): the bot-specific
 * checks SKIP rather than FAIL, because a worktree without a bot is a
 * valid setup (`get` answers nothing and git asks its next helper); a bot
 * that was asked for and does not resolve (an agent missing from the map,
 * a broken map) is a FAIL. The helper chain then still flags raxx being
 * configured without a bot.
 *
 * --all (doctor_all.c): every bot of the trusted agent map and of the
 * audit log. The checks that do not depend on the bot run once (shared:
 * infisical-env, cf-access, vault-login, bots, fallback, fallbacks,
 * cache-dir, state-dir, clock, author, helper-chain, git-version, --ops);
 * each bot's (bot, bot-secrets, app-key, installation, mint) in a child
 * process of its own, in parallel, each bot's checks together within
 * --max-time. Text: the shared lines, one block per bot, a summary line;
 * --json: one document. Exit 1 when any check, shared or a bot's, FAILed.
 *
 * Every network step runs under its own deadline (--max-time, default
 * 10 s a check). No secret is ever printed: operator credentials appear
 * as their first and last 4 characters, the mint check's token not at all
 * (it is revoked again at once).
 */

#include "config.h"
#include "doctor_chain.h"
#include "doctor_local.h"
#include "doctor_report.h"
#include "util.h"

extern const char doctor_usage[];

/* argv[0] is "doctor". Returns 0, 1 (a check failed) or RAXX_EUSAGE. */
int doctor_main(struct raxx_config *c, int argc, char **argv);

/* ---- the checks in the other doctor modules ---- */

/*
 * The --ops checks (doctor_ops.c). Returns 1 when every one passed; the
 * time of the last such run is kept in the state directory and shown.
 */
int doctor_ops(struct doctor *d, struct raxx_config *c);
/*
 * The fallbacks check (doctor_fallbacks.c): FAIL when the audit log holds
 * a fallback or a failed mint since the last passing run (else in the
 * last 24 h). Returns 1 when it FAILed, and fills *w with where this
 * reading of the log ended. A run where no other check FAILed records it
 * with doctor_record_pass(), which starts the next window there.
 */
struct doctor_window {
	time_t time;		/* the log was read at this second */
	unsigned long seen;	/* lines of that second already in it */
};
int doctor_fallbacks(struct doctor *d, struct doctor_window *w);
void doctor_record_pass(const struct doctor_window *w);
/* GitHub-Authentication-Token-Expiration, "2026-12-10 12:00:00 UTC" (or
 * with a "+0900" offset), into *out; 0 or -1 (doctor_ops.c). */
int doctor_parse_token_expiration(const char *s, time_t *out);

/*
 * --all (doctor_all.c). doctor_all_start, after the vault checks: the
 * "bots" check (which bots, from where), and each bot's checks started in
 * a child process. doctor_all_finish, after the
 * shared checks: wait for every bot (a bot not done within --max-time is
 * stopped and FAILs), print its block (text) or add "bots" and "summary"
 * to the --json answer, count its checks in, print the summary line.
 * Frees a.
 */
struct raxx_config;
struct doctor_all;
struct doctor_chain;
struct doctor_all *doctor_all_start(struct doctor *d, struct doctor_chain *ch,
				    struct raxx_config *c);
void doctor_all_finish(struct doctor *d, struct doctor_all *a);

#endif
