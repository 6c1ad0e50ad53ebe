/*
 * doctor's `fallbacks` check: the chain may be healthy now and still have
 * failed an hour ago, when agents ran as the operator for a whole session
 * and nobody noticed (the 2026-05-09 incident). So doctor reads the audit
 * log (auditlog.h) and FAILs on any fallback (event "fallback": the
 * operator's token, or no token, instead of the bot's) or failed mint
 * (event "fail") since the last passing doctor run, or in the last 24 h
 * when none is recorded.
 *
 * A run passes when every check other than this one passes: it records
 * where its reading of the log ended (doctor.last-pass in the state
 * directory, 0600: the second, and how many lines of that second it read,
 * since the log's times are whole seconds), and the next window starts
 * right after. So events are reported by every run until the first
 * otherwise healthy one, which reports them once.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_fallbacks.h"
#include "store/auditlog.h"
#include "base/json.h"
#include "store/store.h"
#include "base/util.h"

#include <string.h>

#define LAST_PASS_FILE "doctor.last-pass"
#define DEFAULT_WINDOW (24L * 3600)
#define MAX_BOTS_SHOWN 8

/*
 * The last passing run: "TIME SEEN" (SEEN: lines of that second it had
 * read). 0 when none, or when it is not usable.
 */
static time_t last_pass(const char *dir, time_t now, unsigned long *seen)
{
	char *text = store_read(dir, LAST_PASS_FILE, STORE_STATE_MAX), *sp;
	long n = 0;
	time_t t = 0;

	*seen = 0;
	if (!text)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	if ((sp = strchr(text, ' '))) {
		*sp++ = '\0';
		if (parse_long(sp, 0, 1L << 30, &n))
			n = 0;
	}
	/* a stamp from the future (the clock jumped back) is no window */
	if (parse_iso8601(text, &t) || t > now)
		t = n = 0;
	*seen = (unsigned long)n;
	free(text);
	return t;
}

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

/* "raxx-dev-bot, raxx-ops-bot" (sanitized) of the bots with alarms. */
static void alarm_bots(const struct audit_summary *s, struct strbuf *out)
{
	size_t i, shown = 0, more = 0;
	char name[128];

	for (i = 0; i < s->nr_bots; i++) {
		const struct audit_bot_stats *b = &s->bots[i];

		if (!b->count[AUDIT_FALLBACK] && !b->count[AUDIT_FAIL])
			continue;
		if (shown == MAX_BOTS_SHOWN) {
			more++;
			continue;
		}
		sb_addf(out, "%s%s", shown++ ? ", " : "", b->bot ?
			sanitize(name, sizeof(name), b->bot) : "(no bot)");
	}
	if (more)
		sb_addf(out, " and %zu more", more);
}

static void report_alarms(struct doctor *d, const struct audit_summary *s,
			  const char *window, time_t now, const char *unread)
{
	unsigned long fb = s->count[AUDIT_FALLBACK], fails = s->count[AUDIT_FAIL];
	struct strbuf what = STRBUF_INIT, bots = STRBUF_INIT;
	char first[32], last[32], reason[600], cause[600], dur[16], *fix;
	const struct audit_alarm *a = &s->last_alarm;

	if (fb)
		sb_addf(&what, "%lu fallback%s (not the bot's token)", fb, plural(fb));
	if (fails)
		sb_addf(&what, "%s%lu failed mint%s", fb ? " and " : "", fails,
			plural(fails));
	alarm_bots(s, &bots);
	format_iso8601(s->first_alarm, first, sizeof(first));
	format_iso8601(a->time, last, sizeof(last));
	sanitize(reason, sizeof(reason), a->reason ? a->reason : "none recorded");
	if (a->cause)
		sanitize(cause, sizeof(cause), a->cause);
	audit_format_duration((long)(now - s->first_alarm) + 60, dur, sizeof(dur));
	fix = xstrfmt("git-credential-raxx audit --since %s shows them per bot; "
		      "fix the cause (the reason here, or a FAIL above); a run "
		      "in which every other check passes, this one included, "
		      "starts a new window", dur);
	doctor_report(d, "fallbacks", DOCTOR_FAIL, fix,
		      "%s %s, by %s; first %s, last %s (a %s); last reason: %s%s%s%s%s",
		      what.buf, window, bots.buf, first, last,
		      a->event == AUDIT_FALLBACK ? "fallback" : "failed mint",
		      a->cause ? cause : reason, a->cause ? " (then: " : "",
		      a->cause ? reason : "", a->cause ? ")" : "",
		      unread ? unread : "");
	free(fix);
	sb_release(&what);
	sb_release(&bots);
}

