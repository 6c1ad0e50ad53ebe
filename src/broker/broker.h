#ifndef RAXX_BROKER_H
#define RAXX_BROKER_H

/*
 * `git-credential-raxx broker [--socket PATH]`: the token broker (DESIGN.md
 * "Token broker"), the one process of a host that holds the vault
 * identity, as ssh-agent holds keys; the agents' processes then hold none
 * (broker_client.h is their side).
 *
 * In the foreground, on a Unix socket (--socket, RAXX_BROKER_SOCKET, else
 * broker_default_socket()):
 *   - each peer's uid is checked (SO_PEERCRED, getpeereid): the broker's
 *     own uid may ask for any bot, other uids only for what
 *     RAXX_BROKER_UIDS grants them (broker_policy.h), anyone else is
 *     refused before a byte is read. Without RAXX_BROKER_UIDS the socket's
 *     directory is 0700 and the socket 0600; with it 0711 and 0666, and
 *     the uid check is the gate;
 *   - a request over 64 KiB, or not whole within BROKER_READ_MS, is
 *     dropped; malformed input is answered with an error and never stops
 *     the broker; at most BROKER_MAX_CONN connections are served at once,
 *     the rest wait in the listen queue;
 *   - the vault session, and each bot's App key for RAXX_BROKER_KEY_TTL
 *     seconds (default 3600; 0: fetched for every mint), live in guarded
 *     memory (sodium_malloc: locked, guard pages, no access while idle),
 *     wiped when their time is up, on SIGTERM/SIGINT and at exit; so a
 *     re-mint is one request to GitHub. Tokens are held in guarded memory
 *     too, single flight per (bot, scope): one mint, any number of
 *     waiters;
 *   - the client's identity is taken as the client worked it out (it
 *     comes from the client's trusted inputs), but the broker applies the
 *     grants, narrows a granted uid's permissions (broker_policy.h),
 *     checks a handoff against the vault's manifest itself, and decides
 *     the fallback (fallback.h) with its own RAXX_FALLBACK (a client may
 *     only make it stricter) and its own RAXX_OPERATOR_TOKEN, which goes to
 *     the broker's own uid only;
 *   - the broker mints only for its own RAXX_GITHUB_API and git host, with
 *     its own INFISICAL_HOST and RAXX_CA_BUNDLE: a request naming another
 *     API base is refused;
 *   - one line on stderr per request (uid, action, bot, repository,
 *     outcome; never a secret), and the audit log as for local mints;
 *   - SIGTERM/SIGINT/SIGHUP: stop accepting, finish the requests in
 *     flight, remove the socket, wipe, exit 0.
 * The process is not dumpable (harden_process: no core, no ptrace by the
 * same uid) and writes nothing secret to disk: killed, it loses its memory
 * and nothing else.
 */

#include "identity/config.h"

#define BROKER_MAX_CONN 256
#define BROKER_READ_MS 2000
#define BROKER_DEFAULT_KEY_TTL 3600
/* tokens held at once, every scope: past it, a new scope is refused */
#define BROKER_MAX_TOKENS 1024

extern const char broker_usage[];

/* argv[0] is "broker". Returns the exit status (0 after a clean stop). */
int broker_main(struct raxx_config *c, int argc, char **argv);

#endif
