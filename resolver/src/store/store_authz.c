/*
 * store_authz.c - the stored side of authorization (authz.h): roles and
 * groups, pipeline permissions and permission requests, checks, check runs
 * and approvals, exclusive locks, and the usage history.
 *
 * Like store.c, this file decides and the backend (store_backend.h) moves
 * rows.  Every public function here is one transaction.  A change made by
 * a person is audited in the same transaction, naming what changed, never
 * a secret: role-set, role-inherit, group-create, group-delete, group-add,
 * group-remove, pipelines-all, pipeline-allow, pipeline-disallow,
 * request-open, request-permit, check-add, check-remove, check-enable,
 * check-disable, approval, and a check run's status changed to bypassed
 * (check-bypass) or by a named actor (check-decide).  What runs do many
 * times a minute is not audited: starting and updating check runs, taking
 * and releasing locks, recording usage.  svc_store_audit_add records a
 * decision made above the store that changed no row here.  An approver's
 * decision and the check run's status it leads to are one transaction
 * (svc_store_approval_decide): a crash between them cannot leave a stale
 * "pending" beside a decision that ended the run.
 *
 * Races between processes are settled inside the database: every write
 * holds the write lock (BEGIN IMMEDIATE in SQLite) from its first read, a
 * check run is started with an insert that does nothing on conflict and
 * then read back (so two racing processes get the same run), and a check
 * run is updated by compare-and-set on its version (SVC_EPENDING tells the
 * loser to reload and retry).
 *
 * Names: principals (users and groups, one namespace) and lock holders
 * compare exactly; pipeline names case-insensitively.  A connection may be
 * named by id or by name wherever a conn_id is taken; stored rows always
 * hold the id.  Times are UTC ISO 8601 from util/clock.h (so SVCCONN_NOW
 * moves them in tests), except lock leases, kept as seconds since the
 * epoch.  Whether an actor may do any of this is decided above the store
 * (the authz module); the store only records who did it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "svcconn/conn.h"
#include "authz/checkkinds.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "util/clock.h"
#include "store/store_write.h"

/* Longest principal, group, pipeline, run id or lock holder (bytes). */
#define NAME_MAX_LEN 512
/* Longest JSON text of a check's config or a check run's state. */
#define JSON_MAX_LEN ((size_t)1 << 20)
/* Longest free text (an approval's comment, a run's message). */
#define TEXT_MAX_LEN ((size_t)64 * 1024)

/* The statuses of a check run (SVC_RUN_*). */
static const char *const run_statuses[] = {
	SVC_RUN_PENDING, SVC_RUN_PASSED, SVC_RUN_APPROVED, SVC_RUN_REJECTED,
	SVC_RUN_FAILED, SVC_RUN_TIMED_OUT, SVC_RUN_BYPASSED,
};

/* The decisions recorded in the usage history. */
static const char *const usage_decisions[] = {
	"granted", "denied", "waiting", "needs-permission", "skipped",
};

/* The results of a job that used a connection. */
static const char *const usage_results[] = {
	"Succeeded", "SucceededWithIssues", "Failed", "Canceled", "Skipped",
	"Abandoned",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ----------------------------------------------------- */

/* 1 when s is one of the n words (exactly). */
static int one_of(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/*
 * The audit log's word for a role.  (authz's svc_role_name says the same;
 * the store keeps its own so it does not depend on the decision layer.)
 */
static const char *role_word(svc_role r)
{
	static const char *const words[] = {
		"none", "Reader", "User", "Creator", "Administrator",
	};

	return (unsigned)r < COUNT(words) ? words[r] : "unknown";
}

int store_name_check(const char *what, const char *s)
{
	const unsigned char *p;

	if (!s || !*s)
		return error_set(SVC_EINVALID, "no %s given", what);
	if (strlen(s) > NAME_MAX_LEN)
		return error_set(SVC_EINVALID, "%s is longer than %d bytes",
				 what, NAME_MAX_LEN);
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return error_set(SVC_EINVALID,
					 "%s contains a control character",
					 what);
	return 0;
}

/* Free text (may be NULL) of at most TEXT_MAX_LEN bytes. */
static int check_text(const char *what, const char *s)
{
	if (s && strlen(s) > TEXT_MAX_LEN)
		return error_set(SVC_EINVALID, "%s is longer than %zu bytes",
				 what, TEXT_MAX_LEN);
	return 0;
}

/* text must be a JSON object (what names it in the message). */
static int check_json_object(const char *what, const char *text)
{
	json_error_t jerr;
	json_t *j;
	int ok;

	if (strlen(text) > JSON_MAX_LEN)
		return error_set(SVC_EINVALID, "%s is longer than %zu bytes",
				 what, JSON_MAX_LEN);
	if (!(j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)))
		return error_set(SVC_EINVALID,
				 "%s is not valid JSON: %s (line %d)", what,
				 jerr.text, jerr.line);
	ok = json_is_object(j);
	json_decref(j);
	return ok ? 0 : error_set(SVC_EINVALID, "%s is not a JSON object",
				  what);
}

/* A new string copy of s (NULL stays NULL) into *out. */
static int dup_or_null(char **out, const char *s)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return error_oom();
	return 0;
}

/*
 * Inside a transaction: look up the connection (id or name) when conn_id
 * is given; *id and *name (new strings) stay NULL for the store.
 */
static int scope_find(char **id, char **name, svc_store *st,
		      const char *conn_id)
{
	*id = NULL;
	*name = NULL;
	return conn_id ? store_find_conn(id, name, st, conn_id) : 0;
}

/* "connection 'x'" or "the store", for messages. */
static const char *scope_word(const char *conn_name)
{
	return conn_name ? "connection" : "store";
}

/* ---- roles ------------------------------------------------------------- */

/*
 * The work of svc_store_role_set inside its transaction: on a connection
 * (conn_id), a project (project_id, named project for messages) or the
 * store.
 */
