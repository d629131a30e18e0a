/*
 * custom.c - custom connection types, defined in YAML files.
 *
 * A definition has the shape of one element of `svcconn types --json`
 * (id, name, schemes with their fields) plus what the built-in catalog
 * has beyond it: a description, required-when, defaults, validation drawn
 * from the built-in validators, help, and an optional verify request.  It
 * is read with the hostile-input YAML reader (exchange/yaml_doc.h) and
 * checked strictly: an unknown key, a wrong kind of node, a bad value or
 * a duplicate is an error at its file and line; every error is reported,
 * and one error refuses the whole definition.
 *
 * A custom type becomes an svc_type like the built-in ones, so everything
 * that goes through the catalog (create, validation, secrets, show, list,
 * export, import, plan, injection, masking) treats it the same way; its
 * memory belongs to the catalog that loaded it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcconn/catalog.h"
#include "catalog/catalog_int.h"
#include "errors_int.h"
#include "exchange/yaml_doc.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/home.h"
#include "util/paths.h"

/* Largest definition file read. */
#define DEF_MAX_BYTES ((size_t)256 * 1024)
/* Most definition files in one directory. */
#define DEF_MAX_FILES 1000
/* Longest id (type, scheme, field key). */
#define ID_MAX 64

/* A definition being read: where problems go. */
struct reader {
	const char *path;       /**< the file */
	svc_diags *diags;       /**< its problems */
	int errors;             /**< how many were reported */
};

static void problem(struct reader *r, const ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct reader *r, const ynode *at, const char *fmt, ...)
{
	svc_buf b = SVC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (at)
		ynode_diag(r->diags, at, SVC_SEV_ERROR, "%s", b.ptr ? b.ptr : fmt);
	else
		svc_diags_add(r->diags, r->path, 0, 0, SVC_SEV_ERROR, NULL,
			      "%s", b.ptr ? b.ptr : fmt);
	buf_clear(&b);
	r->errors++;
}

/* A copy of a scalar's text, or NULL (out of memory: reported). */
static char *dup_scalar(struct reader *r, const ynode *n)
{
	char *s = strdup(n->scalar ? n->scalar : "");

	if (!s)
		problem(r, n, "out of memory");
	return s;
}

/*
 * 1 when n is a scalar that holds no NUL byte and no control character
 * but TAB and LF (it becomes a C string and is printed); otherwise
 * reports what is wrong.
 */
static int want_scalar(struct reader *r, const ynode *n, const char *what)
{
	size_t i;

	if (n->kind != YNODE_SCALAR) {
		problem(r, n, "'%s' must be a scalar, not %s", what,
			ynode_kind_name(n->kind));
		return 0;
	}
	for (i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->scalar[i];

		if (c == '\0') {
			problem(r, n, "'%s' holds a NUL byte", what);
			return 0;
		}
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			problem(r, n, "'%s' holds a control character (0x%02x)",
				what, c);
			return 0;
		}
	}
	return 1;
}

/* 1 when s is an identifier: letters, digits and "._-", 1..ID_MAX long. */
static int ident_ok(const char *s, const char *extra)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(extra, c)))
			return 0;
	}
	return 1;
}

/* A boolean scalar: "true" or "false"; -1 when it is neither (reported). */
static int read_bool(struct reader *r, const ynode *n, const char *what)
{
	if (!want_scalar(r, n, what))
		return -1;
	if (ynode_is(n, "true"))
		return 1;
	if (ynode_is(n, "false"))
		return 0;
	problem(r, n, "'%s' must be true or false", what);
	return -1;
}

/*
 * Check that every key of mapping map is one of allowed (NULL-ended);
 * reports the others.  0 when map is a mapping.
 */
static int check_keys(struct reader *r, const ynode *map, const char *what,
		      const char *const *allowed)
{
	size_t i, k;

	if (map->kind != YNODE_MAP) {
		problem(r, map, "%s must be a mapping, not %s", what,
			ynode_kind_name(map->kind));
		return -1;
	}
	for (i = 0; i + 1 < map->n; i += 2) {
		const ynode *key = map->items[i];

		for (k = 0; allowed[k]; k++)
			if (ynode_is(key, allowed[k]))
				break;
		if (!allowed[k])
			problem(r, key, "unknown key '%s' in %s",
				key->scalar ? key->scalar : "?", what);
	}
	return 0;
}

