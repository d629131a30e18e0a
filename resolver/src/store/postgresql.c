/*
 * postgresql.c - the PostgreSQL driver of the store (sqldb.h), with libpq.
 *
 * A store's location is a libpq connection string: a "postgresql://" or
 * "postgres://" URI or "key=value" words.  The string is parsed once, the
 * connection made, and our parsed copy wiped at once; libpq keeps what it
 * needs to reconnect (PQreset) inside the connection.  Passwords belong in
 * PGPASSFILE or ~/.pgpass, which libpq reads itself; one written into the
 * URL works, and is wiped with our copy.  Messages name the database by a
 * redacted location, postgresql://HOST:PORT/DBNAME, never the string.
 *
 * Statements are the common dialect of sqldb.h: ?N becomes $N (outside
 * quoted strings, identifiers and comments) and each runs on its first
 * step: text parameters, blobs as binary BYTEA, results as text (bytea
 * comes back as \x hex, decoded by col_blob), every row of the result
 * held until the next statement.
 *
 * Prepared statements.  A connection keeps the statements it runs
 * prepared, so PostgreSQL parses, analyses and plans each once per
 * session, not at every run: a cache of the connection, sorted by text
 * and parameter types (the same text bound with other types -- an
 * integer, bytes, a NULL -- is another statement), maps each to its
 * name, "svc_N".  A statement's first run sends its Parse under a new
 * name and its run by that name in one round trip (libpq's pipeline
 * mode); later ones run by the name (PQexecPrepared).  The entry is made
 * only when the Parse succeeded: one that fails (a syntax error: the
 * error reported is PostgreSQL's, as for an unnamed statement), fails in
 * a failed transaction, or is skipped after a failure in the same round
 * trip leaves nothing; one that succeeded stays even if its transaction
 * rolls back (PostgreSQL's prepared statements are not transactional).
 * A new connection (PQreset, after a lost one -- a restart, a failover
 * -- or a write refused as read-only) is a new session without them:
 * the cache is emptied before it, whether the attempt connects or not.
 * The cache is bounded: a text of more than SVC_PG_CACHE_PARAMS
 * parameters or SVC_PG_CACHE_SQL bytes (the batches of sqldb_batch.c and
 * conn_find_many's VALUES lists, a text per number of rows) and any
 * beyond SVC_PG_CACHE_MAX statements run unnamed (PQexecParams), as
 * every one did before.  PostgreSQL plans a prepared statement for its
 * parameters at each of its first five runs, then switches to a generic
 * plan only if that is estimated to cost no more (plan_cache_mode).
 * BEGIN, COMMIT and the savepoints are utility statements with nothing
 * to plan: they run as text.
 *
 * Transactions.  The store's operations read, decide, then write, as they
 * do under SQLite's BEGIN IMMEDIATE, which takes the database's one write
 * lock first.  A write transaction here does the same: BEGIN, then
 * pg_advisory_xact_lock(SVC_PG_LOCK), held by one transaction of the whole
 * database at a time (every server, every process) until it commits or
 * rolls back; so no operation can read a row another writer is about to
 * change, and no write transaction fails on a serialization conflict.  A
 * read transaction is REPEATABLE READ READ ONLY: one snapshot for all of
 * its statements, never blocking and never blocked.
 *
 * data_version: the row svcconn_version counts the write transactions
 * committed to the database: a statement trigger on every table of the
 * store (migration 12) adds 1 once per transaction that changes one,
 * whoever runs it -- a database administrator's UPDATE too -- and each of
 * our write transactions just before its COMMIT when nothing had; the
 * version a connection reports is that count less its own commits, so it
 * moves only when another connection committed, like SQLite's PRAGMA
 * data_version.  (A superuser can write with triggers off; the store then
 * notices at its next open or at another svcconn's write, as every read
 * still checks its row's MAC.)
 *
 * Errors: a unique-key violation (SQLSTATE 23505) is SVC_EEXISTS; a lost
 * connection is SVC_EUNAVAIL, and the next begin (or statement outside a
 * transaction) reconnects; a serialization failure or deadlock (40001,
 * 40P01) of a statement outside a transaction, or of the BEGIN that takes
 * the write lock (nothing done yet), is retried; inside a transaction it
 * is lost and the error is SVC_EUNAVAIL saying so (the server answers 503
 * with Retry-After).  Under the write lock no svcconn transaction can
 * conflict with another (docs/scale.md), so only a foreign writer's locks
 * can cause either.  A write refused as read-only (25006: connected to a
 * standby) is SVC_EUNAVAIL too, and the connection is made again after
 * the hold-off, so a multi-host location with target_session_attrs picks
 * its hosts again.
 *
 * Losing the database.  A statement on a broken connection fails with
 * SVC_EUNAVAIL and the open transaction is dropped (there is nothing to
 * roll back on a dead connection: the server rolled it back); the next
 * begin, or a statement outside a transaction, connects again (PQreset:
 * the same parameters, so a multi-host location with target_session_attrs
 * finds the new primary) and applies the session's settings again.  A
 * failed attempt holds further ones off for SVC_PG_HOLDOFF seconds, which
 * fail at once with SVC_EUNAVAIL, so a database that does not answer (a
 * dropped route: connect_timeout each time) does not stall every request
 * of a server behind one another.
 *
 * Time-outs, each unless the location (or the database's or role's own
 * settings) sets one: connect_timeout SVC_PG_CONNECT_TIMEOUT s; TCP
 * keepalives (a peer gone without a word is noticed in about a minute,
 * not two hours); statement_timeout SVC_PG_STATEMENT_TIMEOUT (57014:
 * SVC_EUNAVAIL); lock_timeout SVC_PG_LOCK_TIMEOUT, which bounds the wait
 * for the write lock behind a stuck writer of another server (55P03:
 * SVC_EUNAVAIL, "busy").
 *
 * The schema is PostgreSQL's own, versioned in svcconn_schema: version 10
 * is one baseline step with the tables and columns SQLite's migrations 1
 * to 10 make (sqlite.c), BIGINT for integers, BYTEA for blobs, identity
 * columns where SQLite has AUTOINCREMENT, a "rowid" identity column on the
 * tables whose queries ORDER BY rowid (fields, oidc_keys), and the
 * collation "nocase" (ICU, case-insensitive) that COLLATE NOCASE names.
 * Version 11 adds user_passwords, as SQLite's migration 11; version 12
 * the triggers of data_version (a migration that adds a table gives it
 * the trigger too).
 * Migrating runs in one transaction under the write lock, so servers that
 * start together do not race.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "store/sqldb.h"
#include "util/buf.h"

/* The advisory lock every write transaction and migration holds
 * ("svcc"): one writer at a time in the whole database. */
#define SVC_PG_LOCK 0x73766363LL
/* The channel of the commits that can release a waiting job. */
#define SVC_PG_CHANNEL "svcconn_gate"
/* Seconds to wait for a connection when the location names none. */
#define SVC_PG_CONNECT_TIMEOUT "5"
/* TCP keepalives when the location names none: first probe after 30 s
 * idle, then every 10 s, the connection dead after 3 unanswered. */
#define SVC_PG_KEEPALIVES_IDLE "30"
#define SVC_PG_KEEPALIVES_INTERVAL "10"
#define SVC_PG_KEEPALIVES_COUNT "3"
/* A statement's longest run, and the longest wait for a lock (the write
 * lock above all), unless the session has its own (location, role). */
#define SVC_PG_STATEMENT_TIMEOUT "30s"
#define SVC_PG_LOCK_TIMEOUT "15s"
/* Seconds after a failed connection attempt during which no other is
 * made (requests fail at once with SVC_EUNAVAIL). */
#define SVC_PG_HOLDOFF 1
/* Times a statement outside a transaction, or a BEGIN, is retried after a
 * serialization failure or deadlock. */
#define SVC_PG_RETRIES 5
/* PostgreSQL's type oids (catalog/pg_type.h) */
#define PG_BYTEA_OID 17
#define PG_INT8_OID 20
#define PG_TEXT_OID 25
/* Most parameters of one statement (the protocol's limit). */
#define PG_MAX_PARAMS 65535
/* Longest SQL text a statement may have. */
#define PG_MAX_SQL (1u << 20)
/* The statements a connection keeps prepared: at most SVC_PG_CACHE_MAX,
 * each of at most SVC_PG_CACHE_PARAMS parameters and SVC_PG_CACHE_SQL
 * bytes of SQL (the store's own have up to 16 parameters; the texts built
 * for many rows, a batch's or a VALUES list's, differ with their number
 * and run unnamed). */
#define SVC_PG_CACHE_MAX 256
#define SVC_PG_CACHE_PARAMS 32
#define SVC_PG_CACHE_SQL 8192

