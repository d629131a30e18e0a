/*
 * api_agents.c - the resources of agents: an agent registers itself.
 *
 *   POST /_apis/svcconn/agents  {"name": NAME}, with the one-time
 *        registration token as "Authorization: Bearer svcr_..." (never in
 *        the URL or the body): 201 {"name", "pool", "tokenId", "token",
 *        "expires"}, the agent's credential shown this once.
 *
 * The route is public for the server (no personal token): the
 * registration token is the authentication, checked, spent and audited by
 * svc_agent_register.  A refused token is a 401, a name taken a 409.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/agents.h"
#include "svcconn/ops.h"
#include "svcconn/secret.h"
#include "server/server_int.h"

int api_agent_register(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	char *reg = srv_request_token(c->conn), *cred = NULL;
	const char *name;
	json_error_t err;
	json_t *body, *out;
	svc_agent info;
	int rc;

	memset(&info, 0, sizeof(info));
	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	name = json_string_value(json_object_get(body, "name"));
	if (!name) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': the body must be a JSON object with field 'name' (a string)",
			  c->request);
		goto done;
	}
	if (!reg) {
		srv_error(c, MHD_HTTP_UNAUTHORIZED, "VssUnauthorizedException",
			  "%s: no registration token (Authorization: Bearer TOKEN)",
			  c->request);
		goto done;
	}
	rc = svc_agent_register(&cred, &info, sh->store, reg, strlen(reg),
				name, c->client, c->request);
	if (rc == SVC_EDENIED) {
		srv_error(c, MHD_HTTP_UNAUTHORIZED, "VssUnauthorizedException",
			  "%s: the registration token was refused",
			  c->request);
		goto done;
	}
	if (rc) {
		srv_lib_error(c, rc);
		goto done;
	}
	out = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", info.name, "pool",
			info.pool, "tokenId", info.token_id, "token", cred,
			"expires", (json_int_t)info.expires);
	srv_reply(c, MHD_HTTP_CREATED, out);
done:
	if (cred)
		svc_secret_free(cred, SVC_TOKEN_LEN);
	if (reg)
		svc_secret_free(reg, (size_t)-1);
	svc_agent_clear(&info);
	json_decref(body);
	return 0;
}

/* ---- jobs ---------------------------------------------------------------- */

/* The gate's report as JSON: one entry per permission or check. */
static json_t *gate_json(const svc_gate_report *g)
{
	static const char *const status[] = { "granted", "needs-permission",
					      "waiting", "denied", "skipped" };
	json_t *a = json_array();
	size_t i;

	for (i = 0; g && i < g->nitems; i++) {
		const svc_gate_item *it = &g->items[i];

		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:s, s:s, s:s?}", "connectionId",
			it->conn_id, "connection", it->conn_name, "what",
			it->what, "status", status[it->status], "message",
			it->message));
	}
	return a;
}

/* The diagnostics as JSON strings. */
static json_t *diags_json(const svc_diags *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; d && i < svc_diags_count(d); i++) {
		char *s = svc_diag_format(svc_diags_at(d, i));

		json_array_append_new(a, json_string(s ? s : ""));
		free(s);
	}
	return a;
}

/* Member key of o as a string or NULL; -1 with c answered for another type. */
static int opt_str(const char **out, struct srv_call *c, json_t *o,
		   const char *key)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field '%s' must be a string",
				 c->request, key);
	*out = json_string_value(v);
	return 0;
}

/* Member key of o as a boolean (absent: 0); -1 with c answered otherwise. */
static int opt_bool(int *out, struct srv_call *c, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field '%s' must be true or false",
				 c->request, key);
	*out = json_is_true(v);
	return 0;
}

/*
 * The request's "variables", Azure's shape ({"NAME": {"value": "V"}}), as
 * "NAME=VALUE" strings into *out (*n; free each and the array); -1 with
 * c answered when the field is not that shape (the names and sizes are
 * the library's to judge).
 */
