/*
 * find_real_gh(): the real gh, never the shim, whatever PATH and
 * RAXX_GH_SHIM_CHAIN hold (ghfind.c). Builds a small tree in a temporary
 * directory:
 *   shim/gh      the shim (any executable: only paths are compared)
 *   link         -> shim (a symlinked directory)
 *   copy/gh      a second copy of the shim
 *   real/gh      the real gh
 *   noexec/gh    not executable;  dirgh/gh/  a directory
 */
#define _XOPEN_SOURCE 700
#include "cli/ghexec.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static char top[256];

static char *at(const char *rel)
{
	return xstrfmt("%s/%s", top, rel);
}

static void make_file(const char *rel, mode_t mode)
{
	char *p = at(rel);
	FILE *f = fopen(p, "w");

	if (!f)
		die("cannot create %s", p);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

static void make_dir(const char *rel)
{
	char *p = at(rel);

	mkdir(p, 0700);
	free(p);
}

/* PATH from a ':'-separated list of names under top ("" stays empty) */
static void set_path(const char *list)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = list, *q;

	for (;;) {
		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		if (q > p)
			sb_addf(&sb, "%s/%.*s", top, (int)(q - p), p);
		if (!*q)
			break;
		sb_adds(&sb, ":");
		p = q + 1;
	}
	setenv("PATH", sb_str(&sb), 1);
	sb_release(&sb);
}

/* find with shim (relative to top, or NULL); expect rel (or NULL) */
static void check(const char *name, const char *shim, const char *chain,
		  const char *want, char **chain_out)
{
	char *shim_path = shim ? at(shim) : NULL, *out = NULL, *gh, *exp;

	raxx_clear_error();
	gh = find_real_gh(shim_path, chain, &out);
	if (want) {
		exp = at(want);
		is_str(gh, exp, name);
		ok(out && strchr(out, ':') != NULL, "%s: a chain to export", name);
		free(exp);
	} else {
		ok(!gh, "%s: nothing found", name);
		if (gh)
			printf("#   got '%s'\n", gh);
		is_int(raxx_errcode(), RAXX_ENOTFOUND, "  ... exit code 127");
		ok(!out, "  ... and no chain");
	}
	if (chain_out)
		*chain_out = out;
	else
		free(out);
	free(gh);
	free(shim_path);
}

int main(void)
{
	char *real_shim, *real_copy, *chain = NULL, *link, *target, buf[512];
	const char *tmp = getenv("TMPDIR");
	char *old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	static const char *bad_chains[] = {
		"", ":", "::::", "x", "x:y", "-1:", "0:", "99999999999999999999:",
		"123", "123:", ":::/", NULL
	};
	size_t i;

	snprintf(top, sizeof(top), "%s/raxx-ghfind-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(top))
		die("mkdtemp failed");
	make_dir("shim");
	make_dir("copy");
	make_dir("real");
	make_dir("noexec");
	make_dir("dirgh");
	make_dir("dirgh/gh");
	make_file("shim/gh", 0755);
	make_file("copy/gh", 0755);
	make_file("real/gh", 0755);
	make_file("noexec/gh", 0644);
	link = at("link");
	target = at("shim");
	if (symlink(target, link))
		die("symlink failed");
	free(link);
	free(target);
	unsetenv("RAXX_GH");

	set_path("shim:real");
	check("the shim first, then the real gh", "shim/gh", NULL, "real/gh", NULL);
	set_path("shim:shim:link:real");
	check("the shim's directory twice and through a symlink", "shim/gh",
	      NULL, "real/gh", NULL);
	set_path("link:real");
	check("run through the symlinked directory", "link/gh", NULL,
	      "real/gh", NULL);
	set_path("shim:noexec:dirgh:real");
	check("a gh that is not executable, or a directory, is passed over",
	      "shim/gh", NULL, "real/gh", NULL);
	set_path("shim:link");
	check("only the shim in PATH", "shim/gh", NULL, NULL, NULL);
	ok(strstr(raxx_errmsg(), "no real gh in PATH besides the shim") != NULL,
	   "  ... says so: %s", raxx_errmsg());
	set_path("");
	check("an empty PATH", "shim/gh", NULL, NULL, NULL);

	/* a copy of the shim: the first hop takes it, the second passes it over */
	set_path("shim:copy:real");
	check("hop 1: the copy looks real", "shim/gh", NULL, "copy/gh", &chain);
	check("hop 2, same pid: the chain skips the first shim", "copy/gh",
	      chain, "real/gh", NULL);
	real_shim = realpath(top, NULL);
	snprintf(buf, sizeof(buf), "%ld:%s/shim", (long)getpid() + 1, real_shim);
	check("a chain from another pid (gh running gh) is ignored", "copy/gh",
	      buf, "shim/gh", NULL);
	free(chain);

	/* the chain alone (the full program run without --shim) */
	real_copy = xstrfmt("%ld:%s/shim:%s/copy", (long)getpid(), real_shim, real_shim);
	check("the chain alone skips both shims", NULL, real_copy, "real/gh", NULL);
	free(real_copy);
	free(real_shim);

	for (i = 0; bad_chains[i]; i++) {
		snprintf(buf, sizeof(buf), "a malformed chain '%s' is harmless",
			 bad_chains[i]);
		check(buf, "shim/gh", bad_chains[i], "copy/gh", NULL);
	}

	/* an empty PATH entry is the current directory */
	target = at("shim");
	if (chdir(target))
		die("chdir failed");
	free(target);
	setenv("PATH", ":", 1);
	check("'' in PATH is '.', the shim's directory here", "shim/gh", NULL,
	      NULL, NULL);

	/* RAXX_GH */
	target = at("real/gh");
	setenv("RAXX_GH", target, 1);
	set_path("shim");
	check("RAXX_GH names the real gh", "shim/gh", NULL, "real/gh", NULL);
	free(target);
	target = at("link/gh");
	setenv("RAXX_GH", target, 1);
	check("RAXX_GH naming the shim (through a link)", "shim/gh", NULL, NULL, NULL);
	ok(strstr(raxx_errmsg(), "is the gh shim itself") != NULL, "  ... says so");
	free(target);
	target = at("noexec/gh");
	setenv("RAXX_GH", target, 1);
	check("RAXX_GH not executable", "shim/gh", NULL, NULL, NULL);
	ok(strstr(raxx_errmsg(), "is not an executable file") != NULL, "  ... says so");
	free(target);
	unsetenv("RAXX_GH");

	setenv("PATH", old_path, 1);
	free(old_path);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", top);
	if (system(buf))
		printf("# could not remove %s\n", top);
	return done_testing();
}
