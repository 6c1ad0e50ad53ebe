/* Unit tests for src/identity/agentmap.c: the YAML agent -> bot map. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#include "identity/agentmap.h"
#include "base/util.h"

#define DESIGN_EXAMPLE \
	"bots:\n" \
	"  raxx-dev-bot:\n" \
	"    agents: [feature-developer, ux-polisher, ux-designer]\n" \
	"    permissions: {contents: write, pull_requests: write, issues: write, workflows: write}\n" \
	"  raxx-ops-bot:\n" \
	"    agents: [sre-agent, security-agent, card-groomer]\n" \
	"    permissions: {contents: read, pull_requests: write, issues: write}\n"

#define DESIGN_DUMP \
	"raxx-dev-bot[feature-developer,ux-polisher,ux-designer]" \
	"{contents=write,pull_requests=write,issues=write,workflows=write};" \
	"raxx-ops-bot[sre-agent,security-agent,card-groomer]" \
	"{contents=read,pull_requests=write,issues=write};"

/* The whole map as one line: "bot[agent,...]{perm=level,...};..." */
static char *dump(const struct agent_map *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j;

	for (i = 0; i < m->nr_bots; i++) {
		const struct agent_map_bot *b = &m->bots[i];

		sb_adds(&sb, b->name);
		sb_adds(&sb, "[");
		for (j = 0; j < b->nr_agents; j++)
			sb_addf(&sb, "%s%s", j ? "," : "", b->agents[j]);
		sb_adds(&sb, "]{");
		for (j = 0; j < b->nr_perms; j++)
			sb_addf(&sb, "%s%s=%s", j ? "," : "", b->perms[j].name,
				b->perms[j].level);
		sb_adds(&sb, "};");
	}
	return sb_detach(&sb);
}

struct map_case {
	const char *name;
	const char *yaml;
	const char *want;	/* dump() on success, the message on failure */
	int fails;
};

