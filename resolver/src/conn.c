/*
 * conn.c - the in-memory connection object and its validation against the
 * catalog.
 *
 * Every field value is held in its own heap block that is wiped before it is
 * freed or replaced, whether the field is secret or not: the secret flag is
 * only known once the connection is validated, and a value must never be
 * left behind in freed memory before then.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "svcconn/conn.h"
#include "svcconn/secret.h"
#include "catalog/catalog_int.h"
#include "errors_int.h"
#include "util/buf.h"

/* One field of a connection. */
struct conn_field {
	char *key;           /**< field key */
	svc_field_kind kind; /**< auth, data or url (never url here) */
	int secret;          /**< secret flag */
	int is_set;          /**< value exists (maybe not loaded) */
	char *value;         /**< value (wiped on free), NULL if not loaded */
	size_t len;          /**< bytes in value */
};

struct svc_conn {
	char *id;            /**< UUID, NULL until stored */
	char *name;          /**< unique name */
	char *type;          /**< type id */
	char *scheme;        /**< scheme id, NULL until chosen */
	char *url;           /**< URL or NULL */
	char *description;   /**< description or NULL */
	char *created_by;    /**< creator */
	char *created_at;    /**< creation time, ISO 8601 */
	char *updated_by;    /**< last updater */
	char *updated_at;    /**< last update time */
	int all_pipelines;   /**< open to all pipelines */
	char *project_id;    /**< owning project's id, NULL until stored */
	struct conn_field *fields; /**< fields other than the URL */
	size_t nfields;      /**< fields used */
	size_t afields;      /**< fields allocated */
};

static int set_str(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return error_oom();
	free(*dst);
	*dst = copy;
	return 0;
}

int svc_conn_new(svc_conn **out, const char *type, const char *name)
{
	svc_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return error_oom();
	if (set_str(&c->type, type) || set_str(&c->name, name)) {
		svc_conn_free(c);
		return error_oom();
	}
	*out = c;
	return 0;
}

static void field_clear(struct conn_field *f)
{
	free(f->key);
	svc_secret_free(f->value, f->len);
	memset(f, 0, sizeof(*f));
}

void svc_conn_free(svc_conn *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nfields; i++)
		field_clear(&c->fields[i]);
	free(c->fields);
	free(c->id);
	free(c->name);
	free(c->type);
	free(c->scheme);
	free(c->url);
	free(c->description);
	free(c->created_by);
	free(c->created_at);
	free(c->updated_by);
	free(c->updated_at);
	free(c->project_id);
	free(c);
}

int svc_conn_dup(svc_conn **out, const svc_conn *c)
{
	svc_conn *d;
	size_t i;
	int rc;

	if ((rc = svc_conn_new(&d, c->type, c->name)) != 0)
		return rc;
	if (set_str(&d->id, c->id) || set_str(&d->scheme, c->scheme) ||
	    set_str(&d->url, c->url) ||
	    set_str(&d->description, c->description) ||
	    svc_conn_set_meta(d, c->created_by, c->created_at, c->updated_by,
			      c->updated_at))
		goto oom;
	d->all_pipelines = c->all_pipelines;
	if (set_str(&d->project_id, c->project_id))
		goto oom;
	for (i = 0; i < c->nfields; i++) {
		const struct conn_field *f = &c->fields[i];

		if (f->value)
			rc = svc_conn_set_field(d, f->key, f->value, f->len);
		else
			rc = svc_conn_set_field_unloaded(d, f->key, f->kind);
		if (rc || svc_conn_set_field_class(d, f->key, f->kind, f->secret))
			goto oom;
	}
	*out = d;
	return 0;
oom:
	svc_conn_free(d);
	return error_oom();
}

