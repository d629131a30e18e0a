/*
 * store_rows.c - the store's rows: store_backend_ops over an SQL driver.
 *
 * The middle of the store's three layers (docs/architecture.md): above,
 * store.c and its siblings keep every rule (sealing, row MACs, audit,
 * validation, decisions); below, a driver (sqldb.h: sqlite.c,
 * postgresql.c) opens one engine's database and runs statements.  Each
 * operation here is one or a few statements written once, in the SQL both
 * engines accept (sqldb.h's common dialect), and only moves rows: it never
 * sees a plaintext secret and never decides policy.  No engine's API is
 * called here; everything goes through the driver held in store_backend.
 *
 * Races between processes are settled by the database, not by reading
 * first: a check run is started with INSERT ... ON CONFLICT DO NOTHING on
 * its unique key and then read back, and updated with a compare-and-set
 * on its version column.  Lists are handed out as arrays of the public
 * structs, built in one bounded buffer (collect()).  Names are looked up in
 * one project at a time (project_use).
 *
 * Queries that order by insertion use the column "rowid" of these tables
 * (SQLite's implicit one; the PostgreSQL schema gives each of them a column
 * of that name, increasing with each insert):
 *   fields     (conn_get, conn_list, secrets_get)
 *   oidc_keys  (oidc_key_list)
 * Other tables order by their own columns (seq, id, name, created).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "svcconn/certs.h"
#include "store/sqldb.h"
#include "store/store_backend.h"
#include "util/buf.h"

struct store_backend {
	const sqldb_driver *drv; /**< the engine's driver */
	sqldb *db;               /**< the open database */
	char project[SVC_ID_LEN + 1]; /**< the project names are looked up
					   in and new rows go to (default
					   "default"'s id; project_use) */
	struct rows_batches *batches; /**< new rows held for batches of many
					   to a statement (batch_begin), or
					   NULL: each written at once */
	int gate_touched;        /**< the open write transaction changed
				      what a waiting job waits on */
	int wake_fd;             /**< an eventfd signalled after such a
				      commit (store_watch.c), or -1 */
	int writing;             /**< the open transaction is a write */
	_Atomic unsigned long write_commits; /**< write transactions
				      committed (read by store_watch.c's
				      thread) */
};

/*
 * The inserts an import's new connections make, as head and tail around
 * their VALUES: written once, for the statement of one row and for a
 * batch of many (rows_batch_begin).
 */
#define CONN_INSERT_HEAD \
	"INSERT INTO connections (id, name, type, scheme, url, description, " \
	"created_by, created_at, updated_by, updated_at, all_pipelines, " \
	"project_id)"
#define FIELD_INSERT_HEAD \
	"INSERT INTO fields (conn_id, key, kind, secret, value, sealed, key_id)"
#define FIELD_INSERT_TAIL \
	"ON CONFLICT (conn_id, key) DO UPDATE SET " \
	"key = excluded.key, kind = excluded.kind, " \
	"secret = excluded.secret, value = excluded.value, " \
	"sealed = excluded.sealed, key_id = excluded.key_id"
#define ROLE_INSERT_HEAD \
	"INSERT INTO role_assignments (conn_id, principal, role, " \
	"assigned_by, assigned_at, project_id)"
#define ROLE_INSERT_TAIL \
	"ON CONFLICT (conn_id, project_id, principal) DO UPDATE SET " \
	"role = excluded.role, assigned_by = excluded.assigned_by, " \
	"assigned_at = excluded.assigned_at"
#define EXPIRY_INSERT_HEAD \
	"INSERT INTO cert_expiry (conn_id, field, not_after, checked_at)"
#define EXPIRY_INSERT_TAIL \
	"ON CONFLICT (conn_id) DO UPDATE SET field = excluded.field, " \
	"not_after = excluded.not_after, checked_at = excluded.checked_at"
#define MAC_INSERT_HEAD "INSERT INTO conn_macs (conn_id, version, mac)"
#define MAC_INSERT_TAIL \
	"ON CONFLICT (conn_id) DO UPDATE SET " \
	"version = excluded.version, mac = excluded.mac"
#define MANIFEST_INSERT_HEAD "INSERT INTO conn_manifest (conn_id, version)"
#define MANIFEST_INSERT_TAIL \
	"ON CONFLICT (conn_id) DO UPDATE SET version = excluded.version"
#define AUDIT_INSERT_HEAD \
	"INSERT INTO audit (at, actor, action, conn_id, conn_name, detail)"

/* The batches, parents before the tables referring to them. */
enum rows_batch_id {
	RB_CONN, RB_FIELD, RB_ROLE, RB_EXPIRY, RB_MAC, RB_MANIFEST, RB_AUDIT,
	RB_COUNT
};

static const struct rows_batch_def {
	const char *head;  /**< INSERT INTO t (columns) */
	size_t ncols;      /**< its columns */
	const char *tail;  /**< after the rows */
	const char *doing; /**< for messages */
} rows_batch_defs[RB_COUNT] = {
	{ CONN_INSERT_HEAD, 12, "", "add connections" },
	{ FIELD_INSERT_HEAD, 7, FIELD_INSERT_TAIL, "write fields" },
	{ ROLE_INSERT_HEAD, 6, ROLE_INSERT_TAIL, "assign roles" },
	{ EXPIRY_INSERT_HEAD, 4, EXPIRY_INSERT_TAIL,
	  "record certificate expiries" },
	{ MAC_INSERT_HEAD, 3, MAC_INSERT_TAIL, "write the MACs of connections" },
	{ MANIFEST_INSERT_HEAD, 2, MANIFEST_INSERT_TAIL,
	  "write the list of versions" },
	{ AUDIT_INSERT_HEAD, 6, "", "write the audit log" },
};

/* New rows held between batch_begin and batch_end. */
struct rows_batches {
	sqldb_batch *b[RB_COUNT]; /**< one per table, in rows_batch_defs */
};

/* ---- statements through the driver ------------------------------------- */

static int prepare(store_backend *be, sqldb_stmt **st, const char *sql,
		   const char *doing)
{
	*st = NULL;
	return be->drv->prepare(st, be->db, sql, doing);
}

/* Step once: 1 for a row, 0 when done, an SVC_E* code on failure. */
static int step(store_backend *be, sqldb_stmt *st)
{
	return be->drv->step(st);
}

static void finalize(store_backend *be, sqldb_stmt *st)
{
	be->drv->finalize(st);
}

/* Bind a string (NULL binds SQL NULL); 0 or an error. */
static int bind_str(store_backend *be, sqldb_stmt *st, int i, const char *s)
{
	return be->drv->bind_text(st, i, s, s ? strlen(s) : 0);
}

/* Bind len bytes of p as a blob (blob) or as text; NULL binds SQL NULL. */
static int bind_bytes(store_backend *be, sqldb_stmt *st, int i,
		      const void *p, size_t len, int blob)
{
	return blob ? be->drv->bind_blob(st, i, p, len)
		    : be->drv->bind_text(st, i, p, len);
}

static int bind_int(store_backend *be, sqldb_stmt *st, int i, long long v)
{
	return be->drv->bind_int(st, i, v);
}

/* Column i as a C string, or NULL for SQL NULL. */
static const char *col_str(store_backend *be, sqldb_stmt *st, int i)
{
	return be->drv->col_text(st, i);
}

/* Column i as bytes (*len set), or NULL for SQL NULL. */
static const void *col_blob(store_backend *be, sqldb_stmt *st, int i,
			    size_t *len)
{
	return be->drv->col_blob(st, i, len);
}

/* Column i as an integer (NULL gives 0). */
static long long col_int(store_backend *be, sqldb_stmt *st, int i)
{
	return be->drv->col_int(st, i);
}

static int col_null(store_backend *be, sqldb_stmt *st, int i)
{
	return be->drv->col_null(st, i);
}

/* One-statement write with bound strings; SVC_ENOTFOUND if no row moved. */
static int changed_or_notfound(store_backend *be, int rc)
{
	if (rc < 0)
		return rc;
	return be->drv->changes(be->db) > 0 ? 0 : SVC_ENOTFOUND;
}

/* ---- batches of new rows (an import) ----------------------------------- */

/* Run every batch's rows, parents first. */
static int batches_flush(store_backend *be)
{
	size_t i;
	int rc = 0;

	for (i = 0; be->batches && i < RB_COUNT && rc == 0; i++)
		rc = sqldb_batch_flush(be->batches->b[i]);
	return rc;
}

static void batches_free(struct rows_batches *bs)
{
	size_t i;

	for (i = 0; bs && i < RB_COUNT; i++)
		sqldb_batch_free(bs->b[i]);
	free(bs);
}

static int rows_batch_begin(store_backend *be)
{
	struct rows_batches *bs;
	size_t i;
	int rc = 0;

	if (be->batches)
		return 0;
	if (!(bs = calloc(1, sizeof(*bs))))
		return error_oom();
	for (i = 0; i < RB_COUNT && rc == 0; i++)
		rc = sqldb_batch_new(&bs->b[i], be->drv, be->db,
				     rows_batch_defs[i].head,
				     rows_batch_defs[i].ncols,
				     rows_batch_defs[i].tail,
				     rows_batch_defs[i].doing);
	if (rc) {
		batches_free(bs);
		return rc;
	}
	be->batches = bs;
	return 0;
}

static int rows_batch_end(store_backend *be, int keep)
{
	int rc = keep ? batches_flush(be) : 0;

	batches_free(be->batches);
	be->batches = NULL;
	return rc;
}

/*
 * The batch of table id for one more row: when that row would fill it,
 * every batch runs first, parents first, so no row is written before the
 * row it refers to.
 */
static sqldb_batch *batch_for(store_backend *be, enum rows_batch_id id,
			      int *rc)
{
	sqldb_batch *b = be->batches->b[id];

	*rc = sqldb_batch_room(b) <= 1 ? batches_flush(be) : 0;
	return b;
}

/* Add a string column (NULL: NULL) to b. */
static int batch_str(sqldb_batch *b, const char *s)
{
	return sqldb_batch_text(b, s, s ? strlen(s) : 0);
}

/* ---- opening and transactions ------------------------------------------ */

/* Names are looked up in the project "default" until told otherwise. */
static int default_project(store_backend *be)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT id FROM projects WHERE name = 'default'",
			  "find the default project")) != 0)
		return rc;
	rc = step(be, st);
	if (rc == 1 && col_str(be, st, 0) &&
	    strlen(col_str(be, st, 0)) <= SVC_ID_LEN)
		snprintf(be->project, sizeof(be->project), "%s",
			 col_str(be, st, 0));
	else if (rc >= 0)
		rc = error_set(SVC_ERROR, "store has no project 'default'");
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static void rows_close(store_backend *be)
{
	if (!be)
		return;
	batches_free(be->batches);
	be->drv->close(be->db);
	free(be);
}

static int rows_remove(const char *location)
{
	return sqldb_driver_for(location)->remove(location);
}

static int rows_open(store_backend **out, const char *location, int create)
{
	store_backend *be;
	int rc;

	if (!(be = calloc(1, sizeof(*be))))
		return error_oom();
	be->drv = sqldb_driver_for(location);
	be->wake_fd = -1;
	if ((rc = be->drv->open(&be->db, location, create)) != 0) {
		free(be);
		return rc;
	}
	if ((rc = default_project(be)) != 0) {
		rows_close(be);
		if (create)
			rows_remove(location); /* made by open above */
		return rc;
	}
	*out = be;
	return 0;
}

const sqldb_driver *store_rows_sqldb(sqldb **db, store_backend *be)
{
	*db = be->db;
	return be->drv;
}

void store_rows_wake_fd(store_backend *be, int fd)
{
	be->wake_fd = fd;
}

/*
 * A write that can release a job the gate answered "waiting" (a lock
 * released or expired, an approval or a permission request decided, a
 * check disabled or deleted, a pipeline permitted, a job ended): its
 * commit tells the waiters, on every server where the engine has a
 * channel (sqldb notify: PostgreSQL's NOTIFY), else in this process
 * (wake_fd; other processes' commits are seen by data_version).  The one
 * place that marks it; rows_commit sends it.
 */
static void gate_touch(store_backend *be)
{
	be->gate_touched = 1;
}

static int rows_begin(store_backend *be, int write)
{
	be->gate_touched = 0;
	be->writing = write;
	return be->drv->begin(be->db, write);
}

unsigned long store_rows_write_commits(store_backend *be)
{
	return be->write_commits;
}

static int rows_commit(store_backend *be)
{
	static const uint64_t one = 1;
	int rc, touched = be->gate_touched;

	be->gate_touched = 0;
	if (touched && be->drv->notify)
		be->drv->notify(be->db);
	if ((rc = be->drv->commit(be->db)) == 0 && be->writing)
		be->write_commits++;
	be->writing = 0;
	if (rc == 0 && touched &&
	    !be->drv->notify && be->wake_fd >= 0 &&
	    write(be->wake_fd, &one, sizeof(one)) < 0) {
		/* a full counter: the watcher is woken already */
	}
	return rc;
}

static void rows_rollback(store_backend *be)
{
	rows_batch_end(be, 0);
	be->gate_touched = 0;
	be->writing = 0;
	be->drv->rollback(be->db);
}

static int rows_data_version(long long *out, store_backend *be)
{
	return be->drv->data_version(out, be->db);
}

/* ---- meta -------------------------------------------------------------- */