static const struct map_case cases[] = {
	/* valid */
	{ "DESIGN.md example", DESIGN_EXAMPLE, DESIGN_DUMP, 0 },
	{ "block style",
	  "bots:\n"
	  "  raxx-dev-bot:\n"
	  "    agents:\n"
	  "      - feature-developer\n"
	  "      - ux-polisher\n"
	  "    permissions:\n"
	  "      contents: write\n"
	  "      pull_requests: write\n",
	  "raxx-dev-bot[feature-developer,ux-polisher]{contents=write,pull_requests=write};", 0 },
	{ "block sequence at the key's indentation",
	  "bots:\n  b:\n    agents:\n    - x\n    - y\n", "b[x,y]{};", 0 },
	{ "all flow style",
	  "{bots: {a: {agents: [x, y], permissions: {issues: read}}, b: {agents: [z]}}}",
	  "a[x,y]{issues=read};b[z]{};", 0 },
	{ "flow spanning lines",
	  "bots: {\n  a: {agents: [x,\n     y]},\n  b: {}\n}\n", "a[x,y]{};b[]{};", 0 },
	{ "quoted scalars",
	  "\"bots\":\n  'raxx-dev-bot':\n    \"agents\": [\"feature-developer\", 'ux-polisher']\n"
	  "    permissions: {\"contents\": 'admin'}\n",
	  "raxx-dev-bot[feature-developer,ux-polisher]{contents=admin};", 0 },
	{ "comments and document markers",
	  "# header\n---\nbots:   # the bots\n  a:\n    agents: [x]  # one\n...\n",
	  "a[x]{};", 0 },
	{ "%YAML directive", "%YAML 1.1\n---\nbots: {a: {agents: [x]}}\n", "a[x]{};", 0 },
	{ "CRLF line ends", "bots:\r\n  a:\r\n    agents: [x]\r\n", "a[x]{};", 0 },
	{ "empty file", "", "", 0 },
	{ "comments only", "# nothing yet\n\n", "", 0 },
	{ "bots: {}", "bots: {}\n", "", 0 },
	{ "bots: with nothing", "bots:\n", "", 0 },
	{ "empty document", "---\n", "", 0 },
	{ "{}", "{}\n", "", 0 },
	{ "bot with nothing", "bots:\n  a:\n  b: {}\n", "a[]{};b[]{};", 0 },
	{ "empty lists", "bots:\n  a:\n    agents: []\n    permissions: {}\n", "a[]{};", 0 },
	{ "agents: with nothing", "bots:\n  a:\n    agents:\n    permissions:\n", "a[]{};", 0 },
	{ "names with . _ -", "bots: {a.b_c-1: {agents: [A.9_x-y]}}", "a.b_c-1[A.9_x-y]{};", 0 },
	{ "tab after content is no indentation", "bots: {}\t# c\n", "", 0 },

	/* errors, each on its line */
	{ "unknown bot key",
	  "bots:\n  raxx-dev-bot:\n    agent: [feature-developer]\n",
	  "t.yaml:3: unknown key 'agent' (expected 'agents' or 'permissions')", 1 },
	{ "unknown top key",
	  "# map\nbot:\n  raxx-dev-bot: {}\n",
	  "t.yaml:2: unknown key 'bot' (expected 'bots')", 1 },
	{ "unknown top key after bots",
	  "bots: {}\nversion: 2\n", "t.yaml:2: unknown key 'version' (expected 'bots')", 1 },
	{ "repeated bots key", "bots: {}\nbots: {}\n", "t.yaml:2: repeated key 'bots'", 1 },
	{ "tab in indentation",
	  "bots:\n  raxx-dev-bot:\n    agents: [feature-developer]\n    permissions:\n"
	  "\tcontents: read\n",
	  "t.yaml:5: tab in indentation", 1 },
	{ "tab after spaces in indentation",
	  "bots:\n  a:\n  \t agents: [x]\n", "t.yaml:3: tab in indentation", 1 },
	{ "tab indenting a flow continuation",
	  "bots: {a: {agents: [x,\n\ty]}}\n", "t.yaml:2: tab in indentation", 1 },
	{ "tab on a blank line", "bots:\n\t\n  a: {}\n", "t.yaml:2: tab in indentation", 1 },
	{ "tab on a comment line", "bots: {}\n\t# c\n", "t.yaml:2: tab in indentation", 1 },
	{ "agent under two bots",
	  "bots:\n"
	  "  raxx-dev-bot:\n"
	  "    agents: [feature-developer, sre-agent]\n"
	  "    permissions: {contents: write}\n"
	  "  raxx-ops-bot:\n"
	  "    agents:\n"
	  "      - sre-agent\n",
	  "t.yaml:7: agent 'sre-agent' is listed under both 'raxx-ops-bot' and 'raxx-dev-bot'", 1 },
	{ "agent under two bots, flow",
	  "bots: {a: {agents: [x]}, b: {agents: [y,\n  x]}}",
	  "t.yaml:2: agent 'x' is listed under both 'b' and 'a'", 1 },
	{ "agent twice under one bot",
	  "bots:\n  a:\n    agents:\n      - x\n      - x\n",
	  "t.yaml:5: agent 'x' is listed twice under 'a'", 1 },
	{ "bot listed twice",
	  "bots:\n  a:\n    agents: [x]\n  b: {}\n  a:\n    agents: [y]\n",
	  "t.yaml:5: bot 'a' is listed twice", 1 },
	{ "repeated agents key",
	  "bots:\n  a:\n    agents: [x]\n    agents: [y]\n",
	  "t.yaml:4: repeated key 'agents' under 'a'", 1 },
	{ "repeated permissions key",
	  "bots:\n  a:\n    permissions: {}\n    permissions: {}\n",
	  "t.yaml:4: repeated key 'permissions' under 'a'", 1 },
	{ "repeated permission",
	  "bots:\n  a:\n    permissions:\n      contents: read\n      contents: write\n",
	  "t.yaml:5: permission 'contents' is listed twice under 'a'", 1 },
	{ "bad permission level",
	  "bots:\n  a:\n    permissions:\n      contents: read\n      issues: execute\n",
	  "t.yaml:5: permission 'issues' of 'a' has level 'execute' (expected read, write or admin)", 1 },
	{ "upper-case permission level",
	  "bots: {a: {permissions: {issues: Write}}}",
	  "t.yaml:1: permission 'issues' of 'a' has level 'Write' (expected read, write or admin)", 1 },
	{ "empty permission level",
	  "bots:\n  a:\n    permissions:\n      issues:\n",
	  "t.yaml:4: permission 'issues' of 'a' has level '' (expected read, write or admin)", 1 },
	{ "permission level is a list",
	  "bots:\n  a:\n    permissions:\n      issues: [read]\n",
	  "t.yaml:4: permission 'issues' of 'a' must be read, write or admin, found a list", 1 },
	{ "permissions as a list",
	  "bots:\n  a:\n    permissions: [contents]\n",
	  "t.yaml:3: 'permissions' of 'a' must be a mapping (name: read|write|admin), found a list", 1 },
	{ "agents as a scalar",
	  "bots:\n  a:\n    agents: sre-agent\n",
	  "t.yaml:3: 'agents' of 'a' must be a list, found a scalar", 1 },
	{ "agents as a mapping",
	  "bots:\n  a:\n    agents: {x: y}\n",
	  "t.yaml:3: 'agents' of 'a' must be a list, found a mapping", 1 },
	{ "agent that is a mapping",
	  "bots:\n  a:\n    agents:\n      - x\n      - {y: z}\n",
	  "t.yaml:5: expected agent name, found a mapping", 1 },
	{ "agent that is a list",
	  "bots: {a: {agents: [x, [y]]}}",
	  "t.yaml:1: expected agent name, found a list", 1 },
	{ "bot name that is a list",
	  "bots:\n  ? [a, b]\n  : {agents: [x]}\n",
	  "t.yaml:2: expected bot name, found a list", 1 },
	{ "permission name that is a mapping",
	  "bots:\n  a:\n    permissions:\n      ? {x: y}\n      : read\n",
	  "t.yaml:4: expected permission name, found a mapping", 1 },
	{ "top key that is a list",
	  "? [bots]\n: {}\n", "t.yaml:1: expected a key, found a list", 1 },
	{ "bot key that is a mapping",
	  "bots:\n  a:\n    ? {agents: x}\n    : y\n", "t.yaml:3: expected a key, found a mapping", 1 },
	{ "agent name with a space",
	  "bots:\n  a:\n    agents: [x, sre agent]\n",
	  "t.yaml:3: agent name 'sre agent' has characters outside [A-Za-z0-9._-]", 1 },
	{ "quoted agent name with a slash",
	  "bots:\n  a:\n    agents: ['../sre']\n",
	  "t.yaml:3: agent name '../sre' has characters outside [A-Za-z0-9._-]", 1 },
	{ "agent name with a NUL escape",
	  "bots:\n  a:\n    agents: [\"x\\0y\"]\n",
	  "t.yaml:3: agent name 'x?y' has characters outside [A-Za-z0-9._-]", 1 },
	{ "agent name with a newline escape",
	  "bots:\n  a:\n    agents: [\"x\\ny\"]\n",
	  "t.yaml:3: agent name 'x?y' has characters outside [A-Za-z0-9._-]", 1 },
	{ "empty quoted agent name",
	  "bots:\n  a:\n    agents: ['']\n", "t.yaml:3: empty agent name", 1 },
	{ "bot name with '@'",
	  "bots:\n  raxx@bot: {}\n",
	  "t.yaml:2: bot name 'raxx@bot' has characters outside [A-Za-z0-9._-]", 1 },
	{ "bot name with non-ASCII",
	  "bots:\n  b\xc3\xb6t: {}\n",
	  "t.yaml:2: bot name 'b??t' has characters outside [A-Za-z0-9._-]", 1 },
	{ "empty bot name", "bots:\n  '': {}\n", "t.yaml:2: empty bot name", 1 },
	{ "permission name with a space",
	  "bots: {a: {permissions: {pull requests: write}}}",
	  "t.yaml:1: permission name 'pull requests' has characters outside [A-Za-z0-9._-]", 1 },
	{ "bot as a list",
	  "bots:\n  a:\n    - x\n",
	  "t.yaml:3: bot 'a' must be a mapping with 'agents' and 'permissions', found a list", 1 },
	{ "bot as a scalar",
	  "bots:\n  a: x\n",
	  "t.yaml:2: bot 'a' must be a mapping with 'agents' and 'permissions', found a scalar", 1 },
	{ "bots as a list",
	  "bots:\n  - a\n", "t.yaml:2: 'bots' must be a mapping of bot names, found a list", 1 },
	{ "bots as a quoted empty string",
	  "bots: ''\n", "t.yaml:1: 'bots' must be a mapping of bot names, found a scalar", 1 },
	{ "top level a list",
	  "- bots\n", "t.yaml:1: top level must be a mapping with 'bots', found a list", 1 },
	{ "top level a scalar",
	  "# c\nhello\n", "t.yaml:2: top level must be a mapping with 'bots', found a scalar", 1 },
	{ "anchor",
	  "bots:\n  a:\n    agents: &dev [x]\n  b:\n    agents: *dev\n",
	  "t.yaml:3: anchors (&name) are not supported", 1 },
	{ "anchor on a scalar",
	  "bots:\n  a:\n    agents: [&x y]\n", "t.yaml:3: anchors (&name) are not supported", 1 },
	{ "alias",
	  "bots:\n  a:\n    agents: *dev\n", "t.yaml:3: aliases (*name) are not supported", 1 },
	{ "merge key with alias",
	  "bots:\n  a:\n    <<: *base\n", "t.yaml:3: unknown key '<<' (expected 'agents' or 'permissions')", 1 },
	{ "tag", "bots: !!map {}\n", "t.yaml:1: tags (!tag) are not supported", 1 },
	{ "tag on a name", "bots:\n  !bot a: {}\n", "t.yaml:2: tags (!tag) are not supported", 1 },
	{ "two documents",
	  "bots: {}\n---\nbots: {}\n", "t.yaml:2: more than one document", 1 },
	{ "two documents after a bad-free first",
	  "---\nbots:\n  a: {agents: [x]}\n...\n---\n", "t.yaml:5: more than one document", 1 },
	{ "syntax error: bad indentation",
	  "bots:\n  a:\n    agents: [x]\n   permissions: {}\n",
	  "t.yaml:4: syntax error: did not find expected key (while parsing a block mapping at line 2)", 1 },
	{ "syntax error: unclosed flow",
	  "bots: {a: {agents: [x]}\n",
	  "t.yaml:2: syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 1)", 1 },
	{ "syntax error: unclosed quote",
	  "bots:\n  a:\n    agents: ['x]\n",
	  "t.yaml:4: syntax error: found unexpected end of stream (while scanning a quoted scalar at line 3)", 1 },
	{ "invalid UTF-8",
	  "bots:\n  a:\n    agents: [\xff]\n", "t.yaml:3: not valid text: invalid leading UTF-8 octet", 1 },
	{ "control character",
	  "bots:\n  a:\n    agents: [\x01]\n", "t.yaml:3: not valid text: control characters are not allowed", 1 },
};

