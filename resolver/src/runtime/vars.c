/*
 * vars.c - the variables a job's steps set (task.setvariable, secret or
 * not), the values they mask (task.setsecret), and the endpoint changes
 * they make, kept in memory only and handed to the job's later steps the
 * way the agent does.
 *
 * `svcconn-agent run` keeps them in one svc_step_vars for the job.  Steps
 * run one by one through the hooks each load them from the job's broker
 * and give them back after the step (svc_step_vars_load/save), encoded as
 * one line of hex fields (svc_step_vars_encode, the format in run.h) so
 * that a value with a line break survives the broker's line protocol.
 * Every buffer that holds an encoded or decoded value is a secret one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <jansson.h>

#include "svcconn/broker.h"
#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/hex.h"

/* First field of the encoded text: the format's version. */
#define VARS_MAGIC "svcvars1"

/* One variable. */
struct var {
	char *name;   /**< the name as set */
	char *value;  /**< the value (wiped on free) */
	size_t len;   /**< bytes in value */
	int secret;   /**< 1: a secret variable (SECRET_<NAME>, masked) */
};

/*
 * Environment names a public variable may not take: they are the agent
 * contract's own (a later step's connections, inputs, secret variables).
 */
static const char *const reserved_prefixes[] = { "ENDPOINT_", "INPUT_",
	"SECRET_", "VSTS_", NULL };

/* One task.setendpoint change. */
struct override {
	char *id;                     /**< the connection id */
	svc_mask_endpoint_field field;/**< auth, data or url */
	char *key;                    /**< the key (NULL for the URL) */
	char *value;                  /**< the value (wiped on free) */
	size_t len;                   /**< bytes in value */
};

/* One value a step registered with task.setsecret. */
struct mask {
	char *value;  /**< the value (wiped on free) */
	size_t len;   /**< bytes in value */
};

struct svc_step_vars {
	struct var *v;          /**< the variables */
	size_t n;               /**< entries used */
	struct mask *s;         /**< task.setsecret values, masked job-wide */
	size_t ns;              /**< entries used */
	struct override *o;     /**< endpoint changes, in order */
	size_t no;              /**< entries used */
};

int svc_step_vars_new(svc_step_vars **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : error_oom();
}

void svc_step_vars_free(svc_step_vars *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->v[i].name);
		svc_secret_free(v->v[i].value, v->v[i].len);
	}
	for (i = 0; i < v->no; i++) {
		free(v->o[i].id);
		free(v->o[i].key);
		svc_secret_free(v->o[i].value, v->o[i].len);
	}
	for (i = 0; i < v->ns; i++)
		svc_secret_free(v->s[i].value, v->s[i].len);
	free(v->s);
	free(v->o);
	free(v->v);
	free(v);
}

/*
 * Set variable name; a secret one stays secret when set again without
 * issecret, as the agent keeps it.
 */
static int set_var(svc_step_vars *v, const char *name, const char *value,
		   size_t len, int secret)
{
	char key[600];
	struct var *n;
	size_t i;
	char *copy;
	int rc;

	if (!name || (rc = svc_env_key(key, sizeof(key), name)))
		return error_set(SVC_EINVALID, "invalid variable name");
	/* a public one is an environment variable of its own: a name of
	 * letters, digits and '_' once '.' and ' ' are turned into '_' */
	for (i = 0; !secret && key[i]; i++)
		if (!(isalnum((unsigned char)key[i]) || key[i] == '_') ||
		    (i == 0 && isdigit((unsigned char)key[i])))
			return error_set(SVC_EINVALID,
					 "invalid variable name '%s' (letters, digits, '.', '_', ' ')",
					 name);
	for (i = 0; !secret && reserved_prefixes[i]; i++)
		if (!strncmp(key, reserved_prefixes[i], strlen(reserved_prefixes[i])))
			return error_set(SVC_EINVALID,
					 "variable '%s' would be %s..., which the agent sets",
					 name, reserved_prefixes[i]);
	if (memchr(value, '\0', len))
		return error_set(SVC_EINVALID, "variable '%s' holds a NUL byte", name);
	if (!(copy = malloc(len + 1)))
		return error_oom();
	memcpy(copy, value, len);
	copy[len] = '\0';
	for (i = 0; i < v->n; i++)
		if (!strcasecmp(v->v[i].name, name)) {
			svc_secret_free(v->v[i].value, v->v[i].len);
			v->v[i].value = copy;
			v->v[i].len = len;
			v->v[i].secret |= secret;
			return 0;
		}
	n = realloc(v->v, (v->n + 1) * sizeof(*n));
	if (!n || !(n[v->n].name = strdup(name))) {
		if (n)
			v->v = n;
		svc_secret_free(copy, len);
		return error_oom();
	}
	v->v = n;
	v->v[v->n].value = copy;
	v->v[v->n].secret = secret;
	v->v[v->n++].len = len;
	return 0;
}

