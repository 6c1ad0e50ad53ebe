#ifndef RAXX_HANDOFF_CMD_H
#define RAXX_HANDOFF_CMD_H

/*
 * What the handoff commands share (handoff.h is the action they make up):
 * a command's context, its options, its progress and usage messages.
 * Used by the handoff*.c command files only.
 */

#include <time.h>

#include "identity/config.h"
#include "token/handoff_store.h"
#include "base/util.h"

struct cache;
struct token_source;
struct vault;

/* A command's context: the settings, the slug's places in the vault, and
 * the vault once it is needed. */
struct ho {
	struct raxx_config *c;
	struct token_source *ts;
	struct handoff_ref ref;
	struct vault *v;
	int open;
};

/*
 * Settings and paths for slug (NULL: the root only); no network. 0, or an
 * error code with the message recorded. Release it with ho_close, on
 * failure too.
 */
int ho_open(struct ho *h, struct raxx_config *c, const char *slug);
/* The vault (h->v), with a cached session when there is one: 0 or an
 * error code. */
int ho_vault(struct ho *h);
/* The token cache, or NULL when there is none. */
struct cache *ho_cache(struct ho *h);
/* Release what ho_open made; harmless on a context never opened. */
void ho_close(struct ho *h);

/* The manifest from the vault, parsed (not checked): 0, 1 when there is
 * none, or an error code. */
int ho_read_manifest(struct ho *h, struct manifest *m);

/* An audit log line for a token of bot for repo (audit.h). */
void ho_audit(const struct raxx_config *c, const char *event,
	      const char *bot, const char *repo, const char *token,
	      time_t expires_at, const char *reason);

/* Progress on stderr, unprefixed (the runbook's shape); -q silences it. */
void ho_say(const char *fmt, ...) RAXX_PRINTF(1, 2);

/*
 * "raxx: handoff SUB: ..." and where to read more, on stderr, with any
 * recorded error cleared (so that the action prints nothing more).
 * Returns RAXX_EUSAGE.
 */
int ho_usage_err(const char *sub, const char *fmt, ...) RAXX_PRINTF(2, 3);

/* What a command returns for -h or --help: the action prints the usage. */
#define HO_HELP (-1)

struct ho_opt {
	const char *name;	/* without the leading "--" */
	const char **val;
};

/*
 * argv[1..] as --name VALUE or --name=VALUE, each one of opts[n], its
 * value pointing into argv. 0, HO_HELP for -h or --help, or RAXX_EUSAGE
 * (said, on behalf of sub).
 */
int ho_parse_opts(const char *sub, int argc, char **argv,
		  const struct ho_opt *opts, size_t n);
/* --task-slug given, and a valid slug: 0 or RAXX_EUSAGE (said). */
int ho_need_slug(const char *sub, const char *slug);

/*
 * The subcommands, as handoff_main calls them: argv[0] is the
 * subcommand's name. Each returns 0, HO_HELP, or an error code with its
 * message recorded (or already said, by ho_usage_err).
 */
int handoff_cmd_provision(struct raxx_config *c, int argc, char **argv);
int handoff_cmd_verify(struct raxx_config *c, int argc, char **argv);
int handoff_cmd_revoke(struct raxx_config *c, int argc, char **argv);
int handoff_cmd_list(struct raxx_config *c, int argc, char **argv);
/* attach SLUG, or detach when detach is set */
int handoff_cmd_attach(struct raxx_config *c, int argc, char **argv, int detach);

#endif
