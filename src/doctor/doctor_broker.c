/*
 * doctor with a token broker in use: the `broker` check (reachable, its
 * uid policy, how many keys and tokens it holds: counts, never values),
 * and the mint check through the broker. The vault checks do not apply:
 * this process holds no vault identity, the broker does.
 */
#define _POSIX_C_SOURCE 200809L
#include "doctor_broker.h"
#include "token/broker_client.h"
#include "token/broker_wire.h"
#include "doctor_report.h"
#include "identity/identity.h"
#include "token/token.h"
#include "base/util.h"

#include <unistd.h>

/* A field of the broker's answer, "?" when it gave none. */
static const char *field(const struct broker_msg *m, const char *key)
{
	const char *v = broker_msg_get(m, key);

	return v ? v : "?";
}

static const char *const vault_checks[] = {
	"infisical-env", "cf-access", "vault-login",
};
static const char *const app_checks[] = {
	"bot-secrets", "app-key", "installation",
};

int doctor_broker_begin(struct doctor *d, struct raxx_config *c, char **sock)
{
	struct broker_msg ans = BROKER_MSG_INIT;
	char uid[32];
	size_t i;
	int named, ok;

	if (!(*sock = broker_socket_in_use(&named)))
		return 0;
	doctor_begin_check(d);
	ok = !broker_status(*sock, &ans);
	snprintf(uid, sizeof(uid), "%ld", (long)geteuid());
	if (!ok)
		doctor_report(d, "broker", DOCTOR_FAIL, named ?
			      "start the broker (git-credential-raxx broker, or its "
			      "systemd unit or launchd agent), or unset "
			      "RAXX_BROKER_SOCKET" : "start the broker, or remove the "
			      "stale socket", "%s", raxx_errmsg());
	else if (strcmp(field(&ans, "api"), c->api))
		doctor_report(d, "broker", DOCTOR_FAIL, "set RAXX_GITHUB_API (or "
			      "raxx.githubApi) as the broker has it, or use a broker "
			      "of this API", "%s mints for %s, not for this "
			      "worktree's %s", *sock, field(&ans, "api"), c->api);
	else
		doctor_report(d, "broker", DOCTOR_PASS, NULL, "%s answers: pid %s, "
			      "uid %s%s; %s; %s App keys and %s tokens held, keys "
			      "for %s s; vault session %s", *sock, field(&ans, "pid"),
			      field(&ans, "uid"), strcmp(field(&ans, "uid"), uid) ?
			      " (another user's)" : "", field(&ans, "policy"),
			      field(&ans, "keys_held"), field(&ans, "tokens_held"),
			      field(&ans, "key_ttl"), field(&ans, "vault_session"));
	for (i = 0; i < sizeof(vault_checks) / sizeof(*vault_checks); i++)
		doctor_report(d, vault_checks[i], DOCTOR_SKIP, NULL, "the broker "
			      "holds the vault identity: this process needs none");
	broker_msg_release(&ans);
	raxx_clear_error();
	return 1;
}

void doctor_broker_mint(struct doctor *d, struct raxx_config *c,
			const char *sock)
{
	struct token_source *ts;
	struct token tok = { 0 };
	size_t i;
	long mins;

	(void)sock;
	for (i = 0; i < sizeof(app_checks) / sizeof(*app_checks); i++)
		doctor_report(d, app_checks[i], DOCTOR_SKIP, NULL, "checked by the "
			      "broker, which holds the App keys");
	if (!c->id || (!c->id->bot && !c->id->handoff)) {
		doctor_report(d, "mint", DOCTOR_SKIP, NULL, "no bot");
		return;
	}
	doctor_begin_check(d);
	ts = token_source_open(c);
	if (token_get(ts, &tok)) {
		doctor_report(d, "mint", DOCTOR_FAIL, "see the broker's log for the "
			      "request; 'git-credential-raxx doctor' where the "
			      "broker runs checks the vault and the App",
			      "the broker has no token for %s: %s", c->id->bot ?
			      c->id->bot : c->id->handoff, raxx_errmsg());
	} else {
		mins = (long)(tok.expires_at - now_seconds()) / 60;
		doctor_report(d, "mint", DOCTOR_PASS, NULL, "the broker handed out a "
			      "token for %s (%s, valid %ld min)", tok.bot,
			      tok.source, mins);
	}
	token_release(&tok);
	token_source_close(ts);
	raxx_clear_error();
}
