/*
 * api_security.c - roles and groups over svcconn-server (svcconn's own
 * routes; Azure DevOps' security roles API keys assignments by identity
 * descriptors svcconn does not have):
 *
 *   GET   .../_apis/svcconn/security[/{endpointId}]  the role assignments on
 *         the store (or a connection), its inheritance, and the caller's
 *         own role: {resource, inherit, roles: [{principal, kind, role}],
 *         you, yourRole}
 *   PATCH the same {grant: [{principal, role}], revoke: [principal],
 *         inherit: bool}: applied in that order, answered as GET
 *   GET, PATCH .../_apis/svcconn/security?scope=project  the same for the
 *         roles in the path's project itself ({resource: {type: project,
 *         name}, roles}; grant and revoke only): `security --project P`
 *   GET   .../_apis/svcconn/groups[/{group}]  every group, or its members
 *   PUT, DELETE .../groups/{group}  create, delete (204)
 *   PATCH .../groups/{group} {add: [member], remove: [member]}: its
 *         members after
 *
 * Every handler acts through svc_ops_* as the request's principal, with
 * no check of its own.
 */
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/authz.h"
#include "server/server_int.h"

/* The n assignments e as a JSON array of {principal, kind, role}. */
static json_t *roles_json(const svc_role_entry *e, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}",
			"principal", e[i].principal, "kind",
			e[i].is_group ? "group" : "user", "role",
			svc_role_name(e[i].role)));
	return a;
}

/* The assignments on c->arg (NULL: the store), as GET answers them. */
static int security_reply(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_role_entry *e = NULL;
	svc_conn *conn = NULL;
	svc_role mine = SVC_ROLE_NONE;
	size_t n = 0;
	int rc, inherit = 1;
	json_t *a;

	if ((rc = svc_ops_role_list(&e, &n, &inherit, sh->store, c->who,
				    c->arg)) ||
	    (c->arg && (rc = svc_ops_conn_get(&conn, sh->store, c->who, c->arg,
					      0))) ||
	    (rc = svc_ops_role(&mine, sh->store, c->who, c->arg))) {
		svc_role_entries_free(e, n);
		svc_conn_free(conn);
		return srv_lib_error(c, rc);
	}
	a = roles_json(e, n);
	rc = srv_reply(c, MHD_HTTP_OK,
		       json_pack("{s:o, s:b, s:o, s:s, s:s}", "resource",
				 conn ? json_pack("{s:s, s:s, s:s}", "type",
						  "endpoint", "id",
						  svc_conn_id(conn), "name",
						  svc_conn_name(conn))
				      : json_null(),
				 "inherit", inherit, "roles", a, "you",
				 svc_principal_name(c->who), "yourRole",
				 svc_role_name(mine)));
	svc_role_entries_free(e, n);
	svc_conn_free(conn);
	return rc;
}

/* 1 when c asks for the roles in its project (?scope=project). */
static int project_scope(const struct srv_call *c)
{
	const char *s = srv_query(c, "scope");

	return !c->arg && s && strcmp(s, "project") == 0;
}

/* The assignments in c's project, as GET ?scope=project answers them. */
static int project_reply(struct srv_call *c)
{
	svc_role_entry *e = NULL;
	size_t n = 0;
	json_t *a;
	int rc;

	if ((rc = svc_ops_project_role_list(&e, &n, srv_shared(c->srv)->store,
					    c->who)))
		return srv_lib_error(c, rc);
	a = roles_json(e, n);
	svc_role_entries_free(e, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:{s:s, s:o}, s:o}", "resource", "type",
				   "project", "name", srv_str_or_null(c->project),
				   "roles", a));
}

/* Assign role to who on c->arg, or in c's project with ?scope=project. */
static int role_set(struct srv_call *c, const char *who, svc_role role)
{
	svc_store *st = srv_shared(c->srv)->store;

	return project_scope(c)
		? svc_ops_project_role_set(st, c->who, who, role)
		: svc_ops_role_set(st, c->who, c->arg, who, role);
}

int api_security_get(struct srv_call *c)
{
	return project_scope(c) ? project_reply(c) : security_reply(c);
}

