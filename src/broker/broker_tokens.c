/*
 * The broker's tokens (broker_int.h): held in guarded memory per (bot,
 * scope), minted in one flight per scope, handed out until they expire;
 * and the handoff manifests as last read.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker.h"
#include "broker_int.h"
#include "store/audit.h"
#include "token/handoff_manifest.h"
#include "services/http.h"
#include "base/log.h"
#include "token/token.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct tok_slot {		/* a token per (bot, scope) */
	char *bot, *scope;
	char *repo;		/* for answers, or NULL */
	char *inst;		/* the installation minted with, or NULL */
	char *tok;		/* guarded; NULL: none held */
	time_t expires_at;	/* local clock */
	int minting;		/* a flight is on: others wait */
	struct tok_slot *next;
};

struct manifest_slot {		/* a handoff's manifest, as last read */
	char *slug;
	char *json;		/* checked again at every use */
	struct manifest_slot *next;
};

/* under the held lock (broker_state.c) */
static struct tok_slot *toks;
static size_t nr_toks;
static struct manifest_slot *manifests;

static struct tok_slot *tok_find(const char *bot, const char *scope)
{
	struct tok_slot *s;

	for (s = toks; s; s = s->next)
		if (!strcmp(s->bot, bot) && !strcmp(s->scope, scope))
			return s;
	return NULL;
}

static struct tok_slot *tok_new(const char *bot, const char *scope)
{
	struct tok_slot *s = xcalloc(1, sizeof(*s));

	s->bot = xstrdup(bot);
	s->scope = xstrdup(scope);
	s->next = toks;
	toks = s;
	nr_toks++;
	return s;
}

static void tok_empty(struct tok_slot *s)
{
	broker_unguard_free(&s->tok);
	free(s->repo);
	free(s->inst);
	s->repo = s->inst = NULL;
	s->expires_at = 0;
}

/* Keep a live token about to be replaced under another scope, so that a
 * revoke still finds it (as token.c does with the cache). */
static void tok_retire(struct tok_slot *s)
{
	struct tok_slot *r;
	char fp[AUDIT_FP_LEN + 1], *plain, *scope;

	if (!s->tok || s->expires_at <= now_seconds())
		return;
	plain = broker_unguard(s->tok);
	audit_fingerprint(plain, fp);
	scope = xstrfmt("%s retired=%s", s->scope, fp);
	r = tok_find(s->bot, scope) ? NULL : tok_new(s->bot, scope);
	if (r) {
		r->tok = s->tok;
		s->tok = NULL;
		r->expires_at = s->expires_at;
		r->repo = s->repo ? xstrdup(s->repo) : NULL;
		r->inst = s->inst ? xstrdup(s->inst) : NULL;
	}
	free(scope);
	free_secret(plain);
}

/* Copy the token held in s into out (under the held lock). */
static void from_slot(const struct tok_slot *s, const char *source,
		      struct fresh *out)
{
	memset(out, 0, sizeof(*out));
	out->tok = broker_unguard(s->tok);
	out->expires_at = s->expires_at;
	out->inst = s->inst ? xstrdup(s->inst) : NULL;
	out->source = source;
}

static void into_slot(struct tok_slot *s, const char *repo, const struct fresh *f)
{
	tok_retire(s);
	tok_empty(s);
	s->tok = broker_guard(f->tok);
	s->expires_at = f->expires_at;
	s->repo = repo ? xstrdup(repo) : NULL;
	s->inst = f->inst ? xstrdup(f->inst) : NULL;
}

void broker_fresh_release(struct fresh *f)
{
	free_secret(f->tok);
	free(f->inst);
	memset(f, 0, sizeof(*f));
}

int broker_tok_copy(const char *bot, const char *scope, long min_ttl,
		    struct fresh *out)
{
	struct tok_slot *s;
	int hit = 0;

	broker_held_lock();
	s = tok_find(bot, scope);
	if (s && s->tok && s->expires_at - now_seconds() > min_ttl) {
		from_slot(s, "cache", out);
		hit = 1;
	}
	broker_held_unlock();
	return hit;
}

int broker_flight_claim(const char *bot, const char *scope, long min_ttl,
			struct fresh *out, struct tok_slot **slot, int *hit)
{
	int64_t t0 = now_ms(), deadline = http_deadline();
	struct tok_slot *s;

	*slot = NULL;
	*hit = 0;
	broker_held_lock();
	for (;;) {
		s = tok_find(bot, scope);
		if (s && s->tok && s->expires_at - now_seconds() > min_ttl) {
			from_slot(s, "cache", out);
			*hit = 1;
			broker_held_unlock();
			return 0;
		}
		if (!s || !s->minting)
			break;
		if (broker_held_wait_until(deadline)) {
			broker_held_unlock();
			return raxx_fail_outage(RAXX_EGITHUB, "gave up after %lld ms "
						"waiting for the broker's mint for %s in "
						"flight: retry, or raise RAXX_TIMEOUT",
						(long long)(now_ms() - t0), bot);
		}
	}
	if (!s) {
		if (nr_toks >= BROKER_MAX_TOKENS) {
			broker_held_unlock();
			return raxx_fail(RAXX_EINTERNAL, "the broker holds %d tokens "
					 "already: refusing another scope for %s "
					 "until some expire", BROKER_MAX_TOKENS, bot);
		}
		s = tok_new(bot, scope);
	}
	s->minting = 1;
	*slot = s;
	broker_held_unlock();
	return 0;
}