static int role_set_tx(svc_store *st, const char *conn_id,
		       const char *project_id, const char *project,
		       const char *principal, svc_role role, const char *who,
		       const char *now)
{
	char *id = NULL, *name = NULL;
	svc_role old = SVC_ROLE_NONE;
	int rc, had;

	if ((rc = scope_find(&id, &name, st, conn_id)) != 0)
		return rc;
	rc = st->ops->role_get(&old, st->be, id, project_id, principal);
	if (rc && rc != SVC_ENOTFOUND)
		goto done;
	had = rc == 0;
	rc = 0;
	if (role == SVC_ROLE_NONE && !had) {
		rc = name ? error_set(SVC_ENOTFOUND,
				      "'%s' has no role on connection '%s'",
				      principal, name)
		   : project ? error_set(SVC_ENOTFOUND,
					 "'%s' has no role in project '%s'",
					 principal, project)
			  : error_set(SVC_ENOTFOUND,
				      "'%s' has no role on the store",
				      principal);
		goto done;
	}
	if (had && old == role)
		goto done; /* nothing changes: nothing to audit */
	rc = role == SVC_ROLE_NONE
		? st->ops->role_delete(st->be, id, project_id, principal)
		: st->ops->role_put(st->be, id, project_id, principal, role,
				    who, now);
	if (rc == 0 && project)
		rc = store_audit(st, now, who, "role-set", "", "",
				 json_pack("{s:s, s:s, s:s, s:s, s:s}",
					   "scope", "project",
					   "project", project,
					   "principal", principal,
					   "role", role_word(role),
					   "previous",
					   role_word(had ? old
							 : SVC_ROLE_NONE)));
	else if (rc == 0)
		rc = store_audit(st, now, who, "role-set", id, name,
				 json_pack("{s:s, s:s, s:s, s:s}",
					   "scope", scope_word(name),
					   "principal", principal,
					   "role", role_word(role),
					   "previous",
					   role_word(had ? old
							 : SVC_ROLE_NONE)));
done:
	free(id);
	free(name);
	return rc;
}

/* svc_store_role_set and store_project_role_set: one checked change. */
static int role_set(svc_store *st, const char *conn_id,
		    const svc_project *project, const char *principal,
		    svc_role role, const char *actor)
{
	const char *who = store_actor(actor);
	char now[32];
	int rc;

	if ((rc = store_name_check("principal", principal)) != 0)
		return rc;
	if (role < SVC_ROLE_NONE || role > SVC_ROLE_ADMIN)
		return error_set(SVC_EINVALID, "unknown role %d", (int)role);
	if (conn_id && role == SVC_ROLE_CREATOR)
		return error_set(SVC_EINVALID,
				 "the Creator role is given on the store, not on connection '%s'",
				 conn_id);
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, role_set_tx(st, conn_id,
					    project ? project->id : NULL,
					    project ? project->name : NULL,
					    principal, role, who, now));
}

int svc_store_role_set(svc_store *st, const char *conn_id,
		       const char *principal, svc_role role, const char *actor)
{
	return role_set(st, conn_id, NULL, principal, role, actor);
}

int store_project_role_set(svc_store *st, const svc_project *project,
			   const char *principal, svc_role role,
			   const char *actor)
{
	return role_set(st, NULL, project, principal, role, actor);
}

/* svc_store_role_list and svc_store_project_role_list. */
static int role_list(svc_role_entry **out, size_t *count, svc_store *st,
		     const char *conn_id, const char *project_id)
{
	char *id = NULL, *name = NULL;
	svc_role_entry *e = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = scope_find(&id, &name, st, conn_id)) == 0)
		rc = st->ops->role_list(&e, &n, st->be, id, project_id);
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	if (rc)
		return rc;
	*out = e;
	*count = n;
	return 0;
}

int svc_store_role_list(svc_role_entry **out, size_t *count, svc_store *st,
			const char *conn_id)
{
	return role_list(out, count, st, conn_id, NULL);
}

int svc_store_project_role_list(svc_role_entry **out, size_t *count,
				svc_store *st, const char *project_id)
{
	return role_list(out, count, st, NULL, project_id);
}

int store_conn_roles_all(svc_store *st, store_conn_role_cb cb, void *ctx)
{
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	return store_tx_end(st, st->ops->conn_roles_all(st->be, cb, ctx));
}

void svc_role_entries_free(svc_role_entry *e, size_t count)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < count; i++)
		free(e[i].principal);
	free(e);
}

int svc_store_inherit_get(svc_store *st, const char *conn_id, int *on)
{
	char *id = NULL;
	int rc, v = 1;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, NULL, st, conn_id)) == 0)
		rc = st->ops->inherit_get(&v, st->be, id);
	rc = store_tx_end(st, rc);
	free(id);
	if (rc == 0)
		*on = v;
	return rc;
}

int svc_store_inherit_set(svc_store *st, const char *conn_id, int on,
			  const char *actor)
{
	const char *who = store_actor(actor);
	char *id = NULL, *name = NULL, now[32];
	int rc, old = 1;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, &name, st, conn_id)) == 0 &&
	    (rc = st->ops->inherit_get(&old, st->be, id)) == 0 &&
	    old != (on != 0) &&
	    (rc = st->ops->inherit_set(st->be, id, on != 0)) == 0)
		rc = store_audit(st, now, who, "role-inherit", id, name,
				 json_pack("{s:b}", "inherit", on != 0));
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	return rc;
}

/* ---- groups ------------------------------------------------------------ */

