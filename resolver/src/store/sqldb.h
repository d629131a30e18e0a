/*
 * sqldb.h - the SQL database driver under the store's rows.
 *
 * The store has three layers (docs/architecture.md):
 *   store.c, store_authz.c, ...  business rules: sealing, row MACs, audit,
 *                                validation, decisions (above the rows)
 *   store_rows.c                 the store_backend_ops table: each operation
 *                                is one or a few SQL statements written once,
 *                                in the SQL both databases accept
 *   a driver (this interface)    one database engine: opening, its schema
 *                                and migrations, transactions, statements
 * A driver knows nothing of connections, roles or jobs beyond its own
 * schema's DDL; adding an engine means writing a driver, not copying any
 * operation.  Drivers: sqlite.c (a file in the store directory, the
 * embedded default) and postgresql.c (a "postgresql://" location).
 *
 * The SQL the operations send (the common dialect):
 * - parameters are written ?1, ?2, ... (a driver rewrites them for its
 *   engine, outside quoted strings and identifiers);
 * - "COLLATE NOCASE" compares names case-insensitively; every engine
 *   provides a collation of that name;
 * - each table whose order of insertion matters has a column "rowid";
 *   "RETURNING" gives generated ids; "ON CONFLICT ... DO" for upserts;
 * - only functions both engines have (coalesce, lower, length, substr,
 *   count, max/min as aggregates); comparisons of integer columns are
 *   written out ("revoked <> 0"), never used as booleans; a parameter
 *   whose type its context does not fix is written CAST(?1 AS TEXT).
 *
 * Conventions: every function returns 0 (step: 1 for a row, 0 when done)
 * or a negative SVC_E* code with the message set by error_set().  A
 * unique-key violation is SVC_EEXISTS; a database that cannot be reached
 * is SVC_EUNAVAIL.  Messages name the database by its redacted location
 * (never a password).  Write statements run only between begin(db, 1) and
 * commit/rollback; a write transaction excludes every other writer of the
 * same database, in any process or on any host, until it ends, so the
 * operations above may read then write without a race.
 */
#ifndef SVC_STORE_SQLDB_H
#define SVC_STORE_SQLDB_H

#include <stddef.h>

/** One open database (a connection and what goes with it). */
typedef struct sqldb sqldb;
/** One statement: prepared, parameters bound, then stepped row by row. */
typedef struct sqldb_stmt sqldb_stmt;

/** An engine's implementation of the interface. */
typedef struct sqldb_driver {
	/** Engine name for messages: "SQLite", "PostgreSQL". */
	const char *name;
	/**
	 * Open the database at location and bring its schema to the
	 * current version (each driver keeps its own versioned migrations).
	 * create: a new store's database: refuse one that holds a store
	 * already (SVC_EEXISTS) and create what the engine needs.
	 */
	int (*open)(sqldb **out, const char *location, int create);
	/** Close; NULL is a no-op. */
	void (*close)(sqldb *db);
	/** Remove what open(create) made, after a failed initialisation. */
	int (*remove)(const char *location);
	/** A transaction; write: one that excludes every other writer. */
	int (*begin)(sqldb *db, int write);
	int (*commit)(sqldb *db);
	/** Roll back the open transaction, if any. */
	void (*rollback)(sqldb *db);
	/**
	 * A number that changes whenever another connection (any process,
	 * any server) has committed a write since this one last looked.
	 */
	int (*data_version)(long long *out, sqldb *db);
	/** Prepare sql (the common dialect); doing words the messages. */
	int (*prepare)(sqldb_stmt **out, sqldb *db, const char *sql,
		       const char *doing);
	/** Bind parameter i (from 1): text of len bytes (s NULL: NULL). */
	int (*bind_text)(sqldb_stmt *st, int i, const char *s, size_t len);
	/** Bind parameter i as bytes (p NULL: NULL). */
	int (*bind_blob)(sqldb_stmt *st, int i, const void *p, size_t len);
	/** Bind parameter i as a 64-bit integer. */
	int (*bind_int)(sqldb_stmt *st, int i, long long v);
	/** Run or advance: 1 for a row, 0 when done, or an error. */
	int (*step)(sqldb_stmt *st);
	/** Column i of the current row as text, or NULL for NULL. */
	const char *(*col_text)(sqldb_stmt *st, int i);
	/** Column i as bytes (*len set), or NULL for NULL. */
	const void *(*col_blob)(sqldb_stmt *st, int i, size_t *len);
	/** Column i as an integer (NULL and false give 0, true 1). */
	long long (*col_int)(sqldb_stmt *st, int i);
	/** 1 when column i of the current row is NULL. */
	int (*col_null)(sqldb_stmt *st, int i);
	/** Rows the last finished write statement on db changed. */
	long long (*changes)(sqldb *db);
	/** Release a statement; NULL is a no-op. */
	void (*finalize)(sqldb_stmt *st);
	/**
	 * Inside a write transaction, after rows were written with explicit
	 * values in column (an integer the database generates, e.g. "seq")
	 * of table: make the next generated value exceed every one there.
	 * Only names from sqldb_tables reach it.
	 */
	int (*identity_sync)(sqldb *db, const char *table, const char *column);
	/**
	 * Inside a write transaction: its commit is to tell every watcher
	 * of the database (watch_wait), on every host, that something a
	 * waiting job waits on changed.  NULL: the engine has no channel
	 * of its own (the watchers poll data_version; store_rows.c wakes
	 * those of this process itself).
	 */
	void (*notify)(sqldb *db);
	/**
	 * A watcher: a connection of its own to location, listening for
	 * the commits that notify (or, without notify, for any commit).
	 */
	int (*watch_open)(sqldb **out, const char *location);
	/**
	 * Wait on a watcher for up to timeout_ms milliseconds, or until
	 * wake_fd (an eventfd, or -1) is readable: 1 when something may
	 * have changed (a notification, a reconnection after the database
	 * was lost, or wake_fd), 2 (engines without notify) when only a
	 * commit of some connection was seen, 0 when the time passed
	 * quietly, or an error (SVC_EUNAVAIL: the database cannot be
	 * reached; the next call tries again after the hold-off).
	 */
	int (*watch_wait)(sqldb *w, int wake_fd, long timeout_ms);
} sqldb_driver;