static void run_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct map_case *t = &cases[i];
		struct agent_map m = AGENT_MAP_INIT;
		int ret;

		raxx_clear_error();
		ret = agent_map_parse(&m, "t.yaml", t->yaml, strlen(t->yaml));
		if (t->fails) {
			if (!ok(ret == RAXX_EUSAGE, "%s: refused", t->name))
				printf("#   got %d\n", ret);
			is_str(raxx_errmsg(), t->want, t->name);
			ok(!m.nr_bots && !m.bots && !m.file, "%s: map left empty", t->name);
		} else {
			char *got;

			if (!ok(ret == 0, "%s: parses", t->name))
				printf("#   %s\n", raxx_errmsg());
			got = dump(&m);
			is_str(got, t->want, t->name);
			free(got);
			is_str(m.file, "t.yaml", "map remembers its file name");
		}
		agent_map_release(&m);
	}
}

/* One NUL byte: libyaml's reader refuses it; the line is still right. */
static void test_nul(void)
{
	static const char y[] = "bots:\n  a:\n    agents: [x\0]\n";
	struct agent_map m = AGENT_MAP_INIT;

	raxx_clear_error();
	ok(agent_map_parse(&m, "t.yaml", y, sizeof(y) - 1) == RAXX_EUSAGE &&
	   !strncmp(raxx_errmsg(), "t.yaml:3: ", 10), "NUL byte refused on its line (%s)",
	   raxx_errmsg());
	agent_map_release(&m);
}

