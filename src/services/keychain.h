#ifndef RAXX_KEYCHAIN_H
#define RAXX_KEYCHAIN_H

/*
 * Reading one secret from the operator's OS keychain by service name, the
 * way the session-bootstrap runbook stores them:
 *   macOS:      security find-generic-password -s NAME -w
 *   elsewhere:  secret-tool lookup service NAME     (libsecret)
 * The tool runs with stdin from /dev/null, its stderr discarded, and is
 * killed when it has not answered within timeout_ms (a keychain that
 * prompts for Touch ID would otherwise hang an unattended run).
 */

#include <stddef.h>

enum keychain_result {
	KEYCHAIN_FOUND,		/* *value set (secret: free with free_secret) */
	KEYCHAIN_ABSENT,	/* the tool ran and has no such entry */
	KEYCHAIN_NO_TOOL,	/* no keychain tool on this system */
	KEYCHAIN_ERROR,		/* the tool failed or timed out: see why */
};

/* The tool this system uses ("security" or "secret-tool"). */
const char *keychain_tool(void);

enum keychain_result keychain_lookup(const char *service, long timeout_ms,
				     char **value, char *why, size_t n);

/* The command that stores a new value under service, for fix lines
 * (NEW_VALUE as a placeholder). Fresh string. */
char *keychain_store_command(const char *service);

#endif
