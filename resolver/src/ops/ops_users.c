/*
 * ops_users.c - users' passwords under the role matrix: a user sets,
 * removes and sees its own; the store's Administrator anybody's.  Agents
 * and jobs have no password.
 */
#include <string.h>

#include "ops_int.h"
#include "errors_int.h"
#include "users/users_int.h"

/*
 * 0 when p may manage the password of name (NULL: everybody's): its own
 * as a user, anybody's as the store's Administrator.
 */
static int may_manage(svc_store *st, const svc_principal *p, const char *name)
{
	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_USER)
		return error_set(SVC_EDENIED,
				 "'%s' is not a user: only users have passwords",
				 svc_principal_name(p));
	if (name && strcmp(name, svc_principal_name(p)) == 0)
		return 0;
	return ops_require(st, p, NULL, SVC_ROLE_ADMIN);
}

int svc_ops_password_set(svc_store *st, const svc_principal *p,
			 const char *name, const char *password, size_t len)
{
	int rc;

	if (!name)
		name = svc_principal_name(p);
	if ((rc = may_manage(st, p, name)))
		return rc;
	return svc_password_set(st, name, password, len,
				svc_principal_audit_name(p));
}

int svc_ops_password_remove(svc_store *st, const svc_principal *p,
			    const char *name)
{
	int rc;

	if (!name)
		name = svc_principal_name(p);
	if ((rc = may_manage(st, p, name)))
		return rc;
	return svc_password_remove(st, name, svc_principal_audit_name(p));
}

int svc_ops_user_list(svc_user_info **out, size_t *count, svc_store *st,
		      const svc_principal *p)
{
	svc_role role = SVC_ROLE_NONE;
	int rc;

	if ((rc = may_manage(st, p, svc_principal_name(p))) ||
	    (rc = svc_ops_role(&role, st, p, NULL)))
		return rc;
	/* an Administrator sees every user; others only themselves */
	return svc_user_list(out, count, st,
			     role >= SVC_ROLE_ADMIN ? NULL
						    : svc_principal_name(p));
}
