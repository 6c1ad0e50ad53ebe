#define _POSIX_C_SOURCE 200809L
#include "config.h"
#include "base/gitcmd.h"
#include "store/settings_cache.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void read_git_config(struct raxx_config *c)
{
	struct strbuf out = STRBUF_INIT;

	if (c->git_read)
		return;
	c->git_read = 1;
	/* one git child, or none when nothing it reads has changed */
	settings_read(c->toplevel, &out);
	config_parse_z(&out, CONFIG_Z_SCOPE | CONFIG_Z_ORIGIN, &c->git, &c->git_nr);
	sb_release(&out);
}

const char *config_git(struct raxx_config *c, const char *key)
{
	size_t i;
	const char *v = NULL;

	read_git_config(c);
	/* the last one wins, as git says (worktree config comes last) */
	for (i = 0; i < c->git_nr; i++)
		if (!strcasecmp(c->git[i].key, key))
			v = c->git[i].value ? c->git[i].value : "true";
	return (v && *v) ? v : NULL;
}

const struct config_entry *config_git_entries(struct raxx_config *c,
					      size_t *nr)
{
	read_git_config(c);
	*nr = c->git_nr;
	return c->git;
}

const char *fallback_name(enum fallback f)
{
	return f == FALLBACK_PAT ? "pat" : f == FALLBACK_PASS ? "pass" : "deny";
}

/* env first, then git config, then the default */
static char *setting(struct raxx_config *c, const char *env, const char *key,
		     const char *def)
{
	const char *v = env_get(env);

	if (!v && key)
		v = config_git(c, key);
	return v ? xstrdup(v) : def ? xstrdup(def) : NULL;
}

int config_load(struct raxx_config *c)
{
	char *fb, *author;

	if (c->host)
		return 0;	/* loaded already */
	c->toplevel = find_toplevel();
	c->host = setting(c, "RAXX_GITHUB_HOST", "raxx.host", "github.com");
	c->api = setting(c, "RAXX_GITHUB_API", "raxx.githubapi",
			 "https://api.github.com");
	c->ca_bundle = setting(c, "RAXX_CA_BUNDLE", "raxx.cabundle", NULL);
	fb = setting(c, "RAXX_FALLBACK", "raxx.fallback", "pat");
	if (!strcasecmp(fb, "pat")) {
		c->fallback = FALLBACK_PAT;
	} else if (!strcasecmp(fb, "pass")) {
		c->fallback = FALLBACK_PASS;
	} else if (!strcasecmp(fb, "deny")) {
		c->fallback = FALLBACK_DENY;
	} else {
		char safe[64];

		raxx_fail(RAXX_EUSAGE, "fallback '%s' is not pat, pass or deny: fix "
			  "RAXX_FALLBACK or raxx.fallback", sanitize(safe, sizeof(safe), fb));
		free(fb);
		return RAXX_EUSAGE;
	}
	free(fb);
	author = setting(c, "RAXX_AUTHOR", "raxx.author", "on");
	c->author_off = !strcasecmp(author, "off") || !strcasecmp(author, "false");
	free(author);
	return 0;
}

void config_release(struct raxx_config *c)
{
	free(c->host);
	free(c->api);
	free(c->ca_bundle);
	free(c->toplevel);
	config_entries_free(c->git, c->git_nr);
	memset(c, 0, sizeof(*c));
}
