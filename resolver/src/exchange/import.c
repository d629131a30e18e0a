/*
 * import.c - YAML (the svcconn/v1 exchange format) to validated connections.
 *
 * Every entry is parsed and validated before anything is returned; every
 * problem is reported with the file and the line of the entry or field it
 * concerns, and on any problem nothing is returned at all.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/exchange.h"
#include "errors_int.h"
#include "exchange/yaml_doc.h"
#include "util/buf.h"

static const char *const entry_keys[] = {
	"name", "id", "type", "scheme", "url", "description", "allPipelines",
	"auth", "data", NULL
};

static int known_key(const char *k)
{
	size_t i;

	for (i = 0; entry_keys[i]; i++)
		if (strcmp(entry_keys[i], k) == 0)
			return 1;
	return 0;
}

static int err(svc_diags *d, const ydoc *doc, const ynode *at,
	       const char *field, const char *msg, const char *arg)
{
	return svc_diags_add(d, doc->file, at ? at->line : 0,
			     at ? at->column : 0, SVC_SEV_ERROR, field,
			     "%s%s%s%s", msg, arg ? " '" : "", arg ? arg : "",
			     arg ? "'" : "");
}

/* A scalar member of an entry, or NULL (with a problem when not scalar). */
static const char *member(const ydoc *doc, const ynode *entry,
			  const char *key, svc_diags *d)
{
	const ynode *v = ynode_get(entry, key);

	if (!v)
		return NULL;
	if (v->kind != YNODE_SCALAR) {
		svc_diags_add(d, doc->file, v->line, v->column, SVC_SEV_ERROR,
			      key, "'%s' must be a scalar, not %s", key,
			      ynode_kind_name(v->kind));
		return NULL;
	}
	return v->scalar;
}

/* Set the fields of one section (auth or data) from a mapping. */
static int load_section(svc_conn *c, const ydoc *doc, const ynode *sec,
			const char *title, svc_diags *d)
{
	size_t i;
	int rc;

	if (!sec)
		return 0;
	if (sec->kind != YNODE_MAP)
		return err(d, doc, sec, title, "must be a mapping of field: value:",
			   title);
	for (i = 0; i + 1 < sec->n; i += 2) {
		const ynode *k = sec->items[i], *v = sec->items[i + 1];

		if (v->kind != YNODE_SCALAR) {
			err(d, doc, v, k->scalar, "value must be a scalar for field",
			    k->scalar);
			continue;
		}
		rc = svc_conn_set_field(c, k->scalar, v->scalar, v->len);
		if (rc == SVC_EINVALID)
			err(d, doc, k, k->scalar, svc_error_last(), NULL);
		else if (rc)
			return rc;
	}
	return 0;
}

/* The node where field key was written in entry, for a diagnostic's line. */
static const ynode *field_node(const ynode *entry, const char *key)
{
	const char *secs[] = { "auth", "data" };
	size_t s, i;

	if (!key)
		return NULL;
	if (strcmp(key, "url") == 0 || strcmp(key, "scheme") == 0 ||
	    strcmp(key, "type") == 0 || strcmp(key, "name") == 0)
		return ynode_get(entry, key);
	for (s = 0; s < 2; s++) {
		const ynode *sec = ynode_get(entry, secs[s]);

		for (i = 0; sec && sec->kind == YNODE_MAP && i + 1 < sec->n; i += 2)
			if (strcasecmp(sec->items[i]->scalar, key) == 0)
				return sec->items[i];
	}
	return NULL;
}

/* Check that fields sit in the section the catalog puts them in. */
static void check_sections(const svc_conn *c, const ydoc *doc,
			   const ynode *entry, svc_diags *d)
{
	const char *secs[] = { "auth", "data" };
	const svc_field_kind kinds[] = { SVC_FIELD_AUTH, SVC_FIELD_DATA };
	size_t s, i;
	svc_conn_field f;

	for (s = 0; s < 2; s++) {
		const ynode *sec = ynode_get(entry, secs[s]);

		for (i = 0; sec && sec->kind == YNODE_MAP && i + 1 < sec->n; i += 2)
			if (svc_conn_field_get(c, sec->items[i]->scalar, &f) == 0 &&
			    f.kind != kinds[s])
				svc_diags_add(d, doc->file, sec->items[i]->line,
					      sec->items[i]->column,
					      SVC_SEV_ERROR, f.key,
					      "field '%s' belongs under '%s', not '%s'",
					      f.key, svc_field_kind_name(f.kind),
					      secs[s]);
	}
}

