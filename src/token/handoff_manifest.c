/*
 * The handoff policy (pure): the contract is in handoff_manifest.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_manifest.h"
#include "base/json.h"
#include "base/protocol.h"
#include "base/util.h"

#include <string.h>
#include <strings.h>

const struct gh_permission handoff_allowed[] = {
	{ "contents", "write" },
	{ "pull_requests", "write" },
	{ "issues", "write" },
};
const size_t handoff_nr_allowed = sizeof(handoff_allowed) / sizeof(*handoff_allowed);

#define DAY (24L * 3600)
/* a manifest "created" further ahead than this is refused (clock skew) */
#define MAX_SKEW 300

void manifest_release(struct manifest *m)
{
	size_t i;

	free(m->slug);
	free(m->repo);
	free(m->bot);
	for (i = 0; i < m->nr_perms; i++) {
		free(m->names[i]);
		free(m->levels[i]);
	}
	memset(m, 0, sizeof(*m));
}

int handoff_slug_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= HANDOFF_SLUG_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_") == n;
}

static int level_rank(const char *level)
{
	if (!strcmp(level, "read"))
		return 1;
	if (!strcmp(level, "write"))
		return 2;
	return 99;	/* admin, or anything unknown: never within */
}

/* Whether name:level is within the allowed set. */
int manifest_perm_allowed(const char *name, const char *level)
{
	size_t i;

	for (i = 0; i < handoff_nr_allowed; i++)
		if (!strcmp(name, handoff_allowed[i].name))
			return level_rank(level) <= level_rank(handoff_allowed[i].level);
	return 0;
}

static char *iso(time_t t)
{
	char buf[32];

	format_iso8601(t, buf, sizeof(buf));
	return xstrdup(buf);
}

/* "23h59m" (or "expired") for messages. */
void handoff_left_text(time_t left, char *out, size_t n)
{
	if (left <= 0)
		snprintf(out, n, "expired");
	else
		snprintf(out, n, "%ldh%02ldm", (long)(left / 3600),
			 (long)(left % 3600 / 60));
}

/* "contents:write, issues:write" (fresh). */
char *manifest_perms_text(const struct manifest *m)
{
	struct strbuf sb = STRBUF_INIT;
	char a[64], b[64];
	size_t i;

	for (i = 0; i < m->nr_perms; i++)
		sb_addf(&sb, "%s%s:%s", i ? ", " : "",
			sanitize(a, sizeof(a), m->names[i]),
			sanitize(b, sizeof(b), m->levels[i]));
	if (m->too_many)
		sb_adds(&sb, ", ...");
	return sb_detach(&sb);
}

char *manifest_json(const struct manifest *m)
{
	struct json_object *o = json_object_new_object(), *p = json_object_new_object();
	char *t;
	size_t i;

	json_object_object_add(o, "slug", json_object_new_string(m->slug));
	json_object_object_add(o, "repo", json_object_new_string(m->repo));
	json_object_object_add(o, "bot", json_object_new_string(m->bot));
	for (i = 0; i < m->nr_perms; i++)
		json_object_object_add(p, m->names[i],
				       json_object_new_string(m->levels[i]));
	json_object_object_add(o, "permissions", p);
	t = iso(m->created_at);
	json_object_object_add(o, "created_at", json_object_new_string(t));
	free(t);
	t = iso(m->expires_at);
	json_object_object_add(o, "expires_at", json_object_new_string(t));
	free(t);
	t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return t;
}

static int malformed(const char *where, const char *what)
{
	return raxx_fail(RAXX_EHANDOFF, "handoff manifest %s is malformed (%s): "
			 "refusing it: provision the handoff again", where, what);
}