int svc_step_vars_set(svc_step_vars *v, const char *name, const char *value,
		      size_t len)
{
	return set_var(v, name, value, len, 1);
}

int svc_step_vars_set_public(svc_step_vars *v, const char *name,
			     const char *value, size_t len)
{
	return set_var(v, name, value, len, 0);
}

int svc_step_vars_add_secret(svc_step_vars *v, const char *value, size_t len)
{
	struct mask *n;
	size_t i;
	char *copy;

	if (!len)
		return 0;
	if (memchr(value, '\0', len))
		return error_set(SVC_EINVALID, "a secret holds a NUL byte");
	for (i = 0; i < v->ns; i++)
		if (svc_secret_equal(v->s[i].value, v->s[i].len, value, len))
			return 0; /* masked already */
	if (!(copy = malloc(len + 1)))
		return error_oom();
	memcpy(copy, value, len);
	copy[len] = '\0';
	if (!(n = realloc(v->s, (v->ns + 1) * sizeof(*n)))) {
		svc_secret_free(copy, len);
		return error_oom();
	}
	v->s = n;
	v->s[v->ns].value = copy;
	v->s[v->ns++].len = len;
	return 0;
}

int svc_step_vars_endpoint(svc_step_vars *v, const char *id,
			   svc_mask_endpoint_field field, const char *key,
			   const char *value, size_t len)
{
	struct override *n = realloc(v->o, (v->no + 1) * sizeof(*n)), *o;

	if (!n)
		return error_oom();
	v->o = n;
	o = &v->o[v->no];
	memset(o, 0, sizeof(*o));
	o->id = strdup(id);
	o->key = key ? strdup(key) : NULL;
	o->value = malloc(len + 1);
	if (!o->id || (key && !o->key) || !o->value) {
		free(o->id);
		free(o->key);
		free(o->value);
		return error_oom();
	}
	memcpy(o->value, value, len);
	o->value[len] = '\0';
	o->len = len;
	o->field = field;
	v->no++;
	return 0;
}

/* Set key in the JSON object held by env variable name (under parameters
 * for ENDPOINT_AUTH), keeping the rest. */
static int patch_json(svc_env *env, const char *name, int in_parameters,
		      const char *key, const char *value)
{
	const char *cur = svc_env_get(env, name);
	json_error_t jerr;
	json_t *o = json_loads(cur ? cur : "{}", 0, &jerr), *target;
	char *text;
	int rc;

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	target = in_parameters ? json_object_get(o, "parameters") : o;
	if (!json_is_object(target)) {
		target = json_object();
		json_object_set_new(o, "parameters", target);
	}
	json_object_set_new(target, key, json_string(value));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return error_oom();
	rc = svc_env_set(env, name, text);
	svc_secret_free(text, (size_t)-1);
	return rc;
}

/* Apply the endpoint changes to the connections env already has. */
static int apply_overrides(const svc_step_vars *v, svc_env *env,
			   svc_masker *m)
{
	char key[600], var[700], url[200];
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < v->no; i++) {
		const struct override *o = &v->o[i];

		if (o->field == SVC_MASK_FIELD_AUTH)
			rc = svc_masker_add(m, o->value, o->len);
		snprintf(url, sizeof(url), "ENDPOINT_URL_%s", o->id);
		if (rc || !svc_env_get(env, url))
			continue; /* this step does not have the connection */
		if (o->field == SVC_MASK_FIELD_URL) {
			rc = svc_env_set(env, url, o->value);
			continue;
		}
		if ((rc = svc_env_key(key, sizeof(key), o->key)))
			break;
		snprintf(var, sizeof(var), "ENDPOINT_%s_%s_%s",
			 o->field == SVC_MASK_FIELD_AUTH ? "AUTH_PARAMETER" : "DATA",
			 o->id, key);
		if ((rc = svc_env_set(env, var, o->value)))
			break;
		snprintf(var, sizeof(var), "ENDPOINT_%s_%s",
			 o->field == SVC_MASK_FIELD_AUTH ? "AUTH" : "DATA", o->id);
		rc = patch_json(env, var, o->field == SVC_MASK_FIELD_AUTH, o->key,
				o->value);
	}
	return rc;
}

