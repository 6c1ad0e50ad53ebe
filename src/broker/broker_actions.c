/*
 * What the broker does for a request (broker_int.h): the wire version
 * checked, then the action: a token, the token held (peek), erase, revoke
 * or the broker's status.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "store/audit.h"
#include "token/broker_wire.h"
#include "services/github.h"
#include "token/handoff_manifest.h"
#include "token/handoff_store.h"
#include "base/log.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int do_token(struct broker_request *r)
{
	struct fresh f = { 0 };
	char *bot = NULL, *repo = NULL;
	int ret;

	if ((ret = broker_check_target(r)) || (ret = broker_read_identity(r)))
		goto fail;
	if (!r->id.bot && !r->id.handoff) {
		ret = raxx_fail(RAXX_EVAULT, "no bot in the request: pass --bot or "
				"--agent, or set raxx.bot / raxx.agent "
				"(git-credential-raxx setup)");
		goto fail;
	}
	broker_set_deadline(r);
	if (r->id.handoff) {
		ret = broker_handoff_token(r, &f, &bot, &repo);
	} else {
		ret = broker_bot_token(r, &f);
		bot = xstrdup(r->id.bot);
		repo = r->id.repo ? xstrdup(r->id.repo) : NULL;
	}
	broker_audit_token(r, ret, bot, repo, &f);
	if (ret)
		goto fail;
	broker_answer_fresh(r, bot, repo, &f);
	snprintf(r->outcome, sizeof(r->outcome), "%s%s",
		 !strcmp(f.source, "mint") ? "minted" : !strcmp(f.source, "stale") ?
		 "held token, during an outage" : "held token",
		 r->id.handoff ? " (handoff)" : "");
	free(bot);
	free(repo);
	broker_fresh_release(&f);
	return 0;
fail:
	broker_answer_error(r);
	if (r->id.bot || r->id.handoff)
		broker_answer_fallback(r);
	snprintf(r->outcome, sizeof(r->outcome), "failed (exit %d)", ret);
	free(bot);
	free(repo);
	broker_fresh_release(&f);
	return ret;
}

/* status: c->id's held token, from memory alone. */
static int do_peek(struct broker_request *r)
{
	struct scope_hold h = { 0 };
	struct handoff_ref ref;
	struct manifest m;
	struct fresh f = { 0 };
	const char *bot = NULL, *repo = NULL;
	char *key = NULL;
	int ret, have_m = 0;

	if ((ret = broker_check_target(r)) || (ret = broker_read_identity(r)))
		goto fail;
	if (r->id.handoff) {
		handoff_ref_init(&ref, &broker_conf.vs, r->id.handoff);
		if (!broker_manifest_held(&ref, &m)) {
			have_m = 1;
			if (broker_allowed(r, m.bot) && !manifest_check_repo(&m, r->id.repo)) {
				key = manifest_token_scope_key(&m);
				bot = m.bot;
				repo = m.repo;
			}
		}
		handoff_ref_release(&ref);
	} else if (r->id.bot && broker_allowed(r, r->id.bot) && !broker_request_scope(r, &h)) {
		key = xstrdup(h.key);
		bot = r->id.bot;
		repo = r->id.repo;
	}
	raxx_clear_error();
	if (key)
		broker_tok_copy(bot, key, 0, &f);
	if (f.tok) {
		if (have_m && f.expires_at > m.expires_at)
			f.expires_at = m.expires_at;
		broker_answer_fresh(r, bot, repo, &f);
		snprintf(r->outcome, sizeof(r->outcome), "held token");
	} else {
		broker_msg_add(r->out, "status", "none");
		snprintf(r->outcome, sizeof(r->outcome), "none held");
	}
	if (have_m)
		manifest_release(&m);
	broker_scope_hold_release(&h);
	broker_fresh_release(&f);
	free(key);
	return 0;
fail:
	broker_answer_error(r);
	snprintf(r->outcome, sizeof(r->outcome), "failed (exit %d)", ret);
	return ret;
}

static void audit_held(const struct broker_request *r, const char *event,
		       const struct held_token *h, const char *reason)
{
	struct audit_event ev = { 0 };
	char why[200];

	snprintf(why, sizeof(why), "%s%sbroker uid %lu", reason ? reason : "",
		 reason ? "; " : "", r->uid);
	ev.event = event;
	ev.bot = h->bot;
	ev.agent = broker_msg_get(r->in, "agent");
	ev.host = broker_conf.c->host;
	ev.repo = h->repo;
	ev.token = h->tok;
	ev.expires_at = h->expires_at;
	ev.reason = why;
	audit_write(&ev);
}

/* erase: git rejected this password; forget it wherever it is held. */
static int do_erase(struct broker_request *r)
{
	const char *pw = broker_msg_get(r->in, "password");
	struct held_token *h = NULL;
	size_t i, nr = 0;

	if (pw && *pw)
		h = broker_toks_collect(r->uid, NULL, NULL, pw, &nr);
	for (i = 0; i < nr; i++) {
		broker_tok_drop_if_same(h[i].bot, h[i].scope, h[i].tok);
		audit_held(r, "erase", &h[i], "git rejected the token");
	}
	broker_msg_add(r->out, "status", "ok");
	broker_msg_addf(r->out, "dropped", "%zu", nr);
	snprintf(r->outcome, sizeof(r->outcome), "dropped %zu", nr);
	broker_held_tokens_release(h, nr);
	return 0;
}

