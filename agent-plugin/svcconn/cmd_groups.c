/*
 * cmd_groups.c - `svcconn groups`: groups of users, for roles and
 * approvers.
 */
#include <string.h>

#include "cli.h"

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int list(struct cli_ctx *ctx, svc_store *st, const char *group)
{
	char **g = NULL;
	size_t n = 0, i;
	int rc = cli_group_list(ctx, st, &g, &n, group);

	if (rc)
		return cli_lib_fail(rc);
	if (ctx->json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(g[i]));
			json_object_set_new(o, group ? "member" : "group", json_string(g[i]));
			json_array_append_new(a, o);
		}
		rc = cli_print_json(a);
	} else {
		for (i = 0; i < n; i++) {
			cli_print_safe(stdout, g[i]);
			putchar('\n');
		}
	}
	svc_strings_free(g, n);
	return rc;
}

static int cmd_groups(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	const char *verb;
	int rc, exit_now, i, nargs;

	if ((rc = cli_parse(ctx, &cmd_groups_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "create") &&
	    strcmp(verb, "delete") && strcmp(verb, "add") && strcmp(verb, "remove"))
		return cli_usage_error(&cmd_groups_entry, "unknown action '%s'", verb);
	if ((!strcmp(verb, "add") || !strcmp(verb, "remove")) ? nargs < 2
	    : (!strcmp(verb, "list") ? nargs > 0 : nargs != 1))
		return cli_usage_error(&cmd_groups_entry, "wrong arguments for '%s'", verb);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "list") || !strcmp(verb, "show")) {
		rc = list(ctx, st, nargs > 0 ? argv[optind + 1] : NULL);
		goto done;
	}
	if (!strcmp(verb, "create") || !strcmp(verb, "delete"))
		rc = cli_group_make(ctx, st, argv[optind + 1],
				    !strcmp(verb, "create"));
	for (i = 2; !rc && i <= nargs && (!strcmp(verb, "add") || !strcmp(verb, "remove")); i++)
		rc = cli_group_member(ctx, st, argv[optind + 1],
				      argv[optind + i], !strcmp(verb, "add"));
	if (rc)
		rc = cli_lib_fail(rc);
	else if (strcmp(verb, "delete"))
		rc = list(ctx, st, argv[optind + 1]);
	else
		printf("deleted group '%s'\n", argv[optind + 1]);
done:
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_groups_entry = {
	"groups",
	"groups [list | show GROUP | create GROUP | delete GROUP | add GROUP USER... | remove GROUP USER...] [--json]",
	"manage groups of users (for roles and approvers)",
	"A group may be given roles ('svcconn security') and be an approver:\n"
	"any member may act for it, and it counts as one approver. Changing\n"
	"groups needs the store's Administrator role.\n",
	cmd_groups, 1
};
