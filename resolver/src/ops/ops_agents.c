/*
 * ops_agents.c - agent pools and agents under the role matrix: only a
 * user who is the store's Administrator creates and lists pools, issues
 * registration tokens, lists and revokes agents.  Agents and jobs manage
 * none of it (an agent registers itself with a registration token:
 * svc_agent_register, authenticated by that token).
 *
 * Jobs: only an agent starts one (its pool decides whether it may send the
 * pipeline's YAML) and renews its lease; the agent or the job itself
 * completes it; only the job's own token opens its connections' secrets.
 */
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "errors_int.h"
#include "agents/agents_int.h"
#include "runtime/runtime_int.h"

/* 0 when p is a user holding Administrator on the store. */
static int require_admin(svc_store *st, const svc_principal *p)
{
	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_USER)
		return error_set(SVC_EDENIED,
				 "'%s' is not a user: only the store's Administrator manages agents and pools",
				 svc_principal_name(p));
	return ops_require(st, p, NULL, SVC_ROLE_ADMIN);
}

int svc_ops_pool_create(svc_store *st, const svc_principal *p,
			const char *name, int trusted)
{
	int rc;

	if ((rc = require_admin(st, p)))
		return rc;
	return agents_pool_create(st, name, trusted,
				  svc_principal_audit_name(p));
}

int svc_ops_pool_list(svc_pool **out, size_t *count, svc_store *st,
		      const svc_principal *p)
{
	int rc;

	if ((rc = require_admin(st, p)))
		return rc;
	return agents_pool_list(out, count, st);
}

int svc_ops_agent_registration_token(char **token, long long *expires,
				     svc_store *st, const svc_principal *p,
				     const char *pool, unsigned hours)
{
	int rc;

	if ((rc = require_admin(st, p)))
		return rc;
	return agents_registration_token(token, expires, st, pool, hours,
					 svc_principal_audit_name(p));
}

int svc_ops_agent_list(svc_agent **out, size_t *count, svc_store *st,
		       const svc_principal *p)
{
	int rc;

	if ((rc = require_admin(st, p)))
		return rc;
	return agents_list(out, count, st);
}

int svc_ops_agent_revoke(svc_store *st, const svc_principal *p,
			 const char *name)
{
	int rc;

	if ((rc = require_admin(st, p)))
		return rc;
	return agents_revoke(st, name, svc_principal_audit_name(p));
}

/* ---- jobs agents start through the server ---- */

/* 0 when p is an agent (its name into *name); SVC_EDENIED otherwise. */
static int require_kind(const svc_principal *p, svc_principal_kind kind,
			const char *what)
{
	if (svc_principal_kind_get(p) != kind)
		return error_set(SVC_EDENIED, "'%s' is not %s",
				 svc_principal_name(p), what);
	return 0;
}

int svc_ops_job_start(svc_agent_job **out, svc_store *st,
		      const svc_principal *p, const svc_catalog *cat,
		      const svc_job_request *req)
{
	svc_agent a;
	svc_pool pool;
	int rc;

	if ((rc = require_kind(p, SVC_PRINCIPAL_AGENT,
			       "an agent: only agents start jobs")) ||
	    (rc = ops_enter(st, p)))
		return rc;
	if ((rc = svc_agent_get(&a, &pool, st, svc_principal_name(p))))
		return rc == SVC_ENOTFOUND
			       ? error_set(SVC_EDENIED, "no agent '%s'",
					   svc_principal_name(p))
			       : rc;
	if (a.revoked)
		rc = error_set(SVC_EDENIED, "agent '%s' is revoked", a.name);
	else
		rc = agents_job_start(out, st, cat, a.name, pool.name,
				      pool.trusted, req);
	svc_agent_clear(&a);
	free(pool.name);
	free(pool.created_by);
	return rc;
}

int svc_ops_job_renew(long long *lease, svc_store *st,
		      const svc_principal *p, const char *id,
		      long lease_seconds)
{
	int rc;

	if ((rc = require_kind(p, SVC_PRINCIPAL_AGENT,
			       "an agent: a job's agent renews its lease")))
		return rc;
	return agents_job_touch(lease, st, svc_principal_name(p), NULL, id,
				NULL, lease_seconds);
}

int svc_ops_job_complete(svc_store *st, const svc_principal *p,
			 const char *id, const char *result)
{
	int rc;

	if ((rc = job_result_check(result)))
		return rc;
	if (svc_principal_kind_get(p) == SVC_PRINCIPAL_AGENT)
		return agents_job_touch(NULL, st, svc_principal_name(p), NULL,
					id, result, 0);
	if (svc_principal_kind_get(p) == SVC_PRINCIPAL_JOB)
		return agents_job_touch(NULL, st, NULL, svc_principal_name(p),
					id, result, 0);
	return error_set(SVC_EDENIED,
			 "'%s' is neither an agent nor a job: it cannot complete a job",
			 svc_principal_name(p));
}

int svc_ops_job_connections(svc_conn ***out, size_t *count, svc_store *st,
			    const svc_principal *p, const char *id)
{
	int rc;

	if ((rc = require_kind(p, SVC_PRINCIPAL_JOB,
			       "a job: only a job's token opens its connections")))
		return rc;
	return agents_job_conns(out, count, st, svc_principal_name(p), id);
}
