/*
 * stepvars.c - the variables a step sees and the $(name) macros of what it
 * runs, the way the agent gives them (see docs/runtime.md).
 *
 * The agent keeps one table of variables for the job: the predefined ones,
 * the pipeline's (pipeline < stage < job, queue-time over all), and those
 * the job's steps set (output ones as "step.name").  Before each step it
 * expands the table's values through each other (RecalculateExpanded);
 * then it expands, in one pass that never looks into what it put in, the
 * step's inputs (a script: step's body is one), its env: mapping, and
 * puts the public variables into the step's environment.  util/macro.c is
 * the scanner and the table; this file builds the table of a step and
 * applies it.  It also keeps the output variables of a run's finished jobs
 * for the later ones (run_output).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "svcconn/secret.h"
#include "errors_int.h"
#include "runtime/runtime_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/macro.h"

/*
 * The prefixes of the predefined variables' environment names: a macro
 * naming one (dotted, e.g. $(Build.SourcesDirectory)) that the step's
 * environment holds reads it, whatever the pipeline's variables say.
 */
static const char *const predefined[] = { "AGENT_", "BUILD_", "COMMON_",
	"ENVIRONMENT_", "PIPELINE_", "RELEASE_", "RESOURCES_", "SYSTEM_",
	NULL };

/*
 * The names the agent keeps out of a step's environment (Azure's "variable
 * prefixes reserved by the system"): still read by macros.
 */
static const char *const reserved[] = { "endpoint", "input", "secret",
	"path", "securefile", NULL };

/* A predefined variable that env (ctx) holds, by its dotted name. */
static const char *predefined_var(void *ctx, const char *name, size_t len,
				  int *secret)
{
	const svc_env *env = ctx;
	char key[256];
	size_t i;

	if (len >= sizeof(key) || !memchr(name, '.', len))
		return NULL;
	for (i = 0; i < len; i++) {
		if (name[i] == '_' || name[i] == ' ')
			return NULL; /* the agent's names are dotted */
		key[i] = name[i] == '.' ? '_' : (char)toupper((unsigned char)name[i]);
	}
	key[len] = '\0';
	for (i = 0; predefined[i]; i++)
		if (!strncmp(key, predefined[i], strlen(predefined[i])))
			break;
	if (!predefined[i])
		return NULL;
	*secret = 0;
	return svc_env_get(env, key);
}

/* Append the names of d's variables of the given secrecy to the JSON list
 * in env variable list_var, each whose env name was set here (set[i]). */
static int extend_list(svc_env *env, const char *list_var, const macro_dict *d,
		       const unsigned char *set, int secret)
{
	const char *cur = svc_env_get(env, list_var);
	json_t *list = cur ? json_loads(cur, 0, NULL) : NULL;
	char *text;
	size_t i, added = 0;
	int rc;

	if (!json_is_array(list)) {
		json_decref(list);
		list = json_array();
	}
	for (i = 0; i < d->n; i++)
		if (set[i] && !d->v[i].secret == !secret) {
			json_array_append_new(list, json_string(d->v[i].name));
			added++;
		}
	if (!added) {
		json_decref(list);
		return 0;
	}
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!text)
		return error_oom();
	rc = svc_env_set(env, list_var, text);
	free(text);
	return rc;
}

