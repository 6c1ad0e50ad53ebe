#ifndef RAXX_AGENTMAP_H
#define RAXX_AGENTMAP_H

/*
 * The agent map (YAML, read with libyaml):
 *
 *   bots:
 *     raxx-dev-bot:
 *       agents: [feature-developer, ux-polisher]
 *       permissions: {contents: write, pull_requests: write}
 *
 * Strict: top level has only "bots"; a bot has only "agents" (a sequence
 * of scalars, plain or quoted) and "permissions" (a mapping of name ->
 * read|write|admin); "key:" with no value is an empty list/mapping.
 * Refused with "FILE:LINE: reason" (RAXX_EUSAGE): unknown key, a tab in
 * indentation (libyaml says so too), an agent listed under two
 * bots, a bot listed twice, a file over AGENT_MAP_MAX_SIZE, a name with
 * characters outside [A-Za-z0-9._-], YAML syntax errors, aliases/anchors,
 * multiple documents, tags, more than the AGENT_MAP_MAX_* caps below. An
 * empty file or "bots: {}" is a valid empty map.
 */

#include <stddef.h>

#define AGENT_MAP_MAX_SIZE (1024 * 1024)
/* Caps that keep a hostile file from costing quadratic time. */
#define AGENT_MAP_MAX_BOTS 256
#define AGENT_MAP_MAX_AGENTS 4096
#define AGENT_MAP_MAX_PERMS 128

struct bot_permission {
	char *name;	/* e.g. "pull_requests" */
	char *level;	/* "read", "write" or "admin" */
};

struct agent_map_bot {
	char *name;
	char **agents;
	size_t nr_agents;
	struct bot_permission *perms;
	size_t nr_perms;
};

struct agent_map {
	char *file;
	struct agent_map_bot *bots;
	size_t nr_bots;
};
#define AGENT_MAP_INIT { NULL, NULL, 0 }

/* Load path. Returns 0, or RAXX_EUSAGE with "FILE:LINE: ..." recorded
 * (a missing file: RAXX_EUSAGE "FILE: cannot open: ..."). */
int agent_map_load(struct agent_map *m, const char *path);
/* The same; with nofollow, a symbolic link is refused (content that an
 * agent may have written is never followed elsewhere). */
int agent_map_load_ex(struct agent_map *m, const char *path, int nofollow);
/* Parse from memory; name is used in messages. */
int agent_map_parse(struct agent_map *m, const char *name,
		    const char *buf, size_t len);

const struct agent_map_bot *agent_map_bot_of_agent(const struct agent_map *m,
						   const char *agent);
const struct agent_map_bot *agent_map_find_bot(const struct agent_map *m,
					       const char *bot);
void agent_map_release(struct agent_map *m);

#endif
