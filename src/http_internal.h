#ifndef RAXX_HTTP_INTERNAL_H
#define RAXX_HTTP_INTERNAL_H

/*
 * What the files of the HTTP module share with one another; nothing else
 * includes this. The contract is http.h.
 *
 *   http.c        clients, what they share, requests and their retries.
 *   http_proxy.c  the proxy for a URL, from the environment alone.
 *
 * Calls go one way: http.c -> http_proxy.c.
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