/* A statement the session holds prepared under a name of ours. */
struct pg_prepared {
	char *sql;            /**< its text, with $N placeholders */
	size_t len;           /**< strlen(sql) */
	int nparams;          /**< parameters */
	unsigned *types;      /**< their type oids, as prepared */
	char name[32];        /**< the session's name for it, "svc_N" */
};

struct sqldb {
	PGconn *conn;         /**< the connection (maybe lost: reset) */
	char *where;          /**< redacted location, for messages */
	int in_tx;            /**< a transaction is open */
	int write_tx;         /**< ... and it is a write transaction */
	long long changes;    /**< rows the last write statement changed */
	long long own_writes; /**< write transactions this one committed */
	time_t holdoff;       /**< no connection attempt before then
				   (CLOCK_MONOTONIC seconds), 0: none */
	int configured;       /**< the session's settings are applied on
				   the current connection */
	int read_only;        /**< the connection refused a write as
				   read-only (25006): made again, from the
				   location's hosts, once the hold-off ends */
	int notify;           /**< the open write transaction notifies
				   the watchers at its commit */
	int listening;        /**< a watcher: LISTEN runs on the current
				   connection */
	struct pg_prepared **cache; /**< the statements prepared on the
				   current connection, sorted (cache_cmp);
				   SVC_PG_CACHE_MAX slots, NULL until the
				   first */
	int ncached;          /**< entries in cache */
	unsigned long long prepared; /**< names given so far (the next
				   is "svc_<prepared + 1>") */
};

struct sqldb_stmt {
	sqldb *db;            /**< the database it runs on */
	char *sql;            /**< the SQL with $N placeholders */
	char *doing;          /**< what it does, for messages */
	int nparams;          /**< parameters ($1 .. $nparams) */
	const char **values;  /**< each parameter's value, NULL for NULL */
	char **owned;         /**< copies made for text and integers */
	size_t *owned_len;    /**< their sizes, for the wipe */
	int *lengths;         /**< bytes of binary parameters */
	int *formats;         /**< 1: binary (blobs), 0: text */
	unsigned *types;      /**< type oids (0: deduced, BYTEA, INT8) */
	unsigned char *used;  /**< 1 for each $N the SQL names */
	PGresult *res;        /**< the result, once run */
	int row;              /**< the current row; -1 before the first */
	unsigned char **blobs; /**< col_blob's decodings of the current row */
	size_t *blob_len;     /**< their lengths */
	int nblobs;           /**< entries in blobs (the result's columns) */
};

/* ---- messages ---------------------------------------------------------- */

/* The first line of a libpq message, for an error of ours. */
static void first_line(char *out, size_t n, const char *msg)
{
	size_t len;

	if (!msg)
		msg = "";
	if (!strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	len = strcspn(msg, "\r\n");
	snprintf(out, n, "%.*s", (int)len, msg);
}

static time_t mono_now(void);

/*
 * A write refused as read-only (SQLSTATE 25006) outside our own read-only
 * transactions: the connection reached a standby (a location without
 * target_session_attrs=read-write, or a primary that has become one).
 * SVC_EUNAVAIL, as nothing was written (the transaction is lost); the
 * next transaction once the hold-off after the first refusal ends
 * connects again, so a multi-host location finds the primary.
 */
static int read_only(sqldb *db, const char *doing, const char *msg)
{
	if (!db->read_only) { /* the first refusal starts the hold-off */
		db->read_only = 1;
		db->holdoff = mono_now() + SVC_PG_HOLDOFF;
	}
	return error_set(SVC_EUNAVAIL,
			 "cannot %s: database '%s' is read-only (a standby, not the primary): %s",
			 doing, db->where, msg);
}

/* The error of a failed result res (NULL: the connection's own error). */
static int pg_fail(sqldb *db, PGresult *res, const char *doing)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
				: NULL;
	const char *primary = res ? PQresultErrorField(res,
						       PG_DIAG_MESSAGE_PRIMARY)
				  : NULL;
	char msg[512];

	first_line(msg, sizeof(msg), primary ? primary
					     : PQerrorMessage(db->conn));
	if (PQstatus(db->conn) != CONNECTION_OK ||
	    (state && !strncmp(state, "08", 2)) ||
	    (state && !strncmp(state, "57P", 3)))
		return error_set(SVC_EUNAVAIL,
				 "cannot %s: database '%s' cannot be reached: %s",
				 doing, db->where, msg);
	if (state && !strcmp(state, "23505"))
		return error_set(SVC_EEXISTS, "cannot %s: %s", doing, msg);
	if (state && !strcmp(state, "25006") && !(db->in_tx && !db->write_tx))
		return read_only(db, doing, msg);
	if (state && (!strcmp(state, "55P03") || !strcmp(state, "57014")))
		return error_set(SVC_EUNAVAIL,
				 "cannot %s: database '%s' is busy (%s): try again",
				 doing, db->where, msg);
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
		return error_set(SVC_EUNAVAIL,
				 "cannot %s: a concurrent transaction on '%s' conflicted with this one, which was rolled back (%s): try again",
				 doing, db->where, msg);
	return error_set(SVC_ERROR, "cannot %s in '%s': %s", doing, db->where,
			 msg);
}

/* 1 when res failed in a way a fresh attempt may not (40001, 40P01). */
static int retryable(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state && (!strcmp(state, "40001") || !strcmp(state, "40P01"));
}

/*
 * Append HOST:PORT for each host of a comma-separated list, paired with
 * the port list as libpq pairs them (one port for all, or one each; an
 * empty one 5432): postgresql://h1,h2:5433 names h1:5433,h2:5433.
 */
static int host_ports(svc_buf *b, const char *hosts, const char *ports)
{
	const char *h = hosts, *p = ports;
	int single = !strchr(ports, ','), first = 1;

	for (;;) {
		size_t hn = strcspn(h, ","), pn = strcspn(p, ",");

		if (buf_printf(b, "%s%.*s:%.*s", first ? "" : ",", (int)hn, h,
			       pn ? (int)pn : 4, pn ? p : "5432") != 0)
			return -1;
		first = 0;
		if (!h[hn])
			return 0;
		h += hn + 1;
		if (!single && p[pn])
			p += pn + 1;
		else if (!single)
			p = "";
	}
}

/*
 * The redacted form of a parsed location: postgresql://HOST:PORT/DBNAME,
 * from its host (or hostaddr), port and dbname, libpq's defaults where it
 * names none; a multi-host location names each host with its port
 * (postgresql://H1:P1,H2:P2/DBNAME).
 */
