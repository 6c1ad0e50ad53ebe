#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <stdio.h>
#include <string.h>

int log_verbosity;

void log_init(void)
{
	const char *t = env_get("RAXX_TRACE");

	if (t && strcmp(t, "0") && strcmp(t, "false") && log_verbosity < 2)
		log_verbosity = 2;
}

int trace_enabled(void)
{
	return log_verbosity >= 2;
}

static void vlog(int level, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
	char full[32];

	if (log_verbosity < level)
		return;
	snprintf(full, sizeof(full), "raxx: %s", prefix);
	sink_vprintf(stderr, full, fmt, ap);
}

void trace(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, "trace: ", fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(1, "", fmt, ap);
	va_end(ap);
}

void notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(0, "", fmt, ap);
	va_end(ap);
}
