/*
 * The one token source: the contract is in token.h.
 *
 * A bot's entry and a handoff's entry differ only in how they are found
 * warm and how they are minted cold; fly() is the single flight both use:
 *
 *   warm -> lock -> warm again -> cold -> unlock
 *        -> (an outage) a cached token that still lives a minute
 */
#define _POSIX_C_SOURCE 200809L
#include "token.h"
#include "audit.h"
#include "broker_client.h"
#include "cache.h"
#include "clientsecret.h"
#include "ghexec.h"
#include "github.h"
#include "handoff_records.h"
#include "handoff_store.h"
#include "http.h"
#include "identity.h"
#include "log.h"
#include "mint.h"
#include "owners.h"
#include "refresh.h"
#include "util.h"
#include "vault.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct token_source {
	struct raxx_config *c;
	int refresh;		/* the background re-mint (token_refresh_ahead) */
	struct cache *cache;
	int cache_tried;
	struct vault_settings vs;
	int have_vs;
	struct vault *v;
	struct github *gh;
	char *broker;		/* the broker's socket, when one is in use */
	int broker_looked;
};

struct token_source *token_source_open(struct raxx_config *c)
{
	struct token_source *ts = xcalloc(1, sizeof(*ts));

	ts->c = c;
	return ts;
}

/* A vault session logged in here is handed to the cache, so the next
 * process skips the login. */
static void keep_session(struct token_source *ts)
{
	const char *session;
	time_t expires;

	if (!ts->v || !vault_logged_in(ts->v) || !ts->cache)
		return;
	if ((session = vault_session(ts->v, &expires)))
		cache_put_session(ts->cache, ts->vs.base, ts->vs.client_id,
				  session, expires);
}

void token_source_close(struct token_source *ts)
{
	if (!ts)
		return;
	keep_session(ts);
	github_free(ts->gh);
	vault_free(ts->v);
	cache_close(ts->cache);
	if (ts->have_vs)
		vault_settings_release(&ts->vs);
	free(ts->broker);
	free(ts);
}

/* The broker's socket when one is in use (broker_client.h): every token
 * then comes from it, and nothing here touches the vault. */
static const char *broker_of(struct token_source *ts)
{
	if (!ts->broker_looked) {
		ts->broker_looked = 1;
		ts->broker = broker_socket_in_use(NULL);
	}
	return ts->broker;
}

const char *token_source_broker(struct token_source *ts)
{
	return broker_of(ts);
}

int token_can_mint(void)
{
	const char *secret;
	char *broker;

	if ((broker = broker_socket_in_use(NULL))) {
		free(broker);
		return 1;
	}
	if (client_secret_get(&secret, NULL))
		raxx_clear_error();
	return secret != NULL;
}

struct cache *token_source_cache(struct token_source *ts)
{
	if (!ts->cache_tried) {
		ts->cache_tried = 1;
		ts->cache = cache_open();
	}
	return ts->cache;
}

int token_source_vault(struct token_source *ts, struct vault **v,
		       const struct vault_settings **vs)
{
	struct cache_entry e;
	int ret;

	if (!ts->have_vs) {
		if ((ret = vault_settings_from_env(&ts->vs)))
			return ret;
		ts->have_vs = 1;
	}
	if (vs)
		*vs = &ts->vs;
	if (!v)
		return 0;
	if (!ts->v) {
		if (!(ts->v = vault_new(&ts->vs)))
			return raxx_errcode();
		/* a vault session sealed in the cache saves the login */
		if (token_source_cache(ts) &&
		    cache_get_session(ts->cache, ts->vs.base, ts->vs.client_id, &e)) {
			vault_set_session(ts->v, e.secret, e.expires_at);
			cache_entry_release(&e);
		}
	}
	*v = ts->v;
	return 0;
}

int token_source_github(struct token_source *ts, struct github **gh)
{
	if (!ts->gh && !(ts->gh = github_new(ts->c->api)))
		return raxx_errcode();
	*gh = ts->gh;
	return 0;
}

void token_release(struct token *t)
{
	free_secret(t->value);
	free(t->bot);
	free(t->repo);
	free(t->installation_id);
	memset(t, 0, sizeof(*t));
}

/*
 * A progress note for a person waiting at a terminal: written by a timer
 * after PROGRESS_AFTER_MS, so a quick mint (or a pipe, or -q) shows
 * nothing. The line is formatted before the timer is armed: the handler
 * only write()s it.
 */
