/*
 * cmd_history.c - `svcconn history NAME`: every use of a connection by a
 * run.
 */
#include <stdlib.h>

#include "cli.h"

enum { OPT_LIMIT = 1 };

static const struct option options[] = {
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static json_t *js(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_usage *u = NULL;
	svc_store *st = NULL;
	size_t limit = 0, n = 0, i;
	int rc, exit_now;
	json_t *a;

	if ((rc = cli_parse(ctx, &cmd_history_entry, argc, argv, NULL, options,
			    cli_limit_opt, &limit, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_history_entry, "history needs a connection NAME");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = cli_usage_list(ctx, st, &u, &n, argv[optind], limit))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	a = json_array();
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_integer(u[i].id));
			json_object_set_new(o, "connection", js(u[i].conn_name));
			json_object_set_new(o, "pipeline", js(u[i].pipeline));
			json_object_set_new(o, "runId", js(u[i].run_id));
			json_object_set_new(o, "stage", js(u[i].stage));
			json_object_set_new(o, "job", js(u[i].job));
			json_object_set_new(o, "requestedBy", js(u[i].requested_by));
			json_object_set_new(o, "decision", js(u[i].decision));
			json_object_set_new(o, "message", js(u[i].message));
			json_object_set_new(o, "at", js(u[i].at));
			json_object_set_new(o, "result", js(u[i].result));
			json_object_set_new(o, "finishedAt", js(u[i].finished_at));
			json_array_append_new(a, o);
			continue;
		}
		printf("%s %-16s %s run %s %s/%s by %s%s%s\n", u[i].at, u[i].decision,
		       u[i].pipeline, u[i].run_id, u[i].stage ? u[i].stage : "-",
		       u[i].job ? u[i].job : "-",
		       u[i].requested_by ? u[i].requested_by : "-",
		       u[i].result ? " -> " : "", u[i].result ? u[i].result : "");
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
done:
	svc_usages_free(u, n);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_history_entry = {
	"history", "history NAME [--limit N] [--json]",
	"show the usage history of a connection, newest first",
	"One record per use by a run: pipeline, run, stage, job, who queued it,\n"
	"whether access was granted, denied or left waiting, and the job's\n"
	"result. Never a secret.\n",
	cmd_history, 1
};
