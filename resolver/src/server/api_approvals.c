/*
 * api_approvals.c - approvals over svcconn-server, in the shapes of Azure
 * DevOps' Approvals and Checks API 7.1:
 *
 *   GET   .../_apis/pipelines/approvals[?state=pending][&$expand=steps]
 *         {count, value: [Approval]}
 *   GET   .../_apis/pipelines/approvals/{approvalId}[?$expand=steps]
 *   PATCH .../_apis/pipelines/approvals
 *         [{approvalId, status: "approved"|"rejected"|"deferred", comment,
 *           deferredTo}]: the decisions in order; {count, value} after
 *   POST  .../_apis/svcconn/checkruns/{id}/bypass: svcconn's own (204)
 *
 * An approval is an approval check run (`svcconn approvals`); its
 * "status" is Azure's word for the run's state and "checkRunStatus"
 * svcconn's own.  "deferred" (or "approved" with deferredTo) is svcconn's
 * defer: an approval that counts from deferredTo on (`svcconn approve
 * --defer-until`).
 *
 * Everything goes through the authority layer as the request's principal
 * (svc_ops_approval_list, svc_ops_decide, svc_ops_bypass): who may decide,
 * that the requester may not approve, who may bypass, and the audit of a
 * refusal are its; there is no check here.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "svcconn/ops.h"
#include "server/server_int.h"

/* Azure's ApprovalStatus of a check run's status. */
static const char *azure_status(const char *status)
{
	static const char *const map[][2] = {
		{ SVC_RUN_PENDING, "pending" },     { SVC_RUN_APPROVED, "approved" },
		{ SVC_RUN_REJECTED, "rejected" },   { SVC_RUN_TIMED_OUT, "timedOut" },
		{ SVC_RUN_BYPASSED, "skipped" },    { SVC_RUN_FAILED, "failed" },
		{ SVC_RUN_PASSED, "approved" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(status, map[i][0]))
			return map[i][1];
	return "undefined";
}

/*
 * The steps of run r: one per frozen approver, with its decision when it
 * took one (Azure's ApprovalStep).
 */
static int steps_json(json_t **out, struct srv_call *c,
		      const svc_check_run *r, json_t *approvers)
{
	svc_approval *a = NULL;
	size_t n = 0, i, j;
	json_t *steps;
	int rc;

	if ((rc = svc_ops_approval_decisions(&a, &n, srv_shared(c->srv)->store,
					     c->who, r->id)))
		return rc;
	steps = json_array();
	for (j = 0; j < json_array_size(approvers); j++) {
		const char *who = json_string_value(json_array_get(approvers, j));
		const svc_approval *d = NULL;

		for (i = 0; who && i < n && !d; i++)
			if (!strcmp(a[i].as_approver, who))
				d = &a[i];
		json_array_append_new(steps, json_pack(
			"{s:o, s:o, s:s, s:o, s:o, s:o, s:I}",
			"assignedApprover", srv_identity_ref(who), "actualApprover",
			srv_identity_ref(d ? d->actor : NULL), "status",
			!d ? "pending"
			   : !strcmp(d->decision, "reject") ? "rejected"
			   : d->defer_until ? "deferred" : "approved",
			"comment", srv_str_or_null(d ? d->comment : NULL),
			"lastModifiedOn", srv_str_or_null(d ? d->at : NULL),
			"deferredTo", srv_str_or_null(d ? d->defer_until : NULL),
			"executionOrder", (json_int_t)j + 1));
	}
	svc_approvals_free(a, n);
	*out = steps;
	return 0;
}

/* The Approval of run r (its connection named conn); steps when expand. */
static int approval_json(json_t **out, struct srv_call *c,
			 const svc_check_run *r, const char *conn, int expand)
{
	json_error_t jerr;
	json_t *state = json_loads(r->state ? r->state : "{}", 0, &jerr);
	json_t *approvers = json_object_get(state, "approvers");
	json_t *o, *steps = NULL;
	int rc;

	if (!json_is_array(approvers))
		approvers = NULL;
	if (expand && (rc = steps_json(&steps, c, r, approvers))) {
		json_decref(state);
		return rc;
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s, s:s, s:{s:s, s:s}}, "
		      "s:{s:s, s:s}, s:s, s:o, s:o, s:s, s:o, s:o}",
		      "id", r->id, "status", azure_status(r->status),
		      "checkRunStatus", r->status, "createdOn",
		      srv_str_or_null(r->started_at), "lastModifiedOn",
		      srv_str_or_null(r->updated_at), "pipeline", "id", r->pipeline,
		      "name", r->pipeline, "owner", "id", r->run_id, "name",
		      r->run_id, "connection", "id", r->conn_id, "name", conn,
		      "runId", r->run_id, "stage", srv_str_or_null(r->stage),
		      "requestedBy", srv_str_or_null(r->requested_by), "checkId",
		      r->check_id, "approvers",
		      approvers ? json_incref(approvers) : json_array(),
		      "message", srv_str_or_null(r->message));
	if (o && steps)
		json_object_set_new(o, "steps", steps);
	else
		json_decref(steps);
	json_decref(state);
	*out = o;
	return 0;
}

