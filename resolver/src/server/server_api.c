/*
 * server_api.c - the resources svcconn-server serves, shaped as Azure
 * DevOps' REST API (serviceendpoint 7.1): who am I, the connection types,
 * and the service endpoints of the served project; plus the OpenAPI
 * document that describes them (docs/openapi.json, built in).
 *
 * Every route acts through the authority layer (svcconn/ops.h) as the
 * request's principal, as the CLI does: no role check of its own.
 * Handlers turn JSON into connections and back; secret parameters are write-only: a
 * response shows them as null, whatever was stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "svcconn/catalog.h"
#include "svcconn/conn.h"
#include "svcconn/store.h"
#include "catalog/catalog_int.h"
#include "errors_int.h"
#include "server/server_int.h"
#include "util/buf.h"

/* The OpenAPI document, generated from docs/openapi.json at build time. */
extern const char srv_openapi_json[];

/* ---- JSON of a connection ------------------------------------------------ */

json_t *srv_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* An IdentityRef as Azure DevOps writes one, for a principal's name. */
json_t *srv_identity_ref(const char *name)
{
	return name ? json_pack("{s:s, s:s, s:s}", "displayName", name,
				"uniqueName", name, "id", name)
		    : json_null();
}

json_t *srv_endpoint_json(const struct srv_shared *sh, const svc_conn *c,
			  int secrets)
{
	const svc_type *t = svc_catalog_find(sh->catalog, svc_conn_type(c));
	const svc_scheme *sc = t ? svc_type_scheme(t, svc_conn_scheme(c)) : NULL;
	json_t *params = json_object(), *data = json_object(), *o;
	json_t *set = json_array(), *refs;
	size_t i, n = svc_conn_field_count(c);
	svc_conn_field f;

	for (i = 0; i < n; i++) {
		if (svc_conn_field_at(c, i, &f) || f.kind == SVC_FIELD_URL)
			continue;
		if (f.secret)
			json_array_append_new(set, json_string(f.key));
		json_object_set_new(f.kind == SVC_FIELD_DATA ? data : params,
				    f.key,
				    (f.secret && !secrets) || !f.value
					    ? json_null()
					    : json_stringn(f.value, f.len));
	}
	/* a secret parameter of the scheme that is not set is null too */
	n = t ? svc_type_field_count(t, sc) : 0;
	for (i = 0; i < n; i++) {
		const svc_field *d = svc_type_field_at(t, sc, i);

		if (d->secret && d->kind == SVC_FIELD_AUTH &&
		    !json_object_get(params, d->key))
			json_object_set_new(params, d->key, json_null());
	}
	refs = srv_project_refs(sh, c);
	o = json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:o, s:o}, s:b, "
		      "s:b, s:s, s:o}",
		      "data", data, "id", svc_conn_id(c), "name", svc_conn_name(c),
		      "type", svc_conn_type(c), "url", srv_str_or_null(svc_conn_url(c)),
		      "createdBy", srv_identity_ref(svc_conn_created_by(c)),
		      "description", srv_str_or_null(svc_conn_description(c)),
		      "authorization", "parameters", params, "scheme",
		      srv_str_or_null(svc_conn_scheme(c)), "isShared",
		      json_array_size(refs) > 1, "isReady", 1, "owner",
		      "Library", "serviceEndpointProjectReferences",
		      refs ? refs : json_array());
	/* svcconn's own members: what `svcconn show` prints, no secret */
	json_object_set_new(o, "createdAt", srv_str_or_null(svc_conn_created_at(c)));
	json_object_set_new(o, "updatedBy",
			    srv_identity_ref(svc_conn_updated_by(c)));
	json_object_set_new(o, "updatedAt", srv_str_or_null(svc_conn_updated_at(c)));
	json_object_set_new(o, "allPipelines",
			    json_boolean(svc_conn_all_pipelines(c)));
	json_object_set_new(o, "setSecrets", set);
	return o;
}

/* ---- request bodies -------------------------------------------------------- */

/* The JSON object of c's body, or NULL with c answered (400). */
json_t *srv_body_object(struct srv_call *c)
{
	json_error_t err;
	json_t *v;

	v = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!v) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "the body of '%s' is not valid JSON: %s (line %d, column %d)",
			  c->request, err.text, err.line, err.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "the body of '%s' must be a JSON object (a ServiceEndpoint)",
			  c->request);
		return NULL;
	}
	return v;
}

