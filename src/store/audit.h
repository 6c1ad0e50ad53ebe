#ifndef RAXX_AUDIT_H
#define RAXX_AUDIT_H

/*
 * The audit log: audit.log in the state directory (store.h
 * state_dir_path(): RAXX_STATE_DIR, else
 * $XDG_STATE_HOME/git-credential-raxx, else
 * ~/.local/state/git-credential-raxx), a private 0700 directory
 * (private_dir_open), the file opened with store_open_write. One JSON
 * object a line, written whole with one append, file mode 0600 (read back
 * by auditlog.h):
 *
 *   {"time":"2026-11-22T08:00:00Z","event":"mint","bot":"raxx-dev-bot",
 *    "agent":null,"host":"github.com","repo":null,
 *    "fingerprint":"1f2e3d4c5b6a","expires_at":"2026-11-22T09:00:00Z",
 *    "pid":4242,"reason":null}
 *
 * event: mint | reuse | fallback | erase | revoke | fail. Never a secret:
 * a token appears only as its fingerprint, the first 12 hex digits of its
 * BLAKE2b-256 hash (`printf %s "$TOKEN" | b2sum -l 256 | cut -c1-12`).
 * Strings are escaped by hand (no json-c on the warm path); bytes outside
 * printable ASCII become '?' or \u00XX.
 *
 * At AUDIT_MAX_SIZE the log is renamed to audit.log.1 (replacing the one
 * before) and a new one begun. Logging never fails the caller: a log that
 * cannot be written (read-only, full, a symlink) is warned about once per
 * process.
 */

#include <time.h>

#define AUDIT_MAX_SIZE (10L * 1024 * 1024)
#define AUDIT_FP_LEN 12

struct audit_event {
	const char *event;	/* mint | reuse | fallback | erase | revoke | fail */
	const char *bot;	/* may be NULL (and agent, host, repo, reason) */
	const char *agent;
	const char *host;
	const char *repo;
	const char *token;	/* only its fingerprint is written; may be NULL */
	time_t expires_at;	/* 0: none */
	const char *reason;
};

/* Append one event. */
void audit_write(const struct audit_event *e);
/* The fingerprint of token: AUDIT_FP_LEN hex digits into out. */
void audit_fingerprint(const char *token, char out[AUDIT_FP_LEN + 1]);

#endif
