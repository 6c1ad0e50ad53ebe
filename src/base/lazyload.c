/*
 * libcurl and OpenSSL, loaded on first use.
 *
 * Most calls of the program are warm: the token comes from the cache and
 * no HTTP or RSA happens. Linked the usual way, libcurl alone brings in
 * some thirty shared libraries (GnuTLS, Kerberos, LDAP, SSH...) that the
 * loader maps and relocates before main(): about 3 ms and 6 MiB on every
 * call. So the program is linked without them, and this file defines
 * each libcurl and OpenSSL function the modules use as a stub that
 * dlopen()s the library the build found (src/lazyload-probe.sh, the
 * RAXX_LAZY_* names) and calls the real function. The modules' code is
 * unchanged and the compiler checks every stub against the library's own
 * header.
 *
 * Only the program links this file (the Makefile's LAZY=1, the default
 * when the probe works); libraxx.a and the tests link the libraries as
 * usual. A module that starts using another libcurl or OpenSSL function
 * gets "undefined reference" when the program links: add its stub here
 * (or build with LAZY=0).
 */
#define _POSIX_C_SOURCE 200809L
#if !defined(RAXX_LAZY_CURL) && !defined(RAXX_LAZY_SSL) && !defined(RAXX_LAZY_CRYPTO)
/* LAZY=0, or the probe found no names: the libraries are linked as usual */
typedef int raxx_lazyload_off;
#else
#define CURL_DISABLE_TYPECHECK	/* the stubs take what the callers pass */
#include "util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

/* its first parameter became const in later libcurl: declared below */
#define curl_url_get raxx_hidden_curl_url_get
#include <curl/curl.h>
#undef curl_url_get
#ifndef CURLOPTTYPE_BLOB	/* libcurl before 7.71.0 has no blob options */
#define CURLOPTTYPE_BLOB 40000
#endif
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#if !defined(RAXX_LAZY_CURL) || !defined(RAXX_LAZY_SSL) || !defined(RAXX_LAZY_CRYPTO)
#error "build with all of RAXX_LAZY_CURL, RAXX_LAZY_SSL and RAXX_LAZY_CRYPTO (see the Makefile)"
#endif

struct lib {
	void *handle;
	const char *file;
};

static struct lib curl_lib = { NULL, RAXX_LAZY_CURL };
static struct lib ssl_lib = { NULL, RAXX_LAZY_SSL };
static struct lib crypto_lib = { NULL, RAXX_LAZY_CRYPTO };

/* the broker's threads may reach a stub first at the same time */
static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;

static void *resolve(struct lib *l, const char *name)
{
	void *p;

	pthread_mutex_lock(&resolve_lock);
	if (!l->handle && !(l->handle = dlopen(l->file, RTLD_NOW | RTLD_LOCAL)))
		die("cannot load %s (%s): reinstall it, or rebuild with 'make LAZY=0'",
		    l->file, dlerror());
	if (!(p = dlsym(l->handle, name)))
		die("%s has no %s: rebuild git-credential-raxx against the "
		    "installed version", l->file, name);
	pthread_mutex_unlock(&resolve_lock);
	return p;
}

/* The real function behind slot, looked up once (atomically: threads). */
#define REAL(slot, lib, name) __extension__ ({ \
	__typeof__(slot) fn_ = __atomic_load_n(&(slot), __ATOMIC_ACQUIRE); \
	if (!fn_) { \
		fn_ = (__typeof__(slot))resolve(&(lib), (name)); \
		__atomic_store_n(&(slot), fn_, __ATOMIC_RELEASE); \
	} \
	fn_; })

