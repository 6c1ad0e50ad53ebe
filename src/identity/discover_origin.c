/*
 * Which repository a remote URL, or the worktree's origin, names on the
 * configured git host: the contract is in discover.h. Healing looks the
 * installation up by it when the request names no repository.
 */
#define _POSIX_C_SOURCE 200809L
#include "discover.h"
#include "base/gitcmd.h"
#include "base/log.h"
#include "base/protocol.h"
#include "base/util.h"

#include <string.h>
#include <strings.h>

/* "host[:port]" -> "host" (IPv6 "[::1]:8443" -> "[::1]") */
static char *host_only(const char *hp)
{
	const char *colon;

	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');

		return end ? xstrndup(hp, (size_t)(end - hp + 1)) : xstrdup(hp);
	}
	colon = strrchr(hp, ':');
	return colon ? xstrndup(hp, (size_t)(colon - hp)) : xstrdup(hp);
}

static int same_hostname(const char *a, const char *b)
{
	char *x = host_only(a), *y = host_only(b);
	int same = *x && !strcasecmp(x, y);

	free(x);
	free(y);
	return same;
}

/*
 * OWNER/REPO of url when it points at host. https URLs must match host
 * exactly (port included); ssh and scp-like URLs match by host name, as
 * their port is SSH's.
 */
int discover_repo_of_url(const char *url, const char *host, char **owner_repo)
{
	const char *rest, *slash, *at;
	char *authority = NULL, *path = NULL;
	int https = 0, ok = 0;
	size_t n;

	*owner_repo = NULL;
	if (!strncasecmp(url, "https://", 8)) {
		rest = url + 8;
		https = 1;
	} else if (!strncasecmp(url, "ssh://", 6)) {
		rest = url + 6;
	} else if (!strstr(url, "://") && strchr(url, ':') &&
		   (!strchr(url, '/') || strchr(url, ':') < strchr(url, '/'))) {
		/* scp-like: [user@]host:OWNER/REPO.git */
		const char *colon = strchr(url, ':');

		at = memchr(url, '@', (size_t)(colon - url));
		authority = xstrndup(at ? at + 1 : url,
				     (size_t)(colon - (at ? at + 1 : url)));
		path = xstrdup(colon + 1);
		ok = same_hostname(authority, host);
		goto parsed;
	} else {
		return -1;
	}
	slash = strchr(rest, '/');
	if (!slash)
		return -1;
	at = memchr(rest, '@', (size_t)(slash - rest));
	if (at)
		rest = at + 1;
	authority = xstrndup(rest, (size_t)(slash - rest));
	path = xstrdup(slash + 1);
	ok = https ? credential_host_matches(authority, host) :
		same_hostname(authority, host);
parsed:
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		path[--n] = '\0';
	if (ok && credential_repo(path, owner_repo))
		ok = 0;
	/* GitHub strips ".git" from a repository's name, so "REPO.git.git"
	 * names none: its "OWNER/REPO.git" would read as another repository
	 * the next time it is parsed */
	if (ok && (n = strlen(*owner_repo)) >= 4 &&
	    !strcmp(*owner_repo + n - 4, ".git")) {
		free(*owner_repo);
		*owner_repo = NULL;
		ok = 0;
	}
	free(authority);
	free(path);
	return ok ? 0 : -1;
}

int discover_origin_repo(const char *host, char **owner_repo)
{
	const char *args[] = { "remote", "get-url", "origin", NULL };
	struct strbuf out = STRBUF_INIT;
	char safe[256];
	int ret = -1;

	*owner_repo = NULL;
	/* git's own complaint (not a repository, no such remote) is not ours
	 * to print: the caller says what it means */
	if (git_run(args, &out, RUN_STDERR_NULL) || !out.len)
		goto out;
	while (out.len && (out.buf[out.len - 1] == '\n' || out.buf[out.len - 1] == '\r'))
		out.buf[--out.len] = '\0';
	/* a URL holding a password is never echoed: only say it did not match */
	ret = discover_repo_of_url(out.buf, host, owner_repo);
	if (ret)
		trace("discover: origin is not a repository on %s", host);
	else
		trace("discover: origin is %s on %s", *owner_repo,
		      sanitize(safe, sizeof(safe), host));
out:
	sb_release(&out);
	return ret;
}
