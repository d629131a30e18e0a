/*
 * agentenv.c - what a step gets of the agent around it: the job's
 * SystemVssConnection, and the calling agent's own variables that the
 * hooks pass on.
 *
 * SystemVssConnection is the connection every step of an Azure job has
 * without referencing it: the agent gives it as ENDPOINT_URL_, ENDPOINT_AUTH_
 * (JSON, scheme OAuth, parameter AccessToken), ENDPOINT_AUTH_SCHEME_ and
 * ENDPOINT_AUTH_PARAMETER_..._ACCESSTOKEN with the id SYSTEMVSSCONNECTION,
 * which the task library reads (tl.getEndpointUrl('SYSTEMVSSCONNECTION'),
 * tl.getEndpointAuthorizationParameter(..., 'AccessToken')).  Here its
 * URL is the job's collection URI and its token a job-scoped stand-in:
 * random, made per job, kept in memory only (svcconn-agent run's, or the
 * job's broker's for the hooks) and masked in every step.  A calling
 * agent that passes its own SYSTEM_ACCESSTOKEN (the pipeline mapped it)
 * gives the real one instead.  SYSTEM_ACCESSTOKEN itself is never set here:
 * as on Azure, a step has it only when it is mapped.
 *
 * The calling agent's variables (svc_step_options.pass_env, and with
 * pass_agent_env its own environment's predefined groups): a name on the
 * closed list of task.setvariable (vars.c) is refused but for the agent's
 * predefined groups; svcconn's own values win, but for the stand-ins of
 * the run's identity, which svcconn only makes up locally.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "svcconn/broker.h"
#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "runtime/runtime_int.h"

#define SYSCONN_ID "SYSTEMVSSCONNECTION"

extern char **environ;

/* The agent's predefined groups the hooks pass on from their caller. */
static const char *const agent_groups[] = { "AGENT_", "BUILD_", "COMMON_",
	"PIPELINE_", "RELEASE_", "SYSTEM_", "TASK_", "ENVIRONMENT_",
	"RESOURCES_", NULL };

/*
 * The stand-ins svcconn makes up for what only a server knows: the
 * calling agent's real values win over them.
 */
static const char *const stand_ins[] = { "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
	"SYSTEM_TEAMFOUNDATIONSERVERURI", "SYSTEM_COLLECTIONURI",
	"SYSTEM_COLLECTIONID", "SYSTEM_TEAMPROJECT", "SYSTEM_TEAMPROJECTID",
	"SYSTEM_DEFINITIONID", "SYSTEM_DEFINITIONNAME", "SYSTEM_JOBID",
	"SYSTEM_PLANID", "SYSTEM_SERVERTYPE", "BUILD_BUILDID",
	"BUILD_BUILDNUMBER", "BUILD_BUILDURI", "BUILD_DEFINITIONNAME",
	"BUILD_REASON", "BUILD_REQUESTEDFOR", "BUILD_SOURCEBRANCH",
	/* what svcconn guesses from the working directory: the agent knows */
	"BUILD_SOURCESDIRECTORY", "SYSTEM_DEFAULTWORKINGDIRECTORY",
	"BUILD_REPOSITORY_LOCALPATH", "BUILD_REPOSITORY_NAME",
	"BUILD_REPOSITORY_PROVIDER", "BUILD_SOURCEVERSION", NULL };

static int in_list(const char *const *list, const char *name, int prefix)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (prefix ? !strncmp(name, list[i], strlen(list[i]))
			   : !strcmp(name, list[i]))
			return 1;
	return 0;
}

/* 1 when name is TF_BUILD or of one of the agent's predefined groups. */
static int agent_name(const char *name)
{
	return !strcmp(name, "TF_BUILD") || in_list(agent_groups, name, 1);
}

int svc_step_pass_env_allowed(const char *name)
{
	const char *p;

	if (!name || !*name || isdigit((unsigned char)*name) || strlen(name) > 512)
		return error_set(SVC_EINVALID, "invalid variable name '%s'",
				 name ? name : "");
	for (p = name; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '_')
			return error_set(SVC_EINVALID,
					 "invalid variable name '%s' (upper-case letters, digits and '_', as the agent writes them)",
					 name);
	return agent_name(name) ? 0 : vars_name_allowed(name);
}

#define NAME_MAX_LEN 520

