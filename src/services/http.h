#ifndef RAXX_HTTP_H
#define RAXX_HTTP_H

/*
 * The one place that speaks HTTP (libcurl). A client owns one curl handle;
 * every client of the process runs its transfers on one shared multi
 * handle, so requests to one host reuse one TLS connection, whichever
 * client opened it, TLS sessions are shared, and (OpenSSL) every
 * connection uses the one trust store of the process (truststore.h), made
 * once instead of the system CA bundle decoded for each connection.
 *
 * Policy, for every request:
 *   - https only; http only to a loopback address with
 *     RAXX_ALLOW_HTTP_LOOPBACK=1; TLS verification always on;
 *     http_set_ca_bundle() adds trust anchors to the system's;
 *   - User-Agent "git-credential-raxx/VERSION"; no Expect: 100-continue;
 *   - redirects are never followed: a 3xx comes back to the caller;
 *   - a proxy from the environment as git reads it (https_proxy,
 *     HTTPS_PROXY, all_proxy, ALL_PROXY; no_proxy/NO_PROXY), always
 *     through CONNECT; request headers go to the server only; the trace
 *     names the proxy without its userinfo;
 *   - the body is capped at HTTP_MAX_BODY (larger: an error);
 *   - connect and total timeouts, bounded by the process deadline
 *     (http_set_deadline, from RAXX_TIMEOUT);
 *   - retried with backoff, at most HTTP_MAX_ATTEMPTS in all and only
 *     within the deadline, where it is safe: connection failures before
 *     anything was sent, 502/503/504, and 429 with Retry-After.
 *
 * A transport failure (no HTTP answer at all) records the client's
 * fail_code (vault: RAXX_EVAULT, GitHub: RAXX_EGITHUB) with a message
 * naming the service and URL, and returns that code.
 */

#include "base/util.h"

#define HTTP_MAX_BODY (1024 * 1024)
#define HTTP_MAX_ATTEMPTS 3

struct http_client;

struct http_response {
	long status;
	struct strbuf body;	/* secret: wiped on release */
	char *location;
	char *date;
	char *retry_after;
	char *content_type;
	char *ratelimit_remaining;
	time_t sent_at;		/* local clock when the last attempt began */
	/* GitHub-Authentication-Token-Expiration: a PAT's expiry, e.g.
	 * "2026-12-10 12:00:00 UTC" */
	char *token_expiration;
};
#define HTTP_RESPONSE_INIT { 0, STRBUF_INIT, NULL, NULL, NULL, NULL, NULL, 0, NULL }

/* Extra trust anchors (a PEM file: RAXX_CA_BUNDLE / raxx.caBundle) for
 * every client made after this; NULL: the system's only. */
void http_set_ca_bundle(const char *path);

/* Overall deadline for all requests of this process (monotonic ms); the
 * calling thread's own, so that each broker request keeps its own. */
void http_set_deadline(int64_t deadline_ms);
int64_t http_deadline(void);

/*
 * service names the peer in messages ("vault", "GitHub"). Returns a
 * client or NULL with the error recorded (fail_code).
 */
struct http_client *http_client_new(const char *service, int fail_code);
/* Headers sent on every request of this client, e.g. CF Access ones;
 * the value is kept (copied) and wiped on free. */
void http_client_add_header(struct http_client *c, const char *name,
			    const char *value);
void http_client_free(struct http_client *c);
/*
 * Open the connection to url's host now, without waiting: a GET of url,
 * without credentials (a User-Agent and an Accept header only, none of
 * the client's own), its answer dropped, runs while the process waits for other requests
 * (e.g. the vault's), and the client's next request to that host goes on
 * the connection it leaves open, one TLS handshake off its path. That
 * request lets an unfinished one end first. Never fails: at worst the next
 * request opens its own connection. url should be one its server answers
 * cheaply and without counting it against anything.
 */
void http_preconnect(struct http_client *c, const char *url);

/*
 * In a child process after fork(): leave the parent's connections (and
 * clients) alone and start anew with the next client. Using them, or
 * closing them, from two processes would garble their TLS streams.
 */
void http_forget_connections(void);

/* Requests made (http_preconnect's not counted), and new connections
 * opened (its counted), by this client so far. */
int http_client_requests(const struct http_client *c);
int http_client_connections(const struct http_client *c);

/*
 * Check a base URL against the policy above without any network.
 * Returns 0, or fail code with a message naming what (e.g. the
 * variable "INFISICAL_HOST").
 */
int http_check_url(const char *url, const char *what, int fail_code);

/*
 * method: "GET", "POST", "DELETE"... headers: NULL-terminated array of
 * "Name: value" strings (may hold secrets; never traced). body may be
 * NULL. Returns 0 when an HTTP answer came (any status), else the fail
 * code. resp must be released with http_response_release.
 */
int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, const char *body,
		 struct http_response *resp);
void http_response_release(struct http_response *resp);

/*
 * A redirect: resolve location (a Location header, absolute or relative)
 * against url, the URL that answered it, and say whether it stays within
 * base (e.g. RAXX_GITHUB_API): the same scheme, host and port (default
 * ports made explicit), no userinfo, and a path under base's path with
 * nothing percent-encoded. 0: within, *rest (fresh) is the path and query
 * after base ("/repositories/42/installation"); 1: elsewhere; -1: not a
 * URL. *resolved (fresh, or NULL when -1) is the absolute URL, for
 * messages.
 */
int http_location_under(const char *base, const char *url,
			const char *location, char **resolved, char **rest);

/*
 * Whether no_proxy's list (entries between commas or blanks: "*", a name
 * or a domain above host, an IP address, a CIDR range) covers host (a
 * URL's host: a name, an IPv4 address or a bracketed IPv6 one). What the
 * request's proxy is chosen with (above); exported for the fuzz target.
 */
int http_noproxy_matches(const char *list, const char *host);

/* Percent-encode s for a query value or path segment (fresh string). */
char *http_escape(const char *s);

#endif
