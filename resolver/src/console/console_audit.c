/*
 * console_audit.c - the console's audit log page: the store's audit
 * records as `svcconn audit` shows them, newest first, selected by the
 * filters of a GET form (action, actor, connection, a time range from-to
 * and a text search) and shown a bounded page at a time.
 *
 * The records come from svc_ops_audit_query, the verb `svcconn audit`
 * and the API's audit log call: who may read them is the authority
 * layer's decision, and the filters are the store's (an SQL selection
 * of one page, never a page filtered after reading every record).  Every
 * value is written through the HTML writer; actors, connection names and
 * details are user input.
 */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "svcconn/ops.h"
#include "console/console_int.h"
#include "errors_int.h"

/* Rows of a page: the default and the most a page shows. */
#define AUDIT_ROWS_DEFAULT 20
#define AUDIT_ROWS_MAX 100

/* One filter of the page: its query argument, label and hint. */
struct audit_field {
	const char *arg;   /**< the query argument (and input id) */
	const char *label; /**< its label */
	const char *hint;  /**< its placeholder */
};

/* The filters, in the form's order (audit_args keeps the same order). */
static const struct audit_field fields[] = {
	{ "action", "Action", "create, edit, role-set, ..." },
	{ "actor", "Actor", "as recorded, e.g. root as alice" },
	{ "connection", "Connection (id or name)", "" },
	{ "from", "From (UTC)", "YYYY-MM-DDTHH:MM" },
	{ "until", "Until, before (UTC)", "YYYY-MM-DDTHH:MM" },
	{ "q", "Search", "text in actor, action, connection or details" },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The page size of ?size= (the default when absent or out of range). */
static size_t page_size(const struct srv_call *c)
{
	const char *v = srv_query(c, "size");
	unsigned long n;
	char *e;

	if (!v)
		return AUDIT_ROWS_DEFAULT;
	n = strtoul(v, &e, 10);
	return *v && !*e && n >= 1 && n <= AUDIT_ROWS_MAX ? (size_t)n
							  : AUDIT_ROWS_DEFAULT;
}

/*
 * The link to page of the same selection (vals: the filters' values in
 * fields' order) into out: base/audit?arg=value&...&size=N&page=N.
 */
static int page_link(svc_buf *out, const struct con_req *r,
		     const char *const *vals, size_t size, size_t page)
{
	size_t i;
	int rc = buf_printf(out, "%s/audit?", r->base);

	for (i = 0; !rc && i < NFIELDS; i++) {
		if (!vals[i])
			continue;
		rc = buf_printf(out, "%s=", fields[i].arg);
		rc = rc ? rc : html_url_segment(out, vals[i]);
		rc = rc ? rc : buf_putc(out, '&');
	}
	return rc ? rc : buf_printf(out, "size=%zu&page=%zu", size, page);
}

/* The filter form with vals (the error msg, or NULL, next to it). */
static void filter_form(struct con_req *r, const char *const *vals,
			size_t size, const char *msg)
{
	static const size_t sizes[] = { 10, 20, 50, 100 };
	size_t i;

	html_printf(&r->h, "<form method=\"get\" action=\"%s/audit\" role=\"search\" "
		    "class=\"card filters-form\" id=\"audit-filters\">", r->base);
	if (msg)
		html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"audit-error\">%s</p>",
			    msg);
	for (i = 0; i < NFIELDS; i++)
		html_printf(&r->h, "<div><label for=\"%s\">%s</label>"
			    "<input id=\"%s\" name=\"%s\" type=\"%s\" value=\"%s\" "
			    "placeholder=\"%s\"></div>",
			    fields[i].arg, fields[i].label, fields[i].arg,
			    fields[i].arg, !strcmp(fields[i].arg, "q") ? "search" : "text",
			    vals[i] ? vals[i] : "", fields[i].hint);
	html_printf(&r->h, "<div><label for=\"size\">Records a page</label><select id=\"size\" name=\"size\">");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		html_printf(&r->h, sizes[i] == size ? "<option selected>%zu</option>"
						    : "<option>%zu</option>",
			    sizes[i]);
	html_printf(&r->h, "</select></div><div class=\"buttons\"><button type=\"submit\" "
		    "id=\"audit-apply\">Show</button> <a class=\"button\" href=\"%s/audit\">Clear</a>"
		    "</div></form>", r->base);
}

