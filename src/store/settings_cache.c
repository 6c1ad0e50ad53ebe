/*
 * git config, remembered: the contract is in settings_cache.h.
 */
#define _XOPEN_SOURCE 700	/* realpath() */
#ifdef __APPLE__
#define _DARWIN_C_SOURCE	/* st_mtimespec */
#endif
#include "settings_cache.h"
#include "cache.h"
#include "base/gitcmd.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KIND 'g'
#define ENTRY_LIFE 86400	/* a remembered answer is trusted a day at most */
#define RACY_SECS 2		/* a file changed this recently is not trusted */
#define MAX_WATCHES 128
#define PAYLOAD_HEAD "raxx-settings 1\n"

#ifdef __APPLE__
#define MTIME_NS(s) ((long)(s).st_mtimespec.tv_nsec)
#define CTIME_NS(s) ((long)(s).st_ctimespec.tv_nsec)
#else
#define MTIME_NS(s) ((long)(s).st_mtim.tv_nsec)
#define CTIME_NS(s) ((long)(s).st_ctim.tv_nsec)
#endif

/* The keys config.h keeps; the regexp config.h used to pass to git was
 * ^(raxx\.|user\.(name|email)$|extensions\.worktreeconfig$). */
int settings_key_wanted(const char *key)
{
	return !strncmp(key, "raxx.", 5) || !strcmp(key, "user.name") ||
	       !strcmp(key, "user.email") ||
	       !strcmp(key, "extensions.worktreeconfig");
}

/* ------------------------------------------------------------ the key */

/* What changes where git looks, or what it finds there. */
static const char *const env_names[] = {
	"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG_GLOBAL",
	"GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_CEILING_DIRECTORIES",
	"GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_TEST_ASSUME_DIFFERENT_OWNER",
	"HOME", "XDG_CONFIG_HOME", "PATH", "GIT_EXEC_PATH", "SUDO_UID",
};

/* Set, even empty: git then reads something this module does not model. */
static int settings_cache_disabled;

void settings_cache_off(void)
{
	settings_cache_disabled = 1;
}

static int bypassed(void)
{
	static const char *const names[] = {
		"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG",
	};
	size_t i;

	if (settings_cache_disabled)
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (getenv(names[i])) {
			trace("git config: not remembered (%s is set)", names[i]);
			return 1;
		}
	return 0;
}

static void hash_str(crypto_generichash_state *st, const char *s)
{
	/* unset and empty differ: a NUL-terminated value, or one 0x01 */
	if (s)
		crypto_generichash_update(st, (const unsigned char *)s, strlen(s) + 1);
	else
		crypto_generichash_update(st, (const unsigned char *)"\x01", 1);
}

/* A digest of everything but the files: 64 hex digits into hex. */
static void env_digest(const char *cwd, const char *top, char hex[65])
{
	crypto_generichash_state st;
	unsigned char h[32];
	char buf[64];
	const char *count = getenv("GIT_CONFIG_COUNT");
	long n = 0, i;
	size_t k;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	hash_str(&st, PAYLOAD_HEAD);
	hash_str(&st, cwd);
	hash_str(&st, top);
	snprintf(buf, sizeof(buf), "uid=%lu", (unsigned long)geteuid());
	hash_str(&st, buf);
	for (k = 0; k < sizeof(env_names) / sizeof(*env_names); k++) {
		hash_str(&st, env_names[k]);
		hash_str(&st, getenv(env_names[k]));
	}
	/* git -c and GIT_CONFIG_COUNT: every pair (git refuses a bad count,
	 * and then nothing is remembered) */
	if (count && !parse_long(count, 0, 100000, &n))
		for (i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "GIT_CONFIG_KEY_%ld", i);
			hash_str(&st, getenv(buf));
			snprintf(buf, sizeof(buf), "GIT_CONFIG_VALUE_%ld", i);
			hash_str(&st, getenv(buf));
		}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* ------------------------------------------------------------ the files */

/* What a file looked like: 'f' the file itself, 'd' which directory
 * only (its mtime changes with every index or HEAD write). */
struct seen {
	char how;
	int exists;		/* 1, 0 (ENOENT, ENOTDIR), -1 (cannot tell) */
	unsigned long type, uid;
	unsigned long long dev, ino, size;
	long long mtime, ctime;
	long mtime_ns, ctime_ns;
};

