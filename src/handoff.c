#define _POSIX_C_SOURCE 200809L
#include "handoff.h"
#include "audit.h"
#include "cache.h"
#include "config.h"
#include "github.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "mint.h"
#include "protocol.h"
#include "util.h"
#include "vault.h"

#include <string.h>
#include <strings.h>

/* What a handoff may ever get; a manifest asking more is a violation. */
static const struct gh_permission allowed[] = {
	{ "contents", "write" },
	{ "pull_requests", "write" },
	{ "issues", "write" },
};
#define NR_ALLOWED (sizeof(allowed) / sizeof(*allowed))
#define ALLOWED_TEXT "contents:write, pull_requests:write, issues:write"
#define MAX_PERMS 16
#define DAY (24L * 3600)
/* a manifest "created" further ahead than this is refused (clock skew) */
#define MAX_SKEW 300
#define LOCK_NAME "handoff lock"

const char handoff_usage[] =
"usage: git-credential-raxx handoff provision --task-slug SLUG --repo OWNER/REPO\n"
"                           [--bot BOT] [--ttl-hours H] [--permissions LIST]\n"
"   or: git-credential-raxx handoff verify --task-slug SLUG\n"
"   or: git-credential-raxx handoff revoke --task-slug SLUG\n"
"   or: git-credential-raxx handoff list\n"
"   or: git-credential-raxx handoff attach SLUG | detach\n"
"\n"
"A handoff identity for an unattended agent: one repository, at most\n"
"contents:write, pull_requests:write and issues:write, for at most 24 hours,\n"
"governed by {prefix}/handoffs/SLUG/PROVISION_MANIFEST in the vault.\n"
"  provision   write the manifest after checking the App reaches the\n"
"              repository (progress on stderr, the revoke command last);\n"
"              --ttl-hours 1-24 (default 24), --permissions e.g.\n"
"              contents:write,pull_requests:write (default: all three)\n"
"  verify      check the manifest and that a live token sees only its\n"
"              repository; exit 9 on a scope violation or expiry\n"
"  revoke      revoke every token minted for the slug here, delete the\n"
"              manifest; exit 8 when there was nothing\n"
"  list        the slugs under {prefix}/handoffs with repo and expiry\n"
"  attach      make this worktree a handoff worktree (raxx.handoff in its\n"
"              own config); detach undoes it. RAXX_HANDOFF does the same\n"
"              for one process. There get, token, exec and gh mint only\n"
"              what the manifest allows, and never fall back to the\n"
"              operator token.\n";

/* ---------------------------------------------------------------- manifest */

struct manifest {
	char *slug, *repo, *bot;
	char *names[MAX_PERMS], *levels[MAX_PERMS];
	size_t nr_perms;
	int too_many;
	time_t created_at, expires_at;
};

static void manifest_release(struct manifest *m)
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

static int bot_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 100 && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == n;
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
static int perm_allowed(const char *name, const char *level)
{
	size_t i;

	for (i = 0; i < NR_ALLOWED; i++)
		if (!strcmp(name, allowed[i].name))
			return level_rank(level) <= level_rank(allowed[i].level);
	return 0;
}

static char *iso(time_t t)
{
	char buf[32];

	format_iso8601(t, buf, sizeof(buf));
	return xstrdup(buf);
}

/* "23h59m" (or "expired") for messages. */
static void left_text(time_t left, char *out, size_t n)
{
	if (left <= 0)
		snprintf(out, n, "expired");
	else
		snprintf(out, n, "%ldh%02ldm", (long)(left / 3600),
			 (long)(left % 3600 / 60));
}

/* "contents:write, issues:write" (fresh). */
static char *perms_text(const struct manifest *m)
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