/* ---- validation -------------------------------------------------------- */

/* The validators a definition may name, by name. */
static const struct {
	const char *name;
	svc_validator v;
} validators[] = {
	{ "url", SVC_VALID_URL },           { "tcp-url", SVC_VALID_TCP_URL },
	{ "guid", SVC_VALID_GUID },         { "pem", SVC_VALID_PEM },
	{ "base64", SVC_VALID_BASE64 },     { "kubeconfig", SVC_VALID_KUBECONFIG },
	{ "thumbprints", SVC_VALID_THUMBPRINTS }, { "name", SVC_VALID_NAME },
	{ "bool", SVC_VALID_BOOL },         { "port", SVC_VALID_PORT },
	{ "known-hosts", SVC_VALID_KNOWN_HOSTS },
};

/*
 * validate: NAME | {regex: RE} | {enum: [A, B]} | {length: "MIN..MAX"}
 * into f's validator and argument.
 */
static void read_validate(struct reader *r, const ynode *n, svc_field *f)
{
	static const char *const keys[] = { "regex", "enum", "length", NULL };
	const char *why = NULL;
	const ynode *k, *v;
	svc_buf b = SVC_BUF_INIT;
	size_t i, at = 0;

	if (n->kind == YNODE_SCALAR) {
		for (i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
			if (ynode_is(n, validators[i].name)) {
				f->validator = validators[i].v;
				return;
			}
		problem(r, n, "unknown validation '%s' (url, tcp-url, guid, pem, base64, kubeconfig, thumbprints, name, bool, port, known-hosts, or a mapping with regex, enum or length)",
			n->scalar);
		return;
	}
	if (check_keys(r, n, "validate", keys) != 0)
		return;
	if (n->n != 2) {
		problem(r, n, "validate takes exactly one of regex, enum, length");
		return;
	}
	k = n->items[0];
	v = n->items[1];
	if (ynode_is(k, "enum")) {
		f->validator = SVC_VALID_ENUM;
		if (v->kind != YNODE_SEQ || v->n == 0) {
			problem(r, v, "enum must be a non-empty list of values");
			return;
		}
		for (i = 0; i < v->n; i++) {
			const ynode *e = v->items[i];

			if (!want_scalar(r, e, "enum value"))
				goto out;
			if (!*e->scalar || strchr(e->scalar, '|')) {
				problem(r, e, "an enum value must be non-empty and hold no '|'");
				goto out;
			}
			buf_printf(&b, "%s%s", i ? "|" : "", e->scalar);
		}
	} else {
		f->validator = ynode_is(k, "regex") ? SVC_VALID_REGEX
						    : SVC_VALID_LENGTH;
		if (!want_scalar(r, v, k->scalar))
			goto out;
		buf_puts(&b, v->scalar);
	}
	if (!b.ptr)
		problem(r, v, "out of memory");
	else if (catalog_validator_arg_ok(f->validator, b.ptr, &why, &at) != 0) {
		if (f->validator == SVC_VALID_REGEX)
			problem(r, v, "regex: %s (at byte %zu of the pattern)",
				why, at);
		else
			problem(r, v, "%s: %s", k->scalar, why);
	} else {
		f->validator_arg = buf_detach(&b, NULL);
	}
out:
	buf_clear(&b);
}

/* ---- fields and schemes ------------------------------------------------ */

static void read_field(struct reader *r, const ynode *n, svc_field *f)
{
	static const char *const keys[] = { "key", "kind", "label", "required",
		"requiredWhen", "secret", "default", "validate", "help", NULL };
	const ynode *v;
	int b;

	if (check_keys(r, n, "a field", keys) != 0)
		return;
	if (!(v = ynode_get(n, "key")) || !want_scalar(r, v, "key") ||
	    !ident_ok(v->scalar, "._-")) {
		problem(r, v ? v : n, "a field needs a key: letters, digits, '.', '_' and '-', at most %d", ID_MAX);
		return;
	}
	f->key = dup_scalar(r, v);
	if (!(v = ynode_get(n, "kind")) || !want_scalar(r, v, "kind")) {
		problem(r, v ? v : n, "field '%s' needs a kind: auth, data or url", f->key);
	} else if (ynode_is(v, "auth")) {
		f->kind = SVC_FIELD_AUTH;
	} else if (ynode_is(v, "data")) {
		f->kind = SVC_FIELD_DATA;
	} else if (ynode_is(v, "url")) {
		f->kind = SVC_FIELD_URL;
		if (f->key && strcmp(f->key, "url") != 0)
			problem(r, v, "a field of kind url must have the key 'url'");
	} else {
		problem(r, v, "field '%s': kind must be auth, data or url", f->key);
	}
	if (f->key && strcmp(f->key, "url") == 0 && f->kind != SVC_FIELD_URL)
		problem(r, n, "the key 'url' is for the field of kind url");
	if ((v = ynode_get(n, "label")) && want_scalar(r, v, "label"))
		f->label = dup_scalar(r, v);
	else if (f->key)
		f->label = strdup(f->key);
	if ((v = ynode_get(n, "help")) && want_scalar(r, v, "help"))
		f->help = dup_scalar(r, v);
	if ((v = ynode_get(n, "required")) && (b = read_bool(r, v, "required")) >= 0)
		f->required = b;
	if ((v = ynode_get(n, "secret")) && (b = read_bool(r, v, "secret")) >= 0) {
		f->secret = b;
		if (b && f->kind == SVC_FIELD_URL)
			problem(r, v, "the URL cannot be secret");
	}
	if ((v = ynode_get(n, "default")) && want_scalar(r, v, "default"))
		f->default_value = dup_scalar(r, v);
	if ((v = ynode_get(n, "requiredWhen")) && want_scalar(r, v, "requiredWhen")) {
		const char *eq = strchr(v->scalar, '=');

		if (!eq || eq == v->scalar || strchr(eq + 1, '='))
			problem(r, v, "requiredWhen must be \"otherKey=value\"");
		else
			f->required_when = dup_scalar(r, v);
	}
	if ((v = ynode_get(n, "validate")))
		read_validate(r, v, f);
	if (f->default_value && f->secret)
		problem(r, n, "field '%s': a secret cannot have a default", f->key);
	if (f->default_value && f->key && f->validator != SVC_VALID_NONE) {
		const char *why = NULL;

		if (svc_field_check(f, f->default_value,
				    strlen(f->default_value), &why) != 0)
			problem(r, ynode_get(n, "default"),
				"field '%s': the default is not valid: %s",
				f->key, why);
	}
}

/* The field of s with key (case-insensitive), or NULL. */
static const svc_field *scheme_field(const svc_scheme *s, const char *key,
				     size_t len)
{
	size_t i;

	for (i = 0; key && i < s->nfields; i++)
		if (s->fields[i].key && strlen(s->fields[i].key) == len &&
		    strncasecmp(s->fields[i].key, key, len) == 0)
			return &s->fields[i];
	return NULL;
}

static void read_scheme(struct reader *r, const ynode *n, svc_scheme *s)
{
	static const char *const keys[] = { "id", "label", "fields", NULL };
	const ynode *v, *fields;
	svc_field *fs;
	size_t i, j;

	if (check_keys(r, n, "a scheme", keys) != 0)
		return;
	if (!(v = ynode_get(n, "id")) || !want_scalar(r, v, "id") ||
	    !ident_ok(v->scalar, "_-")) {
		problem(r, v ? v : n, "a scheme needs an id: letters, digits, '_' and '-'");
		return;
	}
	s->id = dup_scalar(r, v);
	if ((v = ynode_get(n, "label")) && want_scalar(r, v, "label"))
		s->label = dup_scalar(r, v);
	else
		s->label = strdup(s->id ? s->id : "");
	fields = ynode_get(n, "fields");
	if (!fields)
		return; /* a scheme without fields: None with no parameter */
	if (fields->kind != YNODE_SEQ) {
		problem(r, fields, "fields must be a list");
		return;
	}
	if (fields->n == 0)
		return;
	if (!(fs = calloc(fields->n, sizeof(*fs)))) {
		problem(r, fields, "out of memory");
		return;
	}
	s->fields = fs;
	s->nfields = fields->n;
	for (i = 0; i < fields->n; i++) {
		read_field(r, fields->items[i], &fs[i]);
		for (j = 0; j < i && fs[i].key; j++)
			if (fs[j].key && strcasecmp(fs[i].key, fs[j].key) == 0)
				problem(r, fields->items[i],
					"field '%s' is defined twice in scheme '%s'",
					fs[i].key, s->id);
	}
	/* requiredWhen names another field of the scheme */
	for (i = 0; i < s->nfields; i++) {
		const char *w = fs[i].required_when;

		if (w && !scheme_field(s, w, (size_t)(strchr(w, '=') - w)))
			problem(r, fields->items[i],
				"field '%s': requiredWhen names no field of scheme '%s'",
				fs[i].key, s->id);
	}
}

/* ---- the verify request ------------------------------------------------ */

/*
 * 1 when every "{key}" of template t names "url" or a field of some
 * scheme of type ty; reports the others.
 */
static int template_ok(struct reader *r, const ynode *at, const svc_type *ty,
		       const char *t)
{
	const char *p = t;
	size_t i;

	while ((p = strpbrk(p, "{}")) != NULL) {
		const char *end;
		int found = 0;

		if (*p == '}' || !(end = strchr(p, '}'))) {
			problem(r, at, "unbalanced '{' or '}' in '%s'", t);
			return 0;
		}
		if ((size_t)(end - p - 1) == 3 && strncmp(p + 1, "url", 3) == 0)
			found = 1;
		for (i = 0; !found && i < ty->nschemes; i++)
			found = scheme_field(&ty->schemes[i], p + 1,
					     (size_t)(end - p - 1)) != NULL;
		if (!found) {
			problem(r, at, "'%.*s' names no field of the type",
				(int)(end - p + 1), p);
			return 0;
		}
		p = end + 1;
	}
	return 1;
}

/*
 * 1 when the URL template v starts with "{url}" or with a field that every
 * scheme having it validates as a URL (it is the request's base, put in
 * as it is); reports anything else.
 */
static int base_ok(struct reader *r, const ynode *v, const svc_type *ty)
{
	const char *t = v->scalar, *end = strchr(t, '}');
	size_t i, n;

	if (t[0] != '{' || !end) {
		problem(r, v, "the verify url must start with {url} or a field validated as a URL");
		return 0;
	}
	n = (size_t)(end - t - 1);
	if (n == 3 && strncmp(t + 1, "url", 3) == 0)
		return 1;
	for (i = 0; i < ty->nschemes; i++) {
		const svc_field *f = scheme_field(&ty->schemes[i], t + 1, n);

		if (f && f->validator != SVC_VALID_URL) {
			problem(r, v, "'%.*s' starts the verify url, so it must have validate: url",
				(int)(n + 2), t);
			return 0;
		}
	}
	return 1;
}

/* The key of a field named by v (a scalar); NULL when no scheme has it. */
static char *field_ref(struct reader *r, const ynode *v, const svc_type *ty,
		       const char *what)
{
	size_t i;

	if (!want_scalar(r, v, what))
		return NULL;
	for (i = 0; i < ty->nschemes; i++)
		if (scheme_field(&ty->schemes[i], v->scalar, v->len))
			return dup_scalar(r, v);
	problem(r, v, "%s '%s' names no field of the type", what, v->scalar);
	return NULL;
}

static void read_auth(struct reader *r, const ynode *n, const svc_type *ty,
		      svc_verify_request *q)
{
	static const char *const keys[] = { "basic", "bearer", "header", NULL };
	static const char *const basic_keys[] = { "username", "password", NULL };
	static const char *const header_keys[] = { "name", "value", NULL };
	const ynode *k, *v, *x;

	if (check_keys(r, n, "auth", keys) != 0)
		return;
	if (n->n != 2) {
		problem(r, n, "auth takes exactly one of basic, bearer, header");
		return;
	}
	k = n->items[0];
	v = n->items[1];
	q->auth = dup_scalar(r, k);
	if (ynode_is(k, "bearer")) {
		q->auth_secret = field_ref(r, v, ty, "bearer");
		return;
	}
	if (check_keys(r, v, k->scalar, ynode_is(k, "basic") ? basic_keys
							     : header_keys))
		return;
	if (ynode_is(k, "basic")) {
		if ((x = ynode_get(v, "username")))
			q->auth_username = field_ref(r, x, ty, "username");
		if (!(x = ynode_get(v, "password")))
			problem(r, v, "basic needs a password field");
		else
			q->auth_secret = field_ref(r, x, ty, "password");
		return;
	}
	if (!(x = ynode_get(v, "name")) || !want_scalar(r, x, "name") ||
	    !ident_ok(x->scalar, "-_")) {
		problem(r, x ? x : v, "header needs a name: letters, digits, '-' and '_'");
		return;
	}
	q->auth_header = dup_scalar(r, x);
	if (!(x = ynode_get(v, "value")))
		problem(r, v, "header needs a value field");
	else
		q->auth_secret = field_ref(r, x, ty, "value");
}

static void read_verify(struct reader *r, const ynode *n, svc_type *ty)
{
	static const char *const keys[] = { "method", "url", "expectStatus",
		"auth", "form", NULL };
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT",
		"OPTIONS", NULL };
	svc_verify_request *q;
	svc_verify_param *form;
	const ynode *v;
	size_t i;

	if (check_keys(r, n, "verify", keys) != 0)
		return;
	if (!(q = calloc(1, sizeof(*q)))) {
		problem(r, n, "out of memory");
		return;
	}
	ty->verify = q;
	q->expect_status = 200;
	q->method = strdup("GET");
	if ((v = ynode_get(n, "method")) && want_scalar(r, v, "method")) {
		for (i = 0; methods[i] && !ynode_is(v, methods[i]); i++)
			;
		if (!methods[i])
			problem(r, v, "method must be GET, POST, HEAD, PUT or OPTIONS");
		free((char *)q->method);
		q->method = dup_scalar(r, v);
	}
	if (!(v = ynode_get(n, "url")) || !want_scalar(r, v, "url"))
		problem(r, v ? v : n, "verify needs a url (a template such as \"{url}/api/me\")");
	else if (template_ok(r, v, ty, v->scalar) && base_ok(r, v, ty))
		q->url = dup_scalar(r, v);
	if ((v = ynode_get(n, "expectStatus")) && want_scalar(r, v, "expectStatus")) {
		char *end;
		long st = strtol(v->scalar, &end, 10);

		if (*end || st < 100 || st > 599)
			problem(r, v, "expectStatus must be an HTTP status (100-599)");
		else
			q->expect_status = (int)st;
	}
	if ((v = ynode_get(n, "auth")))
		read_auth(r, v, ty, q);
	if ((v = ynode_get(n, "form"))) {
		if (v->kind != YNODE_MAP || v->n == 0) {
			problem(r, v, "form must be a mapping of field names to templates");
			return;
		}
		if (!(form = calloc(v->n / 2, sizeof(*form)))) {
			problem(r, v, "out of memory");
			return;
		}
		q->form = form;
		q->nform = v->n / 2;
		for (i = 0; i < q->nform; i++) {
			const ynode *fk = v->items[2 * i], *fv = v->items[2 * i + 1];

			if (!want_scalar(r, fk, "form") ||
			    !want_scalar(r, fv, fk->scalar) ||
			    !template_ok(r, fv, ty, fv->scalar))
				continue;
			form[i].name = dup_scalar(r, fk);
			form[i].value = dup_scalar(r, fv);
		}
		if (strcmp(q->method, "POST") && strcmp(q->method, "PUT"))
			problem(r, v, "a form is sent with POST or PUT only");
	}
}

