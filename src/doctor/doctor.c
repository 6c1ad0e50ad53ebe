#define _POSIX_C_SOURCE 200809L
#include "doctor.h"
#include "doctor_broker.h"
#include "cli/cli.h"
#include "identity/identity.h"
#include "base/json.h"
#include "base/log.h"
#include "store/store.h"
#include "base/util.h"

#include <string.h>

const char doctor_usage[] =
"usage: git-credential-raxx [OPTIONS] doctor [--all] [--json] [--quiet] [--ops]\n"
"                                           [--max-time SECS]\n"
"Check the whole chain, one line per check: [PASS], [WARN] (never changes\n"
"the exit status), [FAIL] (with its fix; exit 1) or [SKIP].\n"
"  --all            every bot of the trusted agent map and of the audit\n"
"                   log, in parallel: one block per bot, then a summary\n"
"  --json           one JSON object on stdout instead of lines\n"
"  --quiet          print only the FAIL lines (for cron)\n"
"  --ops            also verify the operator's Cloudflare, Heroku and\n"
"                   GitHub credentials (environment, else the OS keychain)\n"
"  --max-time SECS  network deadline of each check (default 10); with\n"
"                   --all, of each bot's checks together\n";

int doctor_main(struct raxx_config *c, int argc, char **argv)
{
	struct doctor_chain *ch;
	struct doctor *d;
	const char *bot;
	char *load_msg = NULL, *bot_err = NULL, *broker = NULL;
	int i, load_err, ret, fallbacks_failed, counts[4];
	int json = 0, quiet = log_verbosity < 0, ops = 0, all_bots = 0;
	long max_time = 10;
	struct doctor_window window;
	struct doctor_all *all = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (!strcmp(a, "--json"))
			json = 1;
		else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
			quiet = 1;
		else if (!strcmp(a, "--ops"))
			ops = 1;
		else if (!strcmp(a, "--all"))
			all_bots = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(doctor_usage, stdout);
			return 0;
		} else if (!strcmp(a, "--max-time")) {
			if (i + 1 >= argc)
				return cli_usage_error("doctor", "option '%s' "
						       "needs a value", a);
			v = argv[++i];
		} else if (!strncmp(a, "--max-time=", 11)) {
			v = a + 11;
		} else {
			return cli_usage_error("doctor", "unknown option '%s'", a);
		}
		if (v && parse_long(v, 1, 600, &max_time))
			return cli_usage_error("doctor", "--max-time '%s' is "
					       "not a number of seconds (1-600)",
					       v);
	}
	if (all_bots && (c->opt_bot || c->opt_agent))
		return cli_usage_error("doctor", "--all checks every bot of "
				       "the trusted agent map: drop %s, or "
				       "leave out --all", c->opt_bot ?
				       "--bot" : "--agent");
	d = doctor_report_new(json, quiet, all_bots ? "shared" : "checks",
			      max_time);

	load_err = cli_load(c);
	if (load_err)
		load_msg = xstrdup(doctor_errmsg());
	if (identity_settle(c, c->opt_repo))
		bot_err = xstrdup(doctor_errmsg());
	bot = c->id ? c->id->bot : NULL;
	raxx_clear_error();
	ch = doctor_chain_new(d, c, bot, bot_err);

	/* with a token broker in use, it holds the vault identity and keys */
	if (!doctor_broker_begin(d, c, &broker)) {
		doctor_chain_env(ch);
		doctor_chain_vault(ch);
	}
	if (all_bots) {
		/* the bots' checks run in children meanwhile; here, the shared
		 * ones, and the worktree's bot only when it does not resolve */
		all = doctor_all_start(d, ch, c);
		if (bot_err)
			doctor_chain_bot(ch);
	} else if (broker) {
		doctor_chain_bot(ch);
		doctor_broker_mint(d, c, broker);
	} else {
		doctor_chain_bot(ch);
		doctor_chain_secrets(ch);
		doctor_chain_app(ch);
		doctor_chain_installation(ch);
		doctor_chain_mint(ch);
	}
	doctor_local_fallback(d, c, load_err, load_msg);
	fallbacks_failed = doctor_fallbacks(d, &window);
	doctor_local_dir(d, "cache-dir", cache_dir_path(), "RAXX_CACHE_DIR");
	doctor_local_dir(d, "state-dir", state_dir_path(), "RAXX_STATE_DIR");
	doctor_local_clock(d, c->api, doctor_chain_github(ch));
	doctor_local_author(d, c, bot, doctor_chain_bot_user_id(ch));
	doctor_local_helper_chain(d, c, bot);
	doctor_local_git_version(d);
	if (ops)
		doctor_ops(d, c);
	if (all_bots)	/* the bots' blocks, their checks counted in */
		doctor_all_finish(d, all);
	/* healthy but for events already reported here: the window moves on */
	doctor_counts(d, counts, NULL);
	if (counts[DOCTOR_FAIL] == fallbacks_failed)
		doctor_record_pass(&window);

	ret = counts[DOCTOR_FAIL] ? 1 : 0;
	if (doctor_is_json(d)) {
		if (all_bots)	/* the bots are in "bots": none names the document */
			doctor_json_add(d, "all", json_object_new_boolean(1));
		else
			doctor_json_add(d, "bot", bot ?
					json_object_new_string(bot) : NULL);
		doctor_json_add(d, "host", json_object_new_string(c->host ?
								  c->host : ""));
	}
	/* --all: its own summary */
	doctor_report_end(d, ret, !all_bots);
	free(load_msg);
	free(bot_err);
	free(broker);
	doctor_chain_free(ch);
	doctor_report_free(d);
	return ret;
}
