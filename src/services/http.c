/*
 * HTTP clients and their requests: the contract is in http.h; what the
 * other http files own, http_net.h says.
 */
#define _POSIX_C_SOURCE 200809L
#include "http_net.h"
#include "base/log.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

static int curl_ready;
static char *ca_bundle;

void http_set_ca_bundle(const char *path)
{
	free(ca_bundle);
	ca_bundle = path ? xstrdup(path) : NULL;
}

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

/* ---------------------------------------------------------------- client */

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
	if (http_net_open()) {
		http_net_close();
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
	 * Proxies: http_proxy_for() decides from the environment, as git and gh
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
	if (http_net_setup(c->curl, ca))
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
	http_preconnect_end(c);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	slist_free_wiped(c->extra);
	free(c->service);
	free(c);
	http_net_close();
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

static int perform_once(struct http_client *c, const char *method,
			const char *url, const char *proxy,
			struct curl_slist *hdrs, const char *body,
			struct http_response *r, CURLcode *rc_out)
{
	CURLcode rc;
	long conns = 0, budget = http_remaining_ms();

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
	rc = http_transfer(c);
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

	if ((proxy = http_proxy_for(url, &proxy_var))) {
		char *ps = http_proxy_shown(proxy);

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
	http_preconnect_wait(c);

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
		if (wait_ms >= http_remaining_ms())
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
