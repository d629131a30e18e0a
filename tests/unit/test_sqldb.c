/*
 * test_sqldb.c - the SQL drivers of sqldb.h, each against its real engine.
 *
 * The same tests run on SQLite (a file in a temporary directory) and, as
 * test_sqldb_pg, on PostgreSQL (a fresh database on the ctest fixture's
 * server, $SVCCONN_TEST_PG): the common dialect's placeholders, NOCASE
 * names, RETURNING, changes, unique keys, blobs and NULLs, batches of
 * rows (sqldb_batch.c), one writer at a
 * time across connections, the data version, and (PostgreSQL) a server
 * that goes away and comes back, a connection ended under an idle
 * handle (reconnected at the next begin, its session settings applied
 * again), one that refuses writes as read-only (a standby's), and the
 * statements the driver keeps prepared (checked in the session's own
 * pg_prepared_statements): once per text and parameter types, none for
 * a statement that fails to prepare, made again after a reconnection,
 * and bounded.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "svcconn/errors.h"
#include "store/sqldb.h"
#include "util/buf.h"

/* One database for a test, and the driver it is opened with. */
struct fx {
	const sqldb_driver *d; /**< the driver under test */
	char *dir;             /**< temporary directory */
	char *loc;             /**< the database's location */
	sqldb *db;             /**< open on loc */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	if ((f->loc = tu_pg_database()) != NULL) {
		f->d = &sqldb_postgresql;
	} else {
		f->d = &sqldb_sqlite;
		f->loc = tu_path(f->dir, "store.db");
	}
	assert_ptr_equal(sqldb_driver_for(f->loc), f->d);
	assert_int_equal(f->d->open(&f->db, f->loc, 1), 0);
	*state = f;
	return 0;
}

static void pg_sh(const char *cmd, const char *dir);

static int teardown(void **state)
{
	struct fx *f = *state;
	char *pgdir = tu_path(f->dir, "pg");

	/* a server of test_pg_unavailable's that a failure left running */
	if (access(pgdir, F_OK) == 0)
		pg_sh("stop", pgdir);
	free(pgdir);
	f->d->close(f->db);
	tu_rm_rf(f->dir);
	free(f->dir);
	free(f->loc);
	free(f);
	return 0;
}

