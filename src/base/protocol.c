/*
 * git's credential-helper protocol: read and check a request, write an
 * answer. The contract is in protocol.h.
 *
 * Everything here treats the input as hostile: it comes from git, which
 * got it from a URL that anyone could have written (CVE-2020-5260,
 * CVE-2020-11008, CVE-2024-52006 were all about smuggling lines or
 * wildcards through this channel). So the parser refuses anything odd
 * rather than guessing, and never repeats a value back in a message.
 */
#define _POSIX_C_SOURCE 200809L
/* system headers first: banned.h (via util.h) must come last */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "protocol.h"
#include "util.h"

#define READ_CHUNK 4096

static int is_ascii_alnum(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static int is_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

static unsigned char ascii_lower(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch - 'A' + 'a') : ch;
}

void credential_release(struct credential *c)
{
	if (!c)
		return;
	free(c->protocol);
	free(c->host);
	free(c->path);
	free(c->username);
	free_secret(c->password);
	c->protocol = c->host = c->path = c->username = c->password = NULL;
}

/* Set the attribute at *slot from a line's value; refuse a repeat. */
static int set_once(char **slot, const char *key, const char *val,
		    size_t vlen, unsigned long lineno)
{
	if (*slot)
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: line %lu: repeated '%s' line",
				 lineno, key);
	*slot = xstrndup(val, vlen);
	return 0;
}

static int parse_line(struct credential *c, const char *line, size_t n,
		      unsigned long lineno)
{
	const char *eq, *val;
	size_t klen, vlen;

	/* checked before anything looks inside the line */
	if (memchr(line, '\0', n))
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: line %lu: NUL byte", lineno);
	if (memchr(line, '\r', n))
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: line %lu: carriage return "
				 "(lines end at LF only)", lineno);
	eq = memchr(line, '=', n);
	if (!eq)
		/* no key to name: the whole line may be a secret */
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: line %lu: no '=' in line",
				 lineno);
	klen = (size_t)(eq - line);
	if (!klen)
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: line %lu: empty key", lineno);
	val = eq + 1;
	vlen = n - klen - 1;

#define KEY_IS(k) (klen == sizeof(k) - 1 && !memcmp(line, k, klen))
	if (KEY_IS("protocol"))
		return set_once(&c->protocol, "protocol", val, vlen, lineno);
	if (KEY_IS("host"))
		return set_once(&c->host, "host", val, vlen, lineno);
	if (KEY_IS("path"))
		return set_once(&c->path, "path", val, vlen, lineno);
	if (KEY_IS("username"))
		return set_once(&c->username, "username", val, vlen, lineno);
	if (KEY_IS("password")) {
		/* as git does, the last one wins; the old one is wiped */
		free_secret(c->password);
		c->password = xstrndup(val, vlen);
		return 0;
	}
#undef KEY_IS
	/*
	 * Unknown keys are ignored, as git's helpers do: capability[],
	 * wwwauth[], password_expiry_utc, oauth_refresh_token, and url=,
	 * which must never be parsed (its host/path could contradict the
	 * lines git already split out for us).
	 */
	return 0;
}

int credential_parse(struct credential *c, const char *buf, size_t len)
{
	struct credential tmp = CREDENTIAL_INIT;
	unsigned long lineno = 0;
	size_t pos = 0;
	int ret;

	while (pos < len) {
		const char *line = buf + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		size_t end = pos + n + (lf ? 1 : 0);

		if (lf && !n)
			break;	/* the blank line: the request ends here */
		lineno++;
		if (n > CREDENTIAL_MAX_LINE) {
			ret = raxx_fail(RAXX_EUSAGE,
					"credential input: line %lu: longer than %d bytes",
					lineno, CREDENTIAL_MAX_LINE);
			goto fail;
		}
		if (lineno > CREDENTIAL_MAX_LINES) {
			ret = raxx_fail(RAXX_EUSAGE,
					"credential input: line %lu: more than %d lines",
					lineno, CREDENTIAL_MAX_LINES);
			goto fail;
		}
		if (end > CREDENTIAL_MAX_INPUT) {
			ret = raxx_fail(RAXX_EUSAGE,
					"credential input: line %lu: more than %d bytes in all",
					lineno, CREDENTIAL_MAX_INPUT);
			goto fail;
		}
		ret = parse_line(&tmp, line, n, lineno);
		if (ret)
			goto fail;
		pos = end;
	}
	credential_release(c);
	*c = tmp;
	return 0;

fail:
	credential_release(&tmp);
	return ret;
}