#define PROGRESS_AFTER_MS 1000
static char progress_line[256];
static size_t progress_len;

static void progress_fire(int sig)
{
	ssize_t w;

	(void)sig;
	w = write(2, progress_line, progress_len);
	(void)w;
}

static void progress_arm(const char *bot)
{
	struct itimerval t = { { 0, 0 }, { PROGRESS_AFTER_MS / 1000,
					   (PROGRESS_AFTER_MS % 1000) * 1000 } };
	struct sigaction sa;

	if (log_verbosity < 0 || !isatty(2))
		return;
	snprintf(progress_line, sizeof(progress_line) - 1,
		 "raxx: minting a token for %s\xe2\x80\xa6", bot);
	sanitize_text(progress_line);
	progress_len = strlen(progress_line);
	progress_line[progress_len++] = '\n';
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = progress_fire;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (!sigaction(SIGALRM, &sa, NULL))
		setitimer(ITIMER_REAL, &t, NULL);
}

static void progress_disarm(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	if (progress_len) {
		setitimer(ITIMER_REAL, &off, NULL);
		progress_len = 0;
	}
}

/* A fresh token for bot narrowed to scope: vault, JWT, GitHub. */
static int mint(struct token_source *ts, const char *bot,
		const struct token_scope *scope, struct token *out)
{
	struct mint_clients mc = { 0 };
	struct mint_request rq = { 0 };
	struct gh_token tok = { 0 };
	struct owners owners = OWNERS_INIT;
	char *inst = NULL;
	int64_t t0 = now_ms();
	int ret;

	/* refuse a bad GitHub URL before anything reaches the vault */
	if ((ret = http_check_url(ts->c->api, "RAXX_GITHUB_API", RAXX_EGITHUB)) ||
	    (ret = owners_load(ts->c, &owners)) ||
	    (ret = token_source_vault(ts, &mc.v, &mc.vs)) ||
	    (ret = token_source_github(ts, &mc.gh))) {
		owners_release(&owners);
		return ret;
	}
	mc.api = ts->c->api;
	mc.host = ts->c->host;
	mc.owners = &owners;
	rq.bot = bot;
	rq.scope = scope;
	rq.repo_hint = ts->c->opt_repo;
	progress_arm(bot);
	ret = mint_installation_token(&mc, &rq, &tok, &inst);
	progress_disarm();
	owners_release(&owners);
	keep_session(ts);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->value = tok.token;
	out->expires_at = tok.expires_at;
	out->source = "mint";
	out->bot = xstrdup(bot);
	out->repo = scope && scope->repo ? xstrdup(scope->repo) : NULL;
	out->installation_id = inst;
	trace("minted a token for %s in %lld ms: vault %d requests over %d "
	      "connections, GitHub %d requests over %d connections", bot,
	      (long long)(now_ms() - t0), vault_requests(mc.v),
	      vault_connections(mc.v), github_requests(mc.gh),
	      github_connections(mc.gh));
	return 0;
}

int token_mint_scoped(struct token_source *ts, const char *bot,
		      const struct token_scope *scope, struct token *out)
{
	return mint(ts, bot, scope, out);
}

/* Fill out from a cache entry (its fields are taken). */
static void from_entry(struct cache_entry *e, const char *bot, const char *repo,
		       const char *source, struct token *out)
{
	memset(out, 0, sizeof(*out));
	out->value = e->secret;
	e->secret = NULL;
	out->expires_at = e->expires_at;
	out->source = source;
	out->bot = xstrdup(bot);
	out->repo = repo ? xstrdup(repo) : NULL;
	out->installation_id = e->installation_id;
	e->installation_id = NULL;
	cache_entry_release(e);
}

/* ---------------------------------------------------------------- flight */

struct flight {
	/* the entry whose lock makes the cold path single flight */
	const char *lock_api, *lock_name, *lock_scope;
	/* 1 with out filled when the cache holds a token living more than
	 * min_ttl seconds, 0 when not; an error: *err set */
	int (*warm)(struct token_source *ts, void *ctx, long min_ttl,
		    struct token *out, int *err);
	int (*cold)(struct token_source *ts, void *ctx, struct token *out);
	void *ctx;
	/* refresh ahead (refresh.h): whether the token warm() found may be
	 * re-minted in the background (NULL: yes), and the options that make
	 * the background process settle this identity */
	int (*refreshable)(void *ctx);
	const char *refresh_opts[6];
};