const char *svc_conn_id(const svc_conn *c) { return c->id; }
const char *svc_conn_name(const svc_conn *c) { return c->name; }
const char *svc_conn_type(const svc_conn *c) { return c->type; }
const char *svc_conn_scheme(const svc_conn *c) { return c->scheme; }
const char *svc_conn_url(const svc_conn *c) { return c->url; }
const char *svc_conn_description(const svc_conn *c) { return c->description; }
const char *svc_conn_created_by(const svc_conn *c) { return c->created_by; }
const char *svc_conn_created_at(const svc_conn *c) { return c->created_at; }
const char *svc_conn_updated_by(const svc_conn *c) { return c->updated_by; }
const char *svc_conn_updated_at(const svc_conn *c) { return c->updated_at; }
int svc_conn_all_pipelines(const svc_conn *c) { return c->all_pipelines; }
const char *svc_conn_project_id(const svc_conn *c) { return c->project_id; }

int svc_conn_set_project_id(svc_conn *c, const char *project_id)
{
	return set_str(&c->project_id, project_id);
}

int svc_conn_set_id(svc_conn *c, const char *id) { return set_str(&c->id, id); }
int svc_conn_set_name(svc_conn *c, const char *n) { return set_str(&c->name, n); }
int svc_conn_set_type(svc_conn *c, const char *t) { return set_str(&c->type, t); }
int svc_conn_set_scheme(svc_conn *c, const char *s) { return set_str(&c->scheme, s); }
int svc_conn_set_url(svc_conn *c, const char *u) { return set_str(&c->url, u); }
int svc_conn_set_description(svc_conn *c, const char *t)
{
	return set_str(&c->description, t);
}
void svc_conn_set_all_pipelines(svc_conn *c, int all)
{
	c->all_pipelines = all ? 1 : 0;
}

int svc_conn_set_meta(svc_conn *c, const char *created_by,
		      const char *created_at, const char *updated_by,
		      const char *updated_at)
{
	if ((created_by && set_str(&c->created_by, created_by)) ||
	    (created_at && set_str(&c->created_at, created_at)) ||
	    (updated_by && set_str(&c->updated_by, updated_by)) ||
	    (updated_at && set_str(&c->updated_at, updated_at)))
		return error_oom();
	return 0;
}

static struct conn_field *find_field(const svc_conn *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nfields; i++)
		if (strcasecmp(c->fields[i].key, key) == 0)
			return &c->fields[i];
	return NULL;
}

/* The field for key, added (empty) when missing. */
static int field_slot(struct conn_field **out, svc_conn *c, const char *key)
{
	struct conn_field *f = find_field(c, key);

	if (!f) {
		if (c->nfields == c->afields) {
			size_t n = c->afields ? c->afields * 2 : 8, bytes;
			void *p;

			if (!size_mul_ok(&bytes, n, sizeof(*c->fields)))
				return error_oom();
			p = realloc(c->fields, bytes);
			if (!p)
				return error_oom();
			c->fields = p;
			c->afields = n;
		}
		f = &c->fields[c->nfields];
		memset(f, 0, sizeof(*f));
		if (!(f->key = strdup(key)))
			return error_oom();
		f->kind = SVC_FIELD_AUTH;
		c->nfields++;
	}
	*out = f;
	return 0;
}