/* ---- a definition ------------------------------------------------------ */

static void read_type(struct reader *r, const ynode *root, svc_type *t)
{
	static const char *const keys[] = { "id", "name", "description",
		"schemes", "verify", NULL };
	const ynode *v, *schemes;
	svc_scheme *ss;
	size_t i, j;

	if (!root) {
		problem(r, NULL, "the definition is empty");
		return;
	}
	if (check_keys(r, root, "a type definition", keys) != 0)
		return;
	if (!(v = ynode_get(root, "id")) || !want_scalar(r, v, "id") ||
	    !ident_ok(v->scalar, "._-"))
		problem(r, v ? v : root, "a type needs an id: letters, digits, '.', '_' and '-', at most %d", ID_MAX);
	else
		t->id = dup_scalar(r, v);
	if (!(v = ynode_get(root, "name")) || !want_scalar(r, v, "name") ||
	    !*v->scalar)
		problem(r, v ? v : root, "a type needs a name");
	else
		t->name = dup_scalar(r, v);
	if ((v = ynode_get(root, "description")) && want_scalar(r, v, "description"))
		t->description = dup_scalar(r, v);
	else
		t->description = strdup("");
	schemes = ynode_get(root, "schemes");
	if (!schemes || schemes->kind != YNODE_SEQ || schemes->n == 0) {
		problem(r, schemes ? schemes : root, "a type needs a non-empty list of schemes");
		return;
	}
	if (!(ss = calloc(schemes->n, sizeof(*ss)))) {
		problem(r, schemes, "out of memory");
		return;
	}
	t->schemes = ss;
	t->nschemes = schemes->n;
	for (i = 0; i < schemes->n; i++) {
		read_scheme(r, schemes->items[i], &ss[i]);
		for (j = 0; j < i && ss[i].id; j++)
			if (ss[j].id && strcasecmp(ss[i].id, ss[j].id) == 0)
				problem(r, schemes->items[i],
					"scheme '%s' is defined twice", ss[i].id);
	}
	if ((v = ynode_get(root, "verify")))
		read_verify(r, v, t);
}