/* Prepare sql on db, bind the strings given (NULL: SQL NULL), step once. */
static int run1(const sqldb_driver *d, sqldb *db, sqldb_stmt **out,
		const char *sql, int n, const char *const *args)
{
	sqldb_stmt *st;
	int i, rc;

	assert_int_equal(d->prepare(&st, db, sql, "test"), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(d->bind_text(st, i + 1, args[i],
					      args[i] ? strlen(args[i]) : 0), 0);
	rc = d->step(st);
	if (out)
		*out = st;
	else
		d->finalize(st);
	return rc;
}

/* The default project's id, as a new string. */
static char *default_project(struct fx *f)
{
	sqldb_stmt *st;
	char *id;

	assert_int_equal(run1(f->d, f->db, &st, "SELECT id FROM projects "
			      "WHERE name = 'default'", 0, NULL), 1);
	id = strdup(f->d->col_text(st, 0));
	f->d->finalize(st);
	return id;
}

/* Placeholders (in any order, not inside strings), NOCASE, duplicates. */
static void test_names(void **state)
{
	struct fx *f = *state;
	const char *ins[] = { "p1", "Team Web", "alice", "2026-01-01T00:00:00Z" };
	const char *dup[] = { "p2", "team WEB", "bob", "2026-01-01T00:00:00Z" };
	const char *look[] = { "TEAM web" };
	sqldb_stmt *st;

	assert_int_equal(f->d->begin(f->db, 1), 0);
	/* ?4 before ?1, and a '?3' inside a string stays text */
	assert_int_equal(run1(f->d, f->db, NULL,
			      "INSERT INTO projects (created_at, id, name, "
			      "description, created_by) VALUES "
			      "(?4, ?1, ?2, 'what ?3 says', ?3)", 4, ins), 0);
	assert_int_equal(f->d->changes(f->db), 1);
	assert_int_equal(run1(f->d, f->db, NULL,
			      "INSERT INTO projects (created_at, id, name, "
			      "description, created_by) VALUES "
			      "(?4, ?1, ?2, '', ?3)", 4, dup), SVC_EEXISTS);
	f->d->rollback(f->db);
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(run1(f->d, f->db, NULL,
			      "INSERT INTO projects (created_at, id, name, "
			      "description, created_by) VALUES "
			      "(?4, ?1, ?2, 'what ?3 says', ?3)", 4, ins), 0);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(run1(f->d, f->db, &st,
			      "SELECT id, name, description, created_by, "
			      "name = ?1 COLLATE NOCASE FROM projects "
			      "WHERE name = ?1", 1, look), 1);
	assert_string_equal(f->d->col_text(st, 0), "p1");
	assert_string_equal(f->d->col_text(st, 1), "Team Web");
	assert_string_equal(f->d->col_text(st, 2), "what ?3 says");
	assert_string_equal(f->d->col_text(st, 3), "alice");
	/* a boolean result reads as 1 (PostgreSQL's "t") */
	assert_int_equal(f->d->col_int(st, 4), 1);
	assert_int_equal(f->d->step(st), 0);
	f->d->finalize(st);
}

/* RETURNING gives generated ids; changes counts an update's rows. */
static void test_returning_changes(void **state)
{
	struct fx *f = *state;
	const char *a[] = { "t", "alice", "create" };
	sqldb_stmt *st;
	long long first, second;

	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(run1(f->d, f->db, &st, "INSERT INTO audit (at, actor, "
			      "action) VALUES (?1, ?2, ?3) RETURNING seq",
			      3, a), 1);
	first = f->d->col_int(st, 0);
	assert_int_equal(f->d->step(st), 0);
	f->d->finalize(st);
	assert_int_equal(run1(f->d, f->db, &st, "INSERT INTO audit (at, actor, "
			      "action) VALUES (?1, ?2, ?3) RETURNING seq",
			      3, a), 1);
	second = f->d->col_int(st, 0);
	f->d->finalize(st);
	assert_true(first > 0);
	assert_true(second > first);
	assert_int_equal(f->d->prepare(&st, f->db, "UPDATE audit SET actor = ?1 "
				       "WHERE action = ?2 AND seq >= ?3",
				       "test"), 0);
	assert_int_equal(f->d->bind_text(st, 1, "bob", 3), 0);
	assert_int_equal(f->d->bind_text(st, 2, "create!", 6), 0);
	assert_int_equal(f->d->bind_int(st, 3, first), 0);
	assert_int_equal(f->d->step(st), 0);
	f->d->finalize(st);
	assert_int_equal(f->d->changes(f->db), 2);
	assert_int_equal(f->d->commit(f->db), 0);
}

/* Blobs with NUL bytes come back whole; NULL binds read as NULL. */
static void test_blob_null(void **state)
{
	struct fx *f = *state;
	static const unsigned char blob[] = { 0, 'a', 0, 0xff, '\\', 'x', 0 };
	char *proj = default_project(f);
	sqldb_stmt *st;
	const void *p;
	size_t len;

	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(f->d->prepare(&st, f->db, "INSERT INTO access_tokens "
				       "(id, hash, owner, name, scopes, created,"
				       " expires) VALUES (?1, ?2, ?3, ?3, ?3, "
				       "?4, ?4)", "test"), 0);
	assert_int_equal(f->d->bind_text(st, 1, "tok", 3), 0);
	assert_int_equal(f->d->bind_blob(st, 2, blob, sizeof(blob)), 0);
	assert_int_equal(f->d->bind_text(st, 3, "alice", 5), 0);
	assert_int_equal(f->d->bind_int(st, 4, 1LL << 40), 0);
	assert_int_equal(f->d->step(st), 0);
	f->d->finalize(st);
	/* a connection with NULL scheme, url and description */
	assert_int_equal(f->d->prepare(&st, f->db, "INSERT INTO connections "
				       "(id, project_id, name, type, scheme, url,"
				       " description, created_by, created_at, "
				       "updated_by, updated_at) VALUES (?1, ?2, "
				       "?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8, ?8)",
				       "test"), 0);
	assert_int_equal(f->d->bind_text(st, 1, "c1", 2), 0);
	assert_int_equal(f->d->bind_text(st, 2, proj, strlen(proj)), 0);
	assert_int_equal(f->d->bind_text(st, 3, "gh", 2), 0);
	assert_int_equal(f->d->bind_text(st, 4, "github", 6), 0);
	assert_int_equal(f->d->bind_text(st, 5, NULL, 0), 0);
	assert_int_equal(f->d->bind_text(st, 6, NULL, 0), 0);
	assert_int_equal(f->d->bind_blob(st, 7, NULL, 0), 0);
	assert_int_equal(f->d->bind_text(st, 8, "x", 1), 0);
	assert_int_equal(f->d->step(st), 0);
	f->d->finalize(st);
	assert_int_equal(f->d->commit(f->db), 0);

	assert_int_equal(run1(f->d, f->db, &st, "SELECT hash, created FROM "
			      "access_tokens WHERE id = 'tok'", 0, NULL), 1);
	p = f->d->col_blob(st, 0, &len);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(p, blob, sizeof(blob));
	assert_int_equal(f->d->col_int(st, 1), 1LL << 40);
	f->d->finalize(st);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT scheme, url, "
			      "description, name FROM connections", 0, NULL), 1);
	assert_true(f->d->col_null(st, 0));
	assert_null(f->d->col_text(st, 1));
	assert_null(f->d->col_blob(st, 2, &len));
	assert_int_equal(f->d->col_int(st, 2), 0);
	assert_false(f->d->col_null(st, 3));
	f->d->finalize(st);
	free(proj);
}

/* Rows of the batch test's tokens: more than one statement holds. */
#define BATCH_TOKENS 1200

/* Add token id to b: a hash of n bytes with NUL bytes in it, created n. */
static void batch_token(sqldb_batch *b, const char *id, size_t n)
{
	unsigned char hash[64];
	size_t i;

	for (i = 0; i < sizeof(hash); i++)
		hash[i] = (unsigned char)(i % 3 ? i + n : 0);
	assert_int_equal(sqldb_batch_text(b, id, strlen(id)), 0);
	assert_int_equal(sqldb_batch_blob(b, hash, n % sizeof(hash)), 0);
	assert_int_equal(sqldb_batch_text(b, "alice", 5), 0);
	assert_int_equal(sqldb_batch_text(b, "ci", 2), 0);
	assert_int_equal(sqldb_batch_text(b, "", 0), 0);
	assert_int_equal(sqldb_batch_int(b, (1LL << 40) + (long long)n), 0);
	assert_int_equal(sqldb_batch_int(b, 1LL << 41), 0);
}

