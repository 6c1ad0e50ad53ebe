#define _POSIX_C_SOURCE 200809L
#include "auditlog.h"
#include "base/json.h"
#include "base/util.h"

const char *const audit_event_names[AUDIT_EVENTS] = {
	"mint", "reuse", "fallback", "erase", "revoke", "fail",
};

/* A fallback's cause: a failure the same process recorded this recently. */
#define CAUSE_WINDOW 120

/* ---------------------------------------------------------------- a line */

/* A string or null member: 0 with *out fresh or NULL; -1 for another type. */
static int opt_str(struct json_object *o, const char *key, char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

int audit_entry_parse(const char *line, size_t len, struct audit_entry *e)
{
	struct json_object *o;
	const char *when, *event;
	char *bot = NULL, *reason = NULL;
	long long pid = 0;
	time_t t;
	int i, ret = -1;

	if (len && line[len - 1] == '\r')
		len--;
	if (!len || len > AUDITLOG_MAX_LINE || memchr(line, '\0', len))
		return -1;
	o = json_parse(line, len);
	if (!o || !json_object_is_type(o, json_type_object))
		goto out;
	when = json_str(o, "time");
	event = json_str(o, "event");
	if (!when || parse_iso8601(when, &t) || !event)
		goto out;
	for (i = 0; i < AUDIT_EVENTS; i++)
		if (!strcmp(event, audit_event_names[i]))
			break;
	if (i == AUDIT_EVENTS) {
		ret = 1;
		goto out;
	}
	if (opt_str(o, "bot", &bot) || opt_str(o, "reason", &reason))
		goto out;
	if (json_int(o, "pid", &pid) || pid < 0 || pid > 0x7fffffff)
		pid = 0;
	e->time = t;
	e->event = (enum audit_kind)i;
	e->bot = bot;
	e->reason = reason;
	e->pid = (long)pid;
	bot = reason = NULL;
	ret = 0;
out:
	free(bot);
	free(reason);
	json_object_put(o);
	return ret;
}

void audit_entry_release(struct audit_entry *e)
{
	free(e->bot);
	free(e->reason);
	e->bot = e->reason = NULL;
}

/* ---------------------------------------------------------------- counting */

void audit_summary_init(struct audit_summary *s, time_t since)
{
	memset(s, 0, sizeof(*s));
	s->since = since;
}

static void alarm_release(struct audit_alarm *a)
{
	free(a->bot);
	free(a->reason);
	free(a->cause);
	memset(a, 0, sizeof(*a));
}

void audit_summary_release(struct audit_summary *s)
{
	size_t i;

	for (i = 0; i < s->nr_bots; i++) {
		free(s->bots[i].bot);
		free(s->bots[i].last_fail_reason);
	}
	free(s->bots);
	alarm_release(&s->last_alarm);
	free(s->fail_reason);
	memset(s, 0, sizeof(*s));
}

static int same_bot(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static struct audit_bot_stats *bot_stats(struct audit_summary *s, const char *bot)
{
	struct audit_bot_stats *b;
	size_t i;

	for (i = 0; i < s->nr_bots; i++)
		if (same_bot(s->bots[i].bot, bot))
			return &s->bots[i];
	if (s->nr_bots >= AUDITLOG_MAX_BOTS) {
		/* a junk log with endless names: no unbounded table */
		if (!(bot && !strcmp(bot, AUDITLOG_MORE_BOTS)))
			return bot_stats(s, AUDITLOG_MORE_BOTS);
	}
	s->bots = xrealloc(s->bots, (s->nr_bots + 1) * sizeof(*s->bots));
	b = &s->bots[s->nr_bots++];
	memset(b, 0, sizeof(*b));
	b->bot = bot ? xstrdup(bot) : NULL;
	return b;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void count(struct audit_summary *s, const struct audit_entry *e)
{
	struct audit_bot_stats *b;
	const char *cause = NULL;

	/* a fallback follows the failed mint of the same process */
	if (e->event == AUDIT_FALLBACK && e->pid && e->pid == s->fail_pid &&
	    e->time >= s->fail_time && e->time - s->fail_time <= CAUSE_WINDOW)
		cause = s->fail_reason;
	if (e->event == AUDIT_FAIL) {
		free(s->fail_reason);
		s->fail_reason = dup_or_null(e->reason);
		s->fail_pid = e->pid;
		s->fail_time = e->time;
	}
	if (e->time > s->newest) {
		s->newest = e->time;
		s->at_newest = 1;
	} else if (e->time == s->newest) {
		s->at_newest++;
	}
	if (s->since && (e->time < s->since || (e->time == s->since &&
	    s->seen_at_since++ < s->skip_at_since))) {
		s->older++;
		return;
	}
	b = bot_stats(s, e->bot);
	b->count[e->event]++;
	s->count[e->event]++;
	if (e->event == AUDIT_FAIL && e->time >= b->last_fail) {
		b->last_fail = e->time;
		free(b->last_fail_reason);
		b->last_fail_reason = dup_or_null(e->reason);
	}
	if (e->event != AUDIT_FALLBACK && e->event != AUDIT_FAIL)
		return;
	if (!s->alarms++ || e->time < s->first_alarm)
		s->first_alarm = e->time;
	if (e->time >= s->last_alarm.time) {
		char *c = dup_or_null(cause);

		alarm_release(&s->last_alarm);
		s->last_alarm.time = e->time;
		s->last_alarm.event = e->event;
		s->last_alarm.bot = dup_or_null(e->bot);
		s->last_alarm.reason = dup_or_null(e->reason);
		s->last_alarm.cause = c;
	}
}

void audit_summary_add(struct audit_summary *s, const char *line, size_t len)
{
	struct audit_entry e;
	size_t i;
	int r;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r", line[i]))
			break;
	if (i == len)
		return;		/* a blank line is nothing */
	s->lines++;
	r = audit_entry_parse(line, len, &e);
	if (r < 0) {
		s->malformed++;
		return;
	}
	if (r > 0) {
		s->unknown++;
		return;
	}
	count(s, &e);
	audit_entry_release(&e);
}

void audit_summary_add_text(struct audit_summary *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		audit_summary_add(s, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

static int by_bot(const void *a, const void *b)
{
	const struct audit_bot_stats *x = a, *y = b;

	if (!x->bot || !y->bot)
		return !y->bot - !x->bot;	/* NULL first */
	return strcmp(x->bot, y->bot);
}

void audit_summary_finish(struct audit_summary *s)
{
	if (s->nr_bots > 1)
		qsort(s->bots, s->nr_bots, sizeof(*s->bots), by_bot);
}

/* ---------------------------------------------------------------- durations */

#define DURATION_MAX (3650L * 86400)

int audit_parse_duration(const char *s, long *secs)
{
	static const struct { char unit; long mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	size_t len, digits, i;
	long v, mult = 1;
	char num[16];

	if (!s)
		return -1;
	len = strlen(s);
	digits = strspn(s, "0123456789");
	if (!digits || digits >= sizeof(num))
		return -1;
	if (len == digits + 1) {
		for (i = 0; i < sizeof(units) / sizeof(*units); i++)
			if (s[digits] == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(*units))
			return -1;
		mult = units[i].mult;
	} else if (len != digits) {
		return -1;
	}
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (parse_long(num, 1, DURATION_MAX, &v) || v > DURATION_MAX / mult)
		return -1;
	*secs = v * mult;
	return 0;
}

void audit_format_duration(long secs, char *out, size_t n)
{
	long m = (secs + 59) / 60, h = (secs + 3599) / 3600;

	if (m < 1)
		m = 1;
	if (m < 120)
		snprintf(out, n, "%ldm", m);
	else if (h < 48)
		snprintf(out, n, "%ldh", h);
	else
		snprintf(out, n, "%ldd", (secs + 86399) / 86400);
}
