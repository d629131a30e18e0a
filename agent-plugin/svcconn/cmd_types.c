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

static json_t *field_json(const svc_field *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", json_string(f->key));
	json_object_set_new(o, "kind", json_string(svc_field_kind_name(f->kind)));
	json_object_set_new(o, "label", json_string(f->label));
	json_object_set_new(o, "required", json_boolean(f->required));
	json_object_set_new(o, "secret", json_boolean(f->secret));
	if (f->required_when)
		json_object_set_new(o, "requiredWhen",
				    json_string(f->required_when));
	if (f->default_value)
		json_object_set_new(o, "default", json_string(f->default_value));
	return o;
}

static json_t *type_json(const svc_type *t)
{
	json_t *o = json_object(), *schemes = json_array();
	size_t i, j;

	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "custom", json_boolean(svc_type_is_custom(t)));
	for (i = 0; i < t->nschemes; i++) {
		const svc_scheme *s = &t->schemes[i];
		json_t *so = json_object(), *fields = json_array();

		json_object_set_new(so, "id", json_string(s->id));
		for (j = 0; j < svc_type_field_count(t, s); j++)
			json_array_append_new(fields,
				field_json(svc_type_field_at(t, s, j)));
		json_object_set_new(so, "fields", fields);
		json_array_append_new(schemes, so);
	}
	json_object_set_new(o, "schemes", schemes);
	return o;
}

static void print_type(const svc_type *t)
{
	size_t i, j;

	printf("%s - %s\n", t->id, t->name);
	if (t->description)
		printf("  %s\n", t->description);
	for (i = 0; i < t->nschemes; i++) {
		const svc_scheme *s = &t->schemes[i];

		printf("\nscheme %s%s%s%s\n", s->id, s->label ? " (" : "",
		       s->label ? s->label : "", s->label ? ")" : "");
		for (j = 0; j < svc_type_field_count(t, s); j++) {
			const svc_field *f = svc_type_field_at(t, s, j);

			printf("  %-34s %-4s %s%s%s%s%s%s\n", f->key,
			       svc_field_kind_name(f->kind),
			       f->required ? "required" : f->required_when ? "required when " : "optional",
			       !f->required && f->required_when ? f->required_when : "",
			       f->secret ? ", secret" : "",
			       f->default_value ? ", default " : "",
			       f->default_value ? f->default_value : "",
			       "");
			printf("  %-34s      %s%s%s\n", "", f->label,
			       f->help ? ": " : "", f->help ? f->help : "");
		}
	}
	if (t->nvariants) {
		printf("\nvariants (accepted by --scheme):\n");
		for (i = 0; i < t->nvariants; i++)
			printf("  %-22s scheme %s%s%s - %s\n", t->variants[i].id,
			       t->variants[i].scheme,
			       t->variants[i].presets ? ", " : "",
			       t->variants[i].presets ? t->variants[i].presets : "",
			       t->variants[i].label);
	}
}

/* svcconn types add FILE [--replace] */
static int types_add(struct cli_ctx *ctx, const char *file, int replace)
{
	svc_diags *diags = NULL;
	svc_store *st = NULL;
	char *id = NULL, *dest = NULL;
	int rc;

	if ((rc = cli_open_store(ctx, &st)) != 0)
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

	if ((rc = cli_open_store(ctx, &st)) != 0)
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
	svc_catalog *cat = NULL;
	const svc_type *t;
	size_t i, j;
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
	if (cli_catalog_new(&cat))
		return cli_lib_fail(SVC_ERROR);
	if (optind < argc) {
		t = svc_catalog_find(cat, argv[optind]);
		if (!t)
			rc = cli_fail(SVC_ENOTFOUND, "unknown connection type '%s'",
				      argv[optind]);
		else if (ctx->json)
			rc = cli_print_json(type_json(t));
		else
			print_type(t);
	} else if (ctx->json) {
		json_t *a = json_array();

		for (i = 0; i < svc_catalog_count(cat); i++)
			json_array_append_new(a, type_json(svc_catalog_at(cat, i)));
		rc = cli_print_json(a);
	} else {
		for (i = 0; i < svc_catalog_count(cat); i++) {
			t = svc_catalog_at(cat, i);
			printf("%-28s %-36s ", t->id, t->name);
			for (j = 0; j < t->nschemes; j++)
				printf("%s%s", j ? "," : "", t->schemes[j].id);
			putchar('\n');
		}
	}
	svc_catalog_free(cat);
	return rc;
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
	"cannot be used is skipped with a warning naming its file and line.\n",
	cmd_types
};