static int valid_key(const char *key)
{
	const char *p;

	if (!key || !*key || strlen(key) > 128)
		return 0;
	for (p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return 0;
	return 1;
}

int svc_conn_set_field(svc_conn *c, const char *key, const char *value,
		       size_t len)
{
	struct conn_field *f;
	char *copy;
	int rc;

	if (!valid_key(key))
		return error_set(SVC_EINVALID, "invalid field key '%s'",
				 key ? key : "");
	copy = malloc(len + 1);
	if (!copy)
		return error_oom();
	memcpy(copy, value, len);
	copy[len] = '\0';
	if ((rc = field_slot(&f, c, key)) != 0) {
		svc_secret_free(copy, len);
		return rc;
	}
	svc_secret_free(f->value, f->len);
	f->value = copy;
	f->len = len;
	f->is_set = 1;
	return 0;
}

int svc_conn_set_field_unloaded(svc_conn *c, const char *key,
				svc_field_kind kind)
{
	struct conn_field *f;
	int rc;

	if ((rc = field_slot(&f, c, key)) != 0)
		return rc;
	svc_secret_free(f->value, f->len);
	f->value = NULL;
	f->len = 0;
	f->is_set = 1;
	f->secret = 1;
	f->kind = kind;
	return 0;
}

int svc_conn_set_field_class(svc_conn *c, const char *key,
			     svc_field_kind kind, int secret)
{
	struct conn_field *f = find_field(c, key);

	if (!f)
		return error_set(SVC_ENOTFOUND, "no field '%s'", key);
	f->kind = kind;
	f->secret = secret ? 1 : 0;
	return 0;
}

int svc_conn_unset_field(svc_conn *c, const char *key)
{
	struct conn_field *f = find_field(c, key);
	size_t i;

	if (!f)
		return SVC_ENOTFOUND;
	i = (size_t)(f - c->fields);
	field_clear(f);
	memmove(&c->fields[i], &c->fields[i + 1],
		(c->nfields - i - 1) * sizeof(*c->fields));
	c->nfields--;
	return 0;
}

size_t svc_conn_field_count(const svc_conn *c)
{
	return c->nfields;
}

static void view(svc_conn_field *out, const struct conn_field *f)
{
	out->key = f->key;
	out->kind = f->kind;
	out->secret = f->secret;
	out->is_set = f->is_set;
	out->value = f->value;
	out->len = f->len;
}

int svc_conn_field_at(const svc_conn *c, size_t i, svc_conn_field *out)
{
	if (i >= c->nfields)
		return SVC_ENOTFOUND;
	view(out, &c->fields[i]);
	return 0;
}

int svc_conn_field_get(const svc_conn *c, const char *key,
		       svc_conn_field *out)
{
	const struct conn_field *f = find_field(c, key);

	if (!f)
		return SVC_ENOTFOUND;
	view(out, f);
	return 0;
}

/* ---- validation ---------------------------------------------------------- */

/* Append the ids of t's schemes and variants to b as "a, b, c". */
static void list_schemes(svc_buf *b, const svc_type *t)
{
	size_t i;

	for (i = 0; i < t->nschemes; i++)
		buf_printf(b, "%s%s", i ? ", " : "", t->schemes[i].id);
	for (i = 0; i < t->nvariants; i++)
		buf_printf(b, ", %s", t->variants[i].id);
}

/* Apply "k=v;k=v" presets of a variant; a conflicting value is a problem. */
static int apply_presets(svc_conn *c, const svc_variant *v, svc_diags *diags)
{
	const char *p = v->presets;
	int rc = 0;

	while (p && *p) {
		size_t len = strcspn(p, ";"), klen = strcspn(p, "=");
		char key[129];
		const char *val = p + klen + 1;
		size_t vlen = len > klen ? len - klen - 1 : 0;
		struct conn_field *f;

		if (klen < len && klen < sizeof(key)) {
			memcpy(key, p, klen);
			key[klen] = '\0';
			f = find_field(c, key);
			if (f && f->value &&
			    (f->len != vlen || memcmp(f->value, val, vlen) != 0))
				rc = svc_diags_add(diags, NULL, 0, 0,
					SVC_SEV_ERROR, key,
					"field '%s' must be '%.*s' for '%s'",
					key, (int)vlen, val, v->id);
			else if (!f && (rc = svc_conn_set_field(c, key, val,
								vlen)) != 0)
				return rc;
		}
		p += len;
		if (*p == ';')
			p++;
	}
	return rc;
}

/* Value of the field named by a "key=value" condition, or NULL. */
static int condition_holds(const svc_conn *c, const char *cond)
{
	size_t klen = strcspn(cond, "=");
	char key[129];
	const struct conn_field *f;

	if (!cond[klen] || klen >= sizeof(key))
		return 0;
	memcpy(key, cond, klen);
	key[klen] = '\0';
	f = find_field(c, key);
	return f && f->value && strcmp(f->value, cond + klen + 1) == 0;
}

/* 1 when s (len bytes) is well-formed UTF-8 without NUL bytes. */
static int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		size_t n, i;
		unsigned long cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
		else return 0;
		if ((size_t)(end - p) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

static int check_name(const svc_conn *c, svc_diags *diags)
{
	const unsigned char *p;
	size_t n = c->name ? strlen(c->name) : 0;

	if (n == 0)
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "name",
				     "the connection needs a name");
	if (n > 256)
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "name",
				     "name is longer than 256 characters");
	if (!utf8_valid(c->name, n))
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "name",
				     "name is not valid UTF-8 text");
	for (p = (const unsigned char *)c->name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR,
					     "name",
					     "name contains a control character");
	if (svc_is_uuid(c->name))
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "name",
				     "name '%s' looks like a connection id; choose another",
				     c->name);
	if (isspace((unsigned char)c->name[0]) ||
	    isspace((unsigned char)c->name[n - 1]))
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "name",
				     "name must not start or end with white space");
	return 0;
}

