/*
 * cmd_migrate.c - `svcconn migrate --to LOCATION`: the whole store copied
 * into another database (SQLite <-> PostgreSQL), checked table by table.
 */
#include <stdlib.h>

#include "cli.h"

/* --to */
#define OPT_TO 1

static const struct option options[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	const char **to = data;

	if (c != OPT_TO)
		return EXIT_USAGE;
	*to = arg;
	return EXIT_OK;
}

/* The tables as JSON: [{"table", "rows", "checksum"}, ...]. */
static int print_json(const svc_migrate_table *t, size_t n)
{
	json_t *a = json_array();
	size_t i;
	int rc = EXIT_OK;

	for (i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:I, s:s}",
						       "table", t[i].table,
						       "rows",
						       (json_int_t)t[i].rows,
						       "checksum",
						       t[i].checksum)) != 0)
			break;
	if (!a || i < n || json_dumpf(a, stdout, JSON_INDENT(2)) != 0)
		rc = cli_fail(EXIT_FAILED, "out of memory");
	else
		putchar('\n');
	json_decref(a);
	return rc;
}

static int cmd_migrate(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_migrate_table *t = NULL;
	const char *to_arg = NULL;
	char *to = NULL, *key = NULL;
	size_t tolen = 0, n = 0, i;
	long long rows = 0;
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_migrate_entry, argc, argv, NULL, options,
			    on_opt, &to_arg, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_migrate_entry,
				       "unexpected argument '%s'", argv[optind]);
	if (!to_arg || !*to_arg)
		return cli_usage_error(&cmd_migrate_entry,
				       "--to LOCATION is required");
	/* the databases are reached from this host, not through a server */
	if ((rc = cli_refuse_server(ctx)))
		return rc;
	if ((rc = svc_store_database_arg(&to, &tolen, to_arg)))
		return cli_lib_fail(rc);
	if ((rc = cli_open_store(ctx, &st)) == 0) {
		rc = svc_ops_store_migrate(&t, &n, st, ctx->who, to);
		rc = rc ? cli_lib_fail(rc) : EXIT_OK;
	}
	svc_secret_free(to, tolen);
	if (rc == EXIT_OK && ctx->json) {
		rc = print_json(t, n);
	} else if (rc == EXIT_OK) {
		printf("%-22s %8s  %s\n", "table", "rows", "checksum");
		for (i = 0; i < n; i++) {
			printf("%-22s %8lld  %s\n", t[i].table, t[i].rows,
			       t[i].checksum);
			rows += t[i].rows;
		}
		printf("migrated %lld rows of %zu tables from '%s'\n", rows, n,
		       svc_store_db_path(st));
		if (svc_store_paths(NULL, &key, &ctx->opts) == 0)
			printf("the copy opens with this store's master key: %s\n",
			       key);
	}
	free(key);
	free(t);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_migrate_entry = {
	"migrate", "migrate --to DIR|LOCATION|@FILE [--home DIR] [--json]",
	"copy the whole store into another database (SQLite, PostgreSQL)",
	"Copies every row of the store (given by --home, $SVCCONN_HOME and\n"
	"$SVCCONN_DATABASE as for every command) into the database --to names:\n"
	"a store directory (SQLite's store.db in it; the directory and the\n"
	"file are made when missing, and the master key file is copied in), or\n"
	"a PostgreSQL database, a postgresql:// URL or libpq's key=value words\n"
	"(no password on the command line: ~/.pgpass, or the location in a\n"
	"file given as @FILE).  The target must hold no store: its schema is\n"
	"made when it has none; do not run 'svcconn init' on it.\n"
	"\n"
	"Secrets, row MACs and audit records are copied as the bytes they\n"
	"are: nothing is decrypted, and the copy opens only with the same\n"
	"master key.  A PostgreSQL database does not hold the key: open it from\n"
	"a store directory holding this key whose file \"database\" names it\n"
	"(or with $SVCCONN_DATABASE and $SVCCONN_KEY_FILE).\n"
	"\n"
	"The source's rows are checked against their MACs first and read under\n"
	"its write lock (one snapshot; writers wait).  The target is written in\n"
	"one transaction; each table is read back from it and its row count\n"
	"and checksum (SHA-256 over its rows) compared with the source's; the\n"
	"copy's rows are checked against their MACs; any difference rolls the\n"
	"whole copy back and removes what migrate made.  Prints each table's\n"
	"rows and checksum.  Administrator on the store.\n",
	cmd_migrate, 0
};
