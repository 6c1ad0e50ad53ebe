/*
 * src/services/http.c with its transfers replaced by answers from the fuzzer's
 * input: the contract is in fake-http.h.
 *
 * The real files (http.c and http_net.c, where the pre-connection is) are
 * compiled here whole, with the three functions that reach the network
 * renamed away, so that everything else (URL checks,
 * redirects, escaping, releasing answers, per-client headers) is the
 * program's own code.
 */
#define http_client_new http_client_new_unused
#define http_request http_request_unused
#define http_preconnect http_preconnect_unused
#include "../../src/services/http.c"
#include "../../src/services/http_net.c"
#undef http_client_new
#undef http_request
#undef http_preconnect

#include <stdio.h>
#include <stdlib.h>

#include "fake-http.h"

struct http_client *http_client_new(const char *service, int fail_code);
int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, const char *body,
		 struct http_response *resp);
void http_preconnect(struct http_client *c, const char *url);

static const char *script, *script_end, *base_url;
static int requests;
static char last_auth[512];

int fake_http_input(const uint8_t *data, size_t size, int nops, int *op,
		    int *flags, const char **script, size_t *len)
{
	if (size < 2)
		return 0;
	*op = (uint8_t)(data[0] - '0') % nops;
	*flags = (uint8_t)(data[1] - '0');
	*script = (const char *)data + 2;
	*len = size - 2;
	if (*len && **script == '\n') {
		(*script)++;
		(*len)--;
	}
	return 1;
}

void fake_http_reset(const char *base, const char *data, size_t len)
{
	base_url = base;
	script = data;
	script_end = data + len;
	requests = 0;
	last_auth[0] = '\0';
}

int fake_http_requests(void)
{
	return requests;
}

const char *fake_http_last_auth(void)
{
	return last_auth;
}

struct http_client *http_client_new(const char *service, int fail_code)
{
	struct http_client *c = xcalloc(1, sizeof(*c));

	/* no curl handle: http_client_free() of http.c copes with that */
	c->service = xstrdup(service);
	c->fail_code = fail_code;
	return c;
}

void http_preconnect(struct http_client *c, const char *url)
{
	(void)c;
	(void)url;
}

static void check_header(const char *h)
{
	CHECK(!strpbrk(h, "\r\n"));
	if (!strncasecmp(h, "Authorization:", 14))
		snprintf(last_auth, sizeof(last_auth), "%s", h);
}

static void check_request(const struct http_client *c, const char *url,
			  const char *const *headers)
{
	const struct curl_slist *p;
	size_t n = strlen(base_url), i;

	CHECK(!strncmp(url, base_url, n) && url[n] == '/');
	for (i = 0; url[i]; i++)
		CHECK((unsigned char)url[i] > ' ' && url[i] != 0x7f);
	last_auth[0] = '\0';
	for (p = c->extra; p; p = p->next)
		check_header(p->data);
	for (; headers && *headers; headers++)
		check_header(*headers);
}

/* The value of header line "Name: value" (n bytes) when it is name. */
static int header_value(const char *line, size_t n, const char *name,
			const char **v, size_t *vn)
{
	size_t k = strlen(name);
	const char *end = line + n;

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k))
		return 0;
	line += k + 1;
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*v = line;
	*vn = (size_t)(end - line);
	return 1;
}

/* The first "\n--\n" in [p, end), or NULL. */
static const char *separator(const char *p, const char *end)
{
	for (; end - p >= 4; p++)
		if (!memcmp(p, "\n--\n", 4))
			return p;
	return NULL;
}

static void keep(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = xstrndup(v, n);
}

int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, const char *body,
		 struct http_response *r)
{
	const char *p = script, *end, *nl;
	long status = 0;
	int digits = 0;

	(void)method;
	(void)body;
	check_request(c, url, headers);
	c->requests++;
	requests++;

	http_response_release(r);
	r->body.secret = 1;
	r->body.cap = HTTP_MAX_BODY;
	sb_reset(&r->body);
	r->sent_at = now_seconds();

	if (!p || p >= script_end)
		return raxx_fail_outage(c->fail_code, "%s at '%s' unreachable: "
					"no answer left", c->service, url);
	end = separator(p, script_end);
	script = end ? end + 4 : script_end;
	if (!end)
		end = script_end;

	while (p < end && *p >= '0' && *p <= '9' && digits < 3) {
		status = status * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits)
		return raxx_fail_outage(c->fail_code, "%s at '%s' unreachable: "
					"the script says so", c->service, url);
	r->status = status;
	nl = memchr(p, '\n', (size_t)(end - p));
	p = nl ? nl + 1 : end;
	/* headers, to an empty line */
	while (p < end) {
		const char *v;
		size_t n, vn;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (!n) {
			p = nl ? nl + 1 : end;
			break;
		}
		if (header_value(p, n, "location", &v, &vn))
			keep(&r->location, v, vn);
		else if (header_value(p, n, "date", &v, &vn))
			keep(&r->date, v, vn);
		else if (header_value(p, n, "retry-after", &v, &vn))
			keep(&r->retry_after, v, vn);
		else if (header_value(p, n, "content-type", &v, &vn))
			keep(&r->content_type, v, vn);
		else if (header_value(p, n, "x-ratelimit-remaining", &v, &vn))
			keep(&r->ratelimit_remaining, v, vn);
		else if (header_value(p, n, "github-authentication-token-expiration",
				      &v, &vn))
			keep(&r->token_expiration, v, vn);
		p = nl ? nl + 1 : end;
	}
	if (sb_add(&r->body, p, (size_t)(end - p)))
		return raxx_fail(c->fail_code, "%s answer from '%s' is larger than "
				 "%d bytes: check the URL", c->service, url,
				 HTTP_MAX_BODY);
	return 0;
}
