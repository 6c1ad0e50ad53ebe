#define _POSIX_C_SOURCE 200809L
#include "setup.h"
#include "identity/agentmap.h"
#include "author.h"
#include "identity/config.h"
#include "base/gitcmd.h"
#include "token/handoff_store.h"
#include "identity/identity.h"
#include "base/log.h"
#include "token/token.h"
#include "base/util.h"
#include "services/vault.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_CMDS 8

struct run {
	struct raxx_config *c;
	const struct setup_opts *o;
	char *top, *gitdir, *commondir;
	int ext_on;
	struct config_entry *wt;	/* this worktree's own config */
	size_t wt_nr;
	int changes;
};

/* ------------------------------------------------------------ config read */

static int read_worktree_config(struct run *r)
{
	char *file = xstrfmt("%s/config.worktree", r->gitdir);
	const char *args[] = { "config", "--file", file, "-z", "--list", NULL };
	struct strbuf out = STRBUF_INIT;
	int rc, ret = 0;

	config_entries_free(r->wt, r->wt_nr);
	r->wt = NULL;
	r->wt_nr = 0;
	/* without the extension git reads no config.worktree: none */
	if (!r->ext_on || access(file, F_OK))
		goto out;
	if ((rc = git_run(args, &out, RUN_STDERR_NULL))) {
		ret = raxx_fail(RAXX_EINTERNAL, "setup: cannot read %s (git config "
				"--list: exit %d): fix or remove it", file, rc);
		goto out;
	}
	config_parse_z(&out, 0, &r->wt, &r->wt_nr);
out:
	sb_release(&out);
	free(file);
	return ret;
}

/* This worktree's values of key, in order (pointers into r->wt). */
static size_t wt_get_all(const struct run *r, const char *key,
			 const char **vals, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < r->wt_nr; i++)
		if (!strcmp(r->wt[i].key, key) && n < max)
			vals[n++] = r->wt[i].value ? r->wt[i].value : "";
	return n;
}

static const char *wt_get(const struct run *r, const char *key, size_t *count)
{
	const char *vals[64];
	size_t n = wt_get_all(r, key, vals, 64);

	if (count)
		*count = n;
	return n ? vals[n - 1] : NULL;
}

/* ------------------------------------------------------------ changing */

/*
 * One change: desc says what ("set user.name=..."), then up to MAX_CMDS
 * git argument lists (NULL-terminated list of them) carry it out. With
 * --dry-run only desc is printed.
 */
static int step(struct run *r, const char *desc, const char *const *const *cmds)
{
	size_t i;

	r->changes++;
	if (r->o->dry_run) {
		notice("setup: would %s", desc);
		return 0;
	}
	for (i = 0; cmds[i]; i++) {
		struct strbuf out = STRBUF_INIT;
		char safe[256];
		int rc = git_run(cmds[i], &out, RUN_STDERR_MERGE);

		if (rc) {
			raxx_fail(RAXX_EINTERNAL, "setup: cannot %s: git %s %s failed "
				  "(exit %d: %s)", desc, cmds[i][0], cmds[i][1], rc,
				  git_first_line(&out, safe, sizeof(safe)));
			sb_release(&out);
			return RAXX_EINTERNAL;
		}
		sb_release(&out);
	}
	notice("setup: %s", desc);
	return 0;
}

static char *quoted(const char *v)
{
	char safe[256];

	return xstrfmt("'%s'", sanitize(safe, sizeof(safe), v));
}

/* "'a', 'b'" for messages. */
static char *quote_list(const char **vals, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		char *q = quoted(vals[i]);

		sb_addf(&sb, "%s%s", i ? ", " : "", q);
		free(q);
	}
	return sb_detach(&sb);
}

/* Set one worktree key to value (replacing every value it had). */
static int set_key(struct run *r, const char *key, const char *value)
{
	const char *args[6];
	const char *const *cmds[] = { git_worktree_set_args(args, key, value),
				      NULL };
	size_t count;
	const char *cur = wt_get(r, key, &count);
	char *desc, *was;
	int ret;

	if (count == 1 && !strcmp(cur, value))
		return 0;
	was = cur ? quoted(cur) : NULL;
	desc = xstrfmt("set %s=%s%s%s%s", key, value, was ? " (was " : "",
		       was ? was : "", was ? ")" : "");
	ret = step(r, desc, cmds);
	free(desc);
	free(was);
	return ret;
}

