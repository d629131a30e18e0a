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
	const svc_type *types; /**< the types, built-in first */
	size_t count;          /**< number of types */
};

int svc_catalog_new(svc_catalog **out)
{
	svc_catalog *cat = calloc(1, sizeof(*cat));

	if (!cat)
		return error_oom();
	cat->types = catalog_builtin_types;
	cat->count = catalog_builtin_count;
	*out = cat;
	return 0;
}

void svc_catalog_free(svc_catalog *cat)
{
	free(cat);
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