int api_security_update(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_t *body, *grant, *revoke, *inherit, *e;
	size_t i;
	int rc = 0;

	if (!(body = srv_body_object(c)))
		return -1;
	grant = json_object_get(body, "grant");
	revoke = json_object_get(body, "revoke");
	inherit = json_object_get(body, "inherit");
	if ((grant && !json_is_array(grant)) ||
	    (revoke && !json_is_array(revoke)) ||
	    (inherit && !json_is_boolean(inherit))) {
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': 'grant' and 'revoke' are arrays, 'inherit' a boolean",
			       c->request);
		goto done;
	}
	json_array_foreach(grant, i, e) {
		const char *who = json_string_value(json_object_get(e, "principal"));
		const char *role = json_string_value(json_object_get(e, "role"));
		svc_role r;

		if (!who || !role || svc_role_parse(&r, role)) {
			rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				       "'%s': field 'grant[%zu]' needs 'principal' and 'role' (Reader, User, Creator, Administrator)",
				       c->request, i);
			goto done;
		}
		if ((rc = role_set(c, who, r))) {
			rc = srv_lib_error(c, rc);
			goto done;
		}
	}
	json_array_foreach(revoke, i, e) {
		if (!json_is_string(e)) {
			rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				       "'%s': field 'revoke[%zu]' must be a string",
				       c->request, i);
			goto done;
		}
		if ((rc = role_set(c, json_string_value(e), SVC_ROLE_NONE))) {
			rc = srv_lib_error(c, rc);
			goto done;
		}
	}
	if (inherit && !c->arg) {
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': 'inherit' applies to a connection",
			       c->request);
		goto done;
	}
	if (inherit && (rc = svc_ops_inherit_set(sh->store, c->who, c->arg,
						 json_is_true(inherit)))) {
		rc = srv_lib_error(c, rc);
		goto done;
	}
	rc = project_scope(c) ? project_reply(c) : security_reply(c);
done:
	json_decref(body);
	return rc;
}

/* Every group (c->arg NULL), or c->arg's members. */
static int groups_reply(struct srv_call *c)
{
	char **g = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_group_list(&g, &n, srv_shared(c->srv)->store, c->who,
				     c->arg)))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(g[i]));
	svc_strings_free(g, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

int api_groups_get(struct srv_call *c)
{
	return groups_reply(c);
}

int api_group_create(struct srv_call *c)
{
	int rc = svc_ops_group_create(srv_shared(c->srv)->store, c->who,
				      c->arg);

	return rc ? srv_lib_error(c, rc) : srv_reply(c, MHD_HTTP_NO_CONTENT,
						     NULL);
}

int api_group_delete(struct srv_call *c)
{
	int rc = svc_ops_group_delete(srv_shared(c->srv)->store, c->who,
				      c->arg);

	return rc ? srv_lib_error(c, rc) : srv_reply(c, MHD_HTTP_NO_CONTENT,
						     NULL);
}

int api_group_update(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	static const char *const verbs[] = { "add", "remove" };
	json_t *body, *l, *e;
	size_t i, v;
	int rc = 0;

	if (!(body = srv_body_object(c)))
		return -1;
	for (v = 0; v < 2; v++) {
		l = json_object_get(body, verbs[v]);
		if (l && !json_is_array(l)) {
			rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				       "'%s': field '%s' must be an array",
				       c->request, verbs[v]);
			goto done;
		}
		json_array_foreach(l, i, e) {
			if (!json_is_string(e)) {
				rc = srv_error(c, MHD_HTTP_BAD_REQUEST,
					       "ArgumentException",
					       "'%s': field '%s[%zu]' must be a string",
					       c->request, verbs[v], i);
				goto done;
			}
			rc = v == 0 ? svc_ops_group_add(sh->store, c->who, c->arg,
							json_string_value(e))
				    : svc_ops_group_remove(sh->store, c->who,
							   c->arg,
							   json_string_value(e));
			if (rc) {
				rc = srv_lib_error(c, rc);
				goto done;
			}
		}
	}
	rc = groups_reply(c);
done:
	json_decref(body);
	return rc;
}
