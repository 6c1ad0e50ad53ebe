#define _POSIX_C_SOURCE 200809L
#include "discover.h"
#include "cache.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "protocol.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define MEMORY_MAX (64 * 1024)

/* ---------------------------------------------------------------- files */

char *discover_state_dir(void)
{
	return state_dir_path();	/* one definition, shared with the audit log */
}

int discover_private_dir(const char *dir, char *why, size_t n)
{
	int fd = private_dir_open(dir, why, n);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int discover_write_file(const char *dir, const char *name, const char *data)
{
	char *path = xstrfmt("%s/%s", dir, name);
	char *tmp = xstrfmt("%s/.%s.%ld.tmp", dir, name, (long)getpid());
	size_t len = strlen(data), off = 0;
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (off == len && !fsync(fd) && !close(fd)) {
		fd = -1;
		if (!rename(tmp, path))
			ret = 0;
	}
	if (fd >= 0)
		close(fd);
	if (ret)
		unlink(tmp);
out:
	free(tmp);
	free(path);
	return ret;
}

char *discover_read_file(const char *dir, const char *name)
{
	char *path = xstrfmt("%s/%s", dir, name), *buf = NULL;
	struct stat st;
	size_t off = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) || st.st_size > MEMORY_MAX) {
		close(fd);
		return NULL;	/* not ours as we write them: ignored */
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- memory */

/* installation.BOT.HASH: one memory per bot and GitHub API */
static char *memory_name(const struct heal_request *h)
{
	unsigned char hash[8];
	char hex[sizeof(hash) * 2 + 1];

	crypto_generichash(hash, sizeof(hash), (const unsigned char *)h->api,
			   strlen(h->api), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	return xstrfmt("installation.%s.%s", h->bot, hex);
}

static int numeric_id(const char *s)
{
	return s && *s && strlen(s) <= 20 &&
	       strspn(s, "0123456789") == strlen(s);
}

char *discover_recall(const struct heal_request *h, char **file)
{
	char *dir = discover_state_dir(), *name = NULL, *text = NULL;
	char *inst = NULL;
	struct json_object *o = NULL;
	const char *api, *bot, *app, *vault, *id;

	if (file)
		*file = NULL;
	if (!dir)
		return NULL;
	name = memory_name(h);
	if (!(text = discover_read_file(dir, name)))
		goto out;
	o = json_parse(text, strlen(text));
	api = json_str(o, "api");
	bot = json_str(o, "bot");
	app = json_str(o, "app_id");
	vault = json_str(o, "vault_installation_id");
	id = json_str(o, "installation_id");
	if (!api || !bot || !app || !vault || !numeric_id(id) ||
	    strcmp(api, h->api) || strcmp(bot, h->bot)) {
		trace("discover: ignoring a malformed memory %s/%s", dir, name);
		goto out;
	}
	if (strcmp(app, h->app_id) ||
	    strcmp(vault, h->vault_inst ? h->vault_inst : "")) {
		/* the vault changed since: trust it again */
		trace("discover: the vault's APP_ID/INSTALLATION_ID changed since "
		      "installation %s was found: forgetting it", id);
		discover_forget(h);
		goto out;
	}
	inst = xstrdup(id);
	if (file)
		*file = xstrfmt("%s/%s", dir, name);
out:
	json_object_put(o);
	free(text);
	free(name);
	free(dir);
	return inst;
}

int discover_remember(const struct heal_request *h, const char *inst,
		      const char *repo)
{
	char *dir = discover_state_dir(), *name, why[512], when[32];
	struct json_object *o;
	int ret = -1;

	if (!dir)
		return -1;
	if (discover_private_dir(dir, why, sizeof(why))) {
		warning("cannot remember installation %s in the state directory: "
			"%s", inst, why);
		free(dir);
		return -1;
	}
	format_iso8601(now_seconds(), when, sizeof(when));
	o = json_object_new_object();
	json_object_object_add(o, "api", json_object_new_string(h->api));
	json_object_object_add(o, "bot", json_object_new_string(h->bot));
	json_object_object_add(o, "app_id", json_object_new_string(h->app_id));
	json_object_object_add(o, "vault_installation_id",
			       json_object_new_string(h->vault_inst ? h->vault_inst : ""));
	json_object_object_add(o, "installation_id", json_object_new_string(inst));
	json_object_object_add(o, "repository", json_object_new_string(repo));
	json_object_object_add(o, "discovered_at", json_object_new_string(when));
	name = memory_name(h);
	ret = discover_write_file(dir, name,
				  json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED));
	if (ret)
		warning("cannot remember installation %s in %s: %s", inst, dir,
			strerror(errno));
	json_object_put(o);
	free(name);
	free(dir);
	return ret;
}

void discover_forget(const struct heal_request *h)
{
	char *dir = discover_state_dir(), *name, *path;

	if (!dir)
		return;
	name = memory_name(h);
	path = xstrfmt("%s/%s", dir, name);
	unlink(path);
	free(path);
	free(name);
	free(dir);
}

/* ---------------------------------------------------------------- origin */

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
	free(authority);
	free(path);
	return ok ? 0 : -1;
}