static int unset_key(struct run *r, const char *key, const char *why)
{
	const char *args[5];
	const char *const *cmds[] = { git_worktree_unset_args(args, key), NULL };
	const char *cur = wt_get(r, key, NULL);
	char *desc, *was;
	int ret;

	if (!cur)
		return 0;
	was = quoted(cur);
	desc = xstrfmt("unset %s (was %s%s%s)", key, was, why ? "; " : "",
		       why ? why : "");
	ret = step(r, desc, cmds);
	free(desc);
	free(was);
	return ret;
}

/* ------------------------------------------------------------ the worktree */

static int find_worktree(struct run *r)
{
	if (git_worktree_dirs(&r->top, &r->gitdir, &r->commondir))
		return raxx_fail(RAXX_EUSAGE, "setup: not inside a git worktree "
				 "(git rev-parse --show-toplevel failed): cd into "
				 "the worktree to set up");
	return 0;
}

/* extensions.worktreeConfig in the repository's own config */
static int worktree_config_on(struct run *r)
{
	char *file = xstrfmt("%s/config", r->commondir);
	int on = git_worktree_config_on(file);

	free(file);
	return on;
}

/* core.bare=true in the repository's own config, common */
static int repo_bare(const char *common)
{
	char *v = git_config_get(common, "--bool", "core.bare", RUN_STDERR_NULL);
	int on = v && !strcmp(v, "true");

	free(v);
	return on;
}

/* Move key=value (what, in the message) from the shared config to the
 * main worktree's config.worktree. */
static int move_to_main(struct run *r, const char *common, const char *main_wt,
			const char *key, const char *value, const char *what)
{
	const char *set[] = { "config", "--file", main_wt, key, value, NULL };
	const char *unset[] = { "config", "--file", common, "--unset", key, NULL };
	const char *const *cmds[] = { set, unset, NULL };
	char *desc = xstrfmt("move %s from %s to %s, as git does when it turns "
			     "on per-worktree config", what, common, main_wt);
	int ret = step(r, desc, cmds);

	free(desc);
	return ret;
}

/*
 * Turn on extensions.worktreeConfig as git's own init_worktree_config()
 * does: set it, then move core.bare=true and core.worktree from the
 * shared config to the main worktree's config.worktree, where they keep
 * applying to the main worktree only.
 */
static int enable_worktree_config(struct run *r)
{
	char *common = xstrfmt("%s/config", r->commondir);
	char *main_wt = xstrfmt("%s/config.worktree", r->commondir);
	char *core_wt = git_config_get(common, NULL, "core.worktree",
				       RUN_STDERR_NULL);
	int ret;

	{
		const char *set[] = { "config", "--file", common,
				      "extensions.worktreeConfig", "true", NULL };
		const char *const *cmds[] = { set, NULL };

		if ((ret = step(r, "set extensions.worktreeConfig=true in the "
				"repository config (per-worktree config needs it; "
				"it is shared by every worktree)", cmds)))
			goto out;
	}
	if (repo_bare(common) && (ret = move_to_main(r, common, main_wt, "core.bare",
						 "true", "core.bare=true")))
		goto out;
	if (core_wt)
		ret = move_to_main(r, common, main_wt, "core.worktree", core_wt,
				   "core.worktree");
out:
	free(core_wt);
	free(main_wt);
	free(common);
	return ret;
}

/* ------------------------------------------------------------ identity */

