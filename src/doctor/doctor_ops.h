#ifndef RAXX_DOCTOR_OPS_H
#define RAXX_DOCTOR_OPS_H

/*
 * doctor --ops (doctor_ops.c): the operator's own credentials,
 * CLOUDFLARE_ACCESS_MGMT_TOKEN, CF_WORKER_DEPLOY, HEROKU_API_KEY and
 * GITHUB_API_SECRETS_TOKEN, one line each, each from the environment,
 * else the OS keychain, and each FAILing when in neither. Reports to d
 * (doctor_report.h); calls no other doctor module.
 */

#include "doctor_report.h"

#include <time.h>

struct raxx_config;

/*
 * The --ops checks. Returns 1 when every one passed; the time of the last
 * such run is kept in the state directory and shown.
 */
int doctor_ops(struct doctor *d, struct raxx_config *c);

/* GitHub-Authentication-Token-Expiration, "2026-12-10 12:00:00 UTC" (or
 * with a "+0900" offset), into *out; 0 or -1. */
int doctor_parse_token_expiration(const char *s, time_t *out);

#endif