static char *redact(const PQconninfoOption *opts)
{
	const char *host = NULL, *addr = NULL, *port = NULL, *db = NULL,
		   *user = NULL;
	const PQconninfoOption *o;
	svc_buf b = SVC_BUF_INIT;

	for (o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "hostaddr"))
			addr = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			db = o->val;
		else if (!strcmp(o->keyword, "user"))
			user = o->val;
	}
	if (buf_puts(&b, "postgresql://") != 0 ||
	    host_ports(&b, host ? host : addr ? addr : "localhost",
		       port ? port : "") != 0 ||
	    buf_printf(&b, "/%s", db ? db : user ? user : "postgres") != 0) {
		buf_clear(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Wipe and free what PQconninfoParse returned (it may hold a password). */
static void conninfo_free(PQconninfoOption *opts)
{
	PQconninfoOption *o;

	for (o = opts; o && o->keyword; o++)
		if (o->val)
			svc_wipe(o->val, strlen(o->val));
	PQconninfoFree(opts);
}

/* Parse location; the message of a bad one never repeats it. */
static int conninfo_parse(PQconninfoOption **out, const char *location)
{
	char *err = NULL, msg[256];

	if (!(*out = PQconninfoParse(location, &err))) {
		first_line(msg, sizeof(msg), err ? err : "out of memory");
		PQfreemem(err);
		return error_set(SVC_EINVALID,
				 "the PostgreSQL database location is not valid: %s",
				 msg);
	}
	return 0;
}

int sqldb_pg_redact(char **out, const char *location)
{
	PQconninfoOption *opts;
	char *r;
	int rc;

	if ((rc = conninfo_parse(&opts, location)) != 0)
		return rc;
	r = redact(opts);
	conninfo_free(opts);
	if (!r)
		return error_oom();
	*out = r;
	return 0;
}

int sqldb_pg_has_password(const char *location)
{
	PQconninfoOption *opts, *o;
	int has = 0;

	if (!(opts = PQconninfoParse(location, NULL)))
		return 0;
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			has = 1;
	conninfo_free(opts);
	return has;
}

/* ---- the statements kept prepared -------------------------------------- */

/*
 * The cache's order: by parameters, length, text, then parameter types
 * (memcmp's order of the oids' bytes: any order will do, if total).
 */
static int cache_cmp(const struct pg_prepared *e, const sqldb_stmt *st,
		     size_t len)
{
	int c;

	if (e->nparams != st->nparams)
		return e->nparams < st->nparams ? -1 : 1;
	if (e->len != len)
		return e->len < len ? -1 : 1;
	if ((c = memcmp(e->sql, st->sql, len)) != 0)
		return c;
	return memcmp(e->types, st->types,
		      (size_t)st->nparams * sizeof(*st->types));
}

/* The index of st's statement in db's cache, or -1 and *at where it
 * would go. */
static int cache_find(const sqldb *db, const sqldb_stmt *st, int *at)
{
	size_t len = strlen(st->sql);
	int lo = 0, hi = db->ncached, mid, c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = cache_cmp(db->cache[mid], st, len)) == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return -1;
}

static void prepared_free(struct pg_prepared *e)
{
	if (!e)
		return;
	free(e->sql);
	free(e->types);
	free(e);
}

/* A new entry for st under a new name; NULL when out of memory (st then
 * runs unnamed). */
static struct pg_prepared *prepared_new(sqldb *db, const sqldb_stmt *st)
{
	size_t n = (size_t)st->nparams;
	struct pg_prepared *e = calloc(1, sizeof(*e));

	if (!e || !(e->sql = strdup(st->sql)) ||
	    !(e->types = calloc(n ? n : 1, sizeof(*e->types)))) {
		prepared_free(e);
		return NULL;
	}
	e->len = strlen(e->sql);
	e->nparams = st->nparams;
	memcpy(e->types, st->types, n * sizeof(*e->types));
	snprintf(e->name, sizeof(e->name), "svc_%llu", ++db->prepared);
	return e;
}

/* Forget every statement: the session that held them is gone (PQreset)
 * or closing. */
static void cache_clear(sqldb *db)
{
	int i;

	for (i = 0; i < db->ncached; i++)
		prepared_free(db->cache[i]);
	db->ncached = 0;
}

/*
 * How st runs on db: *hit, the statement prepared for it already; or
 * *fresh, a new one to prepare now (to add at *at once prepared); or
 * neither: unnamed, when its text is too big for the cache (a batch of
 * rows), the cache is full, or memory is short.
 */
static void cache_lookup(const struct pg_prepared **hit,
			 struct pg_prepared **fresh, int *at, sqldb *db,
			 const sqldb_stmt *st)
{
	int i;

	*hit = NULL;
	*fresh = NULL;
	if (st->nparams > SVC_PG_CACHE_PARAMS ||
	    strlen(st->sql) > SVC_PG_CACHE_SQL)
		return;
	if (!db->cache &&
	    !(db->cache = calloc(SVC_PG_CACHE_MAX, sizeof(*db->cache))))
		return;
	if ((i = cache_find(db, st, at)) >= 0)
		*hit = db->cache[i];
	else if (db->ncached < SVC_PG_CACHE_MAX)
		*fresh = prepared_new(db, st);
}

/* Add fresh, prepared on the session, at index at (cache_lookup's). */
static void cache_add(sqldb *db, struct pg_prepared *fresh, int at)
{
	memmove(db->cache + at + 1, db->cache + at,
		(size_t)(db->ncached - at) * sizeof(*db->cache));
	db->cache[at] = fresh;
	db->ncached++;
}

/* ---- running SQL ------------------------------------------------------- */

/* Run SQL without parameters or rows (several statements allowed). */
static int exec(sqldb *db, const char *sql, const char *doing)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(res);
	int rc = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = pg_fail(db, res, doing);
	PQclear(res);
	return rc;
}

