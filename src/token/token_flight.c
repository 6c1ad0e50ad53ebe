/*
 * The token source and its single flight (token_internal.h): the pieces
 * the calls share (the cache, the vault, GitHub, a broker), the mint
 * itself, and fly(), the single flight both paths use:
 *
 *   warm -> lock -> warm again -> cold -> unlock
 *        -> (an outage) a cached token that still lives a minute
 *
 * The contract is in token.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "token_internal.h"
#include "broker_client.h"
#include "store/cache.h"
#include "store/clientsecret.h"
#include "services/github.h"
#include "services/http.h"
#include "base/log.h"
#include "mint.h"
#include "identity/owners.h"
#include "refresh.h"
#include "base/util.h"
#include "services/vault.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct token_source *token_source_open(struct raxx_config *c)
{
	struct token_source *ts = xcalloc(1, sizeof(*ts));

	ts->c = c;
	return ts;
}

/* A vault session logged in here is handed to the cache, so the next
 * process skips the login. */
void token_keep_session(struct token_source *ts)
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
	token_keep_session(ts);
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
	token_keep_session(ts);
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
void token_from_entry(struct cache_entry *e, const char *bot,
		      const char *repo, const char *source, struct token *out)
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

int token_fly(struct token_source *ts, const struct flight *f,
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
