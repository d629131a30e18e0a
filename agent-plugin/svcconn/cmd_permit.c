/*
 * cmd_permit.c - `svcconn permit REQUEST`: authorize the pipeline of a
 * permission request on its connection.
 */
#include <string.h>

#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_permit(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_perm_request *r = NULL;
	svc_store *st = NULL;
	svc_conn *c = NULL;
	size_t n = 0, i;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_permit_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_permit_entry, "permit needs a REQUEST id");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = svc_store_request_list(&r, &n, st, 0))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(r[i].id, argv[optind]))
			break;
	if (i == n) {
		rc = cli_fail(SVC_ENOTFOUND, "no permission request '%s'", argv[optind]);
		goto done;
	}
	if ((rc = cli_get_conn(ctx, st, r[i].conn_id, SVC_ROLE_USER, &c)))
		goto done;
	if ((rc = svc_store_request_permit(st, argv[optind], ctx->actor))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	printf("pipeline '");
	cli_print_safe(stdout, r[i].pipeline);
	printf("' may now use connection '");
	cli_print_safe(stdout, svc_conn_name(c));
	printf("'\n");
done:
	svc_conn_free(c);
	svc_perm_requests_free(r, n);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_permit_entry = {
	"permit", "permit REQUEST",
	"authorize the pipeline of a permission request (User role)",
	"Adds the request's pipeline to the connection's authorized pipelines;\n"
	"the next attempt of the run proceeds.\n",
	cmd_permit
};
