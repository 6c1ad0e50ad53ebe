#ifndef RAXX_CONFIG_H
#define RAXX_CONFIG_H

/*
 * The process context: the command line's options, the settings read once
 * from the environment and git config, and (set once by identity.h) who
 * this process acts as.
 *
 * git config is read with one spawn, `git config -z --show-scope
 * --show-origin --list`, of which raxx.*, user.name, user.email and
 * extensions.worktreeConfig are kept, every entry with its scope and
 * origin (the handoff rule needs to see an empty value from any scope);
 * or with none, when the answer is remembered (settings_cache.h).
 */

#include <stddef.h>

enum fallback { FALLBACK_PAT, FALLBACK_PASS, FALLBACK_DENY };

/* One config entry as git prints it (section and variable lower-cased). */
struct config_entry {
	char *key;
	char *value;	/* NULL: a key with no '=' (boolean true) */
	char *scope;	/* "worktree", "local", "global", "system", "command";
			   NULL when not asked for */
	char *origin;	/* "file:.git/config", "command line:"...; or NULL */
};

/* What `git config -z` was asked to show before each key. */
#define CONFIG_Z_SCOPE 1	/* --show-scope */
#define CONFIG_Z_ORIGIN 2	/* --show-origin */

struct strbuf;
/* Append the entries of `git config -z` output (fields: CONFIG_Z_* that
 * were given; then "key\nvalue" or "key") to *e / *nr; free them with
 * config_entries_free. */
void config_parse_z(const struct strbuf *out, int fields,
		    struct config_entry **e, size_t *nr);
void config_entries_free(struct config_entry *e, size_t nr);

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
	char *toplevel;		/* worktree top, NULL outside one */

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

/* Walk up from the current directory to the worktree top (fresh). */
char *find_toplevel(void);

/*
 * Run argv (argv[0] looked up in PATH) with stdin from /dev/null and
 * capture stdout (capped at 1 MiB) into out. Returns the exit status,
 * or -1 when it could not run.
 */
int run_capture(const char *const *argv, struct strbuf *out);
/* The same, with stderr inherited, sent to /dev/null, or merged into out. */
enum run_stderr { RUN_STDERR_INHERIT, RUN_STDERR_NULL, RUN_STDERR_MERGE };
int run_capture_ex(const char *const *argv, struct strbuf *out,
		   enum run_stderr err);

#endif
