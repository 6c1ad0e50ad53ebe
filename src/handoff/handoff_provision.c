/*
 * handoff provision: the manifest written to the vault, in five numbered
 * steps, after checking that the bot's App reaches the repository with
 * the permissions asked for (progress on stderr, the revoke command last).
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_cmd.h"
#include "cli/cli.h"
#include "services/github.h"
#include "identity/identity.h"
#include "base/protocol.h"
#include "token/token.h"
#include "services/vault.h"

#include <string.h>

/* --permissions "contents:write,issues:read" into m (within the set). */
static int parse_perm_list(const char *list, struct manifest *m)
{
	const char *p = list;
	char safe[80];

	while (*p) {
		size_t n = strcspn(p, ","), k;
		char *item = xstrndup(p, n), *name, *level, *sep;

		name = item + strspn(item, " ");
		for (k = strlen(name); k > 0 && name[k - 1] == ' '; k--)
			name[k - 1] = '\0';
		sep = strpbrk(name, ":=");
		level = sep ? sep + 1 : NULL;
		if (sep)
			*sep = '\0';
		if (!level || !*name || !*level ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) ||
		    strspn(level, "abcdefghijklmnopqrstuvwxyz") != strlen(level)) {
			free(item);
			return ho_usage_err("provision", "--permissions '%s' is not a list "
					    "of NAME:LEVEL (e.g. contents:write,"
					    "issues:write)", sanitize(safe, sizeof(safe), list));
		}
		for (k = 0; k < m->nr_perms; k++)
			if (!strcmp(m->names[k], name))
				break;
		if (k < m->nr_perms || m->nr_perms == HANDOFF_MAX_PERMS) {
			ho_usage_err("provision", "--permissions names '%s' twice", name);
			free(item);
			return RAXX_EUSAGE;
		}
		if (!manifest_perm_allowed(name, level)) {
			raxx_fail(RAXX_EHANDOFF, "handoff refused: --permissions asks for "
				  "%s:%s, beyond the allowed " HANDOFF_ALLOWED_TEXT,
				  name, level);
			free(item);
			return RAXX_EHANDOFF;
		}
		m->names[m->nr_perms] = xstrdup(name);
		m->levels[m->nr_perms++] = xstrdup(level);
		free(item);
		p += n;
		if (*p == ',')
			p++;
	}
	if (!m->nr_perms)
		return ho_usage_err("provision", "--permissions is empty");
	return 0;
}

/* Prefix the recorded message with the step and the service at fault. */
static int step_failed(int step, int code)
{
	char msg[1024];
	const char *who = code == RAXX_EVAULT ? "vault" :
		code == RAXX_ESECRETS ? "vault: bot secrets" :
		code == RAXX_EHANDOFF ? "handoff policy" : "GitHub";

	snprintf(msg, sizeof(msg), "%s", raxx_errmsg());
	return raxx_fail(code, "step %d/5 failed (%s): %s", step, who, msg);
}

/* What provision is making, from the options to the manifest confirmed. */
struct provision {
	struct raxx_config *c;
	const char *slug;
	long ttl;		/* hours */
	time_t now;		/* when the options were settled */
	struct manifest m;	/* the manifest to write */
	char *ptext;		/* its permissions, for messages */
	char *json;		/* it as written (step 4) */
	int replace;		/* an earlier manifest is there to replace */
	struct ho h;
	int opened;
};

/*
 * The manifest the options ask for, into p->m, with the settings loaded
 * and the bot settled; nothing asked of the vault or GitHub yet.
 */
