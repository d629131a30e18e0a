/*
 * cmd_rekey.c - `svcconn rekey`: every secret under a new master key.
 */
#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_rekey(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_rekey_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_rekey_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	rc = svc_ops_rekey(st, ctx->who);
	if (rc)
		rc = cli_lib_fail(rc);
	else
		printf("re-encrypted every secret under a new master key\n");
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_rekey_entry = {
	"rekey", "rekey",
	"re-encrypt every secret under a new master key",
	"The new key is written next to the old one as KEYFILE.new, every secret\n"
	"is re-encrypted in one transaction, then the new key replaces the old.\n"
	"Interrupted at any point, the store stays readable: the next command\n"
	"finishes or discards the interrupted rekey.\n",
	cmd_rekey
};
