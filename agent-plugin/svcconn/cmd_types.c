/*
 * cmd_types.c - `svcconn types [TYPE]`: the catalog.
 */
#include <string.h>

#include "cli.h"

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
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

static int cmd_types(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_catalog *cat = NULL;
	const svc_type *t;
	size_t i, j;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_types_entry, argc, argv, NULL, options,
			    NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind > 1)
		return cli_usage_error(&cmd_types_entry, "too many arguments");
	if (svc_catalog_new(&cat))
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
	"types", "types [TYPE] [--json]",
	"list connection types, or show one type's schemes and fields",
	"With --json, prints an array with one object per type:\n"
	"{\"id\", \"name\", \"schemes\": [{\"id\", \"fields\": [{\"key\", \"kind\",\n"
	"\"label\", \"required\", \"secret\"}]}]}.\n",
	cmd_types
};
