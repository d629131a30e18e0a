/*
 * console_runs.c - the console's pages of what runs wait for: the
 * pipelines' pending permission requests (View, then Permit and Permit
 * again to confirm: svc_ops_request_permit, as `svcconn permit`), and
 * the runs' approvals (approve, reject or defer with a comment:
 * svc_ops_decide, as `svcconn approve`; the requester's own approval is
 * refused there, with the library's message shown next to the form).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "svcconn/ops.h"
#include "console/console_int.h"
#include "errors_int.h"

/* 1 when the list asks for everything, not only what waits (?all=1). */
static int show_all(const struct con_req *r)
{
	const char *v = srv_query(r->c, "all");

	return v && !strcmp(v, "1");
}

/* The filter links of a list page. */
static void filter_links(struct con_req *r, const char *tail, int all)
{
	html_printf(&r->h, "<p class=\"filters\">%s<a href=\"%s%s%s\">%s</a></p>",
		    all ? "Showing all. " : "Showing those that wait. ", r->base,
		    tail, all ? "" : "?all=1",
		    all ? "Show only those that wait" : "Show all");
}

int con_requests(struct con_req *r)
{
	svc_perm_request *q = NULL;
	size_t n = 0, i, page = con_page_number(r->c), first;
	int rc, all = show_all(r);

	if ((rc = svc_ops_request_list(&q, &n, srv_shared(r->c->srv)->store,
				       r->c->who, !all)))
		return con_lib_error(r, rc);
	con_page_begin(r, "Permission requests",
		       "Runs that stopped because their pipeline needs permission to "
		       "use a service connection. View one to permit the pipeline.");
	filter_links(r, "/requests", all);
	html_printf(&r->h,
		    "<div class=\"scroll\"><table><caption>Permission requests</caption><thead><tr>"
		    "<th scope=\"col\">Pipeline</th><th scope=\"col\">Service connection</th>"
		    "<th scope=\"col\">Run</th><th scope=\"col\">Requested by</th>"
		    "<th scope=\"col\">Asked</th><th scope=\"col\">Status</th>"
		    "<th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
	first = (page - 1) * CON_PAGE_ROWS;
	for (i = first; i < n && i < first + CON_PAGE_ROWS; i++)
		html_printf(&r->h,
			    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			    "<td>%s</td><td><a href=\"%s/requests/%s\">View</a></td></tr>",
			    q[i].pipeline, q[i].conn_name, q[i].run_id,
			    q[i].requested_by, q[i].at, q[i].status, r->base,
			    q[i].id);
	html_printf(&r->h, "</tbody></table></div>");
	if (!n)
		html_printf(&r->h, "<p class=\"empty\">No permission request.</p>");
	con_pager(r, "/requests", "all", all ? "1" : NULL, page, n);
	svc_perm_requests_free(q, n);
	return con_page_send(r, MHD_HTTP_OK);
}

/*
 * The request r->seg[1] among every request r may read into *out (one
 * entry of list, n); else the page (404) is sent and -1.
 */
static int find_request(svc_perm_request **list, size_t *n,
			const svc_perm_request **out, struct con_req *r)
{
	size_t i;
	int rc = svc_ops_request_list(list, n, srv_shared(r->c->srv)->store,
				      r->c->who, 0);

	if (rc)
		return con_lib_error(r, rc), -1;
	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i].id, r->seg[1])) {
			*out = &(*list)[i];
			return 0;
		}
	rc = error_set(SVC_ENOTFOUND, "no permission request '%s'", r->seg[1]);
	return con_lib_error(r, rc), -1;
}

int con_request(struct con_req *r)
{
	svc_perm_request *list = NULL;
	const svc_perm_request *q;
	size_t n = 0;

	if (find_request(&list, &n, &q, r))
		return svc_perm_requests_free(list, n), -1;
	con_page_begin(r, "Permission request",
		       "A run waits because its pipeline is not yet permitted to use "
		       "this service connection.");
	html_printf(&r->h, "<div class=\"card\">");
	if (!strcmp(q->status, "pending"))
		html_printf(&r->h,
			    "<p class=\"notice\">This pipeline needs permission to access a "
			    "resource before this run can continue.</p>");
	html_printf(&r->h,
		    "<dl class=\"details\"><dt>Pipeline</dt><dd>%s</dd>"
		    "<dt>Service connection</dt><dd>%s</dd><dt>Run</dt><dd>%s</dd>"
		    "<dt>Requested by</dt><dd>%s</dd><dt>Asked</dt><dd>%s</dd>"
		    "<dt>Status</dt><dd id=\"request-status\">%s</dd><dt>Permitted by</dt><dd>%s</dd></dl>",
		    q->pipeline, q->conn_name, q->run_id, q->requested_by, q->at,
		    q->status, q->decided_by ? q->decided_by : "-");
	if (!strcmp(q->status, "pending"))
		html_printf(&r->h, "<p class=\"actions\"><a class=\"button\" "
			    "href=\"%s/requests/%s/permit\">Permit</a></p>",
			    r->base, q->id);
	html_printf(&r->h, "</div>");
	svc_perm_requests_free(list, n);
	return con_page_send(r, MHD_HTTP_OK);
}