/* The handoff's bot, from its manifest (the vault's, checked). */
static int bot_of_handoff(struct run *r, const char *slug, char **bot)
{
	struct token_source *ts = token_source_open(r->c);
	const struct vault_settings *vs;
	struct handoff_ref ref = { 0 };
	struct manifest m = { 0 };
	struct vault *v;
	int ret;

	if ((ret = token_source_vault(ts, &v, &vs)))
		goto out;
	handoff_ref_init(&ref, vs, slug);
	ret = handoff_manifest_fetch(v, &ref, &m);
	if (ret == 1)
		ret = raxx_fail(RAXX_EHANDOFF, "setup: handoff '%s' has no manifest "
				"at %s: provision it first (git-credential-raxx "
				"handoff provision --task-slug %s --repo OWNER/REPO)",
				slug, ref.where, slug);
	else if (!ret && !(ret = manifest_check_all(&m, slug, now_seconds(),
						    ref.where)))
		*bot = xstrdup(m.bot);
out:
	manifest_release(&m);
	handoff_ref_release(&ref);
	token_source_close(ts);
	return ret;
}

/* --agent A: its bot from the trusted agent map, once, here. */
static int bot_of_agent(struct run *r, const char *agent, char **bot)
{
	struct agent_map map = AGENT_MAP_INIT;
	const struct agent_map_bot *b;
	char *where = NULL;
	int ret = trusted_agent_bot(r->c, agent, "setup --agent", &map, &b, &where);

	if (!ret)
		*bot = xstrdup(b->name);
	agent_map_release(&map);
	free(where);
	return ret;
}

/* The bot (and the agent, for reference) this worktree will act as. */
static int resolve_identity(struct run *r, char **bot, char **agent)
{
	struct raxx_config *c = r->c;
	char safe[128];
	int ret;

	*bot = *agent = NULL;
	if (c->opt_bot && c->opt_agent)
		return raxx_fail(RAXX_EUSAGE, "setup: --bot and --agent exclude each "
				 "other: a worktree acts as one bot");
	if (c->opt_agent && !bot_name_ok(c->opt_agent))
		return raxx_fail(RAXX_EUSAGE, "setup: agent name '%s' is not valid: "
				 "letters, digits, '.', '_' and '-' only",
				 sanitize(safe, sizeof(safe), c->opt_agent));
	if (r->o->handoff) {
		if ((ret = bot_of_handoff(r, r->o->handoff, bot)))
			return ret;
		if (c->opt_bot && strcmp(c->opt_bot, *bot))
			return raxx_fail(RAXX_EHANDOFF, "setup: handoff '%s' is %s's "
					 "(its manifest), not %s: drop --bot",
					 r->o->handoff, *bot,
					 sanitize(safe, sizeof(safe), c->opt_bot));
		return 0;
	}
	if (c->opt_agent) {
		if ((ret = bot_of_agent(r, c->opt_agent, bot)))
			return ret;
		*agent = xstrdup(c->opt_agent);
	} else {
		/* --bot, or whatever `get` would find: RAXX_BOT, raxx.bot, an agent */
		if ((ret = identity_settle(c, NULL)))
			return ret;
		if (!c->id->bot)
			return raxx_fail(RAXX_EUSAGE, "setup: which bot? pass --bot NAME "
					 "or --agent NAME");
		*bot = xstrdup(c->id->bot);
		if (c->id->agent)
			*agent = xstrdup(c->id->agent);
	}
	if (env_get("RAXX_BOT") && strcmp(env_get("RAXX_BOT"), *bot))
		warning("setup: RAXX_BOT is set here, and wherever it is set it wins "
			"over this worktree's raxx.bot=%s", *bot);
	return 0;
}

/* ------------------------------------------------------------ setup */

