/*
 * bench_list.c - `svcconn list --json` at 10,000 connections against the
 * database's own command-line client reading the same rows (issue 15), on
 * either backend.
 *
 * Builds a store of 10,000 connections (Generic: a URL, a user name and a
 * sealed password) under a temporary directory, then times, as whole
 * processes with stdout to /dev/null, the best of RUNS runs each of
 *   svcconn list --json
 * and the database's client reading every column list --json shows, in its
 * order (connections joined with their fields, ordered by name):
 *   SQLite:      sqlite3 -readonly -json store.db 'SELECT ...'
 *   PostgreSQL:  psql -X -A -t -q -d URL -c 'SELECT json_agg(r) FROM
 *                (SELECT ...) r'  (the rows as one JSON array, as
 *                sqlite3 -json prints them)
 * and prints both, their ratio and the load average before and after; the
 * goal is 3 or less (exit 1 past it).  Each one's CPU time (user and
 * system, from wait4) is shown too, with its ratio: on a loaded machine
 * the clock says more about the other processes than about these.  One run of list is checked first: a
 * JSON array of every connection.
 *
 * Usage: bench_list [--database URL] [DIR_OF_SVCCONN]
 *   (default DIR: ../bin next to this program).  With --database, the
 *   store is on that PostgreSQL server, in a database of its own that it
 *   creates with psql next to URL's and drops at the end; URL is a
 *   postgresql:// URL.  tests/support/pg.sh starts a server for it:
 *     bash tests/support/pg.sh start /tmp/benchpg
 *     build/bench/bench_list --database "$(cat /tmp/benchpg/url)"
 *     bash tests/support/pg.sh stop /tmp/benchpg
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <svcconn/svcconn.h>
#include "store/store_write.h"

#define BENCH_NAME "bench_list"
#include "bench_util.h"
#include "bench_conns.h"

#define CONNS 10000
#define RUNS 5
#define TARGET 3.0

extern char **environ;

/* The store: CONNS connections made in one import. */
static void fill(svc_store *st, const svc_catalog *cat)
{
	svc_conn **conns = bench_generic_conns(CONNS, cat);
	int i;

	if (svc_store_conn_import(st, conns, CONNS, "bench", 0))
		die("import", svc_error_last());
	for (i = 0; i < CONNS; i++)
		svc_conn_free(conns[i]);
	free(conns);
}

/* What one run took: seconds on the clock, and of CPU (user + system). */
struct took {
	double wall; /**< elapsed */
	double cpu;  /**< the child's user and system time */
};

/* Run argv with stdout to out (a path); what it took.  Dies on failure. */
static struct took run(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	struct took t;
	double t0;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT |
					 O_TRUNC, 0600);
	t0 = now();
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		die(argv[0], strerror(rc));
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die(argv[0], "failed");
	t.wall = now() - t0;
	t.cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return t;
}

/* The best of RUNS runs, on the clock and in CPU time each. */
static struct took best(char *const argv[])
{
	struct took t, min = { 1e9, 1e9 };
	int i;

	for (i = 0; i < RUNS; i++) {
		t = run(argv, "/dev/null");
		if (t.wall < min.wall)
			min.wall = t.wall;
		if (t.cpu < min.cpu)
			min.cpu = t.cpu;
	}
	return min;
}

/* Run psql on URL with one statement; dies on failure. */
static void psql(const char *url, const char *sql)
{
	char *argv[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
			 (char *)url, "-c", (char *)sql, NULL };

	run(argv, "/dev/null");
}

/* The columns list --json shows, in its order, joined and ordered. */
#define ROWS_SQL \
	"SELECT c.id, c.name, c.type, c.scheme, c.url, c.description, " \
	"c.created_by, c.created_at, c.updated_by, c.updated_at, " \
	"c.all_pipelines, f.key, f.kind, f.secret, f.value " \
	"FROM connections c JOIN fields f ON f.conn_id = c.id " \
	"ORDER BY c.name, f.rowid"