void broker_flight_land(struct tok_slot *s, const char *repo,
			const struct fresh *f)
{
	if (!s)
		return;
	broker_held_lock();
	if (f)
		into_slot(s, repo, f);
	s->minting = 0;
	broker_held_wake();
	broker_held_unlock();
}

int broker_serve_stale(const char *bot, const char *scope, struct fresh *out,
		       char *why, size_t n)
{
	struct tok_slot *s;
	int hit = 0;

	snprintf(why, n, "%s", raxx_errmsg());
	broker_held_lock();
	s = tok_find(bot, scope);
	if (s && s->tok && s->expires_at - now_seconds() >= TOKEN_OUTAGE_MIN_TTL) {
		from_slot(s, "stale", out);
		hit = 1;
	}
	broker_held_unlock();
	if (hit)
		raxx_clear_error();
	return hit;
}

struct held_token *broker_toks_collect(unsigned long uid, const char *bot,
				       const char *slug, const char *match,
				       size_t *nr)
{
	struct held_token *h = NULL;
	struct tok_slot *s;
	size_t n = 0;

	broker_held_lock();
	for (s = toks; s; s = s->next) {
		char *plain;

		if (!s->tok || s->expires_at <= now_seconds() ||
		    (bot && strcmp(s->bot, bot)) ||
		    !broker_policy_allows(&broker_conf.policy, broker_conf.owner,
					  uid, s->bot) ||
		    (slug && !manifest_scope_is_slug(s->scope, slug)))
			continue;
		plain = broker_unguard(s->tok);
		if (match && !secret_equal(plain, match)) {
			free_secret(plain);
			continue;
		}
		h = xrealloc(h, (n + 1) * sizeof(*h));
		h[n].bot = xstrdup(s->bot);
		h[n].scope = xstrdup(s->scope);
		h[n].repo = s->repo ? xstrdup(s->repo) : NULL;
		h[n].tok = plain;
		h[n].expires_at = s->expires_at;
		n++;
	}
	broker_held_unlock();
	*nr = n;
	return h;
}

void broker_held_tokens_release(struct held_token *h, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(h[i].bot);
		free(h[i].scope);
		free(h[i].repo);
		free_secret(h[i].tok);
	}
	free(h);
}

void broker_tok_drop_if_same(const char *bot, const char *scope, const char *tok)
{
	struct tok_slot *s;
	int same;

	broker_held_lock();
	s = tok_find(bot, scope);
	if (s && s->tok) {
		sodium_mprotect_readonly(s->tok);
		same = secret_equal(s->tok, tok);
		sodium_mprotect_noaccess(s->tok);
		if (same)
			tok_empty(s);
	}
	broker_held_unlock();
}

int broker_toks_live(void)
{
	struct tok_slot *s;
	int n = 0;

	broker_held_lock();
	for (s = toks; s; s = s->next)
		n += s->tok && s->expires_at > now_seconds();
	broker_held_unlock();
	return n;
}

void broker_toks_sweep(void)
{
	struct tok_slot **ps = &toks, *s;
	time_t wall = now_seconds();

	broker_held_lock();
	while ((s = *ps)) {
		if (!s->minting && (!s->tok || s->expires_at <= wall)) {
			*ps = s->next;
			tok_empty(s);
			free(s->bot);
			free(s->scope);
			free(s);
			nr_toks--;
			continue;
		}
		ps = &s->next;
	}
	broker_held_unlock();
}

void broker_toks_wipe(void)
{
	struct tok_slot *s;
	struct manifest_slot *m;

	while ((s = toks)) {
		toks = s->next;
		tok_empty(s);
		free(s->bot);
		free(s->scope);
		free(s);
	}
	while ((m = manifests)) {
		manifests = m->next;
		free(m->slug);
		free(m->json);
		free(m);
	}
}

static const char *manifest_find(const char *slug)
{
	struct manifest_slot *m;

	for (m = manifests; m; m = m->next)
		if (!strcmp(m->slug, slug))
			return m->json;
	return NULL;
}

char *broker_manifest_copy(const char *slug)
{
	char *json = NULL;

	broker_held_lock();
	if (manifest_find(slug))
		json = xstrdup(manifest_find(slug));
	broker_held_unlock();
	return json;
}

void broker_manifest_keep(const char *slug, const char *json)
{
	struct manifest_slot *m;

	broker_held_lock();
	for (m = manifests; m; m = m->next)
		if (!strcmp(m->slug, slug))
			break;
	if (!m) {
		m = xcalloc(1, sizeof(*m));
		m->slug = xstrdup(slug);
		m->next = manifests;
		manifests = m;
	}
	free(m->json);
	m->json = json ? xstrdup(json) : NULL;
	broker_held_unlock();
}
