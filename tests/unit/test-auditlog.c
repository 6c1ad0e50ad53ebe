/* Unit tests for src/store/auditlog.c: parsing audit log lines, counting them per
 * bot within a window, a fallback's cause, reading audit.log.1 then
 * audit.log, and durations. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#include "store/auditlog.h"
#include "base/util.h"

#define T0 "2026-11-22T08:00:00Z"
#define T0_SECS 1795334400L	/* date -u -d 2026-11-22T08:00:00Z +%s */

/* a line as audit.c writes it */
#define LINE(time, event, bot, reason, pid) \
	"{\"time\":\"" time "\",\"event\":\"" event "\",\"bot\":" bot \
	",\"agent\":null,\"host\":\"github.com\",\"repo\":null," \
	"\"fingerprint\":null,\"expires_at\":null,\"pid\":" pid \
	",\"reason\":" reason "}"

struct parse_case {
	const char *name, *line;
	int want;		/* 0 parsed, 1 unknown event, -1 malformed */
	int event;
	const char *bot, *reason;
	long pid;
};

static const struct parse_case parse_cases[] = {
	{ "a mint", LINE(T0, "mint", "\"raxx-dev-bot\"", "null", "42"), 0,
	  AUDIT_MINT, "raxx-dev-bot", NULL, 42 },
	{ "a failure with its reason",
	  LINE(T0, "fail", "\"raxx-ops-bot\"", "\"vault login failed: HTTP 503\"", "7"),
	  0, AUDIT_FAIL, "raxx-ops-bot", "vault login failed: HTTP 503", 7 },
	{ "a fallback without a bot", LINE(T0, "fallback", "null", "\"pat\"", "9"),
	  0, AUDIT_FALLBACK, NULL, "pat", 9 },
	{ "escapes are undone", LINE(T0, "fail", "\"b\"", "\"a\\\"b\\\\c\\u0007d\"", "1"),
	  0, AUDIT_FAIL, "b", "a\"b\\c\ad", 1 },
	{ "a CR before the newline", LINE(T0, "revoke", "\"b\"", "null", "1") "\r",
	  0, AUDIT_REVOKE, "b", NULL, 1 },
	{ "fractional seconds", "{\"time\":\"2026-11-22T08:00:00.5Z\",\"event\":\"erase\"}",
	  0, AUDIT_ERASE, NULL, NULL, 0 },
	{ "no pid", "{\"time\":\"" T0 "\",\"event\":\"reuse\",\"bot\":\"b\"}", 0,
	  AUDIT_REUSE, "b", NULL, 0 },
	{ "an event of a later version", LINE(T0, "handoff-revoke", "\"b\"", "null", "1"),
	  1, 0, NULL, NULL, 0 },
	{ "not JSON", "mint raxx-dev-bot", -1, 0, NULL, NULL, 0 },
	{ "half a line", "{\"time\":\"" T0 "\",\"event\":\"mi", -1, 0, NULL, NULL, 0 },
	{ "an array", "[1,2]", -1, 0, NULL, NULL, 0 },
	{ "no time", "{\"event\":\"mint\"}", -1, 0, NULL, NULL, 0 },
	{ "a bad time", "{\"time\":\"yesterday\",\"event\":\"mint\"}", -1, 0, NULL, NULL, 0 },
	{ "a local time", "{\"time\":\"2026-11-22T08:00:00+01:00\",\"event\":\"mint\"}",
	  -1, 0, NULL, NULL, 0 },
	{ "no event", "{\"time\":\"" T0 "\"}", -1, 0, NULL, NULL, 0 },
	{ "a numeric event", "{\"time\":\"" T0 "\",\"event\":3}", -1, 0, NULL, NULL, 0 },
	{ "a numeric bot", "{\"time\":\"" T0 "\",\"event\":\"mint\",\"bot\":3}", -1, 0,
	  NULL, NULL, 0 },
	{ "two objects", LINE(T0, "mint", "null", "null", "1") LINE(T0, "mint", "null", "null", "1"),
	  -1, 0, NULL, NULL, 0 },
	{ "empty", "", -1, 0, NULL, NULL, 0 },
};

