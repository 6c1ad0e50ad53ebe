#ifndef RAXX_BROKER_INT_H
#define RAXX_BROKER_INT_H

/*
 * Inside the token broker (broker.h is its contract): what its modules
 * share, one section a module, from the bottom up. A module calls only
 * the modules of the sections above its own, never one below: no circle.
 *
 *   broker.c            the server: options, signals, the accept loop,
 *                       the connection cap and threads, shutdown
 *   broker_socket.c     the socket: its directory, modes, removal
 *   broker_conn.c       one connection: uid, limits, answer, log line
 *   broker_actions.c    what a request asks: token, peek, erase, revoke, status
 *   broker_handoff.c    a handoff's token: the manifest's checks
 *   broker_mint.c       minting with a held key; a bot's token
 *   broker_request.c    a request: identity checks, scope, answers, audit
 *   broker_tokens.c     the tokens held, their single flights, manifests
 *   broker_keys.c       the App keys held
 *   broker_state.c      the held state's lock, guarded copies, the clients
 *   broker_settings.c   what the broker was started with
 */

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "identity/agentmap.h"
#include "broker_policy.h"
#include "identity/config.h"
#include "services/github.h"
#include "identity/identity.h"
#include "identity/owners.h"
#include "services/vault.h"

/* ------------------------------------------------ broker_settings.c */

/* What the broker was started with: set before the first thread starts,
 * read-only after. */
struct broker_conf {
	struct raxx_config *c;
	struct vault_settings vs;
	struct owners owners;	/* RAXX_OWNERS / raxx.owners, the broker's own */
	struct broker_policy policy;
	struct agent_map map;	/* the broker's own trusted map, or empty */
	char *map_where;	/* where that map is, or "(none)" */
	unsigned long owner;	/* the broker's own uid */
	long key_ttl;		/* seconds an App key is held (0: not held) */
	long min_ttl;		/* a held token living less is minted again */
	long timeout_s;		/* a request's deadline, unless the client's is
				 * shorter */
	char *cf_secret;	/* guarded copy of CF_ACCESS_CLIENT_SECRET */
};
extern struct broker_conf broker_conf;

/*
 * Read the broker's settings into broker_conf: RAXX_GITHUB_API and the
 * git host from c (kept), the vault's (the client secret and Cloudflare's
 * moved to guarded memory and out of the environment), RAXX_BROKER_UIDS,
 * RAXX_BROKER_KEY_TTL, RAXX_TIMEOUT, the trusted map and the owners. 0, or
 * the exit code with the message recorded; release it either way.
 */
int broker_settings_load(struct raxx_config *c);
void broker_settings_release(void);

/* ------------------------------------------------ broker_state.c */

/*
 * One lock guards everything the broker holds between requests (keys,
 * tokens, manifests, the session, idle clients), with one condition
 * variable for the single flights; the work that takes time (the vault,
 * GitHub, parsing a key) runs unlocked.
 */
void broker_held_lock(void);
void broker_held_unlock(void);
/* Wait for a flight to land until deadline (monotonic ms), 250 ms at most
 * at a time (the wall clock may jump): 0, or ETIMEDOUT. Under the lock. */
int broker_held_wait_until(int64_t deadline);
/* Wake every waiter: a flight landed. Under the lock. */
void broker_held_wake(void);

/* A guarded copy of s (no access until read); out of secure memory: dies. */
char *broker_guard(const char *s);
/* A plain copy of guarded g (wipe it with free_secret). Under the lock. */
char *broker_unguard(char *g);
/* Wipe and free guarded *g (may be NULL), then NULL it. */
void broker_unguard_free(char **g);

/* A GitHub client for the broker's API: one kept from an earlier request
 * (its TLS connection open), else a new one; NULL: error recorded. */
struct github *broker_gh_take(void);
/* Keep gh (may be NULL) for the next request, or free it when 8 are kept. */
void broker_gh_give(struct github *gh);

/* A vault client with the held session, if it lives a minute more. NULL:
 * error recorded. */
struct vault *broker_vault_open(void);
/* Free v (may be NULL); the session of a client that logged in goes to
 * guarded memory, for the next. */
void broker_vault_close(struct vault *v);
/* Whether a vault session is held (status). */
int broker_session_held(void);
/* Wipe the session once it has expired. */
void broker_session_sweep(void);

/* At the end (no thread left): wipe the session, free the idle clients. */
void broker_state_wipe(void);

/* ------------------------------------------------ broker_keys.c */

/* A bot's App key, loaded for one mint. */
struct key_use {
	struct jwt_key *key;
	char *app_id, *vault_inst, *path;
	int held;		/* from guarded memory, not the vault just now */
};
void broker_key_use_release(struct key_use *k);

/*
 * bot's App key, loaded: held (a guarded PEM parsed under the lock), or
 * fetched from the vault (single flight per bot) and then held for the
 * key TTL. fresh: fetch even when one is held (GitHub refused it). 0 with
 * u filled, or the exit code with the message recorded (u may then hold
 * the key's names: release it on failure too).
 */
