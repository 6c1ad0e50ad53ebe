#ifndef RAXX_DISCOVER_ACCOUNTS_H
#define RAXX_DISCOVER_ACCOUNTS_H

/*
 * Whose installations a bot's token may be minted on, and which may
 * replace the vault's INSTALLATION_ID (discover.h; DESIGN.md "Trust"),
 * as one mint knows them: from the memories (discover_memory.h), the
 * owners setting (owners.h), and what GitHub said in this process. Used
 * by the discover*.c files only.
 *
 * An account is its numeric id: a login can be renamed away and then
 * taken by someone else, so a login matches only when the account behind
 * it (id, when known) is the one remembered. Where an id is asked for
 * below, 0 means unknown.
 */

#include "discover_memory.h"

/* What one mint knows about the App's installations. */
struct heal {
	struct github *gh;
	struct jwt_key *key;
	const struct heal_request *h;
	const struct token_scope *scope;
	struct json_object *acc;	/* accounts.BOT.HASH */
	int acc_dirty;
	struct account vault;		/* the account of the vault's
					   INSTALLATION_ID (or of the one before
					   it); login NULL: never learned */
	int vault_is_owner;		/* vault is the App's owner, standing in
					   for an account never learned */
	char *vault_for;		/* the installation it was learned from */
	char *repl, *repl_file;		/* the remembered replacement of a stale
					   INSTALLATION_ID, and its file */
	struct account repl_acct;
	int vault_gone;			/* INSTALLATION_ID answered 404 here */
};

/*
 * Read the memories for h into *x. A remembered replacement on an account
 * that may not replace the vault's is forgotten, with a warning. gh, key
 * and scope are kept for the mint (they may be NULL when nothing is
 * minted). Release it with heal_release.
 */
void heal_init(struct heal *x, struct github *gh, struct jwt_key *key,
	       const struct heal_request *h, const struct token_scope *scope);
/* Write the accounts memory back when it changed, and free *x's. */
void heal_release(struct heal *x);

/* May the bot's token be minted on an installation of this account? */
int heal_allowed(const struct heal *x, const char *login, long long id);
/*
 * May it replace the vault's stale or absent INSTALLATION_ID (and be
 * printed as the vault's fix)? Only the vault's own account, renamed or
 * not, once that is known; before, the App's owner, or an account the
 * owners setting names.
 */
int heal_may_replace(const struct heal *x, const char *login, long long id);
/* A login remembered with another account id than id: it changed hands. */
int heal_login_reused(const struct heal *x, const char *login, long long id);
/* The accounts a token may be minted on, for messages (fresh). */
char *heal_allowed_text(const struct heal *x);

/* inst is the vault's INSTALLATION_ID or its remembered replacement. */
int heal_is_vault_installation(const struct heal *x, const char *inst);
/* The account the vault's installation is minted on: its remembered
 * replacement's, else the vault's own. */
int heal_is_vault_side(const struct heal *x, const char *login, long long id);

/* The vault's account is worth asking for: INSTALLATION_ID is set, not
 * known to be stale, and not the one the memory was learned from. */
int heal_vault_account_unknown(const struct heal *x);
/*
 * Learn whose the vault's INSTALLATION_ID is (GET /app/installations/{id})
 * and remember it. 0, RAXX_ENOINST when it is gone (x->vault_gone set),
 * or another error (message recorded).
 */
int heal_learn_vault_account(struct heal *x);
/*
 * Whose INSTALLATION_ID was is unknown here (never learned, and now it is
 * gone or absent): the App's owner (GET /app) stands in for it. Only the
 * owner installs its App on its own account: a stranger's installation is
 * never there. Asked once, remembered; nothing without x->gh.
 */
void heal_stand_in_app_owner(struct heal *x);
/* The vault's account seen under another login with its id: renamed. */
void heal_note_rename(struct heal *x, const struct gh_installation *in);

#endif