static int rows_meta_get(char **out, store_backend *be, const char *key)
{
	sqldb_stmt *st;
	const char *v;
	int rc;

	if ((rc = prepare(be, &st, "SELECT value FROM meta WHERE key = ?1",
			  "read store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0 &&
	    (rc = step(be, st)) == 1) {
		v = col_str(be, st, 0);
		rc = v && (*out = strdup(v)) ? 0 : error_oom();
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	finalize(be, st);
	return rc;
}

static int rows_meta_set(store_backend *be, const char *key,
			 const char *value)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO meta (key, value) VALUES (?1, ?2) "
			  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			  "write store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0 &&
	    (rc = bind_str(be, st, 2, value)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_meta_delete(store_backend *be, const char *key)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM meta WHERE key = ?1",
			  "write store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

/* ---- connections ------------------------------------------------------- */

#define CONN_COLUMNS \
	"id, name, type, scheme, url, description, created_by, created_at, " \
	"updated_by, updated_at, all_pipelines, project_id"
/* CONN_COLUMNS of the table aliased c, and how many there are. */
#define CONN_COLUMNS_OF_C \
	"c.id, c.name, c.type, c.scheme, c.url, c.description, " \
	"c.created_by, c.created_at, c.updated_by, c.updated_at, " \
	"c.all_pipelines, c.project_id"
#define CONN_NCOLUMNS 12

/* A connection from a row whose first columns are CONN_COLUMNS. */
static int conn_from_row(svc_conn **out, store_backend *be, sqldb_stmt *st)
{
	svc_conn *c;
	int rc;

	if ((rc = svc_conn_new(&c, col_str(be, st, 2), col_str(be, st, 1))) != 0)
		return rc;
	if ((rc = svc_conn_set_id(c, col_str(be, st, 0))) != 0 ||
	    (rc = svc_conn_set_scheme(c, col_str(be, st, 3))) != 0 ||
	    (rc = svc_conn_set_url(c, col_str(be, st, 4))) != 0 ||
	    (rc = svc_conn_set_description(c, col_str(be, st, 5))) != 0 ||
	    (rc = svc_conn_set_meta(c, col_str(be, st, 6), col_str(be, st, 7),
				    col_str(be, st, 8), col_str(be, st, 9))) != 0) {
		svc_conn_free(c);
		return rc;
	}
	svc_conn_set_all_pipelines(c, (int)col_int(be, st, 10));
	if ((rc = svc_conn_set_project_id(c, col_str(be, st, 11))) != 0) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * Add the field of a row with columns (key, kind, secret, value) starting
 * at column first: a non-secret value, or a secret set but not loaded.
 */
static int field_from_row(svc_conn *c, store_backend *be, sqldb_stmt *st,
			  int first)
{
	const char *key = col_str(be, st, first);
	svc_field_kind kind = (svc_field_kind)(int)col_int(be, st, first + 1);
	int secret = (int)col_int(be, st, first + 2), rc;
	const char *value;

	if (!key)
		return error_oom();
	if (secret)
		return svc_conn_set_field_unloaded(c, key, kind);
	value = col_str(be, st, first + 3);
	if (!value)
		value = "";
	/* a value never holds a NUL byte (catalog/validate.c) */
	rc = svc_conn_set_field(c, key, value, strlen(value));
	if (rc == 0)
		rc = svc_conn_set_field_class(c, key, kind, 0);
	return rc;
}

static int rows_conn_find(char **id, char **name, store_backend *be,
			  const char *name_or_id, unsigned by)
{
	static const char *const sql[] = {
		"SELECT id, name FROM connections WHERE id = ?1",
		/* a name: owned by the project, or shared into it */
		"SELECT id, name FROM connections "
		"WHERE name = ?1 AND project_id = ?2 "
		"UNION ALL SELECT c.id, c.name FROM conn_shares s "
		"JOIN connections c ON c.id = s.conn_id "
		"WHERE s.name = ?1 AND s.project_id = ?2",
	};
	char *i_copy = NULL, *n_copy = NULL;
	sqldb_stmt *st;
	int rc = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		if (!(by & (pass == 0 ? STORE_FIND_ID : STORE_FIND_NAME)))
			continue;
		if ((rc = prepare(be, &st, sql[pass],
				  "look up a connection")) != 0)
			return rc;
		if ((rc = bind_str(be, st, 1, name_or_id)) == 0 &&
		    (pass == 0 ||
		     (rc = bind_str(be, st, 2, be->project)) == 0))
			rc = step(be, st);
		if (rc == 1) {
			i_copy = id ? strdup(col_str(be, st, 0)) : NULL;
			n_copy = name ? strdup(col_str(be, st, 1)) : NULL;
		}
		finalize(be, st);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
	}
	if (rc != 1)
		return SVC_ENOTFOUND;
	if ((id && !i_copy) || (name && !n_copy)) {
		free(i_copy);
		free(n_copy);
		return error_oom();
	}
	if (id)
		*id = i_copy;
	if (name)
		*name = n_copy;
	return 0;
}

/* Most keys of one conn_find_many statement. */
#define FIND_MANY_MAX 500
/* Most keys conn_find_many looks up one by one. */
#define FIND_FEW 4

/*
 * conn_find_many of at most FIND_MANY_MAX keys: the keys as a VALUES list
 * joined with the connections, so that the database compares them as
 * conn_find does (its NOCASE collation of names).
 */
static int find_many_run(store_backend *be, const char *const *keys,
			 size_t n, unsigned by, char **ids)
{
	svc_buf sql = SVC_BUF_INIT;
	sqldb_stmt *st = NULL;
	const char *id;
	long long i;
	size_t k;
	int rc;

	rc = buf_puts(&sql, "WITH q(i, n) AS (VALUES ");
	for (k = 0; k < n && rc == 0; k++)
		rc = buf_printf(&sql, "%s(CAST(?%zu AS INTEGER), CAST(?%zu AS TEXT))",
				k ? ", " : "", 2 * k + 2, 2 * k + 3);
	if (rc == 0)
		rc = buf_puts(&sql, by == STORE_FIND_ID
			      ? ") SELECT q.i, c.id FROM q JOIN connections c "
				"ON c.id = q.n"
			      : ") SELECT q.i, c.id FROM q JOIN connections c "
				"ON c.name = q.n AND c.project_id = ?1 "
				"UNION ALL SELECT q.i, c.id FROM q "
				"JOIN conn_shares s ON s.name = q.n "
				"AND s.project_id = ?1 "
				"JOIN connections c ON c.id = s.conn_id");
	if (rc == 0)
		rc = prepare(be, &st, sql.ptr, "look up connections");
	if (rc == 0)
		rc = bind_str(be, st, 1, be->project);
	for (k = 0; k < n && rc == 0; k++)
		if ((rc = bind_int(be, st, (int)(2 * k + 2), (long long)k)) == 0)
			rc = bind_str(be, st, (int)(2 * k + 3), keys[k]);
	while (rc == 0 && (rc = step(be, st)) == 1) {
		i = col_int(be, st, 0);
		id = col_str(be, st, 1);
		rc = 0;
		if (i < 0 || (size_t)i >= n || !id || ids[i])
			continue;
		if (!(ids[i] = strdup(id)))
			rc = error_oom();
	}
	finalize(be, st);
	buf_clear(&sql);
	return rc < 0 ? rc : 0;
}

static int rows_conn_find_many(store_backend *be, char **ids,
			       const char *const *keys, size_t n, unsigned by)
{
	size_t k, m;
	int rc = 0;

	for (k = 0; k < n; k++)
		ids[k] = NULL;
	/* a few keys (a job's connections) one by one: conn_find's short
	 * statement is planned in a fraction of the VALUES join's time */
	for (k = 0; n <= FIND_FEW && k < n && rc == 0; k++)
		if ((rc = rows_conn_find(&ids[k], NULL, be, keys[k], by)) ==
		    SVC_ENOTFOUND)
			rc = 0;
	for (k = n <= FIND_FEW ? n : 0; k < n && rc == 0; k += m) {
		m = n - k < FIND_MANY_MAX ? n - k : FIND_MANY_MAX;
		rc = find_many_run(be, keys + k, m, by, ids + k);
	}
	if (rc)
		for (k = 0; k < n; k++) {
			free(ids[k]);
			ids[k] = NULL;
		}
	return rc;
}

/* conn_insert into the batch of new connections. */
static int batch_conn_insert(store_backend *be, const store_conn_row *r)
{
	int rc;
	sqldb_batch *b = batch_for(be, RB_CONN, &rc);

	if (rc == 0 && (rc = batch_str(b, r->id)) == 0 &&
	    (rc = batch_str(b, r->name)) == 0 &&
	    (rc = batch_str(b, r->type)) == 0 &&
	    (rc = batch_str(b, r->scheme)) == 0 &&
	    (rc = batch_str(b, r->url)) == 0 &&
	    (rc = batch_str(b, r->description)) == 0 &&
	    (rc = batch_str(b, r->created_by)) == 0 &&
	    (rc = batch_str(b, r->created_at)) == 0 &&
	    (rc = batch_str(b, r->updated_by)) == 0 &&
	    (rc = batch_str(b, r->updated_at)) == 0 &&
	    (rc = sqldb_batch_int(b, r->all_pipelines)) == 0 &&
	    (rc = batch_str(b, be->project)) == 0)
		rc = sqldb_batch_row(b);
	return rc;
}

static int rows_conn_insert(store_backend *be, const store_conn_row *r)
{
	sqldb_stmt *st;
	int rc;

	if (be->batches)
		return batch_conn_insert(be, r);
	if ((rc = prepare(be, &st,
			  CONN_INSERT_HEAD " "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			  "?12)",
			  "add a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->name)) == 0 &&
	    (rc = bind_str(be, st, 3, r->type)) == 0 &&
	    (rc = bind_str(be, st, 4, r->scheme)) == 0 &&
	    (rc = bind_str(be, st, 5, r->url)) == 0 &&
	    (rc = bind_str(be, st, 6, r->description)) == 0 &&
	    (rc = bind_str(be, st, 7, r->created_by)) == 0 &&
	    (rc = bind_str(be, st, 8, r->created_at)) == 0 &&
	    (rc = bind_str(be, st, 9, r->updated_by)) == 0 &&
	    (rc = bind_str(be, st, 10, r->updated_at)) == 0 &&
	    (rc = bind_int(be, st, 11, r->all_pipelines)) == 0 &&
	    (rc = bind_str(be, st, 12, be->project)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_conn_update(store_backend *be, const store_conn_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET name = ?2, type = ?3, "
			  "scheme = ?4, url = ?5, description = ?6, "
			  "updated_by = ?7, updated_at = ?8, "
			  "all_pipelines = ?9 WHERE id = ?1",
			  "update a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->name)) == 0 &&
	    (rc = bind_str(be, st, 3, r->type)) == 0 &&
	    (rc = bind_str(be, st, 4, r->scheme)) == 0 &&
	    (rc = bind_str(be, st, 5, r->url)) == 0 &&
	    (rc = bind_str(be, st, 6, r->description)) == 0 &&
	    (rc = bind_str(be, st, 7, r->updated_by)) == 0 &&
	    (rc = bind_str(be, st, 8, r->updated_at)) == 0 &&
	    (rc = bind_int(be, st, 9, r->all_pipelines)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_conn_get(svc_conn **out, store_backend *be, const char *id)
{
	sqldb_stmt *st;
	svc_conn *c = NULL;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " CONN_COLUMNS " FROM connections WHERE id = ?1",
			  "read a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = step(be, st)) == 1)
		rc = conn_from_row(&c, be, st);
	else if (rc == 0)
		rc = SVC_ENOTFOUND;
	finalize(be, st);
	if (rc)
		return rc;
	if ((rc = prepare(be, &st,
			  "SELECT key, kind, secret, value FROM fields "
			  "WHERE conn_id = ?1 ORDER BY rowid",
			  "read the fields of a connection")) != 0)
		goto done;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		while ((rc = step(be, st)) == 1)
			if ((rc = field_from_row(c, be, st, 0)) != 0)
				break;
	finalize(be, st);
done:
	if (rc) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * The row of the walk conn_list_walk is at, as conn_seals_all gives it:
 * its connection's version and MAC (columns first and first + 1) and, for
 * a secret field, its key and sealed value (first + 2).
 */
static store_seal_row seal_of(store_backend *be, sqldb_stmt *st, int first)
{
	store_seal_row r;

	r.conn_id = col_str(be, st, 0);
	r.version = col_int(be, st, first);
	r.mac = col_blob(be, st, first + 1, &r.mac_len);
	r.key = !col_null(be, st, CONN_NCOLUMNS) &&
		col_int(be, st, CONN_NCOLUMNS + 2) == 1
		? col_str(be, st, CONN_NCOLUMNS) : NULL;
	r.data = r.key ? col_blob(be, st, first + 2, &r.len) : NULL;
	if (!r.data)
		r.len = 0;
	return r;
}

/*
 * conn_list, and with cb conn_list_sealed: the same walk reads each
 * connection's version and MAC and each field's sealed value too.
 */
static int conn_list_walk(svc_conn ***out, size_t *count, store_backend *be,
			  store_conn_seal_cb cb, void *ctx)
{
	sqldb_stmt *st = NULL;
	svc_conn **list = NULL;
	size_t n = 0, have = 0, i;
	const char *cid;
	int rc;

	/* count first, so the array is allocated once (callers hold a
	 * transaction, so the count stays true) */
	if ((rc = prepare(be, &st, "SELECT count(*) FROM connections",
			  "count connections")) != 0)
		return rc;
	if ((rc = step(be, st)) == 1)
		n = (size_t)col_int(be, st, 0);
	finalize(be, st);
	st = NULL;
	if (rc < 0)
		return rc;
	if (!(list = calloc(n ? n : 1, sizeof(*list))))
		return error_oom();
	/* every connection with its fields in one walk, as the database's
	 * own client reads them: a connection's rows follow each other */
	if ((rc = prepare(be, &st, cb ?
			  "SELECT " CONN_COLUMNS_OF_C ", f.key, f.kind, "
			  "f.secret, f.value, coalesce(m.version, 0), m.mac, "
			  "f.sealed FROM connections c "
			  "LEFT JOIN conn_macs m ON m.conn_id = c.id "
			  "LEFT JOIN fields f ON f.conn_id = c.id "
			  "ORDER BY c.name, c.id, f.rowid" :
			  "SELECT " CONN_COLUMNS_OF_C ", f.key, f.kind, "
			  "f.secret, f.value FROM connections c "
			  "LEFT JOIN fields f ON f.conn_id = c.id "
			  "ORDER BY c.name, c.id, f.rowid",
			  "list connections")) != 0)
		goto done;
	while ((rc = step(be, st)) == 1) {
		cid = col_str(be, st, 0);
		if (!cid) {
			rc = error_oom();
			goto done;
		}
		if (!have || strcmp(svc_conn_id(list[have - 1]), cid) != 0) {
			if (have == n)
				break;
			if ((rc = conn_from_row(&list[have], be, st)) != 0)
				goto done;
			have++;
		}
		if (!col_null(be, st, CONN_NCOLUMNS) &&
		    (rc = field_from_row(list[have - 1], be, st,
					 CONN_NCOLUMNS)) != 0)
			goto done;
		if (cb) {
			store_seal_row r = seal_of(be, st, CONN_NCOLUMNS + 4);

			if ((rc = cb(ctx, list[have - 1], &r)) != 0)
				goto done;
		}
	}
	rc = rc < 0 ? rc : 0;
done:
	finalize(be, st);
	if (rc) {
		for (i = 0; i < have; i++)
			svc_conn_free(list[i]);
		free(list);
		return rc;
	}
	*out = list;
	*count = have;
	return 0;
}

static int rows_conn_list(svc_conn ***out, size_t *count,
			  store_backend *be)
{
	return conn_list_walk(out, count, be, NULL, NULL);
}

static int rows_conn_list_sealed(svc_conn ***out, size_t *count,
				 store_backend *be, store_conn_seal_cb cb,
				 void *ctx)
{
	return conn_list_walk(out, count, be, cb, ctx);
}

static int rows_conn_delete(store_backend *be, const char *id)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM connections WHERE id = ?1",
			  "delete a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_conn_rename(store_backend *be, const char *id,
			    const char *name, const char *updated_by,
			    const char *updated_at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET name = ?2, updated_by = ?3, "
			  "updated_at = ?4 WHERE id = ?1",
			  "rename a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_str(be, st, 2, name)) == 0 &&
	    (rc = bind_str(be, st, 3, updated_by)) == 0 &&
	    (rc = bind_str(be, st, 4, updated_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_conn_mac_get(long long *version, svc_buf *mac,
			     store_backend *be, const char *id)
{
	sqldb_stmt *st;
	const void *p;
	size_t len;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT m.version, m.mac FROM connections c "
			  "LEFT JOIN conn_macs m ON m.conn_id = c.id "
			  "WHERE c.id = ?1",
			  "read the MAC of a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = step(be, st)) == 1) {
		*version = col_int(be, st, 0);
		p = col_blob(be, st, 1, &len);
		rc = p ? buf_put(mac, p, len) : 0;
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	finalize(be, st);
	return rc;
}

/*
 * Walk the rows (id, name or NULL, version) of sql; a non-zero return of
 * cb stops the walk with it.
 */
static int version_walk(store_backend *be, const char *sql,
			store_version_cb cb, void *ctx)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, sql, "read the versions of connections")))
		return rc;
	while ((rc = step(be, st)) == 1) {
		if (!col_str(be, st, 0)) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, col_str(be, st, 0), col_str(be, st, 1),
			     col_int(be, st, 2))) != 0)
			break;
	}
	finalize(be, st);
	return rc;
}

static int rows_conn_mac_list(store_backend *be, store_version_cb cb,
			      void *ctx)
{
	return version_walk(be,
			    "SELECT c.id, c.name, coalesce(m.version, 0) "
			    "FROM connections c "
			    "LEFT JOIN conn_macs m ON m.conn_id = c.id", cb, ctx);
}

/*
 * Walk the rows of sql (no parameters): each(be, st, arg) for every row; a
 * non-zero return stops the walk with it.
 */
static int rows_walk(store_backend *be, const char *sql, const char *doing,
		     int (*each)(store_backend *be, sqldb_stmt *st, void *arg),
		     void *arg)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, sql, doing)) != 0)
		return rc;
	while ((rc = step(be, st)) == 1)
		if ((rc = each(be, st, arg)) != 0)
			break;
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

/* What a walk of conn_seals_all calls. */
struct seals_arg {
	store_seal_cb cb; /**< the caller's callback */
	void *ctx;        /**< its context */
};

static int seal_row(store_backend *be, sqldb_stmt *st, void *arg)
{
	struct seals_arg *a = arg;
	store_seal_row r;

	r.conn_id = col_str(be, st, 0);
	r.version = col_int(be, st, 1);
	r.mac = col_blob(be, st, 2, &r.mac_len);
	r.key = col_str(be, st, 3);
	r.data = r.key ? col_blob(be, st, 4, &r.len) : NULL;
	if (!r.data)
		r.len = 0;
	return r.conn_id ? a->cb(a->ctx, &r) : error_oom();
}

static int rows_conn_seals_all(store_backend *be, store_seal_cb cb,
			       void *ctx)
{
	struct seals_arg a = { cb, ctx };

	return rows_walk(be,
			 "SELECT c.id, coalesce(m.version, 0), m.mac, f.key, "
			 "f.sealed FROM connections c "
			 "LEFT JOIN conn_macs m ON m.conn_id = c.id "
			 "LEFT JOIN fields f ON f.conn_id = c.id AND f.secret = 1 "
			 "ORDER BY c.id",
			 "read the MACs and secrets of connections", seal_row,
			 &a);
}

static int rows_manifest_list(store_backend *be, store_version_cb cb,
			      void *ctx)
{
	return version_walk(be,
			    "SELECT conn_id, NULL, version FROM conn_manifest "
			    "ORDER BY conn_id", cb, ctx);
}

/* Run sql with id (and version, unless negative) bound. */
static int manifest_write(store_backend *be, const char *sql, const char *id,
			  long long version)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, sql, "write the list of versions")) != 0)
		return rc;
	if ((!id || (rc = bind_str(be, st, 1, id)) == 0) &&
	    (version < 0 || (rc = bind_int(be, st, 2, version)) == 0))
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_manifest_put(store_backend *be, const char *id,
			     long long version)
{
	int rc;
	sqldb_batch *b;

	if (!be->batches)
		return manifest_write(be, MANIFEST_INSERT_HEAD " VALUES (?1, ?2) "
				      MANIFEST_INSERT_TAIL, id, version);
	b = batch_for(be, RB_MANIFEST, &rc);
	if (rc == 0 && (rc = batch_str(b, id)) == 0 &&
	    (rc = sqldb_batch_int(b, version)) == 0)
		rc = sqldb_batch_row(b);
	return rc;
}

static int rows_manifest_delete(store_backend *be, const char *id)
{
	return manifest_write(be, "DELETE FROM conn_manifest WHERE conn_id = ?1",
			      id, -1);
}

static int rows_manifest_clear(store_backend *be)
{
	return manifest_write(be, "DELETE FROM conn_manifest", NULL, -1);
}

static int rows_conn_mac_put(store_backend *be, const char *id,
			     long long version, const unsigned char *mac,
			     size_t len)
{
	sqldb_stmt *st;
	sqldb_batch *b;
	int rc;

	if (be->batches) {
		/* held with the connection's own row, which is new */
		b = batch_for(be, RB_MAC, &rc);
		if (rc == 0 && (rc = batch_str(b, id)) == 0 &&
		    (rc = sqldb_batch_int(b, version)) == 0 &&
		    (rc = sqldb_batch_blob(b, mac, len)) == 0)
			rc = sqldb_batch_row(b);
		return rc;
	}
	if ((rc = prepare(be, &st,
			  MAC_INSERT_HEAD " "
			  "SELECT id, CAST(?2 AS INTEGER), ?3 FROM connections "
			  "WHERE id = ?1 " MAC_INSERT_TAIL,
			  "write the MAC of a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, version)) == 0 &&
	    (rc = bind_bytes(be, st, 3, mac, len, 1)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

/* ---- fields and secrets ------------------------------------------------ */

/* field_put (a new value) into the batch of fields. */
static int batch_field_put(store_backend *be, const char *conn_id,
			   const store_field_row *f)
{
	int rc;
	sqldb_batch *b = batch_for(be, RB_FIELD, &rc);

	if (rc == 0 && (rc = batch_str(b, conn_id)) == 0 &&
	    (rc = batch_str(b, f->key)) == 0 &&
	    (rc = sqldb_batch_int(b, f->kind)) == 0 &&
	    (rc = sqldb_batch_int(b, f->secret ? 1 : 0)) == 0 &&
	    (rc = sqldb_batch_text(b, f->secret ? NULL : f->value,
				   f->value_len)) == 0 &&
	    (rc = sqldb_batch_blob(b, f->secret ? f->sealed : NULL,
				   f->sealed_len)) == 0 &&
	    (rc = batch_str(b, f->secret ? f->key_id : NULL)) == 0)
		rc = sqldb_batch_row(b);
	return rc;
}

static int rows_field_put(store_backend *be, const char *conn_id,
			  const store_field_row *f)
{
	sqldb_stmt *st;
	int rc;

	if (f->secret && !f->sealed) {
		/* keep the stored ciphertext; only the kind may change */
		if ((rc = prepare(be, &st,
				  "UPDATE fields SET kind = ?3 WHERE conn_id = ?1 "
				  "AND key = ?2 AND secret = 1",
				  "update a field")) != 0)
			return rc;
		if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
		    (rc = bind_str(be, st, 2, f->key)) == 0 &&
		    (rc = bind_int(be, st, 3, f->kind)) == 0)
			rc = step(be, st);
		finalize(be, st);
		return changed_or_notfound(be, rc);
	}
	if (be->batches)
		return batch_field_put(be, conn_id, f);
	if ((rc = prepare(be, &st,
			  FIELD_INSERT_HEAD " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			  FIELD_INSERT_TAIL,
			  "write a field")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, f->key)) == 0 &&
	    (rc = bind_int(be, st, 3, f->kind)) == 0 &&
	    (rc = bind_int(be, st, 4, f->secret ? 1 : 0)) == 0 &&
	    (rc = bind_bytes(be, st, 5, f->secret ? NULL : f->value,
			     f->value_len, 0)) == 0 &&
	    (rc = bind_bytes(be, st, 6, f->secret ? f->sealed : NULL,
			     f->sealed_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 7, f->secret ? f->key_id : NULL)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_field_delete(store_backend *be, const char *conn_id,
			     const char *key)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM fields WHERE conn_id = ?1 AND key = ?2",
			  "delete a field")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, key)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_secrets_get(store_backend *be, const char *conn_id,
			    store_sealed_cb cb, void *ctx)
{
	sqldb_stmt *st;
	store_sealed s;
	int rc;

	rc = prepare(be, &st,
		     conn_id ? "SELECT conn_id, key, kind, sealed, key_id "
			       "FROM fields WHERE secret = 1 AND conn_id = ?1 "
			       "ORDER BY rowid"
			     : "SELECT conn_id, key, kind, sealed, key_id "
			       "FROM fields WHERE secret = 1 ORDER BY rowid",
		     "read secrets");
	if (rc)
		return rc;
	if (conn_id && (rc = bind_str(be, st, 1, conn_id)) != 0)
		goto done;
	while ((rc = step(be, st)) == 1) {
		s.conn_id = col_str(be, st, 0);
		s.key = col_str(be, st, 1);
		s.kind = (svc_field_kind)(int)col_int(be, st, 2);
		s.data = col_blob(be, st, 3, &s.len);
		s.key_id = col_str(be, st, 4);
		if (!s.conn_id || !s.key || !s.key_id) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, &s)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	finalize(be, st);
	return rc;
}

static int rows_secret_put(store_backend *be, const store_sealed *s)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE fields SET sealed = ?3, key_id = ?4 "
			  "WHERE conn_id = ?1 AND key = ?2 AND secret = 1",
			  "reseal a secret")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, s->conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, s->key)) == 0 &&
	    (rc = bind_bytes(be, st, 3, s->data, s->len, 1)) == 0 &&
	    (rc = bind_str(be, st, 4, s->key_id)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

/* ---- audit ------------------------------------------------------------- */

static int rows_audit_append(store_backend *be, const svc_audit_entry *e)
{
	sqldb_stmt *st;
	int rc;

	if (be->batches) {
		sqldb_batch *b = batch_for(be, RB_AUDIT, &rc);

		if (rc == 0 && (rc = batch_str(b, e->at)) == 0 &&
		    (rc = batch_str(b, e->actor)) == 0 &&
		    (rc = batch_str(b, e->action)) == 0 &&
		    (rc = batch_str(b, e->conn_id ? e->conn_id : "")) == 0 &&
		    (rc = batch_str(b, e->conn_name ? e->conn_name : "")) == 0 &&
		    (rc = batch_str(b, e->detail ? e->detail : "{}")) == 0)
			rc = sqldb_batch_row(b);
		return rc;
	}
	if ((rc = prepare(be, &st, AUDIT_INSERT_HEAD
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			  "write the audit log")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, e->at)) == 0 &&
	    (rc = bind_str(be, st, 2, e->actor)) == 0 &&
	    (rc = bind_str(be, st, 3, e->action)) == 0 &&
	    (rc = bind_str(be, st, 4, e->conn_id ? e->conn_id : "")) == 0 &&
	    (rc = bind_str(be, st, 5, e->conn_name ? e->conn_name : "")) == 0 &&
	    (rc = bind_str(be, st, 6, e->detail ? e->detail : "{}")) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

/*
 * Append " AND cond" to sql when v is given, each '?' of cond written as
 * the parameter numbered after the *n in use (v kept in vals for it).
 */
static int audit_cond(svc_buf *sql, const char **vals, int *n,
		      const char *cond, const char *v)
{
	int rc;

	if (!v || !*v)
		return 0;
	vals[*n - 2] = v;
	(*n)++;
	for (rc = buf_puts(sql, " AND "); !rc && *cond; cond++)
		rc = *cond == '?' ? buf_printf(sql, "?%d", *n)
				  : buf_putc(sql, *cond);
	return rc;
}

static int rows_audit_list(store_backend *be, const svc_audit_filter *f,
			   store_audit_cb cb, void *ctx)
{
	sqldb_stmt *st = NULL;
	svc_audit_entry e;
	svc_buf sql = SVC_BUF_INIT, like = SVC_BUF_INIT;
	const char *vals[6];
	const char *t;
	int rc = 0, n = 2, i;

	/* the text as a LIKE pattern of lower case with its own % _ \ escaped */
	if (f->text && *f->text) {
		rc = buf_putc(&like, '%');
		for (t = f->text; !rc && *t; t++) {
			if (*t == '%' || *t == '_' || *t == '\\')
				rc = buf_putc(&like, '\\');
			rc = rc ? rc : buf_putc(&like, (char)tolower((unsigned char)*t));
		}
		rc = rc ? rc : buf_putc(&like, '%');
		if (rc)
			goto done;
	}
	/* ?1 the limit, ?2 the rows skipped, then one per condition given */
	rc = buf_puts(&sql, "SELECT seq, at, actor, action, conn_id, conn_name, "
		      "detail FROM (SELECT * FROM audit WHERE 1 = 1");
	rc = rc ? rc : audit_cond(&sql, vals, &n, "action = ?", f->action);
	rc = rc ? rc : audit_cond(&sql, vals, &n, "actor = ?", f->actor);
	rc = rc ? rc : audit_cond(&sql, vals, &n, "(conn_id = ? OR conn_name = ?)",
				  f->conn);
	rc = rc ? rc : audit_cond(&sql, vals, &n, "at >= ?", f->from);
	rc = rc ? rc : audit_cond(&sql, vals, &n, "at < ?", f->until);
	rc = rc ? rc : audit_cond(&sql, vals, &n,
				  "(LOWER(actor) LIKE ? ESCAPE '\\' OR "
				  "LOWER(action) LIKE ? ESCAPE '\\' OR "
				  "LOWER(conn_name) LIKE ? ESCAPE '\\' OR "
				  "LOWER(detail) LIKE ? ESCAPE '\\')", like.ptr);
	rc = rc ? rc : buf_puts(&sql, " ORDER BY seq DESC LIMIT ?1 OFFSET ?2) "
				"AS recent ORDER BY seq");
	if (rc)
		goto done;
	if ((rc = prepare(be, &st, sql.ptr, "read the audit log")))
		goto done;
	if ((rc = bind_int(be, st, 1, f->limit && f->limit < (size_t)LLONG_MAX
					      ? (long long)f->limit : LLONG_MAX)) ||
	    (rc = bind_int(be, st, 2, f->skip < (size_t)LLONG_MAX
					      ? (long long)f->skip : LLONG_MAX)))
		goto done;
	for (i = 3; i <= n; i++)
		if ((rc = bind_str(be, st, i, vals[i - 3])))
			goto done;
	while ((rc = step(be, st)) == 1) {
		e.seq = col_int(be, st, 0);
		e.at = col_str(be, st, 1);
		e.actor = col_str(be, st, 2);
		e.action = col_str(be, st, 3);
		e.conn_id = col_str(be, st, 4);
		e.conn_name = col_str(be, st, 5);
		e.detail = col_str(be, st, 6);
		if (!e.at || !e.actor || !e.action || !e.conn_id ||
		    !e.conn_name || !e.detail) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, &e)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	if (st)
		finalize(be, st);
	buf_clear(&sql);
	buf_clear(&like);
	return rc;
}

/* ---- authorization: helpers -------------------------------------------- */

/* Largest list of rows one call hands out (bytes of structs). */
#define LIST_MAX ((size_t)1 << 30)

/* A copy of column i into *out (SQL NULL gives NULL); 0 or out of memory. */
static int col_dup(store_backend *be, char **out, sqldb_stmt *st, int i)
{
	const char *s;

	*out = NULL;
	if (col_null(be, st, i))
		return 0;
	if (!(s = col_str(be, st, i)) || !(*out = strdup(s)))
		return error_oom();
	return 0;
}

/* Prepare sql and bind the strings p[0..n-1] to ?1..?n. */
static int prep_strs(store_backend *be, sqldb_stmt **st, const char *sql,
		     const char *doing, const char *const *p, int n)
{
	int rc, i;

	if ((rc = prepare(be, st, sql, doing)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = bind_str(be, *st, i + 1, p[i])) != 0) {
			finalize(be, *st);
			*st = NULL;
			return rc;
		}
	}
	return 0;
}

/* Run a write with the strings p[0..n-1] bound; 0 or an error. */
static int run_strs(store_backend *be, const char *sql, const char *doing,
		    const char *const *p, int n)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, sql, doing, p, n)) != 0)
		return rc;
	rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

