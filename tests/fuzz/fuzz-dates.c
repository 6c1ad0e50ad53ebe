/*
 * libFuzzer target for the dates the program reads from servers:
 * parse_iso8601 (GitHub's expires_at, the vault's and the audit log's
 * times, handoff manifests), parse_http_date (GitHub's Date header, the
 * clock offset) in src/base/util.c, and doctor_parse_token_expiration (a PAT's
 * GitHub-Authentication-Token-Expiration header, src/doctor/doctor_ops.c). The
 * input is one string, given to each.
 *
 * Beyond "no crash, no leak, no UB": a time accepted lies between 1970
 * and 9999; an ISO 8601 time formatted again (format_iso8601) reads back
 * the same, and so does the HTTP date of it, and the reverse; the token
 * expiration agrees with parse_iso8601 on what that accepts, and is
 * otherwise its "YYYY-MM-DD HH:MM:SS" within a day of it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor/doctor.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

/* 9999-12-31T23:59:60Z, the latest a parser may give (a leap second,
 * or a day 31 in a shorter month, rolls over into the next) */
#define MAX_TIME 253402300860LL

static void http_date_of(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void round_trip(time_t t)
{
	char iso[32], http[40];
	time_t back;

	CHECK(t >= 0 && (long long)t <= MAX_TIME);
	format_iso8601(t, iso, sizeof(iso));
	if (strlen(iso) != 20)
		return;		/* past 9999 (a leap second then): nothing to read */
	CHECK(!parse_iso8601(iso, &back) && back == t);
	http_date_of(t, http, sizeof(http));
	CHECK(!parse_http_date(http, &back) && back == t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	time_t iso = -1, http = -1, exp = -1;
	int iso_ok = !parse_iso8601(s, &iso);
	int http_ok = !parse_http_date(s, &http);
	int exp_ok = !doctor_parse_token_expiration(s, &exp);

	if (iso_ok) {
		size_t n = strlen(s);

		CHECK(n >= 20 && s[10] == 'T' &&
		      (s[n - 1] == 'Z' || !strcmp(s + n - 6, "+00:00")));
		round_trip(iso);
		CHECK(exp_ok && exp == iso);
	}
	if (http_ok) {
		CHECK(strlen(s) == 29 && !strcmp(s + 25, " GMT"));
		round_trip(http);
	}
	if (exp_ok && !iso_ok) {
		/* "YYYY-MM-DD HH:MM:SS ZONE": its wall time, moved by the zone */
		char wall[21];
		time_t w;

		CHECK(strlen(s) >= 23 && s[10] == ' ' && s[19] == ' ');
		memcpy(wall, s, 10);
		wall[10] = 'T';
		memcpy(wall + 11, s + 11, 8);
		memcpy(wall + 19, "Z", 2);
		CHECK(!parse_iso8601(wall, &w));
		CHECK(exp - w < 86400 && w - exp < 86400);
	}
	free(s);
	return 0;
}
