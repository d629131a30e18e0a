/*
 * store_sqlite.c - the SQLite backend of the connection store.
 *
 * One database file under the store directory, created empty with mode 0600
 * before SQLite opens it, so the -wal and -shm files SQLite makes next to it
 * inherit 0600.  The connection runs in WAL mode (readers never block the
 * writer), with synchronous=FULL (a committed rekey must survive a power
 * loss before its key file is renamed into place), foreign keys on,
 * secure_delete on (freed pages, which may hold old ciphertext, are zeroed)
 * and a 30 s busy timeout, so concurrent processes queue instead of failing.
 * Write transactions start with BEGIN IMMEDIATE: the write lock is taken
 * first, so a transaction never fails half-way on a lock upgrade.
 *
 * The schema is versioned with PRAGMA user_version: migrations[] holds one
 * step per version, applied in order in one transaction when a database is
 * opened.  Names are unique with COLLATE NOCASE, and that unique index is
 * what name lookups use.  Every statement is prepared with bound
 * parameters; no SQL is ever built from input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "util/buf.h"
#include "util/fileio.h"

/* How long a statement waits for a lock held by another process. */
#define BUSY_TIMEOUT_MS 30000

struct store_backend {
	sqlite3 *db;  /**< the database connection */
	char *path;   /**< path of the database file, for messages */
};

/*
 * Schema migrations: migrations[i] takes a database from user_version i to
 * i + 1.  Append new steps; never edit a released one.
 */
static const char *const migrations[] = {
	/* 1: connections, their fields, the audit log, store metadata */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");"
	"CREATE TABLE connections ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  type TEXT NOT NULL,"
	"  scheme TEXT,"
	"  url TEXT,"
	"  description TEXT,"
	"  created_by TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  updated_by TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  all_pipelines INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE fields ("
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL COLLATE NOCASE,"
	"  kind INTEGER NOT NULL,"
	"  secret INTEGER NOT NULL,"
	"  value TEXT,"
	"  sealed BLOB,"
	"  key_id TEXT,"
	"  PRIMARY KEY (conn_id, key),"
	"  CHECK ((secret = 0 AND value IS NOT NULL AND sealed IS NULL) OR"
	"         (secret = 1 AND value IS NULL AND sealed IS NOT NULL"
	"          AND key_id IS NOT NULL))"
	");"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  conn_id TEXT NOT NULL DEFAULT '',"
	"  conn_name TEXT NOT NULL DEFAULT '',"
	"  detail TEXT NOT NULL DEFAULT '{}'"
	");",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Set the error for a failed SQLite call with result code src. */
static int db_fail(store_backend *be, int src, const char *doing)
{
	int base = src & 0xff;

	if (src == SQLITE_CONSTRAINT_UNIQUE ||
	    src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return error_set(SVC_EEXISTS, "cannot %s: %s", doing,
				 sqlite3_errmsg(be->db));
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return error_set(SVC_ERROR,
				 "cannot %s: store '%s' was locked by another process for more than %d s",
				 doing, be->path, BUSY_TIMEOUT_MS / 1000);
	if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT)
		return error_set(SVC_ERROR,
				 "cannot %s: '%s' is not a valid store database (%s)",
				 doing, be->path, sqlite3_errmsg(be->db));
	return error_set(SVC_ERROR, "cannot %s in '%s': %s", doing, be->path,
			 sqlite3_errmsg(be->db));
}

static int prepare(store_backend *be, sqlite3_stmt **st, const char *sql,
		   const char *doing)
{
	int src = sqlite3_prepare_v2(be->db, sql, -1, st, NULL);

	if (src != SQLITE_OK) {
		*st = NULL;
		return db_fail(be, src, doing);
	}
	return 0;
}

/* Step once: 1 for a row, 0 when done, an SVC_E* code on failure. */
static int step(store_backend *be, sqlite3_stmt *st, const char *doing)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return 1;
	if (src == SQLITE_DONE)
		return 0;
	return db_fail(be, sqlite3_extended_errcode(be->db), doing);
}

/* Bind a string (NULL binds SQL NULL); 0 or an error. */
static int bind_str(store_backend *be, sqlite3_stmt *st, int i, const char *s)
{
	int src = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
		    : sqlite3_bind_null(st, i);

	return src == SQLITE_OK ? 0 : db_fail(be, src, "bind a parameter");
}

