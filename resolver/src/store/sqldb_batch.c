/*
 * sqldb_batch.c - many rows of one table written with one statement
 * (sqldb.h): the batches of an import and of `svcconn migrate`.
 *
 * A batch holds rows for "HEAD VALUES (...), (...) TAIL" in the common
 * dialect, written once for every engine: HEAD is "INSERT INTO t (a, b)",
 * TAIL an ON CONFLICT clause or "".  Values are copied into the batch as
 * they are given (both drivers keep pointers to what is bound until the
 * statement runs: SQLITE_STATIC, and libpq's parameter arrays), in one
 * buffer that is wiped on growth and free, and described by kind and
 * offset, so that growing the buffer moves nothing a statement points to.
 * The rows run as one statement when SQLDB_BATCH_ROWS are held or their
 * parameters would pass SQLDB_BATCH_PARAMS (under SQLite's 32766 and
 * PostgreSQL's 65535), and when flushed.  A statement changes rows inside
 * the caller's write transaction like any other: on a unique key taken it
 * fails with SVC_EEXISTS and none of its rows is written, and the
 * transaction stays usable (SQLite undoes the one statement; the
 * PostgreSQL driver runs it under a savepoint).  Rows are inserted in the
 * order they were given, so a table's generated ids and "rowid" keep it.
 */
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "store/sqldb.h"
#include "util/buf.h"

/* Most rows of one statement. */
#define SQLDB_BATCH_ROWS 500
/* Most parameters of one statement. */
#define SQLDB_BATCH_PARAMS 30000
/* Largest size of the values a batch holds. */
#define SQLDB_BATCH_DATA_MAX ((size_t)256 << 20)

/* One value given to the batch. */
struct bval {
	char kind;     /**< 'N' NULL, 'T' text, 'B' bytes, 'I' integer */
	size_t off;    /**< T, B: where its bytes start in data */
	size_t len;    /**< T, B: how many */
	long long v;   /**< I: the integer */
};

struct sqldb_batch {
	const sqldb_driver *drv; /**< the engine */
	sqldb *db;               /**< the database, in a write transaction */
	char *head;              /**< "INSERT INTO t (a, b)" */
	char *tail;              /**< text after the rows, maybe "" */
	char *doing;             /**< for messages */
	size_t ncols;            /**< values per row */
	size_t maxrows;          /**< rows of one statement */
	svc_buf data;            /**< the bytes of T and B values */
	struct bval *vals;       /**< maxrows * ncols values */
	size_t nvals;            /**< values given */
};

int sqldb_batch_new(sqldb_batch **out, const sqldb_driver *drv, sqldb *db,
		    const char *head, size_t ncols, const char *tail,
		    const char *doing)
{
	sqldb_batch *b;

	if (ncols == 0 || ncols > SQLDB_BATCH_PARAMS)
		return error_set(SVC_EINVALID,
				 "cannot %s: a batch of %zu columns", doing,
				 ncols);
	if (!(b = calloc(1, sizeof(*b))))
		return error_oom();
	b->drv = drv;
	b->db = db;
	b->ncols = ncols;
	b->maxrows = SQLDB_BATCH_PARAMS / ncols;
	if (b->maxrows > SQLDB_BATCH_ROWS)
		b->maxrows = SQLDB_BATCH_ROWS;
	buf_init(&b->data, SQLDB_BATCH_DATA_MAX, 1);
	if (!(b->head = strdup(head)) || !(b->tail = strdup(tail ? tail : "")) ||
	    !(b->doing = strdup(doing)) ||
	    !(b->vals = calloc(b->maxrows * ncols, sizeof(*b->vals)))) {
		sqldb_batch_free(b);
		return error_oom();
	}
	*out = b;
	return 0;
}

void sqldb_batch_free(sqldb_batch *b)
{
	if (!b)
		return;
	buf_clear(&b->data);
	free(b->vals);
	free(b->head);
	free(b->tail);
	free(b->doing);
	free(b);
}

size_t sqldb_batch_rows(const sqldb_batch *b)
{
	return b->nvals / b->ncols;
}

size_t sqldb_batch_room(const sqldb_batch *b)
{
	return b->maxrows - sqldb_batch_rows(b);
}

