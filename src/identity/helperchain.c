/*
 * The credential helpers git asks for https://HOST: the contract is in
 * helperchain.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "helperchain.h"
#include "base/gitcmd.h"
#include "base/protocol.h"
#include "base/util.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

/* Does a credential.<url>.helper subsection apply to https://host? */
static int url_applies(const char *sub, const char *host)
{
	const char *rest = sub, *slash, *at;
	char *hp, *lh, *lc;
	int ok;

	if (strstr(sub, "://")) {
		if (strncasecmp(sub, "https://", 8))
			return 0;
		rest = sub + 8;
	}
	slash = strchr(rest, '/');
	at = memchr(rest, '@', slash ? (size_t)(slash - rest) : strlen(rest));
	if (at)
		rest = at + 1;
	hp = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	/* a path-scoped entry applies to some repositories: counted */
	ok = credential_host_matches(hp, host);
	if (!ok && strchr(hp, '*')) {
		lh = xstrdup(hp);
		lc = xstrdup(host);
		for (char *p = lh; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (char *p = lc; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		ok = !fnmatch(lh, lc, FNM_PERIOD);
		free(lh);
		free(lc);
	}
	free(hp);
	return ok;
}

/* The program a helper value names: "store", "raxx", "cache", ... */
char *helper_word(const char *value)
{
	const char *p = value, *end, *base;

	if (*p == '!')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strcspn(p, " \t");
	base = p;
	for (const char *q = p; q < end; q++)
		if (*q == '/')
			base = q + 1;
	if (end - base > 15 && !strncmp(base, "git-credential-", 15))
		base += 15;
	else if (value[0] == '!' && end - base == 3 && !strncmp(base, "git", 3) &&
		 !strncmp(end, " credential-", 12))
		return xstrndup(end + 12, strcspn(end + 12, " \t"));
	return xstrndup(base, (size_t)(end - base));
}

int helper_is(const char *value, const char *what)
{
	char *w = helper_word(value);
	int is = !strcmp(w, what);

	if (!is && value[0] == '!' && !strcmp(what, "raxx"))
		is = strstr(value, "git-credential-raxx") != NULL;
	free(w);
	return is;
}

void helpers_release(struct helper *h, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(h[i].value);
		free(h[i].origin);
	}
	free(h);
}

int helper_chain(const char *host, struct helper **out, size_t *nr,
		 char **dropped_by)
{
	const char *args[] = { "config", "-z", "--show-origin", "--get-regexp",
			       "^credential\\..*helper$", NULL };
	struct strbuf raw = STRBUF_INIT;
	struct config_entry *e = NULL;
	struct helper *h = NULL;
	size_t ne = 0, n = 0, i, k;

	*dropped_by = NULL;
	/* exit 1: no helper at all; outside a repository git says so */
	git_run(args, &raw, RUN_STDERR_NULL);
	config_parse_z(&raw, CONFIG_Z_ORIGIN, &e, &ne);
	sb_release(&raw);
	for (k = 0; k < ne; k++) {
		const char *key = e[k].key, *origin = e[k].origin;
		const char *value = e[k].value ? e[k].value : "";

		if (strcasecmp(key, "credential.helper")) {
			/* credential.<url>.helper */
			char *sub = xstrndup(key + 11, strlen(key) - 11 - 7);
			int applies = url_applies(sub, host);

			free(sub);
			if (!applies)
				continue;
		}
		if (!strncmp(origin, "file:", 5))
			origin += 5;
		if (!*value) {
			/* an empty entry resets the list */
			for (i = 0; i < n; i++)
				if (helper_is(h[i].value, "raxx")) {
					free(*dropped_by);
					*dropped_by = xstrfmt("%s (%s)", key, origin);
				}
			helpers_release(h, n);
			h = NULL;
			n = 0;
			continue;
		}
		h = xrealloc(h, (n + 1) * sizeof(*h));
		h[n].value = xstrdup(value);
		h[n].origin = xstrdup(origin);
		n++;
	}
	config_entries_free(e, ne);
	*out = h;
	*nr = n;
	return 0;
}
