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
#include <string.h>
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

/**
 * A store's database opened directly, as its administrator would and as
 * whoever can write its files or rows could: SQLite's file store.db in
 * the store directory (sqlite3), or the store's PostgreSQL database
 * (libpq, as the superuser of the tests' server).  Every call asserts
 * success.  Statements are written with ?1, ?2, ... parameters (rewritten
 * as $1, $2, ... for PostgreSQL).
 */
typedef struct tu_db tu_db;
/** A parameter: text (blob 0, NUL-terminated) or bytes. */
typedef struct tu_param {
	const void *p;  /**< the value; NULL for NULL */
	size_t len;     /**< its bytes */
	int blob;       /**< 1: bytes (BLOB, BYTEA), 0: text */
} tu_param;
#define TU_TEXT(s) { (s), strlen(s), 0 }
#define TU_BLOB(p, n) { (p), (n), 1 }
/** The rows of a query, every cell copied (integers as decimal text). */
typedef struct tu_rows {
	size_t n;               /**< rows */
	size_t cols;            /**< columns */
	unsigned char **cell;   /**< n * cols values, NUL-terminated; NULL: NULL */
	size_t *len;            /**< their bytes */
	long long changes;      /**< rows a write statement changed */
} tu_rows;

/** Open the database of the store at home: database (a PostgreSQL
 * location, as in svc_store_options) or, when NULL, SQLite's store.db. */
tu_db *tu_db_open(const char *home, const char *database);
void tu_db_close(tu_db *d);
/** 1 on PostgreSQL. */
int tu_db_pg(const tu_db *d);
/** Run sql (one or more statements, no parameters). */
void tu_db_exec(tu_db *d, const char *sql);
/** The same, 0 when it succeeds, -1 when the database refuses it. */
int tu_db_try(tu_db *d, const char *sql);
/** Run one statement with n parameters; caller frees the rows. */
tu_rows *tu_db_query(tu_db *d, const char *sql, const tu_param *params,
		     int n);
/** The integer in the first column of the one row sql gives. */
long long tu_db_int(tu_db *d, const char *sql);
/** The store schema's version (SQLite's user_version, PostgreSQL's
 * svcconn_schema). */
long long tu_db_schema_version(tu_db *d);
/** The schema version this svcconn makes (the drivers' migrations). */
long long tu_db_schema_current(const tu_db *d);
/** Cell (row, col) as text, or NULL. */
const char *tu_rows_text(const tu_rows *r, size_t row, size_t col);
/** ... as an integer (NULL: 0). */
long long tu_rows_int(const tu_rows *r, size_t row, size_t col);
void tu_rows_free(tu_rows *r);
/** One of tu_db_open, tu_db_exec, tu_db_close; one of ... tu_db_int. */
void tu_db_run(const char *home, const char *database, const char *sql);
long long tu_db_get(const char *home, const char *database, const char *sql);

struct svc_store;
/** A fixture: a fresh store in a temporary directory, open. */
typedef struct tu_store {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home, inside dir */
	const char *database;   /**< its PostgreSQL database, or NULL */
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
