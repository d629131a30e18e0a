/*
 * projects.h - projects, as in Azure DevOps: connections, pipelines,
 * pipeline permissions and roles belong to one; a connection may be shared
 * into others under a name of its own there.
 *
 * A store has the project "default" from its creation (or its migration
 * to schema 10, which moves every existing row into it).  Reads here take
 * no principal; svc_ops_project_* (ops.h) are the checked verbs, and
 * svc_principal_set_project() names the project an ops call acts in.
 * docs/projects.md holds the design.
 */
#ifndef SVCCONN_PROJECTS_H
#define SVCCONN_PROJECTS_H

#include <stddef.h>
#include "authz.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** The project every store has. */
#define SVC_PROJECT_DEFAULT "default"

/** One project. */
typedef struct svc_project {
	char *id;          /**< UUID */
	char *name;        /**< unique case-insensitively */
	char *description; /**< "" when none */
	char *created_by;  /**< who created it */
	char *created_at;  /**< when, ISO 8601 UTC */
} svc_project;

/** One project a connection is shared into. */
typedef struct svc_share {
	char *project_id;  /**< the project's id */
	char *project;     /**< the project's name */
	char *name;        /**< the connection's name in that project */
	char *description; /**< its description there ("" when none) */
} svc_share;

/**
 * The project with this name (case-insensitively) or id, or (name_or_id
 * NULL) every project by name.  SVC_ENOTFOUND naming it.
 */
int svc_store_project_list(svc_project **out, size_t *count, svc_store *st,
			   const char *name_or_id);
void svc_projects_free(svc_project *p, size_t count);
/** The projects connection conn_id (an id) is shared into, by name. */
int svc_store_share_list(svc_share **out, size_t *count, svc_store *st,
			 const char *conn_id);
void svc_shares_free(svc_share *s, size_t count);
/** The role assignments in project project_id (an id). */
int svc_store_project_role_list(svc_role_entry **out, size_t *count,
				svc_store *st, const char *project_id);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
