#ifndef RAXX_DISCOVER_MEMORY_H
#define RAXX_DISCOVER_MEMORY_H

/*
 * What discovery remembers in the state directory (discover.h says where,
 * and how the files are kept), and the only module that knows their
 * format. Used by the discover*.c files only. Two files per bot and
 * GitHub API (HASH):
 *
 * installation.BOT.HASH: the replacement of a stale INSTALLATION_ID, for
 * as long as the vault holds the value it replaced (and the App is the
 * same), with the account it is on.
 *
 * accounts.BOT.HASH: whose installations the bot's App has here, per bot,
 * GitHub API and App:
 *   "vault":     the account of the vault's INSTALLATION_ID, learned once
 *                (GET /app/installations/{id}) while it worked, so that a
 *                renamed account is recognised by its id once the id is
 *                gone; with the logins it had before a rename;
 *   "app_owner": the App's owner, standing in for an account never
 *                learned here (the same shape);
 *   "owners":    for each other owner asked for (lower case), the
 *                installation found for it and its account.
 * It is read whole (memory_accounts_load), changed in memory, and written
 * back when it changed (memory_accounts_release). Two processes writing
 * it at once may lose one's entry: it is found again on the next cold
 * mint.
 *
 * Failing to remember is a warning, never a failure; a memory that cannot
 * be read, or is malformed, is none.
 */

#include "discover.h"

struct json_object;
struct owners;

/* An account: a login and its numeric id, which survives a rename. */
struct account {
	char *login;		/* NULL: unknown */
	long long id;
};

/* A login as GitHub spells them, as a memory may hold it. */
int account_login_ok(const char *s);
/* The same login, ignoring case as GitHub does; NULL is no login. */
int account_same_login(const char *a, const char *b);
/* *a becomes login and id, or unknown unless login is account_login_ok
 * and id positive. */
void account_set(struct account *a, const char *login, long long id);
void account_release(struct account *a);

/* ---- installation.BOT.HASH */

/*
 * The replacement of a stale INSTALLATION_ID remembered for h (bot, API,
 * App) while the vault still holds h->vault_inst; a memory made for
 * another vault value is forgotten (discover_forget). The id (fresh) or
 * NULL; *acct gets the account it is on (login NULL when the memory names
 * none: one written before memories named it); *file (may be NULL) its
 * path (fresh).
 */
char *memory_recall_replacement(const struct heal_request *h,
				struct account *acct, char **file);
/* Remember inst, found through repo, on account (login, id), as the
 * replacement of h->vault_inst. 0, or a STORE_E* code (warned). */
int memory_remember_replacement(const struct heal_request *h, const char *inst,
				const char *repo, const char *login,
				long long id);

/* ---- accounts.BOT.HASH */

/* h's memory, or an empty one (when there is none, or it is another
 * App's). Never NULL. */
struct json_object *memory_accounts_load(const struct heal_request *h);
/* Write acc back when save is set, then free it. */
void memory_accounts_release(const struct heal_request *h,
			     struct json_object *acc, int save);

/*
 * The vault's account: "vault" into *vault, with the installation it was
 * learned from into *vault_for (fresh); when that names no account, the
 * App's owner standing in for it, and then 1. *vault must be unknown and
 * *vault_for NULL on entry; they stay so when nothing is remembered.
 */
int memory_vault_account(struct json_object *acc, struct account *vault,
			 char **vault_for);
/* Remember the account of the vault's installation inst (login NULL:
 * one GitHub names no account for). */
void memory_learned_vault(struct json_object *acc, const char *inst,
			  const char *login, long long id);
/* Remember the App's owner, standing in for the vault's account. */
void memory_learned_app_owner(struct json_object *acc, const char *login,
			      long long id);
/*
 * The vault's account (the App owner's when is_owner is set) renamed from
 * old_login to login: the old login kept among its former ones. 0, or -1
 * when none is remembered (nothing changed).
 */
int memory_vault_renamed(struct json_object *acc, int is_owner,
			 const char *old_login, const char *login);
/* Whether login is one the vault's account (the App owner's when
 * is_owner is set) had before a rename. */
int memory_former_vault_login(struct json_object *acc, int is_owner,
			      const char *login);

/* The installation remembered for owner (fresh), with its account into
 * *a; NULL when none, or the entry is malformed. */
char *memory_recall_owner(struct json_object *acc, const char *owner,
			  struct account *a);
/* Remember inst, on account (login, id), found through repo, for owner. */
void memory_remember_owner(struct json_object *acc, const char *owner,
			   const char *inst, const char *login, long long id,
			   const char *repo);
/* Forget owner's installation: 1 when there was one, else 0. */
int memory_forget_owner(struct json_object *acc, const char *owner);
/* Whether an owner's entry is keyed by, or names, login on another
 * account than id: the login changed hands. */
int memory_owner_login_reused(struct json_object *acc, const char *login,
			      long long id);
/* Whether an owner's entry is on account id and is keyed by, or names, a
 * login of o: an allowed owner renamed since. */
int memory_owner_renamed(struct json_object *acc, const struct owners *o,
			 long long id);

#endif
