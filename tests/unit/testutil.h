/*
 * testutil.h - helpers shared by the unit and integration tests: temporary
 * directories, files, and running a real executable with captured output.
 */
#ifndef SVC_TESTUTIL_H
#define SVC_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/** A new private temporary directory (mode 0700); caller frees. */
char *tu_mkdtemp(void);
/** Remove a directory tree. */
void tu_rm_rf(const char *path);
/** path joined with name, newly allocated. */
char *tu_path(const char *dir, const char *name);
/** Write content to path (mode 0600), replacing it. */
void tu_write_file(const char *path, const char *content);
/** Whole file content (NUL-terminated) or NULL; *len when not NULL. */
char *tu_read_file(const char *path, size_t *len);
/** 1 when needle (of nlen bytes) occurs in hay (of hlen bytes). */
int tu_memmem(const char *hay, size_t hlen, const char *needle, size_t nlen);

/** Result of running a command. */
typedef struct tu_result {
	int status;   /**< exit code, or 128+signal */
	char *out;    /**< standard output, NUL-terminated */
	char *err;    /**< standard error, NUL-terminated */
} tu_result;

/**
 * Run argv (argv[0] a path) with stdin_text on standard input (NULL for
 * /dev/null), the current environment plus extra_env ("K=V", NULL-ended,
 * may be NULL), and capture both outputs.
 */
void tu_run(tu_result *r, const char *stdin_text, char *const argv[],
	    char *const extra_env[]);
void tu_result_free(tu_result *r);
/** SVC_BIN_DIR "/" name, in a static buffer. */
const char *tu_bin(const char *name);
/**
 * Run the svcconn CLI with the arguments ap (char *, NULL-ended) followed
 * by "--home home", stdin_text and extra_env as for tu_run.
 */
void tu_svcconn_v(tu_result *r, const char *home, const char *stdin_text,
		  char *const extra_env[], va_list ap);

/**
 * A fresh, empty database on the tests' PostgreSQL (the ctest fixture
 * "pg": $SVCCONN_TEST_PG names its directory), as a libpq URL; NULL when
 * the test runs without PostgreSQL.  Caller frees.
 */
char *tu_pg_database(void);
/**
 * For a test's store options: tu_pg_database()'s location, kept until the
 * test program exits, or NULL (SQLite).
 */
const char *tu_database(void);

struct svc_store;
/** A fixture: a fresh store in a temporary directory, open. */
typedef struct tu_store {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home, inside dir */
	struct svc_store *st;   /**< the open store */
} tu_store;
/**
 * A cmocka setup making a tu_store (initialised by "tester"): SQLite's,
 * or on a fresh PostgreSQL database when the test runs with one
 * (tu_database).
 */
int tu_store_setup(void **state);
/** Its teardown: closes the store, removes the directory. */
int tu_store_teardown(void **state);
/** The newest audit record of st: its action and detail (copied). */
void tu_last_audit(struct svc_store *st, char action[64], char detail[512]);

#endif
