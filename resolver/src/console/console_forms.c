/*
 * console_forms.c - the console's New service connection and Edit forms.
 *
 * One generic generator writes the form of any type and scheme of the
 * catalog, built-in or custom: a field per catalog field with its label,
 * help, whether it is required (always, or when another field has a
 * value) and an input fitting its validator.  The posted values are set
 * on a connection and checked by svc_conn_validate, the CLI's check, so
 * the errors are the CLI's texts, shown next to their fields.  "Verify
 * and save" runs svc_ops_verify_candidate (the verifier of `svcconn
 * create --verify`) first and stores nothing when the service refuses.
 *
 * A type's variants (the catalog's creation options: Kubernetes
 * "Service account", Docker Registry "ACR-ServicePrincipal", ...) are
 * offered before its schemes; a variant's form is its scheme's, the
 * fields it presets shown with their value instead of an input, and it
 * is posted as the scheme, as `svcconn create --scheme VARIANT`: the
 * presets apply in svc_conn_validate.
 *
 * Secret fields are write-only: their inputs are never filled, not even
 * with what was typed before an error (the user types it again), and an
 * Edit keeps a stored secret unless a new value is typed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/catalog.h"
#include "svcconn/conn.h"
#include "svcconn/ops.h"
#include "console/console_int.h"

/* Longest value of one field (a PEM bundle, a kubeconfig). */
#define VALUE_MAX ((size_t)64 << 10)

/* What a form page shows. */
struct form_view {
	const svc_type *t;        /**< the type */
	const svc_scheme *s;      /**< its scheme */
	const svc_variant *var;   /**< New: the variant chosen (its scheme
				       s), or NULL */
	const svc_conn *c;        /**< values to show (NULL: none yet) */
	const svc_diags *d;       /**< errors by field (NULL: none) */
	const char *error;        /**< an error of the whole form, or NULL */
	const char *conn_id;      /**< Edit: the connection's id; NULL: New */
};

/* The message of the first error of d about field key, or NULL. */
static const char *field_error(const svc_diags *d, const char *key)
{
	size_t i, n = d ? svc_diags_count(d) : 0;

	for (i = 0; i < n; i++) {
		const svc_diag *e = svc_diags_at(d, i);

		if (e->severity == SVC_SEV_ERROR && e->field &&
		    strcasecmp(e->field, key) == 0)
			return e->message;
	}
	return NULL;
}

/* The errors of d about no field of the form (or about the connection). */
static void other_errors(struct con_req *r, const struct form_view *v)
{
	size_t i, n = v->d ? svc_diags_count(v->d) : 0;

	for (i = 0; i < n; i++) {
		const svc_diag *e = svc_diags_at(v->d, i);

		if (e->severity != SVC_SEV_ERROR ||
		    (e->field && (svc_type_field(v->t, v->s, e->field) ||
				  !strcmp(e->field, "name") ||
				  !strcmp(e->field, "description"))))
			continue;
		html_printf(&r->h, "<p class=\"error\" role=\"alert\">%s%s%s</p>",
			    e->field ? e->field : "", e->field ? ": " : "",
			    e->message);
	}
}

/* The value c holds for non-secret field f ("" when none). */
static const char *shown_value(const svc_conn *c, const svc_field *f)
{
	svc_conn_field cf;

	if (!c || f->secret)
		return "";
	if (f->kind == SVC_FIELD_URL)
		return svc_conn_url(c) ? svc_conn_url(c) : "";
	if (svc_conn_field_get(c, f->key, &cf) || !cf.value)
		return "";
	return cf.value;
}

/*
 * The value variant var presets for field key into out (at most size
 * bytes); 1 when it presets one.
 */
static int preset_of(const svc_variant *var, const char *key, char *out,
		     size_t size)
{
	const char *p = var ? var->presets : NULL;
	size_t klen = strlen(key);

	while (p && *p) {
		size_t len = strcspn(p, ";");

		if (len > klen && p[klen] == '=' && strncasecmp(p, key, klen) == 0) {
			snprintf(out, size, "%.*s", (int)(len - klen - 1),
				 p + klen + 1);
			return 1;
		}
		p += len;
		p += *p == ';';
	}
	return 0;
}

