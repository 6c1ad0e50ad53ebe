#ifndef RAXX_UTIL_H
#define RAXX_UTIL_H

/*
 * Small shared pieces: exit codes, the error slot, allocation that never
 * returns NULL, a capped growable buffer, and secret-safe helpers.
 *
 * Error convention: a failing function records one message with
 * raxx_fail(CODE, fmt, ...) and returns CODE (a positive exit code from
 * the table below). Only main() turns it into an exit status and prints
 * it. Messages: lower case, no full stop, the failing thing first, the
 * operator's next step last, never a secret value.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* system headers first: banned.h must come after their definitions */
#include "banned.h"

/* The Makefile passes the version (src/version.sh); this is for a build
 * without it: the next release, as src/version.sh --base prints it. */
#ifndef RAXX_VERSION
#define RAXX_VERSION "0.2.0"
#endif

enum raxx_code {
	RAXX_OK = 0,
	RAXX_EINTERNAL = 1,	/* internal error */
	RAXX_EVAULT = 2,	/* vault trouble, or no bot */
	RAXX_EAPPCRED = 3,	/* GitHub refused the App credentials, or bad key */
	RAXX_ESECRETS = 4,	/* bot secrets lack keys */
	RAXX_ENOINST = 5,	/* installation not found */
	RAXX_EGITHUB = 6,	/* GitHub unreachable / unusable answer */
	RAXX_ENOTHING = 8,	/* revoke: nothing to revoke */
	RAXX_EHANDOFF = 9,	/* handoff refused */
	RAXX_EUSAGE = 64,	/* usage */
};

#define RAXX_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Record the current failure; returns code. A later call replaces it.
 * The slot is the calling thread's own. */
int raxx_fail(int code, const char *fmt, ...) RAXX_PRINTF(2, 3);
/*
 * The same for an outage: the service could not be reached or did not
 * answer usefully in time (cannot connect, DNS, timeout, HTTP 5xx or 429
 * after the retries, a lock held past the deadline). Only an outage may
 * ever be answered with the operator's token (fallback.h); everything
 * recorded with raxx_fail is a refusal.
 */
int raxx_fail_outage(int code, const char *fmt, ...) RAXX_PRINTF(2, 3);
/* raxx_fail for an HTTP answer of status: an outage when it is 5xx or
 * 429 (the retries are over), else a refusal. */
int raxx_fail_http(long status, int code, const char *fmt, ...) RAXX_PRINTF(3, 4);
/* The recorded message ("" if none) and code (0 if none). */
const char *raxx_errmsg(void);
int raxx_errcode(void);
/* Whether the recorded failure is an outage. */
int raxx_err_outage(void);
void raxx_clear_error(void);

/*
 * Every message of the program reaches the terminal through one sink:
 * "raxx: PREFIX MESSAGE\n" in one write, the message passed through
 * sanitize_text() first, so no call site has to remember that outside
 * text (a vault value, a server message, a request field) may hold
 * control sequences.
 */
void sink_vprintf(FILE *f, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* A report line on stdout (doctor, handoff verify), sanitized likewise,
 * without the "raxx: " prefix; a newline is added. */
void out_line(const char *fmt, ...) RAXX_PRINTF(1, 2);
/* The same on stderr, for progress shown in the runbooks' shape. */
void err_line(const char *fmt, ...) RAXX_PRINTF(1, 2);

/* Print "raxx: warning: ..." / "raxx: error: ..." on stderr. */
void warning(const char *fmt, ...) RAXX_PRINTF(1, 2);
void error_msg(const char *fmt, ...) RAXX_PRINTF(1, 2);
/* An internal bug or out of memory: print and exit 1. */
_Noreturn void die(const char *fmt, ...) RAXX_PRINTF(1, 2);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xstrfmt(const char *fmt, ...) RAXX_PRINTF(1, 2);

/*
 * A growable buffer, always NUL-terminated. With cap > 0, growing past
 * cap bytes fails (sb_add returns -1 and sets overflow) instead of eating
 * memory: every buffer filled from the network has a cap. With secret set,
 * the old storage is wiped before it is freed on growth and release.
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap;
	unsigned secret:1;
	unsigned overflow:1;
};
#define STRBUF_INIT { NULL, 0, 0, 0, 0, 0 }

int sb_add(struct strbuf *sb, const void *data, size_t n);
int sb_adds(struct strbuf *sb, const char *s);
int sb_addf(struct strbuf *sb, const char *fmt, ...) RAXX_PRINTF(2, 3);
void sb_reset(struct strbuf *sb);
/* Wipes (when secret) and frees; the strbuf may be reused after. */
void sb_release(struct strbuf *sb);
/* Hands the buffer to the caller (never NULL) and resets sb. */
char *sb_detach(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);

/* Wipe and free a C string holding a secret; accepts NULL. */
void free_secret(char *s);
/* Constant-time equality of two strings (length leaks, content does not). */
int secret_equal(const char *a, const char *b);

/*
 * Copy s into out (size n) with every control character and non-ASCII
 * byte replaced by '?', so that nothing a server says can drive the
 * terminal. Returns out.
 */
char *sanitize(char *out, size_t n, const char *s);
/*
 * In place: every control character (C0, DEL, and C1 in UTF-8) and every
 * byte that is not part of valid UTF-8 becomes '?'. Printable UTF-8 (the
 * "..." of a redacted value) stays. The sink applies it to every message.
 */
void sanitize_text(char *s);

/* A bot or agent name: [A-Za-z0-9._-], 1-100 bytes, not starting with
 * '.' or '-' (it becomes part of vault paths and file names). */
int bot_name_ok(const char *s);

/* Parse a whole decimal number within [min, max]; 0 on success. */
int parse_long(const char *s, long min, long max, long *out);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (UTC, fraction allowed); 0 on success. */
int parse_iso8601(const char *s, time_t *out);
/* Parse an RFC 7231 HTTP date; 0 on success. */
int parse_http_date(const char *s, time_t *out);
/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void format_iso8601(time_t t, char *out, size_t n);

/*
 * Base64 (standard alphabet, whitespace ignored, final padding) decoded
 * and appended to out. A plain table decoder, for public data only:
 * libsodium's constant-time one costs some 80 instructions a byte, too
 * much for a CA bundle on every mint. 0, or -1 on anything else.
 */
int base64_decode(const char *s, size_t n, struct strbuf *out);

/* Environment value, NULL when unset or empty. */
const char *env_get(const char *name);
/* Wall clock, and a monotonic clock in milliseconds. */
time_t now_seconds(void);
int64_t now_ms(void);

/* poll(2) fd for events until deadline (now_ms() time), through EINTR:
 * poll's answer, 0 when the deadline passed. */
int poll_until(int fd, short events, int64_t deadline);

#endif
