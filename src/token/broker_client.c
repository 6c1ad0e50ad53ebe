/*
 * The client side of the token broker: the contract is in broker_client.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_client.h"
#include "broker_wire.h"
#include "fallback.h"
#include "child_env.h"
#include "identity/identity.h"
#include "base/log.h"
#include "store/store.h"
#include "token_value.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0	/* SIGPIPE is ignored (process_harden) */
#endif

/* ---------------------------------------------------------------- where */

char *broker_default_socket(void)
{
	char *dir = runtime_dir_path(), *p;

	if (!dir && !(dir = cache_dir_path()))
		return NULL;
	p = xstrfmt("%s/" BROKER_SOCKET_NAME, dir);
	free(dir);
	return p;
}

char *broker_socket_in_use(int *named)
{
	const char *set = env_get("RAXX_BROKER_SOCKET");
	struct stat st;
	char *p;

	if (named)
		*named = set != NULL;
	if (set)
		return xstrdup(set);
	if (!(p = broker_default_socket()))
		return NULL;
	if (!lstat(p, &st) && S_ISSOCK(st.st_mode))
		return p;
	free(p);
	return NULL;
}

/* ---------------------------------------------------------------- wire */

static int64_t default_deadline(void)
{
	const char *t = env_get("RAXX_TIMEOUT");
	long secs = 30;

	if (t && parse_long(t, 1, 3600, &secs))
		secs = 30;
	return now_ms() + secs * 1000;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A connected socket, or -1 with the message recorded. */
static int dial(const char *path, int64_t deadline)
{
	struct sockaddr_un sa;
	char safe[256];
	int fd, err = 0, nap = 2;
	socklen_t len = sizeof(err);

	sanitize(safe, sizeof(safe), path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		raxx_fail(RAXX_EVAULT, "broker socket '%s' is a path too long for a "
			  "socket (at most %zu bytes): choose a shorter "
			  "RAXX_BROKER_SOCKET", safe, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0) {
			raxx_fail(RAXX_EVAULT, "broker: cannot make a socket: %s",
				  strerror(errno));
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		err = errno;
		if (err == EINPROGRESS) {
			if (poll_until(fd, POLLOUT, deadline) > 0 &&
			    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err)
				return fd;
			if (!err)
				err = ETIMEDOUT;
		}
		close(fd);
		/* a full backlog: the broker is busy, wait for a place */
		if ((err == EAGAIN || err == EWOULDBLOCK) && now_ms() + nap < deadline) {
			nap_ms(nap);
			if (nap < 50)
				nap *= 2;
			continue;
		}
		break;
	}
	raxx_fail(RAXX_EVAULT, "broker at '%s' does not answer (%s): start it "
		  "(git-credential-raxx broker), %s", safe, strerror(err),
		  env_get("RAXX_BROKER_SOCKET") ? "or unset RAXX_BROKER_SOCKET to "
		  "mint in this process" : "or remove the stale socket to mint in "
		  "this process");
	return -1;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (poll_until(fd, POLLOUT, deadline) <= 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int broker_call(const char *path, const struct broker_msg *req,
		struct broker_msg *ans, int64_t deadline)
{
	struct strbuf out = STRBUF_INIT, in = STRBUF_INIT;
	const char *why;
	char safe[256], buf[4096];
	long end = 0;
	int fd, ret = 0, send_err = 0;

	if (!deadline)
		deadline = default_deadline();
	sanitize(safe, sizeof(safe), path);
	out.secret = in.secret = 1;
	in.cap = BROKER_MAX_MSG;
	if (broker_msg_format(req, &out)) {
		sb_release(&out);
		return raxx_fail(RAXX_EINTERNAL, "broker: the request does not fit "
				 "in a message");
	}
	if ((fd = dial(path, deadline)) < 0) {
		sb_release(&out);
		return RAXX_EVAULT;
	}
	/* a broker that refuses at once answers and closes before reading:
	 * a failed send still looks for that answer */
	if (send_all(fd, out.buf, out.len, deadline))
		send_err = errno ? errno : ETIMEDOUT;
	while (!end) {
		ssize_t r;
		int p = poll_until(fd, POLLIN, deadline);

		if (p <= 0) {
			ret = raxx_fail(RAXX_EVAULT, "broker at '%s' did not answer in "
					"time: check its log, or raise RAXX_TIMEOUT",
					safe);
			goto out;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0 && send_err) {
			ret = raxx_fail(RAXX_EVAULT, "broker at '%s' did not take the "
					"request (%s): check its log", safe,
					strerror(send_err));
			goto out;
		}
		if (r <= 0) {
			ret = raxx_fail(RAXX_EVAULT, "broker at '%s' closed the "
					"connection without an answer%s%s: check its "
					"log", safe, r < 0 ? ": " : "",
					r < 0 ? strerror(errno) : "");
			goto out;
		}
		if (sb_add(&in, buf, (size_t)r) ||
		    (end = broker_msg_end(in.buf, in.len)) < 0) {
			ret = raxx_fail(RAXX_EVAULT, "broker at '%s' sent an answer that "
					"is not one: is it git-credential-raxx?", safe);
			goto out;
		}
	}
	if (broker_msg_parse(ans, in.buf, (size_t)end, &why))
		ret = raxx_fail(RAXX_EVAULT, "broker at '%s' sent a malformed "
				"answer (%s): is it git-credential-raxx?", safe, why);
out:
	close(fd);
	sb_release(&out);
	sb_release(&in);
	return ret;
}

/* ---------------------------------------------------------------- requests */

static const char *const source_names[] = {
	[BOT_NONE] = "none", [BOT_OPTION] = "option", [BOT_ENV] = "env",
	[BOT_CONFIG] = "config", [BOT_MAP] = "map",
};

const char *broker_source_name(int source)
{
	if (source < 0 || (size_t)source >= sizeof(source_names) / sizeof(*source_names))
		return "none";
	return source_names[source];
}

int broker_source_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(source_names) / sizeof(*source_names); i++)
		if (!strcmp(source_names[i], name))
			return (int)i;
	return -1;
}

/* The request's head: what every action sends. */
static void request_head(struct broker_msg *m, const struct raxx_config *c,
			 const char *action)
{
	broker_msg_add(m, "version", BROKER_WIRE_VERSION);
	broker_msg_add(m, "action", action);
	broker_msg_add(m, "api", c->api);
	broker_msg_add(m, "host", c->host);
}

/* The identity (or bot alone), as worked out here from trusted inputs. */
static void request_identity(struct broker_msg *m, const struct raxx_config *c,
			     const char *bot)
{
	const struct identity *id = c->id;
	size_t i;

	broker_msg_add(m, "fallback", fallback_name(c->fallback));
	if (bot || !id) {
		broker_msg_add(m, "bot", bot);
		broker_msg_add(m, "bot_source", "option");
		return;
	}
	broker_msg_add(m, "bot", id->bot);
	broker_msg_add(m, "bot_source", broker_source_name(id->source));
	broker_msg_add(m, "agent", id->agent);
	broker_msg_add(m, "handoff", id->handoff);
	broker_msg_add(m, "repo", id->repo);
	broker_msg_add(m, "repo_hint", c->opt_repo);
	for (i = 0; i < id->nr_perms; i++)
		broker_msg_addf(m, "permission", "%s:%s", id->perms[i].name,
				id->perms[i].level);
}

/* ---------------------------------------------------------------- answers */

/* The warnings the broker passes on, through this process's sink. */
static void pass_warnings(const struct broker_msg *ans)
{
	const char *w;
	size_t i;

	for (i = 0; (w = broker_msg_nth(ans, "warning", i)); i++)
		warning("%s", w);
}

/* An error answer: its failure recorded, its fallback decision kept.
 * Returns the code. */
static int answer_error(const char *path, const struct broker_msg *ans)
{
	const char *code = broker_msg_get(ans, "code");
	const char *msg = broker_msg_get(ans, "message");
	const char *outage = broker_msg_get(ans, "outage");
	const char *fb = broker_msg_get(ans, "fallback");
	const char *pat = broker_msg_get(ans, "password");
	const char *why = broker_msg_get(ans, "fallback_why");
	enum fallback_action action;
	char safe[256];
	long n;
	int ret;

	pass_warnings(ans);
	if (!code || parse_long(code, 1, 255, &n)) {
		sanitize(safe, sizeof(safe), path);
		return raxx_fail(RAXX_EVAULT, "broker at '%s' answered an error "
				 "without a code: is it git-credential-raxx?", safe);
	}
	if (!msg || !*msg)
		msg = "the broker gave no reason";
	if (outage && !strcmp(outage, "1"))
		ret = raxx_fail_outage((int)n, "%s", msg);
	else
		ret = raxx_fail((int)n, "%s", msg);
	if (!fb)
		return ret;
	if (!strcmp(fb, "use-pat") && pat && *pat)
		action = FALLBACK_USE_PAT;
	else if (!strcmp(fb, "answer-nothing"))
		action = FALLBACK_ANSWER_NOTHING;
	else
		action = FALLBACK_REFUSE;	/* refuse, or anything unknown */
	fallback_preset(ret, action, action == FALLBACK_USE_PAT ? pat : NULL,
			why ? why : "the broker's");
	return ret;
}

static const char *source_of(const char *wire)
{
	if (wire && !strcmp(wire, "mint"))
		return "broker, minted";
	if (wire && !strcmp(wire, "stale"))
		return "broker, cached, during an outage";
	return "broker, cached";
}

/* A token answer into out: 0, or RAXX_EVAULT (message recorded). */
static int answer_token(const char *path, const struct broker_msg *ans,
			struct token *out)
{
	const char *tok = broker_msg_get(ans, "token");
	const char *exp = broker_msg_get(ans, "expires_at");
	const char *bot = broker_msg_get(ans, "bot");
	const char *repo = broker_msg_get(ans, "repo");
	const char *inst = broker_msg_get(ans, "installation_id");
	char safe[256];
	long t;

	memset(out, 0, sizeof(*out));
	if (!tok || !*tok || strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				    "qrstuvwxyz0123456789._") != strlen(tok) ||
	    !exp || parse_long(exp, 1, LONG_MAX, &t) || !bot || !bot_name_ok(bot)) {
		sanitize(safe, sizeof(safe), path);
		return raxx_fail(RAXX_EVAULT, "broker at '%s' answered a token that "
				 "cannot be used: is it git-credential-raxx?", safe);
	}
	pass_warnings(ans);
	out->value = xstrdup(tok);
	out->expires_at = (time_t)t;
	out->source = source_of(broker_msg_get(ans, "source"));
	out->bot = xstrdup(bot);
	out->repo = repo && *repo ? xstrdup(repo) : NULL;
	out->installation_id = inst && *inst ? xstrdup(inst) : NULL;
	return 0;
}

/* After an exchange that asks for no token: no decision of the broker's
 * outlives it, and both messages are released. */
static void exchange_end(struct broker_msg *req, struct broker_msg *ans)
{
	fallback_preset_clear();
	broker_msg_release(req);
	broker_msg_release(ans);
}

/* Send req, and sort the answer: 0 (status=ok), 1 (status=none), or the
 * failure's code. */
static int exchange(const char *path, struct broker_msg *req,
		    struct broker_msg *ans, int64_t deadline)
{
	const char *st;
	char safe[256];
	int ret;

	fallback_preset_clear();
	if ((ret = broker_call(path, req, ans, deadline)))
		return ret;
	st = broker_msg_get(ans, "status");
	if (st && !strcmp(st, "ok"))
		return 0;
	if (st && !strcmp(st, "none"))
		return -1;
	if (st && !strcmp(st, "error"))
		return answer_error(path, ans);
	sanitize(safe, sizeof(safe), path);
	return raxx_fail(RAXX_EVAULT, "broker at '%s' answered without a status: "
			 "is it git-credential-raxx?", safe);
}

int broker_token(const char *path, const struct raxx_config *c,
		 const char *bot, int64_t deadline, struct token *out)
{
	struct broker_msg req = BROKER_MSG_INIT, ans = BROKER_MSG_INIT;
	const struct identity *id = c->id;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!bot && !id->bot && !id->handoff)
		return raxx_fail(RAXX_EVAULT, "no bot for this worktree: pass --bot "
				 "or --agent, or set raxx.bot / raxx.agent "
				 "(git-credential-raxx setup)");
	/* inside exec or the gh shim: the token they were given */
	if (!bot && !id->handoff && !id->repo &&
	    child_token_take(c->host, id->bot, out))
		return 0;
	if (!deadline)
		deadline = default_deadline();
	request_head(&req, c, "token");
	request_identity(&req, c, bot);
	broker_msg_addf(&req, "timeout_ms", "%lld", (long long)(deadline - now_ms()));
	ret = exchange(path, &req, &ans, deadline);
	if (!ret)
		ret = answer_token(path, &ans, out);
	else if (ret < 0)
		ret = raxx_fail(RAXX_EVAULT, "broker at '%s' has no token for this "
				"request", path);
	info("token for %s from the broker: %s", bot ? bot : id->bot ? id->bot :
	     id->handoff, ret ? "none" : out->source);
	broker_msg_release(&req);
	broker_msg_release(&ans);
	return ret;
}