/* Put the job's variables (the first njob of d) into env. */
static int job_vars_env(svc_env *env, const macro_dict *d, size_t njob)
{
	unsigned char *set = calloc(d->n + 1, 1);
	char key[600], var[620];
	size_t i, k;
	int rc = 0;

	if (!set)
		return error_oom();
	for (i = 0; i < njob && !rc; i++) {
		const struct macro_var *x = &d->v[i];

		for (k = 0; reserved[k]; k++)
			if (!strncasecmp(x->name, reserved[k], strlen(reserved[k])))
				break;
		if (reserved[k])
			continue;
		if (svc_env_key(key, sizeof(key), x->name)) {
			svc_error_clear(); /* too long for an environment name */
			continue;
		}
		snprintf(var, sizeof(var), "%s%s", x->secret ? "SECRET_" : "", key);
		if (svc_env_get(env, var))
			continue; /* the predefined, the step's own, ... */
		rc = svc_env_set(env, var, x->value ? x->value : x->raw);
		if (rc == SVC_EINVALID) {
			svc_error_clear(); /* a name no environment holds */
			rc = 0;
			continue;
		}
		set[i] = 1;
	}
	/* a variable an earlier step set, in the environment as it was
	 * given (svc_step_vars_apply): expanded, as the agent gives it */
	for (i = 0; i < d->n && !rc; i++) {
		const struct macro_var *x = &d->v[i];
		const char *cur;

		if (!x->value || !strcmp(x->value, x->raw) ||
		    svc_env_key(key, sizeof(key), x->name))
			continue;
		snprintf(var, sizeof(var), "%s%s", x->secret ? "SECRET_" : "", key);
		if ((cur = svc_env_get(env, var)) && !strcmp(cur, x->raw))
			rc = svc_env_set(env, var, x->value);
	}
	if (!rc)
		rc = extend_list(env, "VSTS_PUBLIC_VARIABLES", d, set, 0);
	if (!rc)
		rc = extend_list(env, "VSTS_SECRET_VARIABLES", d, set, 1);
	free(set);
	return rc;
}

/* A variable passed on from the agent's environment, by its exact name
 * (the agent's environment names are case-sensitive here). */
static const char *inherited_var(void *ctx, const char *name, size_t len,
				 int *secret)
{
	const svc_env *env = ctx;
	char key[64];
	size_t i;

	if (len >= sizeof(key))
		return NULL;
	memcpy(key, name, len);
	key[len] = '\0';
	for (i = 0; step_inherited[i]; i++)
		if (!strcmp(step_inherited[i], key)) {
			*secret = 0;
			return svc_env_get(env, key);
		}
	return NULL;
}

/*
 * Trim text and expand it as the agent expands a step's input or env:
 * value, into a new secret string (*out, freed with svc_secret_free): the
 * variables (d) in one pass, then, in another, what is left with the
 * variables passed on from the agent's environment (env).
 */
static int expand(char **out, const char *text, macro_dict *d,
		  const svc_env *env)
{
	svc_buf b, t;
	size_t len;
	int rc;

	while (isspace((unsigned char)*text))
		text++;
	for (len = strlen(text); len && isspace((unsigned char)text[len - 1]); len--)
		;
	buf_init(&b, SVC_BUF_DEFAULT_MAX, 1);
	buf_init(&t, SVC_BUF_DEFAULT_MAX, 1);
	if (!(rc = buf_put(&t, text, len)) &&
	    !(rc = macro_expand(&b, t.ptr ? t.ptr : "", macro_dict_lookup, d, NULL))) {
		buf_reset(&t);
		rc = macro_expand(&t, b.ptr ? b.ptr : "", inherited_var,
				  (void *)env, NULL);
	}
	if (!rc && !(*out = buf_detach(&t, NULL)))
		rc = error_oom();
	buf_clear(&b);
	buf_clear(&t);
	return rc;
}

/*
 * The step's workingDirectory: (text, may be NULL), macros expanded, and
 * relative to System.DefaultWorkingDirectory as the agent takes it, into
 * *out (malloc'd; NULL without one).
 */
static int step_cwd(char **out, const char *text, macro_dict *d,
		    const svc_env *env)
{
	const char *base = svc_env_get(env, "SYSTEM_DEFAULTWORKINGDIRECTORY");
	char *val = NULL;
	int rc;

	*out = NULL;
	if (!text || !*text)
		return 0;
	if ((rc = expand(&val, text, d, env)))
		return rc;
	if (!*val)
		rc = 0;
	else if (val[0] == '/' || !base)
		rc = (*out = strdup(val)) ? 0 : error_oom();
	else {
		svc_buf b = SVC_BUF_INIT;

		if (!(rc = buf_printf(&b, "%s/%s", base, val)) &&
		    !(*out = buf_detach(&b, NULL)))
			rc = error_oom();
		buf_clear(&b);
	}
	svc_secret_free(val, (size_t)-1);
	return rc;
}

