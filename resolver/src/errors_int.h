/*
 * errors_int.h - setting the thread's last error from inside the library.
 */
#ifndef SVC_ERRORS_INT_H
#define SVC_ERRORS_INT_H

/** Set the last error message and return code (for `return error_set(...)`). */
int error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** The last error for an allocation failure; returns SVC_ERROR. */
int error_oom(void);

#endif