/* 1 when a field's values span lines. */
static int multiline(const svc_field *f)
{
	return f->validator == SVC_VALID_PEM ||
	       f->validator == SVC_VALID_KUBECONFIG ||
	       f->validator == SVC_VALID_KNOWN_HOSTS;
}

/* The input of field f, its label, help and error. */
static void field_input(struct con_req *r, const struct form_view *v,
			const svc_field *f)
{
	const char *err = field_error(v->d, f->key);
	const char *val = shown_value(v->c, f);
	svc_conn_field cf;
	char preset[256];
	int stored = v->conn_id && f->secret && v->c &&
		     svc_conn_field_get(v->c, f->key, &cf) == 0 && cf.is_set;

	/* a variant's preset is its value: shown, never an input */
	if (preset_of(v->var, f->key, preset, sizeof(preset))) {
		html_printf(&r->h, "<div class=\"field preset\" id=\"p-%s\"><span class=\"label\">%s</span>"
			    "<p><code>%s</code></p><p class=\"help\">Set by %s.</p></div>",
			    f->key, f->label ? f->label : f->key, preset,
			    v->var->label ? v->var->label : v->var->id);
		return;
	}
	html_printf(&r->h, "<div class=\"field%s\"><label for=\"f-%s\">%s%s</label>",
		    err ? " invalid" : "", f->key, f->label ? f->label : f->key,
		    f->required ? " (required)" : "");
	if (f->validator == SVC_VALID_ENUM && f->validator_arg && !f->secret) {
		const char *p = f->validator_arg;

		html_printf(&r->h, "<select id=\"f-%s\" name=\"f.%s\" aria-describedby=\"h-%s\">",
			    f->key, f->key, f->key);
		if (!f->required)
			html_printf(&r->h, "<option value=\"\"></option>");
		while (*p) {
			size_t n = strcspn(p, "|");
			char opt[256];

			snprintf(opt, sizeof(opt), "%.*s", (int)n, p);
			html_printf(&r->h, "<option%s>%s</option>",
				    !strcmp(opt, *val ? val
					     : f->default_value ? f->default_value : "")
					    ? " selected" : "", opt);
			p += n;
			p += *p == '|';
		}
		html_printf(&r->h, "</select>");
	} else if (multiline(f)) {
		html_printf(&r->h, "<textarea id=\"f-%s\" name=\"f.%s\" rows=\"6\" "
			    "autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"h-%s\">%s</textarea>",
			    f->key, f->key, f->key, val);
	} else {
		html_printf(&r->h, "<input id=\"f-%s\" name=\"f.%s\" type=\"%s\" value=\"%s\" "
			    "autocomplete=\"%s\" aria-describedby=\"h-%s\" placeholder=\"%s\">",
			    f->key, f->key, f->secret ? "password" : "text", val,
			    f->secret ? "new-password" : "off", f->key,
			    stored ? "set - type a new value to replace it" : "");
	}
	html_printf(&r->h, "<p class=\"help\" id=\"h-%s\">%s", f->key,
		    f->help ? f->help : "");
	if (f->required_when) {
		size_t n = strcspn(f->required_when, "=");
		char other[128];

		snprintf(other, sizeof(other), "%.*s", (int)n, f->required_when);
		html_printf(&r->h, "; required when %s is %s", other,
			    f->required_when[n] ? f->required_when + n + 1 : "");
	}
	if (f->default_value)
		html_printf(&r->h, "; default %s", f->default_value);
	if (f->secret)
		html_printf(&r->h, ". %s", v->conn_id
			    ? (stored ? "Write-only: set; left empty it stays unchanged."
				      : "Write-only: not set.")
			    : "Write-only: never shown again, and typed again after an error.");
	html_printf(&r->h, "</p>");
	if (err)
		html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"e-%s\">%s</p>",
			    f->key, err);
	html_printf(&r->h, "</div>");
}

/* A text input of the connection itself (name, description). */
static void own_input(struct con_req *r, const struct form_view *v,
		      const char *key, const char *label, const char *value,
		      const char *help)
{
	const char *err = field_error(v->d, key);

	html_printf(&r->h, "<div class=\"field%s\"><label for=\"f-%s\">%s</label>"
		    "<input id=\"f-%s\" name=\"%s\" type=\"text\" value=\"%s\"%s>"
		    "<p class=\"help\">%s</p>",
		    err ? " invalid" : "", key, label, key, key,
		    value ? value : "", !strcmp(key, "name") ? " required" : "",
		    help);
	if (err)
		html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"e-%s\">%s</p>",
			    key, err);
	html_printf(&r->h, "</div>");
}

