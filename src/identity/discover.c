/*
 * Which installation a token is minted on, and healing a stale
 * INSTALLATION_ID: the contract is in discover.h. Which accounts may be
 * used is discover_accounts.h's, what is remembered discover_memory.h's,
 * the origin's repository discover_origin.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include "discover.h"
#include "discover_accounts.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>

/* An installation found for a repository. */
struct found {
	struct gh_installation in;
	char *from;			/* the repository, "OWNER/REPO" */
};

static void found_release(struct found *f)
{
	gh_installation_release(&f->in);
	free(f->from);
	f->from = NULL;
}

static int mint_on(struct heal *x, const char *inst, struct gh_token *out)
{
	return github_create_token(x->gh, x->key, x->h->app_id, inst, x->scope,
				   x->h->bot, out);
}

/* Look the installation up for repo, or h->repo, or the origin. */
static int lookup(struct heal *x, const char *repo, struct found *f)
{
	const struct heal_request *h = x->h;
	int ret;

	memset(f, 0, sizeof(*f));
	if (repo)
		f->from = xstrdup(repo);
	else if (h->repo)
		f->from = xstrdup(h->repo);
	else if (discover_origin_repo(h->host, &f->from))
		return raxx_fail(RAXX_ENOINST, "no repository to look the "
				 "installation up by: pass --repo OWNER/REPO, or "
				 "run inside a worktree whose origin is on %s",
				 h->host);
	ret = github_repo_installation(x->gh, x->key, h->app_id, f->from, &f->in);
	if (ret)
		found_release(f);
	return ret;
}

/* "on 'login'" of an installation found, for messages. */
static char *on_account(const struct gh_installation *in)
{
	char safe[120];

	return in->account ? xstrfmt("on '%s'", sanitize(safe, sizeof(safe),
							     in->account)) :
		xstrdup("on an account GitHub names no login for");
}

static int refuse_heal(struct heal *x, const char *stale_msg,
		       const struct found *f)
{
	char *on = on_account(&f->in), *ok = heal_allowed_text(x);
	int ret;

	/* no id here: it is no fix for the vault */
	ret = raxx_fail(RAXX_ENOINST, "%s, and the App's installation found "
			"through %s is %s, not an account %s may use (%s): not "
			"used, nothing remembered; install the App on your own "
			"account and store that installation's id as "
			"INSTALLATION_ID at %s, or, if the account is yours, add "
			"it to RAXX_OWNERS or raxx.owners (global git config)",
			stale_msg, f->from, on, x->h->bot, ok, x->h->vault_path);
	free(on);
	free(ok);
	return ret;
}

/* What is wrong with the vault's INSTALLATION_ID (fresh). */
static char *stale_text(const struct heal_request *h)
{
	return h->vault_inst ?
		xstrfmt("installation %s of App %s not found (HTTP 404)",
			h->vault_inst, h->app_id) :
		xstrfmt("INSTALLATION_ID missing at %s", h->vault_path);
}

static char *vault_where(const struct heal_request *h)
{
	return xstrfmt("%s (environment %s)", h->vault_path,
		       h->vault_env ? h->vault_env : "prod");
}

/*
 * Mint with the vault's installation: its remembered replacement, else
 * INSTALLATION_ID; when that is gone (404) or absent, with one found again
 * (pre, else looked up for repo, else through h->repo or the origin),
 * accepted only on the vault's own account (heal_may_replace()).
 */