/*
 * Member key of o as a string into *out (NULL when absent or null);
 * -1 with c answered when it is something else.
 */
static int member_str(const char **out, struct srv_call *c, json_t *o,
		      const char *key, const char *field)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': field '%s' must be a string", c->request,
			  field);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/*
 * Set the members of object key of o ("data" or "parameters") on conn;
 * null values are skipped (a secret kept as stored).
 */
static int apply_object(struct srv_call *c, svc_conn *conn, json_t *o,
			const char *field)
{
	const char *k;
	json_t *v;
	int rc;

	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field '%s' must be an object",
				 c->request, field);
	json_object_foreach(o, k, v) {
		if (json_is_null(v))
			continue;
		if (!json_is_string(v))
			return srv_error(c, MHD_HTTP_BAD_REQUEST,
					 "ArgumentException",
					 "'%s': field '%s.%s' must be a string",
					 c->request, field, k);
		if ((rc = svc_conn_set_field(conn, k, json_string_value(v),
					     json_string_length(v))))
			return srv_lib_error(c, rc);
	}
	return 0;
}

/* The fields of body common to create and update, onto conn. */
static int apply_body(struct srv_call *c, svc_conn *conn, json_t *body)
{
	json_t *auth = json_object_get(body, "authorization"), *all;
	const char *url, *desc, *scheme = NULL;
	int rc;

	if (member_str(&url, c, body, "url", "url") ||
	    member_str(&desc, c, body, "description", "description"))
		return -1;
	if (auth && !json_is_null(auth) && !json_is_object(auth))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'authorization' must be an object",
				 c->request);
	if (auth && member_str(&scheme, c, auth, "scheme",
			       "authorization.scheme"))
		return -1;
	if ((url && (rc = svc_conn_set_url(conn, url))) ||
	    (desc && (rc = svc_conn_set_description(conn, desc))) ||
	    (scheme && (rc = svc_conn_set_scheme(conn, scheme))))
		return srv_lib_error(c, rc);
	/* svcconn's own member, as `create/edit --grant-all-pipelines`: the
	 * ops layer decides who may open a connection */
	all = json_object_get(body, "allPipelines");
	if (all && !json_is_null(all) && !json_is_boolean(all))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'allPipelines' must be a boolean",
				 c->request);
	if (json_is_boolean(all))
		svc_conn_set_all_pipelines(conn, json_is_true(all));
	if (apply_object(c, conn, json_object_get(body, "data"), "data") ||
	    apply_object(c, conn, auth ? json_object_get(auth, "parameters")
				       : NULL,
			 "authorization.parameters"))
		return -1;
	return 0;
}

/* Validate conn; a 400 naming every field at fault when it fails. */
static int validate(struct srv_call *c, svc_conn *conn)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_buf msg = SVC_BUF_INIT;
	svc_diags *d = NULL;
	size_t i, n, shown = 0;
	int rc;

	if ((rc = svc_diags_new(&d)))
		return srv_lib_error(c, rc);
	rc = svc_conn_validate(conn, sh->catalog, d);
	if (rc == 0) {
		svc_diags_free(d);
		return 0;
	}
	buf_init(&msg, 700, 0);
	buf_printf(&msg, "'%s': the connection is not valid", c->request);
	n = svc_diags_count(d);
	for (i = 0; i < n; i++) {
		const svc_diag *e = svc_diags_at(d, i);

		if (e->severity != SVC_SEV_ERROR)
			continue;
		/* every field at fault, as far as the message's room goes */
		if (buf_printf(&msg, "%s field '%s': %s", shown++ ? ";" : ":",
			       e->field ? e->field : "(connection)",
			       e->message) != 0)
			break;
	}
	srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException", "%s",
		  msg.ptr ? msg.ptr : "invalid connection");
	buf_clear(&msg);
	svc_diags_free(d);
	return -1;
}

/*
 * The rest of a create or an update: body onto conn, validated, stored by
 * op, answered with the connection as stored.
 */