/* Structure only; the policy is in check_*(). */
int manifest_parse(const char *json, const char *where,
			  struct manifest *m)
{
	struct json_object *o = json_parse(json, strlen(json)), *p;
	const char *slug, *repo, *bot, *created, *expires;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (!o || !json_object_is_type(o, json_type_object)) {
		ret = malformed(where, "not a JSON object");
		goto out;
	}
	slug = json_str(o, "slug");
	repo = json_str(o, "repo");
	bot = json_str(o, "bot");
	created = json_str(o, "created_at");
	expires = json_str(o, "expires_at");
	if (!slug || !repo || !bot || !created || !expires) {
		ret = malformed(where, "slug, repo, bot, created_at and expires_at "
				"must all be strings");
		goto out;
	}
	if (parse_iso8601(created, &m->created_at) ||
	    parse_iso8601(expires, &m->expires_at)) {
		ret = malformed(where, "created_at and expires_at must be "
				"YYYY-MM-DDTHH:MM:SSZ");
		goto out;
	}
	if (!json_object_object_get_ex(o, "permissions", &p) ||
	    !json_object_is_type(p, json_type_object)) {
		ret = malformed(where, "no \"permissions\" object");
		goto out;
	}
	{
		json_object_object_foreach(p, k, v) {
			if (!json_object_is_type(v, json_type_string)) {
				ret = malformed(where, "a permission level is not "
						"a string");
				goto out;
			}
			if (m->nr_perms == HANDOFF_MAX_PERMS) {
				m->too_many = 1;
				continue;
			}
			m->names[m->nr_perms] = xstrdup(k);
			m->levels[m->nr_perms] = xstrdup(json_object_get_string(v));
			m->nr_perms++;
		}
	}
	m->slug = xstrdup(slug);
	m->repo = xstrdup(repo);
	m->bot = xstrdup(bot);
out:
	json_object_put(o);
	if (ret)
		manifest_release(m);
	return ret;
}

/* The slug, repository and bot are what they must be. */
int manifest_check_identity(const struct manifest *m, const char *slug,
			  const char *where)
{
	char a[80], b[160];
	char *norm = NULL;
	int ret = 0;

	if (strcmp(m->slug, slug))
		ret = raxx_fail(RAXX_EHANDOFF, "handoff manifest %s names slug '%s', "
				"not '%s': refusing it: provision the handoff again",
				where, sanitize(a, sizeof(a), m->slug), slug);
	else if (credential_repo(m->repo, &norm) || strcmp(norm, m->repo))
		ret = raxx_fail(RAXX_EHANDOFF, "handoff manifest %s names repository "
				"'%s', not OWNER/REPO: refusing it: provision the "
				"handoff again", where, sanitize(b, sizeof(b), m->repo));
	else if (!bot_name_ok(m->bot))
		ret = raxx_fail(RAXX_EHANDOFF, "handoff manifest %s names bot '%s', "
				"not a bot name: refusing it: provision the handoff "
				"again", where, sanitize(a, sizeof(a), m->bot));
	free(norm);
	return ret;
}

/* The scope gate: a non-empty subset of the allowed permissions. */
int manifest_check_perms(const struct manifest *m, const char *where)
{
	struct strbuf bad = STRBUF_INIT;
	char a[80], b[64];
	size_t i;
	int ret = 0;

	if (!m->nr_perms)
		return raxx_fail(RAXX_EHANDOFF, "scope violation: handoff manifest "
				 "%s grants no permissions, which GitHub reads as "
				 "all of the App's: refusing it: revoke the handoff "
				 "and provision it again", where);
	for (i = 0; i < m->nr_perms; i++)
		if (!manifest_perm_allowed(m->names[i], m->levels[i]))
			sb_addf(&bad, "%s%s:%s", bad.len ? ", " : "",
				sanitize(a, sizeof(a), m->names[i]),
				sanitize(b, sizeof(b), m->levels[i]));
	if (m->too_many)
		sb_addf(&bad, "%smore than %d permissions", bad.len ? ", " : "",
			HANDOFF_MAX_PERMS);
	if (bad.len)
		ret = raxx_fail(RAXX_EHANDOFF, "scope violation: handoff manifest %s "
				"asks for %s, beyond the allowed " HANDOFF_ALLOWED_TEXT
				": refusing it: revoke the handoff (git-credential-"
				"raxx handoff revoke --task-slug %s), find out who "
				"wrote the manifest, and wake the operator", where,
				bad.buf, sanitize(a, sizeof(a), m->slug));
	sb_release(&bad);
	return ret;
}