static char *manifest_json(const struct manifest *m)
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
static int manifest_parse(const char *json, const char *where,
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
			if (m->nr_perms == MAX_PERMS) {
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
static int check_identity(const struct manifest *m, const char *slug,
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
	else if (!bot_ok(m->bot))
		ret = raxx_fail(RAXX_EHANDOFF, "handoff manifest %s names bot '%s', "
				"not a bot name: refusing it: provision the handoff "
				"again", where, sanitize(a, sizeof(a), m->bot));
	free(norm);
	return ret;
}

/* The scope gate: a non-empty subset of the allowed permissions. */
static int check_perms(const struct manifest *m, const char *where)
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
		if (!perm_allowed(m->names[i], m->levels[i]))
			sb_addf(&bad, "%s%s:%s", bad.len ? ", " : "",
				sanitize(a, sizeof(a), m->names[i]),
				sanitize(b, sizeof(b), m->levels[i]));
	if (m->too_many)
		sb_addf(&bad, "%smore than %d permissions", bad.len ? ", " : "",
			MAX_PERMS);
	if (bad.len)
		ret = raxx_fail(RAXX_EHANDOFF, "scope violation: handoff manifest %s "
				"asks for %s, beyond the allowed " ALLOWED_TEXT
				": refusing it: revoke the handoff (git-credential-"
				"raxx handoff revoke --task-slug %s), find out who "
				"wrote the manifest, and wake the operator", where,
				bad.buf, sanitize(a, sizeof(a), m->slug));
	sb_release(&bad);
	return ret;
}

static int check_expiry(const struct manifest *m, time_t now, const char *where)
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

static int check_all(const struct manifest *m, const char *slug, time_t now,
		     const char *where)
{
	int ret;

	if ((ret = check_identity(m, slug, where)) ||
	    (ret = check_perms(m, where)) ||
	    (ret = check_expiry(m, now, where)))
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
	ret = check_all(&m, slug, now, where);
	manifest_release(&m);
	return ret;
}

/* The permissions as GitHub's token request takes them. */
static void manifest_scope(const struct manifest *m, struct gh_permission *p,
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
static char *token_scope_key(const struct manifest *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t order[MAX_PERMS], i, j;

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
static int scope_of_slug(const char *scope, const char *slug)
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

/* ---------------------------------------------------------------- context */

struct ho {
	struct raxx_config *c;
	const char *slug;
	struct vault_settings vs;
	int have_vs;
	struct vault *v;
	struct cache *cache;
	char *root;	/* {prefix}/handoffs */
	char *folder;	/* {prefix}/handoffs/SLUG */
	char *where;	/* folder/PROVISION_MANIFEST, for messages */
	char *mapi;	/* the manifest's cache entry: api, scope */
	char *mscope;
	int kept;	/* the vault session is in the cache */
};

/* Settings, paths and the cache; no network. */
static int ho_open(struct ho *h, struct raxx_config *c, const char *slug)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->c = c;
	h->slug = slug;
	if ((ret = vault_settings_from_env(&h->vs)))
		return ret;
	h->have_vs = 1;
	h->root = vault_secret_path(h->vs.path_prefix, "handoffs");
	if (slug) {
		h->folder = xstrfmt("%s/%s", h->root, slug);
		h->where = xstrfmt("%s/%s", h->folder, HANDOFF_MANIFEST);
		h->mapi = xstrfmt("handoff-manifest %s", h->vs.base);
		h->mscope = xstrfmt("%s %s %s", h->vs.project_id,
				    h->vs.environment, h->folder);
	}
	h->cache = cache_open();
	return 0;
}

/* The vault, with a cached session when there is one. */
static int ho_vault(struct ho *h)
{
	struct cache_entry e;

	if (h->v)
		return 0;
	if (!(h->v = vault_new(&h->vs)))
		return raxx_errcode();
	if (h->cache && cache_get_session(h->cache, h->vs.base, h->vs.client_id, &e)) {
		vault_set_session(h->v, e.secret, e.expires_at);
		cache_entry_release(&e);
	}
	return 0;
}

/* Hand a new vault session to the cache (mint.c then reuses it). */
static void ho_keep_session(struct ho *h)
{
	const char *session;
	time_t expires;

	if (!h->kept && h->cache && h->v && vault_logged_in(h->v) &&
	    (session = vault_session(h->v, &expires))) {
		cache_put_session(h->cache, h->vs.base, h->vs.client_id, session,
				  expires);
		h->kept = 1;
	}
}

static void ho_close(struct ho *h)
{
	ho_keep_session(h);
	vault_free(h->v);
	cache_close(h->cache);
	if (h->have_vs)
		vault_settings_release(&h->vs);
	free(h->root);
	free(h->folder);
	free(h->where);
	free(h->mapi);
	free(h->mscope);
	memset(h, 0, sizeof(*h));
}

/* The manifest from the vault: 0, 1 when there is none, or an error. */
static int read_manifest(struct ho *h, struct manifest *m)
{
	char *json = NULL;
	int ret;

	memset(m, 0, sizeof(*m));
	if ((ret = ho_vault(h)))
		return ret;
	ret = vault_get_secret(h->v, h->folder, HANDOFF_MANIFEST, &json);
	ho_keep_session(h);
	if (ret)
		return ret;
	ret = manifest_parse(json, h->where, m);
	free(json);
	return ret;
}

static void cache_manifest(struct ho *h, const struct manifest *m)
{
	struct cache_entry e = { 0 };
	char *json;

	if (!h->cache)
		return;
	json = manifest_json(m);
	e.api = h->mapi;
	e.name = (char *)h->slug;
	e.scope = h->mscope;
	e.installation_id = (char *)"";
	e.expires_at = m->expires_at;
	e.secret = json;
	cache_put_token(h->cache, &e);	/* borrowed fields */
	free(json);
}

/* The cached manifest: 0 with *m filled when there is a sound one. */
static int cached_manifest(struct ho *h, struct manifest *m)
{
	struct cache_entry e;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!h->cache || !cache_get_token(h->cache, h->mapi, h->slug, h->mscope, 0, &e))
		return -1;
	ret = manifest_parse(e.secret, h->where, m);
	cache_entry_release(&e);
	if (!ret && (ret = check_all(m, h->slug, now_seconds(), h->where)))
		manifest_release(m);
	if (ret)
		raxx_clear_error();	/* the vault's copy decides */
	return ret ? -1 : 0;
}

static void drop_cached_manifest(struct ho *h)
{
	struct cache_entry e;

	if (h->cache && cache_get_token(h->cache, h->mapi, h->slug, h->mscope, 0, &e)) {
		cache_drop(h->cache, &e);
		cache_entry_release(&e);
	}
}

/* ---------------------------------------------------------------- tokens */

/* The repository of the request must be the manifest's. */
static int check_repo(const struct manifest *m, const char *repo)
{
	char a[160];

	if (repo && strcasecmp(repo, m->repo))
		return raxx_fail(RAXX_EHANDOFF, "handoff '%s' is for %s only, not "
				 "%s: refusing: this worktree's agent may not reach "
				 "other repositories", m->slug, m->repo,
				 sanitize(a, sizeof(a), repo));
	return 0;
}

static void become_bot(struct raxx_config *c, const struct manifest *m)
{
	if (c->bot && strcmp(c->bot, m->bot))
		info("handoff '%s' is %s's (its manifest): not %s", m->slug, m->bot,
		     c->bot);
	if (!c->bot || strcmp(c->bot, m->bot)) {
		free(c->bot);
		free(c->bot_source);
		c->bot = xstrdup(m->bot);
		c->bot_source = xstrfmt("handoff '%s'", m->slug);
		c->map_bot = NULL;	/* the manifest gives the permissions */
	}
}

static void fill_from_cache(struct cache_entry *e, const struct manifest *m,
			    struct mint_result *out)
{
	out->token = e->secret;
	e->secret = NULL;
	out->expires_at = e->expires_at < m->expires_at ? e->expires_at :
		m->expires_at;
	out->source = "cache";
	out->repo = xstrdup(m->repo);
	out->installation_id = e->installation_id;
	e->installation_id = NULL;
	cache_entry_release(e);
}

/* A live cached token for the cached manifest: 1 and out filled, 0 none,
 * or an error code (a refused repository). */
static int warm(struct ho *h, const char *repo, struct mint_result *out)
{
	struct manifest m;
	struct cache_entry e;
	char *scope;
	int ret = 0;

	if (cached_manifest(h, &m))
		return 0;
	if ((ret = check_repo(&m, repo)))
		goto out;
	scope = token_scope_key(&m);
	if (cache_get_token(h->cache, h->c->api, m.bot, scope, cache_min_ttl(), &e)) {
		become_bot(h->c, &m);
		fill_from_cache(&e, &m, out);
		ret = 1;
	}
	free(scope);
out:
	manifest_release(&m);
	return ret;
}

/* Keep a live token about to be replaced, so a revoke still finds it. */
static void retire(struct ho *h, const char *bot, const char *scope)
{
	struct cache_entry e;
	char fp[AUDIT_FP_LEN + 1];

	if (!cache_get_token(h->cache, h->c->api, bot, scope, 0, &e))
		return;
	audit_fingerprint(e.secret, fp);
	free(e.scope);
	e.scope = xstrfmt("%s retired=%s", scope, fp);
	cache_put_token(h->cache, &e);
	cache_entry_release(&e);
}

/* The vault's manifest, checked, then a token minted narrowed to it. */
static int cold(struct ho *h, const char *repo, struct mint_result *out)
{
	struct manifest m;
	struct gh_permission perms[MAX_PERMS];
	struct token_scope scope = { 0 };
	struct cache_entry e;
	char *key = NULL;
	int ret;

	ret = read_manifest(h, &m);
	if (ret == 1) {
		drop_cached_manifest(h);
		return raxx_fail(RAXX_EHANDOFF, "handoff '%s' has no manifest at %s "
				 "(revoked, or never provisioned): refusing to "
				 "mint: provision it (git-credential-raxx handoff "
				 "provision --task-slug %s --repo OWNER/REPO), or "
				 "leave the handoff worktree (RAXX_HANDOFF, git "
				 "config --worktree raxx.handoff)", h->slug,
				 h->where, h->slug);
	}
	if (ret)
		return ret;
	if ((ret = check_all(&m, h->slug, now_seconds(), h->where))) {
		drop_cached_manifest(h);
		goto out;
	}
	if ((ret = check_repo(&m, repo)))
		goto out;
	cache_manifest(h, &m);
	become_bot(h->c, &m);
	key = token_scope_key(&m);
	if (h->cache && cache_get_token(h->cache, h->c->api, m.bot, key,
					cache_min_ttl(), &e)) {
		fill_from_cache(&e, &m, out);
		goto out;
	}
	manifest_scope(&m, perms, &scope);
	if ((ret = mint_fresh_scoped(h->c, &scope, out)))
		goto out;
	if (h->cache) {
		retire(h, m.bot, key);
		memset(&e, 0, sizeof(e));
		e.api = h->c->api;
		e.name = m.bot;
		e.scope = key;
		e.installation_id = out->installation_id ? out->installation_id : (char *)"";
		e.expires_at = out->expires_at;	/* the token's own, for revoke */
		e.secret = out->token;
		cache_put_token(h->cache, &e);	/* borrowed fields */
	}
	if (out->expires_at > m.expires_at)
		out->expires_at = m.expires_at;	/* git forgets it with the handoff */
out:
	free(key);
	manifest_release(&m);
	return ret;
}

/* cached manifest + token -> lock -> again -> vault -> mint -> store */
static int get_token(struct raxx_config *c, const char *slug, const char *repo,
		     struct mint_result *out)
{
	struct ho h;
	int lock = -1, ret;
	char reason[120];

	memset(out, 0, sizeof(*out));
	if (!handoff_slug_ok(slug)) {
		char safe[80];

		return raxx_fail(RAXX_EHANDOFF, "handoff slug '%s' is not valid "
				 "(letters, digits, '-' and '_', at most %d): fix "
				 "RAXX_HANDOFF or raxx.handoff, or leave the handoff "
				 "worktree", sanitize(safe, sizeof(safe), slug),
				 HANDOFF_SLUG_MAX);
	}
	if ((ret = ho_open(&h, c, slug)))
		goto audit;
	if ((ret = warm(&h, repo, out)) == 1) {
		ret = 0;
		goto done;
	}
	if (ret)
		goto done;
	if (h.cache && (ret = cache_lock_token(h.cache, c->api, LOCK_NAME, slug,
					       http_deadline(), &lock)) > 0)
		goto done;
	ret = 0;
	if (lock >= 0 && (ret = warm(&h, repo, out)) == 1) {
		ret = 0;	/* another process minted while we waited */
		goto done;
	}
	if (!ret)
		ret = cold(&h, repo, out);
done:
	cache_unlock(lock);
	ho_close(&h);
audit:
	snprintf(reason, sizeof(reason), "handoff %s", slug);
	if (ret)
		audit_record(c, "fail", repo, NULL, 0, raxx_errmsg());
	else
		audit_record(c, !strcmp(out->source, "cache") ? "reuse" : "mint",
			     out->repo, out->token, out->expires_at, reason);
	info("handoff %s token for %s: %s", slug, c->bot ? c->bot : "(no bot)",
	     ret ? "none" : !strcmp(out->source, "cache") ? "reused from the cache" :
	     "minted");
	return ret;
}

/* ---------------------------------------------------------------- the worktree */

const char *handoff_slug(struct raxx_config *c)
{
	const char *s = env_get("RAXX_HANDOFF");

	return s ? s : config_git(c, "raxx.handoff");
}

int handoff_get_token(struct raxx_config *c, const char *repo,
		      struct mint_result *out)
{
	return get_token(c, handoff_slug(c), repo, out);
}

int handoff_refuse_fallback(struct raxx_config *c, int code, const char *what)
{
	const char *slug = handoff_slug(c);
	char safe[80];

	if (!slug)
		return 0;
	error_msg("handoff '%s': no token (exit %d): %s; %s: a handoff worktree "
		  "never falls back to the operator token, whatever raxx.fallback "
		  "says", sanitize(safe, sizeof(safe), slug), code, raxx_errmsg(),
		  what);
	audit_record(c, "fail", c->opt_repo, NULL, 0,
		     "handoff worktree: the fallback to the operator token refused");
	return 1;
}

static int run_git(const char *const *argv)
{
	struct strbuf out = STRBUF_INIT;
	int rc = run_capture(argv, &out);

	sb_release(&out);
	return rc;
}

/* `git config ARGS` printed something (exit 0, non-empty, not "false"). */
static int git_says(const char *const *argv)
{
	struct strbuf out = STRBUF_INIT;
	int yes = !run_capture(argv, &out) && out.len && strncmp(out.buf, "false", 5);

	sb_release(&out);
	return yes;
}

int handoff_attach(struct raxx_config *c, const char *slug)
{
	const char *ext[] = { "git", "config", "extensions.worktreeConfig", "true",
			      NULL };
	const char *set[] = { "git", "config", "--worktree", "raxx.handoff", slug,
			      NULL };
	const char *ext_on[] = { "git", "config", "--bool", "--get",
				 "extensions.worktreeConfig", NULL };
	const char *bare[] = { "git", "config", "--bool", "--get", "core.bare", NULL };
	const char *cwt[] = { "git", "config", "--get", "core.worktree", NULL };
	char safe[80], *top;

	(void)c;
	if (!handoff_slug_ok(slug))
		return raxx_fail(RAXX_EUSAGE, "handoff slug '%s' is not valid: "
				 "letters, digits, '-' and '_', at most %d",
				 sanitize(safe, sizeof(safe), slug), HANDOFF_SLUG_MAX);
	top = find_toplevel();
	if (!top)
		return raxx_fail(RAXX_EUSAGE, "not in a git worktree: run it in the "
				 "agent's worktree");
	free(top);
	/*
	 * Turning the extension on with core.bare=true or core.worktree in the
	 * shared config would apply them to every worktree: setup moves them
	 * first, as git does; this short path does not.
	 */
	if (!git_says(ext_on) && (git_says(bare) || git_says(cwt)))
		return raxx_fail(RAXX_EUSAGE, "this repository's shared config has "
				 "core.bare or core.worktree, and per-worktree config "
				 "is off: use 'git-credential-raxx setup --handoff %s' "
				 "instead, which turns it on as git does", slug);
	if (run_git(ext) || run_git(set))
		return raxx_fail(RAXX_EINTERNAL, "git config --worktree raxx.handoff "
				 "%s failed: is this a git worktree?", slug);
	return 0;
}

int handoff_detach(struct raxx_config *c)
{
	const char *unset[] = { "git", "config", "--worktree", "--unset",
				"raxx.handoff", NULL };
	int rc;

	(void)c;
	rc = run_git(unset);
	if (rc == 5)
		return raxx_fail(RAXX_ENOTHING, "this worktree has no raxx.handoff: "
				 "nothing to detach");
	if (rc)
		return raxx_fail(RAXX_EINTERNAL, "git config --worktree --unset "
				 "raxx.handoff failed (exit %d)", rc);
	return 0;
}

/* ---------------------------------------------------------------- commands */

/* Progress on stderr, unprefixed (the runbook's shape); -q silences it. */
static void say(const char *fmt, ...) RAXX_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static int usage_err(const char *sub, const char *fmt, ...) RAXX_PRINTF(2, 3);
static int usage_err(const char *sub, const char *fmt, ...)
{
	va_list ap;

	raxx_clear_error();
	fprintf(stderr, "raxx: handoff %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'git-credential-raxx help handoff')\n");
	return RAXX_EUSAGE;
}

struct opt {
	const char *name;	/* without the leading "--" */
	const char **val;
};

/* --name VALUE or --name=VALUE. 0, -1 for --help, or RAXX_EUSAGE. */
static int parse_opts(const char *sub, int argc, char **argv,
		      const struct opt *opts, size_t n)
{
	int i;
	size_t j;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return -1;
		if (strncmp(a, "--", 2))
			return usage_err(sub, "unexpected argument '%s'", a);
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (j = 0; j < n; j++)
			if (strlen(opts[j].name) == len && !strncmp(a + 2, opts[j].name, len))
				break;
		if (j == n)
			return usage_err(sub, "unknown option '%s'", a);
		if (eq) {
			*opts[j].val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return usage_err(sub, "option '%s' needs a value", a);
			*opts[j].val = argv[++i];
		}
		if (!**opts[j].val)
			return usage_err(sub, "option '--%s' needs a value", opts[j].name);
	}
	return 0;
}

