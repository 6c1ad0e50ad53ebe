/*
 * The broker's socket (broker_int.h): its directory made or checked as
 * the broker's own, the modes that keep other uids out (or let granted
 * ones in), a stale socket replaced but never a live broker's, and the
 * socket removed at the end only if it is still this broker's.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Every directory above dir must let others through (o+x) for a granted
 * uid to reach the socket: say which one does not. */
static void check_reachable(const char *dir)
{
	char *p = xstrdup(dir), *slash;
	struct stat st;

	while ((slash = strrchr(p, '/'))) {
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!stat(p, &st) && !(st.st_mode & S_IXOTH)) {
			warning("directory '%s' (mode %04o) keeps the uids of "
				"RAXX_BROKER_UIDS from the socket: chmod o+x it, or "
				"give --socket a directory they can reach", p,
				(unsigned)(st.st_mode & 07777));
			break;
		}
		if (slash == p)
			break;
	}
	free(p);
}

/* The socket's directory: made (parents too) or checked as ours, then set
 * to mode. 0, or RAXX_EVAULT (message recorded). */
static int socket_dir(const char *dir, mode_t mode)
{
	char *p = xstrdup(dir), *q;
	struct stat st;

	for (q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			trace("broker: cannot create '%s': %s", p, strerror(errno));
		*q = '/';
	}
	free(p);
	if (mkdir(dir, mode) && errno != EEXIST)
		return raxx_fail(RAXX_EVAULT, "broker socket directory '%s' cannot be "
				 "created: %s", dir, strerror(errno));
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode))
		return raxx_fail(RAXX_EVAULT, "broker socket directory '%s' is not a "
				 "directory (a symbolic link is refused): give --socket "
				 "a real directory", dir);
	if (st.st_uid != geteuid())
		return raxx_fail(RAXX_EVAULT, "broker socket directory '%s' belongs to "
				 "uid %ld, not to you: give --socket a directory of "
				 "your own", dir, (long)st.st_uid);
	if ((st.st_mode & 07777) != mode && chmod(dir, mode))
		return raxx_fail(RAXX_EVAULT, "broker socket directory '%s' cannot be "
				 "set to mode %04o: %s", dir, (unsigned)mode,
				 strerror(errno));
	return 0;
}

int broker_listen(struct broker_listener *l, const char *path,
		  int open_to_others)
{
	struct sockaddr_un sa;
	struct stat st;
	char *dir, *slash;
	mode_t old;
	int fd, ret;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return raxx_fail(RAXX_EUSAGE, "broker socket '%s' must be an absolute "
				 "path of at most %zu bytes", path,
				 sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	slash = strrchr(path, '/');
	dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	ret = socket_dir(dir, open_to_others ? 0711 : 0700);
	if (!ret && open_to_others)
		check_reachable(dir);
	free(dir);
	if (ret)
		return ret;
	if (!lstat(path, &st)) {
		int probe;

		if (!S_ISSOCK(st.st_mode))
			return raxx_fail(RAXX_EVAULT, "'%s' exists and is not a socket: "
					 "remove it, or choose another --socket", path);
		/* a broker that answers there: leave it be */
		probe = socket(AF_UNIX, SOCK_STREAM, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			return raxx_fail(RAXX_EVAULT, "a broker is already listening on "
					 "'%s': stop it first, or choose another "
					 "--socket", path);
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path))
			return raxx_fail(RAXX_EVAULT, "cannot remove the stale socket "
					 "'%s': %s", path, strerror(errno));
		notice("broker: removed the stale socket %s", path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return raxx_fail(RAXX_EVAULT, "broker: cannot make a socket: %s",
				 strerror(errno));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* the mode is the socket's from the start: no window open to others */
	old = umask(open_to_others ? 0111 : 0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || chmod(path, open_to_others ? 0666 : 0600) ||
	    listen(fd, SOMAXCONN) || lstat(path, &st)) {
		ret = raxx_fail(RAXX_EVAULT, "broker cannot listen on '%s': %s", path,
				strerror(errno));
		close(fd);
		return ret;
	}
	l->fd = fd;
	l->path = path;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

void broker_unlisten(struct broker_listener *l)
{
	struct stat st;

	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	if (!lstat(l->path, &st) && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
}