static int save(struct srv_call *c, svc_conn *conn, json_t *body,
		int (*op)(svc_store *st, const svc_principal *p, svc_conn *conn))
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_t *verified = NULL, *ep;
	int rc;

	if ((body && (apply_body(c, conn, body) || validate(c, conn))) ||
	    srv_certs_refused(c, conn) ||
	    srv_verify_first(c, conn, &verified))
		return -1;
	if ((rc = op(sh->store, c->who, conn))) {
		json_decref(verified);
		return srv_lib_error(c, rc);
	}
	ep = srv_endpoint_json(sh, conn, 0);
	if (ep && verified)
		json_object_set_new(ep, "verification", verified);
	else
		json_decref(verified);
	return srv_reply(c, MHD_HTTP_OK, ep);
}

int srv_conn_from_body(struct srv_call *c, svc_conn **out, json_t *body)
{
	const char *name, *type;
	int rc;

	*out = NULL;
	if (member_str(&name, c, body, "name", "name") ||
	    member_str(&type, c, body, "type", "type"))
		return -1;
	if (!name || !type)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field '%s' is required", c->request,
				 name ? "type" : "name");
	if ((rc = svc_conn_new(out, type, name)))
		return srv_lib_error(c, rc);
	if (apply_body(c, *out, body) || validate(c, *out)) {
		svc_conn_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ---- handlers ------------------------------------------------------------- */

static int api_connection_data(struct srv_call *c)
{
	json_t *user = json_pack("{s:s, s:s, s:s, s:b, s:{s:{s:s, s:s}}}",
				 "id", c->actor, "descriptor", c->actor,
				 "providerDisplayName", c->actor, "isActive", 1,
				 "properties", "Account", "$type",
				 "System.String", "$value", c->actor);
	json_t *scopes = json_array();
	const char *p = c->scopes;

	while (p && *p) {
		size_t n = strcspn(p, " ");

		json_array_append_new(scopes, json_stringn(p, n));
		p += n;
		p += *p == ' ';
	}
	if (!c->scopes)
		json_array_append_new(scopes, json_string("full"));
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:O, s:o, s:{s:s, s:o, s:o}}",
				   "authenticatedUser", user,
				   "authorizedUser", user,
				   "authentication", "method", c->auth_method,
				   "tokenId", srv_str_or_null(c->token_id),
				   "scopes", scopes));
}

static int api_openapi(struct srv_call *c)
{
	json_error_t err;

	return srv_reply(c, MHD_HTTP_OK, json_loads(srv_openapi_json, 0, &err));
}

int api_health(struct srv_call *c)
{
	int rc = svc_store_ping(srv_shared(c->srv)->store);
	char line[768];

	if (rc == 0)
		return srv_reply(c, MHD_HTTP_OK,
				 json_pack("{s:s}", "database", "ok"));
	/* what failed is for the log: the answer names nothing of it */
	snprintf(line, sizeof(line), "%s: %s", c->request, svc_error_last());
	srv_log_line(c->srv, SVC_SERVER_LOG_ERROR, line);
	srv_retry_after(c, SRV_UNAVAIL_RETRY_S);
	return srv_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			 json_pack("{s:s}", "database", "unavailable"));
}

/*
 * The types as Azure DevOps' ServiceEndpointType, every one or those
 * ?type= names (an alias or any case, as the CLI finds one; none: an
 * empty list, as Azure answers).
 */
static int api_types(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *want = srv_query(c, "type");
	const svc_type *one = want ? svc_catalog_find(sh->catalog, want) : NULL;
	json_t *value = json_array();
	size_t i, n = svc_catalog_count(sh->catalog);

	for (i = 0; i < n; i++) {
		const svc_type *t = svc_catalog_at(sh->catalog, i);

		if (!want || t == one)
			json_array_append_new(value, catalog_type_json(t));
	}
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count",
				   (json_int_t)json_array_size(value), "value",
				   value));
}

/* 1 when name is one of the comma-separated names (case-insensitive). */
static int name_listed(const char *names, const char *name)
{
	const char *p = names;
	size_t n = strlen(name);

	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len;
		p += *p == ',';
	}
	return 0;
}

static int api_endpoints_list(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *names = srv_query(c, "endpointNames");
	svc_conn **list = NULL;
	size_t n = 0, i;
	json_t *value;
	int rc;

	if ((rc = svc_ops_conn_list(&list, &n, sh->store, c->who)))
		return srv_lib_error(c, rc);
	value = json_array();
	for (i = 0; i < n; i++)
		if (!names || name_listed(names, svc_conn_name(list[i])))
			json_array_append_new(value, srv_endpoint_json(sh, list[i], 0));
	svc_store_conn_list_free(list, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count",
				   (json_int_t)json_array_size(value), "value",
				   value));
}

