/*
 * What every part of the broker's held state shares (broker_int.h): the
 * one lock and its condition variable, guarded copies, the GitHub clients
 * kept between requests, and the vault session.
 *
 * Guarded buffers (sodium_malloc) are switched to read-only only while
 * one is copied or parsed, under the lock, and are no-access otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include "broker_int.h"
#include "store/cache.h"
#include "services/github.h"
#include "base/log.h"
#include "base/util.h"
#include "services/vault.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* the single flights' */
	char *session;		/* guarded vault session, or NULL */
	time_t session_exp;
	struct github *idle_gh[8];	/* GitHub clients between requests */
	size_t nr_idle_gh;
} held = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

void broker_held_lock(void)
{
	pthread_mutex_lock(&held.mu);
}

void broker_held_unlock(void)
{
	pthread_mutex_unlock(&held.mu);
}

int broker_held_wait_until(int64_t deadline)
{
	struct timespec ts;
	int64_t left = deadline - now_ms();

	if (left <= 0)
		return ETIMEDOUT;
	if (left > 250)
		left = 250;	/* the wall clock may jump: look again soon */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&held.cv, &held.mu, &ts);
	return 0;
}

void broker_held_wake(void)
{
	pthread_cond_broadcast(&held.cv);
}

/* ---------------------------------------------------------------- guarded */

char *broker_guard(const char *s)
{
	size_t n = strlen(s);
	char *g = sodium_malloc(n + 1);

	if (!g)
		die("out of memory (secure memory)");
	memcpy(g, s, n + 1);
	sodium_mprotect_noaccess(g);
	return g;
}

char *broker_unguard(char *g)
{
	char *s;

	sodium_mprotect_readonly(g);
	s = xstrdup(g);
	sodium_mprotect_noaccess(g);
	return s;
}

void broker_unguard_free(char **g)
{
	if (*g)
		sodium_free(*g);	/* wipes, whatever its protection */
	*g = NULL;
}

/* ---------------------------------------------------------------- clients */

struct github *broker_gh_take(void)
{
	struct github *gh = NULL;

	pthread_mutex_lock(&held.mu);
	if (held.nr_idle_gh)
		gh = held.idle_gh[--held.nr_idle_gh];
	pthread_mutex_unlock(&held.mu);
	return gh ? gh : github_new(broker_conf.c->api);
}

void broker_gh_give(struct github *gh)
{
	if (!gh)
		return;
	pthread_mutex_lock(&held.mu);
	if (held.nr_idle_gh < sizeof(held.idle_gh) / sizeof(*held.idle_gh)) {
		held.idle_gh[held.nr_idle_gh++] = gh;
		gh = NULL;
	}
	pthread_mutex_unlock(&held.mu);
	github_free(gh);
}

struct vault *broker_vault_open(void)
{
	struct vault *v = vault_new(&broker_conf.vs);
	char *session = NULL;
	time_t exp = 0;

	if (!v)
		return NULL;
	pthread_mutex_lock(&held.mu);
	if (held.session && held.session_exp - now_seconds() >= CACHE_SESSION_MIN_TTL) {
		session = broker_unguard(held.session);
		exp = held.session_exp;
	}
	pthread_mutex_unlock(&held.mu);
	if (session) {
		vault_set_session(v, session, exp);
		free_secret(session);
	}
	return v;
}

void broker_vault_close(struct vault *v)
{
	const char *session;
	time_t exp;

	if (!v)
		return;
	if (vault_logged_in(v) && (session = vault_session(v, &exp))) {
		pthread_mutex_lock(&held.mu);
		broker_unguard_free(&held.session);
		held.session = broker_guard(session);
		held.session_exp = exp;
		pthread_mutex_unlock(&held.mu);
	}
	vault_free(v);
}

int broker_session_held(void)
{
	int session;

	pthread_mutex_lock(&held.mu);
	session = held.session != NULL;
	pthread_mutex_unlock(&held.mu);
	return session;
}

void broker_session_sweep(void)
{
	pthread_mutex_lock(&held.mu);
	if (held.session && held.session_exp <= now_seconds())
		broker_unguard_free(&held.session);
	pthread_mutex_unlock(&held.mu);
}

void broker_state_wipe(void)
{
	size_t i;

	broker_unguard_free(&held.session);
	for (i = 0; i < held.nr_idle_gh; i++)
		github_free(held.idle_gh[i]);
	held.nr_idle_gh = 0;
}
