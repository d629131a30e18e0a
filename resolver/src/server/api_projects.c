/*
 * api_projects.c - projects on the server (docs/projects.md): the project
 * of a request's path, the projects a caller can see (GET /_apis/projects,
 * Azure DevOps' shape), creating (POST /_apis/projects {name,
 * description}) and deleting one (DELETE /_apis/projects/{id or name}),
 * both answered 202 with an OperationReference already succeeded, a
 * connection's serviceEndpointProjectReferences, and Azure's share and
 * unshare calls at the organization level:
 * PATCH /{org}/_apis/serviceendpoint/endpoints/{id} with an array of
 * ServiceEndpointProjectReference, and DELETE .../{id}?projectIds=...
 * (with svcconn's sharesOnly=true, an owning project among them is not
 * shared rather than the connection deleted: `svcconn unshare`).
 *
 * Every route acts through the authority layer as the request's
 * principal: a project the caller may not see answers 404 exactly as one
 * that does not exist.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/ops.h"
#include "server/server_int.h"

/* Answer 404 for a project not found (or not visible), else rc's error. */
static int project_error(struct srv_call *c, int rc)
{
	if (rc == SVC_ENOTFOUND)
		return srv_error(c, MHD_HTTP_NOT_FOUND,
				 "ProjectDoesNotExistWithNameException", "%s",
				 svc_error_last());
	return srv_lib_error(c, rc);
}

int srv_enter_project(struct srv_call *c)
{
	svc_project *p = NULL;
	int rc = svc_principal_set_project(c->who, c->project);

	if (rc == 0)
		rc = svc_ops_project_get(&p, srv_shared(c->srv)->store, c->who,
					 c->project);
	if (rc)
		return project_error(c, rc);
	svc_projects_free(p, 1);
	return 0;
}

/* A TeamProjectReference as Azure DevOps writes one, with svcconn's
 * createdBy and created. */
static json_t *project_json(const svc_project *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
			 p->id, "name", p->name, "description", p->description,
			 "state", "wellFormed", "visibility", "private",
			 "lastUpdateTime", p->created_at, "createdBy",
			 p->created_by, "created", p->created_at);
}

/*
 * An OperationReference as Azure DevOps answers a project's creation or
 * deletion (202): here the operation is done when it is answered.
 */
static int operation_done(struct srv_call *c, const char *id)
{
	return srv_reply(c, MHD_HTTP_ACCEPTED,
			 json_pack("{s:s, s:s, s:s}", "id", id, "status",
				   "succeeded", "pluginId", "svcconn"));
}

int api_project_create(struct srv_call *c)
{
	const char *name, *desc;
	json_t *body;
	char *id = NULL;
	int rc;

	if (!(body = srv_body_object(c)))
		return -1;
	name = json_string_value(json_object_get(body, "name"));
	desc = json_string_value(json_object_get(body, "description"));
	if (!name) {
		json_decref(body);
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'name' (a string) is required",
				 c->request);
	}
	rc = svc_ops_project_create(&id, srv_shared(c->srv)->store, c->who,
				    name, desc);
	rc = rc ? srv_lib_error(c, rc) : operation_done(c, id);
	free(id);
	json_decref(body);
	return rc;
}

int api_project_delete(struct srv_call *c)
{
	int rc = svc_ops_project_delete(srv_shared(c->srv)->store, c->who,
					c->arg);

	return rc ? project_error(c, rc) : operation_done(c, c->arg);
}

int api_projects_list(struct srv_call *c)
{
	svc_project *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc = svc_ops_project_list(&l, &n, srv_shared(c->srv)->store,
				      c->who);

	if (rc)
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; a && i < n; i++)
		json_array_append_new(a, project_json(&l[i]));
	svc_projects_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 a ? json_pack("{s:I, s:o}", "count", (json_int_t)n,
				       "value", a)
			   : NULL);
}

json_t *srv_project_refs(const struct srv_shared *sh, const svc_conn *conn)
{
	svc_project *p = NULL;
	svc_share *s = NULL;
	size_t np = 0, ns = 0, i;
	json_t *a = json_array();

	/* the owning project first, then the projects it is shared with,
	 * each with the connection's name there */
	if (!a || !svc_conn_project_id(conn) ||
	    svc_store_project_list(&p, &np, sh->store,
				   svc_conn_project_id(conn)) ||
	    svc_store_share_list(&s, &ns, sh->store, svc_conn_id(conn))) {
		svc_projects_free(p, np);
		json_decref(a);
		return NULL;
	}
	json_array_append_new(a, json_pack(
		"{s:{s:s, s:s}, s:s, s:o}", "projectReference", "id", p->id,
		"name", p->name, "name", svc_conn_name(conn), "description",
		svc_conn_description(conn)
			? json_string(svc_conn_description(conn))
			: json_null()));
	for (i = 0; i < ns; i++)
		json_array_append_new(a, json_pack(
			"{s:{s:s, s:s}, s:s, s:s}", "projectReference", "id",
			s[i].project_id, "name", s[i].project, "name",
			s[i].name, "description", s[i].description));
	svc_projects_free(p, np);
	svc_shares_free(s, ns);
	return a;
}