static int str_eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static void test_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct audit_entry e = { 0 };
		int r = audit_entry_parse(t->line, strlen(t->line), &e);

		if (!ok(r == t->want, "parse: %s", t->name)) {
			printf("#   got %d, want %d\n", r, t->want);
			continue;
		}
		if (r)
			continue;
		ok((int)e.event == t->event && str_eq(e.bot, t->bot) &&
		   str_eq(e.reason, t->reason) && e.pid == t->pid,
		   "parse: %s: fields", t->name);
		audit_entry_release(&e);
	}
	{
		struct audit_entry e = { 0 };
		const char nul[] = "{\"time\":\"" T0 "\",\"event\":\"mint\"}\0x";

		ok(audit_entry_parse(nul, sizeof(nul) - 1, &e) == -1,
		   "parse: a NUL inside the line is malformed");
		ok(!audit_entry_parse(LINE(T0, "mint", "null", "null", "1"),
				      strlen(LINE(T0, "mint", "null", "null", "1")), &e) &&
		   e.time == T0_SECS, "parse: the time in seconds");
		audit_entry_release(&e);
	}
}

static const char text[] =
	/* before the window */
	LINE("2026-11-22T06:00:00Z", "fallback", "\"raxx-dev-bot\"", "\"old\"", "1") "\n"
	LINE("2026-11-22T07:59:59Z", "mint", "\"raxx-dev-bot\"", "null", "2") "\n"
	/* in it */
	LINE("2026-11-22T08:00:00Z", "mint", "\"raxx-dev-bot\"", "null", "3") "\n"
	LINE("2026-11-22T08:01:00Z", "reuse", "\"raxx-dev-bot\"", "null", "4") "\n"
	"not json at all\n"
	"\n"
	LINE("2026-11-22T08:02:00Z", "fail", "\"raxx-ops-bot\"", "\"vault login failed: HTTP 503\"", "5") "\n"
	LINE("2026-11-22T08:02:01Z", "fallback", "\"raxx-ops-bot\"", "\"RAXX_FALLBACK=pat\"", "5") "\n"
	LINE("2026-11-22T08:03:00Z", "revoke", "\"raxx-dev-bot\"", "null", "6") "\n"
	LINE("2026-11-22T08:04:00Z", "fail", "\"raxx-dev-bot\"", "\"GitHub failed: HTTP 500\"", "7") "\n"
	LINE("2026-11-22T08:04:30Z", "something-new", "\"raxx-dev-bot\"", "null", "8") "\n"
	LINE("2026-11-22T08:05:00Z", "reuse", "null", "null", "9") "\n"
	/* a last line without its newline */
	LINE("2026-11-22T08:06:00Z", "erase", "\"raxx-blr-bot\"", "null", "10");

static void test_summary(void)
{
	struct audit_summary s;
	struct audit_bot_stats *b;

	audit_summary_init(&s, T0_SECS);
	audit_summary_add_text(&s, text, strlen(text));
	audit_summary_finish(&s);
	is_int(s.lines, 12, "summary: non-blank lines");
	is_int(s.older, 2, "summary: two lines before the window");
	is_int(s.malformed, 1, "summary: one malformed line");
	is_int(s.unknown, 1, "summary: one unknown event");
	is_int(s.nr_bots, 4, "summary: four rows (one without a bot)");
	if (s.nr_bots != 4) {
		audit_summary_release(&s);
		return;
	}
	ok(!s.bots[0].bot, "summary: the row without a bot comes first");
	is_int(s.bots[0].count[AUDIT_REUSE], 1, "summary: its reuse");
	is_str(s.bots[1].bot, "raxx-blr-bot", "summary: sorted by name");
	b = &s.bots[2];
	is_str(b->bot, "raxx-dev-bot", "summary: dev bot");
	ok(b->count[AUDIT_MINT] == 1 && b->count[AUDIT_REUSE] == 1 &&
	   b->count[AUDIT_REVOKE] == 1 && b->count[AUDIT_FAIL] == 1 &&
	   b->count[AUDIT_FALLBACK] == 0, "summary: dev bot's counts, the old lines left out");
	is_str(b->last_fail_reason, "GitHub failed: HTTP 500", "summary: dev bot's last failure");
	b = &s.bots[3];
	ok(b->count[AUDIT_FAIL] == 1 && b->count[AUDIT_FALLBACK] == 1,
	   "summary: ops bot failed once and fell back once");
	is_int(s.count[AUDIT_MINT], 1, "summary: total mints");
	is_int(s.count[AUDIT_REUSE], 2, "summary: total reuses");
	is_int(s.alarms, 3, "summary: three fallbacks and failures in the window");
	is_int(s.first_alarm, T0_SECS + 120, "summary: the first one");
	is_int(s.last_alarm.time, T0_SECS + 240, "summary: the last one");
	ok(s.last_alarm.event == AUDIT_FAIL, "summary: the last one is a failure");
	is_str(s.last_alarm.reason, "GitHub failed: HTTP 500", "summary: its reason");
	ok(!s.last_alarm.cause, "summary: a failure has no separate cause");
	audit_summary_release(&s);

	/* the whole log: the old fallback counts; the ops fallback's cause */
	audit_summary_init(&s, 0);
	audit_summary_add_text(&s, text, (size_t)(strstr(text, "\n" LINE(
		"2026-11-22T08:03:00Z", "revoke", "\"raxx-dev-bot\"", "null", "6")) - text));
	audit_summary_finish(&s);
	is_int(s.alarms, 3, "whole log: the old fallback counts too");
	is_int(s.first_alarm, T0_SECS - 7200, "whole log: first is the old one");
	ok(s.last_alarm.event == AUDIT_FALLBACK, "whole log: last is the ops fallback");
	is_str(s.last_alarm.bot, "raxx-ops-bot", "whole log: its bot");
	is_str(s.last_alarm.cause, "vault login failed: HTTP 503",
	       "whole log: its cause is the same process's failed mint");
	audit_summary_release(&s);

	{
		static const char two[] =
			LINE(T0, "fail", "\"a\"", "\"x\"", "5") "\n"
			LINE(T0, "fallback", "\"a\"", "\"pat\"", "6") "\n"
			LINE("2026-11-22T09:00:00Z", "fail", "\"a\"", "\"y\"", "7") "\n"
			LINE("2026-11-22T09:10:00Z", "fallback", "\"a\"", "\"pat\"", "7") "\n";

		audit_summary_init(&s, 0);
		audit_summary_add_text(&s, two, (size_t)(strstr(two, "\"pid\":7") - two));
		ok(s.last_alarm.event == AUDIT_FALLBACK && !s.last_alarm.cause,
		   "cause: another process's failure is not it");
		audit_summary_release(&s);
		audit_summary_init(&s, 0);
		audit_summary_add_text(&s, two, sizeof(two) - 1);
		ok(s.last_alarm.event == AUDIT_FALLBACK && !s.last_alarm.cause,
		   "cause: nor a failure of the same pid ten minutes earlier");
		audit_summary_release(&s);
	}
}

