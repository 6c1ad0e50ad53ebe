/*
 * Finding the real gh: the contract is in ghfind.h. The compiled shim
 * links this, so it stays free of libcurl and OpenSSL.
 */
#define _XOPEN_SOURCE 700	/* realpath() */
#include "ghfind.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directories (real paths) never to take gh from. */
struct skip_set {
	char **dirs;
	size_t nr;
	char *shim_file;	/* the shim's real path, or NULL */
};

static void skip_add(struct skip_set *s, const char *dir)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->dirs[i], dir))
			return;
	s->dirs = xrealloc(s->dirs, (s->nr + 1) * sizeof(*s->dirs));
	s->dirs[s->nr++] = xstrdup(dir);
}

static int skip_has(const struct skip_set *s, const char *dir)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->dirs[i], dir))
			return 1;
	return 0;
}

static void skip_release(struct skip_set *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		free(s->dirs[i]);
	free(s->dirs);
	free(s->shim_file);
	memset(s, 0, sizeof(*s));
}

/* The directory part of path, "." when it has none (malloc'd). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* realpath(path) as a malloc'd string, NULL when it does not resolve. */
static char *real_of(const char *path)
{
	return realpath(path, NULL);
}

/*
 * The chain says which shim directories this very process (the pid
 * survives exec) has already gone through: "PID:DIR:DIR...". A chain from
 * another pid belongs to an ancestor (gh running an alias or extension
 * that calls gh again) and is ignored, so such nested calls work.
 */
static void skip_from_chain(struct skip_set *s, const char *chain)
{
	char pid[32];
	const char *p, *q;
	int n;

	if (!chain)
		return;
	n = snprintf(pid, sizeof(pid), "%ld:", (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(pid) || strncmp(chain, pid, (size_t)n))
		return;
	for (p = chain + n; *p; p = *q ? q + 1 : q) {
		char *dir;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		if (q == p)
			continue;
		dir = xstrndup(p, (size_t)(q - p));
		skip_add(s, dir);
		free(dir);
	}
}

static int is_executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

/* Whether the gh at cand (which exists) is the shim or sits in a shim dir. */
static int is_shim(const struct skip_set *s, const char *cand)
{
	char *real = real_of(cand), *rdir;
	int ret;

	if (!real)
		return 1;	/* vanished under us: not a gh to run */
	rdir = dir_of(real);
	ret = (s->shim_file && !strcmp(real, s->shim_file)) || skip_has(s, rdir);
	free(rdir);
	free(real);
	return ret;
}

static char *search_path(const struct skip_set *s)
{
	const char *path = env_get("PATH"), *p, *q;

	if (!path)
		return NULL;
	for (p = path;; p = q + 1) {
		char *entry, *rentry, *cand;
		int skip;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		/* an empty entry is the current directory, as for execvp */
		entry = q == p ? xstrdup(".") : xstrndup(p, (size_t)(q - p));
		cand = xstrfmt("%s/gh", entry);
		if (is_executable_file(cand)) {
			rentry = real_of(entry);
			skip = !rentry || skip_has(s, rentry) || is_shim(s, cand);
			trace("gh shim: %s %s", cand, skip ? "is the shim: skipped" :
			      "is the real gh");
			free(rentry);
			if (!skip) {
				free(entry);
				return cand;
			}
		}
		free(cand);
		free(entry);
		if (!*q)
			return NULL;
	}
}

char *find_real_gh(const char *shim_path, const char *chain, char **chain_out)
{
	struct skip_set s = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *want = env_get("RAXX_GH");
	char *gh = NULL, safe[256];
	size_t i;

	*chain_out = NULL;
	skip_from_chain(&s, chain);
	if (shim_path) {
		char *dir = dir_of(shim_path), *rdir = real_of(dir);

		s.shim_file = real_of(shim_path);
		if (rdir)
			skip_add(&s, rdir);
		free(rdir);
		free(dir);
	}
	if (want) {
		if (!is_executable_file(want)) {
			raxx_fail(RAXX_ENOTFOUND, "RAXX_GH '%s' is not an executable "
				  "file: point it at the real gh",
				  sanitize(safe, sizeof(safe), want));
		} else if (is_shim(&s, want)) {
			raxx_fail(RAXX_ENOTFOUND, "RAXX_GH '%s' is the gh shim itself: "
				  "point it at the real gh (e.g. /usr/bin/gh)",
				  sanitize(safe, sizeof(safe), want));
		} else {
			gh = xstrdup(want);
		}
	} else if (!(gh = search_path(&s))) {
		raxx_fail(RAXX_ENOTFOUND, "gh: no real gh in PATH%s%s: install gh "
			  "(https://cli.github.com) or set RAXX_GH to its path",
			  s.nr ? " besides the shim in " : "",
			  s.nr ? sanitize(safe, sizeof(safe), s.dirs[s.nr - 1]) : "");
	}
	if (gh) {
		sb_addf(&out, "%ld", (long)getpid());
		for (i = 0; i < s.nr; i++)
			sb_addf(&out, ":%s", s.dirs[i]);
		*chain_out = sb_detach(&out);
	}
	skip_release(&s);
	return gh;
}