/**
 * One table of the store's schema as `svcconn migrate` copies it: the one
 * list of the store's tables and columns (sqldb.c), which both drivers'
 * schemas must match (a migration that adds a table or a column adds it
 * here too; tests/integration/migrate_pg.sh compares the list with both
 * databases' catalogues).
 */
typedef struct sqldb_table {
	const char *name;     /**< the table */
	const char *columns;  /**< its columns, ", "-separated, in order */
	const char *types;    /**< one letter per column: T text, I integer,
				   B bytes */
	const char *order;    /**< an integer column rows are read in order
				   of (insertion order matters), or NULL:
				   rows are compared as a set */
	const char *identity; /**< the integer column the database generates
				   and which is copied (identity_sync), or
				   NULL */
	const char *seed;     /**< a condition on the rows a new schema
				   holds already (replaced by the copy), or
				   NULL */
	int transient;        /**< 1: its rows are not copied (the console's
				   sessions end with their database) */
} sqldb_table;

/** The store's tables, parents before the tables referring to them. */
extern const sqldb_table sqldb_tables[];
/** Entries in sqldb_tables. */
extern const size_t sqldb_table_count;

extern const sqldb_driver sqldb_sqlite;
extern const sqldb_driver sqldb_postgresql;

/**
 * Many rows of one table written with one statement (sqldb_batch.c), inside
 * a write transaction: "HEAD VALUES (?1, ...), (...) TAIL", HEAD such as
 * "INSERT INTO t (a, b)", TAIL an ON CONFLICT clause or "" (NULL).  Values
 * are given column by column (copied: the caller's memory may go at once),
 * each row ended with sqldb_batch_row(), which runs the rows held when the
 * batch is full; sqldb_batch_flush() runs the rest.  A run that fails
 * (SVC_EEXISTS for a unique key taken) writes none of its rows, drops
 * them, and leaves the transaction usable, as a failed statement does.
 * Rows are inserted in the order given.
 */
typedef struct sqldb_batch sqldb_batch;

int sqldb_batch_new(sqldb_batch **out, const sqldb_driver *drv, sqldb *db,
		    const char *head, size_t ncols, const char *tail,
		    const char *doing);
/** Free; rows not flushed are dropped (wiped).  NULL is a no-op. */
void sqldb_batch_free(sqldb_batch *b);
/** The next column: text of len bytes (s NULL: NULL). */
int sqldb_batch_text(sqldb_batch *b, const char *s, size_t len);
/** The next column: bytes (p NULL: NULL; len 0: empty, not NULL). */
int sqldb_batch_blob(sqldb_batch *b, const void *p, size_t len);
/** The next column: an integer. */
int sqldb_batch_int(sqldb_batch *b, long long v);
/** End the row; a full batch runs (0 or the statement's error). */
int sqldb_batch_row(sqldb_batch *b);
/** Run the rows held (none: 0). */
int sqldb_batch_flush(sqldb_batch *b);
/** Rows held, not yet run. */
size_t sqldb_batch_rows(const sqldb_batch *b);
/** Rows it takes until the batch runs (the row that fills it runs it). */
size_t sqldb_batch_room(const sqldb_batch *b);

/**
 * The driver for a store location: "postgresql://" and "postgres://"
 * URIs, and libpq keyword strings ("host=... dbname=..."), are
 * PostgreSQL; anything else is the path of an SQLite file.
 */
const sqldb_driver *sqldb_driver_for(const char *location);

/** sqldb_wait_fds' answer: fd is readable; wake_fd was (and is drained). */
#define SQLDB_WAIT_FD 1
#define SQLDB_WAIT_WAKE 2
/**
 * Wait up to timeout_ms for fd (-1: none) to be readable or the eventfd
 * wake_fd (-1: none) to be signalled: a mask of SQLDB_WAIT_*, 0 when the
 * time passed, or SVC_ERROR (a watcher's poll).
 */
int sqldb_wait_fds(int fd, int wake_fd, long timeout_ms);

/**
 * The redacted form of a PostgreSQL location for messages and display,
 * postgresql://HOST:PORT/DBNAME: no user, password or other option.
 */
int sqldb_pg_redact(char **out, const char *location);
/** 1 when a PostgreSQL location carries a password. */
int sqldb_pg_has_password(const char *location);

#endif