/* One integer from a query without parameters. */
static int query_int(long long *out, sqldb *db, const char *sql,
		     const char *doing)
{
	PGresult *res = PQexec(db->conn, sql);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(db, res, doing);
	else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		rc = error_set(SVC_ERROR, "cannot %s in '%s': no value", doing,
			       db->where);
	else
		*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

/*
 * The session's settings, on every new connection (a reconnection loses
 * them): notices off, UTC, and the time-outs the session has none of.
 */
static int configure(sqldb *db)
{
	int rc = exec(db, "SET client_min_messages = warning; "
			  "SET TIME ZONE 'UTC'; "
			  "SELECT set_config('statement_timeout', '"
			  SVC_PG_STATEMENT_TIMEOUT "', false) "
			  "WHERE current_setting('statement_timeout') = '0'; "
			  "SELECT set_config('lock_timeout', '"
			  SVC_PG_LOCK_TIMEOUT "', false) "
			  "WHERE current_setting('lock_timeout') = '0'",
		      "configure the session");

	db->configured = rc == 0;
	return rc;
}

/* Seconds of CLOCK_MONOTONIC. */
static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Outside a transaction: a lost connection is made again (not sooner than
 * the hold-off after a failed attempt), and configured; so is one that
 * refused a write as read-only, once the hold-off after the refusal ends
 * (until then it still serves reads).
 */
static int reconnect(sqldb *db, const char *doing)
{
	int rc;

	if (PQstatus(db->conn) == CONNECTION_OK && db->configured &&
	    !(db->read_only && mono_now() >= db->holdoff))
		return 0;
	db->in_tx = db->write_tx = 0;
	if (PQstatus(db->conn) != CONNECTION_OK || db->read_only) {
		db->read_only = 0;
		if (db->holdoff && mono_now() < db->holdoff)
			return error_set(SVC_EUNAVAIL,
					 "cannot %s: database '%s' cannot be reached (the last attempt failed less than %d s ago)",
					 doing, db->where, SVC_PG_HOLDOFF);
		/* a new session: the old one's prepared statements are gone
		 * with it, whether or not this attempt connects */
		cache_clear(db);
		PQreset(db->conn);
		if (PQstatus(db->conn) != CONNECTION_OK) {
			db->holdoff = mono_now() + SVC_PG_HOLDOFF;
			return pg_fail(db, NULL, doing);
		}
		db->configured = 0;
	}
	if ((rc = configure(db)) != 0)
		return rc;
	db->holdoff = 0;
	return 0;
}

/* ---- the schema -------------------------------------------------------- */

/*
 * migrations[i] takes a database from version i to i + 1; version 10 is
 * one baseline, as SQLite's schema stands at its version 10.  Append new
 * steps; never edit a released one.
 */
static const struct migration {
	int version;      /**< the version it makes */
	const char *sql;  /**< the step */
} migrations[] = {
	{ 10,
	  "CREATE COLLATION IF NOT EXISTS nocase (provider = icu,"
	  "  locale = 'und-u-ks-level2', deterministic = false);"
	  "CREATE TABLE meta ("
	  "  key TEXT PRIMARY KEY,"
	  "  value TEXT NOT NULL"
	  ");"
	  "CREATE TABLE projects ("
	  "  id TEXT PRIMARY KEY,"
	  "  name TEXT NOT NULL UNIQUE COLLATE nocase,"
	  "  description TEXT NOT NULL DEFAULT '',"
	  "  created_by TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL"
	  ");"
	  "CREATE TABLE connections ("
	  "  id TEXT PRIMARY KEY,"
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  name TEXT NOT NULL COLLATE nocase,"
	  "  type TEXT NOT NULL,"
	  "  scheme TEXT,"
	  "  url TEXT,"
	  "  description TEXT,"
	  "  created_by TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL,"
	  "  updated_by TEXT NOT NULL,"
	  "  updated_at TEXT NOT NULL,"
	  "  all_pipelines BIGINT NOT NULL DEFAULT 0,"
	  "  inherit_roles BIGINT NOT NULL DEFAULT 1,"
	  "  UNIQUE (project_id, name)"
	  ");"
	  "CREATE TABLE fields ("
	  "  rowid BIGINT GENERATED ALWAYS AS IDENTITY,"
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  key TEXT NOT NULL COLLATE nocase,"
	  "  kind BIGINT NOT NULL,"
	  "  secret BIGINT NOT NULL,"
	  "  value TEXT,"
	  "  sealed BYTEA,"
	  "  key_id TEXT,"
	  "  PRIMARY KEY (conn_id, key),"
	  "  CHECK ((secret = 0 AND value IS NOT NULL AND sealed IS NULL) OR"
	  "         (secret = 1 AND value IS NULL AND sealed IS NOT NULL"
	  "          AND key_id IS NOT NULL))"
	  ");"
	  "CREATE TABLE audit ("
	  "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  at TEXT NOT NULL,"
	  "  actor TEXT NOT NULL,"
	  "  action TEXT NOT NULL,"
	  "  conn_id TEXT NOT NULL DEFAULT '',"
	  "  conn_name TEXT NOT NULL DEFAULT '',"
	  "  detail TEXT NOT NULL DEFAULT '{}'"
	  ");"
	  "CREATE TABLE role_assignments ("
	  "  conn_id TEXT NOT NULL DEFAULT '',"
	  "  project_id TEXT NOT NULL DEFAULT '',"
	  "  principal TEXT NOT NULL,"
	  "  role BIGINT NOT NULL CHECK (role BETWEEN 1 AND 4),"
	  "  assigned_by TEXT NOT NULL,"
	  "  assigned_at TEXT NOT NULL,"
	  "  PRIMARY KEY (conn_id, project_id, principal)"
	  ");"
	  "CREATE INDEX role_assignments_principal"
	  "  ON role_assignments (principal);"
	  "CREATE TABLE principal_groups ("
	  "  name TEXT PRIMARY KEY,"
	  "  created_by TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL"
	  ");"
	  "CREATE TABLE group_members ("
	  "  group_name TEXT NOT NULL"
	  "    REFERENCES principal_groups(name) ON DELETE CASCADE,"
	  "  member TEXT NOT NULL,"
	  "  added_by TEXT NOT NULL,"
	  "  added_at TEXT NOT NULL,"
	  "  PRIMARY KEY (group_name, member)"
	  ");"
	  "CREATE INDEX group_members_member ON group_members (member);"
	  "CREATE TABLE pipeline_permissions ("
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  pipeline TEXT NOT NULL COLLATE nocase,"
	  "  added_by TEXT NOT NULL,"
	  "  added_at TEXT NOT NULL,"
	  "  PRIMARY KEY (conn_id, project_id, pipeline)"
	  ");"
	  "CREATE TABLE permission_requests ("
	  "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  id TEXT NOT NULL UNIQUE,"
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  pipeline TEXT NOT NULL COLLATE nocase,"
	  "  run_id TEXT NOT NULL,"
	  "  requested_by TEXT NOT NULL,"
	  "  at TEXT NOT NULL,"
	  "  status TEXT NOT NULL CHECK (status IN ('pending', 'permitted')),"
	  "  decided_by TEXT,"
	  "  decided_at TEXT,"
	  "  project_id TEXT NOT NULL DEFAULT ''"
	  ");"
	  "CREATE UNIQUE INDEX permission_requests_pending"
	  "  ON permission_requests (conn_id, pipeline) WHERE status = 'pending';"
	  "CREATE TABLE checks ("
	  "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  id TEXT NOT NULL UNIQUE,"
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  kind TEXT NOT NULL,"
	  "  config TEXT NOT NULL,"
	  "  enabled BIGINT NOT NULL DEFAULT 1,"
	  "  created_by TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL"
	  ");"
	  "CREATE INDEX checks_conn ON checks (conn_id, seq);"
	  "CREATE TABLE check_runs ("
	  "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  id TEXT NOT NULL UNIQUE,"
	  "  check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,"
	  "  pipeline TEXT NOT NULL COLLATE nocase,"
	  "  run_id TEXT NOT NULL,"
	  "  stage TEXT NOT NULL,"
	  "  requested_by TEXT,"
	  "  status TEXT NOT NULL,"
	  "  state TEXT NOT NULL DEFAULT '{}',"
	  "  message TEXT,"
	  "  started_at TEXT NOT NULL,"
	  "  updated_at TEXT NOT NULL,"
	  "  version BIGINT NOT NULL DEFAULT 1,"
	  "  UNIQUE (check_id, pipeline, run_id, stage)"
	  ");"
	  "CREATE INDEX check_runs_status ON check_runs (status, seq);"
	  "CREATE TABLE approvals ("
	  "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  check_run_id TEXT NOT NULL"
	  "    REFERENCES check_runs(id) ON DELETE CASCADE,"
	  "  actor TEXT NOT NULL,"
	  "  as_approver TEXT NOT NULL,"
	  "  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),"
	  "  comment TEXT,"
	  "  defer_until TEXT,"
	  "  at TEXT NOT NULL"
	  ");"
	  "CREATE INDEX approvals_run ON approvals (check_run_id, seq);"
	  "CREATE TABLE lock_holders ("
	  "  conn_id TEXT PRIMARY KEY"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  holder TEXT NOT NULL,"
	  "  lease_expires BIGINT NOT NULL,"
	  "  acquired_at TEXT NOT NULL"
	  ");"
	  "CREATE INDEX lock_holders_holder ON lock_holders (holder);"
	  "CREATE TABLE lock_queue ("
	  "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  holder TEXT NOT NULL,"
	  "  queued_at TEXT NOT NULL,"
	  "  status TEXT NOT NULL CHECK (status IN ('waiting', 'canceled')),"
	  "  UNIQUE (conn_id, holder)"
	  ");"
	  "CREATE INDEX lock_queue_holder ON lock_queue (holder);"
	  "CREATE TABLE usage_history ("
	  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  conn_id TEXT NOT NULL,"
	  "  conn_name TEXT NOT NULL,"
	  "  pipeline TEXT NOT NULL COLLATE nocase,"
	  "  run_id TEXT NOT NULL,"
	  "  stage TEXT,"
	  "  job TEXT,"
	  "  requested_by TEXT,"
	  "  decision TEXT NOT NULL,"
	  "  message TEXT,"
	  "  at TEXT NOT NULL,"
	  "  result TEXT,"
	  "  finished_at TEXT"
	  ");"
	  "CREATE INDEX usage_history_conn ON usage_history (conn_id, id);"
	  "CREATE INDEX usage_history_run ON usage_history (run_id, pipeline);"
	  "CREATE TABLE git_credentials ("
	  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  "  protocol TEXT NOT NULL,"
	  "  host TEXT NOT NULL,"
	  "  path TEXT NOT NULL DEFAULT '',"
	  "  username TEXT NOT NULL,"
	  "  sealed_password BYTEA NOT NULL,"
	  "  key_id TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL,"
	  "  updated_at TEXT NOT NULL,"
	  "  UNIQUE (protocol, host, path, username)"
	  ");"
	  "CREATE TABLE cert_expiry ("
	  "  conn_id TEXT PRIMARY KEY"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  field TEXT,"
	  "  not_after BIGINT,"
	  "  checked_at TEXT NOT NULL,"
	  "  CHECK ((field IS NULL) = (not_after IS NULL))"
	  ");"
	  "CREATE TABLE conn_macs ("
	  "  conn_id TEXT PRIMARY KEY"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  version BIGINT NOT NULL,"
	  "  mac BYTEA NOT NULL"
	  ");"
	  "CREATE TABLE conn_manifest ("
	  "  conn_id TEXT PRIMARY KEY,"
	  "  version BIGINT NOT NULL"
	  ");"
	  "INSERT INTO meta (key, value) VALUES ('rows_unsealed', '1');"
	  "CREATE TABLE oidc_keys ("
	  "  rowid BIGINT GENERATED ALWAYS AS IDENTITY,"
	  "  kid TEXT PRIMARY KEY,"
	  "  alg TEXT NOT NULL,"
	  "  sealed_key BYTEA NOT NULL,"
	  "  key_id TEXT NOT NULL,"
	  "  created_at BIGINT NOT NULL,"
	  "  retired_at BIGINT,"
	  "  signed_until BIGINT NOT NULL DEFAULT 0,"
	  "  drop_at BIGINT,"
	  "  CHECK ((retired_at IS NULL) = (drop_at IS NULL))"
	  ");"
	  "CREATE UNIQUE INDEX oidc_keys_current"
	  "  ON oidc_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;"
	  "CREATE TABLE access_tokens ("
	  "  id TEXT PRIMARY KEY,"
	  "  hash BYTEA NOT NULL,"
	  "  owner TEXT NOT NULL,"
	  "  name TEXT NOT NULL,"
	  "  scopes TEXT NOT NULL,"
	  "  created BIGINT NOT NULL,"
	  "  expires BIGINT NOT NULL,"
	  "  last_used BIGINT NOT NULL DEFAULT 0,"
	  "  revoked BIGINT NOT NULL DEFAULT 0"
	  ");"
	  "CREATE INDEX access_tokens_owner ON access_tokens (owner);"
	  "CREATE TABLE pipeline_defs ("
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  name TEXT NOT NULL COLLATE nocase,"
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  url TEXT NOT NULL,"
	  "  path TEXT NOT NULL,"
	  "  branch TEXT,"
	  "  created_by TEXT NOT NULL,"
	  "  created BIGINT NOT NULL,"
	  "  PRIMARY KEY (project_id, name)"
	  ");"
	  "CREATE TABLE agent_pools ("
	  "  name TEXT PRIMARY KEY COLLATE nocase,"
	  "  trusted BIGINT NOT NULL DEFAULT 0,"
	  "  created_by TEXT NOT NULL,"
	  "  created BIGINT NOT NULL"
	  ");"
	  "CREATE TABLE agents ("
	  "  name TEXT PRIMARY KEY COLLATE nocase,"
	  "  pool TEXT NOT NULL COLLATE nocase REFERENCES agent_pools (name),"
	  "  token_id TEXT NOT NULL,"
	  "  created_by TEXT NOT NULL,"
	  "  created BIGINT NOT NULL,"
	  "  revoked BIGINT NOT NULL DEFAULT 0"
	  ");"
	  "CREATE TABLE agent_jobs ("
	  "  id TEXT PRIMARY KEY,"
	  "  agent TEXT NOT NULL,"
	  "  pipeline TEXT NOT NULL,"
	  "  run_id TEXT NOT NULL,"
	  "  stage TEXT,"
	  "  job TEXT NOT NULL,"
	  "  holder TEXT NOT NULL,"
	  "  locks BIGINT NOT NULL,"
	  "  conns TEXT NOT NULL,"
	  "  token_id TEXT NOT NULL,"
	  "  source TEXT NOT NULL,"
	  "  state TEXT NOT NULL,"
	  "  result TEXT,"
	  "  lease_expires BIGINT NOT NULL,"
	  "  started BIGINT NOT NULL,"
	  "  ended BIGINT NOT NULL DEFAULT 0,"
	  "  project_id TEXT NOT NULL DEFAULT ''"
	  ");"
	  "CREATE INDEX agent_jobs_running"
	  "  ON agent_jobs (lease_expires) WHERE state = 'running';"
	  "INSERT INTO projects (id, name, description, created_by, created_at)"
	  "  VALUES (gen_random_uuid()::text, 'default', 'The default project',"
	  "    'svcconn', to_char(now() AT TIME ZONE 'UTC',"
	  "    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'));"
	  "CREATE TABLE conn_shares ("
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  name TEXT NOT NULL COLLATE nocase,"
	  "  description TEXT NOT NULL DEFAULT '',"
	  "  shared_by TEXT NOT NULL,"
	  "  shared_at TEXT NOT NULL,"
	  "  PRIMARY KEY (conn_id, project_id),"
	  "  UNIQUE (project_id, name)"
	  ");"
	  "CREATE TABLE svcconn_version ("
	  "  one BIGINT PRIMARY KEY CHECK (one = 1),"
	  "  commits BIGINT NOT NULL"
	  ");"
	  "INSERT INTO svcconn_version (one, commits) VALUES (1, 0);" },
	{ 11,
	  "CREATE TABLE user_passwords ("
	  "  name TEXT PRIMARY KEY,"
	  "  phc TEXT NOT NULL,"
	  "  changed BIGINT NOT NULL"
	  ");" },
	/* every transaction that changes a table of the store counts once
	 * in svcconn_version, whoever made it (a database administrator's
	 * UPDATE too), so that data_version moves as SQLite's does for any
	 * other connection's commit; the commit of our own write
	 * transactions counts them when no table changed */
	{ 12,
	  "ALTER TABLE svcconn_version ADD COLUMN last_xid xid8;"
	  "CREATE FUNCTION svcconn_count_write() RETURNS trigger"
	  "  LANGUAGE plpgsql AS $f$ BEGIN"
	  "    UPDATE svcconn_version SET commits = commits + 1,"
	  "      last_xid = pg_current_xact_id()"
	  "      WHERE one = 1 AND last_xid IS DISTINCT FROM pg_current_xact_id();"
	  "    RETURN NULL;"
	  "  END $f$;"
	  "DO $d$ DECLARE t text; BEGIN"
	  "  FOR t IN SELECT tablename FROM pg_catalog.pg_tables"
	  "    WHERE schemaname = current_schema()"
	  "    AND tablename NOT IN ('svcconn_version', 'svcconn_schema') LOOP"
	  "    EXECUTE format('CREATE TRIGGER svcconn_count_write AFTER INSERT"
	  "      OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT"
	  "      EXECUTE FUNCTION svcconn_count_write()', t);"
	  "  END LOOP;"
	  "END $d$;" },
	/* the console's sessions, as SQLite's 12; no svcconn_count_write
	 * trigger: nothing caches them, and a session's last request, a
	 * write, must not make every server reload its connections */
	{ 13,
	  "CREATE TABLE console_sessions ("
	  "  id_hash TEXT PRIMARY KEY,"
	  "  principal TEXT NOT NULL,"
	  "  scopes TEXT,"
	  "  token_id TEXT,"
	  "  created BIGINT NOT NULL,"
	  "  last_seen BIGINT NOT NULL,"
	  "  expires BIGINT NOT NULL"
	  ");"
	  "CREATE INDEX console_sessions_principal"
	  "  ON console_sessions (principal);" },
};

#define PG_SCHEMA_VERSION 13

/* Every table the schema has, for remove(). */
static const char *const pg_tables =
	"DROP TABLE IF EXISTS console_sessions, user_passwords, conn_shares, agent_jobs, agents, agent_pools,"
	" pipeline_defs, access_tokens, oidc_keys, conn_manifest, conn_macs,"
	" cert_expiry, git_credentials, usage_history, lock_queue,"
	" lock_holders, approvals, check_runs, checks, permission_requests,"
	" pipeline_permissions, group_members, principal_groups,"
	" role_assignments, audit, fields, connections, projects, meta,"
	" svcconn_version, svcconn_schema CASCADE;"
	"DROP FUNCTION IF EXISTS svcconn_count_write()";

/* The schema's version: 0 when the database holds no store. */
static int schema_version(long long *out, sqldb *db)
{
	long long have = 0;
	int rc;

	if ((rc = query_int(&have, db,
			    "SELECT count(*) FROM pg_catalog.pg_tables "
			    "WHERE tablename = 'svcconn_schema' "
			    "AND schemaname = current_schema()",
			    "read the schema version")) != 0)
		return rc;
	if (!have) {
		*out = 0;
		return 0;
	}
	return query_int(out, db, "SELECT max(version) FROM svcconn_schema",
			 "read the schema version");
}

/*
 * Bring the schema to PG_SCHEMA_VERSION in one transaction under the
 * write lock; create: the database must hold no store yet.
 */
static int migrate(sqldb *db, int create)
{
	char sql[128];
	long long version = 0;
	size_t i;
	int rc;

	if ((rc = exec(db, "BEGIN", "start the schema migration")) != 0)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)",
		 SVC_PG_LOCK);
	if ((rc = exec(db, sql, "lock the store")) != 0 ||
	    (rc = schema_version(&version, db)) != 0)
		goto fail;
	if (create && version > 0) {
		rc = error_set(SVC_EEXISTS,
			       "a store database exists already at '%s'",
			       db->where);
		goto fail;
	}
	if (!create && version == 0) {
		rc = error_set(SVC_ENOTFOUND,
			       "no store at '%s' (create one with 'svcconn init --database')",
			       db->where);
		goto fail;
	}
	if (version > PG_SCHEMA_VERSION) {
		rc = error_set(SVC_ERROR,
			       "store '%s' has schema version %lld, newer than this svcconn knows (%d): upgrade svcconn",
			       db->where, version, PG_SCHEMA_VERSION);
		goto fail;
	}
	if (version == PG_SCHEMA_VERSION)
		return exec(db, "COMMIT", "end the schema check");
	if (version == 0 &&
	    (rc = exec(db, "CREATE TABLE svcconn_schema ("
			   "  version BIGINT PRIMARY KEY,"
			   "  applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
		       "migrate the schema")) != 0)
		goto fail;
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		if (migrations[i].version <= version)
			continue;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO svcconn_schema (version) VALUES (%d)",
			 migrations[i].version);
		if ((rc = exec(db, migrations[i].sql, "migrate the schema")) ||
		    (rc = exec(db, sql, "set the schema version")))
			goto fail;
	}
	return exec(db, "COMMIT", "commit the schema migration");