/*
 * Read one chunk: read(2) on the descriptor when there is one, so that
 * the password never sits in a stdio buffer we cannot wipe, and so that
 * we return as soon as git's blank line arrives instead of waiting for a
 * full buffer. A stream without a descriptor (fmemopen) goes through
 * fread, which cannot block on memory.
 */
static ssize_t read_chunk(FILE *in, int fd, char *buf, size_t n,
			  int64_t deadline_ms)
{
	ssize_t got;

	if (fd >= 0 && deadline_ms > 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r;

		do {
			int64_t left = deadline_ms - now_ms();

			if (left <= 0)
				return -2;
			r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		} while ((r < 0 && errno == EINTR) || (r == 0 && now_ms() < deadline_ms));
		if (r == 0)
			return -2;	/* the deadline passed, nothing came */
	}
	if (fd < 0) {
		size_t r = fread(buf, 1, n, in);

		if (!r && ferror(in))
			return -1;
		return (ssize_t)r;
	}
	do {
		got = read(fd, buf, n);
	} while (got < 0 && errno == EINTR);
	return got;
}

int credential_read(struct credential *c, FILE *in, int64_t deadline_ms)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[READ_CHUNK];
	int fd = fileno(in);
	int at_line_start = 1, done = 0, ret;

	sb.secret = 1;
	/*
	 * One byte over the limit is kept, so that credential_parse sees
	 * the overflow and reports it with its line number.
	 */
	sb.cap = CREDENTIAL_MAX_INPUT + 1;
	while (!done) {
		ssize_t got = read_chunk(in, fd, chunk, sizeof(chunk), deadline_ms);
		size_t i, take;

		if (got == -2) {
			ret = raxx_fail(RAXX_EUSAGE, "credential input: the request "
					"did not end (blank line or end of input) "
					"within RAXX_TIMEOUT: refusing it");
			goto out;
		}
		if (got < 0) {
			ret = raxx_fail(RAXX_EUSAGE, "credential input: read error: %s",
					strerror(errno));
			goto out;
		}
		if (!got)
			break;
		take = (size_t)got;
		for (i = 0; i < (size_t)got; i++) {
			if (chunk[i] == '\n' && at_line_start) {
				take = i + 1;
				done = 1;
				break;
			}
			at_line_start = chunk[i] == '\n';
		}
		if (take > sb.cap - sb.len) {
			take = sb.cap - sb.len;
			done = 1;
		}
		if (sb_add(&sb, chunk, take))
			die("credential input: buffer cap miscounted");
	}
	ret = credential_parse(c, sb_str(&sb), sb.len);
out:
	sodium_memzero(chunk, sizeof(chunk));
	sb_release(&sb);
	return ret;
}

int credential_check_complete(const struct credential *c)
{
	/* CVE-2020-11008: a missing field must never act as a wildcard */
	if (!c->protocol || !*c->protocol)
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: no protocol (a missing "
				 "protocol is never a wildcard)");
	if (!c->host || !*c->host)
		return raxx_fail(RAXX_EUSAGE,
				 "credential input: no host (a missing host is "
				 "never a wildcard)");
	return 0;
}

/*
 * Split "NAME[:PORT]" or "[IPV6][:PORT]" into name and port. NAME holds
 * only [A-Za-z0-9._-], IPV6 only hex digits, ':' and '.', PORT 1 to 5
 * digits. Anything else is refused (-1): an allow-list is the only safe
 * way to say "no '/', '@', '\\', spaces, control bytes, second ':' ...".
 * ":443" is dropped, as git treats https://h:443/ and https://h/ alike.
 */
