#ifndef RAXX_HTTP_NET_H
#define RAXX_HTTP_NET_H

/*
 * What the files of the HTTP module share with one another; nothing else
 * includes this. The contract is http.h.
 *
 *   http.c        a client (its options and headers), one request with its
 *                 retries and the naming of its failure; URL checks,
 *                 redirects, escaping.
 *   http_net.c    what the clients share: the multi and share handles, the
 *                 trust store hook, the deadline, the connections opened
 *                 ahead, moving transfers on, http_forget_connections.
 *   http_proxy.c  the proxy for a URL, from the environment alone.
 *
 * Calls go one way: http.c -> http_net.c -> http_proxy.c, and http.c ->
 * http_proxy.c.
 */

#include "http.h"

#include <curl/curl.h>

struct preconnect;

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

/* The setopt calls are checked, with the option's name in the message. */
#define SETOPT(c, opt, val) do { \
	CURLcode rc_ = curl_easy_setopt((c), (opt), (val)); \
	if (rc_ != CURLE_OK) { \
		raxx_fail(RAXX_EINTERNAL, "libcurl: setting %s failed: %s", \
			  #opt, curl_easy_strerror(rc_)); \
		goto fail; \
	} \
} while (0)

/* ---- http_net.c */

/* What is left of the process deadline (http_set_deadline) in ms, 0 when
 * it has passed; 30000 when there is none. */
long http_remaining_ms(void);

/*
 * The shared handles, made with the first client and gone with the last:
 * http_net_open counts a client in, even when it fails (-1, message
 * recorded), and http_net_close counts it out.
 */
int http_net_open(void);
void http_net_close(void);
/* Put a client's handle on the shared handles, trusting the system's
 * anchors plus ca (NULL: none). 0, or -1 with the message recorded. */
int http_net_setup(CURL *h, const char *ca);

/* Give up c's connection opened ahead, if any (http_client_free). */
void http_preconnect_end(struct http_client *c);
/* Let c's unfinished connection opened ahead end first. */
void http_preconnect_wait(struct http_client *c);
/* One transfer of c's on the shared multi handle, to its end: its result
 * (CURLE_FAILED_INIT when it cannot be run). */
CURLcode http_transfer(struct http_client *c);

/* ---- http_proxy.c */

/*
 * The proxy for a request to url, read from the environment as git
 * (libcurl) reads it, and gh for the common cases: no_proxy/NO_PROXY first
 * ("*", host names matching exactly or as a domain suffix, IP addresses
 * and CIDR ranges); then https_proxy/HTTPS_PROXY for https:// (http_proxy
 * for an http:// loopback; never HTTP_PROXY, which CGI sets from a request
 * header), then all_proxy/ALL_PROXY. NULL: connect directly. *which
 * names the variable the proxy came from.
 */
const char *http_proxy_for(const char *url, const char **which);

/*
 * A proxy URL for messages (fresh): scheme, host and port only. A proxy's
 * userinfo ("http://user:password@proxy:3128") is its own password and
 * is never shown.
 */
char *http_proxy_shown(const char *proxy);

#endif