static int provision_options(struct provision *p, int argc, char **argv)
{
	struct raxx_config *c = p->c;
	struct manifest *m = &p->m;
	const char *repo = NULL, *owner = NULL, *bot = NULL;
	const char *ttl_s = NULL, *perms_s = NULL;
	const struct ho_opt opts[] = {
		{ "task-slug", &p->slug }, { "repo", &repo }, { "owner", &owner },
		{ "bot", &bot }, { "ttl-hours", &ttl_s }, { "permissions", &perms_s },
	};
	char *full = NULL, safe[160];
	size_t i;
	int ret;

	p->ttl = HANDOFF_MAX_TTL_HOURS;
	if ((ret = ho_parse_opts("provision", argc, argv, opts,
				 sizeof(opts) / sizeof(*opts))))
		return ret;
	if ((ret = ho_need_slug("provision", p->slug)))
		return ret;
	if (!repo)
		return ho_usage_err("provision", "--repo OWNER/REPO is required");
	if (owner && strchr(repo, '/'))
		return ho_usage_err("provision", "--owner goes with --repo NAME, not "
				    "--repo OWNER/REPO");
	full = owner ? xstrfmt("%s/%s", owner, repo) : xstrdup(repo);
	if (credential_repo(full, &m->repo)) {
		ret = ho_usage_err("provision", "repository '%s' is not OWNER/REPO",
				   sanitize(safe, sizeof(safe), full));
		goto out;
	}
	if (ttl_s && parse_long(ttl_s, 1, 1000000, &p->ttl)) {
		ret = ho_usage_err("provision", "--ttl-hours '%s' is not a whole number "
				   "of hours (1-%d)", sanitize(safe, sizeof(safe), ttl_s),
				   HANDOFF_MAX_TTL_HOURS);
		goto out;
	}
	if (p->ttl > HANDOFF_MAX_TTL_HOURS) {
		ret = raxx_fail(RAXX_EHANDOFF, "handoff refused: --ttl-hours %ld is "
				"beyond the %d-hour limit: ask for %d or less", p->ttl,
				HANDOFF_MAX_TTL_HOURS, HANDOFF_MAX_TTL_HOURS);
		goto out;
	}
	if (perms_s) {
		if ((ret = parse_perm_list(perms_s, m)))
			goto out;
	} else {
		for (i = 0; i < handoff_nr_allowed; i++) {
			m->names[i] = xstrdup(handoff_allowed[i].name);
			m->levels[i] = xstrdup(handoff_allowed[i].level);
		}
		m->nr_perms = handoff_nr_allowed;
	}
	if (bot)
		c->opt_bot = bot;
	if ((ret = cli_load(c)) || (ret = identity_settle(c, NULL)))
		goto out;
	if (c->id->handoff) {
		ret = raxx_fail(RAXX_EHANDOFF, "handoff provision refused inside a "
				"handoff worktree (handoff '%s'): an agent may not "
				"hand out identities: provision from the operator's "
				"own shell", c->id->handoff);
		goto out;
	}
	if (!c->id->bot) {
		ret = raxx_fail(RAXX_EVAULT, "no bot for the handoff: pass --bot, or "
				"set raxx.bot or raxx.agent");
		goto out;
	}
	p->now = now_seconds();
	m->slug = xstrdup(p->slug);
	m->bot = xstrdup(c->id->bot);
	m->created_at = p->now;
	m->expires_at = p->now + p->ttl * 3600;
	p->ptext = manifest_perms_text(m);
out:
	free(full);
	return ret;
}

/* What is about to be provisioned, the runbook's header. */
static void say_plan(const struct provision *p)
{
	char when[32];

	format_iso8601(p->m.expires_at, when, sizeof(when));
	ho_say("Provisioning handoff identity:");
	ho_say("  task-slug  : %s", p->slug);
	ho_say("  repo       : %s", p->m.repo);
	ho_say("  bot        : %s", p->m.bot);
	ho_say("  TTL        : %ldh (max %dh), until %s", p->ttl,
	       HANDOFF_MAX_TTL_HOURS, when);
	ho_say("  permissions: %s", p->ptext);
	ho_say("  vault path : %s/", p->h.ref.folder);
}

