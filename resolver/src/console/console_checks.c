/*
 * console_checks.c - a connection's Approvals and checks tab, as Azure's
 * Service connection -> Approvals and checks: the checks in creation
 * order and, for a principal who may change them, Add check (the kinds,
 * then the chosen kind's settings), Disable/Enable and Delete (a
 * confirmation page, then a POST).
 *
 * One authority and one parser: the kinds and their settings come from
 * the kind table `svcconn checks add` reads (authz/checkkinds.c), the
 * settings are given to svc_ops_check_add as the same (key, value)
 * options the CLI passes, so a wrong value is refused with the CLI's
 * text; Disable/Enable and Delete call svc_ops_check_enable and
 * svc_ops_check_remove.  The page holds no role check of its own: the
 * buttons are only left out for a principal whose role may not change
 * checks, and a change posted anyway is refused by the layer.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "svcconn/authz.h"
#include "svcconn/ops.h"
#include "authz/checkkinds.h"
#include "console/console_int.h"
#include "errors_int.h"

/* Most options of one kind (the table's keys) and longest value. */
#define OPTS_MAX 16
#define VALUE_MAX 4096
/* Longest check id a form may carry. */
#define CHECK_ID_MAX 64

/*
 * The options that are switches (`--allow-requester` takes no value):
 * a checkbox whose value is "true", as the CLI passes it.
 */
static const char *const switches[] = { "allow-requester" };

static int is_switch(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++)
		if (!strcmp(switches[i], key))
			return 1;
	return 0;
}

/* The options of kind k into keys (each a new string in one buffer). */
struct kind_opts {
	char buf[256];                 /**< k->keys with ',' made NUL */
	const char *keys[OPTS_MAX];    /**< each option */
	size_t n;                      /**< how many */
};

static void kind_opts(struct kind_opts *o, const check_kind *k)
{
	char *p;

	memset(o, 0, sizeof(*o));
	snprintf(o->buf, sizeof(o->buf), "%s", k->keys);
	for (p = o->buf; *p && o->n < OPTS_MAX;) {
		o->keys[o->n++] = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = '\0';
	}
}

/* 1 when key is in k's required options. */
static int is_required(const check_kind *k, const char *key)
{
	const char *p = k->required;
	size_t n = strlen(key);

	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, key, n))
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* 1 when msg names option key as the CLI does ("--key" as a word). */
static int names_option(const char *msg, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = msg; (p = strstr(p, "--")); p += 2)
		if (!strncmp(p + 2, key, n) &&
		    !(isalnum((unsigned char)p[2 + n]) || p[2 + n] == '-'))
			return 1;
	return 0;
}

/* The role that may change checks, as the layer decides (User). */
static int may_change(struct con_req *r, const svc_conn *c)
{
	svc_role role = SVC_ROLE_NONE;

	if (svc_ops_role(&role, srv_shared(r->c->srv)->store, r->c->who,
			 svc_conn_id(c)))
		return 0;
	return role >= SVC_ROLE_USER;
}

/* 303 to the tab of connection r->seg[1] (+ more). */
static int back_to_tab(struct con_req *r, const char *more)
{
	svc_buf tail = SVC_BUF_INIT;
	int rc;

	buf_puts(&tail, "/connections/");
	html_url_segment(&tail, r->seg[1]);
	buf_puts(&tail, "/checks");
	buf_puts(&tail, more);
	rc = tail.ptr ? con_redirect(r, tail.ptr) : con_lib_error(r, error_oom());
	buf_clear(&tail);
	return rc;
}

/* A one-button form posting action of check id to the tab's path tail. */
static void check_button(struct con_req *r, const svc_conn *c,
			 const char *tail, const char *action, const char *id,
			 const char *label, const char *cls)
{
	html_printf(&r->h, "<form method=\"post\" action=\"%s/connections/%s/checks%s\" "
		    "class=\"inline-form\"><input type=\"hidden\" name=\"action\" value=\"%s\">"
		    "<input type=\"hidden\" name=\"check\" value=\"%s\">",
		    r->base, svc_conn_id(c), tail, action, id);
	con_csrf_field(r);
	html_printf(&r->h, "<button type=\"submit\" class=\"%s\">%s</button></form>",
		    cls, label);
}

