/* Unit tests: base64url, PEM forms, and JWTs verified with OpenSSL. */
#define _POSIX_C_SOURCE 200809L
#include "services/jwt.h"
#include "base/json.h"
#include "base/util.h"
#include "tap.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

static char *pem_of(EVP_PKEY *k, int traditional)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (traditional)
		PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

/* The PEM with every newline written as the two characters '\' 'n'. */
static char *escaped(const char *pem)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *pem; pem++)
		if (*pem == '\n')
			sb_adds(&sb, "\\n");
		else
			sb_add(&sb, pem, 1);
	return sb_detach(&sb);
}

static struct json_object *part(const char *jwt, int idx)
{
	const char *p = jwt, *end;
	unsigned char *bin;
	size_t n;
	char *seg;
	struct json_object *o;

	while (idx-- > 0)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	seg = xstrndup(p, end ? (size_t)(end - p) : strlen(p));
	if (base64url_decode(seg, &bin, &n)) {
		free(seg);
		return NULL;
	}
	o = json_parse((char *)bin, n);
	free(bin);
	free(seg);
	return o;
}

static int verify(EVP_PKEY *pub, const char *jwt)
{
	const char *dot2 = strrchr(jwt, '.');
	unsigned char *sig;
	size_t siglen;
	EVP_MD_CTX *md;
	int ok;

	/* a flipped character may leave no valid base64url: not verified */
	if (!dot2 || base64url_decode(dot2 + 1, &sig, &siglen))
		return 0;
	md = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt,
			      (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

static void check_jwt(EVP_PKEY *pk, const char *pem, const char *label)
{
	struct jwt_key *k = jwt_key_load(pem, "/MooseQuest/test");
	struct json_object *h, *p;
	long long iat = 0, exp = 0;
	char *jwt, name[128];
	time_t now = 1700000000;

	snprintf(name, sizeof(name), "%s: key loads", label);
	if (!ok(k != NULL, "%s", name)) {
		printf("#   %s\n", raxx_errmsg());
		return;
	}
	jwt = jwt_sign(k, "3501352", now);
	ok(jwt && strspn(jwt, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789-_.") == strlen(jwt),
	   "%s: JWT is base64url without padding", label);
	h = part(jwt, 0);
	p = part(jwt, 1);
	is_str(json_str(h, "alg"), "RS256", "header alg is RS256");
	is_str(json_str(h, "typ"), "JWT", "header typ is JWT");
	is_str(json_str(p, "iss"), "3501352", "iss is the App ID");
	json_int(p, "iat", &iat);
	json_int(p, "exp", &exp);
	is_int(iat, now - 60, "iat is now - 60");
	is_int(exp, now + 540, "exp is now + 540 (9 minutes)");
	ok(exp - iat <= 600, "%s: exp - iat within 10 minutes", label);
	ok(verify(pk, jwt), "%s: signature verifies with the public key", label);
	jwt[strlen(jwt) - 3] ^= 1;
	ok(!verify(pk, jwt), "%s: a changed signature does not verify", label);
	json_object_put(h);
	json_object_put(p);
	free(jwt);
	jwt_key_free(k);
}

static void check_refused(const char *pem, const char *label, const char *needle)
{
	struct jwt_key *k;

	raxx_clear_error();
	k = jwt_key_load(pem, "/MooseQuest/test");
	ok(!k && raxx_errcode() == RAXX_EAPPCRED && strstr(raxx_errmsg(), needle),
	   "%s is refused (exit 3, says '%s')", label, needle);
	if (k)
		jwt_key_free(k);
	ok(!strstr(raxx_errmsg(), "MII"), "%s: message holds no key material", label);
}

int main(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
	char *pkcs1, *pkcs8, *esc, *crlf, *ecpem, *garbled;
	unsigned char bin[5] = { 0xfb, 0xff, 0x00, 0x3e, 0x3f }, *dec;
	char *enc, *j;
	size_t n, i;
	struct jwt_key *k;

	if (sodium_init() < 0)
		return 1;
	enc = base64url_encode(bin, sizeof(bin));
	is_str(enc, "-_8APj8", "base64url uses - and _ and no padding");
	ok(!base64url_decode(enc, &dec, &n) && n == 5 && !memcmp(dec, bin, 5),
	   "base64url round-trips");
	free(dec);
	free(enc);
	ok(base64url_decode("ab+/", &dec, &n) != 0, "standard base64 is refused");
	ok(base64url_decode("YQ==", &dec, &n) != 0, "padding is refused");

	pkcs1 = pem_of(pk, 1);
	pkcs8 = pem_of(pk, 0);
	ok(strstr(pkcs1, "BEGIN RSA PRIVATE KEY") != NULL, "PKCS#1 test key made");
	ok(strstr(pkcs8, "BEGIN PRIVATE KEY") != NULL, "PKCS#8 test key made");
	check_jwt(pk, pkcs1, "PKCS#1");
	check_jwt(pk, pkcs8, "PKCS#8");
	esc = escaped(pkcs1);
	check_jwt(pk, esc, "PKCS#1 with literal \\n");
	/* CRLF line ends, as a Windows editor would leave them */
	{
		struct strbuf sb = STRBUF_INIT;
		const char *p;

		for (p = pkcs8; *p; p++)
			*p == '\n' ? sb_adds(&sb, "\r\n") : sb_add(&sb, p, 1);
		crlf = sb_detach(&sb);
	}
	check_jwt(pk, crlf, "PKCS#8 with CRLF");

	check_refused("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
		      "-----END OPENSSH PRIVATE KEY-----\n", "an OpenSSH key", "OpenSSH");
	check_refused("not a key at all", "text without BEGIN", "not PEM");
	garbled = xstrdup(pkcs1);
	for (i = 40; i < 80; i++)
		garbled[i] = 'A';
	check_refused(garbled, "a corrupted PEM", "does not parse");
	ecpem = pem_of(ec, 0);
	check_refused(ecpem, "an EC key", "not an RSA key");

	k = jwt_key_load(pkcs1, "x");
	raxx_clear_error();
	j = jwt_sign(k, "12a", 1700000000);
	ok(!j && raxx_errcode() == RAXX_EAPPCRED, "a non-numeric APP_ID is refused");
	ok(strstr(raxx_errmsg(), "neither an App ID (a number) nor a client ID"),
	   "the message names both forms");
	j = jwt_sign(k, "", 1700000000);
	ok(!j, "an empty APP_ID is refused");
	j = jwt_sign(k, "Iv\"}", 1700000000);
	ok(!j, "an issuer that would break the JSON is refused");

	/* GitHub's recommended issuer: the client ID */
	j = jwt_sign(k, "Iv23liRaxxDevBot0001", 1700000000);
	{
		struct json_object *p = part(j, 1);

		is_str(json_str(p, "iss"), "Iv23liRaxxDevBot0001",
		       "a client ID (Iv23...) is signed as iss");
		json_object_put(p);
	}
	free(j);
	{
		static const struct { const char *iss; int ok; } cases[] = {
			{ "3501352", 1 }, { "Iv1.0123456789abcdef", 1 },
			{ "Iv23liAbCdEf01234567", 1 }, { "", 0 }, { "12a", 0 },
			{ "Iv", 0 }, { "Iv1.", 0 }, { "iv1.0123456789abcdef", 0 },
			{ "Iv1.0123 456789abcdef", 0 }, { "Iv23li\"x\"yz", 0 },
			{ "Iv23/../../x", 0 }, { "12345678901234567890123456789012", 0 },
		};
		size_t c;

		for (c = 0; c < sizeof(cases) / sizeof(*cases); c++)
			ok(jwt_issuer_ok(cases[c].iss) == cases[c].ok,
			   "issuer '%s' %s", cases[c].iss,
			   cases[c].ok ? "accepted" : "refused");
		ok(!jwt_issuer_ok(NULL), "no issuer refused");
	}
	is_str(jwt_issuer("3501352", "Iv23liAbCdEf01234567"), "Iv23liAbCdEf01234567",
	       "CLIENT_ID wins over APP_ID as the issuer");
	is_str(jwt_issuer("3501352", ""), "3501352", "an empty CLIENT_ID is no CLIENT_ID");
	is_str(jwt_issuer("3501352", NULL), "3501352", "APP_ID without CLIENT_ID");
	ok(jwt_issuer(NULL, NULL) == NULL, "neither: no issuer");
	jwt_key_free(k);

	free(pkcs1);
	free(pkcs8);
	free(esc);
	free(crlf);
	free(ecpem);
	free(garbled);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(ec);
	return done_testing();
}
