#ifndef RAXX_HANDOFF_RECORDS_H
#define RAXX_HANDOFF_RECORDS_H

/*
 * Every live handoff token, recorded in the vault in its handoff's own
 * folder, so that `handoff revoke` on any machine revokes the tokens
 * minted on every machine (the vault is the store they all share):
 *
 *   {prefix}/handoffs/SLUG/TOKEN_<FINGERPRINT>   one secret per token
 *   {"token":"ghs_...","expires_at":"2026-06-21T09:00:00Z",
 *    "bot":"raxx-dev-bot","repo":"raxx-app/demo",
 *    "api":"https://api.github.com"}
 *
 * FINGERPRINT is the audit log's (audit.h), in upper case: the name is
 * letters, digits and '_' only, which every Infisical version accepts.
 * expires_at is the token's own expiry (not capped at the manifest's).
 * The record holds a live token, as the vault holds the App's key: it is
 * never printed, traced or logged, and its buffers are wiped.
 *
 * The cold path of a handoff (token.c) records a token after minting it
 * and before handing it out, then reads the folder back: a revoke
 * elsewhere deletes the manifest first and lists the records second, so
 * a manifest still there after the record is written means that revoke,
 * if any, will see the record; a manifest gone (or replaced) means the
 * token is revoked again here. A token that cannot be recorded, or whose
 * read-back fails, is revoked again and not handed out: a token a revoke
 * elsewhere could not find is exactly what the records are for. Expired
 * records are deleted on the way (HANDOFF_RECORD_SLACK after their
 * expiry, so that a clock running ahead never drops a live one).
 */

#include <time.h>

#include "store/audit.h"

struct github;
struct handoff_ref;
struct manifest;
struct vault;

#define HANDOFF_RECORD_PREFIX "TOKEN_"
/* a record this long past its token's expiry is dead on every clock */
#define HANDOFF_RECORD_SLACK 300

struct handoff_record {
	char *name;		/* the secret's name, TOKEN_... */
	char *token;		/* secret; NULL when the record is malformed */
	time_t expires_at;	/* 0 when malformed */
	char *bot, *repo, *api;	/* may be NULL */
	char fp[AUDIT_FP_LEN + 1];	/* the token's, "" when malformed */
};

/* "TOKEN_" and the token's fingerprint in upper case (fresh). */
char *handoff_record_name(const char *token);
/* The record's JSON value (fresh, a secret: free it with free_secret). */
char *handoff_record_json(const char *token, time_t expires_at,
			  const char *bot, const char *repo, const char *api);
/* Parse a record's value; 0, or -1 (rec->token stays NULL). */
int handoff_record_parse(const char *name, const char *json,
			 struct handoff_record *rec);
/* Whether it is past its expiry by more than HANDOFF_RECORD_SLACK. */
int handoff_record_expired(const struct handoff_record *rec, time_t now);

/*
 * The TOKEN_ records in r's folder (malformed ones too, token NULL).
 * *out: an array of *nr (release with handoff_records_free). 0, 1 when
 * the folder does not exist, or the vault's error code.
 */
int handoff_records_list(struct vault *v, const struct handoff_ref *r,
			 struct handoff_record **out, size_t *nr);
void handoff_records_free(struct handoff_record *recs, size_t nr);

/*
 * The cold path's hook (token.c, under the slug's lock): record token
 * (minted for manifest m at GitHub api), read the folder back, delete
 * the expired records seen there. Returns 0; or an error code with the
 * message recorded, after revoking token at GitHub (with gh) and removing
 * its record: then it must not be handed out. RAXX_EHANDOFF when the
 * manifest went away or changed meanwhile.
 */
int handoff_record_mint(struct vault *v, struct github *gh,
			const struct handoff_ref *r, const struct manifest *m,
			const char *api, const char *token, time_t expires_at);

#endif