int doctor_fallbacks(struct doctor *d, struct doctor_window *w)
{
	struct audit_summary s;
	char *dir = state_dir_path(), window[120], when[32], why[600];
	char unread[700] = "";
	time_t now = now_seconds(), last;
	unsigned long seen;
	int files = 0, failed = 0;

	w->time = now;
	w->seen = 0;
	if (!dir) {
		doctor_report(d, "fallbacks", DOCTOR_SKIP, NULL,
			      "no RAXX_STATE_DIR and no HOME: no audit log to read");
		doctor_json_add(d, "last_pass", NULL);
		return 0;
	}
	last = last_pass(dir, now, &seen);
	if (last) {
		format_iso8601(last, when, sizeof(when));
		snprintf(window, sizeof(window), "since the last passing doctor "
			 "run (%s)", when);
	} else {
		snprintf(window, sizeof(window), "in the last 24 h (no passing "
			 "doctor run recorded)");
	}
	doctor_json_add(d, "last_pass", last ? json_object_new_string(when) : NULL);

	audit_summary_init(&s, last ? last : now - DEFAULT_WINDOW);
	s.skip_at_since = last ? seen : 0;
	if (audit_summary_read(&s, dir, &files, why, sizeof(why)))
		snprintf(unread, sizeof(unread), "; and %s, so its events are "
			 "unknown", why);
	audit_summary_finish(&s);
	/* where the next window starts: after every line read here */
	if (s.newest >= w->time) {
		w->time = s.newest;
		w->seen = s.at_newest;
	}

	if (s.alarms) {
		report_alarms(d, &s, window, now, *unread ? unread : NULL);
		failed = 1;
	} else if (*unread) {
		doctor_report(d, "fallbacks", DOCTOR_FAIL,
			      "remove it (raxx writes the log again, 0600), or make "
			      "it a file of yours", "the audit log cannot be read: "
			      "%s: fallbacks and failed mints %s are unknown", why,
			      window);
		failed = 1;
	} else if (!files) {
		doctor_report(d, "fallbacks", DOCTOR_PASS, NULL, "no audit log in "
			      "%s yet: nothing minted, nothing fell back", dir);
	} else {
		char skipped[80] = "";

		if (s.malformed)
			snprintf(skipped, sizeof(skipped), "; %lu malformed line%s "
				 "skipped", s.malformed, plural(s.malformed));
		doctor_report(d, "fallbacks", DOCTOR_PASS, NULL,
			      "no fallback and no failed mint %s (%lu mint%s, %lu "
			      "reuse%s)%s", window, s.count[AUDIT_MINT],
			      plural(s.count[AUDIT_MINT]), s.count[AUDIT_REUSE],
			      plural(s.count[AUDIT_REUSE]), skipped);
	}
	audit_summary_release(&s);
	free(dir);
	return failed;
}

void doctor_record_pass(const struct doctor_window *w)
{
	char *dir = state_dir_path(), *stamp, why[300], iso[32];
	int ret;

	if (!dir)
		return;
	format_iso8601(w->time, iso, sizeof(iso));
	stamp = xstrfmt("%s %lu\n", iso, w->seen);
	ret = store_write(dir, LAST_PASS_FILE, stamp, strlen(stamp), why,
			  sizeof(why));
	if (ret)
		warning("cannot record this passing doctor run in %s: %s; the "
			"fallbacks check keeps its window", dir,
			ret == STORE_EDIR ? why : "write failed");
	free(stamp);
	free(dir);
}
