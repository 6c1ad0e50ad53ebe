/*
 * The fallback decision: the contract is in fallback.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "fallback.h"
#include "store/audit.h"
#include "identity/identity.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>

/* A decision taken elsewhere, for one failure (fallback_preset). */
static struct {
	int have;
	int code;
	enum fallback_action action;
	char *pat;
	char why[256];
} preset;

void fallback_preset(int code, enum fallback_action action, const char *pat,
		     const char *why)
{
	fallback_preset_clear();
	preset.code = code;
	preset.action = action;
	preset.pat = pat ? xstrdup(pat) : NULL;
	snprintf(preset.why, sizeof(preset.why), "%s", why);
	preset.have = 1;
}

void fallback_preset_clear(void)
{
	free_secret(preset.pat);
	memset(&preset, 0, sizeof(preset));
}

/* The preset decision, once, while its failure is the one recorded. */
static int preset_take(struct fallback_decision *d)
{
	if (!preset.have || preset.code != raxx_errcode())
		return 0;
	memset(d, 0, sizeof(*d));
	d->action = preset.action;
	d->pat = preset.pat;
	d->code = preset.code;
	snprintf(d->why, sizeof(d->why), "%s", preset.why);
	preset.have = 0;
	return 1;
}

void fallback_decide(const struct raxx_config *c, struct fallback_decision *d)
{
	const struct identity *id = c->id;
	const char *pat = env_get("RAXX_OPERATOR_TOKEN");
	int outage = raxx_err_outage();

	/* the token broker decided already, with its rules and its PAT */
	if (preset_take(d))
		return;
	memset(d, 0, sizeof(*d));
	d->code = raxx_errcode() ? raxx_errcode() : RAXX_EINTERNAL;
	if (!id || (!id->bot && !id->handoff)) {
		/* nobody to act as: the operator's token would be no fallback
		 * but a silent identity; the command runs as it is, or not */
		d->action = c->fallback == FALLBACK_DENY ? FALLBACK_REFUSE :
			FALLBACK_ANSWER_NOTHING;
		snprintf(d->why, sizeof(d->why), "no bot here%s",
			 c->fallback == FALLBACK_DENY ? ", RAXX_FALLBACK=deny" : "");
		return;
	}
	if (id->handoff) {
		d->action = FALLBACK_REFUSE;
		snprintf(d->why, sizeof(d->why), "a handoff worktree never falls "
			 "back to the operator token, whatever raxx.fallback says");
		return;
	}
	switch (c->fallback) {
	case FALLBACK_DENY:
		d->action = FALLBACK_REFUSE;
		snprintf(d->why, sizeof(d->why), "RAXX_FALLBACK=deny");
		return;
	case FALLBACK_PASS:
		d->action = FALLBACK_ANSWER_NOTHING;
		snprintf(d->why, sizeof(d->why), "RAXX_FALLBACK=pass");
		return;
	case FALLBACK_PAT:
		break;
	}
	if (id->source == BOT_MAP) {
		/* the map is read from a ref an agent could move: it must
		 * never lead to the operator's token */
		d->action = FALLBACK_REFUSE;
		snprintf(d->why, sizeof(d->why), "the bot came from the agent map, "
			 "and such a bot never falls back to the operator token: "
			 "pin it with 'git-credential-raxx setup' (raxx.bot) to "
			 "allow the fallback in an outage");
	} else if (!outage) {
		d->action = FALLBACK_REFUSE;
		snprintf(d->why, sizeof(d->why), "a refusal, not an outage: "
			 "RAXX_FALLBACK=pat uses the operator token only when a "
			 "service cannot be reached");
	} else if (pat) {
		d->action = FALLBACK_USE_PAT;
		d->pat = pat;
		snprintf(d->why, sizeof(d->why), "RAXX_FALLBACK=pat");
	} else {
		d->action = FALLBACK_ANSWER_NOTHING;
		snprintf(d->why, sizeof(d->why), "RAXX_OPERATOR_TOKEN unset, so "
			 "RAXX_FALLBACK=pat acts as pass");
	}
}

void fallback_announce(const struct raxx_config *c,
		       const struct fallback_decision *d, const char *cmd)
{
	const struct identity *id = c->id;
	const char *bot = id && id->bot ? id->bot : "(no bot)";
	struct audit_event ev = { 0 };
	char reason[300];

	ev.event = "fallback";
	ev.bot = id ? id->bot : NULL;
	ev.agent = id ? id->agent : NULL;
	ev.host = c->host;
	ev.repo = id ? id->repo : NULL;
	switch (d->action) {
	case FALLBACK_USE_PAT:
		if (!cmd)
			warning("minting for %s failed (exit %d): %s; falling back "
				"to the operator token RAXX_OPERATOR_TOKEN "
				"(RAXX_FALLBACK=pat): this acts as you, not the bot",
				bot, d->code, raxx_errmsg());
		else
			warning("minting for %s failed (exit %d): %s; running %s "
				"with the operator token RAXX_OPERATOR_TOKEN "
				"(RAXX_FALLBACK=pat): it acts as you, not the bot",
				bot, d->code, raxx_errmsg(), cmd);
		/* the failure itself is the "fail" event just before this one */
		snprintf(reason, sizeof(reason), "%sRAXX_FALLBACK=pat: the "
			 "operator token", cmd ? "exec, " : "");
		ev.token = d->pat;
		ev.reason = reason;
		audit_write(&ev);
		return;
	case FALLBACK_ANSWER_NOTHING:
		if (!cmd) {
			warning("minting for %s failed (exit %d): %s; answering "
				"nothing (%s)", bot, d->code, raxx_errmsg(), d->why);
			return;
		}
		warning("minting for %s failed (exit %d): %s; running %s with its "
			"own credentials, not the bot's (%s)", bot, d->code,
			raxx_errmsg(), cmd, d->why);
		snprintf(reason, sizeof(reason), "exec, %s: the command's own "
			 "credentials", d->why);
		ev.reason = reason;
		audit_write(&ev);
		return;
	case FALLBACK_REFUSE:
		if (id && id->handoff) {
			error_msg("handoff '%s': no token (exit %d): %s; %s%s: %s",
				  id->handoff, d->code, raxx_errmsg(),
				  cmd ? "not running " : "answering git quit=1",
				  cmd ? cmd : "", d->why);
			ev.event = "fail";
			ev.reason = "handoff worktree: the fallback to the "
				"operator token refused";
			audit_write(&ev);
		} else if (c->fallback == FALLBACK_DENY) {
			error_msg("minting for %s failed (exit %d): %s; %s%s (%s)",
				  bot, d->code, raxx_errmsg(),
				  cmd ? "not running " : "refusing", cmd ? cmd : "",
				  d->why);
		} else {
			error_msg("minting for %s failed (exit %d): %s; %s%s: %s",
				  bot, d->code, raxx_errmsg(),
				  cmd ? "not running " : "refusing, answering git "
				  "quit=1", cmd ? cmd : "", d->why);
		}
		return;
	}
}
