#ifndef RAXX_STORE_H
#define RAXX_STORE_H

/*
 * The program's private files on disk: where they live, the private
 * directories that hold them, and the one way each is created, written,
 * read and looked at (DESIGN.md "Cache, concurrency, audit"). Every file
 * the program keeps goes through here; what the files hold is their
 * modules' business:
 *
 *   cache directory: the sealed token cache (cache.h), the broker's
 *                    default socket (broker_client.h);
 *   state directory: the audit log (audit.h), remembered installations
 *                    and accounts (discover.h), the bots' user ids
 *                    (author.h), doctor's last passing runs (doctor.h).
 *
 * Directories are created 0700 (missing parents too) in one mkdir each,
 * and used only when they are real directories (not symlinks), owned by
 * this user and closed to group and others.
 *
 * Files are created 0600 and opened without following a symlink and
 * without blocking (a FIFO cannot hold a reader), and used only when they
 * are regular files owned by this user (store_rules says what else). A
 * write goes to a temporary file ".tmp-HEX" in the same directory, is
 * fsync'd, then renamed over the file: a reader sees the old content or
 * the new, never a part.
 *
 * The words are the callers': these functions say what was wrong (a
 * status, errno, or a directory's reason) and leave the message, and
 * whether it matters, to them. Nothing here warns, and nothing here is a
 * reason for the program to fail.
 */

#include <stddef.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- paths */

/*
 * The cache directory: RAXX_CACHE_DIR, else
 * $XDG_RUNTIME_DIR/git-credential-raxx, else
 * $XDG_CACHE_HOME/git-credential-raxx, else ~/.cache/git-credential-raxx.
 * An XDG variable counts only when it holds an absolute path. Fresh
 * string, NULL without HOME.
 */
char *cache_dir_path(void);

/* $XDG_RUNTIME_DIR/git-credential-raxx (fresh), NULL when XDG_RUNTIME_DIR
 * is not an absolute path. */
char *runtime_dir_path(void);

/* The state directory: RAXX_STATE_DIR, else
 * $XDG_STATE_HOME/git-credential-raxx, else
 * ~/.local/state/git-credential-raxx. Fresh string, NULL without HOME. */
char *state_dir_path(void);

/* ---------------------------------------------------------------- directories */

/*
 * A private directory for this program's files: create path with mode
 * 0700 (missing parents too) and open it. Returns a directory descriptor,
 * or -1 with the reason in why (lower case, with the operator's next
 * step) when the directory is a symlink, not ours, open to group or
 * others, or cannot be made.
 */
int private_dir_open(const char *path, char *why, size_t n);

/*
 * Look at a directory without creating or changing anything (doctor):
 * err is 0 with st its lstat(2), or lstat's errno (ENOENT: not made yet).
 * When it is a directory of ours closed to group and others, its entries
 * ("." and ".." aside) are counted, and bad names the first one (its path,
 * fresh) that is open to group or others or not ours. Release with
 * store_dir_info_release.
 */
struct store_dir_info {
	int err;
	struct stat st;
	int entries;
	char *bad;
};
void store_inspect_dir(const char *path, struct store_dir_info *out);
void store_dir_info_release(struct store_dir_info *info);

/* ---------------------------------------------------------------- reading */

/* What a checked open or read found, in the order it is checked. */
enum store_status {
	STORE_OK = 0,
	STORE_MISSING,		/* no such file */
	STORE_SYMLINK,		/* a symbolic link: refused */
	STORE_UNREADABLE,	/* cannot be opened: errno says why */
	STORE_NO_STAT,		/* opened, but fstat(2) failed */
	STORE_NOT_REGULAR,
	STORE_NOT_OURS,		/* owned by another user */
	STORE_OPEN_MODE,	/* open to group or others */
	STORE_LINKED,		/* more than one link to it */
	STORE_TOO_SMALL,	/* smaller than min */
	STORE_TOO_LARGE,	/* larger than max */
	STORE_SHORT,		/* fewer bytes could be read than its size */
};

/* What a file must be besides a regular file of ours. */
struct store_rules {
	size_t min;		/* the smallest size accepted */
	size_t max;		/* the largest; 0: any */
	unsigned any_mode:1;	/* accept a file open to group or others */
	unsigned one_link:1;	/* refuse a file with another name */
};

/*
 * Open name (relative to the directory dfd; AT_FDCWD for a path) for
 * reading and check it against r. STORE_OK with *fd open (the caller
 * closes it) and *st the file's; else *fd is -1 and the status says why:
 * with STORE_SYMLINK *st is the link's (zeroed when it cannot be looked
 * at), with STORE_UNREADABLE errno holds the reason, with the others *st
 * is the file's.
 */
enum store_status store_open_read(int dfd, const char *name,
				  const struct store_rules *r, int *fd,
				  struct stat *st);

/* Up to len bytes of fd into buf, read after read (a signal is no
 * error): how many there were, fewer at the end of the file or on an
 * error. */
size_t store_read_fd(int fd, void *buf, size_t len);

/*
 * store_open_read, then the whole file into *data (fresh, a NUL after its
 * *len bytes; the caller wipes it first when it must): STORE_OK, or the
 * status with *data NULL (STORE_SHORT: fewer bytes than its size could be
 * read). st may be NULL.
 */
enum store_status store_read_at(int dfd, const char *name,
				const struct store_rules *r, char **data,
				size_t *len, struct stat *st);

/* What a state file may hold at most, unless its module says otherwise. */
#define STORE_STATE_MAX (64 * 1024)

/* A state file as store_write writes it: dir/name, a regular file of
 * ours closed to group and others, at most max bytes. Its content (fresh,
 * NUL-terminated), or NULL when it is missing or refused. */
char *store_read(const char *dir, const char *name, size_t max);

/* ---------------------------------------------------------------- writing */

/*
 * Replace name in the private directory dfd with data (atomically, as
 * above). 0, or -1 with errno set; the temporary file is removed.
 */
int store_write_at(int dfd, const char *name, const void *data, size_t len);

/*
 * The same in the directory at dir, made private first
 * (private_dir_open). 0; STORE_EDIR with the directory's reason in why;
 * or STORE_EWRITE with errno set and its text in why.
 */
#define STORE_EDIR (-1)
#define STORE_EWRITE (-2)
int store_write(const char *dir, const char *name, const void *data,
		size_t len, char *why, size_t n);

/*
 * Open name in dfd for writing, creating it 0600 when missing: flags are
 * O_WRONLY or O_RDWR, with O_APPEND or O_EXCL as wanted. Never through a
 * symlink, never blocking. The descriptor, with *st (may be NULL) the
 * file's; -1 when it cannot be opened (errno; ELOOP: a symbolic link); or
 * STORE_ENOTOURS when it is not a regular file of ours.
 */
#define STORE_ENOTOURS (-2)
int store_open_write(int dfd, const char *name, int flags, struct stat *st);

#endif
