/*
 * The broker's wire format: the contract is in broker_wire.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_wire.h"
#include "base/util.h"

#include <stdarg.h>

static const char *const repeatable[] = { "permission", "warning" };

static int repeatable_key(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(repeatable) / sizeof(*repeatable); i++)
		if (strlen(repeatable[i]) == n && !memcmp(k, repeatable[i], n))
			return 1;
	return 0;
}

int broker_key_repeatable(const char *key)
{
	return repeatable_key(key, strlen(key));
}

static int key_ok(const char *k, size_t n)
{
	size_t i;

	if (n < 1 || n > BROKER_MAX_KEY || k[0] < 'a' || k[0] > 'z')
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
		      k[i] == '_'))
			return 0;
	return 1;
}

long broker_msg_end(const char *buf, size_t len)
{
	size_t i, n = len < BROKER_MAX_MSG ? len : BROKER_MAX_MSG;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\0' || buf[i] == '\r')
			return -1;
		/* a blank line: at the start, or right after a line end */
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] == '\n'))
			return (long)i + 1;
	}
	return len >= BROKER_MAX_MSG ? -1 : 0;
}

static void add_field(struct broker_msg *m, const char *k, size_t kn,
		      const char *v, size_t vn)
{
	if (m->nr == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 8;
		m->f = xrealloc(m->f, m->alloc * sizeof(*m->f));
	}
	m->f[m->nr].key = xstrndup(k, kn);
	m->f[m->nr].value = xstrndup(v, vn);
	m->nr++;
}

static int has_key(const struct broker_msg *m, const char *k, size_t kn)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		if (strlen(m->f[i].key) == kn && !memcmp(m->f[i].key, k, kn))
			return 1;
	return 0;
}

int broker_msg_parse(struct broker_msg *m, const char *buf, size_t len,
		     const char **why)
{
	const char *p = buf, *end = buf + len, *nl, *eq;

	*why = NULL;
	if (broker_msg_end(buf, len) != (long)len) {
		*why = len >= BROKER_MAX_MSG ? "a message over 64 KiB" :
			memchr(buf, '\0', len) ? "a NUL byte" :
			memchr(buf, '\r', len) ? "a CR (lines end at LF only)" :
			"not one whole message ending with a blank line";
		return -1;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p)
			return 0;	/* the blank line: the end */
		if (m->nr >= BROKER_MAX_FIELDS) {
			*why = "more than 64 lines";
			return -1;
		}
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq) {
			*why = "a line without '='";
			return -1;
		}
		if (!key_ok(p, (size_t)(eq - p))) {
			*why = "a bad key (want [a-z][a-z0-9_]*, at most 32 bytes)";
			return -1;
		}
		if (has_key(m, p, (size_t)(eq - p)) &&
		    !repeatable_key(p, (size_t)(eq - p))) {
			*why = "a repeated key";
			return -1;
		}
		add_field(m, p, (size_t)(eq - p), eq + 1, (size_t)(nl - eq - 1));
		p = nl + 1;
	}
	*why = "no blank line at the end";
	return -1;
}

const char *broker_msg_nth(const struct broker_msg *m, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		if (!strcmp(m->f[i].key, key) && !n--)
			return m->f[i].value;
	return NULL;
}

const char *broker_msg_get(const struct broker_msg *m, const char *key)
{
	return broker_msg_nth(m, key, 0);
}

int broker_msg_add(struct broker_msg *m, const char *key, const char *value)
{
	size_t kn = strlen(key);

	if (!value)
		return 0;
	if (!key_ok(key, kn) || value[strcspn(value, "\r\n")] ||
	    (has_key(m, key, kn) && !broker_key_repeatable(key)))
		return -1;
	add_field(m, key, kn, value, strlen(value));
	return 0;
}

int broker_msg_addf(struct broker_msg *m, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	v = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(v, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ret = broker_msg_add(m, key, v);
	free_secret(v);
	return ret;
}

int broker_msg_format(const struct broker_msg *m, struct strbuf *sb)
{
	size_t i, start = sb->len, total = 1;

	if (m->nr > BROKER_MAX_FIELDS)
		return -1;
	for (i = 0; i < m->nr; i++)
		total += strlen(m->f[i].key) + 1 + strlen(m->f[i].value) + 1;
	if (total > BROKER_MAX_MSG)
		return -1;
	for (i = 0; i < m->nr; i++) {
		if (sb_adds(sb, m->f[i].key) || sb_add(sb, "=", 1) ||
		    sb_adds(sb, m->f[i].value) || sb_add(sb, "\n", 1))
			goto overflow;
	}
	if (sb_add(sb, "\n", 1))
		goto overflow;
	return 0;
overflow:
	sb->len = start;
	if (sb->buf)
		sb->buf[start] = '\0';
	return -1;
}

void broker_msg_release(struct broker_msg *m)
{
	size_t i;

	for (i = 0; i < m->nr; i++) {
		free(m->f[i].key);
		free_secret(m->f[i].value);
	}
	free(m->f);
	memset(m, 0, sizeof(*m));
}
