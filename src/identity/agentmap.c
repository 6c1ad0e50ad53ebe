/*
 * The agent map: which bot each agent acts as. The format and the
 * contract are in agentmap.h.
 *
 * libyaml's event parser gives us the document as a stream of events
 * with line numbers; the schema is small and fixed, so a hand-written
 * walk over the events checks it strictly and points at the line of
 * every mistake. Anything the schema does not name is an error: a typo
 * in this file would otherwise silently hand an agent the operator's
 * identity.
 */
#define _POSIX_C_SOURCE 200809L
/* system headers first: banned.h (via util.h) must come last */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "agentmap.h"
#include "base/util.h"

/* room for a quoted name in a message; longer ones are cut */
#define NAME_ECHO 80

struct walk {
	yaml_parser_t yp;
	yaml_event_t ev;
	int have_ev;
	const char *file;
	const char *buf;
	size_t len;
	size_t nr_agents;	/* over all bots, for the cap */
	struct agent_map map;
};

static void release_bot(struct agent_map_bot *b)
{
	size_t i;

	free(b->name);
	for (i = 0; i < b->nr_agents; i++)
		free(b->agents[i]);
	free(b->agents);
	for (i = 0; i < b->nr_perms; i++) {
		free(b->perms[i].name);
		free(b->perms[i].level);
	}
	free(b->perms);
}

void agent_map_release(struct agent_map *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nr_bots; i++)
		release_bot(&m->bots[i]);
	free(m->bots);
	free(m->file);
	m->bots = NULL;
	m->nr_bots = 0;
	m->file = NULL;
}

RAXX_PRINTF(3, 4)
static int fail_at(struct walk *w, unsigned long line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return raxx_fail(RAXX_EUSAGE, "%s:%lu: %s", w->file, line, msg);
}

static unsigned long ev_line(const struct walk *w)
{
	return (unsigned long)w->ev.start_mark.line + 1;
}

/*
 * The current scalar, made safe to print: control bytes, NULs (a "\0"
 * escape can put one in) and non-ASCII bytes become '?'; cut at n - 1.
 */
static const char *echo(const struct walk *w, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < w->ev.data.scalar.length && i + 1 < n; i++) {
		unsigned char ch = w->ev.data.scalar.value[i];

		out[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	out[i] = '\0';
	return out;
}

/* Line number (1-based) of byte offset off. */
static unsigned long line_of_offset(const struct walk *w, size_t off)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off && i < w->len; i++)
		if (w->buf[i] == '\n')
			line++;
	return line;
}

/*
 * The byte at a libyaml mark (0-based line, column in characters), or
 * -1 when the mark is off the text. Lines are counted at LF.
 */
static int byte_at_mark(const struct walk *w, const yaml_mark_t *mk)
{
	size_t i = 0, line = 0, col = 0;

	while (i < w->len && line < mk->line)
		if (w->buf[i++] == '\n')
			line++;
	for (; i < w->len && w->buf[i] != '\n'; i++) {
		/* UTF-8 continuation bytes do not start a character */
		if (((unsigned char)w->buf[i] & 0xc0) == 0x80)
			continue;
		if (col++ == mk->column)
			return (unsigned char)w->buf[i];
	}
	return -1;
}

static int syntax_error(struct walk *w)
{
	const char *problem = w->yp.problem ? w->yp.problem : "unknown error";
	unsigned long line;

	switch (w->yp.error) {
	case YAML_MEMORY_ERROR:
		die("out of memory");
	case YAML_READER_ERROR:
		return fail_at(w, line_of_offset(w, w->yp.problem_offset),
			       "not valid text: %s", problem);
	default:
		break;
	}
	line = (unsigned long)w->yp.problem_mark.line + 1;
	if (byte_at_mark(w, &w->yp.problem_mark) == '\t')
		return fail_at(w, line, "tab where YAML does not allow one "
			       "(use spaces)");
	if (w->yp.context)
		return fail_at(w, line, "syntax error: %s (%s at line %lu)",
			       problem, w->yp.context,
			       (unsigned long)w->yp.context_mark.line + 1);
	return fail_at(w, line, "syntax error: %s", problem);
}