static int need_slug(const char *sub, const char *slug)
{
	char safe[80];

	if (!slug)
		return usage_err(sub, "--task-slug SLUG is required");
	if (!handoff_slug_ok(slug))
		return usage_err(sub, "task slug '%s' is not valid: letters, digits, "
				 "'-' and '_', at most %d (the vault's folder rule)",
				 sanitize(safe, sizeof(safe), slug), HANDOFF_SLUG_MAX);
	return 0;
}

/* --permissions "contents:write,issues:read" into m (within the set). */
static int parse_perm_list(const char *list, struct manifest *m)
{
	const char *p = list;
	char safe[80];

	while (*p) {
		size_t n = strcspn(p, ","), k;
		char *item = xstrndup(p, n), *name, *level, *sep;

		name = item + strspn(item, " ");
		for (k = strlen(name); k > 0 && name[k - 1] == ' '; k--)
			name[k - 1] = '\0';
		sep = strpbrk(name, ":=");
		level = sep ? sep + 1 : NULL;
		if (sep)
			*sep = '\0';
		if (!level || !*name || !*level ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) ||
		    strspn(level, "abcdefghijklmnopqrstuvwxyz") != strlen(level)) {
			free(item);
			return usage_err("provision", "--permissions '%s' is not a list "
					 "of NAME:LEVEL (e.g. contents:write,"
					 "issues:write)", sanitize(safe, sizeof(safe), list));
		}
		for (k = 0; k < m->nr_perms; k++)
			if (!strcmp(m->names[k], name))
				break;
		if (k < m->nr_perms || m->nr_perms == MAX_PERMS) {
			usage_err("provision", "--permissions names '%s' twice", name);
			free(item);
			return RAXX_EUSAGE;
		}
		if (!perm_allowed(name, level)) {
			raxx_fail(RAXX_EHANDOFF, "handoff refused: --permissions asks for "
				  "%s:%s, beyond the allowed " ALLOWED_TEXT,
				  name, level);
			free(item);
			return RAXX_EHANDOFF;
		}
		m->names[m->nr_perms] = xstrdup(name);
		m->levels[m->nr_perms++] = xstrdup(level);
		free(item);
		p += n;
		if (*p == ',')
			p++;
	}
	if (!m->nr_perms)
		return usage_err("provision", "--permissions is empty");
	return 0;
}

