#ifndef RAXX_BROKER_CLIENT_H
#define RAXX_BROKER_CLIENT_H

/*
 * The client side of the token broker (DESIGN.md "Token broker"): when a
 * broker is in use, every token comes from it (token.h asks here), and
 * this process needs no vault identity at all.
 *
 * In use: RAXX_BROKER_SOCKET is set (whatever is there), or a socket
 * exists at the default path ($XDG_RUNTIME_DIR/git-credential-raxx/
 * broker.sock, else broker.sock in the cache directory). A broker that is
 * in use but does not answer is an error (RAXX_EVAULT, exit 2), never a
 * reason to mint here.
 *
 * The client works out its identity as always (identity.h: the trusted
 * inputs) and sends it: bot, where it came from, agent, handoff, repository
 * and the permissions from the trusted map, with its RAXX_GITHUB_API and
 * git host (the broker refuses another API base than its own) and its
 * RAXX_FALLBACK. The broker applies the grants, the handoff's manifest and
 * the fallback rules; when it decided a fallback, it is preset
 * (fallback_preset), fallback_decide() finds it and the caller carries it
 * out.
 *
 * Every exchange is one connection: the request, one answer, each ended by
 * a blank line (broker_wire.h), all within the deadline. This file links
 * neither libcurl nor OpenSSL: the gh shim asks the broker too.
 */

#include <stdint.h>

#include "identity/config.h"

struct token;
struct broker_msg;

#define BROKER_SOCKET_NAME "broker.sock"

/* The default socket path (fresh), NULL without any directory for it. */
char *broker_default_socket(void);

/*
 * The socket of the broker in use (fresh), or NULL: none, mint here.
 * *named (may be NULL) tells whether RAXX_BROKER_SOCKET named it.
 */
char *broker_socket_in_use(int *named);

/*
 * One exchange with the broker at path: req out, the answer into *ans
 * (empty before; release it after), before deadline_ms (monotonic; 0:
 * RAXX_TIMEOUT, default 30 s, from now). 0, or RAXX_EVAULT with the
 * message recorded (cannot connect, no answer in time, a malformed
 * answer).
 */
int broker_call(const char *path, const struct broker_msg *req,
		struct broker_msg *ans, int64_t deadline_ms);

/*
 * c->id's token (or, with bot, that bot's for its whole installation)
 * from the broker at path; RAXX_TOKEN_FOR's inherited token first, as
 * token.c does. 0 with out filled (release with token_release), or the
 * exit code of the failure with its message recorded; when the broker
 * decided a fallback, it is preset for fallback_decide.
 */
int broker_token(const char *path, const struct raxx_config *c,
		 const char *bot, int64_t deadline_ms, struct token *out);

/* c->id's cached token at the broker, from its memory alone (status):
 * 1 with out filled, else 0 (nothing recorded). */
int broker_peek(const char *path, const struct raxx_config *c,
		struct token *out);

/* erase: the broker forgets every token equal to password. The number
 * dropped (0 also when the broker cannot be reached: a warning says so). */
int broker_erase(const char *path, const struct raxx_config *c,
		 const char *password);

/* revoke c->id's bot's tokens held by the broker: 0, RAXX_ENOTHING, or
 * the failure's code, with the message recorded. */
int broker_revoke(const char *path, const struct raxx_config *c);

/* handoff revoke: the broker revokes at GitHub the tokens it holds for
 * handoff slug and forgets its manifest. The number revoked, or a
 * negative exit code (message recorded). */
int broker_revoke_handoff(const char *path, const struct raxx_config *c,
			  const char *slug);

/* The broker's own account of itself (action=status) into *ans:
 * 0 or RAXX_EVAULT (message recorded). */
int broker_status(const char *path, struct broker_msg *ans);

/* "option", "map"...: the wire's name of an identity's bot source, and back
 * (-1 for an unknown name). */
const char *broker_source_name(int source);
int broker_source_parse(const char *name);

#endif
