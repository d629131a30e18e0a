/*
 * errors.h - return codes, the last error message, and diagnostics lists.
 *
 * Every fallible svcconn function returns an int: 0 on success or one of the
 * negative SVC_E* codes below.  The human-readable reason of the most recent
 * failure on the calling thread is fetched with svc_error_last().  Functions
 * that can find many problems at once (validation, import, pipeline
 * resolution) also fill an svc_diags list, one entry per problem, each with
 * the place it was found.
 */
#ifndef SVCCONN_ERRORS_H
#define SVCCONN_ERRORS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Return codes. */
enum svc_error_code {
	SVC_OK = 0,
	SVC_ERROR = -1,     /**< generic failure (I/O, database, library) */
	SVC_EINVALID = -2,  /**< invalid input: usage, validation, parse */
	SVC_ENOTFOUND = -3, /**< the named object does not exist */
	SVC_EEXISTS = -4,   /**< an object with that name or id exists */
	SVC_EDENIED = -5,   /**< refused by permissions or a check */
	SVC_EPENDING = -6,  /**< waiting (approval, lock, business hours) */
	SVC_ECRYPTO = -7,   /**< decryption or key problem */
	SVC_EINSECURE = -8, /**< a file with unsafe ownership or mode */
	SVC_EUNAVAIL = -9   /**< the store's database cannot be reached now */
};

/** The message of the last failure on this thread ("" if none). */
const char *svc_error_last(void);

/** Clear the last error of this thread. */
void svc_error_clear(void);

/** Severity of a diagnostic. */
typedef enum svc_severity {
	SVC_SEV_ERROR = 0,
	SVC_SEV_WARNING = 1,
	SVC_SEV_NOTE = 2
} svc_severity;

/** One problem found in some input. */
typedef struct svc_diag {
	const char *file;    /**< input file, or NULL when not from a file */
	unsigned line;       /**< 1-based line, 0 when unknown */
	unsigned column;     /**< 1-based column, 0 when unknown */
	svc_severity severity; /**< error, warning or note */
	const char *field;   /**< the field or key concerned, or NULL */
	const char *message; /**< what is wrong, in git's style */
} svc_diag;

/** Most diagnostics one list keeps; later ones are dropped. */
#define SVC_DIAGS_MAX 10000

/**
 * An owned, growable list of diagnostics.  The same message at the same
 * place is kept once.
 */
typedef struct svc_diags svc_diags;

int svc_diags_new(svc_diags **out);
void svc_diags_free(svc_diags *d);
size_t svc_diags_count(const svc_diags *d);
/** Number of entries with SVC_SEV_ERROR. */
size_t svc_diags_errors(const svc_diags *d);
/** Entry i, or NULL when out of range. The pointer lives as long as d. */
const svc_diag *svc_diags_at(const svc_diags *d, size_t i);
/** Append a diagnostic; strings are copied. */
int svc_diags_add(svc_diags *d, const char *file, unsigned line,
		  unsigned column, svc_severity sev, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/** Format entry i as "file:line:col: severity: message" into a new string. */
char *svc_diag_format(const svc_diag *e);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
