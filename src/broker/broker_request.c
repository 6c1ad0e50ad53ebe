/*
 * A request to the broker (broker_int.h): the client's identity read and
 * checked against the broker's own API, host and uid policy, what it is
 * narrowed to, and the answers: a token, an error, the fallback decided
 * here; the audit event written after the answer.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "store/audit.h"
#include "token/broker_client.h"
#include "token/broker_wire.h"
#include "token/fallback.h"
#include "token/handoff_store.h"
#include "services/http.h"
#include "identity/identity.h"
#include "base/log.h"
#include "base/protocol.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void broker_request_release(struct broker_request *r)
{
	size_t i;

	free(r->audit.bot);
	free(r->audit.repo);
	free_secret(r->audit.tok);
	free(r->audit.reason);
	memset(&r->audit, 0, sizeof(r->audit));
	free(r->id.bot);
	free(r->id.agent);
	free(r->id.handoff);
	free(r->id.repo);
	for (i = 0; i < r->id.nr_perms; i++) {
		free(r->id.perms[i].name);
		free(r->id.perms[i].level);
	}
	free(r->id.perms);
	memset(&r->id, 0, sizeof(r->id));
}

int broker_check_target(const struct broker_request *r)
{
	const char *api = broker_msg_get(r->in, "api");
	const char *host = broker_msg_get(r->in, "host");

	if (!api || strcmp(api, broker_conf.c->api))
		return raxx_fail(RAXX_EVAULT, "this broker mints for the GitHub API "
				 "'%s', not '%s': set RAXX_GITHUB_API alike, or use "
				 "a broker of that API", broker_conf.c->api,
				 api ? api : "");
	if (!host || !credential_host_matches(host, broker_conf.c->host))
		return raxx_fail(RAXX_EVAULT, "this broker answers for the git host "
				 "'%s', not '%s': set RAXX_GITHUB_HOST alike",
				 broker_conf.c->host, host ? host : "");
	return 0;
}

int broker_bad_field(const char *key, const char *value)
{
	char safe[80];

	return raxx_fail(RAXX_EUSAGE, "request field %s '%s' is not valid", key,
			 sanitize(safe, sizeof(safe), value));
}

int broker_read_identity(struct broker_request *r)
{
	const char *bot = broker_msg_get(r->in, "bot");
	const char *src = broker_msg_get(r->in, "bot_source");
	const char *agent = broker_msg_get(r->in, "agent");
	const char *handoff = broker_msg_get(r->in, "handoff");
	const char *repo = broker_msg_get(r->in, "repo");
	const char *fb = broker_msg_get(r->in, "fallback");
	const char *p;
	char *norm = NULL;
	size_t i;
	int source;

	if (bot && *bot && !bot_name_ok(bot))
		return broker_bad_field("bot", bot);
	if (agent && *agent && !bot_name_ok(agent))
		return broker_bad_field("agent", agent);
	if (handoff && *handoff && !handoff_slug_ok(handoff))
		return raxx_fail(RAXX_EHANDOFF, "handoff slug '%.64s' is not valid: "
				 "letters, digits, '-' and '_'", handoff);
	if (repo && *repo && (credential_repo(repo, &norm) || strcmp(norm, repo))) {
		free(norm);
		return broker_bad_field("repo", repo);
	}
	free(norm);
	source = src ? broker_source_parse(src) : BOT_OPTION;
	if (source < 0)
		return broker_bad_field("bot_source", src);
	r->id.source = (enum bot_source)source;
	r->fallback = !fb || !strcmp(fb, "pat") ? FALLBACK_PAT :
		!strcmp(fb, "pass") ? FALLBACK_PASS : FALLBACK_DENY;
	r->id.bot = bot && *bot ? xstrdup(bot) : NULL;
	r->id.agent = agent && *agent ? xstrdup(agent) : NULL;
	r->id.handoff = handoff && *handoff ? xstrdup(handoff) : NULL;
	r->id.repo = repo && *repo ? xstrdup(repo) : NULL;
	r->repo_hint = broker_msg_get(r->in, "repo_hint");
	if (r->repo_hint && credential_repo(r->repo_hint, &norm))
		r->repo_hint = NULL;
	free(norm);
	if (r->id.source == BOT_NONE && r->id.bot)
		r->id.source = BOT_OPTION;
	for (i = 0; (p = broker_msg_nth(r->in, "permission", i)); i++) {
		struct broker_perm bp;

		if (broker_perm_parse(p, &bp))
			return broker_bad_field("permission", p);
		r->id.perms = xrealloc(r->id.perms, (i + 1) * sizeof(*r->id.perms));
		r->id.perms[i].name = bp.name;
		r->id.perms[i].level = bp.level;
		r->id.nr_perms = i + 1;
	}
	r->bot_shown = r->id.handoff ? r->id.handoff : r->id.bot;
	return 0;
}

int broker_refuse_bot(const struct broker_request *r, const char *bot)
{
	return raxx_fail(RAXX_EVAULT, "uid %lu may not have %s's tokens from this "
			 "broker: ask its operator to grant it in RAXX_BROKER_UIDS "
			 "(%lu:%s)", r->uid, bot, r->uid, bot);
}

void broker_scope_hold_release(struct scope_hold *h)
{
	free(h->key);
	free(h->gp);
	broker_perms_release(h->eff, h->nr_eff);
	memset(h, 0, sizeof(*h));
}

int broker_request_scope(const struct broker_request *r, struct scope_hold *h)
{
	const struct agent_map_bot *mb;
	struct broker_perm *asked, *ceil = NULL;
	const struct broker_perm *bad;
	struct strbuf sb = STRBUF_INIT;
	size_t i, nr_ceil = 0, nr_asked = r->id.nr_perms;
	int ret = 0;

	memset(h, 0, sizeof(*h));
	asked = xcalloc(nr_asked + 1, sizeof(*asked));
	for (i = 0; i < nr_asked; i++) {
		asked[i].name = r->id.perms[i].name;
		asked[i].level = r->id.perms[i].level;
	}
	if (r->uid == broker_conf.owner) {
		if (!r->id.repo)
			nr_asked = 0;
	} else if ((mb = agent_map_find_bot(&broker_conf.map, r->id.bot)) &&
		   mb->nr_perms) {
		ceil = xcalloc(mb->nr_perms, sizeof(*ceil));
		for (i = 0; i < mb->nr_perms; i++) {
			ceil[i].name = mb->perms[i].name;
			ceil[i].level = mb->perms[i].level;
		}
		nr_ceil = mb->nr_perms;
	}
	/* copies: the owner's as asked, a granted uid's within the ceiling */
	if (broker_perms_narrow(asked, nr_asked, ceil, nr_ceil, &h->eff,
				&h->nr_eff, &bad))
		ret = raxx_fail(RAXX_EVAULT, "uid %lu asked for %s:%s, beyond %s's "
				"permissions in the broker's map %s: refused", r->uid,
				bad->name, bad->level, r->id.bot, broker_conf.map_where);
	free(ceil);
	free(asked);
	if (ret)
		return ret;
	if (r->id.repo || h->nr_eff)
		sb_adds(&sb, r->id.repo ? r->id.repo : "");
	for (i = 0; i < h->nr_eff; i++)
		sb_addf(&sb, "%c%s=%s", i ? ',' : ' ', h->eff[i].name, h->eff[i].level);
	h->key = sb_detach(&sb);
	h->scope.repo = r->id.repo;
	if (h->nr_eff) {
		h->gp = xcalloc(h->nr_eff, sizeof(*h->gp));
		for (i = 0; i < h->nr_eff; i++) {
			h->gp[i].name = h->eff[i].name;
			h->gp[i].level = h->eff[i].level;
		}
		h->scope.perms = h->gp;
		h->scope.nr_perms = h->nr_eff;
	}
	return 0;
}

