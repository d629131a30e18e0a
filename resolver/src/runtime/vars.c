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
#include "runtime/runtime_int.h"
#include "util/buf.h"
#include "util/hex.h"
#include "runtime/runtime_int.h"
#include "util/macro.h"

/* First field of the encoded text: the format's version. */
#define VARS_MAGIC "svcvars1"

/* One variable. */
struct var {
	char *name;   /**< the name as set */
	char *value;  /**< the value (wiped on free) */
	size_t len;   /**< bytes in value */
	int secret;   /**< 1: a secret variable (SECRET_<NAME>, masked) */
	int output;   /**< 1: an output variable, named "step.name" */
	int noenv;    /**< 1: an output whose environment name the closed
			   list holds: read by macros only */
};

/*
 * The closed list: names a step may not set with task.setvariable, secret
 * or not, because they change how later steps' programs load, start, find
 * their configuration and credentials, or what the agent tells them.
 * Names are compared after the agent's transformation (upper case, '.'
 * and ' ' to '_'), so case does not matter.  The first entry that matches
 * decides; an allowed entry is an exception to a refused prefix after it.
 * docs/runtime.md shows this table with where each entry comes from.
 */
static const struct name_rule {
	const char *name;       /**< the name, or its prefix */
	int prefix;             /**< 1: every name that starts with it */
	int allow;              /**< 1: an exception, allowed */
	const char *why;        /**< whose it is (the error says it) */
} name_rules[] = {
	/* the dynamic loader and the C library: ld.so(8), glibc */
	{ "LD_", 1, 0, "the dynamic loader's (ld.so(8))" },
	{ "GLIBC_TUNABLES", 0, 0, "the dynamic loader's (ld.so(8))" },
	{ "GCONV_PATH", 0, 0, "the C library's, it loads modules (iconv_open(3))" },
	{ "LOCPATH", 0, 0, "the C library's (locale(7))" },
	{ "NLSPATH", 0, 0, "the C library's (catopen(3))" },
	{ "HOSTALIASES", 0, 0, "the resolver's (hostname(7))" },
	{ "RES_OPTIONS", 0, 0, "the resolver's (resolv.conf(5))" },
	{ "LOCALDOMAIN", 0, 0, "the resolver's (resolv.conf(5))" },
	/* shells: bash(1), sh(1), zsh(1) */
	{ "BASH_ENV", 0, 0, "a shell's start-up (bash(1))" },
	{ "ENV", 0, 0, "a shell's start-up (bash(1), sh(1))" },
	{ "BASH_FUNC_", 1, 0, "a shell's start-up: exported functions (bash(1))" },
	{ "SHELLOPTS", 0, 0, "a shell's options (bash(1))" },
	{ "BASHOPTS", 0, 0, "a shell's options (bash(1))" },
	{ "IFS", 0, 0, "a shell's word splitting (bash(1))" },
	{ "PS4", 0, 0, "a shell's trace prompt, expanded (bash(1))" },
	{ "PROMPT_COMMAND", 0, 0, "a shell's (bash(1))" },
	{ "CDPATH", 0, 0, "a shell's (bash(1))" },
	{ "GLOBIGNORE", 0, 0, "a shell's (bash(1))" },
	{ "EXECIGNORE", 0, 0, "a shell's (bash(1))" },
	{ "BASH_XTRACEFD", 0, 0, "a shell's (bash(1))" },
	{ "BASH_LOADABLES_PATH", 0, 0, "a shell's, it loads builtins (bash(1))" },
	{ "ZDOTDIR", 0, 0, "a shell's start-up (zsh(1))" },
	{ "SHELL", 0, 0, "the user's shell (environ(7))" },
	/* interpreters' options and module paths */
	{ "NODE_OPTIONS", 0, 0, "Node.js's options (node(1))" },
	{ "NODE_PATH", 0, 0, "Node.js's module path (node(1))" },
	{ "NODE_EXTRA_CA_CERTS", 0, 0, "Node.js's trusted certificates (node(1))" },
	{ "NODE_TLS_REJECT_UNAUTHORIZED", 0, 0, "Node.js's certificate checks (node(1))" },
	{ "NODE_REPL_EXTERNAL_MODULE", 0, 0, "Node.js's, it loads a module (node(1))" },
	{ "NODE_ICU_DATA", 0, 0, "Node.js's data path (node(1))" },
	{ "PYTHONLOCATION", 0, 1, "UsePythonVersion's output, read by no interpreter" },
	{ "PYTHON", 1, 0, "Python's (python(1) ENVIRONMENT)" },
	{ "PERL5", 1, 0, "Perl's (perlrun(1))" },
	{ "PERLLIB", 0, 0, "Perl's module path (perlrun(1))" },
	{ "PERLIO", 0, 0, "Perl's I/O layers (perlrun(1))" },
	{ "RUBYOPT", 0, 0, "Ruby's options (ruby(1))" },
	{ "RUBYLIB", 0, 0, "Ruby's module path (ruby(1))" },
	{ "RUBYSHELL", 0, 0, "Ruby's (ruby(1))" },
	{ "JAVA_TOOL_OPTIONS", 0, 0, "the JVM's options (java(1))" },
	{ "_JAVA_OPTIONS", 0, 0, "the JVM's options (java(1))" },
	{ "JDK_JAVA_OPTIONS", 0, 0, "the JVM's options (java(1))" },
	{ "CLASSPATH", 0, 0, "the JVM's class path (java(1))" },
	{ "MAVEN_OPTS", 0, 0, "Maven's JVM options (mvn(1))" },
	{ "GRADLE_OPTS", 0, 0, "Gradle's JVM options" },
	{ "DOTNET_STARTUP_HOOKS", 0, 0, ".NET's, it loads assemblies" },
	{ "DOTNET_ADDITIONAL_DEPS", 0, 0, ".NET's, it loads assemblies" },
	{ "DOTNET_SHARED_STORE", 0, 0, ".NET's, it loads assemblies" },
	{ "CORECLR_", 1, 0, ".NET's profiler, it loads a library" },
	/* git, ssh, credential helpers and TLS: git(1) ENVIRONMENT, ssh(1) */
	{ "GIT_", 1, 0, "git's configuration and credentials (git(1) ENVIRONMENT)" },
	{ "SSH_", 1, 0, "ssh's agent and askpass (ssh(1) ENVIRONMENT)" },
	{ "GCM_", 1, 0, "Git Credential Manager's" },
	{ "XDG_CONFIG_HOME", 0, 0, "where git and others read their configuration (git-config(1))" },
	{ "CURL_HOME", 0, 0, "curl's configuration (curl(1))" },
	{ "CURL_CA_BUNDLE", 0, 0, "curl's trusted certificates (curl(1))" },
	{ "SSL_CERT_FILE", 0, 0, "OpenSSL's trusted certificates (openssl-env(7))" },
	{ "SSL_CERT_DIR", 0, 0, "OpenSSL's trusted certificates (openssl-env(7))" },
	{ "OPENSSL_CONF", 0, 0, "OpenSSL's configuration, it loads modules (openssl-env(7))" },
	{ "OPENSSL_ENGINES", 0, 0, "OpenSSL's modules (openssl-env(7))" },
	{ "OPENSSL_MODULES", 0, 0, "OpenSSL's modules (openssl-env(7))" },
	{ "REQUESTS_CA_BUNDLE", 0, 0, "Python requests' trusted certificates" },
	/* proxies, any case: curl(1) ENVIRONMENT */
	{ "HTTP_PROXY", 0, 0, "a proxy (curl(1) ENVIRONMENT)" },
	{ "HTTPS_PROXY", 0, 0, "a proxy (curl(1) ENVIRONMENT)" },
	{ "ALL_PROXY", 0, 0, "a proxy (curl(1) ENVIRONMENT)" },
	{ "NO_PROXY", 0, 0, "a proxy (curl(1) ENVIRONMENT)" },
	{ "FTP_PROXY", 0, 0, "a proxy (curl(1) ENVIRONMENT)" },
	/* the process's own: environ(7); PATH changes by task.prependpath */
	{ "PATH", 0, 0, "the program search path (task.prependpath changes it)" },
	{ "HOME", 0, 0, "where programs read their configuration and keys (environ(7))" },
	{ "TMPDIR", 0, 0, "where programs write their temporary files (environ(7))" },
	/* svcconn's own */
	{ "SVCCONN_", 1, 0, "svcconn's own" },
	/* the agent's: its predefined variables (read-only in the agent)
	 * and the agent contract's (a step's connections and inputs) */
	{ "AGENT_", 1, 0, "the agent's predefined variables" },
	{ "BUILD_", 1, 0, "the agent's predefined variables" },
	{ "COMMON_", 1, 0, "the agent's predefined variables" },
	{ "PIPELINE_", 1, 0, "the agent's predefined variables" },
	{ "RELEASE_", 1, 0, "the agent's predefined variables" },
	{ "SYSTEM_", 1, 0, "the agent's predefined variables" },
	{ "TASK_", 1, 0, "the agent's predefined variables" },
	{ "TF_BUILD", 0, 0, "the agent's predefined variables" },
	{ "ENDPOINT_", 1, 0, "the agent contract's: a step's connections" },
	{ "INPUT_", 1, 0, "the agent contract's: a step's inputs" },
	{ "SECRET_", 1, 0, "the agent contract's: secret variables" },
	{ "VSTS_", 1, 0, "the agent contract's: the variables' lists" },
};

