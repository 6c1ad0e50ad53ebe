#define _POSIX_C_SOURCE 200809L
#include "jwt.h"
#include "base/util.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

struct jwt_key {
	EVP_PKEY *pkey;
};

char *base64url_encode(const unsigned char *data, size_t n)
{
	const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t len = sodium_base64_encoded_len(n, variant);
	char *out = xmalloc(len);

	sodium_bin2base64(out, len, data, n, variant);
	return out;
}

int base64url_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(s), cap = n * 3 / 4 + 3;
	unsigned char *buf = xmalloc(cap);
	const char *end;

	if (sodium_base642bin(buf, cap, s, n, NULL, outlen, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    *end) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* The PEM with literal "\n" turned into newlines, in a wiped buffer. */
static char *normalize_pem(const char *pem)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;

	sb.secret = 1;
	while (*pem == ' ' || *pem == '\t' || *pem == '\n' || *pem == '\r' ||
	       *pem == '"')
		pem++;
	for (p = pem; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			sb_add(&sb, "\n", 1);
			p++;
		} else if (p[0] == '\\' && p[1] == 'r') {
			p++;
		} else if (*p != '\r') {
			sb_add(&sb, p, 1);
		}
	}
	sb_add(&sb, "\n", 1);
	return sb_detach(&sb);
}

struct jwt_key *jwt_key_load(const char *pem, const char *where)
{
	struct jwt_key *k;
	char *text;
	BIO *bio;
	EVP_PKEY *pkey;

	if (strstr(pem, "BEGIN OPENSSH PRIVATE KEY")) {
		raxx_fail(RAXX_EAPPCRED, "PRIVATE_KEY_PEM at %s is an OpenSSH key: "
			  "store the .pem GitHub gave you (or convert it: "
			  "ssh-keygen -p -m PEM -f KEY)", where);
		return NULL;
	}
	if (!strstr(pem, "-----BEGIN")) {
		raxx_fail(RAXX_EAPPCRED, "PRIVATE_KEY_PEM at %s is not PEM (no "
			  "'-----BEGIN' line): store the App's .pem file whole",
			  where);
		return NULL;
	}
	text = normalize_pem(pem);
	bio = BIO_new_mem_buf(text, -1);
	if (!bio)
		die("out of memory");
	/* an empty passphrase callback: never prompt on a terminal */
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	free_secret(text);
	ERR_clear_error();
	if (!pkey) {
		raxx_fail(RAXX_EAPPCRED, "PRIVATE_KEY_PEM at %s does not parse as "
			  "a private key: re-download the App's key and store "
			  "it whole", where);
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		raxx_fail(RAXX_EAPPCRED, "PRIVATE_KEY_PEM at %s is not an RSA key: "
			  "GitHub Apps use RSA keys", where);
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	return k;
}

void jwt_key_free(struct jwt_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int jwt_issuer_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n && n < 32 && strspn(s, "0123456789") == n)
		return 1;	/* the numeric App ID */
	/* a client ID: "Iv1." and 16 hex digits, "Iv23" and letters/digits */
	return n >= 6 && n <= 64 && !strncmp(s, "Iv", 2) &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789.") == n;
}

const char *jwt_issuer(const char *app_id, const char *client_id)
{
	return client_id && *client_id ? client_id : app_id;
}

char *jwt_sign(struct jwt_key *k, const char *app_id, time_t now)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char *h64, *p64, *payload, *s64, *out;
	struct strbuf input = STRBUF_INIT;
	EVP_MD_CTX *md;
	unsigned char *sig;
	size_t siglen = 0;
	int ok;

	if (!jwt_issuer_ok(app_id)) {
		char safe[48];

		raxx_fail(RAXX_EAPPCRED, "the App JWT issuer '%s' is neither an App "
			  "ID (a number) nor a client ID (Iv1..., Iv23...): store "
			  "the App's ID in APP_ID, or its client ID in CLIENT_ID",
			  sanitize(safe, sizeof(safe), app_id ? app_id : ""));
		return NULL;
	}
	payload = xstrfmt("{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%s\"}",
			  (long long)now - 60, (long long)now + 540, app_id);
	h64 = base64url_encode((const unsigned char *)header, strlen(header));
	p64 = base64url_encode((const unsigned char *)payload, strlen(payload));
	free(payload);
	sb_addf(&input, "%s.%s", h64, p64);
	free(h64);
	free(p64);

	md = EVP_MD_CTX_new();
	if (!md)
		die("out of memory");
	ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	     EVP_DigestSign(md, NULL, &siglen, (unsigned char *)input.buf,
			    input.len) == 1;
	sig = xmalloc(siglen ? siglen : 1);
	ok = ok && EVP_DigestSign(md, sig, &siglen, (unsigned char *)input.buf,
				  input.len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok) {
		free(sig);
		sb_release(&input);
		raxx_fail(RAXX_EAPPCRED, "signing the App JWT failed: the private "
			  "key is unusable; re-download it");
		return NULL;
	}
	s64 = base64url_encode(sig, siglen);
	free(sig);
	out = xstrfmt("%s.%s", input.buf, s64);
	free(s64);
	sb_release(&input);
	return out;
}
