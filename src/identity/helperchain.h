#ifndef RAXX_HELPERCHAIN_H
#define RAXX_HELPERCHAIN_H

/*
 * The credential helpers git asks, in order, for https://HOST from the
 * current directory: credential.helper and every credential.<url>.helper
 * whose URL applies to the host (git's own matching: scheme, host and port
 * exact, a '*' in the host as a glob, a path-scoped entry counted), an
 * empty value resetting the list. One `git config -z --show-origin` spawn,
 * read with gitcmd.h's parser; git's stderr is not passed on.
 */

#include <stddef.h>

struct helper {
	char *value;	/* as configured, e.g. "store --file=..." */
	char *origin;	/* the file it came from (or "command line:") */
};

/* The chain into *out (*nr entries; free with helpers_release). When an
 * empty entry dropped a raxx helper set before it, *dropped_by names it
 * (fresh), else NULL. Returns 0. */
int helper_chain(const char *host, struct helper **out, size_t *nr,
		 char **dropped_by);
void helpers_release(struct helper *h, size_t nr);

/* The program a helper value names: "store", "raxx", "cache" for
 * "store --file=x", "/usr/bin/git-credential-raxx", "!git credential-cache"
 * (fresh). */
char *helper_word(const char *value);
/* Whether the helper value names what ("raxx", "store", ...). */
int helper_is(const char *value, const char *what);

#endif
