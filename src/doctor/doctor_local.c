/*
 * doctor's local checks (doctor_local.h): this machine and this worktree,
 * each check on its own.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_local.h"
#include "cli/author.h"
#include "identity/config.h"
#include "base/gitcmd.h"
#include "services/github.h"
#include "identity/helperchain.h"
#include "services/http.h"
#include "store/store.h"
#include "base/util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void doctor_local_fallback(struct doctor *d, const struct raxx_config *c,
			   int load_err, const char *load_msg)
{
	if (load_err)
		doctor_report(d, "fallback", DOCTOR_FAIL,
			      "set RAXX_FALLBACK / raxx.fallback to pat, pass or deny",
			      "%s", load_msg);
	else if (c->fallback == FALLBACK_PAT && env_get("RAXX_OPERATOR_TOKEN"))
		doctor_report(d, "fallback", DOCTOR_WARN,
			      "set RAXX_FALLBACK=deny (or pass) so that a failed "
			      "mint stops the agent instead of acting as you",
			      "pat with RAXX_OPERATOR_TOKEN set: in an outage (vault "
			      "or GitHub unreachable, 5xx), git and gh act as the "
			      "operator, not the bot; a refusal never does");
	else
		doctor_report(d, "fallback", DOCTOR_PASS, NULL, "%s",
			      c->fallback == FALLBACK_DENY ? "deny: a failed mint "
			      "stops git (quit=1)" : c->fallback == FALLBACK_PASS ?
			      "pass: a failed mint answers nothing" :
			      "pat, but RAXX_OPERATOR_TOKEN is unset: a failed mint "
			      "answers nothing");
}

void doctor_local_dir(struct doctor *d, const char *name, char *dir,
		      const char *var)
{
	struct store_dir_info info;
	const struct stat *st = &info.st;
	char *fix = NULL;

	if (!dir) {
		doctor_report(d, name, DOCTOR_SKIP, NULL, "no %s and no HOME", var);
		return;
	}
	store_inspect_dir(dir, &info);
	if (info.err == ENOENT) {
		doctor_report(d, name, DOCTOR_PASS, NULL, "%s does not exist yet "
			      "(made 0700 when first needed)", dir);
	} else if (info.err) {
		doctor_report(d, name, DOCTOR_FAIL, "fix or remove it",
			      "cannot inspect %s: %s", dir, strerror(info.err));
	} else if (S_ISLNK(st->st_mode) || !S_ISDIR(st->st_mode)) {
		fix = xstrfmt("remove %s (it is made again, 0700), or set %s", dir, var);
		doctor_report(d, name, DOCTOR_FAIL, fix, "%s is %s, not a directory",
			      dir, S_ISLNK(st->st_mode) ? "a symlink" : "a file");
	} else if (st->st_uid != geteuid()) {
		fix = xstrfmt("remove %s, or set %s to a directory of yours", dir, var);
		doctor_report(d, name, DOCTOR_FAIL, fix, "%s belongs to uid %ld, not "
			      "to you (uid %ld)", dir, (long)st->st_uid, (long)geteuid());
	} else if (st->st_mode & 077) {
		fix = xstrfmt("chmod 700 %s", dir);
		doctor_report(d, name, DOCTOR_FAIL, fix, "%s is mode %04o: group or "
			      "others can reach it (must be 0700)", dir,
			      (unsigned)(st->st_mode & 07777));
	} else if (info.bad) {
		fix = xstrfmt("chmod 600 %s (or remove it)", info.bad);
		doctor_report(d, name, DOCTOR_FAIL, fix, "%s is not private "
			      "(0600, yours)", info.bad);
	} else {
		doctor_report(d, name, DOCTOR_PASS, NULL, "%s: 0700, yours "
			      "(%d entries)", dir, info.entries);
	}
	free(fix);
	store_dir_info_release(&info);
	free(dir);
}

/* GitHub's Date against ours, without credentials when no App check ran. */
static int clock_offset(const char *api, struct github *gh, long *offset)
{
	struct http_client *http;
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *headers[] = { "Accept: application/vnd.github+json",
				  "X-GitHub-Api-Version: 2022-11-28", NULL };
	char *url;
	time_t server;
	int ret = -1;

	if (gh) {
		*offset = github_clock_offset(gh);
		return 0;
	}
	if (http_check_url(api, "RAXX_GITHUB_API", RAXX_EGITHUB) ||
	    !(http = http_client_new("GitHub", RAXX_EGITHUB)))
		return -1;
	url = xstrfmt("%s/rate_limit", api);
	if (!http_request(http, "GET", url, headers, NULL, &r) && r.date &&
	    !parse_http_date(r.date, &server)) {
		*offset = (long)(server + 1 - r.sent_at);	/* as github.c */
		ret = 0;
	}
	free(url);
	http_response_release(&r);
	http_client_free(http);
	return ret;
}

