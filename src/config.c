#define _POSIX_C_SOURCE 200809L
#include "config.h"
#include "log.h"
#include "settings_cache.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int run_capture(const char *const *argv, struct strbuf *out)
{
	return run_capture_ex(argv, out, RUN_STDERR_INHERIT);
}

int run_capture_ex(const char *const *argv, struct strbuf *out,
		   enum run_stderr err)
{
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (pipe(fds))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (err == RUN_STDERR_MERGE)
		posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	else if (err == RUN_STDERR_NULL)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (!out->cap)
		out->cap = 1024 * 1024;
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		sb_add(out, buf, (size_t)n);	/* past the cap: dropped */
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* GIT_CEILING_DIRECTORIES: git stops its search at these; so do we. */
static int is_ceiling(const char *dir)
{
	const char *list = env_get("GIT_CEILING_DIRECTORIES"), *p, *colon;
	size_t n, dn = strlen(dir);

	for (p = list; p && *p; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		while (n > 1 && p[n - 1] == '/')
			n--;
		if (n == dn && !strncmp(p, dir, n))
			return 1;
	}
	return 0;
}

char *find_toplevel(void)
{
	const char *wt = env_get("GIT_WORK_TREE");
	char *dir, *probe;
	struct stat st;
	size_t n;

	if (wt)
		return xstrdup(wt);
	dir = getcwd(NULL, 0);
	if (!dir)
		return NULL;
	for (;;) {
		probe = xstrfmt("%s/.git", dir);
		if (!lstat(probe, &st) && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			free(probe);
			return dir;
		}
		free(probe);
		n = strlen(dir);
		while (n > 1 && dir[n - 1] != '/')
			n--;
		if (n <= 1) {
			free(dir);
			return NULL;
		}
		dir[n - 1] = '\0';
		if (is_ceiling(dir)) {	/* git does not look in a ceiling either */
			free(dir);
			return NULL;
		}
	}
}

/* The next NUL-terminated field in [*p, end), or NULL. */
static const char *next_field(const char **p, const char *end)
{
	const char *f = *p, *nul;

	if (f >= end || !(nul = memchr(f, '\0', (size_t)(end - f))))
		return NULL;
	*p = nul + 1;
	return f;
}

void config_parse_z(const struct strbuf *out, int fields,
		    struct config_entry **e, size_t *nr)
{
	/* no answer at all (git printed nothing) has no buffer: NULL + 0
	 * would be undefined */
	const char *p = out->buf, *end = p ? p + out->len : NULL;

	while (p && p < end) {
		const char *scope = NULL, *origin = NULL, *rec, *nl;
		struct config_entry *ce;

		if (((fields & CONFIG_Z_SCOPE) && !(scope = next_field(&p, end))) ||
		    ((fields & CONFIG_Z_ORIGIN) && !(origin = next_field(&p, end))) ||
		    !(rec = next_field(&p, end)))
			break;
		nl = strchr(rec, '\n');
		*e = xrealloc(*e, (*nr + 1) * sizeof(**e));
		ce = &(*e)[(*nr)++];
		ce->key = nl ? xstrndup(rec, (size_t)(nl - rec)) : xstrdup(rec);
		ce->value = nl ? xstrdup(nl + 1) : NULL;
		ce->scope = scope ? xstrdup(scope) : NULL;
		ce->origin = origin ? xstrdup(origin) : NULL;
	}
}

void config_entries_free(struct config_entry *e, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(e[i].key);
		free(e[i].value);
		free(e[i].scope);
		free(e[i].origin);
	}
	free(e);
}

static void read_git_config(struct raxx_config *c)
{
	struct strbuf out = STRBUF_INIT;

	if (c->git_read)
		return;
	c->git_read = 1;
	/* one git child, or none when nothing it reads has changed */
	settings_read(c->toplevel, &out);
	config_parse_z(&out, CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN, &c->git, &c->git_nr);
	sb_release(&out);
}

const char *config_git(struct raxx_config *c, const char *key)
{
	size_t i;
	const char *v = NULL;

	read_git_config(c);
	/* the last one wins, as git says (worktree config comes last) */
	for (i = 0; i < c->git_nr; i++)
		if (!strcasecmp(c->git[i].key, key))
			v = c->git[i].value ? c->git[i].value : "true";
	return (v && *v) ? v : NULL;
}

const struct config_entry *config_git_entries(struct raxx_config *c,
					      size_t *nr)
{
	read_git_config(c);
	*nr = c->git_nr;
	return c->git;
}

const char *fallback_name(enum fallback f)
{
	return f == FALLBACK_PAT ? "pat" : f == FALLBACK_PASS ? "pass" : "deny";
}

/* env first, then git config, then the default */
static char *setting(struct raxx_config *c, const char *env, const char *key,
		     const char *def)
{
	const char *v = env_get(env);

	if (!v && key)
		v = config_git(c, key);
	return v ? xstrdup(v) : def ? xstrdup(def) : NULL;
}

int config_load(struct raxx_config *c)
{
	char *fb, *author;

	if (c->host)
		return 0;	/* loaded already */
	c->toplevel = find_toplevel();
	c->host = setting(c, "RAXX_GITHUB_HOST", "raxx.host", "github.com");
	c->api = setting(c, "RAXX_GITHUB_API", "raxx.githubapi",
			 "https://api.github.com");
	c->ca_bundle = setting(c, "RAXX_CA_BUNDLE", "raxx.cabundle", NULL);
	fb = setting(c, "RAXX_FALLBACK", "raxx.fallback", "pat");
	if (!strcasecmp(fb, "pat")) {
		c->fallback = FALLBACK_PAT;
	} else if (!strcasecmp(fb, "pass")) {
		c->fallback = FALLBACK_PASS;
	} else if (!strcasecmp(fb, "deny")) {
		c->fallback = FALLBACK_DENY;
	} else {
		char safe[64];

		raxx_fail(RAXX_EUSAGE, "fallback '%s' is not pat, pass or deny: fix "
			  "RAXX_FALLBACK or raxx.fallback", sanitize(safe, sizeof(safe), fb));
		free(fb);
		return RAXX_EUSAGE;
	}
	free(fb);
	author = setting(c, "RAXX_AUTHOR", "raxx.author", "on");
	c->author_off = !strcasecmp(author, "off") || !strcasecmp(author, "false");
	free(author);
	return 0;
}

void config_release(struct raxx_config *c)
{
	free(c->host);
	free(c->api);
	free(c->ca_bundle);
	free(c->toplevel);
	config_entries_free(c->git, c->git_nr);
	memset(c, 0, sizeof(*c));
}