/* A reader that saw the log at second T: the next one skips what it saw. */
static void test_skip_at_since(void)
{
	static const char log[] =
		LINE("2026-11-22T07:59:59Z", "fail", "\"a\"", "\"before\"", "1") "\n"
		LINE(T0, "fail", "\"a\"", "\"seen 1\"", "2") "\n"
		LINE(T0, "mint", "\"a\"", "null", "3") "\n"
		LINE(T0, "fallback", "\"b\"", "\"after the read\"", "4") "\n"
		LINE("2026-11-22T08:00:01Z", "fail", "\"c\"", "\"later\"", "5") "\n";
	struct audit_summary s;

	audit_summary_init(&s, T0_SECS - 3600);
	audit_summary_add_text(&s, log, strlen(log));
	is_int(s.newest, T0_SECS + 1, "newest: the latest line's time");
	is_int(s.at_newest, 1, "newest: one line of that second");
	audit_summary_release(&s);

	/* a reader at second T read up to the mint: two lines of T */
	audit_summary_init(&s, T0_SECS);
	s.skip_at_since = 2;
	audit_summary_add_text(&s, log, strlen(log));
	is_int(s.alarms, 2, "skip: the two lines of second T seen before are left out");
	is_int(s.older, 3, "skip: counted as older");
	is_int(s.first_alarm, T0_SECS, "skip: the fallback after the read counts");
	audit_summary_release(&s);

	audit_summary_init(&s, T0_SECS);
	audit_summary_add_text(&s, log, strlen(log));
	is_int(s.alarms, 3, "skip: nothing skipped without skip_at_since");
	audit_summary_release(&s);
}

static void test_many_bots(void)
{
	struct audit_summary s;
	char line[512];
	int i;

	audit_summary_init(&s, 0);
	for (i = 0; i < AUDITLOG_MAX_BOTS + 50; i++) {
		snprintf(line, sizeof(line), "{\"time\":\"" T0 "\",\"event\":\"mint\","
			 "\"bot\":\"bot-%d\"}", i);
		audit_summary_add(&s, line, strlen(line));
	}
	audit_summary_finish(&s);
	is_int(s.nr_bots, AUDITLOG_MAX_BOTS + 1, "many bots: capped, plus one row for the rest");
	is_int(s.count[AUDIT_MINT], AUDITLOG_MAX_BOTS + 50, "many bots: every line counted");
	audit_summary_release(&s);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		die("cannot write %s", path);
	close(fd);
}