/* During an outage: a cached token that still lives a minute. */
static int serve_stale(struct token_source *ts, const struct flight *f,
		       struct token *out)
{
	char why[1024];
	int code = raxx_errcode(), err = 0;

	snprintf(why, sizeof(why), "%s", raxx_errmsg());
	if (!f->warm(ts, f->ctx, TOKEN_OUTAGE_MIN_TTL, out, &err) || err) {
		token_release(out);
		raxx_fail_outage(code, "%s", why);	/* the outage stands */
		return 0;
	}
	out->source = "cache, during an outage";
	warning("minting for %s failed (%s); serving its cached token, which "
		"lives %lld s more, until then", out->bot, why,
		(long long)(out->expires_at - now_seconds()));
	raxx_clear_error();
	return 1;
}

/*
 * A warm token close to its end: start one re-mint in the background
 * (refresh.h), at most one per entry per REFRESH_RETRY_SECS.
 */
static void refresh_maybe(struct token_source *ts, const struct flight *f,
			  const struct token *t)
{
	const char *argv[10];
	size_t n = 0, i;

	if (!ts->cache || strcmp(t->source, "cache") || !refresh_due(t->expires_at) ||
	    (f->refreshable && !f->refreshable(f->ctx)) ||
	    !cache_refresh_claim(ts->cache, f->lock_api, f->lock_name,
				 f->lock_scope, REFRESH_RETRY_SECS))
		return;
	trace("token: %s's token lives %lld s more, less than RAXX_REFRESH_AHEAD "
	      "(%ld s): re-minting it in the background", t->bot,
	      (long long)(t->expires_at - now_seconds()), refresh_ahead_secs());
	argv[n++] = "git-credential-raxx";
	argv[n++] = "-q";
	for (i = 0; i < 6 && f->refresh_opts[i]; i++)
		argv[n++] = f->refresh_opts[i];
	argv[n++] = REFRESH_ACTION;
	argv[n] = NULL;
	refresh_spawn(NULL, argv);
}

/* refresh_now: nothing to do (not an exit code) */
#define REFRESH_NOTHING (-1)

/*
 * The background re-mint itself (token_refresh_ahead): under the entry's
 * lock, taken without waiting (another process minting is the refresh),
 * unless the token has been renewed meanwhile.
 */
static int refresh_now(struct token_source *ts, const struct flight *f,
		       struct token *out)
{
	struct cache *cache = token_source_cache(ts);
	int lock = -1, err = 0, ret;

	memset(out, 0, sizeof(*out));
	if (!cache)
		return REFRESH_NOTHING;
	if (cache_lock_token(cache, f->lock_api, f->lock_name, f->lock_scope,
			     now_ms(), &lock)) {
		trace("refresh ahead: another process holds the lock: its mint is "
		      "the refresh");
		raxx_clear_error();
		return REFRESH_NOTHING;
	}
	if (f->warm(ts, f->ctx, refresh_ahead_secs(), out, &err)) {
		trace("refresh ahead: the token was renewed meanwhile");
		cache_unlock(lock);
		token_release(out);
		return REFRESH_NOTHING;
	}
	ret = err ? err : f->cold(ts, f->ctx, out);
	cache_unlock(lock);
	return ret;
}

static int fly(struct token_source *ts, const struct flight *f,
	       struct token *out)
{
	struct cache *cache = token_source_cache(ts);
	long min_ttl = cache_min_ttl();
	int lock = -1, err = 0, ret;

