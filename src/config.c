#define _POSIX_C_SOURCE 200809L
#include "config.h"
#include "log.h"
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

void config_parse_z(const struct strbuf *out, struct config_entry **e,
		    size_t *nr)
{
	const char *p = out->buf, *end = out->buf + out->len;

	while (p && p < end) {
		const char *rec_end = memchr(p, '\0', (size_t)(end - p));
		const char *nl;

		if (!rec_end)
			break;
		nl = memchr(p, '\n', (size_t)(rec_end - p));
		*e = xrealloc(*e, (*nr + 1) * sizeof(**e));
		(*e)[*nr].key = xstrndup(p, nl ? (size_t)(nl - p) :
					 (size_t)(rec_end - p));
		(*e)[*nr].value = nl ? xstrndup(nl + 1, (size_t)(rec_end - nl - 1))
				     : NULL;
		(*nr)++;
		p = rec_end + 1;
	}
}

void config_entries_free(struct config_entry *e, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(e[i].key);
		free(e[i].value);
	}
	free(e);
}

static void read_git_config(struct raxx_config *c)
{
	/* user.* and the extension too: get's author upkeep (author.h) needs
	 * them, and a second spawn would cost the warm path */
	const char *argv[] = { "git", "config", "-z", "--get-regexp",
			       "^(raxx\\.|user\\.(name|email)$|extensions\\.worktreeconfig$)",
			       NULL };
	struct strbuf out = STRBUF_INIT;

	if (c->git_read)
		return;
	c->git_read = 1;
	run_capture(argv, &out);	/* exit 1: none set */
	trace("git config: read raxx.*, user.name/email (%zu bytes)", out.len);
	config_parse_z(&out, &c->git, &c->git_nr);
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
	char *fb, *author, *ca;

	c->toplevel = find_toplevel();
	c->host = setting(c, "RAXX_GITHUB_HOST", "raxx.host", "github.com");
	c->api = setting(c, "RAXX_GITHUB_API", "raxx.githubapi",
			 "https://api.github.com");
	if (!env_get("RAXX_CA_BUNDLE") && (ca = setting(c, "RAXX_CA_BUNDLE",
							"raxx.cabundle", NULL))) {
		setenv("RAXX_CA_BUNDLE", ca, 1);	/* http.c reads it there */
		free(ca);
	}
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

static int name_ok(const char *s)
{
	return *s && strlen(s) <= 100 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == strlen(s) && s[0] != '.' && s[0] != '-';
}

static int load_map(struct raxx_config *c, int required)
{
	const char *file = env_get("RAXX_BOT_MAP");
	char *path;
	int ret;

	if (!file)
		file = config_git(c, "raxx.botmap");
	if (file) {
		path = xstrdup(file);
	} else if (c->toplevel) {
		path = xstrfmt("%s/scripts/agents/agent_bot_map.yaml", c->toplevel);
		if (!required && access(path, F_OK)) {
			free(path);
			return 0;
		}
	} else {
		return 0;
	}
	ret = agent_map_load(&c->map, path);
	if (!ret)
		c->map_file = path;
	else
		free(path);
	return ret;
}

int config_resolve_bot(struct raxx_config *c)
{
	const char *v, *src;
	int ret;

	if ((v = c->opt_bot))
		src = "--bot";
	else if ((v = env_get("RAXX_BOT")))
		src = "RAXX_BOT";
	else if ((v = config_git(c, "raxx.bot")))
		src = "raxx.bot";
	if (v) {
		char safe[120];

		if (!name_ok(v))
			return raxx_fail(RAXX_EUSAGE, "bot name '%s' (from %s) is not "
					 "valid: letters, digits, '.', '_' and '-' only",
					 sanitize(safe, sizeof(safe), v), src);
		c->bot = xstrdup(v);
		c->bot_source = xstrdup(src);
		/* the map, when there is one, still gives the bot's permissions */
		if (load_map(c, 0))
			return raxx_errcode();
		c->map_bot = agent_map_find_bot(&c->map, c->bot);
		trace("bot %s (from %s)", c->bot, src);
		return 0;
	}

	if ((v = c->opt_agent))
		src = "--agent";
	else if ((v = env_get("RAXX_AGENT")))
		src = "RAXX_AGENT";
	else if ((v = config_git(c, "raxx.agent")))
		src = "raxx.agent";
	if (!v) {
		trace("no bot: no --bot, RAXX_BOT, raxx.bot or agent");
		return 0;
	}
	c->agent = xstrdup(v);
	if ((ret = load_map(c, 1)))
		return ret;
	if (!c->map_file)
		return raxx_fail(RAXX_EUSAGE, "agent '%s' (from %s) but no agent map: "
				 "set RAXX_BOT_MAP or raxx.botMap, or run inside a "
				 "worktree with scripts/agents/agent_bot_map.yaml",
				 c->agent, src);
	c->map_bot = agent_map_bot_of_agent(&c->map, c->agent);
	if (!c->map_bot)
		return raxx_fail(RAXX_EUSAGE, "agent '%s' (from %s) is not listed in "
				 "%s: add it under one bot", c->agent, src,
				 c->map_file);
	c->bot = xstrdup(c->map_bot->name);
	c->bot_source = xstrfmt("agent '%s' in %s", c->agent, c->map_file);
	trace("bot %s (agent %s, from %s)", c->bot, c->agent, c->map_file);
	return 0;
}

void config_release(struct raxx_config *c)
{
	free(c->bot);
	free(c->bot_source);
	free(c->agent);
	free(c->host);
	free(c->api);
	free(c->toplevel);
	free(c->map_file);
	agent_map_release(&c->map);
	config_entries_free(c->git, c->git_nr);
}
