#ifndef RAXX_BROKER_POLICY_H
#define RAXX_BROKER_POLICY_H

/*
 * Who may ask the broker for what (DESIGN.md "Token broker"). Pure: no
 * I/O, no environment.
 *
 * The broker's own uid may ask for any bot. Other uids only for the bots
 * RAXX_BROKER_UIDS grants them:
 *
 *   RAXX_BROKER_UIDS="1001:raxx-dev-bot 1002:raxx-dev-bot,raxx-ops-bot"
 *
 * entries separated by blanks (spaces, tabs, newlines); each UID:BOT[,BOT],
 * a decimal uid and bot names (bot_name_ok). A uid named twice, an empty
 * bot list, a bad uid or name: RAXX_EUSAGE with the entry named. An empty
 * value grants nothing (as unset). Anyone else is refused at the door.
 *
 * Permissions of a granted uid can only narrow, never widen: what such a
 * client sends is checked against the bot's permissions in the broker's
 * own trusted map (RAXX_BOT_MAP in the broker's environment) when that
 * map lists any: every permission asked must be there at the same or a
 * lower level, and without any asked for, the map's apply. Without a map
 * entry the client's permissions stand, which can only narrow the bot's
 * token (GitHub grants no more than the App has). The broker's own uid is
 * the operator: its client's permissions stand as the client resolved
 * them (the local rule: they narrow a repository token only).
 */

#include <stddef.h>

struct broker_grant {
	unsigned long uid;
	char **bots;
	size_t nr_bots;
};

struct broker_policy {
	struct broker_grant *grants;
	size_t nr;
};
#define BROKER_POLICY_INIT { NULL, 0 }

/* Parse spec (may be NULL: no grants) into p (empty before). 0, or
 * RAXX_EUSAGE with the message recorded (p left empty). */
int broker_policy_parse(struct broker_policy *p, const char *spec);
void broker_policy_release(struct broker_policy *p);

/* The grant of uid, or NULL. */
const struct broker_grant *broker_policy_grant(const struct broker_policy *p,
					       unsigned long uid);
/* Whether uid may connect at all: the owner, or a granted uid. */
int broker_policy_admits(const struct broker_policy *p, unsigned long owner,
			 unsigned long uid);
/* Whether uid may have bot's tokens. */
int broker_policy_allows(const struct broker_policy *p, unsigned long owner,
			 unsigned long uid, const char *bot);
/* "uid 1000 (the broker's own): any bot; uid 1001: raxx-dev-bot" (fresh). */
char *broker_policy_text(const struct broker_policy *p, unsigned long owner);

/* A permission as the wire carries it: "NAME:LEVEL". */
struct broker_perm {
	char *name;	/* [a-z_], 1..64 */
	char *level;	/* read | write | admin */
};

/* Parse "NAME:LEVEL"; 0 with out filled (fresh strings), or -1. */
int broker_perm_parse(const char *s, struct broker_perm *out);
void broker_perms_release(struct broker_perm *p, size_t nr);
/* read < write < admin; 0 for anything else. */
int broker_level_rank(const char *level);

/*
 * The permissions a granted uid's request gets: asked (nr_asked, may be 0)
 * against ceiling (the bot's permissions in the broker's map; nr_ceiling 0:
 * none known). 0 with *out / *nr_out fresh (the asked ones, or the
 * ceiling's when none were asked), or -1 with *bad naming the first
 * permission asked beyond the ceiling.
 */
int broker_perms_narrow(const struct broker_perm *asked, size_t nr_asked,
			const struct broker_perm *ceiling, size_t nr_ceiling,
			struct broker_perm **out, size_t *nr_out,
			const struct broker_perm **bad);

#endif