/*
 * The batch API (sqldb_batch.c) on the engine: rows over several
 * statements with blobs holding NUL bytes (and empty ones) and NULLs read
 * back as written; a duplicate key in the middle of a batch is
 * SVC_EEXISTS, writes none of its rows, and leaves the transaction usable.
 */
static void test_batch(void **state)
{
	struct fx *f = *state;
	char *proj = default_project(f), id[32];
	unsigned char want[64];
	sqldb_batch *b = NULL;
	sqldb_stmt *st;
	const void *p;
	size_t len, i;

	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(sqldb_batch_new(&b, f->d, f->db, "INSERT INTO "
					 "access_tokens (id, hash, owner, name, "
					 "scopes, created, expires)", 7, NULL,
					 "test"), 0);
	for (i = 0; i < BATCH_TOKENS; i++) {
		snprintf(id, sizeof(id), "t%04zu", i);
		batch_token(b, id, i);
		assert_int_equal(sqldb_batch_row(b), 0);
	}
	assert_int_equal(sqldb_batch_flush(b), 0);
	/* a row not finished is refused */
	assert_int_equal(sqldb_batch_text(b, "half", 4), 0);
	assert_int_equal(sqldb_batch_flush(b), SVC_EINVALID);
	sqldb_batch_free(b);
	b = NULL;
	/* NULLs: a connection without scheme, URL and description */
	assert_int_equal(sqldb_batch_new(&b, f->d, f->db, "INSERT INTO "
					 "connections (id, project_id, name, "
					 "type, scheme, url, description, "
					 "created_by, created_at, updated_by, "
					 "updated_at)", 11, "", "test"), 0);
	assert_int_equal(sqldb_batch_text(b, "c1", 2), 0);
	assert_int_equal(sqldb_batch_text(b, proj, strlen(proj)), 0);
	assert_int_equal(sqldb_batch_text(b, "gh", 2), 0);
	assert_int_equal(sqldb_batch_text(b, "github", 6), 0);
	assert_int_equal(sqldb_batch_text(b, NULL, 0), 0);
	assert_int_equal(sqldb_batch_text(b, NULL, 0), 0);
	assert_int_equal(sqldb_batch_blob(b, NULL, 0), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(sqldb_batch_text(b, "x", 1), 0);
	assert_int_equal(sqldb_batch_row(b), 0);
	assert_int_equal(sqldb_batch_rows(b), 1);
	assert_int_equal(sqldb_batch_flush(b), 0);
	assert_int_equal(sqldb_batch_rows(b), 0);
	sqldb_batch_free(b);
	b = NULL;
	assert_int_equal(f->d->commit(f->db), 0);

	assert_int_equal(run1(f->d, f->db, &st, "SELECT count(*) FROM "
			      "access_tokens", 0, NULL), 1);
	assert_int_equal(f->d->col_int(st, 0), BATCH_TOKENS);
	f->d->finalize(st);
	for (i = 0; i < BATCH_TOKENS; i += 499) {
		const char *args[1] = { id };
		size_t j;

		snprintf(id, sizeof(id), "t%04zu", i);
		for (j = 0; j < sizeof(want); j++)
			want[j] = (unsigned char)(j % 3 ? j + i : 0);
		assert_int_equal(run1(f->d, f->db, &st, "SELECT hash, created "
				      "FROM access_tokens WHERE id = ?1", 1,
				      args), 1);
		p = f->d->col_blob(st, 0, &len);
		assert_int_equal(len, i % sizeof(want));
		/* an empty blob is bytes, not NULL */
		assert_false(f->d->col_null(st, 0));
		if (len)
			assert_memory_equal(p, want, len);
		assert_int_equal(f->d->col_int(st, 1), (1LL << 40) + (long long)i);
		f->d->finalize(st);
	}
	assert_int_equal(run1(f->d, f->db, &st, "SELECT scheme, url, "
			      "description, name FROM connections", 0, NULL), 1);
	assert_true(f->d->col_null(st, 0));
	assert_true(f->d->col_null(st, 1));
	assert_true(f->d->col_null(st, 2));
	assert_string_equal(f->d->col_text(st, 3), "gh");
	f->d->finalize(st);

	/* a duplicate key in the middle of a batch */
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(sqldb_batch_new(&b, f->d, f->db, "INSERT INTO "
					 "access_tokens (id, hash, owner, name, "
					 "scopes, created, expires)", 7, NULL,
					 "test"), 0);
	batch_token(b, "new1", 5);
	assert_int_equal(sqldb_batch_row(b), 0);
	batch_token(b, "t0700", 6);
	assert_int_equal(sqldb_batch_row(b), 0);
	batch_token(b, "new2", 7);
	assert_int_equal(sqldb_batch_row(b), 0);
	assert_int_equal(sqldb_batch_flush(b), SVC_EEXISTS);
	assert_int_equal(sqldb_batch_rows(b), 0);
	/* the transaction goes on: another batch, then the commit */
	batch_token(b, "new3", 8);
	assert_int_equal(sqldb_batch_row(b), 0);
	assert_int_equal(sqldb_batch_flush(b), 0);
	sqldb_batch_free(b);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT id FROM access_tokens "
			      "WHERE id LIKE 'new%' ORDER BY id", 0, NULL), 1);
	assert_string_equal(f->d->col_text(st, 0), "new3");
	assert_int_equal(f->d->step(st), 0);
	f->d->finalize(st);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT count(*) FROM "
			      "access_tokens", 0, NULL), 1);
	assert_int_equal(f->d->col_int(st, 0), BATCH_TOKENS + 1);
	f->d->finalize(st);
	free(proj);
}

