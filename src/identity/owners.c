/*
 * The owners setting: the contract is in owners.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "owners.h"
#include "config.h"
#include "base/gitcmd.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>
#include <strings.h>

#define LOGIN_MAX 100

static int login_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > LOGIN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!s[i] || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789-_", s[i]))
			return 0;
	return 1;
}

void owners_release(struct owners *o)
{
	size_t i;

	for (i = 0; i < o->nr; i++)
		free(o->logins[i]);
	free(o->logins);
	free(o->source);
	memset(o, 0, sizeof(*o));
}

int owners_parse(struct owners *o, const char *list, const char *source)
{
	const char *p = list;

	memset(o, 0, sizeof(*o));
	while (*p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		if (!login_ok(p, n)) {
			char *bad = xstrndup(p, n > 80 ? 80 : n), safe[100];

			sanitize(safe, sizeof(safe), bad);
			free(bad);
			owners_release(o);
			return raxx_fail(RAXX_EUSAGE, "owner '%s' in %s is not a "
					 "GitHub login: list account logins separated "
					 "by spaces or commas", safe, source);
		}
		{
			char *login = xstrndup(p, n);

			if (owners_has(o, login)) {
				free(login);	/* named twice */
			} else {
				o->logins = xrealloc(o->logins, (o->nr + 1) *
						     sizeof(*o->logins));
				o->logins[o->nr++] = login;
			}
		}
		p += n;
	}
	o->source = xstrdup(source);
	return 0;
}

int owners_has(const struct owners *o, const char *login)
{
	size_t i;

	if (!o || !login)
		return 0;
	for (i = 0; i < o->nr; i++)
		if (!strcasecmp(o->logins[i], login))
			return 1;
	return 0;
}

char *owners_list(const struct owners *o)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; o && i < o->nr; i++)
		sb_addf(&sb, "%s%s", i ? ", " : "", o->logins[i]);
	return sb_detach(&sb);
}

/* A scope whose file the repository (so an agent) can write. */
static int repository_scope(const char *scope)
{
	return scope && (!strcmp(scope, "local") || !strcmp(scope, "worktree"));
}

int owners_load(struct raxx_config *c, struct owners *o)
{
	const char *env = env_get("RAXX_OWNERS"), *v = NULL;
	const struct config_entry *e, *hit = NULL, *ignored = NULL;
	char *source;
	size_t i, nr;
	int ret;

	memset(o, 0, sizeof(*o));
	if (env)
		return owners_parse(o, env, "RAXX_OWNERS");
	e = config_git_entries(c, &nr);
	for (i = 0; i < nr; i++) {
		if (strcasecmp(e[i].key, "raxx.owners"))
			continue;
		if (repository_scope(e[i].scope)) {
			if (e[i].value && *e[i].value)
				ignored = &e[i];
			continue;
		}
		hit = &e[i];	/* the last one wins */
	}
	if (ignored)
		warning("raxx.owners in the %s config is ignored: the repository's "
			"own config cannot widen which accounts a bot may act on; "
			"set it with 'git config --global raxx.owners' or in "
			"RAXX_OWNERS", ignored->scope);
	if (!hit || !(v = hit->value) || !*v)
		return 0;
	source = xstrfmt("raxx.owners (%s config)", hit->scope ? hit->scope : "git");
	ret = owners_parse(o, v, source);
	free(source);
	if (!ret)
		trace("owners: %zu account(s) from %s", o->nr, o->source);
	return ret;
}
