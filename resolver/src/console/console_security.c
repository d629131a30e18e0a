/*
 * console_security.c - a connection's Security page, as Azure's Service
 * connection -> Security: the users and groups holding a role on it, the
 * roles it inherits from its project and the store (unless inheritance is
 * off), and for an Administrator the forms to add a principal with a
 * role, change or remove one, and switch inheritance.
 *
 * One authority: the page reads through svc_ops_role_list,
 * svc_ops_project_role_list and svc_ops_role, and changes through
 * svc_ops_role_set and svc_ops_inherit_set, exactly the verbs `svcconn
 * security` calls.  It holds no role check of its own: the change forms
 * are only left out for a principal whose role is not Administrator, and
 * a change posted anyway is refused by the layer (403, nothing changed).
 */
#include <string.h>

#include <microhttpd.h>

#include "svcconn/authz.h"
#include "svcconn/ops.h"
#include "console/console_int.h"
#include "errors_int.h"

/* Longest principal name a form may carry. */
#define PRINCIPAL_MAX 256

/* The roles a connection's assignment may hold (Creator is the store's). */
static const svc_role conn_roles[] = { SVC_ROLE_READER, SVC_ROLE_USER,
				       SVC_ROLE_ADMIN };

/* A <select name="role"> of the connection roles with id, sel chosen. */
static void role_select(struct con_req *r, const char *id, svc_role sel)
{
	size_t i;

	html_printf(&r->h, "<select id=\"%s\" name=\"role\">", id);
	for (i = 0; i < sizeof(conn_roles) / sizeof(conn_roles[0]); i++)
		html_printf(&r->h, conn_roles[i] == sel
				   ? "<option selected>%s</option>"
				   : "<option>%s</option>",
			    svc_role_name(conn_roles[i]));
	html_printf(&r->h, "</select>");
}

/* The opening of a change form of connection c with its action. */
static void form_begin(struct con_req *r, const svc_conn *c,
		       const char *cls, const char *action)
{
	html_printf(&r->h, "<form method=\"post\" action=\"%s/connections/%s/security\" "
		    "class=\"%s\"><input type=\"hidden\" name=\"action\" value=\"%s\">",
		    r->base, svc_conn_id(c), cls, action);
	con_csrf_field(r);
}

/*
 * The table of inherited assignments of caption, from the layer's answer
 * (rc, e, n): a refusal is said in a line, not an error of the page.
 */
static void inherited_table(struct con_req *r, const char *caption, int rc,
			    const svc_role_entry *e, size_t n)
{
	char msg[512];
	size_t i;

	if (rc) {
		con_lib_message(r, rc, msg, sizeof(msg));
		html_printf(&r->h, "<p class=\"empty\">%s: not shown (%s).</p>",
			    caption, msg);
		return;
	}
	html_printf(&r->h,
		    "<div class=\"scroll\"><table><caption>%s</caption><thead><tr>"
		    "<th scope=\"col\">User or group</th><th scope=\"col\">Kind</th>"
		    "<th scope=\"col\">Role</th></tr></thead><tbody>", caption);
	for (i = 0; i < n; i++)
		html_printf(&r->h, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>",
			    e[i].principal, e[i].is_group ? "group" : "user",
			    svc_role_name(e[i].role));
	html_printf(&r->h, "</tbody></table></div>");
	if (!n)
		html_printf(&r->h, "<p class=\"empty\">None.</p>");
}

/*
 * The Security page of the connection r->seg[1] with status, and msg (an
 * error of the change just refused, or NULL) above the forms.
 */
