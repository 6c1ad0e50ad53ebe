/* Unit tests for src/doctor/doctor_ops.c: GitHub's token-expiration header. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "tap.h"

#include "doctor/doctor.h"
#include "base/util.h"

struct exp_case {
	const char *header;
	long long want;		/* -1: refused */
};

/* date -u -d '2026-12-10 12:00:00' +%s */
#define DEC10 1796904000LL

static const struct exp_case cases[] = {
	{ "2026-12-10 12:00:00 UTC", DEC10 },
	{ "2026-12-10 12:00:00 GMT", DEC10 },
	{ "2026-12-10 21:00:00 +0900", DEC10 },
	{ "2026-12-10 07:30:00 -0430", DEC10 },
	{ "2026-12-10T12:00:00Z", DEC10 },
	{ "2021-10-07 19:07:53 UTC", 1633633673LL },
	{ "2026-12-10 12:00:00", -1 },
	{ "2026-12-10 12:00:00 CET", -1 },
	{ "2026-12-10 12:00:00 +09:00", -1 },
	{ "2026-12-10 12:00:00 +2400", -1 },
	{ "2026-13-10 12:00:00 UTC", -1 },
	{ "2026-12-10 12:00 UTC", -1 },
	{ "Thu, 10 Dec 2026 12:00:00 GMT", -1 },
	{ "", -1 },
	{ "never", -1 },
};

int main(void)
{
	size_t i;
	time_t t;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int r = doctor_parse_token_expiration(cases[i].header, &t);

		if (cases[i].want < 0)
			ok(r == -1, "'%s' refused", cases[i].header);
		else
			ok(!r && (long long)t == cases[i].want, "'%s' is %lld",
			   cases[i].header, cases[i].want);
	}
	ok(doctor_parse_token_expiration(NULL, &t) == -1, "NULL refused");
	return done_testing();
}
