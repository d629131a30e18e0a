/*
 * store_migrate.c - `svcconn migrate`: a whole store copied, row for row,
 * into another database (SQLite <-> PostgreSQL), and checked.
 *
 * The copy goes through the two SQL drivers (sqldb.h) by the one list of
 * the store's tables and columns, sqldb_tables: each row is read from the
 * source and written to the target with its values as they are, many
 * rows to a statement (sqldb_batch.c: one round trip per few hundred rows
 * on PostgreSQL).  Sealed secrets, row MACs and the list of versions are
 * bytes like any other: nothing is opened, and the target needs the same master key, which the
 * copy does not change (a new store directory gets a copy of the key file;
 * a PostgreSQL database is opened with the key of whichever store
 * directory or $SVCCONN_KEY_FILE names it, as after init --database).
 *
 * Order of work, so that a refusal changes nothing:
 *   1. the target is opened, its schema made when it has none;
 *   2. one write transaction on the target, which must hold no store: no
 *      row beyond those a new schema makes (meta's mark, the project
 *      "default"), which the copy replaces;
 *   3. the source's write transaction, i.e. its write lock, held while it
 *      is read: one consistent snapshot, no write interleaved, nothing
 *      written; its rows are checked against their MACs first;
 *   4. every table copied in the order of sqldb_tables (parents first),
 *      but the transient console_sessions: the sessions stay with the
 *      source (a session signed out there after the copy must not live
 *      on in the target; users sign in again once servers use it);
 *      the database's generated ids moved past the copied ones; each
 *      table read back from the target and its row count and checksum
 *      compared with the source's;
 *   5. the target's rows checked against their MACs under the key, inside
 *      its transaction, which commits only when all of this held.
 * What step 1 made (directory, key file, schema) is removed on failure.
 *
 * The checksum of a table is SHA-256 over the SHA-256 of each row's
 * canonical encoding (per column: 'N' for NULL, else 'I' and 8 bytes
 * big-endian, or 'T'/'B' and an 8-byte length and the bytes), in the
 * order of the table's integer column "order", else sorted, since the
 * two engines sort text differently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "store/sqldb.h"
#include "store/store_int.h"
#include "store/store_write.h"
#include "util/buf.h"
#include "util/fileio.h"

/* Bytes of a SHA-256 digest. */
#define DIGEST_LEN 32

/* One side of the copy: a driver and its open database. */
struct side {
	const sqldb_driver *drv; /**< the engine */
	sqldb *db;               /**< the open database */
	const char *where;       /**< the store's database, for messages */
};

/* What opening the target made, to remove on failure. */
struct made {
	char *dir;    /**< the store directory made, or NULL */
	int key;      /**< the key file was written */
	int db;       /**< the database's schema was made */
};

/* rc with the message "LEAD: <the last message>". */
static int with_cause(int rc, const char *lead)
{
	char why[768];

	snprintf(why, sizeof(why), "%s", svc_error_last());
	return error_set(rc, "%s: %s", lead, why);
}

static void side_of(struct side *s, svc_store *st)
{
	s->drv = store_rows_sqldb(&s->db, st->be);
	s->where = st->db_path;
}

/* ---- SQL of a table ---------------------------------------------------- */

/* The columns t->columns names. */
static size_t column_count(const sqldb_table *t)
{
	const char *p;
	size_t n = 1;

	for (p = t->columns; *p; p++)
		n += *p == ',';
	return n;
}

/* SELECT of t's columns, in its order when it has one. */
static int sql_select(svc_buf *b, const sqldb_table *t)
{
	buf_reset(b);
	return t->order ? buf_printf(b, "SELECT %s FROM %s ORDER BY %s",
				     t->columns, t->name, t->order)
			: buf_printf(b, "SELECT %s FROM %s", t->columns,
				     t->name);
}

/* "INSERT INTO t (columns)": the head of t's batch of rows. */
static int sql_insert(svc_buf *b, const sqldb_table *t)
{
	buf_reset(b);
	return buf_printf(b, "INSERT INTO %s (%s)", t->name, t->columns);
}

/* ---- rows -------------------------------------------------------------- */

/*
 * Column i of s's current row: its kind ('N' for NULL, else the type
 * letter), integer or bytes.  A blob of no bytes is "" (never NULL).
 */
static char column_get(const struct side *s, sqldb_stmt *st, int i,
		       char type, long long *v, const void **p, size_t *len)
{
	if (s->drv->col_null(st, i))
		return 'N';
	if (type == 'I') {
		*v = s->drv->col_int(st, i);
		return 'I';
	}
	if (type == 'B') {
		if (!(*p = s->drv->col_blob(st, i, len))) {
			*p = "";
			*len = 0;
		}
		return 'B';
	}
	if (!(*p = s->drv->col_text(st, i)))
		*p = "";
	*len = strlen(*p);
	return 'T';
}

