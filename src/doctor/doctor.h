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
 *
 * The modules, each calling only those below it:
 *
 *   doctor.c             the command: the options, which checks run and
 *                        in which order, the exit status
 *   doctor_all.h         --all: the bots, their children, their blocks
 *   doctor_chain.h       infisical-env ... mint: the checks a mint walks
 *   doctor_local.h       fallback, cache-dir, state-dir, clock, author,
 *                        helper-chain, git-version
 *   doctor_fallbacks.h   fallbacks: the audit log since the last pass
 *   doctor_ops.h         --ops: the operator's credentials
 *   broker.h             broker, and mint through the broker
 *   doctor_report.h      the report every check writes to: text or the
 *                        --json document, counts, deadlines, redaction
 *
 * Their headers, all but broker.h, come with this one.
 */

#include "identity/config.h"
#include "doctor_all.h"
#include "doctor_chain.h"
#include "doctor_fallbacks.h"
#include "doctor_local.h"
#include "doctor_ops.h"
#include "doctor_report.h"
#include "base/util.h"

extern const char doctor_usage[];

/* argv[0] is "doctor". Returns 0, 1 (a check failed) or RAXX_EUSAGE. */
int doctor_main(struct raxx_config *c, int argc, char **argv);

#endif
