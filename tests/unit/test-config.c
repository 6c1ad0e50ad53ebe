/* Unit tests for src/identity/config.c: git's `git config -z` answer, parsed. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "tap.h"

#include "base/gitcmd.h"
#include "base/util.h"

struct z_case {
	const char *name;
	const char *text;	/* the answer, NULs and all */
	size_t len;
	int fields;
	size_t nr;		/* entries parsed */
	const char *key, *value, *scope, *origin;	/* of the last one */
};

#define Z(s) s, sizeof(s) - 1

static const struct z_case cases[] = {
	{ "one entry, scope and origin",
	  Z("global\0file:/home/dev/.gitconfig\0raxx.bot\nraxx-dev-bot\0"),
	  CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN, 1, "raxx.bot", "raxx-dev-bot", "global",
	  "file:/home/dev/.gitconfig" },
	{ "a key without '=' has no value",
	  Z("local\0file:.git/config\0raxx.flag\0"), CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN,
	  1, "raxx.flag", NULL, "local", "file:.git/config" },
	{ "a value with a line break",
	  Z("user.name\nDev\nOps\0"), 0, 1, "user.name", "Dev\nOps", NULL, NULL },
	{ "an empty value",
	  Z("command\0command line:\0raxx.handoff\n\0"), CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN,
	  1, "raxx.handoff", "", "command", "command line:" },
	{ "two entries, the last one",
	  Z("raxx.bot\na\0raxx.bot\nb\0"), 0, 2, "raxx.bot", "b", NULL, NULL },
	{ "a cut answer stops at the last whole entry",
	  Z("global\0file:x\0raxx.bot\na\0global\0file:"), CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN,
	  1, "raxx.bot", "a", "global", "file:x" },
};

int main(void)
{
	struct config_entry *e;
	size_t i, nr;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct z_case *k = &cases[i];
		struct strbuf sb = STRBUF_INIT;

		sb_add(&sb, k->text, k->len);
		e = NULL;
		nr = 0;
		config_parse_z(&sb, k->fields, &e, &nr);
		is_int(nr, k->nr, k->name);
		if (nr == k->nr && nr) {
			const struct config_entry *l = &e[nr - 1];

			ok(!strcmp(l->key, k->key), "%s: the key", k->name);
			ok(k->value ? l->value && !strcmp(l->value, k->value) : !l->value,
			   "%s: the value", k->name);
			ok(k->scope ? l->scope && !strcmp(l->scope, k->scope) : !l->scope,
			   "%s: the scope", k->name);
			ok(k->origin ? l->origin && !strcmp(l->origin, k->origin) : !l->origin,
			   "%s: the origin", k->name);
		}
		config_entries_free(e, nr);
		sb_release(&sb);
	}

	/* git printed nothing (no entry kept): the buffer was never made,
	 * and NULL + 0 is undefined (clang's -fsanitize=undefined says so) */
	{
		struct strbuf empty = STRBUF_INIT;

		e = NULL;
		nr = 0;
		config_parse_z(&empty, CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN, &e, &nr);
		ok(nr == 0 && !e, "an answer never allocated: no entries");
	}
	return done_testing();
}
