#ifndef RAXX_DOCTOR_BROKER_H
#define RAXX_DOCTOR_BROKER_H

#include "identity/config.h"

/*
 * doctor with a broker in use: doctor_broker_begin
 * reports the `broker` check and skips the vault checks, returning 1 with
 * *sock set (free it), or 0 when no broker is in use (nothing reported);
 * doctor_broker_mint skips the App checks and gets c->id's token through
 * the broker for the `mint` check.
 */
struct doctor;
int doctor_broker_begin(struct doctor *d, struct raxx_config *c, char **sock);
void doctor_broker_mint(struct doctor *d, struct raxx_config *c,
			const char *sock);

#endif
