/*
 * cmd_init.c - `svcconn init`: create a store.
 */
#include <stdlib.h>

#include "cli.h"

static const struct option options[] = { CLI_COMMON_OPTIONS };

static int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	char *home = NULL, *key = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_init_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_init_entry, "unexpected argument '%s'",
				       argv[optind]);
	/* a server's store is made on its host */
	if ((rc = cli_refuse_server(ctx)))
		return rc;
	if ((rc = svc_ops_store_init(&ctx->opts, ctx->who)) != 0)
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
	"init", "init [--home DIR]",
	"create a new store",
	"Creates the store directory (mode 0700), a random 256-bit master key\n"
	"(mode 0600; $SVCCONN_KEY_FILE names another place) and the database.\n"
	"The user who runs init is recorded as the store's first administrator.\n",
	cmd_init
};