/*
 * The digest of s's current row of t into dig; with ins (the target's
 * batch of rows), the row added to it as well.
 */
static int row_take(svc_buf *dig, svc_buf *enc, const struct side *s,
		    sqldb_stmt *st, const sqldb_table *t, sqldb_batch *ins)
{
	unsigned char d[DIGEST_LEN];
	size_t i, n = strlen(t->types), len = 0;
	const void *p = NULL;
	long long v = 0;
	char kind;
	int rc = 0;

	buf_reset(enc);
	for (i = 0; i < n && rc == 0; i++) {
		kind = column_get(s, st, (int)i, t->types[i], &v, &p, &len);
		if ((rc = buf_putc(enc, kind)) != 0)
			break;
		if (kind == 'I')
			rc = store_enc_u64(enc, (unsigned long long)v);
		else if (kind != 'N' && (rc = store_enc_u64(enc, len)) == 0)
			rc = buf_put(enc, p, len);
		if (rc || !ins)
			continue;
		if (kind == 'N')
			rc = sqldb_batch_text(ins, NULL, 0);
		else if (kind == 'I')
			rc = sqldb_batch_int(ins, v);
		else if (kind == 'B')
			rc = sqldb_batch_blob(ins, p, len);
		else
			rc = sqldb_batch_text(ins, p, len);
	}
	if (rc == 0 && ins)
		rc = sqldb_batch_row(ins);
	if (rc)
		return rc;
	if (!EVP_Digest(enc->ptr ? (void *)enc->ptr : (void *)"", enc->len,
			d, NULL, EVP_sha256(), NULL))
		return error_set(SVC_ERROR, "cannot compute a checksum");
	return buf_put(dig, d, sizeof(d));
}

static int digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST_LEN);
}

/* The checksum of t over its rows' digests dig, as hex into out. */
static int table_sum(char out[2 * DIGEST_LEN + 1], svc_buf *dig,
		     const sqldb_table *t)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[DIGEST_LEN];
	size_t i, n = dig->len / DIGEST_LEN;

	if (!t->order && n > 1)
		qsort(dig->ptr, n, DIGEST_LEN, digest_cmp);
	if (!EVP_Digest(dig->ptr ? (void *)dig->ptr : (void *)"", dig->len,
			d, NULL, EVP_sha256(), NULL))
		return error_set(SVC_ERROR, "cannot compute a checksum");
	for (i = 0; i < DIGEST_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * DIGEST_LEN] = '\0';
	return 0;
}

/*
 * Read every row of t from s (copying each into to when to is not NULL):
 * its row count and checksum into r.
 */
static int table_walk(svc_migrate_table *r, const struct side *s,
		      const sqldb_table *t, const struct side *to)
{
	svc_buf sql = SVC_BUF_INIT, isql = SVC_BUF_INIT, enc = SVC_BUF_INIT,
		dig = SVC_BUF_INIT;
	sqldb_batch *ins = NULL;
	sqldb_stmt *st = NULL;
	long long rows = 0;
	int rc;

	if ((rc = sql_select(&sql, t)) != 0 ||
	    (to && ((rc = sql_insert(&isql, t)) != 0 ||
		    (rc = sqldb_batch_new(&ins, to->drv, to->db, isql.ptr,
					  strlen(t->types), NULL,
					  "copy rows")) != 0)) ||
	    (rc = s->drv->prepare(&st, s->db, sql.ptr, "read a table")) != 0)
		goto done;
	while ((rc = s->drv->step(st)) == 1) {
		if ((rc = row_take(&dig, &enc, s, st, t, ins)) != 0)
			break;
		rows++;
	}
	if (rc == 0 && ins)
		rc = sqldb_batch_flush(ins);
	if (rc < 0) {
		char lead[256];

		snprintf(lead, sizeof(lead), "cannot copy table '%s' from '%s'",
			 t->name, s->where);
		rc = with_cause(rc, lead);
		goto done;
	}
	r->table = t->name;
	r->rows = rows;
	rc = table_sum(r->checksum, &dig, t);
done:
	sqldb_batch_free(ins);
	s->drv->finalize(st);
	buf_clear(&sql);
	buf_clear(&isql);
	buf_clear(&enc);
	buf_clear(&dig);
	return rc;
}

