/*
 * child.h - running work that may hang (libgit2 1.5 has no network timeout)
 * in a child process that reports one line through a pipe, given up on at
 * a deadline.
 */
#ifndef SVC_UTIL_CHILD_H
#define SVC_UTIL_CHILD_H

#include <stddef.h>

/**
 * Fork; the child runs fn(fd, arg), which writes its report to fd, and
 * exits.  The parent reads at most max bytes of the report into report
 * (NUL-terminated) for at most timeout_ms, then kills the child
 * (*timed_out = 1) and reaps it.  Returns 0, or an error when the child
 * could not be started.
 */
int child_report(char *report, size_t max, long timeout_ms, int *timed_out,
		 void (*fn)(int fd, void *arg), void *arg);

#endif
