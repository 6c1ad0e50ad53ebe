/*
 * Reading the audit log's files back (auditlog.h audit_summary_read):
 * opened through store.h, fed to the parser line by line. Apart from
 * auditlog.c, so that the parser needs no file access (its fuzz target
 * builds it alone) and the writer (audit.c, in the gh shim) no json-c.
 */
#define _POSIX_C_SOURCE 200809L
#include "auditlog.h"
#include "store.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Feed every line of fd; 0, or -1 on a read error. */
static int feed_fd(struct audit_summary *s, int fd)
{
	struct strbuf line = STRBUF_INIT;
	char buf[16384];
	int too_long = 0, ret = 0;
	ssize_t r;

	line.cap = AUDITLOG_MAX_LINE;
	for (;;) {
		const char *p = buf, *end, *nl;

		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -1 : 0;
			break;
		}
		end = buf + r;
		while (p < end) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!too_long && sb_add(&line, p, (size_t)((nl ? nl : end) - p)))
				too_long = 1;
			if (!nl)
				break;
			if (too_long) {
				s->lines++;
				s->malformed++;
			} else {
				audit_summary_add(s, sb_str(&line), line.len);
			}
			sb_reset(&line);
			too_long = 0;
			p = nl + 1;
		}
	}
	/* a last line without its newline */
	if (too_long) {
		s->lines++;
		s->malformed++;
	} else if (line.len) {
		audit_summary_add(s, sb_str(&line), line.len);
	}
	sb_release(&line);
	return ret;
}

int audit_summary_read(struct audit_summary *s, const char *dir, int *files,
		       char *why, size_t n)
{
	static const char *const names[] = { "audit.log.1", "audit.log" };
	/* the writer makes it 0600, but a reader only needs it to be ours */
	static const struct store_rules rules = { .any_mode = 1 };
	struct stat st;
	size_t i;
	int fd, ret = 0, nfiles = 0;

	if (n)
		why[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char *path = xstrfmt("%s/%s", dir, names[i]);
		char bad[300] = "";

		switch (store_open_read(AT_FDCWD, path, &rules, &fd, &st)) {
		case STORE_MISSING:
			free(path);
			continue;
		case STORE_OK:
			if (feed_fd(s, fd))
				snprintf(bad, sizeof(bad), "cannot be read: %s",
					 strerror(errno));
			else
				nfiles++;
			close(fd);
			break;
		case STORE_SYMLINK:
			snprintf(bad, sizeof(bad), "is a symbolic link, refused");
			break;
		case STORE_UNREADABLE:
			snprintf(bad, sizeof(bad), "cannot be read: %s", strerror(errno));
			break;
		case STORE_NOT_OURS:
			snprintf(bad, sizeof(bad), "is not yours");
			break;
		default:
			snprintf(bad, sizeof(bad), "is not a regular file");
			break;
		}
		if (*bad) {
			/* the first problem is the one reported */
			if (!ret)
				snprintf(why, n, "%s %s", path, bad);
			ret = -1;
		}
		free(path);
	}
	if (files)
		*files = nfiles;
	return ret;
}