/* Build and validate the connection of one entry; NULL on problems. */
static svc_conn *load_entry(const ydoc *doc, const ynode *entry,
			    const svc_catalog *cat, svc_diags *d)
{
	size_t before = svc_diags_errors(d), i, n;
	svc_diags *local = NULL;
	const char *name, *type, *v;
	svc_conn *c = NULL;

	if (entry->kind != YNODE_MAP) {
		err(d, doc, entry, NULL, "each connection must be a mapping",
		    NULL);
		return NULL;
	}
	for (i = 0; i + 1 < entry->n; i += 2)
		if (!known_key(entry->items[i]->scalar))
			err(d, doc, entry->items[i], entry->items[i]->scalar,
			    "unknown key (valid: name, id, type, scheme, url, description, allPipelines, auth, data):",
			    entry->items[i]->scalar);
	name = member(doc, entry, "name", d);
	type = member(doc, entry, "type", d);
	if (!name)
		err(d, doc, entry, "name", "connection without a name", NULL);
	if (!type)
		err(d, doc, entry, "type", "connection without a type", NULL);
	if (!name || !type)
		return NULL;
	if (svc_conn_new(&c, type, name))
		return NULL;
	if ((v = member(doc, entry, "id", d)) != NULL) {
		if (!svc_is_uuid(v))
			err(d, doc, ynode_get(entry, "id"), "id",
			    "not a connection id (lower-case UUID):", v);
		else
			svc_conn_set_id(c, v);
	}
	if ((v = member(doc, entry, "scheme", d)) != NULL)
		svc_conn_set_scheme(c, v);
	if ((v = member(doc, entry, "url", d)) != NULL)
		svc_conn_set_url(c, v);
	if ((v = member(doc, entry, "description", d)) != NULL)
		svc_conn_set_description(c, v);
	if ((v = member(doc, entry, "allPipelines", d)) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			svc_conn_set_all_pipelines(c, strcmp(v, "true") == 0);
		else
			err(d, doc, ynode_get(entry, "allPipelines"),
			    "allPipelines", "must be true or false, not", v);
	}
	if (load_section(c, doc, ynode_get(entry, "auth"), "auth", d) ||
	    load_section(c, doc, ynode_get(entry, "data"), "data", d))
		goto fail;
	if (svc_diags_new(&local))
		goto fail;
	svc_conn_validate(c, cat, local);
	n = svc_diags_count(local);
	for (i = 0; i < n; i++) {
		const svc_diag *e = svc_diags_at(local, i);
		const ynode *at = field_node(entry, e->field);

		if (!at)
			at = entry;
		svc_diags_add(d, doc->file, at->line, at->column, e->severity,
			      e->field, "connection '%s': %s", name, e->message);
	}
	svc_diags_free(local);
	if (svc_diags_errors(d) == before)
		check_sections(c, doc, entry, d);
	if (svc_diags_errors(d) != before)
		goto fail;
	return c;
fail:
	svc_conn_free(c);
	return NULL;
}

int svc_import_yaml(svc_conn ***out, size_t *count, const char *file,
		    const char *text, size_t len, const svc_catalog *cat,
		    svc_diags *diags)
{
	size_t before = svc_diags_errors(diags), i, j, n = 0;
	const ynode *list, *api;
	svc_conn **conns = NULL;
	ydoc *doc = NULL;
	int rc;

	if ((rc = ydoc_parse(&doc, file, text, len, NULL, diags)) != 0)
		return rc;
	if (!doc->root || doc->root->kind != YNODE_MAP) {
		err(diags, doc, doc->root, NULL,
		    "an import file is a mapping with 'apiVersion: svcconn/v1' and 'connections:'",
		    NULL);
		goto fail;
	}
	api = ynode_get(doc->root, "apiVersion");
	if (api && !ynode_is(api, "svcconn/v1"))
		err(diags, doc, api, "apiVersion",
		    "unsupported apiVersion (want svcconn/v1):", api->scalar);
	for (i = 0; i < doc->root->n; i += 2)
		if (!ynode_is(doc->root->items[i], "apiVersion") &&
		    !ynode_is(doc->root->items[i], "connections"))
			err(diags, doc, doc->root->items[i], NULL,
			    "unknown top-level key", doc->root->items[i]->scalar);
	list = ynode_get(doc->root, "connections");
	if (!list || list->kind != YNODE_SEQ) {
		err(diags, doc, list ? list : doc->root, "connections",
		    "'connections' must be a list of connections", NULL);
		goto fail;
	}
	conns = calloc(list->n ? list->n : 1, sizeof(*conns));
	if (!conns) {
		rc = error_oom();
		goto out;
	}
	for (i = 0; i < list->n; i++) {
		const ynode *name = ynode_get(list->items[i], "name");
		svc_conn *c;

		/* names are unique, case-insensitively, valid entries or not */
		for (j = 0; name && name->kind == YNODE_SCALAR && j < i; j++) {
			const ynode *o = ynode_get(list->items[j], "name");

			if (o && o->kind == YNODE_SCALAR &&
			    strcasecmp(o->scalar, name->scalar) == 0) {
				err(diags, doc, name, "name",
				    "duplicate connection name in this file:",
				    name->scalar);
				break;
			}
		}
		if ((c = load_entry(doc, list->items[i], cat, diags)) != NULL)
			conns[n++] = c;
	}
	if (svc_diags_errors(diags) != before)
		goto fail;
	*out = conns;
	*count = n;
	conns = NULL;
	rc = 0;
	goto out;
fail:
	rc = error_set(SVC_EINVALID, "'%s' is not a valid import file", file);
out:
	for (i = 0; conns && i < n; i++)
		svc_conn_free(conns[i]);
	free(conns);
	ydoc_free(doc);
	return rc;
}