/* What the second writer saw. */
struct writer {
	const sqldb_driver *d; /**< driver */
	sqldb *db;             /**< its own connection */
	volatile int started;  /**< about to begin */
	volatile int began;    /**< its begin returned */
	int rc;                /**< begin's result */
	long long seen;        /**< rows of 'late' it saw once in */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	sqldb_stmt *st;

	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	w->rc = w->d->begin(w->db, 1);
	__atomic_store_n(&w->began, 1, __ATOMIC_SEQ_CST);
	if (w->rc)
		return NULL;
	if (w->d->prepare(&st, w->db, "SELECT count(*) FROM audit "
			  "WHERE action = 'late'", "test") == 0) {
		if (w->d->step(st) == 1)
			w->seen = w->d->col_int(st, 0);
		w->d->finalize(st);
	}
	w->d->commit(w->db);
	return NULL;
}

/* 1 once w's begin waits for the write lock, as the engine reports it. */
static int writer_waits(struct fx *f, sqldb *probe, struct writer *w)
{
	sqldb_stmt *st;
	long long n = 0;

	if (f->d != &sqldb_postgresql) {
		/* SQLite reports no waiter: the writer has started and has
		 * not got in after a while (a bound, not a handshake) */
		usleep(200 * 1000);
		return w->started;
	}
	assert_int_equal(f->d->prepare(&st, probe, "SELECT count(*) FROM "
				       "pg_locks WHERE locktype = 'advisory' "
				       "AND NOT granted", "test"), 0);
	if (f->d->step(st) == 1)
		n = f->d->col_int(st, 0);
	f->d->finalize(st);
	return n > 0;
}

