/*
 * status: what this worktree acts as, from local state alone: no network,
 * never a token (its fingerprint at most).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "store/audit.h"
#include "token/broker_client.h"
#include "token/broker_wire.h"
#include "identity/helperchain.h"
#include "identity/identity.h"
#include "base/json.h"
#include "base/log.h"
#include "store/store.h"
#include "token/token.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct status {
	const char *bot, *bot_source, *handoff, *author_name, *author_email;
	struct helper *helpers;
	size_t nr_helpers;
	char *broker;		/* the socket, when a broker is in use */
	char *broker_text;	/* "PATH (pid N, uid U, ...)" */
	char fingerprint[AUDIT_FP_LEN + 1];
	time_t expires_at;	/* 0: no cached token */
	char *cache_dir;
};

/* The broker at path in words; *err: RAXX_EVAULT when it does not
 * answer (reported), else 0. */
static char *broker_describe(const char *path, int *err)
{
	struct broker_msg ans = BROKER_MSG_INIT;
	const char *v[4], *keys[] = { "pid", "uid", "keys_held", "tokens_held" };
	char *s;
	size_t i;

	*err = 0;
	if (broker_status(path, &ans)) {
		s = xstrfmt("%s (not answering)", path);
		*err = cli_report(raxx_errcode());
	} else {
		for (i = 0; i < 4; i++)
			if (!(v[i] = broker_msg_get(&ans, keys[i])))
				v[i] = "?";
		s = xstrfmt("%s (pid %s, uid %s; %s App key%s and %s token%s held)",
			    path, v[0], v[1], v[2], strcmp(v[2], "1") ? "s" : "",
			    v[3], strcmp(v[3], "1") ? "s" : "");
	}
	raxx_clear_error();
	broker_msg_release(&ans);
	return s;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void print_json(const struct status *st)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_array();
	char when[32];
	size_t i;

	json_object_object_add(o, "bot", str_or_null(st->bot));
	json_object_object_add(o, "bot_source", str_or_null(st->bot_source));
	json_object_object_add(o, "handoff", str_or_null(st->handoff));
	json_object_object_add(o, "author_name", str_or_null(st->author_name));
	json_object_object_add(o, "author_email", str_or_null(st->author_email));
	for (i = 0; i < st->nr_helpers; i++)
		json_object_array_add(h, json_object_new_string(st->helpers[i].value));
	json_object_object_add(o, "helper", h);
	json_object_object_add(o, "broker", str_or_null(st->broker));
	json_object_object_add(o, "token_fingerprint", st->expires_at ?
			       json_object_new_string(st->fingerprint) : NULL);
	if (st->expires_at)
		format_iso8601(st->expires_at, when, sizeof(when));
	json_object_object_add(o, "token_expires_at", st->expires_at ?
			       json_object_new_string(when) : NULL);
	json_object_object_add(o, "cache_dir", str_or_null(st->cache_dir));
	/* the sink would not keep the document's layout: plain stdout, for
	 * JSON's own escaping already keeps control characters out */
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
		JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static void print_text(const struct status *st)
{
	struct strbuf chain = STRBUF_INIT;
	char when[32];
	size_t i;

	out_line("%-8s %s%s%s%s", "bot", st->bot ? st->bot : "none",
		 st->bot_source ? " (from " : "",
		 st->bot_source ? st->bot_source : "", st->bot_source ? ")" : "");
	out_line("%-8s %s", "handoff", st->handoff ? st->handoff : "none");
	if (st->author_name || st->author_email)
		out_line("%-8s %s <%s>", "author",
			 st->author_name ? st->author_name : "(no user.name)",
			 st->author_email ? st->author_email : "no user.email");
	else
		out_line("%-8s %s", "author", "none");
	for (i = 0; i < st->nr_helpers; i++)
		sb_addf(&chain, "%s'%s' (%s)", i ? ", " : "", st->helpers[i].value,
			st->helpers[i].origin);
	out_line("%-8s %s", "helper", chain.len ? chain.buf : "none");
	out_line("%-8s %s", "broker", st->broker_text ? st->broker_text : "not in use");
	if (st->expires_at) {
		long left = (long)(st->expires_at - now_seconds());

		format_iso8601(st->expires_at, when, sizeof(when));
		out_line("%-8s %s, expires %s (in %ld min)", "token",
			 st->fingerprint, when, left > 0 ? left / 60 : 0);
	} else {
		out_line("%-8s %s", "token", "none cached");
	}
	out_line("%-8s %s", "cache", st->cache_dir ? st->cache_dir : "none");
	sb_release(&chain);
}

int cmd_status(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status st = { 0 };
	struct token_source *ts = NULL;
	struct token tok = { 0 };
	char *dropped = NULL;
	int json = 0, opt, ret = 0, id_err;

	while ((opt = cli_getopt(argc, argv, "+:h", longopts, &ret)) != -1) {
		if (opt == 'j')
			json = 1;
		else
			return ret;
	}
	if (optind < argc)
		return cli_usage_error("status", "unexpected argument '%s'",
				       argv[optind]);
	/* a broken identity is reported, and the rest still shown */
	if ((id_err = identity_settle(c, c->opt_repo)))
		cli_report(id_err);
	if (c->id) {
		st.bot = c->id->bot;
		st.bot_source = c->id->bot ? c->id->source_text : NULL;
		st.handoff = c->id->handoff;
	}
	st.author_name = config_git(c, "user.name");
	st.author_email = config_git(c, "user.email");
	helper_chain(c->host, &st.helpers, &st.nr_helpers, &dropped);
	st.cache_dir = cache_dir_path();
	if ((st.broker = broker_socket_in_use(NULL)))
		st.broker_text = broker_describe(st.broker, &ret);
	if (c->id) {
		ts = token_source_open(c);
		if (token_peek(ts, &tok)) {
			audit_fingerprint(tok.value, st.fingerprint);
			st.expires_at = tok.expires_at;
		}
		token_release(&tok);
		token_source_close(ts);
	}
	if (json)
		print_json(&st);
	else
		print_text(&st);
	helpers_release(st.helpers, st.nr_helpers);
	free(st.cache_dir);
	free(st.broker);
	free(st.broker_text);
	free(dropped);
	/* a broker in use that does not answer is an error, as for a token */
	return id_err ? id_err : ret;
}
