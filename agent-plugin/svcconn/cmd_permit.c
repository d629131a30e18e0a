/*
 * cmd_permit.c - `svcconn permit REQUEST`: authorize the pipeline of a
 * permission request on its connection.
 */
#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_permit(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_perm_request *r = NULL;
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_permit_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_permit_entry, "permit needs a REQUEST id");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = cli_request_permit(ctx, st, &r, argv[optind]))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	printf("pipeline '");
	cli_print_safe(stdout, r->pipeline);
	printf("' may now use connection '");
	cli_print_safe(stdout, r->conn_name);
	printf("'\n");
done:
	svc_perm_requests_free(r, r ? 1 : 0);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_permit_entry = {
	"permit", "permit REQUEST",
	"authorize the pipeline of a permission request (User role)",
	"Adds the request's pipeline to the connection's authorized pipelines;\n"
	"the next attempt of the run proceeds.\n",
	cmd_permit, 1
};
