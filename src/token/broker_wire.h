#ifndef RAXX_BROKER_WIRE_H
#define RAXX_BROKER_WIRE_H

/*
 * The token broker's wire format (DESIGN.md "Token broker"; the man page,
 * BROKER, lists every key). Pure: messages are parsed from and formatted
 * into buffers, no I/O.
 *
 * A message is "key=value" lines, like git's credential protocol, ended by
 * a blank line:
 *
 *   version=1
 *   action=token
 *   bot=raxx-dev-bot
 *   permission=contents:write
 *   permission=pull_requests:write
 *   <blank line>
 *
 *   - a line ends at LF; a CR or a NUL anywhere makes the message malformed
 *     (a line end is never part of a value, so no value can smuggle one);
 *   - a key is 1 to BROKER_MAX_KEY bytes of [a-z0-9_], starting with a
 *     letter; the value is everything after the first '=' (it may be empty,
 *     and may hold '=');
 *   - a key appears once, except the repeatable ones ("permission",
 *     "warning"); unknown keys are kept (the reader ignores them);
 *   - a message, its blank line included, is at most BROKER_MAX_MSG bytes
 *     and BROKER_MAX_FIELDS lines.
 */

#include <stddef.h>

#define BROKER_WIRE_VERSION "1"
#define BROKER_MAX_MSG (64 * 1024)
#define BROKER_MAX_FIELDS 64
#define BROKER_MAX_KEY 32

struct broker_field {
	char *key;
	char *value;	/* may be a secret: wiped on release */
};

struct broker_msg {
	struct broker_field *f;
	size_t nr, alloc;
};
#define BROKER_MSG_INIT { NULL, 0, 0 }

/*
 * How much of buf[0..len) the first message takes, its blank line
 * included: > 0 when it is all there, 0 when more must be read, -1 when it
 * can never become a message (a NUL or a CR in it, or BROKER_MAX_MSG bytes
 * without its end). Lets a reader refuse a flood early.
 */
long broker_msg_end(const char *buf, size_t len);

/*
 * Parse buf[0..len), exactly one message with its blank line (as
 * broker_msg_end measured), into m (empty before; release it after, on
 * failure too). 0, or -1 with *why set (a static phrase: "a line without
 * '='", "a repeated key 'bot'"...).
 */
int broker_msg_parse(struct broker_msg *m, const char *buf, size_t len,
		     const char **why);

/* The value of key (the first, for a repeatable one), or NULL. */
const char *broker_msg_get(const struct broker_msg *m, const char *key);
/* The values of a key in order: the i-th (from 0), or NULL past the last. */
const char *broker_msg_nth(const struct broker_msg *m, const char *key, size_t i);

/*
 * Add key=value (copied). -1 when it cannot be sent: a bad key, a value
 * holding LF, CR or NUL... (value NULL: nothing added, 0).
 */
int broker_msg_add(struct broker_msg *m, const char *key, const char *value);
int broker_msg_addf(struct broker_msg *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The message as it goes on the wire, blank line included, appended to
 * sb (make it a secret strbuf when a value is one). -1 when it would
 * exceed BROKER_MAX_MSG or BROKER_MAX_FIELDS.
 */
struct strbuf;
int broker_msg_format(const struct broker_msg *m, struct strbuf *sb);

/* Wipe every value and free; m may be reused after. */
void broker_msg_release(struct broker_msg *m);

/* Whether a key may repeat. */
int broker_key_repeatable(const char *key);

#endif
