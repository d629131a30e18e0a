/*
 * identity.c - who is acting: $SVCCONN_USER, else the login name.
 *
 * On one machine this trusts the operating system: whoever can run svcconn
 * as a user and read that user's master key is that user.  SVCCONN_USER
 * only names the actor inside that trust (for a shared service account).
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcconn/store.h"
#include "errors_int.h"

int svc_identity_current(char **out)
{
	const char *u = getenv("SVCCONN_USER");
	struct passwd pw, *res = NULL;
	char buf[4096];

	if ((!u || !*u) &&
	    getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		u = res->pw_name;
	if (!u || !*u)
		return error_set(SVC_ERROR,
				 "cannot tell who you are: set SVCCONN_USER");
	if (strlen(u) > 256 || strpbrk(u, "\r\n\t"))
		return error_set(SVC_EINVALID, "invalid user name '%s'", u);
	*out = strdup(u);
	return *out ? 0 : error_oom();
}