static int security_page(struct con_req *r, unsigned status, const char *msg)
{
	svc_store *st = srv_shared(r->c->srv)->store;
	svc_role_entry *e = NULL, *pe = NULL, *se = NULL;
	size_t n = 0, pn = 0, sn = 0, i;
	svc_role mine = SVC_ROLE_NONE;
	svc_conn *c = NULL;
	int rc, inherit = 1, prc, src, admin;
	char title[400];

	if (con_conn_load(&c, r))
		return -1;
	if ((rc = svc_ops_role_list(&e, &n, &inherit, st, r->c->who,
				    svc_conn_id(c)))) {
		svc_conn_free(c);
		return con_lib_error(r, rc);
	}
	/* what the page offers: the role the layer reports (it refuses
	 * anyway what the role does not allow) */
	if (svc_ops_role(&mine, st, r->c->who, svc_conn_id(c)))
		mine = SVC_ROLE_NONE;
	admin = mine >= SVC_ROLE_ADMIN;
	prc = svc_ops_project_role_list(&pe, &pn, st, r->c->who);
	src = svc_ops_role_list(&se, &sn, NULL, st, r->c->who, NULL);
	snprintf(title, sizeof(title), "Security of %s", svc_conn_name(c));
	con_page_begin(r, title,
		       "Who may use, read and administer this service connection: "
		       "Reader views it, User uses it in pipelines and permits them, "
		       "Administrator also edits, deletes and changes these roles.");
	con_conn_tabs(r, c, -1);
	if (msg)
		html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"security-error\">%s</p>",
			    msg);
	html_printf(&r->h, "<p>Your role: <strong id=\"your-role\">%s</strong>.%s</p>",
		    svc_role_name(mine),
		    admin ? "" : " Only an Administrator of the connection changes its roles.");
	html_printf(&r->h,
		    "<div class=\"scroll\"><table id=\"roles\"><caption>Roles on this connection</caption>"
		    "<thead><tr><th scope=\"col\">User or group</th><th scope=\"col\">Kind</th>"
		    "<th scope=\"col\">Role</th>");
	if (admin)
		html_printf(&r->h, "<th scope=\"col\"><span class=\"sr\">Remove</span></th>");
	html_printf(&r->h, "</tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		char id[32];

		html_printf(&r->h, "<tr><td>%s</td><td>%s</td>", e[i].principal,
			    e[i].is_group ? "group" : "user");
		if (!admin) {
			html_printf(&r->h, "<td>%s</td></tr>", svc_role_name(e[i].role));
			continue;
		}
		html_printf(&r->h, "<td>");
		form_begin(r, c, "inline-form", "set");
		html_printf(&r->h, "<input type=\"hidden\" name=\"principal\" value=\"%s\">"
			    "<label class=\"sr\" for=\"role-%zu\">Role of %s</label>",
			    e[i].principal, i, e[i].principal);
		snprintf(id, sizeof(id), "role-%zu", i);
		role_select(r, id, e[i].role);
		html_printf(&r->h, "<button type=\"submit\">Change</button></form></td><td>");
		form_begin(r, c, "inline-form", "remove");
		html_printf(&r->h, "<input type=\"hidden\" name=\"principal\" value=\"%s\">"
			    "<button type=\"submit\" class=\"danger\">Remove<span class=\"sr\"> %s</span>"
			    "</button></form></td></tr>", e[i].principal, e[i].principal);
	}
	html_printf(&r->h, "</tbody></table></div>");
	if (!n)
		html_printf(&r->h, "<p class=\"empty\">No role is assigned on this connection itself.</p>");
	if (admin) {
		form_begin(r, c, "card", "set");
		html_printf(&r->h,
			    "<h2>Add a user or group</h2>"
			    "<label for=\"principal\">User or group</label>"
			    "<input id=\"principal\" name=\"principal\" type=\"text\" required>"
			    "<label for=\"add-role\">Role</label>");
		role_select(r, "add-role", SVC_ROLE_READER);
		html_printf(&r->h, "<button type=\"submit\" id=\"add-principal\">Add</button></form>");
	}
	html_printf(&r->h, "<h2>Inherited</h2><p id=\"inheritance\">%s</p>",
		    inherit ? "The roles in the project and on the store apply to this "
			      "connection too (an assignment above overrides them)."
			    : "Inheritance is off: only the roles above apply.");
	if (admin) {
		form_begin(r, c, "inline-form", "inherit");
		html_printf(&r->h, "<input type=\"hidden\" name=\"inherit\" value=\"%s\">"
			    "<button type=\"submit\" id=\"inherit-toggle\">%s</button></form>",
			    inherit ? "off" : "on",
			    inherit ? "Stop inheriting" : "Inherit again");
	}
	inherited_table(r, "Roles in the project", prc, pe, pn);
	inherited_table(r, "Roles on the store", src, se, sn);
	svc_role_entries_free(e, n);
	svc_role_entries_free(pe, pn);
	svc_role_entries_free(se, sn);
	svc_conn_free(c);
	return con_page_send(r, status);
}

int con_security(struct con_req *r)
{
	return security_page(r, MHD_HTTP_OK, NULL);
}

int con_security_change(struct con_req *r)
{
	svc_store *st = srv_shared(r->c->srv)->store;
	svc_buf action, who, role, inherit;
	svc_role to = SVC_ROLE_NONE;
	char msg[768];
	int rc;

	buf_init(&action, 16, 0);
	buf_init(&who, PRINCIPAL_MAX, 0);
	buf_init(&role, 32, 0);
	buf_init(&inherit, 8, 0);
	if (con_form_get(&action, r->c, "action", 16) || !action.len) {
		rc = error_set(SVC_EINVALID, "the form has no action");
	} else if (!strcmp(action.ptr, "inherit")) {
		rc = con_form_get(&inherit, r->c, "inherit", 8) ||
				     !inherit.len ||
				     (strcmp(inherit.ptr, "on") &&
				      strcmp(inherit.ptr, "off"))
			     ? error_set(SVC_EINVALID,
					 "field 'inherit' must be 'on' or 'off'")
			     : svc_ops_inherit_set(st, r->c->who, r->seg[1],
						   !strcmp(inherit.ptr, "on"));
	} else if (con_form_get(&who, r->c, "principal", PRINCIPAL_MAX) ||
		   !who.len) {
		rc = error_set(SVC_EINVALID, "field 'principal': give a user or group");
	} else if (!strcmp(action.ptr, "set") &&
		   (con_form_get(&role, r->c, "role", 32) || !role.len ||
		    svc_role_parse(&to, role.ptr))) {
		rc = error_set(SVC_EINVALID,
			       "field 'role': give Reader, User or Administrator");
	} else if (strcmp(action.ptr, "set") && strcmp(action.ptr, "remove")) {
		rc = error_set(SVC_EINVALID, "unknown action '%s'", action.ptr);
	} else {
		/* remove: the assignment on the connection goes */
		rc = svc_ops_role_set(st, r->c->who, r->seg[1], who.ptr,
				      !strcmp(action.ptr, "set") ? to
								 : SVC_ROLE_NONE);
	}
	buf_clear(&action);
	buf_clear(&who);
	buf_clear(&role);
	buf_clear(&inherit);
	if (rc == 0) {
		svc_buf tail = SVC_BUF_INIT;

		buf_puts(&tail, "/connections/");
		html_url_segment(&tail, r->seg[1]);
		buf_puts(&tail, "/security");
		rc = tail.ptr ? con_redirect(r, tail.ptr)
			      : con_lib_error(r, error_oom());
		buf_clear(&tail);
		return rc;
	}
	/* the refusal's status and message, shown above the page's forms
	 * (a principal who may not read the connection gets its refusal) */
	return security_page(r, con_lib_message(r, rc, msg, sizeof(msg)), msg);
}
