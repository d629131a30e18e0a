/*
 * cmd_bypass.c - `svcconn bypass CHECK-RUN`: an administrator lets a stage
 * past an approval, business-hours or REST check (recorded in the audit
 * log).
 */
#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_bypass(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_bypass_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_bypass_entry, "bypass needs a CHECK-RUN id");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	rc = cli_bypass(ctx, st, argv[optind]);
	if (rc)
		rc = cli_lib_fail(rc);
	else
		printf("bypassed %s\n", argv[optind]);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_bypass_entry = {
	"bypass", "bypass CHECK-RUN",
	"bypass an approval, business-hours or REST check run (Administrator)",
	"The bypass is recorded in the audit log with who did it. With\n"
	"--server, on the server as the token's owner (POST\n"
	".../svcconn/checkruns/ID/bypass).\n",
	cmd_bypass, 1
};