int broker_key_get(const char *bot, int fresh, struct key_use *u);

/* Wipe the keys held past their TTL. */
void broker_keys_sweep(void);
/* How many keys are held (status). */
int broker_keys_held(void);
/* At the end (no thread left): wipe every key. */
void broker_keys_wipe(void);

/* ------------------------------------------------ broker_tokens.c */

struct fresh {			/* a token just minted, or handed out */
	char *tok;		/* plain: wipe with free_secret */
	time_t expires_at;
	char *inst;
	const char *source;	/* "mint", "cache", "stale" */
};
void broker_fresh_release(struct fresh *f);

/* Copy (bot, scope)'s token into out when it lives more than min_ttl:
 * 1, else 0. */
int broker_tok_copy(const char *bot, const char *scope, long min_ttl,
		    struct fresh *out);

/*
 * Claim the flight of (bot, scope). 0 with *hit set when the slot holds a
 * token living more than min_ttl (copied into out), else with *slot
 * claimed (the caller mints, then broker_flight_land); or an error code
 * (waited past the deadline, or BROKER_MAX_TOKENS held).
 */
struct tok_slot;
int broker_flight_claim(const char *bot, const char *scope, long min_ttl,
			struct fresh *out, struct tok_slot **slot, int *hit);
/* End the flight of s (may be NULL): f (the fresh token, or NULL after a
 * failure) stored for repo, the token it replaces kept under another
 * scope while it lives (for revoke), waiters woken. */
void broker_flight_land(struct tok_slot *s, const char *repo,
			const struct fresh *f);

/* During an outage: the held token of (bot, scope) that still lives a
 * minute (TOKEN_OUTAGE_MIN_TTL). 1 with out filled, the outage cleared;
 * else 0. Either way, why gets the outage's message. */
int broker_serve_stale(const char *bot, const char *scope, struct fresh *out,
		       char *why, size_t n);

/* A token held, as collected for erase and revoke. */
struct held_token {
	char *bot, *scope, *repo, *tok;
	time_t expires_at;
};
/* The live tokens held for bot (NULL: of every bot uid may have, by the
 * broker's policy), of handoff slug (NULL: any scope), equal to match
 * (NULL: any): a fresh array of *nr (release it). */
struct held_token *broker_toks_collect(unsigned long uid, const char *bot,
				       const char *slug, const char *match,
				       size_t *nr);
void broker_held_tokens_release(struct held_token *h, size_t nr);
/* Drop (bot, scope)'s token if it is still tok. */
void broker_tok_drop_if_same(const char *bot, const char *scope,
			     const char *tok);

/* How many live tokens are held (status). */
int broker_toks_live(void);
/* Drop the tokens past their life. */
void broker_toks_sweep(void);
/* At the end (no thread left): wipe every token, forget every manifest. */
void broker_toks_wipe(void);

/* The manifest of handoff slug as last read (fresh JSON), or NULL. */
char *broker_manifest_copy(const char *slug);
/* Keep json (NULL: forget it) as slug's manifest. */
void broker_manifest_keep(const char *slug, const char *json);

/* ------------------------------------------------ broker_request.c */

/* A request being served: filled as it goes, logged in one line. */
struct broker_request {
	unsigned long uid;	/* the peer's */
	const struct broker_msg *in;
	struct broker_msg *out;
	struct identity id;	/* as the client sent it, checked */
	enum fallback fallback;	/* the client's */
	const char *repo_hint;
	const char *bot_shown;	/* for the log line */
	char outcome[160];	/* for the log line */
	char warn[512];		/* a warning for the client, or "" */
	struct {		/* the audit event, written after the answer */
		const char *event;	/* NULL: none */
		char *bot, *repo, *tok, *reason;
		time_t expires_at;
	} audit;
};
void broker_request_release(struct broker_request *r);

/* The API base and host asked for must be the broker's own: 0, or
 * RAXX_EVAULT with the message recorded. */
int broker_check_target(const struct broker_request *r);
/* RAXX_EUSAGE: request field key's value (shown sanitised) is not valid. */
int broker_bad_field(const char *key, const char *value);
/* The client's identity into r->id: shapes checked, nothing trusted yet.
 * 0, or the exit code with the message recorded. */
int broker_read_identity(struct broker_request *r);
/* Whether r's uid may have bot's tokens (broker_policy.h). */
int broker_allowed(const struct broker_request *r, const char *bot);
/* RAXX_EVAULT: r's uid may not have bot's tokens, and how to grant it. */
int broker_refuse_bot(const struct broker_request *r, const char *bot);

