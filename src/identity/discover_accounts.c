/*
 * Whose installations a bot's token may be minted on: the contract is in
 * discover_accounts.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "discover_accounts.h"
#include "base/log.h"
#include "owners.h"
#include "base/util.h"

#include <string.h>

/*
 * An account is its numeric id: a login can be renamed away and then
 * taken by someone else, so a login matches only when the account behind
 * it (id, when known) is the one remembered.
 */
static int is_vault_account(const struct heal *x, const char *login,
			    long long id)
{
	if (!x->vault.login)
		return 0;
	return id > 0 ? id == x->vault.id :
		account_same_login(login, x->vault.login);
}

int heal_login_reused(const struct heal *x, const char *login, long long id)
{
	if (!login || id <= 0)
		return 0;
	if (x->vault.login && id != x->vault.id &&
	    (account_same_login(login, x->vault.login) ||
	     memory_former_vault_login(x->acc, x->vault_is_owner, login)))
		return 1;
	return memory_owner_login_reused(x->acc, login, id);
}

/* Named in RAXX_OWNERS / raxx.owners (and not a login that changed
 * hands), or an account found earlier for one of them that has been
 * renamed since (the same numeric id). */
static int is_owner_account(const struct heal *x, const char *login,
			    long long id)
{
	if (!login)
		return 0;
	if (owners_has(x->h->owners, login) && !heal_login_reused(x, login, id))
		return 1;
	return id > 0 && memory_owner_renamed(x->acc, x->h->owners, id);
}

int heal_allowed(const struct heal *x, const char *login, long long id)
{
	return is_vault_account(x, login, id) || is_owner_account(x, login, id);
}

int heal_may_replace(const struct heal *x, const char *login, long long id)
{
	return is_vault_account(x, login, id) ||
	       ((!x->vault.login || x->vault_is_owner) &&
		is_owner_account(x, login, id));
}

char *heal_allowed_text(const struct heal *x)
{
	char *owners = owners_list(x->h->owners), *s;

	const char *what = x->vault_is_owner ? "the App's owner" :
		"the account of INSTALLATION_ID";

	if (x->vault.login && *owners)
		s = xstrfmt("%s, %s, and %s from %s", x->vault.login, what, owners,
			    x->h->owners->source);
	else if (x->vault.login)
		s = xstrfmt("%s, %s", x->vault.login, what);
	else if (*owners)
		s = xstrfmt("%s from %s", owners, x->h->owners->source);
	else
		s = xstrdup("none: the account of INSTALLATION_ID was never "
			    "learned on this machine");
	free(owners);
	return s;
}

void heal_init(struct heal *x, struct github *gh, struct jwt_key *key,
	       const struct heal_request *h, const struct token_scope *scope)
{
	char safe[120];

	memset(x, 0, sizeof(*x));
	x->gh = gh;
	x->key = key;
	x->h = h;
	x->scope = scope;
	x->acc = memory_accounts_load(h);
	x->vault_is_owner = memory_vault_account(x->acc, &x->vault, &x->vault_for);
	x->repl = memory_recall_replacement(h, &x->repl_acct, &x->repl_file);
	if (x->repl && !heal_may_replace(x, x->repl_acct.login, x->repl_acct.id)) {
		/* e.g. one remembered before memories named the account: an
		 * installation on any account that installed a public App */
		warning("installation %s remembered in %s for %s is on %s, not an "
			"account %s may use (%s): forgetting it", x->repl,
			x->repl_file, h->bot, x->repl_acct.login ?
			sanitize(safe, sizeof(safe), x->repl_acct.login) :
			"an account it does not name", h->bot,
			x->vault.login ? x->vault.login : "RAXX_OWNERS");
		discover_forget(h);
		free(x->repl);
		free(x->repl_file);
		x->repl = x->repl_file = NULL;
		account_release(&x->repl_acct);
	}
}

void heal_release(struct heal *x)
{
	memory_accounts_release(x->h, x->acc, x->acc_dirty);
	account_release(&x->vault);
	account_release(&x->repl_acct);
	free(x->vault_for);
	free(x->repl);
	free(x->repl_file);
}

int heal_vault_account_unknown(const struct heal *x)
{
	const char *inst = x->h->vault_inst;

	return inst && !x->repl && !x->vault_gone &&
	       (!x->vault_for || strcmp(x->vault_for, inst));
}