int broker_peek(const char *path, const struct raxx_config *c,
		struct token *out)
{
	struct broker_msg req = BROKER_MSG_INIT, ans = BROKER_MSG_INIT;
	int hit = 0;

	memset(out, 0, sizeof(*out));
	if (!c->id || (!c->id->bot && !c->id->handoff))
		return 0;
	request_head(&req, c, "peek");
	request_identity(&req, c, NULL);
	if (!exchange(path, &req, &ans, 0) && !answer_token(path, &ans, out))
		hit = 1;
	fallback_preset_clear();
	raxx_clear_error();
	broker_msg_release(&req);
	broker_msg_release(&ans);
	return hit;
}

/* A count in the answer (key's value), 0 when there is none. */
static long answer_count(const struct broker_msg *ans, const char *key)
{
	const char *n = broker_msg_get(ans, key);
	long count;

	return n && !parse_long(n, 0, INT_MAX, &count) ? count : 0;
}

int broker_erase(const char *path, const struct raxx_config *c,
		 const char *password)
{
	struct broker_msg req = BROKER_MSG_INIT, ans = BROKER_MSG_INIT;
	long dropped = 0;
	int ret;

	request_head(&req, c, "erase");
	broker_msg_add(&req, "password", password);
	ret = exchange(path, &req, &ans, 0);
	if (ret > 0) {
		warning("%s; nothing forgotten", raxx_errmsg());
		raxx_clear_error();
	} else if (!ret) {
		dropped = answer_count(&ans, "dropped");
	}
	trace("erase: the broker dropped %ld token%s", dropped,
	      dropped == 1 ? "" : "s");
	exchange_end(&req, &ans);
	return (int)dropped;
}