/* The form page of v with status. */
static int form_page(struct con_req *r, const struct form_view *v,
		     unsigned status)
{
	size_t i, n = svc_type_field_count(v->t, v->s);
	char title[400];

	html_reset_page(r);
	if (v->conn_id)
		snprintf(title, sizeof(title), "Edit %s", v->c ? svc_conn_name(v->c) : "");
	else
		snprintf(title, sizeof(title), "New %s service connection",
			 v->t->name ? v->t->name : v->t->id);
	con_page_begin(r, title, v->conn_id
		       ? "Change this connection's name, description and parameters. "
			 "Secret fields are write-only: they stay as stored unless you type a new value."
		       : "Give the parameters of the new connection, its name and "
			 "description. Verify and save checks it against the service first "
			 "and stores nothing when the service refuses it.");
	if (v->error)
		html_printf(&r->h, "<p class=\"error\" role=\"alert\" id=\"form-error\">%s</p>",
			    v->error);
	other_errors(r, v);
	if (v->conn_id)
		html_printf(&r->h, "<form method=\"post\" action=\"%s/connections/%s/edit\" class=\"card conn-form\">",
			    r->base, v->conn_id);
	else
		html_printf(&r->h, "<form method=\"post\" action=\"%s/connections/new\" class=\"card conn-form\">"
			    "<input type=\"hidden\" name=\"type\" value=\"%s\">"
			    "<input type=\"hidden\" name=\"scheme\" value=\"%s\">",
			    r->base, v->t->id, v->var ? v->var->id : v->s->id);
	con_csrf_field(r);
	html_printf(&r->h, "<p>Type <strong>%s</strong>, authentication <strong>%s</strong>",
		    v->t->name ? v->t->name : v->t->id,
		    v->s->label ? v->s->label : v->s->id);
	if (v->var)
		html_printf(&r->h, ", as <strong id=\"variant\">%s</strong>",
			    v->var->label ? v->var->label : v->var->id);
	if (!v->conn_id)
		html_printf(&r->h, " (<a href=\"%s/connections/new\">change</a>)",
			    r->base);
	html_printf(&r->h, "</p><fieldset><legend>Parameters</legend>");
	for (i = 0; i < n; i++)
		field_input(r, v, svc_type_field_at(v->t, v->s, i));
	html_printf(&r->h, "</fieldset><fieldset><legend>Details</legend>");
	/* a New's name refused is not shown (the connection holds none) */
	own_input(r, v, "name", "Service connection name",
		  v->c && !field_error(v->d, "name") ? svc_conn_name(v->c) : "",
		  "How pipelines and people refer to it.");
	own_input(r, v, "description", "Description",
		  v->c ? svc_conn_description(v->c) : "", "Optional.");
	html_printf(&r->h, "<div class=\"field check\"><input id=\"f-all\" name=\"all\" "
		    "type=\"checkbox\" value=\"1\"%s><label for=\"f-all\">Grant access "
		    "permission to all pipelines</label></div></fieldset>"
		    "<p class=\"actions\"><button type=\"submit\" name=\"action\" value=\"verify\">"
		    "Verify and save</button> <button type=\"submit\" name=\"action\" "
		    "value=\"save\">Save</button> <a href=\"%s/connections%s%s\">Cancel</a></p></form>",
		    v->c && svc_conn_all_pipelines(v->c) ? " checked" : "", r->base,
		    v->conn_id ? "/" : "", v->conn_id ? v->conn_id : "");
	return con_page_send(r, status);
}

/* A link to base/connections/new?type=T[&scheme=S] with text. */
static void new_link(struct con_req *r, const char *type, const char *scheme,
		     const char *text, const char *help)
{
	svc_buf q = SVC_BUF_INIT;

	buf_puts(&q, "?type=");
	html_url_segment(&q, type);
	if (scheme) {
		buf_puts(&q, "&scheme=");
		html_url_segment(&q, scheme);
	}
	html_printf(&r->h, "<tr><td><a href=\"%s/connections/new%s\">%s</a></td><td>%s</td></tr>",
		    r->base, q.ptr ? q.ptr : "", text, help ? help : "");
	buf_clear(&q);
}

