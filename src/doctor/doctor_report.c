/*
 * doctor's report (doctor_report.h): the output side of a doctor run,
 * text lines or the --json document, and the counts. It calls no check.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_report.h"
#include "services/http.h"
#include "base/json.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *const doctor_status_names[4] = { "PASS", "WARN", "FAIL", "SKIP" };

struct doctor {
	int json, quiet;
	long max_time;
	int64_t deadline;	/* a bot's child under --all: all its checks end by then */
	int stream_fd;		/* there: each check as one JSON line, as it ends */
	struct json_object *root, *checks;
	int counts[4];
};

struct doctor *doctor_report_new(int json, int quiet, const char *checks_key,
				 long max_time)
{
	struct doctor *d = xcalloc(1, sizeof(*d));

	d->json = json;
	d->quiet = quiet;
	d->max_time = max_time;
	d->stream_fd = -1;
	if (json) {
		d->root = json_object_new_object();
		d->checks = json_object_new_array();
		json_object_object_add(d->root, checks_key, d->checks);
	}
	return d;
}

void doctor_report_free(struct doctor *d)
{
	if (!d)
		return;
	json_object_put(d->root);
	free(d);
}

void doctor_report_stream(struct doctor *d, int64_t deadline, int fd)
{
	/* the parent's document stays the parent's: this one has none */
	json_object_put(d->root);
	d->json = 1;
	d->quiet = 0;
	d->root = NULL;
	d->checks = json_object_new_array();
	memset(d->counts, 0, sizeof(d->counts));
	d->deadline = deadline;
	d->stream_fd = fd;
}

long doctor_max_time(const struct doctor *d)
{
	return d->max_time;
}

void doctor_begin_check(struct doctor *d)
{
	http_set_deadline(d->deadline ? d->deadline : now_ms() + d->max_time * 1000);
	raxx_clear_error();
}

int doctor_chatty(const struct doctor *d)
{
	return !d->json && !d->quiet;
}

int doctor_is_json(const struct doctor *d)
{
	return d->json;
}

void doctor_json_add(struct doctor *d, const char *key, struct json_object *o)
{
	if (d->root)
		json_object_object_add(d->root, key, o);
	else
		json_object_put(o);
}

int doctor_pass_count(const struct doctor *d)
{
	return d->counts[DOCTOR_PASS];
}

void doctor_counts(struct doctor *d, int counts[4], const int add[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		if (counts)
			counts[i] = d->counts[i];
		if (add)
			d->counts[i] += add[i];
	}
}

void doctor_print(const struct doctor *d, enum doctor_status st,
		  const char *name, const char *fix, const char *detail)
{
	if (d->json || (d->quiet && st != DOCTOR_FAIL))
		return;
	out_line("[%s] %-16s %s", doctor_status_names[st], name, detail);
	if (fix && (st == DOCTOR_FAIL || st == DOCTOR_WARN))
		out_line("       fix: %s", fix);
}

/* A bot's child: the check, one line, in one write (doctor_all.c reads it). */
static void stream_check(struct doctor *d, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line = xstrfmt("%s\n", s);
	size_t n = strlen(line), off = 0;
	ssize_t w;

	while (off < n && ((w = write(d->stream_fd, line + off, n - off)) > 0 ||
			   (w < 0 && errno == EINTR)))
		off += w > 0 ? (size_t)w : 0;
	free(line);
}

void doctor_report(struct doctor *d, const char *name, enum doctor_status st,
		   const char *fix, const char *fmt, ...)
{
	char detail[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	d->counts[st]++;
	if (d->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "status",
				       json_object_new_string(doctor_status_names[st]));
		json_object_object_add(o, "detail", json_object_new_string(detail));
		json_object_object_add(o, "fix", fix && (st == DOCTOR_FAIL ||
							 st == DOCTOR_WARN) ?
				       json_object_new_string(fix) : NULL);
		if (d->stream_fd >= 0)
			stream_check(d, o);
		json_object_array_add(d->checks, o);
		return;
	}
	doctor_print(d, st, name, fix, detail);
}

void doctor_report_end(struct doctor *d, int exit_status, int summary)
{
	int i;

	if (d->json) {
		for (i = 0; i < 4; i++) {
			char key[8];

			snprintf(key, sizeof(key), "%s", doctor_status_names[i]);
			for (char *k = key; *k; k++)
				*k = (char)tolower((unsigned char)*k);
			json_object_object_add(d->root, key,
					       json_object_new_int(d->counts[i]));
		}
		json_object_object_add(d->root, "exit",
				       json_object_new_int(exit_status));
		printf("%s\n", json_object_to_json_string_ext(d->root,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (!d->quiet && summary) {
		printf("doctor: %d PASS, %d WARN, %d FAIL, %d SKIP\n",
		       d->counts[DOCTOR_PASS], d->counts[DOCTOR_WARN],
		       d->counts[DOCTOR_FAIL], d->counts[DOCTOR_SKIP]);
	}
	fflush(stdout);
}

char *doctor_redact(const char *secret)
{
	size_t n = strlen(secret), i;
	char head[5], tail[5];

	if (n < 12)
		return xstrfmt("(%zu chars)", n);
	for (i = 0; i < 4; i++) {
		head[i] = isprint((unsigned char)secret[i]) ? secret[i] : '?';
		tail[i] = isprint((unsigned char)secret[n - 4 + i]) ?
			secret[n - 4 + i] : '?';
	}
	head[4] = tail[4] = '\0';
	return xstrfmt("%s\xe2\x80\xa6%s", head, tail);
}

const char *doctor_errmsg(void)
{
	return *raxx_errmsg() ? raxx_errmsg() : "failed";
}
