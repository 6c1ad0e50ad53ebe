/*
 * libFuzzer target for src/store/auditlog.c: the input is an audit log (lines of
 * JSON, or anything). Beyond "no crash, no leak, no UB" it checks that
 * the counts add up: every non-blank line is counted once, as an event, an
 * old one, a malformed or an unknown line; and that feeding the log whole
 * or line by line gives the same summary.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/auditlog.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static unsigned long events(const struct audit_summary *s)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < AUDIT_EVENTS; i++)
		n += s->count[i];
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *p, *nl, *end = buf + size;
	struct audit_summary whole, lines;
	unsigned long per_bot = 0;
	size_t i;
	int j;

	/* a window start inside the fuzzer's likely times: 2026-11-22 */
	audit_summary_init(&whole, 1795334400);
	audit_summary_add_text(&whole, buf, size);
	audit_summary_finish(&whole);

	audit_summary_init(&lines, 1795334400);
	for (p = buf; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		audit_summary_add(&lines, p, (size_t)(nl - p));
	}
	audit_summary_finish(&lines);

	CHECK(whole.lines == events(&whole) + whole.older + whole.malformed +
	      whole.unknown);
	CHECK(whole.lines == lines.lines && whole.malformed == lines.malformed &&
	      events(&whole) == events(&lines) && whole.alarms == lines.alarms);
	CHECK(whole.alarms == whole.count[AUDIT_FALLBACK] + whole.count[AUDIT_FAIL]);
	CHECK(whole.nr_bots <= AUDITLOG_MAX_BOTS + 1);
	for (i = 0; i < whole.nr_bots; i++)
		for (j = 0; j < AUDIT_EVENTS; j++)
			per_bot += whole.bots[i].count[j];
	CHECK(per_bot == events(&whole));
	CHECK(!whole.alarms || (whole.first_alarm <= whole.last_alarm.time));
	audit_summary_release(&whole);
	audit_summary_release(&lines);
	return 0;
}