int catalog_custom_read(svc_type *t, const char *path, svc_diags *diags)
{
	svc_buf text;
	int rc;

	memset(t, 0, sizeof(*t));
	buf_init(&text, DEF_MAX_BYTES, 0);
	if (file_read_all(&text, path) != 0) {
		svc_diags_add(diags, path, 0, 0, SVC_SEV_ERROR, NULL, "%s",
			      svc_error_last());
		buf_clear(&text);
		return SVC_EINVALID;
	}
	rc = catalog_custom_parse(t, path, text.ptr ? text.ptr : "", text.len,
				  diags);
	buf_clear(&text);
	return rc;
}

int catalog_custom_parse(svc_type *t, const char *path, const char *text,
			 size_t len, svc_diags *diags)
{
	struct reader r = { path, diags, 0 };
	ydoc_limits lim = { DEF_MAX_BYTES, 16, 20000, 64 * 1024 };
	ydoc *doc = NULL;

	memset(t, 0, sizeof(*t));
	if (ydoc_parse(&doc, path, text, len, &lim, diags) != 0)
		return SVC_EINVALID;
	read_type(&r, doc->root, t);
	ydoc_free(doc);
	if (r.errors) {
		catalog_custom_clear(t);
		return SVC_EINVALID;
	}
	if (!(t->source = strdup(path))) {
		catalog_custom_clear(t);
		return error_oom();
	}
	return 0;
}

