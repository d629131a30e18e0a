/*
 * cmd_requests.c - `svcconn requests`: runs waiting for a pipeline
 * permission.
 */
#include "cli.h"

enum { OPT_ALL = 1 };

static const struct option options[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int cmd_requests(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_perm_request *r = NULL;
	svc_store *st = NULL;
	size_t n = 0, i;
	int rc, exit_now, all = 0;
	json_t *a;

	if ((rc = cli_parse(ctx, &cmd_requests_entry, argc, argv, NULL, options,
			    cli_flag_opt, &all, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_requests_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = cli_request_list(ctx, st, &r, &n, !all))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	a = json_array();
	if (!ctx->json)
		printf("%-36s %-9s %-24s %s\n", "ID", "STATUS", "CONNECTION", "PIPELINE (RUN, REQUESTED BY)");
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(r[i].id));
			json_object_set_new(o, "connection", json_string(r[i].conn_name));
			json_object_set_new(o, "connectionId", json_string(r[i].conn_id));
			json_object_set_new(o, "pipeline", json_string(r[i].pipeline));
			json_object_set_new(o, "runId", r[i].run_id ? json_string(r[i].run_id) : json_null());
			json_object_set_new(o, "requestedBy", r[i].requested_by ? json_string(r[i].requested_by) : json_null());
			json_object_set_new(o, "at", json_string(r[i].at));
			json_object_set_new(o, "status", json_string(r[i].status));
			json_object_set_new(o, "decidedBy", r[i].decided_by ? json_string(r[i].decided_by) : json_null());
			json_array_append_new(a, o);
			continue;
		}
		printf("%-36s %-9s ", r[i].id, r[i].status);
		cli_print_safe(stdout, r[i].conn_name);
		printf(" ");
		cli_print_safe(stdout, r[i].pipeline);
		printf(" (run %s, %s)\n", r[i].run_id ? r[i].run_id : "-",
		       r[i].requested_by ? r[i].requested_by : "-");
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
done:
	svc_perm_requests_free(r, n);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_requests_entry = {
	"requests", "requests [--all] [--json]",
	"list runs waiting for a pipeline permission",
	"Each request names the connection, the pipeline and the run that asked.\n"
	"'svcconn permit ID' authorizes the pipeline. --all includes the\n"
	"requests already permitted.\n",
	cmd_requests, 1
};