/* Set env variable name to the JSON array names when it has any. */
static int set_list(svc_env *env, const char *name, json_t *names)
{
	char *list;
	int rc;

	if (!json_array_size(names))
		return 0;
	if (!(list = json_dumps(names, JSON_COMPACT)))
		return error_oom();
	rc = svc_env_set(env, name, list);
	free(list);
	return rc;
}

int svc_step_vars_apply(const svc_step_vars *v, svc_env *env, svc_masker *m)
{
	json_t *secrets = json_array(), *publics = json_array();
	char key[600], var[620];
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < v->ns; i++)
		rc = svc_masker_add(m, v->s[i].value, v->s[i].len);
	for (i = 0; !rc && i < v->n; i++) {
		if ((rc = svc_env_key(key, sizeof(key), v->v[i].name)))
			break;
		if (!v->v[i].secret) {
			/* what the step has already (its connections, the
			 * run's variables, the agent's PATH...) wins */
			if (svc_env_get(env, key))
				continue;
			rc = svc_env_set(env, key, v->v[i].value);
			json_array_append_new(publics, json_string(v->v[i].name));
			continue;
		}
		snprintf(var, sizeof(var), "SECRET_%s", key);
		rc = svc_env_set(env, var, v->v[i].value);
		if (!rc)
			rc = svc_masker_add(m, v->v[i].value, v->v[i].len);
		json_array_append_new(secrets, json_string(v->v[i].name));
	}
	if (!rc)
		rc = set_list(env, "VSTS_SECRET_VARIABLES", secrets);
	if (!rc)
		rc = set_list(env, "VSTS_PUBLIC_VARIABLES", publics);
	json_decref(secrets);
	json_decref(publics);
	return rc ? rc : apply_overrides(v, env, m);
}

/* The letter of an endpoint field in the encoded text, and back. */
static const char field_letters[] = { [SVC_MASK_FIELD_AUTH] = 'a',
	[SVC_MASK_FIELD_DATA] = 'd', [SVC_MASK_FIELD_URL] = 'u' };

/* Append ":" and the hex of the len bytes at p (none for NULL). */
static int put_field(svc_buf *b, const char *p, size_t len)
{
	int rc = buf_putc(b, ':');

	return rc || !p ? rc : hex_encode(b, p, len);
}

int svc_step_vars_encode(char **out, size_t *len, const svc_step_vars *v)
{
	svc_buf b;
	size_t i;
	int rc;

	buf_init(&b, SVC_STEP_VARS_MAX, 1);
	rc = buf_puts(&b, VARS_MAGIC);
	for (i = 0; !rc && i < v->n; i++)
		if (!(rc = buf_puts(&b, v->v[i].secret ? " v" : " p")) &&
		    !(rc = put_field(&b, v->v[i].name, strlen(v->v[i].name))))
			rc = put_field(&b, v->v[i].value, v->v[i].len);
	for (i = 0; !rc && i < v->ns; i++)
		if (!(rc = buf_puts(&b, " s")))
			rc = put_field(&b, v->s[i].value, v->s[i].len);
	for (i = 0; !rc && i < v->no; i++) {
		const struct override *o = &v->o[i];

		if (!(rc = buf_puts(&b, " e")) &&
		    !(rc = put_field(&b, o->id, strlen(o->id))) &&
		    !(rc = buf_putc(&b, ':')) &&
		    !(rc = buf_putc(&b, field_letters[o->field])) &&
		    !(rc = put_field(&b, o->key, o->key ? strlen(o->key) : 0)))
			rc = put_field(&b, o->value, o->len);
	}
	if (rc == SVC_EINVALID)
		rc = error_set(SVC_EINVALID,
			       "the job's secret variables and endpoint changes are over %u MiB once encoded",
			       SVC_STEP_VARS_MAX >> 20);
	if (!rc)
		*out = buf_detach(&b, len);
	buf_clear(&b);
	return rc;
}

/*
 * Decode hex field s (n bytes) into b (reset first): SVC_EINVALID when it
 * is not hex, decodes to a NUL byte, or is empty and must not be.
 */
static int decode_field(svc_buf *b, const char *s, size_t n, int nonempty)
{
	buf_reset(b);
	if (hex_decode(b, s, n) != 0 || memchr(b->ptr, '\0', b->len) ||
	    (nonempty && !b->len))
		return SVC_EINVALID;
	return 0;
}

