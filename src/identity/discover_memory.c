/*
 * What discovery remembers in the state directory: the contract is in
 * discover_memory.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "discover_memory.h"
#include "base/json.h"
#include "base/log.h"
#include "owners.h"
#include "store/store.h"
#include "base/util.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

/* PREFIX.BOT.HASH: one memory per bot and GitHub API */
static char *memory_file(const char *prefix, const struct heal_request *h)
{
	unsigned char hash[8];
	char hex[sizeof(hash) * 2 + 1];

	crypto_generichash(hash, sizeof(hash), (const unsigned char *)h->api,
			   strlen(h->api), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	return xstrfmt("%s.%s.%s", prefix, h->bot, hex);
}

/* A memory, as JSON, into dir/name (store_write: 0 or STORE_E*). */
static int write_memory(const char *dir, const char *name,
			struct json_object *o, char *why, size_t n)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED);

	return store_write(dir, name, text, strlen(text), why, n);
}

static char *memory_name(const struct heal_request *h)
{
	return memory_file("installation", h);
}

static int numeric_id(const char *s)
{
	return s && *s && strlen(s) <= 20 &&
	       strspn(s, "0123456789") == strlen(s);
}

int account_login_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n && n <= 100 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

int account_same_login(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

void account_release(struct account *a)
{
	free(a->login);
	a->login = NULL;
	a->id = 0;
}

void account_set(struct account *a, const char *login, long long id)
{
	account_release(a);
	if (account_login_ok(login) && id > 0) {
		a->login = xstrdup(login);
		a->id = id;
	}
}

/* "account" and "account_id" of a memory object: 0, or -1 (a cleared). */
static int account_read(struct json_object *o, struct account *a)
{
	long long id = 0;
	const char *login = json_int(o, "account_id", &id) ? NULL :
		json_str(o, "account");

	account_set(a, login, id);
	return a->login ? 0 : -1;
}

static void account_write(struct json_object *o, const char *login, long long id)
{
	json_object_object_add(o, "account", json_object_new_string(login));
	json_object_object_add(o, "account_id", json_object_new_int64(id));
}

/* ---------------------------------------------------------------- installation.BOT.HASH */

char *memory_recall_replacement(const struct heal_request *h,
				struct account *acct, char **file)
{
	char *dir = state_dir_path(), *name = NULL, *text = NULL;
	char *inst = NULL;
	struct json_object *o = NULL;
	const char *api, *bot, *app, *vault, *id;

	if (file)
		*file = NULL;
	account_release(acct);
	if (!dir)
		return NULL;
	name = memory_name(h);
	if (!(text = store_read(dir, name, STORE_STATE_MAX)))
		goto out;
	o = json_parse(text, strlen(text));
	api = json_str(o, "api");
	bot = json_str(o, "bot");
	app = json_str(o, "app_id");
	vault = json_str(o, "vault_installation_id");
	id = json_str(o, "installation_id");
	if (!api || !bot || !app || !vault || !numeric_id(id) ||
	    strcmp(api, h->api) || strcmp(bot, h->bot)) {
		trace("discover: ignoring a malformed memory %s/%s", dir, name);
		goto out;
	}
	if (strcmp(app, h->app_id) ||
	    strcmp(vault, h->vault_inst ? h->vault_inst : "")) {
		/* the vault changed since: trust it again */
		trace("discover: the vault's APP_ID/INSTALLATION_ID changed since "
		      "installation %s was found: forgetting it", id);
		discover_forget(h);
		goto out;
	}
	account_read(o, acct);
	inst = xstrdup(id);
	if (file)
		*file = xstrfmt("%s/%s", dir, name);
out:
	json_object_put(o);
	free(text);
	free(name);
	free(dir);
	return inst;
}

int memory_remember_replacement(const struct heal_request *h, const char *inst,
				const char *repo, const char *login,
				long long id)
{
	char *dir = state_dir_path(), *name, why[512], when[32];
	struct json_object *o;
	int ret = -1;

	if (!dir)
		return -1;
	format_iso8601(now_seconds(), when, sizeof(when));
	o = json_object_new_object();
	json_object_object_add(o, "api", json_object_new_string(h->api));
	json_object_object_add(o, "bot", json_object_new_string(h->bot));
	json_object_object_add(o, "app_id", json_object_new_string(h->app_id));
	json_object_object_add(o, "vault_installation_id",
			       json_object_new_string(h->vault_inst ? h->vault_inst : ""));
	json_object_object_add(o, "installation_id", json_object_new_string(inst));
	account_write(o, login, id);
	json_object_object_add(o, "repository", json_object_new_string(repo));
	json_object_object_add(o, "discovered_at", json_object_new_string(when));
	name = memory_name(h);
	ret = write_memory(dir, name, o, why, sizeof(why));
	if (ret == STORE_EDIR)
		warning("cannot remember installation %s in the state directory: "
			"%s", inst, why);
	else if (ret)
		warning("cannot remember installation %s in %s: %s", inst, dir, why);
	json_object_put(o);
	free(name);
	free(dir);
	return ret;
}

void discover_forget(const struct heal_request *h)
{
	char *dir = state_dir_path(), *name, *path;

	if (!dir)
		return;
	name = memory_name(h);
	path = xstrfmt("%s/%s", dir, name);
	unlink(path);
	free(path);
	free(name);
	free(dir);
}

/* ---------------------------------------------------------------- accounts.BOT.HASH */

struct json_object *memory_accounts_load(const struct heal_request *h)
{
	char *dir = state_dir_path(), *name = memory_file("accounts", h);
	char *text = dir ? store_read(dir, name, STORE_STATE_MAX) : NULL;
	struct json_object *o = text ? json_parse(text, strlen(text)) : NULL;
	const char *api = json_str(o, "api"), *bot = json_str(o, "bot");
	const char *app = json_str(o, "app_id");

	if (o && (!api || !bot || !app || strcmp(api, h->api) ||
		  strcmp(bot, h->bot) || strcmp(app, h->app_id))) {
		/* another App since (or not ours as we write it): start again */
		trace("discover: %s/%s is for another App: starting afresh", dir, name);
		json_object_put(o);
		o = NULL;
	}
	if (!o) {
		o = json_object_new_object();
		json_object_object_add(o, "api", json_object_new_string(h->api));
		json_object_object_add(o, "bot", json_object_new_string(h->bot));
		json_object_object_add(o, "app_id", json_object_new_string(h->app_id));
	}
	free(text);
	free(name);
	free(dir);
	return o;
}

static void accounts_save(const struct heal_request *h, struct json_object *o)
{
	char *dir = state_dir_path(), *name = memory_file("accounts", h);
	char why[512];

	int ret;

	if (!dir)
		goto out;
	ret = write_memory(dir, name, o, why, sizeof(why));
	if (ret == STORE_EDIR)
		warning("cannot remember the App's installations in the state "
			"directory: %s", why);
	else if (ret)
		warning("cannot remember the App's installations in %s: %s", dir,
			why);
out:
	free(name);
	free(dir);
}

void memory_accounts_release(const struct heal_request *h,
			     struct json_object *acc, int save)
{
	if (save)
		accounts_save(h, acc);
	json_object_put(acc);
}

/* o[key] as an object (made when missing and make is set), or NULL. */
static struct json_object *member(struct json_object *o, const char *key,
				  int make)
{
	struct json_object *v = NULL;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_object))
		return v;
	if (!make)
		return NULL;
	v = json_object_new_object();
	json_object_object_add(o, key, v);
	return v;
}

