/*
 * console_pages.c - the console's pages of service connections: the
 * list (searchable, paginated), a connection's Overview and Usage history
 * tabs (its Approvals and checks tab is console_checks.c), and Delete (a confirmation page, then a
 * POST).  Each calls svc_ops_* as the session's principal; what it may
 * not do, the authority layer refuses.  Secret fields show "set", never
 * a value (they are not even loaded).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "svcconn/authz.h"
#include "svcconn/catalog.h"
#include "svcconn/conn.h"
#include "svcconn/ops.h"
#include "console/console_int.h"

/* 1 when needle (not empty) is in hay, ignoring ASCII case. */
static int ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!hay)
		return 0;
	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] &&
			    tolower((unsigned char)hay[i]) ==
				    tolower((unsigned char)needle[i]);
		     i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

/* The type's display name, or its id. */
static const char *type_name(const struct con_req *r, const svc_conn *c)
{
	const svc_type *t = svc_catalog_find(srv_shared(r->c->srv)->catalog,
					     svc_conn_type(c));

	return t && t->name ? t->name : svc_conn_type(c);
}

/* The scheme's label, or its id. */
static const char *scheme_name(const struct con_req *r, const svc_conn *c)
{
	const svc_type *t = svc_catalog_find(srv_shared(r->c->srv)->catalog,
					     svc_conn_type(c));
	const svc_scheme *s = t && svc_conn_scheme(c)
				      ? svc_type_scheme(t, svc_conn_scheme(c))
				      : NULL;

	return s && s->label ? s->label : svc_conn_scheme(c);
}

int con_connections(struct con_req *r)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	const char *q = srv_query(r->c, "q");
	size_t page = con_page_number(r->c), n = 0, i, shown = 0, first;
	svc_conn **list = NULL;
	svc_role role = SVC_ROLE_NONE;
	int rc;

	if ((rc = svc_ops_conn_list(&list, &n, sh->store, r->c->who)))
		return con_lib_error(r, rc);
	if (q && !*q)
		q = NULL;
	con_page_begin(r, "Service connections",
		       "The service connections of this project that you may read. "
		       "Open one to see its details, the runs that used it and its checks.");
	/* New for a Creator (the layer refuses anyone else anyway) */
	if (svc_ops_role(&role, sh->store, r->c->who, NULL) == 0 &&
	    role >= SVC_ROLE_CREATOR)
		html_printf(&r->h, "<p class=\"actions\"><a class=\"button\" id=\"new-conn\" "
			    "href=\"%s/connections/new\">New service connection</a></p>",
			    r->base);
	html_printf(&r->h,
		    "<form method=\"get\" role=\"search\" class=\"search\">"
		    "<label for=\"q\">Search by name, type or description</label>"
		    "<input id=\"q\" name=\"q\" type=\"search\" value=\"%s\">"
		    "<button type=\"submit\">Search</button></form>",
		    q ? q : "");
	first = (page - 1) * CON_PAGE_ROWS;
	html_printf(&r->h,
		    "<div class=\"scroll\"><table><caption>Service connections</caption>"
		    "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Type</th>"
		    "<th scope=\"col\">Authentication</th><th scope=\"col\">Description</th>"
		    "<th scope=\"col\">Created by</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const svc_conn *c = list[i];

		if (q && !ci_contains(svc_conn_name(c), q) &&
		    !ci_contains(svc_conn_type(c), q) &&
		    !ci_contains(type_name(r, c), q) &&
		    !ci_contains(svc_conn_description(c), q))
			continue;
		if (shown >= first && shown < first + CON_PAGE_ROWS)
			html_printf(&r->h,
				    "<tr><td><a href=\"%s/connections/%s\">%s</a></td>"
				    "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
				    r->base, svc_conn_id(c), svc_conn_name(c),
				    type_name(r, c), scheme_name(r, c),
				    svc_conn_description(c), svc_conn_created_by(c));
		shown++;
	}
	html_printf(&r->h, "</tbody></table></div>");
	if (!shown)
		html_printf(&r->h, "<p class=\"empty\">%s</p>",
			    q ? "No service connection matches the search."
			      : "No service connection you may read.");
	con_pager(r, "/connections", "q", q, page, shown);
	svc_store_conn_list_free(list, n);
	return con_page_send(r, MHD_HTTP_OK);
}