	memset(out, 0, sizeof(*out));
	if (ts->refresh)
		return refresh_now(ts, f, out);
	if (f->warm(ts, f->ctx, min_ttl, out, &err)) {
		refresh_maybe(ts, f, out);
		return 0;
	}
	if (err)
		return err;
	if (cache && (ret = cache_lock_token(cache, f->lock_api, f->lock_name,
					     f->lock_scope, http_deadline(),
					     &lock)) > 0)
		goto failed;	/* waited for another process until the deadline */
	if (lock >= 0 && f->warm(ts, f->ctx, min_ttl, out, &err)) {
		cache_unlock(lock);	/* it minted while we waited */
		return 0;
	}
	ret = err ? err : f->cold(ts, f->ctx, out);
	cache_unlock(lock);
failed:
	if (ret && raxx_err_outage() && serve_stale(ts, f, out))
		return 0;
	return ret;
}

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
	from_entry(&e, b->id->bot, b->id->repo, "cache", out);
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
	ret = mint(ts, id->bot, &scope, out);
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
	const char *inherited;
	time_t exp;
	int ret;

	if (!id->repo && (inherited = child_token_inherited(ts->c->host, id->bot,
							     TOKEN_OUTAGE_MIN_TTL,
							     &exp))) {
		/* inside exec or the gh shim, which hold no vault identity
		 * but the token they were given */
		memset(out, 0, sizeof(*out));
		out->value = xstrdup(inherited);
		out->expires_at = exp;
		out->source = "given to this command";
		out->bot = xstrdup(id->bot);
		trace("token: %s's token as given to this command (%s)", id->bot,
		      TOKEN_FOR_ENV);
		return 0;
	}
	b.scope_key = identity_scope_key(id);
	f.lock_api = ts->c->api;
	f.lock_name = id->bot;
	f.lock_scope = b.scope_key;
	f.warm = bot_warm;
	f.cold = bot_cold;
	f.ctx = &b;
	bot_refresh_opts(ts, id, f.refresh_opts);
	ret = fly(ts, &f, out);
	free(b.scope_key);
	return ret;
}

int token_get_for_bot(struct token_source *ts, const char *bot,
		      struct token *out)
{
	struct identity id = { 0 };
	struct audit_event ev = { 0 };
	int ret;

	if (broker_of(ts))
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

/* ---------------------------------------------------------------- a handoff */

struct handoff_flight {
	const char *repo;	/* the request's, or NULL */
	struct handoff_ref ref;
	int capped;		/* warm found a token outliving the manifest */
	int own;		/* the process's own handoff (refresh ahead) */
};

/* A token capped to its manifest's end is not renewed by a re-mint. */
static int handoff_refreshable(void *ctx)
{
	const struct handoff_flight *h = ctx;

	return h->own && !h->capped;
}

/* A token entry's life is the token's own (for revoke); what the caller
 * gets never outlives the manifest. */
static void cap_to(struct token *t, const struct manifest *m)
{
	if (t->expires_at > m->expires_at)
		t->expires_at = m->expires_at;
}

static int handoff_warm(struct token_source *ts, void *ctx, long min_ttl,
			struct token *out, int *err)
{
	struct handoff_flight *h = ctx;
	struct cache *cache = token_source_cache(ts);
	struct manifest m;
	struct cache_entry e;
	char *scope;
	int hit = 0;