int con_checks(struct con_req *r)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	svc_check *k = NULL;
	svc_conn *c = NULL;
	size_t n = 0, i;
	int rc, change;

	if (con_conn_page(&c, r, "Approvals and checks of ",
			  "The checks a run's stage must pass before it may use this "
			  "connection, in the order they were added. Pending approvals "
			  "are under Approvals.", 2))
		return -1;
	if ((rc = svc_ops_check_list(&k, &n, sh->store, r->c->who,
				     svc_conn_id(c)))) {
		svc_conn_free(c);
		return con_lib_error(r, rc);
	}
	change = may_change(r, c);
	if (change)
		html_printf(&r->h, "<p class=\"actions\"><a class=\"button\" id=\"add-check\" "
			    "href=\"%s/connections/%s/checks/new\">Add check</a></p>",
			    r->base, svc_conn_id(c));
	html_printf(&r->h,
		    "<div class=\"scroll\"><table id=\"checks\"><caption>Checks</caption><thead><tr>"
		    "<th scope=\"col\">Check</th><th scope=\"col\">State</th>"
		    "<th scope=\"col\">Configuration</th><th scope=\"col\">Added by</th>"
		    "<th scope=\"col\">Added</th>");
	if (change)
		html_printf(&r->h, "<th scope=\"col\"><span class=\"sr\">Actions</span></th>");
	html_printf(&r->h, "</tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		html_printf(&r->h,
			    "<tr data-id=\"%s\"><td>%s</td><td>%s</td><td><code>%s</code></td>"
			    "<td>%s</td><td>%s</td>",
			    k[i].id, k[i].kind, k[i].enabled ? "enabled" : "disabled",
			    k[i].config, k[i].created_by, k[i].created_at);
		if (change) {
			html_printf(&r->h, "<td>");
			check_button(r, c, "", k[i].enabled ? "disable" : "enable",
				     k[i].id, k[i].enabled ? "Disable" : "Enable",
				     "toggle");
			html_printf(&r->h, " <a class=\"button danger\" "
				    "href=\"%s/connections/%s/checks/delete?check=%s\">Delete</a></td>",
				    r->base, svc_conn_id(c), k[i].id);
		}
		html_printf(&r->h, "</tr>");
	}
	html_printf(&r->h, "</tbody></table></div>");
	if (!n)
		html_printf(&r->h, "<p class=\"empty\">No check: a permitted pipeline uses this connection at once.</p>");
	svc_checks_free(k, n);
	svc_conn_free(c);
	return con_page_send(r, MHD_HTTP_OK);
}

/* The kinds to choose from, each a link to its settings. */
static void kind_list(struct con_req *r, const svc_conn *c)
{
	const check_kind *k;
	size_t i;

	html_printf(&r->h, "<ul class=\"kinds\" id=\"kinds\">");
	for (i = 0; (k = check_kind_at(i)); i++)
		html_printf(&r->h, "<li><a id=\"kind-%s\" href=\"%s/connections/%s/checks/new?kind=%s\">%s</a></li>",
			    k->name, r->base, svc_conn_id(c), k->name, k->name);
	html_printf(&r->h, "</ul>");
}

/*
 * The settings form of kind k for connection c: values (NULL, or one per
 * option of o) kept from a refused post, msg the refusal shown next to
 * the option it names (or above the form).
 */
