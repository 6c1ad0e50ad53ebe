/*
 * One connection to the broker (broker_int.h): the peer's uid checked
 * before a byte is read, the request read whole within BROKER_READ_MS and
 * BROKER_MAX_MSG, parsed, done, answered, and logged in one line.
 */
#define _GNU_SOURCE	/* struct ucred, SO_PEERCRED */
#define _DARWIN_C_SOURCE	/* getpeereid */
#include "broker.h"
#include "broker_int.h"
#include "token/broker_wire.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0	/* SIGPIPE is ignored (process_harden) */
#endif

static int peer_uid(int fd, unsigned long *uid)
{
#if defined(__linux__) && defined(SO_PEERCRED)
	struct ucred cr;
	socklen_t n = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) || n != sizeof(cr))
		return -1;
	*uid = (unsigned long)cr.uid;
#else
	uid_t u;
	gid_t g;

	if (getpeereid(fd, &u, &g))
		return -1;
	*uid = (unsigned long)u;
#endif
	return 0;
}

/*
 * The request: 0 with its length in *end; -1 with *why, and *answer set
 * when an error answer is worth a try (malformed, not silent or gone).
 */
static int read_request(int fd, struct strbuf *in, long *end, const char **why,
			int *answer)
{
	int64_t deadline = now_ms() + BROKER_READ_MS;
	char buf[4096];

	*answer = 0;
	for (;;) {
		ssize_t n;
		size_t room;
		long e;

		if (poll_until(fd, POLLIN, deadline) <= 0) {
			*why = "not whole within 2 s";
			return -1;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0) {
			*why = n ? "a read error" : "the connection closed before the "
				"blank line that ends a request";
			return -1;
		}
		room = BROKER_MAX_MSG - in->len;
		sb_add(in, buf, (size_t)n < room ? (size_t)n : room);
		e = broker_msg_end(in->buf, in->len);
		if (e > 0) {
			*end = e;
			return 0;
		}
		if (e < 0 || in->len >= BROKER_MAX_MSG) {
			*why = memchr(in->buf, '\0', in->len) ? "a NUL byte" :
				memchr(in->buf, '\r', in->len) ?
				"a CR (lines end at LF only)" : "over 64 KiB";
			*answer = 1;
			return -1;
		}
	}
}

static void send_answer(int fd, const struct broker_msg *m, int64_t deadline)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	size_t n;

	sb.secret = 1;
	if (broker_msg_format(m, &sb)) {
		sb_release(&sb);
		sb.secret = 1;
		sb_adds(&sb, "status=error\ncode=1\noutage=0\nmessage=the answer does "
			"not fit in a message\n\n");
	}
	for (p = sb.buf, n = sb.len; n;) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (poll_until(fd, POLLOUT, deadline) <= 0)
				break;
			continue;
		}
		if (w <= 0)
			break;	/* the client went away: its loss */
		p += w;
		n -= (size_t)w;
	}
	sb_release(&sb);
}

void broker_serve_conn(int fd, const char *sock)
{
	struct broker_msg in = BROKER_MSG_INIT, out = BROKER_MSG_INIT;
	struct strbuf buf = STRBUF_INIT;
	struct broker_request r;
	const char *why = NULL, *action = NULL;
	char act[40];
	int64_t t0 = now_ms();
	long end = 0;
	int answer = 0, have_uid;

	memset(&r, 0, sizeof(r));
	r.in = &in;
	r.out = &out;
	buf.secret = 1;
	snprintf(act, sizeof(act), "-");
	have_uid = !peer_uid(fd, &r.uid);
	if (!have_uid ||
	    !broker_policy_admits(&broker_conf.policy, broker_conf.owner, r.uid)) {
		if (have_uid)
			raxx_fail(RAXX_EVAULT, "uid %lu may not use the broker at %s: "
				  "ask its operator to grant it a bot in "
				  "RAXX_BROKER_UIDS", r.uid, sock);
		else
			raxx_fail(RAXX_EVAULT, "the broker cannot tell the caller's "
				  "uid: refused");
		broker_answer_error(&r);
		send_answer(fd, &out, now_ms() + 1000);
		snprintf(r.outcome, sizeof(r.outcome), "refused: uid not admitted");
		goto done;
	}
	if (read_request(fd, &buf, &end, &why, &answer)) {
		snprintf(r.outcome, sizeof(r.outcome), "dropped: %s", why);
		if (answer) {
			raxx_fail(RAXX_EUSAGE, "malformed request (%s): dropped", why);
			broker_answer_error(&r);
			send_answer(fd, &out, now_ms() + 1000);
		}
		goto done;
	}
	if (broker_msg_parse(&in, buf.buf, (size_t)end, &why)) {
		raxx_fail(RAXX_EUSAGE, "malformed request (%s)", why);
		broker_answer_error(&r);
		snprintf(r.outcome, sizeof(r.outcome), "malformed: %s", why);
		goto reply;
	}
	action = broker_msg_get(&in, "action");
	sanitize(act, sizeof(act), action ? action : "-");
	broker_act(&r, act);
reply:
	send_answer(fd, &out, now_ms() + 5000);
	broker_audit_flush(&r);
done:
	/* one line a request: who, what, for whom, how it went; no secret */
	if (have_uid)
		err_line("raxx: broker: uid=%lu action=%s bot=%s repo=%s outcome=%s "
			 "(%lld ms)", r.uid, act, r.bot_shown ? r.bot_shown : "-",
			 r.id.repo ? r.id.repo : "-", r.outcome,
			 (long long)(now_ms() - t0));
	else
		err_line("raxx: broker: uid=? outcome=%s", r.outcome);
	broker_request_release(&r);
	broker_msg_release(&in);
	broker_msg_release(&out);
	sb_release(&buf);
	raxx_clear_error();
}
