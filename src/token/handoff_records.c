/*
 * Handoff tokens recorded in the vault: the contract is in
 * handoff_records.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_records.h"
#include "services/github.h"
#include "handoff_store.h"
#include "base/json.h"
#include "base/util.h"
#include "services/vault.h"

#include <ctype.h>
#include <string.h>

#include <sodium.h>

char *handoff_record_name(const char *token)
{
	char fp[AUDIT_FP_LEN + 1];
	size_t i;

	audit_fingerprint(token, fp);
	for (i = 0; fp[i]; i++)
		fp[i] = (char)toupper((unsigned char)fp[i]);
	return xstrfmt("%s%s", HANDOFF_RECORD_PREFIX, fp);
}

char *handoff_record_json(const char *token, time_t expires_at,
			  const char *bot, const char *repo, const char *api)
{
	struct json_object *o = json_object_new_object();
	const char *text;
	char when[32], *s;

	format_iso8601(expires_at, when, sizeof(when));
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "expires_at", json_object_new_string(when));
	json_object_object_add(o, "bot", json_object_new_string(bot));
	json_object_object_add(o, "repo", repo ? json_object_new_string(repo) : NULL);
	json_object_object_add(o, "api", json_object_new_string(api));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	s = xstrdup(text);
	/* the object's own copy of the text holds the token too */
	sodium_memzero((char *)text, strlen(text));
	json_put_wiped(o);
	return s;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int handoff_record_parse(const char *name, const char *json,
			 struct handoff_record *rec)
{
	struct json_object *o = json_parse(json, strlen(json));
	const char *tok = json_str(o, "token"), *when = json_str(o, "expires_at");
	time_t exp;
	int ok;

	memset(rec, 0, sizeof(*rec));
	rec->name = xstrdup(name);
	ok = tok && *tok && strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				   "opqrstuvwxyz0123456789._") == strlen(tok) &&
		when && !parse_iso8601(when, &exp);
	if (ok) {
		rec->token = xstrdup(tok);
		rec->expires_at = exp;
		rec->bot = dup_or_null(json_str(o, "bot"));
		rec->repo = dup_or_null(json_str(o, "repo"));
		rec->api = dup_or_null(json_str(o, "api"));
		audit_fingerprint(tok, rec->fp);
	}
	json_put_wiped(o);
	return ok ? 0 : -1;
}

int handoff_record_expired(const struct handoff_record *rec, time_t now)
{
	return rec->token && rec->expires_at + HANDOFF_RECORD_SLACK < now;
}

static void record_release(struct handoff_record *rec)
{
	free(rec->name);
	free_secret(rec->token);
	free(rec->bot);
	free(rec->repo);
	free(rec->api);
	memset(rec, 0, sizeof(*rec));
}

void handoff_records_free(struct handoff_record *recs, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		record_release(&recs[i]);
	free(recs);
}

/* The folder's secrets: 0, 1 when there is no such folder, or an error. */
static int read_folder(struct vault *v, const struct handoff_ref *r,
		       struct vault_secrets *s)
{
	int ret = vault_get_secrets(v, r->folder, s);

	if (ret && vault_last_status(v) == 404) {
		/* no folder: nothing was ever written for the slug */
		vault_secrets_release(s);
		raxx_clear_error();
		return 1;
	}
	return ret;
}

static int is_record(const char *key)
{
	return !strncmp(key, HANDOFF_RECORD_PREFIX, strlen(HANDOFF_RECORD_PREFIX));
}

static void from_secrets(const struct vault_secrets *s,
			 struct handoff_record **out, size_t *nr)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		if (!is_record(s->items[i].key))
			continue;
		*out = xrealloc(*out, (*nr + 1) * sizeof(**out));
		handoff_record_parse(s->items[i].key, s->items[i].value,
				     &(*out)[(*nr)++]);
	}
}

