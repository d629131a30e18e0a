/*
 * cmd_delete.c - `svcconn delete NAME|ID`.
 */
#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_delete_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_delete_entry, "delete needs a NAME or ID");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	rc = cli_conn_delete(ctx, st, argv[optind]);
	if (rc)
		rc = cli_lib_fail(rc);
	else
		printf("deleted connection '%s'\n", argv[optind]);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_delete_entry = {
	"delete", "delete NAME|ID",
	"delete a connection and its secrets",
	"The connection's encrypted secrets are removed with it (the database\n"
	"zeroes freed pages). The audit log keeps a record of the deletion.\n"
	"A connection refused because the store was changed without the key\n"
	"can still be deleted; so can, by its id, one whose rows were removed\n"
	"without the key (which accepts that removal).\n",
	cmd_delete, 1
};
