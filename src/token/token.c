/*
 * The one token source: the contract is in token.h. Here a bot's token
 * and what the callers ask for (get, peek, refresh ahead), audited; a
 * handoff's token is token_handoff.c's, the pieces they share and the
 * single flight token_flight.c's (token_internal.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "token_internal.h"
#include "store/audit.h"
#include "broker_client.h"
#include "store/cache.h"
#include "child_env.h"
#include "services/github.h"
#include "services/http.h"
#include "identity/identity.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>

/* ---------------------------------------------------------------- a bot */

struct bot_flight {
	const struct identity *id;
	char *scope_key;
};

static int bot_warm(struct token_source *ts, void *ctx, long min_ttl,
		    struct token *out, int *err)
{
	struct bot_flight *b = ctx;
	struct cache_entry e;

	(void)err;
	if (!token_source_cache(ts) ||
	    !cache_get_token(ts->cache, ts->c->api, b->id->bot, b->scope_key,
			     min_ttl, &e))
		return 0;
	token_from_entry(&e, b->id->bot, b->id->repo, "cache", out);
	return 1;
}

static int bot_cold(struct token_source *ts, void *ctx, struct token *out)
{
	struct bot_flight *b = ctx;
	const struct identity *id = b->id;
	struct gh_permission *perms = NULL;
	struct token_scope scope = { 0 };
	struct cache_entry e = { 0 };
	size_t i;
	int ret;

	scope.repo = id->repo;
	if (id->repo && id->nr_perms) {
		perms = xcalloc(id->nr_perms, sizeof(*perms));
		for (i = 0; i < id->nr_perms; i++) {
			perms[i].name = id->perms[i].name;
			perms[i].level = id->perms[i].level;
		}
		scope.perms = perms;
		scope.nr_perms = id->nr_perms;
	}
	ret = token_mint_scoped(ts, id->bot, &scope, out);
	free(perms);
	if (ret || !ts->cache)
		return ret;
	e.api = ts->c->api;
	e.name = id->bot;
	e.scope = b->scope_key;
	e.installation_id = out->installation_id ? out->installation_id : (char *)"";
	e.expires_at = out->expires_at;
	e.secret = out->value;
	cache_put_token(ts->cache, &e);	/* borrowed fields: no release */
	return 0;
}

/* The options that make a background process settle id again: the
 * caller's own (the rest it inherits), or the bot named. */
static void bot_refresh_opts(struct token_source *ts, const struct identity *id,
			     const char **opts)
{
	size_t n = 0;

	if (id != ts->c->id || ts->c->opt_bot) {
		opts[n++] = "--bot";
		opts[n++] = id->bot;
	} else if (ts->c->opt_agent) {
		opts[n++] = "--agent";
		opts[n++] = ts->c->opt_agent;
	}
	if (id->repo) {
		opts[n++] = "--repo";
		opts[n++] = id->repo;
	}
}

static int bot_token(struct token_source *ts, const struct identity *id,
		     struct token *out)
{
	struct bot_flight b = { id, NULL };
	struct flight f = { 0 };
	int ret;

	/* inside exec or the gh shim, which hold no vault identity but the
	 * token they were given */
	if (!id->repo && child_token_take(ts->c->host, id->bot, out))
		return 0;
	b.scope_key = identity_scope_key(id);
	f.lock_api = ts->c->api;
	f.lock_name = id->bot;
	f.lock_scope = b.scope_key;
	f.warm = bot_warm;
	f.cold = bot_cold;
	f.ctx = &b;
	bot_refresh_opts(ts, id, f.refresh_opts);
	ret = token_fly(ts, &f, out);
	free(b.scope_key);
	return ret;
}

int token_get_for_bot(struct token_source *ts, const char *bot,
		      struct token *out)
{
	struct identity id = { 0 };
	struct audit_event ev = { 0 };
	int ret;

	if (token_source_broker(ts))
		return broker_token(ts->broker, ts->c, bot, http_deadline(), out);
	id.bot = (char *)bot;
	id.source = BOT_OPTION;
	ret = bot_token(ts, &id, out);
	ev.event = ret ? "fail" : !strcmp(out->source, "mint") ? "mint" : "reuse";
	ev.bot = bot;
	ev.host = ts->c->host;
	ev.token = ret ? NULL : out->value;
	ev.expires_at = ret ? 0 : out->expires_at;
	ev.reason = ret ? raxx_errmsg() : NULL;
	audit_write(&ev);
	return ret;
}

