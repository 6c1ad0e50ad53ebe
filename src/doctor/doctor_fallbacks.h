#ifndef RAXX_DOCTOR_FALLBACKS_H
#define RAXX_DOCTOR_FALLBACKS_H

/*
 * doctor's fallbacks check (doctor_fallbacks.c): what the audit log says
 * happened while nobody was looking. Reports to d (doctor_report.h);
 * calls no other doctor module.
 */

#include "doctor_report.h"

#include <time.h>

/*
 * FAIL when the audit log holds a fallback or a failed mint since the
 * last passing run (else in the last 24 h). Returns 1 when it FAILed, and
 * fills *w with where this reading of the log ended. A run where no other
 * check FAILed records it with doctor_record_pass(), which starts the
 * next window there.
 */
struct doctor_window {
	time_t time;		/* the log was read at this second */
	unsigned long seen;	/* lines of that second already in it */
};
int doctor_fallbacks(struct doctor *d, struct doctor_window *w);
void doctor_record_pass(const struct doctor_window *w);

#endif
