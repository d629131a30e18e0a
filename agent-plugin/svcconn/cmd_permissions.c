/*
 * cmd_permissions.c - `svcconn permissions NAME`: which pipelines may use a
 * connection, and changing that.
 */
#include <string.h>

#include "cli.h"

enum { OPT_ADD = 1, OPT_REMOVE, OPT_ALL, OPT_RESTRICT };

/* What to change. */
struct perm_opts {
	int op;             /**< OPT_*, or 0 to show */
	const char *arg;    /**< the pipeline for add/remove */
	int nops;           /**< how many operations were given */
};

static const struct option options[] = {
	{ "add", required_argument, NULL, OPT_ADD },
	{ "remove", required_argument, NULL, OPT_REMOVE },
	{ "all-pipelines", no_argument, NULL, OPT_ALL },
	{ "restrict", no_argument, NULL, OPT_RESTRICT },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct perm_opts *o = data;

	o->op = c;
	o->arg = arg;
	o->nops++;
	return EXIT_OK;
}

static int show(struct cli_ctx *ctx, svc_store *st, const char *name)
{
	char **list = NULL;
	svc_conn *c = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_conn_get(ctx, st, &c, name)) ||
	    (rc = cli_pipeline_list(ctx, st, &list, &n, name))) {
		svc_conn_free(c);
		return cli_lib_fail(rc);
	}
	if (ctx->json) {
		json_t *o = json_object(), *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(list[i]));
		json_object_set_new(o, "id", json_string(svc_conn_id(c)));
		json_object_set_new(o, "name", json_string(svc_conn_name(c)));
		json_object_set_new(o, "allPipelines",
				    json_boolean(svc_conn_all_pipelines(c)));
		json_object_set_new(o, "pipelines", a);
		rc = cli_print_json(o);
	} else {
		printf("connection '");
		cli_print_safe(stdout, svc_conn_name(c));
		printf("': %s\n", svc_conn_all_pipelines(c)
				       ? "open to all pipelines"
				       : "restricted to the pipelines below");
		for (i = 0; i < n; i++) {
			printf("  ");
			cli_print_safe(stdout, list[i]);
			putchar('\n');
		}
		if (!n && !svc_conn_all_pipelines(c))
			printf("  (none yet)\n");
	}
	svc_strings_free(list, n);
	svc_conn_free(c);
	return rc;
}

static int cmd_permissions(struct cli_ctx *ctx, int argc, char **argv)
{
	struct perm_opts o = { 0, NULL, 0 };
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_permissions_entry, argc, argv, NULL,
			    options, on_opt, &o, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_permissions_entry,
				       "permissions needs a connection NAME");
	if (o.nops > 1)
		return cli_usage_error(&cmd_permissions_entry,
				       "give one change at a time");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	switch (o.op) {
	case OPT_ADD:
	case OPT_REMOVE:
		rc = cli_pipeline_set(ctx, st, argv[optind], o.arg,
				      o.op == OPT_ADD);
		break;
	case OPT_ALL:
	case OPT_RESTRICT:
		rc = cli_conn_set_all_pipelines(ctx, st, argv[optind],
						o.op == OPT_ALL);
		break;
	default:
		rc = 0;
	}
	rc = rc ? cli_lib_fail(rc) : show(ctx, st, argv[optind]);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_permissions_entry = {
	"permissions",
	"permissions NAME [--add PIPELINE | --remove PIPELINE | --all-pipelines | --restrict] [--json]",
	"show or change which pipelines may use a connection",
	"  --add PIPELINE     authorize a pipeline (User role)\n"
	"  --remove PIPELINE  take the authorization back (User role)\n"
	"  --all-pipelines    open the connection to every pipeline\n"
	"                     (Administrator role)\n"
	"  --restrict         only the listed pipelines (User role)\n"
	"Pipeline names compare ignoring case.\n",
	cmd_permissions, 1
};
