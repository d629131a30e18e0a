/*
 * bench_list.c - `svcconn list --json` at 10,000 connections against the
 * database's own command-line client reading the same rows (issue 15).
 *
 * Builds a store of 10,000 connections (Generic: a URL, a user name and a
 * sealed password) under a temporary directory, then times, as whole
 * processes with stdout to /dev/null, the best of RUNS runs each of
 *   svcconn list --json
 *   sqlite3 -readonly -json store.db 'SELECT ... FROM connections JOIN
 *           fields ...'  (every column list --json shows, in its order)
 * and prints both and their ratio; the goal is 3 or less (exit 1 past it).
 * One run of list is checked first: a JSON array of every connection.
 * Usage: bench_list [DIR_OF_SVCCONN] (default: ../bin next to this program).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <svcconn/svcconn.h>
#include "store/store_write.h"

#define BENCH_NAME "bench_list"
#include "bench_util.h"

#define CONNS 10000
#define RUNS 5
#define TARGET 3.0

extern char **environ;

/* The store: CONNS connections made in one import. */
static void fill(svc_store *st, const svc_catalog *cat)
{
	svc_conn **conns = calloc(CONNS, sizeof(*conns));
	int i;

	if (!conns)
		die("fill", "out of memory");
	for (i = 0; i < CONNS; i++) {
		char name[64], pw[64];
		svc_diags *d = NULL;

		snprintf(name, sizeof(name), "conn-%05d", i);
		snprintf(pw, sizeof(pw), "pw-%08d-secret", i);
		if (svc_conn_new(&conns[i], "generic", name) ||
		    svc_conn_set_url(conns[i], "https://service.example.test/api") ||
		    svc_conn_set_field(conns[i], "username", "ci", 2) ||
		    svc_conn_set_field(conns[i], "password", pw, strlen(pw)) ||
		    svc_diags_new(&d) || svc_conn_validate(conns[i], cat, d))
			die("create", svc_error_last());
		svc_diags_free(d);
	}
	if (svc_store_conn_import(st, conns, CONNS, "bench", 0))
		die("import", svc_error_last());
	for (i = 0; i < CONNS; i++)
		svc_conn_free(conns[i]);
	free(conns);
}

/* Run argv with stdout to out (a path); seconds it took.  Dies on failure. */
static double run(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
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
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die(argv[0], "failed");
	return now() - t0;
}

/* The best of RUNS runs. */
static double best(char *const argv[])
{
	double t, min = 1e9;
	int i;

	for (i = 0; i < RUNS; i++)
		if ((t = run(argv, "/dev/null")) < min)
			min = t;
	return min;
}

int main(int argc, char **argv)
{
	static const char sql[] =
		"SELECT c.id, c.name, c.type, c.scheme, c.url, c.description, "
		"c.created_by, c.created_at, c.updated_by, c.updated_at, "
		"c.all_pipelines, f.key, f.kind, f.secret, f.value "
		"FROM connections c JOIN fields f ON f.conn_id = c.id "
		"ORDER BY c.name, f.rowid";
	char dir[] = "/tmp/svcbench.XXXXXX", self[4096], svcconn[4200];
	char db[64], out[64], cmd[128];
	svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, NULL, NULL };
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	json_t *j;
	double t_list, t_sql, ratio;
	char *list_argv[] = { svcconn, "list", "--json", NULL };
	char *sql_argv[] = { "sqlite3", "-readonly", "-json", db,
			     (char *)sql, NULL };

	if (argc > 1) {
		snprintf(svcconn, sizeof(svcconn), "%s/svcconn", argv[1]);
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
	run(sql_argv, "/dev/null");
	t_list = best(list_argv);
	t_sql = best(sql_argv);
	ratio = t_list / t_sql;
	printf("list --json, %d connections: %.1f ms (best of %d)\n", CONNS,
	       t_list * 1e3, RUNS);
	printf("sqlite3 -json, the same rows: %.1f ms (best of %d)\n",
	       t_sql * 1e3, RUNS);
	printf("ratio: %.2f (target <= %.0f): %s\n", ratio, TARGET,
	       ratio <= TARGET ? "PASS" : "FAIL");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_list: could not remove %s\n", dir);
	return ratio <= TARGET ? 0 : 1;
}
