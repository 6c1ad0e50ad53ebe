/*
 * `git-credential-raxx audit [--since DURATION] [--json]`: the audit log
 * as a table, one row per bot (auditlog.h reads and counts it).
 */
#define _POSIX_C_SOURCE 200809L
#include "audit_cmd.h"
#include "cli.h"
#include "store/auditlog.h"
#include "base/json.h"
#include "store/store.h"
#include "base/util.h"

#include <string.h>

const char audit_usage[] =
"usage: git-credential-raxx audit [--since DURATION] [--json]\n"
"Count the audit log's events per bot: mints, reuses, fallbacks (not the\n"
"bot's token), failed mints, revokes, and the last failure's reason.\n"
"Reads audit.log.1 (the rotated log) and audit.log in RAXX_STATE_DIR.\n"
"  --since DURATION  only events of the last DURATION: 90 (seconds), 30m,\n"
"                    1h, 24h, 7d, 2w (default: everything recorded)\n"
"  --json            one JSON object on stdout instead of the table\n";

/* The table's event columns, in order. */
static const struct {
	enum audit_kind ev;
	const char *head;
} columns[] = {
	{ AUDIT_MINT, "mints" },
	{ AUDIT_REUSE, "reuses" },
	{ AUDIT_FALLBACK, "fallbacks" },
	{ AUDIT_FAIL, "failures" },
	{ AUDIT_REVOKE, "revokes" },
};
#define NCOLUMNS (sizeof(columns) / sizeof(*columns))

/* A bot's name as shown: sanitized; "(no bot)" for events without one. */
static const char *shown_bot(const char *bot, char *buf, size_t n)
{
	return bot ? sanitize(buf, n, bot) : "(no bot)";
}

static struct json_object *json_counts(const unsigned long *count)
{
	struct json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < AUDIT_EVENTS; i++)
		json_object_object_add(o, audit_event_names[i],
				       json_object_new_int64((int64_t)count[i]));
	return o;
}

