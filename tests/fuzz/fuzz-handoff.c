/*
 * libFuzzer target for what a handoff reads from the vault: the manifest
 * (src/token/handoff_manifest.c) and the records of its tokens
 * (src/token/handoff_records.c).
 *
 *   byte 0    'm': the rest is a PROVISION_MANIFEST; 'r': a TOKEN_ record
 *
 * Beyond "no crash, no leak, no UB":
 *   - a manifest parsed formats (manifest_json, what the cold path
 *     compares to see that it did not change) to JSON that parses to the
 *     same manifest and formats to the same text; one refused leaves
 *     nothing behind and says why;
 *   - one the policy accepts (at a fixed clock, and a minute after it was
 *     created) keeps its promises: 1 to 16 permissions, each within
 *     contents/pull_requests/issues:write, OWNER/REPO, a bot name, alive,
 *     24 h at most; and its tokens' cache scope names its slug;
 *   - a record parsed has a token of [A-Za-z0-9._] with its fingerprint
 *     and name, expires when it says, and written again
 *     (handoff_record_json) parses to the same record.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "token/handoff_manifest.h"
#include "token/handoff_records.h"
#include "base/protocol.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

#define NOW 1782000000L		/* 2026-06-21, as the unit tests */

static int token_ok(const char *t)
{
	return t && *t && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789._") == strlen(t);
}

static int same_str(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

static void same_manifest(const struct manifest *a, const struct manifest *b)
{
	size_t i, j;
	int unique = 1;

	CHECK(!strcmp(a->slug, b->slug) && !strcmp(a->repo, b->repo) &&
	      !strcmp(a->bot, b->bot));
	CHECK(a->created_at == b->created_at && a->expires_at == b->expires_at);
	/* keys holding "\u0000" are cut there, and may then repeat: the JSON
	 * keeps one of them */
	for (i = 0; i < a->nr_perms; i++)
		for (j = 0; j < i; j++)
			unique &= !!strcmp(a->names[i], a->names[j]);
	if (!unique)
		return;
	CHECK(a->nr_perms == b->nr_perms);
	for (i = 0; i < a->nr_perms; i++)
		CHECK(!strcmp(a->names[i], b->names[i]) &&
		      !strcmp(a->levels[i], b->levels[i]));
}

static void policy(const struct manifest *m, time_t now)
{
	char *norm = NULL, *key;
	size_t i;
	int ret = manifest_check_all(m, m->slug, now, "fuzz");

	CHECK(ret == 0 || ret == RAXX_EHANDOFF);
	if (ret) {
		CHECK(*raxx_errmsg());
		raxx_clear_error();
		return;
	}
	CHECK(m->nr_perms >= 1 && m->nr_perms <= HANDOFF_MAX_PERMS && !m->too_many);
	for (i = 0; i < m->nr_perms; i++) {
		CHECK(!strcmp(m->names[i], "contents") ||
		      !strcmp(m->names[i], "pull_requests") ||
		      !strcmp(m->names[i], "issues"));
		CHECK(!strcmp(m->levels[i], "read") || !strcmp(m->levels[i], "write"));
	}
	CHECK(!credential_repo(m->repo, &norm) && !strcmp(norm, m->repo));
	free(norm);
	CHECK(bot_name_ok(m->bot));
	CHECK(m->expires_at > now && m->expires_at > m->created_at &&
	      m->expires_at - m->created_at <= HANDOFF_MAX_TTL_HOURS * 3600L &&
	      m->created_at <= now + 300);
	CHECK(!manifest_check_repo(m, NULL) && !manifest_check_repo(m, m->repo));
	key = manifest_token_scope_key(m);
	CHECK(!handoff_slug_ok(m->slug) || manifest_scope_is_slug(key, m->slug));
	free(key);
}

static void manifest(const char *json)
{
	struct manifest m, again;
	char *text, *text2, *perms;
	size_t i;
	int ret = manifest_parse(json, "fuzz", &m);

	CHECK(ret == 0 || ret == RAXX_EHANDOFF);
	if (ret) {
		CHECK(!m.slug && !m.repo && !m.bot && !m.nr_perms);
		CHECK(!strncmp(raxx_errmsg(), "handoff manifest fuzz is malformed", 34));
		raxx_clear_error();
		return;
	}
	CHECK(m.slug && m.repo && m.bot && m.nr_perms <= HANDOFF_MAX_PERMS);
	CHECK(!m.too_many || m.nr_perms == HANDOFF_MAX_PERMS);
	for (i = 0; i < m.nr_perms; i++)
		CHECK(m.names[i] && m.levels[i]);

	text = manifest_json(&m);
	CHECK(!manifest_parse(text, "fuzz", &again));
	same_manifest(&m, &again);
	text2 = manifest_json(&again);
	CHECK(!strcmp(text, text2));
	free(text);
	free(text2);
	manifest_release(&again);

	perms = manifest_perms_text(&m);
	for (i = 0; perms[i]; i++)
		CHECK((unsigned char)perms[i] >= ' ' && perms[i] != 0x7f);
	free(perms);

	policy(&m, NOW);
	policy(&m, m.created_at + 60);
	manifest_release(&m);
}

static void record(const char *json)
{
	struct handoff_record *rec = xcalloc(1, sizeof(*rec)), *again;
	char fp[AUDIT_FP_LEN + 1], *name, *text;
	size_t i;

	if (handoff_record_parse("TOKEN_FUZZ", json, rec)) {
		CHECK(!rec->token && !rec->expires_at && !*rec->fp);
		CHECK(!strcmp(rec->name, "TOKEN_FUZZ"));
		handoff_records_free(rec, 1);
		return;
	}
	CHECK(token_ok(rec->token));
	audit_fingerprint(rec->token, fp);
	CHECK(!strcmp(fp, rec->fp) && strlen(fp) == AUDIT_FP_LEN);
	name = handoff_record_name(rec->token);
	CHECK(!strncmp(name, HANDOFF_RECORD_PREFIX, 6) && strlen(name) == 6 + AUDIT_FP_LEN);
	for (i = 0; i < AUDIT_FP_LEN; i++)
		CHECK(name[6 + i] == (fp[i] >= 'a' && fp[i] <= 'f' ? fp[i] - 'a' + 'A' : fp[i]));
	free(name);
	CHECK(!handoff_record_expired(rec, rec->expires_at + HANDOFF_RECORD_SLACK));
	CHECK(handoff_record_expired(rec, rec->expires_at + HANDOFF_RECORD_SLACK + 1));

	/* what handoff_record_mint writes: a bot and an API always */
	if (rec->bot && rec->api) {
		text = handoff_record_json(rec->token, rec->expires_at, rec->bot,
					   rec->repo, rec->api);
		again = xcalloc(1, sizeof(*again));
		CHECK(!handoff_record_parse("TOKEN_FUZZ", text, again));
		CHECK(!strcmp(again->token, rec->token) &&
		      again->expires_at == rec->expires_at &&
		      same_str(again->bot, rec->bot) && same_str(again->repo, rec->repo) &&
		      same_str(again->api, rec->api) && !strcmp(again->fp, rec->fp));
		free_secret(text);
		handoff_records_free(again, 1);
	}
	handoff_records_free(rec, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json;

	if (!size)
		return 0;
	json = xstrndup((const char *)data + 1, size - 1);
	if (data[0] == 'r')
		record(json);
	else
		manifest(json);
	free(json);
	raxx_clear_error();
	return 0;
}
