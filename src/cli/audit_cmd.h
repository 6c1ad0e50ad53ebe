#ifndef RAXX_AUDIT_CMD_H
#define RAXX_AUDIT_CMD_H

/*
 * `git-credential-raxx audit [--since DURATION] [--json]` (audit_cmd.c):
 * the audit log as a table of counts per bot, every bot whatever this
 * process's bot is (auditlog.h reads and counts the log).
 */

struct raxx_config;

extern const char audit_usage[];

/*
 * argv[0] is "audit". Prints its own errors; returns 0, RAXX_EINTERNAL (a
 * log file that cannot be read: the table counts the rest) or RAXX_EUSAGE.
 */
int audit_main(struct raxx_config *c, int argc, char **argv);

#endif