static void print_json(const struct audit_summary *s, const char *dir,
		       int files, time_t now)
{
	struct json_object *root = json_object_new_object(), *bots;
	char when[32], buf[512];
	size_t i;

	json_object_object_add(root, "state_dir",
			       json_object_new_string(sanitize(buf, sizeof(buf), dir)));
	json_object_object_add(root, "files", json_object_new_int(files));
	if (s->since)
		format_iso8601(s->since, when, sizeof(when));
	json_object_object_add(root, "since", s->since ?
			       json_object_new_string(when) : NULL);
	format_iso8601(now, when, sizeof(when));
	json_object_object_add(root, "until", json_object_new_string(when));
	bots = json_object_new_array();
	for (i = 0; i < s->nr_bots; i++) {
		const struct audit_bot_stats *b = &s->bots[i];
		struct json_object *o = json_counts(b->count), *last = NULL;

		json_object_object_add(o, "bot", b->bot ? json_object_new_string(
			sanitize(buf, sizeof(buf), b->bot)) : NULL);
		if (b->last_fail) {
			last = json_object_new_object();
			format_iso8601(b->last_fail, when, sizeof(when));
			json_object_object_add(last, "time", json_object_new_string(when));
			json_object_object_add(last, "reason", b->last_fail_reason ?
				json_object_new_string(sanitize(buf, sizeof(buf),
								b->last_fail_reason)) : NULL);
		}
		json_object_object_add(o, "last_failure", last);
		json_object_array_add(bots, o);
	}
	json_object_object_add(root, "bots", bots);
	json_object_object_add(root, "total", json_counts(s->count));
	json_object_object_add(root, "malformed",
			       json_object_new_int64((int64_t)s->malformed));
	json_object_object_add(root, "unknown",
			       json_object_new_int64((int64_t)s->unknown));
	printf("%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_row(int width, const char *name, const unsigned long *count,
		      const char *last)
{
	size_t i;

	printf("%-*s", width, name);
	for (i = 0; i < NCOLUMNS; i++)
		printf("  %*lu", (int)strlen(columns[i].head), count[columns[i].ev]);
	printf("%s%s\n", last ? "  " : "", last ? last : "");
}

static void print_table(const struct audit_summary *s, const char *dir,
			int files, const char *window)
{
	char buf[128], reason[512], when[32], *last;
	int width = 12;
	size_t i;

	if (!files) {
		printf("no audit log in %s yet\n", sanitize(reason, sizeof(reason), dir));
		return;
	}
	printf("audit log in %s, %s\n", sanitize(reason, sizeof(reason), dir), window);
	if (!s->nr_bots) {
		printf("no events\n");
	} else {
		for (i = 0; i < s->nr_bots; i++) {
			int w = (int)strlen(shown_bot(s->bots[i].bot, buf, sizeof(buf)));

			if (w > width)
				width = w;
		}
		printf("%-*s", width, "bot");
		for (i = 0; i < NCOLUMNS; i++)
			printf("  %s", columns[i].head);
		printf("  last failure\n");
		for (i = 0; i < s->nr_bots; i++) {
			const struct audit_bot_stats *b = &s->bots[i];

			if (b->last_fail) {
				format_iso8601(b->last_fail, when, sizeof(when));
				last = xstrfmt("%s %s", when, b->last_fail_reason ?
					       sanitize(reason, sizeof(reason),
							b->last_fail_reason) : "(no reason)");
			} else {
				last = xstrdup("-");
			}
			print_row(width, shown_bot(b->bot, buf, sizeof(buf)), b->count,
				  last);
			free(last);
		}
		if (s->nr_bots > 1)
			print_row(width, "total", s->count, NULL);
	}
	if (s->malformed || s->unknown) {
		printf("skipped");
		if (s->malformed)
			printf(" %lu malformed line%s", s->malformed,
			       s->malformed == 1 ? "" : "s");
		if (s->unknown)
			printf("%s %lu line%s with an event this version does not know",
			       s->malformed ? "," : "", s->unknown,
			       s->unknown == 1 ? "" : "s");
		printf("\n");
	}
}

int audit_main(struct raxx_config *c, int argc, char **argv)
{
	struct audit_summary s;
	const char *since_arg = NULL;
	char why[600], window[80], when[32];
	int i, json = 0, files = 0, ret = 0;
	long secs = 0;
	time_t now;
	char *dir;

	(void)c;	/* every bot is shown, whatever this process's bot is */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--since")) {
			if (i + 1 >= argc)
				return cli_usage_error("audit", "option '--since' "
						       "needs a value");
			since_arg = argv[++i];
		} else if (!strncmp(a, "--since=", 8)) {
			since_arg = a + 8;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(audit_usage, stdout);
			return 0;
		} else {
			return cli_usage_error("audit", "unknown option '%s'", a);
		}
	}
	if (since_arg && audit_parse_duration(since_arg, &secs)) {
		sanitize(why, sizeof(why), since_arg);
		return cli_usage_error("audit", "--since '%s' is not a "
				       "duration: a number of seconds, or one "
				       "with s, m, h, d or w (30m, 24h, 7d)", why);
	}
	if (!(dir = state_dir_path())) {
		raxx_fail(RAXX_EINTERNAL, "no state directory: set RAXX_STATE_DIR "
			  "(or HOME)");
		error_msg("%s", raxx_errmsg());
		return RAXX_EINTERNAL;
	}
	now = now_seconds();
	audit_summary_init(&s, since_arg ? now - secs : 0);
	if (audit_summary_read(&s, dir, &files, why, sizeof(why)))
		ret = raxx_fail(RAXX_EINTERNAL, "audit log: %s: its events are not "
				"counted; remove it (the log is written again, "
				"0600) or make it a file of yours", why);
	audit_summary_finish(&s);
	if (since_arg) {
		format_iso8601(s.since, when, sizeof(when));
		snprintf(window, sizeof(window), "the last %s (since %s)", since_arg, when);
	} else {
		snprintf(window, sizeof(window), "everything recorded");
	}
	if (json)
		print_json(&s, dir, files, now);
	else
		print_table(&s, dir, files, window);
	fflush(stdout);
	if (ret)
		error_msg("%s", raxx_errmsg());	/* after the table: the last word */
	audit_summary_release(&s);
	free(dir);
	return ret;
}
