#ifndef RAXX_DOCTOR_CHAIN_H
#define RAXX_DOCTOR_CHAIN_H

/*
 * doctor's checks of the chain a mint walks, one line each, in its order:
 *
 *   infisical-env  cf-access  vault-login  bot  bot-secrets  app-key
 *   installation  mint
 *
 * Each reports to the report (doctor_report.h) and leaves in the chain
 * what the later ones need; a check whose input an earlier one did not
 * produce SKIPs. Which of them run, and when, is doctor.c's to say
 * (doctor.h). No secret is reported: the vault identity appears
 * redacted, the mint check's token not at all (it is revoked at once).
 *
 * doctor_chain.c: the vault's checks, the bot, a bot's child under --all;
 * doctor_chain_app.c: a bot's App, from its secrets in the vault to a
 * minted token.
 */

#include "doctor_report.h"

struct doctor_chain;
struct github;
struct raxx_config;

/*
 * A chain reporting to d, for c. bot: the bot to check, or NULL (no bot
 * here: its checks SKIP); bot_err: why the bot asked for does not
 * resolve, or NULL (copied). Free it with doctor_chain_free (NULL is
 * fine), before d.
 */
struct doctor_chain *doctor_chain_new(struct doctor *d, struct raxx_config *c,
				      const char *bot, const char *bot_err);
void doctor_chain_free(struct doctor_chain *ch);

/* infisical-env: the Universal Auth identity in the environment. */
void doctor_chain_env(struct doctor_chain *ch);
/* cf-access and vault-login: a vault session (needs infisical-env). */
void doctor_chain_vault(struct doctor_chain *ch);
/* bot: which bot, from where; FAIL with bot_err. */
void doctor_chain_bot(struct doctor_chain *ch);

/* bot-secrets: the bot's APP_ID (or CLIENT_ID), INSTALLATION_ID and
 * PRIVATE_KEY_PEM in the vault (needs vault-login and a bot). */
void doctor_chain_secrets(struct doctor_chain *ch);
/* app-key: GitHub takes a JWT of that key for that App. */
void doctor_chain_app(struct doctor_chain *ch);
/* installation: the vault's INSTALLATION_ID is the App's, or what the
 * self-heal would find in its place. */
void doctor_chain_installation(struct doctor_chain *ch);
/* mint: a token for the installation, revoked again at once. */
void doctor_chain_mint(struct doctor_chain *ch);

/*
 * In a bot's child process under --all (doctor_all.c), after the vault
 * checks: the "bot" check (PASS, about says where the bot came from),
 * bot-secrets, app-key, installation and mint, with the parent's vault
 * session and connections of the child's own, all ending by deadline
 * (now_ms() clock), each written to fd as one JSON line
 * ({"name","status","detail","fix"}) as soon as it ends. Ends the
 * process.
 */
_Noreturn void doctor_chain_bot_child(struct doctor_chain *ch, const char *bot,
				      const char *about, int64_t deadline,
				      int fd);

/* For the local checks (doctor_local.h): the GitHub client of app-key
 * when GitHub answered it (its clock offset is known), else NULL; the
 * bot's user id the mint check looked up, else 0. */
struct github *doctor_chain_github(const struct doctor_chain *ch);
long long doctor_chain_bot_user_id(const struct doctor_chain *ch);

#endif