int svc_store_group_create(svc_store *st, const char *group,
			   const char *actor)
{
	const char *who = store_actor(actor);
	char **of = NULL, now[32];
	size_t n = 0;
	int rc;

	if ((rc = store_name_check("group name", group)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->group_find(st->be, group);
	if (rc == 0) {
		rc = error_set(SVC_EEXISTS, "group '%s' exists already",
			       group);
		goto done;
	}
	if (rc != SVC_ENOTFOUND)
		goto done;
	/* users and groups share names: a member of a group is a user */
	if ((rc = st->ops->groups_of(&of, &n, st->be, group)) != 0)
		goto done;
	if (n > 0) {
		rc = error_set(SVC_EEXISTS,
			       "'%s' is a user (a member of group '%s'); users and groups share one set of names",
			       group, of[0]);
		goto done;
	}
	if ((rc = st->ops->group_insert(st->be, group, who, now)) == 0)
		rc = store_audit(st, now, who, "group-create", NULL, NULL,
				 json_pack("{s:s}", "group", group));
done:
	svc_strings_free(of, n);
	return store_tx_end(st, rc);
}

int svc_store_group_delete(svc_store *st, const char *group,
			   const char *actor)
{
	const char *who = store_actor(actor);
	size_t members = 0, roles = 0;
	char now[32];
	int rc;

	if ((rc = store_name_check("group name", group)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->group_delete(&members, st->be, group);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "no group named '%s'", group);
	/* its role assignments, on the store and on every connection */
	if (rc == 0)
		rc = st->ops->role_delete_principal(&roles, st->be, group);
	if (rc == 0)
		rc = store_audit(st, now, who, "group-delete", NULL, NULL,
				 json_pack("{s:s, s:I, s:I}", "group", group,
					   "members", (json_int_t)members,
					   "roles", (json_int_t)roles));
	return store_tx_end(st, rc);
}

int svc_store_group_add(svc_store *st, const char *group, const char *member,
			const char *actor)
{
	const char *who = store_actor(actor);
	char now[32];
	int rc;

	if ((rc = store_name_check("group name", group)) != 0 ||
	    (rc = store_name_check("member name", member)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->group_find(st->be, group);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "no group named '%s'", group);
	if (rc == 0) {
		rc = st->ops->group_find(st->be, member);
		if (rc == 0)
			rc = error_set(SVC_EINVALID,
				       "'%s' is a group: groups cannot contain groups",
				       member);
		else if (rc == SVC_ENOTFOUND)
			rc = st->ops->member_insert(st->be, group, member,
						    who, now);
		if (rc == SVC_EEXISTS) {
			/* a member already: nothing changes */
			rc = 0;
		} else if (rc == 0) {
			rc = store_audit(st, now, who, "group-add", NULL, NULL,
					 json_pack("{s:s, s:s}", "group", group,
						   "member", member));
		}
	}
	return store_tx_end(st, rc);
}

int svc_store_group_remove(svc_store *st, const char *group,
			   const char *member, const char *actor)
{
	const char *who = store_actor(actor);
	char now[32];
	int rc;

	if ((rc = store_name_check("group name", group)) != 0 ||
	    (rc = store_name_check("member name", member)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->group_find(st->be, group);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "no group named '%s'", group);
	if (rc == 0) {
		rc = st->ops->member_delete(st->be, group, member);
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ENOTFOUND,
				       "'%s' is not a member of group '%s'",
				       member, group);
	}
	if (rc == 0)
		rc = store_audit(st, now, who, "group-remove", NULL, NULL,
				 json_pack("{s:s, s:s}", "group", group,
					   "member", member));
	return store_tx_end(st, rc);
}

int svc_store_group_list(char ***out, size_t *count, svc_store *st,
			 const char *group)
{
	char **l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	if (group) {
		rc = st->ops->group_find(st->be, group);
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ENOTFOUND, "no group named '%s'",
				       group);
	}
	if (rc == 0)
		rc = st->ops->group_list(&l, &n, st->be, group);
	if ((rc = store_tx_end(st, rc)) != 0)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

int svc_store_groups_of(char ***out, size_t *count, svc_store *st,
			const char *principal)
{
	char **l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_name_check("principal", principal)) != 0 ||
	    (rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->groups_of(&l, &n, st->be, principal);
	if ((rc = store_tx_end(st, rc)) != 0)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

int svc_store_group_exists(svc_store *st, const char *name)
{
	int rc;

	if (!name || !*name)
		return 0;
	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->group_find(st->be, name);
	if (rc == SVC_ENOTFOUND) {
		store_tx_end(st, 0);
		return 0;
	}
	rc = store_tx_end(st, rc);
	return rc ? rc : 1;
}

void svc_strings_free(char **s, size_t count)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < count; i++)
		free(s[i]);
	free(s);
}

/* ---- pipeline permissions ---------------------------------------------- */

int svc_store_conn_set_all_pipelines(svc_store *st, const char *conn_id,
				     int all, const char *actor)
{
	const char *who = store_actor(actor);
	char *id = NULL, *name = NULL, now[32];
	int rc;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, &name, st, conn_id)) == 0 &&
	    (rc = st->ops->conn_set_all_pipelines(st->be, id, all != 0, who,
						  now)) == 0)
		rc = store_audit(st, now, who, "pipelines-all", id, name,
				 json_pack("{s:b}", "all_pipelines",
					   all != 0));
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	return rc;
}

int svc_store_pipeline_allow(svc_store *st, const char *conn_id,
			     const char *pipeline, const char *actor)
{
	const char *who = store_actor(actor);
	char *id = NULL, *name = NULL, now[32];
	int rc;

	if ((rc = store_name_check("pipeline name", pipeline)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, &name, st, conn_id)) == 0) {
		rc = st->ops->pipeline_insert(st->be, id, pipeline, who, now);
		if (rc == SVC_EEXISTS)
			rc = 0; /* listed already: nothing changes */
		else if (rc == 0)
			rc = store_audit(st, now, who, "pipeline-allow", id,
					 name, json_pack("{s:s}", "pipeline",
							 pipeline));
	}
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	return rc;
}

int svc_store_pipeline_disallow(svc_store *st, const char *conn_id,
				const char *pipeline, const char *actor)
{
	const char *who = store_actor(actor);
	char *id = NULL, *name = NULL, now[32];
	int rc;

	if ((rc = store_name_check("pipeline name", pipeline)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, &name, st, conn_id)) == 0) {
		rc = st->ops->pipeline_delete(st->be, id, pipeline);
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ENOTFOUND,
				       "pipeline '%s' is not authorized for connection '%s'",
				       pipeline, name);
		else if (rc == 0)
			rc = store_audit(st, now, who, "pipeline-disallow", id,
					 name, json_pack("{s:s}", "pipeline",
							 pipeline));
	}
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	return rc;
}

int svc_store_pipeline_list(char ***out, size_t *count, svc_store *st,
			    const char *conn_id)
{
	char **l = NULL, *id = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, NULL, st, conn_id)) == 0)
		rc = st->ops->pipeline_list(&l, &n, st->be, id);
	rc = store_tx_end(st, rc);
	free(id);
	if (rc)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

int svc_store_pipeline_allowed(svc_store *st, const char *conn_id,
			       const char *pipeline, int *allowed)
{
	svc_conn *c = NULL;
	char *id = NULL;
	int rc, ok = 0;

	if ((rc = store_name_check("pipeline name", pipeline)) != 0 ||
	    (rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, NULL, st, conn_id)) != 0)
		goto done;
	rc = st->ops->pipeline_find(st->be, id, pipeline);
	if (rc == 0) {
		ok = 1;
	} else if (rc == SVC_ENOTFOUND &&
		   (rc = st->ops->conn_get(&c, st->be, id)) == 0) {
		ok = svc_conn_all_pipelines(c) != 0;
	}
done:
	rc = store_tx_end(st, rc);
	svc_conn_free(c);
	free(id);
	if (rc == 0)
		*allowed = ok;
	return rc;
}

/* ---- permission requests ----------------------------------------------- */

