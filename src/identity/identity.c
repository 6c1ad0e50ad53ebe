/*
 * Who this process acts as: the contract is in identity.h. Everything an
 * agent can write in its working tree is content here, never a setting:
 * the bot comes from options, the environment, git config, or the agent
 * map as committed on the trusted ref.
 */
#define _POSIX_C_SOURCE 200809L
#include "identity.h"
#include "agentmap.h"
#include "base/gitcmd.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAP_IN_TREE "scripts/agents/agent_bot_map.yaml"
#define DEFAULT_TRUSTED_REF "refs/remotes/origin/HEAD"

/* "raxx.bot (worktree config)": where a config value came from. */
static char *config_source(const char *key, const struct config_entry *e)
{
	if (e && e->scope)
		return xstrfmt("%s (%s config)", key, e->scope);
	return xstrdup(key);
}

/* The last entry for key that has a non-empty value (git's "last one
 * wins", an empty value meaning none), or NULL. */
static const struct config_entry *last_entry(struct raxx_config *c,
					     const char *key)
{
	const struct config_entry *e, *hit = NULL;
	size_t i, nr;

	e = config_git_entries(c, &nr);
	for (i = 0; i < nr; i++)
		if (!strcasecmp(e[i].key, key))
			hit = e[i].value && *e[i].value ? &e[i] : NULL;
	return hit;
}

/* ---------------------------------------------------------------- the map */

char *worktree_map_path(const struct raxx_config *c)
{
	return c->toplevel ? xstrfmt("%s/" MAP_IN_TREE, c->toplevel) : NULL;
}

/* The map committed at ref, read through git (which refuses a repository
 * of dubious ownership). 0, 1 when there is none, or an error. */
static int committed_map(const char *ref, struct agent_map *m, char **where)
{
	char *spec = xstrfmt("%s:" MAP_IN_TREE, ref);
	const char *args[] = { "cat-file", "blob", spec, NULL };
	struct strbuf out = STRBUF_INIT;
	int rc, ret;

	out.cap = AGENT_MAP_MAX_SIZE + 1;
	rc = git_run(args, &out, RUN_STDERR_NULL);
	if (rc) {
		trace("agent map: none at %s (git cat-file exit %d)", spec, rc);
		free(spec);
		sb_release(&out);
		return 1;
	}
	if (out.overflow)
		ret = raxx_fail(RAXX_EUSAGE, "%s: larger than 1 MiB", spec);
	else
		ret = agent_map_parse(m, spec, out.buf ? out.buf : "", out.len);
	sb_release(&out);
	if (ret) {
		free(spec);
		return ret;
	}
	*where = spec;
	return 0;
}

int trusted_map_load(struct raxx_config *c, struct agent_map *m, char **where)
{
	const char *file = env_get("RAXX_BOT_MAP"), *ref;
	int ret;

	*where = NULL;
	if (!file)
		file = config_git(c, "raxx.botmap");
	if (file) {
		if ((ret = agent_map_load(m, file)))
			return ret;
		*where = xstrdup(file);
		return 0;
	}
	if (!c->toplevel)
		return 1;
	ref = config_git(c, "raxx.trustedref");
	return committed_map(ref ? ref : DEFAULT_TRUSTED_REF, m, where);
}

char *worktree_map_disagrees(const struct raxx_config *c, const char *agent,
			     const char *bot)
{
	struct agent_map wt = AGENT_MAP_INIT;
	const struct agent_map_bot *b;
	char *path = worktree_map_path(c), *msg = NULL;

	if (!path || access(path, F_OK)) {
		free(path);
		return NULL;
	}
	if (agent_map_load_ex(&wt, path, 1)) {
		msg = xstrfmt("the working tree's %s is not a valid map (%s)",
			      MAP_IN_TREE, raxx_errmsg());
		raxx_clear_error();
	} else if (!(b = agent_map_bot_of_agent(&wt, agent))) {
		msg = xstrfmt("the working tree's %s does not list agent '%s'",
			      MAP_IN_TREE, agent);
	} else if (strcmp(b->name, bot)) {
		msg = xstrfmt("the working tree's %s puts agent '%s' under %s",
			      MAP_IN_TREE, agent, b->name);
	}
	agent_map_release(&wt);
	free(path);
	return msg;
}

/* ---------------------------------------------------------------- handoff */

/*
 * Fail closed: every source of a handoff slug is looked at, and any
 * non-empty one turns handoff mode on. Returns 0 with id->handoff set (or
 * left NULL when no source names a slug), or RAXX_EHANDOFF.
 */
