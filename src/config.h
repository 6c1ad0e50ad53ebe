#ifndef RAXX_CONFIG_H
#define RAXX_CONFIG_H

/*
 * Settings from the command line, the environment and git config, and the
 * bot they name. git config is read with one `git config --get-regexp`
 * spawn, and only when a setting is not already given by an option or
 * the environment.
 *
 * Bot resolution, first match wins (DESIGN.md "Working out the bot"):
 *   --bot, RAXX_BOT, raxx.bot;
 *   an agent (--agent, RAXX_AGENT, raxx.agent) looked up in the agent map
 *   (RAXX_BOT_MAP, raxx.botMap, TOPLEVEL/scripts/agents/agent_bot_map.yaml);
 *   none.
 */

#include "agentmap.h"

enum fallback { FALLBACK_PAT, FALLBACK_PASS, FALLBACK_DENY };

/* One config entry as git prints it (section and variable lower-cased). */
struct config_entry {
	char *key;
	char *value;	/* NULL: a key with no '=' (boolean true) */
};

struct strbuf;
/* Append the entries of `git config -z` output ("key\nvalue\0" or
 * "key\0") to *e / *nr; free them with config_entries_free. */
void config_parse_z(const struct strbuf *out, struct config_entry **e,
		    size_t *nr);
void config_entries_free(struct config_entry *e, size_t nr);

struct raxx_config {
	/* from the command line */
	const char *opt_bot;
	const char *opt_agent;
	const char *opt_repo;

	/* resolved */
	char *bot;		/* NULL: no bot */
	char *bot_source;	/* "--bot", "RAXX_BOT", "raxx.bot", "agent map" */
	char *agent;
	char *host;		/* git host the helper answers for */
	char *api;		/* GitHub REST base */
	enum fallback fallback;
	int author_off;
	char *toplevel;		/* worktree top, NULL outside one */
	char *map_file;		/* agent map used, if any */
	struct agent_map map;
	const struct agent_map_bot *map_bot;	/* the bot's map entry */

	/* git config raxx.*, user.name, user.email and
	 * extensions.worktreeConfig as read (lower-cased keys) */
	struct config_entry *git;
	size_t git_nr;
	int git_read;
};

/* Read everything but the bot. Returns 0 or an error code. */
int config_load(struct raxx_config *c);
/*
 * Work out the bot. Returns 0 (c->bot may stay NULL: no bot), or
 * RAXX_EUSAGE for a broken agent map or an agent no bot lists.
 */
int config_resolve_bot(struct raxx_config *c);
/* A git config value of those read (key lower-case, e.g. "raxx.botmap",
 * "user.email"); the last one wins, as in git. */
const char *config_git(struct raxx_config *c, const char *key);
void config_release(struct raxx_config *c);

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