/* The work of svc_store_request_open inside its transaction. */
static int request_open_tx(char **out, svc_store *st, const char *conn_id,
			   const char *pipeline, const char *run_id,
			   const char *who, const char *now)
{
	char rid[SVC_ID_LEN + 1], *id = NULL, *name = NULL, *have = NULL;
	svc_perm_request r;
	int rc;

	if ((rc = store_find_conn(&id, &name, st, conn_id)) != 0)
		return rc;
	rc = st->ops->request_find_pending(&have, st->be, id, pipeline);
	if (rc == 0) {
		/* one pending request per connection and pipeline */
		*out = have;
		goto done;
	}
	if (rc != SVC_ENOTFOUND || (rc = svc_uuid_new(rid)) != 0)
		goto done;
	memset(&r, 0, sizeof(r));
	r.id = rid;
	r.conn_id = id;
	r.pipeline = (char *)pipeline;
	r.run_id = (char *)run_id;
	r.requested_by = (char *)who;
	r.at = (char *)now;
	r.status = "pending";
	if ((rc = st->ops->request_insert(st->be, &r)) == 0)
		rc = store_audit(st, now, who, "request-open", id, name,
				 json_pack("{s:s, s:s, s:s}", "request", rid,
					   "pipeline", pipeline,
					   "run_id", run_id));
	if (rc == 0 && !(*out = strdup(rid)))
		rc = error_oom();
done:
	free(id);
	free(name);
	return rc;
}

int svc_store_request_open(char **id, svc_store *st, const char *conn_id,
			   const char *pipeline, const char *run_id,
			   const char *requested_by)
{
	const char *who = store_actor(requested_by);
	char now[32], *rid = NULL;
	int rc;

	if ((rc = store_name_check("pipeline name", pipeline)) != 0 ||
	    (rc = store_name_check("run id", run_id)) != 0 ||
	    (rc = store_name_check("requester", who)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = store_tx_end(st, request_open_tx(&rid, st, conn_id, pipeline,
					      run_id, who, now));
	if (rc) {
		free(rid);
		return rc;
	}
	*id = rid;
	return 0;
}

int svc_store_request_list(svc_perm_request **out, size_t *count,
			   svc_store *st, int pending_only)
{
	svc_perm_request *l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->request_list(&l, &n, st->be, pending_only);
	if ((rc = store_tx_end(st, rc)) != 0)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

/* The work of svc_store_request_permit inside its transaction. */
static int request_permit_tx(svc_store *st, const char *id, const char *who,
			     const char *now)
{
	svc_perm_request *r = NULL;
	int rc;

	rc = st->ops->request_get(&r, st->be, id);
	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ENOTFOUND, "no permission request '%s'",
				 id);
	if (rc)
		return rc;
	if (strcmp(r->status, "permitted") == 0)
		goto done; /* permitted already: nothing changes */
	rc = st->ops->pipeline_insert(st->be, r->conn_id, r->pipeline, who,
				      now);
	if (rc == SVC_EEXISTS)
		rc = 0; /* authorized meanwhile by other means */
	if (rc == 0)
		rc = st->ops->request_decide(st->be, id, "permitted", who,
					     now);
	if (rc == 0)
		rc = store_audit(st, now, who, "request-permit", r->conn_id,
				 r->conn_name,
				 json_pack("{s:s, s:s, s:s, s:s}", "request", id,
					   "pipeline", r->pipeline,
					   "run_id", r->run_id,
					   "requested_by", r->requested_by));
done:
	svc_perm_requests_free(r, 1);
	return rc;
}

int svc_store_request_permit(svc_store *st, const char *id,
			     const char *actor)
{
	const char *who = store_actor(actor);
	char now[32];
	int rc;

	if ((rc = store_name_check("request id", id)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, request_permit_tx(st, id, who, now));
}

void svc_perm_requests_free(svc_perm_request *r, size_t count)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < count; i++) {
		free(r[i].id);
		free(r[i].conn_id);
		free(r[i].conn_name);
		free(r[i].pipeline);
		free(r[i].run_id);
		free(r[i].requested_by);
		free(r[i].at);
		free(r[i].status);
		free(r[i].decided_by);
	}
	free(r);
}

/* ---- checks ------------------------------------------------------------ */

int svc_store_check_add(char **id, svc_store *st, const char *conn_id,
			const char *kind, const char *config_json,
			const char *actor)
{
	const char *who = store_actor(actor);
	char cid[SVC_ID_LEN + 1], *conn = NULL, *name = NULL, now[32], *copy;
	svc_check c;
	int rc;

	if (!config_json)
		config_json = "{}";
	if (!check_kind_find(kind)) {
		svc_buf names = SVC_BUF_INIT;

		check_kind_names(&names, 0, " or ");
		rc = error_set(SVC_EINVALID, "unknown kind of check '%s' (want %s)",
			       kind ? kind : "", names.ptr ? names.ptr : "");
		buf_clear(&names);
		return rc;
	}
	if ((rc = check_json_object("the check's configuration",
				    config_json)) != 0 ||
	    (rc = svc_uuid_new(cid)) != 0 || (rc = store_now_iso(now)) != 0)
		return rc;
	if (!(copy = strdup(cid)))
		return error_oom();
	if ((rc = store_tx_write(st)) != 0) {
		free(copy);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.id = cid;
	c.kind = (char *)kind;
	c.config = (char *)config_json;
	c.enabled = 1;
	c.created_by = (char *)who;
	c.created_at = now;
	if ((rc = store_find_conn(&conn, &name, st, conn_id)) == 0) {
		c.conn_id = conn;
		/* the configuration is not audited: a REST check's headers
		 * are the owner's business */
		if ((rc = st->ops->check_insert(st->be, &c)) == 0)
			rc = store_audit(st, now, who, "check-add", conn, name,
					 json_pack("{s:s, s:s}", "check", cid,
						   "kind", kind));
	}
	rc = store_tx_end(st, rc);
	free(conn);
	free(name);
	if (rc) {
		free(copy);
		return rc;
	}
	*id = copy;
	return 0;
}

/* A check by id inside a transaction, with its connection's name. */
static int check_find(svc_check **c, char **conn_name, svc_store *st,
		      const char *check_id)
{
	int rc = st->ops->check_get(c, st->be, check_id);

	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ENOTFOUND, "no check '%s'", check_id);
	if (rc || !conn_name)
		return rc;
	if ((rc = st->ops->conn_find(NULL, conn_name, st->be, (*c)->conn_id,
				     STORE_FIND_ID)) != 0) {
		svc_checks_free(*c, 1);
		*c = NULL;
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ERROR,
				       "check '%s' belongs to no connection",
				       check_id);
	}
	return rc;
}

