/*
 * The proxy choice of the HTTP module (http_net.h): which proxy, if
 * any, a request to a URL goes through, from the environment alone, and
 * how a proxy is named in messages. No transfer happens here.
 */
#define _POSIX_C_SOURCE 200809L
#include "http_net.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

/* An IP address (IPv6 without brackets) into buf; its family, or 0. */
static int parse_ip(const char *s, size_t n, unsigned char *buf)
{
	char tmp[64];

	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, tmp, buf) == 1)
		return AF_INET6;
	return 0;
}

/* Does one no_proxy entry (not NUL-terminated) cover host? */
static int noproxy_entry_matches(const char *e, size_t n, const char *host,
				 int host_af, const unsigned char *host_ip)
{
	unsigned char net[16];
	const char *slash = memchr(e, '/', n);
	size_t hn = strlen(host), an;
	long bits;
	int af;

	if (n == 1 && *e == '*')
		return 1;
	if (host_af) {
		/* an address: the same address, or inside a CIDR range */
		if (n >= 2 && e[0] == '[' && memchr(e, ']', n)) {
			const char *close = memchr(e, ']', n);

			an = (size_t)(close - e - 1);
			af = parse_ip(e + 1, an, net);
			slash = close + 1 < e + n && close[1] == '/' ? close + 1 : NULL;
		} else {
			an = slash ? (size_t)(slash - e) : n;
			af = parse_ip(e, an, net);
		}
		if (af != host_af)
			return 0;
		bits = af == AF_INET ? 32 : 128;
		if (slash) {
			char num[8];
			size_t dn = (size_t)(e + n - slash - 1);

			if (!dn || dn >= sizeof(num))
				return 0;
			memcpy(num, slash + 1, dn);
			num[dn] = '\0';
			if (parse_long(num, 0, bits, &bits))
				return 0;
		}
		if (memcmp(net, host_ip, (size_t)bits / 8))
			return 0;
		if (bits % 8) {
			unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

			return (net[bits / 8] & mask) == (host_ip[bits / 8] & mask);
		}
		return 1;
	}
	/* a name: equal, or a domain above it (".example.com" = "example.com") */
	if (*e == '.') {
		e++;
		n--;
	}
	if (!n || n > hn)
		return 0;
	if (strncasecmp(host + hn - n, e, n))
		return 0;
	return n == hn || host[hn - n - 1] == '.';
}

/* no_proxy's list against host: the contract is in http.h. */
int http_noproxy_matches(const char *list, const char *host)
{
	unsigned char ip[16];
	char name[256];
	size_t hn = strlen(host);
	int af;

	/* "[::1]" -> "::1"; "example.com." -> "example.com" */
	if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
		host++;
		hn -= 2;
	}
	while (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (hn == 0 || hn >= sizeof(name))
		return 0;
	memcpy(name, host, hn);
	name[hn] = '\0';
	af = parse_ip(name, hn, ip);
	while (*list) {
		size_t n;

		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (n && noproxy_entry_matches(list, n, name, af, ip))
			return 1;
		list += n;
	}
	return 0;
}

/* The first of these variables that is set, or NULL; *which names it. */
static const char *first_env(const char *const *names, const char **which)
{
	const char *v;

	for (; *names; names++)
		if ((v = env_get(*names))) {
			*which = *names;
			return v;
		}
	return NULL;
}

/* As git and gh read it: see http_net.h. */
const char *http_proxy_for(const char *url, const char **which)
{
	static const char *const no[] = { "no_proxy", "NO_PROXY", NULL };
	static const char *const https[] = { "https_proxy", "HTTPS_PROXY",
					     "all_proxy", "ALL_PROXY", NULL };
	static const char *const http[] = { "http_proxy", "all_proxy",
					    "ALL_PROXY", NULL };
	const char *proxy, *list, *unused;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;

	if (!u)
		die("out of memory");
	*which = NULL;
	proxy = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	proxy = first_env(strcasecmp(scheme, "http") ? https : http, which);
	if (proxy && (list = first_env(no, &unused)) && http_noproxy_matches(list, host)) {
		proxy = NULL;
		*which = NULL;
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return proxy;
}

/* Its userinfo never shown: see http_net.h. */
char *http_proxy_shown(const char *proxy)
{
	const char *sep = strstr(proxy, "://");
	const char *auth = sep ? sep + 3 : proxy, *end, *at;
	char buf[256];

	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	snprintf(buf, sizeof(buf), "%.*s%.*s", sep ? (int)(sep + 3 - proxy) : 0,
		 proxy, (int)(end - (at ? at + 1 : auth)), at ? at + 1 : auth);
	return xstrdup(sanitize(buf, sizeof(buf), buf));
}
