/*
 * handoff revoke: the manifest deleted first, so that nobody mints for
 * the slug any more, then every token of it revoked: those recorded in the
 * vault (minted on any machine), those in this machine's cache, and those
 * of a token broker in use (handoff.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_cmd.h"
#include "store/audit.h"
#include "token/broker_client.h"
#include "store/cache.h"
#include "cli/cli.h"
#include "services/github.h"
#include "token/handoff_records.h"
#include "services/http.h"
#include "base/log.h"
#include "services/vault.h"

#include <string.h>

/* What `handoff revoke` did, and its first failure. */
struct revoke_tally {
	int found, revoked, records, failed;
	char failmsg[1024];
	struct strbuf done;	/* fingerprints revoked or found dead, " fp" each */
};

static void tally_fail(struct revoke_tally *t, int code, const char *fmt, ...)
	RAXX_PRINTF(3, 4);
static void tally_fail(struct revoke_tally *t, int code, const char *fmt, ...)
{
	va_list ap;

	if (t->failed)
		return;
	t->failed = code;
	va_start(ap, fmt);
	vsnprintf(t->failmsg, sizeof(t->failmsg), fmt, ap);
	va_end(ap);
}

static int tally_done(const struct revoke_tally *t, const char *fp)
{
	char word[AUDIT_FP_LEN + 2];

	snprintf(word, sizeof(word), " %s", fp);
	return strstr(sb_str(&t->done), word) != NULL;
}

/* A GitHub client for api: gh (made on first need) for RAXX_GITHUB_API,
 * a passing one for another; release it with put_github. */
static struct github *get_github(struct raxx_config *c, struct github **gh,
				 const char *api)
{
	if (strcmp(api, c->api))
		return github_new(api);
	if (!*gh)
		*gh = github_new(c->api);
	return *gh;
}

static void put_github(struct github *g, struct github *gh)
{
	if (g != gh)
		github_free(g);
}

/*
 * The tokens recorded in the vault (handoff_records.h), from every
 * machine: each live one revoked at GitHub with itself, and each record
 * deleted once its token is dead (revoked, unknown to GitHub, expired)
 * or when it holds no token at all.
 */
static void revoke_records(struct ho *h, struct github **gh,
			   struct revoke_tally *t)
{
	struct raxx_config *c = h->c;
	struct handoff_record *recs = NULL;
	time_t now = now_seconds();
	size_t i, nr = 0;
	int r;

	if ((r = ho_vault(h)) || (r = handoff_records_list(h->v, &h->ref, &recs,
							   &nr)) > 1) {
		warning("the tokens recorded in the vault at %s are not revoked: %s",
			h->ref.folder, raxx_errmsg());
		tally_fail(t, r, "the tokens recorded in the vault at %s are not "
			   "revoked (run this again when the vault answers): %s",
			   h->ref.folder, raxx_errmsg());
		return;
	}
	for (i = 0; i < nr; i++) {
		struct handoff_record *rec = &recs[i];
		const char *bot = rec->bot ? rec->bot : "?";
		const char *repo = rec->repo ? rec->repo : "?";
		struct github *g;

		t->found++;
		if (!rec->token) {
			warning("record %s/%s holds no token raxx can read: deleted",
				h->ref.folder, rec->name);
		} else if (handoff_record_expired(rec, now)) {
			ho_say("  token %s of %s for %s (recorded in the vault) had "
			       "expired", rec->fp, bot, repo);
			sb_addf(&t->done, " %s", rec->fp);
		} else {
			g = get_github(c, gh, rec->api ? rec->api : c->api);
			r = g ? github_revoke_token(g, rec->token) : raxx_errcode();
			put_github(g, *gh);
			if (r > 1) {
				tally_fail(t, r, "token %s of %s is not revoked (its "
					   "record stays in the vault; run this again): "
					   "%s", rec->fp, bot, raxx_errmsg());
				warning("token %s of %s for %s (recorded in the vault) "
					"is not revoked: %s", rec->fp, bot, repo,
					raxx_errmsg());
				continue;
			}
			ho_audit(c, "revoke", bot, repo, rec->token, rec->expires_at,
				 r ? "handoff revoke: GitHub no longer knew it" :
				 "handoff revoke");
			if (r)
				warning("token %s of %s for %s (recorded in the vault) was "
					"already expired or revoked at GitHub", rec->fp,
					bot, repo);
			else
				ho_say("  token %s of %s for %s (recorded in the vault) "
				       "revoked at GitHub", rec->fp, bot, repo);
			t->revoked += !r;
			sb_addf(&t->done, " %s", rec->fp);
		}
		r = vault_delete_secret(h->v, h->ref.folder, rec->name);
		if (r > 1) {
			warning("the record %s/%s is not deleted: %s", h->ref.folder,
				rec->name, raxx_errmsg());
			tally_fail(t, r, "the record %s/%s is not deleted (run this "
				   "again): %s", h->ref.folder, rec->name,
				   raxx_errmsg());
		} else {
			t->records++;
		}
	}
	handoff_records_free(recs, nr);
	raxx_clear_error();
}