	if (handoff_manifest_cached(cache, &h->ref, &m))
		return 0;
	if ((*err = manifest_check_repo(&m, h->repo)))
		goto out;
	scope = manifest_token_scope_key(&m);
	if (cache_get_token(cache, ts->c->api, m.bot, scope, min_ttl, &e)) {
		from_entry(&e, m.bot, m.repo, "cache", out);
		h->capped = out->expires_at >= m.expires_at;
		cap_to(out, &m);
		hit = 1;
	}
	free(scope);
out:
	manifest_release(&m);
	return hit;
}

/* Keep a live token about to be replaced, so that a revoke still finds it. */
static void retire(struct cache *cache, const char *api, const char *bot,
		   const char *scope)
{
	struct cache_entry e;
	char fp[AUDIT_FP_LEN + 1];

	if (!cache_get_token(cache, api, bot, scope, 0, &e))
		return;
	audit_fingerprint(e.secret, fp);
	free(e.scope);
	e.scope = xstrfmt("%s retired=%s", scope, fp);
	cache_put_token(cache, &e);
	cache_entry_release(&e);
}

/* The vault's manifest, checked, then a token minted narrowed to it. */
static int handoff_cold(struct token_source *ts, void *ctx, struct token *out)
{
	struct handoff_flight *h = ctx;
	struct cache *cache = token_source_cache(ts);
	struct gh_permission perms[HANDOFF_MAX_PERMS];
	struct token_scope scope = { 0 };
	struct manifest m;
	struct cache_entry e;
	struct vault *v;
	char *key = NULL;
	int ret;

	if ((ret = token_source_vault(ts, &v, NULL)))
		return ret;
	ret = handoff_manifest_fetch(v, &h->ref, &m);
	keep_session(ts);
	if (ret == 1) {
		handoff_manifest_uncache(cache, &h->ref);
		return raxx_fail(RAXX_EHANDOFF, "handoff '%s' has no manifest at %s "
				 "(revoked, or never provisioned): refusing to "
				 "mint: provision it (git-credential-raxx handoff "
				 "provision --task-slug %s --repo OWNER/REPO), or "
				 "leave the handoff worktree (git-credential-raxx "
				 "handoff detach)", h->ref.slug, h->ref.where,
				 h->ref.slug);
	}
	if (ret)
		return ret;
	if ((ret = manifest_check_all(&m, h->ref.slug, now_seconds(),
				      h->ref.where))) {
		handoff_manifest_uncache(cache, &h->ref);
		goto out;
	}
	if ((ret = manifest_check_repo(&m, h->repo)))
		goto out;
	handoff_manifest_cache(cache, &h->ref, &m);
	key = manifest_token_scope_key(&m);
	/* (a refresh ahead wants a token that outlives its window) */
	if (cache && cache_get_token(cache, ts->c->api, m.bot, key,
				     ts->refresh ? refresh_ahead_secs() :
				     cache_min_ttl(), &e)) {
		from_entry(&e, m.bot, m.repo, "cache", out);
		cap_to(out, &m);
		goto out;
	}
	manifest_scope(&m, perms, &scope);
	if ((ret = mint(ts, m.bot, &scope, out)))
		goto out;
	/* recorded in the vault before it is handed out, for a revoke
	 * anywhere; when that fails it is revoked again (handoff_records.h) */
	if ((ret = handoff_record_mint(v, ts->gh, &h->ref, &m, ts->c->api,
				       out->value, out->expires_at))) {
		token_release(out);
		goto out;
	}
	if (cache) {
		retire(cache, ts->c->api, m.bot, key);
		memset(&e, 0, sizeof(e));
		e.api = ts->c->api;
		e.name = m.bot;
		e.scope = key;
		e.installation_id = out->installation_id ? out->installation_id :
			(char *)"";
		e.expires_at = out->expires_at;	/* the token's own, for revoke */
		e.secret = out->value;
		cache_put_token(cache, &e);	/* borrowed fields */
	}
	cap_to(out, &m);	/* git forgets it with the handoff */
out:
	free(key);
	manifest_release(&m);
	return ret;
}

int token_get_handoff(struct token_source *ts, const char *slug,
		      const char *repo, struct token *out)
{
	const struct vault_settings *vs;
	struct handoff_flight h = { repo, { 0 }, 0, 0 };
	struct flight f = { 0 };
	char safe[80];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!handoff_slug_ok(slug))
		return raxx_fail(RAXX_EHANDOFF, "handoff slug '%s' is not valid "
				 "(letters, digits, '-' and '_', at most %d): fix "
				 "RAXX_HANDOFF or raxx.handoff, or leave the handoff "
				 "worktree", sanitize(safe, sizeof(safe), slug),
				 HANDOFF_SLUG_MAX);
	if ((ret = token_source_vault(ts, NULL, &vs)))
		return ret;
	handoff_ref_init(&h.ref, vs, slug);
	f.lock_api = ts->c->api;
	f.lock_name = HANDOFF_LOCK_NAME;
	f.lock_scope = slug;
	f.warm = handoff_warm;
	f.cold = handoff_cold;
	f.ctx = &h;
	h.own = ts->c->id && ts->c->id->handoff && !strcmp(ts->c->id->handoff, slug);
	f.refreshable = handoff_refreshable;
	if (repo) {
		f.refresh_opts[0] = "--repo";
		f.refresh_opts[1] = repo;
	}
	ret = fly(ts, &f, out);
	handoff_ref_release(&h.ref);
	return ret;
}

/* ---------------------------------------------------------------- peek */

int token_peek(struct token_source *ts, struct token *out)
{
	const struct identity *id = ts->c->id;
	const struct vault_settings *vs;
	int hit = 0, err = 0;

	memset(out, 0, sizeof(*out));
	if (broker_of(ts))
		return broker_peek(ts->broker, ts->c, out);
	if (!token_source_cache(ts))
		return 0;
	if (id->handoff) {
		struct handoff_flight h = { id->repo, { 0 }, 0, 0 };

		if (!handoff_slug_ok(id->handoff) ||
		    token_source_vault(ts, NULL, &vs))
			return 0;
		handoff_ref_init(&h.ref, vs, id->handoff);
		hit = handoff_warm(ts, &h, 0, out, &err);
		handoff_ref_release(&h.ref);
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
	if (broker_of(ts))	/* it audits; its fallback decision waits */
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
