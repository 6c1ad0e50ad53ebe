#ifndef RAXX_TRUSTSTORE_H
#define RAXX_TRUSTSTORE_H

/*
 * The trust store of the process's HTTPS connections (OpenSSL), made once
 * and shared by all of them: http_net.c hands it to every connection.
 *
 * What it trusts is what libcurl would trust plus the extra anchors: the
 * CA bundle file and the CA directory libcurl was built with (http_net.c
 * asks libcurl; OpenSSL's own defaults when it names neither), and
 * RAXX_CA_BUNDLE.
 *
 * How it loads them is the point. OpenSSL 3 decodes each certificate's
 * public key through its provider decoders, about 1.5 million
 * instructions a certificate: loading a system bundle of some 140
 * certificates whole costs about 20 ms of CPU, and libcurl does it for
 * every connection. Here a bundle is only indexed by subject name (the
 * name is decoded, the key is not), and a certificate is decoded and added
 * to the store when chain building first asks for its subject. A
 * handshake asks for two or three. The directory is OpenSSL's own hashed
 * lookup, lazy already.
 *
 * The answers are those of a store loaded whole, in libcurl's order:
 * asked for a subject, the store answers from what it holds; failing
 * that, from the bundles (every certificate with that subject is added,
 * as a whole load would have them all); failing that, from the directory.
 * A bundle holding anything but certificates (a CRL, "TRUSTED
 * CERTIFICATE" blocks), or that cannot be parsed here, is loaded whole by
 * OpenSSL instead, as libcurl would.
 */

struct x509_store_st;

/*
 * The shared store, made on first use (each call returns one more
 * reference, for SSL_CTX_set1_cert_store or X509_STORE_free). cafile,
 * capath: the system's (NULL: none); extra: RAXX_CA_BUNDLE or NULL; all
 * three must be the same on every call. NULL with a message recorded
 * (RAXX_EINTERNAL) when it cannot be made.
 */
struct x509_store_st *truststore_get(const char *cafile, const char *capath,
				     const char *extra);

/* Drop the process's own reference and the index (the last connection
 * is gone). The next truststore_get starts afresh. */
void truststore_release(void);

/* Certificates decoded so far (for traces and tests). */
int truststore_decoded(void);

#endif