int svc_store_check_remove(svc_store *st, const char *check_id,
			   const char *actor)
{
	const char *who = store_actor(actor);
	char *name = NULL, now[32];
	svc_check *c = NULL;
	int rc;

	if ((rc = store_name_check("check id", check_id)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = check_find(&c, &name, st, check_id)) == 0 &&
	    (rc = st->ops->check_delete(st->be, check_id)) == 0)
		rc = store_audit(st, now, who, "check-remove", c->conn_id, name,
				 json_pack("{s:s, s:s}", "check", check_id,
					   "kind", c->kind));
	rc = store_tx_end(st, rc);
	svc_checks_free(c, c ? 1 : 0);
	free(name);
	return rc;
}

int svc_store_check_enable(svc_store *st, const char *check_id, int enabled,
			   const char *actor)
{
	const char *who = store_actor(actor);
	char *name = NULL, now[32];
	svc_check *c = NULL;
	int rc;

	if ((rc = store_name_check("check id", check_id)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	enabled = enabled != 0;
	if ((rc = check_find(&c, &name, st, check_id)) == 0 &&
	    c->enabled != enabled &&
	    (rc = st->ops->check_set_enabled(st->be, check_id, enabled)) == 0)
		rc = store_audit(st, now, who,
				 enabled ? "check-enable" : "check-disable",
				 c->conn_id, name,
				 json_pack("{s:s, s:s}", "check", check_id,
					   "kind", c->kind));
	rc = store_tx_end(st, rc);
	svc_checks_free(c, c ? 1 : 0);
	free(name);
	return rc;
}

int svc_store_check_list(svc_check **out, size_t *count, svc_store *st,
			 const char *conn_id)
{
	char *id = NULL, *name = NULL;
	svc_check *l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = scope_find(&id, &name, st, conn_id)) == 0)
		rc = st->ops->check_list(&l, &n, st->be, id);
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	if (rc)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

int svc_store_check_get(svc_check **out, svc_store *st, const char *check_id)
{
	svc_check *c = NULL;
	int rc;

	if ((rc = store_name_check("check id", check_id)) != 0 ||
	    (rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = store_tx_end(st, check_find(&c, NULL, st, check_id))) != 0)
		return rc;
	*out = c;
	return 0;
}

/* Free the strings of one check. */
static void check_clear(svc_check *c)
{
	free(c->id);
	free(c->conn_id);
	free(c->kind);
	free(c->config);
	free(c->created_by);
	free(c->created_at);
}

void svc_checks_free(svc_check *c, size_t count)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < count; i++)
		check_clear(&c[i]);
	free(c);
}

/* ---- check runs -------------------------------------------------------- */

/* The work of svc_store_check_run_start inside its transaction. */
static int run_start_tx(svc_check_run **out, svc_store *st,
			svc_check_run *row)
{
	svc_check *c = NULL;
	int rc;

	if ((rc = check_find(&c, NULL, st, row->check_id)) != 0)
		return rc;
	svc_checks_free(c, 1);
	/* insert-or-nothing on the unique key, then read back: whoever
	 * came first, both callers get the same run */
	if ((rc = st->ops->check_run_insert(NULL, st->be, row)) != 0)
		return rc;
	return st->ops->check_run_find(out, st->be, row->check_id,
				       row->pipeline, row->run_id, row->stage);
}

int svc_store_check_run_start(svc_check_run **out, svc_store *st,
			      const char *check_id, const char *pipeline,
			      const char *run_id, const char *stage,
			      const char *requested_by,
			      const char *initial_state)
{
	char rid[SVC_ID_LEN + 1], now[32];
	svc_check_run row, *r = NULL;
	int rc;

	if (!initial_state)
		initial_state = "{}";
	if ((rc = store_name_check("check id", check_id)) != 0 ||
	    (rc = store_name_check("pipeline name", pipeline)) != 0 ||
	    (rc = store_name_check("run id", run_id)) != 0 ||
	    (stage && *stage && (rc = store_name_check("stage", stage)) != 0) ||
	    (requested_by &&
	     (rc = store_name_check("requester", requested_by)) != 0) ||
	    (rc = check_json_object("the check run's state",
				    initial_state)) != 0 ||
	    (rc = svc_uuid_new(rid)) != 0 || (rc = store_now_iso(now)) != 0)
		return rc;
	memset(&row, 0, sizeof(row));
	row.id = rid;
	row.check_id = (char *)check_id;
	row.pipeline = (char *)pipeline;
	row.run_id = (char *)run_id;
	/* a run without stages: '' keeps the unique key whole */
	row.stage = (char *)(stage ? stage : "");
	row.requested_by = (char *)requested_by;
	row.status = SVC_RUN_PENDING;
	row.state = (char *)initial_state;
	row.started_at = now;
	row.updated_at = now;
	row.version = 1;
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_tx_end(st, run_start_tx(&r, st, &row))) != 0)
		return rc;
	*out = r;
	return 0;
}

int svc_store_check_run_get(svc_check_run **out, svc_store *st,
			    const char *run_id)
{
	svc_check_run *r = NULL;
	int rc;

	if ((rc = store_name_check("check run id", run_id)) != 0 ||
	    (rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->check_run_get(&r, st->be, run_id);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "no check run '%s'", run_id);
	if ((rc = store_tx_end(st, rc)) != 0)
		return rc;
	*out = r;
	return 0;
}

/* The work of svc_store_check_run_update_as inside its transaction. */
static int run_update_tx(svc_store *st, const char *id, long long version,
			 const char *status, const char *state,
			 const char *message, const char *actor,
			 const char *now)
{
	svc_check_run *r = NULL;
	char *name = NULL, *me = NULL;
	const char *who;
	int rc, changed, bypass;

	rc = st->ops->check_run_get(&r, st->be, id);
	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ENOTFOUND, "no check run '%s'", id);
	if (rc)
		return rc;
	if (r->version != version) {
		rc = error_set(SVC_EPENDING,
			       "check run '%s' changed meanwhile (version %lld, not %lld): reload it and try again",
			       id, r->version, version);
		goto done;
	}
	rc = st->ops->check_run_cas(st->be, id, version, status, state,
				    message, now);
	if (rc == SVC_EPENDING)
		rc = error_set(SVC_EPENDING,
			       "check run '%s' changed meanwhile: reload it and try again",
			       id);
	if (rc)
		goto done;
	changed = status && strcmp(status, r->status) != 0;
	bypass = changed && strcmp(status, SVC_RUN_BYPASSED) == 0;
	if (!bypass && !(changed && actor))
		goto done;
	/* a person's decision: audited, with who made it */
	if (actor && *actor)
		who = actor;
	else if (svc_identity_current(&me) == 0)
		who = me;
	else
		who = store_actor(NULL);
	rc = st->ops->conn_find(NULL, &name, st->be, r->conn_id, STORE_FIND_ID);
	if (rc == 0)
		rc = store_audit(st, now, who,
				 bypass ? "check-bypass" : "check-decide",
				 r->conn_id, name,
				 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, "
					   "s:s, s:s}",
					   "check_run", id, "check", r->check_id,
					   "kind", r->kind,
					   "pipeline", r->pipeline,
					   "run_id", r->run_id,
					   "stage", r->stage,
					   "from", r->status, "to", status));