int con_new_form(struct con_req *r)
{
	const svc_catalog *cat = srv_shared(r->c->srv)->catalog;
	const char *tq = srv_query(r->c, "type"), *sq = srv_query(r->c, "scheme");
	const svc_type *t = tq ? svc_catalog_find(cat, tq) : NULL;
	const svc_scheme *s = t && sq ? svc_type_scheme(t, sq) : NULL;
	/* a variant is accepted wherever a scheme is, as by the CLI */
	const svc_variant *var = t && sq && !s ? svc_type_variant(t, sq) : NULL;
	struct form_view v;
	size_t i, n;

	if (var)
		s = svc_type_scheme(t, var->scheme);
	if (t && !s && !sq && t->nschemes == 1 && !t->nvariants)
		s = &t->schemes[0];
	if (t && s) {
		memset(&v, 0, sizeof(v));
		v.t = t;
		v.s = s;
		v.var = var;
		return form_page(r, &v, MHD_HTTP_OK);
	}
	if (!t) {
		con_page_begin(r, "New service connection",
			       "Choose the type of the new connection: the service it "
			       "gives pipelines access to.");
		html_printf(&r->h, "<div class=\"scroll\"><table><caption>Types</caption><thead><tr>"
			    "<th scope=\"col\">Type</th><th scope=\"col\">What it is</th>"
			    "</tr></thead><tbody>");
		n = svc_catalog_count(cat);
		for (i = 0; i < n; i++) {
			const svc_type *ti = svc_catalog_at(cat, i);

			new_link(r, ti->id, NULL, ti->name ? ti->name : ti->id,
				 ti->description);
		}
	} else {
		char title[300];

		snprintf(title, sizeof(title), "New %s service connection",
			 t->name ? t->name : t->id);
		con_page_begin(r, title, "Choose how the connection authenticates to the service.");
		if (t->nvariants) {
			/* the catalog's creation options, each a scheme
			 * with values preset */
			html_printf(&r->h, "<div class=\"scroll\"><table id=\"variants\"><caption>"
				    "Kinds of %s connection</caption><thead><tr><th scope=\"col\">Kind</th>"
				    "<th scope=\"col\">Authentication and what it sets</th></tr></thead><tbody>",
				    t->name ? t->name : t->id);
			for (i = 0; i < t->nvariants; i++) {
				const svc_variant *vi = &t->variants[i];
				const svc_scheme *si = svc_type_scheme(t, vi->scheme);
				char what[512];

				snprintf(what, sizeof(what), "%s: %s",
					 si && si->label ? si->label : vi->scheme,
					 vi->presets ? vi->presets : "");
				new_link(r, t->id, vi->id,
					 vi->label ? vi->label : vi->id, what);
			}
			html_printf(&r->h, "</tbody></table></div>");
		}
		html_printf(&r->h, "<div class=\"scroll\"><table><caption>Authentication schemes</caption>"
			    "<thead><tr><th scope=\"col\">Scheme</th><th scope=\"col\">Id</th>"
			    "</tr></thead><tbody>");
		for (i = 0; i < t->nschemes; i++)
			new_link(r, t->id, t->schemes[i].id,
				 t->schemes[i].label ? t->schemes[i].label
						     : t->schemes[i].id,
				 t->schemes[i].id);
	}
	html_printf(&r->h, "</tbody></table></div>");
	return con_page_send(r, MHD_HTTP_OK);
}

/* Form field name into out (a secret buffer); "" when absent. */
static int form_value(svc_buf *out, struct con_req *r, const char *name)
{
	if (con_form_get(out, r->c, name, VALUE_MAX) == 0)
		return 0;
	buf_reset(out);
	return buf_puts(out, "");
}

/*
 * The posted name, description, pipelines and fields of t and s onto c;
 * the problems into d (field "name" for the name).  An empty field is
 * left unset: in an Edit a secret keeps its stored value.
 */