/* Add the record of nf fields f (lengths fl) to v, decoding into d[]. */
static int decode_record(svc_step_vars *v, const char *const *f,
			 const size_t *fl, size_t nf, svc_buf *d)
{
	svc_mask_endpoint_field field;
	int rc;

	if (fl[0] != 1)
		return SVC_EINVALID;
	if ((f[0][0] == 'v' || f[0][0] == 'p') && nf == 3) {
		if ((rc = decode_field(&d[0], f[1], fl[1], 1)) ||
		    (rc = decode_field(&d[1], f[2], fl[2], 0)))
			return rc;
		return set_var(v, d[0].ptr, d[1].ptr, d[1].len, f[0][0] == 'v');
	}
	if (f[0][0] == 's' && nf == 2) {
		if ((rc = decode_field(&d[0], f[1], fl[1], 1)))
			return rc;
		return svc_step_vars_add_secret(v, d[0].ptr, d[0].len);
	}
	if (f[0][0] != 'e' || nf != 5 || fl[2] != 1)
		return SVC_EINVALID;
	for (field = SVC_MASK_FIELD_AUTH; field <= SVC_MASK_FIELD_URL; field++)
		if (field_letters[field] == f[2][0])
			break;
	if (field > SVC_MASK_FIELD_URL ||
	    (rc = decode_field(&d[0], f[1], fl[1], 1)) ||
	    (rc = decode_field(&d[1], f[3], fl[3], field != SVC_MASK_FIELD_URL)) ||
	    (rc = decode_field(&d[2], f[4], fl[4], 0)))
		return SVC_EINVALID;
	if (field == SVC_MASK_FIELD_URL && d[1].len)
		return SVC_EINVALID; /* a URL has no key */
	return svc_step_vars_endpoint(v, d[0].ptr, field,
				      field == SVC_MASK_FIELD_URL ? NULL : d[1].ptr,
				      d[2].ptr, d[2].len);
}

int svc_step_vars_decode(svc_step_vars **out, const char *text, size_t len)
{
	svc_step_vars *v = NULL;
	svc_buf d[3];
	const char *p = NULL, *end = NULL;
	size_t i, nrec = 0;
	int rc;

	if (len > SVC_STEP_VARS_MAX)
		return error_set(SVC_EINVALID,
				 "the saved step variables are over %u MiB",
				 SVC_STEP_VARS_MAX >> 20);
	for (i = 0; i < 3; i++)
		buf_init(&d[i], SVC_STEP_VARS_MAX, 1);
	if ((rc = svc_step_vars_new(&v)))
		goto done;
	if (len) {
		p = text;
		end = text + len;
	}
	/* records separated by one space; the first is the version */
	while (!rc && p) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *rend = sp ? sp : end, *f[5], *q = p;
		size_t fl[5], nf = 0;

		if (nrec++ == 0) {
			if ((size_t)(rend - p) != strlen(VARS_MAGIC) ||
			    memcmp(p, VARS_MAGIC, strlen(VARS_MAGIC)))
				rc = SVC_EINVALID;
		} else {
			/* fields separated by ':' */
			for (;;) {
				const char *colon = memchr(q, ':', (size_t)(rend - q));

				if (nf == 5) {
					rc = SVC_EINVALID;
					break;
				}
				f[nf] = q;
				fl[nf++] = (size_t)((colon ? colon : rend) - q);
				if (!colon)
					break;
				q = colon + 1;
			}
			if (!rc)
				rc = decode_record(v, f, fl, nf, d);
		}
		p = sp ? sp + 1 : NULL;
	}
	if (rc == SVC_EINVALID)
		rc = error_set(SVC_EINVALID,
			       "the saved step variables are malformed (record %zu)",
			       nrec);
	if (!rc) {
		*out = v;
		v = NULL;
	}
done:
	for (i = 0; i < 3; i++)
		buf_clear(&d[i]);
	svc_step_vars_free(v);
	return rc;
}

int svc_step_vars_load(svc_step_vars **out, const char *job_dir)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = svc_broker_vars_get(&text, &len, job_dir);
	if (rc == SVC_ENOTFOUND) {
		svc_error_clear();
		*out = NULL; /* no broker: nothing passed on */
		return 0;
	}
	if (rc)
		return rc;
	rc = svc_step_vars_decode(out, text, len);
	svc_secret_free(text, len);
	return rc;
}

int svc_step_vars_save(const svc_step_vars *v, const char *job_dir)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = svc_step_vars_encode(&text, &len, v)))
		return rc;
	rc = svc_broker_vars_put(job_dir, text, len);
	svc_secret_free(text, len);
	return rc;
}