static void test_lookups(void)
{
	struct agent_map m = AGENT_MAP_INIT;
	const struct agent_map_bot *b;

	ok(!agent_map_parse(&m, "t.yaml", DESIGN_EXAMPLE, strlen(DESIGN_EXAMPLE)),
	   "lookups: parse");
	b = agent_map_bot_of_agent(&m, "sre-agent");
	is_str(b ? b->name : NULL, "raxx-ops-bot", "sre-agent -> raxx-ops-bot");
	b = agent_map_bot_of_agent(&m, "ux-designer");
	is_str(b ? b->name : NULL, "raxx-dev-bot", "ux-designer -> raxx-dev-bot");
	ok(!agent_map_bot_of_agent(&m, "nobody"), "unknown agent -> no bot");
	ok(!agent_map_bot_of_agent(&m, "SRE-AGENT"), "agent names are case-sensitive");
	ok(!agent_map_bot_of_agent(&m, "sre"), "no prefix match");
	ok(!agent_map_bot_of_agent(&m, ""), "empty agent -> no bot");
	ok(!agent_map_bot_of_agent(&m, NULL), "NULL agent -> no bot");
	ok(!agent_map_bot_of_agent(&m, "raxx-dev-bot"), "a bot is not an agent");
	b = agent_map_find_bot(&m, "raxx-dev-bot");
	ok(b && b->nr_agents == 3 && b->nr_perms == 4 &&
	   !strcmp(b->perms[3].name, "workflows") && !strcmp(b->perms[3].level, "write"),
	   "find raxx-dev-bot with its permissions");
	ok(!agent_map_find_bot(&m, "raxx-pm-bot"), "bot not in map");
	ok(!agent_map_find_bot(&m, NULL), "NULL bot");

	/* parse over a used map replaces it */
	ok(!agent_map_parse(&m, "u.yaml", "bots: {x: {agents: [y]}}", 24) &&
	   m.nr_bots == 1 && !strcmp(m.file, "u.yaml") &&
	   !agent_map_bot_of_agent(&m, "sre-agent"), "reparse replaces the map");
	/* a failed parse leaves the old map alone */
	ok(agent_map_parse(&m, "v.yaml", "bots: [", 7) == RAXX_EUSAGE &&
	   m.nr_bots == 1 && !strcmp(m.file, "u.yaml"), "failed parse keeps the old map");
	agent_map_release(&m);
	ok(!m.bots && !m.nr_bots && !m.file, "release empties the map");
	agent_map_release(&m);
	ok(1, "release twice is fine");

	{
		struct agent_map e = AGENT_MAP_INIT;

		ok(!agent_map_bot_of_agent(&e, "x") && !agent_map_find_bot(&e, "x") &&
		   !agent_map_bot_of_agent(NULL, "x"), "lookups on an empty map");
	}
}

