#define _POSIX_C_SOURCE 200809L
#include "revoke.h"
#include "store/audit.h"
#include "broker_client.h"
#include "store/cache.h"
#include "store/clientsecret.h"
#include "services/github.h"
#include "services/http.h"
#include "identity/identity.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>

/* The repository part of a scope key ("OWNER/REPO perms..."), or NULL. */
static char *scope_repo(const char *scope)
{
	size_t n = strcspn(scope, " ");

	return n ? xstrndup(scope, n) : NULL;
}

/* Audit as the entry's bot: erase may run without one resolved. */
static void audit_entry(const struct raxx_config *c, const char *event,
			const struct cache_entry *e, const char *reason)
{
	struct audit_event ev = { 0 };
	char *repo = scope_repo(e->scope);

	ev.event = event;
	ev.bot = e->name;
	ev.agent = c->id ? c->id->agent : NULL;
	ev.host = c->host;
	ev.repo = repo;
	ev.token = e->secret;
	ev.expires_at = e->expires_at;
	ev.reason = reason;
	audit_write(&ev);
	free(repo);
}

int erase_token(struct raxx_config *c, const char *token)
{
	struct cache *cache;
	struct cache_entry *list = NULL;
	size_t i, nr = 0;
	int dropped = 0;
	char *broker;

	if ((broker = broker_socket_in_use(NULL))) {
		dropped = broker_erase(broker, c, token);
		free(broker);
		return dropped;
	}
	if (!(cache = cache_open()))
		return 0;
	if (cache_list_tokens(cache, &list, &nr)) {
		warning("%s", raxx_errmsg());
		raxx_clear_error();
	}
	for (i = 0; i < nr; i++) {
		if (secret_equal(list[i].secret, token) &&
		    !cache_drop(cache, &list[i])) {
			audit_entry(c, "erase", &list[i], "git rejected the token");
			dropped++;
		}
		cache_entry_release(&list[i]);
	}
	free(list);
	trace("erase: %d cached token%s dropped", dropped, dropped == 1 ? "" : "s");
	cache_close(cache);
	return dropped;
}

/* Revoke one entry under its lock; 1 when revoked, 0 when gone, or a
 * negative of the error code. */
static int revoke_one(struct raxx_config *c, struct cache *cache,
		      struct github **gh, const struct cache_entry *listed)
{
	struct cache_entry e;
	int lock = -1, ret;

	if ((ret = cache_lock_entry(cache, listed, http_deadline(), &lock)) > 0)
		return -ret;
	/* read it again under the lock: it may have been replaced meanwhile */
	if (!cache_get_token(cache, listed->api, listed->name, listed->scope, 0, &e)) {
		cache_unlock(lock);
		return 0;
	}
	if (!*gh && !(*gh = github_new(c->api))) {
		ret = -raxx_errcode();
		goto out;
	}
	ret = github_revoke_token(*gh, e.secret);
	if (ret == 0 || ret == 1) {
		cache_drop(cache, &e);
		audit_entry(c, "revoke", &e, ret ? "GitHub no longer knew it" : NULL);
		trace("revoke: %s token of %s%s%s", ret ? "dropped the dead" :
		      "revoked the", e.name, *e.scope ? " for " : "", e.scope);
		ret = 1;
	} else {
		ret = -ret;
	}
out:
	cache_entry_release(&e);
	cache_unlock(lock);
	return ret;
}

int revoke_tokens(struct raxx_config *c)
{
	struct cache *cache;
	struct cache_entry *list = NULL;
	struct github *gh = NULL;
	size_t i, nr = 0;
	const char *bot = c->id->bot, *secret;
	int revoked = 0, failed = 0, ret;
	char *broker;

	if ((broker = broker_socket_in_use(NULL))) {
		ret = broker_revoke(broker, c);
		free(broker);
		return ret;
	}
	if ((ret = client_secret_get(&secret, NULL)))
		return ret;
	if (!secret)
		return raxx_fail(RAXX_EVAULT, "INFISICAL_CLIENT_SECRET not set: the "
				 "token cache is sealed with it: export the "
				 "machine identity");
	if (!(cache = cache_open()))
		return raxx_fail(RAXX_ENOTHING, "no usable token cache: nothing "
				 "to revoke for %s", bot);
	if ((ret = cache_list_tokens(cache, &list, &nr)))
		goto out;
	for (i = 0; i < nr; i++) {
		if (!strcmp(list[i].name, bot) && !strcmp(list[i].api, c->api)) {
			int r = revoke_one(c, cache, &gh, &list[i]);

			if (r > 0)
				revoked++;
			else if (r < 0 && !failed)
				failed = -r;
		}
		cache_entry_release(&list[i]);
	}
	if (revoked)
		notice("revoked %d token%s of %s", revoked, revoked == 1 ? "" : "s",
		       bot);
	if (failed)
		ret = failed;	/* its message is recorded */
	else if (!revoked)
		ret = raxx_fail(RAXX_ENOTHING, "no live token of %s from %s in the "
				"cache (%s): nothing to revoke", bot, c->api,
				cache_dir(cache));
out:
	free(list);
	github_free(gh);
	cache_close(cache);
	return ret;
}
