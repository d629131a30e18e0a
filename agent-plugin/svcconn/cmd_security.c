/*
 * cmd_security.c - `svcconn security [NAME]`: roles on the store, in a
 * project (--project without NAME) or on a connection, and inheritance.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_CHANGES 64

enum { OPT_GRANT = 1, OPT_REVOKE, OPT_INHERIT };

/* Changes asked for. */
struct sec_opts {
	const char *grant[MAX_CHANGES];  /**< PRINCIPAL=ROLE */
	size_t ngrant;                   /**< entries in grant */
	const char *revoke[MAX_CHANGES]; /**< PRINCIPAL */
	size_t nrevoke;                  /**< entries in revoke */
	const char *inherit;             /**< "on", "off", or NULL */
};

static const struct option options[] = {
	{ "grant", required_argument, NULL, OPT_GRANT },
	{ "revoke", required_argument, NULL, OPT_REVOKE },
	{ "inherit", required_argument, NULL, OPT_INHERIT },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct sec_opts *o = data;

	if (c == OPT_GRANT && o->ngrant < MAX_CHANGES)
		o->grant[o->ngrant++] = arg;
	else if (c == OPT_REVOKE && o->nrevoke < MAX_CHANGES)
		o->revoke[o->nrevoke++] = arg;
	else if (c == OPT_INHERIT && (!strcmp(arg, "on") || !strcmp(arg, "off")))
		o->inherit = arg;
	else
		return cli_fail(SVC_EINVALID, "invalid or too many security options");
	return EXIT_OK;
}

/* Roles in the project acted in (--project given without a connection). */
static int show_project(struct cli_ctx *ctx, svc_store *st)
{
	svc_role_entry *e = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_project_role_list(ctx, st, &e, &n)))
		return cli_lib_fail(rc);
	if (ctx->json) {
		json_t *o = json_object(), *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, json_pack(
				"{s:s, s:s, s:s, s:s}", "id", e[i].principal,
				"principal", e[i].principal,
				"kind", e[i].is_group ? "group" : "user",
				"role", svc_role_name(e[i].role)));
		json_object_set_new(o, "scope", json_string("project"));
		json_object_set_new(o, "project",
				    json_string(ctx->project_opt));
		json_object_set_new(o, "roles", a);
		rc = cli_print_json(o);
	} else {
		printf("roles in project '");
		cli_print_safe(stdout, ctx->project_opt);
		printf("'\n");
		for (i = 0; i < n; i++) {
			printf("  %-14s ", svc_role_name(e[i].role));
			cli_print_safe(stdout, e[i].principal);
			printf("%s\n", e[i].is_group ? " (group)" : "");
		}
	}
	svc_role_entries_free(e, n);
	return rc;
}

/* Roles on the connection scope (NULL: the store). */
static int show(struct cli_ctx *ctx, svc_store *st, const char *scope)
{
	svc_role_entry *e = NULL;
	char *you = NULL, *name = NULL;
	size_t n = 0, i;
	int rc, inherit = 1;
	svc_role mine = SVC_ROLE_NONE;

	if ((rc = cli_role_list(ctx, st, scope, &e, &n, &inherit, &mine, &you,
				&name)))
		return cli_lib_fail(rc);
	if (ctx->json) {
		json_t *o = json_object(), *a = json_array();

		for (i = 0; i < n; i++) {
			json_t *x = json_object();

			json_object_set_new(x, "id", json_string(e[i].principal));
			json_object_set_new(x, "principal", json_string(e[i].principal));
			json_object_set_new(x, "kind", json_string(e[i].is_group ? "group" : "user"));
			json_object_set_new(x, "role", json_string(svc_role_name(e[i].role)));
			json_array_append_new(a, x);
		}
		json_object_set_new(o, "scope", json_string(name ? name : "store"));
		if (name)
			json_object_set_new(o, "inherit", json_boolean(inherit));
		json_object_set_new(o, "roles", a);
		json_object_set_new(o, "yourRole", json_string(svc_role_name(mine)));
		rc = cli_print_json(o);
	} else {
		printf("roles on %s%s%s", name ? "connection '" : "the store",
		       name ? name : "", name ? "'" : "");
		if (name)
			printf(" (store roles %s)", inherit ? "inherited" : "not inherited");
		putchar('\n');
		for (i = 0; i < n; i++) {
			printf("  %-14s ", svc_role_name(e[i].role));
			cli_print_safe(stdout, e[i].principal);
			printf("%s\n", e[i].is_group ? " (group)" : "");
		}
		printf("your role (%s): %s\n", you, svc_role_name(mine));
	}
	svc_role_entries_free(e, n);
	free(you);
	free(name);
	return rc;
}

