#ifndef RAXX_DOCTOR_ALL_H
#define RAXX_DOCTOR_ALL_H

/*
 * doctor --all (doctor_all.c): every bot of the trusted agent map and of
 * the audit log, each through the chain's checks for a bot
 * (doctor_chain.h) in a child process of its own. Reports to d
 * (doctor_report.h).
 */

#include "doctor_report.h"

struct doctor_all;
struct doctor_chain;
struct raxx_config;

/*
 * After the vault checks: the "bots" check (which bots, from where), and
 * each bot's checks started in a child process, which takes what the
 * vault checks of ch found (ch must outlive the run).
 */
struct doctor_all *doctor_all_start(struct doctor *d, struct doctor_chain *ch,
				    struct raxx_config *c);
/*
 * After the shared checks: wait for every bot (a bot not done within
 * --max-time is stopped and FAILs), print its block (text) or add "bots"
 * and "summary" to the --json answer, count its checks in, print the
 * summary line. Frees a.
 */
void doctor_all_finish(struct doctor *d, struct doctor_all *a);

#endif
