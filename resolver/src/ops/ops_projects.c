/*
 * ops_projects.c - the project an ops call acts in, and the verbs on
 * projects, shares and project-level roles (docs/projects.md).
 *
 * ops_enter() runs first in every verb that looks a connection up or
 * stores one: it finds the principal's project, refuses one the principal
 * may not see exactly as one that does not exist, and has the store look
 * names up there.  ops_require() then treats a connection neither owned
 * by that project nor shared into it as not found.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/ops_int.h"
#include "authz/authz_int.h"
#include "store/store_int.h"
#include "errors_int.h"

/* The project called name_or_id that p may see, into *out (one entry). */
static int project_visible(svc_project **out, svc_store *st,
			   const svc_principal *p, const char *name_or_id)
{
	svc_project *pr = NULL;
	svc_role r = SVC_ROLE_NONE;
	size_t n = 0;
	int rc = svc_store_project_list(&pr, &n, st, name_or_id);

	if (rc == SVC_ENOTFOUND)
		goto invisible;
	if (rc)
		return rc;
	/* agents and jobs hold no roles: the server names their project
	 * from the path they called; "default" is every user's */
	if (svc_principal_kind_get(p) == SVC_PRINCIPAL_USER &&
	    strcmp(pr->name, SVC_PROJECT_DEFAULT) != 0) {
		if ((rc = authz_project_role(&r, st, svc_principal_name(p),
					     pr->id))) {
			svc_projects_free(pr, n);
			return rc;
		}
		if (r == SVC_ROLE_NONE) {
			svc_projects_free(pr, n);
			goto invisible;
		}
	}
	*out = pr;
	return 0;
invisible:
	/* one message for both: an invisible project is not revealed */
	return error_set(SVC_ENOTFOUND, "no project named '%s'", name_or_id);
}

int ops_enter(svc_store *st, const svc_principal *p)
{
	svc_project *pr = NULL;
	int rc = project_visible(&pr, st, p, svc_principal_project(p));

	if (rc)
		return rc;
	rc = store_project_use(st, pr->id);
	svc_projects_free(pr, 1);
	return rc;
}

/*
 * 0 when c is the project's or shared into it (its name there into *name
 * when rename is given and it is shared), else SVC_ENOTFOUND.
 */
static int visible(svc_store *st, const svc_conn *c, char **name)
{
	const char *here = store_project_current(st);
	svc_share *s = NULL;
	size_t n = 0, i;
	int rc, seen = 0;

	if (!svc_conn_project_id(c) || strcmp(svc_conn_project_id(c), here) == 0)
		return 0;
	if ((rc = svc_store_share_list(&s, &n, st, svc_conn_id(c))))
		return rc;
	for (i = 0; i < n && !seen; i++)
		if (strcmp(s[i].project_id, here) == 0) {
			seen = 1;
			if (name && !(*name = strdup(s[i].name)))
				rc = error_oom();
		}
	svc_shares_free(s, n);
	if (rc)
		return rc;
	/* the store's own message for an id it does not know */
	return seen ? 0 : error_set(SVC_ENOTFOUND, "no connection named '%s'",
				    svc_conn_id(c));
}

int ops_conn_visible(svc_store *st, const svc_conn *c)
{
	return visible(st, c, NULL);
}

int ops_conn_as_seen(svc_store *st, svc_conn *c)
{
	char *name = NULL;
	int rc = visible(st, c, &name);

	if (rc == 0 && name)
		rc = svc_conn_set_name(c, name);
	free(name);
	return rc;
}

int svc_ops_project_enter(svc_store *st, const svc_principal *p)
{
	return ops_enter(st, p);
}

int svc_ops_project_get(svc_project **out, svc_store *st,
			const svc_principal *p, const char *name_or_id)
{
	return project_visible(out, st, p, name_or_id);
}

int svc_ops_project_create(char **id, svc_store *st, const svc_principal *p,
			   const char *name, const char *description)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : store_project_create(id, st, name, description,
					      svc_principal_audit_name(p));
}

int svc_ops_project_list(svc_project **out, size_t *count, svc_store *st,
			 const svc_principal *p)
{
	svc_project *all = NULL, *one;
	size_t n = 0, i, k = 0;
	int rc = svc_store_project_list(&all, &n, st, NULL);

	for (i = 0; rc == 0 && i < n; i++) {
		one = NULL;
		rc = project_visible(&one, st, p, all[i].id);
		svc_projects_free(one, one ? 1 : 0);
		if (rc == SVC_ENOTFOUND) {
			rc = 0; /* not this principal's to see */
			continue;
		}
		if (rc == 0 && k != i) {
			svc_project t = all[k];

			all[k] = all[i];
			all[i] = t;
		}
		k += rc == 0;
	}
	if (rc) {
		svc_projects_free(all, n);
		return rc;
	}
	svc_error_clear();
	/* the invisible ones, moved behind the first k, go */
	for (i = k; i < n; i++) {
		free(all[i].id);
		free(all[i].name);
		free(all[i].description);
		free(all[i].created_by);
		free(all[i].created_at);
	}
	*out = all;
	*count = k;
	return 0;
}