/* Rows changed by the last write, as a size. */
static size_t changes(store_backend *be)
{
	long long n = be->drv->changes(be->db);

	return n > 0 ? (size_t)n : 0;
}

/* One element of any list handed out, so a row fits and is aligned. */
union list_item {
	char *s;              /**< a string list's element */
	svc_role_entry role;  /**< a role assignment */
	svc_perm_request req; /**< a permission request */
	svc_check check;      /**< a check */
	svc_check_run run;    /**< a check run */
	svc_approval appr;    /**< an approval */
	svc_usage use;        /**< a usage record */
	svc_cert_expiry exp;  /**< a certificate expiry */
	svc_project proj;     /**< a project */
	svc_share share;      /**< a share of a connection */
};

/*
 * Fill one (zeroed) element from the current row.  On failure the element
 * may be partly filled: the list's free function releases it with the rest.
 */
typedef int (*row_fn)(store_backend *be, union list_item *it,
			  sqldb_stmt *st);
/* Free a list of count elements (the public _free function of its type). */
typedef void (*list_free_fn)(void *list, size_t count);

/*
 * Step through st (finalized here), turning each row into an element of
 * size bytes with fn, in place at the end of one growing array; on failure
 * every element made so far (the partial one included) is freed with fr.
 */
static int collect(void **out, size_t *count, store_backend *be,
		   sqldb_stmt *st, size_t size, row_fn fn, list_free_fn fr)
{
	static const union list_item zero;
	svc_buf b;
	void *items = NULL;
	size_t n;
	int rc;

	buf_init(&b, LIST_MAX, 0);
	while ((rc = step(be, st)) == 1) {
		if ((rc = buf_put(&b, &zero, size)) != 0)
			break;
		/* the block is malloc'd, so aligned for any element */
		if ((rc = fn(be, (union list_item *)(void *)(b.ptr + b.len -
							   size), st)) != 0)
			break;
	}
	finalize(be, st);
	n = b.len / size;
	items = buf_detach(&b, NULL);
	if (rc < 0 || !items) {
		if (items)
			fr(items, n);
		return rc < 0 ? rc : error_oom();
	}
	*out = items;
	*count = n;
	return 0;
}

