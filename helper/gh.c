/*
 * gh: the gh shim, built as helper/gh and installed as
 * PREFIX/libexec/git-credential-raxx/gh. With its directory first in an
 * agent's PATH, every `gh` runs as the worktree's bot.
 *
 * Why a program of its own: git-credential-raxx links libcurl and OpenSSL,
 * and on Debian loading them (libcurl brings some thirty libraries) costs
 * about 3 ms before main() runs, more than half the shim's 5 ms budget.
 * This program links only libsodium and libyaml and serves the common
 * case itself, a live token in the cache:
 *
 *   work out the bot (identity.c) -> the cached token (cache.c) ->
 *   find the real gh (ghfind.c) -> gh's variables, without the vault
 *   identity (child_env_prepare) -> exec gh
 *
 * Everything else (no bot, a handoff worktree, no cache, a miss, a broken
 * setting, no real gh) is handed whole to the full program,
 *
 *   git-credential-raxx exec --gh --shim SELF -- ARGS...
 *
 * which mints, applies the fallback policy and says what went wrong, with
 * the same messages as `exec`. The program is RAXX_PROGRAM, else
 * PREFIX/bin/git-credential-raxx beside this PREFIX/libexec (the same
 * install), else ../git-credential-raxx (a build tree), else the one in
 * PATH.
 *
 * The cache branch below mirrors token_get()'s warm path (token.c): same
 * entry (RAXX_GITHUB_API, bot, identity_scope_key()), same RAXX_MIN_TTL,
 * the same "reuse" audit event, the same refresh ahead (refresh.h: the
 * full program re-mints in the background). Keep the two in step.
 *
 * With a token broker in use (broker_client.h), the shim asks it instead,
 * for a bot and a handoff alike, as token_get() would; the broker audits.
 * When it has no token (or does not answer), the full program asks again
 * and carries out the broker's fallback decision, with exec's messages.
 */
#define _XOPEN_SOURCE 700	/* realpath() */
#ifdef __APPLE__
#define _DARWIN_C_SOURCE	/* what <mach-o/dyld.h> needs */
#endif
#include "store/audit.h"
#include "token/broker_client.h"
#include "store/cache.h"
#include "identity/config.h"
#include "token/child_env.h"
#include "cli/ghfind.h"
#include "base/process.h"
#include "identity/identity.h"
#include "token/refresh.h"
#include "token/token.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#include <stdint.h>
#endif

#include <sodium.h>

#define PROG "git-credential-raxx"

static struct process_settings caller_settings;


static int is_executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

/*
 * This program's own path, symlinks resolved: the directory PATH must not
 * give back as the real gh, and where PREFIX/bin is. A shell passes
 * argv[0] as typed ("gh"), so ask the system first.
 */
static char *self_path(const char *argv0)
{
	const char *path = env_get("PATH"), *p, *q;
	char *real;

#if defined(__linux__)
	if ((real = realpath("/proc/self/exe", NULL)))
		return real;
#elif defined(__APPLE__)
	{
		uint32_t n = 0;
		char *buf;

		_NSGetExecutablePath(NULL, &n);
		buf = xmalloc(n + 1);
		real = !_NSGetExecutablePath(buf, &n) ? realpath(buf, NULL) : NULL;
		free(buf);
		if (real)
			return real;
	}
#endif
	if (strchr(argv0, '/'))
		return realpath(argv0, NULL);
	/* run by name: the shell took the first gh in PATH, as we do */
	for (p = path; p; p = *q ? q + 1 : NULL) {
		char *cand;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		cand = q == p ? xstrdup("./gh") : xstrfmt("%.*s/gh", (int)(q - p), p);
		real = is_executable_file(cand) ? realpath(cand, NULL) : NULL;
		free(cand);
		if (real)
			return real;
	}
	return NULL;
}

/* RAXX_PROGRAM, PREFIX/bin beside PREFIX/libexec, a build tree, PATH. */
static char *program_path(const char *self)
{
	const char *set = env_get("RAXX_PROGRAM");
	char *dir, *cand;
	const char *rel[] = { "../../bin/" PROG, "../" PROG };
	size_t i;

	if (set)
		return xstrdup(set);
	if (self && strrchr(self, '/')) {
		dir = xstrndup(self, (size_t)(strrchr(self, '/') - self));
		for (i = 0; i < sizeof(rel) / sizeof(*rel); i++) {
			cand = xstrfmt("%s/%s", dir, rel[i]);
			if (is_executable_file(cand)) {
				free(dir);
				return cand;
			}
			free(cand);
		}
		free(dir);
	}
	return xstrdup(PROG);	/* execvp searches PATH */
}

/* Replace this process with gh (argv[1..] its arguments), the token already
 * in its variables. Returns only when it cannot. */
static void exec_gh(char *gh, const char *chain, int argc, char **argv)
{
	char **cmd;
	int i;

	setenv(GH_CHAIN_ENV, chain, 1);
	cmd = xcalloc((size_t)argc + 1, sizeof(*cmd));
	cmd[0] = gh;
	for (i = 1; i < argc; i++)
		cmd[i] = argv[i];
	process_restore(&caller_settings);
	execv(gh, cmd);
	/* the full program will report it; what was stripped stays stripped */
	process_harden(&caller_settings);
	unsetenv("GH_TOKEN");
	unsetenv("GH_ENTERPRISE_TOKEN");
	unsetenv("GH_HOST");
	free(cmd);
}