static int settle_handoff(struct raxx_config *c, struct identity *id)
{
	const char *env = getenv("RAXX_HANDOFF");	/* set-but-empty counts */
	const struct config_entry *e;
	const char *slug = NULL, *cleared = NULL;
	char *slug_src = NULL, *clear_src = NULL;
	size_t i, nr;
	int ret = 0;

	if (env) {
		if (*env) {
			slug = env;
			slug_src = xstrdup("RAXX_HANDOFF");
		} else {
			cleared = "";
			clear_src = xstrdup("an empty RAXX_HANDOFF");
		}
	}
	e = config_git_entries(c, &nr);
	for (i = 0; i < nr && !ret; i++) {
		/* "raxx.handoff" with no '=' is git's boolean true: a slug
		 * "true", refused later as any bad slug would be */
		const char *v = e[i].value ? e[i].value : "true";

		if (strcasecmp(e[i].key, "raxx.handoff"))
			continue;
		if (!*v) {
			if (!clear_src) {
				cleared = "";
				clear_src = config_source("an empty raxx.handoff",
							  &e[i]);
			}
		} else if (!slug) {
			slug = v;
			slug_src = config_source("raxx.handoff", &e[i]);
		} else if (strcmp(slug, v)) {
			char *other = config_source("raxx.handoff", &e[i]);
			char a[80], b[80];

			ret = raxx_fail(RAXX_EHANDOFF, "handoff '%s' from %s and "
					"'%s' from %s disagree: refusing both: a "
					"worktree is one handoff at most",
					sanitize(a, sizeof(a), slug), slug_src,
					sanitize(b, sizeof(b), v), other);
			free(other);
		}
	}
	if (!ret && slug && cleared) {
		char a[80];

		ret = raxx_fail(RAXX_EHANDOFF, "%s does not turn off handoff '%s' "
				"named by %s: refusing: a handoff worktree stays "
				"one (git-credential-raxx handoff detach, in the "
				"operator's shell, ends it)", clear_src,
				sanitize(a, sizeof(a), slug), slug_src);
	}
	if (!ret && slug) {
		id->handoff = xstrdup(slug);
		id->handoff_source = slug_src;
		slug_src = NULL;
	}
	free(slug_src);
	free(clear_src);
	return ret;
}

/* ---------------------------------------------------------------- the bot */

static void copy_perms(struct identity *id, const struct agent_map_bot *b)
{
	size_t i;

	if (!b || !b->nr_perms)
		return;
	id->perms = xcalloc(b->nr_perms, sizeof(*id->perms));
	for (i = 0; i < b->nr_perms; i++) {
		id->perms[i].name = xstrdup(b->perms[i].name);
		id->perms[i].level = xstrdup(b->perms[i].level);
	}
	id->nr_perms = b->nr_perms;
}

/* A bot named directly: its permissions from the trusted map, when it is
 * there. The map is read only when they can matter: a repository scope. */
static int settle_named_bot(struct raxx_config *c, struct identity *id,
			    const char *bot)
{
	struct agent_map map = AGENT_MAP_INIT;
	char *where = NULL;
	int ret;

	id->bot = xstrdup(bot);
	if (!id->repo)
		return 0;
	ret = trusted_map_load(c, &map, &where);
	if (ret == 1) {
		ret = 0;	/* no map: the token is narrowed to the repository only */
	} else if (!ret) {
		copy_perms(id, agent_map_find_bot(&map, bot));
		trace("permissions of %s: %zu from %s", bot, id->nr_perms, where);
	}
	agent_map_release(&map);
	free(where);
	return ret;
}

int trusted_agent_bot(struct raxx_config *c, const char *agent,
		      const char *src, struct agent_map *map,
		      const struct agent_map_bot **bot, char **where)
{
	char *odd;
	int ret;

	*bot = NULL;
	ret = trusted_map_load(c, map, where);
	if (ret == 1) {
		const char *ref = config_git(c, "raxx.trustedref");

		return raxx_fail(RAXX_EUSAGE, "agent '%s' (from %s) but no trusted "
				 "agent map: set RAXX_BOT_MAP or git config "
				 "raxx.botMap to the map's path, or commit %s on the "
				 "branch %s points at (git fetch origin; git remote "
				 "set-head origin --auto); or name the bot with --bot",
				 agent, src, MAP_IN_TREE,
				 ref ? ref : DEFAULT_TRUSTED_REF);
	}
	if (ret)
		return ret;
	if (!(*bot = agent_map_bot_of_agent(map, agent)))
		return raxx_fail(RAXX_EUSAGE, "agent '%s' (from %s) is not listed "
				 "in the trusted agent map %s: add it under one bot",
				 agent, src, *where);
	if ((odd = worktree_map_disagrees(c, agent, (*bot)->name))) {
		warning("%s; the trusted map %s says %s, which is used: the "
			"working tree's copy is content, never configuration",
			odd, *where, (*bot)->name);
		free(odd);
	}
	return 0;
}