static void look(const char *path, char how, struct seen *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->how = how;
	if (stat(path, &st)) {
		s->exists = errno == ENOENT || errno == ENOTDIR ? 0 : -1;
		return;
	}
	s->exists = 1;
	s->type = S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 2 : 3;
	s->uid = (unsigned long)st.st_uid;
	s->dev = (unsigned long long)st.st_dev;
	s->ino = (unsigned long long)st.st_ino;
	if (how != 'f')
		return;
	s->size = (unsigned long long)st.st_size;
	s->mtime = (long long)st.st_mtime;
	s->mtime_ns = MTIME_NS(st);
	s->ctime = (long long)st.st_ctime;
	s->ctime_ns = CTIME_NS(st);
}

static int same(const struct seen *a, const struct seen *b)
{
	return a->how == b->how && a->exists == b->exists && a->type == b->type &&
	       a->uid == b->uid && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime == b->mtime &&
	       a->mtime_ns == b->mtime_ns && a->ctime == b->ctime &&
	       a->ctime_ns == b->ctime_ns;
}

struct watch {
	char *path;	/* as git opens it (absolute, symlinks not resolved) */
	struct seen seen;
	int included;	/* an include.path or includeIf.*.path target */
};

struct watches {
	struct watch w[MAX_WATCHES];
	size_t nr;
	int full;	/* too many to remember */
};

static struct watch *watch(struct watches *ws, const char *path, char how)
{
	size_t i;

	for (i = 0; i < ws->nr; i++)
		if (!strcmp(ws->w[i].path, path))
			return &ws->w[i];
	if (ws->nr == MAX_WATCHES || strchr(path, '\n')) {
		ws->full = 1;
		return NULL;
	}
	memset(&ws->w[ws->nr], 0, sizeof(ws->w[ws->nr]));
	ws->w[ws->nr].path = xstrdup(path);
	ws->w[ws->nr].seen.how = how;
	return &ws->w[ws->nr++];
}

static void watches_release(struct watches *ws)
{
	size_t i;

	for (i = 0; i < ws->nr; i++)
		free(ws->w[i].path);
	ws->nr = 0;
}

/* dir/name, or name alone when it is absolute (fresh). */
static char *join(const char *dir, const char *name)
{
	return name[0] == '/' ? xstrdup(name) : xstrfmt("%s/%s", dir, name);
}

/* The first line of a small file, trimmed (fresh), or NULL. */
static char *first_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[PATH_MAX + 16];
	size_t n;

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return xstrdup(buf);
}

/*
 * The repository's directories as git finds them from top/.git: a
 * directory, or a file "gitdir: PATH"; the common directory from
 * GITDIR/commondir. 0, or -1 when .git is something else.
 */
static int git_dirs(const char *top, char **gitdir, char **commondir,
		    struct watches *ws)
{
	char *dotgit = xstrfmt("%s/.git", top), *line, *cd;
	struct stat st;

	*gitdir = *commondir = NULL;
	if (stat(dotgit, &st)) {
		free(dotgit);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		watch(ws, dotgit, 'd');
		*gitdir = dotgit;
	} else if (S_ISREG(st.st_mode) && (line = first_line(dotgit)) &&
		   !strncmp(line, "gitdir: ", 8) && line[8]) {
		watch(ws, dotgit, 'f');
		*gitdir = join(top, line + 8);
		free(line);
		free(dotgit);
	} else {
		free(dotgit);
		return -1;
	}
	cd = xstrfmt("%s/commondir", *gitdir);
	watch(ws, cd, 'f');
	line = first_line(cd);
	free(cd);
	*commondir = line && *line ? join(*gitdir, line) : xstrdup(*gitdir);
	free(line);
	return 0;
}

/* git's own answer to where the system file is (any git version): it
 * "edits" it with echo for an editor. Fresh, or NULL. */
