/*
 * The token broker's settings: read once, before the first thread starts,
 * from the broker's own environment and git configuration.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker.h"
#include "broker_int.h"
#include "identity/agentmap.h"
#include "store/cache.h"
#include "store/clientsecret.h"
#include "identity/config.h"
#include "services/http.h"
#include "base/log.h"
#include "identity/owners.h"
#include "base/util.h"
#include "services/vault.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

struct broker_conf broker_conf;

int broker_settings_load(struct raxx_config *c)
{
	const char *v, *map;
	int ret;

	broker_conf.c = c;
	broker_conf.owner = (unsigned long)geteuid();
	if ((ret = http_check_url(c->api, "RAXX_GITHUB_API", RAXX_EGITHUB)))
		return ret;
	if ((ret = vault_settings_from_env(&broker_conf.vs)))
		return ret;
	if ((ret = http_check_url(broker_conf.vs.base, "INFISICAL_HOST", RAXX_EVAULT)))
		return ret;
	/* from now on, the client secret lives only in guarded memory */
	client_secret_scrub_env();
	if ((ret = client_secret_get(&broker_conf.vs.client_secret, NULL)))
		return ret;
	if (broker_conf.vs.cf_secret) {
		/* and so does Cloudflare's (sent as a header by each vault client) */
		char *env = getenv("CF_ACCESS_CLIENT_SECRET");

		broker_conf.cf_secret = sodium_malloc(strlen(broker_conf.vs.cf_secret) + 1);
		if (!broker_conf.cf_secret)
			die("out of memory (secure memory)");
		memcpy(broker_conf.cf_secret, broker_conf.vs.cf_secret,
		       strlen(broker_conf.vs.cf_secret) + 1);
		sodium_mprotect_readonly(broker_conf.cf_secret);
		broker_conf.vs.cf_secret = broker_conf.cf_secret;
		if (env)
			sodium_memzero(env, strlen(env));
		unsetenv("CF_ACCESS_CLIENT_SECRET");
	}
	if ((ret = broker_policy_parse(&broker_conf.policy,
				       env_get("RAXX_BROKER_UIDS"))))
		return ret;
	broker_conf.key_ttl = BROKER_DEFAULT_KEY_TTL;
	if ((v = env_get("RAXX_BROKER_KEY_TTL")) &&
	    parse_long(v, 0, 86400, &broker_conf.key_ttl))
		return raxx_fail(RAXX_EUSAGE, "RAXX_BROKER_KEY_TTL '%.20s' is not a "
				 "number of seconds (0-86400)", v);
	broker_conf.timeout_s = 30;
	if ((v = env_get("RAXX_TIMEOUT")) &&
	    parse_long(v, 1, 3600, &broker_conf.timeout_s))
		broker_conf.timeout_s = 30;
	broker_conf.min_ttl = cache_min_ttl();
	/* the broker's own trusted map: the ceiling of granted uids' permissions */
	map = env_get("RAXX_BOT_MAP");
	if (!map)
		map = config_git(c, "raxx.botmap");
	if (map) {
		if ((ret = agent_map_load(&broker_conf.map, map)))
			return ret;
		broker_conf.map_where = xstrdup(map);
	} else {
		broker_conf.map_where = xstrdup("(none)");
	}
	return owners_load(c, &broker_conf.owners);
}

void broker_settings_release(void)
{
	broker_policy_release(&broker_conf.policy);
	owners_release(&broker_conf.owners);
	agent_map_release(&broker_conf.map);
	free(broker_conf.map_where);
	vault_settings_release(&broker_conf.vs);
	if (broker_conf.cf_secret)
		sodium_free(broker_conf.cf_secret);
}