fail:
	PQclear(PQexec(db->conn, "ROLLBACK"));
	return rc;
}

/* ---- opening ----------------------------------------------------------- */

static void pg_close(sqldb *db)
{
	if (!db)
		return;
	PQfinish(db->conn);
	cache_clear(db);
	free(db->cache);
	free(db->where);
	free(db);
}

/* Connect to location; *out holds the connection, or NULL and an error. */
static int connect_to(sqldb **out, const char *location)
{
	static const char *const extra_kw[] = {
		"connect_timeout", "application_name", "keepalives",
		"keepalives_idle", "keepalives_interval", "keepalives_count"
	};
	static const char *const extra_val[] = {
		SVC_PG_CONNECT_TIMEOUT, "svcconn", "1",
		SVC_PG_KEEPALIVES_IDLE, SVC_PG_KEEPALIVES_INTERVAL,
		SVC_PG_KEEPALIVES_COUNT
	};
	const size_t nextra = sizeof(extra_kw) / sizeof(extra_kw[0]);
	const char **kw = NULL, **val = NULL;
	PQconninfoOption *opts = NULL, *o;
	size_t n = 0, i, j;
	sqldb *db;
	int rc;

	if (!(db = calloc(1, sizeof(*db))))
		return error_oom();
	if ((rc = conninfo_parse(&opts, location)) != 0)
		goto fail;
	for (o = opts; o->keyword; o++)
		n++;
	if (!(db->where = redact(opts)) ||
	    !(kw = calloc(n + nextra + 1, sizeof(*kw))) ||
	    !(val = calloc(n + nextra + 1, sizeof(*val)))) {
		rc = error_oom();
		goto fail;
	}
	for (o = opts, j = 0; o->keyword; o++)
		if (o->val) {
			kw[j] = o->keyword;
			val[j++] = o->val;
		}
	for (i = 0; i < nextra; i++) {
		for (o = opts; o->keyword; o++)
			if (o->val && !strcmp(o->keyword, extra_kw[i]))
				break;
		if (!o->keyword) {
			kw[j] = extra_kw[i];
			val[j++] = extra_val[i];
		}
	}
	db->conn = PQconnectdbParams(kw, val, 0);
	if (!db->conn) {
		rc = error_oom();
		goto fail;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		rc = pg_fail(db, NULL, "connect");
		goto fail;
	}
	*out = db;
	rc = 0;
	goto done;
fail:
	pg_close(db);
done:
	free(kw);
	free(val);
	conninfo_free(opts);
	return rc;
}

