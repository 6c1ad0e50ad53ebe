/*
 * Private files on disk: the contract is in store.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "store.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

/* ---------------------------------------------------------------- paths */

/* An XDG variable counts only when it holds an absolute path. */
static const char *xdg(const char *name)
{
	const char *v = env_get(name);

	return v && v[0] == '/' ? v : NULL;
}

/* XDG's directory for us, else HOME's fallback; NULL without either. */
static char *xdg_or_home(const char *var, const char *under_home)
{
	const char *v = xdg(var), *home;

	if (v)
		return xstrfmt("%s/git-credential-raxx", v);
	if (!(home = env_get("HOME")))
		return NULL;
	return xstrfmt("%s/%s/git-credential-raxx", home, under_home);
}

char *runtime_dir_path(void)
{
	const char *v = xdg("XDG_RUNTIME_DIR");

	return v ? xstrfmt("%s/git-credential-raxx", v) : NULL;
}

char *cache_dir_path(void)
{
	const char *v = env_get("RAXX_CACHE_DIR");
	char *p;

	if (v)
		return xstrdup(v);
	if ((p = runtime_dir_path()))
		return p;
	return xdg_or_home("XDG_CACHE_HOME", ".cache");
}

char *state_dir_path(void)
{
	const char *v = env_get("RAXX_STATE_DIR");

	return v ? xstrdup(v) : xdg_or_home("XDG_STATE_HOME", ".local/state");
}

/* ---------------------------------------------------------------- directories */

/* mkdir -p for the parents of path, each new one 0700; errors are left
 * for the final mkdir to report. */
static void make_parents(const char *path)
{
	char *p = xstrdup(path);
	size_t i;

	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			trace("cannot create '%s': %s", p, strerror(errno));
		p[i] = '/';
	}
	free(p);
}