static int bind_bytes(store_backend *be, sqlite3_stmt *st, int i,
		      const void *p, size_t len, int blob)
{
	int src;

	if (!p)
		src = sqlite3_bind_null(st, i);
	else if (blob)
		src = sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
	else
		src = sqlite3_bind_text64(st, i, p, len, SQLITE_STATIC,
					  SQLITE_UTF8);
	return src == SQLITE_OK ? 0 : db_fail(be, src, "bind a parameter");
}

static int bind_int(store_backend *be, sqlite3_stmt *st, int i, long long v)
{
	int src = sqlite3_bind_int64(st, i, v);

	return src == SQLITE_OK ? 0 : db_fail(be, src, "bind a parameter");
}

/* Column i as a C string, or NULL for SQL NULL. */
static const char *col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Run a statement without parameters or results. */
static int exec(store_backend *be, const char *sql, const char *doing)
{
	int src = sqlite3_exec(be->db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? 0 : db_fail(be, src, doing);
}

/* One-statement write with bound strings; SVC_ENOTFOUND if no row moved. */
static int changed_or_notfound(store_backend *be, int rc)
{
	if (rc < 0)
		return rc;
	return sqlite3_changes(be->db) > 0 ? 0 : SVC_ENOTFOUND;
}

/* ---- opening ----------------------------------------------------------- */

/* Apply the pending migrations in one write transaction. */
static int migrate(store_backend *be)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int rc, version = 0, i;

	if ((rc = exec(be, "BEGIN IMMEDIATE", "start the schema migration")))
		return rc;
	if ((rc = prepare(be, &st, "PRAGMA user_version",
			  "read the schema version")) != 0)
		goto fail;
	if ((rc = step(be, st, "read the schema version")) < 0)
		goto fail;
	version = rc == 1 ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	st = NULL;
	if (version > SCHEMA_VERSION) {
		rc = error_set(SVC_ERROR,
			       "store '%s' has schema version %d, newer than this svcconn knows (%d): upgrade svcconn",
			       be->path, version, SCHEMA_VERSION);
		goto fail;
	}
	if (version == SCHEMA_VERSION) {
		exec(be, "ROLLBACK", "end the schema check");
		return 0;
	}
	for (i = version; i < SCHEMA_VERSION; i++)
		if ((rc = exec(be, migrations[i], "migrate the schema")) != 0)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if ((rc = exec(be, sql, "set the schema version")) != 0 ||
	    (rc = exec(be, "COMMIT", "commit the schema migration")) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(be->db))
		sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* An existing database file must be ours and private. */
static int check_private_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	int rc = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return error_set(SVC_ENOTFOUND,
					 "no store at '%s' (create one with 'svcconn init')",
					 path);
		return error_set(SVC_ERROR, "cannot open store '%s': %s", path,
				 strerror(errno));
	}
	if (fstat(fd, &sb) != 0)
		rc = error_set(SVC_ERROR, "cannot stat store '%s'", path);
	else if (!S_ISREG(sb.st_mode))
		rc = error_set(SVC_EINSECURE, "store '%s' is not a regular file",
			       path);
	else if (sb.st_uid != geteuid())
		rc = error_set(SVC_EINSECURE,
			       "store '%s' is owned by uid %ld, not by you (uid %ld)",
			       path, (long)sb.st_uid, (long)geteuid());
	else if (sb.st_mode & 077)
		rc = error_set(SVC_EINSECURE,
			       "permissions %04o for store '%s' are too open (chmod 600)",
			       (unsigned)(sb.st_mode & 07777), path);
	close(fd);
	return rc;
}

static int sqlite_remove(const char *path);

static void sqlite_close(store_backend *be)
{
	if (!be)
		return;
	sqlite3_close_v2(be->db);
	free(be->path);
	free(be);
}

