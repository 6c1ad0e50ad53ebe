/*
 * The token broker: the contract is in broker.h.
 *
 *   main thread:  socket, signals, accept loop, the sweep of what expired
 *   one thread a connection:  uid -> request -> action -> answer -> log
 *
 * What the requests share is held under one lock (broker_state.c); the
 * work that takes time (the vault, GitHub, parsing a key) runs unlocked.
 */
#define _GNU_SOURCE	/* struct ucred, SO_PEERCRED */
#define _DARWIN_C_SOURCE	/* getpeereid */
#include "broker.h"
#include "broker_int.h"
#include "agentmap.h"
#include "audit.h"
#include "broker_client.h"
#include "broker_policy.h"
#include "broker_wire.h"
#include "cache.h"
#include "cli.h"
#include "clientsecret.h"
#include "fallback.h"
#include "github.h"
#include "handoff_manifest.h"
#include "handoff_store.h"
#include "http.h"
#include "identity.h"
#include "jwt.h"
#include "log.h"
#include "mint.h"
#include "owners.h"
#include "settings_cache.h"
#include "protocol.h"
#include "token.h"
#include "util.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

const char broker_usage[] =
"usage: git-credential-raxx broker [--socket PATH]\n"
"The token broker, in the foreground: the one process that holds the vault\n"
"identity (INFISICAL_*, or INFISICAL_CLIENT_SECRET_FILE); agents then need\n"
"only RAXX_BROKER_SOCKET, or nothing when the default socket exists.\n"
"  --socket PATH  where to listen (default: RAXX_BROKER_SOCKET, else\n"
"                 $XDG_RUNTIME_DIR/git-credential-raxx/broker.sock, else\n"
"                 broker.sock in the cache directory)\n"
"Settings: RAXX_BROKER_UIDS (UID:BOT[,BOT] ...: other users and their\n"
"bots), RAXX_BROKER_KEY_TTL (seconds an App key is held, default 3600;\n"
"0: fetched for every mint). SIGTERM or SIGINT stops it cleanly.\n";

/* ---------------------------------------------------------------- state */

/* The server: its socket, the signal handler's pipe, and the connections
 * being served, counted under their own mutex (server.mu). */
static struct {
	char *sock;
	int lfd;
	dev_t sock_dev;
	ino_t sock_ino;
	int wake[2];		/* the signal handler's self-pipe */
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* signalled when a connection ends */
	int active;		/* connections being served */
} server = { .lfd = -1, .wake = { -1, -1 }, .mu = PTHREAD_MUTEX_INITIALIZER,
	     .cv = PTHREAD_COND_INITIALIZER };

/* ---------------------------------------------------------------- connections */

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;

	broker_serve_conn(fd, server.sock);
	close(fd);
	pthread_mutex_lock(&server.mu);
	server.active--;
	pthread_cond_broadcast(&server.cv);
	pthread_mutex_unlock(&server.mu);
	return NULL;
}

/* ---------------------------------------------------------------- the socket */

