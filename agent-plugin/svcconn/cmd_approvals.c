/*
 * cmd_approvals.c - `svcconn approvals`: approval check runs and who may
 * still decide them.
 */
#include <string.h>

#include "cli.h"

enum { OPT_PENDING = 1 };

static const struct option options[] = {
	{ "pending", no_argument, NULL, OPT_PENDING },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int cmd_approvals(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_check_run *r = NULL;
	svc_store *st = NULL;
	char **names = NULL;
	size_t n = 0, i;
	int rc, exit_now, pending = 0;
	json_t *a;
	json_error_t jerr;

	if ((rc = cli_parse(ctx, &cmd_approvals_entry, argc, argv, NULL, options,
			    cli_flag_opt, &pending, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_approvals_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = cli_approval_list(ctx, st, &r, &names, &n, pending))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	a = json_array();
	for (i = 0; i < n; i++) {
		json_t *state = json_loads(r[i].state ? r[i].state : "{}", 0, &jerr);

		if (ctx->json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(r[i].id));
			json_object_set_new(o, "connection", json_string(names[i]));
			json_object_set_new(o, "pipeline", json_string(r[i].pipeline));
			json_object_set_new(o, "runId", json_string(r[i].run_id));
			json_object_set_new(o, "stage", r[i].stage ? json_string(r[i].stage) : json_null());
			json_object_set_new(o, "requestedBy", r[i].requested_by ? json_string(r[i].requested_by) : json_null());
			json_object_set_new(o, "status", json_string(r[i].status));
			json_object_set(o, "approvers", json_object_get(state, "approvers"));
			json_object_set_new(o, "message", r[i].message ? json_string(r[i].message) : json_null());
			json_object_set_new(o, "startedAt", json_string(r[i].started_at));
			json_array_append_new(a, o);
		} else {
			printf("%s %-9s ", r[i].id, r[i].status);
			cli_print_safe(stdout, names[i]);
			printf(" %s run %s stage %s: ", r[i].pipeline, r[i].run_id,
			       r[i].stage ? r[i].stage : "-");
			cli_print_safe(stdout, r[i].message ? r[i].message : "");
			putchar('\n');
		}
		json_decref(state);
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
done:
	svc_strings_free(names, n);
	svc_check_runs_free(r, n);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_approvals_entry = {
	"approvals", "approvals [--pending] [--json]",
	"list approval check runs (--pending: those still waiting)",
	"Approve or reject one with 'svcconn approve ID' or 'svcconn reject ID'.\n"
	"With --server, the server's approvals (GET .../pipelines/approvals).\n",
	cmd_approvals, 1
};
