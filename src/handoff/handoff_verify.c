/*
 * handoff verify and handoff list: manifests read from the vault and
 * judged by the policy (handoff_manifest.h); verify also asks GitHub what
 * a live token of the handoff reaches. Verdicts on stdout.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_cmd.h"
#include "store/audit.h"
#include "cli/cli.h"
#include "services/github.h"
#include "base/json.h"
#include "token/token.h"
#include "services/vault.h"

#include <string.h>
#include <strings.h>

/* One verdict line on stdout. */
static void check_line(const char *tag, const char *fmt, ...) RAXX_PRINTF(2, 3);
static void check_line(const char *tag, const char *fmt, ...)
{
	char prefix[16];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "[%s] ", tag);
	va_start(ap, fmt);
	sink_vprintf(stdout, prefix, fmt, ap);
	va_end(ap);
}

/* A live token sees only the manifest's repository. */
static int check_live(struct raxx_config *c, const struct manifest *m)
{
	struct token_source *ts = token_source_open(c);
	struct token res = { 0 };
	struct github *gh = NULL;
	struct json_object *o = NULL, *arr;
	const char *sel;
	char *json = NULL, fp[AUDIT_FP_LEN + 1], name[160];
	struct strbuf seen = STRBUF_INIT;
	long status = 0;
	long long total = -1;
	size_t i, n = 0;
	int ret, only = 0;

	if ((ret = token_get_handoff(ts, m->slug, NULL, &res))) {
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	audit_fingerprint(res.value, fp);
	if (token_source_github(ts, &gh) ||
	    (ret = github_token_get(gh, res.value,
				    "/installation/repositories?per_page=100",
				    &status, &json))) {
		ret = raxx_errcode();
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	if (status != 200) {
		ret = raxx_fail(RAXX_EGITHUB, "GitHub answered HTTP %ld to GET "
				"/installation/repositories with the handoff's token "
				"%s: retry, or revoke the handoff", status, fp);
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	o = json_parse(json, strlen(json));
	sel = json_str(o, "repository_selection");
	if (json_int(o, "total_count", &total) ||
	    !json_object_object_get_ex(o, "repositories", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		ret = raxx_fail(RAXX_EGITHUB, "GitHub's answer to GET /installation/"
				"repositories is not usable: check RAXX_GITHUB_API");
		check_line("FAIL", "live token: %s", raxx_errmsg());
		goto out;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		const char *f = json_str(json_object_array_get_idx(arr, i), "full_name");

		sb_addf(&seen, "%s%s", i ? ", " : "",
			sanitize(name, sizeof(name), f ? f : "?"));
		if (f && !strcasecmp(f, m->repo))
			only++;
	}
	/*
	 * The verdict rests on what the token reaches: total_count and the
	 * full names. repository_selection is not promised in this answer and
	 * may describe the installation rather than the token ("all" for a
	 * token narrowed to one repository): information only.
	 */
	if (total == 1 && n == 1 && only == 1) {
		char shown[32];

		check_line("PASS", "live token %s sees only %s (1 repository; "
			   "repository_selection %s%s%s, as GitHub reports it)", fp,
			   m->repo, sel ? "\"" : "", sel ? sanitize(shown,
			   sizeof(shown), sel) : "not given", sel ? "\"" : "");
	} else {
		ret = raxx_fail(RAXX_EHANDOFF, "scope violation: the handoff's live "
				"token %s sees %lld repositories (%s), not only %s: "
				"revoke the handoff (git-credential-raxx handoff "
				"revoke --task-slug %s) and wake the operator", fp,
				total, seen.len ? seen.buf : "none", m->repo, m->slug);
		check_line("FAIL", "live token: %s", raxx_errmsg());
	}
out:
	sb_release(&seen);
	json_object_put(o);
	free(json);
	token_release(&res);
	token_source_close(ts);
	return ret;
}

int handoff_cmd_verify(struct raxx_config *c, int argc, char **argv)
{
	const char *slug = NULL;
	const struct ho_opt opts[] = { { "task-slug", &slug } };
	struct manifest m = { 0 };
	struct ho h = { 0 };
	char when[32], left[32], made[32], *ptext = NULL;
	time_t now = now_seconds();
	int ret, bad = 0, r;

	if ((ret = ho_parse_opts("verify", argc, argv, opts, 1)))
		return ret;
	if ((ret = ho_need_slug("verify", slug)) || (ret = cli_load(c)))
		return ret;
	if ((ret = ho_open(&h, c, slug)))
		goto verdict;
	r = ho_read_manifest(&h, &m);
	if (r == 1) {
		ret = raxx_fail(RAXX_EHANDOFF, "handoff '%s' has no manifest at %s "
				"(revoked, or never provisioned): provision it with "
				"'git-credential-raxx handoff provision --task-slug %s "
				"--repo OWNER/REPO'", slug, h.ref.where, slug);
		check_line("FAIL", "manifest: %s", raxx_errmsg());
		goto verdict;
	}
	if (r) {
		ret = r;
		check_line("FAIL", "manifest: %s", raxx_errmsg());
		goto verdict;
	}
	format_iso8601(m.created_at, made, sizeof(made));
	format_iso8601(m.expires_at, when, sizeof(when));
	if ((r = manifest_check_identity(&m, slug, h.ref.where))) {
		check_line("FAIL", "manifest: %s", raxx_errmsg());
		ret = r;
		bad = 1;
	} else {
		check_line("PASS", "manifest %s: repo %s, bot %s, created %s", h.ref.where,
			   m.repo, m.bot, made);
	}
	ptext = manifest_perms_text(&m);
	if ((r = manifest_check_perms(&m, h.ref.where))) {
		check_line("FAIL", "permissions %s: %s", ptext, raxx_errmsg());
		ret = r;
		bad = 1;
	} else {
		check_line("PASS", "permissions %s: within " HANDOFF_ALLOWED_TEXT, ptext);
	}
	if ((r = manifest_check_expiry(&m, now, h.ref.where))) {
		check_line("FAIL", "expiry: %s", raxx_errmsg());
		if (!ret)
			ret = r;
		bad = 1;
	} else {
		handoff_left_text(m.expires_at - now, left, sizeof(left));
		check_line("PASS", "expiry %s: in %s, %ldh%02ldm after creation "
			   "(limit %dh)", when, left,
			   (long)((m.expires_at - m.created_at) / 3600),
			   (long)((m.expires_at - m.created_at) % 3600 / 60),
			   HANDOFF_MAX_TTL_HOURS);
	}
	if (!bad)
		ret = check_live(c, &m);
	else
		check_line("SKIP", "live token: not minted for a refused manifest");
	/* a scope violation is the message that goes to stderr, loudly */
	if (bad && manifest_check_perms(&m, h.ref.where))
		ret = RAXX_EHANDOFF;
verdict:
	if (!ret)
		out_line("verdict: handoff %s is sound: %s only, %s, until %s", slug,
			 m.repo, ptext, when);
	else
		out_line("verdict: handoff %s REFUSED (exit %d)", slug, ret);
	ho_close(&h);
	manifest_release(&m);
	free(ptext);
	return ret;
}

int handoff_cmd_list(struct raxx_config *c, int argc, char **argv)
{
	struct ho h = { 0 };
	char **names = NULL, safe[80], when[32], left[32];
	size_t i, nr = 0;
	time_t now = now_seconds();
	int ret;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
			return HO_HELP;
		return ho_usage_err("list", "unexpected argument '%s'", argv[1]);
	}
	if ((ret = cli_load(c)) || (ret = ho_open(&h, c, NULL)) ||
	    (ret = ho_vault(&h)))
		goto out;
	ret = vault_list_folders(h.v, h.ref.root, &names, &nr);
	if (ret == 1 || (!ret && !nr)) {
		ho_say("no handoffs under %s", h.ref.root);
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;
	out_line("%-32s %-32s %-16s %-20s %s", "SLUG", "REPO", "BOT", "EXPIRES",
		 "STATE");
	for (i = 0; i < nr; i++) {
		struct manifest m = { 0 };
		char *folder, *where, *json = NULL, repo[80], bot[40], state[64];
		int r;

		sanitize(safe, sizeof(safe), names[i]);
		if (!handoff_slug_ok(names[i])) {
			out_line("%-32s %-32s %-16s %-20s %s", safe, "-", "-", "-",
				 "not a slug");
			continue;
		}
		folder = xstrfmt("%s/%s", h.ref.root, names[i]);
		where = xstrfmt("%s/%s", folder, HANDOFF_MANIFEST);
		r = vault_get_secret(h.v, folder, HANDOFF_MANIFEST, &json);
		if (r > 1) {
			ret = r;
			free(folder);
			free(where);
			goto out;
		}
		snprintf(when, sizeof(when), "-");
		snprintf(repo, sizeof(repo), "-");
		snprintf(bot, sizeof(bot), "-");
		if (r == 1) {
			snprintf(state, sizeof(state), "no manifest (revoked)");
		} else if (manifest_parse(json, where, &m)) {
			snprintf(state, sizeof(state), "MALFORMED");
		} else {
			sanitize(repo, sizeof(repo), m.repo);
			sanitize(bot, sizeof(bot), m.bot);
			format_iso8601(m.expires_at, when, sizeof(when));
			handoff_left_text(m.expires_at - now, left, sizeof(left));
			snprintf(state, sizeof(state), "%s",
				 manifest_check_perms(&m, where) ? "SCOPE VIOLATION" :
				 manifest_check_identity(&m, names[i], where) ? "INVALID" :
				 m.expires_at <= now ? "expired" :
				 manifest_check_expiry(&m, now, where) ? "INVALID" : "live");
			if (!strcmp(state, "live"))
				snprintf(state, sizeof(state), "live, %s left", left);
		}
		raxx_clear_error();
		out_line("%-32s %-32s %-16s %-20s %s", safe, repo, bot, when, state);
		manifest_release(&m);
		free(json);
		free(folder);
		free(where);
	}
out:
	vault_names_free(names, nr);
	ho_close(&h);
	return ret;
}