/* Room for the next value; NULL when the rows are full (row() not called). */
static struct bval *next_val(sqldb_batch *b)
{
	if (b->nvals >= b->maxrows * b->ncols) {
		error_set(SVC_EINVALID,
			  "cannot %s: more values than a batch holds",
			  b->doing);
		return NULL;
	}
	return &b->vals[b->nvals];
}

/* A value of bytes (text or blob) of kind, NULL for NULL. */
static int put_bytes(sqldb_batch *b, char kind, const void *p, size_t len)
{
	struct bval *v = next_val(b);
	int rc;

	if (!v)
		return SVC_EINVALID;
	memset(v, 0, sizeof(*v));
	v->kind = p ? kind : 'N';
	if (p) {
		v->off = b->data.len;
		v->len = len;
		if (len && (rc = buf_put(&b->data, p, len)) != 0)
			return rc;
	}
	b->nvals++;
	return 0;
}

int sqldb_batch_text(sqldb_batch *b, const char *s, size_t len)
{
	return put_bytes(b, 'T', s, len);
}

int sqldb_batch_blob(sqldb_batch *b, const void *p, size_t len)
{
	return put_bytes(b, 'B', p, len);
}

int sqldb_batch_int(sqldb_batch *b, long long v)
{
	struct bval *bv = next_val(b);

	if (!bv)
		return SVC_EINVALID;
	memset(bv, 0, sizeof(*bv));
	bv->kind = 'I';
	bv->v = v;
	b->nvals++;
	return 0;
}

/* The statement for n rows: HEAD VALUES (?1, ...), (...) TAIL. */
static int batch_sql(svc_buf *sql, const sqldb_batch *b, size_t n)
{
	size_t r, c, p = 1;
	int rc;

	rc = buf_printf(sql, "%s VALUES ", b->head);
	for (r = 0; r < n && rc == 0; r++) {
		rc = buf_puts(sql, r ? ", (" : "(");
		for (c = 0; c < b->ncols && rc == 0; c++, p++)
			rc = buf_printf(sql, "%s?%zu", c ? ", " : "", p);
		if (rc == 0)
			rc = buf_putc(sql, ')');
	}
	if (rc == 0 && *b->tail)
		rc = buf_printf(sql, " %s", b->tail);
	return rc;
}

/* Bind value v as parameter i of st. */
static int bind_val(const sqldb_batch *b, sqldb_stmt *st, int i,
		    const struct bval *v)
{
	const char *p = b->data.ptr ? b->data.ptr + v->off : "";

	switch (v->kind) {
	case 'I':
		return b->drv->bind_int(st, i, v->v);
	case 'B':
		/* an empty blob is bytes, never NULL */
		return b->drv->bind_blob(st, i, v->len ? p : "", v->len);
	case 'T':
		return b->drv->bind_text(st, i, v->len ? p : "", v->len);
	default:
		return b->drv->bind_text(st, i, NULL, 0);
	}
}

int sqldb_batch_flush(sqldb_batch *b)
{
	size_t n = sqldb_batch_rows(b), i;
	svc_buf sql = SVC_BUF_INIT;
	sqldb_stmt *st = NULL;
	int rc;

	if (b->nvals != n * b->ncols)
		return error_set(SVC_EINVALID,
				 "cannot %s: a row is not finished", b->doing);
	if (n == 0)
		return 0;
	if ((rc = batch_sql(&sql, b, n)) == 0)
		rc = b->drv->prepare(&st, b->db, sql.ptr, b->doing);
	for (i = 0; i < b->nvals && rc == 0; i++)
		rc = bind_val(b, st, (int)i + 1, &b->vals[i]);
	if (rc == 0)
		rc = b->drv->step(st);
	b->drv->finalize(st);
	buf_clear(&sql);
	/* written or failed: the rows are not held any more */
	buf_reset(&b->data);
	b->nvals = 0;
	return rc < 0 ? rc : 0;
}

int sqldb_batch_row(sqldb_batch *b)
{
	if (b->nvals == 0 || b->nvals % b->ncols != 0)
		return error_set(SVC_EINVALID,
				 "cannot %s: a row of %zu values is not finished",
				 b->doing, b->ncols);
	return sqldb_batch_rows(b) >= b->maxrows ? sqldb_batch_flush(b) : 0;
}
