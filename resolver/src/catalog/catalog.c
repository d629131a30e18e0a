/*
 * catalog.c - lookups over the connection-type catalog.
 *
 * The catalog handle wraps the built-in table (catalog_data.c).  It is a
 * handle rather than a global so that custom types loaded from definition
 * files can join the built-in ones without changing any caller.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/catalog.h"
#include "catalog/catalog_int.h"
#include "errors_int.h"

struct svc_catalog {
	svc_type *types;       /**< the types, built-in first (copies of the
				    constant entries), then the custom ones */
	size_t count;          /**< number of types */
	svc_type *custom;      /**< the custom types (owned) */
	size_t ncustom;        /**< entries in custom */
	svc_diags *warnings;   /**< definitions skipped, or NULL */
};

/* The built-in type whose id or alias is id, or NULL. */
static const svc_type *builtin(const char *id);

/* The first error of diags as the library's last error. */
static int diags_error(svc_diags *diags)
{
	const svc_diag *d = svc_diags_at(diags, 0);
	char *text = d ? svc_diag_format(d) : NULL;
	int rc = error_set(SVC_EINVALID, "%s", text ? text
			   : "invalid custom type definition");

	free(text);
	return rc;
}

/* Refuse a custom type that redefines a built-in one (diags at its file). */
static int not_builtin(const svc_type *t, svc_diags *diags, svc_severity sev)
{
	if (!builtin(t->id))
		return 0;
	svc_diags_add(diags, t->source, 1, 1, sev, "id",
		      sev == SVC_SEV_ERROR
		      ? "'%s' is a built-in type and cannot be redefined"
		      : "'%s' is a built-in type and cannot be redefined (definition skipped)",
		      t->id);
	return SVC_EINVALID;
}

int svc_catalog_new(svc_catalog **out)
{
	svc_catalog *cat = calloc(1, sizeof(*cat));
	svc_diags *diags = NULL;
	size_t i, k = 0;
	int rc;

	*out = NULL;
	if (!cat || svc_diags_new(&diags)) {
		free(cat);
		return error_oom();
	}
	rc = catalog_custom_load(&cat->custom, &cat->ncustom, diags);
	/* a definition of a built-in id is skipped like a malformed one */
	for (i = 0; rc == 0 && i < cat->ncustom; i++) {
		if (not_builtin(&cat->custom[i], diags, SVC_SEV_WARNING) != 0)
			catalog_custom_clear(&cat->custom[i]);
		else
			cat->custom[k++] = cat->custom[i];
	}
	if (rc == 0)
		cat->ncustom = k;
	if (rc == 0 && !(cat->types = calloc(catalog_builtin_count + cat->ncustom,
					     sizeof(*cat->types))))
		rc = error_oom();
	if (rc) {
		svc_diags_free(diags);
		svc_catalog_free(cat);
		return rc;
	}
	if (svc_diags_count(diags))
		cat->warnings = diags;
	else
		svc_diags_free(diags);
	memcpy(cat->types, catalog_builtin_types,
	       catalog_builtin_count * sizeof(*cat->types));
	if (cat->ncustom)
		memcpy(cat->types + catalog_builtin_count, cat->custom,
		       cat->ncustom * sizeof(*cat->types));
	cat->count = catalog_builtin_count + cat->ncustom;
	*out = cat;
	return 0;
}

const svc_diags *svc_catalog_warnings(const svc_catalog *cat)
{
	return cat ? cat->warnings : NULL;
}

void svc_catalog_free(svc_catalog *cat)
{
	if (!cat)
		return;
	catalog_custom_free(cat->custom, cat->ncustom);
	svc_diags_free(cat->warnings);
	free(cat->types);
	free(cat);
}

int svc_catalog_check_definition(char **id, const svc_catalog *cat,
				 const char *path, svc_diags *diags)
{
	svc_type t;
	int rc;

	(void)cat;
	*id = NULL;
	if ((rc = catalog_custom_read(&t, path, diags)) != 0)
		return rc == SVC_EINVALID ? diags_error(diags) : rc;
	if ((rc = not_builtin(&t, diags, SVC_SEV_ERROR)) != 0) {
		catalog_custom_clear(&t);
		return diags_error(diags);
	}
	*id = strdup(t.id);
	catalog_custom_clear(&t);
	return *id ? 0 : error_oom();
}

int svc_type_is_custom(const svc_type *t)
{
	return t && t->source != NULL;
}

size_t svc_catalog_count(const svc_catalog *cat)
{
	return cat->count;
}

const svc_type *svc_catalog_at(const svc_catalog *cat, size_t i)
{
	return i < cat->count ? &cat->types[i] : NULL;
}

/* 1 when id equals one of the ','-separated names in list, ignoring case. */
static int in_list(const char *list, const char *id)
{
	size_t n = strlen(id);

	while (list && *list) {
		size_t len = strcspn(list, ",");

		if (len == n && strncasecmp(list, id, n) == 0)
			return 1;
		list += len;
		if (*list == ',')
			list++;
	}
	return 0;
}

static const svc_type *builtin(const char *id)
{
	size_t i;

	for (i = 0; id && i < catalog_builtin_count; i++)
		if (strcasecmp(catalog_builtin_types[i].id, id) == 0 ||
		    in_list(catalog_builtin_types[i].aliases, id))
			return &catalog_builtin_types[i];
	return NULL;
}

const svc_type *svc_catalog_find(const svc_catalog *cat, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < cat->count; i++)
		if (strcasecmp(cat->types[i].id, id) == 0 ||
		    in_list(cat->types[i].aliases, id))
			return &cat->types[i];
	return NULL;
}

const svc_scheme *svc_type_scheme(const svc_type *t, const char *id)
{
	size_t i;

	for (i = 0; id && i < t->nschemes; i++)
		if (strcasecmp(t->schemes[i].id, id) == 0)
			return &t->schemes[i];
	return NULL;
}

const svc_variant *svc_type_variant(const svc_type *t, const char *id)
{
	size_t i;

	for (i = 0; id && i < t->nvariants; i++)
		if (strcasecmp(t->variants[i].id, id) == 0)
			return &t->variants[i];
	return NULL;
}

size_t svc_type_field_count(const svc_type *t, const svc_scheme *s)
{
	return (s ? s->nfields : 0) + t->ncommon;
}

const svc_field *svc_type_field_at(const svc_type *t, const svc_scheme *s,
				   size_t i)
{
	size_t own = s ? s->nfields : 0;

	if (i < own)
		return &s->fields[i];
	i -= own;
	return i < t->ncommon ? &t->common[i] : NULL;
}

const svc_field *svc_type_field(const svc_type *t, const svc_scheme *s,
				const char *key)
{
	size_t i, n = svc_type_field_count(t, s);

	for (i = 0; key && i < n; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);

		if (strcasecmp(f->key, key) == 0)
			return f;
	}
	return NULL;
}