static int apply_form(struct con_req *r, svc_conn *c, const svc_type *t,
		      const svc_scheme *s, svc_diags *d)
{
	svc_buf v;
	size_t i, n = svc_type_field_count(t, s);
	int rc = 0;

	buf_init(&v, VALUE_MAX + 1, 1);
	if (form_value(&v, r, "name") == 0 && v.len &&
	    svc_conn_set_name(c, v.ptr))
		svc_diags_add(d, NULL, 0, 0, SVC_SEV_ERROR, "name", "%s",
			      svc_error_last());
	else if (!v.len)
		svc_diags_add(d, NULL, 0, 0, SVC_SEV_ERROR, "name",
			      "a name is required");
	if (form_value(&v, r, "description") == 0 &&
	    svc_conn_set_description(c, v.ptr))
		svc_diags_add(d, NULL, 0, 0, SVC_SEV_ERROR, "description",
			      "%s", svc_error_last());
	svc_conn_set_all_pipelines(c, form_value(&v, r, "all") == 0 &&
					      !strcmp(v.ptr, "1"));
	for (i = 0; i < n && rc == 0; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);
		char name[160];

		snprintf(name, sizeof(name), "f.%s", f->key);
		if ((rc = form_value(&v, r, name)) != 0 || !v.len)
			continue;
		rc = f->kind == SVC_FIELD_URL ? svc_conn_set_url(c, v.ptr)
					      : svc_conn_set_field(c, f->key, v.ptr,
								   v.len);
	}
	buf_clear(&v);
	return rc;
}

/* The verifier's verdict on c, into *msg ("" when accepted). */
static int verify_first(struct con_req *r, const svc_conn *c, char *msg,
			size_t size, char *ok, size_t oksize)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	svc_verify_result res;
	int rc;

	msg[0] = ok[0] = '\0';
	if ((rc = svc_ops_verify_candidate(&res, sh->store, r->c->who, c,
					   sh->catalog)))
		return rc;
	if (res.outcome == SVC_VERIFY_OK || res.outcome == SVC_VERIFY_LOCAL)
		snprintf(ok, oksize, "verification %s: %s",
			 svc_verify_outcome_name(res.outcome),
			 res.message ? res.message : "");
	else
		snprintf(msg, size, "verification failed (%s): %s; nothing stored",
			 svc_verify_outcome_name(res.outcome),
			 res.message ? res.message : "");
	svc_verify_result_clear(&res);
	return 0;
}

/* The page saying c was saved, and what the verifier said. */
static int saved_page(struct con_req *r, const svc_conn *c, const char *ok)
{
	char title[400];

	snprintf(title, sizeof(title), "Saved %s", svc_conn_name(c));
	html_reset_page(r);
	con_page_begin(r, title, "The service connection was verified and saved.");
	html_printf(&r->h, "<p class=\"notice\" role=\"status\" id=\"verify-result\">%s</p>"
		    "<p><a href=\"%s/connections/%s\">Open %s</a></p>",
		    ok, r->base, svc_conn_id(c), svc_conn_name(c));
	return con_page_send(r, MHD_HTTP_OK);
}

/*
 * The rest of a New or an Edit: the form onto c, checked as the CLI
 * checks, verified when asked, its certificates checked, stored by op;
 * else the form again with the errors.
 */
static int save_form(struct con_req *r, svc_conn *c, struct form_view *v,
		     int (*op)(svc_store *st, const svc_principal *p, svc_conn *c))
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	char msg[1024], ok[1024];
	svc_diags *d = NULL;
	svc_buf act;
	unsigned status = MHD_HTTP_BAD_REQUEST;
	int rc;

	buf_init(&act, 16, 0);
	if ((rc = svc_diags_new(&d)) ||
	    (rc = svc_conn_set_scheme(c, v->var ? v->var->id : v->s->id)) ||
	    (rc = apply_form(r, c, v->t, v->s, d))) {
		rc = con_lib_error(r, rc);
		goto done;
	}
	v->c = c;
	v->d = d;
	msg[0] = ok[0] = '\0';
	if (svc_diags_errors(d) || svc_conn_validate(c, sh->catalog, d))
		goto again;
	if (form_value(&act, r, "action") == 0 && !strcmp(act.ptr, "verify")) {
		if ((rc = verify_first(r, c, msg, sizeof(msg), ok, sizeof(ok)))) {
			status = con_lib_message(r, rc, msg, sizeof(msg));
			goto again;
		}
		if (msg[0]) {
			status = MHD_HTTP_UNPROCESSABLE_CONTENT;
			goto again;
		}
	}
	if (srv_certs_refused(r->c, c) || (rc = op(sh->store, r->c->who, c))) {
		status = rc ? con_lib_message(r, rc, msg, sizeof(msg))
			    : r->c->status;
		if (!rc) {
			json_t *m = json_object_get(r->c->out, "message");

			snprintf(msg, sizeof(msg), "%s", json_is_string(m)
				 ? json_string_value(m) : "a certificate is not valid");
		}
		goto again;
	}
	if (ok[0]) {
		rc = saved_page(r, c, ok);
	} else {
		snprintf(msg, sizeof(msg), "/connections/%s", svc_conn_id(c));
		rc = con_redirect(r, msg);
	}
	goto done;
