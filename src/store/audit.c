#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE	/* flock(2) on macOS */
#include "audit.h"
#include "base/log.h"
#include "store.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static const char log_name[] = "audit.log";
static const char old_name[] = "audit.log.1";

void audit_fingerprint(const char *token, char out[AUDIT_FP_LEN + 1])
{
	unsigned char h[32];
	char hex[2 * sizeof(h) + 1];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token,
			   strlen(token), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	memcpy(out, hex, AUDIT_FP_LEN);
	out[AUDIT_FP_LEN] = '\0';
}

/* A JSON string (or null), ASCII only, escaped by hand. */
static void add_str(struct strbuf *sb, const char *key, const char *s)
{
	sb_addf(sb, ",\"%s\":", key);
	if (!s) {
		sb_adds(sb, "null");
		return;
	}
	sb_add(sb, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			sb_addf(sb, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sb_addf(sb, "\\u%04x", ch);
		else if (ch >= 0x80)
			sb_add(sb, "?", 1);	/* keeps the line valid UTF-8 */
		else
			sb_add(sb, s, 1);
	}
	sb_add(sb, "\"", 1);
}

static void cannot_log(const char *dir, const char *why)
{
	static int warned;

	if (!warned++)
		warning("audit log in '%s' cannot be written (%s): events are not "
			"recorded; set RAXX_STATE_DIR to a private, writable "
			"directory", dir, why);
}

/* Open audit.log for appending, rotating it first when it is full. */
static int open_log(int dfd, const char *dir)
{
	struct stat st, cur;
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = store_open_write(dfd, log_name, O_WRONLY | O_APPEND, &st);
		if (fd == STORE_ENOTOURS) {
			cannot_log(dir, "audit.log is not a file of yours");
			return -1;
		}
		if (fd < 0) {
			cannot_log(dir, errno == ELOOP ? "audit.log is a symbolic "
				   "link, refused" : strerror(errno));
			return -1;
		}
		if (st.st_mode & 077)
			fchmod(fd, 0600);
		if (st.st_size < AUDIT_MAX_SIZE)
			return fd;
		/* one process rotates; the others find the new file */
		flock(fd, LOCK_EX);
		if (!fstatat(dfd, log_name, &cur, AT_SYMLINK_NOFOLLOW) &&
		    cur.st_ino == st.st_ino && cur.st_dev == st.st_dev &&
		    renameat(dfd, log_name, dfd, old_name))
			trace("audit: cannot rotate %s/%s: %s", dir, log_name,
			      strerror(errno));
		flock(fd, LOCK_UN);
		close(fd);
	}
	return -1;
}

void audit_write(const struct audit_event *e)
{
	struct strbuf line = STRBUF_INIT;
	char when[32], fp[AUDIT_FP_LEN + 1], why[200], *dir;
	int dfd, fd;

	if (!(dir = state_dir_path()))
		return;
	if ((dfd = private_dir_open(dir, why, sizeof(why))) < 0) {
		cannot_log(dir, why);
		free(dir);
		return;
	}
	format_iso8601(now_seconds(), when, sizeof(when));
	sb_addf(&line, "{\"time\":\"%s\"", when);
	add_str(&line, "event", e->event);
	add_str(&line, "bot", e->bot);
	add_str(&line, "agent", e->agent);
	add_str(&line, "host", e->host);
	add_str(&line, "repo", e->repo);
	if (e->token)
		audit_fingerprint(e->token, fp);
	add_str(&line, "fingerprint", e->token ? fp : NULL);
	if (e->expires_at > 0)
		format_iso8601(e->expires_at, when, sizeof(when));
	add_str(&line, "expires_at", e->expires_at > 0 ? when : NULL);
	sb_addf(&line, ",\"pid\":%ld", (long)getpid());
	add_str(&line, "reason", e->reason);
	sb_adds(&line, "}\n");

	fd = open_log(dfd, dir);
	if (fd >= 0) {
		/* one write: O_APPEND keeps concurrent lines whole */
		ssize_t w = write(fd, line.buf, line.len);

		if (w != (ssize_t)line.len)
			cannot_log(dir, w < 0 ? strerror(errno) : "short write");
		close(fd);
	}
	close(dfd);
	free(dir);
	sb_release(&line);
}