static int settle_agent(struct raxx_config *c, struct identity *id,
			const char *agent, const char *src)
{
	struct agent_map map = AGENT_MAP_INIT;
	const struct agent_map_bot *b;
	char *where = NULL;
	int ret;

	id->agent = xstrdup(agent);
	if (!(ret = trusted_agent_bot(c, agent, src, &map, &b, &where))) {
		id->bot = xstrdup(b->name);
		id->source = BOT_MAP;
		id->source_text = xstrfmt("agent '%s' (from %s) in the map %s",
					  agent, src, where);
		copy_perms(id, b);
	}
	agent_map_release(&map);
	free(where);
	return ret;
}

static int settle_bot(struct raxx_config *c, struct identity *id)
{
	const struct config_entry *e = NULL;
	const char *v, *src = NULL;
	char safe[120];

	if ((v = c->opt_bot)) {
		id->source = BOT_OPTION;
		src = "--bot";
	} else if ((v = env_get("RAXX_BOT"))) {
		id->source = BOT_ENV;
		src = "RAXX_BOT";
	} else if ((e = last_entry(c, "raxx.bot"))) {
		v = e->value;
		id->source = BOT_CONFIG;
	}
	if (v) {
		id->source_text = src ? xstrdup(src) : config_source("raxx.bot", e);
		if (!bot_name_ok(v))
			return raxx_fail(RAXX_EUSAGE, "bot name '%s' (from %s) is not "
					 "valid: letters, digits, '.', '_' and '-' only",
					 sanitize(safe, sizeof(safe), v), id->source_text);
		trace("bot %s (from %s)", v, id->source_text);
		return settle_named_bot(c, id, v);
	}

	if ((v = c->opt_agent)) {
		src = "--agent";
	} else if ((v = env_get("RAXX_AGENT"))) {
		src = "RAXX_AGENT";
	} else if ((e = last_entry(c, "raxx.agent"))) {
		v = e->value;
	}
	if (!v) {
		trace("no bot: no --bot, RAXX_BOT, raxx.bot or agent");
		return 0;
	}
	{
		char *from = src ? xstrdup(src) : config_source("raxx.agent", e);
		int ret;

		if (!bot_name_ok(v))
			ret = raxx_fail(RAXX_EUSAGE, "agent name '%s' (from %s) is "
					"not valid: letters, digits, '.', '_' and '-' "
					"only", sanitize(safe, sizeof(safe), v), from);
		else
			ret = settle_agent(c, id, v, from);
		free(from);
		if (!ret)
			trace("bot %s (%s)", id->bot, id->source_text);
		return ret;
	}
}

char *identity_scope_key(const struct identity *id)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!id->repo)
		return xstrdup("");
	sb_adds(&sb, id->repo);
	/* permissions narrow only a repository token (token.c) */
	for (i = 0; i < id->nr_perms; i++)
		sb_addf(&sb, "%c%s=%s", i ? ',' : ' ', id->perms[i].name,
			id->perms[i].level);
	return sb_detach(&sb);
}

static void identity_free(struct identity *id)
{
	size_t i;

	if (!id)
		return;
	free(id->bot);
	free(id->source_text);
	free(id->agent);
	free(id->handoff);
	free(id->handoff_source);
	free(id->repo);
	for (i = 0; i < id->nr_perms; i++) {
		free(id->perms[i].name);
		free(id->perms[i].level);
	}
	free(id->perms);
	free(id);
}

int identity_settle(struct raxx_config *c, const char *repo)
{
	struct identity *id;
	int ret;

	if (c->id)
		die("the identity is settled once per process");
	id = xcalloc(1, sizeof(*id));
	id->repo = repo ? xstrdup(repo) : NULL;
	/* a handoff's bot is its manifest's: nothing else is asked */
	if ((ret = settle_handoff(c, id)) || (!id->handoff && (ret = settle_bot(c, id)))) {
		identity_free(id);
		return ret;
	}
	if (id->handoff)
		trace("handoff %s (from %s)", id->handoff, id->handoff_source);
	c->id = id;
	return 0;
}

void identity_forget(struct raxx_config *c)
{
	identity_free((struct identity *)c->id);
	c->id = NULL;
}
