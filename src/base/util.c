#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>

/* per thread: the broker serves each connection on its own thread */
static _Thread_local char errbuf[1024];
static _Thread_local int errcode;
static _Thread_local int erroutage;

int raxx_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	errcode = code;
	erroutage = 0;
	return code;
}

int raxx_fail_outage(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	errcode = code;
	erroutage = 1;
	return code;
}

int raxx_fail_http(long status, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	errcode = code;
	erroutage = status >= 500 || status == 429;
	return code;
}

int raxx_err_outage(void)
{
	return errcode && erroutage;
}

const char *raxx_errmsg(void)
{
	return errbuf;
}

int raxx_errcode(void)
{
	return errcode;
}

void raxx_clear_error(void)
{
	errbuf[0] = '\0';
	errcode = 0;
	erroutage = 0;
}

/* The length of the UTF-8 sequence at s when it is valid and printable
 * (not a C1 control, not an overlong form or a surrogate), else 0. */
static size_t utf8_printable(const unsigned char *s)
{
	unsigned cp;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0xa0) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void sanitize_text(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				*p = '?';
			p++;
		} else if ((n = utf8_printable(p))) {
			p += n;
		} else {
			*p++ = '?';
		}
	}
}

void sink_vprintf(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sanitize_text(msg);
	/* one write, so lines from concurrent helpers do not interleave */
	fprintf(f, "%s%s\n", prefix, msg);
	fflush(f);
}

void out_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(stdout, "", fmt, ap);
	va_end(ap);
}

void err_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(stderr, "", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(stderr, "raxx: warning: ", fmt, ap);
	va_end(ap);
}

void error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(stderr, "raxx: error: ", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(stderr, "raxx: fatal: ", fmt, ap);
	va_end(ap);
	exit(RAXX_EINTERNAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory");
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrfmt(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("bad format string");
	sb.buf = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(sb.buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return sb.buf;
}

static int sb_grow(struct strbuf *sb, size_t extra)
{
	size_t want, alloc;
	char *nbuf;

	if (sb->len + extra < sb->len)
		die("buffer size overflow");
	want = sb->len + extra + 1;
	if (sb->cap && want > sb->cap + 1) {
		sb->overflow = 1;
		return -1;
	}
	if (want <= sb->alloc)
		return 0;
	alloc = sb->alloc ? sb->alloc : 64;
	while (alloc < want)
		alloc *= 2;
	if (!sb->secret) {
		sb->buf = xrealloc(sb->buf, alloc);
	} else {
		/* never leave a copy of a secret in freed memory */
		nbuf = xmalloc(alloc);
		if (sb->buf) {
			memcpy(nbuf, sb->buf, sb->len + 1);
			sodium_memzero(sb->buf, sb->alloc);
			free(sb->buf);
		}
		sb->buf = nbuf;
	}
	sb->alloc = alloc;
	return 0;
}

int sb_add(struct strbuf *sb, const void *data, size_t n)
{
	if (sb_grow(sb, n))
		return -1;
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sb_adds(struct strbuf *sb, const char *s)
{
	return sb_add(sb, s, strlen(s));
}

int sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("bad format string");
	if (sb_grow(sb, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

void sb_reset(struct strbuf *sb)
{
	if (sb->buf) {
		if (sb->secret)
			sodium_memzero(sb->buf, sb->alloc);
		sb->buf[0] = '\0';
	}
	sb->len = 0;
	sb->overflow = 0;
}

void sb_release(struct strbuf *sb)
{
	if (sb->buf && sb->secret)
		sodium_memzero(sb->buf, sb->alloc);
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	sb->overflow = 0;
}

char *sb_detach(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return p;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

void free_secret(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

int secret_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}

char *sanitize(char *out, size_t n, const char *s)
{
	size_t i;

	if (!n)
		return out;
	for (i = 0; s && s[i] && i + 1 < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	out[i] = '\0';
	return out;
}

int bot_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 100 && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == n;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* days since 1970-01-01 of a civil date (proleptic Gregorian) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int make_time(int y, int mo, int d, int h, int mi, int sec, time_t *out)
{
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	*out = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
			h * 3600 + mi * 60 + sec);
	return 0;
}

int parse_iso8601(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec;
	const char *p;

	if (!s || strlen(s) < 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || s[10] != 'T' ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (strcmp(p, "Z") && strcmp(p, "+00:00"))
		return -1;
	return make_time(y, mo, d, h, mi, sec, out);
}

int parse_http_date(const char *s, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int d, y, h, mi, sec, mo;
	const char *p;

	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (!s || strlen(s) != 29 || s[3] != ',' || s[4] != ' ')
		return -1;
	if (digits(s + 5, 2, &d) || s[7] != ' ' || s[11] != ' ' ||
	    digits(s + 12, 4, &y) || s[16] != ' ' || digits(s + 17, 2, &h) ||
	    s[19] != ':' || digits(s + 20, 2, &mi) || s[22] != ':' ||
	    digits(s + 23, 2, &sec) || strcmp(s + 25, " GMT"))
		return -1;
	for (mo = 0, p = months; mo < 12; mo++, p += 3)
		if (!strncmp(p, s + 8, 3))
			break;
	if (mo == 12)
		return -1;
	return make_time(y, mo + 1, d, h, mi, sec, out);
}

void format_iso8601(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *env_get(const char *name)
{
	const char *v = getenv(name);

	return (v && *v) ? v : NULL;
}

time_t now_seconds(void)
{
	return time(NULL);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int poll_until(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

int base64_decode(const char *s, size_t n, struct strbuf *out)
{
	static signed char val[256];
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *bin = xmalloc(n / 4 * 3 + 3);
	unsigned acc = 0;
	int bits = 0, pad = 0, ret = -1;
	size_t i, len = 0;

	if (!val[0]) {
		memset(val, -1, sizeof(val));
		for (i = 0; i < 64; i++)
			val[(unsigned char)abc[i]] = (signed char)i;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad || val[ch] < 0)
			goto out;	/* data after padding, or not base64 */
		acc = (acc << 6) | (unsigned)val[ch];
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bin[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (pad <= 2)
		ret = sb_add(out, bin, len);
out:
	free(bin);
	return ret;
}
