/* Unit tests for src/identity/owners.c: parsing RAXX_OWNERS / raxx.owners, and
 * matching logins as GitHub does (ignoring case). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "identity/owners.h"
#include "base/util.h"

struct parse_case {
	const char *list;
	const char *want;	/* owners_list(), or NULL: refused */
};

static const struct parse_case parse_cases[] = {
	{ "other-org", "other-org" },
	{ "raxx-app other-org", "raxx-app, other-org" },
	{ "raxx-app,other-org", "raxx-app, other-org" },
	{ " raxx-app ,\tother-org, ", "raxx-app, other-org" },
	{ "raxx-app,,other-org", "raxx-app, other-org" },
	{ "Raxx-App raxx-app", "Raxx-App" },	/* named twice */
	{ "emu_user_shortcode", "emu_user_shortcode" },
	{ "", "" },
	{ " , ", "" },
	{ "other-org;id", NULL },
	{ "other-org/repo", NULL },
	{ "other.org", NULL },
	{ "*", NULL },
	{ "org\x1b[31m", NULL },
	{ "a\nb", NULL },
};

int main(void)
{
	char long_login[120];
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct owners o = OWNERS_INIT;
		int ret = owners_parse(&o, t->list, "RAXX_OWNERS");

		if (t->want) {
			char *got = owners_list(&o);

			ok(!ret, "parse case %zu is accepted", i);
			is_str(got, t->want, "parse case: the logins");
			is_str(o.source, "RAXX_OWNERS", "parse case: the source");
			free(got);
		} else {
			ok(ret == RAXX_EUSAGE && !o.nr && !o.logins,
			   "parse case %zu is refused, nothing kept", i);
			ok(strstr(raxx_errmsg(), "in RAXX_OWNERS is not a GitHub login") &&
			   !strchr(raxx_errmsg(), '\x1b') && !strchr(raxx_errmsg(), '\n'),
			   "parse case %zu: the message names it, sanitized", i);
			raxx_clear_error();
		}
		owners_release(&o);
	}

	memset(long_login, 'a', 100);
	long_login[100] = '\0';
	{
		struct owners o = OWNERS_INIT;

		ok(!owners_parse(&o, long_login, "x"), "a 100-character login");
		owners_release(&o);
		long_login[100] = 'a';
		long_login[101] = '\0';
		ok(owners_parse(&o, long_login, "x") == RAXX_EUSAGE,
		   "a 101-character one is refused");
		raxx_clear_error();
		owners_release(&o);
	}

	{
		struct owners o = OWNERS_INIT;

		owners_parse(&o, "raxx-app Other-Org", "RAXX_OWNERS");
		ok(owners_has(&o, "other-org"), "owners_has ignores case");
		ok(owners_has(&o, "RAXX-APP"), "owners_has ignores case (2)");
		ok(!owners_has(&o, "other"), "no prefix match");
		ok(!owners_has(&o, "other-org-2"), "no longer match");
		ok(!owners_has(&o, NULL), "NULL is no login");
		ok(!owners_has(NULL, "raxx-app"), "no owners: none");
		owners_release(&o);
		ok(!o.nr && !o.logins && !o.source, "release empties");
	}
	return done_testing();
}
