/*
 * The process's trust store: the contract is in truststore.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "truststore.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

/* a CA bundle larger than this is not read here (OpenSSL loads it whole) */
#define BUNDLE_MAX (16 * 1024 * 1024)

struct cert {
	size_t off, len;	/* the DER in the bundle's der buffer */
	X509_NAME *subject;
	int added;		/* decoded and in the store */
};

struct bundle {
	char *path;
	unsigned char *der;	/* every certificate's DER, one after another */
	struct cert *certs;
	size_t nr;
};

static struct {
	X509_STORE *store;
	X509_LOOKUP_METHOD *method;
	struct bundle *bundles;
	size_t nr;
	int decoded;
} ts;

/* ---------------------------------------------------------------- DER */

/* The tag and the extent of the TLV at *p (< end): 0 and *p moved past
 * its header, or -1. Definite lengths only, as DER has them. */
static int tlv(const unsigned char **p, const unsigned char *end, int *tag,
	       size_t *len)
{
	const unsigned char *q = *p;
	size_t n = 0, i, k;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return -1;	/* no high tag numbers in a certificate's head */
	if (*q < 0x80) {
		n = *q++;
	} else {
		k = *q++ & 0x7f;
		if (!k || k > 4 || (size_t)(end - q) < k)
			return -1;
		for (i = 0; i < k; i++)
			n = (n << 8) | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*p = q;
	*len = n;
	return 0;
}

/*
 * The subject of the certificate in der[0..len), decoded (the name only):
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
 * OPTIONAL, serialNumber, signature, issuer, validity, subject, ... } ...}
 */
static X509_NAME *subject_of(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len, *tbs_end, *name;
	size_t n;
	int tag, i;

	if (tlv(&p, end, &tag, &n) || tag != 0x30)
		return NULL;
	if (tlv(&p, end, &tag, &n) || tag != 0x30)
		return NULL;
	tbs_end = p + n;
	if (p < tbs_end && *p == 0xa0) {	/* version */
		if (tlv(&p, tbs_end, &tag, &n))
			return NULL;
		p += n;
	}
	/* serialNumber, signature, issuer, validity */
	for (i = 0; i < 4; i++) {
		if (tlv(&p, tbs_end, &tag, &n))
			return NULL;
		p += n;
	}
	name = p;
	if (tlv(&p, tbs_end, &tag, &n) || tag != 0x30)
		return NULL;
	p += n;
	return d2i_X509_NAME(NULL, &name, (long)(p - name));
}

/* ---------------------------------------------------------------- PEM */

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

static int starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static void bundle_free(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->nr; i++)
		X509_NAME_free(b->certs[i].subject);
	free(b->certs);
	free(b->der);
	free(b->path);
	memset(b, 0, sizeof(*b));
}

/*
 * Index the PEM file at path: every "CERTIFICATE" (or "X509 CERTIFICATE")
 * block decoded to DER, its subject read. 0, or -1 when the file holds
 * anything else in a PEM block, or cannot be read or parsed here: the
 * caller then has OpenSSL load it whole.
 */
static int bundle_index(struct bundle *b, const char *path)
{
	struct strbuf text = STRBUF_INIT, der = STRBUF_INIT;
	const char *p, *end, *eol;
	char buf[65536];
	ssize_t n;
	int fd, ret = -1;

	memset(b, 0, sizeof(*b));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	text.cap = BUNDLE_MAX;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || sb_add(&text, buf, (size_t)n))
			break;
	}
	close(fd);
	if (n != 0 || !text.len)
		goto out;
	p = text.buf;
	end = text.buf + text.len;
	while (p < end) {
		const char *label, *body, *stop;
		size_t lablen, off = der.len;
		X509_NAME *subject;

		eol = line_end(p, end);
		if (!starts(p, eol, "-----BEGIN ")) {
			p = eol + (eol < end);
			continue;
		}
		label = p + 11;
		lablen = (size_t)(eol - label);
		while (lablen && (label[lablen - 1] == '\r' || label[lablen - 1] == ' '))
			lablen--;
		if (lablen < 5 || memcmp(label + lablen - 5, "-----", 5))
			goto out;
		lablen -= 5;
		if (!((lablen == 11 && !memcmp(label, "CERTIFICATE", 11)) ||
		      (lablen == 16 && !memcmp(label, "X509 CERTIFICATE", 16))))
			goto out;	/* a CRL, a trusted certificate, a key...: whole */
		body = eol + (eol < end);
		for (stop = body; stop < end && !starts(stop, end, "-----END ");
		     stop = line_end(stop, end) + 1)
			;
		if (stop >= end)
			goto out;
		if (base64_decode(body, (size_t)(stop - body), &der) ||
		    der.len == off ||
		    !(subject = subject_of((unsigned char *)der.buf + off,
					   der.len - off)))
			goto out;
		b->certs = xrealloc(b->certs, (b->nr + 1) * sizeof(*b->certs));
		b->certs[b->nr].off = off;
		b->certs[b->nr].len = der.len - off;
		b->certs[b->nr].subject = subject;
		b->certs[b->nr].added = 0;
		b->nr++;
		p = line_end(stop, end);
		p += p < end;
	}
	ret = b->nr ? 0 : -1;
