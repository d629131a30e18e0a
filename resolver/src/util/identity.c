/*
 * identity.c - who is acting, as one name: the local principal's
 * (src/ops/principal.c), that is $SVCCONN_USER, else the login name.
 *
 * For callers that record a name (who queued a run); decisions and audit
 * records go through the ops layer, which knows an impersonation as such.
 */
#include <stdlib.h>
#include <string.h>

#include "svcconn/ops.h"
#include "errors_int.h"

int svc_identity_current(char **out)
{
	svc_principal *p = NULL;
	int rc = svc_principal_local(&p);

	if (rc)
		return rc;
	*out = strdup(svc_principal_name(p));
	svc_principal_free(p);
	return *out ? 0 : error_oom();
}
