#ifndef RAXX_DOCTOR_CHAIN_STATE_H
#define RAXX_DOCTOR_CHAIN_STATE_H

/*
 * The state of doctor's chain checks, shared by the two files of that
 * module (doctor_chain.c, doctor_chain_app.c) and by no other file:
 * everyone else goes through doctor_chain.h.
 */

#include "doctor_chain.h"
#include "services/vault.h"

struct github;
struct jwt_key;

/* What the checks of the chain learn, for the later ones. */
struct doctor_chain {
	struct doctor *d;	/* the report */
	struct raxx_config *c;
	const char *bot;	/* the bot checked, or NULL */
	char *bot_err;		/* why the bot asked for does not resolve, or NULL */

	int env_ok;
	struct vault_settings vs;
	int have_vs;
	struct vault *v;
	int vault_ok, cf_refused;
	char *login_err;
	char *path;
	struct vault_secrets secrets;
	const char *app_id, *pem, *vault_inst;	/* app_id: the JWT issuer */
	const char *iss_key;	/* where it came from: "APP_ID" or "CLIENT_ID" */
	const char *app_num;	/* APP_ID when it is the numeric App ID */
	int app_id_ok;
	struct jwt_key *key;
	struct github *gh;
	int github_answered;
	int app_ok;
	char *inst;
	long long bot_user_id;
};

#endif
