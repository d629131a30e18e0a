/*
 * bench_util.h - what every benchmark program shares: a monotonic clock,
 * the load average and dying with the program's name.  Define BENCH_NAME
 * before including.
 */
#ifndef SVCCONN_BENCH_UTIL_H
#define SVCCONN_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The load average over the last minute, for the report (-1: unknown). */
static inline double load1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* Say what failed and why, and exit 2. */
static inline _Noreturn void die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what, why);
	exit(2);
}

#endif