/*
 * collect() over sql with the strings p bound; out is the address of the
 * caller's array pointer (of any element type), set on success.
 */
static int select_list(void *out, size_t *count, store_backend *be,
		       const char *sql, const char *doing,
		       const char *const *p, int n, size_t size, row_fn fn,
		       list_free_fn fr)
{
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prep_strs(be, &st, sql, doing, p, n)) != 0 ||
	    (rc = collect(&items, count, be, st, size, fn, fr)) != 0)
		return rc;
	memcpy(out, &items, sizeof(items));
	return 0;
}

static void strings_free_v(void *p, size_t n)
{
	svc_strings_free(p, n);
}

static int string_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	return col_dup(be, &it->s, st, 0);
}

/* A sorted list of strings from sql with the strings p bound. */
static int string_list(char ***out, size_t *count, store_backend *be,
		       const char *sql, const char *doing,
		       const char *const *p, int n)
{
	return select_list(out, count, be, sql, doing, p, n, sizeof(char *),
			   string_row, strings_free_v);
}

/* One string column of the one row of sql into *out; SVC_ENOTFOUND. */
static int string_get(char **out, store_backend *be, const char *sql,
		      const char *doing, const char *const *p, int n)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, sql, doing, p, n)) != 0)
		return rc;
	if ((rc = step(be, st)) == 1)
		rc = out ? col_dup(be, out, st, 0) : 0;
	else if (rc == 0)
		rc = SVC_ENOTFOUND;
	finalize(be, st);
	return rc;
}

/* ---- roles and groups -------------------------------------------------- */

/*
 * A scope column of a role: the connection (or project) id, or '' for the
 * store.
 */
static const char *scope(const char *conn_id)
{
	return conn_id ? conn_id : "";
}

static int rows_role_put(store_backend *be, const char *conn_id,
			 const char *project_id, const char *principal,
			 svc_role role, const char *by, const char *at)
{
	sqldb_stmt *st;
	int rc;

	if (be->batches) {
		sqldb_batch *b = batch_for(be, RB_ROLE, &rc);

		if (rc == 0 && (rc = batch_str(b, scope(conn_id))) == 0 &&
		    (rc = batch_str(b, principal)) == 0 &&
		    (rc = sqldb_batch_int(b, (long long)role)) == 0 &&
		    (rc = batch_str(b, by)) == 0 &&
		    (rc = batch_str(b, at)) == 0 &&
		    (rc = batch_str(b, scope(project_id))) == 0)
			rc = sqldb_batch_row(b);
		return rc;
	}
	if ((rc = prepare(be, &st, ROLE_INSERT_HEAD
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6) " ROLE_INSERT_TAIL,
			  "assign a role")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, scope(conn_id))) == 0 &&
	    (rc = bind_str(be, st, 2, principal)) == 0 &&
	    (rc = bind_int(be, st, 3, (long long)role)) == 0 &&
	    (rc = bind_str(be, st, 4, by)) == 0 &&
	    (rc = bind_str(be, st, 5, at)) == 0 &&
	    (rc = bind_str(be, st, 6, scope(project_id))) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_role_get(svc_role *out, store_backend *be,
			 const char *conn_id, const char *project_id,
			 const char *principal)
{
	const char *p[] = { scope(conn_id), principal, scope(project_id) };
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st,
			    "SELECT role FROM role_assignments "
			    "WHERE conn_id = ?1 AND principal = ?2 "
			    "AND project_id = ?3",
			    "read a role", p, 3)) != 0)
		return rc;
	if ((rc = step(be, st)) == 1) {
		*out = (svc_role)(int)col_int(be, st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	finalize(be, st);
	return rc;
}

static int rows_role_delete(store_backend *be, const char *conn_id,
			    const char *project_id, const char *principal)
{
	const char *p[] = { scope(conn_id), principal, scope(project_id) };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM role_assignments "
		"WHERE conn_id = ?1 AND principal = ?2 AND project_id = ?3",
		"remove a role", p, 3));
}

static int rows_role_delete_principal(size_t *n, store_backend *be,
				      const char *principal)
{
	const char *p[] = { principal };
	int rc;

	rc = run_strs(be, "DELETE FROM role_assignments WHERE principal = ?1",
		      "remove the roles of a principal", p, 1);
	if (rc == 0 && n)
		*n = changes(be);
	return rc;
}

static void roles_free_v(void *p, size_t n)
{
	svc_role_entries_free(p, n);
}

static int role_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	it->role.role = (svc_role)(int)col_int(be, st, 1);
	it->role.is_group = (int)col_int(be, st, 2) != 0;
	return col_dup(be, &it->role.principal, st, 0);
}

static int rows_role_list(svc_role_entry **out, size_t *count,
			  store_backend *be, const char *conn_id,
			  const char *project_id)
{
	const char *p[] = { scope(conn_id), scope(project_id) };

	return select_list(out, count, be,
			   "SELECT r.principal, r.role, CASE WHEN EXISTS (SELECT 1 "
			   "FROM principal_groups g WHERE g.name = r.principal) "
			   "THEN 1 ELSE 0 END "
			   "FROM role_assignments r WHERE r.conn_id = ?1 "
			   "AND r.project_id = ?2 ORDER BY r.principal",
			   "list roles", p, 2, sizeof(svc_role_entry),
			   role_row, roles_free_v);
}

static int rows_inherit_get(int *on, store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id };
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st,
			    "SELECT inherit_roles FROM connections WHERE id = ?1",
			    "read role inheritance", p, 1)) != 0)
		return rc;
	if ((rc = step(be, st)) == 1) {
		*on = (int)col_int(be, st, 0) != 0;
		rc = 0;
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	finalize(be, st);
	return rc;
}

/* What a walk of conn_roles_all calls. */
struct roles_arg {
	store_conn_role_cb cb; /**< the caller's callback */
	void *ctx;             /**< its context */
};

static int conn_role_row(store_backend *be, sqldb_stmt *st, void *arg)
{
	struct roles_arg *a = arg;
	store_conn_role_row r;

	r.conn_id = col_str(be, st, 0);
	r.inherit = col_int(be, st, 1) != 0;
	r.principal = col_str(be, st, 2);
	r.role = (svc_role)(int)col_int(be, st, 3);
	return r.conn_id ? a->cb(a->ctx, &r) : error_oom();
}

static int rows_conn_roles_all(store_backend *be, store_conn_role_cb cb,
			       void *ctx)
{
	struct roles_arg a = { cb, ctx };

	return rows_walk(be,
			 "SELECT c.id, c.inherit_roles, r.principal, r.role "
			 "FROM connections c LEFT JOIN role_assignments r "
			 "ON r.conn_id = c.id AND r.project_id = '' "
			 "ORDER BY c.id",
			 "read the roles on connections", conn_role_row, &a);
}

static int rows_inherit_set(store_backend *be, const char *conn_id, int on)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET inherit_roles = ?2 "
			  "WHERE id = ?1", "set role inheritance")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_int(be, st, 2, on ? 1 : 0)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_group_insert(store_backend *be, const char *name,
			     const char *by, const char *at)
{
	const char *p[] = { name, by, at };

	return run_strs(be,
			"INSERT INTO principal_groups (name, created_by, "
			"created_at) VALUES (?1, ?2, ?3)",
			"create a group", p, 3);
}

static int rows_group_find(store_backend *be, const char *name)
{
	const char *p[] = { name };

	return string_get(NULL, be,
			  "SELECT name FROM principal_groups WHERE name = ?1",
			  "look up a group", p, 1);
}

static int rows_group_delete(size_t *members, store_backend *be,
			     const char *name)
{
	const char *p[] = { name };
	int rc;

	rc = run_strs(be, "DELETE FROM group_members WHERE group_name = ?1",
		      "delete the members of a group", p, 1);
	if (rc == 0 && members)
		*members = changes(be);
	if (rc == 0)
		rc = changed_or_notfound(be, run_strs(be,
			"DELETE FROM principal_groups WHERE name = ?1",
			"delete a group", p, 1));
	return rc;
}

static int rows_member_insert(store_backend *be, const char *group,
			      const char *member, const char *by,
			      const char *at)
{
	const char *p[] = { group, member, by, at };

	return run_strs(be,
			"INSERT INTO group_members (group_name, member, "
			"added_by, added_at) VALUES (?1, ?2, ?3, ?4)",
			"add a group member", p, 4);
}

static int rows_member_delete(store_backend *be, const char *group,
			      const char *member)
{
	const char *p[] = { group, member };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM group_members "
		"WHERE group_name = ?1 AND member = ?2",
		"remove a group member", p, 2));
}

static int rows_group_list(char ***out, size_t *count, store_backend *be,
			   const char *group)
{
	const char *p[] = { group };

	if (!group)
		return string_list(out, count, be,
				   "SELECT name FROM principal_groups "
				   "ORDER BY name", "list groups", p, 0);
	return string_list(out, count, be,
			   "SELECT member FROM group_members "
			   "WHERE group_name = ?1 ORDER BY member",
			   "list the members of a group", p, 1);
}

static int rows_groups_of(char ***out, size_t *count, store_backend *be,
			  const char *member)
{
	const char *p[] = { member };

	return string_list(out, count, be,
			   "SELECT group_name FROM group_members "
			   "WHERE member = ?1 ORDER BY group_name",
			   "list the groups of a principal", p, 1);
}

/* ---- pipeline permissions and requests --------------------------------- */

static int rows_conn_set_all_pipelines(store_backend *be,
				       const char *conn_id, int all,
				       const char *by, const char *at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET all_pipelines = ?2, "
			  "updated_by = ?3, updated_at = ?4 WHERE id = ?1",
			  "open a connection to all pipelines")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_int(be, st, 2, all ? 1 : 0)) == 0 &&
	    (rc = bind_str(be, st, 3, by)) == 0 &&
	    (rc = bind_str(be, st, 4, at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	gate_touch(be);
	return changed_or_notfound(be, rc);
}

static int rows_pipeline_insert(store_backend *be, const char *conn_id,
				const char *pipeline, const char *by,
				const char *at)
{
	const char *p[] = { conn_id, pipeline, by, at, be->project };

	gate_touch(be);
	return run_strs(be,
			"INSERT INTO pipeline_permissions (conn_id, pipeline, "
			"added_by, added_at, project_id) "
			"VALUES (?1, ?2, ?3, ?4, ?5)",
			"authorize a pipeline", p, 5);
}

static int rows_pipeline_delete(store_backend *be, const char *conn_id,
				const char *pipeline)
{
	const char *p[] = { conn_id, pipeline, be->project };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM pipeline_permissions "
		"WHERE conn_id = ?1 AND pipeline = ?2 AND project_id = ?3",
		"remove a pipeline's permission", p, 3));
}

static int rows_pipeline_find(store_backend *be, const char *conn_id,
			      const char *pipeline)
{
	const char *p[] = { conn_id, pipeline, be->project };

	return string_get(NULL, be,
			  "SELECT pipeline FROM pipeline_permissions "
			  "WHERE conn_id = ?1 AND pipeline = ?2 "
			  "AND project_id = ?3",
			  "look up a pipeline's permission", p, 3);
}

static int rows_pipeline_list(char ***out, size_t *count,
			      store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id, be->project };

	return string_list(out, count, be,
			   "SELECT pipeline FROM pipeline_permissions "
			   "WHERE conn_id = ?1 AND project_id = ?2 "
			   "ORDER BY pipeline",
			   "list authorized pipelines", p, 2);
}

static int rows_request_insert(store_backend *be, const svc_perm_request *r)
{
	const char *p[] = { r->id, r->conn_id, r->pipeline, r->run_id,
			    r->requested_by, r->at, r->status,
			    r->decided_by, be->project };

	return run_strs(be,
			"INSERT INTO permission_requests (id, conn_id, "
			"pipeline, run_id, requested_by, at, status, "
			"decided_by, project_id) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			"record a permission request", p, 9);
}

static int rows_request_find_pending(char **id, store_backend *be,
				     const char *conn_id,
				     const char *pipeline)
{
	const char *p[] = { conn_id, pipeline };

	return string_get(id, be,
			  "SELECT id FROM permission_requests WHERE "
			  "conn_id = ?1 AND pipeline = ?2 AND status = 'pending'",
			  "look up a permission request", p, 2);
}

#define REQUEST_COLUMNS \
	"r.id, r.conn_id, c.name, r.pipeline, r.run_id, r.requested_by, " \
	"r.at, r.status, r.decided_by " \
	"FROM permission_requests r JOIN connections c ON c.id = r.conn_id"

static void requests_free_v(void *p, size_t n)
{
	svc_perm_requests_free(p, n);
}

static int request_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	svc_perm_request *r = &it->req;
	int rc;

	if ((rc = col_dup(be, &r->id, st, 0)) == 0 &&
	    (rc = col_dup(be, &r->conn_id, st, 1)) == 0 &&
	    (rc = col_dup(be, &r->conn_name, st, 2)) == 0 &&
	    (rc = col_dup(be, &r->pipeline, st, 3)) == 0 &&
	    (rc = col_dup(be, &r->run_id, st, 4)) == 0 &&
	    (rc = col_dup(be, &r->requested_by, st, 5)) == 0 &&
	    (rc = col_dup(be, &r->at, st, 6)) == 0 &&
	    (rc = col_dup(be, &r->status, st, 7)) == 0)
		rc = col_dup(be, &r->decided_by, st, 8);
	return rc;
}