int discover_origin_repo(const char *host, char **owner_repo)
{
	const char *argv[] = { "git", "remote", "get-url", "origin", NULL };
	struct strbuf out = STRBUF_INIT;
	char safe[256];
	int ret = -1;

	*owner_repo = NULL;
	/* git's own complaint (not a repository, no such remote) is not ours
	 * to print: the caller says what it means */
	if (run_capture_ex(argv, &out, RUN_STDERR_NULL) || !out.len)
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

/* ---------------------------------------------------------------- healing */

int discover_find(struct github *gh, struct jwt_key *key,
		  const struct heal_request *h, char **inst, char **from)
{
	char *repo = NULL;
	int ret;

	*inst = *from = NULL;
	if (h->repo)
		repo = xstrdup(h->repo);
	else if (discover_origin_repo(h->host, &repo))
		return raxx_fail(RAXX_ENOINST, "no repository to look the "
				 "installation up by: pass --repo OWNER/REPO, or "
				 "run inside a worktree whose origin is on %s",
				 h->host);
	ret = github_find_installation(gh, key, h->app_id, repo, inst);
	if (ret) {
		free(repo);
		return ret;
	}
	*from = repo;
	return 0;
}

static char *vault_where(const struct heal_request *h)
{
	return xstrfmt("%s (environment %s)", h->vault_path,
		       h->vault_env ? h->vault_env : "prod");
}

int discover_create_token(struct github *gh, struct jwt_key *key,
			  const struct heal_request *h,
			  const struct token_scope *scope, struct gh_token *out,
			  char **used)
{
	char *mem = NULL, *memfile = NULL, *found = NULL, *from = NULL;
	char *stale_msg = NULL, *where = NULL;
	int ret;

	if (used)
		*used = NULL;
	memset(out, 0, sizeof(*out));
	mem = discover_recall(h, &memfile);
	if (mem) {
		ret = github_create_token(gh, key, h->app_id, mem, scope, h->bot, out);
		if (!ret) {
			where = vault_where(h);
			warning("INSTALLATION_ID %s at %s is stale: minted with "
				"installation %s, found earlier (%s): update "
				"INSTALLATION_ID there to %s",
				h->vault_inst ? h->vault_inst : "(absent)", where,
				mem, memfile, mem);
			goto done;
		}
		if (ret != RAXX_ENOINST)
			goto out;
		trace("discover: remembered installation %s is gone too", mem);
		discover_forget(h);
	}
	if (h->vault_inst && !mem) {
		ret = github_create_token(gh, key, h->app_id, h->vault_inst, scope,
					  h->bot, out);
		if (!ret && used)
			*used = xstrdup(h->vault_inst);
		if (ret != RAXX_ENOINST)
			goto out;
	}
	if (h->vault_inst)
		stale_msg = xstrfmt("installation %s of App %s not found (HTTP 404)",
				    h->vault_inst, h->app_id);
	else
		stale_msg = xstrfmt("INSTALLATION_ID missing at %s", h->vault_path);

	ret = discover_find(gh, key, h, &found, &from);
	if (ret) {
		char *why = xstrdup(raxx_errmsg());

		if (ret == RAXX_ENOINST && !h->vault_inst)
			/* nothing to heal with: the key is simply missing */
			ret = raxx_fail(RAXX_ESECRETS, "bot secrets at %s for %s "
					"missing keys: INSTALLATION_ID: add it in the "
					"vault with this exact name (%s)", h->vault_path,
					h->bot, why);
		else if (ret == RAXX_ENOINST)
			ret = raxx_fail(RAXX_ENOINST, "%s: the App was reinstalled "
					"or the organization renamed, and %s; then "
					"update INSTALLATION_ID for %s at %s",
					stale_msg, why, h->bot, h->vault_path);
		else	/* e.g. a redirect off the API: say what it was for */
			ret = raxx_fail(ret, "%s, and looking it up again failed: %s",
					stale_msg, why);
		free(why);
		goto out;
	}
	if (h->vault_inst && !strcmp(found, h->vault_inst)) {
		ret = raxx_fail(RAXX_ENOINST, "%s, yet GitHub names it as the "
				"installation on '%s': retry later", stale_msg, from);
		goto out;
	}
	ret = github_create_token(gh, key, h->app_id, found, scope, h->bot, out);
	if (ret)
		goto out;
	where = vault_where(h);
	if (h->vault_inst)
		warning("installation %s of App %s for %s is gone (HTTP 404: the "
			"App was reinstalled or the organization renamed); minted "
			"with installation %s, found through %s: update "
			"INSTALLATION_ID at %s from %s to %s", h->vault_inst,
			h->app_id, h->bot, found, from, where, h->vault_inst, found);
	else
		warning("INSTALLATION_ID missing at %s for %s; minted with "
			"installation %s, found through %s: add INSTALLATION_ID "
			"= %s there", where, h->bot, found, from, found);
	discover_remember(h, found, from);
	free(mem);
	mem = found;
	found = NULL;
done:
	if (used) {
		*used = mem;
		mem = NULL;
	}
	ret = 0;
out:
	free(mem);
	free(memfile);
	free(found);
	free(from);
	free(stale_msg);
	free(where);
	return ret;
}
