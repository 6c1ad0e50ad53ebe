/* Unit tests for src/base/protocol.c: git's credential-helper protocol. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "base/protocol.h"
#include "base/util.h"

/* a literal with its length, NULs included */
#define S(x) x, sizeof(x) - 1

struct parse_case {
	const char *name;
	const char *in;
	size_t len;
	int ret;
	/* on success: the fields (NULL: absent); on failure: err holds this */
	const char *protocol, *host, *path, *username, *password;
	const char *err;
};

static const struct parse_case parse_cases[] = {
	/* valid requests */
	{ "blank line ends the request",
	  S("protocol=https\nhost=github.com\n\n"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "EOF without blank line",
	  S("protocol=https\nhost=github.com\n"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "last line without LF",
	  S("protocol=https\nhost=github.com"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "all fields",
	  S("protocol=https\nhost=github.com\npath=o/r.git\nusername=u\npassword=p=q\n\n"), 0,
	  "https", "github.com", "o/r.git", "u", "p=q", NULL },
	{ "value split at the first '='",
	  S("host=a=b=c\n"), 0, NULL, "a=b=c", NULL, NULL, NULL, NULL },
	{ "empty values",
	  S("protocol=\nhost=\nusername=\npassword=\n"), 0,
	  "", "", NULL, "", "", NULL },
	{ "unknown keys ignored",
	  S("protocol=https\nfoo=bar\nhost=github.com\nx=\n"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "git's capability[] and friends ignored",
	  S("capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=github.com\n"
	    "wwwauth[]=Basic realm=\"GitHub\"\nwwwauth[]=Bearer\npassword_expiry_utc=1\n"
	    "oauth_refresh_token=zzz\nstate[]=a\n\n"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "url= is never interpreted",
	  S("url=https://evil.com/o/r\nprotocol=https\nhost=github.com\n"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "url= alone gives no host",
	  S("url=https://evil.com/o/r\n"), 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "input after the blank line ignored",
	  S("protocol=https\nhost=github.com\n\nhost=evil.com\n\0\r garbage"), 0,
	  "https", "github.com", NULL, NULL, NULL, NULL },
	{ "empty input", S(""), 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "only a blank line", S("\nhost=x\n"), 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "repeated password: last wins",
	  S("password=a\npassword=b\n"), 0, NULL, NULL, NULL, NULL, "b", NULL },
	{ "leading/trailing spaces kept as they are",
	  S("host= github.com \n"), 0, NULL, " github.com ", NULL, NULL, NULL, NULL },

	/* refusals */
	{ "NUL in a value", S("protocol=https\nhost=git\0hub.com\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "credential input: line 2: NUL byte" },
	{ "NUL in a key", S("pro\0tocol=https\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 1: NUL byte" },
	{ "NUL as a line", S("protocol=https\n\0\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: NUL byte" },
	{ "CRLF line ending", S("protocol=https\r\nhost=github.com\r\n\r\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 1: carriage return" },
	{ "CVE-2024-52006: CR inside a value",
	  S("protocol=https\nhost=github.com\rhost=evil.com\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: carriage return" },
	{ "CR in a password", S("protocol=https\npassword=se\rcret\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: carriage return" },
	{ "CR as blank line", S("protocol=https\n\r\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: carriage return" },
	{ "line without '='", S("protocol=https\nhost\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "credential input: line 2: no '=' in line" },
	{ "last line without '=' and LF", S("protocol=https\nhost"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: no '=' in line" },
	{ "spaces only line", S("protocol=https\n \n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: no '=' in line" },
	{ "empty key", S("protocol=https\n=github.com\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "credential input: line 2: empty key" },
	{ "repeated protocol", S("protocol=https\nprotocol=http\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "credential input: line 2: repeated 'protocol' line" },
	{ "CVE-2020-5260: a decoded newline gives a second host line",
	  S("protocol=https\nhost=github.com\nhost=evil.com\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 3: repeated 'host' line" },
	{ "repeated host, same value", S("host=a\nhost=a\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: repeated 'host' line" },
	{ "repeated path", S("path=a/b\nx=y\npath=c/d\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 3: repeated 'path' line" },
	{ "repeated username", S("username=a\nusername=\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: repeated 'username' line" },
	{ "repeated empty host", S("host=\nhost=\n"), RAXX_EUSAGE,
	  NULL, NULL, NULL, NULL, NULL, "line 2: repeated 'host' line" },
};

static int streq_null(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static void run_parse_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct credential c = CREDENTIAL_INIT;
		int ret;

		raxx_clear_error();
		ret = credential_parse(&c, t->in, t->len);
		if (!ok(ret == t->ret, "parse: %s: returns %d", t->name, t->ret))
			printf("#   got %d (%s)\n", ret, raxx_errmsg());
		if (t->ret) {
			if (!ok(strstr(raxx_errmsg(), t->err) != NULL,
				"parse: %s: message", t->name))
				printf("#   got '%s', want '%s'\n", raxx_errmsg(), t->err);
			ok(!c.protocol && !c.host && !c.path && !c.username &&
			   !c.password, "parse: %s: nothing kept", t->name);
		} else {
			ok(streq_null(c.protocol, t->protocol) &&
			   streq_null(c.host, t->host) &&
			   streq_null(c.path, t->path) &&
			   streq_null(c.username, t->username) &&
			   streq_null(c.password, t->password),
			   "parse: %s: fields", t->name);
		}
		credential_release(&c);
	}
}

/* No refusal may repeat a value: those may be secrets. */
static void test_no_secret_in_messages(void)
{
	static const struct { const char *name, *in; size_t len; } cases[] = {
		{ "CR in password", S("password=hunter2\rhunter2\n") },
		{ "NUL in password", S("password=hunter2\0hunter2\n") },
		{ "bare token line", S("protocol=https\nhunter2hunter2\n") },
		{ "repeated username", S("username=hunter2\nusername=hunter2\n") },
		{ "empty key", S("=hunter2\n") },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct credential c = CREDENTIAL_INIT;

		raxx_clear_error();
		ok(credential_parse(&c, cases[i].in, cases[i].len) == RAXX_EUSAGE &&
		   !strstr(raxx_errmsg(), "hunter2"),
		   "no secret echoed: %s ('%s')", cases[i].name, raxx_errmsg());
		credential_release(&c);
	}
}

/* "host=" padded so that the line holds exactly n bytes (LF not counted). */
static char *host_line(size_t n, const char *tail)
{
	size_t tl = strlen(tail);
	char *s = xmalloc(n + tl + 1);

	memcpy(s, "host=", 5);
	memset(s + 5, 'a', n - 5);
	memcpy(s + n, tail, tl + 1);
	return s;
}

static FILE *file_with(const char *buf, size_t len)
{
	FILE *f = tmpfile();

	if (!f)
		return NULL;
	if (len && fwrite(buf, 1, len, f) != len)
		return NULL;
	rewind(f);
	return f;
}

/* Run both credential_parse and credential_read (via a file) on buf. */
static void parse_and_read(const char *name, const char *buf, size_t len,
			   int want, const char *err)
{
	struct credential c = CREDENTIAL_INIT;
	FILE *f;
	int ret;

	raxx_clear_error();
	ret = credential_parse(&c, buf, len);
	if (!ok(ret == want, "parse: %s: returns %d", name, want))
		printf("#   got %d (%s)\n", ret, raxx_errmsg());
	if (err && !ok(strstr(raxx_errmsg(), err) != NULL, "parse: %s: message", name))
		printf("#   got '%s', want '%s'\n", raxx_errmsg(), err);
	credential_release(&c);

	f = file_with(buf, len);
	raxx_clear_error();
	ret = f ? credential_read(&c, f, 0) : -1;
	if (!ok(ret == want, "read: %s: returns %d", name, want))
		printf("#   got %d (%s)\n", ret, raxx_errmsg());
	if (err && !ok(strstr(raxx_errmsg(), err) != NULL, "read: %s: message", name))
		printf("#   got '%s', want '%s'\n", raxx_errmsg(), err);
	credential_release(&c);
	if (f)
		fclose(f);
}

static void test_line_boundaries(void)
{
	static const size_t sizes[] = { 1024, 4096, 8192, 65536 };
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *s;

		/* the line (key included) holds exactly n bytes */
		s = host_line(n, "\nprotocol=https\n\n");
		snprintf(name, sizeof(name), "host line of %zu bytes + LF", n);
		parse_and_read(name, s, strlen(s), 0, NULL);
		free(s);

		/* line + LF end exactly at n */
		s = host_line(n - 1, "\n");
		snprintf(name, sizeof(name), "host line + LF ending at byte %zu", n);
		parse_and_read(name, s, strlen(s), 0, NULL);
		free(s);

		s = host_line(n, "");
		snprintf(name, sizeof(name), "last line of %zu bytes without LF", n);
		parse_and_read(name, s, strlen(s), 0, NULL);
		free(s);
	}

	{
		struct credential c = CREDENTIAL_INIT;
		char *s = host_line(CREDENTIAL_MAX_LINE, "\n");

		ok(!credential_parse(&c, s, strlen(s)) && c.host &&
		   strlen(c.host) == CREDENTIAL_MAX_LINE - 5,
		   "a line of exactly CREDENTIAL_MAX_LINE bytes keeps its value");
		credential_release(&c);
		free(s);
	}

	{
		char *s = host_line(CREDENTIAL_MAX_LINE + 1, "\n");

		parse_and_read("host line of CREDENTIAL_MAX_LINE + 1 bytes", s,
			       strlen(s), RAXX_EUSAGE,
			       "credential input: line 1: longer than 65536 bytes");
		free(s);
		s = host_line(CREDENTIAL_MAX_LINE + 1, "");
		parse_and_read("last line of CREDENTIAL_MAX_LINE + 1 bytes, no LF",
			       s, strlen(s), RAXX_EUSAGE, "line 1: longer than 65536 bytes");
		free(s);
	}

	{
		/* an over-long line after the blank line does not matter */
		char *s = host_line(CREDENTIAL_MAX_LINE + 100, "\n");
		char *req = xstrfmt("protocol=https\nhost=x\n\n%s", s);

		parse_and_read("over-long line after the blank line", req,
			       strlen(req), 0, NULL);
		free(req);
		free(s);
	}
}

static void test_line_count(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < CREDENTIAL_MAX_LINES; i++)
		sb_addf(&sb, "k%d=v\n", i);
	parse_and_read("CREDENTIAL_MAX_LINES lines", sb.buf, sb.len, 0, NULL);
	sb_adds(&sb, "\n");
	parse_and_read("CREDENTIAL_MAX_LINES lines + blank line", sb.buf, sb.len,
		       0, NULL);
	sb.len--;
	sb_adds(&sb, "one=more\n");
	parse_and_read("CREDENTIAL_MAX_LINES + 1 lines", sb.buf, sb.len,
		       RAXX_EUSAGE, "credential input: line 1025: more than 1024 lines");
	sb_release(&sb);
}

static void test_total_input(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *line = host_line(1099, "\n");
	int i;

	/* 1000 lines of 1100 bytes: fewer than 1024 lines, over 1 MiB */
	line[0] = 'x';	/* "xost=": an unknown key, repeated freely */
	for (i = 0; i < 1000; i++)
		sb_adds(&sb, line);
	parse_and_read("more than CREDENTIAL_MAX_INPUT bytes", sb.buf, sb.len,
		       RAXX_EUSAGE, "credential input: line 954: more than 1048576 bytes");

	/* exactly CREDENTIAL_MAX_INPUT bytes is fine */
	sb.len = CREDENTIAL_MAX_INPUT;
	sb.buf[sb.len] = '\0';
	parse_and_read("exactly CREDENTIAL_MAX_INPUT bytes", sb.buf, sb.len, 0, NULL);
	sb.buf[sb.len - 1] = '\n';
	parse_and_read("exactly CREDENTIAL_MAX_INPUT bytes, ends in LF", sb.buf,
		       sb.len, 0, NULL);
	sb_release(&sb);
	free(line);
}

static void test_read(void)
{
	struct credential c = CREDENTIAL_INIT;
	char *s;
	FILE *f;
	int fds[2];

	/* the blank line split across two read chunks */
	s = host_line(4095, "\n\nno equals sign here\n");
	f = file_with(s, strlen(s));
	ok(f && !credential_read(&c, f, 0) && c.host && strlen(c.host) == 4090,
	   "read: blank line across a chunk boundary ends the request");
	credential_release(&c);
	if (f)
		fclose(f);
	free(s);

	/* a stream without a descriptor */
	s = xstrdup("protocol=https\nhost=github.com\n\nbad\n");
	f = fmemopen(s, strlen(s), "r");
	ok(f && !credential_read(&c, f, 0) && c.host && !strcmp(c.host, "github.com"),
	   "read: fmemopen stream");
	credential_release(&c);
	if (f)
		fclose(f);
	free(s);

	f = file_with("", 0);
	ok(f && !credential_read(&c, f, 0) && !c.host, "read: empty input");
	if (f)
		fclose(f);

	/* stops at the blank line: must not wait for EOF */
	if (!pipe(fds)) {
		static const char req[] = "protocol=https\nhost=github.com\n\n";
		FILE *in = fdopen(fds[0], "r");

		alarm(10);
		ok(write(fds[1], req, sizeof(req) - 1) == sizeof(req) - 1 && in &&
		   !credential_read(&c, in, 0) && c.protocol &&
		   !strcmp(c.protocol, "https"),
		   "read: returns at the blank line with the pipe still open");
		alarm(0);
		credential_release(&c);
		close(fds[1]);
		if (in)
			fclose(in);
	}
}

static void test_check_complete(void)
{
	static const struct {
		const char *name, *in; int ret; const char *err;
	} cases[] = {
		{ "complete", "protocol=https\nhost=github.com\n", 0, NULL },
		{ "CVE-2020-11008: no host", "protocol=https\n", RAXX_EUSAGE,
		  "credential input: no host" },
		{ "CVE-2020-11008: no protocol", "host=github.com\n", RAXX_EUSAGE,
		  "credential input: no protocol" },
		{ "empty host", "protocol=https\nhost=\n", RAXX_EUSAGE, "no host" },
		{ "empty protocol", "protocol=\nhost=github.com\n", RAXX_EUSAGE,
		  "no protocol" },
		{ "nothing", "", RAXX_EUSAGE, "no protocol" },
		{ "host only in url=", "protocol=https\nurl=https://github.com/\n",
		  RAXX_EUSAGE, "no host" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct credential c = CREDENTIAL_INIT;
		int ret;

		raxx_clear_error();
		ret = credential_parse(&c, cases[i].in, strlen(cases[i].in));
		if (!ret)
			ret = credential_check_complete(&c);
		is_int(ret, cases[i].ret, cases[i].name);
		if (cases[i].err &&
		    !ok(strstr(raxx_errmsg(), cases[i].err) != NULL, "%s: message",
			cases[i].name))
			printf("#   got '%s'\n", raxx_errmsg());
		credential_release(&c);
	}
}

static void test_host_matches(void)
{
	static const struct { const char *host, *conf; int want; } cases[] = {
		{ "github.com", "github.com", 1 },
		{ "github.com", "GitHub.COM", 1 },
		{ "GITHUB.com", "github.com", 1 },
		{ "github.com:443", "github.com", 1 },
		{ "github.com", "github.com:443", 1 },
		{ "github.com:443", "GITHUB.COM:443", 1 },
		{ "127.0.0.1:8443", "127.0.0.1:8443", 1 },
		{ "ghe.example.com:8443", "GHE.example.com:8443", 1 },
		{ "[::1]:8443", "[::1]:8443", 1 },
		{ "[::1]", "[::1]:443", 1 },
		{ "[FE80::1]", "[fe80::1]", 1 },
		{ "github.com.evil.com", "github.com", 0 },
		{ "evil.com/github.com", "github.com", 0 },
		{ "github.com/evil", "github.com", 0 },
		{ "github.com:8443", "github.com", 0 },
		{ "github.com", "github.com:8443", 0 },
		{ "github.com:8443", "github.com:9443", 0 },
		{ "127.0.0.1:8443", "127.0.0.1", 0 },
		{ "127.0.0.1", "127.0.0.1:8443", 0 },
		{ "github.com ", "github.com", 0 },
		{ " github.com", "github.com", 0 },
		{ "github.com\t", "github.com", 0 },
		{ "github.com\n", "github.com", 0 },
		{ "github.com\x7f", "github.com", 0 },
		{ "user@github.com", "github.com", 0 },
		{ "user@github.com", "user@github.com", 0 },
		{ "github.com\\evil", "github.com\\evil", 0 },
		{ "", "github.com", 0 },
		{ "", "", 0 },
		{ "github.com", "", 0 },
		{ "github.com:", "github.com", 0 },
		{ "github.com:", "github.com:", 0 },
		{ ":443", ":443", 0 },
		{ "github.com:443:443", "github.com:443:443", 0 },
		{ "github.com:8443:1", "github.com:8443:1", 0 },
		{ "github.com:x", "github.com:x", 0 },
		{ "github.com:123456", "github.com:123456", 0 },
		{ "::1", "::1", 0 },
		{ "[::1", "[::1", 0 },
		{ "[]", "[]", 0 },
		{ "[::1]x", "[::1]x", 0 },
		{ "[::1]:8443", "[::2]:8443", 0 },
		{ "[g::1]", "[g::1]", 0 },
		{ "g\xc3\xa9thub.com", "g\xc3\xa9thub.com", 0 },
		{ "github%2ecom", "github.com", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char h[64], c[64];

		sanitize(h, sizeof(h), cases[i].host);
		sanitize(c, sizeof(c), cases[i].conf);
		is_int(credential_host_matches(cases[i].host, cases[i].conf),
		       cases[i].want, cases[i].want ? "host match" : "host no match");
		printf("#   '%s' vs '%s'\n", h, c);
	}
	ok(!credential_host_matches(NULL, "github.com") &&
	   !credential_host_matches("github.com", NULL), "host match: NULL never matches");
}

static void test_repo(void)
{
	static const struct { const char *path, *want; } cases[] = {
		{ "octo/repo", "octo/repo" },
		{ "octo/repo.git", "octo/repo" },
		{ "/octo/repo.git", "octo/repo" },
		{ "Octo-Org/my_repo.v2", "Octo-Org/my_repo.v2" },
		{ "octo/repo.git.git", "octo/repo.git" },
		{ "octo/.github", "octo/.github" },
		{ "octo/.github.git", "octo/.github" },
		{ "octo", NULL },
		{ "", NULL },
		{ "/", NULL },
		{ "//octo/repo", NULL },
		{ "octo/", NULL },
		{ "/repo", NULL },
		{ "octo/repo/", NULL },
		{ "octo/repo/extra", NULL },
		{ "octo/repo.git/info/refs", NULL },
		{ "octo/.git", NULL },
		{ "octo/..", NULL },
		{ "../repo", NULL },
		{ "./repo", NULL },
		{ "octo/re po", NULL },
		{ "octo/repo%2fx", NULL },
		{ "octo/repo?x=1", NULL },
		{ "octo/repo\n", NULL },
		{ "oc@to/repo", NULL },
		{ "octo\\repo", NULL },
		{ "octo/r\xc3\xa9po", NULL },
	};
	size_t i;
	char *out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[128], p[64];
		int ret = credential_repo(cases[i].path, &out);

		sanitize(p, sizeof(p), cases[i].path);
		snprintf(name, sizeof(name), "repo: '%s' -> %s", p,
			 cases[i].want ? cases[i].want : "refused");
		if (cases[i].want)
			ok(!ret && out && !strcmp(out, cases[i].want), "%s", name);
		else
			ok(ret == -1 && !out, "%s", name);
		free(out);
	}
	out = (char *)"x";
	ok(credential_repo(NULL, &out) == -1 && !out, "repo: NULL path refused");
}

/* The whole contents of f, NUL-terminated (binary safe via *len). */
static char *slurp(FILE *f, size_t *len)
{
	static char buf[4096];

	rewind(f);
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[*len] = '\0';
	return buf;
}

static void test_write(void)
{
	static const struct {
		const char *name, *user, *pass; time_t expiry; int ret; const char *want;
	} cases[] = {
		{ "with expiry", "x-access-token", "ghs_abc.def_1", 1700000000, 0,
		  "username=x-access-token\npassword=ghs_abc.def_1\n"
		  "password_expiry_utc=1700000000\n" },
		{ "no expiry", "x-access-token", "ghs_abc", 0, 0,
		  "username=x-access-token\npassword=ghs_abc\n" },
		{ "negative expiry", "u", "p", -5, 0, "username=u\npassword=p\n" },
		{ "'=' in values", "a=b", "c=d", 0, 0, "username=a=b\npassword=c=d\n" },
		{ "LF in password", "x-access-token", "ghs_abc\nhost=evil.com", 1, RAXX_EGITHUB, "" },
		{ "bare LF password", "x-access-token", "\n", 1, RAXX_EGITHUB, "" },
		{ "CR in password", "x-access-token", "ghs_abc\r", 1, RAXX_EGITHUB, "" },
		{ "LF in username", "x\nquit=1", "ghs_abc", 1, RAXX_EGITHUB, "" },
		{ "CR in username", "x\r", "ghs_abc", 0, RAXX_EGITHUB, "" },
		{ "NULL password", "x", NULL, 0, RAXX_EINTERNAL, "" },
	};
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = tmpfile();
		const char *got;
		int ret;

		if (!f) {
			ok(0, "tmpfile");
			continue;
		}
		raxx_clear_error();
		ret = credential_write(f, cases[i].user, cases[i].pass, cases[i].expiry);
		is_int(ret, cases[i].ret, cases[i].name);
		got = slurp(f, &len);
		ok(len == strlen(cases[i].want) && !strcmp(got, cases[i].want),
		   "write: %s: exact bytes", cases[i].name);
		if (ret)
			ok(!strstr(raxx_errmsg(), "ghs_abc"),
			   "write: %s: no secret in message", cases[i].name);
		fclose(f);
	}

	{
		FILE *f = tmpfile();

		ok(f && !credential_write_quit(f) && !strcmp(slurp(f, &len), "quit=1\n"),
		   "write: quit=1");
		if (f)
			fclose(f);
	}

	{
		FILE *f = fopen("/dev/full", "w");

		if (f) {
			ok(credential_write(f, "u", "p", 0) == RAXX_EINTERNAL,
			   "write: error on /dev/full");
			ok(credential_write_quit(f) == RAXX_EINTERNAL,
			   "write quit: error on /dev/full");
			fclose(f);
		} else {
			ok(1, "# SKIP no /dev/full");
			ok(1, "# SKIP no /dev/full");
		}
	}
}

int main(void)
{
	run_parse_cases();
	test_no_secret_in_messages();
	test_line_boundaries();
	test_line_count();
	test_total_input();
	test_read();
	test_check_complete();
	test_host_matches();
	test_repo();
	test_write();
	return done_testing();
}
