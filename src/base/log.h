#ifndef RAXX_LOG_H
#define RAXX_LOG_H

/*
 * Diagnostics on stderr beyond errors and warnings:
 *   trace()  RAXX_TRACE=1 or -v -v: step by step (method, URL, status, ms);
 *   info()   -v: what was decided (bot, source of the token);
 *   notice() printed unless -q (e.g. "setup: set user.name ...").
 * None of them may ever be given a secret value.
 */

#include "util.h"

extern int log_verbosity;	/* -1 quiet, 0 normal, 1 verbose, 2 trace */

void log_init(void);
void trace(const char *fmt, ...) RAXX_PRINTF(1, 2);
void info(const char *fmt, ...) RAXX_PRINTF(1, 2);
void notice(const char *fmt, ...) RAXX_PRINTF(1, 2);
int trace_enabled(void);

#endif
