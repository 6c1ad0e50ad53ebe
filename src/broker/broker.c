/*
 * The token broker's server (the contract is in broker.h, its modules are
 * in broker_int.h):
 *
 *   main thread:  options, settings, socket, signals, the accept loop
 *                 under the connection cap, the sweep of what expired,
 *                 and at the end the wait for the requests in flight
 *   one thread a connection (broker_conn.c):
 *                 uid -> request -> action -> answer -> log
 *
 * What the requests share is held under one lock (broker_state.c); the
 * work that takes time (the vault, GitHub, parsing a key) runs unlocked.
 */
#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE	/* PT_DENY_ATTACH */
#include "broker.h"
#include "token/broker_client.h"
#include "broker_int.h"
#include "broker_policy.h"
#include "cli/cli.h"
#include "services/github.h"
#include "base/log.h"
#include "store/settings_cache.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* The server: its socket, the signal handler's pipe, and the connections
 * being served, counted under their own mutex (server.mu). */
static struct {
	char *sock;		/* the socket's path */
	struct broker_listener listener;
	int wake[2];		/* the signal handler's self-pipe */
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* signalled when a connection ends */
	int active;		/* connections being served */
} server = {
	.listener = { .fd = -1 },
	.wake = { -1, -1 },
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

/* A connection's thread. */
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

static void on_signal(int sig)
{
	int saved = errno;
	char ch = (char)sig;

	if (write(server.wake[1], &ch, 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

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
	if ((ret = broker_listen(&server.listener, server.sock,
				 broker_conf.policy.nr > 0)))
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
					{ server.listener.fd, POLLIN, 0 } };
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
			int fd = accept(server.listener.fd, NULL, NULL);
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
	broker_unlisten(&server.listener);
	pthread_mutex_lock(&server.mu);
	while (server.active)
		pthread_cond_wait(&server.cv, &server.mu);
	pthread_mutex_unlock(&server.mu);
	notice("broker: stopped; the socket is removed and the keys wiped");
	ret = 0;
out:
	broker_unlisten(&server.listener);
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
