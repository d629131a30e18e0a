/*
 * cmd_audit.c - `svcconn audit`: who changed what, when (never a value).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_LIMIT = 1, OPT_ACTION, OPT_ACTOR, OPT_CONNECTION, OPT_FROM,
       OPT_UNTIL, OPT_SEARCH };

static const struct option options[] = {
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "actor", required_argument, NULL, OPT_ACTOR },
	{ "connection", required_argument, NULL, OPT_CONNECTION },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "search", required_argument, NULL, OPT_SEARCH },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/* An option into the filter. */
static int on_opt(int c, const char *arg, void *data)
{
	svc_audit_filter *f = data;

	switch (c) {
	case OPT_LIMIT:
		return cli_limit_opt(c, arg, &f->limit);
	case OPT_ACTION:
		f->action = arg;
		break;
	case OPT_ACTOR:
		f->actor = arg;
		break;
	case OPT_CONNECTION:
		f->conn = arg;
		break;
	case OPT_FROM:
		f->from = arg;
		break;
	case OPT_UNTIL:
		f->until = arg;
		break;
	default:
		f->text = arg;
		break;
	}
	return EXIT_OK;
}

static int cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_audit_list *l = NULL;
	svc_audit_filter f;
	svc_store *st = NULL;
	size_t i, n;
	json_t *a;
	int rc, exit_now;

	memset(&f, 0, sizeof(f));
	f.version = SVC_AUDIT_FILTER_VERSION;
	if ((rc = cli_parse(ctx, &cmd_audit_entry, argc, argv, NULL, options,
			    on_opt, &f, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_audit_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if ((rc = cli_audit(ctx, st, &l, &f))) {
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
	"audit",
	"audit [--action A] [--actor NAME] [--connection C] [--from TIME] [--until TIME] [--search TEXT] [--limit N] [--json]",
	"show the audit log of management actions",
	"Each record says who acted, when, on which connection, and which field\n"
	"keys changed; values, secret or not, are never recorded.\n"
	"The options select records: --action (create, edit, role-set, ...) and\n"
	"--actor (as recorded, e.g. 'root as alice') exactly, --connection by id\n"
	"or by its name as recorded, --from (at or after) and --until (before)\n"
	"a UTC time YYYY-MM-DD[THH:MM[:SS]][Z], --search TEXT in the actor,\n"
	"action, connection name or details ignoring ASCII case; --limit the\n"
	"newest N of those. Reading it needs the Administrator role on the store.\n",
	cmd_audit, 1
};