static char *helper_key(const char *host)
{
	char *key = xstrfmt("credential.https://%s.helper", host);
	size_t i;

	/* git matches hosts case-insensitively; write them one way */
	for (i = strlen("credential.https://"); key[i]; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	return key;
}

static int set_helper(struct run *r, const char *want)
{
	char *key = helper_key(r->c->host), *desc, *was = NULL;
	const char *vals[64];
	size_t n = wt_get_all(r, key, vals, 64);
	const char *unset[5], *reset[6], *add[6];
	const char *const *cmds[] = { git_worktree_unset_args(unset, key),
				      git_worktree_add_args(reset, key, ""),
				      git_worktree_add_args(add, key, want), NULL };
	int ret;

	if (n == 2 && !*vals[0] && !strcmp(vals[1], want)) {
		free(key);
		return 0;
	}
	if (n)
		was = quote_list(vals, n);
	desc = xstrfmt("set %s to '' then '%s' (the empty entry drops the helpers "
		       "inherited for this host, so no other credential answers "
		       "first)%s%s%s", key, want, was ? " (was " : "",
		       was ? was : "", was ? ")" : "");
	ret = step(r, desc, n ? cmds : cmds + 1);
	free(desc);
	free(was);
	free(key);
	return ret;
}

static int do_setup(struct run *r)
{
	struct raxx_config *c = r->c;
	char *uname = NULL, *email = NULL, *domain = NULL, *bot = NULL;
	char *agent = NULL;
	long long id = 0;
	int fetched, ret;

	if ((ret = resolve_identity(r, &bot, &agent)))
		return ret;
	/* everything that can fail on its own comes before the first change */
	if (!c->author_off) {
		if ((ret = author_noreply_domain(c, &domain)) ||
		    (ret = author_user_id(c, bot, !r->o->dry_run, &id, &fetched)))
			goto out;
		uname = author_name(bot);
		email = author_email(bot, id, domain);
	}
	r->ext_on = worktree_config_on(r);
	if (!r->ext_on) {
		if ((ret = enable_worktree_config(r)))
			goto out;
		r->ext_on = !r->o->dry_run;
	}
	if ((ret = read_worktree_config(r)) ||
	    (ret = set_helper(r, r->o->program)) ||
	    (r->o->handoff ?
	     (ret = set_key(r, "raxx.handoff", r->o->handoff)) ||
	     (ret = unset_key(r, "raxx.bot", "the handoff's manifest names the bot")) :
	     (ret = set_key(r, "raxx.bot", bot))) ||
	    (agent ? (ret = set_key(r, "raxx.agent", agent)) :
	     (ret = unset_key(r, "raxx.agent", "raxx.bot decides"))))
		goto out;
	if (c->author_off)
		notice("setup: raxx.author is off: user.name and user.email left "
		       "alone");
	else if ((ret = set_key(r, "user.name", uname)) ||
		 (ret = set_key(r, "user.email", email)))
		goto out;
	if (r->o->dry_run)
		notice("setup: dry run: %d change%s would be made to %s, none made",
		       r->changes, r->changes == 1 ? "" : "s", r->top);
	else if (r->changes)
		notice("setup: %s now acts as %s (%d change%s)", r->top, bot,
		       r->changes, r->changes == 1 ? "" : "s");
	else
		notice("setup: %s already acts as %s: nothing changed", r->top, bot);
out:
	free(bot);
	free(agent);
	free(uname);
	free(email);
	free(domain);
	return ret;
}

/* ------------------------------------------------------------ undo */

/*
 * A helper setup wrote: the program by absolute path, or "raxx" (both
 * alone), or, from earlier versions, "raxx --agent NAME" or "raxx --bot
 * NAME".
 */
static int is_our_helper(const char *v)
{
	const char *base = strrchr(v, '/');

	if (v[0] == '/' && !strcmp(base, "/git-credential-raxx"))
		return 1;
	if (!strcmp(v, "raxx"))
		return 1;
	if (!strncmp(v, "raxx --agent ", 13))
		return bot_name_ok(v + 13);
	if (!strncmp(v, "raxx --bot ", 11))
		return bot_name_ok(v + 11);
	return 0;
}

static int undo_helper(struct run *r, const char *key)
{
	const char *vals[64], *keep[64];
	const char *unset[5], *adds[MAX_CMDS][6];
	const char *const *cmds[MAX_CMDS + 1];
	size_t n = wt_get_all(r, key, vals, 64), i, nk = 0, nc = 0;
	int ours = 0, ret;
	char *desc, *kept = NULL;

	for (i = 0; i < n; i++) {
		if (is_our_helper(vals[i]))
			ours = 1;
		else if (*vals[i])
			keep[nk++] = vals[i];
	}
	if (!ours)
		return 0;	/* not setup's list: leave it whole */
	if (nk >= MAX_CMDS)
		return raxx_fail(RAXX_EUSAGE, "setup --undo: %s has too many entries "
				 "to rewrite: remove the raxx ones by hand", key);
	cmds[nc++] = git_worktree_unset_args(unset, key);
	for (i = 0; i < nk; i++)
		cmds[nc++] = git_worktree_add_args(adds[i], key, keep[i]);
	cmds[nc] = NULL;
	if (nk)
		kept = quote_list(keep, nk);
	desc = xstrfmt("remove the raxx entries of %s%s%s%s", key,
		       kept ? " (keeping " : "", kept ? kept : "", kept ? ")" : "");
	ret = step(r, desc, cmds);
	free(desc);
	free(kept);
	return ret;
}

/* A config file with no setting left (only section headers, blanks). */
static int only_headers(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int empty = 1;

	if (!f)
		return 0;
	while (empty && fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s && !(s[0] == '[' && e[-1] == ']'))
			empty = 0;
	}
	fclose(f);
	return empty;
}

