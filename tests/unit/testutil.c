/*
 * testutil.c - test helpers: temporary trees, files, running commands.
 */
#include "testutil.h"
#include "store/store_write.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "svcconn/store.h"

extern char **environ;

char *tu_mkdtemp(void)
{
	char tmpl[] = "/tmp/svctest.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tu_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

void tu_write_file(const char *path, const char *content)
{
	FILE *f;

	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int c;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		buf[n++] = (char)c;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int tu_memmem(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return nlen && hay && memmem(hay, hlen, needle, nlen) != NULL;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

void tu_run(tu_result *r, const char *stdin_text, char *const argv[],
	    char *const extra_env[])
{
	int in[2], out[2], err[2], status;
	posix_spawn_file_actions_t fa;
	char **envp;
	size_t n = 0, m = 0, i, olen = 0, elen = 0, ilen, ioff = 0;
	pid_t pid;

	while (environ[n])
		n++;
	while (extra_env && extra_env[m])
		m++;
	envp = calloc(n + m + 1, sizeof(*envp));
	assert_non_null(envp);
	for (i = 0; i < m; i++)
		envp[i] = extra_env[i];
	/* extra entries win: skip inherited ones with the same name */
	for (i = 0; i < n; i++) {
		size_t j, k = m, keylen = strcspn(environ[i], "=");
		for (j = 0; j < m; j++)
			if (strncmp(extra_env[j], environ[i], keylen + 1) == 0)
				break;
		if (j == m) {
			for (k = 0; envp[k]; k++)
				;
			envp[k] = environ[i];
		}
	}
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	posix_spawn_file_actions_addclose(&fa, err[0]);
	/* the originals too: only 0-2 may reach the child */
	posix_spawn_file_actions_addclose(&fa, in[0]);
	posix_spawn_file_actions_addclose(&fa, out[1]);
	posix_spawn_file_actions_addclose(&fa, err[1]);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	ilen = stdin_text ? strlen(stdin_text) : 0;
	if (!ilen) {
		close(in[1]);
		in[1] = -1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		char chunk[8192];
		ssize_t k;

		if (out[0] < 0 && err[0] < 0)
			break;
		if (poll(p, in[1] >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR))) {
			k = write(in[1], stdin_text + ioff, ilen - ioff);
			if (k > 0)
				ioff += (size_t)k;
			if (k <= 0 || ioff == ilen) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (out[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP))) {
			k = read(out[0], chunk, sizeof(chunk));
			if (k > 0)
				append(&r->out, &olen, chunk, (size_t)k);
			else {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (err[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			k = read(err[0], chunk, sizeof(chunk));
			if (k > 0)
				append(&r->err, &elen, chunk, (size_t)k);
			else {
				close(err[0]);
				err[0] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
}

void tu_result_free(tu_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tu_bin(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", SVC_BIN_DIR, name);
	return path;
}

void tu_svcconn_v(tu_result *r, const char *home, const char *stdin_text,
		  char *const extra_env[], va_list ap)
{
	char *argv[64];
	int n = 0;

	argv[n++] = (char *)tu_bin("svcconn");
	while (n < 60 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n++] = "--home";
	argv[n++] = (char *)home;
	argv[n] = NULL;
	tu_run(r, stdin_text, argv, extra_env);
}

char *tu_pg_database(void)
{
	const char *dir = getenv("SVCCONN_TEST_PG");
	static unsigned n;
	char *path, *url, *slash, name[64], sql[128], *out;
	PGconn *c;
	PGresult *res;
	size_t len;

	if (!dir || !*dir)
		return NULL;
	path = tu_path(dir, "url");
	url = tu_read_file(path, NULL);
	assert_non_null(url);
	free(path);
	url[strcspn(url, "\n")] = '\0';
	c = PQconnectdb(url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(name, sizeof(name), "svctest_%ld_%u", (long)getpid(), n++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	res = PQexec(c, sql);
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(c);
	slash = strrchr(url, '/');
	assert_non_null(slash);
	len = (size_t)(slash - url) + 1 + strlen(name) + 1;
	out = malloc(len);
	assert_non_null(out);
	snprintf(out, len, "%.*s/%s", (int)(slash - url), url, name);
	free(url);
	return out;
}

/* The locations tu_database() handed out. */
static char **databases;
static size_t ndatabases;

static void databases_free(void)
{
	size_t i;

	for (i = 0; i < ndatabases; i++)
		free(databases[i]);
	free(databases);
}

const char *tu_database(void)
{
	char *loc = tu_pg_database(), **grown;

	if (!loc)
		return NULL;
	if (!databases)
		atexit(databases_free);
	grown = realloc(databases, (ndatabases + 1) * sizeof(*grown));
	assert_non_null(grown);
	databases = grown;
	databases[ndatabases++] = loc;
	return loc;
}

int tu_store_setup(void **state)
{
	tu_store *f = calloc(1, sizeof(*f));
	svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, NULL, NULL,
				   NULL };

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	opts.home = f->home;
	opts.database = f->database = tu_database();
	assert_int_equal(svc_store_init(&opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &opts), 0);
	*state = f;
	return 0;
}

int tu_store_teardown(void **state)
{
	tu_store *f = *state;

	svc_store_free(f->st);
	tu_rm_rf(f->dir);
	free(f->home);
	free(f->dir);
	free(f);
	return 0;
}

void tu_last_audit(struct svc_store *st, char action[64], char detail[512])
{
	svc_audit_list *l = NULL;
	const svc_audit_entry *e;
	size_t n;

	assert_int_equal(svc_store_audit(&l, st, 0), 0);
	n = svc_audit_list_count(l);
	assert_true(n > 0);
	e = svc_audit_list_at(l, n - 1);
	snprintf(action, 64, "%s", e->action);
	snprintf(detail, 512, "%s", e->detail);
	svc_audit_list_free(l);
}

/* ---- the store's database, opened directly ----------------------------- */

struct tu_db {
	sqlite3 *lite;  /**< SQLite's store.db, or NULL */
	PGconn *pg;     /**< the PostgreSQL database, or NULL */
};

tu_db *tu_db_open(const char *home, const char *database)
{
	tu_db *d = calloc(1, sizeof(*d));
	char *path;

	assert_non_null(d);
	if (database) {
		d->pg = PQconnectdb(database);
		if (PQstatus(d->pg) != CONNECTION_OK)
			fail_msg("cannot connect: %s", PQerrorMessage(d->pg));
		PQclear(PQexec(d->pg, "SET client_min_messages = warning"));
		return d;
	}
	path = tu_path(home, "store.db");
	assert_int_equal(sqlite3_open(path, &d->lite), SQLITE_OK);
	sqlite3_busy_timeout(d->lite, 30000);
	free(path);
	return d;
}

void tu_db_close(tu_db *d)
{
	if (!d)
		return;
	if (d->pg)
		PQfinish(d->pg);
	else
		sqlite3_close(d->lite);
	free(d);
}

int tu_db_pg(const tu_db *d)
{
	return d->pg != NULL;
}

int tu_db_try(tu_db *d, const char *sql)
{
	PGresult *res;
	int rc = 0;

	if (d->lite)
		return sqlite3_exec(d->lite, sql, NULL, NULL, NULL) == SQLITE_OK
			       ? 0 : -1;
	res = PQexec(d->pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = -1;
	PQclear(res);
	return rc;
}

void tu_db_exec(tu_db *d, const char *sql)
{
	if (tu_db_try(d, sql) != 0)
		fail_msg("%s: %s", sql, d->lite ? sqlite3_errmsg(d->lite)
						: PQerrorMessage(d->pg));
}

/* Cell i of r: a copy of p (NULL: NULL), NUL-terminated. */
static void rows_put(tu_rows *r, size_t i, const void *p, size_t len)
{
	if (!p)
		return;
	r->cell[i] = malloc(len + 1);
	assert_non_null(r->cell[i]);
	memcpy(r->cell[i], p, len);
	r->cell[i][len] = '\0';
	r->len[i] = len;
}

/* Grow r to n rows of r->cols cells. */
static void rows_grow(tu_rows *r, size_t n)
{
	size_t cells = n * (r->cols ? r->cols : 1);

	r->cell = realloc(r->cell, cells * sizeof(*r->cell));
	r->len = realloc(r->len, cells * sizeof(*r->len));
	assert_true(r->cell && r->len);
	memset(r->cell + r->n * r->cols, 0,
	       (cells - r->n * r->cols) * sizeof(*r->cell));
	memset(r->len + r->n * r->cols, 0,
	       (cells - r->n * r->cols) * sizeof(*r->len));
}

static void query_sqlite(tu_rows *r, tu_db *d, const char *sql,
			 const tu_param *params, int n)
{
	sqlite3_stmt *st;
	size_t c;
	int i, rc;

	if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(d->lite));
	for (i = 0; i < n; i++)
		if (!params[i].p)
			sqlite3_bind_null(st, i + 1);
		else if (params[i].blob)
			sqlite3_bind_blob(st, i + 1, params[i].p,
					  (int)params[i].len, SQLITE_STATIC);
		else
			sqlite3_bind_text(st, i + 1, params[i].p,
					  (int)params[i].len, SQLITE_STATIC);
	r->cols = (size_t)sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows_grow(r, r->n + 1);
		for (c = 0; c < r->cols; c++) {
			const void *p = sqlite3_column_blob(st, (int)c);

			if (sqlite3_column_type(st, (int)c) != SQLITE_NULL)
				rows_put(r, r->n * r->cols + c, p ? p : "",
					 (size_t)sqlite3_column_bytes(st,
								      (int)c));
		}
		r->n++;
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(d->lite));
	r->changes = sqlite3_changes(d->lite);
	sqlite3_finalize(st);
}

static void query_pg(tu_rows *r, tu_db *d, const char *sql,
		     const tu_param *params, int n)
{
	const char *values[16];
	int lengths[16], formats[16];
	unsigned types[16];
	char text[4096], *o = text;
	const char *p;
	PGresult *res;
	size_t row, c;
	int i;

	assert_true(n <= 16 && strlen(sql) * 2 < sizeof(text));
	for (p = sql; *p; p++)
		*o++ = *p == '?' ? '$' : *p; /* the tests' SQL: no ? in strings */
	*o = '\0';
	for (i = 0; i < n; i++) {
		values[i] = params[i].p;
		lengths[i] = (int)params[i].len;
		formats[i] = params[i].blob;
		types[i] = params[i].blob ? 17 /* bytea */ : 0;
	}
	res = PQexecParams(d->pg, text, n, types, values, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(d->pg));
	r->cols = (size_t)PQnfields(res);
	rows_grow(r, (size_t)PQntuples(res));
	for (row = 0; row < (size_t)PQntuples(res); row++)
		for (c = 0; c < r->cols; c++) {
			const char *v = PQgetvalue(res, (int)row, (int)c);
			unsigned char *b;
			size_t len;

			if (PQgetisnull(res, (int)row, (int)c))
				continue;
			if (PQftype(res, (int)c) != 17) {
				rows_put(r, row * r->cols + c, v, strlen(v));
				continue;
			}
			b = PQunescapeBytea((const unsigned char *)v, &len);
			assert_non_null(b);
			rows_put(r, row * r->cols + c, b, len);
			PQfreemem(b);
		}
	r->n = (size_t)PQntuples(res);
	p = PQcmdTuples(res);
	r->changes = p && *p ? strtoll(p, NULL, 10) : 0;
	PQclear(res);
}

tu_rows *tu_db_query(tu_db *d, const char *sql, const tu_param *params,
		     int n)
{
	tu_rows *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	if (d->lite)
		query_sqlite(r, d, sql, params, n);
	else
		query_pg(r, d, sql, params, n);
	return r;
}

const char *tu_rows_text(const tu_rows *r, size_t row, size_t col)
{
	assert_true(row < r->n && col < r->cols);
	return (const char *)r->cell[row * r->cols + col];
}

long long tu_rows_int(const tu_rows *r, size_t row, size_t col)
{
	const char *v = tu_rows_text(r, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

void tu_rows_free(tu_rows *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n * r->cols; i++)
		free(r->cell[i]);
	free(r->cell);
	free(r->len);
	free(r);
}

long long tu_db_int(tu_db *d, const char *sql)
{
	tu_rows *r = tu_db_query(d, sql, NULL, 0);
	long long v;

	assert_int_equal(r->n, 1);
	v = tu_rows_int(r, 0, 0);
	tu_rows_free(r);
	return v;
}

long long tu_db_schema_version(tu_db *d)
{
	return tu_db_int(d, d->pg ? "SELECT max(version) FROM svcconn_schema"
				  : "PRAGMA user_version");
}

long long tu_db_schema_current(const tu_db *d)
{
	return d->pg ? 13 : 12;
}

void tu_db_run(const char *home, const char *database, const char *sql)
{
	tu_db *d = tu_db_open(home, database);

	tu_db_exec(d, sql);
	tu_db_close(d);
}

long long tu_db_get(const char *home, const char *database, const char *sql)
{
	tu_db *d = tu_db_open(home, database);
	long long v = tu_db_int(d, sql);

	tu_db_close(d);
	return v;
}