int con_audit(struct con_req *r)
{
	const char *vals[NFIELDS];
	svc_audit_list *l = NULL;
	svc_audit_filter f;
	svc_buf prev = SVC_BUF_INIT, next = SVC_BUF_INIT;
	size_t size = page_size(r->c), page = con_page_number(r->c), n, i,
	       shown;
	char msg[768];
	int rc;

	for (i = 0; i < NFIELDS; i++) {
		vals[i] = srv_query(r->c, fields[i].arg);
		if (vals[i] && !*vals[i])
			vals[i] = NULL;
	}
	memset(&f, 0, sizeof(f));
	f.version = SVC_AUDIT_FILTER_VERSION;
	f.action = vals[0];
	f.actor = vals[1];
	f.conn = vals[2];
	f.from = vals[3];
	f.until = vals[4];
	f.text = vals[5];
	/* one record more than the page: whether an older page follows */
	f.limit = size + 1;
	f.skip = (page - 1) * size;
	rc = svc_ops_audit_query(&l, srv_shared(r->c->srv)->store, r->c->who,
				 &f);
	if (rc && rc != SVC_EINVALID)
		return con_lib_error(r, rc);
	con_page_begin(r, "Audit log",
		       "Who changed what and when: every management action on the "
		       "store, newest first, as 'svcconn audit' shows it. Values, "
		       "secret or not, are never recorded.");
	if (rc) {
		/* a filter the store refused (a time that is not one) */
		unsigned status = con_lib_message(r, rc, msg, sizeof(msg));

		filter_form(r, vals, size, msg);
		return con_page_send(r, status);
	}
	filter_form(r, vals, size, NULL);
	n = svc_audit_list_count(l);
	shown = n > size ? size : n;
	html_printf(&r->h,
		    "<div class=\"scroll\"><table id=\"audit\"><caption>Audit records</caption>"
		    "<thead><tr><th scope=\"col\">Id</th><th scope=\"col\">Time (UTC)</th>"
		    "<th scope=\"col\">Actor</th><th scope=\"col\">Action</th>"
		    "<th scope=\"col\">Connection</th><th scope=\"col\">Details</th>"
		    "</tr></thead><tbody>");
	/* oldest first from the store: the page is its newest shown rows */
	for (i = n; i > n - shown; i--) {
		const svc_audit_entry *e = svc_audit_list_at(l, i - 1);

		html_printf(&r->h,
			    "<tr data-seq=\"%lld\"><td>%lld</td><td>%s</td><td>%s</td>"
			    "<td>%s</td><td>%s<br><code>%s</code></td>"
			    "<td><code>%s</code></td></tr>",
			    e->seq, e->seq, e->at, e->actor, e->action,
			    e->conn_name, e->conn_id, e->detail);
	}
	html_printf(&r->h, "</tbody></table></div>");
	if (!shown)
		html_printf(&r->h, "<p class=\"empty\">No audit record matches.</p>");
	if (page > 1 || n > size) {
		html_printf(&r->h, "<nav class=\"pager\" aria-label=\"Pages\">");
		if (page > 1 && page_link(&prev, r, vals, size, page - 1) == 0)
			html_printf(&r->h, "<a href=\"%s\" rel=\"prev\">Previous (newer)</a>",
				    prev.ptr);
		html_printf(&r->h, "<span>Page %zu</span>", page);
		if (n > size && page_link(&next, r, vals, size, page + 1) == 0)
			html_printf(&r->h, "<a href=\"%s\" rel=\"next\">Next (older)</a>",
				    next.ptr);
		html_printf(&r->h, "</nav>");
	}
	buf_clear(&prev);
	buf_clear(&next);
	svc_audit_list_free(l);
	return con_page_send(r, MHD_HTTP_OK);
}