/*
 * Step 1: the vault session, and no sound manifest for the slug already
 * (one the policy refuses is replaced: p->replace).
 */
static int check_earlier_manifest(struct provision *p)
{
	struct ho *h = &p->h;
	struct manifest old = { 0 };
	char when[32];
	int r, ret = 0;

	ho_say("step 1/5: logging in to the vault and looking for an earlier manifest...");
	r = ho_read_manifest(h, &old);
	if (r == 1) {
		ho_say("  vault session ready; no earlier manifest.");
	} else if (r == RAXX_EHANDOFF) {
		warning("the earlier manifest at %s is refused (%s): replacing it",
			h->ref.where, raxx_errmsg());
		raxx_clear_error();
		p->replace = 1;
	} else if (r) {
		ret = step_failed(1, r);
	} else if (!manifest_check_all(&old, p->slug, p->now, h->ref.where)) {
		format_iso8601(old.expires_at, when, sizeof(when));
		ret = raxx_fail(RAXX_EHANDOFF, "step 1/5 failed (handoff policy): "
				"handoff '%s' is already provisioned (repo %s, bot %s, "
				"until %s): revoke it first (git-credential-raxx "
				"handoff revoke --task-slug %s), or pick another slug",
				p->slug, old.repo, old.bot, when, p->slug);
	} else {
		warning("the earlier manifest at %s is refused (%s): replacing it; "
			"tokens minted for it live until they expire unless it is "
			"revoked first", h->ref.where, raxx_errmsg());
		raxx_clear_error();
		p->replace = 1;
	}
	manifest_release(&old);
	return ret;
}

/*
 * Step 2: the bot's App reaches the repository with the permissions: a
 * token narrowed to them, minted and revoked at once.
 */
static int check_reach(struct provision *p)
{
	struct raxx_config *c = p->c;
	const struct manifest *m = &p->m;
	struct gh_permission perms[HANDOFF_MAX_PERMS];
	struct token_scope scope = { 0 };
	struct token res = { 0 };
	struct github *gh = NULL;
	int ret, r;

	ho_say("step 2/5: checking that %s's App reaches %s with %s (a narrowed token, "
	       "revoked at once)...", m->bot, m->repo, p->ptext);
	manifest_scope(m, perms, &scope);
	if ((ret = token_mint_scoped(p->h.ts, m->bot, &scope, &res))) {
		ret = step_failed(2, ret);
		goto out;
	}
	ho_audit(c, "mint", m->bot, m->repo, res.value, res.expires_at,
		 "handoff provision: reach check");
	if (token_source_github(p->h.ts, &gh) ||
	    (r = github_revoke_token(gh, res.value)) > 1) {
		warning("the check token could not be revoked (%s): it expires by "
			"itself within the hour", raxx_errmsg());
		raxx_clear_error();
	} else {
		ho_audit(c, "revoke", m->bot, m->repo, res.value, res.expires_at,
			 "handoff provision: reach check done");
	}
	ho_say("  App reaches %s (installation %s); the check token is revoked.",
	       m->repo, res.installation_id ? res.installation_id : "?");
out:
	token_release(&res);
	return ret;
}

/* Step 3: the handoff's folder in the vault, made when it is not there. */
static int ensure_folder(struct provision *p)
{
	struct ho *h = &p->h;
	int r;

	ho_say("step 3/5: ensuring the vault folder %s/ exists...", h->ref.folder);
	r = vault_create_folder(h->v, h->ref.root, p->slug);
	if (r > 1)
		return step_failed(3, r);
	ho_say(r ? "  vault folder confirmed (already there): %s/" :
	       "  vault folder created: %s/", h->ref.folder);
	return 0;
}