/* What a request is narrowed to: the cache key and GitHub's scope. */
struct scope_hold {
	char *key;
	struct token_scope scope;
	struct gh_permission *gp;	/* pointing into eff */
	struct broker_perm *eff;
	size_t nr_eff;
};
void broker_scope_hold_release(struct scope_hold *h);
/*
 * The permissions this request gets. The broker's own uid: as the client
 * resolved them, narrowing a repository token only (token.c's rule). A
 * granted uid: narrowed by the broker's map (broker_policy.h), with or
 * without a repository. 0 with h filled (release it), or RAXX_EVAULT (a
 * permission beyond the map's) with the message recorded.
 */
int broker_request_scope(const struct broker_request *r, struct scope_hold *h);

/* The request's deadline for the vault and GitHub (http.h): the broker's
 * RAXX_TIMEOUT, or the client's timeout_ms less 100 ms when shorter. */
int broker_set_deadline(const struct broker_request *r);

/* r->warn: minting for bot failed (why), f is the held token served. */
void broker_stale_warning(struct broker_request *r, const char *bot,
			  const struct fresh *f, const char *why);
/* The answer with token f of bot for repo (may be NULL). */
void broker_answer_fresh(struct broker_request *r, const char *bot, const char *repo,
			 const struct fresh *f);
/* The failure recorded now as the answer, sanitised to one line. */
void broker_answer_error(struct broker_request *r);
/* fallback.h decides, with the broker's policy made stricter by the
 * client's, and the operator token for the broker's own uid only. */
void broker_answer_fallback(struct broker_request *r);

/* The token request's audit event (ret: its outcome), kept for after the
 * answer: the client does not wait for the log. */
void broker_audit_token(struct broker_request *r, int ret, const char *bot,
			const char *repo, const struct fresh *f);
/* Write the audit event kept, if any. */
void broker_audit_flush(struct broker_request *r);

/* ------------------------------------------------ broker_mint.c */

/* A token for bot narrowed to scope: the held key (or the vault's), then
 * GitHub. A refusal of a held key is tried once more with the vault's
 * (the key or the installation may have been rotated). 0 with out filled
 * (source "mint"), or the exit code with the message recorded. */
int broker_mint(const char *bot, const struct token_scope *scope,
		const char *repo_hint, struct fresh *out);

/* r's bot's token, if r's uid may have it: held, else minted (single
 * flight); during an outage, the held one that still lives a minute, with
 * a warning for the client. 0 with out filled, or the exit code with the
 * message recorded. */
int broker_bot_token(struct broker_request *r, struct fresh *out);

/* ------------------------------------------------ broker_handoff.c */

struct handoff_ref;
struct manifest;

/* The manifest of ref's slug as last read, when it still passes the whole
 * policy now: 0 with *m (release it), else -1 (nothing recorded). */
int broker_manifest_held(const struct handoff_ref *ref, struct manifest *m);
/* Keep m (NULL: forget it) as the manifest of slug. */
void broker_manifest_set(const char *slug, const struct manifest *m);

/*
 * A handoff's token: warm from the manifest read last (checked again now)
 * and its held token; cold, in one flight per slug, from the vault's
 * manifest, checked by the policy, then minted narrowed to it. *bot and
 * *repo (fresh) get the manifest's. 0 with out filled, or the exit code
 * with the message recorded.
 */
int broker_handoff_token(struct broker_request *r, struct fresh *out, char **bot,
			 char **repo);

/* ------------------------------------------------ broker_actions.c */

/* What r->in asks, done: its wire version checked, then its action
 * (token, peek, erase, revoke, status); r->out and r->outcome filled, the
 * audit event kept. act: the action as the log line shows it. */
void broker_act(struct broker_request *r, const char *act);

/* ------------------------------------------------ broker_conn.c */

/*
 * Serve the connection fd (the caller closes it): a peer the policy does
 * not admit is answered an error before a byte is read (sock: the
 * broker's socket, for that message); a request over BROKER_MAX_MSG, or
 * not whole within BROKER_READ_MS, is dropped, a malformed one answered
 * an error; then broker_act, the answer within 5 s, the audit event, and
 * one line on stderr (uid, action, bot, repository, outcome, never a
 * secret).
 */
void broker_serve_conn(int fd, const char *sock);

/* ------------------------------------------------ broker_socket.c */

struct broker_listener {
	int fd;			/* listening, non-blocking; -1: not listening */
	const char *path;	/* not owned */
	dev_t dev;		/* the socket made, so as to remove only it */
	ino_t ino;
};

/*
 * Listen on path (absolute, short enough for sockaddr_un) into l. Its
 * directory is made or checked as the broker's own, then set to 0700, or
 * 0711 when open_to_others (a warning names a directory above that keeps
 * them out); the socket is 0600, or 0666 with the uid check as the gate,
 * from the moment it is bound. A stale socket is removed; one a broker
 * answers on, or anything else than a socket, is refused. 0, or the exit
 * code with the message recorded.
 */
int broker_listen(struct broker_listener *l, const char *path,
		  int open_to_others);
/* Stop listening, and remove the socket unless another broker has put
 * its own there since. */
void broker_unlisten(struct broker_listener *l);

#endif
