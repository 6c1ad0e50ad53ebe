/*
 * git-credential-raxx: git's credential helper and gh's token source that
 * act as the worktree's GitHub App bot. main() parses the global options,
 * hardens the process and dispatches through the one action table; the
 * work is in the modules.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "ghexec.h"
#include "http.h"
#include "identity.h"
#include "log.h"
#include "protocol.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static void set_deadline(void)
{
	const char *t = env_get("RAXX_TIMEOUT");
	long secs = 30;

	if (t && parse_long(t, 1, 3600, &secs)) {
		warning("RAXX_TIMEOUT '%.20s' is not a number of seconds (1-3600): "
			"using 30", t);
		secs = 30;
	}
	http_set_deadline(now_ms() + secs * 1000);
}

/* The global options, before the action (git appends the action to the
 * helper string): returns -1 to go on, else the exit status. */
static int global_options(struct raxx_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bot", required_argument, NULL, 'b' },
		{ "agent", required_argument, NULL, 'a' },
		{ "repo", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret = 0;

	while ((opt = cli_getopt(argc, argv, "+:qvh", longopts, &ret)) != -1) {
		switch (opt) {
		case 'b':
			c->opt_bot = cli_optarg;
			break;
		case 'a':
			c->opt_agent = cli_optarg;
			break;
		case 'r':
			c->opt_repo = cli_optarg;
			break;
		case 'q':
			log_verbosity = -1;
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'V':
			printf("git-credential-raxx %s\n", RAXX_VERSION);
			cli_optind = 0;
			return 0;
		default:
			return ret;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct raxx_config cfg = { 0 };
	const struct action *a;
	char *norm = NULL;
	int i, ret;

	harden_process(&cli_caller_settings);
	if (argc > 0 && *argv[0])
		cli_argv0 = argv[0];
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	if ((ret = global_options(&cfg, argc, argv)) >= 0)
		return ret;
	i = optind;
	log_init();
	if (i >= argc) {
		fputs(cli_usage_text, stderr);
		return RAXX_EUSAGE;
	}
	if (cfg.opt_repo) {
		if (credential_repo(cfg.opt_repo, &norm))
			return cli_usage_error(NULL, "--repo '%s' is not OWNER/REPO",
					       cfg.opt_repo);
		free(norm);
	}
	set_deadline();
	argc -= i;
	argv += i;
	if (!(a = cli_find_action(argv[0]))) {
		/* git's rule: helpers ignore unknown actions */
		if (!isatty(0))
			return 0;
		return cli_usage_error(NULL, "unknown action '%s'", argv[0]);
	}
	if (!a->run)
		return cli_help(argc > 1 ? argv[1] : NULL);
	ret = a->loads_config ? cli_report(cli_load(&cfg)) : 0;
	if (!ret)
		ret = a->run(&cfg, argc, argv);
	identity_forget(&cfg);
	config_release(&cfg);
	return ret;
}