again:
	v->error = msg[0] ? msg : NULL;
	rc = form_page(r, v, status);
done:
	buf_clear(&act);
	svc_diags_free(d);
	return rc;
}

int con_new(struct con_req *r)
{
	const svc_catalog *cat = srv_shared(r->c->srv)->catalog;
	svc_buf type, scheme;
	struct form_view v;
	svc_conn *c = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	buf_init(&type, 256, 0);
	buf_init(&scheme, 256, 0);
	if (form_value(&type, r, "type") || form_value(&scheme, r, "scheme") ||
	    !(v.t = svc_catalog_find(cat, type.ptr)) ||
	    (!(v.s = svc_type_scheme(v.t, scheme.ptr)) &&
	     (!(v.var = svc_type_variant(v.t, scheme.ptr)) ||
	      !(v.s = svc_type_scheme(v.t, v.var->scheme))))) {
		html_reset_page(r);
		con_page_begin(r, "New service connection", "The form was not complete.");
		html_printf(&r->h, "<p class=\"error\" role=\"alert\">no type '%s' with scheme '%s'</p>",
			    type.ptr ? type.ptr : "", scheme.ptr ? scheme.ptr : "");
		rc = con_page_send(r, MHD_HTTP_BAD_REQUEST);
	} else if ((rc = svc_conn_new(&c, v.t->id, "new")) != 0) {
		rc = con_lib_error(r, rc);
	} else {
		rc = save_form(r, c, &v, svc_ops_conn_create);
	}
	svc_conn_free(c);
	buf_clear(&type);
	buf_clear(&scheme);
	return rc;
}

/* Connection r->seg[1] loaded to edit (no secrets), its type and scheme. */
static int edit_load(svc_conn **out, struct form_view *v, struct con_req *r)
{
	const struct srv_shared *sh = srv_shared(r->c->srv);
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = svc_ops_conn_edit(out, sh->store, r->c->who, r->seg[1]))) {
		con_lib_error(r, rc);
		return -1;
	}
	v->t = svc_catalog_find(sh->catalog, svc_conn_type(*out));
	v->s = v->t && svc_conn_scheme(*out)
		       ? svc_type_scheme(v->t, svc_conn_scheme(*out)) : NULL;
	if (!v->s) {
		con_page_begin(r, "Not editable", "The console could not do what was asked.");
		html_printf(&r->h, "<p class=\"error\" role=\"alert\">connection '%s' has a type "
			    "or scheme the catalog does not know ('%s')</p>",
			    svc_conn_name(*out), svc_conn_type(*out));
		con_page_send(r, MHD_HTTP_CONFLICT);
		svc_conn_free(*out);
		*out = NULL;
		return -1;
	}
	v->c = *out;
	v->conn_id = svc_conn_id(*out);
	return 0;
}

int con_edit_form(struct con_req *r)
{
	struct form_view v;
	svc_conn *c = NULL;
	int rc;

	if (edit_load(&c, &v, r))
		return -1;
	rc = form_page(r, &v, MHD_HTTP_OK);
	svc_conn_free(c);
	return rc;
}

int con_edit(struct con_req *r)
{
	struct form_view v;
	svc_conn *c = NULL;
	int rc;

	if (edit_load(&c, &v, r))
		return -1;
	/* the form gives every non-secret value again; a secret not typed
	 * keeps its stored value */
	srv_conn_drop_fields(c, 1);
	rc = save_form(r, c, &v, svc_ops_conn_update);
	svc_conn_free(c);
	return rc;
}