void catalog_custom_clear(svc_type *t)
{
	size_t i, j;

	for (i = 0; t->schemes && i < t->nschemes; i++) {
		svc_scheme *s = (svc_scheme *)&t->schemes[i];

		for (j = 0; s->fields && j < s->nfields; j++) {
			svc_field *f = (svc_field *)&s->fields[j];

			free((char *)f->key);
			free((char *)f->label);
			free((char *)f->required_when);
			free((char *)f->default_value);
			free((char *)f->validator_arg);
			free((char *)f->help);
		}
		free((svc_field *)s->fields);
		free((char *)s->id);
		free((char *)s->label);
	}
	free((svc_scheme *)t->schemes);
	if (t->verify) {
		svc_verify_request *q = (svc_verify_request *)t->verify;

		for (i = 0; q->form && i < q->nform; i++) {
			free((char *)q->form[i].name);
			free((char *)q->form[i].value);
		}
		free((svc_verify_param *)q->form);
		free((char *)q->method);
		free((char *)q->url);
		free((char *)q->auth);
		free((char *)q->auth_username);
		free((char *)q->auth_secret);
		free((char *)q->auth_header);
		free(q);
	}
	free((char *)t->id);
	free((char *)t->name);
	free((char *)t->description);
	free((char *)t->source);
	memset(t, 0, sizeof(*t));
}