static int opt_vars(char ***out, size_t *n, struct srv_call *c, json_t *o)
{
	json_t *vars = json_object_get(o, "variables"), *v, *val;
	const char *name;
	char **l;
	size_t i = 0, len;

	*out = NULL;
	*n = 0;
	if (!vars || json_is_null(vars))
		return 0;
	if (!json_is_object(vars))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'variables' must be an object of {\"value\": STRING}",
				 c->request);
	if (json_object_size(vars) > SVC_JOB_VARS_MAX)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'variables': more than %d variables",
				 c->request, SVC_JOB_VARS_MAX);
	if (!(l = calloc(json_object_size(vars) + 1, sizeof(*l))))
		return srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "InternalServerErrorException", "out of memory");
	json_object_foreach(vars, name, v) {
		val = json_object_get(v, "value");
		if (!json_is_object(v) || !json_is_string(val) ||
		    strlen(json_string_value(val)) != json_string_length(val) ||
		    strlen(name) > SVC_JOB_VAR_NAME_MAX) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': field 'variables.%.64s' must be {\"value\": STRING} (no NUL)",
				  c->request, name);
			goto fail;
		}
		len = strlen(name) + json_string_length(val) + 2;
		if (!(l[i] = malloc(len))) {
			srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "InternalServerErrorException", "out of memory");
			goto fail;
		}
		snprintf(l[i++], len, "%s=%s", name, json_string_value(val));
	}
	*out = l;
	*n = i;
	return 0;
fail:
	while (i > 0)
		free(l[--i]);
	free(l);
	return -1;
}

/*
 * The seconds a job start may wait for its gate (field "wait", or the
 * query's ?wait=), capped at SVC_JOB_WAIT_MAX; -1 with c answered when it
 * is not a whole number of seconds.
 */
static int opt_wait(long long *out, struct srv_call *c, json_t *o)
{
	json_t *v = json_object_get(o, "wait");
	const char *q = srv_query(c, "wait");
	char *end;

	*out = 0;
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return srv_error(c, MHD_HTTP_BAD_REQUEST,
					 "ArgumentException",
					 "'%s': field 'wait' must be a number of seconds (0 or more)",
					 c->request);
		*out = json_integer_value(v);
	} else if (q) {
		errno = 0;
		*out = strtoll(q, &end, 10);
		if (!*q || *end || errno || *out < 0 || *q == '-')
			return srv_error(c, MHD_HTTP_BAD_REQUEST,
					 "ArgumentException",
					 "'%s': query 'wait' must be a number of seconds (0 or more)",
					 c->request);
	}
	if (*out > SVC_JOB_WAIT_MAX)
		*out = SVC_JOB_WAIT_MAX;
	return 0;
}