/* One integer from sql on s. */
static int query_count(long long *out, const struct side *s, const char *sql)
{
	sqldb_stmt *st = NULL;
	int rc;

	if ((rc = s->drv->prepare(&st, s->db, sql, "count rows")) != 0)
		return rc;
	if ((rc = s->drv->step(st)) == 1)
		*out = s->drv->col_int(st, 0);
	else if (rc == 0)
		rc = error_set(SVC_ERROR, "cannot count rows in '%s'",
			       s->where);
	s->drv->finalize(st);
	return rc < 0 ? rc : 0;
}

/*
 * Inside the target's write transaction: refuse a target holding any row
 * beyond what a new schema makes, then remove those (the copy brings the
 * source's).
 */
static int target_clear(const struct side *s)
{
	svc_buf sql = SVC_BUF_INIT;
	sqldb_stmt *st = NULL;
	long long n = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < sqldb_table_count && rc == 0; i++) {
		const sqldb_table *t = &sqldb_tables[i];

		buf_reset(&sql);
		if ((rc = t->seed ? buf_printf(&sql,
					       "SELECT count(*) FROM %s WHERE NOT (%s)",
					       t->name, t->seed)
				  : buf_printf(&sql, "SELECT count(*) FROM %s",
					       t->name)) != 0 ||
		    (rc = query_count(&n, s, sql.ptr)) != 0)
			break;
		if (n > 0)
			rc = error_set(SVC_EEXISTS,
				       "target '%s' is not empty: table '%s' has %lld row%s (migrate needs a database without a store: do not run 'svcconn init' on it)",
				       s->where, t->name, n, n == 1 ? "" : "s");
	}
	for (i = 0; i < sqldb_table_count && rc == 0; i++) {
		if (!sqldb_tables[i].seed)
			continue;
		buf_reset(&sql);
		if ((rc = buf_printf(&sql, "DELETE FROM %s",
				     sqldb_tables[i].name)) != 0 ||
		    (rc = s->drv->prepare(&st, s->db, sql.ptr,
					  "clear the target")) != 0)
			break;
		rc = s->drv->step(st);
		s->drv->finalize(st);
		st = NULL;
	}
	buf_clear(&sql);
	return rc < 0 ? rc : 0;
}

/*
 * Copy every table from src to dst (both in their transactions) and read
 * each back: out[i] for sqldb_tables[i].
 */
static int tables_copy(svc_migrate_table *out, const struct side *src,
		       const struct side *dst)
{
	svc_migrate_table back;
	size_t i;
	int rc = 0;

	for (i = 0; i < sqldb_table_count && rc == 0; i++) {
		const sqldb_table *t = &sqldb_tables[i];

		if (column_count(t) != strlen(t->types))
			return error_set(SVC_ERROR,
					 "table '%s' of sqldb_tables has %zu columns and %zu types",
					 t->name, column_count(t),
					 strlen(t->types));
		/* a transient table is read from the target, where the
		 * copy leaves it empty */
		if ((rc = t->transient ? table_walk(&out[i], dst, t, NULL)
				       : table_walk(&out[i], src, t, dst)) != 0 ||
		    (t->identity &&
		     (rc = dst->drv->identity_sync(dst->db, t->name,
						   t->identity)) != 0) ||
		    (rc = table_walk(&back, dst, t, NULL)) != 0)
			break;
		if (back.rows != out[i].rows ||
		    strcmp(back.checksum, out[i].checksum) != 0)
			rc = error_set(SVC_ECRYPTO,
				       "table '%s' differs after the copy: '%s' has %lld rows (checksum %s), '%s' read back %lld (checksum %s); nothing was migrated",
				       t->name, src->where, out[i].rows,
				       out[i].checksum, dst->where, back.rows,
				       back.checksum);
	}
	return rc;
}

/* ---- the target -------------------------------------------------------- */

