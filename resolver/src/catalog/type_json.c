/*
 * type_json.c - a connection type as the JSON of Azure DevOps'
 * ServiceEndpointType (serviceendpoint/types 7.1): name (the type's id),
 * displayName, description, authenticationSchemes (each scheme with its
 * own inputDescriptors), inputDescriptors (the fields every scheme has),
 * dataSources, endpointUrl, helpMarkDown, iconUrl, trustedHosts; and
 * svcconn's own members beside Azure's, so that nothing `svcconn types`
 * prints is lost: custom, variants, and in each input descriptor kind
 * (auth, data or url), label, help, requiredWhen and defaultValue.
 *
 * svcconn-server serves it (GET /_apis/serviceendpoint/types) and
 * `svcconn types` prints the local catalog from it too: one output path
 * whether the types are the server's or the local store's.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog/catalog_int.h"
#include "errors_int.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One InputDescriptor of a field. */
static json_t *input_json(const svc_field *f)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:b, s:s}, s:{s:o}, "
			 "s:s, s:o, s:o, s:o}",
			 "id", f->key, "name", f->label ? f->label : f->key,
			 "description", f->help ? f->help : "", "inputMode",
			 f->secret ? "passwordBox" : "textBox",
			 "isConfidential", f->secret, "validation",
			 "isRequired", f->required, "dataType", "string",
			 "values", "defaultValue", str_or_null(f->default_value),
			 "kind", svc_field_kind_name(f->kind),
			 "label", str_or_null(f->label),
			 "help", str_or_null(f->help),
			 "requiredWhen", str_or_null(f->required_when));
}

/* An array of the InputDescriptors of n fields. */
static json_t *inputs_json(const svc_field *fields, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, input_json(&fields[i]));
	return a;
}

json_t *catalog_type_json(const svc_type *t)
{
	json_t *schemes = json_array(), *variants = json_array(), *url;
	const svc_field *uf = NULL;
	size_t i;

	for (i = 0; i < t->ncommon; i++)
		if (t->common[i].kind == SVC_FIELD_URL)
			uf = &t->common[i];
	url = uf ? json_pack("{s:s, s:o, s:s, s:s}", "displayName",
			     uf->label ? uf->label : "Server URL", "value",
			     str_or_null(uf->default_value), "isVisible",
			     "true", "helpText", uf->help ? uf->help : "")
		 : json_null();
	for (i = 0; schemes && i < t->nschemes; i++) {
		const svc_scheme *s = &t->schemes[i];

		json_array_append_new(schemes, json_pack(
			"{s:s, s:s, s:o, s:o}", "scheme", s->id,
			"displayName", s->label ? s->label : s->id, "label",
			str_or_null(s->label), "inputDescriptors",
			inputs_json(s->fields, s->nfields)));
	}
	for (i = 0; variants && i < t->nvariants; i++) {
		const svc_variant *v = &t->variants[i];

		json_array_append_new(variants, json_pack(
			"{s:s, s:s, s:s, s:o}", "id", v->id, "label",
			v->label ? v->label : "", "scheme", v->scheme,
			"presets", str_or_null(v->presets)));
	}
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:[], s:o, s:s, s:s, "
			 "s:[], s:b, s:o}",
			 "name", t->id, "displayName", t->name ? t->name : t->id,
			 "description", str_or_null(t->description),
			 "authenticationSchemes", schemes, "inputDescriptors",
			 inputs_json(t->common, t->ncommon), "dataSources",
			 "endpointUrl", url, "helpMarkDown", "", "iconUrl", "",
			 "trustedHosts", "custom", svc_type_is_custom(t),
			 "variants", variants);
}

int svc_type_json(char **out, const svc_type *t)
{
	json_t *v = catalog_type_json(t);

	*out = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(v);
	return *out ? 0 : error_oom();
}
