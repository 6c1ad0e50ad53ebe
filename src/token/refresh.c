/*
 * Refresh ahead, the parts without libcurl: the contract is in refresh.h.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* syscall(): close_range */
#else
#define _XOPEN_SOURCE 700	/* realpath() */
#endif
#ifdef __APPLE__
#define _DARWIN_C_SOURCE
#endif
#include "refresh.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#ifdef __APPLE__
#include <mach-o/dyld.h>
#include <stdint.h>
#endif

long refresh_ahead_secs(void)
{
	static int warned;
	const char *v = env_get("RAXX_REFRESH_AHEAD");
	long secs;

	if (!v)
		return REFRESH_DEFAULT_AHEAD;
	if (parse_long(v, 0, 86400, &secs)) {
		char safe[32];

		if (!warned++)
			warning("RAXX_REFRESH_AHEAD '%s' is not a number of seconds "
				"(0-86400): using %d", sanitize(safe, sizeof(safe), v),
				REFRESH_DEFAULT_AHEAD);
		return REFRESH_DEFAULT_AHEAD;
	}
	return secs;
}

int refresh_due(time_t expires_at)
{
	long ahead = refresh_ahead_secs();

	return ahead > 0 && (long long)(expires_at - now_seconds()) < ahead;
}

/* This program's own file, to run again; NULL when the system cannot
 * say. */
static char *self_exe(void)
{
#if defined(__linux__)
	return realpath("/proc/self/exe", NULL);
#elif defined(__APPLE__)
	uint32_t n = 0;
	char *buf, *real;

	_NSGetExecutablePath(NULL, &n);
	buf = xmalloc(n + 1);
	real = !_NSGetExecutablePath(buf, &n) ? realpath(buf, NULL) : NULL;
	free(buf);
	return real;
#else
	return NULL;
#endif
}

/* Every descriptor from 3 up: the caller's pipes must not stay open in a
 * process that outlives it. */
static void close_from_3(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

#if defined(__linux__) && defined(SYS_close_range)
	if (!syscall(SYS_close_range, 3U, ~0U, 0U))
		return;
#endif
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		close(fd);
}

int refresh_spawn(const char *program, const char *const *argv)
{
	char *self = program ? xstrdup(program) : self_exe();
	const char **args;
	size_t n = 0, i;
	pid_t pid;
	int status, null;

	if (!self) {
		trace("refresh ahead: cannot tell where this program is: not started");
		return -1;
	}
	while (argv[n])
		n++;
	args = xcalloc(n + 1, sizeof(*args));
	args[0] = self;
	for (i = 1; i < n; i++)
		args[i] = argv[i];
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		trace("refresh ahead: fork: %s", strerror(errno));
		free(args);
		free(self);
		return -1;
	}
	if (!pid) {
		/* the first child: a session of its own, then gone, so that the
		 * second is nobody's child and no terminal's */
		if (setsid() < 0 || (pid = fork()) < 0)
			_exit(1);
		if (pid)
			_exit(0);
		null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(1);
		close_from_3();
		execv(self, (char *const *)args);
		_exit(127);
	}
	free(args);
	free(self);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		trace("refresh ahead: the background process did not start");
		return -1;
	}
	trace("refresh ahead: started in the background");
	return 0;
}