static void kind_form(struct con_req *r, const svc_conn *c,
		      const check_kind *k, const struct kind_opts *o,
		      const svc_buf *values, const char *msg)
{
	size_t i, at = o->n;

	for (i = 0; msg && i < o->n; i++)
		if (names_option(msg, o->keys[i])) {
			at = i;
			break;
		}
	if (msg && at == o->n)
		html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"check-error\">%s</p>",
			    msg);
	html_printf(&r->h, "<form method=\"post\" action=\"%s/connections/%s/checks/new\" "
		    "class=\"card\" id=\"check-form\"><h2>%s</h2>"
		    "<input type=\"hidden\" name=\"kind\" value=\"%s\">",
		    r->base, svc_conn_id(c), k->name, k->name);
	con_csrf_field(r);
	if (!o->n)
		html_printf(&r->h, "<p>A %s check has no settings.</p>", k->name);
	for (i = 0; i < o->n; i++) {
		const char *key = o->keys[i];
		const char *v = values && values[i].len ? values[i].ptr : "";

		if (is_switch(key)) {
			html_printf(&r->h, "<div class=\"field check\"><input type=\"checkbox\" "
				    "id=\"f-%s\" name=\"%s\" value=\"true\"%s><label "
				    "for=\"f-%s\">--%s</label></div>",
				    key, key, *v ? " checked" : "", key, key);
			if (i == at)
				html_printf(&r->h, "<p class=\"error\" role=\"alert\" "
					    "id=\"f-%s-error\">%s</p>", key, msg);
			continue;
		}
		html_printf(&r->h, "<label for=\"f-%s\">--%s%s</label>"
			    "<input type=\"text\" id=\"f-%s\" name=\"%s\" value=\"%s\"%s",
			    key, key, is_required(k, key) ? " (required)" : "",
			    key, key, v, is_required(k, key) ? " required" : "");
		if (i == at)
			html_printf(&r->h, " aria-invalid=\"true\" aria-describedby=\"f-%s-error\">"
				    "<p class=\"error\" role=\"alert\" id=\"f-%s-error\">%s</p>",
				    key, key, msg);
		else
			html_printf(&r->h, ">");
	}
	html_printf(&r->h, "<button type=\"submit\" id=\"create-check\">Create</button> "
		    "<a href=\"%s/connections/%s/checks\">Cancel</a></form>",
		    r->base, svc_conn_id(c));
}

/* The Add check page of r's connection with status (see kind_form). */
static int add_page(struct con_req *r, unsigned status, const char *kind,
		    const svc_buf *values, const char *msg)
{
	const check_kind *k = check_kind_find(kind);
	struct kind_opts o;
	svc_conn *c = NULL;

	if (con_conn_page(&c, r, "Add a check to ",
			  "Choose the kind of check, then its settings: the same ones "
			  "'svcconn checks NAME add KIND' takes.", 2))
		return -1;
	if (!k) {
		if (kind && *kind)
			html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"check-error\">"
				    "unknown check kind '%s'</p>", kind);
		kind_list(r, c);
	} else {
		kind_opts(&o, k);
		kind_form(r, c, k, &o, values, msg);
	}
	svc_conn_free(c);
	return con_page_send(r, k || !kind || !*kind ? status
						     : MHD_HTTP_BAD_REQUEST);
}

int con_check_new_form(struct con_req *r)
{
	return add_page(r, MHD_HTTP_OK, srv_query(r->c, "kind"), NULL, NULL);
}

int con_check_add(struct con_req *r)
{
	svc_buf kind, values[OPTS_MAX];
	const char *keys[OPTS_MAX], *vals[OPTS_MAX];
	const check_kind *k;
	struct kind_opts o;
	char *id = NULL, msg[768];
	size_t i, n = 0;
	int rc;

	buf_init(&kind, 64, 0);
	for (i = 0; i < OPTS_MAX; i++)
		buf_init(&values[i], VALUE_MAX, 0);
	if (con_form_get(&kind, r->c, "kind", 64) || !kind.len ||
	    !(k = check_kind_find(kind.ptr))) {
		rc = add_page(r, MHD_HTTP_BAD_REQUEST, kind.len ? kind.ptr : "",
			      NULL, NULL);
		goto out;
	}
	kind_opts(&o, k);
	/* each option given (not empty) as the CLI passes it */
	for (i = 0; i < o.n; i++) {
		if (con_form_get(&values[i], r->c, o.keys[i], VALUE_MAX) ||
		    !values[i].len)
			continue;
		keys[n] = o.keys[i];
		vals[n++] = values[i].ptr;
	}
	rc = svc_ops_check_add(&id, srv_shared(r->c->srv)->store, r->c->who,
			       r->seg[1], k->name, keys, vals, n);
	free(id);
	if (rc == 0)
		rc = back_to_tab(r, "");
	else
		rc = add_page(r, con_lib_message(r, rc, msg, sizeof(msg)),
			      k->name, values, msg);
out:
	buf_clear(&kind);
	for (i = 0; i < OPTS_MAX; i++)
		buf_clear(&values[i]);
	return rc;
}