static int do_undo(struct run *r)
{
	char **helpers = NULL;
	size_t i, j, nh = 0;
	const char *name, *email;
	int ret = 0;

	r->ext_on = worktree_config_on(r);
	if (!r->ext_on) {
		notice("setup --undo: nothing to undo: extensions.worktreeConfig is "
		       "off, so this worktree has no config of its own");
		return 0;
	}
	if ((ret = read_worktree_config(r)))
		return ret;
	/* every credential.*.helper list, once each */
	for (i = 0; i < r->wt_nr; i++) {
		const char *k = r->wt[i].key;
		size_t kl = strlen(k);

		if (strncmp(k, "credential.", 11) || kl < 18 ||
		    strcmp(k + kl - 7, ".helper"))
			continue;
		for (j = 0; j < nh && strcmp(helpers[j], k); j++)
			;
		if (j == nh) {
			helpers = xrealloc(helpers, (nh + 1) * sizeof(*helpers));
			helpers[nh++] = xstrdup(k);
		}
	}
	for (i = 0; !ret && i < nh; i++)
		ret = undo_helper(r, helpers[i]);
	for (i = 0; i < nh; i++)
		free(helpers[i]);
	free(helpers);
	if (ret || (ret = unset_key(r, "raxx.agent", NULL)) ||
	    (ret = unset_key(r, "raxx.bot", NULL)) ||
	    (ret = unset_key(r, "raxx.handoff", NULL)))
		return ret;
	name = wt_get(r, "user.name", NULL);
	email = wt_get(r, "user.email", NULL);
	if (email && author_is_bot_email(email, NULL) &&
	    (ret = unset_key(r, "user.email", "a bot's address")))
		return ret;
	if (name && author_is_bot_name(name) &&
	    (ret = unset_key(r, "user.name", "a bot's name")))
		return ret;
	if (!r->o->dry_run && r->changes) {
		char *file = xstrfmt("%s/config.worktree", r->gitdir);

		if ((ret = read_worktree_config(r)) == 0 && !r->wt_nr &&
		    only_headers(file) && !unlink(file))
			notice("setup --undo: removed %s, left with no setting", file);
		free(file);
	}
	if (ret)
		return ret;
	if (r->o->dry_run)
		notice("setup --undo: dry run: %d change%s would be made to %s, none "
		       "made", r->changes, r->changes == 1 ? "" : "s", r->top);
	else if (r->changes)
		notice("setup --undo: %s no longer acts as a bot (%d change%s)",
		       r->top, r->changes, r->changes == 1 ? "" : "s");
	else
		notice("setup --undo: nothing to undo in %s", r->top);
	return 0;
}

int setup_worktree(struct raxx_config *c, const struct setup_opts *o)
{
	struct run r = { 0 };
	int ret;

	r.c = c;
	r.o = o;
	if (!(ret = find_worktree(&r)))
		ret = o->undo ? do_undo(&r) : do_setup(&r);
	config_entries_free(r.wt, r.wt_nr);
	free(r.top);
	free(r.gitdir);
	free(r.commondir);
	return ret;
}
