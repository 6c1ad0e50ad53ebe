#ifndef RAXX_IDENTITY_H
#define RAXX_IDENTITY_H

/*
 * Who this process acts as, settled once from trusted inputs and never
 * changed after (DESIGN.md "Working out the bot", "Trust").
 *
 * The bot, first match wins:
 *   1. --bot, RAXX_BOT, git config raxx.bot;
 *   2. an agent (--agent, RAXX_AGENT, raxx.agent) looked up in the
 *      TRUSTED agent map: RAXX_BOT_MAP, else git config raxx.botMap, else
 *      scripts/agents/agent_bot_map.yaml as committed at raxx.trustedRef
 *      (default refs/remotes/origin/HEAD), read through git. The
 *      working-tree copy of that file is never read for the bot: an
 *      agent's own branch must not pick its bot. When the working-tree
 *      copy disagrees with the trusted one, a warning says so.
 *   3. none.
 * The bot's permissions (which narrow a repository-scoped token) come from
 * the trusted map as well, when the bot is in it.
 *
 * Handoff mode fails closed: a non-empty slug in RAXX_HANDOFF or in any
 * scope's raxx.handoff turns it on; an empty value never turns it off
 * (with a slug named elsewhere it is refused, RAXX_EHANDOFF), nor may two
 * sources name different slugs. In handoff mode the bot is the manifest's
 * (token.h says which bot a token was minted for); id->bot then only
 * says what else was configured.
 */

#include "config.h"

enum bot_source {
	BOT_NONE,
	BOT_OPTION,	/* --bot */
	BOT_ENV,	/* RAXX_BOT */
	BOT_CONFIG,	/* git config raxx.bot */
	BOT_MAP,	/* an agent, through the trusted agent map */
};

struct id_permission {
	char *name;
	char *level;
};

struct identity {
	char *bot;		/* NULL: no bot (or a handoff's, from its manifest) */
	enum bot_source source;
	char *source_text;	/* "--bot", "raxx.bot (worktree config)",
				   "agent 'sre' in the map at refs/remotes/origin/HEAD" */
	char *agent;		/* the agent asked for, or NULL */
	char *handoff;		/* the handoff slug in force, or NULL */
	char *handoff_source;	/* "RAXX_HANDOFF", "raxx.handoff (worktree config)" */
	char *repo;		/* the scope "OWNER/REPO", or NULL */
	struct id_permission *perms;	/* the bot's, from the trusted map */
	size_t nr_perms;
};

/*
 * Work out the identity for repo (the scope, or NULL) and set c->id.
 * Call once per process, after config_load. Returns 0 (c->id set, its bot
 * possibly NULL), RAXX_EUSAGE (a bad name, a broken or missing trusted
 * map for an agent, an agent no bot lists) or RAXX_EHANDOFF (a handoff
 * override refused); the message is recorded. c->id stays NULL on error.
 */
int identity_settle(struct raxx_config *c, const char *repo);
/*
 * The scope part of the cache entry for id's bot token: "" without a
 * repository, else "OWNER/REPO" followed by the permissions
 * (" name=level,name=level"), so a change of permissions in the map is
 * another entry. Fresh.
 */
char *identity_scope_key(const struct identity *id);

/* Free c->id. */
void identity_forget(struct raxx_config *c);

/*
 * The trusted agent map (see above) into *m, its origin for messages into
 * *where (fresh: a file path, or "REF:scripts/agents/agent_bot_map.yaml").
 * Returns 0, 1 when there is none (nothing set, no such ref or file), or
 * RAXX_EUSAGE when one is named and broken (message recorded).
 */
struct agent_map;
int trusted_map_load(struct raxx_config *c, struct agent_map *m, char **where);

/*
 * agent's bot in the trusted map (src: where the agent was named, for
 * messages): 0 with *bot pointing into *map (release it) and *where
 * fresh, warning when the working tree's copy disagrees; else
 * RAXX_EUSAGE (no trusted map, a broken one, the agent not listed).
 */
struct agent_map_bot;
int trusted_agent_bot(struct raxx_config *c, const char *agent,
		      const char *src, struct agent_map *map,
		      const struct agent_map_bot **bot, char **where);

/* The working-tree copy's path (fresh), or NULL outside a worktree. */
char *worktree_map_path(const struct raxx_config *c);

/*
 * When the working-tree copy of the map gives agent another bot than bot
 * (or none), return a fresh one-line description of the disagreement,
 * else NULL. For get's and doctor's warnings; reads the file without
 * following symlinks, and only a regular file.
 */
char *worktree_map_disagrees(const struct raxx_config *c, const char *agent,
			     const char *bot);

#endif