/* dir/name into a new string, or NULL. */
static char *path_join(const char *dir, const char *name)
{
	svc_buf b = SVC_BUF_INIT;

	if (buf_printf(&b, "%s/%s", dir, name) != 0) {
		buf_clear(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * A store handle for the target at to (a PostgreSQL location, else a
 * store directory), its database opened (its schema made when it had
 * none) and, for a directory, the source's key file copied in.
 */
static int target_open(svc_store **out, struct made *m, svc_store *src,
		       const char *to)
{
	int pg = sqldb_driver_for(to) == &sqldb_postgresql;
	svc_store *dst = calloc(1, sizeof(*dst));
	struct stat sb;
	crypto_key k;
	char *loc;
	int rc;

	memset(&k, 0, sizeof(k));
	if (!dst)
		return error_oom();
	dst->ops = &store_rows_ops;
	if (pg) {
		if (!(dst->home = strdup(src->home)) ||
		    !(dst->key_file = strdup(src->key_file)) ||
		    !(dst->db_location = strdup(to)))
			goto oom;
		if ((rc = sqldb_pg_redact(&dst->db_path, to)) != 0)
			goto fail;
	} else {
		if (!*to) {
			rc = error_set(SVC_EINVALID, "no target given");
			goto fail;
		}
		if (lstat(to, &sb) != 0 && errno == ENOENT &&
		    !(m->dir = strdup(to)))
			goto oom;
		if (!(dst->home = strdup(to)) ||
		    !(dst->key_file = path_join(to, STORE_KEY_NAME)) ||
		    !(dst->db_location = path_join(to, STORE_DB_NAME)) ||
		    !(dst->db_path = strdup(dst->db_location)) ||
		    !(loc = path_join(to, STORE_DB_LOCATION_NAME)))
			goto oom;
		rc = lstat(loc, &sb) == 0
			     ? error_set(SVC_EEXISTS,
					 "'%s' names a PostgreSQL database: give its location to --to",
					 loc)
			     : 0;
		free(loc);
		if (rc || (rc = dir_ensure_private(to)) != 0)
			goto fail;
	}
	rc = dst->ops->open(&dst->be, dst->db_location, 0);
	if (rc == SVC_ENOTFOUND) {
		rc = dst->ops->open(&dst->be, dst->db_location, 1);
		m->db = rc == 0;
	}
	if (rc)
		goto fail;
	if (!pg) {
		rc = crypto_key_load(&k, dst->key_file);
		if (rc == SVC_ENOTFOUND) {
			if ((rc = crypto_key_write(&src->key,
						   dst->key_file)) != 0)
				goto fail;
			m->key = 1;
		} else if (rc) {
			goto fail;
		} else if (strcmp(k.id, src->key.id) != 0) {
			rc = error_set(SVC_ECRYPTO,
				       "master key '%s' (key id %s) is not the key of the store migrated (key id %s)",
				       dst->key_file, k.id, src->key.id);
			goto fail;
		}
	}
	/* the rows are the source's, under its key */
	memcpy(&dst->key, &src->key, sizeof(dst->key));
	crypto_key_wipe(&k);
	*out = dst;
	return 0;
oom:
	rc = error_oom();
fail:
	crypto_key_wipe(&k);
	*out = dst; /* for target_undo */
	return rc;
}

/* Remove what target_open made, and free dst. */
static void target_undo(svc_store *dst, struct made *m)
{
	if (dst && dst->be) {
		dst->ops->close(dst->be);
		dst->be = NULL;
	}
	if (dst && m->db)
		dst->ops->remove(dst->db_location);
	if (dst && m->key)
		unlink(dst->key_file);
	if (m->dir)
		rmdir(m->dir);
	free(m->dir);
	svc_store_free(dst);
}

/* ---- migrate ----------------------------------------------------------- */

int store_migrate(svc_migrate_table **out, size_t *count, svc_store *st,
		  const char *to)
{
	svc_migrate_table *res = calloc(sqldb_table_count, sizeof(*res));
	struct made m = { NULL, 0, 0 };
	struct side src, dst;
	svc_store *tg = NULL;
	int rc, src_open = 0;

	if (!res)
		return error_oom();
	if ((rc = target_open(&tg, &m, st, to)) != 0)
		goto fail;
	side_of(&src, st);
	side_of(&dst, tg);
	/* the target first: a store (or the source itself) is refused
	 * before the source's lock is taken */
	if ((rc = tg->ops->begin(tg->be, 1)) != 0)
		goto fail;
	if ((rc = target_clear(&dst)) != 0) {
		tg->ops->rollback(tg->be);
		goto fail;
	}
	if ((rc = store_tx_write(st)) == 0) {
		src_open = 1;
		rc = store_rows_verify_all(st);
	}
	if (rc == 0)
		rc = tables_copy(res, &src, &dst);
	if (rc == 0 && (rc = store_rows_verify_all(tg)) != 0)
		rc = with_cause(rc, "the copy fails its integrity check");
	rc = store_tx_end(tg, rc);
	if (src_open) {
		st->ops->rollback(st->be);
		store_mcache_end(st, 0);
	}
	if (rc)
		goto fail;
	m.db = m.key = 0;
	free(m.dir);
	m.dir = NULL;
	target_undo(tg, &m);
	*out = res;
	*count = sqldb_table_count;
	return 0;
fail:
	target_undo(tg, &m);
	free(res);
	return rc;
}