/* 1 when the query's $expand asks for steps. */
static int expand_steps(struct srv_call *c)
{
	const char *e = srv_query(c, "$expand");

	return e && strstr(e, "steps") != NULL;
}

/*
 * Answer status with {count, value} of the approvals whose id is in ids
 * (NULL: all; pending_only: those waiting).
 */
static int reply_list(struct srv_call *c, unsigned status, int pending_only,
		      json_t *ids, const char *state)
{
	svc_check_run *r = NULL;
	char **names = NULL;
	size_t n = 0, i, k;
	json_t *value, *o;
	int rc, expand = expand_steps(c);

	if ((rc = svc_ops_approval_list(&r, &names, &n,
					srv_shared(c->srv)->store, c->who,
					pending_only)))
		return srv_lib_error(c, rc);
	value = json_array();
	for (i = 0; i < n; i++) {
		int wanted = !ids;

		for (k = 0; ids && k < json_array_size(ids) && !wanted; k++)
			wanted = !strcmp(r[i].id, json_string_value(
					 json_array_get(ids, k)));
		if (!wanted ||
		    (state && strcmp(state, azure_status(r[i].status))))
			continue;
		if ((rc = approval_json(&o, c, &r[i], names[i], expand))) {
			json_decref(value);
			rc = srv_lib_error(c, rc);
			goto done;
		}
		json_array_append_new(value, o);
	}
	rc = srv_reply(c, status,
		       json_pack("{s:I, s:o}", "count",
				 (json_int_t)json_array_size(value), "value",
				 value));
done:
	svc_strings_free(names, n);
	svc_check_runs_free(r, n);
	return rc;
}

int api_approvals_list(struct srv_call *c)
{
	const char *state = srv_query(c, "state");

	if (state && !strcmp(state, "all"))
		state = NULL;
	return reply_list(c, MHD_HTTP_OK, state && !strcmp(state, "pending"),
			  NULL, state);
}

int api_approval_get(struct srv_call *c)
{
	svc_check_run *r = NULL;
	char **names = NULL;
	size_t n = 0, i;
	json_t *o = NULL;
	int rc;

	if ((rc = svc_ops_approval_list(&r, &names, &n,
					srv_shared(c->srv)->store, c->who, 0)))
		return srv_lib_error(c, rc);
	for (i = 0; i < n && strcmp(r[i].id, c->arg); i++)
		;
	if (i == n)
		rc = srv_error(c, MHD_HTTP_NOT_FOUND, "ApprovalNotFoundException",
			       "no approval '%s'", c->arg);
	else if ((rc = approval_json(&o, c, &r[i], names[i], expand_steps(c))))
		rc = srv_lib_error(c, rc);
	else
		rc = srv_reply(c, MHD_HTTP_OK, o);
	svc_strings_free(names, n);
	svc_check_runs_free(r, n);
	return rc;
}

/* Member key of o: a string, or absent/null (NULL); -1 when another type. */
static int opt_member(const char **out, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	*out = json_is_string(v) ? json_string_value(v) : NULL;
	return v && !json_is_null(v) && !json_is_string(v) ? -1 : 0;
}

/*
 * PATCH: each ApprovalUpdateParameters decided in order, each its own
 * transaction: the first refused ends the request with its status (those
 * before it stay decided).  The approvals decided, after.
 */
int api_approvals_update(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_error_t err;
	json_t *body, *e, *ids = NULL;
	size_t i;
	int rc = -1;

	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_array(body) || !json_array_size(body)) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "the body of '%s' must be a non-empty JSON array of {approvalId, status, comment}",
			  c->request);
		goto done;
	}
	ids = json_array();
	json_array_foreach(body, i, e) {
		const char *id, *status, *comment, *defer;
		const char *decision;

		if (!json_is_object(e) || opt_member(&id, e, "approvalId") ||
		    opt_member(&status, e, "status") ||
		    opt_member(&comment, e, "comment") ||
		    opt_member(&defer, e, "deferredTo") || !id || !status) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': item %zu needs 'approvalId' and 'status' (strings; 'comment' and 'deferredTo' strings too)",
				  c->request, i);
			goto done;
		}
		if (!strcmp(status, "approved") || !strcmp(status, "deferred"))
			decision = "approve";
		else if (!strcmp(status, "rejected"))
			decision = "reject";
		else
			decision = NULL;
		if (!decision || (!strcmp(status, "deferred") && !defer) ||
		    (defer && strcmp(decision, "approve"))) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': item %zu: status must be 'approved', 'rejected' or 'deferred' (with 'deferredTo'); 'deferredTo' goes with an approval",
				  c->request, i);
			goto done;
		}
		if ((rc = svc_ops_decide(sh->store, c->who, id, decision,
					 comment, defer))) {
			srv_lib_error(c, rc);
			goto done;
		}
		json_array_append_new(ids, json_string(id));
	}
	rc = reply_list(c, MHD_HTTP_OK, 0, ids, NULL);
done:
	json_decref(ids);
	json_decref(body);
	return rc;
}

int api_check_run_bypass(struct srv_call *c)
{
	int rc = svc_ops_bypass(srv_shared(c->srv)->store, c->who, c->arg);

	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}
