/* Unit tests: the parsers of server answers and the small utilities. */
#define _POSIX_C_SOURCE 200809L
#include "services/github.h"
#include "base/json.h"
#include "base/util.h"
#include "services/vault.h"
#include "tap.h"

#include <sodium.h>

struct token_case {
	const char *name;
	const char *body;	/* "%s" is replaced by a future expires_at */
	int want;
};

static void token_cases(void)
{
	char future[32], past[32], body[2048], stateless[600];
	struct gh_token t;
	size_t i;
	static const struct token_case cases[] = {
		{ "classic token", "{\"token\":\"ghs_16C7e42F292c6912E7710c838347Ae178B4a\","
		  "\"expires_at\":\"%s\",\"permissions\":{\"contents\":\"write\"},"
		  "\"repository_selection\":\"all\"}", 0 },
		{ "fractional seconds", "{\"token\":\"ghs_abc\",\"expires_at\":\"%s\"}", 0 },
		{ "not JSON", "<html>%s</html>", RAXX_EGITHUB },
		{ "trailing garbage", "{\"token\":\"ghs_abc\",\"expires_at\":\"%s\"} x", RAXX_EGITHUB },
		{ "token missing", "{\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "token not a string", "{\"token\":42,\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "token with newline", "{\"token\":\"ghs_a\\nb\",\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "token with CR", "{\"token\":\"ghs_a\\rb\",\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "token with space", "{\"token\":\"ghs_a b\",\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "token with ;", "{\"token\":\"ghs_a;b\",\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "empty token", "{\"token\":\"\",\"expires_at\":\"%s\"}", RAXX_EGITHUB },
		{ "expires_at missing", "{\"token\":\"ghs_abc\"}%s", RAXX_EGITHUB },
		{ "expires_at malformed", "{\"token\":\"ghs_abc\",\"expires_at\":\"tomorrow%s\"}", RAXX_EGITHUB },
		{ "an array", "[\"%s\"]", RAXX_EGITHUB },
	};

	format_iso8601(now_seconds() + 3600, future, sizeof(future));
	format_iso8601(now_seconds() - 10, past, sizeof(past));
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char ts[40];
		int ret;

		snprintf(ts, sizeof(ts), "%s", future);
		if (!strcmp(cases[i].name, "fractional seconds"))
			snprintf(ts, sizeof(ts), "%.19s.123Z", future);
		{
			/* the case text has one "%s": put the timestamp there */
			const char *at = strstr(cases[i].body, "%s");

			snprintf(body, sizeof(body), "%.*s%s%s",
				 (int)(at - cases[i].body), cases[i].body, ts, at + 2);
		}
		ret = github_parse_token(body, strlen(body), 0, "raxx-dev-bot", &t);
		is_int(ret, cases[i].want, cases[i].name);
		gh_token_release(&t);
	}

	snprintf(body, sizeof(body), "{\"token\":\"ghs_abc\",\"expires_at\":\"%s\"}", past);
	is_int(github_parse_token(body, strlen(body), 0, "b", &t), RAXX_EGITHUB,
	       "expires_at already past is refused");

	/* the stateless form: ~520 characters with '.' and '_' */
	memcpy(stateless, "ghs_3501352_", 12);
	for (i = 12; i < 520; i++)
		stateless[i] = "abcXYZ019._"[i % 11];
	stateless[520] = '\0';
	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"expires_at\":\"%s\"}",
		 stateless, future);
	ok(!github_parse_token(body, strlen(body), 0, "b", &t) &&
	   !strcmp(t.token, stateless), "a 520-character stateless token is kept whole");
	gh_token_release(&t);

	/* GitHub's clock 120 s ahead: the local expiry is 120 s earlier */
	snprintf(body, sizeof(body), "{\"token\":\"ghs_abc\",\"expires_at\":\"%s\"}", future);
	{
		time_t exp;

		parse_iso8601(future, &exp);
		ok(!github_parse_token(body, strlen(body), 120, "b", &t) &&
		   t.expires_at == exp - 120, "expires_at is moved to the local clock");
		gh_token_release(&t);
	}
}

static void vault_cases(void)
{
	static const char real[] =
		"{\"secrets\":[{\"id\":\"a1\",\"_id\":\"a1\",\"workspace\":\"p\","
		"\"environment\":\"prod\",\"version\":3,\"type\":\"shared\","
		"\"secretKey\":\"APP_ID\",\"secretValue\":\"3501352\",\"secretComment\":\"\","
		"\"secretValueHidden\":false,\"createdAt\":\"2026-01-01T00:00:00Z\","
		"\"updatedAt\":\"2026-01-01T00:00:00Z\"},"
		"{\"secretKey\":\"INSTALLATION_ID\",\"secretValue\":\"77\"}],"
		"\"imports\":[{\"secretPath\":\"/shared\",\"environment\":\"prod\","
		"\"secrets\":[{\"secretKey\":\"APP_ID\",\"secretValue\":\"999\"},"
		"{\"secretKey\":\"PRIVATE_KEY_PEM\",\"secretValue\":\"-----BEGIN\"}]}]}";
	static const char *const broken[] = {
		"", "not json", "{\"secrets\":{}}", "{\"message\":\"x\"}",
		"<html><body>Access denied</body></html>", "{\"secrets\":[] ", "null",
	};
	struct vault_secrets s;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.path = xstrdup("/MooseQuest/raxx-dev-bot");
	ok(!vault_parse_secrets(real, strlen(real), s.path, &s), "a real-shaped secrets answer parses");
	is_int(s.nr, 3, "three distinct keys");
	is_str(vault_secrets_get(&s, "APP_ID"), "3501352", "the folder's own value wins over an import");
	is_str(vault_secrets_get(&s, "PRIVATE_KEY_PEM"), "-----BEGIN", "imported secrets are seen");
	ok(vault_secrets_get(&s, "NOPE") == NULL, "absent key is NULL");
	vault_secrets_release(&s);

	for (i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		char name[80];

		memset(&s, 0, sizeof(s));
		s.path = xstrdup("/p");
		snprintf(name, sizeof(name), "broken secrets answer %zu refused with exit 2", i);
		is_int(vault_parse_secrets(broken[i], strlen(broken[i]), s.path, &s), RAXX_EVAULT, name);
		vault_secrets_release(&s);
	}

	{
		char *p = vault_secret_path("/MooseQuest/", "raxx-dev-bot");
		is_str(p, "/MooseQuest/raxx-dev-bot", "prefix with trailing slash");
		free(p);
		p = vault_secret_path("/MooseQuest///", "b");
		is_str(p, "/MooseQuest/b", "several trailing slashes");
		free(p);
		p = vault_secret_path("MooseQuest", "b");
		is_str(p, "/MooseQuest/b", "prefix without leading slash");
		free(p);
		p = vault_secret_path("/", "b");
		is_str(p, "/b", "root prefix");
		free(p);
	}
}

static void util_cases(void)
{
	time_t t;
	long v;
	char buf[64];
	struct strbuf sb = STRBUF_INIT;

	ok(!parse_iso8601("2016-07-11T22:14:10Z", &t) && t == 1468275250, "ISO 8601 UTC");
	ok(!parse_iso8601("2016-07-11T22:14:10.5Z", &t) && t == 1468275250, "ISO 8601 with fraction");
	ok(parse_iso8601("2016-07-11 22:14:10Z", &t), "ISO 8601 without T refused");
	ok(parse_iso8601("2016-07-11T22:14:10+02:00", &t), "non-UTC offset refused");
	ok(parse_iso8601("2016-13-11T22:14:10Z", &t), "month 13 refused");
	ok(!parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t) && t == 784111777, "HTTP date");
	ok(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), "obsolete HTTP date refused");
	format_iso8601(1468275250, buf, sizeof(buf));
	is_str(buf, "2016-07-11T22:14:10Z", "ISO 8601 formatting");
	ok(!parse_long("300", 0, 1000, &v) && v == 300, "parse_long");
	ok(parse_long("300x", 0, 1000, &v), "trailing garbage refused");
	ok(parse_long("", 0, 1000, &v), "empty refused");
	ok(parse_long(" 3", 0, 1000, &v), "leading space refused");
	ok(parse_long("1001", 0, 1000, &v), "out of range refused");
	ok(parse_long("99999999999999999999999", 0, 1000, &v), "overflow refused");
	is_str(sanitize(buf, sizeof(buf), "a\x1b[31mb\nc\x7f\xc3\xa9"), "a?[31mb?c???", "sanitize control bytes");
	sb.cap = 8;
	ok(!sb_adds(&sb, "12345678") && sb_adds(&sb, "9") && sb.overflow, "strbuf cap holds");
	is_str(sb_str(&sb), "12345678", "strbuf keeps what fit");
	sb_release(&sb);
	ok(secret_equal("ghs_abc", "ghs_abc") && !secret_equal("ghs_abc", "ghs_abd") &&
	   !secret_equal("ghs_abc", "ghs_ab") && !secret_equal(NULL, "x"), "secret_equal");
	{
		struct json_object *o = json_parse("{\"a\":1}  \n", 9);
		ok(o != NULL, "JSON with trailing blanks parses");
		json_object_put(o);
		ok(json_parse("{\"a\":1}{", 8) == NULL, "two JSON values refused");
		ok(json_parse("{\"a\":", 5) == NULL, "truncated JSON refused");
		{
			static const char m[] = "{\"message\":\"Bad\\u001b[2Jcredentials\"}";

			json_message(m, strlen(m), buf, sizeof(buf));
		}
		is_str(buf, "Bad?[2Jcredentials", "server messages are sanitized");
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	token_cases();
	vault_cases();
	util_cases();
	return done_testing();
}
