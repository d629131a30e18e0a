/*
 * bench_import.c - importing 10,000 connections, and migrating the store
 * they make, on SQLite and PostgreSQL (issue 15).
 *
 * Generates CONNS connections (Generic: a URL, a user name and a sealed
 * password, as bench_list makes them) and times, in this process:
 *   1. svc_store_conn_import() of all of them, in one transaction, into a
 *      new SQLite store (the baseline: the embedded engine, no round
 *      trips, the same work above the rows);
 *   2. with --database URL, the same import into a new PostgreSQL store,
 *      in a database of its own created next to URL's;
 *   3. with --database, store_migrate() of the SQLite store of 1 into
 *      another new PostgreSQL database (svcconn migrate's copy and its
 *      checks).
 * and prints each one's time, its ratio to the SQLite import measured in
 * the same run, and the load average before and after.  The baseline is
 * the SQLite import rather than psql's \copy of the same rows because it
 * does the same work above the database (validation, sealing, MACs,
 * audit): the ratio is then what the PostgreSQL round trips add, which is
 * what batching removes; a \copy would measure bulk loading alone.
 *
 * Usage: bench_import [--database URL] [COUNT]
 *   (COUNT: connections, default 10,000).  tests/support/pg.sh starts a
 *   server:
 *     bash tests/support/pg.sh start /tmp/benchpg
 *     build/bench/bench_import --database "$(cat /tmp/benchpg/url)"
 *     bash tests/support/pg.sh stop /tmp/benchpg
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <svcconn/svcconn.h>
#include "store/store_write.h"

#define BENCH_NAME "bench_import"
#include "bench_util.h"
#include "bench_conns.h"

#define CONNS 10000

extern char **environ;

/* Run psql on url with one statement; dies on failure. */
static void psql(const char *url, const char *sql)
{
	char *argv[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
			 (char *)url, "-c", (char *)sql, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "psql", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		die("psql", strerror(rc));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("psql", sql);
}

/* A new database next to base's (a postgresql://HOST/DB URL) into url. */
static void pg_database(char *url, size_t n, const char *base,
			const char *suffix)
{
	const char *slash;
	char sql[128];

	if (strncmp(base, "postgresql://", 13) != 0 ||
	    !(slash = strrchr(base + 13, '/')) ||
	    (size_t)(slash - base) + 48 > n)
		die(base, "not a postgresql://HOST/DB URL");
	snprintf(url, n, "%.*s/svcbench_%ld_%s", (int)(slash - base), base,
		 (long)getpid(), suffix);
	snprintf(sql, sizeof(sql), "CREATE DATABASE svcbench_%ld_%s",
		 (long)getpid(), suffix);
	psql(base, sql);
}

static void pg_drop(const char *base, const char *suffix)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DROP DATABASE svcbench_%ld_%s",
		 (long)getpid(), suffix);
	psql(base, sql);
}

/* A new store in home (on database, unless NULL), opened. */
static svc_store *store_new(const char *home, const char *database)
{
	svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, NULL, NULL,
				   NULL };
	svc_store *st = NULL;

	opts.home = home;
	opts.database = database;
	if (svc_store_init(&opts, "bench") || svc_store_open(&st, &opts))
		die("init", svc_error_last());
	return st;
}

/* Seconds svc_store_conn_import of conns takes on st. */
static double import_time(svc_store *st, svc_conn **conns, int count)
{
	double t0 = now();

	if (svc_store_conn_import(st, conns, (size_t)count, "bench", 0))
		die("import", svc_error_last());
	return now() - t0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/svcbench.XXXXXX", cmd[128], home[64], pghome[64];
	char url_import[1024], url_migrate[1024];
	const char *base = NULL;
	svc_migrate_table *tables = NULL;
	svc_catalog *cat = NULL;
	svc_store *st, *pg;
	svc_conn **conns;
	size_t ntables = 0;
	int i, a = 1, count = CONNS;
	double t_sqlite, t_pg = 0, t_mig = 0, l0, l1;

	if (argc > 2 && strcmp(argv[1], "--database") == 0) {
		base = argv[2];
		a = 3;
	}
	if (argc > a && (count = atoi(argv[a])) <= 0)
		die(argv[a], "not a count of connections");
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	snprintf(home, sizeof(home), "%s/sqlite", dir);
	snprintf(pghome, sizeof(pghome), "%s/pg", dir);
	if (svc_catalog_new(&cat))
		die("catalog", svc_error_last());
	conns = bench_generic_conns(count, cat);
	if (base) {
		pg_database(url_import, sizeof(url_import), base, "import");
		pg_database(url_migrate, sizeof(url_migrate), base, "migrate");
	}
	l0 = load1();
	st = store_new(home, NULL);
	t_sqlite = import_time(st, conns, count);
	if (base) {
		pg = store_new(pghome, url_import);
		t_pg = import_time(pg, conns, count);
		svc_store_free(pg);
		t_mig = now();
		if (store_migrate(&tables, &ntables, st, url_migrate))
			die("migrate", svc_error_last());
		t_mig = now() - t_mig;
		free(tables);
		(void)ntables;
	}
	l1 = load1();
	svc_store_free(st);
	printf("import, %d connections, SQLite: %.2f s (baseline)\n", count,
	       t_sqlite);
	if (base) {
		printf("import, %d connections, PostgreSQL: %.2f s (%.1f x SQLite)\n",
		       count, t_pg, t_pg / t_sqlite);
		printf("migrate SQLite -> PostgreSQL, that store: %.2f s (%.1f x the SQLite import)\n",
		       t_mig, t_mig / t_sqlite);
		pg_drop(base, "import");
		pg_drop(base, "migrate");
	}
	printf("load average (1 min): %.2f before, %.2f after\n", l0, l1);
	for (i = 0; i < count; i++)
		svc_conn_free(conns[i]);
	free(conns);
	svc_catalog_free(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_import: could not remove %s\n", dir);
	return 0;
}
