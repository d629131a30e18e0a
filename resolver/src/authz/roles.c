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
 *
 * A list decides every connection at once (authz_actor_roles): the roles
 * on all of them are read in one walk and each goes through the same
 * rule as one connection's (actor_role_from).
 */
#include <stdlib.h>
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
 * What one actor holds whatever the connection, looked up when first
 * needed and kept for a walk over many connections (one list): its
 * groups, its store-level role, its roles in the current project and in
 * the project that owned the connection asked about last.
 */
struct authz_actor {
	const char *actor;    /**< the name roles are matched against */
	char **groups;        /**< the groups it belongs to */
	size_t ngroups;       /**< how many */
	int has_store;        /**< 1 once store/store_found are known */
	svc_role store;       /**< its store-level role */
	int store_found;      /**< 1 when a store-level assignment applies */
	int has_here;         /**< 1 once here is known */
	svc_role here;        /**< its role in the current project */
	char *owner_id;       /**< the project owner_role is for, or NULL */
	svc_role owner_role;  /**< its role in that project */
};

int authz_actor_new(authz_actor **out, svc_store *st, const char *actor)
{
	authz_actor *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return error_oom();
	a->actor = actor;
	if ((rc = svc_store_groups_of(&a->groups, &a->ngroups, st, actor))) {
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void authz_actor_free(authz_actor *a)
{
	if (!a)
		return;
	svc_strings_free(a->groups, a->ngroups);
	free(a->owner_id);
	free(a);
}

/* a's role in project project_id, looked up once per project in a row */
static int actor_project_role(svc_role *out, authz_actor *a, svc_store *st,
			      const char *project_id)
{
	const char *here = store_project_current(st);
	svc_role r = SVC_ROLE_NONE;
	int rc, found = 0;
	char *id;

	if (here && strcmp(project_id, here) == 0 && a->has_here) {
		*out = a->here;
		return 0;
	}
	if (a->owner_id && strcmp(project_id, a->owner_id) == 0) {
		*out = a->owner_role;
		return 0;
	}
	if ((rc = strongest(&r, &found, st, NULL, project_id, a->actor,
			    a->groups, a->ngroups)))
		return rc;
	if (here && strcmp(project_id, here) == 0) {
		a->has_here = 1;
		a->here = r;
	} else if ((id = strdup(project_id)) != NULL) {
		/* without the memory, the next lookup asks the store again */
		free(a->owner_id);
		a->owner_id = id;
		a->owner_role = r;
	}
	*out = r;
	return 0;
}

/*
 * Raise *r with the roles of the project owning conn and, when conn is
 * used from a project it is shared into, that project's capped at User.
 */
static int project_roles(svc_role *r, authz_actor *a, svc_store *st,
			 const svc_conn *conn)
{
	const char *owner = svc_conn_project_id(conn);
	const char *here = store_project_current(st);
	svc_role pr = SVC_ROLE_NONE;
	int rc;

	if (owner && (rc = actor_project_role(&pr, a, st, owner)))
		return rc;
	if (pr > *r)
		*r = pr;
	if (!owner || !here || strcmp(owner, here) == 0)
		return 0;
	if ((rc = actor_project_role(&pr, a, st, here)))
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

/*
 * The rule: a's role on conn (NULL: the store), given the strongest
 * assignment on conn that applies to a (r, found: one applies) and
 * whether conn inherits.  An assignment on the connection decides;
 * without one, the store's and the projects' roles count unless
 * inheritance is off.
 */
static int actor_role_from(svc_role *out, authz_actor *a, svc_store *st,
			   const svc_conn *conn, svc_role r, int found,
			   int inherit)
{
	int rc = 0;

	if (!found && inherit) {
		if (!a->has_store &&
		    (rc = strongest(&a->store, &a->store_found, st, NULL, NULL,
				    a->actor, a->groups, a->ngroups)) == 0)
			a->has_store = 1;
		r = a->store;
		if (!rc && conn)
			rc = project_roles(&r, a, st, conn);
	}
	if (!rc)
		*out = r;
	return rc;
}

int authz_actor_role(svc_role *out, authz_actor *a, svc_store *st,
		     const svc_conn *conn)
{
	svc_role r = SVC_ROLE_NONE;
	int rc = 0, found = 0, inherit = 1;

	if (conn) {
		rc = strongest(&r, &found, st, svc_conn_id(conn), NULL,
			       a->actor, a->groups, a->ngroups);
		if (!rc && !found)
			rc = svc_store_inherit_get(st, svc_conn_id(conn), &inherit);
	}
	return rc ? rc : actor_role_from(out, a, st, conn, r, found, inherit);
}

/* What a connection's rows in conn_roles_all said, for a's actor. */
struct conn_roles {
	svc_role r;   /**< the strongest assignment that applies */
	int found;    /**< 1 when one applies */
	int inherit;  /**< its inheritance */
	int seen;     /**< 1 once its rows were read */
};

/* What the walk over every connection's roles needs. */
struct roles_walk {
	authz_actor *a;              /**< whose roles */
	svc_conn *const *conns;      /**< the connections asked about */
	svc_conn *const **byid;      /**< pointers into conns, by id */
	size_t n;                    /**< how many */
	struct conn_roles *out;      /**< per connection, as conns */
	svc_conn *const *last;       /**< the connection of the last row,
					  or NULL */
};

/* qsort and bsearch over a walk's byid. */
static int by_conn_id(const void *x, const void *y)
{
	return strcmp(svc_conn_id(**(svc_conn *const *const *)x),
		      svc_conn_id(**(svc_conn *const *const *)y));
}

static int id_cmp(const void *id, const void *y)
{
	return strcmp(id, svc_conn_id(**(svc_conn *const *const *)y));
}

/* One row of conn_roles_all (a store_conn_role_cb). */
static int roles_row(void *p, const store_conn_role_row *row)
{
	struct roles_walk *w = p;
	svc_conn *const *const *hit;
	struct conn_roles *cr;

	if (!w->last || strcmp(svc_conn_id(*w->last), row->conn_id) != 0) {
		hit = bsearch(row->conn_id, w->byid, w->n, sizeof(*w->byid),
			      id_cmp);
		/* a connection not asked about is skipped */
		if (!(w->last = hit ? *hit : NULL))
			return 0;
	}
	cr = &w->out[w->last - w->conns];
	cr->seen = 1;
	cr->inherit = row->inherit;
	if (row->principal &&
	    applies(row->principal, w->a->actor, w->a->groups,
		    w->a->ngroups)) {
		cr->found = 1;
		if (row->role > cr->r)
			cr->r = row->role;
	}
	return 0;
}

int authz_actor_roles(svc_role *out, authz_actor *a, svc_store *st,
		      svc_conn *const *conns, size_t n)
{
	struct roles_walk w;
	size_t i;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.a = a;
	w.conns = conns;
	w.n = n;
	if (n == 0)
		return 0;
	if (!(w.byid = calloc(n, sizeof(*w.byid))) ||
	    !(w.out = calloc(n, sizeof(*w.out)))) {
		rc = error_oom();
		goto done;
	}
	for (i = 0; i < n; i++)
		w.byid[i] = &conns[i];
	qsort(w.byid, n, sizeof(*w.byid), by_conn_id);
	if ((rc = store_conn_roles_all(st, roles_row, &w)) != 0)
		goto done;
	for (i = 0; i < n && rc == 0; i++)
		/* one the walk did not see is gone: no role on it */
		if (!w.out[i].seen)
			out[i] = SVC_ROLE_NONE;
		else
			rc = actor_role_from(&out[i], a, st, conns[i],
					     w.out[i].r, w.out[i].found,
					     w.out[i].inherit);
done:
	free(w.byid);
	free(w.out);
	return rc;
}

int svc_authz_role(svc_role *out, svc_store *st, const char *actor,
		   const svc_conn *conn)
{
	authz_actor *a = NULL;
	int rc;

	if ((rc = authz_actor_new(&a, st, actor)))
		return rc;
	rc = authz_actor_role(out, a, st, conn);
	authz_actor_free(a);
	return rc;
}

int authz_role_enough(int on_conn, svc_role have, svc_role need)
{
	/* Creator is a store-level right; on a connection it means Reader */
	if (on_conn && have == SVC_ROLE_CREATOR)
		have = SVC_ROLE_READER;
	return have >= need;
}

/* 0 when have is at least need on conn (NULL: the store), else refused */
static int require(const char *actor, const svc_conn *conn, svc_role have,
		   svc_role need)
{
	if (authz_role_enough(conn != NULL, have, need))
		return 0;
	if (conn)
		return error_set(SVC_EDENIED,
				 "permission denied: '%s' needs the %s role on '%s'",
				 actor, svc_role_name(need), svc_conn_name(conn));
	return error_set(SVC_EDENIED,
			 "permission denied: '%s' needs the %s role on the store",
			 actor, svc_role_name(need));
}

int svc_authz_require(svc_store *st, const char *actor, const svc_conn *conn,
		      svc_role need)
{
	svc_role have;
	int rc = svc_authz_role(&have, st, actor, conn);

	return rc ? rc : require(actor, conn, have, need);
}