/* A stub: the real function, looked up once. */
#define STUB(lib, ret, name, params, args) \
ret name params \
{ \
	static ret (*real) params; \
	return REAL(real, lib, #name) args; \
}
#define STUB_VOID(lib, name, params, args) \
void name params \
{ \
	static void (*real) params; \
	REAL(real, lib, #name) args; \
}

/* ---- libcurl */

STUB(curl_lib, CURLcode, curl_global_init, (long flags), (flags))
STUB(curl_lib, CURL *, curl_easy_init, (void), ())
STUB_VOID(curl_lib, curl_easy_cleanup, (CURL *h), (h))
STUB(curl_lib, CURLcode, curl_easy_perform, (CURL *h), (h))
STUB(curl_lib, const char *, curl_easy_strerror, (CURLcode c), (c))
STUB_VOID(curl_lib, curl_free, (void *p), (p))
STUB(curl_lib, struct curl_slist *, curl_slist_append,
     (struct curl_slist *l, const char *s), (l, s))
STUB_VOID(curl_lib, curl_slist_free_all, (struct curl_slist *l), (l))
STUB(curl_lib, CURLU *, curl_url, (void), ())
STUB_VOID(curl_lib, curl_url_cleanup, (CURLU *u), (u))
CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags);
STUB(curl_lib, CURLUcode, curl_url_get,
     (CURLU *u, CURLUPart what, char **part, unsigned int flags),
     (u, what, part, flags))
STUB(curl_lib, CURLUcode, curl_url_set,
     (CURLU *u, CURLUPart what, const char *part, unsigned int flags),
     (u, what, part, flags))
STUB(curl_lib, curl_version_info_data *, curl_version_info, (CURLversion v), (v))
STUB(curl_lib, CURL *, curl_easy_duphandle, (CURL *h), (h))
STUB(curl_lib, CURLM *, curl_multi_init, (void), ())
STUB(curl_lib, CURLMcode, curl_multi_cleanup, (CURLM *m), (m))
STUB(curl_lib, CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *h), (m, h))
STUB(curl_lib, CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *h), (m, h))
STUB(curl_lib, CURLMcode, curl_multi_perform, (CURLM *m, int *running),
     (m, running))
STUB(curl_lib, CURLMcode, curl_multi_poll,
     (CURLM *m, struct curl_waitfd *fds, unsigned int n, int ms, int *ret),
     (m, fds, n, ms, ret))
STUB(curl_lib, CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left))
STUB(curl_lib, const char *, curl_multi_strerror, (CURLMcode c), (c))
STUB(curl_lib, CURLSH *, curl_share_init, (void), ())
STUB(curl_lib, CURLSHcode, curl_share_cleanup, (CURLSH *s), (s))

/* The variadic two: the option's number says what its argument is. */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	static CURLcode (*slot)(CURL *, CURLoption, ...);
	CURLcode (*real)(CURL *, CURLoption, ...) =
		REAL(slot, curl_lib, "curl_easy_setopt");
	CURLcode rc;
	va_list ap;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT) {
		long v = va_arg(ap, long);

		rc = real(h, opt, v);
	} else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) {
		curl_off_t v = va_arg(ap, curl_off_t);

		rc = real(h, opt, v);
	} else {
		/* object, string, list, callback, blob: all pointer-sized */
		void *v = va_arg(ap, void *);

		rc = real(h, opt, v);
	}
	va_end(ap);
	return rc;
}

/* CURLSHOPT_SHARE and _UNSHARE take an int, the rest a pointer. */
CURLSHcode curl_share_setopt(CURLSH *s, CURLSHoption opt, ...)
{
	static CURLSHcode (*real)(CURLSH *, CURLSHoption, ...);
	CURLSHcode rc;
	va_list ap;

	if (!real)
		real = (CURLSHcode (*)(CURLSH *, CURLSHoption, ...))
			resolve(&curl_lib, "curl_share_setopt");
	va_start(ap, opt);
	if (opt == CURLSHOPT_SHARE || opt == CURLSHOPT_UNSHARE) {
		int v = va_arg(ap, int);

		rc = real(s, opt, v);
	} else {
		void *v = va_arg(ap, void *);

		rc = real(s, opt, v);
	}
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	static CURLcode (*slot)(CURL *, CURLINFO, ...);
	CURLcode (*real)(CURL *, CURLINFO, ...) =
		REAL(slot, curl_lib, "curl_easy_getinfo");
	CURLcode rc;
	va_list ap;
	void *out;

	va_start(ap, info);
	out = va_arg(ap, void *);	/* always a pointer to the answer */
	rc = real(h, info, out);
	va_end(ap);
	return rc;
}

/* ---- OpenSSL: libssl */

