/* Unit tests: the broker's wire format and its uid policy. */
#define _POSIX_C_SOURCE 200809L
#include "broker/broker_policy.h"
#include "token/broker_wire.h"
#include "base/util.h"
#include "tap.h"

#include <sodium.h>

struct end_case {
	const char *name;
	const char *buf;
	size_t len;	/* 0: strlen */
	long want;	/* -2: the whole length */
};

static void end_cases(void)
{
	static const struct end_case cases[] = {
		{ "empty buffer: more to read", "", 0, 0 },
		{ "a blank line alone is a message", "\n", 0, 1 },
		{ "one line and its blank line", "a=b\n\n", 0, -2 },
		{ "one line, no blank line yet", "a=b\n", 0, 0 },
		{ "half a line", "a=", 0, 0 },
		{ "ends at the first blank line", "a=b\n\nc=d\n\n", 0, 5 },
		{ "a NUL is refused at once", "a=b\0c\n\n", 7, -1 },
		{ "a CR is refused at once", "a=b\r\n\r\n", 0, -1 },
		{ "CRLF blank line is not a blank line", "a=b\r\n", 0, -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].buf);
		long want = cases[i].want == -2 ? (long)len : cases[i].want;

		is_int(broker_msg_end(cases[i].buf, len), want, cases[i].name);
	}
	{
		/* a flood without a line end: refused at the cap, not before */
		size_t n = BROKER_MAX_MSG + 10;
		char *big = xmalloc(n);

		memset(big, 'a', n);
		is_int(broker_msg_end(big, BROKER_MAX_MSG - 1), 0,
		       "64 KiB less one byte without an end: more to read");
		is_int(broker_msg_end(big, BROKER_MAX_MSG), -1,
		       "64 KiB without an end: refused");
		is_int(broker_msg_end(big, n), -1, "more than 64 KiB: refused");
		free(big);
	}
}

struct parse_case {
	const char *name;
	const char *buf;
	int want;
};