int main(int argc, char **argv)
{
	static const char sql[] = ROWS_SQL;
	static const char pg_sql[] =
		"SELECT json_agg(r) FROM (" ROWS_SQL ") r";
	char dir[] = "/tmp/svcbench.XXXXXX", self[4096], svcconn[4200];
	char db[64], out[64], cmd[128], pgdb[64], drop[96];
	char url[1024] = "", create[96];
	svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, NULL, NULL,
				   NULL };
	const char *base = NULL, *slash, *client;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	json_t *j;
	struct took t_list, t_sql;
	double ratio, l0, l1;
	char *list_argv[] = { svcconn, "list", "--json", NULL };
	char *sql_argv[] = { "sqlite3", "-readonly", "-json", db,
			     (char *)sql, NULL };
	char *pg_argv[] = { "psql", "-X", "-A", "-t", "-q", "-d", url, "-c",
			    (char *)pg_sql, NULL };
	int a = 1;

	if (argc > 2 && strcmp(argv[1], "--database") == 0) {
		base = argv[2];
		a = 3;
	}
	if (argc > a) {
		snprintf(svcconn, sizeof(svcconn), "%s/svcconn", argv[a]);
	} else {
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(svcconn, sizeof(svcconn), "%s/../bin/svcconn",
			 dirname(self));
	}
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	snprintf(db, sizeof(db), "%s/store.db", dir);
	snprintf(out, sizeof(out), "%s/list.json", dir);
	opts.home = dir;
	if (base) {
		/* a database of its own next to base's: .../svcbench_PID */
		if (strncmp(base, "postgresql://", 13) != 0 ||
		    !(slash = strrchr(base + 13, '/')) ||
		    (size_t)(slash - base) + 32 > sizeof(url))
			die(base, "not a postgresql://HOST/DB URL");
		snprintf(pgdb, sizeof(pgdb), "svcbench_%ld", (long)getpid());
		snprintf(url, sizeof(url), "%.*s/%s", (int)(slash - base),
			 base, pgdb);
		snprintf(create, sizeof(create), "CREATE DATABASE %s", pgdb);
		snprintf(drop, sizeof(drop), "DROP DATABASE %s", pgdb);
		psql(base, create);
		opts.database = url;
		if (setenv("SVCCONN_DATABASE", url, 1))
			die("setenv", strerror(errno));
	}
	if (svc_catalog_new(&cat) || svc_store_init(&opts, "bench") ||
	    svc_store_open(&st, &opts))
		die("init", svc_error_last());
	fill(st, cat);
	svc_store_free(st);
	svc_catalog_free(cat);
	if (setenv("SVCCONN_HOME", dir, 1) || setenv("SVCCONN_USER", "bench", 1))
		die("setenv", strerror(errno));

	run(list_argv, out); /* checked, and warms the page cache */
	if (!(j = json_load_file(out, 0, NULL)) || !json_is_array(j) ||
	    json_array_size(j) != CONNS)
		die("list --json", "not an array of every connection");
	json_decref(j);
	client = base ? "psql -A -t json_agg" : "sqlite3 -json";
	run(base ? pg_argv : sql_argv, "/dev/null");
	l0 = load1();
	t_list = best(list_argv);
	t_sql = best(base ? pg_argv : sql_argv);
	l1 = load1();
	ratio = t_list.wall / t_sql.wall;
	printf("backend: %s\n", base ? "PostgreSQL" : "SQLite");
	printf("list --json, %d connections: %.1f ms, %.1f ms of CPU (best of %d)\n",
	       CONNS, t_list.wall * 1e3, t_list.cpu * 1e3, RUNS);
	printf("%s, the same rows: %.1f ms, %.1f ms of CPU (best of %d)\n",
	       client, t_sql.wall * 1e3, t_sql.cpu * 1e3, RUNS);
	printf("load average (1 min): %.2f before, %.2f after\n", l0, l1);
	/* the CPU times' ratio, which a loaded machine changes less, is
	 * shown beside it; the target is on the clock */
	printf("ratio of CPU times: %.2f%s\n", t_list.cpu / t_sql.cpu,
	       base ? " (the clients' alone: not the server's work)" : "");
	printf("ratio: %.2f (target <= %.0f): %s\n", ratio, TARGET,
	       ratio <= TARGET ? "PASS" : "FAIL");
	if (base)
		psql(base, drop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_list: could not remove %s\n", dir);
	return ratio <= TARGET ? 0 : 1;
}
