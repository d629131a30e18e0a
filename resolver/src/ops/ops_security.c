/*
 * ops_security.c - the verbs of who may do what: role assignments and
 * inheritance, groups, pipeline permissions, and permission requests.
 *
 * Reading any of them needs the Reader role where they apply; changing
 * roles, inheritance and groups needs Administrator, authorizing pipelines
 * User (opening a connection to every pipeline Administrator).
 */
#include <stdlib.h>
#include <string.h>

#include "ops/ops_int.h"
#include "errors_int.h"

/* Load the connection name_or_id (NULL: none, the store) needing need. */
static int scope(svc_conn **c, svc_store *st, const svc_principal *p,
		 const char *name_or_id, svc_role need)
{
	*c = NULL;
	return name_or_id ? ops_conn(c, st, p, name_or_id, need)
			  : ops_require(st, p, NULL, need);
}

int svc_ops_role_list(svc_role_entry **out, size_t *count, int *inherit,
		      svc_store *st, const svc_principal *p,
		      const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc, on = 1;

	if ((rc = scope(&c, st, p, name_or_id, SVC_ROLE_READER)))
		return rc;
	if (c && (rc = svc_store_inherit_get(st, svc_conn_id(c), &on)))
		goto done;
	if ((rc = svc_store_role_list(out, count, st, c ? svc_conn_id(c) : NULL)))
		goto done;
	if (inherit)
		*inherit = on;
done:
	svc_conn_free(c);
	return rc;
}

int svc_ops_role_set(svc_store *st, const svc_principal *p,
		     const char *name_or_id, const char *principal,
		     svc_role role)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = scope(&c, st, p, name_or_id, SVC_ROLE_ADMIN)))
		return rc;
	if (c && role == SVC_ROLE_CREATOR)
		rc = error_set(SVC_EINVALID, "Creator is a store-level role");
	else
		rc = svc_store_role_set(st, c ? svc_conn_id(c) : NULL, principal,
					role, svc_principal_audit_name(p));
	svc_conn_free(c);
	return rc;
}

int svc_ops_inherit_set(svc_store *st, const svc_principal *p,
			const char *name_or_id, int on)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_ADMIN)))
		return rc;
	rc = svc_store_inherit_set(st, svc_conn_id(c), on,
				   svc_principal_audit_name(p));
	svc_conn_free(c);
	return rc;
}

int svc_ops_group_list(char ***out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *group)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_READER);

	return rc ? rc : svc_store_group_list(out, count, st, group);
}

int svc_ops_group_create(svc_store *st, const svc_principal *p,
			 const char *group)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_group_create(st, group,
						svc_principal_audit_name(p));
}

int svc_ops_group_delete(svc_store *st, const svc_principal *p,
			 const char *group)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_group_delete(st, group,
						svc_principal_audit_name(p));
}

int svc_ops_group_add(svc_store *st, const svc_principal *p,
		      const char *group, const char *member)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_group_add(st, group, member,
					     svc_principal_audit_name(p));
}

int svc_ops_group_remove(svc_store *st, const svc_principal *p,
			 const char *group, const char *member)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_group_remove(st, group, member,
						svc_principal_audit_name(p));
}

int svc_ops_pipeline_list(char ***out, size_t *count, svc_store *st,
			  const svc_principal *p, const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_READER)))
		return rc;
	rc = svc_store_pipeline_list(out, count, st, svc_conn_id(c));
	svc_conn_free(c);
	return rc;
}

/* Authorize (allow) or take back the authorization of pipeline. */
static int pipeline_change(svc_store *st, const svc_principal *p,
			   const char *name_or_id, const char *pipeline,
			   int allow)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_USER)))
		return rc;
	rc = (allow ? svc_store_pipeline_allow : svc_store_pipeline_disallow)
		(st, svc_conn_id(c), pipeline, svc_principal_audit_name(p));
	svc_conn_free(c);
	return rc;
}

int svc_ops_pipeline_allow(svc_store *st, const svc_principal *p,
			   const char *name_or_id, const char *pipeline)
{
	return pipeline_change(st, p, name_or_id, pipeline, 1);
}

int svc_ops_pipeline_disallow(svc_store *st, const svc_principal *p,
			      const char *name_or_id, const char *pipeline)
{
	return pipeline_change(st, p, name_or_id, pipeline, 0);
}

int svc_ops_conn_set_all_pipelines(svc_store *st, const svc_principal *p,
				   const char *name_or_id, int all)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id,
			   all ? SVC_ROLE_ADMIN : SVC_ROLE_USER)))
		return rc;
	rc = svc_store_conn_set_all_pipelines(st, svc_conn_id(c), all,
					      svc_principal_audit_name(p));
	svc_conn_free(c);
	return rc;
}

int svc_ops_request_list(svc_perm_request **out, size_t *count,
			 svc_store *st, const svc_principal *p,
			 int pending_only)
{
	svc_perm_request *r = NULL;
	size_t n = 0, i, k = 0;
	int rc = svc_store_request_list(&r, &n, st, pending_only);

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		svc_conn *c = NULL;

		/* a request shows to those who may read its connection */
		if (ops_conn(&c, st, p, r[i].conn_id, SVC_ROLE_READER) == 0) {
			svc_perm_request keep = r[i];

			svc_conn_free(c);
			r[i] = r[k];
			r[k++] = keep;
		}
	}
	if (k < n) {
		/* the requests dropped go to an array of their own, freed */
		svc_perm_request *tail = malloc((n - k) * sizeof(*tail));

		if (!tail) {
			svc_perm_requests_free(r, n);
			return error_oom();
		}
		memcpy(tail, r + k, (n - k) * sizeof(*tail));
		svc_perm_requests_free(tail, n - k);
	}
	svc_error_clear();
	*out = r;
	*count = k;
	return 0;
}

int svc_ops_request_permit(svc_perm_request **req, svc_store *st,
			   const svc_principal *p, const char *id)
{
	svc_perm_request *r = NULL, *one = NULL;
	svc_conn *c = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = svc_store_request_list(&r, &n, st, 0)))
		return rc;
	for (i = 0; i < n; i++)
		if (!strcmp(r[i].id, id))
			break;
	if (i == n) {
		rc = error_set(SVC_ENOTFOUND, "no permission request '%s'", id);
		goto done;
	}
	if ((rc = ops_conn(&c, st, p, r[i].conn_id, SVC_ROLE_USER)) ||
	    (rc = svc_store_request_permit(st, id, svc_principal_audit_name(p))))
		goto done;
	if (req && (one = malloc(sizeof(*one))) == NULL) {
		rc = error_oom();
		goto done;
	}
	if (req) {
		*one = r[i];
		memset(&r[i], 0, sizeof(r[i]));
		*req = one;
	}
done:
	svc_conn_free(c);
	svc_perm_requests_free(r, n);
	return rc;
}
