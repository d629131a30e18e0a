/*
 * api_checks.c - a connection's approvals and checks over svcconn-server,
 * in the shape of Azure DevOps' check configurations (pipelines/checks/
 * configurations 7.1): GET ?resourceType=endpoint&resourceId=ID lists
 * them, POST adds one, DELETE .../{id} and PATCH .../{id}
 * {"isDisabled": bool} (svcconn's own) act on one.  A check belongs to
 * one connection: DELETE and PATCH name it with resourceId too, as the
 * command line does, so that an id never reaches another connection's
 * check.  resourceId is a connection's id or name.
 *
 * A check is added from the options of `svcconn checks NAME add KIND`
 * ({"type": {"name": KIND}, "resource": {"type": "endpoint", "id": ID},
 * "options": [{"name", "value"}]}), turned into its configuration by the
 * authority layer as locally.  Every handler acts through svc_ops_check_*
 * as the request's principal, with no check of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "server/server_int.h"

/** The most options a check is added with (as the command line takes). */
#define CHECK_MAX_OPTIONS 32

/* One CheckConfiguration; config is also kept as stored text. */
static json_t *check_json(const svc_check *k, const char *conn_name)
{
	json_error_t err;
	json_t *settings = json_loads(k->config, 0, &err);

	return json_pack("{s:s, s:{s:s}, s:o, s:s, s:b, s:{s:s, s:s, s:s}, "
			 "s:{s:s}, s:s, s:I}",
			 "id", k->id, "type", "name", k->kind, "settings",
			 settings ? settings : json_object(), "config",
			 k->config, "isDisabled", !k->enabled, "resource",
			 "type", "endpoint", "id", k->conn_id, "name",
			 conn_name, "createdBy", "displayName", k->created_by,
			 "createdOn", k->created_at, "version", (json_int_t)k->seq);
}

/* The resourceId of the query, or NULL with c answered (400). */
static const char *resource_of(struct srv_call *c)
{
	const char *type = srv_query(c, "resourceType");
	const char *id = srv_query(c, "resourceId");

	if (type && strcmp(type, "endpoint") != 0) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': resourceType must be 'endpoint'", c->request);
		return NULL;
	}
	if (!id || !*id)
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': resourceId (the connection) is required",
			  c->request);
	return id && *id ? id : NULL;
}

int api_checks_list(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *res = resource_of(c);
	svc_conn *conn = NULL;
	svc_check *k = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if (!res)
		return -1;
	if ((rc = svc_ops_conn_get(&conn, sh->store, c->who, res, 0)) ||
	    (rc = svc_ops_check_list(&k, &n, sh->store, c->who,
				     svc_conn_id(conn)))) {
		svc_conn_free(conn);
		return srv_lib_error(c, rc);
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, check_json(&k[i], svc_conn_name(conn)));
	svc_checks_free(k, n);
	svc_conn_free(conn);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

/* The added check's configuration, as the list shows it. */
static int added_reply(struct srv_call *c, const char *res, const char *id)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_conn *conn = NULL;
	svc_check *k = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = svc_ops_conn_get(&conn, sh->store, c->who, res, 0)) ||
	    (rc = svc_ops_check_list(&k, &n, sh->store, c->who,
				     svc_conn_id(conn)))) {
		svc_conn_free(conn);
		return srv_lib_error(c, rc);
	}
	for (i = 0; i < n && strcmp(k[i].id, id) != 0; i++)
		;
	rc = i < n ? srv_reply(c, MHD_HTTP_OK,
			       check_json(&k[i], svc_conn_name(conn)))
		   : srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "InternalServerException",
			       "'%s': the added check %s is not listed",
			       c->request, id);
	svc_checks_free(k, n);
	svc_conn_free(conn);
	return rc;
}

int api_check_add(struct srv_call *c)
{
	const char *keys[CHECK_MAX_OPTIONS], *values[CHECK_MAX_OPTIONS];
	json_t *body, *kind, *res, *opts, *e;
	char *id = NULL;
	size_t i, n = 0;
	int rc = -1;

	if (!(body = srv_body_object(c)))
		return -1;
	kind = json_object_get(json_object_get(body, "type"), "name");
	res = json_object_get(json_object_get(body, "resource"), "id");
	opts = json_object_get(body, "options");
	if (!json_is_string(kind) || !json_is_string(res) ||
	    (opts && !json_is_array(opts))) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': fields 'type.name' and 'resource.id' (strings) are required, 'options' is an array",
			  c->request);
		goto done;
	}
	if (json_array_size(opts) > CHECK_MAX_OPTIONS) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': too many options (at most %d)", c->request,
			  CHECK_MAX_OPTIONS);
		goto done;
	}
	json_array_foreach(opts, i, e) {
		json_t *k = json_object_get(e, "name");
		json_t *v = json_object_get(e, "value");

		if (!json_is_string(k) || !json_is_string(v)) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': field 'options[%zu]' needs 'name' and 'value' (strings)",
				  c->request, i);
			goto done;
		}
		keys[n] = json_string_value(k);
		values[n++] = json_string_value(v);
	}
	if ((rc = svc_ops_check_add(&id, srv_shared(c->srv)->store, c->who,
				    json_string_value(res),
				    json_string_value(kind), keys, values, n))) {
		rc = srv_lib_error(c, rc);
		goto done;
	}
	rc = added_reply(c, json_string_value(res), id);
done:
	free(id);
	json_decref(body);
	return rc;
}

int api_check_remove(struct srv_call *c)
{
	const char *res = resource_of(c);
	int rc;

	if (!res)
		return -1;
	if ((rc = svc_ops_check_remove(srv_shared(c->srv)->store, c->who, res,
				       c->arg)))
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}

int api_check_update(struct srv_call *c)
{
	const char *res = resource_of(c);
	json_t *body, *dis;
	int rc;

	if (!res || !(body = srv_body_object(c)))
		return -1;
	dis = json_object_get(body, "isDisabled");
	if (!json_is_boolean(dis))
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field 'isDisabled' (a boolean) is required",
			       c->request);
	else if ((rc = svc_ops_check_enable(srv_shared(c->srv)->store, c->who,
					    res, c->arg, !json_is_true(dis))))
		rc = srv_lib_error(c, rc);
	else
		rc = srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
	json_decref(body);
	return rc;
}
