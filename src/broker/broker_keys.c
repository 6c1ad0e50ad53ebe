/*
 * The broker's App keys (broker_int.h): each bot's, fetched from the vault
 * in one flight per bot, held in guarded memory for RAXX_BROKER_KEY_TTL
 * seconds, then wiped.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "services/http.h"
#include "services/jwt.h"
#include "base/log.h"
#include "token/mint.h"
#include "base/util.h"
#include "services/vault.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct key_slot {		/* a bot's App secrets, held for the key TTL */
	char *bot;
	char *app_id, *vault_inst, *path;
	char *pem;		/* guarded; NULL: none held */
	int64_t until_ms;	/* monotonic */
	int fetching;
	struct key_slot *next;
};

/* every bot's, under the held lock */
static struct key_slot *keys;

static struct key_slot *key_find(const char *bot)
{
	struct key_slot *k;

	for (k = keys; k; k = k->next)
		if (!strcmp(k->bot, bot))
			return k;
	return NULL;
}

static void key_empty(struct key_slot *k)
{
	broker_unguard_free(&k->pem);
	free(k->app_id);
	free(k->vault_inst);
	free(k->path);
	k->app_id = k->vault_inst = k->path = NULL;
	k->until_ms = 0;
}

void broker_key_use_release(struct key_use *k)
{
	jwt_key_free(k->key);
	free(k->app_id);
	free(k->vault_inst);
	free(k->path);
	memset(k, 0, sizeof(*k));
}

static void key_use_fill(struct key_use *u, const char *app_id,
			 const char *inst, const char *path)
{
	u->app_id = xstrdup(app_id ? app_id : "");
	u->vault_inst = inst && *inst ? xstrdup(inst) : NULL;
	u->path = xstrdup(path);
}

/* The JWT issuer from a bot's secrets: CLIENT_ID, else APP_ID (jwt.h). */
static const char *issuer(const struct vault_secrets *secrets)
{
	const char *iss = jwt_issuer(vault_secrets_get(secrets, "APP_ID"),
				     vault_secrets_get(secrets, "CLIENT_ID"));

	return iss ? iss : "";
}

int broker_key_get(const char *bot, int fresh, struct key_use *u)
{
	struct mint_clients mc = { 0 };
	struct vault_secrets secrets = { 0 };
	struct key_slot *k;
	int64_t deadline = http_deadline();
	char *path = NULL;
	int ret;

	memset(u, 0, sizeof(*u));
	broker_held_lock();
	for (;;) {
		k = key_find(bot);
		if (k && k->pem && !fresh && k->until_ms > now_ms()) {
			sodium_mprotect_readonly(k->pem);
			u->key = jwt_key_load(k->pem, k->path);
			sodium_mprotect_noaccess(k->pem);
			key_use_fill(u, k->app_id, k->vault_inst, k->path);
			u->held = 1;
			broker_held_unlock();
			trace("broker: the App key of %s is held: no vault request", bot);
			return u->key ? 0 : raxx_errcode();
		}
		if (!k || !k->fetching)
			break;
		if (broker_held_wait_until(deadline)) {
			broker_held_unlock();
			return raxx_fail_outage(RAXX_EVAULT, "gave up waiting for the "
						"vault fetch of %s's App key in flight: "
						"retry, or raise RAXX_TIMEOUT", bot);
		}
		fresh = 0;	/* another request fetched it meanwhile */
	}
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		k->bot = xstrdup(bot);
		k->next = keys;
		keys = k;
	}
	k->fetching = 1;
	key_empty(k);
	broker_held_unlock();

	mc.vs = &broker_conf.vs;
	if (!(mc.v = broker_vault_open()))
		ret = raxx_errcode();
	else
		ret = mint_fetch_secrets(&mc, bot, &secrets, &path);
	broker_vault_close(mc.v);

	broker_held_lock();
	k->fetching = 0;
	if (!ret && broker_conf.key_ttl > 0) {
		k->pem = broker_guard(vault_secrets_get(&secrets, "PRIVATE_KEY_PEM"));
		k->app_id = xstrdup(issuer(&secrets));
		k->vault_inst = xstrdup(vault_secrets_get(&secrets, "INSTALLATION_ID") ?
					vault_secrets_get(&secrets, "INSTALLATION_ID") : "");
		k->path = xstrdup(path);
		k->until_ms = now_ms() + broker_conf.key_ttl * 1000;
	}
	broker_held_wake();
	broker_held_unlock();
	if (!ret) {
		u->key = jwt_key_load(vault_secrets_get(&secrets, "PRIVATE_KEY_PEM"), path);
		key_use_fill(u, issuer(&secrets),
			     vault_secrets_get(&secrets, "INSTALLATION_ID"), path);
		if (!u->key)
			ret = raxx_errcode();
	}
	vault_secrets_release(&secrets);
	free(path);
	return ret;
}

void broker_keys_sweep(void)
{
	struct key_slot *k;
	int64_t now = now_ms();

	broker_held_lock();
	for (k = keys; k; k = k->next)
		if (k->pem && !k->fetching && k->until_ms <= now) {
			trace("broker: the App key of %s held %ld s: wiped", k->bot,
			      broker_conf.key_ttl);
			key_empty(k);
		}
	broker_held_unlock();
}

int broker_keys_held(void)
{
	struct key_slot *k;
	int n = 0;

	broker_held_lock();
	for (k = keys; k; k = k->next)
		n += k->pem != NULL;
	broker_held_unlock();
	return n;
}

void broker_keys_wipe(void)
{
	struct key_slot *k;

	while ((k = keys)) {
		keys = k->next;
		key_empty(k);
		free(k->bot);
		free(k);
	}
}