static int sqlite_open(store_backend **out, const char *path, int create)
{
	static const char *const setup[] = {
		"PRAGMA foreign_keys = ON",
		"PRAGMA secure_delete = ON",
		"PRAGMA synchronous = FULL",
		"PRAGMA trusted_schema = OFF",
	};
	store_backend *be;
	sqlite3_stmt *st = NULL;
	const char *mode;
	size_t i;
	int rc, src;

	if (create) {
		rc = file_create_private(path, "", 0);
		if (rc == SVC_EEXISTS)
			return error_set(SVC_EEXISTS,
					 "a store database exists already at '%s'",
					 path);
		if (rc)
			return rc;
	} else if ((rc = check_private_file(path)) != 0) {
		return rc;
	}
	if (!(be = calloc(1, sizeof(*be))) || !(be->path = strdup(path))) {
		rc = error_oom();
		goto fail;
	}
	src = sqlite3_open_v2(path, &be->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
			      NULL);
	if (src != SQLITE_OK) {
		rc = be->db ? db_fail(be, src, "open the store")
			    : error_oom();
		goto fail;
	}
	sqlite3_extended_result_codes(be->db, 1);
	sqlite3_busy_timeout(be->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(be->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		if ((rc = exec(be, setup[i], "configure the store")) != 0)
			goto fail;
	/* WAL is persistent; setting it again is a cheap no-op */
	if ((rc = prepare(be, &st, "PRAGMA journal_mode = WAL",
			  "switch to WAL mode")) != 0)
		goto fail;
	rc = step(be, st, "switch to WAL mode");
	mode = rc == 1 ? col_str(st, 0) : NULL;
	if (rc >= 0 && (!mode || strcmp(mode, "wal") != 0))
		rc = error_set(SVC_ERROR, "cannot switch store '%s' to WAL mode",
			       path);
	sqlite3_finalize(st);
	if (rc < 0)
		goto fail;
	if ((rc = migrate(be)) != 0)
		goto fail;
	*out = be;
	return 0;
fail:
	sqlite_close(be);
	if (create)
		sqlite_remove(path); /* ours: created above with O_EXCL */
	return rc;
}

static int sqlite_remove(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	svc_buf p = SVC_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		buf_reset(&p);
		if ((rc = buf_printf(&p, "%s%s", path, suffix[i])) != 0)
			break;
		if (unlink(p.ptr) != 0 && errno != ENOENT) {
			rc = error_set(SVC_ERROR, "cannot remove '%s': %s",
				       p.ptr, strerror(errno));
			break;
		}
	}
	buf_clear(&p);
	return rc;
}

/* ---- transactions ------------------------------------------------------ */

static int sqlite_begin(store_backend *be, int write)
{
	return exec(be, write ? "BEGIN IMMEDIATE" : "BEGIN",
		    "start a transaction");
}

static int sqlite_commit(store_backend *be)
{
	return exec(be, "COMMIT", "commit");
}

static void sqlite_rollback(store_backend *be)
{
	if (!sqlite3_get_autocommit(be->db))
		sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- meta -------------------------------------------------------------- */

static int sqlite_meta_get(char **out, store_backend *be, const char *key)
{
	sqlite3_stmt *st;
	const char *v;
	int rc;

	if ((rc = prepare(be, &st, "SELECT value FROM meta WHERE key = ?1",
			  "read store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0 &&
	    (rc = step(be, st, "read store metadata")) == 1) {
		v = col_str(st, 0);
		rc = v && (*out = strdup(v)) ? 0 : error_oom();
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_meta_set(store_backend *be, const char *key,
			   const char *value)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO meta (key, value) VALUES (?1, ?2) "
			  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			  "write store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0 &&
	    (rc = bind_str(be, st, 2, value)) == 0)
		rc = step(be, st, "write store metadata");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

/* ---- connections ------------------------------------------------------- */

#define CONN_COLUMNS \
	"id, name, type, scheme, url, description, created_by, created_at, " \
	"updated_by, updated_at, all_pipelines"

/* A connection from a row whose first columns are CONN_COLUMNS. */
static int conn_from_row(svc_conn **out, sqlite3_stmt *st)
{
	svc_conn *c;
	int rc;

	if ((rc = svc_conn_new(&c, col_str(st, 2), col_str(st, 1))) != 0)
		return rc;
	if ((rc = svc_conn_set_id(c, col_str(st, 0))) != 0 ||
	    (rc = svc_conn_set_scheme(c, col_str(st, 3))) != 0 ||
	    (rc = svc_conn_set_url(c, col_str(st, 4))) != 0 ||
	    (rc = svc_conn_set_description(c, col_str(st, 5))) != 0 ||
	    (rc = svc_conn_set_meta(c, col_str(st, 6), col_str(st, 7),
				    col_str(st, 8), col_str(st, 9))) != 0) {
		svc_conn_free(c);
		return rc;
	}
	svc_conn_set_all_pipelines(c, sqlite3_column_int(st, 10));
	*out = c;
	return 0;
}

/*
 * Add the field of a row with columns (key, kind, secret, value) starting
 * at column first: a non-secret value, or a secret set but not loaded.
 */
static int field_from_row(svc_conn *c, sqlite3_stmt *st, int first)
{
	const char *key = col_str(st, first);
	svc_field_kind kind = (svc_field_kind)sqlite3_column_int(st, first + 1);
	int secret = sqlite3_column_int(st, first + 2), rc;
	const char *value;

	if (!key)
		return error_oom();
	if (secret)
		return svc_conn_set_field_unloaded(c, key, kind);
	value = col_str(st, first + 3);
	if (!value)
		value = "";
	rc = svc_conn_set_field(c, key, value,
				(size_t)sqlite3_column_bytes(st, first + 3));
	if (rc == 0)
		rc = svc_conn_set_field_class(c, key, kind, 0);
	return rc;
}

static int sqlite_conn_find(char **id, char **name, store_backend *be,
			    const char *name_or_id, unsigned by)
{
	static const char *const sql[] = {
		"SELECT id, name FROM connections WHERE id = ?1",
		"SELECT id, name FROM connections WHERE name = ?1",
	};
	char *i_copy = NULL, *n_copy = NULL;
	sqlite3_stmt *st;
	int rc = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		if (!(by & (pass == 0 ? STORE_FIND_ID : STORE_FIND_NAME)))
			continue;
		if ((rc = prepare(be, &st, sql[pass],
				  "look up a connection")) != 0)
			return rc;
		if ((rc = bind_str(be, st, 1, name_or_id)) == 0)
			rc = step(be, st, "look up a connection");
		if (rc == 1) {
			i_copy = id ? strdup(col_str(st, 0)) : NULL;
			n_copy = name ? strdup(col_str(st, 1)) : NULL;
		}
		sqlite3_finalize(st);
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

static int sqlite_conn_insert(store_backend *be, const store_conn_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO connections (" CONN_COLUMNS ") "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
	    (rc = bind_int(be, st, 11, r->all_pipelines)) == 0)
		rc = step(be, st, "add a connection");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_conn_update(store_backend *be, const store_conn_row *r)
{
	sqlite3_stmt *st;
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
		rc = step(be, st, "update a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_conn_get(svc_conn **out, store_backend *be, const char *id)
{
	sqlite3_stmt *st;
	svc_conn *c = NULL;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " CONN_COLUMNS " FROM connections WHERE id = ?1",
			  "read a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = step(be, st, "read a connection")) == 1)
		rc = conn_from_row(&c, st);
	else if (rc == 0)
		rc = SVC_ENOTFOUND;
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if ((rc = prepare(be, &st,
			  "SELECT key, kind, secret, value FROM fields "
			  "WHERE conn_id = ?1 ORDER BY rowid",
			  "read the fields of a connection")) != 0)
		goto done;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		while ((rc = step(be, st, "read the fields of a connection")) == 1)
			if ((rc = field_from_row(c, st, 0)) != 0)
				break;
	sqlite3_finalize(st);
done:
	if (rc) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int sqlite_conn_list(svc_conn ***out, size_t *count,
			    store_backend *be)
{
	sqlite3_stmt *st = NULL;
	svc_conn **list = NULL;
	size_t n = 0, have = 0, i = 0;
	const char *cid;
	int rc;

	/* count first, so the array is allocated once (callers hold a
	 * transaction, so the count stays true) */
	if ((rc = prepare(be, &st, "SELECT count(*) FROM connections",
			  "count connections")) != 0)
		return rc;
	if ((rc = step(be, st, "count connections")) == 1)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0)
		return rc;
	if (!(list = calloc(n ? n : 1, sizeof(*list))))
		return error_oom();
	if ((rc = prepare(be, &st,
			  "SELECT " CONN_COLUMNS " FROM connections "
			  "ORDER BY name", "list connections")) != 0)
		goto done;
	while (have < n && (rc = step(be, st, "list connections")) == 1) {
		if ((rc = conn_from_row(&list[have], st)) != 0)
			goto done;
		have++;
	}
	if (rc < 0)
		goto done;
	sqlite3_finalize(st);
	/* the fields of all of them, in the same order, merged in one walk */
	if ((rc = prepare(be, &st,
			  "SELECT f.conn_id, f.key, f.kind, f.secret, f.value "
			  "FROM connections c JOIN fields f ON f.conn_id = c.id "
			  "ORDER BY c.name, f.rowid", "list fields")) != 0)
		goto done;
	while ((rc = step(be, st, "list fields")) == 1) {
		cid = col_str(st, 0);
		while (i < have && cid &&
		       strcmp(svc_conn_id(list[i]), cid) != 0)
			i++;
		if (i == have)
			break;
		if ((rc = field_from_row(list[i], st, 1)) != 0)
			goto done;
	}
	rc = rc < 0 ? rc : 0;
done:
	sqlite3_finalize(st);
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

static int sqlite_conn_delete(store_backend *be, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM connections WHERE id = ?1",
			  "delete a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		rc = step(be, st, "delete a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_conn_rename(store_backend *be, const char *id,
			      const char *name, const char *updated_by,
			      const char *updated_at)
{
	sqlite3_stmt *st;
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
		rc = step(be, st, "rename a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- fields and secrets ------------------------------------------------ */

static int sqlite_field_put(store_backend *be, const char *conn_id,
			    const store_field_row *f)
{
	sqlite3_stmt *st;
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
			rc = step(be, st, "update a field");
		sqlite3_finalize(st);
		return changed_or_notfound(be, rc);
	}
	if ((rc = prepare(be, &st,
			  "INSERT INTO fields (conn_id, key, kind, secret, value, "
			  "sealed, key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			  "ON CONFLICT (conn_id, key) DO UPDATE SET "
			  "key = excluded.key, kind = excluded.kind, "
			  "secret = excluded.secret, value = excluded.value, "
			  "sealed = excluded.sealed, key_id = excluded.key_id",
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
		rc = step(be, st, "write a field");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_field_delete(store_backend *be, const char *conn_id,
			       const char *key)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM fields WHERE conn_id = ?1 AND key = ?2",
			  "delete a field")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, key)) == 0)
		rc = step(be, st, "delete a field");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_secrets_get(store_backend *be, const char *conn_id,
			      store_sealed_cb cb, void *ctx)
{
	sqlite3_stmt *st;
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
	while ((rc = step(be, st, "read secrets")) == 1) {
		s.conn_id = col_str(st, 0);
		s.key = col_str(st, 1);
		s.kind = (svc_field_kind)sqlite3_column_int(st, 2);
		s.data = sqlite3_column_blob(st, 3);
		s.len = (size_t)sqlite3_column_bytes(st, 3);
		s.key_id = col_str(st, 4);
		if (!s.conn_id || !s.key || !s.key_id) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, &s)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_secret_put(store_backend *be, const store_sealed *s)
{
	sqlite3_stmt *st;
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
		rc = step(be, st, "reseal a secret");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- audit ------------------------------------------------------------- */

static int sqlite_audit_append(store_backend *be, const svc_audit_entry *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO audit (at, actor, action, conn_id, "
			  "conn_name, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			  "write the audit log")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, e->at)) == 0 &&
	    (rc = bind_str(be, st, 2, e->actor)) == 0 &&
	    (rc = bind_str(be, st, 3, e->action)) == 0 &&
	    (rc = bind_str(be, st, 4, e->conn_id ? e->conn_id : "")) == 0 &&
	    (rc = bind_str(be, st, 5, e->conn_name ? e->conn_name : "")) == 0 &&
	    (rc = bind_str(be, st, 6, e->detail ? e->detail : "{}")) == 0)
		rc = step(be, st, "write the audit log");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_audit_list(store_backend *be, size_t limit,
			     store_audit_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	svc_audit_entry e;
	int rc;

	rc = prepare(be, &st,
		     "SELECT seq, at, actor, action, conn_id, conn_name, detail "
		     "FROM (SELECT * FROM audit ORDER BY seq DESC LIMIT ?1) "
		     "ORDER BY seq", "read the audit log");
	if (rc)
		return rc;
	/* LIMIT -1 is "no limit" in SQLite */
	if ((rc = bind_int(be, st, 1, limit ? (long long)limit : -1)) != 0)
		goto done;
	while ((rc = step(be, st, "read the audit log")) == 1) {
		e.seq = sqlite3_column_int64(st, 0);
		e.at = col_str(st, 1);
		e.actor = col_str(st, 2);
		e.action = col_str(st, 3);
		e.conn_id = col_str(st, 4);
		e.conn_name = col_str(st, 5);
		e.detail = col_str(st, 6);
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
	sqlite3_finalize(st);
	return rc;
}

const store_backend_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.remove = sqlite_remove,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.meta_get = sqlite_meta_get,
	.meta_set = sqlite_meta_set,
	.conn_find = sqlite_conn_find,
	.conn_insert = sqlite_conn_insert,
	.conn_update = sqlite_conn_update,
	.conn_get = sqlite_conn_get,
	.conn_list = sqlite_conn_list,
	.conn_delete = sqlite_conn_delete,
	.conn_rename = sqlite_conn_rename,
	.field_put = sqlite_field_put,
	.field_delete = sqlite_field_delete,
	.secrets_get = sqlite_secrets_get,
	.secret_put = sqlite_secret_put,
	.audit_append = sqlite_audit_append,
	.audit_list = sqlite_audit_list,
};