done:
	svc_check_run_free(r);
	free(name);
	free(me);
	return rc;
}

int svc_store_check_run_update_as(svc_store *st, const char *id,
				  long long version, const char *status,
				  const char *state, const char *message,
				  const char *actor)
{
	char now[32];
	int rc;

	if ((rc = store_name_check("check run id", id)) != 0)
		return rc;
	if (status && !one_of(status, run_statuses, COUNT(run_statuses)))
		return error_set(SVC_EINVALID,
				 "unknown check run status '%s'", status);
	if ((state && (rc = check_json_object("the check run's state",
					      state)) != 0) ||
	    (rc = check_text("the check run's message", message)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, run_update_tx(st, id, version, status, state,
					      message, actor, now));
}

int svc_store_check_run_update(svc_store *st, const char *id,
			       long long version, const char *status,
			       const char *state, const char *message)
{
	return svc_store_check_run_update_as(st, id, version, status, state,
					     message, NULL);
}

int svc_store_check_run_list(svc_check_run **out, size_t *count,
			     svc_store *st, int pending_only,
			     const char *kind)
{
	svc_check_run *l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->check_run_list(&l, &n, st->be, pending_only, kind);
	if ((rc = store_tx_end(st, rc)) != 0)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

/* Free the strings of one check run. */
static void run_clear(svc_check_run *r)
{
	free(r->id);
	free(r->check_id);
	free(r->conn_id);
	free(r->kind);
	free(r->pipeline);
	free(r->run_id);
	free(r->stage);
	free(r->requested_by);
	free(r->status);
	free(r->state);
	free(r->message);
	free(r->started_at);
	free(r->updated_at);
}

void svc_check_run_free(svc_check_run *r)
{
	svc_check_runs_free(r, r ? 1 : 0);
}

void svc_check_runs_free(svc_check_run *r, size_t count)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < count; i++)
		run_clear(&r[i]);
	free(r);
}

/* ---- approvals --------------------------------------------------------- */

/* The work of svc_store_approval_add inside its transaction. */
static int approval_add_tx(svc_store *st, const svc_approval *a)
{
	svc_check_run *r = NULL;
	char *name = NULL;
	int rc;

	rc = st->ops->check_run_get(&r, st->be, a->check_run_id);
	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ENOTFOUND, "no check run '%s'",
				 a->check_run_id);
	if (rc)
		return rc;
	if ((rc = st->ops->conn_find(NULL, &name, st->be, r->conn_id,
				     STORE_FIND_ID)) == 0 &&
	    (rc = st->ops->approval_insert(st->be, a)) == 0)
		rc = store_audit(st, a->at, a->actor, "approval", r->conn_id,
				 name,
				 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}",
					   "check_run", a->check_run_id,
					   "pipeline", r->pipeline,
					   "run_id", r->run_id,
					   "as_approver", a->as_approver,
					   "decision", a->decision,
					   "defer_until", a->defer_until));
	svc_check_run_free(r);
	free(name);
	return rc;
}

/*
 * The check run's status after decision a, judged with the decision
 * counted, written in the decision's transaction.
 */
static int approval_judge_tx(svc_store *st, const svc_approval *a,
			     svc_store_approval_judge_fn judge, void *ctx)
{
	svc_check_run *r = NULL;
	svc_approval *l = NULL;
	const char *status = NULL;
	char *msg = NULL;
	size_t n = 0;
	int rc;

	if ((rc = st->ops->check_run_get(&r, st->be, a->check_run_id)) ||
	    (rc = st->ops->approval_list(&l, &n, st->be, a->check_run_id)) ||
	    (rc = judge(ctx, r, l, n, &status, &msg)))
		goto done;
	rc = run_update_tx(st, r->id, r->version, status, r->state,
			   msg ? msg : "", NULL, a->at);
done:
	free(msg);
	svc_approvals_free(l, n);
	svc_check_run_free(r);
	return rc;
}

/* A pending run's decision and, judged, its new status: one transaction. */
static int approval_decide_tx(svc_store *st, const svc_approval *a,
			      svc_store_approval_judge_fn judge, void *ctx)
{
	svc_check_run *r = NULL;
	int rc;

	if (judge) {
		/* decided meanwhile by another process: nothing to add */
		if ((rc = st->ops->check_run_get(&r, st->be, a->check_run_id)) == 0 &&
		    strcmp(r->status, SVC_RUN_PENDING) != 0)
			rc = error_set(SVC_EINVALID, "approval '%s' is already %s",
				       a->check_run_id, r->status);
		svc_check_run_free(r);
		if (rc && rc != SVC_ENOTFOUND)
			return rc;
	}
	if ((rc = approval_add_tx(st, a)) == 0 && judge)
		rc = approval_judge_tx(st, a, judge, ctx);
	return rc;
}

int svc_store_approval_add(svc_store *st, const char *check_run_id,
			   const char *actor, const char *as_approver,
			   const char *decision, const char *comment,
			   const char *defer_until)
{
	return svc_store_approval_decide(st, check_run_id, actor, as_approver,
					 decision, comment, defer_until, NULL,
					 NULL);
}

