/*
 * api_history.c - what runs did with connections, over svcconn-server:
 * a connection's usage history in the shape of Azure DevOps'
 * serviceendpoint execution history (GET .../_apis/serviceendpoint/
 * {endpointId}/executionhistory[?top=N], 7.1), and the pipeline
 * permission requests runs left (svcconn's own: GET .../_apis/svcconn/
 * permissionrequests[?includePermitted=true], POST .../permissionrequests/
 * {id}/permit).
 *
 * Each entry carries Azure's members where they fit and svcconn's record
 * whole beside them, so that `svcconn history` and `svcconn requests`
 * print the same against a server as on a local store.  Every handler acts
 * through svc_ops_* as the request's principal, with no check of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "server/server_int.h"

int srv_query_count(struct srv_call *c, const char *name, size_t *out)
{
	const char *v = srv_query(c, name);
	unsigned long n;
	char *end;

	*out = 0;
	if (!v)
		return 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || n == 0 || n > 1000000)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': %s must be a number from 1 to 1000000",
				 c->request, name);
	*out = (size_t)n;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One ServiceEndpointExecutionRecord, with svcconn's record beside it. */
static json_t *usage_json(const svc_usage *u)
{
	json_t *o = json_pack("{s:s, s:{s:I, s:s, s:{s:s}, s:{s:s, s:s}, s:o, "
			      "s:s, s:o}}",
			      "endpointId", u->conn_id, "data", "id",
			      (json_int_t)u->id, "planType", "Build",
			      "definition", "name", u->pipeline, "owner",
			      "id", u->run_id, "name", u->run_id, "result",
			      str_or_null(u->result), "startTime", u->at,
			      "finishTime", str_or_null(u->finished_at));

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(u->id));
	json_object_set_new(o, "connection", str_or_null(u->conn_name));
	json_object_set_new(o, "pipeline", str_or_null(u->pipeline));
	json_object_set_new(o, "runId", str_or_null(u->run_id));
	json_object_set_new(o, "stage", str_or_null(u->stage));
	json_object_set_new(o, "job", str_or_null(u->job));
	json_object_set_new(o, "requestedBy", str_or_null(u->requested_by));
	json_object_set_new(o, "decision", str_or_null(u->decision));
	json_object_set_new(o, "message", str_or_null(u->message));
	json_object_set_new(o, "at", str_or_null(u->at));
	json_object_set_new(o, "result", str_or_null(u->result));
	json_object_set_new(o, "finishedAt", str_or_null(u->finished_at));
	return o;
}

int api_execution_history(struct srv_call *c)
{
	svc_usage *u = NULL;
	size_t limit, n = 0, i;
	json_t *a;
	int rc;

	if (srv_query_count(c, "top", &limit))
		return -1;
	if ((rc = svc_ops_usage_list(&u, &n, srv_shared(c->srv)->store, c->who,
				     c->arg, limit)))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, usage_json(&u[i]));
	svc_usages_free(u, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

/* One permission request. */
static json_t *request_json(const svc_perm_request *r)
{
	return json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:s, s:s, s:o}",
			 "id", r->id, "resource", "id", r->conn_id, "name",
			 r->conn_name, "pipeline", r->pipeline, "runId",
			 str_or_null(r->run_id), "requestedBy",
			 str_or_null(r->requested_by), "at", r->at, "status",
			 r->status, "decidedBy", str_or_null(r->decided_by));
}

int api_requests_list(struct srv_call *c)
{
	const char *all = srv_query(c, "includePermitted");
	svc_perm_request *r = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if (all && strcmp(all, "true") != 0 && strcmp(all, "false") != 0)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': includePermitted must be true or false",
				 c->request);
	if ((rc = svc_ops_request_list(&r, &n, srv_shared(c->srv)->store,
				       c->who, !(all && !strcmp(all, "true")))))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, request_json(&r[i]));
	svc_perm_requests_free(r, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

int api_request_permit(struct srv_call *c)
{
	svc_perm_request *r = NULL;
	int rc;

	if ((rc = svc_ops_request_permit(&r, srv_shared(c->srv)->store, c->who,
					 c->arg)))
		return srv_lib_error(c, rc);
	rc = srv_reply(c, MHD_HTTP_OK, request_json(r));
	svc_perm_requests_free(r, 1);
	return rc;
}