static int rows_request_get(svc_perm_request **out, store_backend *be,
			    const char *id)
{
	const char *p[] = { id };
	sqldb_stmt *st;
	size_t n;
	void *items = NULL;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " REQUEST_COLUMNS
			    " WHERE r.id = ?1", "read a permission request",
			    p, 1)) != 0)
		return rc;
	if ((rc = collect(&items, &n, be, st, sizeof(svc_perm_request),
			  request_row, requests_free_v)) != 0)
		return rc;
	if (n == 0) {
		free(items);
		return SVC_ENOTFOUND;
	}
	*out = items;
	return 0;
}

static int rows_request_list(svc_perm_request **out, size_t *count,
			     store_backend *be, int pending_only)
{
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prepare(be, &st, pending_only
			  ? "SELECT " REQUEST_COLUMNS
			    " WHERE r.status = 'pending' ORDER BY r.seq"
			  : "SELECT " REQUEST_COLUMNS " ORDER BY r.seq",
			  "list permission requests")) != 0)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_perm_request),
			  request_row, requests_free_v)) != 0)
		return rc;
	*out = items;
	return 0;
}

static int rows_request_decide(store_backend *be, const char *id,
			       const char *status, const char *by,
			       const char *at)
{
	const char *p[] = { id, status, by, at };

	gate_touch(be);
	return changed_or_notfound(be, run_strs(be,
		"UPDATE permission_requests SET status = ?2, "
		"decided_by = ?3, decided_at = ?4 WHERE id = ?1",
		"decide a permission request", p, 4));
}

/* ---- checks, their runs and approvals ---------------------------------- */

#define CHECK_COLUMNS \
	"id, conn_id, kind, config, enabled, seq, created_by, created_at " \
	"FROM checks"

static void checks_free_v(void *p, size_t n)
{
	svc_checks_free(p, n);
}

static int check_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	svc_check *c = &it->check;
	int rc;

	c->enabled = (int)col_int(be, st, 4) != 0;
	c->seq = col_int(be, st, 5);
	if ((rc = col_dup(be, &c->id, st, 0)) == 0 &&
	    (rc = col_dup(be, &c->conn_id, st, 1)) == 0 &&
	    (rc = col_dup(be, &c->kind, st, 2)) == 0 &&
	    (rc = col_dup(be, &c->config, st, 3)) == 0 &&
	    (rc = col_dup(be, &c->created_by, st, 6)) == 0)
		rc = col_dup(be, &c->created_at, st, 7);
	return rc;
}

static int rows_check_insert(store_backend *be, const svc_check *c)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO checks (id, conn_id, kind, config, "
			  "enabled, created_by, created_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			  "add a check")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, c->id)) == 0 &&
	    (rc = bind_str(be, st, 2, c->conn_id)) == 0 &&
	    (rc = bind_str(be, st, 3, c->kind)) == 0 &&
	    (rc = bind_str(be, st, 4, c->config)) == 0 &&
	    (rc = bind_int(be, st, 5, c->enabled ? 1 : 0)) == 0 &&
	    (rc = bind_str(be, st, 6, c->created_by)) == 0 &&
	    (rc = bind_str(be, st, 7, c->created_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_check_delete(store_backend *be, const char *id)
{
	const char *p[] = { id };
	int rc;

	gate_touch(be);
	if ((rc = run_strs(be,
			   "DELETE FROM approvals WHERE check_run_id IN "
			   "(SELECT id FROM check_runs WHERE check_id = ?1)",
			   "delete the approvals of a check", p, 1)) != 0 ||
	    (rc = run_strs(be, "DELETE FROM check_runs WHERE check_id = ?1",
			   "delete the runs of a check", p, 1)) != 0)
		return rc;
	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM checks WHERE id = ?1", "delete a check", p, 1));
}

static int rows_check_set_enabled(store_backend *be, const char *id,
				  int enabled)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE checks SET enabled = ?2 WHERE id = ?1",
			  "enable a check")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, enabled ? 1 : 0)) == 0)
		rc = step(be, st);
	finalize(be, st);
	gate_touch(be);
	return changed_or_notfound(be, rc);
}

static int rows_check_get(svc_check **out, store_backend *be,
			  const char *id)
{
	const char *p[] = { id };
	sqldb_stmt *st;
	void *items = NULL;
	size_t n;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " CHECK_COLUMNS " WHERE id = ?1",
			    "read a check", p, 1)) != 0)
		return rc;
	if ((rc = collect(&items, &n, be, st, sizeof(svc_check), check_row,
			  checks_free_v)) != 0)
		return rc;
	if (n == 0) {
		free(items);
		return SVC_ENOTFOUND;
	}
	*out = items;
	return 0;
}

static int rows_check_list(svc_check **out, size_t *count,
			   store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id };
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	rc = prep_strs(be, &st,
		       conn_id ? "SELECT " CHECK_COLUMNS
				 " WHERE conn_id = ?1 ORDER BY seq"
			       : "SELECT " CHECK_COLUMNS " ORDER BY seq",
		       "list checks", p, conn_id ? 1 : 0);
	if (rc)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_check), check_row,
			  checks_free_v)) != 0)
		return rc;
	*out = items;
	return 0;
}

/* A run's columns, its check's connection and kind joined, no stage ''. */
#define RUN_COLUMNS \
	"r.id, r.check_id, c.conn_id, c.kind, r.pipeline, r.run_id, " \
	"NULLIF(r.stage, ''), r.requested_by, r.status, r.state, r.message, " \
	"r.started_at, r.updated_at, r.version " \
	"FROM check_runs r JOIN checks c ON c.id = r.check_id"

static void runs_free_v(void *p, size_t n)
{
	svc_check_runs_free(p, n);
}

static int run_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	svc_check_run *r = &it->run;
	int rc;

	r->version = col_int(be, st, 13);
	if ((rc = col_dup(be, &r->id, st, 0)) == 0 &&
	    (rc = col_dup(be, &r->check_id, st, 1)) == 0 &&
	    (rc = col_dup(be, &r->conn_id, st, 2)) == 0 &&
	    (rc = col_dup(be, &r->kind, st, 3)) == 0 &&
	    (rc = col_dup(be, &r->pipeline, st, 4)) == 0 &&
	    (rc = col_dup(be, &r->run_id, st, 5)) == 0 &&
	    (rc = col_dup(be, &r->stage, st, 6)) == 0 &&
	    (rc = col_dup(be, &r->requested_by, st, 7)) == 0 &&
	    (rc = col_dup(be, &r->status, st, 8)) == 0 &&
	    (rc = col_dup(be, &r->state, st, 9)) == 0 &&
	    (rc = col_dup(be, &r->message, st, 10)) == 0 &&
	    (rc = col_dup(be, &r->started_at, st, 11)) == 0)
		rc = col_dup(be, &r->updated_at, st, 12);
	return rc;
}

/* The one run st selects (finalized here); SVC_ENOTFOUND. */
static int run_one(svc_check_run **out, store_backend *be, sqldb_stmt *st)
{
	void *items = NULL;
	size_t n;
	int rc;

	if ((rc = collect(&items, &n, be, st, sizeof(svc_check_run), run_row,
			  runs_free_v)) != 0)
		return rc;
	if (n == 0) {
		free(items);
		return SVC_ENOTFOUND;
	}
	*out = items;
	return 0;
}

static int rows_check_run_insert(int *inserted, store_backend *be,
				 const svc_check_run *r)
{
	sqldb_stmt *st;
	int rc;

	/* the unique key decides: a second start finds the first's row */
	if ((rc = prepare(be, &st,
			  "INSERT INTO check_runs (id, check_id, pipeline, "
			  "run_id, stage, requested_by, status, state, message, "
			  "started_at, updated_at, version) VALUES (?1, ?2, ?3, "
			  "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, 1) "
			  "ON CONFLICT (check_id, pipeline, run_id, stage) "
			  "DO NOTHING", "start a check run")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->check_id)) == 0 &&
	    (rc = bind_str(be, st, 3, r->pipeline)) == 0 &&
	    (rc = bind_str(be, st, 4, r->run_id)) == 0 &&
	    (rc = bind_str(be, st, 5, r->stage)) == 0 &&
	    (rc = bind_str(be, st, 6, r->requested_by)) == 0 &&
	    (rc = bind_str(be, st, 7, r->status)) == 0 &&
	    (rc = bind_str(be, st, 8, r->state)) == 0 &&
	    (rc = bind_str(be, st, 9, r->message)) == 0 &&
	    (rc = bind_str(be, st, 10, r->started_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	if (rc < 0)
		return rc;
	if (inserted)
		*inserted = be->drv->changes(be->db) > 0;
	return 0;
}

static int rows_check_run_find(svc_check_run **out, store_backend *be,
			       const char *check_id, const char *pipeline,
			       const char *run_id, const char *stage)
{
	const char *p[] = { check_id, pipeline, run_id, stage };
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " RUN_COLUMNS
			    " WHERE r.check_id = ?1 AND r.pipeline = ?2 AND "
			    "r.run_id = ?3 AND r.stage = ?4",
			    "look up a check run", p, 4)) != 0)
		return rc;
	return run_one(out, be, st);
}

static int rows_check_run_get(svc_check_run **out, store_backend *be,
			      const char *id)
{
	const char *p[] = { id };
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " RUN_COLUMNS " WHERE r.id = ?1",
			    "read a check run", p, 1)) != 0)
		return rc;
	return run_one(out, be, st);
}

static int rows_check_run_cas(store_backend *be, const char *id,
			      long long version, const char *status,
			      const char *state, const char *message,
			      const char *updated_at)
{
	const char *p[] = { id };
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE check_runs SET "
			  "status = coalesce(?3, status), "
			  "state = coalesce(?4, state), "
			  "message = coalesce(?5, message), "
			  "updated_at = ?6, version = version + 1 "
			  "WHERE id = ?1 AND version = ?2",
			  "update a check run")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, version)) == 0 &&
	    (rc = bind_str(be, st, 3, status)) == 0 &&
	    (rc = bind_str(be, st, 4, state)) == 0 &&
	    (rc = bind_str(be, st, 5, message)) == 0 &&
	    (rc = bind_str(be, st, 6, updated_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	if (rc < 0)
		return rc;
	if (be->drv->changes(be->db) > 0) {
		/* decided (not a pending run's progress, which a waiting
		 * job's own evaluation writes) */
		if (status && strcmp(status, "pending") != 0)
			gate_touch(be);
		return 0;
	}
	/* no row moved: a stale version, or no such run */
	rc = string_get(NULL, be, "SELECT id FROM check_runs WHERE id = ?1",
			"look up a check run", p, 1);
	return rc == 0 ? SVC_EPENDING : rc;
}

static int rows_check_run_list(svc_check_run **out, size_t *count,
			       store_backend *be, int pending_only,
			       const char *kind)
{
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prepare(be, &st, "SELECT " RUN_COLUMNS
			  " WHERE (?1 = 0 OR r.status = 'pending') AND "
			  "(CAST(?2 AS TEXT) IS NULL OR c.kind = ?2) "
			  "ORDER BY r.seq",
			  "list check runs")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, pending_only ? 1 : 0)) != 0 ||
	    (rc = bind_str(be, st, 2, kind)) != 0) {
		finalize(be, st);
		return rc;
	}
	if ((rc = collect(&items, count, be, st, sizeof(svc_check_run),
			  run_row, runs_free_v)) != 0)
		return rc;
	*out = items;
	return 0;
}

static int rows_approval_insert(store_backend *be, const svc_approval *a)
{
	const char *p[] = { a->check_run_id, a->actor, a->as_approver,
			    a->decision, a->comment, a->defer_until, a->at };

	gate_touch(be);
	return run_strs(be,
			"INSERT INTO approvals (check_run_id, actor, "
			"as_approver, decision, comment, defer_until, at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			"record an approval", p, 7);
}

static void approvals_free_v(void *p, size_t n)
{
	svc_approvals_free(p, n);
}

static int approval_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	svc_approval *a = &it->appr;
	int rc;

	a->seq = col_int(be, st, 0);
	if ((rc = col_dup(be, &a->check_run_id, st, 1)) == 0 &&
	    (rc = col_dup(be, &a->actor, st, 2)) == 0 &&
	    (rc = col_dup(be, &a->as_approver, st, 3)) == 0 &&
	    (rc = col_dup(be, &a->decision, st, 4)) == 0 &&
	    (rc = col_dup(be, &a->comment, st, 5)) == 0 &&
	    (rc = col_dup(be, &a->defer_until, st, 6)) == 0)
		rc = col_dup(be, &a->at, st, 7);
	return rc;
}

static int rows_approval_list(svc_approval **out, size_t *count,
			      store_backend *be, const char *check_run_id)
{
	const char *p[] = { check_run_id };
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prep_strs(be, &st,
			    "SELECT seq, check_run_id, actor, as_approver, "
			    "decision, comment, defer_until, at FROM approvals "
			    "WHERE check_run_id = ?1 ORDER BY seq",
			    "list approvals", p, 1)) != 0)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_approval),
			  approval_row, approvals_free_v)) != 0)
		return rc;
	*out = items;
	return 0;
}

/* ---- exclusive locks --------------------------------------------------- */

static int rows_lock_expire(store_backend *be, const char *conn_id,
			    long long now)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM lock_holders "
			  "WHERE conn_id = ?1 AND lease_expires <= ?2",
			  "release an expired lock")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_int(be, st, 2, now)) == 0)
		rc = step(be, st);
	finalize(be, st);
	if (rc >= 0 && be->drv->changes(be->db) > 0)
		gate_touch(be);
	return rc < 0 ? rc : 0;
}

static int rows_lock_holder_get(char **holder, store_backend *be,
				const char *conn_id)
{
	const char *p[] = { conn_id };

	return string_get(holder, be,
			  "SELECT holder FROM lock_holders WHERE conn_id = ?1",
			  "read a lock", p, 1);
}

