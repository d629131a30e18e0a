/*
 * clock.h - the one clock of svcconn.
 *
 * All times come from here.  SVCCONN_NOW, when set, fixes the time: either
 * seconds since the epoch or "YYYY-MM-DDTHH:MM:SSZ".  It exists so tests can
 * place runs in and out of business hours without sleeping; it is
 * documented in docs/ and only ever moves the clock, never a permission.
 */
#ifndef SVC_UTIL_CLOCK_H
#define SVC_UTIL_CLOCK_H

#include <time.h>

/** Seconds since the epoch, honouring SVCCONN_NOW. */
int clock_now(time_t *out);
/** Format t as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void clock_iso8601(char out[32], time_t t);
/**
 * Parse a UTC time, "YYYY-MM-DDTHH:MM:SSZ" (the Z, the seconds or the
 * whole time of day may be left out) or epoch seconds; 0 on success.
 */
int clock_parse(time_t *out, const char *s);

#endif
