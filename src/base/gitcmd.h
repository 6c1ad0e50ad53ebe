#ifndef RAXX_GITCMD_H
#define RAXX_GITCMD_H

/*
 * Running git: the one place the program starts a child process to ask
 * git something or to change git config, and reads what git prints.
 *
 * Every child gets stdin from /dev/null and its stdout captured (at most
 * RUN_CAPTURE_MAX bytes, or the buffer's own cap; more is dropped and sets
 * the buffer's overflow); stderr is inherited, sent to /dev/null or merged
 * into the captured output, as the caller asks: git's own words are
 * passed on, left out, or quoted. Nothing here prints or records an
 * error: a failure is an exit status for the caller to word.
 *
 * Also here, because they are git's and only git's:
 *   - the worktree's top directory as git finds it, without a child;
 *   - the parser of `git config -z` output (config.h, settings_cache.h,
 *     setup.h and helperchain.h read it);
 *   - changing this worktree's own config (`git config --worktree`), for
 *     setup, handoff attach/detach and get's author upkeep. That needs
 *     extensions.worktreeConfig on (git_worktree_config_on, or the value
 *     config.h read): without it git writes the config that every worktree
 *     shares. The callers check it before they write.
 */

#include <stddef.h>

struct strbuf;

/* ---------------------------------------------------------------- children */

#define RUN_CAPTURE_MAX (1024 * 1024)

enum run_stderr { RUN_STDERR_INHERIT, RUN_STDERR_NULL, RUN_STDERR_MERGE };

/*
 * Run argv (argv[0] looked up in PATH) with stdin from /dev/null and
 * append its stdout to out (capped, as above). env (may be NULL):
 * "NAME=VALUE" strings set in the child's environment only, replacing
 * the process's own. Returns the exit status, or -1 when it could not
 * run or did not exit.
 */
int run_capture_env(const char *const *argv, const char *const *env,
		    struct strbuf *out, enum run_stderr err);
/* Without env; run_capture inherits stderr. */
int run_capture_ex(const char *const *argv, struct strbuf *out,
		   enum run_stderr err);
int run_capture(const char *const *argv, struct strbuf *out);

/* "git ARGS..." (args without "git", NULL-terminated, at most
 * GIT_MAX_ARGS), as run_capture_ex / run_capture_env. */
#define GIT_MAX_ARGS 16
int git_run(const char *const *args, struct strbuf *out, enum run_stderr err);
int git_run_env(const char *const *args, const char *const *env,
		struct strbuf *out, enum run_stderr err);

/* The first line of git's output (out may be empty), made safe to print
 * (sanitize) into safe; returns safe. */
const char *git_first_line(const struct strbuf *out, char *safe, size_t n);

/*
 * `git config [--file FILE] [TYPE] --get KEY`: the value (fresh, its
 * newline dropped; "" for a key given with no value), or NULL when the
 * key is not set or git failed. file NULL: the config as git reads it
 * here; type NULL or e.g. "--bool".
 */
char *git_config_get(const char *file, const char *type, const char *key,
		     enum run_stderr err);

/* ---------------------------------------------------------------- the worktree */

/*
 * The worktree top, found as git does (no child): GIT_WORK_TREE, else the
 * nearest directory up from the current one holding a .git directory or
 * file, not looking into GIT_CEILING_DIRECTORIES. Fresh, or NULL outside
 * a worktree.
 */
char *find_toplevel(void);

/*
 * The worktree's top, its git directory and the common directory, as
 * absolute paths (`git rev-parse --path-format=absolute --show-toplevel
 * --git-dir --git-common-dir`; git's complaint is dropped). 0 with the
 * three fresh, or -1 with them NULL (not in a worktree).
 */
int git_worktree_dirs(char **top, char **gitdir, char **commondir);

/* ---------------------------------------------------------------- git config -z */

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

/* Append the entries of `git config -z` output (fields: CONFIG_Z_* that
 * were given; then "key\nvalue" or "key") to *e / *nr; free them with
 * config_entries_free. A record cut short ends the list. */
void config_parse_z(const struct strbuf *out, int fields,
		    struct config_entry **e, size_t *nr);
void config_entries_free(struct config_entry *e, size_t nr);

/* ---------------------------------------------------------------- worktree config */

/* Whether extensions.worktreeConfig is true in file (the repository's
 * config; NULL: as git reads it here). git's complaint is dropped. */
int git_worktree_config_on(const char *file);

/*
 * The arguments of git (for git_run, or a caller that lists the commands
 * it will run, as setup does) that change this worktree's config, written
 * into args and returned:
 *   set:   config --worktree --replace-all KEY VALUE  (every value replaced)
 *   add:   config --worktree --add KEY VALUE
 *   unset: config --worktree --unset-all KEY          (exit 5: none was set)
 */
const char *const *git_worktree_set_args(const char *args[6], const char *key,
					 const char *value);
const char *const *git_worktree_add_args(const char *args[6], const char *key,
					 const char *value);
const char *const *git_worktree_unset_args(const char *args[5],
					   const char *key);

/*
 * Run them: git's exit status (-1: git did not run). With out, git's
 * stdout and stderr are appended to it (to quote its complaint); without,
 * stdout is dropped and stderr inherited.
 */
int git_worktree_set(const char *key, const char *value, struct strbuf *out);
int git_worktree_unset(const char *key, struct strbuf *out);

#endif
