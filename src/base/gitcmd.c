/*
 * Running git: the contract is in gitcmd.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "gitcmd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------- children */

/* environ with the names of set replaced by set's strings (fresh array,
 * borrowed strings). */
static char **child_environ(const char *const *set)
{
	size_t n = 0, k = 0, m = 0, i, j;
	char **envp;

	while (environ[n])
		n++;
	while (set[k])
		k++;
	envp = xcalloc(n + k + 1, sizeof(*envp));
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (!strncmp(environ[i], set[j], strcspn(set[j], "=") + 1))
				break;
		if (j == k)
			envp[m++] = environ[i];
	}
	for (j = 0; j < k; j++)
		envp[m++] = (char *)set[j];
	return envp;
}

int run_capture_env(const char *const *argv, const char *const *env,
		    struct strbuf *out, enum run_stderr err)
{
	posix_spawn_file_actions_t fa;
	char **envp = env ? child_environ(env) : environ;
	int fds[2], status, rc;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (pipe(fds)) {
		if (env)
			free(envp);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (err == RUN_STDERR_MERGE)
		posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	else if (err == RUN_STDERR_NULL)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (env)
		free(envp);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return -1;
	}
	if (!out->cap)
		out->cap = RUN_CAPTURE_MAX;
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

int run_capture_ex(const char *const *argv, struct strbuf *out,
		   enum run_stderr err)
{
	return run_capture_env(argv, NULL, out, err);
}

int run_capture(const char *const *argv, struct strbuf *out)
{
	return run_capture_ex(argv, out, RUN_STDERR_INHERIT);
}

int git_run(const char *const *args, struct strbuf *out, enum run_stderr err)
{
	return git_run_env(args, NULL, out, err);
}

int git_run_env(const char *const *args, const char *const *env,
		struct strbuf *out, enum run_stderr err)
{
	const char *argv[GIT_MAX_ARGS + 2];
	size_t i;

	argv[0] = "git";
	for (i = 0; args[i]; i++) {
		if (i >= GIT_MAX_ARGS)
			die("too many arguments for git");
		argv[i + 1] = args[i];
	}
	argv[i + 1] = NULL;
	return run_capture_env(argv, env, out, err);
}

const char *git_first_line(const struct strbuf *out, char *safe, size_t n)
{
	char *line = xstrndup(out->buf ? out->buf : "",
			      out->buf ? strcspn(out->buf, "\n") : 0);

	sanitize(safe, n, line);
	free(line);
	return safe;
}

char *git_config_get(const char *file, const char *type, const char *key,
		     enum run_stderr err)
{
	const char *args[7];
	struct strbuf out = STRBUF_INIT;
	char *v = NULL;
	size_t n = 0;

	args[n++] = "config";
	if (file) {
		args[n++] = "--file";
		args[n++] = file;
	}
	if (type)
		args[n++] = type;
	args[n++] = "--get";
	args[n++] = key;
	args[n] = NULL;
	if (!git_run(args, &out, err)) {
		while (out.len && out.buf[out.len - 1] == '\n')
			out.buf[--out.len] = '\0';
		v = sb_detach(&out);
	}
	sb_release(&out);
	return v;
}

/* ---------------------------------------------------------------- the worktree */

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

int git_worktree_dirs(char **top, char **gitdir, char **commondir)
{
	const char *args[] = { "rev-parse", "--path-format=absolute",
			       "--show-toplevel", "--git-dir", "--git-common-dir",
			       NULL };
	struct strbuf out = STRBUF_INIT;
	char *lines[3] = { NULL, NULL, NULL }, *p;
	int rc = git_run(args, &out, RUN_STDERR_NULL), i;

	*top = *gitdir = *commondir = NULL;
	p = out.buf;
	for (i = 0; !rc && p && i < 3; i++) {
		char *nl = strchr(p, '\n');

		if (!nl)
			break;
		lines[i] = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
	}
	sb_release(&out);
	if (rc || i < 3 || !*lines[0]) {
		for (i = 0; i < 3; i++)
			free(lines[i]);
		return -1;
	}
	*top = lines[0];
	*gitdir = lines[1];
	*commondir = lines[2];
	return 0;
}

/* ---------------------------------------------------------------- git config -z */

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

/* ---------------------------------------------------------------- worktree config */

int git_worktree_config_on(const char *file)
{
	char *v = git_config_get(file, "--bool", "extensions.worktreeConfig",
				 RUN_STDERR_NULL);
	int on = v && !strcmp(v, "true");

	free(v);
	return on;
}

static const char *const *worktree_args(const char **args, const char *how,
					const char *key, const char *value)
{
	size_t n = 0;

	args[n++] = "config";
	args[n++] = "--worktree";
	args[n++] = how;
	args[n++] = key;
	if (value)
		args[n++] = value;
	args[n] = NULL;
	return args;
}

const char *const *git_worktree_set_args(const char *args[6], const char *key,
					 const char *value)
{
	return worktree_args(args, "--replace-all", key, value);
}

const char *const *git_worktree_add_args(const char *args[6], const char *key,
					 const char *value)
{
	return worktree_args(args, "--add", key, value);
}

const char *const *git_worktree_unset_args(const char *args[5],
					   const char *key)
{
	return worktree_args(args, "--unset-all", key, NULL);
}

/* One worktree config change, git's output into out or dropped. */
static int worktree_change(const char *const *args, struct strbuf *out)
{
	struct strbuf dropped = STRBUF_INIT;
	int rc;

	if (out)
		return git_run(args, out, RUN_STDERR_MERGE);
	rc = git_run(args, &dropped, RUN_STDERR_INHERIT);
	sb_release(&dropped);
	return rc;
}

int git_worktree_set(const char *key, const char *value, struct strbuf *out)
{
	const char *args[6];

	return worktree_change(git_worktree_set_args(args, key, value), out);
}

int git_worktree_unset(const char *key, struct strbuf *out)
{
	const char *args[5];

	return worktree_change(git_worktree_unset_args(args, key), out);
}
