/*
 * cmd_rename.c - `svcconn rename NAME NEW-NAME`.
 */
#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_rename(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_rename_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(&cmd_rename_entry,
				       "rename needs a NAME and a NEW-NAME");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	rc = cli_conn_rename(ctx, st, argv[optind], argv[optind + 1]);
	if (rc)
		rc = cli_lib_fail(rc);
	else
		printf("renamed connection '%s' to '%s'\n", argv[optind],
		       argv[optind + 1]);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_rename_entry = {
	"rename", "rename NAME|ID NEW-NAME",
	"rename a connection",
	"Pipelines refer to connections by name: a renamed connection is no\n"
	"longer found under its old name.\n",
	cmd_rename, 1
};