/*
 * revoke: every live token held here of the bot (or of the handoff slug,
 * whose manifest is forgotten too), at GitHub, then dropped. For a slug,
 * holding none is no failure: `handoff revoke` asks every time.
 */
static int do_revoke(struct broker_request *r)
{
	const char *bot = broker_msg_get(r->in, "bot");
	const char *slug = broker_msg_get(r->in, "handoff");
	struct github *gh = NULL;
	struct held_token *h = NULL;
	size_t i, nr = 0;
	int ret = 0, revoked = 0, failed = 0;

	if ((ret = broker_check_target(r)))
		goto fail;
	if (slug) {
		if (!handoff_slug_ok(slug)) {
			ret = broker_bad_field("handoff", slug);
			goto fail;
		}
		r->bot_shown = slug;
		broker_manifest_set(slug, NULL);
	} else if (!bot || !bot_name_ok(bot)) {
		ret = broker_bad_field("bot", bot ? bot : "");
		goto fail;
	} else if (!broker_allowed(r, bot)) {
		r->bot_shown = bot;
		ret = broker_refuse_bot(r, bot);
		goto fail;
	} else {
		r->bot_shown = bot;
	}
	broker_set_deadline(r);
	h = broker_toks_collect(r->uid, slug ? NULL : bot, slug, NULL, &nr);
	if (nr && !(gh = broker_gh_take())) {
		ret = raxx_errcode();
		goto fail;
	}
	for (i = 0; i < nr; i++) {
		int rc = github_revoke_token(gh, h[i].tok);

		if (rc == 0 || rc == 1) {
			broker_tok_drop_if_same(h[i].bot, h[i].scope, h[i].tok);
			audit_held(r, "revoke", &h[i], rc ? "GitHub no longer knew it" :
				   slug ? "handoff revoke" : NULL);
			revoked++;
		} else if (!failed) {
			failed = rc;	/* its message is recorded */
		}
	}
	broker_gh_give(gh);
	if (failed) {
		ret = failed;
		goto fail;
	}
	if (!revoked && !slug) {
		ret = raxx_fail(RAXX_ENOTHING, "the broker holds no live token of %s: "
				"nothing to revoke", bot);
		goto fail;
	}
	broker_msg_add(r->out, "status", "ok");
	broker_msg_addf(r->out, "revoked", "%d", revoked);
	snprintf(r->outcome, sizeof(r->outcome), "revoked %d", revoked);
	broker_held_tokens_release(h, nr);
	return 0;
fail:
	broker_held_tokens_release(h, nr);
	broker_answer_error(r);
	snprintf(r->outcome, sizeof(r->outcome), "failed (exit %d)", ret);
	return ret;
}

/* status: what the broker is, and how much it holds (never a value). */
static int do_status(struct broker_request *r)
{
	char *policy = broker_policy_text(&broker_conf.policy, broker_conf.owner);
	int keys, toks, session;

	keys = broker_keys_held();
	toks = broker_toks_live();
	session = broker_session_held();
	broker_msg_add(r->out, "status", "ok");
	broker_msg_add(r->out, "version", RAXX_VERSION);
	broker_msg_addf(r->out, "pid", "%ld", (long)getpid());
	broker_msg_addf(r->out, "uid", "%lu", broker_conf.owner);
	broker_msg_add(r->out, "policy", policy);
	broker_msg_addf(r->out, "keys_held", "%d", keys);
	broker_msg_addf(r->out, "tokens_held", "%d", toks);
	broker_msg_addf(r->out, "key_ttl", "%ld", broker_conf.key_ttl);
	broker_msg_add(r->out, "vault_session", session ? "held" : "none");
	broker_msg_add(r->out, "api", broker_conf.c->api);
	broker_msg_add(r->out, "host", broker_conf.c->host);
	broker_msg_add(r->out, "map", broker_conf.map_where);
	snprintf(r->outcome, sizeof(r->outcome), "%d keys, %d tokens held", keys,
		 toks);
	free(policy);
	return 0;
}

void broker_act(struct broker_request *r, const char *act)
{
	const char *action = broker_msg_get(r->in, "action");
	const char *version = broker_msg_get(r->in, "version");

	if (!version || strcmp(version, BROKER_WIRE_VERSION)) {
		raxx_fail(RAXX_EUSAGE, "request of wire version '%.8s', this broker "
			  "speaks %s: run the same git-credential-raxx on both sides",
			  version ? version : "", BROKER_WIRE_VERSION);
		broker_answer_error(r);
		snprintf(r->outcome, sizeof(r->outcome), "refused: wire version");
	} else if (action && !strcmp(action, "token")) {
		do_token(r);
	} else if (action && !strcmp(action, "peek")) {
		do_peek(r);
	} else if (action && !strcmp(action, "erase")) {
		do_erase(r);
	} else if (action && !strcmp(action, "revoke")) {
		do_revoke(r);
	} else if (action && !strcmp(action, "status")) {
		do_status(r);
	} else {
		raxx_fail(RAXX_EUSAGE, "unknown action '%s': token, peek, erase, "
			  "revoke or status", act);
		broker_answer_error(r);
		snprintf(r->outcome, sizeof(r->outcome), "refused: unknown action");
	}
}
