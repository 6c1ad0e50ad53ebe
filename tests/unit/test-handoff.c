/* Unit tests: the handoff manifest parser and its policy (handoff.h). */
#define _POSIX_C_SOURCE 200809L
#include "token/handoff_manifest.h"
#include "base/util.h"
#include "tap.h"

#include <sodium.h>

#define NOW 1782000000L	/* 2026-06-21, a fixed clock */
#define H 3600L

struct manifest_case {
	const char *name;
	const char *perms;	/* the "permissions" value, JSON */
	long created, expires;	/* seconds from NOW */
	const char *slug, *repo, *bot;
	int want;
};

static void manifest_cases(void)
{
	static const struct manifest_case cases[] = {
		{ "the three, 24 h", "{\"contents\":\"write\",\"pull_requests\":\"write\","
		  "\"issues\":\"write\"}", 0, 24 * H, NULL, NULL, NULL, 0 },
		{ "one of them, read", "{\"contents\":\"read\"}", -H, H, NULL, NULL, NULL, 0 },
		{ "administration:write", "{\"contents\":\"write\",\"administration\":"
		  "\"write\"}", 0, H, NULL, NULL, NULL, RAXX_EHANDOFF },
		{ "contents:admin", "{\"contents\":\"admin\"}", 0, H, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "workflows:write", "{\"workflows\":\"write\"}", 0, H, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "metadata:read (not in the set)", "{\"metadata\":\"read\"}", 0, H, NULL,
		  NULL, NULL, RAXX_EHANDOFF },
		{ "an unknown level", "{\"issues\":\"owner\"}", 0, H, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "no permissions: all of the App's", "{}", 0, H, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "permissions an array", "[\"contents\"]", 0, H, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "a level not a string", "{\"contents\":2}", 0, H, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "expired", "{\"contents\":\"write\"}", -10 * H, -1, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "expires now", "{\"contents\":\"write\"}", -H, 0, NULL, NULL, NULL,
		  RAXX_EHANDOFF },
		{ "24 h and a second", "{\"contents\":\"write\"}", 0, 24 * H + 1, NULL,
		  NULL, NULL, RAXX_EHANDOFF },
		{ "expires before created", "{\"contents\":\"write\"}", 2 * H, H, NULL,
		  NULL, NULL, RAXX_EHANDOFF },
		{ "created an hour ahead", "{\"contents\":\"write\"}", H, 2 * H, NULL,
		  NULL, NULL, RAXX_EHANDOFF },
		{ "created 4 minutes ahead (skew)", "{\"contents\":\"write\"}", 240, H,
		  NULL, NULL, NULL, 0 },
		{ "another slug", "{\"contents\":\"write\"}", 0, H, "other", NULL, NULL,
		  RAXX_EHANDOFF },
		{ "repo without owner", "{\"contents\":\"write\"}", 0, H, NULL, "demo",
		  NULL, RAXX_EHANDOFF },
		{ "repo with .git", "{\"contents\":\"write\"}", 0, H, NULL,
		  "raxx-app/demo.git", NULL, RAXX_EHANDOFF },
		{ "repo with three parts", "{\"contents\":\"write\"}", 0, H, NULL,
		  "a/b/c", NULL, RAXX_EHANDOFF },
		{ "bot with a slash", "{\"contents\":\"write\"}", 0, H, NULL, NULL,
		  "../bot", RAXX_EHANDOFF },
	};
	char json[1024], c[32], e[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct manifest_case *k = &cases[i];
		int ret;

		format_iso8601(NOW + k->created, c, sizeof(c));
		format_iso8601(NOW + k->expires, e, sizeof(e));
		snprintf(json, sizeof(json), "{\"slug\":\"%s\",\"repo\":\"%s\","
			 "\"bot\":\"%s\",\"permissions\":%s,\"created_at\":\"%s\","
			 "\"expires_at\":\"%s\"}", k->slug ? k->slug : "fix-login",
			 k->repo ? k->repo : "raxx-app/demo",
			 k->bot ? k->bot : "raxx-dev-bot", k->perms, c, e);
		raxx_clear_error();
		ret = handoff_manifest_check(json, "fix-login", NOW, "test");
		is_int(ret, k->want, k->name);
		if (k->want)
			ok(*raxx_errmsg(), "%s: a message (%s)", k->name, raxx_errmsg());
	}
}

static void malformed_cases(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "\"a string\"", "{\"slug\":\"fix-login\"}",
		"{\"slug\":\"fix-login\",\"repo\":\"raxx-app/demo\",\"bot\":\"b\","
		"\"permissions\":{\"contents\":\"write\"},\"created_at\":\"yesterday\","
		"\"expires_at\":\"tomorrow\"}",
		"{\"slug\":1,\"repo\":\"raxx-app/demo\",\"bot\":\"b\",\"permissions\":{},"
		"\"created_at\":\"2026-06-21T08:00:00Z\",\"expires_at\":\"2026-06-21T09:00:00Z\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		is_int(handoff_manifest_check(bad[i], "fix-login", NOW, "test"),
		       RAXX_EHANDOFF, "malformed manifest refused");
}

static void too_many(void)
{
	struct strbuf sb = STRBUF_INIT;
	char c[32], e[32];
	int i;

	format_iso8601(NOW, c, sizeof(c));
	format_iso8601(NOW + H, e, sizeof(e));
	sb_adds(&sb, "{\"slug\":\"fix-login\",\"repo\":\"raxx-app/demo\",\"bot\":\"b\","
		"\"permissions\":{");
	for (i = 0; i < 40; i++)
		sb_addf(&sb, "%s\"p%d\":\"read\"", i ? "," : "", i);
	sb_addf(&sb, "},\"created_at\":\"%s\",\"expires_at\":\"%s\"}", c, e);
	is_int(handoff_manifest_check(sb.buf, "fix-login", NOW, "test"),
	       RAXX_EHANDOFF, "40 permissions: refused, no overflow");
	sb_release(&sb);
}

static void slugs(void)
{
	static const char *const good[] = { "a", "fix-login-20260621", "A_b-9",
		"0123456789012345678901234567890123456789012345678901234567890123" };
	static const char *const bad[] = { "", "a/b", "../x", "a.b", "a b", "ä",
		"01234567890123456789012345678901234567890123456789012345678901234",
		"a\nb" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		ok(handoff_slug_ok(good[i]), "slug '%s' accepted", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(!handoff_slug_ok(bad[i]), "slug #%zu refused", i);
	ok(!handoff_slug_ok(NULL), "no slug refused");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	manifest_cases();
	malformed_cases();
	too_many();
	slugs();
	return done_testing();
}
