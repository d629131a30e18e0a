/*
 * cmd_pools.c - `svcconn pools create|list`: the pools agents belong to.
 *
 * A trusted pool's agents may send a job's pipeline YAML themselves (for
 * local development); other pools' agents run only pipelines the server
 * compiles from its own sources.  The store's Administrator manages them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_TRUSTED = 1 };

static const struct option options[] = {
	{ "trusted", no_argument, NULL, OPT_TRUSTED },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	(void)arg;
	if (c == OPT_TRUSTED)
		*(int *)data = 1;
	return EXIT_OK;
}

static int pool_list(struct cli_ctx *ctx, svc_store *st)
{
	svc_pool *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = cli_pool_list(ctx, st, &l, &n)))
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json)
		printf("%-24s %-8s %-20s %s\n", "NAME", "TRUSTED", "CREATED",
		       "CREATED BY");
	for (i = 0; i < n; i++) {
		char created[32];

		cli_when(created, l[i].created);
		if (ctx->json) {
			json_array_append_new(a, json_pack(
				"{s:s, s:b, s:s, s:s}", "name", l[i].name,
				"trusted", l[i].trusted, "created", created,
				"createdBy", l[i].created_by));
			continue;
		}
		printf("%-24s %-8s %-20s ", l[i].name,
		       l[i].trusted ? "yes" : "no", created);
		cli_print_safe(stdout, l[i].created_by);
		putchar('\n');
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
	svc_pool_list_free(l, n);
	return rc;
}

static int cmd_pools(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	const char *verb;
	int trusted = 0, rc, exit_now, nargs;

	if ((rc = cli_parse(ctx, &cmd_pools_entry, argc, argv, NULL, options,
			    on_opt, &trusted, &exit_now)) || exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "create") && strcmp(verb, "list"))
		return cli_usage_error(&cmd_pools_entry, "unknown action '%s'",
				       verb);
	if (strcmp(verb, "list") ? nargs != 1 : nargs > 0)
		return cli_usage_error(&cmd_pools_entry,
				       "wrong arguments for '%s'", verb);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "create")) {
		rc = cli_pool_create(ctx, st, argv[optind + 1], trusted);
		if (rc)
			rc = cli_lib_fail(rc);
		else
			printf("created %spool '%s'\n",
			       trusted ? "trusted " : "", argv[optind + 1]);
	} else {
		rc = pool_list(ctx, st);
	}
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_pools_entry = {
	"pools",
	"pools create NAME [--trusted]\n"
	"       svcconn pools list [--json]",
	"agent pools for svcconn-server",
	"Agents register into a pool ('svcconn agents registration-token --pool\n"
	"NAME'). The store's Administrator creates and lists pools.\n"
	"Options:\n"
	"  --trusted  create: the pool's agents may send a job's pipeline YAML\n"
	"             themselves (local development); the usage history records\n"
	"             that a job's YAML came from such an agent\n"
	"  --json     print JSON\n"
	"Creating a pool is audited ('svcconn audit'). Against a server\n"
	"(--server) both act on the server's store.\n",
	cmd_pools, 1
};