/* A write transaction excludes a second connection's until it commits. */
static void test_one_writer(void **state)
{
	struct fx *f = *state;
	const char *late[] = { "t", "alice", "late" };
	struct writer w = { f->d, NULL, 0, 0, 0, -1 };
	sqldb *probe;
	pthread_t th;
	int i;

	assert_int_equal(f->d->open(&w.db, f->loc, 0), 0);
	assert_int_equal(f->d->open(&probe, f->loc, 0), 0);
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
	for (i = 0; i < 3000 && !writer_waits(f, probe, &w); i++)
		usleep(10 * 1000);
	assert_true(i < 3000);
	/* it waits: still out while this transaction writes and commits */
	assert_int_equal(__atomic_load_n(&w.began, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(run1(f->d, f->db, NULL, "INSERT INTO audit (at, actor,"
			      " action) VALUES (?1, ?2, ?3)", 3, late), 0);
	assert_int_equal(__atomic_load_n(&w.began, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc, 0);
	/* it got in after the commit: it sees the row */
	assert_int_equal(w.seen, 1);
	f->d->close(w.db);
	f->d->close(probe);
}

/* The data version moves when another connection commits, not our own. */
static void test_data_version(void **state)
{
	struct fx *f = *state;
	const char *row[] = { "t", "alice", "x" };
	long long v1, v2, v3;
	sqldb *other;

	assert_int_equal(f->d->open(&other, f->loc, 0), 0);
	assert_int_equal(f->d->data_version(&v1, f->db), 0);
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(run1(f->d, f->db, NULL, "INSERT INTO audit (at, actor,"
			      " action) VALUES (?1, ?2, ?3)", 3, row), 0);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(f->d->data_version(&v2, f->db), 0);
	assert_int_equal(v1, v2);
	assert_int_equal(f->d->begin(other, 1), 0);
	assert_int_equal(run1(f->d, other, NULL, "INSERT INTO audit (at, actor,"
			      " action) VALUES (?1, ?2, ?3)", 3, row), 0);
	assert_int_equal(f->d->commit(other), 0);
	assert_int_equal(f->d->data_version(&v3, f->db), 0);
	assert_true(v3 != v2);
	f->d->close(other);
}

/* A second create on a database that holds a store is refused. */
static void test_create_twice(void **state)
{
	struct fx *f = *state;
	sqldb *again = NULL;

	assert_int_equal(f->d->open(&again, f->loc, 1), SVC_EEXISTS);
	assert_null(again);
	assert_non_null(strstr(svc_error_last(), "exists already"));
}

/* ---- SQLite only ------------------------------------------------------- */

/*
 * Opening a second connection in this process (a server's watcher) keeps
 * the first one's lock on the database file.  Any close() of a descriptor
 * of the file drops every POSIX lock of the process on it; the open used
 * to check the file's owner and mode did that, after which another process
 * could take the file for itself and checkpoint and truncate the WAL under
 * the first connection (seen as "disk I/O error" and "database disk image
 * is malformed" by the CLI next to a server).  The lock is looked at from
 * a child, to whom the parent's locks are visible: SQLite's SHARED range
 * starts 2 bytes after its PENDING_BYTE, 0x40000000 (the file format's
 * lock-byte page).
 */
static void test_second_open_keeps_locks(void **state)
{
	struct fx *f = *state;
	sqldb_stmt *st;
	sqldb *second;
	pid_t pid;
	int status;

	if (f->d != &sqldb_sqlite)
		skip();
	/* a read: the connection now holds its shared lock for good (WAL) */
	assert_int_equal(f->d->begin(f->db, 0), 0);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT count(*) FROM audit",
			      0, NULL), 1);
	f->d->finalize(st);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(f->d->open(&second, f->loc, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = 0x40000002, .l_len = 510 };
		int fd = open(f->loc, O_RDWR | O_CLOEXEC);

		_exit(fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 &&
		      fl.l_type == F_RDLCK && fl.l_pid == getppid() ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f->d->close(second);
}

/* ---- PostgreSQL only --------------------------------------------------- */

/* pg.sh CMD DIR */
static void pg_sh(const char *cmd, const char *dir)
{
	char *argv[] = { "bash", SVC_SOURCE_DIR "/tests/support/pg.sh",
			 (char *)cmd, (char *)dir, NULL };
	tu_result r;

	argv[0] = "/bin/bash";
	tu_run(&r, NULL, argv, NULL);
	if (r.status != 0)
		print_error("pg.sh %s: %s%s\n", cmd, r.out, r.err);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
}

/*
 * A server of its own, stopped under an open connection: SVC_EUNAVAIL
 * naming the redacted location; started again: the next begin reconnects.
 */
static void test_pg_unavailable(void **state)
{
	struct fx *f = *state;
	char *pgdir, *urlfile, *url;
	const char *row[] = { "t", "alice", "x" };
	sqldb *db;
	long long v;
	int i;

	if (f->d != &sqldb_postgresql)
		skip();
	pgdir = tu_path(f->dir, "pg");
	pg_sh("start", pgdir);
	urlfile = tu_path(pgdir, "url");
	url = tu_read_file(urlfile, NULL);
	url[strcspn(url, "\n")] = '\0';
	assert_int_equal(sqldb_postgresql.open(&db, url, 1), 0);
	pg_sh("down", pgdir);
	assert_int_equal(sqldb_postgresql.begin(db, 1), SVC_EUNAVAIL);
	assert_non_null(strstr(svc_error_last(), "cannot be reached"));
	assert_non_null(strstr(svc_error_last(), "postgresql://127.0.0.1:"));
	assert_int_equal(sqldb_postgresql.data_version(&v, db), SVC_EUNAVAIL);
	pg_sh("up", pgdir);
	/* a failed attempt holds the next one off for up to a second */
	for (i = 0; i < 50 && sqldb_postgresql.begin(db, 1) != 0; i++) {
		assert_non_null(strstr(svc_error_last(), "cannot be reached"));
		usleep(100 * 1000);
	}
	assert_true(i < 50);
	if (run1(&sqldb_postgresql, db, NULL, "INSERT INTO audit "
		 "(at, actor, action) VALUES (?1, ?2, ?3)", 3, row) != 0)
		fail_msg("%s", svc_error_last());
	assert_int_equal(sqldb_postgresql.commit(db), 0);
	sqldb_postgresql.close(db);
	pg_sh("stop", pgdir);
	free(url);
	free(urlfile);
	free(pgdir);
}

/* End f's session from another connection; pid gets its backend's id. */
static void terminate(char *pid, size_t n, struct fx *f)
{
	const char *pid_arg[1];
	sqldb_stmt *st;
	sqldb *other;

	assert_int_equal(run1(f->d, f->db, &st, "SELECT CAST(pg_backend_pid() "
			      "AS TEXT)", 0, NULL), 1);
	snprintf(pid, n, "%s", f->d->col_text(st, 0));
	f->d->finalize(st);
	assert_int_equal(f->d->open(&other, f->loc, 0), 0);
	pid_arg[0] = pid;
	assert_int_equal(run1(f->d, other, NULL, "SELECT pg_terminate_backend("
			      "CAST(?1 AS INTEGER))", 1, pid_arg), 1);
	f->d->close(other);
}

/*
 * A connection ended under an idle handle (the server restarted, a
 * failover): the next begin finds it dead, connects again at once, and
 * the session's settings (time zone, time-outs) hold on the new
 * connection as on the first.
 */
static void test_pg_reconnect_settings(void **state)
{
	struct fx *f = *state;
	sqldb_stmt *st;
	char pid[32];

	if (f->d != &sqldb_postgresql)
		skip();
	terminate(pid, sizeof(pid), f);
	if (f->d->begin(f->db, 0) != 0)
		fail_msg("begin after the connection ended: %s", svc_error_last());
	assert_int_equal(run1(f->d, f->db, &st, "SELECT CAST(pg_backend_pid() AS TEXT), "
			      "current_setting('TimeZone'), "
			      "current_setting('statement_timeout'), "
			      "current_setting('lock_timeout')", 0, NULL), 1);
	assert_string_not_equal(f->d->col_text(st, 0), pid);
	assert_string_equal(f->d->col_text(st, 1), "UTC");
	assert_string_equal(f->d->col_text(st, 2), "30s");
	assert_string_equal(f->d->col_text(st, 3), "15s");
	f->d->finalize(st);
	f->d->rollback(f->db);
}

/*
 * A connection that refuses writes as read-only (25006), as one to a
 * standby does (here: default_transaction_read_only set in its session):
 * a write is SVC_EUNAVAIL naming the read-only database, nothing of it
 * stored; reads go on at once; after the hold-off the next begin connects
 * again (the session's setting gone with the connection, as a multi-host
 * location would find the primary) and the write succeeds.  A write in a
 * read transaction of our own is not that: a plain error.
 */
static void test_pg_read_only(void **state)
{
	struct fx *f = *state;
	const char *row[] = { "t", "alice", "read-only" };
	const char *ins = "INSERT INTO audit (at, actor, action) VALUES (?1, ?2, ?3)";
	sqldb_stmt *st;
	int i, rc;

	if (f->d != &sqldb_postgresql)
		skip();
	assert_int_equal(f->d->begin(f->db, 0), 0);
	assert_int_equal(run1(f->d, f->db, NULL, ins, 3, row), SVC_ERROR);
	f->d->rollback(f->db);
	assert_int_equal(run1(f->d, f->db, NULL,
			      "SET default_transaction_read_only = on", 0, NULL), 0);
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(run1(f->d, f->db, NULL, ins, 3, row), SVC_EUNAVAIL);
	assert_non_null(strstr(svc_error_last(), "is read-only"));
	assert_non_null(strstr(svc_error_last(), "postgresql://127.0.0.1:"));
	f->d->rollback(f->db);
	assert_int_equal(f->d->begin(f->db, 0), 0);
	f->d->rollback(f->db);
	for (i = 0; i < 50; i++) {
		if (f->d->begin(f->db, 1) != 0)
			fail_msg("begin: %s", svc_error_last());
		if ((rc = run1(f->d, f->db, NULL, ins, 3, row)) == 0)
			break;
		assert_int_equal(rc, SVC_EUNAVAIL);
		f->d->rollback(f->db);
		usleep(100 * 1000);
	}
	assert_true(i < 50);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT count(*) FROM audit "
			      "WHERE action = 'read-only'", 0, NULL), 1);
	assert_int_equal(f->d->col_int(st, 0), 1);
	f->d->finalize(st);
}

/* The fixture of a test of the PostgreSQL driver only: skipped on
 * SQLite. */
static struct fx *pg_fx(void **state)
{
	struct fx *f = *state;

	if (f->d != &sqldb_postgresql)
		skip();
	return f;
}

/* The integer in the one row of sql on f's database, arg its ?1 (NULL:
 * none). */
static long long int_of(struct fx *f, const char *sql, const char *arg)
{
	const char *args[] = { arg };
	sqldb_stmt *st;
	long long n;

	assert_int_equal(run1(f->d, f->db, &st, sql, arg ? 1 : 0, args), 1);
	n = f->d->col_int(st, 0);
	f->d->finalize(st);
	return n;
}

/* Entries of f's session in pg_prepared_statements whose text is sql
 * (as PostgreSQL holds it: $N placeholders). */
static long long prepared_count(struct fx *f, const char *sql)
{
	return int_of(f, "SELECT count(*) FROM pg_prepared_statements "
		      "WHERE statement = ?1", sql);
}

/* Run "SELECT CAST(?1 AS TEXT)" with v bound as kind ('T' text, 'I' an
 * integer, 'B' bytes) and check what it reads back. */
static void cast_text(struct fx *f, char kind, const char *v,
		      const char *want)
{
	sqldb_stmt *st;

	assert_int_equal(f->d->prepare(&st, f->db, "SELECT CAST(?1 AS TEXT)",
				       "test"), 0);
	if (kind == 'I')
		assert_int_equal(f->d->bind_int(st, 1, atoll(v)), 0);
	else if (kind == 'B')
		assert_int_equal(f->d->bind_blob(st, 1, v, strlen(v)), 0);
	else
		assert_int_equal(f->d->bind_text(st, 1, v, strlen(v)), 0);
	if (f->d->step(st) != 1)
		fail_msg("%c %s: %s", kind, v, svc_error_last());
	assert_string_equal(f->d->col_text(st, 0), want);
	f->d->finalize(st);
}

/*
 * The driver keeps statements prepared, one for each text and parameter
 * types: run many times, a statement is prepared once; the same text
 * with other types is a statement of its own, each reading its own
 * parameters right, in and out of transactions.
 */
static void test_pg_prepared_once(void **state)
{
	struct fx *f = pg_fx(state);
	const char *text = "SELECT CAST($1 AS TEXT)";
	int i;

	for (i = 0; i < 5; i++) {
		cast_text(f, 'T', "042", "042");
		cast_text(f, 'I', "42", "42");
	}
	assert_int_equal(prepared_count(f, text), 2);
	assert_int_equal(f->d->begin(f->db, 0), 0);
	cast_text(f, 'B', "ab", "\\x6162");
	cast_text(f, 'T', "ab", "ab");
	f->d->rollback(f->db);
	cast_text(f, 'B', "cd", "\\x6364");
	assert_int_equal(prepared_count(f, text), 3);
	/* one entry for each type, as the types were bound */
	assert_int_equal(int_of(f, "SELECT count(DISTINCT CAST(parameter_types "
				"AS TEXT)) FROM pg_prepared_statements "
				"WHERE statement = ?1", text), 3);
}

/*
 * A statement that cannot be prepared (a syntax error, a column that is
 * not there) reports PostgreSQL's error each time, and nothing of it is
 * kept; under the write transaction's savepoint the transaction goes on.
 * A statement first run in a failed transaction is not prepared (its
 * Parse fails there) and runs once the transaction is rolled back.  One
 * prepared in a transaction rolled back stays prepared, and runs.
 */
static void test_pg_prepare_fails(void **state)
{
	struct fx *f = pg_fx(state);
	const char *row[] = { "t", "alice", "ok" };
	const char *bad_arg[] = { "x" };
	const char *ins = "INSERT INTO audit (at, actor, action) VALUES (?1, ?2, ?3)";
	const char *bad_col = "INSERT INTO audit (at, actor, actio) VALUES (?1, ?2, ?3)";
	sqldb_stmt *st;
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(run1(f->d, f->db, NULL, "SELEC ?1", 1, bad_arg),
				 SVC_ERROR);
		assert_non_null(strstr(svc_error_last(), "syntax error at or near \"SELEC\""));
		assert_int_equal(f->d->begin(f->db, 1), 0);
		assert_int_equal(run1(f->d, f->db, NULL, bad_col, 3, row), SVC_ERROR);
		assert_non_null(strstr(svc_error_last(), "column \"actio\" of relation \"audit\" does not exist"));
		assert_int_equal(run1(f->d, f->db, NULL, ins, 3, row), 0);
		assert_int_equal(f->d->commit(f->db), 0);
	}
	assert_int_equal(prepared_count(f, "SELEC $1"), 0);
	assert_int_equal(prepared_count(f, "INSERT INTO audit (at, actor, actio) VALUES ($1, $2, $3)"), 0);
	assert_int_equal(prepared_count(f, "INSERT INTO audit (at, actor, action) VALUES ($1, $2, $3)"), 1);

	/* a failed transaction: the next new statement is not prepared */
	assert_int_equal(f->d->begin(f->db, 0), 0);
	assert_int_equal(run1(f->d, f->db, NULL, "SELECT CAST(?1 AS INTEGER)",
			      1, bad_arg), SVC_ERROR);
	assert_int_equal(run1(f->d, f->db, NULL, "SELECT 'fresh', ?1", 1,
			      bad_arg), SVC_ERROR);
	assert_non_null(strstr(svc_error_last(), "current transaction is aborted"));
	f->d->rollback(f->db);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT 'fresh', ?1", 1,
			      bad_arg), 1);
	assert_string_equal(f->d->col_text(st, 1), "x");
	f->d->finalize(st);
	assert_int_equal(prepared_count(f, "SELECT 'fresh', $1"), 1);

	/* prepared in a write transaction rolled back: still there */
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(run1(f->d, f->db, NULL, "INSERT INTO meta (key, value) "
			      "VALUES (?1, ?1)", 1, bad_arg), 0);
	f->d->rollback(f->db);
	assert_int_equal(prepared_count(f, "INSERT INTO meta (key, value) VALUES ($1, $1)"), 1);
	assert_int_equal(f->d->begin(f->db, 1), 0);
	assert_int_equal(run1(f->d, f->db, NULL, "INSERT INTO meta (key, value) "
			      "VALUES (?1, ?1)", 1, bad_arg), 0);
	assert_int_equal(f->d->commit(f->db), 0);
	assert_int_equal(run1(f->d, f->db, &st, "SELECT value FROM meta WHERE "
			      "key = 'x'", 0, NULL), 1);
	assert_string_equal(f->d->col_text(st, 0), "x");
	f->d->finalize(st);
	assert_int_equal(int_of(f, "SELECT count(*) FROM audit WHERE "
				"action = 'ok'", NULL), 2);
}