static int cmd_security(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sec_opts o;
	svc_store *st = NULL;
	const char *scope;
	size_t i;
	int rc, exit_now, in_project;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, &cmd_security_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	if (argc - optind > 1)
		return cli_usage_error(&cmd_security_entry, "too many arguments");
	if (o.inherit && argc == optind)
		return cli_usage_error(&cmd_security_entry,
				       "--inherit applies to a connection");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	scope = argc - optind == 1 ? argv[optind] : NULL;
	/* --project without a connection: the project's own roles */
	in_project = !scope && ctx->project_opt;
	/* check every change before making any */
	for (i = 0; i < o.ngrant; i++) {
		const char *eq = strchr(o.grant[i], '=');
		svc_role r;

		if (!eq || eq == o.grant[i] || svc_role_parse(&r, eq + 1)) {
			rc = cli_fail(SVC_EINVALID, "--grant takes PRINCIPAL=ROLE (Reader, User, Creator, Administrator), not '%s'",
				      o.grant[i]);
			goto done;
		}
		if (scope && r == SVC_ROLE_CREATOR) {
			rc = cli_fail(SVC_EINVALID, "Creator is a store-level role");
			goto done;
		}
	}
	for (i = 0; !rc && i < o.ngrant; i++) {
		const char *eq = strchr(o.grant[i], '=');
		char *who = strndup(o.grant[i], (size_t)(eq - o.grant[i]));
		svc_role r = SVC_ROLE_NONE;

		svc_role_parse(&r, eq + 1);
		rc = !who ? SVC_ERROR
		     : in_project ? cli_project_role_set(ctx, st, who, r)
		     : cli_role_set(ctx, st, scope, who, r);
		free(who);
	}
	for (i = 0; !rc && i < o.nrevoke; i++)
		rc = in_project
			? cli_project_role_set(ctx, st, o.revoke[i], SVC_ROLE_NONE)
			: cli_role_set(ctx, st, scope, o.revoke[i],
				       SVC_ROLE_NONE);
	if (!rc && o.inherit)
		rc = cli_inherit_set(ctx, st, scope,
				     !strcmp(o.inherit, "on"));
	rc = rc ? cli_lib_fail(rc)
		: in_project ? show_project(ctx, st) : show(ctx, st, scope);
done:
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_security_entry = {
	"security",
	"security [NAME] [--grant PRINCIPAL=ROLE]... [--revoke PRINCIPAL]... [--inherit on|off] [--json]",
	"show or change roles on the store, in a project or on a connection",
	"Roles: Reader (view, never secrets), User (use in pipelines, manage\n"
	"checks, permit pipelines), Creator (create connections; on the store\n"
	"or in a project), Administrator (everything). Store roles, and the\n"
	"roles in the project that owns a connection, are inherited by the\n"
	"connection unless --inherit off; an assignment on the connection\n"
	"overrides them. Used from a project it is shared with, a connection\n"
	"gives that project's roles at most User. Principals are users or\n"
	"groups ('svcconn groups'). Changing roles needs the Administrator\n"
	"role there.\n"
	"Without NAME, --project PROJECT shows and changes the roles in\n"
	"PROJECT (a role there also makes the project visible to its holder);\n"
	"without either, the store's.\n",
	cmd_security, 1
};