static int rows_lock_holder_put(store_backend *be, const char *conn_id,
				const char *holder, long long lease_expires,
				const char *acquired_at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO lock_holders (conn_id, holder, "
			  "lease_expires, acquired_at) VALUES (?1, ?2, ?3, ?4) "
			  "ON CONFLICT (conn_id) DO UPDATE SET "
			  "holder = excluded.holder, "
			  "lease_expires = excluded.lease_expires, "
			  "acquired_at = excluded.acquired_at",
			  "take a lock")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, holder)) == 0 &&
	    (rc = bind_int(be, st, 3, lease_expires)) == 0 &&
	    (rc = bind_str(be, st, 4, acquired_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_lock_renew(store_backend *be, const char *conn_id,
			   const char *holder, long long lease_expires)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE lock_holders SET lease_expires = ?3 "
			  "WHERE holder = ?2 AND "
			  "(CAST(?1 AS TEXT) IS NULL OR conn_id = ?1)",
			  "renew a lock")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, holder)) == 0 &&
	    (rc = bind_int(be, st, 3, lease_expires)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_lock_release(store_backend *be, const char *holder,
			     int keep_queue)
{
	const char *p[] = { holder };
	int rc;

	if ((rc = run_strs(be, "DELETE FROM lock_holders WHERE holder = ?1",
			   "release a lock", p, 1)) != 0)
		return rc;
	if (be->drv->changes(be->db) > 0)
		gate_touch(be);
	if (keep_queue)
		return 0;
	return run_strs(be, "DELETE FROM lock_queue WHERE holder = ?1",
			"leave a lock queue", p, 1);
}

static int rows_lock_queue_status(char **status, store_backend *be,
				  const char *conn_id, const char *holder)
{
	const char *p[] = { conn_id, holder };

	return string_get(status, be,
			  "SELECT status FROM lock_queue "
			  "WHERE conn_id = ?1 AND holder = ?2",
			  "read a lock queue", p, 2);
}

static int rows_lock_queue_add(store_backend *be, const char *conn_id,
			       const char *holder, const char *queued_at)
{
	const char *p[] = { conn_id, holder, queued_at };

	return run_strs(be,
			"INSERT INTO lock_queue (conn_id, holder, queued_at, "
			"status) VALUES (?1, ?2, ?3, 'waiting') "
			"ON CONFLICT (conn_id, holder) DO NOTHING",
			"queue for a lock", p, 3);
}

static int rows_lock_queue_next(char **holder, store_backend *be,
				const char *conn_id, int newest)
{
	const char *p[] = { conn_id };

	return string_get(holder, be, newest
			  ? "SELECT holder FROM lock_queue WHERE conn_id = ?1 "
			    "AND status = 'waiting' ORDER BY seq DESC LIMIT 1"
			  : "SELECT holder FROM lock_queue WHERE conn_id = ?1 "
			    "AND status = 'waiting' ORDER BY seq LIMIT 1",
			  "read a lock queue", p, 1);
}

static int rows_lock_queue_cancel_older(store_backend *be,
					const char *conn_id,
					const char *holder)
{
	const char *p[] = { conn_id, holder };
	int rc;

	rc = run_strs(be,
			"UPDATE lock_queue SET status = 'canceled' "
			"WHERE conn_id = ?1 AND status = 'waiting' "
			"AND holder <> ?2 AND seq < coalesce((SELECT seq "
			"FROM lock_queue WHERE conn_id = ?1 AND holder = ?2), "
			"9223372036854775807)",
			"cancel older lock waiters", p, 2);
	if (rc == 0 && be->drv->changes(be->db) > 0)
		gate_touch(be);
	return rc;
}

static int rows_lock_queue_set(store_backend *be, const char *conn_id,
			       const char *holder, const char *status)
{
	const char *p[] = { conn_id, holder, status };

	return changed_or_notfound(be, run_strs(be,
		"UPDATE lock_queue SET status = ?3 "
		"WHERE conn_id = ?1 AND holder = ?2",
		"update a lock queue", p, 3));
}

static int rows_lock_queue_remove(store_backend *be, const char *conn_id,
				  const char *holder)
{
	const char *p[] = { conn_id, holder };

	return run_strs(be,
			"DELETE FROM lock_queue "
			"WHERE conn_id = ?1 AND holder = ?2",
			"leave a lock queue", p, 2);
}

/* ---- usage history ----------------------------------------------------- */

static int rows_usage_insert(store_backend *be, const svc_usage *u)
{
	const char *p[] = { u->conn_id, u->conn_name, u->pipeline, u->run_id,
			    u->stage, u->job, u->requested_by, u->decision,
			    u->message, u->at, u->result, u->finished_at };

	return run_strs(be,
			"INSERT INTO usage_history (conn_id, conn_name, "
			"pipeline, run_id, stage, job, requested_by, decision, "
			"message, at, result, finished_at) VALUES (?1, ?2, "
			"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
			"record a use", p, 12);
}

static int rows_usage_repeats(int *same, store_backend *be,
			      const svc_usage *u)
{
	const char *p[] = { u->conn_id, u->pipeline, u->run_id, u->stage,
			    u->job, u->decision, u->message };
	sqldb_stmt *st;
	int rc;

	*same = 0;
	if ((rc = prep_strs(be, &st,
			    "SELECT CASE WHEN decision = ?6 AND message IS NOT "
			    "DISTINCT FROM CAST(?7 AS TEXT) THEN 1 ELSE 0 END "
			    "FROM usage_history WHERE run_id = ?3 "
			    "AND pipeline = ?2 AND conn_id = ?1 "
			    "AND stage IS NOT DISTINCT FROM CAST(?4 AS TEXT) "
			    "AND job IS NOT DISTINCT FROM CAST(?5 AS TEXT) "
			    "ORDER BY id DESC LIMIT 1",
			    "read the last use", p, 7)) != 0)
		return rc;
	if ((rc = step(be, st)) == 1) {
		*same = col_int(be, st, 0) == 1;
		rc = 0;
	}
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_usage_finish(size_t *n, store_backend *be,
			     const char *pipeline, const char *run_id,
			     const char *stage, const char *job,
			     const char *result, const char *at)
{
	const char *p[] = { pipeline, run_id, stage, job, result, at };
	int rc;

	rc = run_strs(be,
		      "UPDATE usage_history SET result = ?5, finished_at = ?6 "
		      "WHERE run_id = ?2 AND pipeline = ?1 "
		      "AND stage IS NOT DISTINCT FROM CAST(?3 AS TEXT) "
		      "AND job IS NOT DISTINCT FROM CAST(?4 AS TEXT) "
		      "AND decision = 'granted' "
		      "AND result IS NULL",
		      "record the end of a use", p, 6);
	if (rc == 0 && n)
		*n = changes(be);
	return rc;
}

static void usages_free_v(void *p, size_t n)
{
	svc_usages_free(p, n);
}

static int usage_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	svc_usage *u = &it->use;
	int rc;

	u->id = col_int(be, st, 0);
	if ((rc = col_dup(be, &u->conn_id, st, 1)) == 0 &&
	    (rc = col_dup(be, &u->conn_name, st, 2)) == 0 &&
	    (rc = col_dup(be, &u->pipeline, st, 3)) == 0 &&
	    (rc = col_dup(be, &u->run_id, st, 4)) == 0 &&
	    (rc = col_dup(be, &u->stage, st, 5)) == 0 &&
	    (rc = col_dup(be, &u->job, st, 6)) == 0 &&
	    (rc = col_dup(be, &u->requested_by, st, 7)) == 0 &&
	    (rc = col_dup(be, &u->decision, st, 8)) == 0 &&
	    (rc = col_dup(be, &u->message, st, 9)) == 0 &&
	    (rc = col_dup(be, &u->at, st, 10)) == 0 &&
	    (rc = col_dup(be, &u->result, st, 11)) == 0)
		rc = col_dup(be, &u->finished_at, st, 12);
	return rc;
}

#define USAGE_COLUMNS \
	"id, conn_id, conn_name, pipeline, run_id, stage, job, requested_by, " \
	"decision, message, at, result, finished_at FROM usage_history"

static int rows_usage_list(svc_usage **out, size_t *count,
			   store_backend *be, const char *conn_id,
			   size_t limit)
{
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	rc = prepare(be, &st,
		     conn_id ? "SELECT " USAGE_COLUMNS
			       " WHERE conn_id = ?1 ORDER BY id DESC LIMIT ?2"
			     : "SELECT " USAGE_COLUMNS
			       " ORDER BY id DESC LIMIT ?2",
		     "list usage");
	if (rc)
		return rc;
	if ((conn_id && (rc = bind_str(be, st, 1, conn_id)) != 0) ||
	    (rc = bind_int(be, st, 2,
			   limit ? (long long)limit : LLONG_MAX)) != 0) {
		finalize(be, st);
		return rc;
	}
	if ((rc = collect(&items, count, be, st, sizeof(svc_usage), usage_row,
			  usages_free_v)) != 0)
		return rc;
	*out = items;
	return 0;
}

static int rows_conn_authz_delete(store_backend *be, const char *conn_id)
{
	static const char *const sql[] = {
		"DELETE FROM role_assignments WHERE conn_id = ?1",
		"DELETE FROM pipeline_permissions WHERE conn_id = ?1",
		"DELETE FROM permission_requests WHERE conn_id = ?1",
		("DELETE FROM approvals WHERE check_run_id IN (SELECT r.id "
		 "FROM check_runs r JOIN checks c ON c.id = r.check_id "
		 "WHERE c.conn_id = ?1)"),
		("DELETE FROM check_runs WHERE check_id IN "
		 "(SELECT id FROM checks WHERE conn_id = ?1)"),
		"DELETE FROM checks WHERE conn_id = ?1",
		"DELETE FROM lock_holders WHERE conn_id = ?1",
		"DELETE FROM lock_queue WHERE conn_id = ?1",
	};
	const char *p[] = { conn_id };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 0; i++)
		rc = run_strs(be, sql[i],
			      "delete the authorization of a connection", p, 1);
	return rc;
}

/* ---- git credentials ----------------------------------------------- */

static int rows_gitcred_list(store_backend *be,
			     const store_gitcred_pattern *want,
			     store_gitcred_cb cb, void *ctx)
{
	store_gitcred_row r;
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT id, protocol, host, path, username, "
			  "sealed_password, key_id, created_at, updated_at "
			  "FROM git_credentials "
			  "WHERE (CAST(?1 AS TEXT) IS NULL OR protocol = ?1) "
			  "AND (CAST(?2 AS TEXT) IS NULL OR host = ?2) "
			  "AND (CAST(?3 AS TEXT) IS NULL OR path = ?3) "
			  "AND (CAST(?4 AS TEXT) IS NULL OR username = ?4) "
			  "ORDER BY id DESC",
			  "read git credentials")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, want->protocol)) != 0 ||
	    (rc = bind_str(be, st, 2, want->host)) != 0 ||
	    (rc = bind_str(be, st, 3, want->path)) != 0 ||
	    (rc = bind_str(be, st, 4, want->username)) != 0)
		goto done;
	while ((rc = step(be, st)) == 1) {
		r.id = col_int(be, st, 0);
		r.protocol = col_str(be, st, 1);
		r.host = col_str(be, st, 2);
		r.path = col_str(be, st, 3);
		r.username = col_str(be, st, 4);
		r.sealed = col_blob(be, st, 5, &r.sealed_len);
		r.key_id = col_str(be, st, 6);
		r.created_at = col_str(be, st, 7);
		r.updated_at = col_str(be, st, 8);
		if (!r.protocol || !r.host || !r.path || !r.username ||
		    !r.key_id || !r.created_at || !r.updated_at) {
			rc = error_oom();
			break;
		}
		if (!r.sealed)
			r.sealed = (const unsigned char *)"";
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	finalize(be, st);
	return rc;
}

static int rows_gitcred_insert(long long *id, store_backend *be,
			       const store_gitcred_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO git_credentials (protocol, host, path, "
			  "username, sealed_password, key_id, created_at, "
			  "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
			  "RETURNING id",
			  "store a git credential")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->protocol)) == 0 &&
	    (rc = bind_str(be, st, 2, r->host)) == 0 &&
	    (rc = bind_str(be, st, 3, r->path)) == 0 &&
	    (rc = bind_str(be, st, 4, r->username)) == 0 &&
	    (rc = bind_bytes(be, st, 5, r->sealed, r->sealed_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 6, r->key_id)) == 0 &&
	    (rc = bind_str(be, st, 7, r->created_at)) == 0 &&
	    (rc = bind_str(be, st, 8, r->updated_at)) == 0 &&
	    (rc = step(be, st)) == 1) {
		if (id)
			*id = col_int(be, st, 0);
		rc = step(be, st);
	} else if (rc == 0) {
		rc = error_set(SVC_ERROR, "cannot store a git credential: no id");
	}
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_gitcred_delete(store_backend *be, long long id)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM git_credentials WHERE id = ?1",
			  "erase a git credential")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, id)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_gitcred_reseal(store_backend *be, long long id,
			       const unsigned char *sealed, size_t len,
			       const char *key_id)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE git_credentials SET sealed_password = ?2, "
			  "key_id = ?3 WHERE id = ?1",
			  "reseal a git credential")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, id)) == 0 &&
	    (rc = bind_bytes(be, st, 2, sealed, len, 1)) == 0 &&
	    (rc = bind_str(be, st, 3, key_id)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

/* ---- OIDC signing keys ------------------------------------------------- */

static int rows_oidc_key_list(store_backend *be, store_oidc_key_cb cb,
			      void *ctx)
{
	store_oidc_key_row r;
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT kid, alg, sealed_key, key_id, created_at, "
			  "retired_at, signed_until, drop_at FROM oidc_keys "
			  "ORDER BY created_at, rowid",
			  "read the OIDC signing keys")) != 0)
		return rc;
	while ((rc = step(be, st)) == 1) {
		r.kid = col_str(be, st, 0);
		r.alg = col_str(be, st, 1);
		r.sealed = col_blob(be, st, 2, &r.sealed_len);
		r.key_id = col_str(be, st, 3);
		r.created_at = col_int(be, st, 4);
		r.retired_at = col_int(be, st, 5);
		r.signed_until = col_int(be, st, 6);
		r.drop_at = col_int(be, st, 7);
		if (!r.kid || !r.alg || !r.key_id) {
			rc = error_oom();
			break;
		}
		if (!r.sealed)
			r.sealed = (const unsigned char *)"";
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
	finalize(be, st);
	return rc;
}

static int rows_oidc_key_insert(store_backend *be,
				const store_oidc_key_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO oidc_keys (kid, alg, sealed_key, key_id, "
			  "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
			  "store an OIDC signing key")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->kid)) == 0 &&
	    (rc = bind_str(be, st, 2, r->alg)) == 0 &&
	    (rc = bind_bytes(be, st, 3, r->sealed, r->sealed_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 4, r->key_id)) == 0 &&
	    (rc = bind_int(be, st, 5, r->created_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_oidc_key_times(store_backend *be,
			       const store_oidc_key_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE oidc_keys SET retired_at = ?2, "
			  "signed_until = ?3, drop_at = ?4 WHERE kid = ?1",
			  "update an OIDC signing key")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->kid)) == 0 &&
	    (rc = r->retired_at ? bind_int(be, st, 2, r->retired_at) : 0) == 0 &&
	    (rc = bind_int(be, st, 3, r->signed_until)) == 0 &&
	    (rc = r->retired_at ? bind_int(be, st, 4, r->drop_at) : 0) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_oidc_key_reseal(store_backend *be, const char *kid,
				const unsigned char *sealed, size_t len,
				const char *key_id)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE oidc_keys SET sealed_key = ?2, key_id = ?3 "
			  "WHERE kid = ?1", "reseal an OIDC signing key")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, kid)) == 0 &&
	    (rc = bind_bytes(be, st, 2, sealed, len, 1)) == 0 &&
	    (rc = bind_str(be, st, 3, key_id)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_oidc_key_drop(size_t *n, store_backend *be, long long now)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM oidc_keys WHERE drop_at IS NOT NULL "
			  "AND drop_at <= ?1", "drop OIDC signing keys")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, now)) == 0)
		rc = step(be, st);
	finalize(be, st);
	if (rc < 0)
		return rc;
	if (n)
		*n = changes(be);
	return 0;
}