/*
 * Act in the project that owns connection id (the caller must see it:
 * else 404 as for a connection that does not exist); 0 or answered.
 */
static int enter_owner(struct srv_call *c, svc_conn **conn)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	int rc;

	/* an id: a name means nothing outside a project */
	if (!svc_is_uuid(c->arg))
		return srv_error(c, MHD_HTTP_NOT_FOUND,
				 "ServiceEndpointNotFoundException",
				 "no connection with id '%s'", c->arg);
	if ((rc = svc_store_conn_get(conn, sh->store, c->arg,
				     SVC_GET_UNVERIFIED)))
		return srv_lib_error(c, rc);
	rc = svc_principal_set_project(c->who, svc_conn_project_id(*conn));
	if (rc == 0)
		rc = svc_ops_role(&(svc_role){ SVC_ROLE_NONE }, sh->store,
				  c->who, svc_conn_id(*conn));
	if (rc) {
		svc_conn_free(*conn);
		*conn = NULL;
		/* the connection is not revealed through its project */
		if (rc == SVC_ENOTFOUND)
			return srv_error(c, MHD_HTTP_NOT_FOUND,
					 "ServiceEndpointNotFoundException",
					 "no connection named '%s'", c->arg);
		return srv_lib_error(c, rc);
	}
	return 0;
}

/* The project of a reference: its projectReference's id, else name. */
static const char *ref_project(json_t *ref)
{
	json_t *pr = json_object_get(ref, "projectReference");
	const char *id = json_string_value(json_object_get(pr, "id"));

	return id && *id ? id : json_string_value(json_object_get(pr, "name"));
}

int api_endpoint_share(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_error_t err;
	svc_conn *conn = NULL;
	json_t *body, *ref;
	size_t i;
	int rc = 0;

	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_array(body)) {
		json_decref(body);
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': the body is an array of ServiceEndpointProjectReference",
				 c->request);
	}
	json_array_foreach(body, i, ref)
		if (!ref_project(ref)) {
			json_decref(body);
			return srv_error(c, MHD_HTTP_BAD_REQUEST,
					 "ArgumentException",
					 "'%s': entry %zu has no projectReference id or name",
					 c->request, i);
		}
	if (enter_owner(c, &conn)) {
		json_decref(body);
		return -1;
	}
	json_array_foreach(body, i, ref) {
		rc = svc_ops_conn_share(sh->store, c->who, svc_conn_id(conn),
					ref_project(ref),
					json_string_value(json_object_get(ref, "name")),
					json_string_value(json_object_get(ref, "description")));
		if (rc)
			break;
	}
	json_decref(body);
	svc_conn_free(conn);
	if (rc)
		return rc == SVC_ENOTFOUND ? project_error(c, rc)
					   : srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}

int api_endpoint_unshare(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *ids = srv_query(c, "projectIds");
	const char *only = srv_query(c, "sharesOnly");
	char one[SRV_PROJECT_MAX];
	svc_conn *conn = NULL;
	svc_project *p = NULL;
	const char *at;
	size_t n;
	int rc = 0;

	if (!ids || !*ids)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': projectIds names the projects to remove it from",
				 c->request);
	if (enter_owner(c, &conn))
		return -1;
	for (at = ids; !rc && *at; at += n + (at[n] == ',')) {
		n = strcspn(at, ",");
		if (n == 0 || n >= sizeof(one)) {
			rc = srv_error(c, MHD_HTTP_BAD_REQUEST,
				       "ArgumentException",
				       "'%s': invalid projectIds", c->request);
			break;
		}
		snprintf(one, sizeof(one), "%.*s", (int)n, at);
		/* its owning project: the connection goes, as on Azure,
		 * unless sharesOnly=true (svcconn unshare) */
		if ((rc = svc_ops_project_get(&p, sh->store, c->who, one)) == 0 &&
		    !(only && strcmp(only, "true") == 0) &&
		    strcmp(p->id, svc_conn_project_id(conn)) == 0)
			rc = svc_ops_conn_delete(sh->store, c->who,
						 svc_conn_id(conn));
		else if (rc == 0)
			rc = svc_ops_conn_unshare(sh->store, c->who,
						  svc_conn_id(conn), one);
		svc_projects_free(p, p ? 1 : 0);
		p = NULL;
		if (rc)
			rc = project_error(c, rc);
	}
	svc_conn_free(conn);
	return rc ? rc : srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}
