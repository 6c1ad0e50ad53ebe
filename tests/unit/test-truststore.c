/*
 * Unit tests: the shared trust store (truststore.h) answers as a store
 * loaded whole would, while decoding only the certificates asked for.
 * Certificates are made here: roots, an intermediate, a leaf.
 */
#define _POSIX_C_SOURCE 200809L
#include "services/truststore.h"
#include "base/util.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static char *dir;

static EVP_PKEY *key(void)
{
	return EVP_EC_gen("P-256");
}

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn with k, signed by issuer/ikey (NULL: itself). */
static X509 *cert(const char *cn, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ikey,
		  int ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"raxx unit", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, k);
	ext(x, issuer ? issuer : x, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	ext(x, issuer ? issuer : x, NID_key_usage,
	    ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer)
		ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	X509_sign(x, ikey ? ikey : k, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static int verifies(X509_STORE *store, X509 *leaf, X509 *inter);

/* Write certs (and junk, or a trusted certificate block) to dir/name. */
static char *bundle_ex(const char *name, X509 **certs, int n, const char *junk,
		       X509 *aux)
{
	char *path = xstrfmt("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	int i;

	fprintf(f, "# a comment line, as bundles have\n");
	for (i = 0; i < n; i++)
		PEM_write_X509(f, certs[i]);
	if (junk)
		fputs(junk, f);
	if (aux)
		PEM_write_X509_AUX(f, aux);
	fclose(f);
	return path;
}

static char *bundle(const char *name, X509 **certs, int n, const char *junk)
{
	return bundle_ex(name, certs, n, junk, NULL);
}

/* The same files loaded whole, as libcurl does. */
static X509_STORE *eager(const char *file, const char *path, const char *extra)
{
	X509_STORE *s = X509_STORE_new();

	if (file)
		X509_STORE_load_locations(s, file, NULL);
	if (extra)
		X509_STORE_load_locations(s, extra, NULL);
	if (path)
		X509_STORE_load_locations(s, NULL, path);
	return s;
}

/* Lazy and whole give one verdict for leaf. */
static int same_verdict(const char *file, const char *path, const char *extra,
			X509 *leaf, X509 *inter, int *verdict)
{
	X509_STORE *l = truststore_get(file, path, extra), *e = eager(file, path, extra);
	int a = l && verifies(l, leaf, inter), b = verifies(e, leaf, inter);

	X509_STORE_free(l);
	X509_STORE_free(e);
	truststore_release();
	*verdict = a;
	return a == b;
}

/* Verify leaf with the untrusted chain against store. */
static int verifies(X509_STORE *store, X509 *leaf, X509 *inter)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	int ok_;

	if (inter)
		sk_X509_push(chain, inter);
	X509_STORE_CTX_init(ctx, store, leaf, chain);
	/* as libcurl sets on every store it uses */
	X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
	ok_ = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	sk_X509_free(chain);
	return ok_;
}

int main(void)
{
	EVP_PKEY *rk = key(), *rk2 = key(), *ik = key(), *lk = key(), *ok_k = key();
	X509 *root, *root2, *inter, *inter2, *leaf, *leaf2, *others[40], *list[42];
	X509_STORE *s;
	char *path, *path2, *hashdir, *link;
	char name[32];
	int i, n = 0;

	dir = xstrfmt("%s/raxx-truststore-XXXXXX",
		      getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	root = cert("raxx unit root", rk, NULL, NULL, 1, 1);
	/* the same subject, another key: a re-issued root */
	root2 = cert("raxx unit root", rk2, NULL, NULL, 1, 2);
	inter = cert("raxx unit intermediate", ik, root, rk, 1, 3);
	inter2 = cert("raxx unit intermediate", ik, root2, rk2, 1, 4);
	leaf = cert("localhost", lk, inter, ik, 0, 5);
	leaf2 = cert("localhost", lk, inter2, ik, 0, 6);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "other root %d", i);
		others[i] = cert(name, ok_k, NULL, NULL, 1, 100 + i);
		list[n++] = others[i];
	}

	/* a bundle of many roots, ours among them */
	list[n++] = root;
	path = bundle("system.pem", list, n, NULL);
	s = truststore_get(path, NULL, NULL);
	ok(s != NULL, "a store from a bundle");
	is_int(truststore_decoded(), 0, "nothing decoded before a lookup");
	ok(verifies(s, leaf, inter), "a chain to a bundled root verifies");
	ok(truststore_decoded() >= 1 && truststore_decoded() <= 2,
	   "only the certificates asked for were decoded");
	ok(!verifies(s, leaf2, inter2), "a chain to an unknown root does not");
	X509_STORE_free(s);
	truststore_release();

	/* the anchor in the extra bundle (RAXX_CA_BUNDLE) */
	path2 = bundle("extra.pem", &root, 1, NULL);
	n--;
	free(path);
	path = bundle("system-without.pem", list, n, NULL);
	s = truststore_get(path, NULL, path2);
	ok(s && verifies(s, leaf, inter), "an anchor from the extra bundle");
	X509_STORE_free(s);
	truststore_release();
	ok(same_verdict(path, NULL, NULL, leaf, inter, &i) && !i,
	   "and without it, no anchor");
	ok(same_verdict(path, NULL, path2, leaf, inter, &i) && i,
	   "the same verdicts as a whole load");
	free(path2);

	/* two roots with one subject: both added, as a whole load has both */
	list[n++] = root;
	list[n++] = root2;
	free(path);
	path = bundle("two.pem", list, n, NULL);
	ok(same_verdict(path, NULL, NULL, leaf2, inter2, &i) && i,
	   "the second root of a subject is found, as in a whole load");
	ok(same_verdict(path, NULL, NULL, leaf, inter, &i) && i, "and the first");

	/* a bundle that holds more than certificates: loaded whole */
	free(path);
	path = bundle_ex("aux.pem", list, n - 2, NULL, root);
	s = truststore_get(path, NULL, NULL);
	ok(s && verifies(s, leaf, inter), "a bundle with other blocks still anchors");
	is_int(truststore_decoded(), 0, "it was loaded whole, not indexed");
	X509_STORE_free(s);
	truststore_release();
	ok(same_verdict(path, NULL, NULL, leaf, inter, &i), "as libcurl would");

	/* an extra bundle that is not PEM: no store */
	free(path);
	path = bundle("junk.pem", NULL, 0, "not a certificate\n");
	ok(truststore_get(NULL, NULL, path) == NULL, "an unreadable extra bundle fails");
	truststore_release();

	/* the directory: OpenSSL's hashed lookup, after the bundles */
	hashdir = xstrfmt("%s/certs", dir);
	mkdir(hashdir, 0700);
	free(path);
	path = bundle("certs/root.pem", &root, 1, NULL);
	link = xstrfmt("%s/%08lx.0", hashdir, X509_NAME_hash_ex(X509_get_subject_name(root),
							       NULL, NULL, NULL));
	ok(!symlink(path, link), "a hashed link");
	free(path);
	path = bundle("system-without2.pem", list, 40, NULL);
	ok(same_verdict(path, hashdir, NULL, leaf, inter, &i) && i,
	   "an anchor from the directory");
	ok(same_verdict(path, hashdir, NULL, leaf2, inter2, &i) && !i,
	   "and none for another root");

	unlink(link);
	free(link);
	free(hashdir);
	free(path);
	for (i = 0; i < 40; i++)
		X509_free(others[i]);
	X509_free(root);
	X509_free(root2);
	X509_free(inter);
	X509_free(inter2);
	X509_free(leaf);
	X509_free(leaf2);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(rk2);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ok_k);
	if (system(NULL)) {
		char *rm = xstrfmt("rm -rf '%s'", dir);
		int rc = system(rm);

		(void)rc;
		free(rm);
	}
	free(dir);
	return done_testing();
}