/* libpq's notices (NOTICE: relation exists, ...) are dropped. */
static void no_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static int pg_open(sqldb **out, const char *location, int create)
{
	sqldb *db;
	int rc;

	if ((rc = connect_to(&db, location)) != 0)
		return rc;
	PQsetNoticeReceiver(db->conn, no_notice, NULL);
	if ((rc = configure(db)) || (rc = migrate(db, create)) != 0) {
		pg_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

static int pg_remove(const char *location)
{
	sqldb *db;
	int rc;

	if ((rc = connect_to(&db, location)) != 0)
		return rc;
	PQsetNoticeReceiver(db->conn, no_notice, NULL);
	rc = exec(db, pg_tables, "remove the store's tables");
	pg_close(db);
	return rc;
}

/* ---- transactions ------------------------------------------------------ */

static int pg_begin(sqldb *db, int write)
{
	char sql[128];
	int rc, tries, again;

	if ((rc = reconnect(db, "start a transaction")) != 0)
		return rc;
	if (write)
		snprintf(sql, sizeof(sql),
			 "BEGIN; SELECT pg_advisory_xact_lock(%lld)",
			 SVC_PG_LOCK);
	else
		snprintf(sql, sizeof(sql),
			 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	for (tries = 0;; tries++) {
		PGresult *res = PQexec(db->conn, sql);
		ExecStatusType s = PQresultStatus(res);

		rc = 0;
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
			rc = pg_fail(db, res, "start a transaction");
		again = rc && tries < SVC_PG_RETRIES &&
			(PQstatus(db->conn) != CONNECTION_OK ? tries == 0
							     : retryable(res));
		PQclear(res);
		if (!rc || !again)
			break;
		/* nothing was done yet: the server went away since the
		 * last statement (once more, on a new connection), or the
		 * lock's wait was a deadlock's victim */
		if (PQstatus(db->conn) == CONNECTION_OK)
			PQclear(PQexec(db->conn, "ROLLBACK"));
		else if ((rc = reconnect(db, "start a transaction")) != 0)
			break;
	}
	if (rc) {
		if (PQstatus(db->conn) == CONNECTION_OK)
			PQclear(PQexec(db->conn, "ROLLBACK"));
		return rc;
	}
	db->in_tx = 1;
	db->write_tx = write;
	return 0;
}

static int pg_commit(sqldb *db)
{
	int rc, write = db->write_tx;

	/* a write counts its commit in the same round trip (the COMMIT is
	 * not run when the count fails: the transaction is rolled back), and
	 * a write marked so notifies the watchers with it: the notification
	 * is delivered at COMMIT, to every listener.
	 * A connection lost at COMMIT leaves its outcome unknown: the
	 * error is SVC_EUNAVAIL, and data_version (commits less our own)
	 * moves if it did commit, so nothing cached survives it */
#define PG_COUNT_COMMIT \
	"UPDATE svcconn_version SET commits = commits + 1," \
	" last_xid = pg_current_xact_id() WHERE one = 1" \
	" AND last_xid IS DISTINCT FROM pg_current_xact_id();"
	rc = exec(db, !write ? "COMMIT"
		      : db->notify ? PG_COUNT_COMMIT
				     " SELECT pg_notify('" SVC_PG_CHANNEL "', '');"
				     " COMMIT"
		      : PG_COUNT_COMMIT " COMMIT", "commit");
	db->notify = 0;
#undef PG_COUNT_COMMIT
	if (rc && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->in_tx = db->write_tx = 0;
	if (rc == 0 && write)
		db->own_writes++;
	return rc;
}

static void pg_rollback(sqldb *db)
{
	db->notify = 0;
	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
	    PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->in_tx = db->write_tx = 0;
}

static int pg_prepare(sqldb_stmt **out, sqldb *db, const char *sql,
		      const char *doing);
static int pg_step(sqldb_stmt *st);
static long long pg_col_int(sqldb_stmt *st, int i);
static void pg_finalize(sqldb_stmt *st);

static int pg_data_version(long long *out, sqldb *db)
{
	const char *doing = "read the data version";
	sqldb_stmt *st;
	long long n = 0;
	int rc;

	/* run as the store's statements are (kept prepared; outside a
	 * transaction, on a connection made again when lost); inside our
	 * write transaction, less its own count once made (the commit adds
	 * it to own_writes) */
	if ((rc = pg_prepare(&st, db, "SELECT commits - CASE WHEN last_xid = "
					"pg_current_xact_id_if_assigned() "
					"THEN 1 ELSE 0 END FROM svcconn_version",
			     doing)) != 0)
		return rc;
	if ((rc = pg_step(st)) == 1) {
		n = pg_col_int(st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = error_set(SVC_ERROR, "cannot %s in '%s': no value", doing,
			       db->where);
	}
	pg_finalize(st);
	if (rc)
		return rc;
	*out = n - db->own_writes;
	return 0;
}

/* ---- watching ---------------------------------------------------------- */

/*
 * notify: the write transaction's commit sends NOTIFY on SVC_PG_CHANNEL
 * (pg_commit), which PostgreSQL delivers when, and only if, it commits,
 * to every session listening: each server's watcher.  A watcher is a
 * connection of its own doing nothing but LISTEN; a lost one is made
 * again at the next wait, with the same hold-off as the store's
 * connection, and reports a change then (notifications sent meanwhile
 * are lost).
 */
static void pg_notify(sqldb *db)
{
	if (db->write_tx)
		db->notify = 1;
}

static int pg_watch_open(sqldb **out, const char *location)
{
	sqldb *db;
	int rc;

	if ((rc = connect_to(&db, location)) != 0)
		return rc;
	PQsetNoticeReceiver(db->conn, no_notice, NULL);
	if ((rc = configure(db)) != 0 ||
	    (rc = exec(db, "LISTEN " SVC_PG_CHANNEL,
		       "listen for changes")) != 0) {
		pg_close(db);
		return rc;
	}
	db->listening = 1;
	*out = db;
	return 0;
}

static int pg_watch_wait(sqldb *db, int wake_fd, long timeout_ms)
{
	PGnotify *n;
	time_t now;
	int r, got;

	if (PQstatus(db->conn) != CONNECTION_OK || !db->listening) {
		now = mono_now();
		if (db->holdoff && now < db->holdoff) {
			r = sqldb_wait_fds(-1, wake_fd,
					   (long)(db->holdoff - now) * 1000 <
							   timeout_ms
						   ? (long)(db->holdoff - now) * 1000
						   : timeout_ms);
			return r < 0 ? r : (r & SQLDB_WAIT_WAKE) != 0;
		}
		db->listening = 0;
		if ((r = reconnect(db, "listen for changes")) != 0)
			return r;
		if ((r = exec(db, "LISTEN " SVC_PG_CHANNEL,
			      "listen for changes")) != 0) {
			db->holdoff = mono_now() + SVC_PG_HOLDOFF;
			return r;
		}
		db->listening = 1;
		return 1;
	}
	if ((r = sqldb_wait_fds(PQsocket(db->conn), wake_fd, timeout_ms)) < 0)
		return r;
	got = (r & SQLDB_WAIT_WAKE) != 0;
	if (r & SQLDB_WAIT_FD) {
		if (!PQconsumeInput(db->conn)) {
			db->listening = 0;
			return pg_fail(db, NULL, "listen for changes");
		}
		while ((n = PQnotifies(db->conn)) != NULL) {
			PQfreemem(n);
			got = 1;
		}
	}
	return got;
}

/* ---- statements -------------------------------------------------------- */

/*
 * sql with ?N written $N, outside '...' strings, "..." identifiers and
 * comments; *nparams the largest N.
 */
static int rewrite(char **out, int *nparams, unsigned char **used,
		   const char *sql)
{
	svc_buf b;
	const char *p = sql;
	long n;
	char *end;
	int max = 0, rc = 0;

	buf_init(&b, PG_MAX_SQL, 0);
	while (*p && rc == 0) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			const char *e = p + 1;

			while (*e && *e != q)
				e++;
			if (*e)
				e++;
			rc = buf_put(&b, p, (size_t)(e - p));
			p = e;
		} else if (p[0] == '-' && p[1] == '-') {
			size_t len = strcspn(p, "\n");

			rc = buf_put(&b, p, len);
			p += len;
		} else if (*p == '?' && p[1] >= '1' && p[1] <= '9') {
			n = strtol(p + 1, &end, 10);
			if (n > PG_MAX_PARAMS)
				rc = error_set(SVC_EINVALID,
					       "too many parameters in a statement");
			else
				rc = buf_printf(&b, "$%ld", n);
			if (n > max)
				max = (int)n;
			p = end;
		} else {
			rc = buf_putc(&b, *p);
			p++;
		}
	}
	if (rc == 0 && !(*out = buf_detach(&b, NULL)))
		rc = error_oom();
	buf_clear(&b);
	if (rc == 0 && !(*used = calloc((size_t)max + 1, 1)))
		rc = error_oom();
	/* which numbers occur: a second pass over the rewritten text */
	for (p = rc == 0 ? *out : ""; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;

			while (p[1] && p[1] != q)
				p++;
			if (p[1])
				p++;
		} else if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			n = strtol(p + 1, &end, 10);
			if (n <= max)
				(*used)[n] = 1;
		}
	}
	if (rc == 0)
		*nparams = max;
	return rc;
}

static void pg_finalize(sqldb_stmt *st);

static int pg_prepare(sqldb_stmt **out, sqldb *db, const char *sql,
		      const char *doing)
{
	sqldb_stmt *st;
	int rc, n;

	if (!db->in_tx && (rc = reconnect(db, doing)) != 0)
		return rc;
	if (!(st = calloc(1, sizeof(*st))))
		return error_oom();
	st->db = db;
	st->row = -1;
	if ((rc = rewrite(&st->sql, &st->nparams, &st->used, sql)) != 0)
		goto fail;
	n = st->nparams ? st->nparams : 1;
	if (!(st->doing = strdup(doing ? doing : "run a statement")) ||
	    !(st->values = calloc((size_t)n, sizeof(*st->values))) ||
	    !(st->owned = calloc((size_t)n, sizeof(*st->owned))) ||
	    !(st->owned_len = calloc((size_t)n, sizeof(*st->owned_len))) ||
	    !(st->lengths = calloc((size_t)n, sizeof(*st->lengths))) ||
	    !(st->formats = calloc((size_t)n, sizeof(*st->formats))) ||
	    !(st->types = calloc((size_t)n, sizeof(*st->types)))) {
		rc = error_oom();
		goto fail;
	}
	*out = st;
	return 0;
fail:
	pg_finalize(st);
	return rc;
}

/* Parameter i (from 1) of st, its previous copy wiped: 0 or an error. */
static int param(sqldb_stmt *st, int i)
{
	if (i < 1 || i > st->nparams)
		return error_set(SVC_EINVALID,
				 "cannot %s: no parameter %d in the statement",
				 st->doing, i);
	if (st->owned[i - 1]) {
		svc_wipe(st->owned[i - 1], st->owned_len[i - 1]);
		free(st->owned[i - 1]);
		st->owned[i - 1] = NULL;
	}
	st->values[i - 1] = NULL;
	st->lengths[i - 1] = st->formats[i - 1] = 0;
	st->types[i - 1] = 0;
	return 0;
}

static int pg_bind_text(sqldb_stmt *st, int i, const char *s, size_t len)
{
	char *copy;
	int rc;

	if ((rc = param(st, i)) != 0 || !s)
		return rc;
	if (len > INT_MAX - 1 || memchr(s, '\0', len))
		return error_set(SVC_EINVALID,
				 "cannot %s: parameter %d is not text",
				 st->doing, i);
	if (!(copy = malloc(len + 1)))
		return error_oom();
	memcpy(copy, s, len);
	copy[len] = '\0';
	st->owned[i - 1] = copy;
	st->owned_len[i - 1] = len + 1;
	st->values[i - 1] = copy;
	return 0;
}

static int pg_bind_blob(sqldb_stmt *st, int i, const void *p, size_t len)
{
	int rc;

	if ((rc = param(st, i)) != 0 || !p)
		return rc;
	if (len > INT_MAX)
		return error_set(SVC_EINVALID,
				 "cannot %s: parameter %d is too long",
				 st->doing, i);
	/* the caller keeps p until the statement has run (SQLite's
	 * SQLITE_STATIC, as the other driver) */
	st->values[i - 1] = p;
	st->lengths[i - 1] = (int)len;
	st->formats[i - 1] = 1;
	st->types[i - 1] = PG_BYTEA_OID;
	return 0;
}

static int pg_bind_int(sqldb_stmt *st, int i, long long v)
{
	char num[32];
	int rc;

	if ((rc = param(st, i)) != 0)
		return rc;
	snprintf(num, sizeof(num), "%lld", v);
	if ((rc = pg_bind_text(st, i, num, strlen(num))) == 0)
		st->types[i - 1] = PG_INT8_OID;
	return rc;
}

/* Free col_blob's decodings of the current row. */
static void blobs_clear(sqldb_stmt *st)
{
	int i;

	for (i = 0; st->blobs && i < st->nblobs; i++) {
		PQfreemem(st->blobs[i]);
		st->blobs[i] = NULL;
	}
}

/*
 * 1 when st changes rows inside a transaction: it runs under a savepoint,
 * so that its failure (a duplicate key the operation expects, and answers)
 * leaves the transaction usable, as SQLite's statements do.
 */
static int guarded(const sqldb_stmt *st)
{
	const char *p = st->sql + strspn(st->sql, " \t\n");

	return st->db->in_tx && strncasecmp(p, "SELECT", 6) != 0;
}

/*
 * Send st's statement in pipeline mode: its Parse first when fresh, then
 * its run, by the name of hit or fresh, or unnamed.
 */
static int send_stmt(sqldb_stmt *st, const struct pg_prepared *hit,
		     const struct pg_prepared *fresh)
{
	PGconn *conn = st->db->conn;
	const struct pg_prepared *named = hit ? hit : fresh;

	if (fresh && PQsendPrepare(conn, fresh->name, st->sql, st->nparams,
				   st->types) != 1)
		return 0;
	if (named)
		return PQsendQueryPrepared(conn, named->name, st->nparams,
					   st->values, st->lengths,
					   st->formats, 0) == 1;
	return PQsendQueryParams(conn, st->sql, st->nparams, st->types,
				 st->values, st->lengths, st->formats, 0) == 1;
}

/*
 * Run st in one round trip, in libpq's pipeline mode: its Parse first
 * when fresh, and, guard: between SAVEPOINT and RELEASE (skipped, as all
 * that follows a failure, when it fails).  Returns the statement's
 * result; or the first that failed (a failed Parse's is the error the
 * statement's own run reports); or NULL: the connection's error.  fresh
 * joins the cache at at when its Parse succeeded -- a prepared statement
 * outlives the rollback of its transaction -- and is freed otherwise (a
 * Parse fails in a failed transaction, or is skipped after a failure).
 */
static PGresult *run_pipelined(sqldb_stmt *st, int guard,
			       const struct pg_prepared *hit,
			       struct pg_prepared *fresh, int at)
{
	sqldb *db = st->db;
	PGresult *r, *res = NULL, *fail = NULL;
	int i, parsed = 0, sent;
	/* the results come as sent: [SAVEPOINT] [Parse] the statement
	 * [RELEASE], each followed by NULL; then the sync's */
	int me = guard + (fresh != NULL), n = me + 1 + guard;

	if (PQenterPipelineMode(db->conn) != 1) {
		prepared_free(fresh);
		return NULL;
	}
	sent = (!guard || PQsendQueryParams(db->conn, "SAVEPOINT svc_stmt", 0,
					    NULL, NULL, NULL, NULL, 0) == 1) &&
	       send_stmt(st, hit, fresh) &&
	       (!guard || PQsendQueryParams(db->conn,
					    "RELEASE SAVEPOINT svc_stmt", 0,
					    NULL, NULL, NULL, NULL, 0) == 1) &&
	       PQpipelineSync(db->conn) == 1;
	for (i = 0; sent && i < n; i++) {
		while ((r = PQgetResult(db->conn)) != NULL) {
			ExecStatusType s = PQresultStatus(r);

			if (fresh && i == me - 1 && s == PGRES_COMMAND_OK)
				parsed = 1;
			if (s == PGRES_FATAL_ERROR && !fail)
				fail = r;
			else if (i == me && !res && s != PGRES_FATAL_ERROR &&
				 s != PGRES_PIPELINE_ABORTED)
				res = r;
			else
				PQclear(r);
		}
	}
	if (sent && (r = PQgetResult(db->conn)) != NULL)
		PQclear(r); /* PGRES_PIPELINE_SYNC */
	if (PQexitPipelineMode(db->conn) != 1 && !fail) {
		PQclear(res);
		res = NULL;
	}
	if (parsed)
		cache_add(db, fresh, at);
	else
		prepared_free(fresh);
	if (fail) {
		PQclear(res);
		return fail;
	}
	return res;
}

/*
 * Run st's statement once: its result, or the failed one, or NULL (the
 * connection's error).  One the cache keeps runs by its name, prepared in
 * the same round trip on its first run; guard: under a savepoint, in the
 * same round trip too.
 */
static PGresult *execute(sqldb_stmt *st, int guard)
{
	const struct pg_prepared *hit;
	struct pg_prepared *fresh;
	int at = 0;

	cache_lookup(&hit, &fresh, &at, st->db, st);
	if (guard || fresh)
		return run_pipelined(st, guard, hit, fresh, at);
	if (hit)
		return PQexecPrepared(st->db->conn, hit->name, st->nparams,
				      st->values, st->lengths, st->formats, 0);
	return PQexecParams(st->db->conn, st->sql, st->nparams, st->types,
			    st->values, st->lengths, st->formats, 0);
}

/*
 * Run a guarded statement (SAVEPOINT, it, RELEASE in one round trip), its
 * result into st->res.  When it fails the savepoint is rolled back, so
 * the transaction goes on.
 */
static int run_guarded(sqldb_stmt *st)
{
	sqldb *db = st->db;
	PGresult *res = execute(st, 1);
	ExecStatusType s = PQresultStatus(res);
	int rc;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		st->res = res;
		return 0;
	}
	rc = pg_fail(db, res, st->doing);
	PQclear(res);
	if (PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) == PQTRANS_INERROR)
		PQclear(PQexec(db->conn, "ROLLBACK TO SAVEPOINT svc_stmt; "
					 "RELEASE SAVEPOINT svc_stmt"));
	return rc;
}

