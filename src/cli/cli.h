#ifndef RAXX_CLI_H
#define RAXX_CLI_H

/*
 * The actions of the command line. Each takes the process context and the
 * action's own argv (argv[0] is the action's name) and returns the exit
 * status, its error already printed. main.c holds the one table of them
 * and hands it to cli_use_actions first; the rest of this header is what
 * the actions share.
 */

#include "identity/config.h"

int cmd_get(struct raxx_config *c, int argc, char **argv);
int cmd_store(struct raxx_config *c, int argc, char **argv);
int cmd_erase(struct raxx_config *c, int argc, char **argv);
int cmd_token(struct raxx_config *c, int argc, char **argv);
int cmd_exec(struct raxx_config *c, int argc, char **argv);
int cmd_revoke(struct raxx_config *c, int argc, char **argv);
int cmd_setup(struct raxx_config *c, int argc, char **argv);
int cmd_status(struct raxx_config *c, int argc, char **argv);
/* refresh.h: the background re-mint; not listed in the usage */
int cmd_refresh_ahead(struct raxx_config *c, int argc, char **argv);

/* Settings, then the HTTP module told what it needs of them (RAXX_CA_BUNDLE).
 * Returns 0 or an error code with its message recorded. */
int cli_load(struct raxx_config *c);

/* Print the recorded error ("raxx: error: ...") when code is not 0;
 * returns code. */
int cli_report(int code);

/* "raxx: MESSAGE" and a pointer to --help on stderr; returns RAXX_EUSAGE. */
int cli_usage_error(const char *action, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct action {
	const char *name;
	int (*run)(struct raxx_config *c, int argc, char **argv);
	const char *help;
	int loads_config;	/* load the settings before run */
};
/* The table to find actions and their help in (main.c's), and the
 * program's usage text. */
void cli_use_actions(const struct action *table, size_t nr, const char *usage);
/* The action called name, or NULL. */
const struct action *cli_find_action(const char *name);
/* The help text of action (NULL: the program's); NULL for an unknown one. */
const char *cli_help_text(const char *action);
/* Print it on stdout (0), or a usage error for an unknown action. */
int cli_help(const char *action);

/*
 * getopt_long over an action's argv, with -h/--help answered from its help
 * text: returns the option, -1 at the end, or '?' after printing a usage
 * error (then *ret holds the exit status; also 0 after --help).
 */
struct option;
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *ret);
extern char *cli_optarg;
extern int cli_optind;

/* argv[0] as the program was run (setup writes the helper from it). */
extern const char *cli_argv0;

/* The caller's umask and core limit, for exec to give back. */
struct process_settings;
extern struct process_settings cli_caller_settings;

#endif
