/*
 * api_authz.c - the authorization resources of svcconn-server, in the
 * shapes of Azure DevOps' REST API 7.1 where they overlap: a connection's
 * pipeline permissions (pipelines/pipelinePermissions/endpoint/{id}).
 * Pipelines are known by name (svcconn has no pipeline ids): a pipeline's
 * "id" is its name.
 *
 * As every route, each acts through the authority layer as the request's
 * principal (svc_ops_pipeline_*, svc_ops_conn_set_all_pipelines), with no
 * check of its own.
 */
#include <stdlib.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "server/server_int.h"

/* The ResourcePipelinePermissions of the connection c->arg names. */
static int permissions_reply(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_conn *conn = NULL;
	char **list = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_conn_get(&conn, sh->store, c->who, c->arg, 0)) ||
	    (rc = svc_ops_pipeline_list(&list, &n, sh->store, c->who, c->arg))) {
		svc_conn_free(conn);
		return srv_lib_error(c, rc);
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:b}", "id", list[i],
						   "authorized", 1));
	rc = srv_reply(c, MHD_HTTP_OK,
		       json_pack("{s:{s:s, s:s, s:s}, s:{s:b}, s:o}", "resource",
				 "type", "endpoint", "id", svc_conn_id(conn),
				 "name", svc_conn_name(conn), "allPipelines",
				 "authorized", svc_conn_all_pipelines(conn),
				 "pipelines", a));
	svc_strings_free(list, n);
	svc_conn_free(conn);
	return rc;
}

int api_pipeline_permissions_get(struct srv_call *c)
{
	return permissions_reply(c);
}

/*
 * PATCH: {"pipelines": [{"id": NAME, "authorized": bool}], "allPipelines":
 * {"authorized": bool}}, applied in that order; the permissions after.
 */
int api_pipeline_permissions_update(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_t *body, *pl, *all, *e;
	size_t i;
	int rc = 0;

	if (!(body = srv_body_object(c)))
		return 0;
	pl = json_object_get(body, "pipelines");
	all = json_object_get(body, "allPipelines");
	if ((pl && !json_is_array(pl)) ||
	    (all && !json_is_boolean(json_object_get(all, "authorized")))) {
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field '%s' must be %s", c->request,
			       pl && !json_is_array(pl) ? "pipelines"
							: "allPipelines.authorized",
			       pl && !json_is_array(pl) ? "an array" : "a boolean");
		goto done;
	}
	json_array_foreach(pl, i, e) {
		json_t *id = json_object_get(e, "id");
		json_t *ok = json_object_get(e, "authorized");

		if (!json_is_string(id) || !json_is_boolean(ok)) {
			rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				       "'%s': field 'pipelines[%zu]' needs 'id' (a string) and 'authorized' (a boolean)",
				       c->request, i);
			goto done;
		}
		rc = json_is_true(ok)
			? svc_ops_pipeline_allow(sh->store, c->who, c->arg,
						 json_string_value(id))
			: svc_ops_pipeline_disallow(sh->store, c->who, c->arg,
						    json_string_value(id));
		if (rc) {
			rc = srv_lib_error(c, rc);
			goto done;
		}
	}
	if (all && (rc = svc_ops_conn_set_all_pipelines(
			    sh->store, c->who, c->arg,
			    json_is_true(json_object_get(all, "authorized"))))) {
		rc = srv_lib_error(c, rc);
		goto done;
	}
	rc = permissions_reply(c);
done:
	json_decref(body);
	return rc;
}
