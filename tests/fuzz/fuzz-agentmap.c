/*
 * libFuzzer target for src/identity/agentmap.c. Beyond "no crash, no leak, no UB"
 * it checks that an accepted map keeps its promises: names in
 * [A-Za-z0-9._-], levels read|write|admin, each agent under one bot, and
 * every refusal says "FILE:LINE: ..." or "FILE: ...".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/agentmap.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static void check_name(const char *s)
{
	size_t i;

	CHECK(s && *s);
	for (i = 0; s[i]; i++)
		CHECK(s[i] == '.' || s[i] == '_' || s[i] == '-' ||
		      (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_map m = AGENT_MAP_INIT;
	size_t i, j;
	int ret;

	ret = agent_map_parse(&m, "fuzz.yaml", (const char *)data, size);
	if (ret) {
		CHECK(ret == RAXX_EUSAGE);
		CHECK(!strncmp(raxx_errmsg(), "fuzz.yaml:", 10));
		CHECK(!m.bots && !m.nr_bots && !m.file);
	} else {
		CHECK(m.file && !strcmp(m.file, "fuzz.yaml"));
		for (i = 0; i < m.nr_bots; i++) {
			const struct agent_map_bot *b = &m.bots[i];

			check_name(b->name);
			CHECK(agent_map_find_bot(&m, b->name) == b);
			for (j = 0; j < b->nr_agents; j++) {
				check_name(b->agents[j]);
				CHECK(agent_map_bot_of_agent(&m, b->agents[j]) == b);
			}
			for (j = 0; j < b->nr_perms; j++) {
				check_name(b->perms[j].name);
				CHECK(!strcmp(b->perms[j].level, "read") ||
				      !strcmp(b->perms[j].level, "write") ||
				      !strcmp(b->perms[j].level, "admin"));
			}
		}
	}
	agent_map_release(&m);
	raxx_clear_error();
	return 0;
}
