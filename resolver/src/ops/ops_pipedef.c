/*
 * ops_pipedef.c - registered pipelines under the role matrix: the store's
 * Administrator registers and removes them (and must be allowed to use the
 * repository's connection: User on it); whoever may read the store lists
 * them and reads their source, as do agents and jobs (the server reads a
 * job's pipeline for it).
 */
#include "ops_int.h"
#include "errors_int.h"
#include "pipeline/pipedef_int.h"

int svc_ops_pipedef_register(svc_store *st, const svc_principal *p,
			     const char *name, const char *connection,
			     const char *url, const char *path,
			     const char *branch)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN)) ||
	    (rc = ops_conn(&c, st, p, connection, SVC_ROLE_USER)))
		return rc;
	rc = pipedef_register(st, name, svc_conn_id(c), url, path, branch,
			      svc_principal_audit_name(p));
	svc_conn_free(c);
	return rc;
}

int svc_ops_pipedef_list(svc_pipedef **out, size_t *count, svc_store *st,
			 const svc_principal *p)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_READER);

	return rc ? rc : pipedef_list(out, count, st, NULL);
}

int svc_ops_pipedef_remove(svc_store *st, const svc_principal *p,
			   const char *name)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : pipedef_remove(st, name, svc_principal_audit_name(p));
}

int svc_ops_pipeline_source(char **yaml, size_t *len, char **origin,
			    svc_store *st, const svc_principal *p,
			    const char *pipeline, const char *commit)
{
	svc_principal_kind k = svc_principal_kind_get(p);
	int rc;

	if ((rc = ops_enter(st, p)) ||
	    (k != SVC_PRINCIPAL_AGENT && k != SVC_PRINCIPAL_JOB &&
	     (rc = ops_require(st, p, NULL, SVC_ROLE_READER))))
		return rc;
	if (!pipeline)
		return error_set(SVC_EINVALID, "no pipeline named");
	return pipedef_source(yaml, len, origin, st, pipeline, commit);
}
