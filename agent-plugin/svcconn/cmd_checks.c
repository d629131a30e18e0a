/*
 * cmd_checks.c - `svcconn checks NAME`: the approvals and checks a stage
 * must pass before it may use a connection.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_OPTS 32

/* Options of `checks NAME add KIND`, as key/value pairs. */
struct check_opts {
	const char *keys[MAX_OPTS];    /**< option names without -- */
	const char *values[MAX_OPTS];  /**< their values */
	size_t n;                      /**< entries used */
};

enum { OPT_FIRST = 1 };

static const struct option options[] = {
	{ "approvers", required_argument, NULL, OPT_FIRST },
	{ "min", required_argument, NULL, OPT_FIRST + 1 },
	{ "allow-requester", no_argument, NULL, OPT_FIRST + 2 },
	{ "instructions", required_argument, NULL, OPT_FIRST + 3 },
	{ "timeout", required_argument, NULL, OPT_FIRST + 4 },
	{ "allowed", required_argument, NULL, OPT_FIRST + 5 },
	{ "days", required_argument, NULL, OPT_FIRST + 6 },
	{ "tz", required_argument, NULL, OPT_FIRST + 7 },
	{ "start", required_argument, NULL, OPT_FIRST + 8 },
	{ "end", required_argument, NULL, OPT_FIRST + 9 },
	{ "connection", required_argument, NULL, OPT_FIRST + 10 },
	{ "method", required_argument, NULL, OPT_FIRST + 11 },
	{ "url-suffix", required_argument, NULL, OPT_FIRST + 12 },
	{ "headers", required_argument, NULL, OPT_FIRST + 13 },
	{ "body", required_argument, NULL, OPT_FIRST + 14 },
	{ "success", required_argument, NULL, OPT_FIRST + 15 },
	{ "retry-interval", required_argument, NULL, OPT_FIRST + 16 },
	{ "repo", required_argument, NULL, OPT_FIRST + 17 },
	{ "ref", required_argument, NULL, OPT_FIRST + 18 },
	{ "path", required_argument, NULL, OPT_FIRST + 19 },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct check_opts *o = data;

	if (o->n == MAX_OPTS)
		return cli_fail(SVC_EINVALID, "too many options");
	o->keys[o->n] = options[c - OPT_FIRST].name;
	o->values[o->n++] = arg ? arg : "true";
	return EXIT_OK;
}

static int list(struct cli_ctx *ctx, svc_store *st, const svc_conn *c)
{
	svc_check *k = NULL;
	size_t n = 0, i;
	int rc = cli_check_list(ctx, st, &k, &n, svc_conn_id(c));
	json_t *a;
	json_error_t jerr;

	if (rc)
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json) {
		printf("checks on '");
		cli_print_safe(stdout, svc_conn_name(c));
		printf("', in evaluation order (category, then creation):\n");
	}
	/* the gate's order: static checks, approvals and checks, the lock */
	for (int cat = SVC_CHECK_STATIC; cat <= SVC_CHECK_UNKNOWN; cat++)
		for (i = 0; i < n; i++) {
			const char *kd = k[i].kind;

			if ((int)svc_check_kind_category(kd) != cat)
				continue;
			if (ctx->json) {
				json_t *o = json_object();

				json_object_set_new(o, "id", json_string(k[i].id));
				json_object_set_new(o, "kind", json_string(kd));
				json_object_set_new(o, "enabled", json_boolean(k[i].enabled));
				json_object_set_new(o, "config", json_loads(k[i].config, 0, &jerr));
				json_object_set_new(o, "createdBy", json_string(k[i].created_by));
				json_object_set_new(o, "createdAt", json_string(k[i].created_at));
				json_array_append_new(a, o);
			} else {
				printf("  %s %-17s %s%s\n", k[i].id, kd, k[i].config,
				       k[i].enabled ? "" : " (disabled)");
			}
		}
	if (!ctx->json && !n)
		printf("  (none)\n");
	svc_checks_free(k, n);
	return ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
}

static int cmd_checks(struct cli_ctx *ctx, int argc, char **argv)
{
	struct check_opts o;
	svc_store *st = NULL;
	svc_conn *c = NULL;
	const char *verb;
	char *id = NULL;
	int rc, exit_now, nargs;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, &cmd_checks_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	nargs = argc - optind;
	if (nargs < 1)
		return cli_usage_error(&cmd_checks_entry, "checks needs a connection NAME");
	verb = nargs > 1 ? argv[optind + 1] : NULL;
	if (verb && strcmp(verb, "add") && strcmp(verb, "remove") &&
	    strcmp(verb, "disable") && strcmp(verb, "enable"))
		return cli_usage_error(&cmd_checks_entry, "unknown action '%s'", verb);
	if (verb && nargs != 3)
		return cli_usage_error(&cmd_checks_entry, "'%s' needs %s", verb,
				       !strcmp(verb, "add") ? "a KIND" : "a check ID");
	if (!verb && o.n)
		return cli_usage_error(&cmd_checks_entry, "options go with 'add'");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!verb) {
		if ((rc = cli_conn_get(ctx, st, &c, argv[optind])))
			rc = cli_lib_fail(rc);
		else
			rc = list(ctx, st, c);
		goto done;
	}
	if (!strcmp(verb, "add")) {
		if ((rc = cli_check_add(ctx, st, &id, argv[optind],
					argv[optind + 2], o.keys, o.values,
					o.n))) {
			rc = cli_lib_fail(rc);
			goto done;
		}
		if (ctx->json) {
			json_t *r = json_object();

			json_object_set_new(r, "id", json_string(id));
			json_object_set_new(r, "kind", json_string(argv[optind + 2]));
			rc = cli_print_json(r);
		} else {
			printf("added %s check %s\n", argv[optind + 2], id);
		}
		goto done;
	}
	/* remove/disable/enable: the check must belong to this connection */
	rc = !strcmp(verb, "remove")
		? cli_check_remove(ctx, st, argv[optind], argv[optind + 2])
		: cli_check_enable(ctx, st, argv[optind], argv[optind + 2],
				   !strcmp(verb, "enable"));
	if (rc)
		rc = cli_lib_fail(rc);
	else
		printf("%s check %s\n", !strcmp(verb, "remove") ? "removed"
			: !strcmp(verb, "enable") ? "enabled" : "disabled",
		       argv[optind + 2]);
done:
	free(id);
	svc_conn_free(c);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_checks_entry = {
	"checks",
	"checks NAME [--json] | checks NAME add KIND [OPTIONS] | checks NAME remove|disable|enable ID",
	"list, add and remove a connection's approvals and checks",
	"Kinds and their options:\n"
	"  approval --approvers alice,team-ops [--min N] [--allow-requester]\n"
	"           [--instructions TEXT] [--timeout 30d]\n"
	"  branch-control --allowed 'refs/heads/main,refs/heads/release/*'\n"
	"  business-hours --days Mon-Fri --tz Europe/Berlin --start 08:00\n"
	"           --end 18:00 [--timeout 1d]\n"
	"  rest-api --connection GENERIC_NAME [--method POST] [--url-suffix S]\n"
	"           [--headers JSON] [--body TEXT] [--success \"eq(root['status'], 'ok')\"]\n"
	"           [--retry-interval 5m] [--timeout 1d]\n"
	"  required-template --repo R --ref REF --path PATH\n"
	"  exclusive-lock\n"
	"Before a stage starts, every check of every connection it uses runs:\n"
	"branch control and required template first, then approvals, REST calls\n"
	"and business hours, then the exclusive lock; a final failure stops the\n"
	"later ones. Adding and removing checks needs the User role.\n",
	cmd_checks, 1
};