static char *ask_system_path(void)
{
	const char *args[] = { "config", "--system", "--edit", NULL };
	const char *env[] = { "GIT_EDITOR=echo", NULL };
	struct strbuf out = STRBUF_INIT;
	char *path = NULL;
	int rc;

	rc = git_run_env(args, env, &out, RUN_STDERR_NULL);
	if (!rc && out.len > 1 && out.buf[0] == '/' && out.buf[out.len - 1] == '\n' &&
	    !memchr(out.buf, '\n', out.len - 1))
		path = xstrndup(out.buf, out.len - 1);
	sb_release(&out);
	trace("git config: the system file is %s", path ? path : "unknown");
	return path;
}

/* GIT_CONFIG_NOSYSTEM as git reads it; anything unsure counts as off,
 * which watches one file too many rather than one too few. */
static int no_system(void)
{
	const char *v = getenv("GIT_CONFIG_NOSYSTEM");

	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") ||
		     !strcasecmp(v, "yes") || !strcasecmp(v, "on"));
}

/* An entry's origin file, absolute (git prints a repository's own files
 * relative to the top it works in); NULL for the command line. */
static int origin_path(const struct config_entry *e, const char *base,
		       char **path)
{
	*path = NULL;
	if (!e->origin || !strcmp(e->origin, "command line:"))
		return 0;
	if (strncmp(e->origin, "file:", 5) || !e->origin[5])
		return -1;	/* a blob, stdin: not a file to watch */
	*path = join(base, e->origin + 5);
	return 0;
}

/* Where an include.path value points, as git resolves it. */
static int include_target(const char *value, const char *from, char **path)
{
	const char *home = getenv("HOME"), *slash;

	*path = NULL;
	if (value[0] == '~') {
		if (value[1] && value[1] != '/')
			return -1;	/* ~user: not modelled */
		if (!home)
			return -1;
		*path = xstrfmt("%s%s", home, value + 1);
		return 0;
	}
	if (value[0] == '/') {
		*path = xstrdup(value);
		return 0;
	}
	if (!from || !(slash = strrchr(from, '/')))
		return -1;	/* relative, from the command line: git refuses */
	*path = xstrfmt("%.*s/%s", (int)(slash - from), from, value);
	return 0;
}

static int same_file(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	int eq = ra && rb ? !strcmp(ra, rb) : !strcmp(a, b);

	free(ra);
	free(rb);
	return eq;
}

/*
 * Everything git read, or could have: into ws. -1 when the answer cannot
 * be proved current later (then it is not remembered).
 */
static int collect(const char *cwd, const char *top,
		   const struct config_entry *e, size_t nr,
		   const char *prev_system, char **system, struct watches *ws)
{
	const char *base = top ? top : cwd, *v;
	char *gitdir = NULL, *commondir = NULL, *local = NULL, *wtcfg = NULL, *p;
	struct watch *w;
	size_t i, j;
	int includeif = 0, locals = 0, ret = -1;

	*system = NULL;
	if (top) {
		watch(ws, top, 'd');
		if (git_dirs(top, &gitdir, &commondir, ws))
			goto out;
		local = xstrfmt("%s/config", commondir);
		wtcfg = xstrfmt("%s/config.worktree", gitdir);
		watch(ws, local, 'f');
		watch(ws, wtcfg, 'f');
	}
	if ((v = getenv("GIT_CONFIG_GLOBAL"))) {
		if (*v)
			watch(ws, v, 'f');
	} else {
		if ((v = getenv("XDG_CONFIG_HOME")) && *v) {
			p = xstrfmt("%s/git/config", v);
			watch(ws, p, 'f');
			free(p);
		} else if ((v = getenv("HOME"))) {
			p = xstrfmt("%s/.config/git/config", v);
			watch(ws, p, 'f');
			free(p);
		}
		if ((v = getenv("HOME"))) {
			p = xstrfmt("%s/.gitconfig", v);
			watch(ws, p, 'f');
			free(p);
		}
	}
	if (!no_system()) {
		if ((v = getenv("GIT_CONFIG_SYSTEM")))
			*system = xstrdup(v);
		for (i = 0; i < nr && !*system; i++)
			/* the first system entry is the file's own */
			if (e[i].scope && !strcmp(e[i].scope, "system") &&
			    e[i].origin && !strncmp(e[i].origin, "file:", 5))
				*system = xstrdup(e[i].origin + 5);
		if (!*system)
			*system = prev_system ? xstrdup(prev_system) : ask_system_path();
		if (!*system)
			goto out;
		if (**system)
			watch(ws, *system, 'f');
	}
	for (i = 0; i < nr; i++) {
		char *from, *target;
		size_t n = strlen(e[i].key);

		if (origin_path(&e[i], base, &from))
			goto out;
		if (from)
			watch(ws, from, 'f');
		if (!strncmp(e[i].key, "includeif.", 10))
			includeif = 1;
		if (e[i].value && (!strcmp(e[i].key, "include.path") ||
				   (!strncmp(e[i].key, "includeif.", 10) &&
				    n > 15 && !strcmp(e[i].key + n - 5, ".path")))) {
			if (include_target(e[i].value, from, &target)) {
				free(from);
				goto out;
			}
			if ((w = watch(ws, target, 'f')))
				w->included = 1;
			free(target);
		}
		free(from);
	}
	/* onbranch: HEAD; gitdir: the repository's place (in the key) */
	if (includeif && gitdir) {
		p = xstrfmt("%s/HEAD", gitdir);
		watch(ws, p, 'f');
		free(p);
	}
	/* the repository git read is the one .git names: its own entries
	 * come from its config, config.worktree, or what they include */
	for (i = 0; i < nr; i++) {
		char *from;
		int ok = 0;

		if (!e[i].scope || (strcmp(e[i].scope, "local") &&
				    strcmp(e[i].scope, "worktree")))
			continue;
		locals++;
		if (!top || origin_path(&e[i], base, &from) || !from)
			goto out;
		ok = same_file(from, local) || same_file(from, wtcfg);
		for (j = 0; !ok && j < ws->nr; j++)
			ok = ws->w[j].included && same_file(from, ws->w[j].path);
		free(from);
		if (!ok)
			goto out;
	}
	if (top && !locals)
		goto out;	/* git found no repository there */
	ret = ws->full ? -1 : 0;
out:
	if (ret)
		trace("git config: not remembered (its sources are not all known)");
	free(gitdir);
	free(commondir);
	free(local);
	free(wtcfg);
	return ret;
}

