/*
 * ops_oidc.c - the OIDC issuer's signing keys under the role matrix:
 * anyone who may read the store sees the public side of its keys; only
 * its Administrator rotates them.
 */
#include "ops_int.h"
#include "oidc/oidc_int.h"

int svc_ops_oidc_keys(svc_oidc_key **out, size_t *count, svc_store *st,
		      const svc_principal *p)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_READER);

	return rc ? rc : svc_oidc_keys(out, count, st);
}

int svc_ops_oidc_rotate(char **kid, svc_store *st, const svc_principal *p,
			const char *alg)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_oidc_rotate(kid, st, alg,
					 svc_principal_audit_name(p));
}