/* ---- personal access tokens ------------------------------------------- */

#define TOKEN_COLUMNS \
	"id, hash, owner, name, scopes, created, expires, last_used, revoked"

/* Hand each row of the prepared statement st to cb; 1 when one was. */
static int token_rows(store_backend *be, sqldb_stmt *st, store_token_cb cb,
		      void *ctx)
{
	store_token_row r;
	int rc, seen = 0;

	while ((rc = step(be, st)) == 1) {
		r.id = col_str(be, st, 0);
		r.hash = col_blob(be, st, 1, &r.hash_len);
		r.owner = col_str(be, st, 2);
		r.name = col_str(be, st, 3);
		r.scopes = col_str(be, st, 4);
		r.created = col_int(be, st, 5);
		r.expires = col_int(be, st, 6);
		r.last_used = col_int(be, st, 7);
		r.revoked = col_int(be, st, 8);
		if (!r.id || !r.owner || !r.name || !r.scopes)
			return error_oom();
		if (!r.hash)
			r.hash = (const unsigned char *)"";
		seen = 1;
		if ((rc = cb(ctx, &r)) != 0)
			return rc < 0 ? rc : seen;
	}
	return rc < 0 ? rc : seen;
}

static int rows_token_insert(store_backend *be, const store_token_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO access_tokens (" TOKEN_COLUMNS ") "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			  "store an access token")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_bytes(be, st, 2, r->hash, r->hash_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 3, r->owner)) == 0 &&
	    (rc = bind_str(be, st, 4, r->name)) == 0 &&
	    (rc = bind_str(be, st, 5, r->scopes)) == 0 &&
	    (rc = bind_int(be, st, 6, r->created)) == 0 &&
	    (rc = bind_int(be, st, 7, r->expires)) == 0 &&
	    (rc = bind_int(be, st, 8, r->last_used)) == 0 &&
	    (rc = bind_int(be, st, 9, r->revoked)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_token_get(store_backend *be, const char *id,
			  store_token_cb cb, void *ctx)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " TOKEN_COLUMNS " FROM access_tokens "
			  "WHERE id = ?1", "read an access token")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		rc = token_rows(be, st, cb, ctx);
	finalize(be, st);
	return rc < 0 ? rc : (rc == 0 ? SVC_ENOTFOUND : 0);
}

static int rows_token_list(store_backend *be, const char *owner,
			   store_token_cb cb, void *ctx)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " TOKEN_COLUMNS " FROM access_tokens "
			  "WHERE CAST(?1 AS TEXT) IS NULL OR owner = ?1 "
			  "ORDER BY created, id", "read access tokens")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, owner)) == 0)
		rc = token_rows(be, st, cb, ctx);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_token_revoke(store_backend *be, const char *id, long long at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE access_tokens SET revoked = CASE revoked "
			  "WHEN 0 THEN CAST(?2 AS INTEGER) ELSE revoked END "
			  "WHERE id = ?1",
			  "revoke an access token")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

static int rows_token_touch(store_backend *be, const char *id, long long at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE access_tokens SET last_used = ?2 "
			  "WHERE id = ?1", "record an access token's use")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

/* ---- users' passwords --------------------------------------------------- */

static int rows_password_put(store_backend *be, const store_password_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO user_passwords (name, phc, changed) "
			  "VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE "
			  "SET phc = excluded.phc, changed = excluded.changed",
			  "store a password hash")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_str(be, st, 2, r->phc)) == 0 &&
	    (rc = bind_int(be, st, 3, r->changed)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_password_list(store_backend *be, const char *name,
			      store_password_cb cb, void *ctx)
{
	sqldb_stmt *st;
	int rc, seen = 0;

	if ((rc = prepare(be, &st,
			  "SELECT name, phc, changed FROM user_passwords "
			  "WHERE CAST(?1 AS TEXT) IS NULL OR name = ?1 "
			  "ORDER BY name", "read password hashes")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0) {
		while ((rc = step(be, st)) == 1) {
			store_password_row r;

			r.name = col_str(be, st, 0);
			r.phc = col_str(be, st, 1);
			r.changed = col_int(be, st, 2);
			if (!r.name || !r.phc) {
				rc = error_oom();
				break;
			}
			seen = 1;
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	}
	finalize(be, st);
	if (rc < 0)
		return rc;
	return name && !seen ? SVC_ENOTFOUND : 0;
}

static int rows_password_delete(store_backend *be, const char *name)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM user_passwords WHERE name = ?1",
			  "remove a password hash")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

/* ---- the console's sessions --------------------------------------------- */

/*
 * The condition of a live session s, NOW and IDLE its parameters (now,
 * the idle limit): not past its end nor idle, and its token, if any, not
 * revoked nor expired (a password's sessions are deleted when it changes).
 */
#define SESSION_LIVE(NOW, IDLE)                                             \
	"s.expires > " NOW " AND s.last_seen > " IDLE " AND (s.token_id IS NULL" \
	" OR EXISTS (SELECT 1 FROM access_tokens t WHERE t.id = s.token_id"   \
	"  AND t.revoked = 0 AND t.expires > " NOW "))"

static int rows_session_insert(store_backend *be, const store_session_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO console_sessions (id_hash, principal,"
			  " scopes, token_id, created, last_seen, expires)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
			  "store a console session")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id_hash)) == 0 &&
	    (rc = bind_str(be, st, 2, r->principal)) == 0 &&
	    (rc = bind_str(be, st, 3, r->scopes)) == 0 &&
	    (rc = bind_str(be, st, 4, r->token_id)) == 0 &&
	    (rc = bind_int(be, st, 5, r->created)) == 0 &&
	    (rc = bind_int(be, st, 6, r->expires)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_session_get(store_backend *be, const char *id_hash,
			    long long now, long long idle_before,
			    store_session_cb cb, void *ctx)
{
	sqldb_stmt *st;
	int rc, seen = 0;

	if ((rc = prepare(be, &st,
			  "SELECT s.principal, s.scopes, s.token_id, s.created,"
			  " s.last_seen, s.expires FROM console_sessions s"
			  " WHERE s.id_hash = ?1 AND " SESSION_LIVE("?2", "?3"),
			  "read a console session")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id_hash)) == 0 &&
	    (rc = bind_int(be, st, 2, now)) == 0 &&
	    (rc = bind_int(be, st, 3, idle_before)) == 0 &&
	    (rc = step(be, st)) == 1) {
		store_session_row r;

		r.id_hash = id_hash;
		r.principal = col_str(be, st, 0);
		r.scopes = col_str(be, st, 1);
		r.token_id = col_str(be, st, 2);
		r.created = col_int(be, st, 3);
		r.last_seen = col_int(be, st, 4);
		r.expires = col_int(be, st, 5);
		seen = 1;
		rc = r.principal ? cb(ctx, &r) : error_oom();
	}
	finalize(be, st);
	if (rc < 0)
		return rc;
	return seen ? 0 : SVC_ENOTFOUND;
}

static int rows_session_touch(store_backend *be, const char *id_hash,
			      long long at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE console_sessions SET last_seen = ?2"
			  " WHERE id_hash = ?1", "record a console request")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id_hash)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_session_delete(store_backend *be, const char *id_hash)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM console_sessions WHERE id_hash = ?1",
			  "end a console session")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id_hash)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_session_end_password(store_backend *be, const char *principal)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM console_sessions WHERE principal = ?1"
			  " AND token_id IS NULL",
			  "end the console sessions of a password")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, principal)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_session_purge(store_backend *be, long long now,
			      long long idle_before)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM console_sessions WHERE id_hash IN"
			  " (SELECT s.id_hash FROM console_sessions s"
			  "  WHERE NOT (" SESSION_LIVE("?1", "?2") "))",
			  "purge ended console sessions")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, now)) == 0 &&
	    (rc = bind_int(be, st, 2, idle_before)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

/* ---- registered pipelines ---------------------------------------------- */

static int rows_pipedef_insert(store_backend *be, const store_pipedef_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO pipeline_defs (name, conn_id, url, path, "
			  "branch, created_by, created, project_id) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			  "register a pipeline")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_str(be, st, 2, r->conn_id)) == 0 &&
	    (rc = bind_str(be, st, 3, r->url)) == 0 &&
	    (rc = bind_str(be, st, 4, r->path)) == 0 &&
	    (rc = bind_str(be, st, 5, r->branch)) == 0 &&
	    (rc = bind_str(be, st, 6, r->created_by)) == 0 &&
	    (rc = bind_int(be, st, 7, r->created)) == 0 &&
	    (rc = bind_str(be, st, 8, be->project)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_pipedef_list(store_backend *be, const char *name,
			     store_pipedef_cb cb, void *ctx)
{
	store_pipedef_row r;
	sqldb_stmt *st;
	int rc, seen = 0;

	if ((rc = prepare(be, &st,
			  "SELECT p.name, p.conn_id, c.name, p.url, p.path, "
			  "p.branch, p.created_by, p.created "
			  "FROM pipeline_defs p JOIN connections c "
			  "ON c.id = p.conn_id "
			  "WHERE p.project_id = ?2 AND "
			  "(CAST(?1 AS TEXT) IS NULL OR "
			  "p.name = ?1 COLLATE NOCASE) "
			  "ORDER BY p.name COLLATE NOCASE",
			  "read registered pipelines")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) != 0 ||
	    (rc = bind_str(be, st, 2, be->project)) != 0)
		goto done;
	while ((rc = step(be, st)) == 1) {
		r.name = col_str(be, st, 0);
		r.conn_id = col_str(be, st, 1);
		r.conn_name = col_str(be, st, 2);
		r.url = col_str(be, st, 3);
		r.path = col_str(be, st, 4);
		r.branch = col_str(be, st, 5);
		r.created_by = col_str(be, st, 6);
		r.created = col_int(be, st, 7);
		if (!r.name || !r.conn_id || !r.conn_name || !r.url ||
		    !r.path || !r.created_by) {
			rc = error_oom();
			break;
		}
		seen = 1;
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
done:
	finalize(be, st);
	if (rc < 0)
		return rc;
	return name && !seen ? SVC_ENOTFOUND : 0;
}

static int rows_pipedef_delete(store_backend *be, const char *name)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM pipeline_defs WHERE name = ?1 "
			  "COLLATE NOCASE AND project_id = ?2",
			  "remove a registered pipeline")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0 &&
	    (rc = bind_str(be, st, 2, be->project)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

/* ---- projects and shared connections ------------------------------------ */

static int rows_project_use(store_backend *be, const char *id)
{
	if (!id || strlen(id) > SVC_ID_LEN)
		return error_set(SVC_EINVALID, "invalid project id '%s'",
				 id ? id : "");
	snprintf(be->project, sizeof(be->project), "%s", id);
	return 0;
}

static const char *rows_project_current(store_backend *be)
{
	return be->project;
}

static int rows_project_insert(store_backend *be, const svc_project *r)
{
	const char *p[] = { r->id, r->name, r->description ? r->description
							    : "",
			    r->created_by, r->created_at };

	return run_strs(be,
			"INSERT INTO projects (id, name, description, "
			"created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
			"create a project", p, 5);
}

static void projects_free_v(void *p, size_t n)
{
	svc_projects_free(p, n);
}

static int project_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	int rc;

	if ((rc = col_dup(be, &it->proj.id, st, 0)) == 0 &&
	    (rc = col_dup(be, &it->proj.name, st, 1)) == 0 &&
	    (rc = col_dup(be, &it->proj.description, st, 2)) == 0 &&
	    (rc = col_dup(be, &it->proj.created_by, st, 3)) == 0)
		rc = col_dup(be, &it->proj.created_at, st, 4);
	return rc;
}

static int rows_project_list(svc_project **out, size_t *count,
			     store_backend *be, const char *name_or_id)
{
	const char *p[] = { name_or_id };

	return select_list(out, count, be,
			   "SELECT id, name, description, created_by, "
			   "created_at FROM projects WHERE "
			   "CAST(?1 AS TEXT) IS NULL OR "
			   "id = ?1 OR name = ?1 COLLATE NOCASE "
			   "ORDER BY name COLLATE NOCASE",
			   "list projects", p, 1, sizeof(svc_project),
			   project_row, projects_free_v);
}

static int rows_project_delete(store_backend *be, const char *id)
{
	const char *p[] = { id };
	int rc;

	/* its roles, pipelines and the shares into it go with it */
	if ((rc = run_strs(be, "DELETE FROM role_assignments "
			   "WHERE project_id = ?1", "delete a project", p, 1)) ||
	    (rc = run_strs(be, "DELETE FROM conn_shares WHERE project_id = ?1",
			   "delete a project", p, 1)) ||
	    (rc = run_strs(be, "DELETE FROM pipeline_permissions "
			   "WHERE project_id = ?1", "delete a project", p, 1)) ||
	    (rc = run_strs(be, "DELETE FROM pipeline_defs WHERE project_id = ?1",
			   "delete a project", p, 1)))
		return rc;
	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM projects WHERE id = ?1", "delete a project", p, 1));
}

static int rows_project_conn_count(long long *n, store_backend *be,
				   const char *id)
{
	const char *p[] = { id };
	sqldb_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT count(*) FROM connections "
			    "WHERE project_id = ?1", "count connections",
			    p, 1)) != 0)
		return rc;
	if ((rc = step(be, st)) == 1)
		*n = col_int(be, st, 0);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_share_put(store_backend *be, const char *conn_id,
			  const char *project_id, const char *name,
			  const char *description, const char *by,
			  const char *at)
{
	const char *p[] = { conn_id, project_id, name,
			    description ? description : "", by, at };

	return run_strs(be,
			"INSERT INTO conn_shares (conn_id, project_id, name, "
			"description, shared_by, shared_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			"ON CONFLICT (conn_id, project_id) DO UPDATE SET "
			"name = excluded.name, "
			"description = excluded.description",
			"share a connection", p, 6);
}

static int rows_share_delete(store_backend *be, const char *conn_id,
			     const char *project_id)
{
	const char *p[] = { conn_id, project_id };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM conn_shares WHERE conn_id = ?1 AND project_id = ?2",
		"unshare a connection", p, 2));
}

static int share_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	int rc;

	if ((rc = col_dup(be, &it->share.project_id, st, 0)) == 0 &&
	    (rc = col_dup(be, &it->share.project, st, 1)) == 0 &&
	    (rc = col_dup(be, &it->share.name, st, 2)) == 0)
		rc = col_dup(be, &it->share.description, st, 3);
	return rc;
}

static void shares_free_v(void *p, size_t n)
{
	svc_shares_free(p, n);
}

static int rows_share_list(svc_share **out, size_t *count,
			   store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id };

	return select_list(out, count, be,
			   "SELECT s.project_id, p.name, s.name, s.description "
			   "FROM conn_shares s JOIN projects p "
			   "ON p.id = s.project_id WHERE s.conn_id = ?1 "
			   "ORDER BY p.name COLLATE NOCASE",
			   "list the shares of a connection", p, 1,
			   sizeof(svc_share), share_row, shares_free_v);
}

