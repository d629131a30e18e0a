/*
 * store_projects.c - the stored side of projects and shared connections
 * (docs/projects.md): creating and deleting projects, sharing a
 * connection into another project under a name of its own there, and the
 * project names are looked up in.
 *
 * Nothing here checks a role: the ops layer (ops/ops_projects.c) does.
 * Every change is one write transaction with its audit record.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svcconn/projects.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "store/store_write.h"

/* Longest project name (Azure DevOps' limit). */
#define PROJECT_NAME_MAX 64

int store_project_use(svc_store *st, const char *id)
{
	return st->ops->project_use(st->be, id);
}

const char *store_project_current(svc_store *st)
{
	return st->ops->project_current(st->be);
}

/*
 * A project name fits in a URL path segment as it is: no '/', '\\', '?',
 * '#', '%' or ':' and not starting with '_' or '.' (so that "_apis" and
 * "." are never projects).
 */
static int check_project_name(const char *name)
{
	int rc = store_name_check("project name", name);

	if (rc)
		return rc;
	if (strlen(name) > PROJECT_NAME_MAX)
		return error_set(SVC_EINVALID,
				 "project name '%.40s...' is longer than %d characters",
				 name, PROJECT_NAME_MAX);
	if (strpbrk(name, "/\\?#%:") || name[0] == '_' || name[0] == '.')
		return error_set(SVC_EINVALID,
				 "invalid project name '%s' (no '/', '\\', '?', '#', '%%' or ':', and no leading '_' or '.')",
				 name);
	return 0;
}

int svc_store_project_list(svc_project **out, size_t *count, svc_store *st,
			   const char *name_or_id)
{
	svc_project *p = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = store_tx_end(st, st->ops->project_list(&p, &n, st->be,
						    name_or_id));
	if (rc)
		return rc;
	if (name_or_id && n == 0) {
		svc_projects_free(p, n);
		return error_set(SVC_ENOTFOUND, "no project named '%s'",
				 name_or_id);
	}
	*out = p;
	*count = n;
	return 0;
}

void svc_projects_free(svc_project *p, size_t count)
{
	size_t i;

	for (i = 0; p && i < count; i++) {
		free(p[i].id);
		free(p[i].name);
		free(p[i].description);
		free(p[i].created_by);
		free(p[i].created_at);
	}
	free(p);
}

int svc_store_share_list(svc_share **out, size_t *count, svc_store *st,
			 const char *conn_id)
{
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	return store_tx_end(st, st->ops->share_list(out, count, st->be,
						    conn_id));
}

void svc_shares_free(svc_share *s, size_t count)
{
	size_t i;

	for (i = 0; s && i < count; i++) {
		free(s[i].project_id);
		free(s[i].project);
		free(s[i].name);
		free(s[i].description);
	}
	free(s);
}

int store_project_create(char **id, svc_store *st, const char *name,
			 const char *description, const char *actor)
{
	const char *who = store_actor(actor);
	char uuid[SVC_ID_LEN + 1], now[32];
	svc_project r;
	int rc;

	if ((rc = check_project_name(name)) != 0)
		return rc;
	if (description && strlen(description) > 1024)
		return error_set(SVC_EINVALID,
				 "description of project '%s' is longer than 1024 bytes",
				 name);
	if ((rc = svc_uuid_new(uuid)) != 0 || (rc = store_now_iso(now)) != 0)
		return rc;
	r.id = uuid;
	r.name = (char *)name;
	r.description = (char *)(description ? description : "");
	r.created_by = (char *)who;
	r.created_at = now;
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->project_insert(st->be, &r);
	if (rc == SVC_EEXISTS)
		rc = error_set(SVC_EEXISTS, "project '%s' already exists", name);
	if (rc == 0)
		rc = store_audit(st, now, who, "project-create", "", "",
				 json_pack("{s:s, s:s}", "project", name,
					   "id", uuid));
	if ((rc = store_tx_end(st, rc)) == 0 && id && !(*id = strdup(uuid)))
		rc = error_oom();
	return rc;
}

int store_project_delete(svc_store *st, const svc_project *project,
			 const char *actor)
{
	const char *who = store_actor(actor);
	long long n = 0;
	char now[32];
	int rc;

	if (strcmp(project->name, SVC_PROJECT_DEFAULT) == 0)
		return error_set(SVC_EINVALID,
				 "project '%s' cannot be deleted", project->name);
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->project_conn_count(&n, st->be, project->id);
	if (rc == 0 && n > 0)
		rc = error_set(SVC_EINVALID,
			       "project '%s' still owns %lld connection%s: delete or move them first",
			       project->name, n, n == 1 ? "" : "s");
	if (rc == 0)
		rc = st->ops->project_delete(st->be, project->id);
	if (rc == 0)
		rc = store_audit(st, now, who, "project-delete", "", "",
				 json_pack("{s:s, s:s}", "project",
					   project->name, "id", project->id));
	return store_tx_end(st, rc);
}

/* Inside the transaction: refuse a name project already uses. */
static int share_name_free(svc_store *st, const char *conn_id,
			   const svc_project *project, const char *name)
{
	const char *was = store_project_current(st);
	char keep[SVC_ID_LEN + 1], *id = NULL;
	int rc;

	snprintf(keep, sizeof(keep), "%s", was);
	if ((rc = store_project_use(st, project->id)) != 0)
		return rc;
	rc = st->ops->conn_find(&id, NULL, st->be, name, STORE_FIND_NAME);
	store_project_use(st, keep);
	if (rc == SVC_ENOTFOUND)
		return 0;
	if (rc == 0 && strcmp(id, conn_id) != 0)
		rc = error_set(SVC_EEXISTS,
			       "project '%s' already has a connection named '%s'",
			       project->name, name);
	free(id);
	return rc;
}

int store_share_set(svc_store *st, const char *conn_id,
		    const svc_project *project, const char *name,
		    const char *description, const char *actor)
{
	const char *who = store_actor(actor);
	svc_conn *c = NULL;
	char now[32];
	int rc;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = st->ops->conn_get(&c, st->be, conn_id)) != 0)
		goto done;
	if (!name)
		name = svc_conn_name(c);
	if ((rc = store_name_check("connection name", name)) != 0)
		goto done;
	if (strcmp(svc_conn_project_id(c), project->id) == 0) {
		rc = error_set(SVC_EINVALID,
			       "connection '%s' belongs to project '%s' already",
			       svc_conn_name(c), project->name);
		goto done;
	}
	if ((rc = share_name_free(st, conn_id, project, name)) == 0 &&
	    (rc = st->ops->share_put(st->be, conn_id, project->id, name,
				     description, who, now)) == 0)
		rc = store_audit(st, now, who, "share", conn_id,
				 svc_conn_name(c),
				 json_pack("{s:s, s:s}", "project",
					   project->name, "name", name));
done:
	svc_conn_free(c);
	return store_tx_end(st, rc);
}

int store_share_delete(svc_store *st, const char *conn_id,
		       const svc_project *project, const char *actor)
{
	const char *who = store_actor(actor);
	char now[32], *name = NULL;
	int rc;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = st->ops->conn_find(NULL, &name, st->be, conn_id,
				     STORE_FIND_ID)) != 0)
		goto done;
	rc = st->ops->share_delete(st->be, conn_id, project->id);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND,
			       "connection '%s' is not shared with project '%s'",
			       name, project->name);
	if (rc == 0)
		rc = store_audit(st, now, who, "unshare", conn_id, name,
				 json_pack("{s:s}", "project", project->name));
done:
	free(name);
	return store_tx_end(st, rc);
}