/* The form's check id into id; -1 (and the refusal sent) when absent. */
static int form_check_id(svc_buf *id, struct con_req *r)
{
	buf_init(id, CHECK_ID_MAX, 0);
	if (!con_form_get(id, r->c, "check", CHECK_ID_MAX) && id->len)
		return 0;
	buf_clear(id);
	con_lib_error(r, error_set(SVC_EINVALID, "the form names no check"));
	return -1;
}

int con_check_toggle(struct con_req *r)
{
	svc_buf id, action;
	int rc;

	if (form_check_id(&id, r))
		return -1;
	buf_init(&action, 16, 0);
	if (con_form_get(&action, r->c, "action", 16) || !action.len ||
	    (strcmp(action.ptr, "enable") && strcmp(action.ptr, "disable")))
		rc = error_set(SVC_EINVALID,
			       "field 'action' must be 'enable' or 'disable'");
	else
		rc = svc_ops_check_enable(srv_shared(r->c->srv)->store,
					  r->c->who, r->seg[1], id.ptr,
					  !strcmp(action.ptr, "enable"));
	buf_clear(&id);
	buf_clear(&action);
	return rc ? con_lib_error(r, rc) : back_to_tab(r, "");
}

int con_check_delete_confirm(struct con_req *r)
{
	const char *id = srv_query(r->c, "check");
	svc_check *k = NULL;
	svc_conn *c = NULL;
	size_t n = 0, i;
	int rc;

	if (con_conn_page(&c, r, "Delete a check of ",
			  "Deleting a check removes it: the runs that use this "
			  "connection no longer wait for it. This cannot be undone.", -1))
		return -1;
	rc = svc_ops_check_list(&k, &n, srv_shared(r->c->srv)->store,
				r->c->who, svc_conn_id(c));
	for (i = 0; !rc && i < n && (!id || strcmp(k[i].id, id)); i++)
		;
	if (!rc && i == n)
		rc = error_set(SVC_ENOTFOUND, "connection '%s' has no check '%s'",
			       svc_conn_name(c), id ? id : "");
	if (rc) {
		svc_checks_free(k, n);
		svc_conn_free(c);
		return con_lib_error(r, rc);
	}
	html_printf(&r->h, "<p>Delete the <strong>%s</strong> check <code>%s</code> of "
		    "<strong>%s</strong>?</p>", k[i].kind, k[i].config, svc_conn_name(c));
	check_button(r, c, "/delete", "remove", k[i].id, "Delete", "danger");
	html_printf(&r->h, " <a href=\"%s/connections/%s/checks\">Cancel</a>",
		    r->base, svc_conn_id(c));
	svc_checks_free(k, n);
	svc_conn_free(c);
	return con_page_send(r, MHD_HTTP_OK);
}

int con_check_delete(struct con_req *r)
{
	svc_buf id;
	int rc;

	if (form_check_id(&id, r))
		return -1;
	rc = svc_ops_check_remove(srv_shared(r->c->srv)->store, r->c->who,
				  r->seg[1], id.ptr);
	buf_clear(&id);
	return rc ? con_lib_error(r, rc) : back_to_tab(r, "");
}