/* Move to the next event; refuse what the schema never needs. */
static int next(struct walk *w)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (w->have_ev)
		yaml_event_delete(&w->ev);
	w->have_ev = 0;
	if (!yaml_parser_parse(&w->yp, &w->ev))
		return syntax_error(w);
	w->have_ev = 1;
	switch (w->ev.type) {
	case YAML_ALIAS_EVENT:
		return fail_at(w, ev_line(w), "aliases (*name) are not supported");
	case YAML_SCALAR_EVENT:
		anchor = w->ev.data.scalar.anchor;
		tag = w->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = w->ev.data.sequence_start.anchor;
		tag = w->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = w->ev.data.mapping_start.anchor;
		tag = w->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return fail_at(w, ev_line(w), "anchors (&name) are not supported");
	if (tag)
		return fail_at(w, ev_line(w), "tags (!tag) are not supported");
	return 0;
}

static const char *what(const struct walk *w)
{
	switch (w->ev.type) {
	case YAML_SCALAR_EVENT:
		return "a scalar";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	default:
		return "something else";
	}
}

/* "key:" with nothing after it: an empty plain scalar, taken as empty. */
static int is_empty(const struct walk *w)
{
	return w->ev.type == YAML_SCALAR_EVENT &&
	       w->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !w->ev.data.scalar.length;
}

/*
 * Step to a key's value: 1 when it opens a collection (start: a sequence's
 * or a mapping's), whose entries the caller walks with entry(); 0 when it
 * is empty, with *ret 0, or when the step failed, with *ret set; -1 when
 * it is anything else, for the caller to say what it wanted.
 */
static int enter(struct walk *w, yaml_event_type_t start, int *ret)
{
	if ((*ret = next(w)) || is_empty(w))
		return 0;
	return w->ev.type == start ? 1 : -1;
}

/* The collection's next entry: 1 with its first event at hand; 0 at the
 * collection's end (end: its end event) with *ret 0, or on a failure with
 * *ret set. */
static int entry(struct walk *w, yaml_event_type_t end, int *ret)
{
	if ((*ret = next(w)))
		return 0;
	return w->ev.type != end;
}

static int scalar_is(const struct walk *w, const char *s)
{
	size_t n = strlen(s);

	return w->ev.data.scalar.length == n &&
	       !memcmp(w->ev.data.scalar.value, s, n);
}