static int vault_route(struct heal *x, const char *repo,
		       const struct found *pre, struct gh_token *out, char **used)
{
	const struct heal_request *h = x->h;
	struct found own = { 0 };
	const struct found *f = pre;
	char *stale_msg = NULL, *where = NULL;
	int ret;

	if (x->repl) {
		ret = mint_on(x, x->repl, out);
		if (!ret) {
			where = vault_where(h);
			warning("INSTALLATION_ID %s at %s is stale: minted with "
				"installation %s, found earlier (%s): update "
				"INSTALLATION_ID there to %s",
				h->vault_inst ? h->vault_inst : "(absent)", where,
				x->repl, x->repl_file, x->repl);
			*used = xstrdup(x->repl);
			goto out;
		}
		if (ret != RAXX_ENOINST)
			goto out;
		trace("discover: remembered installation %s is gone too", x->repl);
		discover_forget(h);
		x->vault_gone = 1;	/* it was, when this was remembered */
	}
	if (h->vault_inst && !x->vault_gone) {
		ret = mint_on(x, h->vault_inst, out);
		if (!ret) {
			*used = xstrdup(h->vault_inst);
			/* whose it is, once, for a rename later (quietly:
			 * the token is minted) */
			if (heal_vault_account_unknown(x) && heal_learn_vault_account(x))
				raxx_clear_error();
			goto out;
		}
		if (ret != RAXX_ENOINST)
			goto out;
		x->vault_gone = 1;
	}
	stale_msg = stale_text(h);
	if (!f && (ret = lookup(x, repo, &own))) {
		char *why = xstrdup(raxx_errmsg());

		if (ret == RAXX_ENOINST && !h->vault_inst)
			/* nothing to heal with: the key is simply missing */
			ret = raxx_fail(RAXX_ESECRETS, "bot secrets at %s for %s "
					"missing keys: INSTALLATION_ID: add it in the "
					"vault with this exact name (%s)", h->vault_path,
					h->bot, why);
		else if (ret == RAXX_ENOINST)
			ret = raxx_fail(RAXX_ENOINST, "%s: the App was reinstalled "
					"or the organization renamed, and %s; then "
					"update INSTALLATION_ID for %s at %s",
					stale_msg, why, h->bot, h->vault_path);
		else	/* e.g. a redirect off the API: say what it was for */
			ret = raxx_fail(ret, "%s, and looking it up again failed: %s",
					stale_msg, why);
		free(why);
		goto out;
	}
	if (!f)
		f = &own;
	if (h->vault_inst && !strcmp(f->in.id, h->vault_inst)) {
		ret = raxx_fail(RAXX_ENOINST, "%s, yet GitHub names it as the "
				"installation on '%s': retry later", stale_msg, f->from);
		goto out;
	}
	heal_stand_in_app_owner(x);
	if (!heal_may_replace(x, f->in.account, f->in.account_id)) {
		ret = refuse_heal(x, stale_msg, f);
		goto out;
	}
	ret = mint_on(x, f->in.id, out);
	if (ret)
		goto out;
	where = vault_where(h);
	if (h->vault_inst)
		warning("installation %s of App %s for %s is gone (HTTP 404: the "
			"App was reinstalled or the organization renamed); minted "
			"with installation %s, found through %s: update "
			"INSTALLATION_ID at %s from %s to %s", h->vault_inst,
			h->app_id, h->bot, f->in.id, f->from, where, h->vault_inst,
			f->in.id);
	else
		warning("INSTALLATION_ID missing at %s for %s; minted with "
			"installation %s, found through %s: add INSTALLATION_ID "
			"= %s there", where, h->bot, f->in.id, f->from, f->in.id);
	memory_remember_replacement(h, f->in.id, f->from, f->in.account,
				    f->in.account_id);
	heal_note_rename(x, &f->in);
	*used = xstrdup(f->in.id);
out:
	found_release(&own);
	free(stale_msg);
	free(where);
	return ret;
}

static void remember_owner(struct heal *x, const char *owner,
			   const struct found *f)
{
	memory_remember_owner(x->acc, owner, f->in.id, f->in.account,
			      f->in.account_id, f->from);
	x->acc_dirty = 1;
}

static void forget_owner(struct heal *x, const char *owner)
{
	if (memory_forget_owner(x->acc, owner))
		x->acc_dirty = 1;
}

/*
 * A token for repo: on the vault's installation when repo is on the
 * vault's account; else on the installation of its owner, when that is an
 * allowed account (found once, remembered per owner); else refused.
 */