static void test_size(void)
{
	struct agent_map m = AGENT_MAP_INIT;
	size_t n = AGENT_MAP_MAX_SIZE;
	char *big = xmalloc(n + 2);

	/* a comment filling the file to exactly the limit is fine */
	memset(big, ' ', n + 1);
	memcpy(big, "bots: {} #", 10);
	big[n - 1] = '\n';
	big[n] = '\0';
	raxx_clear_error();
	ok(!agent_map_parse(&m, "big.yaml", big, n), "exactly 1 MiB parses (%s)",
	   raxx_errmsg());
	agent_map_release(&m);
	big[n] = ' ';
	big[n + 1] = '\0';
	raxx_clear_error();
	ok(agent_map_parse(&m, "big.yaml", big, n + 1) == RAXX_EUSAGE, "1 MiB + 1 refused");
	is_str(raxx_errmsg(), "big.yaml: larger than 1 MiB", "size message");
	free(big);
}

static void test_caps(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct agent_map m = AGENT_MAP_INIT;
	char want[64];
	int i;

	sb_adds(&sb, "bots:\n  a:\n    agents:\n");
	for (i = 0; i < AGENT_MAP_MAX_AGENTS + 1; i++)
		sb_addf(&sb, "      - x%d\n", i);
	raxx_clear_error();
	ok(agent_map_parse(&m, "t.yaml", sb.buf, sb.len) == RAXX_EUSAGE,
	   "more than AGENT_MAP_MAX_AGENTS agents refused");
	snprintf(want, sizeof(want), "t.yaml:%d: more than %d agents",
		 AGENT_MAP_MAX_AGENTS + 4, AGENT_MAP_MAX_AGENTS);
	is_str(raxx_errmsg(), want, "agent cap message");
	agent_map_release(&m);
	sb_release(&sb);

	sb_adds(&sb, "bots:\n");
	for (i = 0; i < AGENT_MAP_MAX_BOTS; i++)
		sb_addf(&sb, "  b%d: {agents: [a%d]}\n", i, i);
	ok(!agent_map_parse(&m, "t.yaml", sb.buf, sb.len) &&
	   m.nr_bots == AGENT_MAP_MAX_BOTS, "AGENT_MAP_MAX_BOTS bots parse");
	agent_map_release(&m);
	sb_adds(&sb, "  one-more: {}\n");
	raxx_clear_error();
	ok(agent_map_parse(&m, "t.yaml", sb.buf, sb.len) == RAXX_EUSAGE,
	   "more than AGENT_MAP_MAX_BOTS bots refused (%s)", raxx_errmsg());
	agent_map_release(&m);
	sb_release(&sb);
}