int con_permit_confirm(struct con_req *r)
{
	svc_perm_request *list = NULL;
	const svc_perm_request *q;
	size_t n = 0;

	if (find_request(&list, &n, &q, r))
		return svc_perm_requests_free(list, n), -1;
	con_page_begin(r, "Permit access",
		       "Permitting lets this pipeline use the service connection in "
		       "this run and in every later run.");
	html_printf(&r->h,
		    "<form method=\"post\" action=\"%s/requests/%s/permit\" class=\"card\">",
		    r->base, q->id);
	con_csrf_field(r);
	html_printf(&r->h,
		    "<p>Permit pipeline <strong>%s</strong> to use service connection "
		    "<strong>%s</strong>?</p><button type=\"submit\">Permit</button> "
		    "<a href=\"%s/requests/%s\">Cancel</a></form>",
		    q->pipeline, q->conn_name, r->base, q->id);
	svc_perm_requests_free(list, n);
	return con_page_send(r, MHD_HTTP_OK);
}

int con_permit(struct con_req *r)
{
	svc_perm_request *q = NULL;
	char tail[128];
	int rc = svc_ops_request_permit(&q, srv_shared(r->c->srv)->store,
					r->c->who, r->seg[1]);

	if (rc)
		return con_lib_error(r, rc);
	svc_perm_requests_free(q, 1);
	snprintf(tail, sizeof(tail), "/requests/%s", r->seg[1]);
	return con_redirect(r, tail);
}

/* ---- approvals ------------------------------------------------------------ */

int con_approvals(struct con_req *r)
{
	svc_check_run *a = NULL;
	char **names = NULL;
	size_t n = 0, i, page = con_page_number(r->c), first;
	int rc, all = show_all(r);

	if ((rc = svc_ops_approval_list(&a, &names, &n,
					srv_shared(r->c->srv)->store, r->c->who,
					!all)))
		return con_lib_error(r, rc);
	con_page_begin(r, "Approvals",
		       "Runs whose stage waits for an approval before it may use a "
		       "service connection. View one to approve, reject or defer it.");
	filter_links(r, "/approvals", all);
	html_printf(&r->h,
		    "<div class=\"scroll\"><table><caption>Approvals</caption><thead><tr>"
		    "<th scope=\"col\">Pipeline</th><th scope=\"col\">Run</th>"
		    "<th scope=\"col\">Stage</th><th scope=\"col\">Service connection</th>"
		    "<th scope=\"col\">Requested by</th><th scope=\"col\">Status</th>"
		    "<th scope=\"col\">Since</th>"
		    "<th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
	first = (page - 1) * CON_PAGE_ROWS;
	for (i = first; i < n && i < first + CON_PAGE_ROWS; i++)
		html_printf(&r->h,
			    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			    "<td>%s</td><td>%s</td><td><a href=\"%s/approvals/%s\">View</a></td></tr>",
			    a[i].pipeline, a[i].run_id, a[i].stage, names[i],
			    a[i].requested_by, a[i].status, a[i].started_at,
			    r->base, a[i].id);
	html_printf(&r->h, "</tbody></table></div>");
	if (!n)
		html_printf(&r->h, "<p class=\"empty\">No approval waits.</p>");
	con_pager(r, "/approvals", "all", all ? "1" : NULL, page, n);
	svc_strings_free(names, n);
	svc_check_runs_free(a, n);
	return con_page_send(r, MHD_HTTP_OK);
}

/*
 * The page of approval r->seg[1] with status; err (may be NULL) shown
 * next to the decision form.
 */
static int approval_page(struct con_req *r, unsigned status, const char *err)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	svc_check_run *a = NULL;
	svc_approval *d = NULL;
	char **names = NULL;
	size_t n = 0, nd = 0, i;
	json_error_t jerr;
	json_t *state = NULL, *approvers, *v;
	const svc_check_run *run = NULL;
	int rc;

	if ((rc = svc_ops_approval_list(&a, &names, &n, sh->store, r->c->who, 0)))
		return con_lib_error(r, rc);
	for (i = 0; i < n && !run; i++)
		if (!strcmp(a[i].id, r->seg[1]))
			run = &a[i];
	if (!run) {
		rc = con_lib_error(r, error_set(SVC_ENOTFOUND, "no approval '%s'", r->seg[1]));
		goto done;
	}
	if ((rc = svc_ops_approval_decisions(&d, &nd, sh->store, r->c->who,
					     run->id))) {
		rc = con_lib_error(r, rc);
		goto done;
	}
	state = json_loads(run->state ? run->state : "{}", 0, &jerr);
	approvers = json_object_get(state, "approvers");
	con_page_begin(r, "Approval",
		       "A run's stage waits for this approval before it may use the "
		       "service connection. Its approvers decide; the one who "
		       "requested the run may not approve it.");
	html_printf(&r->h,
		    "<dl class=\"details\"><dt>Pipeline</dt><dd>%s</dd><dt>Run</dt><dd>%s</dd>"
		    "<dt>Stage</dt><dd>%s</dd><dt>Service connection</dt><dd>%s</dd>"
		    "<dt>Requested by</dt><dd>%s</dd><dt>Status</dt><dd id=\"approval-status\">%s</dd>"
		    "<dt>Message</dt><dd>%s</dd><dt>Approvers</dt><dd><ul class=\"inline\">",
		    run->pipeline, run->run_id, run->stage ? run->stage : "-", names[run - a],
		    run->requested_by, run->status, run->message ? run->message : "-");
	json_array_foreach(approvers, i, v)
		html_printf(&r->h, "<li>%s</li>", json_string_value(v));
	html_printf(&r->h, "</ul></dd></dl>"
		    "<div class=\"scroll\"><table><caption>Decisions</caption><thead><tr>"
		    "<th scope=\"col\">By</th><th scope=\"col\">As approver</th>"
		    "<th scope=\"col\">Decision</th><th scope=\"col\">Comment</th>"
		    "<th scope=\"col\">Effective from</th><th scope=\"col\">At</th>"
		    "</tr></thead><tbody>");
	for (i = 0; i < nd; i++)
		html_printf(&r->h,
			    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			    d[i].actor, d[i].as_approver, d[i].decision, d[i].comment,
			    d[i].defer_until ? d[i].defer_until : "at once", d[i].at);
	html_printf(&r->h, "</tbody></table></div>");
	if (!nd)
		html_printf(&r->h, "<p class=\"empty\">No decision yet.</p>");
	if (!strcmp(run->status, SVC_RUN_PENDING)) {
		html_printf(&r->h, "<form method=\"post\" action=\"%s/approvals/%s\" class=\"card\">",
			    r->base, run->id);
		con_csrf_field(r);
		if (err)
			html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"decide-error\">%s</p>",
				    err);
		html_printf(&r->h,
			    "<label for=\"comment\">Comment</label>"
			    "<textarea id=\"comment\" name=\"comment\" rows=\"3\" aria-describedby=\"%s\"></textarea>"
			    "<label for=\"deferUntil\">Defer until (UTC, e.g. 2030-01-01T09:00:00Z; "
			    "for Defer only)</label>"
			    "<input id=\"deferUntil\" name=\"deferUntil\" type=\"text\">"
			    "<div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>"
			    "<button type=\"submit\" name=\"decision\" value=\"reject\" class=\"danger\">Reject</button>"
			    "<button type=\"submit\" name=\"decision\" value=\"defer\">Defer</button></div></form>",
			    err ? "decide-error" : "");
	}
	rc = con_page_send(r, status);
