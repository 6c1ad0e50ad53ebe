/*
 * libFuzzer target for the vault's answers (src/services/vault.c), read through
 * the functions that read them: the input picks a call and scripts the
 * vault's answers to it (fake-http.h).
 *
 *   byte 0    the call, '0' + n: 0 vault_parse_secrets on the rest,
 *             1 vault_login, 2 vault_get_secrets, 3 vault_get_secret,
 *             4 vault_create_secret, 5 vault_update_secret,
 *             6 vault_delete_secret, 7 vault_create_folder,
 *             8 vault_list_folders
 *   byte 1    '0' + flags: 1 a session from the cache to start with
 *             (else the first request is a login), 2 Cloudflare Access
 *             headers configured
 *   then      an optional newline, and the script of answers
 *
 * Beyond "no crash, no leak, no UB": each call returns one of its
 * documented codes; every request stays under the vault's base URL with
 * no line break in a header (so no session from an answer can inject
 * one); a session taken from a login answer has no line break nor blank; the number of
 * requests is bounded (one login again at most, one switch to v3 at
 * most); parsed secrets have unique keys, and what a call returns on
 * failure is empty.
 *
 * The switch to v3 is for the rest of the process (vault.c), so once an
 * input has made it, later inputs run in v3: coverage of the v4 answers
 * comes from the inputs before that.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-http.h"
#include "base/util.h"
#include "services/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE "https://vault.example/api"
#define PATH "/MooseQuest/raxx-dev-bot"

static void check_secrets(const struct vault_secrets *s, int ret)
{
	size_t i, j;

	if (ret) {
		CHECK(ret == RAXX_EVAULT && s->nr == 0 && !s->items);
		CHECK(*raxx_errmsg());
		return;
	}
	for (i = 0; i < s->nr; i++) {
		CHECK(s->items[i].key && s->items[i].value);
		CHECK(vault_secrets_get(s, s->items[i].key) == s->items[i].value);
		for (j = 0; j < i; j++)
			CHECK(strcmp(s->items[i].key, s->items[j].key));
	}
}

static void parse_direct(const char *body, size_t len)
{
	struct vault_secrets s;

	memset(&s, 0, sizeof(s));
	s.path = xstrdup(PATH);
	check_secrets(&s, vault_parse_secrets(body, len, s.path, &s));
	vault_secrets_release(&s);
}

/* 0, 1 (none there / there already) or RAXX_EVAULT with a message */
static void check_01(int ret)
{
	CHECK(ret == 0 || ret == 1 || ret == RAXX_EVAULT);
	if (ret == RAXX_EVAULT)
		CHECK(*raxx_errmsg());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vault_settings s = {
		.base = (char *)BASE, .client_id = "fuzz-client",
		.client_secret = "fuzz-secret", .project_id = "proj-1",
		.environment = "prod", .path_prefix = "/MooseQuest/",
	};
	const char *script;
	struct vault *v;
	size_t len;
	int op, flags, ret, bound;

	if (!fake_http_input(data, size, 9, &op, &flags, &script, &len))
		return 0;
	if (op == 0) {
		parse_direct(script, len);
		raxx_clear_error();
		return 0;
	}
	if (flags & 2) {
		s.cf_id = "cf-id.access";
		s.cf_secret = "cf-secret";
	}
	v = vault_new(&s);
	CHECK(v);
	if (flags & 1)
		vault_set_session(v, "fuzz-session", now_seconds() + 3600);
	fake_http_reset(BASE, script, len);

	/* a login, one switch to v3, one login again, and the request: the
	 * bound is generous, an endless retry is what it catches */
	bound = 6;
	switch (op) {
	case 1:
		ret = vault_login(v);
		CHECK(ret == 0 || ret == RAXX_EVAULT);
		bound = 1;
		break;
	case 2: {
		struct vault_secrets out;

		ret = vault_get_secrets(v, PATH, &out);
		check_secrets(&out, ret);
		vault_secrets_release(&out);
		break;
	}
	case 3: {
		char *value = (char *)"unset";

		ret = vault_get_secret(v, PATH, "APP_ID", &value);
		check_01(ret);
		CHECK(ret ? !value : value != NULL);
		free_secret(value);
		break;
	}
	case 4:
		check_01(ret = vault_create_secret(v, PATH, "TOKEN_AB12", "{\"token\":1}"));
		break;
	case 5:
		check_01(ret = vault_update_secret(v, PATH, "TOKEN_AB12", "v"));
		break;
	case 6:
		check_01(ret = vault_delete_secret(v, PATH, "TOKEN_AB12"));
		break;
	case 7:
		check_01(ret = vault_create_folder(v, "/MooseQuest/handoffs", "fix-login"));
		break;
	default: {
		char **names = (char **)&names;
		size_t nr = 99, i;

		check_01(ret = vault_list_folders(v, "/MooseQuest/handoffs", &names, &nr));
		if (ret)
			CHECK(!names && !nr);
		for (i = 0; i < nr; i++)
			CHECK(names[i]);
		vault_names_free(ret ? NULL : names, ret ? 0 : nr);
		break;
	}
	}
	CHECK(fake_http_requests() <= bound);
	{
		const char *session = vault_session(v, NULL);

		/* it goes into a header line: no line break, no blank */
		CHECK(!session || (*session && !strpbrk(session, " \r\n")));
	}
	vault_free(v);
	raxx_clear_error();
	return 0;
}