void con_conn_tabs(struct con_req *r, const svc_conn *c, int active)
{
	static const char *const names[] = { "Overview", "Usage history",
					      "Approvals and checks" };
	static const char *const tails[] = { "", "/history", "/checks" };
	size_t i;

	html_printf(&r->h, "<nav class=\"tabs\" aria-label=\"Connection\">");
	for (i = 0; i < 3; i++)
		html_printf(&r->h, (int)i == active
				   ? "<a href=\"%s/connections/%s%s\" aria-current=\"page\">%s</a>"
				   : "<a href=\"%s/connections/%s%s\">%s</a>",
			    r->base, svc_conn_id(c), tails[i], names[i]);
	html_printf(&r->h, "</nav>");
}

int con_conn_load(svc_conn **out, struct con_req *r)
{
	int rc = svc_ops_conn_get(out, srv_shared(r->c->srv)->store, r->c->who,
				  r->seg[1], 0);

	if (rc)
		con_lib_error(r, rc);
	return rc;
}

int con_conn_page(svc_conn **out, struct con_req *r, const char *what,
		  const char *purpose, int tab)
{
	char title[400];

	if (con_conn_load(out, r))
		return -1;
	snprintf(title, sizeof(title), "%s%s", what, svc_conn_name(*out));
	con_page_begin(r, title, purpose);
	if (tab >= 0)
		con_conn_tabs(r, *out, tab);
	return 0;
}

/* One row of a definition list. */
static void dl_row(struct con_req *r, const char *term, const char *value)
{
	html_printf(&r->h, "<dt>%s</dt><dd>%s</dd>", term,
		    value && *value ? value : "-");
}

int con_connection(struct con_req *r)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	const svc_type *t;
	const svc_scheme *sc;
	svc_role role = SVC_ROLE_NONE;
	svc_conn_field f;
	svc_conn *c = NULL;
	size_t i, n;
	char title[400];

	if (con_conn_load(&c, r))
		return -1;
	t = svc_catalog_find(sh->catalog, svc_conn_type(c));
	sc = t && svc_conn_scheme(c) ? svc_type_scheme(t, svc_conn_scheme(c))
				     : NULL;
	/* what the buttons offer: the role the layer reports (it refuses
	 * anyway what the role does not allow) */
	if (svc_ops_role(&role, sh->store, r->c->who, svc_conn_id(c)))
		role = SVC_ROLE_NONE;
	snprintf(title, sizeof(title), "Service connection %s", svc_conn_name(c));
	con_page_begin(r, title,
		       "What this connection is and how it authenticates. Secret "
		       "fields are write-only: the console shows whether one is set, "
		       "never its value.");
	con_conn_tabs(r, c, 0);
	if (role >= SVC_ROLE_ADMIN)
		html_printf(&r->h, "<p class=\"actions\"><a class=\"button\" id=\"edit-conn\" "
			    "href=\"%s/connections/%s/edit\">Edit</a> <a class=\"button\" "
			    "id=\"security-conn\" href=\"%s/connections/%s/security\">Security</a> "
			    "<a class=\"button danger\" href=\"%s/connections/%s/delete\">Delete</a></p>",
			    r->base, svc_conn_id(c), r->base, svc_conn_id(c),
			    r->base, svc_conn_id(c));
	html_printf(&r->h, "<dl class=\"details\">");
	dl_row(r, "Name", svc_conn_name(c));
	dl_row(r, "Id", svc_conn_id(c));
	dl_row(r, "Type", type_name(r, c));
	dl_row(r, "Authentication", scheme_name(r, c));
	dl_row(r, "URL", svc_conn_url(c));
	dl_row(r, "Description", svc_conn_description(c));
	dl_row(r, "Pipelines", svc_conn_all_pipelines(c)
				       ? "all pipelines may use it"
				       : "only the pipelines permitted");
	dl_row(r, "Created by", svc_conn_created_by(c));
	dl_row(r, "Created", svc_conn_created_at(c));
	dl_row(r, "Updated by", svc_conn_updated_by(c));
	dl_row(r, "Updated", svc_conn_updated_at(c));
	dl_row(r, "Your role", svc_role_name(role));
	html_printf(&r->h, "</dl><div class=\"scroll\"><table><caption>Fields</caption>"
		    "<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Key</th>"
		    "<th scope=\"col\">Value</th></tr></thead><tbody>");
	n = svc_conn_field_count(c);
	for (i = 0; i < n; i++) {
		const svc_field *d;

		if (svc_conn_field_at(c, i, &f) || f.kind == SVC_FIELD_URL)
			continue;
		d = t ? svc_type_field(t, sc, f.key) : NULL;
		html_printf(&r->h, "<tr><td>%s</td><td><code>%s</code></td>",
			    d && d->label ? d->label : f.key, f.key);
		if (f.secret)
			html_printf(&r->h, "<td class=\"secret\">%s</td></tr>",
				    f.is_set ? "set (write-only)" : "not set");
		else
			html_printf(&r->h, "<td>%s</td></tr>",
				    f.value ? f.value : "");
	}
	html_printf(&r->h, "</tbody></table></div>");
	svc_conn_free(c);
	return con_page_send(r, MHD_HTTP_OK);
}

