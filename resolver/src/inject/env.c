/*
 * env.c - a child's environment as a fresh array: the agent contract's
 * variables for connections and inputs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svcconn/inject.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/buf.h"

struct svc_env {
	char **vars;   /**< "NAME=value" strings, then a NULL */
	size_t n;      /**< entries used (without the NULL) */
	size_t alloc;  /**< entries allocated */
};

int svc_env_new(svc_env **out)
{
	svc_env *e = calloc(1, sizeof(*e));

	if (!e || !(e->vars = calloc(16, sizeof(*e->vars)))) {
		free(e);
		return error_oom();
	}
	e->alloc = 16;
	*out = e;
	return 0;
}

void svc_env_free(svc_env *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		svc_secret_free(e->vars[i], (size_t)-1);
	free(e->vars);
	free(e);
}

static int valid_name(const char *name)
{
	const char *p;

	if (!name || !*name || isdigit((unsigned char)*name) || strlen(name) > 512)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return 0;
	return 1;
}

int svc_env_set(svc_env *e, const char *name, const char *value)
{
	size_t nlen, vlen, i;
	char *s;

	if (!valid_name(name))
		return error_set(SVC_EINVALID, "invalid environment variable name '%s'",
				 name ? name : "");
	nlen = strlen(name);
	vlen = strlen(value);
	if (!(s = malloc(nlen + vlen + 2)))
		return error_oom();
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen + 1);
	for (i = 0; i < e->n; i++)
		if (!strncmp(e->vars[i], name, nlen) && e->vars[i][nlen] == '=') {
			svc_secret_free(e->vars[i], (size_t)-1);
			e->vars[i] = s;
			return 0;
		}
	if (e->n + 1 >= e->alloc) {
		char **p = realloc(e->vars, e->alloc * 2 * sizeof(*p));

		if (!p) {
			svc_secret_free(s, (size_t)-1);
			return error_oom();
		}
		e->vars = p;
		e->alloc *= 2;
	}
	e->vars[e->n++] = s;
	e->vars[e->n] = NULL;
	return 0;
}

int svc_env_inherit(svc_env *e, const char *name)
{
	const char *v = getenv(name);

	return v ? svc_env_set(e, name, v) : 0;
}

const char *svc_env_get(const svc_env *e, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < e->n; i++)
		if (!strncmp(e->vars[i], name, n) && e->vars[i][n] == '=')
			return e->vars[i] + n + 1;
	return NULL;
}

char *const *svc_env_array(const svc_env *e)
{
	return e->vars;
}

int svc_env_key(char *out, size_t size, const char *name)
{
	size_t i, n = strlen(name);

	if (n + 1 > size)
		return error_set(SVC_EINVALID, "name '%s' is too long", name);
	for (i = 0; i < n; i++) {
		char c = name[i];

		out[i] = c == '.' || c == ' ' ? '_' : (char)toupper((unsigned char)c);
	}
	out[n] = '\0';
	return 0;
}

int svc_env_set_input(svc_env *e, const char *name, const char *value)
{
	char key[600], var[620];
	int rc = svc_env_key(key, sizeof(key), name);

	if (rc)
		return rc;
	snprintf(var, sizeof(var), "INPUT_%s", key);
	return svc_env_set(e, var, value);
}

/* NAME_<id>[_<KEY>] = value. */
static int set_endpoint(svc_env *e, const char *prefix, const char *id,
			const char *key, const char *value)
{
	char k[600], var[700];
	int rc = 0;

	if (key && (rc = svc_env_key(k, sizeof(k), key)))
		return rc;
	snprintf(var, sizeof(var), "%s_%s%s%s", prefix, id, key ? "_" : "",
		 key ? k : "");
	return svc_env_set(e, var, value);
}

int svc_env_add_conn(svc_env *e, const svc_conn *c)
{
	json_t *auth = json_object(), *params = json_object(), *data = json_object();
	const char *id = svc_conn_id(c);
	size_t i, n = svc_conn_field_count(c);
	svc_conn_field f;
	char *text = NULL;
	int rc = 0;

	if (!id)
		return error_set(SVC_EINVALID, "connection '%s' has no id",
				 svc_conn_name(c));
	rc = set_endpoint(e, "ENDPOINT_URL", id, NULL,
			  svc_conn_url(c) ? svc_conn_url(c) : "");
	if (!rc)
		rc = set_endpoint(e, "ENDPOINT_AUTH_SCHEME", id, NULL,
				  svc_conn_scheme(c) ? svc_conn_scheme(c) : "");
	for (i = 0; !rc && i < n; i++) {
		svc_conn_field_at(c, i, &f);
		if (f.is_set && !f.value) {
			rc = error_set(SVC_EINVALID,
				       "secret '%s' of connection '%s' is not loaded",
				       f.key, svc_conn_name(c));
			break;
		}
		if (f.kind == SVC_FIELD_DATA) {
			rc = set_endpoint(e, "ENDPOINT_DATA", id, f.key, f.value);
			if (!f.secret)
				json_object_set_new(data, f.key,
						    json_stringn(f.value, f.len));
		} else {
			rc = set_endpoint(e, "ENDPOINT_AUTH_PARAMETER", id, f.key,
					  f.value);
			json_object_set_new(params, f.key,
					    json_stringn(f.value, f.len));
		}
	}
	json_object_set(auth, "parameters", params);
	json_object_set_new(auth, "scheme", json_string(svc_conn_scheme(c) ?
							svc_conn_scheme(c) : ""));
	if (!rc && (text = json_dumps(auth, JSON_COMPACT)) != NULL) {
		rc = set_endpoint(e, "ENDPOINT_AUTH", id, NULL, text);
		svc_secret_free(text, (size_t)-1);
	}
	if (!rc && (text = json_dumps(data, JSON_COMPACT)) != NULL) {
		rc = set_endpoint(e, "ENDPOINT_DATA", id, NULL, text);
		free(text);
	}
	/* jansson's copies of the secrets: wipe before they are freed */
	{
		const char *k;
		json_t *v;

		json_object_foreach(params, k, v)
			svc_wipe((char *)json_string_value(v), json_string_length(v));
	}
	json_decref(params);
	json_decref(auth);
	json_decref(data);
	return rc;
}