/* Prefix the recorded message with the step and the service at fault. */
static int step_failed(int step, int code)
{
	char msg[1024];
	const char *who = code == RAXX_EVAULT ? "vault" :
		code == RAXX_ESECRETS ? "vault: bot secrets" :
		code == RAXX_EHANDOFF ? "handoff policy" : "GitHub";

	snprintf(msg, sizeof(msg), "%s", raxx_errmsg());
	return raxx_fail(code, "step %d/5 failed (%s): %s", step, who, msg);
}

static int cmd_provision(struct raxx_config *c, int argc, char **argv)
{
	const char *slug = NULL, *repo = NULL, *owner = NULL, *bot = NULL;
	const char *ttl_s = NULL, *perms_s = NULL;
	const struct opt opts[] = {
		{ "task-slug", &slug }, { "repo", &repo }, { "owner", &owner },
		{ "bot", &bot }, { "ttl-hours", &ttl_s }, { "permissions", &perms_s },
	};
	struct manifest m = { 0 }, old = { 0 }, back = { 0 };
	struct gh_permission perms[MAX_PERMS];
	struct token_scope scope = { 0 };
	struct mint_result res = { 0 };
	struct github *gh = NULL;
	struct ho h = { 0 };
	char *full = NULL, *json = NULL, *back_json = NULL, *ptext = NULL;
	char when[32], left[32], safe[160];
	long ttl = HANDOFF_MAX_TTL_HOURS;
	time_t now;
	size_t i;
	int ret, r, opened = 0, replace = 0;

	if ((ret = parse_opts("provision", argc, argv, opts,
			      sizeof(opts) / sizeof(*opts))))
		return ret < 0 ? (fputs(handoff_usage, stdout), 0) : ret;
	if ((ret = need_slug("provision", slug)))
		return ret;
	if (!repo)
		return usage_err("provision", "--repo OWNER/REPO is required");
	if (owner && strchr(repo, '/'))
		return usage_err("provision", "--owner goes with --repo NAME, not "
				 "--repo OWNER/REPO");
	full = owner ? xstrfmt("%s/%s", owner, repo) : xstrdup(repo);
	if (credential_repo(full, &m.repo)) {
		ret = usage_err("provision", "repository '%s' is not OWNER/REPO",
				sanitize(safe, sizeof(safe), full));
		goto out;
	}
	if (ttl_s && parse_long(ttl_s, 1, 1000000, &ttl)) {
		ret = usage_err("provision", "--ttl-hours '%s' is not a whole number "
				"of hours (1-%d)", sanitize(safe, sizeof(safe), ttl_s),
				HANDOFF_MAX_TTL_HOURS);
		goto out;
	}
	if (ttl > HANDOFF_MAX_TTL_HOURS) {
		ret = raxx_fail(RAXX_EHANDOFF, "handoff refused: --ttl-hours %ld is "
				"beyond the %d-hour limit: ask for %d or less", ttl,
				HANDOFF_MAX_TTL_HOURS, HANDOFF_MAX_TTL_HOURS);
		goto out;
	}
	if (perms_s) {
		if ((ret = parse_perm_list(perms_s, &m)))
			goto out;
	} else {
		for (i = 0; i < NR_ALLOWED; i++) {
			m.names[i] = xstrdup(allowed[i].name);
			m.levels[i] = xstrdup(allowed[i].level);
		}
		m.nr_perms = NR_ALLOWED;
	}
	if (handoff_slug(c)) {
		ret = raxx_fail(RAXX_EHANDOFF, "handoff provision refused inside a "
				"handoff worktree (handoff '%s'): an agent may not "
				"hand out identities: provision from the operator's "
				"own shell", sanitize(safe, sizeof(safe), handoff_slug(c)));
		goto out;
	}
	if (bot)
		c->opt_bot = bot;
	if ((ret = config_load(c)) || (ret = config_resolve_bot(c)))
		goto out;
	if (!c->bot) {
		ret = raxx_fail(RAXX_EVAULT, "no bot for the handoff: pass --bot, or "
				"set raxx.bot or raxx.agent");
		goto out;
	}
	now = now_seconds();
	m.slug = xstrdup(slug);
	m.bot = xstrdup(c->bot);
	m.created_at = now;
	m.expires_at = now + ttl * 3600;
	ptext = perms_text(&m);
	format_iso8601(m.expires_at, when, sizeof(when));

	if ((ret = ho_open(&h, c, slug)))
		goto out;
	opened = 1;
	say("Provisioning handoff identity:");
	say("  task-slug  : %s", slug);
	say("  repo       : %s", m.repo);
	say("  bot        : %s", m.bot);
	say("  TTL        : %ldh (max %dh), until %s", ttl, HANDOFF_MAX_TTL_HOURS, when);
	say("  permissions: %s", ptext);
	say("  vault path : %s/", h.folder);

	say("step 1/5: logging in to the vault and looking for an earlier manifest...");
	r = read_manifest(&h, &old);
	if (r == 1) {
		say("  vault session ready; no earlier manifest.");
	} else if (r == RAXX_EHANDOFF) {
		warning("the earlier manifest at %s is refused (%s): replacing it",
			h.where, raxx_errmsg());
		raxx_clear_error();
		replace = 1;
	} else if (r) {
		ret = step_failed(1, r);
		goto out;
	} else if (!check_all(&old, slug, now, h.where)) {
		format_iso8601(old.expires_at, when, sizeof(when));
		ret = raxx_fail(RAXX_EHANDOFF, "step 1/5 failed (handoff policy): "
				"handoff '%s' is already provisioned (repo %s, bot %s, "
				"until %s): revoke it first (git-credential-raxx "
				"handoff revoke --task-slug %s), or pick another slug",
				slug, old.repo, old.bot, when, slug);
		goto out;
	} else {
		warning("the earlier manifest at %s is refused (%s): replacing it; "
			"tokens minted for it live until they expire unless it is "
			"revoked first", h.where, raxx_errmsg());
		raxx_clear_error();
		replace = 1;
	}

	say("step 2/5: checking that %s's App reaches %s with %s (a narrowed token, "
	    "revoked at once)...", m.bot, m.repo, ptext);
	manifest_scope(&m, perms, &scope);
	if ((ret = mint_fresh_scoped(c, &scope, &res))) {
		ret = step_failed(2, ret);
		goto out;
	}
	audit_record(c, "mint", m.repo, res.token, res.expires_at,
		     "handoff provision: reach check");
	if (!(gh = github_new(c->api)) || (r = github_revoke_token(gh, res.token)) > 1) {
		warning("the check token could not be revoked (%s): it expires by "
			"itself within the hour", raxx_errmsg());
		raxx_clear_error();
	} else {
		audit_record(c, "revoke", m.repo, res.token, res.expires_at,
			     "handoff provision: reach check done");
	}
	say("  App reaches %s (installation %s); the check token is revoked.",
	    m.repo, res.installation_id ? res.installation_id : "?");

	say("step 3/5: ensuring the vault folder %s/ exists...", h.folder);
	r = vault_create_folder(h.v, h.root, slug);
	if (r > 1) {
		ret = step_failed(3, r);
		goto out;
	}
	say(r ? "  vault folder confirmed (already there): %s/" :
	    "  vault folder created: %s/", h.folder);

	say("step 4/5: writing %s to %s/...", HANDOFF_MANIFEST, h.folder);
	json = manifest_json(&m);
	r = replace ? vault_update_secret(h.v, h.folder, HANDOFF_MANIFEST, json) :
		vault_create_secret(h.v, h.folder, HANDOFF_MANIFEST, json);
	if (replace && r == 1)	/* removed meanwhile */
		r = vault_create_secret(h.v, h.folder, HANDOFF_MANIFEST, json);
	if (r == 1)
		r = raxx_fail(RAXX_EHANDOFF, "a manifest for '%s' appeared at %s "
			      "meanwhile (another provision?): revoke it first, or "
			      "pick another slug", slug, h.where);
	if (r) {
		ret = step_failed(4, r);
		goto out;
	}
	say("  %s written.", HANDOFF_MANIFEST);

	say("step 5/5: reading %s back to confirm...", HANDOFF_MANIFEST);
	r = read_manifest(&h, &back);
	if (r == 1)
		r = raxx_fail(RAXX_EVAULT, "the vault does not show the manifest "
			      "just written at %s (a secret-approval policy?): run "
			      "'git-credential-raxx handoff verify --task-slug %s' "
			      "in a minute", h.where, slug);
	else if (!r && strcmp((back_json = manifest_json(&back)), json))
		r = raxx_fail(RAXX_EVAULT, "the vault holds another manifest at %s "
			      "than the one just written (another provision at "
			      "the same time?): run 'git-credential-raxx handoff "
			      "verify --task-slug %s'", h.where, slug);
	if (r) {
		ret = step_failed(5, r);
		goto out;
	}
	cache_manifest(&h, &back);
	left_text(m.expires_at - now_seconds(), left, sizeof(left));
	format_iso8601(m.expires_at, when, sizeof(when));
	say("  manifest confirmed.");
	say("Provisioning complete.");
	say("  manifest   : %s", h.where);
	say("  expires    : %s (in %s)", when, left);
	say("  attach with: git-credential-raxx --bot %s setup --handoff %s   (in "
	    "the agent's worktree; or RAXX_HANDOFF=%s)", m.bot, slug, slug);
	say("  verify with: git-credential-raxx handoff verify --task-slug %s", slug);
	/* last, and even with -q: the one line the operator must keep */
	fprintf(stderr, "  revoke via : git-credential-raxx handoff revoke "
		"--task-slug %s\n", slug);
	fflush(stderr);
out:
	mint_result_release(&res);
	github_free(gh);
	if (opened)
		ho_close(&h);
	manifest_release(&m);
	manifest_release(&old);
	manifest_release(&back);
	free(full);
	free(json);
	free(back_json);
	free(ptext);
	return ret;
}

