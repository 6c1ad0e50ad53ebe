/*
 * handoff attach and detach: this worktree made a handoff worktree, or no
 * longer one (raxx.handoff in its own config, handoff.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_cmd.h"
#include "base/gitcmd.h"
#include "base/log.h"

#include <string.h>

/* `git config [TYPE] --get KEY` printed something other than "false"
 * (git's complaint, if any, is the user's to see). */
static int git_says(const char *type, const char *key)
{
	char *v = git_config_get(NULL, type, key, RUN_STDERR_INHERIT);
	int yes = v && strncmp(v, "false", 5);

	free(v);
	return yes;
}

static int handoff_attach(struct raxx_config *c, const char *slug)
{
	const char *ext[] = { "config", "extensions.worktreeConfig", "true", NULL };
	struct strbuf out = STRBUF_INIT;
	char safe[80], *top;
	int rc;

	(void)c;
	if (!handoff_slug_ok(slug))
		return raxx_fail(RAXX_EUSAGE, "handoff slug '%s' is not valid: "
				 "letters, digits, '-' and '_', at most %d",
				 sanitize(safe, sizeof(safe), slug), HANDOFF_SLUG_MAX);
	top = find_toplevel();
	if (!top)
		return raxx_fail(RAXX_EUSAGE, "not in a git worktree: run it in the "
				 "agent's worktree");
	free(top);
	/*
	 * Turning the extension on with core.bare=true or core.worktree in the
	 * shared config would apply them to every worktree: setup moves them
	 * first, as git does; this short path does not.
	 */
	if (!git_says("--bool", "extensions.worktreeConfig") &&
	    (git_says("--bool", "core.bare") || git_says(NULL, "core.worktree")))
		return raxx_fail(RAXX_EUSAGE, "this repository's shared config has "
				 "core.bare or core.worktree, and per-worktree config "
				 "is off: use 'git-credential-raxx setup --handoff %s' "
				 "instead, which turns it on as git does", slug);
	/* the extension on first: --worktree then writes this worktree's own */
	rc = git_run(ext, &out, RUN_STDERR_INHERIT);
	sb_release(&out);
	if (rc || git_worktree_set("raxx.handoff", slug, NULL))
		return raxx_fail(RAXX_EINTERNAL, "git config --worktree raxx.handoff "
				 "%s failed: is this a git worktree?", slug);
	return 0;
}

static int handoff_detach(struct raxx_config *c)
{
	int rc;

	(void)c;
	rc = git_worktree_unset("raxx.handoff", NULL);
	if (rc == 5)
		return raxx_fail(RAXX_ENOTHING, "this worktree has no raxx.handoff: "
				 "nothing to detach");
	if (rc)
		return raxx_fail(RAXX_EINTERNAL, "git config --worktree --unset-all "
				 "raxx.handoff failed (exit %d)", rc);
	return 0;
}

int handoff_cmd_attach(struct raxx_config *c, int argc, char **argv, int detach)
{
	const char *sub = detach ? "detach" : "attach";
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return HO_HELP;
	if (detach ? argc != 1 : argc != 2)
		return ho_usage_err(sub, detach ? "takes no arguments" :
				    "usage: handoff attach SLUG");
	ret = detach ? handoff_detach(c) : handoff_attach(c, argv[1]);
	if (!ret && detach)
		notice("handoff: this worktree is no longer a handoff worktree");
	else if (!ret)
		notice("handoff: this worktree is now handoff '%s': get, token, exec "
		       "and gh mint only what its manifest allows", argv[1]);
	return ret;
}
