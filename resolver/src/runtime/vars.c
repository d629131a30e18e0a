/*
 * vars.c - the secret variables a job's steps set, kept in memory only and
 * handed to the job's later steps the way the agent does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <jansson.h>

#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"

/* One secret variable. */
struct var {
	char *name;   /**< the name as set */
	char *value;  /**< the value (wiped on free) */
	size_t len;   /**< bytes in value */
};

/* One task.setendpoint change. */
struct override {
	char *id;                     /**< the connection id */
	svc_mask_endpoint_field field;/**< auth, data or url */
	char *key;                    /**< the key (NULL for the URL) */
	char *value;                  /**< the value (wiped on free) */
	size_t len;                   /**< bytes in value */
};

struct svc_step_vars {
	struct var *v;          /**< the variables */
	size_t n;               /**< entries used */
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
	free(v->o);
	free(v->v);
	free(v);
}

int svc_step_vars_set(svc_step_vars *v, const char *name, const char *value,
		      size_t len)
{
	char key[600];
	struct var *n;
	size_t i;
	char *copy;
	int rc;

	if (!name || (rc = svc_env_key(key, sizeof(key), name)))
		return error_set(SVC_EINVALID, "invalid variable name");
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
	v->v[v->n++].len = len;
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

int svc_step_vars_apply(const svc_step_vars *v, svc_env *env, svc_masker *m)
{
	json_t *names = json_array();
	char key[600], var[620], *list;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < v->n; i++) {
		if ((rc = svc_env_key(key, sizeof(key), v->v[i].name)))
			break;
		snprintf(var, sizeof(var), "SECRET_%s", key);
		rc = svc_env_set(env, var, v->v[i].value);
		if (!rc)
			rc = svc_masker_add(m, v->v[i].value, v->v[i].len);
		json_array_append_new(names, json_string(v->v[i].name));
	}
	if (!rc && v->n && (list = json_dumps(names, JSON_COMPACT)) != NULL) {
		rc = svc_env_set(env, "VSTS_SECRET_VARIABLES", list);
		free(list);
	}
	json_decref(names);
	return rc ? rc : apply_overrides(v, env, m);
}
