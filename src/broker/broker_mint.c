/*
 * Minting in the broker (broker_int.h): a token from GitHub with the App
 * key held (or the vault's), and a bot's token for a request, held or
 * minted in one flight per scope.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "services/github.h"
#include "base/log.h"
#include "token/mint.h"
#include "base/util.h"

#include <string.h>

int broker_mint(const char *bot, const struct token_scope *scope,
		const char *repo_hint, struct fresh *out)
{
	struct mint_clients mc = { 0 };
	struct mint_request rq = { 0 };
	struct gh_token tok = { 0 };
	struct key_use u;
	int64_t t0 = now_ms();
	int ret, again;

	memset(out, 0, sizeof(*out));
	if (!(mc.gh = broker_gh_take()))
		return raxx_errcode();
	mc.vs = &broker_conf.vs;
	mc.api = broker_conf.c->api;
	mc.host = broker_conf.c->host;
	mc.owners = &broker_conf.owners;
	rq.bot = bot;
	rq.scope = scope;
	rq.repo_hint = repo_hint;
	for (again = 0; again < 2; again++) {
		if ((ret = broker_key_get(bot, again, &u)))
			break;
		ret = mint_with_key(&mc, &rq, u.key, u.app_id, u.vault_inst, u.path,
				    &tok, &out->inst);
		if (!ret || !u.held || (ret != RAXX_EAPPCRED && ret != RAXX_ENOINST)) {
			broker_key_use_release(&u);
			break;
		}
		info("broker: GitHub refused %s's held App key (%s): fetching it "
		     "again from the vault", bot, raxx_errmsg());
		broker_key_use_release(&u);
	}
	if (!ret) {
		out->tok = tok.token;
		out->expires_at = tok.expires_at;
		out->source = "mint";
		trace("broker: minted a token for %s in %lld ms (GitHub %d requests)",
		      bot, (long long)(now_ms() - t0), github_requests(mc.gh));
	}
	broker_gh_give(mc.gh);
	return ret;
}

int broker_bot_token(struct broker_request *r, struct fresh *out)
{
	struct scope_hold h;
	struct tok_slot *s;
	char why[1024];
	int ret, hit;

	memset(out, 0, sizeof(*out));
	if (!broker_allowed(r, r->id.bot))
		return broker_refuse_bot(r, r->id.bot);
	if ((ret = broker_request_scope(r, &h)))
		return ret;
	ret = broker_flight_claim(r->id.bot, h.key, broker_conf.min_ttl, out, &s,
				  &hit);
	if (!ret && !hit) {
		ret = broker_mint(r->id.bot, &h.scope, r->repo_hint, out);
		broker_flight_land(s, r->id.repo, ret ? NULL : out);
	}
	if (ret && raxx_err_outage() &&
	    broker_serve_stale(r->id.bot, h.key, out, why, sizeof(why))) {
		broker_stale_warning(r, r->id.bot, out, why);
		ret = 0;
	}
	broker_scope_hold_release(&h);
	return ret;
}
