#ifndef RAXX_DOCTOR_REPORT_H
#define RAXX_DOCTOR_REPORT_H

/*
 * doctor's report: what every check writes its result to, and what calls
 * none of them back. In text mode one line per check, "[PASS] NAME
 * DETAIL", with a "fix:" line under a FAIL or a WARN (--quiet: the FAIL
 * lines only); with --json nothing but one document on stdout, each check
 * an object {"name", "status", "detail", "fix"} of its array. It keeps
 * the counts per status, starts each check's network deadline
 * (--max-time), and redacts the credentials a check shows.
 */

#include "base/util.h"

enum doctor_status { DOCTOR_PASS, DOCTOR_WARN, DOCTOR_FAIL, DOCTOR_SKIP };
/* "PASS", "WARN", "FAIL", "SKIP" */
extern const char *const doctor_status_names[4];

struct doctor;
struct json_object;

/*
 * A report on stdout: text lines (quiet: the FAIL lines only), or with
 * json a document whose checks are the array checks_key ("checks";
 * "shared" under --all). max_time: each check's network deadline, in
 * seconds. Free it with doctor_report_free (NULL is fine).
 */
struct doctor *doctor_report_new(int json, int quiet, const char *checks_key,
				 long max_time);
void doctor_report_free(struct doctor *d);

/*
 * The end of the run. --json: the counts ("pass", "warn", "fail", "skip")
 * and "exit": exit_status go into the document, which goes to stdout.
 * Text, not quiet, and summary: the line "doctor: N PASS, N WARN, N FAIL,
 * N SKIP". Flushes stdout either way.
 */
void doctor_report_end(struct doctor *d, int exit_status, int summary);

/*
 * In a bot's child process under --all: from here on the report is a
 * document of its own (the parent's is dropped), counted from zero,
 * printed nowhere; each check is also written to fd as one JSON line
 * ({"name","status","detail","fix"}) as soon as it ends, and every check
 * ends by deadline (now_ms() clock) rather than by a deadline of its own.
 */
void doctor_report_stream(struct doctor *d, int64_t deadline, int fd);

/*
 * Record (and, in text mode, print) one check. fix: the operator's next
 * step (shown with FAIL and WARN), or NULL. detail must hold no secret
 * and nothing unsanitized from a server.
 */
void doctor_report(struct doctor *d, const char *name, enum doctor_status st,
		   const char *fix, const char *fmt, ...) RAXX_PRINTF(5, 6);

/* Start a check's own network deadline (--max-time). */
void doctor_begin_check(struct doctor *d);
long doctor_max_time(const struct doctor *d);

/* "abcd…wxyz" for a value of 12 characters or more, else "(N chars)";
 * control characters shown as '?'. Fresh string. */
char *doctor_redact(const char *secret);
/* The last error message (raxx_errmsg), "failed" when there is none: for a
 * detail; it never holds a secret. */
const char *doctor_errmsg(void);

/* Text mode and not quiet: where extra lines may be printed. */
int doctor_chatty(const struct doctor *d);
/* --json: nothing but the document goes to stdout. */
int doctor_is_json(const struct doctor *d);
/* PASS lines so far. */
int doctor_pass_count(const struct doctor *d);
/* Add a top-level member to the --json answer (takes o). */
void doctor_json_add(struct doctor *d, const char *key, struct json_object *o);
/* The counts so far (PASS, WARN, FAIL, SKIP) into counts (may be NULL);
 * then add add (may be NULL) to them. */
void doctor_counts(struct doctor *d, int counts[4], const int add[4]);
/* A check's lines in text mode, as doctor_report prints them (--quiet:
 * FAIL only; --json: nothing); nothing counted or recorded. */
void doctor_print(const struct doctor *d, enum doctor_status st,
		  const char *name, const char *fix, const char *detail);

#endif