static void parse_cases(void)
{
	static const struct parse_case cases[] = {
		{ "a request", "version=1\naction=token\nbot=raxx-dev-bot\n\n", 0 },
		{ "an empty message", "\n", 0 },
		{ "an empty value", "repo=\n\n", 0 },
		{ "a value holding '='", "message=a=b==\n\n", 0 },
		{ "repeated permission lines", "permission=contents:write\n"
		  "permission=issues:read\n\n", 0 },
		{ "a repeated key", "bot=a\nbot=b\n\n", -1 },
		{ "a line without '='", "bot\n\n", -1 },
		{ "an empty key", "=x\n\n", -1 },
		{ "an upper-case key", "Bot=x\n\n", -1 },
		{ "a key starting with a digit", "1bot=x\n\n", -1 },
		{ "a key with a space", "b ot=x\n\n", -1 },
		{ "a key of 33 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x\n\n", -1 },
		{ "a key of 32 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x\n\n", 0 },
		{ "no blank line", "bot=x\n", -1 },
		{ "two messages", "a=1\n\nb=2\n\n", -1 },
		{ "CRLF", "bot=x\r\n\r\n", -1 },
		{ "non-ASCII in a value is kept", "agent=\xc3\xa9t\xc3\xa9\n\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct broker_msg m = BROKER_MSG_INIT;
		const char *why = NULL;
		int ret = broker_msg_parse(&m, cases[i].buf, strlen(cases[i].buf), &why);

		is_int(ret, cases[i].want, cases[i].name);
		if (ret)
			ok(why && *why, "%s: says why", cases[i].name);
		broker_msg_release(&m);
	}
	{
		/* 65 lines: over the line cap */
		struct broker_msg m = BROKER_MSG_INIT;
		struct strbuf sb = STRBUF_INIT;
		const char *why;
		int i2;

		for (i2 = 0; i2 < 65; i2++)
			sb_addf(&sb, "k%d=v\n", i2);
		sb_adds(&sb, "\n");
		is_int(broker_msg_parse(&m, sb.buf, sb.len, &why), -1,
		       "65 lines: refused");
		broker_msg_release(&m);
		sb_release(&sb);
	}
}

static void round_trip(void)
{
	struct broker_msg m = BROKER_MSG_INIT, back = BROKER_MSG_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *why;
	char *long_token;

	is_int(broker_msg_add(&m, "status", "ok"), 0, "add status");
	is_int(broker_msg_add(&m, "token", "ghs_abc.def_ghi"), 0, "add a token");
	is_int(broker_msg_add(&m, "permission", "contents:write"), 0, "add a permission");
	is_int(broker_msg_add(&m, "permission", "issues:read"), 0,
	       "add a second permission");
	is_int(broker_msg_add(&m, "status", "again"), -1, "a repeated key is refused");
	is_int(broker_msg_add(&m, "message", "two\nlines"), -1, "a LF in a value is refused");
	is_int(broker_msg_add(&m, "message", "a\rb"), -1, "a CR in a value is refused");
	is_int(broker_msg_add(&m, "Bad", "x"), -1, "a bad key is refused");
	is_int(broker_msg_add(&m, "absent", NULL), 0, "a NULL value adds nothing");
	is_int(broker_msg_addf(&m, "expires_at", "%lld", 1234567890LL), 0, "addf");
	long_token = xmalloc(600);
	memset(long_token, 'x', 599);
	long_token[599] = '\0';
	memcpy(long_token, "ghs_", 4);
	is_int(broker_msg_add(&m, "password", long_token), 0, "a 599-byte value");
	is_int(broker_msg_format(&m, &sb), 0, "format");
	ok(sb.len > 2 && !strcmp(sb.buf + sb.len - 2, "\n\n"),
	   "the message ends with a blank line");
	is_int(broker_msg_end(sb.buf, sb.len), (long)sb.len, "its end is found");
	is_int(broker_msg_parse(&back, sb.buf, sb.len, &why), 0, "it parses back");
	is_str(broker_msg_get(&back, "token"), "ghs_abc.def_ghi", "token back");
	is_str(broker_msg_nth(&back, "permission", 0), "contents:write", "first permission");
	is_str(broker_msg_nth(&back, "permission", 1), "issues:read", "second permission");
	ok(!broker_msg_nth(&back, "permission", 2), "no third permission");
	is_str(broker_msg_get(&back, "expires_at"), "1234567890", "addf value back");
	is_str(broker_msg_get(&back, "password"), long_token, "the long value back");
	ok(!broker_msg_get(&back, "absent"), "an absent key is NULL");
	free(long_token);
	broker_msg_release(&m);
	broker_msg_release(&back);
	sb_release(&sb);

	{
		/* a message too large to send */
		char *big = xmalloc(BROKER_MAX_MSG);

		memset(big, 'v', BROKER_MAX_MSG - 1);
		big[BROKER_MAX_MSG - 1] = '\0';
		broker_msg_add(&m, "value", big);
		is_int(broker_msg_format(&m, &sb), -1, "a message over 64 KiB is not formatted");
		is_int((long)sb.len, 0, "and nothing is left in the buffer");
		free(big);
		broker_msg_release(&m);
		sb_release(&sb);
	}
}

struct policy_case {
	const char *name;
	const char *spec;
	int want;
};

static void policy_cases(void)
{
	static const struct policy_case cases[] = {
		{ "unset", NULL, 0 },
		{ "empty", "", 0 },
		{ "blanks only", " \t\n ", 0 },
		{ "one uid, one bot", "1001:raxx-dev-bot", 0 },
		{ "two uids, tabs and newlines", "1001:raxx-dev-bot\t\n1002:a,b.c ", 0 },
		{ "uid 0", "0:raxx-dev-bot", 0 },
		{ "no colon", "1001", RAXX_EUSAGE },
		{ "no bots", "1001:", RAXX_EUSAGE },
		{ "an empty bot", "1001:a,,b", RAXX_EUSAGE },
		{ "a trailing comma", "1001:a,", RAXX_EUSAGE },
		{ "a name, not a uid", "alice:raxx-dev-bot", RAXX_EUSAGE },
		{ "a negative uid", "-1:raxx-dev-bot", RAXX_EUSAGE },
		{ "a signed uid", "+5:raxx-dev-bot", RAXX_EUSAGE },
		{ "a uid too large", "99999999999:raxx-dev-bot", RAXX_EUSAGE },
		{ "a bad bot name", "1001:../x", RAXX_EUSAGE },
		{ "a bot starting with '-'", "1001:-x", RAXX_EUSAGE },
		{ "a uid twice", "1001:a 1001:b", RAXX_EUSAGE },
		{ "a control character", "1001:a\x01", RAXX_EUSAGE },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct broker_policy p = BROKER_POLICY_INIT;
		int ret = broker_policy_parse(&p, cases[i].spec);

		is_int(ret, cases[i].want, cases[i].name);
		if (ret) {
			ok(!strncmp(raxx_errmsg(), "RAXX_BROKER_UIDS: ", 18),
			   "%s: the message names RAXX_BROKER_UIDS", cases[i].name);
			ok(!p.nr && !p.grants, "%s: nothing kept", cases[i].name);
		}
		broker_policy_release(&p);
		raxx_clear_error();
	}
}

static void policy_decisions(void)
{
	struct broker_policy p = BROKER_POLICY_INIT;
	char *text;

	is_int(broker_policy_parse(&p, "1001:raxx-dev-bot 1002:raxx-dev-bot,raxx-ops-bot"),
	       0, "a two-uid policy");
	ok(broker_policy_admits(&p, 1000, 1000), "the owner is admitted");
	ok(broker_policy_allows(&p, 1000, 1000, "any-bot"), "the owner gets any bot");
	ok(broker_policy_admits(&p, 1000, 1001), "a granted uid is admitted");
	ok(broker_policy_allows(&p, 1000, 1001, "raxx-dev-bot"), "its granted bot");
	ok(!broker_policy_allows(&p, 1000, 1001, "raxx-ops-bot"), "not another bot");
	ok(!broker_policy_allows(&p, 1000, 1001, NULL), "not no bot");
	ok(broker_policy_allows(&p, 1000, 1002, "raxx-ops-bot"), "the second grant's bot");
	ok(!broker_policy_admits(&p, 1000, 65534), "anyone else is not admitted");
	ok(!broker_policy_allows(&p, 1000, 65534, "raxx-dev-bot"), "nor given a bot");
	ok(!broker_policy_allows(&p, 1000, 1001, "raxx-dev-bo"), "no prefix match");
	text = broker_policy_text(&p, 1000);
	is_str(text, "uid 1000 (the broker's own): any bot; uid 1001: raxx-dev-bot; "
	       "uid 1002: raxx-dev-bot, raxx-ops-bot", "the policy in words");
	free(text);
	broker_policy_release(&p);
}

static void perm_cases(void)
{
	struct broker_perm a, ceil[2], asked[2], *out;
	const struct broker_perm *bad;
	size_t nr;

	is_int(broker_perm_parse("contents:write", &a), 0, "contents:write parses");
	is_str(a.name, "contents", "its name");
	is_str(a.level, "write", "its level");
	free(a.name);
	free(a.level);
	is_int(broker_perm_parse("contents", &a), -1, "no level");
	is_int(broker_perm_parse(":write", &a), -1, "no name");
	is_int(broker_perm_parse("contents:root", &a), -1, "a bad level");
	is_int(broker_perm_parse("Contents:write", &a), -1, "an upper-case name");
	is_int(broker_perm_parse("con tents:write", &a), -1, "a space in the name");
	is_int(broker_perm_parse("contents:write:x", &a), -1, "two colons");

	ceil[0].name = "contents"; ceil[0].level = "write";
	ceil[1].name = "issues"; ceil[1].level = "read";
	asked[0].name = "contents"; asked[0].level = "read";
	asked[1].name = "issues"; asked[1].level = "read";
	is_int(broker_perms_narrow(asked, 2, ceil, 2, &out, &nr, &bad), 0,
	       "a narrower request within the ceiling");
	is_int((long)nr, 2, "keeps what was asked");
	is_str(out[0].level, "read", "contents at read");
	broker_perms_release(out, nr);
	asked[1].level = "write";
	is_int(broker_perms_narrow(asked, 2, ceil, 2, &out, &nr, &bad), -1,
	       "issues:write above issues:read: refused");
	ok(bad == &asked[1], "the offending permission is named");
	asked[0].name = "workflows";
	is_int(broker_perms_narrow(asked, 1, ceil, 2, &out, &nr, &bad), -1,
	       "a permission the ceiling lacks: refused");
	is_int(broker_perms_narrow(asked, 0, ceil, 2, &out, &nr, &bad), 0,
	       "none asked: the ceiling's");
	is_int((long)nr, 2, "both of the ceiling's");
	broker_perms_release(out, nr);
	is_int(broker_perms_narrow(asked, 1, ceil, 0, &out, &nr, &bad), 0,
	       "no ceiling: what was asked stands");
	is_int((long)nr, 1, "one");
	broker_perms_release(out, nr);
	is_int(broker_perms_narrow(asked, 0, ceil, 0, &out, &nr, &bad), 0,
	       "nothing asked, no ceiling");
	is_int((long)nr, 0, "none");
	broker_perms_release(out, nr);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	end_cases();
	parse_cases();
	round_trip();
	policy_cases();
	policy_decisions();
	perm_cases();
	return done_testing();
}
