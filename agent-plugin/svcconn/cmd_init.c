/*
 * cmd_init.c - `svcconn init`: create a store.
 */
#include <stdlib.h>

#include "cli.h"

/* --database */
#define OPT_DATABASE 1

static const struct option options[] = {
	{ "database", required_argument, NULL, OPT_DATABASE },
	CLI_COMMON_OPTIONS
};

/* The --database argument, until it is read. */
struct init_opts {
	const char *database; /**< LOCATION or @FILE, or NULL */
};

static int on_opt(int c, const char *arg, void *data)
{
	struct init_opts *o = data;

	if (c != OPT_DATABASE)
		return EXIT_USAGE;
	o->database = arg;
	return EXIT_OK;
}

static int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	struct init_opts io = { NULL };
	char *home = NULL, *key = NULL, *db = NULL;
	size_t dblen = 0;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_init_entry, argc, argv, NULL, options,
			    on_opt, &io, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_init_entry, "unexpected argument '%s'",
				       argv[optind]);
	/* a server's store is made on its host */
	if ((rc = cli_refuse_server(ctx)))
		return rc;
	if (io.database) {
		if ((rc = svc_store_database_arg(&db, &dblen, io.database)))
			return cli_lib_fail(rc);
		ctx->opts.database = db;
	}
	rc = svc_ops_store_init(&ctx->opts, ctx->who);
	ctx->opts.database = NULL;
	svc_secret_free(db, dblen);
	if (rc != 0)
		return cli_lib_fail(rc);
	if (svc_store_paths(&home, &key, &ctx->opts) == 0) {
		printf("initialized store in %s\nmaster key: %s (keep it safe: without it the secrets cannot be read)\n",
		       home, key);
	}
	free(home);
	free(key);
	return EXIT_OK;
}

const struct cmd_entry cmd_init_entry = {
	"init", "init [--home DIR] [--database LOCATION|@FILE]",
	"create a new store",
	"Creates the store directory (mode 0700), a random 256-bit master key\n"
	"(mode 0600; $SVCCONN_KEY_FILE names another place) and the database.\n"
	"The user who runs init is recorded as the store's first administrator.\n"
	"\n"
	"The database is SQLite's file store.db in the store directory, unless\n"
	"--database (or $SVCCONN_DATABASE) names a PostgreSQL database, a\n"
	"postgresql://[USER@]HOST[:PORT]/DBNAME URL or libpq's key=value\n"
	"words: its location is then recorded in the file \"database\" of the\n"
	"store directory (mode 0600), where later commands find it; the\n"
	"secrets are sealed under the master key there too.  A password belongs\n"
	"in ~/.pgpass or $PGPASSFILE, never on the command line (@FILE reads\n"
	"the location from a file).\n",
	cmd_init
};
