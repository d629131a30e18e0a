/*
 * clock.c - current time, with the SVCCONN_NOW override for tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/clock.h"

int clock_parse(time_t *out, const char *s)
{
	struct tm tm;
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s && !*end && !errno) {
		*out = (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return error_set(SVC_EINVALID,
				 "invalid time '%s' (want YYYY-MM-DDTHH:MM:SSZ)",
				 s);
	*out = timegm(&tm);
	return 0;
}

int clock_now(time_t *out)
{
	const char *fixed = getenv("SVCCONN_NOW");

	if (fixed && *fixed)
		return clock_parse(out, fixed);
	*out = time(NULL);
	return 0;
}

void clock_iso8601(char out[32], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