/* ---------------------------------------------------------------- peek */

int token_peek(struct token_source *ts, struct token *out)
{
	const struct identity *id = ts->c->id;
	int hit = 0, err = 0;

	memset(out, 0, sizeof(*out));
	if (token_source_broker(ts))
		return broker_peek(ts->broker, ts->c, out);
	if (!token_source_cache(ts))
		return 0;
	if (id->handoff) {
		if ((hit = token_handoff_peek(ts, id->handoff, id->repo, out,
					      &err)) < 0)
			return 0;
	} else if (id->bot) {
		struct bot_flight b = { id, identity_scope_key(id) };

		hit = bot_warm(ts, &b, 0, out, &err);
		free(b.scope_key);
	}
	raxx_clear_error();
	return hit && !err;
}

/* ---------------------------------------------------------------- get */

int token_get(struct token_source *ts, struct token *out)
{
	const struct identity *id = ts->c->id;
	struct audit_event ev = { 0 };
	char reason[120];
	int ret;

	memset(out, 0, sizeof(*out));
	if (token_source_broker(ts))	/* it audits; its fallback decision waits */
		return broker_token(ts->broker, ts->c, NULL, http_deadline(), out);
	if (id->handoff)
		ret = token_get_handoff(ts, id->handoff, id->repo, out);
	else if (id->bot)
		ret = bot_token(ts, id, out);
	else
		return raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot "
				 "or --agent, or set raxx.bot / raxx.agent "
				 "(git-credential-raxx setup)");
	ev.agent = id->agent;
	ev.host = ts->c->host;
	if (id->handoff) {
		snprintf(reason, sizeof(reason), "handoff %s", id->handoff);
		ev.reason = reason;
	}
	if (ret) {
		ev.event = "fail";
		ev.bot = id->bot;
		ev.repo = id->repo;
		ev.reason = raxx_errmsg();
	} else {
		ev.event = !strcmp(out->source, "mint") ? "mint" : "reuse";
		ev.bot = out->bot;
		ev.repo = out->repo;
		ev.token = out->value;
		ev.expires_at = out->expires_at;
		if (strcmp(out->source, "mint") && strcmp(out->source, "cache"))
			ev.reason = out->source;
	}
	audit_write(&ev);
	info("token for %s: %s", ret ? (id->bot ? id->bot : id->handoff) : out->bot,
	     ret ? "none" : !strcmp(out->source, "mint") ? "minted" :
	     "reused from the cache");
	return ret;
}

/* ---------------------------------------------------------------- refresh */

int token_refresh_ahead(struct token_source *ts)
{
	const struct identity *id = ts->c->id;
	struct audit_event ev = { 0 };
	struct token tok = { 0 };
	char reason[300];
	int ret;

	if (!id->handoff && !id->bot)
		return 0;
	ts->refresh = 1;
	ret = id->handoff ? token_get_handoff(ts, id->handoff, id->repo, &tok) :
		bot_token(ts, id, &tok);
	ts->refresh = 0;
	if (ret == REFRESH_NOTHING || (!ret && strcmp(tok.source, "mint"))) {
		/* another process minted, or is minting; or a token given to
		 * this command, not ours to renew */
		token_release(&tok);
		raxx_clear_error();
		return 0;
	}
	ev.event = ret ? "fail" : "mint";
	ev.agent = id->agent;
	ev.host = ts->c->host;
	ev.bot = ret ? id->bot : tok.bot;
	ev.repo = ret ? id->repo : tok.repo;
	ev.token = ret ? NULL : tok.value;
	ev.expires_at = ret ? 0 : tok.expires_at;
	if (ret)
		snprintf(reason, sizeof(reason), "refresh ahead: %s", raxx_errmsg());
	else if (id->handoff)
		snprintf(reason, sizeof(reason), "refresh ahead, handoff %s",
			 id->handoff);
	else
		snprintf(reason, sizeof(reason), "refresh ahead");
	ev.reason = reason;
	audit_write(&ev);
	token_release(&tok);
	return ret;
}