int handoff_records_list(struct vault *v, const struct handoff_ref *r,
			 struct handoff_record **out, size_t *nr)
{
	struct vault_secrets s;
	int ret;

	*out = NULL;
	*nr = 0;
	if ((ret = read_folder(v, r, &s)))
		return ret;
	from_secrets(&s, out, nr);
	vault_secrets_release(&s);
	return 0;
}

/* The manifest in the folder is still the one minted under. */
static int same_manifest(const struct vault_secrets *s,
			 const struct handoff_ref *r, const struct manifest *m)
{
	const char *json = vault_secrets_get(s, HANDOFF_MANIFEST);
	struct manifest now;
	char *a, *b;
	int same;

	if (!json || manifest_parse(json, r->where, &now)) {
		raxx_clear_error();
		return 0;
	}
	a = manifest_json(&now);
	b = manifest_json(m);
	same = !strcmp(a, b);
	free(a);
	free(b);
	manifest_release(&now);
	return same;
}

/* Expired records seen in the folder: deleted; a failure changes nothing
 * (the next mint or revoke tries again). */
static void sweep(struct vault *v, const struct handoff_ref *r,
		  const struct vault_secrets *s, const char *mine)
{
	struct handoff_record *recs = NULL;
	time_t now = now_seconds();
	size_t i, nr = 0;

	from_secrets(s, &recs, &nr);
	for (i = 0; i < nr; i++)
		if (strcmp(recs[i].name, mine) && handoff_record_expired(&recs[i], now))
			vault_delete_secret(v, r->folder, recs[i].name);
	handoff_records_free(recs, nr);
	raxx_clear_error();
}

int handoff_record_mint(struct vault *v, struct github *gh,
			const struct handoff_ref *r, const struct manifest *m,
			const char *api, const char *token, time_t expires_at)
{
	struct vault_secrets s = { 0 };
	char *name = handoff_record_name(token), *value, msg[1536];
	int ret, written, code, outage = 0;

	value = handoff_record_json(token, expires_at, m->bot, m->repo, api);
	ret = vault_create_secret(v, r->folder, name, value);
	free_secret(value);
	/* 1: a record of this very token (its fingerprint) is there already */
	written = ret == 0;
	if (ret > 1) {
		code = ret;
		outage = raxx_err_outage();
		snprintf(msg, sizeof(msg), "handoff '%s': the new token is revoked "
			 "again and not handed out: it could not be recorded in "
			 "%s, where a revoke on any machine looks for it: %s",
			 r->slug, r->folder, raxx_errmsg());
		goto undo;
	}
	if ((ret = read_folder(v, r, &s))) {
		code = ret == 1 ? RAXX_EHANDOFF : ret;
		outage = ret != 1 && raxx_err_outage();
		snprintf(msg, sizeof(msg), "handoff '%s': the new token is revoked "
			 "again and not handed out: %s could not be read back "
			 "after recording it: %s", r->slug, r->folder, ret == 1 ?
			 "the folder is gone: see git-credential-raxx handoff list" :
			 raxx_errmsg());
		goto undo;
	}
	if (!same_manifest(&s, r, m)) {
		code = RAXX_EHANDOFF;
		snprintf(msg, sizeof(msg), "handoff '%s' was revoked or provisioned "
			 "again while a token was minted for it (%s changed): the "
			 "new token is revoked again and not handed out: see "
			 "git-credential-raxx handoff verify --task-slug %s",
			 r->slug, r->where, r->slug);
		goto undo;
	}
	sweep(v, r, &s, name);
	vault_secrets_release(&s);
	free(name);
	return 0;
undo:
	vault_secrets_release(&s);
	if (gh)
		github_revoke_token(gh, token);
	if (written)
		vault_delete_secret(v, r->folder, name);
	free(name);
	/* an outage stays one: a cached token may still serve meanwhile */
	return outage ? raxx_fail_outage(code, "%s", msg) :
		raxx_fail(code, "%s", msg);
}
