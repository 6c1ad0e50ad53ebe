#ifndef RAXX_JWT_H
#define RAXX_JWT_H

/*
 * The GitHub App JWT: RS256 (RSASSA-PKCS1-v1_5, SHA-256) over
 * {"alg":"RS256","typ":"JWT"} . {"iat":now-60,"exp":now+540,"iss":ISSUER},
 * each part base64url without padding. "now" is the caller's idea of
 * GitHub's clock (local time plus a measured offset). The issuer is the
 * App's client ID (GitHub's recommendation: "Iv1." and 16 hex digits, or
 * "Iv23..." for newer Apps) or its numeric App ID (all that GHES 3.13 and
 * older know).
 */

#include <stddef.h>
#include <time.h>

struct jwt_key;

/*
 * Parse an RSA private key from PEM text: PKCS#1 ("BEGIN RSA PRIVATE
 * KEY") or PKCS#8 ("BEGIN PRIVATE KEY"); literal "\n" sequences (as
 * secret stores often keep them) count as newlines; surrounding blanks
 * and CRLF line ends are fine. Returns NULL with RAXX_EAPPCRED recorded
 * (an OpenSSH key, a non-RSA key, garbage: the message says which, never
 * any of the key).
 */
struct jwt_key *jwt_key_load(const char *pem, const char *where);
void jwt_key_free(struct jwt_key *k);

/* Sign a JWT for iss=app_id (an App ID or client ID) at GitHub-time now.
 * Returns a fresh string (free with free()) or NULL with RAXX_EAPPCRED
 * recorded. */
char *jwt_sign(struct jwt_key *k, const char *app_id, time_t now);

/* An acceptable issuer: a numeric App ID, or a client ID ("Iv" and then
 * letters, digits and '.', 6 to 64 characters in all). */
int jwt_issuer_ok(const char *iss);
/* The issuer from a bot's secrets: CLIENT_ID when present (GitHub's
 * recommendation), else APP_ID (which may hold a client ID too). */
const char *jwt_issuer(const char *app_id, const char *client_id);

/* base64url without padding of n bytes (fresh string). */
char *base64url_encode(const unsigned char *data, size_t n);
/* Decode base64url (no padding); returns 0 and a fresh buffer, or -1. */
int base64url_decode(const char *s, unsigned char **out, size_t *outlen);

#endif
