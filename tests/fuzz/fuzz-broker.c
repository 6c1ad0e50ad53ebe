/*
 * libFuzzer target for the broker's pure parsers: the wire format
 * (src/token/broker_wire.c) and the uid policy (src/broker/broker_policy.c). The first
 * byte picks which. Beyond "no crash, no leak, no UB" it checks that a
 * parsed message formats back to exactly the bytes it came from, that no
 * value holds a line end, and that an accepted policy keeps its promises.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker_policy.h"
#include "token/broker_wire.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static void wire(const char *buf, size_t len)
{
	struct broker_msg m = BROKER_MSG_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *why = NULL;
	long end = broker_msg_end(buf, len);
	size_t i;

	CHECK(end >= -1 && end <= (long)len && end <= BROKER_MAX_MSG);
	if (end <= 0) {
		/* not a whole message: parsing the buffer must refuse it */
		CHECK(broker_msg_parse(&m, buf, len, &why) == -1 && why);
		broker_msg_release(&m);
		return;
	}
	CHECK(buf[end - 1] == '\n');
	CHECK(!memchr(buf, '\0', (size_t)end) && !memchr(buf, '\r', (size_t)end));
	if (broker_msg_parse(&m, buf, (size_t)end, &why)) {
		CHECK(why && *why);
	} else {
		CHECK(m.nr <= BROKER_MAX_FIELDS);
		for (i = 0; i < m.nr; i++) {
			CHECK(!strpbrk(m.f[i].value, "\r\n"));
			CHECK(broker_msg_get(&m, m.f[i].key));
		}
		CHECK(!broker_msg_format(&m, &sb));
		CHECK(sb.len == (size_t)end && !memcmp(sb.buf, buf, sb.len));
	}
	broker_msg_release(&m);
	sb_release(&sb);
}

static void policy(const char *buf, size_t len)
{
	struct broker_policy p = BROKER_POLICY_INIT;
	char *spec = xstrndup(buf, len), *text;
	size_t i, j;

	if (broker_policy_parse(&p, spec)) {
		CHECK(!p.nr && !p.grants);
		CHECK(!strncmp(raxx_errmsg(), "RAXX_BROKER_UIDS: ", 18));
	} else {
		for (i = 0; i < p.nr; i++) {
			CHECK(p.grants[i].nr_bots > 0);
			CHECK(broker_policy_grant(&p, p.grants[i].uid) == &p.grants[i]);
			for (j = 0; j < p.grants[i].nr_bots; j++) {
				CHECK(bot_name_ok(p.grants[i].bots[j]));
				CHECK(broker_policy_allows(&p, (unsigned long)-1,
							   p.grants[i].uid,
							   p.grants[i].bots[j]));
			}
		}
		text = broker_policy_text(&p, (unsigned long)-1);
		CHECK(text && !strpbrk(text, "\r\n"));
		free(text);
	}
	broker_policy_release(&p);
	free(spec);
	raxx_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		policy((const char *)data + 1, size - 1);
	else
		wire((const char *)data + 1, size - 1);
	return 0;
}
