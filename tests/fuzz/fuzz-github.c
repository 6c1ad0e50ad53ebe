/*
 * libFuzzer target for GitHub's answers (src/services/github.c), read through the
 * functions that read them: the input picks a call and scripts GitHub's
 * answers to it (fake-http.h).
 *
 *   byte 0    the call, '0' + n: 0 github_parse_token on the rest,
 *             1 github_create_token, 2 github_repo_installation (which
 *             follows a redirect), 3 github_get_installation,
 *             4 github_app_owner, 5 github_user_id, 6 github_revoke_token,
 *             7 github_token_get, 8 github_app_get
 *   byte 1    '0' + flags: for 0, the clock offset (0, +120, -120, or
 *             one that puts expires_at half an hour ahead, so that old
 *             seeds still reach the end); for 1, 4 asks for a narrowed
 *             token; for 5, 1 sends a token
 *   then      an optional newline, and the script of answers
 *
 * Beyond "no crash, no leak, no UB": each call returns one of its
 * documented codes; every request stays under the API's base URL (the
 * App JWT and tokens go nowhere else, whatever a redirect says), with no
 * line break in a header; requests are bounded (one redirect, one
 * re-signing); a token handed out has only [A-Za-z0-9._] and an expiry
 * within GITHUB_MAX_TOKEN_LIFE; ids are positive, logins GitHub's shape.
 *
 * The App JWT is a fixed string here (jwt_sign below): signing is not
 * what is fuzzed, and RSA would slow every run down a hundredfold.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-http.h"
#include "services/github.h"
#include "base/json.h"
#include "services/jwt.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define API "https://ghe.example/api/v3"
#define APP "3501352"
#define JWT "fuzz.jwt.signature"

char *jwt_sign(struct jwt_key *k, const char *app_id, time_t now)
{
	(void)k;
	(void)app_id;
	(void)now;
	return xstrdup(JWT);
}

static int token_ok(const char *t)
{
	return t && *t && strlen(t) <= 8192 &&
	       strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._") == strlen(t);
}

static int login_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n && n <= 100 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static void check_code(int ret, int also)
{
	CHECK(ret == 0 || ret == RAXX_EGITHUB || ret == RAXX_EAPPCRED ||
	      ret == RAXX_ENOINST || (also && ret == also));
	if (ret)
		CHECK(*raxx_errmsg());
}

static void check_token(const struct gh_token *t, int ret, time_t before)
{
	if (ret) {
		CHECK(!t->token);
		return;
	}
	CHECK(token_ok(t->token));
	/* the local expiry: later than when the call began, and no later
	 * than an installation token's life after it ended */
	CHECK(t->expires_at > before);
	CHECK(t->expires_at <= now_seconds() + GITHUB_MAX_TOKEN_LIFE);
}

static void parse_direct(const char *body, size_t len, int flags)
{
	struct json_object *o;
	struct gh_token t;
	time_t exp, before = now_seconds();
	long offset = (flags & 3) == 1 ? 120 : (flags & 3) == 2 ? -120 : 0;
	int ret;

	if ((flags & 3) == 3) {
		o = json_parse(body, len);
		if (!parse_iso8601(json_str(o, "expires_at"), &exp))
			offset = (long)(exp - before - 1800);
		json_object_put(o);
	}
	ret = github_parse_token(body, len, offset, "raxx-dev-bot", &t);
	CHECK(ret == 0 || ret == RAXX_EGITHUB);
	check_token(&t, ret, before);
	gh_token_release(&t);
}

static void check_installation(const struct gh_installation *in, int ret)
{
	check_code(ret, RAXX_ESECRETS);
	if (ret) {
		CHECK(!in->id && !in->account && !in->account_id);
		return;
	}
	CHECK(in->id && in->id[0] >= '1' && in->id[0] <= '9' &&
	      strspn(in->id, "0123456789") == strlen(in->id));
	CHECK(in->account ? login_ok(in->account) && in->account_id > 0 :
	      in->account_id == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gh_permission perms[] = {
		{ "contents", "write" }, { "pull_requests", "write" },
	};
	struct token_scope scope = { "raxx-app/demo", perms, 2 };
	const char *script;
	struct github *gh;
	size_t len;
	int op, flags, ret, bound = 1;

	if (!fake_http_input(data, size, 9, &op, &flags, &script, &len))
		return 0;
	if (op == 0) {
		parse_direct(script, len, flags);
		raxx_clear_error();
		return 0;
	}
	gh = github_new(API);
	CHECK(gh);
	fake_http_reset(API, script, len);

	switch (op) {
	case 1: {
		struct gh_token t;
		time_t before = now_seconds();

		ret = github_create_token(gh, NULL, APP, "4711",
					  flags & 4 ? &scope : NULL,
					  "raxx-dev-bot", &t);
		check_code(ret, 0);
		check_token(&t, ret, before);
		gh_token_release(&t);
		bound = 2;	/* signed again once after a clock complaint */
		break;
	}
	case 2: {
		struct gh_installation in;

		ret = github_repo_installation(gh, NULL, APP, "raxx-app/demo", &in);
		check_installation(&in, ret);
		gh_installation_release(&in);
		bound = 4;	/* one redirect, each signed again at most once */
		break;
	}
	case 3: {
		struct gh_installation in;

		ret = github_get_installation(gh, NULL, APP, "4711", "raxx-dev-bot", &in);
		check_installation(&in, ret);
		gh_installation_release(&in);
		bound = 2;
		break;
	}
	case 4: {
		char *login = (char *)"unset";
		long long id = -1;

		ret = github_app_owner(gh, NULL, APP, &login, &id);
		check_code(ret, 0);
		CHECK(ret ? !login : login_ok(login) && id > 0);
		free(login);
		bound = 2;
		break;
	}
	case 5: {
		long long id = -1;

		ret = github_user_id(gh, "raxx-dev-bot[bot]", flags & 1 ? "ghs_tok" : NULL,
				     &id);
		check_code(ret, 0);
		CHECK(ret || id > 0);
		break;
	}
	case 6:
		ret = github_revoke_token(gh, "ghs_tok");
		CHECK(ret == 0 || ret == 1 || ret == RAXX_EGITHUB);
		break;
	default: {
		char *json = NULL;
		long status = -1;

		if (op == 7)
			ret = github_token_get(gh, "ghs_tok", "/installation/repositories"
					       "?per_page=100", &status, &json);
		else
			ret = github_app_get(gh, NULL, APP, "/app/installations?per_page=100",
					     &status, &json);
		CHECK(ret == 0 || ret == RAXX_EGITHUB);
		CHECK(ret ? !json : json && status >= 0 && strlen(json) <= len);
		free(json);
		bound = op == 8 ? 2 : 1;
		break;
	}
	}
	CHECK(fake_http_requests() <= bound);
	github_free(gh);
	raxx_clear_error();
	return 0;
}