static int api_endpoint_get(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_conn *conn = NULL;
	int rc;

	if ((rc = svc_ops_conn_get(&conn, sh->store, c->who, c->arg, 0)))
		return srv_lib_error(c, rc);
	rc = srv_reply(c, MHD_HTTP_OK, srv_endpoint_json(sh, conn, 0));
	svc_conn_free(conn);
	return rc;
}

static int api_endpoint_create(struct srv_call *c)
{
	svc_conn *conn = NULL;
	json_t *body;

	if (!(body = srv_body_object(c)))
		return 0;
	if (srv_conn_from_body(c, &conn, body) == 0)
		save(c, conn, NULL, svc_ops_conn_create);
	svc_conn_free(conn);
	json_decref(body);
	return 0;
}

void srv_conn_drop_fields(svc_conn *conn, int keep_secrets)
{
	size_t i;
	svc_conn_field f;

	for (i = svc_conn_field_count(conn); i > 0; i--) {
		char *key;

		if (svc_conn_field_at(conn, i - 1, &f) ||
		    (keep_secrets && f.secret) || f.kind == SVC_FIELD_URL)
			continue;
		if ((key = strdup(f.key)) != NULL)
			svc_conn_unset_field(conn, key);
		free(key);
	}
}

static int api_endpoint_update(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *name, *type, *scheme = NULL;
	svc_conn *conn = NULL;
	json_t *body, *auth, *unset, *v;
	size_t i;
	int rc;

	if (!(body = srv_body_object(c)))
		return 0;
	auth = json_object_get(body, "authorization");
	if (member_str(&name, c, body, "name", "name") ||
	    member_str(&type, c, body, "type", "type") ||
	    (json_is_object(auth) &&
	     member_str(&scheme, c, auth, "scheme", "authorization.scheme")))
		goto done;
	if ((rc = svc_ops_conn_edit(&conn, sh->store, c->who, c->arg))) {
		srv_lib_error(c, rc);
		goto done;
	}
	if (type && strcasecmp(type, svc_conn_type(conn)) != 0) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': field 'type' cannot change ('%s' to '%s')",
			  c->request, svc_conn_type(conn), type);
		goto done;
	}
	srv_conn_drop_fields(conn, !scheme || !svc_conn_scheme(conn) ||
				  strcasecmp(scheme, svc_conn_scheme(conn)) == 0);
	/* svcconn's own "unset": the fields removed (a secret left out is
	 * kept, so edit --unset names it) */
	unset = json_object_get(body, "unset");
	if (unset && !json_is_array(unset)) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': field 'unset' must be an array of field names",
			  c->request);
		goto done;
	}
	json_array_foreach(unset, i, v) {
		if (!json_is_string(v)) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': field 'unset' must be an array of field names",
				  c->request);
			goto done;
		}
		/* a field not set is gone already (the client checked) */
		svc_conn_unset_field(conn, json_string_value(v));
	}
	if (name && (rc = svc_conn_set_name(conn, name))) {
		srv_lib_error(c, rc);
		goto done;
	}
	save(c, conn, body, svc_ops_conn_update);
done:
	svc_conn_free(conn);
	json_decref(body);
	return 0;
}

static int api_endpoint_delete(struct srv_call *c)
{
	int rc = svc_ops_conn_delete(srv_shared(c->srv)->store, c->who, c->arg);

	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}

#define EP "_apis/serviceendpoint/endpoints"
#define CHECKS "_apis/pipelines/checks/configurations"