int broker_revoke(const char *path, const struct raxx_config *c)
{
	struct broker_msg req = BROKER_MSG_INIT, ans = BROKER_MSG_INIT;
	const char *n;
	int ret;

	request_head(&req, c, "revoke");
	broker_msg_add(&req, "bot", c->id->bot);
	broker_msg_add(&req, "agent", c->id->agent);
	ret = exchange(path, &req, &ans, 0);
	if (ret < 0)
		ret = raxx_fail(RAXX_ENOTHING, "the broker holds no live token of "
				"%s: nothing to revoke", c->id->bot);
	else if (!ret && (n = broker_msg_get(&ans, "revoked")))
		notice("revoked %s token%s of %s (through the broker)", n,
		       strcmp(n, "1") ? "s" : "", c->id->bot);
	exchange_end(&req, &ans);
	return ret;
}

int broker_revoke_handoff(const char *path, const struct raxx_config *c,
			  const char *slug)
{
	struct broker_msg req = BROKER_MSG_INIT, ans = BROKER_MSG_INIT;
	long revoked = 0;
	int ret;

	request_head(&req, c, "revoke");
	broker_msg_add(&req, "handoff", slug);
	ret = exchange(path, &req, &ans, 0);
	if (ret > 0)
		revoked = -ret;
	else if (!ret)
		revoked = answer_count(&ans, "revoked");
	exchange_end(&req, &ans);
	return (int)revoked;
}

int broker_status(const char *path, struct broker_msg *ans)
{
	struct broker_msg req = BROKER_MSG_INIT;
	int ret;

	broker_msg_add(&req, "version", BROKER_WIRE_VERSION);
	broker_msg_add(&req, "action", "status");
	ret = exchange(path, &req, ans, 0);
	fallback_preset_clear();
	broker_msg_release(&req);
	return ret < 0 ? RAXX_EVAULT : ret;
}