done:
	json_decref(state);
	svc_approvals_free(d, nd);
	svc_strings_free(names, n);
	svc_check_runs_free(a, n);
	return rc;
}

int con_approval(struct con_req *r)
{
	return approval_page(r, MHD_HTTP_OK, NULL);
}

int con_decide(struct con_req *r)
{
	svc_buf decision, comment, defer;
	char msg[768], tail[128];
	const char *what = NULL, *until = NULL;
	unsigned status = MHD_HTTP_BAD_REQUEST;
	int rc;

	buf_init(&decision, 16, 0);
	buf_init(&comment, 4096, 0);
	buf_init(&defer, 64, 0);
	snprintf(msg, sizeof(msg), "choose Approve, Reject or Defer; Defer needs a time");
	if (con_form_get(&decision, r->c, "decision", 16) == 0) {
		if (!strcmp(decision.ptr, "approve") || !strcmp(decision.ptr, "reject"))
			what = decision.ptr;
		else if (!strcmp(decision.ptr, "defer"))
			what = "approve";
	}
	if (con_form_get(&comment, r->c, "comment", 4000))
		buf_reset(&comment);
	if (con_form_get(&defer, r->c, "deferUntil", 60) == 0 && defer.len)
		until = defer.ptr;
	if (what && !strcmp(decision.ptr, "defer") && !until)
		what = NULL;
	if (what && strcmp(decision.ptr, "defer"))
		until = NULL;
	if (what) {
		rc = svc_ops_decide(srv_shared(r->c->srv)->store, r->c->who,
				    r->seg[1], what,
				    comment.len ? comment.ptr : NULL, until);
		if (rc == 0) {
			snprintf(tail, sizeof(tail), "/approvals/%s", r->seg[1]);
			rc = con_redirect(r, tail);
			goto done;
		}
		status = con_lib_message(r, rc, msg, sizeof(msg));
	}
	rc = approval_page(r, status, msg);
done:
	buf_clear(&decision);
	buf_clear(&comment);
	buf_clear(&defer);
	return rc;
}
