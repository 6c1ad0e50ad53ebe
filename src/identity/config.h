#ifndef RAXX_CONFIG_H
#define RAXX_CONFIG_H

/*
 * The process context: the command line's options, the settings read once
 * from the environment and git config, and (set once by identity.h) who
 * this process acts as. Settings travel in this struct, never through the
 * environment. Running git, the worktree top and the parser of git's
 * output are gitcmd.h's; the bot is identity.h's.
 *
 * git config is read with one spawn, `git config -z --show-scope
 * --show-origin --list`, of which raxx.*, user.name, user.email and
 * extensions.worktreeConfig are kept, every entry with its scope and
 * origin (the handoff rule needs to see an empty value from any scope);
 * or with none, when the answer is remembered (settings_cache.h). The
 * entries are gitcmd.h's struct config_entry.
 */

#include <stddef.h>

enum fallback { FALLBACK_PAT, FALLBACK_PASS, FALLBACK_DENY };

struct config_entry;	/* gitcmd.h */
struct identity;

struct raxx_config {
	/* from the command line */
	const char *opt_bot;
	const char *opt_agent;
	const char *opt_repo;

	/* settings (config_load) */
	char *host;		/* git host the helper answers for */
	char *api;		/* GitHub REST base */
	char *ca_bundle;	/* RAXX_CA_BUNDLE / raxx.caBundle, or NULL */
	enum fallback fallback;
	int author_off;
	char *toplevel;		/* worktree top (find_toplevel), NULL outside one */

	/* git config raxx.*, user.name, user.email and
	 * extensions.worktreeConfig as read (lower-cased keys), in git's
	 * order: the last one wins */
	struct config_entry *git;
	size_t git_nr;
	int git_read;

	/* who this process acts as: set once (identity_settle), never
	 * changed after; NULL before */
	const struct identity *id;
};

/* Read the settings. Returns 0 or an error code (a bad RAXX_FALLBACK). */
int config_load(struct raxx_config *c);
/* A git config value of those read (key lower-case, e.g. "raxx.botmap",
 * "user.email"); the last one wins, as in git; an empty value is none. */
const char *config_git(struct raxx_config *c, const char *key);
/* Every entry read, in git's order (for rules that must see them all). */
const struct config_entry *config_git_entries(struct raxx_config *c,
					      size_t *nr);
void config_release(struct raxx_config *c);

/* The name of a fallback policy ("pat", "pass", "deny"). */
const char *fallback_name(enum fallback f);

#endif
