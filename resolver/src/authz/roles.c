/*
 * roles.c - the role an identity holds, and refusing what it may not do.
 *
 * Roles are assigned to users and groups, on the store and on single
 * connections.  On a connection, explicit assignments (to the identity or
 * to a group it belongs to) decide; without one, the store-level
 * assignments count, unless the connection's inheritance is switched off.
 * Among several assignments that apply, the strongest wins.
 *
 * Projects (docs/projects.md): a role in a project is inherited like a
 * store-level one by the connections the project owns; used from a
 * project it is shared into, a connection gives that project's roles at
 * most User (Reader stays Reader), as Azure DevOps' shared endpoints do.
 */
#include <string.h>
#include <strings.h>

#include "svcconn/authz.h"
#include "svcconn/projects.h"
#include "authz/authz_int.h"
#include "errors_int.h"
#include "store/store_int.h"

static const char *const role_names[] = { "none", "Reader", "User",
					  "Creator", "Administrator" };

const char *svc_role_name(svc_role r)
{
	return (unsigned)r <= SVC_ROLE_ADMIN ? role_names[r] : "?";
}

int svc_role_parse(svc_role *out, const char *s)
{
	unsigned i;

	if (s && strcasecmp(s, "admin") == 0) {
		*out = SVC_ROLE_ADMIN;
		return 0;
	}
	for (i = 0; s && i <= SVC_ROLE_ADMIN; i++)
		if (strcasecmp(s, role_names[i]) == 0) {
			*out = (svc_role)i;
			return 0;
		}
	return error_set(SVC_EINVALID,
			 "unknown role '%s' (Reader, User, Creator, Administrator)",
			 s ? s : "");
}

/* 1 when principal is actor or one of groups. */
static int applies(const char *principal, const char *actor, char **groups,
		   size_t ngroups)
{
	size_t i;

	if (strcmp(principal, actor) == 0)
		return 1;
	for (i = 0; i < ngroups; i++)
		if (strcmp(principal, groups[i]) == 0)
			return 1;
	return 0;
}

/*
 * The strongest assignment on conn_id, else in project_id, else (both
 * NULL) on the store, that applies.
 */
static int strongest(svc_role *out, int *found, svc_store *st,
		     const char *conn_id, const char *project_id,
		     const char *actor, char **groups, size_t ngroups)
{
	svc_role_entry *e = NULL;
	size_t n = 0, i;
	int rc = conn_id || !project_id
		? svc_store_role_list(&e, &n, st, conn_id)
		: svc_store_project_role_list(&e, &n, st, project_id);

	if (rc)
		return rc;
	*out = SVC_ROLE_NONE;
	*found = 0;
	for (i = 0; i < n; i++)
		if (applies(e[i].principal, actor, groups, ngroups)) {
			*found = 1;
			if (e[i].role > *out)
				*out = e[i].role;
		}
	svc_role_entries_free(e, n);
	return 0;
}

/*
 * Raise *r with the roles of the project owning conn and, when conn is
 * used from a project it is shared into, that project's capped at User.
 */
static int project_roles(svc_role *r, svc_store *st, const svc_conn *conn,
			 const char *actor, char **groups, size_t ngroups)
{
	const char *owner = svc_conn_project_id(conn);
	const char *here = store_project_current(st);
	svc_role pr = SVC_ROLE_NONE;
	int rc, found = 0;

	if (owner && (rc = strongest(&pr, &found, st, NULL, owner, actor,
				     groups, ngroups)))
		return rc;
	if (pr > *r)
		*r = pr;
	if (!owner || !here || strcmp(owner, here) == 0)
		return 0;
	if ((rc = strongest(&pr, &found, st, NULL, here, actor, groups,
			    ngroups)))
		return rc;
	if (pr > SVC_ROLE_USER)
		pr = SVC_ROLE_USER;
	if (pr > *r)
		*r = pr;
	return 0;
}

int authz_project_role(svc_role *out, svc_store *st, const char *actor,
		       const char *project_id)
{
	char **groups = NULL;
	size_t ngroups = 0;
	svc_role r = SVC_ROLE_NONE, pr = SVC_ROLE_NONE;
	int rc, found = 0;

	if ((rc = svc_store_groups_of(&groups, &ngroups, st, actor)))
		return rc;
	rc = strongest(&r, &found, st, NULL, NULL, actor, groups, ngroups);
	if (!rc)
		rc = strongest(&pr, &found, st, NULL, project_id, actor,
			       groups, ngroups);
	svc_strings_free(groups, ngroups);
	if (rc)
		return rc;
	*out = pr > r ? pr : r;
	return 0;
}

int svc_authz_role(svc_role *out, svc_store *st, const char *actor,
		   const svc_conn *conn)
{
	char **groups = NULL;
	size_t ngroups = 0;
	svc_role r = SVC_ROLE_NONE;
	int rc, found = 0, inherit = 1;

	if ((rc = svc_store_groups_of(&groups, &ngroups, st, actor)))
		return rc;
	if (conn) {
		rc = strongest(&r, &found, st, svc_conn_id(conn), NULL, actor,
			       groups, ngroups);
		if (!rc && !found)
			rc = svc_store_inherit_get(st, svc_conn_id(conn), &inherit);
	}
	if (!rc && !found && inherit) {
		rc = strongest(&r, &found, st, NULL, NULL, actor, groups,
			       ngroups);
		if (!rc && conn)
			rc = project_roles(&r, st, conn, actor, groups,
					   ngroups);
	}
	svc_strings_free(groups, ngroups);
	if (!rc)
		*out = r;
	return rc;
}

int svc_authz_require(svc_store *st, const char *actor, const svc_conn *conn,
		      svc_role need)
{
	svc_role have;
	int rc = svc_authz_role(&have, st, actor, conn);

	if (rc)
		return rc;
	/* Creator is a store-level right; on a connection it means Reader */
	if (conn && have == SVC_ROLE_CREATOR)
		have = SVC_ROLE_READER;
	if (have >= need)
		return 0;
	if (conn)
		return error_set(SVC_EDENIED,
				 "permission denied: '%s' needs the %s role on '%s'",
				 actor, svc_role_name(need), svc_conn_name(conn));
	return error_set(SVC_EDENIED,
			 "permission denied: '%s' needs the %s role on the store",
			 actor, svc_role_name(need));
}