/* ------------------------------------------------------------ payload */

static void serialize(struct strbuf *sb, const char *system,
		      const struct watches *ws, const struct strbuf *entries)
{
	size_t i;

	sb_adds(sb, PAYLOAD_HEAD);
	sb_addf(sb, "system %s\n", system ? system : "");
	for (i = 0; i < ws->nr; i++) {
		const struct seen *s = &ws->w[i].seen;

		sb_addf(sb, "w %c %d %lu %lu %llu %llu %llu %lld %ld %lld %ld %s\n",
			s->how, s->exists, s->type, s->uid, s->dev, s->ino, s->size,
			s->mtime, s->mtime_ns, s->ctime, s->ctime_ns, ws->w[i].path);
	}
	sb_adds(sb, "entries\n");
	sb_add(sb, entries->buf ? entries->buf : "", entries->len);
}

int settings_payload_check(const struct strbuf *blob, struct strbuf *out,
			   char **system)
{
	const char *p = blob->buf, *end = blob->buf + blob->len, *nl;
	size_t hl = strlen(PAYLOAD_HEAD);

	*system = NULL;
	if (blob->len < hl || memcmp(p, PAYLOAD_HEAD, hl))
		return 0;
	p += hl;
	if (!(nl = memchr(p, '\n', (size_t)(end - p))) || strncmp(p, "system ", 7))
		return 0;
	*system = xstrndup(p + 7, (size_t)(nl - p - 7));
	if (!**system) {
		free(*system);
		*system = NULL;
	}
	p = nl + 1;
	while (p < end && !strncmp(p, "w ", 2)) {
		struct seen was, now;
		char how, *line;
		int off = 0;

		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			return 0;
		line = xstrndup(p, (size_t)(nl - p));
		memset(&was, 0, sizeof(was));
		if (sscanf(line, "w %c %d %lu %lu %llu %llu %llu %lld %ld %lld %ld %n",
			   &how, &was.exists, &was.type, &was.uid, &was.dev, &was.ino,
			   &was.size, &was.mtime, &was.mtime_ns, &was.ctime,
			   &was.ctime_ns, &off) != 11 || !off || !line[off]) {
			free(line);
			return 0;
		}
		was.how = how;
		look(line + off, how, &now);
		if (!same(&was, &now)) {
			trace("git config: %s changed: asking git", line + off);
			free(line);
			return 0;
		}
		free(line);
		p = nl + 1;
	}
	if ((size_t)(end - p) < 8 || strncmp(p, "entries\n", 8))
		return 0;
	p += 8;
	sb_add(out, p, (size_t)(end - p));
	return 1;
}

