/*
 * libFuzzer target for what the program reads from git config, which a
 * repository (so an agent) may write: git's answer (config_parse_z,
 * src/identity/config.c), that answer remembered in the cache
 * (settings_payload_check, src/store/settings_cache.c), the owners setting
 * (owners_parse, src/identity/owners.c) and a remote's URL
 * (discover_repo_of_url, src/identity/discover.c).
 *
 *   byte 0    'z': byte 1 is '0' + the CONFIG_Z_* fields, then the output
 *             of `git config -z`; 'p': a remembered payload; 'o': an
 *             owners list; 'u': "URL\nHOST"
 *
 * Beyond "no crash, no leak, no UB":
 *   - entries parsed have a key (and a scope and an origin when asked
 *     for); written again in git's format they parse to the same;
 *   - a payload is used only whole: then what it gives is exactly what
 *     follows its "entries" line, and it names its system file on one
 *     line; else it gives nothing (each "w" line names a file, which is
 *     looked at with stat(2): harmless);
 *   - owners accepted are GitHub logins, each once ignoring case, found
 *     whatever the case, and their list parses back to the same;
 *   - a remote URL gives OWNER/REPO of [A-Za-z0-9._-], as the credential
 *     path would.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity/config.h"
#include "base/gitcmd.h"
#include "identity/discover.h"
#include "identity/owners.h"
#include "base/protocol.h"
#include "store/settings_cache.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static int same_str(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

/* The entries in git's -z format, as settings_cache.c keeps them. */
static void write_z(const struct config_entry *e, size_t nr, int fields,
		    struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (fields & CONFIG_Z_SCOPE)
			sb_add(sb, e[i].scope, strlen(e[i].scope) + 1);
		if (fields & CONFIG_Z_ORIGIN)
			sb_add(sb, e[i].origin, strlen(e[i].origin) + 1);
		sb_adds(sb, e[i].key);
		if (e[i].value) {
			sb_add(sb, "\n", 1);
			sb_adds(sb, e[i].value);
		}
		sb_add(sb, "", 1);
	}
}

static void config_z(int fields, const char *buf, size_t len)
{
	struct strbuf in = STRBUF_INIT, again = STRBUF_INIT;
	struct config_entry *e = NULL, *e2 = NULL;
	size_t nr = 0, nr2 = 0, i;

	sb_add(&in, buf, len);
	config_parse_z(&in, fields, &e, &nr);
	for (i = 0; i < nr; i++) {
		CHECK(e[i].key && !strchr(e[i].key, '\n'));
		CHECK(!(fields & CONFIG_Z_SCOPE) == !e[i].scope);
		CHECK(!(fields & CONFIG_Z_ORIGIN) == !e[i].origin);
		settings_key_wanted(e[i].key);
	}
	write_z(e, nr, fields, &again);
	config_parse_z(&again, fields, &e2, &nr2);
	CHECK(nr2 == nr);
	for (i = 0; i < nr; i++)
		CHECK(!strcmp(e[i].key, e2[i].key) && same_str(e[i].value, e2[i].value) &&
		      same_str(e[i].scope, e2[i].scope) &&
		      same_str(e[i].origin, e2[i].origin));
	config_entries_free(e, nr);
	config_entries_free(e2, nr2);
	sb_release(&in);
	sb_release(&again);
}

static void payload(const char *buf, size_t len)
{
	struct strbuf blob = STRBUF_INIT, out = STRBUF_INIT;
	char *system = (char *)"unset";
	const char *entries;
	int ret;

	sb_add(&blob, buf, len);
	ret = settings_payload_check(&blob, &out, &system);
	CHECK(ret == 0 || ret == 1);
	CHECK(!system || (*system && !strchr(system, '\n')));
	if (ret) {
		/* the last "\nentries\n": git's answer holds no such line
		 * before it here, as the payload's own lines come first */
		entries = NULL;
		for (size_t i = 0; i + 9 <= len; i++)
			if (!memcmp(buf + i, "\nentries\n", 9)) {
				entries = buf + i + 9;
				break;
			}
		CHECK(entries && out.len == (size_t)(buf + len - entries) &&
		      !memcmp(out.buf, entries, out.len));
	} else {
		CHECK(out.len == 0);
	}
	free(system);
	sb_release(&blob);
	sb_release(&out);
}

static void owners(const char *list)
{
	struct owners o = OWNERS_INIT, again = OWNERS_INIT;
	char *text, *upper;
	size_t i, j;
	int ret = owners_parse(&o, list, "fuzz");

	CHECK(ret == 0 || ret == RAXX_EUSAGE);
	if (ret) {
		CHECK(!o.nr && !o.logins && !o.source && *raxx_errmsg());
		return;
	}
	for (i = 0; i < o.nr; i++) {
		size_t n = strlen(o.logins[i]);

		CHECK(n >= 1 && n <= 100 &&
		      strspn(o.logins[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789-_") == n);
		for (j = 0; j < i; j++)
			CHECK(strcasecmp(o.logins[i], o.logins[j]));
		upper = xstrdup(o.logins[i]);
		for (j = 0; upper[j]; j++)
			if (upper[j] >= 'a' && upper[j] <= 'z')
				upper[j] = (char)(upper[j] - 'a' + 'A');
		CHECK(owners_has(&o, upper));
		free(upper);
	}
	text = owners_list(&o);
	CHECK(!owners_parse(&again, text, "fuzz") && again.nr == o.nr);
	for (i = 0; i < o.nr; i++)
		CHECK(!strcmp(o.logins[i], again.logins[i]));
	free(text);
	owners_release(&again);
	owners_release(&o);
}

static void remote(const char *url, const char *host)
{
	char *repo = (char *)"unset", *norm = NULL;
	int ret = discover_repo_of_url(url, host, &repo);

	CHECK(ret == 0 || ret == -1);
	if (ret) {
		CHECK(!repo);
		return;
	}
	CHECK(repo && !credential_repo(repo, &norm) && !strcmp(norm, repo));
	free(norm);
	free(repo);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	char *a, *b;
	const char *nl;

	if (!size)
		return 0;
	switch (data[0]) {
	case 'z':
		if (n)
			config_z((uint8_t)(s[0] - '0') & 3, s + 1, n - 1);
		break;
	case 'p':
		payload(s, n);
		break;
	case 'o':
		a = xstrndup(s, n);
		owners(a);
		free(a);
		break;
	default:
		nl = memchr(s, '\n', n);
		a = xstrndup(s, nl ? (size_t)(nl - s) : n);
		b = nl ? xstrndup(nl + 1, (size_t)(s + n - nl - 1)) : xstrdup("github.com");
		remote(a, b);
		free(a);
		free(b);
		break;
	}
	raxx_clear_error();
	return 0;
}