STUB(ssl_lib, X509_STORE *, SSL_CTX_get_cert_store, (const SSL_CTX *ctx), (ctx))
STUB_VOID(ssl_lib, SSL_CTX_set1_cert_store, (SSL_CTX *ctx, X509_STORE *s),
	  (ctx, s))

/* ---- OpenSSL: libcrypto */

STUB(crypto_lib, int, X509_STORE_load_locations,
     (X509_STORE *s, const char *file, const char *dir), (s, file, dir))
STUB(crypto_lib, X509_STORE *, X509_STORE_new, (void), ())
STUB_VOID(crypto_lib, X509_STORE_free, (X509_STORE *s), (s))
STUB(crypto_lib, int, X509_STORE_up_ref, (X509_STORE *s), (s))
STUB(crypto_lib, int, X509_STORE_add_cert, (X509_STORE *s, X509 *x), (s, x))
STUB(crypto_lib, X509_LOOKUP *, X509_STORE_add_lookup,
     (X509_STORE *s, X509_LOOKUP_METHOD *m), (s, m))
STUB(crypto_lib, int, X509_STORE_set_default_paths, (X509_STORE *s), (s))
STUB(crypto_lib, STACK_OF(X509_OBJECT) *, X509_STORE_get0_objects,
     (const X509_STORE *s), (s))
STUB(crypto_lib, X509_LOOKUP_METHOD *, X509_LOOKUP_meth_new, (const char *n), (n))
STUB_VOID(crypto_lib, X509_LOOKUP_meth_free, (X509_LOOKUP_METHOD *m), (m))
STUB(crypto_lib, int, X509_LOOKUP_meth_set_get_by_subject,
     (X509_LOOKUP_METHOD *m, X509_LOOKUP_get_by_subject_fn fn), (m, fn))
STUB(crypto_lib, X509_STORE *, X509_LOOKUP_get_store, (const X509_LOOKUP *l), (l))
STUB(crypto_lib, X509_OBJECT *, X509_OBJECT_retrieve_by_subject,
     (STACK_OF(X509_OBJECT) *h, X509_LOOKUP_TYPE t, const X509_NAME *n),
     (h, t, n))
STUB(crypto_lib, X509 *, X509_OBJECT_get0_X509, (const X509_OBJECT *o), (o))
STUB(crypto_lib, int, X509_OBJECT_set1_X509, (X509_OBJECT *o, X509 *x), (o, x))
STUB(crypto_lib, int, X509_NAME_cmp, (const X509_NAME *a, const X509_NAME *b),
     (a, b))
STUB_VOID(crypto_lib, X509_NAME_free, (X509_NAME *n), (n))
STUB(crypto_lib, X509_NAME *, d2i_X509_NAME,
     (X509_NAME **a, const unsigned char **in, long len), (a, in, len))
STUB(crypto_lib, X509 *, d2i_X509, (X509 **a, const unsigned char **in, long len),
     (a, in, len))
STUB_VOID(crypto_lib, X509_free, (X509 *x), (x))
STUB(crypto_lib, BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len))
STUB(crypto_lib, int, BIO_free, (BIO *b), (b))
STUB_VOID(crypto_lib, ERR_clear_error, (void), ())
STUB(crypto_lib, EVP_PKEY *, PEM_read_bio_PrivateKey,
     (BIO *b, EVP_PKEY **x, pem_password_cb *cb, void *u), (b, x, cb, u))
STUB_VOID(crypto_lib, EVP_PKEY_free, (EVP_PKEY *k), (k))
STUB(crypto_lib, int, EVP_PKEY_get_base_id, (const EVP_PKEY *k), (k))
STUB(crypto_lib, const EVP_MD *, EVP_sha256, (void), ())
STUB(crypto_lib, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
STUB_VOID(crypto_lib, EVP_MD_CTX_free, (EVP_MD_CTX *c), (c))
STUB(crypto_lib, int, EVP_DigestSignInit,
     (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *md, ENGINE *e, EVP_PKEY *k),
     (c, pc, md, e, k))
STUB(crypto_lib, int, EVP_DigestSign,
     (EVP_MD_CTX *c, unsigned char *sig, size_t *siglen, const unsigned char *tbs,
      size_t tbslen), (c, sig, siglen, tbs, tbslen))

#endif /* RAXX_LAZY_* */