/* The current event must be a scalar naming something ("bot", ...). */
static int check_name(struct walk *w, const char *kind)
{
	char e[NAME_ECHO];
	size_t i;

	if (w->ev.type != YAML_SCALAR_EVENT)
		return fail_at(w, ev_line(w), "expected %s name, found %s",
			       kind, what(w));
	if (!w->ev.data.scalar.length)
		return fail_at(w, ev_line(w), "empty %s name", kind);
	for (i = 0; i < w->ev.data.scalar.length; i++) {
		unsigned char ch = w->ev.data.scalar.value[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return fail_at(w, ev_line(w), "%s name '%s' has characters "
				       "outside [A-Za-z0-9._-]", kind,
				       echo(w, e, sizeof(e)));
	}
	return 0;
}

static char *scalar_dup(const struct walk *w)
{
	return xstrndup((const char *)w->ev.data.scalar.value,
			w->ev.data.scalar.length);
}

static const struct agent_map_bot *bot_of_agent(const struct agent_map *m,
						const char *agent)
{
	size_t i, j;

	for (i = 0; i < m->nr_bots; i++)
		for (j = 0; j < m->bots[i].nr_agents; j++)
			if (!strcmp(m->bots[i].agents[j], agent))
				return &m->bots[i];
	return NULL;
}

static int walk_agents(struct walk *w, size_t bi)
{
	const struct agent_map_bot *other;
	struct agent_map_bot *b;
	char e[NAME_ECHO];
	int go, ret;

	if ((go = enter(w, YAML_SEQUENCE_START_EVENT, &ret)) < 0)
		return fail_at(w, ev_line(w), "'agents' of '%s' must be a list, "
			       "found %s", w->map.bots[bi].name, what(w));
	while (go && entry(w, YAML_SEQUENCE_END_EVENT, &ret)) {
		if ((ret = check_name(w, "agent")))
			return ret;
		b = &w->map.bots[bi];
		/* check_name refused a NUL: strcmp sees the whole name */
		other = bot_of_agent(&w->map, (const char *)w->ev.data.scalar.value);
		if (other == b)
			return fail_at(w, ev_line(w), "agent '%s' is listed twice "
				       "under '%s'", echo(w, e, sizeof(e)), b->name);
		if (other)
			return fail_at(w, ev_line(w), "agent '%s' is listed under "
				       "both '%s' and '%s'", echo(w, e, sizeof(e)),
				       b->name, other->name);
		if (w->nr_agents >= AGENT_MAP_MAX_AGENTS)
			return fail_at(w, ev_line(w), "more than %d agents",
				       AGENT_MAP_MAX_AGENTS);
		b->agents = xrealloc(b->agents,
				     (b->nr_agents + 1) * sizeof(*b->agents));
		b->agents[b->nr_agents++] = scalar_dup(w);
		w->nr_agents++;
	}
	return ret;
}

static int walk_permissions(struct walk *w, size_t bi)
{
	struct agent_map_bot *b = &w->map.bots[bi];
	char e[NAME_ECHO], pname[NAME_ECHO];
	size_t i;
	int go, ret;

	if ((go = enter(w, YAML_MAPPING_START_EVENT, &ret)) < 0)
		return fail_at(w, ev_line(w), "'permissions' of '%s' must be a "
			       "mapping (name: read|write|admin), found %s",
			       b->name, what(w));
	while (go && entry(w, YAML_MAPPING_END_EVENT, &ret)) {
		if ((ret = check_name(w, "permission")))
			return ret;
		for (i = 0; i < b->nr_perms; i++)
			if (scalar_is(w, b->perms[i].name))
				return fail_at(w, ev_line(w), "permission '%s' is "
					       "listed twice under '%s'",
					       echo(w, e, sizeof(e)), b->name);
		if (b->nr_perms >= AGENT_MAP_MAX_PERMS)
			return fail_at(w, ev_line(w), "more than %d permissions "
				       "under '%s'", AGENT_MAP_MAX_PERMS, b->name);
		b->perms = xrealloc(b->perms, (b->nr_perms + 1) * sizeof(*b->perms));
		b->perms[b->nr_perms].name = scalar_dup(w);
		b->perms[b->nr_perms].level = NULL;
		b->nr_perms++;
		echo(w, pname, sizeof(pname));

		if ((ret = next(w)))
			return ret;
		if (w->ev.type != YAML_SCALAR_EVENT)
			return fail_at(w, ev_line(w), "permission '%s' of '%s' must "
				       "be read, write or admin, found %s",
				       pname, b->name, what(w));
		if (!scalar_is(w, "read") && !scalar_is(w, "write") &&
		    !scalar_is(w, "admin"))
			return fail_at(w, ev_line(w), "permission '%s' of '%s' has "
				       "level '%s' (expected read, write or admin)",
				       pname, b->name, echo(w, e, sizeof(e)));
		b->perms[b->nr_perms - 1].level = scalar_dup(w);
	}
	return ret;
}

static int walk_bot(struct walk *w, size_t bi)
{
	int seen_agents = 0, seen_perms = 0, go, ret;
	char e[NAME_ECHO];

	if ((go = enter(w, YAML_MAPPING_START_EVENT, &ret)) < 0)
		return fail_at(w, ev_line(w), "bot '%s' must be a mapping with "
			       "'agents' and 'permissions', found %s",
			       w->map.bots[bi].name, what(w));
	while (go && entry(w, YAML_MAPPING_END_EVENT, &ret)) {
		if (w->ev.type != YAML_SCALAR_EVENT)
			return fail_at(w, ev_line(w), "expected a key, found %s",
				       what(w));
		if (scalar_is(w, "agents")) {
			if (seen_agents++)
				return fail_at(w, ev_line(w), "repeated key 'agents' "
					       "under '%s'", w->map.bots[bi].name);
			ret = walk_agents(w, bi);
		} else if (scalar_is(w, "permissions")) {
			if (seen_perms++)
				return fail_at(w, ev_line(w), "repeated key "
					       "'permissions' under '%s'",
					       w->map.bots[bi].name);
			ret = walk_permissions(w, bi);
		} else {
			return fail_at(w, ev_line(w), "unknown key '%s' (expected "
				       "'agents' or 'permissions')",
				       echo(w, e, sizeof(e)));
		}
		if (ret)
			return ret;
	}
	return ret;
}

static int walk_bots(struct walk *w)
{
	struct agent_map *m = &w->map;
	char e[NAME_ECHO];
	size_t i;
	int go, ret;

	if ((go = enter(w, YAML_MAPPING_START_EVENT, &ret)) < 0)
		return fail_at(w, ev_line(w), "'bots' must be a mapping of bot "
			       "names, found %s", what(w));
	while (go && entry(w, YAML_MAPPING_END_EVENT, &ret)) {
		if ((ret = check_name(w, "bot")))
			return ret;
		for (i = 0; i < m->nr_bots; i++)
			if (scalar_is(w, m->bots[i].name))
				return fail_at(w, ev_line(w), "bot '%s' is listed "
					       "twice", echo(w, e, sizeof(e)));
		if (m->nr_bots >= AGENT_MAP_MAX_BOTS)
			return fail_at(w, ev_line(w), "more than %d bots",
				       AGENT_MAP_MAX_BOTS);
		m->bots = xrealloc(m->bots, (m->nr_bots + 1) * sizeof(*m->bots));
		memset(&m->bots[m->nr_bots], 0, sizeof(*m->bots));
		m->bots[m->nr_bots].name = scalar_dup(w);
		m->nr_bots++;
		if ((ret = walk_bot(w, m->nr_bots - 1)))
			return ret;
	}
	return ret;
}

static int walk_top(struct walk *w)
{
	int seen_bots = 0, ret;
	char e[NAME_ECHO];

	while (entry(w, YAML_MAPPING_END_EVENT, &ret)) {
		if (w->ev.type != YAML_SCALAR_EVENT)
			return fail_at(w, ev_line(w), "expected a key, found %s",
				       what(w));
		if (!scalar_is(w, "bots"))
			return fail_at(w, ev_line(w), "unknown key '%s' (expected "
				       "'bots')", echo(w, e, sizeof(e)));
		if (seen_bots++)
			return fail_at(w, ev_line(w), "repeated key 'bots'");
		if ((ret = walk_bots(w)))
			return ret;
	}
	return ret;
}

static int walk_stream(struct walk *w)
{
	int ret;

	if ((ret = next(w)))
		return ret;
	if (w->ev.type != YAML_STREAM_START_EVENT)
		return fail_at(w, ev_line(w), "not a YAML stream");
	if ((ret = next(w)))
		return ret;
	if (w->ev.type == YAML_STREAM_END_EVENT)
		return 0;	/* empty, or only comments */
	if (w->ev.type != YAML_DOCUMENT_START_EVENT)
		return fail_at(w, ev_line(w), "expected a document");

	if ((ret = next(w)))
		return ret;
	if (w->ev.type == YAML_MAPPING_START_EVENT)
		ret = walk_top(w);
	else if (!is_empty(w))
		ret = fail_at(w, ev_line(w), "top level must be a mapping with "
			      "'bots', found %s", what(w));
	if (ret)
		return ret;

	if ((ret = next(w)))
		return ret;
	if (w->ev.type != YAML_DOCUMENT_END_EVENT)
		return fail_at(w, ev_line(w), "expected the end of the document");
	if ((ret = next(w)))
		return ret;
	if (w->ev.type == YAML_DOCUMENT_START_EVENT)
		return fail_at(w, ev_line(w), "more than one document");
	if (w->ev.type != YAML_STREAM_END_EVENT)
		return fail_at(w, ev_line(w), "expected the end of the file");
	return 0;
}

/*
 * libyaml refuses a tab in indentation with "found character that cannot
 * start any token", and in flow context it even accepts one. Say what is
 * wrong, on the right line, before libyaml looks.
 */
static int check_tabs(struct walk *w)
{
	unsigned long line = 1;
	size_t i = 0;

	while (i < w->len) {
		for (; i < w->len && (w->buf[i] == ' ' || w->buf[i] == '\t'); i++)
			if (w->buf[i] == '\t')
				return fail_at(w, line, "tab in indentation");
		for (; i < w->len && w->buf[i] != '\n'; i++)
			;
		i++;
		line++;
	}
	return 0;
}

int agent_map_parse(struct agent_map *m, const char *name,
		    const char *buf, size_t len)
{
	struct walk w;
	int ret;

	if (!name)
		name = "agent map";
	if (len > AGENT_MAP_MAX_SIZE)
		return raxx_fail(RAXX_EUSAGE, "%s: larger than 1 MiB", name);

	memset(&w, 0, sizeof(w));
	w.file = name;
	w.buf = buf;
	w.len = len;
	if ((ret = check_tabs(&w)))
		return ret;
	if (!yaml_parser_initialize(&w.yp))
		die("out of memory");
	yaml_parser_set_input_string(&w.yp, (const unsigned char *)buf, len);
	ret = walk_stream(&w);
	if (w.have_ev)
		yaml_event_delete(&w.ev);
	yaml_parser_delete(&w.yp);
	if (ret) {
		agent_map_release(&w.map);
		return ret;
	}
	agent_map_release(m);
	*m = w.map;
	m->file = xstrdup(name);
	return 0;
}

int agent_map_load(struct agent_map *m, const char *path)
{
	return agent_map_load_ex(m, path, 0);
}

int agent_map_load_ex(struct agent_map *m, const char *path, int nofollow)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: a FIFO must not hang us before fstat refuses it */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return raxx_fail(RAXX_EUSAGE, "%s: cannot open: %s", path,
				 strerror(errno));
	if (fstat(fd, &st)) {
		ret = raxx_fail(RAXX_EUSAGE, "%s: cannot stat: %s", path,
				strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = raxx_fail(RAXX_EUSAGE, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > AGENT_MAP_MAX_SIZE) {
		ret = raxx_fail(RAXX_EUSAGE, "%s: larger than 1 MiB", path);
		goto out;
	}
	/* the file may grow after fstat: the cap still holds */
	sb.cap = AGENT_MAP_MAX_SIZE;
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = raxx_fail(RAXX_EUSAGE, "%s: cannot read: %s", path,
					strerror(errno));
			goto out;
		}
		if (!got)
			break;
		if (sb_add(&sb, chunk, (size_t)got)) {
			ret = raxx_fail(RAXX_EUSAGE, "%s: larger than 1 MiB", path);
			goto out;
		}
	}
	ret = agent_map_parse(m, path, sb_str(&sb), sb.len);
out:
	close(fd);
	sb_release(&sb);
	return ret;
}

const struct agent_map_bot *agent_map_bot_of_agent(const struct agent_map *m,
						   const char *agent)
{
	if (!m || !agent)
		return NULL;
	return bot_of_agent(m, agent);
}

const struct agent_map_bot *agent_map_find_bot(const struct agent_map *m,
					       const char *bot)
{
	size_t i;

	if (!m || !bot)
		return NULL;
	for (i = 0; i < m->nr_bots; i++)
		if (!strcmp(m->bots[i].name, bot))
			return &m->bots[i];
	return NULL;
}
