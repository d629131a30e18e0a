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
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S",
					     "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	struct tm tm;
	size_t i;
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s && !*end && !errno) {
		*out = (time_t)v;
		return 0;
	}
	/* the longest form first: a shorter one would stop at its end */
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (end && (!*end || !strcmp(end, "Z"))) {
			*out = timegm(&tm);
			return 0;
		}
	}
	return error_set(SVC_EINVALID,
			 "invalid time '%s' (want YYYY-MM-DD[THH:MM[:SS]][Z])", s);
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
