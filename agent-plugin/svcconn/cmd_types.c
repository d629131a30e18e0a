/*
 * cmd_types.c - `svcconn types [TYPE]`: the catalog; `svcconn types add
 * FILE` and `svcconn types remove ID`: its custom types
 * (docs/custom-types.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum { OPT_REPLACE = 1 };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	CLI_COMMON_OPTIONS
};

/* Member k of o as a string, or NULL (absent, null). */
static const char *js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The fields of scheme s of type t, as svc_type_field_at orders them: the
 * scheme's own, then the common ones; field i of them, or NULL. */
static json_t *field_at(json_t *t, json_t *s, size_t i)
{
	json_t *own = json_object_get(s, "inputDescriptors");

	if (i < json_array_size(own))
		return json_array_get(own, i);
	return json_array_get(json_object_get(t, "inputDescriptors"),
			      i - json_array_size(own));
}

/* One field of `types --json` from its InputDescriptor. */
static json_t *field_json(json_t *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", json_string(js(f, "id")));
	json_object_set_new(o, "kind", json_string(js(f, "kind")));
	if (js(f, "label"))
		json_object_set_new(o, "label", json_string(js(f, "label")));
	json_object_set(o, "required", json_object_get(
				json_object_get(f, "validation"), "isRequired"));
	json_object_set(o, "secret", json_object_get(f, "isConfidential"));
	if (js(f, "requiredWhen"))
		json_object_set_new(o, "requiredWhen",
				    json_string(js(f, "requiredWhen")));
	if (js(json_object_get(f, "values"), "defaultValue"))
		json_object_set_new(o, "default", json_string(js(
			json_object_get(f, "values"), "defaultValue")));
	return o;
}

/* One type of `types --json` from its ServiceEndpointType t. */
static json_t *type_json(json_t *t)
{
	json_t *o = json_object(), *schemes = json_array(), *s;
	size_t i, j;

	json_object_set_new(o, "id", json_string(js(t, "name")));
	json_object_set_new(o, "name", json_string(js(t, "displayName")));
	json_object_set(o, "custom", json_object_get(t, "custom"));
	json_array_foreach(json_object_get(t, "authenticationSchemes"), i, s) {
		json_t *fields = json_array(), *f;

		for (j = 0; (f = field_at(t, s, j)); j++)
			json_array_append_new(fields, field_json(f));
		json_array_append_new(schemes, json_pack(
			"{s:s, s:o}", "id", js(s, "scheme"), "fields", fields));
	}
	json_object_set_new(o, "schemes", schemes);
	return o;
}

static void print_type(json_t *t)
{
	json_t *s, *f, *v;
	size_t i, j;

	printf("%s - %s\n", js(t, "name"), js(t, "displayName"));
	if (js(t, "description"))
		printf("  %s\n", js(t, "description"));
	json_array_foreach(json_object_get(t, "authenticationSchemes"), i, s) {
		const char *label = js(s, "label");

		printf("\nscheme %s%s%s%s\n", js(s, "scheme"),
		       label ? " (" : "", label ? label : "", label ? ")" : "");
		for (j = 0; (f = field_at(t, s, j)); j++) {
			const char *rw = js(f, "requiredWhen"), *help = js(f, "help");
			const char *def = js(json_object_get(f, "values"),
					     "defaultValue");
			int req = json_is_true(json_object_get(
				json_object_get(f, "validation"), "isRequired"));

			printf("  %-34s %-4s %s%s%s%s%s\n", js(f, "id"),
			       js(f, "kind"),
			       req ? "required" : rw ? "required when " : "optional",
			       !req && rw ? rw : "",
			       json_is_true(json_object_get(f, "isConfidential"))
				       ? ", secret" : "",
			       def ? ", default " : "", def ? def : "");
			printf("  %-34s      %s%s%s\n", "", js(f, "name"),
			       help ? ": " : "", help ? help : "");
		}
	}
	if (json_array_size(json_object_get(t, "variants")))
		printf("\nvariants (accepted by --scheme):\n");
	json_array_foreach(json_object_get(t, "variants"), i, v)
		printf("  %-22s scheme %s%s%s - %s\n", js(v, "id"),
		       js(v, "scheme"), js(v, "presets") ? ", " : "",
		       js(v, "presets") ? js(v, "presets") : "",
		       js(v, "label"));
}

