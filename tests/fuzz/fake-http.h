#ifndef RAXX_FUZZ_FAKE_HTTP_H
#define RAXX_FUZZ_FAKE_HTTP_H

/*
 * The HTTP layer of the fuzz targets that read the vault's and GitHub's
 * answers (fake-http.c): src/services/http.c as it is, except that a client makes
 * no connection and http_request() answers from a script, the fuzzer's
 * input, in order. Nothing goes to the network.
 *
 * A script is a list of answers separated by a line "--":
 *
 *   STATUS                         decimal, e.g. 200; anything else (or
 *                                  no answer left): no HTTP answer at all,
 *                                  the client's failure (an outage)
 *   Name: value                    headers http.c keeps: Location, Date,
 *   ...                            Retry-After, Content-Type,
 *                                  X-RateLimit-Remaining,
 *                                  GitHub-Authentication-Token-Expiration
 *                                  (an empty line ends them)
 *   BODY                           up to the separator or the end
 *   --
 *   STATUS ...
 *
 * Every request is checked (a failure aborts with "invariant failed"):
 * its URL is under the base given to fake_http_reset() (credentials go
 * nowhere else) and holds no blank nor ASCII control character, and no header
 * holds a line break.
 */

#include <stddef.h>
#include <stdint.h>

/* The input of the targets built on this (vault, github): an operation
 * digit (op, 0 to nops - 1), a flags digit, an optional newline, then the
 * script. 0 when the input is too short, else 1 with the parts set. */
int fake_http_input(const uint8_t *data, size_t size, int nops, int *op,
		    int *flags, const char **script, size_t *len);

/* Start a new script (data is not copied: it must outlive the calls). */
void fake_http_reset(const char *base, const char *data, size_t len);
/* Requests made since the reset. */
int fake_http_requests(void);
/* The Authorization header of the last request ("" when none). */
const char *fake_http_last_auth(void);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

#endif