/*
 * Refuse a name (transformed: key) the closed list holds; 0 when it may
 * be set.
 */
static int name_allowed(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(name_rules) / sizeof(name_rules[0]); i++) {
		const struct name_rule *r = &name_rules[i];
		size_t n = strlen(r->name);

		if (r->prefix ? strncmp(key, r->name, n) != 0
			      : strcmp(key, r->name) != 0)
			continue;
		if (r->allow)
			return 0;
		return error_set(SVC_EINVALID,
				 "%s%s is %s: a step may not set it (docs/runtime.md)",
				 r->name, r->prefix ? "*" : "", r->why);
	}
	return 0;
}

int vars_name_allowed(const char *name)
{
	char key[600];

	if (!name || svc_env_key(key, sizeof(key), name))
		return error_set(SVC_EINVALID, "invalid variable name '%s'",
				 name ? name : "");
	return name_allowed(key);
}

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
 * issecret, as the agent keeps it (SVC_STEP_VARS_SECRET then), and its
 * earlier value stays masked.
 */
static int set_var(svc_step_vars *v, const char *name, const char *value,
		   size_t len, int secret, int output)
{
	char key[600];
	struct var *n;
	size_t i;
	char *copy;
	int rc, noenv = 0;

	if (!name || (rc = svc_env_key(key, sizeof(key), name)))
		return error_set(SVC_EINVALID, "invalid variable name");
	if ((rc = name_allowed(key)) != 0) {
		if (!output)
			return rc;
		/* "build.version" of a step named build: no BUILD_VERSION,
		 * but $(build.version) and the later jobs have it */
		svc_error_clear();
		noenv = 1;
	}
	/* a public one is an environment variable of its own: a name of
	 * letters, digits and '_' once '.' and ' ' are turned into '_' */
	for (i = 0; !secret && key[i]; i++)
		if (!(isalnum((unsigned char)key[i]) || key[i] == '_') ||
		    (i == 0 && isdigit((unsigned char)key[i])))
			return error_set(SVC_EINVALID,
					 "invalid variable name '%s' (letters, digits, '.', '_', ' ')",
					 name);
	if (memchr(value, '\0', len))
		return error_set(SVC_EINVALID, "variable '%s' holds a NUL byte", name);
	if (!(copy = malloc(len + 1)))
		return error_oom();
	memcpy(copy, value, len);
	copy[len] = '\0';
	for (i = 0; i < v->n; i++)
		if (!strcasecmp(v->v[i].name, name)) {
			struct var *x = &v->v[i];
			int was = x->secret;

			/* the masker keeps every value a secret ever held */
			if (was && x->len &&
			    (rc = svc_step_vars_add_secret(v, x->value, x->len))) {
				svc_secret_free(copy, len);
				return rc;
			}
			svc_secret_free(x->value, x->len);
			x->value = copy;
			x->len = len;
			x->secret |= secret;
			x->output |= output;
			x->noenv = noenv;
			return was && !secret ? SVC_STEP_VARS_SECRET : 0;
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
	v->v[v->n].output = output;
	v->v[v->n].noenv = noenv;
	v->v[v->n++].len = len;
	return 0;
}

int svc_step_vars_set(svc_step_vars *v, const char *name, const char *value,
		      size_t len)
{
	return set_var(v, name, value, len, 1, 0);
}

int svc_step_vars_set_public(svc_step_vars *v, const char *name,
			     const char *value, size_t len)
{
	return set_var(v, name, value, len, 0, 0);
}

int step_vars_set_output(svc_step_vars *v, const char *step, const char *name,
			 const char *value, size_t len, int secret)
{
	svc_buf full = SVC_BUF_INIT;
	int rc;

	if (!step || !*step)
		return error_set(SVC_EINVALID,
				 "an output variable needs the step's name: (give the step a name: to reference it as $(name.%s))",
				 name);
	if (!(rc = buf_printf(&full, "%s.%s", step, name)))
		rc = set_var(v, full.ptr, value, len, secret, 1);
	buf_clear(&full);
	return rc;
}

int step_vars_dict(const svc_step_vars *v, macro_dict *d)
{
	size_t i;
	int rc = 0;

	for (i = 0; v && i < v->n && !rc; i++)
		rc = macro_dict_set(d, v->v[i].name, v->v[i].value,
				    v->v[i].secret);
	return rc;
}

int step_vars_output_at(const svc_step_vars *v, size_t i, const char **name,
			const char **value, size_t *len, int *secret)
{
	size_t k;

	for (k = 0; v && k < v->n; k++) {
		if (!v->v[k].output || i--)
			continue;
		*name = v->v[k].name;
		*value = v->v[k].value;
		*len = v->v[k].len;
		*secret = v->v[k].secret;
		return 1;
	}
	return 0;
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
		if (v->v[i].noenv) {
			if (v->v[i].secret)
				rc = svc_masker_add(m, v->v[i].value, v->v[i].len);
			continue;
		}
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
		if (!(rc = buf_puts(&b, v->v[i].output
				    ? (v->v[i].secret ? " x" : " o")
				    : (v->v[i].secret ? " v" : " p"))) &&
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
	if (memchr("vpxo", f[0][0], 4) && nf == 3) {
		if ((rc = decode_field(&d[0], f[1], fl[1], 1)) ||
		    (rc = decode_field(&d[1], f[2], fl[2], 0)))
			return rc;
		return set_var(v, d[0].ptr, d[1].ptr, d[1].len,
			       f[0][0] == 'v' || f[0][0] == 'x',
			       f[0][0] == 'x' || f[0][0] == 'o');
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
