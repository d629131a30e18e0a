/*
 * ops_agents.c - agent pools and agents under the role matrix: only a
 * user who is the store's Administrator creates and lists pools, issues
 * registration tokens, lists and revokes agents.  Agents and jobs manage
 * none of it (an agent registers itself with a registration token:
 * svc_agent_register, authenticated by that token).
 */
#include "ops_int.h"
#include "errors_int.h"
#include "agents/agents_int.h"

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
