#ifndef RAXX_BROKER_INT_H
#define RAXX_BROKER_INT_H

/*
 * Inside the token broker (broker.h is its contract): what its modules
 * share, one section a module, from the bottom up. A module calls only
 * the modules of the sections above its own, never one below: no circle.
 *
 *   broker.c            the server
 *   broker_settings.c   what the broker was started with
 */

#include "agentmap.h"
#include "broker_policy.h"
#include "config.h"
#include "owners.h"
#include "vault.h"

/* ------------------------------------------------ broker_settings.c */

/* What the broker was started with: set before the first thread starts,
 * read-only after. */
struct broker_conf {
	struct raxx_config *c;
	struct vault_settings vs;
	struct owners owners;	/* RAXX_OWNERS / raxx.owners, the broker's own */
	struct broker_policy policy;
	struct agent_map map;	/* the broker's own trusted map, or empty */
	char *map_where;	/* where that map is, or "(none)" */
	unsigned long owner;	/* the broker's own uid */
	long key_ttl;		/* seconds an App key is held (0: not held) */
	long min_ttl;		/* a held token living less is minted again */
	long timeout_s;		/* a request's deadline, unless the client's is
				 * shorter */
	char *cf_secret;	/* guarded copy of CF_ACCESS_CLIENT_SECRET */
};
extern struct broker_conf broker_conf;

/*
 * Read the broker's settings into broker_conf: RAXX_GITHUB_API and the
 * git host from c (kept), the vault's (the client secret and Cloudflare's
 * moved to guarded memory and out of the environment), RAXX_BROKER_UIDS,
 * RAXX_BROKER_KEY_TTL, RAXX_TIMEOUT, the trusted map and the owners. 0, or
 * the exit code with the message recorded; release it either way.
 */
int broker_settings_load(struct raxx_config *c);
void broker_settings_release(void);

#endif
