/* Unit tests for src/identity/discover.c: which remote URLs name a repository on
 * the configured host, and doctor's redaction of operator credentials. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "identity/discover.h"
#include "doctor/doctor.h"
#include "base/util.h"

struct url_case {
	const char *url, *host;
	const char *want;	/* NULL: not a repository on host */
};

static const struct url_case url_cases[] = {
	{ "https://github.com/raxx-app/demo.git", "github.com", "raxx-app/demo" },
	{ "https://github.com/raxx-app/demo", "github.com", "raxx-app/demo" },
	{ "https://github.com/raxx-app/demo/", "github.com", "raxx-app/demo" },
	{ "https://GitHub.COM/raxx-app/demo.git", "github.com", "raxx-app/demo" },
	{ "https://github.com:443/raxx-app/demo.git", "github.com", "raxx-app/demo" },
	{ "https://x-access-token:secret@github.com/raxx-app/demo.git", "github.com",
	  "raxx-app/demo" },
	{ "https://127.0.0.1:8443/raxx-app/demo.git", "127.0.0.1:8443", "raxx-app/demo" },
	/* GitHub strips ".git" from names: "demo.git.git" names no repository */
	{ "https://127.0.0.1:8443/raxx-app/demo.git.git", "127.0.0.1:8443", NULL },
	{ "git@github.com:raxx-app/demo.git.git", "github.com", NULL },
	{ "https://127.0.0.1:9999/raxx-app/demo.git", "127.0.0.1:8443", NULL },
	{ "https://github.example.com/raxx-app/demo.git", "github.com", NULL },
	{ "https://github.com.evil.example/raxx-app/demo.git", "github.com", NULL },
	{ "http://github.com/raxx-app/demo.git", "github.com", NULL },
	{ "git@github.com:raxx-app/demo.git", "github.com", "raxx-app/demo" },
	{ "github.com:raxx-app/demo", "github.com", "raxx-app/demo" },
	{ "git@127.0.0.1:raxx-app/demo.git", "127.0.0.1:8443", "raxx-app/demo" },
	{ "ssh://git@github.com/raxx-app/demo.git", "github.com", "raxx-app/demo" },
	{ "ssh://git@github.com:22/raxx-app/demo.git", "github.com", "raxx-app/demo" },
	{ "ssh://git@gitlab.com/raxx-app/demo.git", "github.com", NULL },
	{ "https://github.com/raxx-app/demo/extra.git", "github.com", NULL },
	{ "https://github.com/raxx-app", "github.com", NULL },
	{ "https://github.com/../etc/passwd", "github.com", NULL },
	{ "/srv/git/demo.git", "github.com", NULL },
	{ "file:///srv/git/raxx-app/demo.git", "github.com", NULL },
	{ "", "github.com", NULL },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(url_cases) / sizeof(*url_cases); i++) {
		const struct url_case *t = &url_cases[i];
		char *got = NULL;
		int ret = discover_repo_of_url(t->url, t->host, &got);

		if (t->want) {
			ok(!ret && got && !strcmp(got, t->want), "'%s' on %s is %s",
			   t->url, t->host, t->want);
		} else {
			ok(ret && !got, "'%s' is not a repository on %s", t->url, t->host);
		}
		free(got);
	}

	{
		char *r = doctor_redact("cfut_abcdefghijklmnopqrstuvwxyz0123456789");

		is_str(r, "cfut\xe2\x80\xa6" "6789", "redact: first and last 4");
		free(r);
		r = doctor_redact("short-one");
		is_str(r, "(9 chars)", "redact: a short value shows only its length");
		free(r);
		r = doctor_redact("a\nbcdefghijklm\tz");
		is_str(r, "a?bc\xe2\x80\xa6" "lm?z", "redact: control characters as ?");
		free(r);
	}
	return done_testing();
}
