/*
 * A handoff's token in the broker (broker_int.h): the vault's manifest
 * read in one flight per slug and checked by the whole policy, the
 * request fitted to it, the token minted narrowed to it; the manifest and
 * token held serve the next request, checked again.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "token/handoff_manifest.h"
#include "token/handoff_store.h"
#include "base/log.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int broker_manifest_held(const struct handoff_ref *ref, struct manifest *m)
{
	char *json;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	json = broker_manifest_copy(ref->slug);
	if (json && !manifest_parse(json, ref->where, m)) {
		if (!manifest_check_all(m, ref->slug, now_seconds(), ref->where))
			ret = 0;
		else
			manifest_release(m);
	}
	free(json);
	raxx_clear_error();
	return ret;
}

void broker_manifest_set(const char *slug, const struct manifest *m)
{
	char *json = m ? manifest_json(m) : NULL;

	broker_manifest_keep(slug, json);
	free(json);
}

/* What a handoff token may be: the manifest's repository, bot (granted to
 * this uid), and no longer than the manifest. */
static int handoff_fits(struct broker_request *r, const struct manifest *m)
{
	int ret;

	if ((ret = manifest_check_repo(m, r->id.repo)))
		return ret;
	if (!broker_allowed(r, m->bot))
		return broker_refuse_bot(r, m->bot);
	return 0;
}

/* The warm path of a handoff: the manifest read last, still sound and
 * fitting this request, and its held token. 1 with out, *bot, *repo set;
 * 0 (no manifest, or no token held); or -1 with *err set (a refusal). */
static int handoff_warm(struct broker_request *r, const struct handoff_ref *ref,
			struct fresh *out, char **bot, char **repo, int *err)
{
	struct manifest m;
	char *key;
	int hit = 0;

	if (broker_manifest_held(ref, &m))
		return 0;
	if ((*err = handoff_fits(r, &m))) {
		manifest_release(&m);
		return -1;
	}
	key = manifest_token_scope_key(&m);
	if (broker_tok_copy(m.bot, key, broker_conf.min_ttl, out)) {
		*bot = xstrdup(m.bot);
		*repo = xstrdup(m.repo);
		if (out->expires_at > m.expires_at)
			out->expires_at = m.expires_at;	/* git forgets it with the handoff */
		hit = 1;
	}
	free(key);
	manifest_release(&m);
	return hit;
}

/* During an outage: the manifest read last and its token that still lives
 * a minute. 1 when served; else 0, the outage still recorded. */
static int handoff_stale(struct broker_request *r, const struct handoff_ref *ref,
			 struct fresh *out, char **bot, char **repo)
{
	struct manifest m;
	char *key, why[1024], again[1024];
	int code = raxx_errcode(), hit = 0;

	snprintf(why, sizeof(why), "%s", raxx_errmsg());
	if (!broker_manifest_held(ref, &m)) {
		if (!handoff_fits(r, &m)) {
			key = manifest_token_scope_key(&m);
			raxx_fail_outage(code, "%s", why);
			if (broker_serve_stale(m.bot, key, out, again, sizeof(again))) {
				broker_stale_warning(r, m.bot, out, why);
				*bot = xstrdup(m.bot);
				*repo = xstrdup(m.repo);
				if (out->expires_at > m.expires_at)
					out->expires_at = m.expires_at;
				hit = 1;
			}
			free(key);
		}
		manifest_release(&m);
	}
	if (!hit)
		raxx_fail_outage(code, "%s", why);	/* the outage stands */
	return hit;
}

int broker_handoff_token(struct broker_request *r, struct fresh *out, char **bot,
			 char **repo)
{
	const char *slug = r->id.handoff;
	struct handoff_ref ref;
	struct manifest m;
	struct gh_permission perms[HANDOFF_MAX_PERMS];
	struct token_scope scope = { 0 };
	struct tok_slot *flight = NULL, *s = NULL;
	struct vault *v;
	char *key = NULL;
	int ret = 0, hit, have_m = 0;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	*bot = *repo = NULL;
	handoff_ref_init(&ref, &broker_conf.vs, slug);
	if ((hit = handoff_warm(r, &ref, out, bot, repo, &ret)))
		goto out;
	if ((ret = broker_flight_claim(HANDOFF_LOCK_NAME, slug, 0, out, &flight,
				       &hit)))
		goto stale;
	/* another request may have minted while this one waited */
	if ((hit = handoff_warm(r, &ref, out, bot, repo, &ret)))
		goto land;
	if (!(v = broker_vault_open())) {
		ret = raxx_errcode();
		goto land;
	}
	ret = handoff_manifest_fetch(v, &ref, &m);
	broker_vault_close(v);
	if (ret == 1) {
		broker_manifest_set(slug, NULL);
		ret = raxx_fail(RAXX_EHANDOFF, "handoff '%s' has no manifest at %s "
				"(revoked, or never provisioned): refusing to mint: "
				"provision it (git-credential-raxx handoff provision "
				"--task-slug %s --repo OWNER/REPO), or leave the "
				"handoff worktree (git-credential-raxx handoff detach)",
				slug, ref.where, slug);
		goto land;
	}
	if (ret)
		goto land;
	have_m = 1;
	if ((ret = manifest_check_all(&m, slug, now_seconds(), ref.where))) {
		broker_manifest_set(slug, NULL);
		goto land;
	}
	if ((ret = handoff_fits(r, &m)))
		goto land;
	broker_manifest_set(slug, &m);
	key = manifest_token_scope_key(&m);
	if ((ret = broker_flight_claim(m.bot, key, broker_conf.min_ttl, out, &s,
				       &hit)))
		goto land;
	if (!hit) {
		manifest_scope(&m, perms, &scope);
		ret = broker_mint(m.bot, &scope, NULL, out);
		broker_flight_land(s, m.repo, ret ? NULL : out);
	}
	if (!ret) {
		*bot = xstrdup(m.bot);
		*repo = xstrdup(m.repo);
		if (out->expires_at > m.expires_at)
			out->expires_at = m.expires_at;	/* git forgets it with the handoff */
	}
land:
	broker_flight_land(flight, NULL, NULL);
stale:
	if (ret && raxx_err_outage() && handoff_stale(r, &ref, out, bot, repo))
		ret = 0;
out:
	if (have_m)
		manifest_release(&m);
	free(key);
	handoff_ref_release(&ref);
	return ret;
}