int private_dir_open(const char *path, char *why, size_t n)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		make_parents(path);
		if (mkdir(path, 0700) && errno != EEXIST) {
			snprintf(why, n, "cannot be created (%s)", strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (!lstat(path, &st) && S_ISLNK(st.st_mode))
			snprintf(why, n, "is a symbolic link, refused: use a real "
				 "directory");
		else
			snprintf(why, n, "cannot be opened (%s)", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, n, "is not a directory");
	} else if (st.st_uid != geteuid()) {
		snprintf(why, n, "belongs to uid %ld, not to you: use a "
			 "directory of your own", (long)st.st_uid);
	} else if (st.st_mode & 077) {
		snprintf(why, n, "is open to group or others (mode %04o), "
			 "refused: chmod 700 it", (unsigned)(st.st_mode & 07777));
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

void store_inspect_dir(const char *path, struct store_dir_info *out)
{
	struct dirent *e;
	DIR *dh;

	memset(out, 0, sizeof(*out));
	if (lstat(path, &out->st)) {
		out->err = errno;
		return;
	}
	if (!S_ISDIR(out->st.st_mode) || out->st.st_uid != geteuid() ||
	    (out->st.st_mode & 077) || !(dh = opendir(path)))
		return;
	while ((e = readdir(dh))) {
		struct stat fs;
		char *p;

		if (e->d_name[0] == '.' && (!e->d_name[1] ||
		    (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		out->entries++;
		if (out->bad)
			continue;
		p = xstrfmt("%s/%s", path, e->d_name);
		if (!lstat(p, &fs) && ((fs.st_mode & 077) || fs.st_uid != geteuid()))
			out->bad = p;
		else
			free(p);
	}
	closedir(dh);
}

void store_dir_info_release(struct store_dir_info *info)
{
	free(info->bad);
	info->bad = NULL;
}

/* ---------------------------------------------------------------- reading */

static enum store_status check(int fd, const struct store_rules *r,
			       struct stat *st)
{
	if (fstat(fd, st))
		return STORE_NO_STAT;
	if (!S_ISREG(st->st_mode))
		return STORE_NOT_REGULAR;
	if (st->st_uid != geteuid())
		return STORE_NOT_OURS;
	if (!r->any_mode && (st->st_mode & 077))
		return STORE_OPEN_MODE;
	if (r->one_link && st->st_nlink != 1)
		return STORE_LINKED;
	if (st->st_size < 0 || (size_t)st->st_size < r->min)
		return STORE_TOO_SMALL;
	if (r->max && (size_t)st->st_size > r->max)
		return STORE_TOO_LARGE;
	return STORE_OK;
}

enum store_status store_open_read(int dfd, const char *name,
				  const struct store_rules *r, int *fd,
				  struct stat *st)
{
	enum store_status s;
	int err;

	*fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		if ((err = errno) == ENOENT)
			return STORE_MISSING;
		/* O_NOFOLLOW's refusal: ELOOP on Linux and macOS; any other
		 * error on a name that is a link says the same */
		if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW))
			memset(st, 0, sizeof(*st));
		else if (S_ISLNK(st->st_mode))
			return STORE_SYMLINK;
		if (err == ELOOP)
			return STORE_SYMLINK;
		errno = err;
		return STORE_UNREADABLE;
	}
	if ((s = check(*fd, r, st)) != STORE_OK) {
		close(*fd);
		*fd = -1;
	}
	return s;
}

size_t store_read_fd(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

enum store_status store_read_at(int dfd, const char *name,
				const struct store_rules *r, char **data,
				size_t *len, struct stat *st)
{
	enum store_status s;
	struct stat local;
	size_t size, got;
	char *buf;
	int fd;

	*data = NULL;
	*len = 0;
	if (!st)
		st = &local;
	if ((s = store_open_read(dfd, name, r, &fd, st)) != STORE_OK)
		return s;
	size = (size_t)st->st_size;
	buf = xmalloc(size + 1);
	got = store_read_fd(fd, buf, size);
	close(fd);
	if (got != size) {
		sodium_memzero(buf, size + 1);
		free(buf);
		return STORE_SHORT;
	}
	buf[size] = '\0';
	*data = buf;
	*len = size;
	return STORE_OK;
}

char *store_read(const char *dir, const char *name, size_t max)
{
	const struct store_rules rules = { .max = max };
	char *path = xstrfmt("%s/%s", dir, name), *data;
	size_t len;

	store_read_at(AT_FDCWD, path, &rules, &data, &len, NULL);
	free(path);
	return data;
}

/* ---------------------------------------------------------------- writing */

int store_open_write(int dfd, const char *name, int flags, struct stat *st)
{
	struct stat local;
	int fd;

	if (!st)
		st = &local;
	fd = openat(dfd, name, flags | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_uid != geteuid()) {
		close(fd);
		return STORE_ENOTOURS;
	}
	return fd;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int store_write_at(int dfd, const char *name, const void *data, size_t len)
{
	unsigned char rnd[8];
	char tmp[32], hex[2 * sizeof(rnd) + 1];
	int fd, err = 0;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), ".tmp-%s", hex);
	fd = store_open_write(dfd, tmp, O_WRONLY | O_EXCL, NULL);
	if (fd == STORE_ENOTOURS) {
		/* not what O_EXCL just made: someone else's, leave it */
		errno = EEXIST;
		return -1;
	}
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && renameat(dfd, tmp, dfd, name))
		err = errno;
	if (err) {
		unlinkat(dfd, tmp, 0);
		errno = err;
		return -1;
	}
	return 0;
}

int store_write(const char *dir, const char *name, const void *data,
		size_t len, char *why, size_t n)
{
	int dfd, ret = 0, err = 0;

	if ((dfd = private_dir_open(dir, why, n)) < 0)
		return STORE_EDIR;
	if (store_write_at(dfd, name, data, len)) {
		err = errno;
		snprintf(why, n, "%s", strerror(err));
		ret = STORE_EWRITE;
	}
	close(dfd);
	if (ret)
		errno = err;
	return ret;
}
