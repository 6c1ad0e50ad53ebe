#define _POSIX_C_SOURCE 200809L
#include "author.h"
#include "identity/config.h"
#include "base/gitcmd.h"
#include "services/github.h"
#include "services/http.h"
#include "base/log.h"
#include "identity/identity.h"
#include "store/store.h"
#include "token/token.h"
#include "base/protocol.h"
#include "base/util.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#define ID_FILE_MAX 4096

char *author_name(const char *bot)
{
	return xstrfmt("%s[bot]", bot);
}

char *author_email(const char *bot, long long id, const char *domain)
{
	return xstrfmt("%lld+%s[bot]@%s", id, bot, domain);
}

static int domain_ok(const char *d)
{
	size_t n = strlen(d);

	return n && n <= 253 && d[0] != '.' && d[0] != '-' && d[n - 1] != '.' &&
	       strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789.-") == n;
}

int author_noreply_domain(struct raxx_config *c, char **out)
{
	const char *v = env_get("RAXX_NOREPLY_DOMAIN");
	const char *src = "RAXX_NOREPLY_DOMAIN";
	char safe[128], *d;
	size_t i;

	*out = NULL;
	if (!v) {
		v = config_git(c, "raxx.noreplydomain");
		src = "raxx.noreplyDomain";
	}
	if (v) {
		d = xstrdup(v);
	} else if (credential_host_matches(c->host, "github.com")) {
		d = xstrdup("users.noreply.github.com");
	} else {
		/* GHES: the host without its port */
		const char *colon = strrchr(c->host, ':');

		d = xstrfmt("users.noreply.%.*s", colon ? (int)(colon - c->host) :
			    (int)strlen(c->host), c->host);
		src = "the git host (RAXX_GITHUB_HOST or raxx.host)";
	}
	for (i = 0; d[i]; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	if (!domain_ok(d)) {
		raxx_fail(RAXX_EUSAGE, "noreply domain '%s' (from %s) is not a domain "
			  "name: set raxx.noreplyDomain or RAXX_NOREPLY_DOMAIN",
			  sanitize(safe, sizeof(safe), d), src);
		free(d);
		return RAXX_EUSAGE;
	}
	*out = d;
	return 0;
}

/* ------------------------------------------------------------ the state file */

/* user-id.BOT.HASH: one file per bot and GitHub API */
static char *id_file_name(const char *api, const char *bot)
{
	unsigned char hash[8];
	char hex[sizeof(hash) * 2 + 1];

	crypto_generichash(hash, sizeof(hash), (const unsigned char *)api,
			   strlen(api), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	return xstrfmt("user-id.%s.%s", bot, hex);
}

/* The value of "key=" on its own line in text, or NULL (fresh). */
static char *line_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return xstrndup(p + klen + 1, len - klen - 1);
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

int author_recall_id(const char *api, const char *bot, long long *id)
{
	static const struct store_rules rules = { .max = ID_FILE_MAX };
	char *dir = state_dir_path(), *name, *path, *buf = NULL;
	char *v_api = NULL, *v_login = NULL, *v_id = NULL, *login;
	size_t n;
	long v;
	int found = 0;

	if (!dir)
		return 0;
	name = id_file_name(api, bot);
	path = xstrfmt("%s/%s", dir, name);
	switch (store_read_at(AT_FDCWD, path, &rules, &buf, &n, NULL)) {
	case STORE_OK:
		break;
	case STORE_MISSING:
	case STORE_SYMLINK:
	case STORE_UNREADABLE:
		goto out;	/* as good as none */
	default:
		trace("author: ignoring %s: not a private file of yours", path);
		goto out;
	}
	login = author_name(bot);
	v_api = line_value(buf, "api");
	v_login = line_value(buf, "login");
	v_id = line_value(buf, "id");
	if (!v_api || !v_login || !v_id || strcmp(v_api, api) ||
	    strcmp(v_login, login) || parse_long(v_id, 1, LONG_MAX, &v)) {
		trace("author: ignoring a malformed %s", path);
	} else {
		*id = v;
		found = 1;
	}
	free(login);
out:
	free(buf);
	free(v_api);
	free(v_login);
	free(v_id);
	free(path);
	free(name);
	free(dir);
	return found;
}

int author_remember_id(const char *api, const char *bot, long long id)
{
	char *dir = state_dir_path(), *name, *text, why[512];
	int ret;

	if (!dir) {
		warning("cannot remember the user id of %s[bot]: HOME is not set; "
			"set RAXX_STATE_DIR", bot);
		return -1;
	}
	name = id_file_name(api, bot);
	text = xstrfmt("api=%s\nlogin=%s[bot]\nid=%lld\n", api, bot, id);
	ret = store_write(dir, name, text, strlen(text), why, sizeof(why));
	if (!ret)
		trace("author: remembered the id of %s[bot] in %s/%s", bot, dir, name);
	else if (ret == STORE_EDIR)
		warning("cannot remember the user id of %s[bot]: state directory "
			"'%s' %s", bot, dir, why);
	else
		warning("cannot remember the user id of %s[bot] in '%s': %s; check "
			"that the directory is writable", bot, dir, why);
	free(text);
	free(name);
	free(dir);
	return ret ? -1 : 0;
}

/* ------------------------------------------------------------ the look-up */

static int lookup(struct raxx_config *c, const char *bot, const char *token,
		  long long *id)
{
	struct github *gh;
	char *login = author_name(bot);
	int ret;

	if (!(gh = github_new(c->api))) {
		free(login);
		return raxx_errcode();
	}
	ret = github_user_id(gh, login, token, id);
	trace("author: GET /users/%s %s: %s", login,
	      token ? "with the bot's token" : "unauthenticated",
	      ret ? raxx_errmsg() : "found");
	github_free(gh);
	free(login);
	return ret;
}

int author_user_id(struct raxx_config *c, const char *bot, int remember,
		   long long *id, int *fetched)
{
	struct token_source *ts;
	struct token tok;
	int ret;

	if (fetched)
		*fetched = 0;
	if (author_recall_id(c->api, bot, id)) {
		trace("author: the id of %s[bot] is remembered: %lld", bot, *id);
		return 0;
	}
	if ((ret = http_check_url(c->api, "RAXX_GITHUB_API", RAXX_EGITHUB)))
		return ret;
	if (fetched)
		*fetched = 1;
	ret = lookup(c, bot, NULL, id);
	/*
	 * A 404 is a definite answer: no such bot. Anything else may be
	 * GitHub refusing anonymous callers (GHES private mode, the anonymous
	 * rate limit): ask again as the bot, when there is a vault to ask.
	 */
	if (ret && ret != RAXX_ENOINST && token_can_mint()) {
		char first[512];

		snprintf(first, sizeof(first), "%s", raxx_errmsg());
		info("unauthenticated look-up of %s[bot] failed (%s): asking again "
		     "with the bot's token", bot, first);
		raxx_clear_error();
		ts = token_source_open(c);
		if (!(ret = token_get_for_bot(ts, bot, &tok))) {
			ret = lookup(c, bot, tok.value, id);
			token_release(&tok);
		}
		token_source_close(ts);
	}
	if (!ret && remember)
		author_remember_id(c->api, bot, *id);
	return ret;
}

/* ------------------------------------------------------------ get's upkeep */

static int is_true(const char *v)
{
	return v && (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		     !strcasecmp(v, "on") || !strcmp(v, "1"));
}

static int set_worktree(const char *key, const char *value)
{
	struct strbuf out = STRBUF_INIT;
	/* git's complaint is captured and passed on as ours, sanitized */
	int rc = git_worktree_set(key, value, &out);

	if (rc) {
		char why[200];

		git_first_line(&out, why, sizeof(why));
		warning("cannot set %s in this worktree's config (git config exit "
			"%d%s%s): set it by hand, or run 'git-credential-raxx setup'",
			key, rc, *why ? ": " : "", why);
	}
	sb_release(&out);
	return rc;
}

void author_keep(struct raxx_config *c)
{
	const char *cur_name, *cur_email;
	char *name = NULL, *email = NULL, *domain = NULL;
	char s_name[128], s_email[256];
	long long id;
	int name_ok, email_ok;

	const char *bot = c->id ? c->id->bot : NULL;

	if (!bot || c->author_off || !c->toplevel)
		return;
	/* without it, --worktree would write the config every worktree shares */
	if (!is_true(config_git(c, "extensions.worktreeconfig"))) {
		trace("author: extensions.worktreeConfig is off: leaving the author "
		      "alone (run setup)");
		return;
	}
	name = author_name(bot);
	if (author_noreply_domain(c, &domain)) {
		warning("not setting this worktree's commit author: %s",
			raxx_errmsg());
		raxx_clear_error();
		goto out;
	}
	if (!author_recall_id(c->api, bot, &id)) {
		trace("author: the user id of %s is not remembered yet: leaving the "
		      "author alone (run 'git-credential-raxx setup')", name);
		goto out;
	}
	email = author_email(bot, id, domain);
	cur_name = config_git(c, "user.name");
	cur_email = config_git(c, "user.email");
	name_ok = cur_name && !strcmp(cur_name, name);
	email_ok = cur_email && !strcmp(cur_email, email);
	if (name_ok && email_ok)
		goto out;	/* the warm path: no spawn */
	if ((!name_ok && set_worktree("user.name", name)) ||
	    (!email_ok && set_worktree("user.email", email)))
		goto out;
	notice("this worktree's commit author is now %s <%s> (was %s <%s>); "
	       "raxx.author=off keeps your own", name, email,
	       cur_name ? sanitize(s_name, sizeof(s_name), cur_name) : "unset",
	       cur_email ? sanitize(s_email, sizeof(s_email), cur_email) : "unset");
out:
	free(domain);
	free(email);
	free(name);
}

/* ------------------------------------------------------------ shapes */

int author_is_bot_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 5 && !strcmp(name + n - 5, "[bot]");
}

int author_is_bot_email(const char *email, const char *name)
{
	const char *login, *at;
	size_t digits;

	if (!email)
		return 0;
	digits = strspn(email, "0123456789");
	if (!digits || email[digits] != '+')
		return 0;
	login = email + digits + 1;
	if (!(at = strchr(login, '@')) || !at[1])
		return 0;
	if (name)
		return strlen(name) == (size_t)(at - login) &&
		       !strncmp(login, name, (size_t)(at - login));
	/* any bot: "X[bot]" with X a plain name */
	return at - login > 5 && !strncmp(at - 5, "[bot]", 5) &&
	       strspn(login, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == (size_t)(at - login - 5);
}