/*
 * The name of "NAME=VALUE" entry into name[NAME_MAX_LEN]; its value, or
 * NULL when it is not NAME=VALUE.
 */
static const char *split(char *name, const char *entry)
{
	const char *eq = strchr(entry, '=');

	if (!eq || (size_t)(eq - entry) >= NAME_MAX_LEN)
		return NULL;
	memcpy(name, entry, (size_t)(eq - entry));
	name[eq - entry] = '\0';
	return eq + 1;
}

/* Add "NAME=VALUE" to pass (later entries win), checked. */
static int pass_add(svc_env *pass, const char *entry)
{
	char name[NAME_MAX_LEN];
	const char *value = split(name, entry);
	int rc;

	if (!value)
		return error_set(SVC_EINVALID, "'%.40s' is not NAME=VALUE", entry);
	if ((rc = svc_step_pass_env_allowed(name)))
		return rc;
	return svc_env_set(pass, name, value);
}

int job_pass_env(svc_env *env, svc_masker *m, const svc_step_options *xo)
{
	svc_env *pass = NULL;
	char *const *v;
	char **e;
	size_t i;
	int rc;

	if (!xo || (!xo->npass_env && !xo->pass_agent_env))
		return 0;
	if ((rc = svc_env_new(&pass)))
		return rc;
	/* our own environment's agent variables, then those given */
	for (e = environ; xo->pass_agent_env && e && *e && !rc; e++) {
		char name[NAME_MAX_LEN];
		const char *value = split(name, *e);

		if (value && agent_name(name) && svc_step_pass_env_allowed(name) == 0)
			rc = svc_env_set(pass, name, value);
		svc_error_clear();
	}
	for (i = 0; i < xo->npass_env && !rc; i++)
		rc = pass_add(pass, xo->pass_env[i]);
	for (v = svc_env_array(pass); !rc && *v; v++) {
		char name[NAME_MAX_LEN];
		const char *value = split(name, *v);

		/* svcconn's own win, but for its stand-ins */
		if (!value || (svc_env_get(env, name) && !in_list(stand_ins, name, 0)))
			continue;
		if (!strcmp(name, "SYSTEM_ACCESSTOKEN") && *value &&
		    (rc = svc_masker_add(m, value, strlen(value))))
			break;
		rc = svc_env_set(env, name, value);
	}
	svc_env_free(pass);
	return rc;
}

/* Set the four variables of SystemVssConnection with token. */
static int set_sysconn(svc_env *env, const char *token)
{
	const char *url = svc_env_get(env, "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI");
	json_t *auth = json_pack("{s:{s:s},s:s}", "parameters", "AccessToken",
				 token, "scheme", "OAuth");
	char *text = auth ? json_dumps(auth, JSON_COMPACT) : NULL;
	int rc;

	json_decref(auth);
	if (!text)
		return error_oom();
	if (!(rc = svc_env_set(env, "ENDPOINT_URL_" SYSCONN_ID, url ? url : "")) &&
	    !(rc = svc_env_set(env, "ENDPOINT_AUTH_" SYSCONN_ID, text)) &&
	    !(rc = svc_env_set(env, "ENDPOINT_AUTH_SCHEME_" SYSCONN_ID, "OAuth")))
		rc = svc_env_set(env, "ENDPOINT_AUTH_PARAMETER_" SYSCONN_ID "_ACCESSTOKEN",
				 token);
	svc_secret_free(text, strlen(text));
	return rc;
}

int job_system_conn(svc_env *env, svc_masker *m, const char *job_dir,
		    const char *token)
{
	char own[SVC_BROKER_SYSTEM_TOKEN_MAX + 1];
	const char *real = svc_env_get(env, "SYSTEM_ACCESSTOKEN");
	int rc = 0;

	if (real && *real)
		token = real; /* the calling agent's own, passed on */
	if (!token) {
		/* the job's, from its broker; without one, this step's */
		if ((rc = svc_broker_system_token(own, job_dir)) == SVC_ENOTFOUND) {
			svc_error_clear();
			rc = svc_broker_token_new(own);
		}
		token = own;
	}
	if (!rc && !(rc = svc_masker_add(m, token, strlen(token))))
		rc = set_sysconn(env, token);
	svc_wipe(own, sizeof(own));
	return rc;
}
