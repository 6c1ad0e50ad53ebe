#define _POSIX_C_SOURCE 200809L
#include "keychain.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

extern char **environ;

#define KEYCHAIN_MAX 65536

const char *keychain_tool(void)
{
#ifdef __APPLE__
	return "security";
#else
	return "secret-tool";
#endif
}

char *keychain_store_command(const char *service)
{
#ifdef __APPLE__
	return xstrfmt("security add-generic-password -s %s -a claude-bootstrap "
		       "-w NEW_VALUE -T /bin/bash -U", service);
#else
	return xstrfmt("secret-tool store --label=%s service %s (it reads the "
		       "value from stdin)", service, service);
#endif
}

/* Is name an executable in PATH? */
static int in_path(const char *name)
{
	const char *path = env_get("PATH"), *p, *end;
	int found = 0;

	if (!path)
		return 0;
	for (p = path; !found; p = end + 1) {
		char *full;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		full = xstrfmt("%.*s/%s", (int)(end - p), end == p ? "." : p, name);
		found = !access(full, X_OK);
		free(full);
		if (!*end)
			break;
	}
	return found;
}

enum keychain_result keychain_lookup(const char *service, long timeout_ms,
				     char **value, char *why, size_t n)
{
	const char *tool = keychain_tool();
#ifdef __APPLE__
	const char *argv[] = { "security", "find-generic-password", "-s", service,
			       "-w", NULL };
#else
	const char *argv[] = { "secret-tool", "lookup", "service", service, NULL };
#endif
	posix_spawn_file_actions_t fa;
	struct strbuf out = STRBUF_INIT;
	int fds[2], status = 0, killed = 0, done = 0;
	int64_t deadline = now_ms() + timeout_ms;
	enum keychain_result res;
	pid_t pid;

	*value = NULL;
	why[0] = '\0';
	if (!in_path(tool))
		return KEYCHAIN_NO_TOOL;
	if (pipe(fds)) {
		snprintf(why, n, "cannot run %s: %s", tool, strerror(errno));
		return KEYCHAIN_ERROR;
	}
	out.secret = 1;
	out.cap = KEYCHAIN_MAX;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawnp(&pid, tool, &fa, NULL, (char *const *)argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		snprintf(why, n, "cannot run %s", tool);
		return KEYCHAIN_ERROR;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (!done) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		int64_t left = deadline - now_ms();
		char buf[4096];
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!pfd.revents)
			continue;
		r = read(fds[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			done = 1;
		else
			sb_add(&out, buf, (size_t)r);	/* past the cap: dropped */
		sodium_memzero(buf, sizeof(buf));
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (out.len && (out.buf[out.len - 1] == '\n' || out.buf[out.len - 1] == '\r'))
		out.buf[--out.len] = '\0';
	if (killed) {
		snprintf(why, n, "%s did not answer within %ld s (waiting for a "
			 "keychain prompt?)", tool, timeout_ms / 1000);
		res = KEYCHAIN_ERROR;
	} else if (out.overflow) {
		snprintf(why, n, "%s answered more than %d bytes", tool, KEYCHAIN_MAX);
		res = KEYCHAIN_ERROR;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && out.len) {
		*value = sb_detach(&out);
		res = KEYCHAIN_FOUND;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) <= 1) {
		res = KEYCHAIN_ABSENT;	/* secret-tool: 1, nothing printed */
#ifdef __APPLE__
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 44) {
		res = KEYCHAIN_ABSENT;	/* errSecItemNotFound */
#endif
	} else {
		snprintf(why, n, "%s failed (exit %d)", tool,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		res = KEYCHAIN_ERROR;
	}
	sb_release(&out);
	trace("keychain: %s lookup of %s: %s", tool, service,
	      res == KEYCHAIN_FOUND ? "found" : res == KEYCHAIN_ABSENT ? "absent" :
	      "error");
	return res;
}
