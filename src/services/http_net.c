/*
 * What the clients of the HTTP module share (http_net.h): the multi
 * and share handles every transfer runs on, the trust store each
 * connection gets, the process deadline, and the connections opened ahead
 * (http_preconnect). The contract is in http.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "http_net.h"
#include "base/log.h"
#include "truststore.h"
#include "base/util.h"

#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* ---------------------------------------------------------------- deadline */

/* per thread: each of the broker's requests has its own */
static _Thread_local int64_t deadline_ms;

void http_set_deadline(int64_t ms)
{
	deadline_ms = ms;
}

int64_t http_deadline(void)
{
	return deadline_ms;
}

long http_remaining_ms(void)
{
	int64_t left;

	if (!deadline_ms)
		return 30000;
	left = deadline_ms - now_ms();
	return left > 0 ? (long)left : 0;
}

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

int http_net_open(void)
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

void http_net_close(void)
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
int http_net_setup(CURL *h, const char *ca)
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

void http_preconnect_end(struct http_client *c)
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
void http_preconnect_wait(struct http_client *c)
{
	CURLcode rc = CURLE_OK;

	if (!c->pre || !c->pre->running)
		return;
	drive(c->pre->curl, &rc);
	preconnect_done(c, rc, 0);
}

/* One transfer of c's on the shared multi handle, to its end. */
CURLcode http_transfer(struct http_client *c)
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
	long budget = http_remaining_ms();
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
		const char *unused, *proxy = http_proxy_for(url, &unused);

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
	http_preconnect_end(c);
}