/* ---- agent pools and agents --------------------------------------------- */

static int rows_pool_insert(store_backend *be, const store_pool_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO agent_pools (name, trusted, created_by, "
			  "created) VALUES (?1, ?2, ?3, ?4)",
			  "store an agent pool")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_int(be, st, 2, r->trusted)) == 0 &&
	    (rc = bind_str(be, st, 3, r->created_by)) == 0 &&
	    (rc = bind_int(be, st, 4, r->created)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_pool_list(store_backend *be, const char *name,
			  store_pool_cb cb, void *ctx)
{
	sqldb_stmt *st;
	store_pool_row r;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT name, trusted, created_by, created FROM "
			  "agent_pools WHERE CAST(?1 AS TEXT) IS NULL OR "
			  "name = ?1 "
			  "ORDER BY name", "read agent pools")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0)
		while ((rc = step(be, st)) == 1) {
			r.name = col_str(be, st, 0);
			r.trusted = (int)col_int(be, st, 1);
			r.created_by = col_str(be, st, 2);
			r.created = col_int(be, st, 3);
			if (!r.name || !r.created_by) {
				rc = error_oom();
				break;
			}
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_agent_insert(store_backend *be, const store_agent_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO agents (name, pool, token_id, "
			  "created_by, created, revoked) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			  "store an agent")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_str(be, st, 2, r->pool)) == 0 &&
	    (rc = bind_str(be, st, 3, r->token_id)) == 0 &&
	    (rc = bind_str(be, st, 4, r->created_by)) == 0 &&
	    (rc = bind_int(be, st, 5, r->created)) == 0 &&
	    (rc = bind_int(be, st, 6, r->revoked)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_agent_list(store_backend *be, const char *name,
			   store_agent_cb cb, void *ctx)
{
	sqldb_stmt *st;
	store_agent_row r;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT name, pool, token_id, created_by, created, "
			  "revoked FROM agents WHERE CAST(?1 AS TEXT) IS NULL "
			  "OR name = ?1 "
			  "ORDER BY name", "read agents")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0)
		while ((rc = step(be, st)) == 1) {
			r.name = col_str(be, st, 0);
			r.pool = col_str(be, st, 1);
			r.token_id = col_str(be, st, 2);
			r.created_by = col_str(be, st, 3);
			r.created = col_int(be, st, 4);
			r.revoked = col_int(be, st, 5);
			if (!r.name || !r.pool || !r.token_id ||
			    !r.created_by) {
				rc = error_oom();
				break;
			}
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_agent_revoke(store_backend *be, const char *name,
			     long long at)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE agents SET revoked = CASE revoked "
			  "WHEN 0 THEN CAST(?2 AS INTEGER) ELSE revoked END "
			  "WHERE name = ?1",
			  "revoke an agent")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return changed_or_notfound(be, rc);
}

#define JOB_COLUMNS \
	"id, agent, pipeline, run_id, stage, job, holder, locks, conns, " \
	"token_id, source, state, result, lease_expires, started, ended"

static int rows_job_insert(store_backend *be, const store_job_row *r)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO agent_jobs (" JOB_COLUMNS ") VALUES "
			  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
			  "?13, ?14, ?15, ?16)", "store an agent's job")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->agent)) == 0 &&
	    (rc = bind_str(be, st, 3, r->pipeline)) == 0 &&
	    (rc = bind_str(be, st, 4, r->run_id)) == 0 &&
	    (rc = bind_str(be, st, 5, r->stage)) == 0 &&
	    (rc = bind_str(be, st, 6, r->job)) == 0 &&
	    (rc = bind_str(be, st, 7, r->holder)) == 0 &&
	    (rc = bind_int(be, st, 8, r->locks)) == 0 &&
	    (rc = bind_str(be, st, 9, r->conns)) == 0 &&
	    (rc = bind_str(be, st, 10, r->token_id)) == 0 &&
	    (rc = bind_str(be, st, 11, r->source)) == 0 &&
	    (rc = bind_str(be, st, 12, r->state)) == 0 &&
	    (rc = bind_str(be, st, 13, r->result)) == 0 &&
	    (rc = bind_int(be, st, 14, r->lease_expires)) == 0 &&
	    (rc = bind_int(be, st, 15, r->started)) == 0 &&
	    (rc = bind_int(be, st, 16, r->ended)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_job_list(store_backend *be, const char *id,
			 long long expired_at, store_job_cb cb, void *ctx)
{
	sqldb_stmt *st;
	store_job_row r;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " JOB_COLUMNS " FROM agent_jobs WHERE "
			  "(CAST(?1 AS TEXT) IS NULL OR id = ?1) AND (?2 = 0 OR "
			  "(state = 'running' AND lease_expires <= ?2)) "
			  "ORDER BY started, id", "read agents' jobs")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, expired_at)) == 0)
		while ((rc = step(be, st)) == 1) {
			r.id = col_str(be, st, 0);
			r.agent = col_str(be, st, 1);
			r.pipeline = col_str(be, st, 2);
			r.run_id = col_str(be, st, 3);
			r.stage = col_str(be, st, 4);
			r.job = col_str(be, st, 5);
			r.holder = col_str(be, st, 6);
			r.locks = (int)col_int(be, st, 7);
			r.conns = col_str(be, st, 8);
			r.token_id = col_str(be, st, 9);
			r.source = col_str(be, st, 10);
			r.state = col_str(be, st, 11);
			r.result = col_str(be, st, 12);
			r.lease_expires = col_int(be, st, 13);
			r.started = col_int(be, st, 14);
			r.ended = col_int(be, st, 15);
			if (!r.id || !r.agent || !r.pipeline || !r.run_id ||
			    !r.job || !r.holder || !r.conns || !r.token_id ||
			    !r.source || !r.state) {
				rc = error_oom();
				break;
			}
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static int rows_job_update(store_backend *be, const char *id,
			   const char *state, const char *result,
			   long long lease_expires, long long ended)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE agent_jobs SET state = ?2, result = ?3, "
			  "lease_expires = ?4, ended = ?5 WHERE id = ?1",
			  "update an agent's job")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_str(be, st, 2, state)) == 0 &&
	    (rc = bind_str(be, st, 3, result)) == 0 &&
	    (rc = bind_int(be, st, 4, lease_expires)) == 0 &&
	    (rc = bind_int(be, st, 5, ended)) == 0)
		rc = step(be, st);
	finalize(be, st);
	if (ended)
		gate_touch(be);
	return changed_or_notfound(be, rc);
}

/* ---- certificate expiry ------------------------------------------------ */

static int rows_expiry_put(store_backend *be, const char *conn_id,
			   const char *field, long long not_after,
			   const char *checked_at)
{
	sqldb_stmt *st;
	int rc;

	/* held rows first: a delete must follow what it deletes */
	if (!checked_at && (rc = batches_flush(be)) != 0)
		return rc;
	if (!checked_at)
		return run_strs(be, "DELETE FROM cert_expiry WHERE conn_id = ?1",
				"forget a certificate expiry", &conn_id, 1);
	if (be->batches) {
		sqldb_batch *b = batch_for(be, RB_EXPIRY, &rc);

		if (rc == 0 && (rc = batch_str(b, conn_id)) == 0 &&
		    (rc = batch_str(b, field)) == 0 &&
		    (rc = field ? sqldb_batch_int(b, not_after)
				: batch_str(b, NULL)) == 0 &&
		    (rc = batch_str(b, checked_at)) == 0)
			rc = sqldb_batch_row(b);
		return rc;
	}
	if ((rc = prepare(be, &st, EXPIRY_INSERT_HEAD
			  " VALUES (?1, ?2, CAST(?3 AS INTEGER), ?4) "
			  EXPIRY_INSERT_TAIL,
			  "record a certificate expiry")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, field)) == 0 &&
	    (rc = field ? bind_int(be, st, 3, not_after)
			: bind_str(be, st, 3, NULL)) == 0 &&
	    (rc = bind_str(be, st, 4, checked_at)) == 0)
		rc = step(be, st);
	finalize(be, st);
	return rc < 0 ? rc : 0;
}

static void expiry_free_v(void *p, size_t n)
{
	svc_cert_expiry_list_free(p, n);
}

static int expiry_row(store_backend *be, union list_item *it,
			  sqldb_stmt *st)
{
	svc_cert_expiry *e = &it->exp;
	int rc;

	e->known = !col_null(be, st, 5);
	e->not_after = col_int(be, st, 4);
	if ((rc = col_dup(be, (char **)&e->conn_id, st, 0)) != 0 ||
	    (rc = col_dup(be, (char **)&e->name, st, 1)) != 0 ||
	    (rc = col_dup(be, (char **)&e->type, st, 2)) != 0 ||
	    (rc = col_dup(be, (char **)&e->field, st, 3)) != 0)
		return rc;
	return col_dup(be, (char **)&e->checked_at, st, 5);
}

static int rows_expiry_list(svc_cert_expiry **out, size_t *count,
			    store_backend *be)
{
	sqldb_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT c.id, c.name, c.type, e.field, e.not_after, "
			  "e.checked_at FROM connections c LEFT JOIN "
			  "cert_expiry e ON e.conn_id = c.id ORDER BY c.name",
			  "list certificate expiry")) != 0)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_cert_expiry),
			  expiry_row, expiry_free_v)) != 0)
		return rc;
	*out = items;
	return 0;
}

const store_backend_ops store_rows_ops = {
	.name = "rows",
	.project_use = rows_project_use,
	.project_current = rows_project_current,
	.project_insert = rows_project_insert,
	.project_list = rows_project_list,
	.project_delete = rows_project_delete,
	.project_conn_count = rows_project_conn_count,
	.share_put = rows_share_put,
	.share_delete = rows_share_delete,
	.share_list = rows_share_list,
	.open = rows_open,
	.close = rows_close,
	.batch_begin = rows_batch_begin,
	.conn_find_many = rows_conn_find_many,
	.batch_end = rows_batch_end,
	.remove = rows_remove,
	.begin = rows_begin,
	.commit = rows_commit,
	.rollback = rows_rollback,
	.meta_get = rows_meta_get,
	.data_version = rows_data_version,
	.meta_set = rows_meta_set,
	.meta_delete = rows_meta_delete,
	.conn_find = rows_conn_find,
	.conn_insert = rows_conn_insert,
	.conn_update = rows_conn_update,
	.conn_get = rows_conn_get,
	.conn_list = rows_conn_list,
	.conn_delete = rows_conn_delete,
	.conn_rename = rows_conn_rename,
	.conn_mac_get = rows_conn_mac_get,
	.conn_mac_list = rows_conn_mac_list,
	.conn_seals_all = rows_conn_seals_all,
	.conn_list_sealed = rows_conn_list_sealed,
	.conn_mac_put = rows_conn_mac_put,
	.manifest_list = rows_manifest_list,
	.manifest_put = rows_manifest_put,
	.manifest_delete = rows_manifest_delete,
	.manifest_clear = rows_manifest_clear,
	.field_put = rows_field_put,
	.field_delete = rows_field_delete,
	.secrets_get = rows_secrets_get,
	.secret_put = rows_secret_put,
	.audit_append = rows_audit_append,
	.audit_list = rows_audit_list,
	.role_put = rows_role_put,
	.role_get = rows_role_get,
	.role_delete = rows_role_delete,
	.role_delete_principal = rows_role_delete_principal,
	.role_list = rows_role_list,
	.inherit_get = rows_inherit_get,
	.inherit_set = rows_inherit_set,
	.conn_roles_all = rows_conn_roles_all,
	.group_insert = rows_group_insert,
	.group_find = rows_group_find,
	.group_delete = rows_group_delete,
	.member_insert = rows_member_insert,
	.member_delete = rows_member_delete,
	.group_list = rows_group_list,
	.groups_of = rows_groups_of,
	.conn_set_all_pipelines = rows_conn_set_all_pipelines,
	.pipeline_insert = rows_pipeline_insert,
	.pipeline_delete = rows_pipeline_delete,
	.pipeline_find = rows_pipeline_find,
	.pipeline_list = rows_pipeline_list,
	.request_insert = rows_request_insert,
	.request_find_pending = rows_request_find_pending,
	.request_get = rows_request_get,
	.request_list = rows_request_list,
	.request_decide = rows_request_decide,
	.check_insert = rows_check_insert,
	.check_delete = rows_check_delete,
	.check_set_enabled = rows_check_set_enabled,
	.check_get = rows_check_get,
	.check_list = rows_check_list,
	.check_run_insert = rows_check_run_insert,
	.check_run_find = rows_check_run_find,
	.check_run_get = rows_check_run_get,
	.check_run_cas = rows_check_run_cas,
	.check_run_list = rows_check_run_list,
	.approval_insert = rows_approval_insert,
	.approval_list = rows_approval_list,
	.lock_expire = rows_lock_expire,
	.lock_holder_get = rows_lock_holder_get,
	.lock_holder_put = rows_lock_holder_put,
	.lock_renew = rows_lock_renew,
	.lock_release = rows_lock_release,
	.lock_queue_status = rows_lock_queue_status,
	.lock_queue_add = rows_lock_queue_add,
	.lock_queue_next = rows_lock_queue_next,
	.lock_queue_cancel_older = rows_lock_queue_cancel_older,
	.lock_queue_set = rows_lock_queue_set,
	.lock_queue_remove = rows_lock_queue_remove,
	.usage_insert = rows_usage_insert,
	.usage_repeats = rows_usage_repeats,
	.usage_finish = rows_usage_finish,
	.usage_list = rows_usage_list,
	.conn_authz_delete = rows_conn_authz_delete,
	.gitcred_list = rows_gitcred_list,
	.gitcred_insert = rows_gitcred_insert,
	.gitcred_delete = rows_gitcred_delete,
	.gitcred_reseal = rows_gitcred_reseal,
	.expiry_put = rows_expiry_put,
	.expiry_list = rows_expiry_list,
	.oidc_key_list = rows_oidc_key_list,
	.oidc_key_insert = rows_oidc_key_insert,
	.oidc_key_times = rows_oidc_key_times,
	.oidc_key_reseal = rows_oidc_key_reseal,
	.oidc_key_drop = rows_oidc_key_drop,
	.token_insert = rows_token_insert,
	.token_get = rows_token_get,
	.token_list = rows_token_list,
	.token_revoke = rows_token_revoke,
	.token_touch = rows_token_touch,
	.password_put = rows_password_put,
	.password_list = rows_password_list,
	.password_delete = rows_password_delete,
	.session_insert = rows_session_insert,
	.session_get = rows_session_get,
	.session_touch = rows_session_touch,
	.session_delete = rows_session_delete,
	.session_end_password = rows_session_end_password,
	.session_purge = rows_session_purge,
	.pipedef_insert = rows_pipedef_insert,
	.pipedef_list = rows_pipedef_list,
	.pipedef_delete = rows_pipedef_delete,
	.pool_insert = rows_pool_insert,
	.pool_list = rows_pool_list,
	.agent_insert = rows_agent_insert,
	.agent_list = rows_agent_list,
	.agent_revoke = rows_agent_revoke,
	.job_insert = rows_job_insert,
	.job_list = rows_job_list,
	.job_update = rows_job_update,
};