static int split_host(const char *s, const char **name, size_t *nlen,
		      const char **port, size_t *plen)
{
	const char *p = s;
	size_t i;

	if (!s)
		return -1;
	if (*p == '[') {
		for (p++; *p && *p != ']'; p++) {
			unsigned char ch = (unsigned char)*p;

			if (!is_hex(ch) && ch != ':' && ch != '.')
				return -1;
		}
		if (*p != ']' || p == s + 1)
			return -1;
		p++;
	} else {
		for (; *p && *p != ':'; p++) {
			unsigned char ch = (unsigned char)*p;

			if (!is_ascii_alnum(ch) && ch != '.' && ch != '-' &&
			    ch != '_')
				return -1;
		}
		if (p == s)
			return -1;
	}
	*name = s;
	*nlen = (size_t)(p - s);
	*port = "";
	*plen = 0;
	if (!*p)
		return 0;
	if (*p != ':')
		return -1;
	p++;
	for (i = 0; p[i]; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	if (!i || i > 5)
		return -1;
	if (!(i == 3 && !memcmp(p, "443", 3))) {
		*port = p;
		*plen = i;
	}
	return 0;
}

int credential_host_matches(const char *host, const char *configured)
{
	const char *hn, *hp, *cn, *cp;
	size_t hnl, hpl, cnl, cpl, i;

	if (split_host(host, &hn, &hnl, &hp, &hpl) ||
	    split_host(configured, &cn, &cnl, &cp, &cpl))
		return 0;
	if (hnl != cnl || hpl != cpl || memcmp(hp, cp, hpl))
		return 0;
	for (i = 0; i < hnl; i++)
		if (ascii_lower((unsigned char)hn[i]) !=
		    ascii_lower((unsigned char)cn[i]))
			return 0;
	return 1;
}

/* One OWNER or REPO part: non-empty, [A-Za-z0-9._-], not "." or "..". */
static int repo_part_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || (n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!is_ascii_alnum(ch) && ch != '.' && ch != '-' && ch != '_')
			return 0;
	}
	return 1;
}

int credential_repo(const char *path, char **owner_repo)
{
	const char *owner, *slash, *repo;
	size_t olen, rlen;

	*owner_repo = NULL;
	if (!path)
		return -1;
	owner = path[0] == '/' ? path + 1 : path;
	slash = strchr(owner, '/');
	if (!slash)
		return -1;
	olen = (size_t)(slash - owner);
	repo = slash + 1;
	rlen = strlen(repo);
	/* "OWNER/.git" strips to an empty REPO and is refused below */
	if (rlen >= 4 && !memcmp(repo + rlen - 4, ".git", 4))
		rlen -= 4;
	/* a further '/' fails the character check: no extra segments */
	if (!repo_part_ok(owner, olen) || !repo_part_ok(repo, rlen))
		return -1;
	*owner_repo = xstrfmt("%.*s/%.*s", (int)olen, owner, (int)rlen, repo);
	return 0;
}

static int value_ok(const char *v)
{
	return !strpbrk(v, "\r\n");
}

int credential_write(FILE *out, const char *username, const char *password,
		     time_t expiry)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	if (!username || !password)
		return raxx_fail(RAXX_EINTERNAL,
				 "credential answer: no username or password");
	/* a NUL cannot hide in a C string: it would just end the value */
	if (!value_ok(username))
		return raxx_fail(RAXX_EGITHUB,
				 "credential answer: username holds a line break; "
				 "nothing written");
	if (!value_ok(password))
		return raxx_fail(RAXX_EGITHUB,
				 "credential answer: password holds a line break; "
				 "nothing written");

	sb.secret = 1;
	sb_addf(&sb, "username=%s\npassword=%s\n", username, password);
	if (expiry > 0)
		sb_addf(&sb, "password_expiry_utc=%lld\n", (long long)expiry);
	/* one write: git keeps whatever a helper printed, even half of it */
	if (fwrite(sb.buf, 1, sb.len, out) != sb.len || fflush(out))
		ret = raxx_fail(RAXX_EINTERNAL, "credential answer: write failed: %s",
				strerror(errno));
	sb_release(&sb);
	return ret;
}

int credential_write_quit(FILE *out)
{
	static const char quit[] = "quit=1\n";

	if (fwrite(quit, 1, sizeof(quit) - 1, out) != sizeof(quit) - 1 ||
	    fflush(out))
		return raxx_fail(RAXX_EINTERNAL, "credential answer: write failed: %s",
				 strerror(errno));
	return 0;
}
