#ifndef RAXX_PROCESS_H
#define RAXX_PROCESS_H

/*
 * What the caller's process settings were, and the hardening that
 * replaces them: no core dumps (they would hold tokens and keys), umask
 * 077, no SSLKEYLOGFILE (libcurl would write TLS session keys to disk),
 * SIGPIPE ignored (a reader gone away is an error to report).
 */

#include <sys/resource.h>
#include <sys/types.h>

struct process_settings {
	mode_t umask;
	int have_core;		/* core holds the caller's core-size limit */
	struct rlimit core;
};

/* Harden this process, keeping the caller's umask and core limit in saved. */
void process_harden(struct process_settings *saved);

/* Give a command about to be exec'd the caller's umask, core limit and
 * SIGPIPE back. */
void process_restore(const struct process_settings *saved);

#endif
