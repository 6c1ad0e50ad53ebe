#ifndef RAXX_FALLBACK_H
#define RAXX_FALLBACK_H

/*
 * What to do when no token could be had: one decision, made here, that
 * `get`, `exec` and the gh shim only carry out (DESIGN.md "Trust").
 *
 *   - No bot at all (and no handoff): nothing to act as, never the
 *     operator's token: ANSWER_NOTHING, or REFUSE under deny.
 *   - A handoff worktree never falls back: REFUSE.
 *   - A refusal never falls back to the operator's token: vault 401, 403,
 *     404; GitHub 401, 403, 404, 422; missing keys; a TLS verification
 *     failure; a handoff refusal; an unusable answer; and any failure for
 *     a bot that came from the agent map. Under RAXX_FALLBACK=pat that is
 *     REFUSE (git stops, the command does not run); pass and deny are as
 *     configured.
 *   - An outage (raxx_err_outage(): cannot connect, DNS, timeout, 5xx or
 *     429 after the retries, a lock held past the deadline) follows
 *     RAXX_FALLBACK: pat uses RAXX_OPERATOR_TOKEN (PASS without one),
 *     pass and deny as named.
 * token.h has already served a cached token that still lives a minute,
 * when there was one, so an outage reaches this point only without it.
 * When the token came from a broker, the broker has decided (this same
 * function, in the broker, with its policy and its RAXX_OPERATOR_TOKEN):
 * fallback_decide returns that decision.
 */

#include "identity/config.h"

enum fallback_action {
	FALLBACK_USE_PAT,	/* the operator's token, loudly */
	FALLBACK_ANSWER_NOTHING,	/* git asks its next helper; exec runs as is */
	FALLBACK_REFUSE,	/* git: quit=1; exec: do not run */
};

struct fallback_decision {
	enum fallback_action action;
	const char *pat;	/* USE_PAT: the token (the environment's) */
	int code;		/* the failure's exit code */
	char why[256];		/* why this action, for the warning */
};

/*
 * A decision already taken for the failure coded code (the token
 * broker's, with its rules and its PAT: broker_client.c): fallback_decide
 * returns it, once, while that failure is the one recorded. pat (or NULL)
 * is copied; the copy, d->pat of that decision, lives until the next
 * fallback_preset or fallback_preset_clear.
 */
void fallback_preset(int code, enum fallback_action action, const char *pat,
		     const char *why);
void fallback_preset_clear(void);

/* Decide for the failure recorded now (raxx_errcode(), raxx_err_outage())
 * of c->id. Pure: prints nothing. */
void fallback_decide(const struct raxx_config *c, struct fallback_decision *d);

/*
 * Say it loudly (a warning, or an error for REFUSE) naming the failure,
 * the action and why; audit a fallback (the operator token, or the
 * command's own credentials). cmd: the command exec runs ("gh"), or
 * NULL for git's get.
 */
void fallback_announce(const struct raxx_config *c,
		       const struct fallback_decision *d, const char *cmd);

#endif