void doctor_local_clock(struct doctor *d, const char *api, struct github *gh)
{
	static const char fix[] = "set the clock from the network (Linux: "
		"timedatectl set-ntp true; macOS: sudo sntp -sS time.apple.com)";
	long off = 0, a;

	doctor_begin_check(d);
	if (clock_offset(api, gh, &off)) {
		doctor_report(d, "clock", DOCTOR_SKIP, NULL,
			      "GitHub did not answer with a Date header: %s", doctor_errmsg());
		return;
	}
	a = off < 0 ? -off : off;
	if (a <= 30)
		doctor_report(d, "clock", DOCTOR_PASS, NULL,
			      "within %ld s of GitHub's clock (its Date header)",
			      a < 2 ? 2 : a);
	else
		doctor_report(d, "clock", a > 300 ? DOCTOR_FAIL : DOCTOR_WARN, fix,
			      "this clock is %ld s %s GitHub's (its Date header): "
			      "raxx corrects App JWTs for it, other tools do not",
			      a, off < 0 ? "ahead of" : "behind");
}

/* "Name <email> 1700000000 +0000" -> name, email */
static int split_ident(const char *ident, char **name, char **email)
{
	const char *lt = strchr(ident, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n;

	if (!lt || !gt)
		return -1;
	n = (size_t)(lt - ident);
	while (n > 0 && ident[n - 1] == ' ')
		n--;
	*name = xstrndup(ident, n);
	*email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

void doctor_local_author(struct doctor *d, struct raxx_config *c,
			 const char *bot, long long bot_user_id)
{
	const char *args[] = { "var", "GIT_AUTHOR_IDENT", NULL };
	struct strbuf out = STRBUF_INIT;
	char *want_name = NULL, *want_email = NULL, *name = NULL, *email = NULL;
	char *domain = NULL, sn[200], se[300];
	long long id = bot_user_id;
	int ok, env;

	if (!c->toplevel || !bot || c->author_off) {
		doctor_report(d, "author", DOCTOR_SKIP, NULL, "%s", !c->toplevel ?
			      "not in a worktree" : !bot ? "no bot" :
			      "raxx.author is off");
		return;
	}
	/* "Please tell me who you are" is git's; the check says it its way */
	if (git_run(args, &out, RUN_STDERR_NULL) ||
	    split_ident(sb_str(&out), &name, &email)) {
		doctor_report(d, "author", DOCTOR_FAIL,
			      "set user.name and user.email: git-credential-raxx setup",
			      "git has no author identity here (git var "
			      "GIT_AUTHOR_IDENT failed)");
		goto out;
	}
	want_name = author_name(bot);
	if (!id)
		author_recall_id(c->api, bot, &id);
	if (id && !author_noreply_domain(c, &domain))
		want_email = author_email(bot, id, domain);
	ok = !strcmp(name, want_name) && (want_email ? !strcmp(email, want_email) :
					  author_is_bot_email(email, want_name));
	sanitize(sn, sizeof(sn), name);
	sanitize(se, sizeof(se), email);
	env = env_get("GIT_AUTHOR_NAME") || env_get("GIT_AUTHOR_EMAIL");
	if (ok)
		doctor_report(d, "author", DOCTOR_PASS, NULL,
			      "commits here are authored by %s <%s>", sn, se);
	else
		doctor_report(d, "author", DOCTOR_FAIL, env ?
			      "unset GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL in the "
			      "agent's environment: they override git config" :
			      "run git-credential-raxx setup in this worktree (sets "
			      "user.name and user.email in its own config)",
			      "commits here are authored by %s <%s>, not %s <%s>%s",
			      sn, se, want_name,
			      want_email ? want_email : "ID+BOT[bot]@...",
			      env ? " (GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL are set in "
			      "the environment)" : "");
out:
	raxx_clear_error();
	sb_release(&out);
	free(want_name);
	free(want_email);
	free(name);
	free(email);
	free(domain);
}

void doctor_local_helper_chain(struct doctor *d, const struct raxx_config *c,
			       const char *bot)
{
	struct strbuf chain = STRBUF_INIT;
	struct strbuf problems = STRBUF_INIT, fixes = STRBUF_INIT;
	struct helper *h = NULL;
	size_t nr = 0, i;
	char *dropped_by = NULL, safe[300];
	int raxx_at = -1, st = DOCTOR_PASS;

	if (!c->toplevel) {
		doctor_report(d, "helper-chain", DOCTOR_SKIP, NULL,
			      "not in a worktree");
		return;
	}
	helper_chain(c->host, &h, &nr, &dropped_by);
	for (i = 0; i < nr; i++) {
		sb_addf(&chain, "%s'%s' (%s)", chain.len ? ", " : "",
			sanitize(safe, sizeof(safe), h[i].value), h[i].origin);
		if (raxx_at < 0 && helper_is(h[i].value, "raxx"))
			raxx_at = (int)i;
	}
	for (i = 0; i < nr; i++) {
		sanitize(safe, sizeof(safe), h[i].value);
		if (helper_is(h[i].value, "store")) {
			st = DOCTOR_FAIL;
			sb_addf(&problems, "; helper '%s' from %s keeps every "
				"credential git approves, the bot's token too, in "
				"plain text (~/.git-credentials)", safe, h[i].origin);
			sb_addf(&fixes, "%sremove the store helper for this host, or "
				"run git-credential-raxx setup here (it drops "
				"inherited helpers in the worktree)",
				fixes.len ? "; " : "");
		} else if (helper_is(h[i].value, "cache")) {
			if (st < DOCTOR_WARN)
				st = DOCTOR_WARN;
			sb_addf(&problems, "; helper '%s' from %s keeps the bot's "
				"token in memory", safe, h[i].origin);
		} else if (raxx_at >= 0 && (int)i < raxx_at) {
			if (st < DOCTOR_WARN)
				st = DOCTOR_WARN;
			sb_addf(&problems, "; '%s' from %s comes before raxx: when "
				"it holds a credential for %s, git uses it and "
				"never asks raxx", safe, h[i].origin, c->host);
			if (!fixes.len)
				sb_adds(&fixes, "run git-credential-raxx setup here (it "
					"drops inherited helpers in the worktree)");
		}
	}
	if (raxx_at < 0 && bot) {
		st = DOCTOR_FAIL;
		if (dropped_by)
			sb_addf(&problems, "; an empty %s (as `gh auth setup-git` "
				"writes) clears raxx from the chain", dropped_by);
		else
			sb_adds(&problems, "; raxx is not in the chain, so git never "
				"asks for the bot's token");
		sb_addf(&fixes, "%srun git-credential-raxx setup here (or git "
			"config credential.helper 'raxx --bot %s')",
			fixes.len ? "; " : "", bot);
	} else if (raxx_at >= 0 && !bot) {
		if (st < DOCTOR_WARN)
			st = DOCTOR_WARN;
		sb_adds(&problems, "; raxx is in the chain but no bot resolves "
			"here: it answers nothing and git asks the next helper");
		if (!fixes.len)
			sb_adds(&fixes, "set raxx.bot or raxx.agent (git-credential-raxx "
				"setup --bot NAME)");
	} else if (raxx_at < 0 && !bot && st == DOCTOR_PASS) {
		doctor_report(d, "helper-chain", DOCTOR_SKIP, NULL,
			      "no bot and no raxx helper here; git asks: %s",
			      chain.len ? chain.buf : "nothing");
		goto out;
	}
	doctor_report(d, "helper-chain", st, fixes.len ? fixes.buf : NULL,
		      "for https://%s git asks: %s%s", c->host,
		      chain.len ? chain.buf : "nothing", sb_str(&problems));
out:
	helpers_release(h, nr);
	free(dropped_by);
	sb_release(&chain);
	sb_release(&problems);
	sb_release(&fixes);
}

void doctor_local_git_version(struct doctor *d)
{
	const char *args[] = { "--version", NULL };
	struct strbuf out = STRBUF_INIT;
	long major = 0, minor = 0;
	char ver[64] = "", *e;
	const char *p;

	if (git_run(args, &out, RUN_STDERR_NULL) ||
	    !(p = strstr(sb_str(&out), "git version "))) {
		doctor_report(d, "git-version", DOCTOR_FAIL,
			      "install git 2.41 or later", "git not found in PATH");
		sb_release(&out);
		return;
	}
	p += 12;
	snprintf(ver, sizeof(ver), "%.*s", (int)strcspn(p, " \n"), p);
	major = strtol(ver, &e, 10);
	if (*e == '.')
		minor = strtol(e + 1, NULL, 10);
	if (major < 2 || (major == 2 && minor < 41))
		doctor_report(d, "git-version", DOCTOR_WARN,
			      "upgrade git to 2.41 or later",
			      "git %s ignores password_expiry_utc: a helper that "
			      "keeps credentials (cache, osxkeychain) may hand git an "
			      "expired bot token", ver);
	else
		doctor_report(d, "git-version", DOCTOR_PASS, NULL,
			      "git %s honours password_expiry_utc", ver);
	sb_release(&out);
}
