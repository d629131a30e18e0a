/*
 * ops_tokens.c - personal access tokens under the role matrix: a user
 * creates, lists and revokes its own; the store's Administrator anybody's.
 * Agents and jobs hold no personal tokens.
 */
#include <string.h>

#include "ops_int.h"
#include "errors_int.h"
#include "tokens/tokens_int.h"

/*
 * 0 when p may manage the tokens of owner (NULL: everybody's): its own
 * as a user, anybody's as the store's Administrator.
 */
static int may_manage(svc_store *st, const svc_principal *p,
		      const char *owner)
{
	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_USER)
		return error_set(SVC_EDENIED,
				 "'%s' is not a user: only users hold personal access tokens",
				 svc_principal_name(p));
	if (owner && strcmp(owner, svc_principal_name(p)) == 0)
		return 0;
	return ops_require(st, p, NULL, SVC_ROLE_ADMIN);
}

int svc_ops_token_create(char **token, svc_token_info *info, svc_store *st,
			 const svc_principal *p, const char *owner,
			 const char *name, const char *scopes, unsigned days)
{
	int rc;

	if (!owner)
		owner = svc_principal_name(p);
	if ((rc = may_manage(st, p, owner)))
		return rc;
	return svc_token_create(token, info, st, owner, name, scopes, days,
				svc_principal_audit_name(p));
}

int svc_ops_token_list(svc_token_info **out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *owner, int all)
{
	int rc;

	if (!all && !owner)
		owner = svc_principal_name(p);
	if ((rc = may_manage(st, p, all ? NULL : owner)))
		return rc;
	return svc_token_list(out, count, st, all ? NULL : owner);
}

int svc_ops_token_revoke(svc_store *st, const svc_principal *p,
			 const char *id)
{
	svc_role role = SVC_ROLE_NONE;
	int rc;

	if ((rc = may_manage(st, p, svc_principal_name(p))))
		return rc;
	/* an Administrator finds anybody's token; others only their own */
	if ((rc = svc_ops_role(&role, st, p, NULL)))
		return rc;
	return svc_token_revoke(st, id,
				role >= SVC_ROLE_ADMIN ? NULL
						       : svc_principal_name(p),
				svc_principal_audit_name(p));
}
