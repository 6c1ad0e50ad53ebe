/*
 * libFuzzer target for the two decisions src/services/http.c takes on text from
 * outside: whether a redirect's Location stays within the API
 * (http_location_under: where the App JWT may go next), and whether
 * no_proxy covers a host (http_noproxy_matches).
 *
 *   byte 0    'l': the rest is "BASE\nURL\nLOCATION"; 'n': "LIST\nHOST"
 *
 * Beyond "no crash, no leak, no UB":
 *   - a Location within the base gives a path (and query) under it with
 *     nothing percent-encoded and no dot segment; following it again from
 *     where it led gives the same; and the URL the caller then requests
 *     (the base with that path: github.c) is itself within the base;
 *   - no_proxy: another entry never takes a match away, commas and blanks
 *     separate alike, a plain host name covers itself whatever its case,
 *     ".domain" covers only names under it, and 0.0.0.0/0 or ::/0 any
 *     address of its family.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/http.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

/* An API base as an operator sets it: https://host[:port][/path]. */
static int plain_base(const char *base)
{
	const char *p = base + 8;

	if (strncmp(base, "https://", 8) || !*p || strlen(base) > 200)
		return 0;
	p += strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-");
	if (*p == ':')
		p += 1 + strspn(p + 1, "0123456789");
	return p > base + 8 && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789/_-") ==
		strlen(p) && !strstr(p, "//");
}

static int has(const char *s, size_t n, const char *what)
{
	size_t k = strlen(what), i;

	for (i = 0; i + k <= n; i++)
		if (!memcmp(s + i, what, k))
			return 1;
	return 0;
}

/* The same path and query; an empty query ("?") is none (libcurl drops
 * it from a whole URL, not from the query part). */
static int same_rest(const char *a, const char *b)
{
	size_t an = strlen(a), bn = strlen(b);

	if (an && a[an - 1] == '?')
		an--;
	if (bn && b[bn - 1] == '?')
		bn--;
	return an == bn && !memcmp(a, b, an);
}

static void location(const char *base, const char *url, const char *loc)
{
	char *resolved = (char *)"unset", *rest = (char *)"unset";
	char *resolved2, *rest2, *api, *next, *q;
	size_t n;
	int ret = http_location_under(base, url, loc, &resolved, &rest);

	CHECK(ret >= -1 && ret <= 1);
	if (ret == -1) {
		CHECK(!resolved && !rest);
		return;
	}
	CHECK(resolved);
	if (ret == 1) {
		CHECK(!rest);
		free(resolved);
		return;
	}
	CHECK(rest && rest[0] == '/');
	q = strchr(rest, '?');
	n = q ? (size_t)(q - rest) : strlen(rest);
	for (size_t i = 0; i < n; i++)
		CHECK(rest[i] != '%' && rest[i] != '\\');
	CHECK(!has(rest, n, "/./") && !has(rest, n, "/../"));
	CHECK(!(n >= 2 && !memcmp(rest + n - 2, "/.", 2)) &&
	      !(n >= 3 && !memcmp(rest + n - 3, "/..", 3)));

	/* again, from where the redirect led */
	CHECK(!http_location_under(base, resolved, resolved, &resolved2, &rest2));
	CHECK(same_rest(rest2, rest));
	free(resolved2);
	free(rest2);

	/* the request that follows it: the API (no trailing '/') and rest */
	if (plain_base(base)) {
		n = strlen(base);
		while (n > 8 && base[n - 1] == '/')
			n--;
		api = xstrndup(base, n);
		next = xstrfmt("%s%s", api, rest);
		CHECK(!http_location_under(base, next, next, &resolved2, &rest2));
		CHECK(same_rest(rest2, rest));
		free(resolved2);
		free(rest2);
		free(next);
		free(api);
	}
	free(resolved);
	free(rest);
}

static int plain_name(const char *h)
{
	size_t n = strlen(h);

	return n && n < 200 && h[0] != '.' && h[n - 1] != '.' &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-") == n;
}

static void noproxy(const char *list, const char *host)
{
	unsigned char ip[16];
	char *more, *blanks, *upper, *tmp;
	size_t i, hn = strlen(host);
	int m = http_noproxy_matches(list, host);

	CHECK(m == 0 || m == 1);
	more = xstrfmt("%s,x.invalid", list);
	CHECK(!m || http_noproxy_matches(more, host));
	free(more);
	blanks = xstrdup(list);
	for (i = 0; blanks[i]; i++)
		if (blanks[i] == ',')
			blanks[i] = ' ';
	CHECK(http_noproxy_matches(blanks, host) == m);
	free(blanks);

	if (plain_name(host)) {
		upper = xstrdup(host);
		for (i = 0; upper[i]; i++)
			if (upper[i] >= 'a' && upper[i] <= 'z')
				upper[i] = (char)(upper[i] - 'a' + 'A');
		CHECK(http_noproxy_matches(host, host));
		CHECK(http_noproxy_matches(upper, host));
		free(upper);
	}
	if (list[0] == '.' && plain_name(list + 1) && host[0] != '[' &&
	    http_noproxy_matches(list, host)) {
		size_t dn = strlen(list + 1), n = hn;

		/* the domain itself, or a name under it ("name." is "name") */
		while (n && host[n - 1] == '.')
			n--;
		CHECK(n >= dn && !strncasecmp(host + n - dn, list + 1, dn) &&
		      (n == dn || host[n - dn - 1] == '.'));
	}
	if (inet_pton(AF_INET, host, ip) == 1)
		CHECK(http_noproxy_matches("0.0.0.0/0", host));
	if (hn > 2 && host[0] == '[' && host[hn - 1] == ']') {
		tmp = xstrndup(host + 1, hn - 2);
		if (inet_pton(AF_INET6, tmp, ip) == 1)
			CHECK(http_noproxy_matches("::/0", host));
		free(tmp);
	}
}

/* The n-th line of s (fresh), the rest of s for the last one. */
static char *part(const char *s, const char *end, int nth, int last)
{
	const char *nl;

	for (; nth > 0; nth--) {
		if (!(nl = memchr(s, '\n', (size_t)(end - s))))
			return xstrdup("");
		s = nl + 1;
	}
	nl = last ? NULL : memchr(s, '\n', (size_t)(end - s));
	return xstrndup(s, (size_t)((nl ? nl : end) - s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1, *end = (const char *)data + size;
	char *a, *b, *c;

	if (!size)
		return 0;
	if (data[0] == 'n') {
		a = part(s, end, 0, 0);
		b = part(s, end, 1, 1);
		noproxy(a, b);
	} else {
		a = part(s, end, 0, 0);
		b = part(s, end, 1, 0);
		c = part(s, end, 2, 1);
		location(a, b, c);
		free(c);
	}
	free(a);
	free(b);
	raxx_clear_error();
	return 0;
}