int con_history(struct con_req *r)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	size_t page = con_page_number(r->c), n = 0, i, first;
	svc_usage *u = NULL;
	svc_conn *c = NULL;
	char title[400], tail[128];
	int rc;

	if (con_conn_load(&c, r))
		return -1;
	if ((rc = svc_ops_usage_list(&u, &n, sh->store, r->c->who,
				     svc_conn_id(c), 0))) {
		svc_conn_free(c);
		return con_lib_error(r, rc);
	}
	snprintf(title, sizeof(title), "Usage history of %s", svc_conn_name(c));
	con_page_begin(r, title,
		       "The runs that asked for this connection, newest first: the "
		       "pipeline, stage and job, what the gate decided and how the job ended.");
	con_conn_tabs(r, c, 1);
	html_printf(&r->h,
		    "<div class=\"scroll\"><table><caption>Usage history</caption><thead><tr>"
		    "<th scope=\"col\">Run</th><th scope=\"col\">Pipeline</th>"
		    "<th scope=\"col\">Stage</th><th scope=\"col\">Job</th>"
		    "<th scope=\"col\">Decision</th><th scope=\"col\">Result</th>"
		    "<th scope=\"col\">Time</th><th scope=\"col\">Requested by</th>"
		    "</tr></thead><tbody>");
	first = (page - 1) * CON_PAGE_ROWS;
	for (i = first; i < n && i < first + CON_PAGE_ROWS; i++)
		html_printf(&r->h,
			    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			    "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			    u[i].run_id, u[i].pipeline, u[i].stage, u[i].job,
			    u[i].decision, u[i].result ? u[i].result : "running",
			    u[i].at, u[i].requested_by);
	html_printf(&r->h, "</tbody></table></div>");
	if (!n)
		html_printf(&r->h, "<p class=\"empty\">No run has used this connection yet.</p>");
	snprintf(tail, sizeof(tail), "/connections/%s/history", svc_conn_id(c));
	con_pager(r, tail, NULL, NULL, page, n);
	svc_usages_free(u, n);
	svc_conn_free(c);
	return con_page_send(r, MHD_HTTP_OK);
}

int con_delete_confirm(struct con_req *r)
{
	svc_conn *c = NULL;

	if (con_conn_page(&c, r, "Delete ",
			  "Deleting a service connection removes it, its secrets, its "
			  "checks and its permissions; pipelines that use it will fail. "
			  "This cannot be undone.", -1))
		return -1;
	html_printf(&r->h, "<form method=\"post\" action=\"%s/connections/%s/delete\" class=\"card\">",
		    r->base, svc_conn_id(c));
	con_csrf_field(r);
	html_printf(&r->h,
		    "<p>Delete service connection <strong>%s</strong> (%s)?</p>"
		    "<button type=\"submit\" class=\"danger\">Delete</button> "
		    "<a href=\"%s/connections/%s\">Cancel</a></form>",
		    svc_conn_name(c), type_name(r, c), r->base, svc_conn_id(c));
	svc_conn_free(c);
	return con_page_send(r, MHD_HTTP_OK);
}

int con_delete(struct con_req *r)
{
	int rc = svc_ops_conn_delete(srv_shared(r->c->srv)->store, r->c->who,
				     r->seg[1]);

	if (rc)
		return con_lib_error(r, rc);
	return con_redirect(r, "/connections");
}
