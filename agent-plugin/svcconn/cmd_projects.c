/*
 * cmd_projects.c - `svcconn projects create|list|delete`: the projects of
 * the store (docs/projects.md).
 *
 * Connections, registered pipelines, pipeline permissions and roles
 * belong to a project; every command acts in one (--project, else
 * $SVCCONN_PROJECT, else "default").  The store's Administrator creates
 * and deletes projects; a principal lists the projects it has a role in.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_DESCRIPTION = 1 };

static const struct option options[] = {
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	if (c == OPT_DESCRIPTION)
		*(const char **)data = arg;
	return EXIT_OK;
}

static int project_list(struct cli_ctx *ctx, svc_store *st)
{
	svc_project *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = cli_project_list(ctx, st, &l, &n)))
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json)
		printf("%-24s %-36s %s\n", "NAME", "ID", "DESCRIPTION");
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			json_array_append_new(a, json_pack(
				"{s:s, s:s, s:s, s:s, s:s}", "id", l[i].id,
				"name", l[i].name,
				"description", l[i].description,
				"createdBy", l[i].created_by,
				"created", l[i].created_at));
			continue;
		}
		printf("%-24s %-36s ", l[i].name, l[i].id);
		cli_print_safe(stdout, l[i].description);
		putchar('\n');
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
	svc_projects_free(l, n);
	return rc;
}

static int cmd_projects(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	const char *verb, *description = NULL;
	int rc, exit_now, nargs;

	if ((rc = cli_parse(ctx, &cmd_projects_entry, argc, argv, NULL,
			    options, on_opt, &description, &exit_now)) ||
	    exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "create") && strcmp(verb, "list") &&
	    strcmp(verb, "delete"))
		return cli_usage_error(&cmd_projects_entry,
				       "unknown action '%s'", verb);
	if (strcmp(verb, "list") ? nargs != 1 : nargs > 0)
		return cli_usage_error(&cmd_projects_entry,
				       "wrong arguments for '%s'", verb);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "create")) {
		rc = cli_project_create(ctx, st, argv[optind + 1],
					description);
		if (rc)
			rc = cli_lib_fail(rc);
		else
			printf("created project '%s'\n", argv[optind + 1]);
	} else if (!strcmp(verb, "delete")) {
		rc = cli_project_delete(ctx, st, argv[optind + 1]);
		if (rc)
			rc = cli_lib_fail(rc);
		else
			printf("deleted project '%s'\n", argv[optind + 1]);
	} else {
		rc = project_list(ctx, st);
	}
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_projects_entry = {
	"projects",
	"projects create NAME [--description TEXT]\n"
	"       svcconn projects list [--json]\n"
	"       svcconn projects delete NAME",
	"the projects connections, pipelines and roles belong to",
	"As in Azure DevOps, connections, registered pipelines, pipeline\n"
	"permissions and roles belong to a project. A store has the project\n"
	"'default' from the start; every command acts in one project: the\n"
	"common option --project NAME (or 'svcconn --project NAME COMMAND'),\n"
	"else $SVCCONN_PROJECT, else 'default'. A project you have no role in\n"
	"(on the store or in the project) is not found, as one that does not\n"
	"exist. 'svcconn share' makes a connection usable from another project;\n"
	"'svcconn security --project NAME --grant P=ROLE' grants a role in one.\n"
	"Actions:\n"
	"  create NAME  a new project (the store's Administrator); names are\n"
	"               unique case-insensitively, at most 64 characters, no\n"
	"               '/', '\\', '?', '#', '%', ':', no leading '_' or '.'\n"
	"  list         the projects you can see (the default action)\n"
	"  delete NAME  a project that owns no connection, with its roles,\n"
	"               pipelines and the shares into it (the store's\n"
	"               Administrator); 'default' is never deleted\n"
	"Options:\n"
	"  --description TEXT  create: what the project is for\n"
	"  --json              list: print JSON\n"
	"Creating and deleting a project are audited ('svcconn audit').\n"
	"Against a server (--server) they act on the server's projects.\n",
	cmd_projects, 1
};
