#ifndef RAXX_AUDITLOG_H
#define RAXX_AUDITLOG_H

/*
 * Reading the audit log that audit.c writes: parse its lines and count
 * them per bot within a time window. Used by the `audit` action (the
 * table) and by doctor's `fallbacks` check (which fails on a fallback or a
 * failed mint since its last passing run).
 *
 * Parsing and counting (auditlog.c) are pure (no files, no clock): feed
 * lines with audit_summary_add(). audit_summary_read() (auditlog_read.c)
 * feeds a state directory's audit.log.1 (the rotated log), then
 * audit.log, each opened through store.h (a regular file of ours, never
 * through a symlink; its mode is the writer's business).
 *
 * A line that is not one JSON object with a valid "time" (ISO 8601, UTC)
 * and a string "event" is malformed: skipped and counted, never fatal. A
 * well-formed line with an event this reader does not know is counted as
 * unknown. Strings are kept as the log holds them (after JSON unescaping):
 * they are outside text, so whoever prints them passes them through
 * sanitize() first.
 */

#include <stddef.h>
#include <time.h>

enum audit_kind {
	AUDIT_MINT,
	AUDIT_REUSE,
	AUDIT_FALLBACK,
	AUDIT_ERASE,
	AUDIT_REVOKE,
	AUDIT_FAIL,
	AUDIT_EVENTS
};

/* "mint", "reuse", "fallback", "erase", "revoke", "fail" */
extern const char *const audit_event_names[AUDIT_EVENTS];

/* A line longer than this is malformed (the writer's lines are ~300 bytes). */
#define AUDITLOG_MAX_LINE 65536
/* Distinct bots counted one by one; the rest share one row. */
#define AUDITLOG_MAX_BOTS 256
/* The row of the bots past AUDITLOG_MAX_BOTS (no bot name has parentheses). */
#define AUDITLOG_MORE_BOTS "(more bots)"

struct audit_entry {
	time_t time;
	enum audit_kind event;
	char *bot;		/* NULL: the line names none */
	char *reason;		/* NULL: none */
	long pid;		/* 0: none */
};

/*
 * Parse one line (its newline excluded; a trailing CR is tolerated).
 * Returns 0 with e filled (release it), 1 for a well-formed line with an
 * unknown event (e untouched), -1 when malformed (e untouched).
 */
int audit_entry_parse(const char *line, size_t len, struct audit_entry *e);
void audit_entry_release(struct audit_entry *e);

struct audit_bot_stats {
	char *bot;		/* NULL: events recorded without a bot */
	unsigned long count[AUDIT_EVENTS];
	time_t last_fail;	/* 0: no failure */
	char *last_fail_reason;	/* may be NULL */
};

/* A fallback or a failed mint. */
struct audit_alarm {
	time_t time;
	enum audit_kind event;
	char *bot;
	char *reason;
	/* a fallback: the reason of the failed mint that the same process
	 * recorded just before it (the cause), else NULL */
	char *cause;
};

struct audit_summary {
	time_t since;		/* lines older than this are not counted; 0: all */
	/* nor the first this many lines of the second `since` (lines a
	 * reader saw when it read the log at that second) */
	unsigned long skip_at_since;

	struct audit_bot_stats *bots;	/* sorted by name (NULL first) after finish */
	size_t nr_bots;
	unsigned long count[AUDIT_EVENTS];	/* over all bots */

	unsigned long lines;		/* non-empty lines seen */
	unsigned long older;		/* well-formed but before since */
	unsigned long malformed;
	unsigned long unknown;		/* well-formed, unknown event */

	/* the latest time of a line (known events), and how many have it */
	time_t newest;
	unsigned long at_newest;

	/* fallbacks and failed mints since `since` */
	unsigned long alarms;
	time_t first_alarm;
	struct audit_alarm last_alarm;	/* time 0: none */

	/* private: lines of the second `since` so far; the last failed mint
	 * seen, to find a fallback's cause */
	unsigned long seen_at_since;
	long fail_pid;
	time_t fail_time;
	char *fail_reason;
};

void audit_summary_init(struct audit_summary *s, time_t since);
/* One line, without its newline. */
void audit_summary_add(struct audit_summary *s, const char *line, size_t len);
/* Any number of lines; a last line without a newline counts too. */
void audit_summary_add_text(struct audit_summary *s, const char *buf, size_t len);
/* Sort the bots by name; call once, after the last line. */
void audit_summary_finish(struct audit_summary *s);
void audit_summary_release(struct audit_summary *s);

/*
 * Feed dir/audit.log.1, then dir/audit.log (audit_summary_finish is left
 * to the caller). A missing file is no error; *files (may be NULL) gets
 * how many were read. Returns 0, or -1 with the reason in why (a file
 * that is a symbolic link, not a regular file, not ours, or unreadable;
 * the other file is still read).
 */
int audit_summary_read(struct audit_summary *s, const char *dir, int *files,
		       char *why, size_t n);

/*
 * A duration: "90" (seconds), "90s", "30m", "1h", "24h", "7d", "2w".
 * Between 1 s and 3650 days. 0 with *secs set, or -1.
 */
int audit_parse_duration(const char *s, long *secs);
/* The shortest of "45m", "3h", "2d" that covers secs (rounded up) into out. */
void audit_format_duration(long secs, char *out, size_t n);

#endif