static void write_file(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, s, n) != (ssize_t)n)
		die("cannot write %s", path);
	close(fd);
}

static void test_load(void)
{
	char dir[] = "/tmp/raxx-test-agentmap.XXXXXX";
	struct agent_map m = AGENT_MAP_INIT;
	char *path, *want;
	const struct agent_map_bot *b;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}

	path = xstrfmt("%s/map.yaml", dir);
	write_file(path, DESIGN_EXAMPLE, strlen(DESIGN_EXAMPLE));
	ok(!agent_map_load(&m, path) && m.nr_bots == 2 && !strcmp(m.file, path),
	   "load a file");
	agent_map_release(&m);

	write_file(path, "bots:\n  a:\n    agent: [x]\n", 26);
	want = xstrfmt("%s:3: unknown key 'agent' (expected 'agents' or 'permissions')", path);
	ok(agent_map_load(&m, path) == RAXX_EUSAGE, "load: error");
	is_str(raxx_errmsg(), want, "load: error names the file and line");
	free(want);
	unlink(path);

	ok(agent_map_load(&m, path) == RAXX_EUSAGE, "load: missing file");
	want = xstrfmt("%s: cannot open: ", path);
	ok(!strncmp(raxx_errmsg(), want, strlen(want)), "load: missing file message (%s)",
	   raxx_errmsg());
	free(want);

	ok(agent_map_load(&m, dir) == RAXX_EUSAGE &&
	   strstr(raxx_errmsg(), ": not a regular file"), "load: directory refused");

	{
		char *big = xmalloc(AGENT_MAP_MAX_SIZE + 1);

		memset(big, '\n', AGENT_MAP_MAX_SIZE + 1);
		write_file(path, big, AGENT_MAP_MAX_SIZE + 1);
		free(big);
		want = xstrfmt("%s: larger than 1 MiB", path);
		ok(agent_map_load(&m, path) == RAXX_EUSAGE, "load: big file refused");
		is_str(raxx_errmsg(), want, "load: big file message");
		free(want);
		unlink(path);
	}
	rmdir(dir);
	free(path);

	/* the shipped example (tests run from the top of the tree) */
	if (access("contrib/agent_bot_map.yaml", R_OK)) {
		ok(1, "# SKIP contrib/agent_bot_map.yaml not found from here");
		return;
	}
	raxx_clear_error();
	ok(!agent_map_load(&m, "contrib/agent_bot_map.yaml"), "contrib map loads (%s)",
	   raxx_errmsg());
	is_int(m.nr_bots, 4, "contrib map: four bots");
	b = agent_map_find_bot(&m, "raxx-blr-bot");
	ok(b && b->nr_agents == 0, "contrib map: raxx-blr-bot, no agents yet");
	b = agent_map_bot_of_agent(&m, "business-legal-researcher");
	is_str(b ? b->name : NULL, "raxx-pm-bot", "contrib map: researcher -> pm bot");
	b = agent_map_bot_of_agent(&m, "card-groomer");
	is_str(b ? b->name : NULL, "raxx-ops-bot", "contrib map: card-groomer -> ops bot");
	b = agent_map_bot_of_agent(&m, "ux-designer");
	is_str(b ? b->name : NULL, "raxx-dev-bot", "contrib map: ux-designer -> dev bot");
	agent_map_release(&m);
}

int main(void)
{
	run_cases();
	test_nul();
	test_lookups();
	test_size();
	test_caps();
	test_load();
	return done_testing();
}