/* Default, requirement and validator checks of one catalog field. */
static int check_field(svc_conn *c, const svc_type *t, const svc_scheme *s,
		       const svc_field *cf, svc_diags *diags)
{
	struct conn_field *f = NULL;
	const char *value, *why = NULL;
	size_t len;
	int required, rc;

	if (cf->kind == SVC_FIELD_URL) {
		if ((!c->url || !*c->url) && cf->default_value &&
		    (rc = svc_conn_set_url(c, cf->default_value)) != 0)
			return rc;
		value = c->url;
		len = value ? strlen(value) : 0;
	} else {
		f = find_field(c, cf->key);
		if ((!f || !f->is_set) && cf->default_value) {
			rc = svc_conn_set_field(c, cf->key, cf->default_value,
						strlen(cf->default_value));
			if (rc)
				return rc;
			f = find_field(c, cf->key);
		}
		if (f) {
			if ((rc = set_str(&f->key, cf->key)) != 0)
				return rc;
			f->kind = cf->kind;
			f->secret = cf->secret;
		}
		value = f ? f->value : NULL;
		len = f ? f->len : 0;
		if (f && f->is_set && !f->value)
			return 0; /* stored secret, not loaded: kept as is */
	}
	required = cf->required ||
		   (cf->required_when && condition_holds(c, cf->required_when));
	if (!value || len == 0) {
		if (required)
			return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR,
				cf->key,
				"missing required field '%s' (%s) for scheme '%s' of type '%s'%s%s",
				cf->key, cf->label, s->id, t->id,
				cf->required_when ? " when " : "",
				cf->required_when && !cf->required
					? cf->required_when : "");
		return 0;
	}
	if (!utf8_valid(value, len))
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, cf->key,
				     "invalid value for field '%s' (%s): not valid UTF-8 text",
				     cf->key, cf->label);
	if (svc_field_check(cf, value, len, &why) != 0)
		return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, cf->key,
				     "invalid value for field '%s' (%s): %s",
				     cf->key, cf->label, why ? why : "invalid");
	if (cf->validator == SVC_VALID_KUBECONFIG) {
		const char *ctxkey = cf->validator_arg ? cf->validator_arg
						       : "clusterContext";
		const struct conn_field *ctx = find_field(c, ctxkey);

		if (ctx && ctx->value && ctx->len &&
		    catalog_check_kubeconfig(value, len, ctx->value, &why) != 0)
			return svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR,
					     ctxkey,
					     "invalid value for field '%s': %s",
					     ctxkey, why ? why : "invalid");
	}
	return 0;
}