int svc_ops_project_delete(svc_store *st, const svc_principal *p,
			   const char *name)
{
	svc_project *pr = NULL;
	int rc;

	if ((rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN)) ||
	    (rc = project_visible(&pr, st, p, name)))
		return rc;
	rc = store_project_delete(st, pr, svc_principal_audit_name(p));
	svc_projects_free(pr, 1);
	return rc;
}

/* The connection (Administrator) and the target project (User there). */
static int share_prepare(svc_conn **c, svc_project **pr, svc_store *st,
			 const svc_principal *p, const char *name_or_id,
			 const char *project)
{
	svc_role r = SVC_ROLE_NONE;
	int rc;

	if ((rc = ops_conn(c, st, p, name_or_id, SVC_ROLE_ADMIN)))
		return rc;
	if ((rc = project_visible(pr, st, p, project)) == 0 &&
	    (rc = authz_project_role(&r, st, svc_principal_name(p),
				     (*pr)->id)) == 0 &&
	    r < SVC_ROLE_USER)
		rc = error_set(SVC_EDENIED,
			       "permission denied: '%s' needs the User role in project '%s'",
			       svc_principal_name(p), (*pr)->name);
	if (rc) {
		svc_conn_free(*c);
		svc_projects_free(*pr, *pr ? 1 : 0);
		*c = NULL;
		*pr = NULL;
	}
	return rc;
}

/* Share (name, description) or, with unshare, take a share back. */
static int share_change(svc_store *st, const svc_principal *p,
			const char *name_or_id, const char *project,
			const char *name, const char *description, int unshare)
{
	svc_project *pr = NULL;
	svc_conn *c = NULL;
	int rc = share_prepare(&c, &pr, st, p, name_or_id, project);

	if (rc)
		return rc;
	rc = unshare ? store_share_delete(st, svc_conn_id(c), pr,
					  svc_principal_audit_name(p))
		     : store_share_set(st, svc_conn_id(c), pr, name,
				       description,
				       svc_principal_audit_name(p));
	svc_conn_free(c);
	svc_projects_free(pr, 1);
	return rc;
}

int svc_ops_conn_share(svc_store *st, const svc_principal *p,
		       const char *name_or_id, const char *project,
		       const char *name, const char *description)
{
	return share_change(st, p, name_or_id, project, name, description, 0);
}

int svc_ops_conn_unshare(svc_store *st, const svc_principal *p,
			 const char *name_or_id, const char *project)
{
	return share_change(st, p, name_or_id, project, NULL, NULL, 1);
}

int svc_ops_conn_shares(svc_share **out, size_t *count, svc_store *st,
			const svc_principal *p, const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_READER)))
		return rc;
	rc = svc_store_share_list(out, count, st, svc_conn_id(c));
	svc_conn_free(c);
	return rc;
}

/* The principal's project (entered), with the role need there. */
static int project_require(svc_project **out, svc_store *st,
			   const svc_principal *p, svc_role need)
{
	svc_role r = SVC_ROLE_NONE;
	int rc;

	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_USER)
		return ops_require(st, p, NULL, need); /* refused */
	if ((rc = project_visible(out, st, p, svc_principal_project(p))))
		return rc;
	if ((rc = authz_project_role(&r, st, svc_principal_name(p),
				     (*out)->id)) == 0 && r < need)
		rc = error_set(SVC_EDENIED,
			       "permission denied: '%s' needs the %s role in project '%s'",
			       svc_principal_name(p), svc_role_name(need),
			       (*out)->name);
	if (rc) {
		svc_projects_free(*out, 1);
		*out = NULL;
	}
	return rc;
}

int svc_ops_project_role_list(svc_role_entry **out, size_t *count,
			      svc_store *st, const svc_principal *p)
{
	svc_project *pr = NULL;
	int rc = project_require(&pr, st, p, SVC_ROLE_READER);

	if (rc)
		return rc;
	rc = svc_store_project_role_list(out, count, st, pr->id);
	svc_projects_free(pr, 1);
	return rc;
}

int svc_ops_project_role_set(svc_store *st, const svc_principal *p,
			     const char *principal, svc_role role)
{
	svc_project *pr = NULL;
	int rc = project_require(&pr, st, p, SVC_ROLE_ADMIN);

	if (rc)
		return rc;
	rc = store_project_role_set(st, pr, principal, role,
				    svc_principal_audit_name(p));
	svc_projects_free(pr, 1);
	return rc;
}