/*
 * The session's prepared statements end with it: after the connection
 * is ended under the handle, the statements run before run again on the
 * new connection -- one outside a transaction (retried there at once),
 * one at the next begin -- each prepared again, once.
 */
static void test_pg_prepared_reconnect(void **state)
{
	struct fx *f = pg_fx(state);
	const char *row[] = { "t", "alice", "again" };
	const char *ins = "INSERT INTO audit (at, actor, action) VALUES (?1, ?2, ?3)";
	const char *ins_pg = "INSERT INTO audit (at, actor, action) VALUES ($1, $2, $3)";
	char pid[32];
	int i;

	for (i = 0; i < 3; i++) {
		cast_text(f, 'T', "a", "a");
		assert_int_equal(f->d->begin(f->db, 1), 0);
		assert_int_equal(run1(f->d, f->db, NULL, ins, 3, row), 0);
		assert_int_equal(f->d->commit(f->db), 0);
	}
	assert_int_equal(prepared_count(f, "SELECT CAST($1 AS TEXT)"), 1);
	assert_int_equal(prepared_count(f, ins_pg), 1);
	terminate(pid, sizeof(pid), f);
	cast_text(f, 'T', "b", "b");
	assert_int_equal(prepared_count(f, "SELECT CAST($1 AS TEXT)"), 1);
	assert_int_equal(prepared_count(f, ins_pg), 0);
	terminate(pid, sizeof(pid), f);
	for (i = 0; i < 2; i++) {
		if (f->d->begin(f->db, 1) != 0)
			fail_msg("begin after the connection ended: %s",
				 svc_error_last());
		assert_int_equal(run1(f->d, f->db, NULL, ins, 3, row), 0);
		assert_int_equal(f->d->commit(f->db), 0);
		cast_text(f, 'T', "c", "c");
	}
	assert_int_equal(prepared_count(f, ins_pg), 1);
	assert_int_equal(prepared_count(f, "SELECT CAST($1 AS TEXT)"), 1);
}

