/*
 * This process's hardening, and the caller's settings given back to a
 * command run in its place: the contract is in process.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "process.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

void process_harden(struct process_settings *saved)
{
	struct rlimit rl = { 0, 0 };

	/*
	 * A core dump would hold tokens and keys. Only the soft limit is
	 * lowered when the hard one is known, so that `exec` can give the
	 * command the caller's limit back (a lowered hard limit is for good).
	 */
	if (!getrlimit(RLIMIT_CORE, &saved->core)) {
		saved->have_core = 1;
		rl.rlim_max = saved->core.rlim_max;
	}
	setrlimit(RLIMIT_CORE, &rl);
#ifdef __linux__
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	saved->umask = umask(077);
	/* it would make libcurl write TLS session keys to disk */
	unsetenv("SSLKEYLOGFILE");
	/* a reader gone away (git, a pipe to head) is an error to report,
	 * not a reason to die */
	signal(SIGPIPE, SIG_IGN);
}

void process_restore(const struct process_settings *o)
{
	signal(SIGPIPE, SIG_DFL);	/* ignored here, never for the command */
	umask(o->umask);
	if (o->have_core && setrlimit(RLIMIT_CORE, &o->core))
		trace("exec: cannot restore the core-size limit: %s",
		      strerror(errno));
}