int step_vars_finish(svc_env *env, svc_masker *m,
		     const struct job_step_info *info,
		     const svc_step_vars *vars, const char *script, char **cwd)
{
	macro_dict d = MACRO_DICT_INIT;
	json_t *it, *step = info->step;
	const char *k;
	char *val = NULL;
	size_t i, njob;
	int rc = 0;

	d.fixed = predefined_var;
	d.fixed_ctx = env;
	json_array_foreach(info->vars, i, it) {
		const char *n = json_string_value(json_object_get(it, "name"));
		const char *v = json_string_value(json_object_get(it, "value"));

		if (n && *n && v && (rc = macro_dict_set(&d, n, v, 0)))
			goto done;
	}
	njob = d.n;
	if ((rc = step_vars_dict(vars, &d)) || (rc = macro_dict_expand(&d)))
		goto done;
	/* a value made from a secret is one (the agent masks it too) */
	for (i = 0; m && i < d.n && !rc; i++)
		if (d.v[i].secret && d.v[i].value && *d.v[i].value)
			rc = svc_masker_add(m, d.v[i].value, strlen(d.v[i].value));
	if (rc || (rc = job_vars_env(env, &d, njob)))
		goto done;
	/* the inputs, as the plan expanded them with the pipeline's
	 * variables: now with the run's */
	json_object_foreach(json_object_get(step, "inputs"), k, it) {
		if ((rc = expand(&val, json_string_value(it) ? json_string_value(it)
				 : "", &d, env)) ||
		    (rc = svc_env_set_input(env, k, val)))
			goto done;
		svc_secret_free(val, (size_t)-1);
		val = NULL;
	}
	/* env: never overrides a variable, an input or a connection (the
	 * agent sets those after it) */
	json_object_foreach(json_object_get(step, "env"), k, it) {
		if (svc_env_get(env, k))
			continue;
		if ((rc = expand(&val, json_string_value(it) ? json_string_value(it)
				 : "", &d, env)))
			goto done;
		if ((rc = svc_env_set(env, k, val))) {
			rc = error_set(rc, "env: '%s' of the step: %s", k,
				       svc_error_last());
			goto done;
		}
		svc_secret_free(val, (size_t)-1);
		val = NULL;
	}
	if (script) {
		const char *body = json_string_value(json_object_get(step, "body"));

		if (!(rc = expand(&val, body ? body : "", &d, env)))
			rc = file_create_private(script, val, strlen(val));
	}
	if (!rc && cwd)
		rc = step_cwd(cwd, json_string_value(json_object_get(step,
					"workingDirectory")), &d, env);
done:
	svc_secret_free(val, (size_t)-1);
	macro_dict_clear(&d);
	return rc;
}

/* ---- a run's output variables ------------------------------------------ */

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

const char *run_output(const struct run_outputs *o, const char *stage,
		       const char *job, const char *step_var, int *secret)
{
	size_t i;

	for (i = o ? o->n : 0; i > 0; i--) {
		const struct run_output *x = &o->v[i - 1];

		if (same(x->stage, stage) && job && !strcasecmp(x->job, job) &&
		    step_var && !strcasecmp(x->name, step_var)) {
			if (secret)
				*secret = x->secret;
			return x->value;
		}
	}
	return NULL;
}

int run_outputs_add(struct run_outputs *o, const char *stage, const char *job,
		    const svc_step_vars *v)
{
	const char *name, *value;
	size_t i, len, bytes;
	int secret;

	for (i = 0; step_vars_output_at(v, i, &name, &value, &len, &secret); i++) {
		struct run_output *n, *x;

		if (!size_mul_ok(&bytes, o->n + 1, sizeof(*n)) ||
		    !(n = realloc(o->v, bytes)))
			return error_oom();
		o->v = n;
		x = &o->v[o->n];
		memset(x, 0, sizeof(*x));
		x->stage = stage ? strdup(stage) : NULL;
		x->job = strdup(job);
		x->name = strdup(name);
		x->value = strndup(value, len);
		x->secret = secret;
		o->n++;
		if ((stage && !x->stage) || !x->job || !x->name || !x->value)
			return error_oom();
	}
	return 0;
}

void run_outputs_clear(struct run_outputs *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].stage);
		free(o->v[i].job);
		free(o->v[i].name);
		svc_secret_free(o->v[i].value, (size_t)-1);
	}
	free(o->v);
	o->v = NULL;
	o->n = 0;
}
