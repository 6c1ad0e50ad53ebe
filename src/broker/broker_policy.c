/*
 * Who may ask the broker for what: the contract is in broker_policy.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_policy.h"
#include "base/util.h"

#include <limits.h>

#define BLANKS " \t\n"

static void grant_release(struct broker_grant *g)
{
	size_t i;

	for (i = 0; i < g->nr_bots; i++)
		free(g->bots[i]);
	free(g->bots);
}

void broker_policy_release(struct broker_policy *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		grant_release(&p->grants[i]);
	free(p->grants);
	p->grants = NULL;
	p->nr = 0;
}

/* One "UID:BOT[,BOT]" entry (e[0..n)) into g; 0 or RAXX_EUSAGE. */
static int parse_entry(const char *e, size_t n, struct broker_grant *g)
{
	char *entry = xstrndup(e, n), *colon = strchr(entry, ':'), *p, *comma;
	char safe[120];
	long uid;
	int ret = 0;

	memset(g, 0, sizeof(*g));
	sanitize(safe, sizeof(safe), entry);
	if (!colon) {
		ret = raxx_fail(RAXX_EUSAGE, "RAXX_BROKER_UIDS: '%s' is not "
				"UID:BOT[,BOT]: give each uid its bots", safe);
		goto out;
	}
	*colon = '\0';
	if (parse_long(entry, 0, (long)(UINT_MAX - 1), &uid) ||
	    strspn(entry, "0123456789") != strlen(entry)) {
		ret = raxx_fail(RAXX_EUSAGE, "RAXX_BROKER_UIDS: '%s' does not start "
				"with a numeric uid: write UID:BOT[,BOT]", safe);
		goto out;
	}
	g->uid = (unsigned long)uid;
	for (p = colon + 1;; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!bot_name_ok(p)) {
			ret = raxx_fail(RAXX_EUSAGE, "RAXX_BROKER_UIDS: '%s' names no "
					"valid bot (letters, digits, '.', '_' and "
					"'-', separated by ','): fix the entry", safe);
			goto out;
		}
		g->bots = xrealloc(g->bots, (g->nr_bots + 1) * sizeof(*g->bots));
		g->bots[g->nr_bots++] = xstrdup(p);
		if (!comma)
			break;
	}
out:
	if (ret)
		grant_release(g);
	free(entry);
	return ret;
}

int broker_policy_parse(struct broker_policy *p, const char *spec)
{
	const char *s = spec;
	size_t n;
	int ret;

	memset(p, 0, sizeof(*p));
	while (s && *(s += strspn(s, BLANKS))) {
		struct broker_grant g;

		n = strcspn(s, BLANKS);
		if ((ret = parse_entry(s, n, &g))) {
			broker_policy_release(p);
			return ret;
		}
		if (broker_policy_grant(p, g.uid)) {
			grant_release(&g);
			broker_policy_release(p);
			return raxx_fail(RAXX_EUSAGE, "RAXX_BROKER_UIDS: uid %lu is "
					 "named twice: give it one entry with all "
					 "its bots", g.uid);
		}
		p->grants = xrealloc(p->grants, (p->nr + 1) * sizeof(*p->grants));
		p->grants[p->nr++] = g;
		s += n;
	}
	return 0;
}

const struct broker_grant *broker_policy_grant(const struct broker_policy *p,
					       unsigned long uid)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->grants[i].uid == uid)
			return &p->grants[i];
	return NULL;
}

int broker_policy_admits(const struct broker_policy *p, unsigned long owner,
			 unsigned long uid)
{
	return uid == owner || broker_policy_grant(p, uid);
}

int broker_policy_allows(const struct broker_policy *p, unsigned long owner,
			 unsigned long uid, const char *bot)
{
	const struct broker_grant *g;
	size_t i;

	if (uid == owner)
		return 1;
	if (!bot || !(g = broker_policy_grant(p, uid)))
		return 0;
	for (i = 0; i < g->nr_bots; i++)
		if (!strcmp(g->bots[i], bot))
			return 1;
	return 0;
}

char *broker_policy_text(const struct broker_policy *p, unsigned long owner)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j;

	sb_addf(&sb, "uid %lu (the broker's own): any bot", owner);
	for (i = 0; i < p->nr; i++) {
		if (p->grants[i].uid == owner)
			continue;
		sb_addf(&sb, "; uid %lu: ", p->grants[i].uid);
		for (j = 0; j < p->grants[i].nr_bots; j++)
			sb_addf(&sb, "%s%s", j ? ", " : "", p->grants[i].bots[j]);
	}
	return sb_detach(&sb);
}

/* ---------------------------------------------------------------- perms */

int broker_level_rank(const char *level)
{
	if (!strcmp(level, "read"))
		return 1;
	if (!strcmp(level, "write"))
		return 2;
	if (!strcmp(level, "admin"))
		return 3;
	return 0;
}

int broker_perm_parse(const char *s, struct broker_perm *out)
{
	const char *colon = strchr(s, ':');
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!colon)
		return -1;
	n = (size_t)(colon - s);
	if (n < 1 || n > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz_") < n ||
	    !broker_level_rank(colon + 1))
		return -1;
	out->name = xstrndup(s, n);
	out->level = xstrdup(colon + 1);
	return 0;
}

void broker_perms_release(struct broker_perm *p, size_t nr)
{
	size_t i;

	for (i = 0; p && i < nr; i++) {
		free(p[i].name);
		free(p[i].level);
	}
	free(p);
}

static struct broker_perm *copy_perms(const struct broker_perm *p, size_t nr)
{
	struct broker_perm *out = xcalloc(nr ? nr : 1, sizeof(*out));
	size_t i;

	for (i = 0; i < nr; i++) {
		out[i].name = xstrdup(p[i].name);
		out[i].level = xstrdup(p[i].level);
	}
	return out;
}

int broker_perms_narrow(const struct broker_perm *asked, size_t nr_asked,
			const struct broker_perm *ceiling, size_t nr_ceiling,
			struct broker_perm **out, size_t *nr_out,
			const struct broker_perm **bad)
{
	size_t i, j;

	*out = NULL;
	*nr_out = 0;
	*bad = NULL;
	if (!nr_ceiling) {
		*out = copy_perms(asked, nr_asked);
		*nr_out = nr_asked;
		return 0;
	}
	if (!nr_asked) {
		*out = copy_perms(ceiling, nr_ceiling);
		*nr_out = nr_ceiling;
		return 0;
	}
	for (i = 0; i < nr_asked; i++) {
		for (j = 0; j < nr_ceiling; j++)
			if (!strcmp(asked[i].name, ceiling[j].name))
				break;
		if (j == nr_ceiling || broker_level_rank(asked[i].level) >
		    broker_level_rank(ceiling[j].level)) {
			*bad = &asked[i];
			return -1;
		}
	}
	*out = copy_perms(asked, nr_asked);
	*nr_out = nr_asked;
	return 0;
}
