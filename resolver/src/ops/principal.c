/*
 * principal.c - who acts: the local OS user (maybe impersonating another
 * name through SVCCONN_USER), or a party a server authenticated.
 *
 * A principal carries the name roles are matched against, its real
 * identity, how it authenticated, and the name the audit log records.  On
 * one machine the operating system authenticates: whoever runs svcconn as
 * an OS user and can read the master key is that user; SVCCONN_USER names
 * someone else only as an impersonation the audit log shows ("root as
 * alice").
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcconn/ops.h"
#include "errors_int.h"
#include "store/store_int.h"

/* Longest name of a principal. */
#define NAME_MAX_LEN 256

struct svc_principal {
	svc_principal_kind kind; /**< user, agent or job */
	char *name;              /**< matched against roles and approvers */
	char *real;              /**< authenticated identity (== name unless
				      impersonating) */
	char *authn;             /**< how it authenticated */
	char *audit;             /**< "real as name", or name */
	char *project;           /**< the project it acts in (NULL:
				      "default") */
};

/*
 * 0 when s may name a principal (a name the store accepts, short enough
 * that "real as name" is one too), else SVC_EINVALID naming what.
 */
static int check_name(const char *what, const char *s)
{
	int rc = store_name_check(what, s);

	if (rc)
		return rc;
	if (strlen(s) > NAME_MAX_LEN)
		return error_set(SVC_EINVALID, "%s '%.40s...' is longer than %d characters",
				 what, s, NAME_MAX_LEN);
	/* the audit log writes impersonations as "X as Y" */
	if (strstr(s, " as "))
		return error_set(SVC_EINVALID, "invalid %s '%s' (contains ' as ')",
				 what, s);
	return 0;
}

/* A principal of kind for name, authenticated as real by authn. */
static int make(svc_principal **out, svc_principal_kind kind,
		const char *name, const char *real, const char *authn)
{
	svc_principal *p = calloc(1, sizeof(*p));
	size_t n;

	if (!p)
		return error_oom();
	p->kind = kind;
	p->name = strdup(name);
	p->real = strdup(real);
	p->authn = strdup(authn);
	n = strlen(real) + strlen(name) + 5;
	p->audit = malloc(n);
	if (!p->name || !p->real || !p->authn || !p->audit) {
		svc_principal_free(p);
		return error_oom();
	}
	if (strcmp(name, real))
		snprintf(p->audit, n, "%s as %s", real, name);
	else
		snprintf(p->audit, n, "%s", name);
	*out = p;
	return 0;
}

int svc_principal_local(svc_principal **out)
{
	const char *as = getenv("SVCCONN_USER");
	struct passwd pw, *res = NULL;
	char buf[4096], uid[32];
	const char *real;
	int rc;

	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
	    res->pw_name && *res->pw_name) {
		real = res->pw_name;
	} else {
		/* a uid without an account (containers): named by number */
		snprintf(uid, sizeof(uid), "uid %lu", (unsigned long)geteuid());
		real = uid;
	}
	if ((rc = check_name("user name", real)))
		return rc;
	if (as && *as && (rc = check_name("user name", as)))
		return rc;
	return make(out, SVC_PRINCIPAL_USER, as && *as ? as : real, real, "os");
}

int svc_principal_new(svc_principal **out, svc_principal_kind kind,
		      const char *name, const char *authn)
{
	int rc;

	if (kind != SVC_PRINCIPAL_USER && kind != SVC_PRINCIPAL_AGENT &&
	    kind != SVC_PRINCIPAL_JOB)
		return error_set(SVC_EINVALID, "unknown kind of principal %d",
				 (int)kind);
	if ((rc = check_name("principal name", name)) ||
	    (rc = check_name("authentication method", authn)))
		return rc;
	return make(out, kind, name, name, authn);
}

void svc_principal_free(svc_principal *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->real);
	free(p->authn);
	free(p->audit);
	free(p->project);
	free(p);
}

svc_principal_kind svc_principal_kind_get(const svc_principal *p)
{
	return p->kind;
}

const char *svc_principal_name(const svc_principal *p)
{
	return p->name;
}

const char *svc_principal_real(const svc_principal *p)
{
	return p->real;
}

const char *svc_principal_authn(const svc_principal *p)
{
	return p->authn;
}

const char *svc_principal_audit_name(const svc_principal *p)
{
	return p->audit;
}

int svc_principal_impersonating(const svc_principal *p)
{
	return strcmp(p->name, p->real) != 0;
}

int svc_principal_set_project(svc_principal *p, const char *project)
{
	char *copy = NULL;

	if (project && !*project)
		return error_set(SVC_EINVALID, "no project name given");
	if (project && !(copy = strdup(project)))
		return error_oom();
	free(p->project);
	p->project = copy;
	return 0;
}

const char *svc_principal_project(const svc_principal *p)
{
	return p->project ? p->project : SVC_PROJECT_DEFAULT;
}