/* Distinct statements, more than the driver keeps: run twice each. */
#define MANY_STATEMENTS 400

/* Run "SELECT CAST(?1 AS INTEGER) + k" with 2 * k and check 3 * k. */
static void plus_k(struct fx *f, int k)
{
	char sql[64];
	sqldb_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT CAST(?1 AS INTEGER) + %d", k);
	assert_int_equal(f->d->prepare(&st, f->db, sql, "test"), 0);
	assert_int_equal(f->d->bind_int(st, 1, 2LL * k), 0);
	if (f->d->step(st) != 1)
		fail_msg("statement %d: %s", k, svc_error_last());
	assert_int_equal(f->d->col_int(st, 0), 3LL * k);
	f->d->finalize(st);
}

/* pg_prepared_statements' entries of f's session. */
static long long prepared_all(struct fx *f)
{
	return int_of(f, "SELECT count(*) FROM pg_prepared_statements", NULL);
}

/*
 * The cache is bounded: of more distinct statements than it keeps, each
 * runs right (the ones past its bound unnamed), the session's prepared
 * statements stop growing; a statement of many parameters (a VALUES
 * list of many rows) runs unnamed, prepared never.
 */
static void test_pg_prepared_bounded(void **state)
{
	struct fx *f = pg_fx(state);
	svc_buf sql = SVC_BUF_INIT;
	sqldb_stmt *st;
	long long half, all;
	int k;

	for (k = 0; k < MANY_STATEMENTS / 2; k++)
		plus_k(f, k);
	half = prepared_all(f);
	for (k = 0; k < MANY_STATEMENTS; k++) {
		plus_k(f, k);
		plus_k(f, k);
	}
	all = prepared_all(f);
	assert_true(half > 0);
	assert_true(all < MANY_STATEMENTS);
	for (k = MANY_STATEMENTS; k < MANY_STATEMENTS + 10; k++)
		plus_k(f, k);
	assert_int_equal(prepared_all(f), all);

	/* 100 parameters: never kept */
	assert_int_equal(buf_puts(&sql, "SELECT 0"), 0);
	for (k = 1; k <= 100; k++)
		assert_int_equal(buf_printf(&sql, " + CAST(?%d AS INTEGER)", k), 0);
	assert_int_equal(f->d->prepare(&st, f->db, sql.ptr, "test"), 0);
	for (k = 1; k <= 100; k++)
		assert_int_equal(f->d->bind_int(st, k, k), 0);
	assert_int_equal(f->d->step(st), 1);
	assert_int_equal(f->d->col_int(st, 0), 5050);
	f->d->finalize(st);
	assert_int_equal(int_of(f, "SELECT count(*) FROM pg_prepared_statements "
				"WHERE statement LIKE 'SELECT 0 + %'", NULL), 0);
	buf_clear(&sql);
}

