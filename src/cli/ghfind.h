#ifndef RAXX_GHFIND_H
#define RAXX_GHFIND_H

/*
 * Finding the real gh past the shim (how PATH entries are skipped is told
 * in ghexec.h). Free of libcurl and OpenSSL: the compiled shim links it.
 */

/* "PID:DIR:DIR...": the shim directories this pid has passed through */
#define GH_CHAIN_ENV "RAXX_GH_SHIM_CHAIN"

/* Exit codes of exec's own, beyond the DESIGN.md table (as the shell's). */
#define RAXX_ECANNOTRUN 126	/* the command exists but cannot be run */
#define RAXX_ENOTFOUND 127	/* the command, or a real gh, not found */

/*
 * The real gh for the shim at shim_path (NULL: no shim to skip): RAXX_GH,
 * else the first executable `gh` in PATH that is not the shim and not in a
 * directory of chain (a RAXX_GH_SHIM_CHAIN value, or NULL). Returns a
 * malloc'd path, or NULL with RAXX_ENOTFOUND recorded. On success, *chain_out
 * gets the RAXX_GH_SHIM_CHAIN value to export before the exec (malloc'd).
 */
char *find_real_gh(const char *shim_path, const char *chain, char **chain_out);

#endif
