#ifndef RAXX_PROTOCOL_H
#define RAXX_PROTOCOL_H

/*
 * git's credential-helper protocol (git-credential(1)): "key=value" lines
 * up to a blank line or EOF, split at the first '=', lines end at LF.
 *
 * Refused (credential_parse fails, records RAXX_EUSAGE with a one-line
 * reason, and the caller answers nothing):
 *   - a NUL byte anywhere; a CR anywhere in a line (CVE-2024-52006);
 *   - a line longer than CREDENTIAL_MAX_LINE bytes, or more than
 *     CREDENTIAL_MAX_LINES lines, or more than CREDENTIAL_MAX_INPUT bytes;
 *   - a line without '=' (other than the terminating blank line), an
 *     empty key;
 *   - a repeated protocol, host, path or username line;
 *   - a missing protocol or host (CVE-2020-11008: never a wildcard) —
 *     checked by credential_check_complete(), not by the parser, since
 *     "store"/"erase" callers may decide differently.
 * Unknown keys are ignored. A last line without LF is accepted. Input
 * after the blank line is ignored.
 */

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CREDENTIAL_MAX_LINE (64 * 1024)
#define CREDENTIAL_MAX_LINES 1024
#define CREDENTIAL_MAX_INPUT (1024 * 1024)

struct credential {
	char *protocol;
	char *host;
	char *path;
	char *username;
	char *password;		/* secret: wiped on release */
};
#define CREDENTIAL_INIT { NULL, NULL, NULL, NULL, NULL }

/* Parse len bytes of buf. Returns 0, or RAXX_EUSAGE with the error set. */
int credential_parse(struct credential *c, const char *buf, size_t len);

/*
 * Read the whole request from in (stops at a blank line or EOF, never
 * reads more than CREDENTIAL_MAX_INPUT) and parse it. Returns as
 * credential_parse, or RAXX_EUSAGE on a read error.
 * Reads with read(2) on fileno(in), so that no copy of the password is
 * left in a stdio buffer (fread only when in has no descriptor): input
 * already buffered in in by stdio is not seen. A request not complete by
 * deadline_ms (monotonic, now_ms(); 0: none) is refused (RAXX_EUSAGE).
 */
int credential_read(struct credential *c, FILE *in, int64_t deadline_ms);

/* 0 when protocol and host are both present, else RAXX_EUSAGE + error. */
int credential_check_complete(const struct credential *c);

void credential_release(struct credential *c);

/*
 * Host match as git's helpers need it: exact, ASCII case-insensitive,
 * port included, an explicit ":443" equal to no port. Returns 1 on match.
 * Anything odd (empty, '/', '@', spaces, control bytes) never matches.
 */
int credential_host_matches(const char *host, const char *configured);

/*
 * From path "OWNER/REPO" or "OWNER/REPO.git" (a leading '/' tolerated),
 * set *owner_repo to a fresh "OWNER/REPO". Returns 0, or -1 when path is
 * not of that shape (extra segments, empty parts, odd characters) — then
 * *owner_repo is NULL. OWNER and REPO hold only [A-Za-z0-9._-].
 */
int credential_repo(const char *path, char **owner_repo);

/*
 * Write the answer git reads: username, password and, when expiry > 0,
 * password_expiry_utc, each on its own line, in one write at the end.
 * Returns 0, or RAXX_EGITHUB when a value holds CR, LF or NUL (nothing
 * is written then), or RAXX_EINTERNAL on a write error.
 */
int credential_write(FILE *out, const char *username, const char *password,
		     time_t expiry);

/* Write "quit=1\n" (git stops asking helpers). */
int credential_write_quit(FILE *out);

#endif