int broker_allowed(const struct broker_request *r, const char *bot)
{
	return broker_policy_allows(&broker_conf.policy, broker_conf.owner, r->uid,
				    bot);
}

void broker_stale_warning(struct broker_request *r, const char *bot,
			  const struct fresh *f, const char *why)
{
	snprintf(r->warn, sizeof(r->warn), "minting for %s failed (%.300s); serving "
		 "its token held by the broker, which lives %lld s more, until "
		 "then", bot, why, (long long)(f->expires_at - now_seconds()));
}

void broker_answer_fresh(struct broker_request *r, const char *bot, const char *repo,
			 const struct fresh *f)
{
	broker_msg_add(r->out, "status", "ok");
	broker_msg_add(r->out, "token", f->tok);
	broker_msg_addf(r->out, "expires_at", "%lld", (long long)f->expires_at);
	broker_msg_add(r->out, "bot", bot);
	broker_msg_add(r->out, "repo", repo);
	broker_msg_add(r->out, "installation_id", f->inst);
	broker_msg_add(r->out, "source", f->source);
	if (*r->warn)
		broker_msg_add(r->out, "warning", r->warn);
}

void broker_answer_error(struct broker_request *r)
{
	char msg[1024];
	int code = raxx_errcode() ? raxx_errcode() : RAXX_EINTERNAL;

	/* one line: the sink's sanitiser, applied before it travels */
	snprintf(msg, sizeof(msg), "%s", *raxx_errmsg() ? raxx_errmsg() : "failed");
	sanitize_text(msg);
	broker_msg_release(r->out);
	broker_msg_add(r->out, "status", "error");
	broker_msg_addf(r->out, "code", "%d", code);
	broker_msg_add(r->out, "outage", raxx_err_outage() ? "1" : "0");
	broker_msg_add(r->out, "message", msg);
}

