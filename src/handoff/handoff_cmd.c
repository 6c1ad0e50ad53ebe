/*
 * What the handoff commands share: the contract is in handoff_cmd.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "handoff_cmd.h"
#include "store/audit.h"
#include "base/log.h"
#include "token/token.h"

#include <string.h>

/* ---------------------------------------------------------------- context */

int ho_open(struct ho *h, struct raxx_config *c, const char *slug)
{
	const struct vault_settings *vs;
	int ret;

	memset(h, 0, sizeof(*h));
	h->c = c;
	h->ts = token_source_open(c);
	h->open = 1;
	if ((ret = token_source_vault(h->ts, NULL, &vs)))
		return ret;
	handoff_ref_init(&h->ref, vs, slug);
	return 0;
}

int ho_vault(struct ho *h)
{
	return h->v ? 0 : token_source_vault(h->ts, &h->v, NULL);
}

struct cache *ho_cache(struct ho *h)
{
	return token_source_cache(h->ts);
}

void ho_close(struct ho *h)
{
	if (!h->open)
		return;
	handoff_ref_release(&h->ref);
	token_source_close(h->ts);
	memset(h, 0, sizeof(*h));
}

int ho_read_manifest(struct ho *h, struct manifest *m)
{
	int ret;

	memset(m, 0, sizeof(*m));
	if ((ret = ho_vault(h)))
		return ret;
	return handoff_manifest_fetch(h->v, &h->ref, m);
}

void ho_audit(const struct raxx_config *c, const char *event,
	      const char *bot, const char *repo, const char *token,
	      time_t expires_at, const char *reason)
{
	struct audit_event ev = { 0 };

	ev.event = event;
	ev.bot = bot;
	ev.host = c->host;
	ev.repo = repo;
	ev.token = token;
	ev.expires_at = expires_at;
	ev.reason = reason;
	audit_write(&ev);
}

/* ---------------------------------------------------------------- messages and options */

void ho_say(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	sink_vprintf(stderr, "", fmt, ap);
	va_end(ap);
}

int ho_usage_err(const char *sub, const char *fmt, ...)
{
	va_list ap;

	char prefix[48];

	raxx_clear_error();
	snprintf(prefix, sizeof(prefix), "raxx: handoff %s: ", sub);
	va_start(ap, fmt);
	sink_vprintf(stderr, prefix, fmt, ap);
	va_end(ap);
	fprintf(stderr, "(see 'git-credential-raxx help handoff')\n");
	return RAXX_EUSAGE;
}

int ho_parse_opts(const char *sub, int argc, char **argv,
		  const struct ho_opt *opts, size_t n)
{
	int i;
	size_t j;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return HO_HELP;
		if (strncmp(a, "--", 2))
			return ho_usage_err(sub, "unexpected argument '%s'", a);
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (j = 0; j < n; j++)
			if (strlen(opts[j].name) == len && !strncmp(a + 2, opts[j].name, len))
				break;
		if (j == n)
			return ho_usage_err(sub, "unknown option '%s'", a);
		if (eq) {
			*opts[j].val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return ho_usage_err(sub, "option '%s' needs a value", a);
			*opts[j].val = argv[++i];
		}
		if (!**opts[j].val)
			return ho_usage_err(sub, "option '--%s' needs a value", opts[j].name);
	}
	return 0;
}

int ho_need_slug(const char *sub, const char *slug)
{
	char safe[80];

	if (!slug)
		return ho_usage_err(sub, "--task-slug SLUG is required");
	if (!handoff_slug_ok(slug))
		return ho_usage_err(sub, "task slug '%s' is not valid: letters, digits, "
				    "'-' and '_', at most %d (the vault's folder rule)",
				    sanitize(safe, sizeof(safe), slug), HANDOFF_SLUG_MAX);
	return 0;
}