/* Run the real gh with tok in its variables. Returns only when it cannot. */
static void run_gh(const char *self, int argc, char **argv,
		   const struct raxx_config *c, struct token *tok)
{
	char *gh, *chain = NULL;

	if (!(gh = find_real_gh(self, env_get(GH_CHAIN_ENV), &chain)))
		return;
	trace("gh shim: %s with %s's token (%s)", gh, tok->bot, tok->source);
	child_env_prepare(c->host, tok->value, tok->bot, tok->expires_at, 0);
	token_release(tok);
	exec_gh(gh, chain, argc, argv);
	free(gh);
	free(chain);
}

/* With a token broker in use: its token, then gh. Returns only when that
 * cannot be (the full program asks again, and says why). */
static void broker_path(const char *self, int argc, char **argv,
			const struct raxx_config *c, const char *sock)
{
	struct token tok = { 0 };

	if ((c->id->bot || c->id->handoff) &&
	    !broker_token(sock, c, NULL, 0, &tok))
		run_gh(self, argc, argv, c, &tok);
	token_release(&tok);
}

/*
 * The warm path: exec gh with the cached token. Returns only when it
 * cannot (the full program takes over, and says why if anything is wrong).
 */
static void fast_path(const char *self, int argc, char **argv)
{
	struct raxx_config c = { 0 };
	struct audit_event ev = { 0 };
	struct cache *cache = NULL;
	struct cache_entry e;
	char *scope = NULL, *gh = NULL, *chain = NULL;
	const char *inherited;
	char *broker = NULL;
	int hit = 0;

	if (config_load(&c) || identity_settle(&c, NULL))
		goto out;
	if ((broker = broker_socket_in_use(NULL))) {
		broker_path(self, argc, argv, &c, broker);
		goto out;
	}
	/* a handoff (and a refused handoff override) is the full program's:
	 * its tokens are narrowed by the manifest (token.h) */
	if (!c.id->bot || c.id->handoff)
		goto out;
	if ((inherited = child_token_inherited(c.host, c.id->bot,
					       TOKEN_OUTAGE_MIN_TTL, &e.expires_at))) {
		/* inside exec or another shim: gh's variables already hold it */
		memset(&e, 0, sizeof(e));
		e.secret = xstrdup(inherited);
		e.expires_at = 0;
	} else {
		if (!(cache = cache_open()))
			goto out;
		scope = identity_scope_key(c.id);
		if (!cache_get_token(cache, c.api, c.id->bot, scope, cache_min_ttl(),
				     &e))
			goto out;
	}
	hit = 1;
	if (!(gh = find_real_gh(self, env_get(GH_CHAIN_ENV), &chain)))
		goto out;
	trace("gh shim: %s with %s's token (%s)", gh, c.id->bot, inherited ?
	      "as given to this command" : "from cache");
	if (inherited) {
		cache_entry_release(&e);
		hit = 0;
		goto run;	/* nothing to change, nothing new to audit */
	}
	if (refresh_due(e.expires_at) &&
	    cache_refresh_claim(cache, c.api, c.id->bot, scope, REFRESH_RETRY_SECS)) {
		/* the full program re-mints (refresh.h); this one has no
		 * libcurl, and gh must not wait */
		const char *bg[] = { PROG, "-q", REFRESH_ACTION, NULL };
		char *prog = program_path(self);

		trace("gh shim: %s's token lives %lld s more: re-minting it in the "
		      "background", c.id->bot,
		      (long long)(e.expires_at - now_seconds()));
		refresh_spawn(prog, bg);
		free(prog);
	}
	ev.event = "reuse";
	ev.bot = c.id->bot;
	ev.agent = c.id->agent;
	ev.host = c.host;
	ev.token = e.secret;
	ev.expires_at = e.expires_at;
	audit_write(&ev);
	child_env_prepare(c.host, e.secret, c.id->bot, e.expires_at, 0);
	cache_entry_release(&e);
	hit = 0;
run:
	cache_close(cache);
	cache = NULL;
	exec_gh(gh, chain, argc, argv);
out:
	if (hit)
		cache_entry_release(&e);
	cache_close(cache);
	free(broker);
	free(scope);
	free(gh);
	free(chain);
	raxx_clear_error();
	identity_forget(&c);
	config_release(&c);
}

int main(int argc, char **argv)
{
	char *self, *prog, **cmd;
	int i, n = 0, err;

	process_harden(&caller_settings);
	self = self_path(argc > 0 ? argv[0] : "gh");
	if (!self) {
		error_msg("gh shim: cannot tell where it is installed: run it by its "
			  "path, or set RAXX_GH and run git-credential-raxx exec --gh "
			  "-- ARGS");
		return RAXX_ENOTFOUND;
	}
	if (sodium_init() >= 0) {
		log_init();
		fast_path(self, argc, argv);
	}

	prog = program_path(self);
	cmd = xcalloc((size_t)argc + 7, sizeof(*cmd));
	cmd[n++] = prog;
	cmd[n++] = "exec";
	cmd[n++] = "--gh";
	cmd[n++] = "--shim";
	cmd[n++] = self;
	cmd[n++] = "--";
	for (i = 1; i < argc; i++)
		cmd[n++] = argv[i];
	fflush(NULL);
	/* the program hardens itself and gives gh these settings back */
	umask(caller_settings.umask);
	if (caller_settings.have_core)
		setrlimit(RLIMIT_CORE, &caller_settings.core);
	execvp(prog, cmd);
	err = errno;
	if (err == ENOENT || err == ENOTDIR)
		error_msg("gh shim: %s not found (RAXX_PROGRAM, PREFIX/bin beside "
			  "the shim, PATH): install it, or set RAXX_PROGRAM to its "
			  "path", prog);
	else
		error_msg("gh shim: cannot run %s: %s", prog, strerror(err));
	free(cmd);
	free(prog);
	free(self);
	return err == ENOENT || err == ENOTDIR ? RAXX_ENOTFOUND : RAXX_ECANNOTRUN;
}