int svc_store_approval_decide(svc_store *st, const char *check_run_id,
			      const char *actor, const char *as_approver,
			      const char *decision, const char *comment,
			      const char *defer_until,
			      svc_store_approval_judge_fn judge, void *ctx)
{
	const char *who = store_actor(actor);
	char now[32], defer[32];
	svc_approval a;
	time_t t;
	int rc;

	if (!as_approver)
		as_approver = who;
	if ((rc = store_name_check("check run id", check_run_id)) != 0 ||
	    (rc = store_name_check("approver", who)) != 0 ||
	    (rc = store_name_check("approver entry", as_approver)) != 0 ||
	    (rc = check_text("the comment", comment)) != 0)
		return rc;
	if (!decision || (strcmp(decision, "approve") != 0 &&
			  strcmp(decision, "reject") != 0))
		return error_set(SVC_EINVALID,
				 "unknown decision '%s' (want approve or reject)",
				 decision ? decision : "");
	if (defer_until) {
		if ((rc = clock_parse(&t, defer_until)) != 0)
			return rc;
		clock_iso8601(defer, t);
	}
	if ((rc = store_now_iso(now)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.check_run_id = (char *)check_run_id;
	a.actor = (char *)who;
	a.as_approver = (char *)as_approver;
	a.decision = (char *)decision;
	a.comment = (char *)comment;
	a.defer_until = defer_until ? defer : NULL;
	a.at = now;
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, approval_decide_tx(st, &a, judge, ctx));
}

int svc_store_approval_list(svc_approval **out, size_t *count, svc_store *st,
			    const char *check_run_id)
{
	svc_check_run *r = NULL;
	svc_approval *l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_name_check("check run id", check_run_id)) != 0 ||
	    (rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->check_run_get(&r, st->be, check_run_id);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "no check run '%s'",
			       check_run_id);
	if (rc == 0)
		rc = st->ops->approval_list(&l, &n, st->be, check_run_id);
	rc = store_tx_end(st, rc);
	svc_check_run_free(r);
	if (rc)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

void svc_approvals_free(svc_approval *a, size_t count)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < count; i++) {
		free(a[i].check_run_id);
		free(a[i].actor);
		free(a[i].as_approver);
		free(a[i].decision);
		free(a[i].comment);
		free(a[i].defer_until);
		free(a[i].at);
	}
	free(a);
}

/* ---- exclusive locks --------------------------------------------------- */

/* What svc_store_lock_acquire works with inside its transaction. */
struct lock_try {
	const char *conn;      /**< the connection's id */
	const char *holder;    /**< who asks ("pipeline/run/stage") */
	int sequential;        /**< 1: queue order; 0: runLatest */
	long long now;         /**< the clock, epoch seconds */
	long long expires;     /**< the lease's end if taken */
	const char *now_iso;   /**< the clock, ISO 8601 */
	svc_lock_result res;   /**< the outcome */
	char *other;           /**< who it waits for (new string) or NULL */
};

/* The caller takes the free lock: hold it, leave the queue. */
static int lock_take(svc_store *st, struct lock_try *t)
{
	int rc;

	if ((rc = st->ops->lock_holder_put(st->be, t->conn, t->holder,
					   t->expires, t->now_iso)) == 0 &&
	    (rc = st->ops->lock_queue_remove(st->be, t->conn,
					     t->holder)) == 0)
		t->res = SVC_LOCK_ACQUIRED;
	return rc;
}

/* The caller waits (for t->other, when known): queue it if it is not. */
static int lock_wait(svc_store *st, struct lock_try *t)
{
	int rc;

	if ((rc = st->ops->lock_queue_add(st->be, t->conn, t->holder,
					  t->now_iso)) != 0)
		return rc;
	/* runLatest: the newest waiter replaces the older ones */
	if (!t->sequential &&
	    (rc = st->ops->lock_queue_cancel_older(st->be, t->conn,
						   t->holder)) != 0)
		return rc;
	t->res = SVC_LOCK_WAITING;
	return 0;
}

/* The lock is free: who gets it now. */
static int lock_free_tx(svc_store *st, struct lock_try *t, int queued)
{
	char *next = NULL;
	int rc;

	rc = st->ops->lock_queue_next(&next, st->be, t->conn, !t->sequential);
	if (rc && rc != SVC_ENOTFOUND)
		return rc;
	if (rc == SVC_ENOTFOUND || strcmp(next, t->holder) == 0 ||
	    (!t->sequential && !queued)) {
		/* sequential: the first in line (or no line); runLatest:
		 * the newest, and whoever waited before it is replaced */
		free(next);
		if (!t->sequential &&
		    (rc = st->ops->lock_queue_cancel_older(st->be, t->conn,
							   t->holder)) != 0)
			return rc;
		return lock_take(st, t);
	}
	if (!t->sequential) {
		/* runLatest and a newer run waits: this one is replaced */
		free(next);
		if ((rc = st->ops->lock_queue_set(st->be, t->conn, t->holder,
						  "canceled")) == 0)
			t->res = SVC_LOCK_CANCELED;
		return rc;
	}
	/* sequential and someone queued earlier: it goes first */
	t->other = next;
	return lock_wait(st, t);
}

/* The work of svc_store_lock_acquire inside its transaction. */
static int lock_acquire_tx(svc_store *st, struct lock_try *t)
{
	char *cur = NULL, *status = NULL;
	int rc, queued;

	if ((rc = st->ops->lock_expire(st->be, t->conn, t->now)) != 0)
		return rc;
	rc = st->ops->lock_holder_get(&cur, st->be, t->conn);
	if (rc && rc != SVC_ENOTFOUND)
		return rc;
	if (rc == 0 && strcmp(cur, t->holder) == 0) {
		/* held by the caller already: renew the lease */
		free(cur);
		if ((rc = st->ops->lock_renew(st->be, t->conn, t->holder,
					      t->expires)) == 0)
			t->res = SVC_LOCK_ACQUIRED;
		return rc;
	}
	rc = st->ops->lock_queue_status(&status, st->be, t->conn, t->holder);
	if (rc && rc != SVC_ENOTFOUND)
		goto done;
	queued = rc == 0;
	rc = 0;
	if (queued && strcmp(status, "canceled") == 0) {
		t->res = SVC_LOCK_CANCELED;
		goto done;
	}
	if (!cur) {
		rc = lock_free_tx(st, t, queued);
	} else {
		t->other = cur;
		cur = NULL;
		rc = lock_wait(st, t);
	}
done:
	free(cur);
	free(status);
	return rc;
}

int svc_store_lock_acquire(svc_lock_result *res, char **holder_out,
			   svc_store *st, const char *conn_id,
			   const char *holder, int sequential,
			   long lease_seconds)
{
	struct lock_try t;
	char now[32], *id = NULL;
	time_t tnow;
	int rc;

	if ((rc = store_name_check("lock holder", holder)) != 0)
		return rc;
	if (lease_seconds <= 0)
		return error_set(SVC_EINVALID,
				 "a lock's lease must last at least a second (not %ld)",
				 lease_seconds);
	if ((rc = clock_now(&tnow)) != 0)
		return rc;
	clock_iso8601(now, tnow);
	memset(&t, 0, sizeof(t));
	t.holder = holder;
	t.sequential = sequential != 0;
	t.now = (long long)tnow;
	t.expires = t.now + (long long)lease_seconds;
	t.now_iso = now;
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = store_find_conn(&id, NULL, st, conn_id)) == 0) {
		t.conn = id;
		rc = lock_acquire_tx(st, &t);
	}
	rc = store_tx_end(st, rc);
	free(id);
	if (rc) {
		free(t.other);
		return rc;
	}
	*res = t.res;
	if (holder_out)
		*holder_out = t.res == SVC_LOCK_WAITING ? t.other : NULL;
	if (!holder_out || t.res != SVC_LOCK_WAITING)
		free(t.other);
	return 0;
}