int heal_learn_vault_account(struct heal *x)
{
	const struct heal_request *h = x->h;
	struct gh_installation in;
	int ret;

	ret = github_get_installation(x->gh, x->key, h->app_id, h->vault_inst,
				      h->bot, &in);
	if (ret == RAXX_ENOINST)
		x->vault_gone = 1;
	if (ret)
		return ret;
	free(x->vault_for);
	x->vault_for = xstrdup(h->vault_inst);
	account_set(&x->vault, in.account, in.account_id);
	x->vault_is_owner = 0;
	memory_learned_vault(x->acc, h->vault_inst, x->vault.login, x->vault.id);
	x->acc_dirty = 1;
	if (x->vault.login)
		trace("discover: INSTALLATION_ID %s is on '%s' (account %lld): "
		      "remembered", h->vault_inst, x->vault.login, x->vault.id);
	else	/* an enterprise's: only the owners setting allows others */
		trace("discover: INSTALLATION_ID %s names no account", h->vault_inst);
	gh_installation_release(&in);
	return 0;
}

void heal_stand_in_app_owner(struct heal *x)
{
	char *login = NULL;
	long long id = 0;

	if (x->vault.login || !x->gh)
		return;
	if (github_app_owner(x->gh, x->key, x->h->app_id, &login, &id)) {
		trace("discover: no owner of the App to stand in for the account "
		      "of INSTALLATION_ID (%s)", raxx_errmsg());
		raxx_clear_error();
		return;
	}
	account_set(&x->vault, login, id);
	if (x->vault.login) {
		x->vault_is_owner = 1;
		memory_learned_app_owner(x->acc, x->vault.login, x->vault.id);
		x->acc_dirty = 1;
		trace("discover: the account of INSTALLATION_ID was never learned "
		      "here: the App's owner, '%s', stands in for it", login);
	}
	free(login);
}

void heal_note_rename(struct heal *x, const struct gh_installation *in)
{
	if (!x->vault.login || !in->account || in->account_id != x->vault.id ||
	    account_same_login(in->account, x->vault.login))
		return;
	/* the old login is free for anyone to take: kept, to know it */
	if (memory_vault_renamed(x->acc, x->vault_is_owner, x->vault.login,
				 in->account))
		return;
	trace("discover: the account of INSTALLATION_ID, '%s', is now '%s' "
	      "(same id %lld)", x->vault.login, in->account, in->account_id);
	account_set(&x->vault, in->account, in->account_id);
	x->acc_dirty = 1;
}

int heal_is_vault_installation(const struct heal *x, const char *inst)
{
	return (x->h->vault_inst && !strcmp(inst, x->h->vault_inst)) ||
	       (x->repl && !strcmp(inst, x->repl));
}

int heal_is_vault_side(const struct heal *x, const char *login, long long id)
{
	if (!x->repl)
		return is_vault_account(x, login, id);
	return id > 0 ? id == x->repl_acct.id :
		account_same_login(login, x->repl_acct.login);
}

char *discover_recall(const struct heal_request *h, char **file)
{
	struct heal x;
	char *inst;

	heal_init(&x, NULL, NULL, h, NULL);
	inst = x.repl;
	if (file)
		*file = x.repl_file;
	x.repl = x.repl_file = NULL;
	heal_release(&x);
	return inst;
}

int discover_may_heal(const struct heal_request *h, const char *login,
		      long long id)
{
	struct heal x;
	int ok;

	heal_init(&x, NULL, NULL, h, NULL);
	ok = heal_may_replace(&x, login, id);
	heal_release(&x);
	return ok;
}

void discover_learned(const struct heal_request *h, const char *login,
		      long long id)
{
	struct heal x;

	if (!h->vault_inst || !account_login_ok(login) || id <= 0)
		return;
	heal_init(&x, NULL, NULL, h, NULL);
	if (!x.vault_for || strcmp(x.vault_for, h->vault_inst) ||
	    !account_same_login(x.vault.login, login) || x.vault.id != id) {
		memory_learned_vault(x.acc, h->vault_inst, login, id);
		x.acc_dirty = 1;
	}
	heal_release(&x);
}