void catalog_custom_free(svc_type *types, size_t n)
{
	size_t i;

	for (i = 0; types && i < n; i++)
		catalog_custom_clear(&types[i]);
	free(types);
}

/* ---- loading the directories ------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when name ends in ".yml" or ".yaml" and is not hidden. */
static int is_definition(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' &&
	       ((n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
		(n > 5 && strcmp(name + n - 5, ".yaml") == 0));
}

/*
 * Read the definition at path into *t; a definition that cannot be used
 * (not a regular file, unreadable, malformed) is skipped: its problems go
 * to diags as warnings and SVC_ENOTFOUND is returned, so that one bad file
 * never stops the commands that do not need it.
 */
static int read_or_skip(svc_type *t, const char *path, svc_diags *diags)
{
	svc_diags *mine = NULL;
	struct stat st;
	size_t i;
	int rc;

	/* a FIFO or a device would block or never end: not a definition */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return svc_diags_add(diags, path, 0, 0, SVC_SEV_WARNING, NULL,
				     "not a regular file (definition skipped)")
		       ? error_oom() : SVC_ENOTFOUND;
	if (svc_diags_new(&mine) != 0)
		return error_oom();
	rc = catalog_custom_read(t, path, mine);
	if (rc && svc_diags_count(mine) == 0)
		svc_diags_add(mine, path, 0, 0, SVC_SEV_ERROR, NULL, "%s",
			      svc_error_last());
	for (i = 0; rc && i < svc_diags_count(mine); i++) {
		const svc_diag *d = svc_diags_at(mine, i);

		if (svc_diags_add(diags, d->file, d->line, d->column,
				  SVC_SEV_WARNING, d->field,
				  "%s (definition skipped)", d->message) != 0) {
			svc_diags_free(mine);
			return error_oom();
		}
	}
	svc_diags_free(mine);
	if (rc)
		svc_error_clear();
	return rc ? SVC_ENOTFOUND : 0;
}

/* Load the definitions of directory dir into *types (*n of *cap). */
static int load_dir(svc_type **types, size_t *n, size_t *cap,
		    const char *dir, svc_diags *diags)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[DEF_MAX_FILES];
	size_t count = 0, i, k;
	int rc = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0
		       : error_set(SVC_ERROR, "cannot read '%s': %s", dir,
				   strerror(errno));
	while ((e = readdir(d)) != NULL && count < DEF_MAX_FILES)
		if (is_definition(e->d_name) && (names[count] = strdup(e->d_name)))
			count++;
	closedir(d);
	qsort(names, count, sizeof(names[0]), by_name);
	for (i = 0; i < count && rc == 0; i++) {
		svc_buf path = SVC_BUF_INIT;
		svc_type t;

		if ((rc = buf_printf(&path, "%s/%s", dir, names[i])) != 0)
			break;
		rc = read_or_skip(&t, path.ptr, diags);
		buf_clear(&path);
		if (rc == SVC_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		/* the first definition of an id wins, as on a PATH */
		for (k = 0; k < *n; k++)
			if (strcasecmp((*types)[k].id, t.id) == 0)
				break;
		if (k < *n) {
			catalog_custom_clear(&t);
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 8;
			svc_type *p = realloc(*types, nc * sizeof(*p));

			if (!p) {
				catalog_custom_clear(&t);
				rc = error_oom();
				break;
			}
			*types = p;
			*cap = nc;
		}
		(*types)[(*n)++] = t;
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	return rc;
}

int catalog_custom_load(svc_type **types, size_t *n, svc_diags *diags)
{
	const char *path = getenv("SVCCONN_TYPES_PATH");
	size_t cap = 0;
	char *home = NULL, *shipped = NULL;
	int rc = 0;

	*types = NULL;
	*n = 0;
	if (home_dir(&home, NULL) == 0) {
		svc_buf dir = SVC_BUF_INIT;

		if ((rc = buf_printf(&dir, "%s/types", home)) == 0)
			rc = load_dir(types, n, &cap, dir.ptr, diags);
		buf_clear(&dir);
		free(home);
	}
	while (rc == 0 && path && *path) {
		size_t len = strcspn(path, ":");
		char *dir = strndup(path, len);

		if (!dir) {
			rc = error_oom();
			break;
		}
		if (*dir)
			rc = load_dir(types, n, &cap, dir, diags);
		free(dir);
		path += len + (path[len] == ':');
	}
	if (rc == 0 && (shipped = paths_data_dir("types")) != NULL)
		rc = load_dir(types, n, &cap, shipped, diags);
	free(shipped);
	if (rc) {
		catalog_custom_free(*types, *n);
		*types = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- installing -------------------------------------------------------- */

/* "<store>/types/<id>.yml" (id NULL: "<store>/types") into path. */
static int installed_path(svc_buf *path, const char *home, const char *id)
{
	char *h = NULL;
	int rc;

	if (home_dir(&h, home) != 0)
		return error_set(SVC_EINVALID,
				 "cannot find the store: set SVCCONN_HOME or HOME");
	rc = id ? buf_printf(path, "%s/types/%s.yml", h, id)
		: buf_printf(path, "%s/types", h);
	free(h);
	return rc;
}

int svc_catalog_install(char **id, char **dest, const char *file,
			const char *home, int replace, svc_diags *diags)
{
	svc_buf dir = SVC_BUF_INIT, path = SVC_BUF_INIT, text;
	svc_catalog *cat = NULL;
	int rc, existed;

	*id = NULL;
	if (dest)
		*dest = NULL;
	buf_init(&text, DEF_MAX_BYTES, 0);
	if ((rc = svc_catalog_new(&cat)) != 0 ||
	    (rc = svc_catalog_check_definition(id, cat, file, diags)) != 0 ||
	    (rc = installed_path(&dir, home, NULL)) != 0 ||
	    (rc = installed_path(&path, home, *id)) != 0 ||
	    (rc = file_read_all(&text, file)) != 0)
		goto done;
	svc_catalog_free(cat);
	cat = NULL;
	existed = access(path.ptr, F_OK) == 0;
	if (existed && !replace) {
		rc = error_set(SVC_EEXISTS,
			       "type '%s' is installed already (%s); use --replace to replace it",
			       *id, path.ptr);
		goto done;
	}
	if ((rc = dir_ensure_private(dir.ptr)) != 0 ||
	    (rc = file_replace_private(path.ptr, text.ptr ? text.ptr : "",
				       text.len)) != 0)
		goto done;
	/* the catalog must load it; if not, nothing stays installed */
	if ((rc = svc_catalog_new(&cat)) != 0 ||
	    !svc_catalog_find(cat, *id) ||
	    !svc_catalog_find(cat, *id)->source ||
	    strcmp(svc_catalog_find(cat, *id)->source, path.ptr) != 0) {
		if (rc == 0)
			rc = error_set(SVC_EINVALID,
				       "the catalog does not load '%s' from %s",
				       *id, path.ptr);
		if (!existed)
			unlink(path.ptr);
		goto done;
	}
	if (dest && !(*dest = buf_detach(&path, NULL)))
		rc = error_oom();
done:
	if (rc) {
		free(*id);
		*id = NULL;
	}
	svc_catalog_free(cat);
	buf_clear(&text);
	buf_clear(&path);
	buf_clear(&dir);
	return rc;
}

int svc_catalog_uninstall(const char *id, const char *home)
{
	svc_buf path = SVC_BUF_INIT;
	int rc;

	if (!id || !ident_ok(id, "._-"))
		return error_set(SVC_EINVALID, "invalid type id");
	if ((rc = installed_path(&path, home, id)) != 0)
		return rc;
	if (unlink(path.ptr) != 0)
		rc = error_set(errno == ENOENT ? SVC_ENOTFOUND : SVC_ERROR,
			       "cannot remove %s: %s", path.ptr, strerror(errno));
	buf_clear(&path);
	return rc;
}