/* One verdict line on stdout. */
static void check_line(const char *tag, const char *fmt, ...) RAXX_PRINTF(2, 3);
static void check_line(const char *tag, const char *fmt, ...)
{
	va_list ap;

	printf("[%s] ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A live token sees only the manifest's repository. */
static int check_live(struct raxx_config *c, const struct manifest *m)
{
	struct mint_result res = { 0 };
	struct github *gh = NULL;
	struct json_object *o = NULL, *arr;
	const char *sel;
	char *json = NULL, fp[AUDIT_FP_LEN + 1], name[160];
	struct strbuf seen = STRBUF_INIT;
	long status = 0;
	long long total = -1;
	size_t i, n = 0;
	int ret, only = 0;

	if ((ret = get_token(c, m->slug, NULL, &res))) {
		check_line("FAIL", "live token: %s", raxx_errmsg());
		return ret;
	}
	audit_fingerprint(res.token, fp);
	if (!(gh = github_new(c->api)) ||
	    (ret = github_token_get(gh, res.token,
				    "/installation/repositories?per_page=100",
				    &status, &json))) {
		ret = raxx_errcode();
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	if (status != 200) {
		ret = raxx_fail(RAXX_EGITHUB, "GitHub answered HTTP %ld to GET "
				"/installation/repositories with the handoff's token "
				"%s: retry, or revoke the handoff", status, fp);
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	o = json_parse(json, strlen(json));
	sel = json_str(o, "repository_selection");
	if (json_int(o, "total_count", &total) ||
	    !json_object_object_get_ex(o, "repositories", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's answer to GET /installation/"
				"repositories is not usable: check RAXX_GITHUB_API");
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		const char *f = json_str(json_object_array_get_idx(arr, i), "full_name");

		sb_addf(&seen, "%s%s", i ? ", " : "",
			sanitize(name, sizeof(name), f ? f : "?"));
		if (f && !strcasecmp(f, m->repo))
			only++;
	}
	/*
	 * The verdict rests on what the token reaches: total_count and the
	 * full names. repository_selection is not promised in this answer and
	 * may describe the installation rather than the token ("all" for a
	 * token narrowed to one repository): information only.
	 */
	if (total == 1 && n == 1 && only == 1) {
		char shown[32];

		check_line("PASS", "live token %s sees only %s (1 repository; "
			   "repository_selection %s%s%s, as GitHub reports it)", fp,
			   m->repo, sel ? "\"" : "", sel ? sanitize(shown,
			   sizeof(shown), sel) : "not given", sel ? "\"" : "");
	} else {
		ret = raxx_fail(RAXX_EHANDOFF, "scope violation: the handoff's live "
				"token %s sees %lld repositories (%s), not only %s: "
				"revoke the handoff (git-credential-raxx handoff "
				"revoke --task-slug %s) and wake the operator", fp,
				total, seen.len ? seen.buf : "none", m->repo, m->slug);
		check_line("FAIL", "live token: %s", raxx_errmsg());
	}
out:
	sb_release(&seen);
	json_object_put(o);
	free(json);
	github_free(gh);
	mint_result_release(&res);
	return ret;
}

static int cmd_verify(struct raxx_config *c, int argc, char **argv)
{
	const char *slug = NULL;
	const struct opt opts[] = { { "task-slug", &slug } };
	struct manifest m = { 0 };
	struct ho h = { 0 };
	char when[32], left[32], made[32], *ptext = NULL;
	time_t now = now_seconds();
	int ret, bad = 0, r;

	if ((ret = parse_opts("verify", argc, argv, opts, 1)))
		return ret < 0 ? (fputs(handoff_usage, stdout), 0) : ret;
	if ((ret = need_slug("verify", slug)) || (ret = config_load(c)))
		return ret;
	if ((ret = ho_open(&h, c, slug)))
		goto verdict;
	r = read_manifest(&h, &m);
	if (r == 1) {
		ret = raxx_fail(RAXX_EHANDOFF, "handoff '%s' has no manifest at %s "
				"(revoked, or never provisioned): provision it with "
				"'git-credential-raxx handoff provision --task-slug %s "
				"--repo OWNER/REPO'", slug, h.where, slug);
		check_line("FAIL", "manifest: %s", raxx_errmsg());
		goto verdict;
	}
	if (r) {
		ret = r;
		check_line("FAIL", "manifest: %s", raxx_errmsg());
		goto verdict;
	}
	format_iso8601(m.created_at, made, sizeof(made));
	format_iso8601(m.expires_at, when, sizeof(when));
	if ((r = check_identity(&m, slug, h.where))) {
		check_line("FAIL", "manifest: %s", raxx_errmsg());
		ret = r;
		bad = 1;
	} else {
		check_line("PASS", "manifest %s: repo %s, bot %s, created %s", h.where,
			   m.repo, m.bot, made);
	}
	ptext = perms_text(&m);
	if ((r = check_perms(&m, h.where))) {
		check_line("FAIL", "permissions %s: %s", ptext, raxx_errmsg());
		ret = r;
		bad = 1;
	} else {
		check_line("PASS", "permissions %s: within " ALLOWED_TEXT, ptext);
	}
	if ((r = check_expiry(&m, now, h.where))) {
		check_line("FAIL", "expiry: %s", raxx_errmsg());
		if (!ret)
			ret = r;
		bad = 1;
	} else {
		left_text(m.expires_at - now, left, sizeof(left));
		check_line("PASS", "expiry %s: in %s, %ldh%02ldm after creation "
			   "(limit %dh)", when, left,
			   (long)((m.expires_at - m.created_at) / 3600),
			   (long)((m.expires_at - m.created_at) % 3600 / 60),
			   HANDOFF_MAX_TTL_HOURS);
	}
	if (!bad)
		ret = check_live(c, &m);
	else
		check_line("SKIP", "live token: not minted for a refused manifest");
	/* a scope violation is the message that goes to stderr, loudly */
	if (bad && check_perms(&m, h.where))
		ret = RAXX_EHANDOFF;
verdict:
	if (!ret)
		printf("verdict: handoff %s is sound: %s only, %s, until %s\n", slug,
		       m.repo, ptext, when);
	else
		printf("verdict: handoff %s REFUSED (exit %d)\n", slug, ret);
	fflush(stdout);
	if (h.have_vs)
		ho_close(&h);
	manifest_release(&m);
	free(ptext);
	return ret;
}

static int cmd_revoke(struct raxx_config *c, int argc, char **argv)
{
	const char *slug = NULL;
	const struct opt opts[] = { { "task-slug", &slug } };
	struct cache_entry *list = NULL;
	struct github *gh = NULL;
	struct ho h = { 0 };
	size_t i, nr = 0;
	int ret, r, lock = -1, found = 0, revoked = 0, failed = 0, deleted = 0;
	char failmsg[1024] = "", fp[AUDIT_FP_LEN + 1];

	if ((ret = parse_opts("revoke", argc, argv, opts, 1)))
		return ret < 0 ? (fputs(handoff_usage, stdout), 0) : ret;
	if ((ret = need_slug("revoke", slug)) || (ret = config_load(c)))
		return ret;
	if ((ret = ho_open(&h, c, slug)))
		return ret;
	/* no cold mint for the slug runs here meanwhile (handoff.h) */
	if (h.cache && (ret = cache_lock_token(h.cache, c->api, LOCK_NAME, slug,
					       http_deadline(), &lock)) > 0)
		goto out;
	ret = 0;
	say("revoking handoff %s:", slug);

	/* the manifest first: from now on nobody mints for the slug */
	if (!(r = ho_vault(&h)))
		r = vault_delete_secret(h.v, h.folder, HANDOFF_MANIFEST);
	ho_keep_session(&h);
	if (r == 0) {
		found++;
		deleted = 1;
		say("  manifest %s deleted", h.where);
	} else if (r == 1) {
		say("  no manifest at %s", h.where);
	} else {
		failed = r;
		snprintf(failmsg, sizeof(failmsg), "the manifest is not deleted: %s",
			 raxx_errmsg());
		warning("%s; revoking the tokens anyway", failmsg);
	}

	if (h.cache && cache_list_tokens(h.cache, &list, &nr)) {
		warning("%s", raxx_errmsg());
		raxx_clear_error();
	}
	for (i = 0; i < nr; i++) {
		struct cache_entry *e = &list[i];
		size_t rl = strcspn(e->scope, " ");

		if (!strcmp(e->api, h.mapi) && !strcmp(e->name, slug)) {
			cache_drop(h.cache, e);	/* the cached manifest */
			found++;
		} else if (scope_of_slug(e->scope, slug)) {
			struct raxx_config as = *c;
			char *repo = xstrndup(e->scope, rl);
			struct github *g;

			found++;
			audit_fingerprint(e->secret, fp);
			as.bot = e->name;
			/* one client for RAXX_GITHUB_API, a passing one for another */
			if (strcmp(e->api, c->api))
				g = github_new(e->api);
			else if (!gh)
				g = gh = github_new(c->api);
			else
				g = gh;
			r = g ? github_revoke_token(g, e->secret) : raxx_errcode();
			if (g != gh)
				github_free(g);
			if (r == 0 || r == 1) {
				cache_drop(h.cache, e);
				audit_record(&as, "revoke", repo, e->secret, e->expires_at,
					     r ? "handoff revoke: GitHub no longer knew it" :
					     "handoff revoke");
				if (r)
					warning("token %s of %s for %s was already "
						"expired or revoked at GitHub: dropped",
						fp, e->name, repo);
				else
					say("  token %s of %s for %s revoked at GitHub",
					    fp, e->name, repo);
				revoked += !r;
			} else {
				if (!failed) {
					failed = r;
					snprintf(failmsg, sizeof(failmsg), "token %s "
						 "of %s is not revoked (still cached; "
						 "run this again): %s", fp, e->name,
						 raxx_errmsg());
				}
				warning("token %s of %s for %s is not revoked: %s",
					fp, e->name, repo, raxx_errmsg());
			}
			free(repo);
		}
		cache_entry_release(e);
	}
	free(list);
	if (failed)
		ret = raxx_fail(failed, "handoff '%s' only partly revoked: %s", slug,
				failmsg);
	else if (!found)
		ret = raxx_fail(RAXX_ENOTHING, "handoff '%s': no manifest at %s and "
				"no live token of it in the cache%s%s: nothing to "
				"revoke", slug, h.where, h.cache ? " " : "",
				h.cache ? cache_dir(h.cache) : "");
	else
		say("handoff %s revoked: %d token%s revoked, manifest %s", slug,
		    revoked, revoked == 1 ? "" : "s",
		    deleted ? "deleted" : "was not there");
out:
	cache_unlock(lock);
	github_free(gh);
	ho_close(&h);
	return ret;
}

static int cmd_list(struct raxx_config *c, int argc, char **argv)
{
	struct ho h = { 0 };
	char **names = NULL, safe[80], when[32], left[32];
	size_t i, nr = 0;
	time_t now = now_seconds();
	int ret;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
			return fputs(handoff_usage, stdout), 0;
		return usage_err("list", "unexpected argument '%s'", argv[1]);
	}
	if ((ret = config_load(c)) || (ret = ho_open(&h, c, NULL)) ||
	    (ret = ho_vault(&h)))
		goto out;
	ret = vault_list_folders(h.v, h.root, &names, &nr);
	if (ret == 1 || (!ret && !nr)) {
		say("no handoffs under %s", h.root);
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;
	printf("%-32s %-32s %-16s %-20s %s\n", "SLUG", "REPO", "BOT", "EXPIRES",
	       "STATE");
	for (i = 0; i < nr; i++) {
		struct manifest m = { 0 };
		char *folder, *where, *json = NULL, repo[80], bot[40], state[64];
		int r;

		sanitize(safe, sizeof(safe), names[i]);
		if (!handoff_slug_ok(names[i])) {
			printf("%-32s %-32s %-16s %-20s %s\n", safe, "-", "-", "-",
			       "not a slug");
			continue;
		}
		folder = xstrfmt("%s/%s", h.root, names[i]);
		where = xstrfmt("%s/%s", folder, HANDOFF_MANIFEST);
		r = vault_get_secret(h.v, folder, HANDOFF_MANIFEST, &json);
		if (r > 1) {
			ret = r;
			free(folder);
			free(where);
			goto out;
		}
		snprintf(when, sizeof(when), "-");
		snprintf(repo, sizeof(repo), "-");
		snprintf(bot, sizeof(bot), "-");
		if (r == 1) {
			snprintf(state, sizeof(state), "no manifest (revoked)");
		} else if (manifest_parse(json, where, &m)) {
			snprintf(state, sizeof(state), "MALFORMED");
		} else {
			sanitize(repo, sizeof(repo), m.repo);
			sanitize(bot, sizeof(bot), m.bot);
			format_iso8601(m.expires_at, when, sizeof(when));
			left_text(m.expires_at - now, left, sizeof(left));
			snprintf(state, sizeof(state), "%s",
				 check_perms(&m, where) ? "SCOPE VIOLATION" :
				 check_identity(&m, names[i], where) ? "INVALID" :
				 m.expires_at <= now ? "expired" :
				 check_expiry(&m, now, where) ? "INVALID" : "live");
			if (!strcmp(state, "live"))
				snprintf(state, sizeof(state), "live, %s left", left);
		}
		raxx_clear_error();
		printf("%-32s %-32s %-16s %-20s %s\n", safe, repo, bot, when, state);
		manifest_release(&m);
		free(json);
		free(folder);
		free(where);
	}
out:
	vault_names_free(names, nr);
	if (h.have_vs)
		ho_close(&h);
	return ret;
}

static int cmd_attach(struct raxx_config *c, int argc, char **argv, int detach)
{
	const char *sub = detach ? "detach" : "attach";
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return fputs(handoff_usage, stdout), 0;
	if (detach ? argc != 1 : argc != 2)
		return usage_err(sub, detach ? "takes no arguments" :
				 "usage: handoff attach SLUG");
	ret = detach ? handoff_detach(c) : handoff_attach(c, argv[1]);
	if (!ret && detach)
		notice("handoff: this worktree is no longer a handoff worktree");
	else if (!ret)
		notice("handoff: this worktree is now handoff '%s': get, token, exec "
		       "and gh mint only what its manifest allows", argv[1]);
	return ret;
}

int handoff_main(struct raxx_config *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	int ret;

	if (!sub) {
		fputs(handoff_usage, stderr);
		return RAXX_EUSAGE;
	}
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		fputs(handoff_usage, stdout);
		return 0;
	}
	raxx_clear_error();
	if (!strcmp(sub, "provision"))
		ret = cmd_provision(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "verify"))
		ret = cmd_verify(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "revoke"))
		ret = cmd_revoke(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "list"))
		ret = cmd_list(c, argc - 1, argv + 1);
	else if (!strcmp(sub, "attach"))
		ret = cmd_attach(c, argc - 1, argv + 1, 0);
	else if (!strcmp(sub, "detach"))
		ret = cmd_attach(c, argc - 1, argv + 1, 1);
	else
		return usage_err(sub, "unknown handoff action (provision, verify, "
				 "revoke, list, attach, detach)");
	if (ret && *raxx_errmsg())	/* usage_err() has said it already */
		error_msg("%s", raxx_errmsg());
	return ret;
}