/* A remembered installation id in entry (fresh), with its account. */
static char *entry_read(struct json_object *e, struct account *a)
{
	const char *id = json_str(e, "installation_id");

	if (!e || !numeric_id(id) || account_read(e, a))
		return NULL;
	return xstrdup(id);
}

static void entry_write(struct json_object *parent, const char *key,
			const char *inst, const char *login, long long id,
			const char *repo, const char *stamp_key)
{
	struct json_object *e = json_object_new_object();
	char when[32];

	format_iso8601(now_seconds(), when, sizeof(when));
	if (inst)
		json_object_object_add(e, "installation_id", json_object_new_string(inst));
	if (login)	/* none: an installation on an enterprise */
		account_write(e, login, id);
	if (repo)
		json_object_object_add(e, "repository", json_object_new_string(repo));
	json_object_object_add(e, stamp_key, json_object_new_string(when));
	json_object_object_add(parent, key, e);
}

/* An owner's key in the memory: its login in lower case. */
static char *owner_key(const char *login)
{
	char *k = xstrdup(login), *p;

	for (p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

int memory_vault_account(struct json_object *acc, struct account *vault,
			 char **vault_for)
{
	struct json_object *v;

	if ((v = member(acc, "vault", 0)) && numeric_id(json_str(v, "installation_id"))) {
		*vault_for = xstrdup(json_str(v, "installation_id"));
		account_read(v, vault);
	}
	return !vault->login && (v = member(acc, "app_owner", 0)) &&
	       !account_read(v, vault);
}

void memory_learned_vault(struct json_object *acc, const char *inst,
			  const char *login, long long id)
{
	entry_write(acc, "vault", inst, login, id, NULL, "learned_at");
}

void memory_learned_app_owner(struct json_object *acc, const char *login,
			      long long id)
{
	entry_write(acc, "app_owner", NULL, login, id, NULL, "learned_at");
}

int memory_vault_renamed(struct json_object *acc, int is_owner,
			 const char *old_login, const char *login)
{
	struct json_object *v, *former = NULL;

	if (!(v = member(acc, is_owner ? "app_owner" : "vault", 0)))
		return -1;
	/* the old login is free for anyone to take: keep it, to know it */
	if (!json_object_object_get_ex(v, "former_logins", &former) ||
	    !json_object_is_type(former, json_type_array)) {
		former = json_object_new_array();
		json_object_object_add(v, "former_logins", former);
	}
	json_object_array_add(former, json_object_new_string(old_login));
	json_object_object_add(v, "account", json_object_new_string(login));
	return 0;
}

int memory_former_vault_login(struct json_object *acc, int is_owner,
			      const char *login)
{
	struct json_object *v = member(acc, is_owner ? "app_owner" : "vault", 0),
		*former;
	size_t i;

	if (!v || !json_object_object_get_ex(v, "former_logins", &former) ||
	    !json_object_is_type(former, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(former); i++)
		if (account_same_login(login, json_object_get_string(
					       json_object_array_get_idx(former, i))))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- the owners' installations */

char *memory_recall_owner(struct json_object *acc, const char *owner,
			  struct account *a)
{
	struct json_object *owners = member(acc, "owners", 0), *e = NULL;
	char *key = owner_key(owner), *inst = NULL;

	if (owners && json_object_object_get_ex(owners, key, &e))
		inst = entry_read(e, a);
	free(key);
	return inst;
}

void memory_remember_owner(struct json_object *acc, const char *owner,
			   const char *inst, const char *login, long long id,
			   const char *repo)
{
	char *key = owner_key(owner);

	entry_write(member(acc, "owners", 1), key, inst, login, id, repo,
		    "found_at");
	free(key);
}

int memory_forget_owner(struct json_object *acc, const char *owner)
{
	struct json_object *owners = member(acc, "owners", 0);
	char *key = owner_key(owner);
	int there = 0;

	if (owners && json_object_object_get_ex(owners, key, NULL)) {
		json_object_object_del(owners, key);
		there = 1;
	}
	free(key);
	return there;
}

/* The match of one remembered owner (its key and its account) that the
 * two questions below ask. */
struct owner_query {
	const char *login;		/* login_reused: the login asked about */
	const struct owners *o;		/* renamed: the owners setting */
	long long id;
};

static int login_reused(const char *key, const struct account *a,
			const struct owner_query *q)
{
	return a->id != q->id && (account_same_login(key, q->login) ||
				  account_same_login(a->login, q->login));
}

static int renamed(const char *key, const struct account *a,
		   const struct owner_query *q)
{
	return a->id == q->id && (owners_has(q->o, key) ||
				  owners_has(q->o, a->login));
}

/* Whether one of the owners remembered in acc matches q. */
static int any_owner(struct json_object *acc, const struct owner_query *q,
		     int (*match)(const char *, const struct account *,
				  const struct owner_query *))
{
	struct json_object *owners;

	if (!(owners = member(acc, "owners", 0)))
		return 0;
	json_object_object_foreach(owners, k, e) {
		struct account a = { 0 };
		int hit = !account_read(e, &a) && match(k, &a, q);

		account_release(&a);
		if (hit)
			return 1;
	}
	return 0;
}

int memory_owner_login_reused(struct json_object *acc, const char *login,
			      long long id)
{
	const struct owner_query q = { login, NULL, id };

	return any_owner(acc, &q, login_reused);
}

int memory_owner_renamed(struct json_object *acc, const struct owners *o,
			 long long id)
{
	const struct owner_query q = { NULL, o, id };

	return any_owner(acc, &q, renamed);
}