/* Run the statement, retried after a conflict outside a transaction. */
static int run(sqldb_stmt *st)
{
	sqldb *db = st->db;
	ExecStatusType s;
	const char *n;
	int tries = 0, rc, sp = guarded(st);

	/* a parameter the SQL does not name still needs a type */
	for (rc = 1; rc <= st->nparams; rc++)
		if (!st->used[rc] && !st->types[rc - 1])
			st->types[rc - 1] = PG_TEXT_OID;
	if (sp) {
		if ((rc = run_guarded(st)) != 0)
			return rc;
		goto done;
	}
	for (;;) {
		st->res = execute(st, 0);
		s = PQresultStatus(st->res);
		if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
			break;
		if (!db->in_tx && PQstatus(db->conn) != CONNECTION_OK &&
		    !tries++) {
			/* the server went away since the last statement:
			 * once more on a new connection */
			PQclear(st->res);
			st->res = NULL;
			if ((rc = reconnect(db, st->doing)) != 0)
				return rc;
			continue;
		}
		if (db->in_tx || !retryable(st->res) ||
		    ++tries > SVC_PG_RETRIES) {
			rc = pg_fail(db, st->res, st->doing);
			PQclear(st->res);
			st->res = NULL;
			return rc;
		}
		PQclear(st->res);
		st->res = NULL;
	}
done:
	n = PQcmdTuples(st->res);
	if (n && *n)
		db->changes = strtoll(n, NULL, 10);
	st->nblobs = PQnfields(st->res);
	if (st->nblobs > 0 &&
	    (!(st->blobs = calloc((size_t)st->nblobs, sizeof(*st->blobs))) ||
	     !(st->blob_len = calloc((size_t)st->nblobs,
				     sizeof(*st->blob_len)))))
		return error_oom();
	return 0;
}