int handoff_cmd_revoke(struct raxx_config *c, int argc, char **argv)
{
	const char *slug = NULL;
	const struct ho_opt opts[] = { { "task-slug", &slug } };
	struct revoke_tally t = { 0 };
	struct cache_entry *list = NULL;
	struct github *gh = NULL;
	struct ho h = { 0 };
	size_t i, nr = 0;
	int ret, r, lock = -1, deleted = 0;
	char fp[AUDIT_FP_LEN + 1], *broker;

	if ((ret = ho_parse_opts("revoke", argc, argv, opts, 1)))
		return ret;
	if ((ret = ho_need_slug("revoke", slug)) || (ret = cli_load(c)))
		return ret;
	if ((ret = ho_open(&h, c, slug)))
		return ret;
	/* no cold mint for the slug runs here meanwhile (handoff.h) */
	if (ho_cache(&h) && (ret = cache_lock_token(ho_cache(&h), c->api, HANDOFF_LOCK_NAME, slug,
					       http_deadline(), &lock)) > 0)
		goto out;
	ret = 0;
	ho_say("revoking handoff %s:", slug);

	/* the manifest first: from now on nobody mints for the slug */
	if (!(r = ho_vault(&h)))
		r = vault_delete_secret(h.v, h.ref.folder, HANDOFF_MANIFEST);
	if (r == 0) {
		t.found++;
		deleted = 1;
		ho_say("  manifest %s deleted", h.ref.where);
	} else if (r == 1) {
		ho_say("  no manifest at %s", h.ref.where);
	} else {
		tally_fail(&t, r, "the manifest is not deleted: %s", raxx_errmsg());
		warning("%s; revoking the tokens anyway", t.failmsg);
	}

	/* then every token recorded in the vault, minted on any machine */
	revoke_records(&h, &gh, &t);

	/* and this machine's cache: tokens minted before they were recorded */
	if (ho_cache(&h) && cache_list_tokens(ho_cache(&h), &list, &nr)) {
		warning("%s", raxx_errmsg());
		raxx_clear_error();
	}
	for (i = 0; i < nr; i++) {
		struct cache_entry *e = &list[i];
		size_t rl = strcspn(e->scope, " ");

		if (!strcmp(e->api, h.ref.mapi) && !strcmp(e->name, slug)) {
			cache_drop(ho_cache(&h), e);	/* the cached manifest */
			t.found++;
		} else if (manifest_scope_is_slug(e->scope, slug)) {
			char *repo = xstrndup(e->scope, rl);
			struct github *g;

			t.found++;
			audit_fingerprint(e->secret, fp);
			if (tally_done(&t, fp)) {
				/* revoked through its record above */
				cache_drop(ho_cache(&h), e);
				free(repo);
				cache_entry_release(e);
				continue;
			}
			g = get_github(c, &gh, e->api);
			r = g ? github_revoke_token(g, e->secret) : raxx_errcode();
			put_github(g, gh);
			if (r == 0 || r == 1) {
				cache_drop(ho_cache(&h), e);
				ho_audit(c, "revoke", e->name, repo, e->secret,
					 e->expires_at, r ? "handoff revoke: GitHub no "
					 "longer knew it" : "handoff revoke");
				if (r)
					warning("token %s of %s for %s was already "
						"expired or revoked at GitHub: dropped",
						fp, e->name, repo);
				else
					ho_say("  token %s of %s for %s revoked at GitHub",
					       fp, e->name, repo);
				t.revoked += !r;
			} else {
				tally_fail(&t, r, "token %s of %s is not revoked (still "
					   "cached; run this again): %s", fp, e->name,
					   raxx_errmsg());
				warning("token %s of %s for %s is not revoked: %s",
					fp, e->name, repo, raxx_errmsg());
			}
			free(repo);
		}
		cache_entry_release(e);
	}
	free(list);
	/* a token broker in use holds tokens and the manifest too */
	if ((broker = broker_socket_in_use(NULL))) {
		r = broker_revoke_handoff(broker, c, slug);
		if (r < 0) {
			tally_fail(&t, -r, "the broker's tokens are not revoked: %s",
				   raxx_errmsg());
			warning("the broker's tokens of %s are not revoked: %s", slug,
				raxx_errmsg());
		} else {
			t.found += r;
			t.revoked += r;
			ho_say("  the broker at %s revoked %d token%s of it", broker, r,
			       r == 1 ? "" : "s");
		}
		free(broker);
	}
	if (t.failed)
		ret = raxx_fail(t.failed, "handoff '%s' only partly revoked: %s", slug,
				t.failmsg);
	else if (!t.found)
		ret = raxx_fail(RAXX_ENOTHING, "handoff '%s': no manifest at %s, no "
				"token recorded in the vault and none in the cache%s%s: "
				"nothing to revoke", slug, h.ref.where,
				ho_cache(&h) ? " " : "",
				ho_cache(&h) ? cache_dir(ho_cache(&h)) : "");
	else
		ho_say("handoff %s revoked: %d token%s revoked, manifest %s, %d vault "
		       "record%s deleted", slug, t.revoked, t.revoked == 1 ? "" : "s",
		       deleted ? "deleted" : "was not there", t.records,
		       t.records == 1 ? "" : "s");
out:
	cache_unlock(lock);
	github_free(gh);
	sb_release(&t.done);
	ho_close(&h);
	return ret;
}