int manifest_check_expiry(const struct manifest *m, time_t now, const char *where)
{
	char when[32], slug[80], repo[160];

	format_iso8601(m->expires_at, when, sizeof(when));
	if (m->expires_at <= m->created_at)
		return malformed(where, "expires_at is not after created_at");
	if (m->expires_at - m->created_at > DAY)
		return raxx_fail(RAXX_EHANDOFF, "handoff manifest %s lives %ld h "
				 "(created_at to expires_at), beyond the %d-hour "
				 "limit: refusing it: revoke the handoff and "
				 "provision it again", where,
				 (long)((m->expires_at - m->created_at + 3599) / 3600),
				 HANDOFF_MAX_TTL_HOURS);
	if (m->created_at > now + MAX_SKEW)
		return malformed(where, "created_at is in the future: check this "
				 "machine's clock");
	if (m->expires_at <= now)
		return raxx_fail(RAXX_EHANDOFF, "handoff '%s' expired at %s: "
				 "refusing to mint: provision a new handoff if the "
				 "task still needs GitHub (git-credential-raxx "
				 "handoff provision --task-slug SLUG --repo %s)",
				 sanitize(slug, sizeof(slug), m->slug), when,
				 sanitize(repo, sizeof(repo), m->repo));
	return 0;
}

int manifest_check_all(const struct manifest *m, const char *slug, time_t now,
		     const char *where)
{
	int ret;

	if ((ret = manifest_check_identity(m, slug, where)) ||
	    (ret = manifest_check_perms(m, where)) ||
	    (ret = manifest_check_expiry(m, now, where)))
		return ret;
	return 0;
}

int handoff_manifest_check(const char *json, const char *slug, time_t now,
			   const char *where)
{
	struct manifest m;
	int ret;

	if ((ret = manifest_parse(json, where, &m)))
		return ret;
	ret = manifest_check_all(&m, slug, now, where);
	manifest_release(&m);
	return ret;
}

/* The permissions as GitHub's token request takes them. */
void manifest_scope(const struct manifest *m, struct gh_permission *p,
			   struct token_scope *scope)
{
	size_t i;

	for (i = 0; i < m->nr_perms; i++) {
		p[i].name = m->names[i];
		p[i].level = m->levels[i];
	}
	scope->repo = m->repo;
	scope->perms = p;
	scope->nr_perms = m->nr_perms;
}

/*
 * The token entries' scope: "OWNER/REPO handoff=SLUG perms=a=l,b=l" with
 * the permissions sorted, so an equal manifest finds the same entry. The
 * repository comes first: revoke.c takes the scope's first word as the
 * repository in its audit lines.
 */
char *manifest_token_scope_key(const struct manifest *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t order[HANDOFF_MAX_PERMS], i, j;

	for (i = 0; i < m->nr_perms; i++) {
		for (j = i; j > 0 && strcmp(m->names[order[j - 1]], m->names[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	sb_addf(&sb, "%s handoff=%s perms=", m->repo, m->slug);
	for (i = 0; i < m->nr_perms; i++)
		sb_addf(&sb, "%s%s=%s", i ? "," : "", m->names[order[i]],
			m->levels[order[i]]);
	return sb_detach(&sb);
}

/* Whether a token entry's scope belongs to slug (a word "handoff=SLUG"). */
int manifest_scope_is_slug(const char *scope, const char *slug)
{
	size_t n = strlen(slug);
	const char *p = scope;

	while ((p = strstr(p, " handoff="))) {
		p += 9;
		if (!strncmp(p, slug, n) && (p[n] == ' ' || !p[n]))
			return 1;
	}
	return 0;
}

/* The repository of the request must be the manifest's. */
int manifest_check_repo(const struct manifest *m, const char *repo)
{
	char a[160];

	if (repo && strcasecmp(repo, m->repo))
		return raxx_fail(RAXX_EHANDOFF, "handoff '%s' is for %s only, not "
				 "%s: refusing: this worktree's agent may not reach "
				 "other repositories", m->slug, m->repo,
				 sanitize(a, sizeof(a), repo));
	return 0;
}