out:
	sb_release(&text);
	if (ret) {
		sb_release(&der);
		bundle_free(b);
		ERR_clear_error();
		return -1;
	}
	b->der = (unsigned char *)sb_detach(&der);
	b->path = xstrdup(path);
	return 0;
}

/* ---------------------------------------------------------------- lookup */

/*
 * OpenSSL asks for a subject the store does not hold yet: add every
 * bundled certificate with that subject, and answer with the store's.
 */
static int by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type,
		      const X509_NAME *name, X509_OBJECT *ret)
{
	X509_STORE *store = X509_LOOKUP_get_store(lu);
	X509_OBJECT *obj;
	X509 *x;
	size_t i, j;
	int added = 0;

	if (type != X509_LU_X509 || !store)
		return 0;
	for (i = 0; i < ts.nr; i++) {
		struct bundle *b = &ts.bundles[i];

		for (j = 0; j < b->nr; j++) {
			struct cert *ce = &b->certs[j];
			const unsigned char *der = b->der + ce->off;

			if (ce->added || X509_NAME_cmp(ce->subject, name))
				continue;
			ce->added = 1;
			if (!(x = d2i_X509(NULL, &der, (long)ce->len)))
				continue;
			ts.decoded++;
			if (X509_STORE_add_cert(store, x))
				added++;
			X509_free(x);	/* the store holds its own reference */
		}
	}
	ERR_clear_error();
	if (!added)
		return 0;
	obj = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store),
					      X509_LU_X509, name);
	if (!obj || !(x = X509_OBJECT_get0_X509(obj)) ||
	    !X509_OBJECT_set1_X509(ret, x))
		return 0;
	/* as OpenSSL's own directory lookup does, ret holds no reference of
	 * its own: the caller takes one; the store keeps the certificate */
	X509_free(x);
	return 1;
}

/* ---------------------------------------------------------------- store */

/* Index path and add it to the lazy bundles, or load it whole. */
static int add_bundle(X509_STORE *store, const char *path)
{
	struct bundle b;

	if (!bundle_index(&b, path)) {
		ts.bundles = xrealloc(ts.bundles, (ts.nr + 1) * sizeof(*ts.bundles));
		ts.bundles[ts.nr++] = b;
		trace("trust store: %s indexed (%zu certificates)", path, b.nr);
		return 0;
	}
	trace("trust store: loading %s whole", path);
	if (!X509_STORE_load_locations(store, path, NULL)) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

static X509_STORE *make(const char *cafile, const char *capath,
			const char *extra)
{
	X509_STORE *store = X509_STORE_new();
	X509_LOOKUP *lu;

	if (!store)
		return NULL;
	if (cafile && add_bundle(store, cafile))
		trace("trust store: cannot read %s", cafile);	/* as libcurl: the rest may do */
	if (extra && add_bundle(store, extra)) {
		/* as http.c's own check would say */
		raxx_fail(RAXX_EINTERNAL, "RAXX_CA_BUNDLE '%s' cannot be read as "
			  "PEM certificates: check the file", extra);
		goto fail;
	}
	if (ts.nr) {
		if (!ts.method &&
		    (!(ts.method = X509_LOOKUP_meth_new("raxx lazy bundle")) ||
		     !X509_LOOKUP_meth_set_get_by_subject(ts.method, by_subject)))
			goto oom;
		/* before the directory: a bundle's certificates come first, as
		 * when it is loaded whole */
		if (!(lu = X509_STORE_add_lookup(store, ts.method)))
			goto oom;
	}
	if (capath && !X509_STORE_load_locations(store, NULL, capath))
		trace("trust store: cannot use the directory %s", capath);
	if (!cafile && !capath && !X509_STORE_set_default_paths(store))
		trace("trust store: OpenSSL's default locations cannot be used");
	ERR_clear_error();
	return store;
oom:
	raxx_fail(RAXX_EINTERNAL, "OpenSSL: cannot make the trust store");
fail:
	X509_STORE_free(store);
	ERR_clear_error();
	return NULL;
}

X509_STORE *truststore_get(const char *cafile, const char *capath,
			   const char *extra)
{
	if (!ts.store && !(ts.store = make(cafile, capath, extra))) {
		truststore_release();
		if (!*raxx_errmsg())
			raxx_fail(RAXX_EINTERNAL, "OpenSSL: cannot make the trust store");
		return NULL;
	}
	if (!X509_STORE_up_ref(ts.store))
		return NULL;
	return ts.store;
}

void truststore_release(void)
{
	size_t i;

	X509_STORE_free(ts.store);	/* the lookups go with it */
	X509_LOOKUP_meth_free(ts.method);
	for (i = 0; i < ts.nr; i++)
		bundle_free(&ts.bundles[i]);
	free(ts.bundles);
	memset(&ts, 0, sizeof(ts));
}

int truststore_decoded(void)
{
	return ts.decoded;
}
