/*
 * cmd_audit.c - `svcconn audit`: who changed what, when (never a value).
 */
#include <stdlib.h>

#include "cli.h"

enum { OPT_LIMIT = 1 };

static const struct option options[] = {
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_audit_list *l = NULL;
	svc_store *st = NULL;
	size_t limit = 0, i, n;
	json_t *a;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_audit_entry, argc, argv, NULL, options,
			    cli_limit_opt, &limit, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_audit_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = cli_audit(ctx, st, &l, limit))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	n = svc_audit_list_count(l);
	a = json_array();
	for (i = 0; i < n; i++) {
		const svc_audit_entry *e = svc_audit_list_at(l, i);
		json_error_t jerr;

		if (ctx->json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_integer(e->seq));
			json_object_set_new(o, "at", json_string(e->at));
			json_object_set_new(o, "actor", json_string(e->actor));
			json_object_set_new(o, "action", json_string(e->action));
			json_object_set_new(o, "connectionId", json_string(e->conn_id));
			json_object_set_new(o, "connection", json_string(e->conn_name));
			json_object_set_new(o, "detail",
				json_loads(e->detail ? e->detail : "{}", 0, &jerr));
			json_array_append_new(a, o);
			continue;
		}
		printf("%-6lld %s %-12s %-8s ", e->seq, e->at, e->actor, e->action);
		cli_print_safe(stdout, e->conn_name);
		printf(" %s\n", e->detail ? e->detail : "");
	}
	if (ctx->json)
		rc = cli_print_json(a);
	else
		json_decref(a);
done:
	svc_audit_list_free(l);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_audit_entry = {
	"audit", "audit [--limit N] [--json]",
	"show the audit log of management actions",
	"Each record says who acted, when, on which connection, and which field\n"
	"keys changed; values, secret or not, are never recorded.\n",
	cmd_audit, 1
};