/* ------------------------------------------------------------ reading */

/* The wanted entries, in git's -z output format. */
static void keep_wanted(const struct config_entry *e, size_t nr,
			struct strbuf *out)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!settings_key_wanted(e[i].key))
			continue;
		sb_add(out, e[i].scope ? e[i].scope : "", strlen(e[i].scope ? e[i].scope : "") + 1);
		sb_add(out, e[i].origin ? e[i].origin : "", strlen(e[i].origin ? e[i].origin : "") + 1);
		sb_adds(out, e[i].key);
		if (e[i].value) {
			sb_add(out, "\n", 1);
			sb_adds(out, e[i].value);
		}
		sb_add(out, "", 1);
	}
}

/* The old way, for an answer too large to list whole. */
static void read_wanted_only(struct strbuf *out)
{
	const char *args[] = { "config", "-z", "--show-scope", "--show-origin",
			       "--get-regexp",
			       "^(raxx\\.|user\\.(name|email)$|extensions\\.worktreeconfig$)",
			       NULL };

	sb_reset(out);
	git_run(args, out, RUN_STDERR_NULL);
}

void settings_read(const char *top, struct strbuf *out)
{
	/* user.* and the extension too: get's author upkeep (author.h) needs
	 * them, and a second spawn would cost the warm path */
	const char *args[] = { "config", "-z", "--show-scope", "--show-origin",
			       "--list", NULL };
	struct strbuf full = STRBUF_INIT, blob = STRBUF_INIT, payload = STRBUF_INIT;
	struct watches ws = { .nr = 0 };
	struct config_entry *e = NULL;
	struct cache *cache = NULL;
	char *cwd = getcwd(NULL, 0), *prev_system = NULL, *system = NULL;
	char digest[65];
	time_t started;
	size_t nr = 0, i;
	int rc;

	if (cwd && !strchr(cwd, '\n') && (!top || !strchr(top, '\n')) &&
	    !bypassed() && (cache = cache_open_local())) {
		env_digest(cwd, top, digest);
		if (cache_get_blob(cache, KIND, cwd, digest, &blob) &&
		    settings_payload_check(&blob, out, &prev_system)) {
			trace("git config: remembered for this directory (%zu bytes): "
			      "no git run", out->len);
			goto out;
		}
	}

	/* exit 1: none set; outside a repository, or in one git refuses
	 * (dubious ownership), git says so on stderr: not ours to repeat */
	started = now_seconds();
	rc = git_run(args, &full, RUN_STDERR_NULL);
	if (full.overflow) {
		read_wanted_only(out);
		trace("git config: read raxx.*, user.name/email (%zu bytes)", out->len);
		goto out;
	}
	config_parse_z(&full, CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN, &e, &nr);
	keep_wanted(e, nr, out);
	trace("git config: read raxx.*, user.name/email (%zu bytes)", out->len);
	if (!cache || rc || collect(cwd, top, e, nr, prev_system, &system, &ws))
		goto out;
	for (i = 0; i < ws.nr; i++) {
		struct seen *s = &ws.w[i].seen;

		look(ws.w[i].path, s->how, s);
		if (s->exists < 0 ||
		    (s->exists && s->how == 'f' &&
		     (s->mtime > started - RACY_SECS || s->ctime > started - RACY_SECS))) {
			trace("git config: not remembered (%s %s)", ws.w[i].path,
			      s->exists < 0 ? "cannot be looked at" :
			      "changed just now");
			goto out;
		}
	}
	serialize(&payload, system, &ws, out);
	cache_put_blob(cache, KIND, cwd, digest, payload.buf, payload.len,
		       now_seconds() + ENTRY_LIFE);
out:
	config_entries_free(e, nr);
	watches_release(&ws);
	sb_release(&full);
	sb_release(&blob);
	sb_release(&payload);
	cache_close(cache);
	free(prev_system);
	free(system);
	free(cwd);
}