static void test_files(void)
{
	char dir[] = "/tmp/test-auditlog.XXXXXX", why[512];
	char *log, *old, *big;
	struct audit_summary s;
	int files = -1;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	log = xstrfmt("%s/audit.log", dir);
	old = xstrfmt("%s/audit.log.1", dir);

	audit_summary_init(&s, 0);
	ok(!audit_summary_read(&s, dir, &files, why, sizeof(why)) && files == 0 &&
	   s.lines == 0, "files: no log at all is no error");
	audit_summary_release(&s);

	write_file(old, LINE(T0, "fail", "\"a\"", "\"rotated\"", "1") "\n",
		   strlen(LINE(T0, "fail", "\"a\"", "\"rotated\"", "1") "\n"));
	write_file(log, LINE("2026-11-22T08:00:01Z", "mint", "\"a\"", "null", "2") "\n",
		   strlen(LINE("2026-11-22T08:00:01Z", "mint", "\"a\"", "null", "2") "\n"));
	audit_summary_init(&s, 0);
	ok(!audit_summary_read(&s, dir, &files, why, sizeof(why)) && files == 2,
	   "files: both read (%s)", why);
	ok(s.count[AUDIT_FAIL] == 1 && s.count[AUDIT_MINT] == 1,
	   "files: the rotated log's lines count");
	audit_summary_release(&s);

	/* a line over the cap is one malformed line; the next one counts */
	big = xmalloc(AUDITLOG_MAX_LINE + 100);
	memset(big, 'x', AUDITLOG_MAX_LINE + 10);
	big[AUDITLOG_MAX_LINE + 10] = '\n';
	memcpy(big + AUDITLOG_MAX_LINE + 11, "{\"time\":\"" T0 "\",\"event\":\"mint\"}",
	       sizeof("{\"time\":\"" T0 "\",\"event\":\"mint\"}"));
	write_file(log, big, strlen(big));
	free(big);
	audit_summary_init(&s, 0);
	ok(!audit_summary_read(&s, dir, &files, why, sizeof(why)),
	   "files: a long line is no error");
	ok(s.malformed == 1 && s.count[AUDIT_MINT] == 1 && s.count[AUDIT_FAIL] == 1,
	   "files: the long line is malformed, the rest counted");
	audit_summary_release(&s);

	/* a symlink is refused; the other file is still read */
	unlink(log);
	if (!symlink(old, log)) {
		audit_summary_init(&s, 0);
		ok(audit_summary_read(&s, dir, &files, why, sizeof(why)) == -1 &&
		   strstr(why, "audit.log is a symbolic link, refused") && files == 1 &&
		   s.count[AUDIT_FAIL] == 1, "files: a symlinked log is refused (%s)", why);
		audit_summary_release(&s);
	}
	unlink(log);
	unlink(old);
	rmdir(dir);
	free(log);
	free(old);
}

struct dur_case {
	const char *s;
	long want;		/* -1: refused */
};

static const struct dur_case dur_cases[] = {
	{ "90", 90 }, { "90s", 90 }, { "30m", 1800 }, { "1h", 3600 },
	{ "24h", 86400 }, { "7d", 604800 }, { "2w", 1209600 },
	{ "3650d", 3650L * 86400 }, { "3651d", -1 }, { "0", -1 }, { "0h", -1 },
	{ "", -1 }, { "h", -1 }, { "1.5h", -1 }, { "-1h", -1 }, { "1hh", -1 },
	{ "1 h", -1 }, { " 1h", -1 }, { "1H", -1 }, { "1y", -1 },
	{ "99999999999999999999", -1 },
};

static void test_durations(void)
{
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(dur_cases) / sizeof(*dur_cases); i++) {
		long got = -1;
		int r = audit_parse_duration(dur_cases[i].s, &got);

		if (dur_cases[i].want < 0)
			ok(r == -1, "duration '%s' refused", dur_cases[i].s);
		else
			ok(!r && got == dur_cases[i].want, "duration '%s' is %ld s",
			   dur_cases[i].s, dur_cases[i].want);
	}
	audit_format_duration(1, out, sizeof(out));
	is_str(out, "1m", "format: a second is a minute");
	audit_format_duration(3600, out, sizeof(out));
	is_str(out, "60m", "format: an hour in minutes");
	audit_format_duration(7200, out, sizeof(out));
	is_str(out, "2h", "format: two hours");
	audit_format_duration(86400 + 1, out, sizeof(out));
	is_str(out, "25h", "format: rounded up");
	audit_format_duration(3 * 86400, out, sizeof(out));
	is_str(out, "3d", "format: days");
}

int main(void)
{
	test_parse();
	test_summary();
	test_skip_at_since();
	test_many_bots();
	test_files();
	test_durations();
	return done_testing();
}
