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

struct svc_step_vars {
	struct var *v;  /**< the variables */
	size_t n;       /**< entries used */
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
	return rc;
}