static int repo_route(struct heal *x, const char *repo, struct gh_token *out,
		      char **used)
{
	const struct heal_request *h = x->h;
	char *owner = xstrndup(repo, strcspn(repo, "/")), *inst = NULL;
	char *on = NULL, *ok = NULL, safe[120];
	struct account a = { 0 };
	struct found f = { 0 };
	int ret;

	if (heal_vault_account_unknown(x)) {
		ret = heal_learn_vault_account(x);
		if (ret && ret != RAXX_ENOINST)
			goto out;
		raxx_clear_error();	/* gone: healed below */
	}
	if (!x->repl && (!h->vault_inst || x->vault_gone))
		heal_stand_in_app_owner(x);
	if (heal_is_vault_side(x, owner, 0) ||
	    (!x->vault.login && !x->repl && (!h->vault_inst || x->vault_gone))) {
		/* the vault's account; or INSTALLATION_ID is stale or absent
		 * and whose it was is unknown here: heal, if an allowed
		 * account's installation can replace it */
		ret = vault_route(x, repo, NULL, out, used);
		goto out;
	}
	if ((inst = memory_recall_owner(x->acc, owner, &a))) {
		if (!heal_allowed(x, a.login, a.id)) {
			trace("discover: installation %s remembered for '%s' is no "
			      "longer allowed: forgetting it", inst, owner);
			forget_owner(x, owner);
		} else if (heal_is_vault_installation(x, inst) ||
			   heal_is_vault_side(x, a.login, a.id)) {
			ret = vault_route(x, repo, NULL, out, used);
			goto out;
		} else {
			ret = mint_on(x, inst, out);
			if (!ret) {
				trace("discover: minted with installation %s, "
				      "remembered for '%s'", inst, owner);
				*used = inst;
				inst = NULL;
				goto out;
			}
			if (ret != RAXX_ENOINST)
				goto out;
			trace("discover: installation %s remembered for '%s' is "
			      "gone: looking it up again", inst, owner);
			forget_owner(x, owner);
		}
	}
	if ((ret = lookup(x, repo, &f))) {
		if (ret == RAXX_ENOINST && !heal_allowed(x, owner, 0)) {
			ok = heal_allowed_text(x);
			ret = raxx_fail(RAXX_ENOINST, "repository '%s': the App of %s "
					"is not installed there, and '%s' is not an "
					"account %s may use (%s): no token for it",
					repo, h->bot, sanitize(safe, sizeof(safe), owner),
					h->bot, ok);
		} else if (ret != RAXX_ENOINST && x->vault_gone) {
			/* e.g. a redirect off the API: say what it was for */
			char *stale = stale_text(h), *why = xstrdup(raxx_errmsg());

			ret = raxx_fail(ret, "%s, and looking it up again failed: %s",
					stale, why);
			free(stale);
			free(why);
		}
		goto out;
	}
	if (heal_is_vault_installation(x, f.in.id) ||
	    heal_is_vault_side(x, f.in.account, f.in.account_id)) {
		/* the vault's own account, under another name (renamed):
		 * its installation is the vault's (or replaces it) */
		heal_note_rename(x, &f.in);
		ret = vault_route(x, repo, &f, out, used);
		goto out;
	}
	if (!heal_allowed(x, f.in.account, f.in.account_id) &&
	    heal_login_reused(x, f.in.account, f.in.account_id)) {
		on = on_account(&f.in);
		ret = raxx_fail(RAXX_ENOINST, "repository '%s' is %s, a login that "
				"belonged to another account when it was last seen "
				"(renamed since; this is account %lld): not an account "
				"%s may use: no token for it; name accounts by their "
				"current login in RAXX_OWNERS or raxx.owners", repo, on,
				f.in.account_id, h->bot);
		goto out;
	}
	if (!heal_allowed(x, f.in.account, f.in.account_id)) {
		on = on_account(&f.in);
		ok = heal_allowed_text(x);
		ret = raxx_fail(RAXX_ENOINST, "repository '%s' is %s, not an account "
				"%s may use (%s): no token for it; if the account "
				"is yours, add it to RAXX_OWNERS or raxx.owners "
				"(global git config)", repo, on, h->bot, ok);
		goto out;
	}
	if ((ret = mint_on(x, f.in.id, out)))
		goto out;
	info("minted with installation %s on '%s', found through %s", f.in.id,
	     f.in.account, repo);
	remember_owner(x, owner, &f);
	*used = xstrdup(f.in.id);
out:
	account_release(&a);
	found_release(&f);
	free(inst);
	free(owner);
	free(on);
	free(ok);
	return ret;
}

int discover_find(struct github *gh, struct jwt_key *key,
		  const struct heal_request *h, char **inst, char **from)
{
	struct heal x;
	struct found f;
	char *stale_msg;
	int ret;

	*inst = *from = NULL;
	heal_init(&x, gh, key, h, NULL);
	heal_stand_in_app_owner(&x);
	if (!(ret = lookup(&x, NULL, &f))) {
		if (heal_may_replace(&x, f.in.account, f.in.account_id)) {
			*inst = f.in.id;
			*from = f.from;
			f.in.id = f.from = NULL;
		} else {
			stale_msg = stale_text(h);
			ret = refuse_heal(&x, stale_msg, &f);
			free(stale_msg);
		}
		found_release(&f);
	}
	heal_release(&x);
	return ret;
}

int discover_create_token(struct github *gh, struct jwt_key *key,
			  const struct heal_request *h,
			  const struct token_scope *scope, struct gh_token *out,
			  char **used)
{
	struct heal x;
	char *inst = NULL;
	int ret;

	if (used)
		*used = NULL;
	memset(out, 0, sizeof(*out));
	heal_init(&x, gh, key, h, scope);
	if (scope && scope->repo)
		ret = repo_route(&x, scope->repo, out, &inst);
	else	/* a path-less request: the vault's installation, as ever */
		ret = vault_route(&x, NULL, NULL, out, &inst);
	heal_release(&x);
	if (ret) {
		gh_token_release(out);
		free(inst);
		return ret;
	}
	if (used)
		*used = inst;
	else
		free(inst);
	return 0;
}