int svc_conn_validate(svc_conn *c, const svc_catalog *cat, svc_diags *diags)
{
	const svc_type *t;
	const svc_scheme *s = NULL;
	const svc_variant *v = NULL;
	size_t before = svc_diags_errors(diags), i, n;
	svc_buf list = SVC_BUF_INIT;
	int rc;

	if ((rc = check_name(c, diags)) != 0)
		return rc;
	t = svc_catalog_find(cat, c->type);
	if (!t) {
		svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "type",
			      "unknown connection type '%s' (see 'svcconn types')",
			      c->type ? c->type : "");
		return SVC_EINVALID;
	}
	if ((rc = set_str(&c->type, t->id)) != 0)
		return rc;
	if (!c->scheme || !*c->scheme)
		s = &t->schemes[0];
	else if (!(s = svc_type_scheme(t, c->scheme)) &&
		 (v = svc_type_variant(t, c->scheme)) != NULL)
		s = svc_type_scheme(t, v->scheme);
	if (!s) {
		list_schemes(&list, t);
		svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR, "scheme",
			      "unknown scheme '%s' for type '%s' (valid: %s)",
			      c->scheme, t->id, list.ptr ? list.ptr : "");
		buf_clear(&list);
		return SVC_EINVALID;
	}
	if ((rc = set_str(&c->scheme, s->id)) != 0)
		return rc;
	if (v && (rc = apply_presets(c, v, diags)) != 0 && rc != 0 &&
	    svc_diags_errors(diags) == before)
		return rc;
	/* every given field must be known for this scheme */
	for (i = 0; i < c->nfields; i++) {
		const svc_field *cf = svc_type_field(t, s, c->fields[i].key);

		if (cf && cf->kind != SVC_FIELD_URL)
			continue;
		buf_reset(&list);
		n = svc_type_field_count(t, s);
		for (size_t j = 0; j < n; j++) {
			const svc_field *o = svc_type_field_at(t, s, j);

			if (o->kind != SVC_FIELD_URL)
				buf_printf(&list, "%s%s", list.len ? ", " : "",
					   o->key);
		}
		svc_diags_add(diags, NULL, 0, 0, SVC_SEV_ERROR,
			      c->fields[i].key,
			      "unknown field '%s' for scheme '%s' of type '%s' (valid: %s)",
			      c->fields[i].key, s->id, t->id,
			      list.ptr ? list.ptr : "none");
	}
	buf_clear(&list);
	if (svc_diags_errors(diags) != before)
		return SVC_EINVALID;
	n = svc_type_field_count(t, s);
	for (i = 0; i < n; i++)
		if ((rc = check_field(c, t, s, svc_type_field_at(t, s, i),
				      diags)) != 0)
			return rc;
	return svc_diags_errors(diags) != before ? SVC_EINVALID : 0;
}

/* ---- ids --------------------------------------------------------------------- */

int svc_uuid_new(char buf[SVC_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	size_t i, o = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return error_set(SVC_ERROR, "no random bytes for an id");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		buf[o++] = hex[r[i] >> 4];
		buf[o++] = hex[r[i] & 15];
	}
	buf[o] = '\0';
	return 0;
}

int svc_is_uuid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != SVC_ID_LEN)
		return 0;
	for (i = 0; i < SVC_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return 0;
		}
	}
	return 1;
}

/* The value of the first secret field of keys that is set, or NULL. */
static const char *auth_field(const svc_conn *c, const char *const *keys,
			      size_t *len)
{
	svc_conn_field f;

	for (; *keys; keys++)
		if (svc_conn_field_get(c, *keys, &f) == 0 && f.value &&
		    f.kind == SVC_FIELD_AUTH && f.len) {
			*len = f.len;
			return f.value;
		}
	return NULL;
}

int svc_conn_git_credential(const svc_conn *c, const char **user,
			const char **pass, size_t *passlen)
{
	static const char *const token_keys[] = { "AccessToken", "apitoken",
						  NULL };
	static const char *const pw_keys[] = { "password", NULL };
	const char *scheme = svc_conn_scheme(c) ? svc_conn_scheme(c) : "";
	svc_conn_field u;

	*user = NULL;
	if (!strcasecmp(scheme, "UsernamePassword")) {
		*pass = auth_field(c, pw_keys, passlen);
		*user = svc_conn_field_get(c, "username", &u) == 0 && u.value
			? u.value : "";
	} else {
		*pass = auth_field(c, token_keys, passlen);
		if (!strcasecmp(scheme, "OAuth") || !strcasecmp(scheme, "OAuth2"))
			*user = "OAuth";
		else if (!strcasecmp(scheme, "PersonalAccessToken"))
			*user = "PersonalAccessToken";
		else if (!strcasecmp(scheme, "Token"))
			*user = "x-access-token";
	}
	return *user && *pass ? 0 : SVC_ENOTFOUND;
}