const struct srv_route srv_routes[] = {
	{ "GET", SRV_GLOBAL, "_apis/connectionData", NULL, 0,
	  api_connection_data },
	{ "GET", SRV_GLOBAL, "_apis/openapi.json", NULL, 1, api_openapi },
	{ "GET", SRV_GLOBAL, "_apis/svcconn/health", NULL, 1, api_health },
	{ "GET", SRV_GLOBAL, "_apis/serviceendpoint/types", "endpoints:read", 0,
	  api_types },
	{ "GET", SRV_PROJECT, EP, "endpoints:read", 0, api_endpoints_list },
	{ "POST", SRV_PROJECT, EP, "endpoints:manage", 0, api_endpoint_create },
	{ "GET", SRV_PROJECT, EP "/*", "endpoints:read", 0, api_endpoint_get },
	{ "PUT", SRV_PROJECT, EP "/*", "endpoints:manage", 0,
	  api_endpoint_update },
	{ "DELETE", SRV_PROJECT, EP "/*", "endpoints:manage", 0,
	  api_endpoint_delete },
	{ "GET", SRV_PROJECT, "_apis/pipelines", "endpoints:read", 0,
	  api_pipelines_list },
	{ "POST", SRV_PROJECT, "_apis/pipelines", "endpoints:manage", 0,
	  api_pipelines_create },
	{ "DELETE", SRV_PROJECT, "_apis/pipelines/*", "endpoints:manage", 0,
	  api_pipelines_delete },
	{ "GET", SRV_GLOBAL, SVC_OIDC_DISCOVERY_PATH + 1, NULL, 1,
	  api_oidc_discovery },
	{ "GET", SRV_GLOBAL, SVC_OIDC_JWKS_PATH + 1, NULL, 1, api_oidc_jwks },
	{ "POST", SRV_GLOBAL, "_apis/svcconn/agents", NULL, SRV_SELF_AUTH,
	  api_agent_register },
	{ "POST", SRV_PROJECT, "_apis/svcconn/jobs", "agent", 0, api_job_start },
	{ "POST", SRV_PROJECT, "_apis/svcconn/jobs/*/renew", "agent", 0,
	  api_job_renew },
	{ "POST", SRV_PROJECT, "_apis/svcconn/jobs/*/complete", NULL, 0,
	  api_job_complete },
	{ "GET", SRV_PROJECT, "_apis/svcconn/jobs/*/endpoints", "job", 0,
	  api_job_endpoints },
	{ "OPTIONS", SRV_GLOBAL, "_apis/distributedtask", NULL, 1,
	  api_oidc_locations },
	{ "POST", SRV_PROJECT,
	  "_apis/distributedtask/hubs/build/plans/*/jobs/*/oidctoken", "job", 0,
	  api_oidc_job_token },
	{ "PATCH", SRV_PROJECT, EP "/*", "endpoints:manage", 0,
	  api_endpoint_rename },
	{ "GET", SRV_PROJECT, "_apis/serviceendpoint/certificateexpiry",
	  "endpoints:read", 0, api_cert_expiry },
	{ "GET", SRV_GLOBAL, "_apis/audit/auditlog", "endpoints:read", 0,
	  api_audit_log },
	{ "GET", SRV_PROJECT, "_apis/pipelines/pipelinePermissions/endpoint/*",
	  "endpoints:read", 0, api_pipeline_permissions_get },
	{ "PATCH", SRV_PROJECT, "_apis/pipelines/pipelinePermissions/endpoint/*",
	  "endpoints:manage", 0, api_pipeline_permissions_update },
	{ "GET", SRV_PROJECT, "_apis/pipelines/approvals", "approvals", 0,
	  api_approvals_list },
	{ "GET", SRV_PROJECT, "_apis/pipelines/approvals/*", "approvals", 0,
	  api_approval_get },
	{ "PATCH", SRV_PROJECT, "_apis/pipelines/approvals", "approvals", 0,
	  api_approvals_update },
	{ "POST", SRV_PROJECT, "_apis/svcconn/checkruns/*/bypass", "approvals",
	  0, api_check_run_bypass },
	{ "GET", SRV_GLOBAL, "_apis/projects", "endpoints:read", 0,
	  api_projects_list },
	{ "PATCH", SRV_GLOBAL, EP "/*", "endpoints:manage", 0,
	  api_endpoint_share },
	{ "DELETE", SRV_GLOBAL, EP "/*", "endpoints:manage", 0,
	  api_endpoint_unshare },
	{ "GET", SRV_PROJECT, "_apis/serviceendpoint/*/executionhistory",
	  "endpoints:read", 0, api_execution_history },
	{ "GET", SRV_PROJECT, "_apis/svcconn/permissionrequests",
	  "endpoints:read", 0, api_requests_list },
	{ "POST", SRV_PROJECT, "_apis/svcconn/permissionrequests/*/permit",
	  "endpoints:manage", 0, api_request_permit },
	{ "GET", SRV_PROJECT, CHECKS, "endpoints:read", 0, api_checks_list },
	{ "POST", SRV_PROJECT, CHECKS, "endpoints:manage", 0, api_check_add },
	{ "DELETE", SRV_PROJECT, CHECKS "/*", "endpoints:manage", 0,
	  api_check_remove },
	{ "PATCH", SRV_PROJECT, CHECKS "/*", "endpoints:manage", 0,
	  api_check_update },
	{ "GET", SRV_PROJECT, "_apis/svcconn/security", "endpoints:read", 0,
	  api_security_get },
	{ "GET", SRV_PROJECT, "_apis/svcconn/security/*", "endpoints:read", 0,
	  api_security_get },
	{ "PATCH", SRV_PROJECT, "_apis/svcconn/security", "full", 0,
	  api_security_update },
	{ "PATCH", SRV_PROJECT, "_apis/svcconn/security/*", "full", 0,
	  api_security_update },
	{ "GET", SRV_PROJECT, "_apis/svcconn/groups", "endpoints:read", 0,
	  api_groups_get },
	{ "GET", SRV_PROJECT, "_apis/svcconn/groups/*", "endpoints:read", 0,
	  api_groups_get },
	{ "PUT", SRV_PROJECT, "_apis/svcconn/groups/*", "full", 0,
	  api_group_create },
	{ "DELETE", SRV_PROJECT, "_apis/svcconn/groups/*", "full", 0,
	  api_group_delete },
	{ "PATCH", SRV_PROJECT, "_apis/svcconn/groups/*", "full", 0,
	  api_group_update },
	{ "GET", SRV_GLOBAL, "_apis/tokens/pats", "full", 0, api_tokens_list },
	{ "POST", SRV_GLOBAL, "_apis/tokens/pats", "full", 0, api_token_create },
	{ "DELETE", SRV_GLOBAL, "_apis/tokens/pats", "full", 0,
	  api_token_revoke },
	{ "GET", SRV_GLOBAL, "_apis/svcconn/oidc/keys", "endpoints:read", 0,
	  api_oidc_keys },
	{ "POST", SRV_GLOBAL, "_apis/projects", "full", 0, api_project_create },
	{ "DELETE", SRV_GLOBAL, "_apis/projects/*", "full", 0,
	  api_project_delete },
	{ "GET", SRV_GLOBAL, "_apis/distributedtask/pools", "endpoints:read", 0,
	  api_pools_list },
	{ "POST", SRV_GLOBAL, "_apis/distributedtask/pools", "full", 0,
	  api_pool_create },
	{ "GET", SRV_GLOBAL, "_apis/svcconn/agents", "endpoints:read", 0,
	  api_agents_list },
	{ "DELETE", SRV_GLOBAL, "_apis/svcconn/agents/*", "full", 0,
	  api_agent_revoke },
	{ "POST", SRV_GLOBAL, "_apis/svcconn/registrationtokens", "full", 0,
	  api_registration_token },
	{ "POST", SRV_GLOBAL, "_apis/svcconn/oidc/keys/rotate", "full", 0,
	  api_oidc_rotate },
	{ "POST", SRV_PROJECT, EP "/*/verify", "endpoints:manage", 0,
	  api_endpoint_verify },
	{ "GET", SRV_PROJECT, "_apis/svcconn/pipelines/*/source", "endpoints:read", 0,
	  api_pipeline_source },
	{ "POST", SRV_PROJECT, "_apis/svcconn/export", "endpoints:read", 0,
	  api_export },
	{ "POST", SRV_PROJECT, "_apis/svcconn/import", "endpoints:manage", 0,
	  api_import },
	{ "POST", SRV_PROJECT, "_apis/serviceendpoint/certificateexpiry/rescan",
	  "endpoints:manage", 0, api_cert_rescan },
	/* the web console (console/): its pages check their session */
	{ "POST", SRV_GLOBAL, "console/signin", NULL, SRV_SELF_AUTH,
	  console_signin },
	{ "GET", SRV_GLOBAL, "console/**", NULL, 1, console_get },
	{ "POST", SRV_GLOBAL, "console/**", NULL, 1, console_post },
	/* browsers ask for it on their own: a 404, not a failed authentication */
	{ "GET", SRV_GLOBAL, "favicon.ico", NULL, 1, console_favicon },
	{ NULL, SRV_GLOBAL, NULL, NULL, 0, NULL }
};