/* Step 4: the manifest written (p->json), replacing a refused one. */
static int write_manifest(struct provision *p)
{
	struct ho *h = &p->h;
	int r;

	ho_say("step 4/5: writing %s to %s/...", HANDOFF_MANIFEST, h->ref.folder);
	p->json = manifest_json(&p->m);
	r = p->replace ? vault_update_secret(h->v, h->ref.folder, HANDOFF_MANIFEST,
					     p->json) :
		vault_create_secret(h->v, h->ref.folder, HANDOFF_MANIFEST, p->json);
	if (p->replace && r == 1)	/* removed meanwhile */
		r = vault_create_secret(h->v, h->ref.folder, HANDOFF_MANIFEST, p->json);
	if (r == 1)
		r = raxx_fail(RAXX_EHANDOFF, "a manifest for '%s' appeared at %s "
			      "meanwhile (another provision?): revoke it first, or "
			      "pick another slug", p->slug, h->ref.where);
	if (r)
		return step_failed(4, r);
	ho_say("  %s written.", HANDOFF_MANIFEST);
	return 0;
}

/*
 * Step 5: the manifest read back, the very one written; then kept in the
 * cache for the warm path.
 */
static int read_back(struct provision *p)
{
	struct ho *h = &p->h;
	struct manifest back = { 0 };
	char *back_json = NULL;
	int r;

	ho_say("step 5/5: reading %s back to confirm...", HANDOFF_MANIFEST);
	r = ho_read_manifest(h, &back);
	if (r == 1)
		r = raxx_fail(RAXX_EVAULT, "the vault does not show the manifest "
			      "just written at %s (a secret-approval policy?): run "
			      "'git-credential-raxx handoff verify --task-slug %s' "
			      "in a minute", h->ref.where, p->slug);
	else if (!r && strcmp((back_json = manifest_json(&back)), p->json))
		r = raxx_fail(RAXX_EVAULT, "the vault holds another manifest at %s "
			      "than the one just written (another provision at "
			      "the same time?): run 'git-credential-raxx handoff "
			      "verify --task-slug %s'", h->ref.where, p->slug);
	if (r)
		r = step_failed(5, r);
	else
		handoff_manifest_cache(ho_cache(h), &h->ref, &back);
	manifest_release(&back);
	free(back_json);
	return r;
}

/* The runbook's summary; the revoke command last, even with -q. */
static void say_done(const struct provision *p)
{
	char when[32], left[32];
	const char *slug = p->slug;

	handoff_left_text(p->m.expires_at - now_seconds(), left, sizeof(left));
	format_iso8601(p->m.expires_at, when, sizeof(when));
	ho_say("  manifest confirmed.");
	ho_say("Provisioning complete.");
	ho_say("  manifest   : %s", p->h.ref.where);
	ho_say("  expires    : %s (in %s)", when, left);
	ho_say("  attach with: git-credential-raxx setup --handoff %s   (in the "
	       "agent's worktree; or RAXX_HANDOFF=%s)", slug, slug);
	ho_say("  verify with: git-credential-raxx handoff verify --task-slug %s", slug);
	/* last, and even with -q: the one line the operator must keep */
	err_line("  revoke via : git-credential-raxx handoff revoke --task-slug %s",
		 slug);
}

int handoff_cmd_provision(struct raxx_config *c, int argc, char **argv)
{
	struct provision p = { 0 };
	int ret;

	p.c = c;
	if ((ret = provision_options(&p, argc, argv)) ||
	    (ret = ho_open(&p.h, c, p.slug)))
		goto out;
	p.opened = 1;
	say_plan(&p);
	if ((ret = check_earlier_manifest(&p)) ||	/* step 1 */
	    (ret = check_reach(&p)) ||			/* step 2 */
	    (ret = ensure_folder(&p)) ||		/* step 3 */
	    (ret = write_manifest(&p)) ||		/* step 4 */
	    (ret = read_back(&p)))			/* step 5 */
		goto out;
	say_done(&p);
out:
	if (p.opened)
		ho_close(&p.h);
	manifest_release(&p.m);
	free(p.json);
	free(p.ptext);
	return ret;
}
