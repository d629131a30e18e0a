/*
 * cmd_show.c - `svcconn show NAME|ID`: one connection, secrets as ***.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static void line(const char *label, const char *value)
{
	printf("%-13s", label);
	cli_print_safe(stdout, value ? value : "");
	putchar('\n');
}

/* The auth or data fields of c, from the JSON view (secrets are ***). */
static void section(const char *title, json_t *obj)
{
	const char *key;
	json_t *v;

	if (!json_object_size(obj))
		return;
	printf("%s:\n", title);
	json_object_foreach(obj, key, v) {
		printf("  %-32s ", key);
		cli_print_safe(stdout, json_is_null(v) ? "(unset)"
						       : json_string_value(v));
		putchar('\n');
	}
}

/*
 * c (name_or_id) with the name of the project owning it into *project and
 * the projects it is shared into into *s: from the server's
 * serviceEndpointProjectReferences, or the local store.
 */
static int conn_with_refs(struct cli_ctx *ctx, svc_store *st, svc_conn **c,
			  char **project, svc_share **s, size_t *ns,
			  const char *name_or_id)
{
	svc_project *pr = NULL;
	size_t np = 0;
	int rc;

	if (ctx->remote)
		return svc_remote_conn_get_refs(c, project, s, ns, ctx->remote,
						name_or_id);
	if ((rc = cli_conn_get(ctx, st, c, name_or_id)) ||
	    !svc_conn_project_id(*c))
		return rc;
	if ((rc = svc_store_project_list(&pr, &np, st,
					 svc_conn_project_id(*c))) ||
	    (rc = svc_ops_conn_shares(s, ns, st, ctx->who, svc_conn_id(*c))))
		goto done;
	if (!(*project = strdup(pr->name)))
		rc = SVC_ERROR;
done:
	svc_projects_free(pr, np);
	return rc;
}

/*
 * The project owning c and the projects it is shared with (s), added to o
 * as "project" and "sharedWith" unless it is the default project's and
 * shared with none (whose output stays as it was).
 */
static void project_info(json_t *o, const char *project, const svc_share *s,
			 size_t ns)
{
	json_t *a;
	size_t i;

	if (!project || (!ns && !strcmp(project, SVC_PROJECT_DEFAULT)))
		return;
	json_object_set_new(o, "project", json_string(project));
	a = json_array();
	for (i = 0; i < ns; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "project",
						   s[i].project, "name",
						   s[i].name));
	json_object_set_new(o, "sharedWith", a);
}

/* The lines of "project" and "sharedWith" in o, when there. */
static void project_lines(json_t *o)
{
	json_t *a = json_object_get(o, "sharedWith"), *v;
	size_t i;

	if (!json_object_get(o, "project"))
		return;
	line("Project:", json_string_value(json_object_get(o, "project")));
	json_array_foreach(a, i, v) {
		printf("%-13s", i ? "" : "Shared with:");
		cli_print_safe(stdout, json_string_value(
				       json_object_get(v, "project")));
		printf(" (as ");
		cli_print_safe(stdout, json_string_value(
				       json_object_get(v, "name")));
		printf(")\n");
	}
}

static int cmd_show(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn *c = NULL;
	char *project = NULL;
	svc_share *s = NULL;
	size_t ns = 0;
	json_t *o;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_show_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_show_entry, "show needs a NAME or ID");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (cli_catalog_new(&cat)) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	if ((rc = conn_with_refs(ctx, st, &c, &project, &s, &ns,
				 argv[optind]))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	o = cli_conn_json(c, cat);
	project_info(o, project, s, ns);
	if (ctx->json) {
		rc = cli_print_json(o);
		goto done;
	}
	line("Name:", svc_conn_name(c));
	line("ID:", svc_conn_id(c));
	line("Type:", svc_conn_type(c));
	line("Scheme:", svc_conn_scheme(c));
	line("URL:", svc_conn_url(c));
	if (svc_conn_description(c))
		line("Description:", svc_conn_description(c));
	line("Pipelines:", svc_conn_all_pipelines(c) ? "all pipelines"
						     : "authorized pipelines only");
	project_lines(o);
	printf("%-13s%s by ", "Created:", svc_conn_created_at(c));
	cli_print_safe(stdout, svc_conn_created_by(c));
	printf("\n%-13s%s by ", "Updated:", svc_conn_updated_at(c));
	cli_print_safe(stdout, svc_conn_updated_by(c));
	putchar('\n');
	section("Auth", json_object_get(o, "auth"));
	section("Data", json_object_get(o, "data"));
	json_decref(o);
done:
	free(project);
	svc_shares_free(s, ns);
	svc_conn_free(c);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_show_entry = {
	"show", "show NAME|ID [--json]",
	"show a connection (secrets as ***)",
	"With --json: {\"id\",\"name\",\"type\",\"scheme\",\"url\",\"data\":{...},\n"
	"\"auth\":{key: value|\"***\"|null},\"description\",\"createdBy\",\"createdAt\",\n"
	"\"updatedBy\",\"updatedAt\",\"allPipelines\"}. A set secret shows as \"***\",\n"
	"an unset one as null. A connection of another project than 'default',\n"
	"or shared with one, shows its project and where it is shared (with\n"
	"--json: \"project\" and \"sharedWith\":[{\"project\",\"name\"}]).\n",
	cmd_show, 1
};