/* The location's password appears in no message; redaction keeps
 * host, port and database only (each host's and port of a multi-host
 * location). */
static void test_pg_redacted(void **state)
{
	struct fx *f = *state;
	char *r = NULL;
	sqldb *db = NULL;

	if (f->d != &sqldb_postgresql)
		skip();
	assert_int_equal(sqldb_pg_redact(&r, "postgresql://u:hunter2@db.example:6543/svc?sslmode=require"), 0);
	assert_string_equal(r, "postgresql://db.example:6543/svc");
	free(r);
	assert_int_equal(sqldb_pg_redact(&r, "host=h user=u password=hunter2 dbname=d"), 0);
	assert_string_equal(r, "postgresql://h:5432/d");
	free(r);
	/* a multi-host location: each host with its port, as libpq pairs
	 * them (one each, one for all, none) */
	assert_int_equal(sqldb_pg_redact(&r, "postgresql://u:hunter2@db1:5433,db2:5434/svc?target_session_attrs=read-write"), 0);
	assert_string_equal(r, "postgresql://db1:5433,db2:5434/svc");
	free(r);
	assert_int_equal(sqldb_pg_redact(&r, "host=db1,db2 port=6000 dbname=svc"), 0);
	assert_string_equal(r, "postgresql://db1:6000,db2:6000/svc");
	free(r);
	assert_int_equal(sqldb_pg_redact(&r, "postgresql://db1,db2/svc"), 0);
	assert_string_equal(r, "postgresql://db1:5432,db2:5432/svc");
	free(r);
	/* nothing listens on port 1 of loopback */
	assert_int_equal(sqldb_postgresql.open(&db, "postgresql://u:hunter2@127.0.0.1:1/svc", 0),
			 SVC_EUNAVAIL);
	assert_null(strstr(svc_error_last(), "hunter2"));
	assert_non_null(strstr(svc_error_last(), "postgresql://127.0.0.1:1/svc"));
	assert_int_equal(sqldb_postgresql.open(&db, "postgresql://u:hunter2@127.0.0.1:1/svc?bogus=1", 0),
			 SVC_EINVALID);
	assert_null(strstr(svc_error_last(), "hunter2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_blob_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_open_keeps_locks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_unavailable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_reconnect_settings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_redacted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_prepared_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_prepare_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_prepared_reconnect,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_prepared_bounded,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
