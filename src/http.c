#define _POSIX_C_SOURCE 200809L
#include "http.h"
#include "log.h"
#include "truststore.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

struct http_client {
	CURL *curl;
	char *service;
	int fail_code;
	struct curl_slist *extra;	/* per-client headers, may hold secrets */
	int requests;
	int connections;
	char errbuf[CURL_ERROR_SIZE];
	struct preconnect *pre;		/* http_preconnect's, or NULL */
};

static void preconnect_end(struct http_client *c);

/* per thread: each of the broker's requests has its own */
static _Thread_local int64_t deadline_ms;
static int curl_ready;
static char *ca_bundle;

void http_set_ca_bundle(const char *path)
{
	free(ca_bundle);
	ca_bundle = path ? xstrdup(path) : NULL;
}

void http_set_deadline(int64_t ms)
{
	deadline_ms = ms;
}

int64_t http_deadline(void)
{
	return deadline_ms;
}

/* The setopt calls are checked, with the option's name in the message. */
#define SETOPT(c, opt, val) do { \
	CURLcode rc_ = curl_easy_setopt((c), (opt), (val)); \
	if (rc_ != CURLE_OK) { \
		raxx_fail(RAXX_EINTERNAL, "libcurl: setting %s failed: %s", \
			  #opt, curl_easy_strerror(rc_)); \
		goto fail; \
	} \
} while (0)

static int is_loopback_host(const char *host)
{
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") ||
	    !strcmp(host, "::1"))
		return 1;
	return !strncmp(host, "127.", 4) &&
	       strspn(host, "0123456789.") == strlen(host);
}

int http_check_url(const char *url, const char *what, int fail_code)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ret = 0;
	const char *allow = env_get("RAXX_ALLOW_HTTP_LOOPBACK");

	if (!u)
		die("out of memory");
	if (!url || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		char safe[256];

		ret = raxx_fail(fail_code, "%s '%s' is not a valid URL: give an https:// URL",
				what, sanitize(safe, sizeof(safe), url ? url : ""));
		goto out;
	}
	if (!strcasecmp(scheme, "https"))
		goto out;
	if (!strcasecmp(scheme, "http") && is_loopback_host(host) &&
	    allow && !strcmp(allow, "1"))
		goto out;
	ret = raxx_fail(fail_code, "%s uses %s://: only https:// is accepted "
			"(http:// only to loopback with RAXX_ALLOW_HTTP_LOOPBACK=1)",
			what, scheme);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

/* ---------------------------------------------------------------- redirects */

static char *url_part(CURLU *u, CURLUPart what, unsigned flags)
{
	char *p = NULL, *copy;

	if (curl_url_get(u, what, &p, flags) != CURLUE_OK)
		return NULL;
	copy = xstrdup(p);
	curl_free(p);
	return copy;
}