int api_job_start(struct srv_call *c)
{
	static const char *const status[] = { "granted", "needs-permission",
					      "waiting", "denied", "skipped" };
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_job_request req;
	svc_agent_job *j = NULL;
	json_error_t err;
	json_t *body, *eps, *out;
	char **vars = NULL;
	size_t i, nvars = 0;
	long long wait_s = 0;
	int rc;

	memset(&req, 0, sizeof(req));
	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(body)) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "the body of '%s' must be a JSON object", c->request);
		goto done;
	}
	if (opt_str(&req.pipeline, c, body, "pipeline") ||
	    opt_str(&req.yaml, c, body, "yaml") ||
	    opt_str(&req.job, c, body, "job") ||
	    opt_str(&req.stage, c, body, "stage") ||
	    opt_str(&req.run_id, c, body, "runId") ||
	    opt_str(&req.branch, c, body, "branch") ||
	    opt_str(&req.commit, c, body, "commit") ||
	    opt_str(&req.requested_by, c, body, "requestedBy") ||
	    opt_bool(&req.fork, c, body, "fork") ||
	    opt_bool(&req.fork_secrets, c, body, "forkSecrets") ||
	    opt_wait(&wait_s, c, body) ||
	    opt_vars(&vars, &nvars, c, body))
		goto done;
	req.lease_seconds = sh->job_lease_s;
	req.vars = (const char *const *)vars;
	req.nvars = nvars;
	req.yaml_len = req.yaml ? strlen(req.yaml) : 0;
	rc = svc_ops_job_start(&j, sh->store, c->who, sh->catalog, &req);
	if (rc == SVC_EINVALID && j && j->diags) {
		srv_reply(c, MHD_HTTP_BAD_REQUEST,
			  json_pack("{s:s, s:s, s:o}", "message",
				    svc_error_last(), "typeKey",
				    "ArgumentException", "problems",
				    diags_json(j->diags)));
		goto done;
	}
	if (rc) {
		srv_lib_error(c, rc);
		goto done;
	}
	if (j->gate->status != SVC_GATE_GRANTED) {
		srv_reply(c, j->gate->status == SVC_GATE_DENIED ||
				     j->gate->status == SVC_GATE_SKIPPED
			     ? MHD_HTTP_FORBIDDEN : MHD_HTTP_ACCEPTED,
			  json_pack("{s:s, s:o}", "status",
				    status[j->gate->status], "gate",
				    gate_json(j->gate)));
		/* waiting: asked again when a commit can have released it
		 * (any server's), until the wait asked for is over */
		if (j->gate->status == SVC_GATE_WAITING &&
		    wait_s * 1000 > c->waited_ms)
			srv_wait(c, wait_s * 1000 - c->waited_ms);
		goto done;
	}
	eps = json_array();
	for (i = 0; i < j->nconns; i++) {
		json_t *ep = srv_endpoint_json(sh, j->conns[i], 1);

		json_array_append_new(eps, ep);
		if (srv_oidc_id_token(c, ep, j->conns[i], j->id)) {
			json_decref(eps);
			goto done;
		}
	}
	out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:s?}",
			"status", "granted", "jobId", j->id, "planId", j->id,
			"token", j->token, "oidcRequestUri",
			srv_oidc_request_uri(c, j->id), "leaseExpires",
			(json_int_t)j->lease_expires, "source", j->source,
			"endpoints", eps, "gate", gate_json(j->gate), "job",
			json_loads(j->record, 0, NULL), "secretsWithheld",
			j->withheld);
	srv_reply(c, MHD_HTTP_CREATED, out);
done:
	for (i = 0; i < nvars; i++)
		free(vars[i]);
	free(vars);
	svc_agent_job_free(j);
	json_decref(body);
	return 0;
}

int api_job_renew(struct srv_call *c)
{
	long long lease = 0;
	int rc = svc_ops_job_renew(&lease, srv_shared(c->srv)->store, c->who,
				   c->arg, srv_shared(c->srv)->job_lease_s);

	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:s, s:I}", "jobId", c->arg,
				   "leaseExpires", (json_int_t)lease));
}

int api_job_complete(struct srv_call *c)
{
	json_error_t err;
	json_t *body;
	const char *result = NULL;
	int rc;

	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (opt_str(&result, c, body, "result") == 0) {
		rc = svc_ops_job_complete(srv_shared(c->srv)->store, c->who,
					  c->arg, result);
		if (rc)
			srv_lib_error(c, rc);
		else
			srv_reply(c, MHD_HTTP_OK,
				  json_pack("{s:s, s:s}", "jobId", c->arg,
					    "result", result));
	}
	json_decref(body);
	return 0;
}

int api_job_endpoints(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_conn **l = NULL;
	size_t n = 0, i;
	json_t *value;
	int rc;

	if ((rc = svc_ops_job_connections(&l, &n, sh->store, c->who, c->arg)))
		return srv_lib_error(c, rc);
	value = json_array();
	for (i = 0; i < n; i++) {
		json_t *ep = srv_endpoint_json(sh, l[i], 1);

		json_array_append_new(value, ep);
		if (rc == 0)
			rc = srv_oidc_id_token(c, ep, l[i], c->arg);
		svc_conn_free(l[i]);
	}
	free(l);
	if (rc) {
		json_decref(value);
		return -1;
	}
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count",
				   (json_int_t)json_array_size(value), "value",
				   value));
}