int svc_store_lock_renew(svc_store *st, const char *holder,
			 long lease_seconds)
{
	time_t tnow;
	int rc;

	if ((rc = store_name_check("lock holder", holder)) != 0)
		return rc;
	if (lease_seconds <= 0)
		return error_set(SVC_EINVALID,
				 "a lock's lease must last at least a second (not %ld)",
				 lease_seconds);
	if ((rc = clock_now(&tnow)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->lock_renew(st->be, NULL, holder,
				 (long long)tnow + (long long)lease_seconds);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "'%s' holds no lock", holder);
	return store_tx_end(st, rc);
}

static int lock_release(svc_store *st, const char *holder, int keep_queue)
{
	int rc;

	if ((rc = store_name_check("lock holder", holder)) != 0 ||
	    (rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, st->ops->lock_release(st->be, holder,
						      keep_queue));
}

int svc_store_lock_release(svc_store *st, const char *holder)
{
	return lock_release(st, holder, 0);
}

int svc_store_lock_release_held(svc_store *st, const char *holder)
{
	return lock_release(st, holder, 1);
}

/* ---- audit records from above the store -------------------------------- */

int svc_store_audit_add(svc_store *st, const char *actor, const char *action,
			const char *conn_id, const char *conn_name,
			const char *detail_json)
{
	const char *who = store_actor(actor);
	json_t *detail;
	const char *p;
	char now[32];
	int rc;

	if ((rc = store_name_check("audit action", action)) != 0)
		return rc;
	for (p = action; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-'))
			return error_set(SVC_EINVALID,
					 "invalid audit action '%s' (lower-case letters, digits and '-')",
					 action);
	if (!detail_json)
		detail_json = "{}";
	if ((rc = check_json_object("the audit detail", detail_json)) != 0 ||
	    (rc = store_now_iso(now)) != 0)
		return rc;
	if (!(detail = json_loads(detail_json, 0, NULL)))
		return error_oom();
	if ((rc = store_tx_write(st)) != 0) {
		json_decref(detail);
		return rc;
	}
	return store_tx_end(st, store_audit(st, now, who, action, conn_id,
					    conn_name, detail));
}

/* ---- usage history ----------------------------------------------------- */

/*
 * Append usage record u; with changed_only, not when the newest record of
 * the same connection, pipeline, run, stage and job says the same.
 */
static int usage_add(svc_store *st, const svc_usage *u, int changed_only)
{
	char *id = NULL, *name = NULL, now[32];
	svc_usage row;
	int rc, same = 0;

	if (!u)
		return error_set(SVC_EINVALID, "no usage record given");
	if ((rc = store_name_check("connection", u->conn_id)) != 0 ||
	    (rc = store_name_check("pipeline name", u->pipeline)) != 0 ||
	    (rc = store_name_check("run id", u->run_id)) != 0 ||
	    (rc = check_text("the usage message", u->message)) != 0)
		return rc;
	if (!one_of(u->decision, usage_decisions, COUNT(usage_decisions)))
		return error_set(SVC_EINVALID, "unknown decision '%s'",
				 u->decision ? u->decision : "");
	if (u->result && !one_of(u->result, usage_results,
				 COUNT(usage_results)))
		return error_set(SVC_EINVALID, "unknown result '%s'",
				 u->result);
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	row = *u;
	rc = st->ops->conn_find(&id, &name, st->be, u->conn_id,
				STORE_FIND_ID | STORE_FIND_NAME);
	if (rc == 0) {
		row.conn_id = id;
		if (!row.conn_name)
			row.conn_name = name;
	} else if (rc == SVC_ENOTFOUND && u->conn_name) {
		rc = 0; /* history of a connection that is gone */
	} else if (rc == SVC_ENOTFOUND) {
		rc = error_set(SVC_ENOTFOUND, "no connection named '%s'",
			       u->conn_id);
	}
	if (!row.at)
		row.at = now;
	if (rc == 0 && changed_only)
		rc = st->ops->usage_repeats(&same, st->be, &row);
	if (rc == 0 && !same)
		rc = st->ops->usage_insert(st->be, &row);
	rc = store_tx_end(st, rc);
	free(id);
	free(name);
	return rc;
}

int svc_store_usage_add(svc_store *st, const svc_usage *u)
{
	return usage_add(st, u, 0);
}

int store_usage_add_changed(svc_store *st, const svc_usage *u)
{
	return usage_add(st, u, 1);
}

int store_usage_result_check(const char *result)
{
	if (!one_of(result, usage_results, COUNT(usage_results)))
		return error_set(SVC_EINVALID,
				 "unknown result '%s' (want Succeeded, SucceededWithIssues, Failed, Canceled, Skipped or Abandoned)",
				 result ? result : "");
	return 0;
}

int svc_store_usage_finish(svc_store *st, const char *pipeline,
			   const char *run_id, const char *stage,
			   const char *job, const char *result)
{
	char now[32];
	int rc;

	if ((rc = store_name_check("pipeline name", pipeline)) != 0 ||
	    (rc = store_name_check("run id", run_id)) != 0)
		return rc;
	if ((rc = store_usage_result_check(result)) != 0)
		return rc;
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, st->ops->usage_finish(NULL, st->be, pipeline,
						      run_id, stage, job,
						      result, now));
}

int svc_store_usage_list(svc_usage **out, size_t *count, svc_store *st,
			 const char *conn_id, size_t limit)
{
	svc_usage *l = NULL;
	char *id = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	if (conn_id) {
		/* a deleted connection's history is still found by its id */
		rc = st->ops->conn_find(&id, NULL, st->be, conn_id,
					STORE_FIND_ID | STORE_FIND_NAME);
		if (rc == SVC_ENOTFOUND)
			rc = dup_or_null(&id, conn_id);
	}
	if (rc == 0)
		rc = st->ops->usage_list(&l, &n, st->be, id, limit);
	rc = store_tx_end(st, rc);
	free(id);
	if (rc)
		return rc;
	*out = l;
	*count = n;
	return 0;
}

void svc_usages_free(svc_usage *u, size_t count)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < count; i++) {
		free(u[i].conn_id);
		free(u[i].conn_name);
		free(u[i].pipeline);
		free(u[i].run_id);
		free(u[i].stage);
		free(u[i].job);
		free(u[i].requested_by);
		free(u[i].decision);
		free(u[i].message);
		free(u[i].at);
		free(u[i].result);
		free(u[i].finished_at);
	}
	free(u);
}