/* svcconn types [TYPE] [--json]: the local catalog's, or the server's */
static int types_show(struct cli_ctx *ctx, const char *type)
{
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	json_t *a = NULL, *t, *s;
	size_t i, j;
	int rc;

	if (cli_server(ctx)) {
		if ((rc = cli_open_store(ctx, &st)))
			return rc;
	} else if (cli_catalog_new(&cat)) {
		return cli_lib_fail(SVC_ERROR);
	}
	if ((rc = cli_types(ctx, cat, &a, type))) {
		rc = cli_lib_fail(rc);
	} else if (type && !json_array_size(a)) {
		rc = cli_fail(SVC_ENOTFOUND, "unknown connection type '%s'", type);
	} else if (type && ctx->json) {
		rc = cli_print_json(type_json(json_array_get(a, 0)));
	} else if (type) {
		print_type(json_array_get(a, 0));
	} else if (ctx->json) {
		json_t *out = json_array();

		json_array_foreach(a, i, t)
			json_array_append_new(out, type_json(t));
		rc = cli_print_json(out);
	} else {
		json_array_foreach(a, i, t) {
			printf("%-28s %-36s ", js(t, "name"), js(t, "displayName"));
			json_array_foreach(json_object_get(t, "authenticationSchemes"),
					   j, s)
				printf("%s%s", j ? "," : "", js(s, "scheme"));
			putchar('\n');
		}
	}
	json_decref(a);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

/* svcconn types add FILE [--replace] */
static int types_add(struct cli_ctx *ctx, const char *file, int replace)
{
	svc_diags *diags = NULL;
	svc_store *st = NULL;
	char *id = NULL, *dest = NULL;
	int rc;

	if ((rc = cli_open_store(ctx, &st)) != 0 ||
	    (rc = cli_local_only(ctx, "'types add'")) != 0)
		goto done;
	if (svc_diags_new(&diags)) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	if ((rc = svc_ops_type_install(&id, &dest, st, ctx->who, file, replace,
				       diags)) != 0) {
		if (svc_diags_count(diags)) {
			cli_print_diags(diags);
			rc = cli_exit_code(rc);
		} else {
			rc = cli_lib_fail(rc);
		}
		if (rc != EXIT_DENIED)
			fprintf(stderr, "svcconn: nothing was installed\n");
		goto done;
	}
	printf("installed type '%s' in %s\n", id, dest);
done:
	svc_diags_free(diags);
	svc_store_free(st);
	free(dest);
	free(id);
	return rc;
}

/* svcconn types remove ID: refused while connections of the type exist */
static int types_remove(struct cli_ctx *ctx, const char *id)
{
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	int rc;

	if ((rc = cli_open_store(ctx, &st)) != 0 ||
	    (rc = cli_local_only(ctx, "'types remove'")) != 0)
		goto done;
	if (cli_catalog_new(&cat)) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	if ((rc = svc_ops_type_remove(st, ctx->who, cat, id)) != 0) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	/* the type's own id (the catalog read before the removal has it) */
	printf("removed type '%s'\n", svc_catalog_find(cat, id)->id);
done:
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

static int cmd_types(struct cli_ctx *ctx, int argc, char **argv)
{
	int rc, exit_now, replace = 0;

	if ((rc = cli_parse(ctx, &cmd_types_entry, argc, argv, NULL, options,
			    cli_flag_opt, &replace, &exit_now)) || exit_now)
		return rc;
	if (optind < argc && (!strcmp(argv[optind], "add") ||
			      !strcmp(argv[optind], "remove"))) {
		if (argc - optind != 2)
			return cli_usage_error(&cmd_types_entry, "%s takes one argument",
					       argv[optind]);
		if (!strcmp(argv[optind], "add"))
			return types_add(ctx, argv[optind + 1], replace);
		return types_remove(ctx, argv[optind + 1]);
	}
	if (replace)
		return cli_usage_error(&cmd_types_entry, "--replace is for 'types add'");
	if (argc - optind > 1)
		return cli_usage_error(&cmd_types_entry, "too many arguments");
	return types_show(ctx, optind < argc ? argv[optind] : NULL);
}

const struct cmd_entry cmd_types_entry = {
	"types", "types [TYPE] [--json] | types add FILE [--replace] | types remove ID",
	"list connection types, or show one; add and remove custom types",
	"With --json, prints an array with one object per type:\n"
	"{\"id\", \"name\", \"custom\", \"schemes\": [{\"id\", \"fields\": [{\"key\",\n"
	"\"kind\", \"label\", \"required\", \"secret\"}]}]}.\n"
	"types add validates a custom type definition (YAML, see\n"
	"docs/custom-types.md) and installs it in the store's types/ directory;\n"
	"a malformed definition, or one that redefines a built-in type, is\n"
	"refused with its file, line and reason, and nothing is installed.\n"
	"--replace replaces an installed definition of the same id.  types\n"
	"remove uninstalls one, and refuses while connections of the type exist.\n"
	"Both need the Administrator role on the store.  Definitions are also\n"
	"read from the directories in SVCCONN_TYPES_PATH and from the installed\n"
	"ones; the first definition of an id wins.  There, a definition that\n"
	"cannot be used is skipped with a warning naming its file and line.\n"
	"Against a server (--server) the list and a type are the server's\n"
	"(GET /_apis/serviceendpoint/types); add and remove work only on a\n"
	"local store (exit 2).\n",
	cmd_types, 1
};