int http_location_under(const char *base, const char *url,
			const char *location, char **resolved, char **rest)
{
	CURLU *b = curl_url(), *u = curl_url();
	char *bs = NULL, *bh = NULL, *bp = NULL, *bpath = NULL;
	char *ls = NULL, *lh = NULL, *lp = NULL, *lpath = NULL, *lq = NULL;
	char *user = NULL;
	size_t n;
	int ret = -1;

	if (!b || !u)
		die("out of memory");
	*resolved = *rest = NULL;
	/* a relative Location is resolved against the URL it answered */
	if (curl_url_set(b, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    !(*resolved = url_part(u, CURLUPART_URL, 0)))
		goto out;
	ret = 1;
	bs = url_part(b, CURLUPART_SCHEME, 0);
	bh = url_part(b, CURLUPART_HOST, 0);
	bp = url_part(b, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	bpath = url_part(b, CURLUPART_PATH, 0);
	ls = url_part(u, CURLUPART_SCHEME, 0);
	lh = url_part(u, CURLUPART_HOST, 0);
	lp = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	lpath = url_part(u, CURLUPART_PATH, 0);
	lq = url_part(u, CURLUPART_QUERY, 0);
	user = url_part(u, CURLUPART_USER, 0);
	if (!bs || !bh || !bp || !bpath || !ls || !lh || !lp || !lpath || user ||
	    strcasecmp(bs, ls) || strcasecmp(bh, lh) || strcmp(bp, lp))
		goto out;
	/* under the base path ("/api/v3" covers "/api/v3/x", not "/api/v3x");
	 * dot segments are resolved already; anything encoded is refused
	 * ("%2e%2e" would climb out on the server) */
	n = strlen(bpath);
	while (n > 0 && bpath[n - 1] == '/')
		n--;
	if (strncmp(lpath, bpath, n) || lpath[n] != '/' || strpbrk(lpath, "%\\"))
		goto out;
	*rest = xstrfmt("%s%s%s", lpath + n, lq ? "?" : "", lq ? lq : "");
	ret = 0;
out:
	free(bs);
	free(bh);
	free(bp);
	free(bpath);
	free(ls);
	free(lh);
	free(lp);
	free(lpath);
	free(lq);
	free(user);
	curl_url_cleanup(b);
	curl_url_cleanup(u);
	return ret;
}

/* ---------------------------------------------------------------- proxies */

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

/*
 * The proxy for a request to url, read from the environment as git
 * (libcurl) reads it, and gh for the common cases: no_proxy/NO_PROXY first
 * ("*", host names matching exactly or as a domain suffix, IP addresses
 * and CIDR ranges); then https_proxy/HTTPS_PROXY for https:// (http_proxy
 * for an http:// loopback; never HTTP_PROXY, which CGI sets from a request
 * header), then all_proxy/ALL_PROXY. NULL: connect directly. *which
 * names the variable the proxy came from.
 */
static const char *proxy_for(const char *url, const char **which)
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
	if (proxy && (list = first_env(no, &unused)) &&
	    http_noproxy_matches(list, host)) {
		proxy = NULL;
		*which = NULL;
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return proxy;
}

/*
 * A proxy URL for messages: scheme, host and port only. A proxy's
 * userinfo ("http://user:password@proxy:3128") is its own password and
 * is never shown.
 */
static char *proxy_shown(const char *proxy)
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

/* ---------------------------------------------------------------- client */

/* Adds RAXX_CA_BUNDLE to the trust store that OpenSSL already has. */
static CURLcode add_ca_bundle(CURL *curl, void *sslctx, void *arg)
{
	X509_STORE *store = SSL_CTX_get_cert_store((SSL_CTX *)sslctx);

	(void)curl;
	if (!X509_STORE_load_locations(store, (const char *)arg, NULL))
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static int backend_is_openssl(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && v->ssl_version && !strncmp(v->ssl_version, "OpenSSL", 7);
}

/* ------------------------------------------------ what the clients share */

/*
 * Every client of the process runs its transfers on one multi handle: one
 * connection cache (so a connection opened by http_preconnect is the one
 * the next request uses), one set of TLS sessions (a share handle), and,
 * with OpenSSL, one trust store (truststore.h) instead of a system CA
 * bundle decoded for every connection. Made with the first client, gone
 * with the last.
 */
/* the clients with a connection being opened ahead (http_preconnect) */
static struct http_client *preconnecting[4];

static struct {
	CURLM *multi;
	CURLSH *share;
	int clients;
	int own_store;		/* OpenSSL: connections use truststore.h's */
	const char *cafile, *capath;	/* libcurl's defaults */
} net;

static int net_open(void)
{
	const curl_version_info_data *v;

	if (net.clients++)
		return 0;
	if (!(net.multi = curl_multi_init()) || !(net.share = curl_share_init()) ||
	    curl_share_setopt(net.share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
	    curl_share_setopt(net.share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
		raxx_fail(RAXX_EINTERNAL, "libcurl: cannot create the shared handles");
		return -1;
	}
	/* the trust store goes to each connection's SSL_CTX (OpenSSL only):
	 * libcurl's own CA options are then cleared, or it would load the
	 * system bundle into that store again */
	v = curl_version_info(CURLVERSION_NOW);
	net.own_store = backend_is_openssl();
	if (v->age >= CURLVERSION_SEVENTH) {
		net.cafile = v->cainfo;
		net.capath = v->capath;
	}
	return 0;
}

static void net_close(void)
{
	if (!net.clients || --net.clients)
		return;
	if (net.multi)
		curl_multi_cleanup(net.multi);
	if (net.share)
		curl_share_cleanup(net.share);
	truststore_release();
	memset(&net, 0, sizeof(net));
}

void http_forget_connections(void)
{
	size_t i;

	/* the handles leak on purpose: cleaning them up would close the
	 * parent's sockets, and a TLS close would end its sessions too */
	net.multi = NULL;
	net.share = NULL;
	net.clients = 0;
	for (i = 0; i < sizeof(preconnecting) / sizeof(*preconnecting); i++)
		preconnecting[i] = NULL;
}

/* Each connection's SSL_CTX gets the process's trust store. */
static CURLcode use_trust_store(CURL *curl, void *sslctx, void *arg)
{
	X509_STORE *store = truststore_get(net.cafile, net.capath, (const char *)arg);

	(void)curl;
	if (!store) {
		trace("trust store: %s", raxx_errmsg());
		raxx_clear_error();
		return CURLE_SSL_CACERT_BADFILE;
	}
	SSL_CTX_set1_cert_store((SSL_CTX *)sslctx, store);
	X509_STORE_free(store);	/* the SSL_CTX took its own reference */
	return CURLE_OK;
}

/* The options that put a handle on the shared pieces and say whom it
 * trusts. */
static int net_setup(CURL *h, const char *ca)
{
	SETOPT(h, CURLOPT_SHARE, net.share);
	if (net.own_store) {
		SETOPT(h, CURLOPT_CAINFO, (char *)NULL);
		SETOPT(h, CURLOPT_CAPATH, (char *)NULL);
		SETOPT(h, CURLOPT_SSL_CTX_FUNCTION, use_trust_store);
		SETOPT(h, CURLOPT_SSL_CTX_DATA, (void *)ca);
	} else {
#if LIBCURL_VERSION_NUM >= 0x075700	/* 7.87.0: one CA store per multi handle */
		SETOPT(h, CURLOPT_CA_CACHE_TIMEOUT, -1L);
#endif
		if (ca && backend_is_openssl()) {
			SETOPT(h, CURLOPT_SSL_CTX_FUNCTION, add_ca_bundle);
			SETOPT(h, CURLOPT_SSL_CTX_DATA, (void *)ca);
		} else if (ca) {
			SETOPT(h, CURLOPT_CAINFO, ca);
		}
	}
	return 0;
fail:
	return -1;
}

struct http_client *http_client_new(const char *service, int fail_code)
{
	struct http_client *c;
	const char *ca = ca_bundle;
	const char *allow = env_get("RAXX_ALLOW_HTTP_LOOPBACK");

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			raxx_fail(RAXX_EINTERNAL, "libcurl: global init failed");
			return NULL;
		}
		curl_ready = 1;
	}
	if (net_open()) {
		net_close();
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->service = xstrdup(service);
	c->fail_code = fail_code;
	c->curl = curl_easy_init();
	if (!c->curl) {
		raxx_fail(RAXX_EINTERNAL, "libcurl: cannot create a handle");
		goto fail;
	}
	SETOPT(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	SETOPT(c->curl, CURLOPT_USERAGENT, "git-credential-raxx/" RAXX_VERSION);
	SETOPT(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(c->curl, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SETOPT(c->curl, CURLOPT_PROTOCOLS_STR,
	       (allow && !strcmp(allow, "1")) ? "https,http" : "https");
#else	/* the older form, deprecated from 7.85.0 on */
	SETOPT(c->curl, CURLOPT_PROTOCOLS, (allow && !strcmp(allow, "1")) ?
	       (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP) : (long)CURLPROTO_HTTPS);
#endif
	SETOPT(c->curl, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	/*
	 * Proxies: proxy_for() decides from the environment, as git and gh
	 * do, and each request sets CURLOPT_PROXY to its choice ("" for
	 * none); libcurl's own reading of no_proxy is switched off so that
	 * the trace says what really happens. Through an HTTP proxy every
	 * request is tunnelled (CONNECT, even to an http:// loopback), so
	 * TLS runs end to end and the proxy sees no request header: our
	 * headers go to the server only (CURLHEADER_SEPARATE).
	 */
	SETOPT(c->curl, CURLOPT_NOPROXY, "");
	SETOPT(c->curl, CURLOPT_HTTPPROXYTUNNEL, 1L);
	SETOPT(c->curl, CURLOPT_HEADEROPT, (long)CURLHEADER_SEPARATE);
	SETOPT(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	if (net_setup(c->curl, ca))
		goto fail;
	return c;
fail:
	http_client_free(c);
	return NULL;
}

void http_client_add_header(struct http_client *c, const char *name,
			    const char *value)
{
	char *line = xstrfmt("%s: %s", name, value);
	struct curl_slist *n = curl_slist_append(c->extra, line);

	free_secret(line);
	if (!n)
		die("out of memory");
	c->extra = n;
}

static void slist_free_wiped(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	preconnect_end(c);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	slist_free_wiped(c->extra);
	free(c->service);
	free(c);
	net_close();
}

int http_client_requests(const struct http_client *c)
{
	return c->requests;
}

int http_client_connections(const struct http_client *c)
{
	return c->connections;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;

	if (sb_add(&r->body, data, size * n))
		return 0;	/* over the cap: curl aborts the transfer */
	return size * n;
}

static void keep_header(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = xstrndup(v, n);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;
	size_t len = size * n, klen;
	const char *colon, *v, *end = data + len;
	static const struct { const char *name; size_t off; } keep[] = {
		{ "location", offsetof(struct http_response, location) },
		{ "date", offsetof(struct http_response, date) },
		{ "retry-after", offsetof(struct http_response, retry_after) },
		{ "content-type", offsetof(struct http_response, content_type) },
		{ "x-ratelimit-remaining",
		  offsetof(struct http_response, ratelimit_remaining) },
		{ "github-authentication-token-expiration",
		  offsetof(struct http_response, token_expiration) },
	};
	size_t i;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* a new response (after 1xx): forget earlier headers */
		for (i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
			char **slot = (char **)((char *)r + keep[i].off);
			free(*slot);
			*slot = NULL;
		}
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;
	klen = (size_t)(colon - data);
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
		if (strlen(keep[i].name) == klen &&
		    !strncasecmp(data, keep[i].name, klen))
			keep_header((char **)((char *)r + keep[i].off), v,
				    (size_t)(end - v));
	}
	return len;
}

void http_response_release(struct http_response *r)
{
	sb_release(&r->body);
	free(r->location);
	free(r->date);
	free(r->retry_after);
	free(r->content_type);
	free(r->ratelimit_remaining);
	free(r->token_expiration);
	r->location = r->date = r->retry_after = r->content_type = NULL;
	r->ratelimit_remaining = r->token_expiration = NULL;
	r->status = 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static long remaining_ms(void)
{
	int64_t left;

	if (!deadline_ms)
		return 30000;
	left = deadline_ms - now_ms();
	return left > 0 ? (long)left : 0;
}

static int transient(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
}

/* The URL without its query, for traces and messages. */
static char *url_for_message(const char *url)
{
	char buf[512];
	size_t n = strcspn(url, "?#");

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, url, n);
	buf[n] = '\0';
	return xstrdup(sanitize(buf, sizeof(buf), buf));
}

/* ---------------------------------------------------------- transfers */

/*
 * A request started by http_preconnect: its own handle on the shared
 * multi handle, its answer dropped. It moves on whenever the process
 * waits for any transfer, and is reaped when it ends.
 */
struct preconnect {
	CURL *curl;
	struct curl_slist *hdrs;	/* Accept: no credentials */
	int running;
	int64_t started;
	long left;			/* bytes of answer still accepted */
	char errbuf[CURL_ERROR_SIZE];
};

/* the clients with a pre-connection under way, to find a finished one by */

static void preconnect_done(struct http_client *c, CURLcode rc, int aborted)
{
	struct preconnect *p = c->pre;
	long conns = 0, status = 0;
	size_t i;

	curl_multi_remove_handle(net.multi, p->curl);
	p->running = 0;
	for (i = 0; i < sizeof(preconnecting) / sizeof(*preconnecting); i++)
		if (preconnecting[i] == c)
			preconnecting[i] = NULL;
	if (curl_easy_getinfo(p->curl, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK)
		c->connections += (int)conns;
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	if (aborted)
		trace("%s: opening the connection ahead given up after %lld ms",
		      c->service, (long long)(now_ms() - p->started));
	else
		trace("%s: connection opened ahead in %lld ms (%s%ld)", c->service,
		      (long long)(now_ms() - p->started), rc ? "error " : "HTTP ",
		      rc ? (long)rc : status);
}

static void preconnect_end(struct http_client *c)
{
	if (!c->pre)
		return;
	if (c->pre->running)
		preconnect_done(c, CURLE_OK, 1);
	curl_easy_cleanup(c->pre->curl);
	curl_slist_free_all(c->pre->hdrs);
	free(c->pre);
	c->pre = NULL;
}

/*
 * Move every transfer on the shared multi handle until `until` is done;
 * its result in *rc. A pre-connection that ends meanwhile is reaped.
 */
static int drive(CURL *until, CURLcode *rc)
{
	CURLMsg *m;
	CURLMcode mc;
	int running, left, done = 0;
	size_t i;

	while (!done) {
		if ((mc = curl_multi_perform(net.multi, &running)) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(net.multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			if (m->easy_handle == until) {
				*rc = m->data.result;
				done = 1;
				continue;
			}
			for (i = 0; i < sizeof(preconnecting) / sizeof(*preconnecting); i++)
				if (preconnecting[i] && preconnecting[i]->pre->curl ==
				    m->easy_handle) {
					preconnect_done(preconnecting[i],
							m->data.result, 0);
					break;
				}
		}
		/* libcurl's own timers (each handle's timeouts) wake it sooner */
		if (!done && (mc = curl_multi_poll(net.multi, NULL, 0, 1000, NULL)) !=
		    CURLM_OK)
			break;
	}
	if (!done) {
		trace("libcurl: %s", curl_multi_strerror(mc));
		*rc = CURLE_FAILED_INIT;
		return -1;
	}
	return 0;
}

/* An unfinished pre-connection holds the connection c's next request
 * would use: let it finish rather than open a second one. */
static void preconnect_wait(struct http_client *c)
{
	CURLcode rc = CURLE_OK;

	if (!c->pre || !c->pre->running)
		return;
	drive(c->pre->curl, &rc);
	preconnect_done(c, rc, 0);
}

/* One transfer of c's on the shared multi handle, to its end. */
static CURLcode transfer(struct http_client *c)
{
	CURLcode rc = CURLE_OK;

	if (curl_multi_add_handle(net.multi, c->curl) != CURLM_OK)
		return CURLE_FAILED_INIT;
	drive(c->curl, &rc);
	curl_multi_remove_handle(net.multi, c->curl);
	return rc;
}

static size_t drop_body(char *data, size_t size, size_t n, void *arg)
{
	struct preconnect *p = arg;

	(void)data;
	if ((long)(size * n) > p->left)
		return 0;	/* far more than an answer to this: abort */
	p->left -= (long)(size * n);
	return size * n;
}

static size_t drop_header(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

void http_preconnect(struct http_client *c, const char *url)
{
	struct preconnect *p;
	long budget = remaining_ms();
	size_t i;

	if (c->pre || budget <= 0)
		return;
	for (i = 0; i < sizeof(preconnecting) / sizeof(*preconnecting); i++)
		if (!preconnecting[i])
			break;
	if (i == sizeof(preconnecting) / sizeof(*preconnecting))
		return;
	p = xcalloc(1, sizeof(*p));
	p->left = 64 * 1024;
	/* the client's options, then this request's own */
	if (!(p->curl = curl_easy_duphandle(c->curl))) {
		free(p);
		return;
	}
	c->pre = p;
	if (!(p->hdrs = curl_slist_append(p->hdrs, "Accept: application/json")))
		die("out of memory");
	SETOPT(p->curl, CURLOPT_ERRORBUFFER, p->errbuf);
	SETOPT(p->curl, CURLOPT_SHARE, net.share);
	SETOPT(p->curl, CURLOPT_URL, url);
	SETOPT(p->curl, CURLOPT_HTTPGET, 1L);
	SETOPT(p->curl, CURLOPT_HTTPHEADER, p->hdrs);
	SETOPT(p->curl, CURLOPT_WRITEFUNCTION, drop_body);
	SETOPT(p->curl, CURLOPT_WRITEDATA, p);
	SETOPT(p->curl, CURLOPT_HEADERFUNCTION, drop_header);
	SETOPT(p->curl, CURLOPT_HEADERDATA, p);
	SETOPT(p->curl, CURLOPT_CONNECTTIMEOUT_MS, budget < 10000 ? budget : 10000L);
	SETOPT(p->curl, CURLOPT_TIMEOUT_MS, budget < 10000 ? budget : 10000L);
	{
		/* the proxy the request itself will take (no_proxy included),
		 * or the connection opened ahead is not the one it reuses */
		const char *unused, *proxy = proxy_for(url, &unused);

		SETOPT(p->curl, CURLOPT_PROXY, proxy ? proxy : "");
	}
	if (curl_multi_add_handle(net.multi, p->curl) != CURLM_OK)
		goto fail;
	p->running = 1;
	p->started = now_ms();
	preconnecting[i] = c;
	return;
fail:
	/* a pre-connection is an optimisation: never an error */
	trace("%s: no connection opened ahead: %s", c->service, raxx_errmsg());
	raxx_clear_error();
	preconnect_end(c);
}

static int perform_once(struct http_client *c, const char *method,
			const char *url, const char *proxy,
			struct curl_slist *hdrs, const char *body,
			struct http_response *r, CURLcode *rc_out)
{
	CURLcode rc;
	long conns = 0, budget = remaining_ms();

	http_response_release(r);
	r->body.secret = 1;
	r->body.cap = HTTP_MAX_BODY;
	sb_reset(&r->body);
	c->errbuf[0] = '\0';
	if (budget <= 0) {
		*rc_out = CURLE_OPERATION_TIMEDOUT;
		return -1;
	}
	SETOPT(c->curl, CURLOPT_URL, url);
	SETOPT(c->curl, CURLOPT_PROXY, proxy ? proxy : "");
	SETOPT(c->curl, CURLOPT_HTTPHEADER, hdrs);
	SETOPT(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(c->curl, CURLOPT_WRITEDATA, r);
	SETOPT(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(c->curl, CURLOPT_HEADERDATA, r);
	SETOPT(c->curl, CURLOPT_CONNECTTIMEOUT_MS, budget < 10000 ? budget : 10000L);
	SETOPT(c->curl, CURLOPT_TIMEOUT_MS, budget < 30000 ? budget : 30000L);
	if (!strcmp(method, "GET")) {
		SETOPT(c->curl, CURLOPT_HTTPGET, 1L);
		SETOPT(c->curl, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	} else {
		SETOPT(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
		SETOPT(c->curl, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
		SETOPT(c->curl, CURLOPT_CUSTOMREQUEST,
		       strcmp(method, "POST") ? method : (char *)NULL);
	}
	r->sent_at = now_seconds();
	rc = transfer(c);
	c->requests++;
	if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK)
		c->connections += (int)conns;
	*rc_out = rc;
	if (rc != CURLE_OK)
		return -1;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
fail:
	*rc_out = CURLE_FAILED_INIT;
	return -1;
}

int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, const char *body,
		 struct http_response *r)
{
	struct curl_slist *hdrs = NULL, *p;
	const char *const *h;
	char *shown = url_for_message(url), *via = NULL;
	const char *proxy, *proxy_var;
	int attempt, ret;
	CURLcode rc = CURLE_OK;

	if ((proxy = proxy_for(url, &proxy_var))) {
		char *ps = proxy_shown(proxy);

		via = xstrfmt(" through proxy '%s' (%s)", ps, proxy_var);
		free(ps);
	}

	for (p = c->extra; p; p = p->next)
		if (!(hdrs = curl_slist_append(hdrs, p->data)))
			die("out of memory");
	for (h = headers; h && *h; h++)
		if (!(hdrs = curl_slist_append(hdrs, *h)))
			die("out of memory");
	if (!(hdrs = curl_slist_append(hdrs, "Expect:")))
		die("out of memory");
	preconnect_wait(c);

	for (attempt = 1; ; attempt++) {
		int64_t t0 = now_ms();
		int before = c->connections;
		long wait_ms = 250L << (attempt - 1);

		ret = perform_once(c, method, url, proxy, hdrs, body, r, &rc);
		trace("%s %s -> %s%ld (%lld ms%s)%s", method, shown,
		      ret ? "error " : "", ret ? (long)rc : r->status,
		      (long long)(now_ms() - t0),
		      c->connections > before ? ", new connection" : "",
		      via ? via : "");
		if (attempt >= HTTP_MAX_ATTEMPTS)
			break;
		if (ret) {
			if (!transient(rc))
				break;
		} else if (r->status == 502 || r->status == 503 ||
			   r->status == 504) {
			;	/* retry below */
		} else if (r->status == 429 && r->retry_after) {
			long secs;

			if (parse_long(r->retry_after, 0, 60, &secs))
				break;
			wait_ms = secs * 1000;
		} else {
			break;
		}
		if (wait_ms >= remaining_ms())
			break;
		trace("retrying %s in %ld ms", shown, wait_ms);
		sleep_ms(wait_ms);
	}

	if (ret) {
		/* a TLS failure and an oversized answer are refusals, never an
		 * outage: nothing may fall back to the operator's token then */
		if (r->body.overflow)
			ret = raxx_fail(c->fail_code, "%s answer from '%s' is larger "
					"than %d bytes: check the URL", c->service,
					shown, HTTP_MAX_BODY);
		else if (rc == CURLE_PEER_FAILED_VERIFICATION ||
			 rc == CURLE_SSL_CONNECT_ERROR ||
			 rc == CURLE_SSL_CACERT_BADFILE)
			ret = raxx_fail(c->fail_code, "%s at '%s'%s: TLS failure: %s: "
					"check the certificate, or RAXX_CA_BUNDLE",
					c->service, shown, via ? via : "",
					c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			ret = raxx_fail_outage(c->fail_code, "%s at '%s'%s did not "
					       "answer in time: check that it is up, "
					       "or raise RAXX_TIMEOUT", c->service,
					       shown, via ? via : "");
		else
			ret = raxx_fail_outage(c->fail_code, "%s at '%s' unreachable%s: "
					       "%s%s", c->service, shown, via ? via : "",
					       c->errbuf[0] ? c->errbuf :
					       curl_easy_strerror(rc),
					       via ? ": check the proxy, or name the "
					       "host in NO_PROXY" : "");
	}
	slist_free_wiped(hdrs);	/* holds copies of secret headers */
	free(shown);
	free(via);
	return ret;
}

char *http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			sb_add(&sb, s, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			sb_add(&sb, e, 3);
		}
	}
	return sb_detach(&sb);
}
