/*
 * ops_oidc.c - the OIDC issuer under the role matrix: anyone who may read
 * the store sees the public side of its keys; only its Administrator
 * rotates them; only a running job, with its own token, gets ID tokens,
 * and only for the connections it was granted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops_int.h"
#include "errors_int.h"
#include "agents/agents_int.h"
#include "oidc/oidc_int.h"
#include "util/buf.h"

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

int svc_ops_oidc_job_token(char **token, svc_store *st, const svc_principal *p,
			   const char *job_id, const char *conn,
			   const svc_oidc_token_options *o)
{
	svc_oidc_token_options mine;
	svc_buf why = SVC_BUF_INIT;
	svc_conn **l = NULL, *hit = NULL;
	char *owner = NULL;
	size_t n = 0, i;
	int rc;

	if (!o || !conn)
		return error_set(SVC_EINVALID,
				 "an ID token needs its options and a connection");
	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_JOB)
		return error_set(SVC_EDENIED,
				 "'%s' is not a job: only a job's own token asks for its ID tokens",
				 svc_principal_name(p));
	/* another job's, or one that ended: refused and audited there */
	if ((rc = agents_job_conns(&l, &n, st, svc_principal_name(p), job_id)))
		return rc;
	for (i = 0; i < n && !hit; i++)
		if (strcasecmp(svc_conn_id(l[i]), conn) == 0 ||
		    strcmp(svc_conn_name(l[i]), conn) == 0)
			hit = l[i];
	if (!hit) {
		buf_init(&why, 600, 0);
		rc = buf_printf(&why, "an ID token for connection '%s', which it was not granted",
				conn);
		rc = agents_job_refuse(st, svc_principal_name(p), job_id,
				       rc ? "an ID token for a connection it was not granted"
					  : why.ptr);
		goto done;
	}
	mine = *o;
	/* a shared connection's sub names the project that owns it */
	if ((rc = oidc_owner_project(&owner, st, hit)))
		goto done;
	if (owner)
		mine.project = owner;
	mine.connection = svc_conn_name(hit);
	mine.connection_id = svc_conn_id(hit);
	mine.requester = svc_principal_name(p);
	rc = svc_oidc_issue(token, st, &mine);
done:
	for (i = 0; i < n; i++)
		svc_conn_free(l[i]);
	free(l);
	free(owner);
	buf_clear(&why);
	return rc;
}