static void on_signal(int sig)
{
	int saved = errno;
	char ch = (char)sig;

	if (write(server.wake[1], &ch, 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

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

static int listen_on(const char *path, int open_to_others)
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
	server.lfd = fd;
	server.sock_dev = st.st_dev;
	server.sock_ino = st.st_ino;
	return 0;
}

/* Remove the socket, unless another broker has put its own there since. */
static void unlisten(void)
{
	struct stat st;

	if (server.lfd < 0)
		return;
	close(server.lfd);
	server.lfd = -1;
	if (!lstat(server.sock, &st) && st.st_dev == server.sock_dev &&
	    st.st_ino == server.sock_ino)
		unlink(server.sock);
}

/* ---------------------------------------------------------------- main */

int broker_main(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opt_sock = NULL;
	struct sigaction sa;
	pthread_attr_t attr;
	sigset_t block, old;
	char *policy = NULL;
	int opt, ret = 0, stop = 0;

	while ((opt = cli_getopt(argc, argv, "+:h", longopts, &ret)) != -1) {
		if (opt == 's')
			opt_sock = cli_optarg;
		else
			return ret;
	}
	if (optind < argc)
		return cli_usage_error("broker", "unexpected argument '%s'",
				       argv[optind]);
	/* read once: a remembered copy on disk would serve no one */
	settings_cache_off();
	if ((ret = cli_report(cli_load(c))))
		return ret;
	server.sock = opt_sock ? xstrdup(opt_sock) : env_get("RAXX_BROKER_SOCKET") ?
		xstrdup(env_get("RAXX_BROKER_SOCKET")) : broker_default_socket();
	if (!server.sock)
		return cli_usage_error("broker", "no socket path: pass --socket, or "
				       "set RAXX_BROKER_SOCKET or XDG_RUNTIME_DIR");
#ifdef __APPLE__
	ptrace(PT_DENY_ATTACH, 0, 0, 0);	/* as PR_SET_DUMPABLE does on Linux */
#endif
	if ((ret = broker_settings_load(c)))
		goto out;
	{
		/* libcurl's global init, once, before any thread */
		struct github *gh = github_new(c->api);

		if (!gh) {
			ret = raxx_errcode();
			goto out;
		}
		broker_gh_give(gh);
	}
	if (pipe(server.wake)) {
		ret = raxx_fail(RAXX_EINTERNAL, "broker: cannot make a pipe: %s",
				strerror(errno));
		goto out;
	}
	fcntl(server.wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(server.wake[1], F_SETFD, FD_CLOEXEC);
	fcntl(server.wake[1], F_SETFL, fcntl(server.wake[1], F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((ret = listen_on(server.sock, broker_conf.policy.nr > 0)))
		goto out;
	policy = broker_policy_text(&broker_conf.policy, broker_conf.owner);
	notice("broker: listening on %s (pid %ld); %s; App keys held %ld s%s",
	       server.sock, (long)getpid(), policy, broker_conf.key_ttl,
	       broker_conf.key_ttl ? "" : " (fetched for every mint)");
	free(policy);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* the workers leave the signals to this thread */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	while (!stop) {
		struct pollfd pf[2] = { { server.wake[0], POLLIN, 0 },
					{ server.lfd, POLLIN, 0 } };
		int busy, n;

		broker_keys_sweep();
		broker_toks_sweep();
		broker_session_sweep();
		pthread_mutex_lock(&server.mu);
		busy = server.active >= BROKER_MAX_CONN;
		pthread_mutex_unlock(&server.mu);
		/* at the cap, new connections wait in the listen queue */
		n = poll(pf, busy ? 1 : 2, 1000);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (pf[0].revents) {
			char sig = 0;

			if (read(server.wake[0], &sig, 1) == 1)
				notice("broker: %s: finishing the requests in flight",
				       sig == SIGINT ? "SIGINT" : sig == SIGHUP ?
				       "SIGHUP" : "SIGTERM");
			stop = 1;
			break;
		}
		if (!busy && (pf[1].revents & POLLIN)) {
			int fd = accept(server.lfd, NULL, NULL);
			pthread_t t;

			if (fd < 0)
				continue;
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			pthread_mutex_lock(&server.mu);
			server.active++;
			pthread_mutex_unlock(&server.mu);
			pthread_sigmask(SIG_BLOCK, &block, &old);
			if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd)) {
				warning("broker: cannot start a thread: %s; the "
					"connection is closed", strerror(errno));
				close(fd);
				pthread_mutex_lock(&server.mu);
				server.active--;
				pthread_mutex_unlock(&server.mu);
			}
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	pthread_attr_destroy(&attr);
	/* no new connections; the ones being served finish */
	unlisten();
	pthread_mutex_lock(&server.mu);
	while (server.active)
		pthread_cond_wait(&server.cv, &server.mu);
	pthread_mutex_unlock(&server.mu);
	notice("broker: stopped; the socket is removed and the keys wiped");
	ret = 0;
out:
	unlisten();
	broker_keys_wipe();
	broker_toks_wipe();
	broker_state_wipe();
	broker_settings_release();
	free(server.sock);
	if (server.wake[0] >= 0) {
		close(server.wake[0]);
		close(server.wake[1]);
	}
	return cli_report(ret);
}