static int pg_step(sqldb_stmt *st)
{
	int rc;

	if (!st->res && (rc = run(st)) != 0)
		return rc;
	blobs_clear(st);
	if (st->row + 1 < PQntuples(st->res)) {
		st->row++;
		return 1;
	}
	st->row = PQntuples(st->res);
	return 0;
}

/* 1 when column i of the current row is there and NULL. */
static int pg_col_null(sqldb_stmt *st, int i)
{
	if (!st->res || st->row < 0 || st->row >= PQntuples(st->res) ||
	    i < 0 || i >= PQnfields(st->res))
		return 1;
	return PQgetisnull(st->res, st->row, i);
}

static const char *pg_col_text(sqldb_stmt *st, int i)
{
	if (pg_col_null(st, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

static const void *pg_col_blob(sqldb_stmt *st, int i, size_t *len)
{
	const char *v = pg_col_text(st, i);

	*len = 0;
	if (!v)
		return NULL;
	if (PQftype(st->res, i) != PG_BYTEA_OID) {
		*len = (size_t)PQgetlength(st->res, st->row, i);
		return v;
	}
	if (!st->blobs[i] &&
	    !(st->blobs[i] = PQunescapeBytea((const unsigned char *)v,
					     &st->blob_len[i]))) {
		error_oom();
		return NULL;
	}
	*len = st->blob_len[i];
	return st->blobs[i];
}

static long long pg_col_int(sqldb_stmt *st, int i)
{
	const char *v = pg_col_text(st, i);

	if (!v)
		return 0;
	if (!strcmp(v, "t"))
		return 1;
	if (!strcmp(v, "f"))
		return 0;
	return strtoll(v, NULL, 10);
}

static long long pg_changes(sqldb *db)
{
	return db->changes;
}

static void pg_finalize(sqldb_stmt *st)
{
	int i;

	if (!st)
		return;
	blobs_clear(st);
	free(st->blobs);
	free(st->blob_len);
	PQclear(st->res);
	for (i = 0; st->owned && i < st->nparams; i++)
		if (st->owned[i]) {
			svc_wipe(st->owned[i], st->owned_len[i]);
			free(st->owned[i]);
		}
	free(st->owned);
	free(st->owned_len);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->used);
	free(st->sql);
	free(st->doing);
	free(st);
}

/* 1 when s is a plain lower-case SQL name (sqldb_tables' names). */
static int plain_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == strlen(s);
}

/*
 * Rows copied with their generated ids (svcconn migrate): the identity's
 * sequence moves past the largest, so the next insert gets a new one.
 */
static int pg_identity_sync(sqldb *db, const char *table, const char *column)
{
	char sql[512];

	if (!plain_name(table) || !plain_name(column))
		return error_set(SVC_EINVALID,
				 "cannot advance the identity of '%s.%s': not a plain name",
				 table, column);
	snprintf(sql, sizeof(sql),
		 "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
		 " coalesce((SELECT max(%s) FROM %s), 0) + 1, false)",
		 table, column, column, table);
	return exec(db, sql, "advance an identity column");
}

const sqldb_driver sqldb_postgresql = {
	.name = "PostgreSQL",
	.open = pg_open,
	.close = pg_close,
	.remove = pg_remove,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.data_version = pg_data_version,
	.prepare = pg_prepare,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_int = pg_bind_int,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_int = pg_col_int,
	.col_null = pg_col_null,
	.changes = pg_changes,
	.finalize = pg_finalize,
	.identity_sync = pg_identity_sync,
	.notify = pg_notify,
	.watch_open = pg_watch_open,
	.watch_wait = pg_watch_wait,
};