static int strictness(enum fallback f)
{
	return f == FALLBACK_DENY ? 2 : f == FALLBACK_PASS ? 1 : 0;
}

void broker_answer_fallback(struct broker_request *r)
{
	struct raxx_config rc = *broker_conf.c;
	struct fallback_decision d;

	rc.id = &r->id;
	if (strictness(r->fallback) > strictness(broker_conf.c->fallback))
		rc.fallback = r->fallback;
	fallback_decide(&rc, &d);
	if (d.action == FALLBACK_USE_PAT && r->uid != broker_conf.owner) {
		d.action = FALLBACK_ANSWER_NOTHING;
		d.pat = NULL;
		snprintf(d.why, sizeof(d.why), "the broker gives the operator token "
			 "to its own user only");
	}
	broker_msg_add(r->out, "fallback", d.action == FALLBACK_USE_PAT ? "use-pat" :
		       d.action == FALLBACK_ANSWER_NOTHING ? "answer-nothing" :
		       "refuse");
	broker_msg_add(r->out, "fallback_why", d.why);
	if (d.action == FALLBACK_USE_PAT)
		broker_msg_add(r->out, "password", d.pat);
}

void broker_audit_token(struct broker_request *r, int ret, const char *bot,
			const char *repo, const struct fresh *f)
{
	const char *b = ret ? r->id.bot : bot, *rp = ret ? r->id.repo : repo;

	if (ret)
		r->audit.reason = xstrdup(raxx_errmsg());
	else if (r->id.handoff)
		r->audit.reason = xstrfmt("handoff %s, broker uid %lu", r->id.handoff,
					  r->uid);
	else
		r->audit.reason = xstrfmt("broker uid %lu%s", r->uid,
					  !strcmp(f->source, "stale") ?
					  ", held token during an outage" : "");
	r->audit.event = ret ? "fail" : !strcmp(f->source, "mint") ? "mint" : "reuse";
	r->audit.bot = b ? xstrdup(b) : NULL;
	r->audit.repo = rp ? xstrdup(rp) : NULL;
	r->audit.tok = ret ? NULL : xstrdup(f->tok);
	r->audit.expires_at = ret ? 0 : f->expires_at;
}

void broker_audit_flush(struct broker_request *r)
{
	struct audit_event ev = { 0 };

	if (!r->audit.event)
		return;
	ev.event = r->audit.event;
	ev.bot = r->audit.bot;
	ev.agent = r->id.agent;
	ev.host = broker_conf.c->host;
	ev.repo = r->audit.repo;
	ev.token = r->audit.tok;
	ev.expires_at = r->audit.expires_at;
	ev.reason = r->audit.reason;
	audit_write(&ev);
}

int broker_set_deadline(const struct broker_request *r)
{
	const char *t = broker_msg_get(r->in, "timeout_ms");
	long ms = broker_conf.timeout_s * 1000, client;

	if (t && !parse_long(t, 0, LONG_MAX / 2, &client) && client - 100 < ms)
		ms = client > 200 ? client - 100 : 100;
	http_set_deadline(now_ms() + ms);
	return 0;
}
