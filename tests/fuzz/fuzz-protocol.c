/*
 * libFuzzer target for src/base/protocol.c. Beyond "no crash, no leak, no UB"
 * it checks invariants: parsed values never hold a line break, reading
 * through a pipe gives exactly what parsing the buffer gives, host
 * matching is symmetric, and answers and repo names have their shape.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/protocol.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static int same(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

static void check_value(const char *v)
{
	CHECK(!v || !strpbrk(v, "\r\n"));
}

static void check_repo(const char *path)
{
	char *r = (char *)"unset";
	const char *slash;
	size_t i;

	if (credential_repo(path, &r)) {
		CHECK(!r);
		return;
	}
	CHECK(r && *r);
	slash = strchr(r, '/');
	CHECK(slash && slash != r && slash[1] && !strchr(slash + 1, '/'));
	for (i = 0; r[i]; i++)
		CHECK(r[i] == '/' || r[i] == '.' || r[i] == '_' || r[i] == '-' ||
		      (r[i] >= '0' && r[i] <= '9') || (r[i] >= 'a' && r[i] <= 'z') ||
		      (r[i] >= 'A' && r[i] <= 'Z'));
	free(r);
}

static void check_hosts(const char *a, const char *b)
{
	int ab = credential_host_matches(a, b);

	CHECK(ab == credential_host_matches(b, a));
	if (ab) {
		CHECK(credential_host_matches(a, a));
		CHECK(!strpbrk(a, "/@\\ \t\r\n"));
	}
}

static void check_write(const char *user, const char *pass)
{
	char *buf = NULL;
	size_t len = 0, lines = 0, i;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return;
	ret = credential_write(f, user, pass, 1700000000);
	fclose(f);
	if (!ret) {
		for (i = 0; i < len; i++)
			lines += buf[i] == '\n';
		CHECK(lines == 3 && len && buf[len - 1] == '\n');
		CHECK(!memchr(buf, '\r', len));
	} else {
		CHECK(ret == RAXX_EGITHUB && len == 0);
	}
	free(buf);
}

/* credential_read through a pipe must agree with credential_parse. */
static void check_read(const uint8_t *data, size_t size,
		       const struct credential *want, int want_ret)
{
	struct credential c = CREDENTIAL_INIT;
	char *msg;
	int fds[2], ret;
	FILE *in;

	if (size > 32768 || pipe(fds))
		return;
	msg = xstrdup(raxx_errmsg());
	if (size && write(fds[1], data, size) != (ssize_t)size) {
		close(fds[0]);
		close(fds[1]);
		free(msg);
		return;
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	CHECK(in);
	ret = credential_read(&c, in, 0);
	fclose(in);
	CHECK(ret == want_ret);
	if (ret)
		CHECK(!strcmp(msg, raxx_errmsg()));
	else
		CHECK(same(c.protocol, want->protocol) && same(c.host, want->host) &&
		      same(c.path, want->path) && same(c.username, want->username) &&
		      same(c.password, want->password));
	credential_release(&c);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct credential c = CREDENTIAL_INIT;
	char *s;
	int ret;

	ret = credential_parse(&c, (const char *)data, size);
	CHECK(ret == 0 || ret == RAXX_EUSAGE);
	if (ret) {
		CHECK(!c.protocol && !c.host && !c.path && !c.username && !c.password);
		CHECK(!strncmp(raxx_errmsg(), "credential input: ", 18));
	} else {
		check_value(c.protocol);
		check_value(c.host);
		check_value(c.path);
		check_value(c.username);
		check_value(c.password);
		if (!credential_check_complete(&c)) {
			CHECK(*c.protocol && *c.host);
			check_hosts(c.host, "github.com");
			check_hosts(c.host, "127.0.0.1:8443");
			check_hosts(c.host, c.username ? c.username : "GitHub.com:443");
		}
		check_repo(c.path);
		if (c.username && c.password)
			check_write(c.username, c.password);
	}
	check_read(data, size, &c, ret);
	credential_release(&c);

	/* the raw input as a host, a path and an answer */
	s = xstrndup((const char *)data, size);
	check_hosts(s, "github.com");
	check_hosts(s, s);
	check_repo(s);
	check_write("x-access-token", s);
	free(s);
	raxx_clear_error();
	return 0;
}
