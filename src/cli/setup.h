#ifndef RAXX_SETUP_H
#define RAXX_SETUP_H

/*
 * `setup`: make the current worktree the bot's, in that worktree's own
 * config (`git config --worktree`, $GIT_DIR/config.worktree; the commands
 * are gitcmd.h's) only:
 *
 *   extensions.worktreeConfig = true     repository config, when off (as
 *       git itself does it: core.bare=true and core.worktree move from the
 *       repository config to the main worktree's config.worktree first)
 *   credential.https://HOST.helper =     (empty: drops inherited helpers)
 *   credential.https://HOST.helper = /ABS/PATH/git-credential-raxx
 *                                        (this program by absolute path:
 *                                         git runs it without a second
 *                                         process; "raxx" when the path
 *                                         will not do in a helper string)
 *   raxx.bot   = BOT                     (the bot, resolved here once)
 *   raxx.agent = A                       (with --agent, for reference;
 *                                         else unset)
 *   raxx.handoff = SLUG                  (with --handoff; the bot is the
 *                                         manifest's and raxx.bot unset)
 *   user.name  = BOT[bot]
 *   user.email = ID+BOT[bot]@DOMAIN      (author.h; skipped with
 *                                         raxx.author=off)
 *
 * HOST is the configured git host (RAXX_GITHUB_HOST / raxx.host). The
 * bot: --bot; --agent looked up in the trusted agent map (identity.h),
 * once, here; --handoff SLUG: the manifest's; none of them: as `get`
 * would work it out. The bot's user id is looked up (author.h) before
 * anything is changed, so an unknown bot changes nothing. Other worktrees
 * and the main worktree's config are not touched (but for the extension,
 * which lives in the shared config).
 *
 * Idempotent: only what differs is changed. Each change is one line on
 * stderr ("raxx: setup: set user.name=..."), then a summary; -q silences
 * them. stdout stays empty, as with git's own status messages.
 *
 * dry_run: print what would change ("setup: would set ..."), change
 * nothing (the id may be looked up, but is not remembered).
 * undo: remove from the worktree config what setup sets, and only that:
 * the empty entries and the ones setup writes (the program by absolute
 * path, "raxx", and the older `raxx --agent|--bot NAME`) of any
 * credential.*.helper list (other entries stay, in order), raxx.agent,
 * raxx.bot, and user.name/user.email when they have a bot's shape
 * ("X[bot]", "ID+X[bot]@..."). A config.worktree left with no setting is
 * removed. extensions.worktreeConfig stays on (other worktrees may use
 * it; `git sparse-checkout disable` leaves it on too), and so does the
 * remembered user id (a fact that never changes).
 *
 * Returns 0, or an exit code with the message recorded: RAXX_EUSAGE (not
 * in a worktree, no bot given, a bad name, no trusted map for --agent),
 * RAXX_EHANDOFF (no sound manifest for --handoff), RAXX_ENOINST (GitHub has no such bot user),
 * RAXX_EGITHUB and vault codes from the look-up, RAXX_EINTERNAL when git
 * config fails.
 */

#include "identity/config.h"

struct setup_opts {
	int dry_run;
	int undo;
	/* --handoff SLUG: also raxx.handoff=SLUG, a handoff worktree
	 * (handoff.h); --undo removes raxx.handoff too */
	const char *handoff;
	/* the helper to write: this program by absolute path (git then runs
	 * it directly), or "raxx" when it has none fit for a helper string */
	const char *program;
};

int setup_worktree(struct raxx_config *c, const struct setup_opts *o);

#endif
