#ifndef RAXX_CHILD_ENV_H
#define RAXX_CHILD_ENV_H

/*
 * The token a command gets in its environment from exec or the gh shim,
 * and the same token found again by the program run inside that command.
 */

#include <time.h>

#include "token_value.h"

/* "BOT HOST EXPIRES": the token in gh's variables is BOT's for HOST, as
 * exec or the gh shim gave it, until EXPIRES (unix seconds). */
#define TOKEN_FOR_ENV "RAXX_TOKEN_FOR"

/*
 * The command's environment: the token (unless NULL) in GH_TOKEN when host
 * is github.com, else in GH_ENTERPRISE_TOKEN with GH_HOST=host and no
 * GH_TOKEN (gh would offer it to github.com), and, when it is bot's,
 * TOKEN_FOR_ENV; and, unless keep_env, without INFISICAL_CLIENT_SECRET,
 * INFISICAL_CLIENT_SECRET_FILE, CF_ACCESS_CLIENT_SECRET and
 * RAXX_OPERATOR_TOKEN.
 */
void child_env_prepare(const char *host, const char *tok, const char *bot,
		       time_t expires_at, int keep_env);

/*
 * Inside such a command (no vault identity in the environment, and
 * TOKEN_FOR_ENV naming bot and host): the token it was given, when it
 * still lives more than min_left seconds, with its expiry; else NULL. A
 * gh alias, a script's git or a nested exec use the token they already
 * hold instead of failing to mint one.
 */
const char *child_token_inherited(const char *host, const char *bot,
				  time_t min_left, time_t *expires_at);

/* The same as a token: 1 with out filled (its source "given to this
 * command"), or 0 with out untouched. */
int child_token_take(const char *host, const char *bot, struct token *out);

#endif
