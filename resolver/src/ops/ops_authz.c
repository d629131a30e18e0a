/*
 * ops_authz.c - the role checks every verb starts with, and the verbs of
 * checks and approvals: list, add, remove, enable, decide, bypass.
 *
 * Role lookups (inheritance, groups) are authz/roles.c's; decisions on
 * approvals and bypasses are authz/gate.c's, given every name the
 * principal is known by so that an impersonation does not let the
 * requester of a run approve it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ops/ops_int.h"
#include "authz/authz_int.h"
#include "errors_int.h"
#include "store/store_int.h"

int ops_require(svc_store *st, const svc_principal *p, const svc_conn *conn,
		svc_role need)
{
	int rc;

	if ((rc = ops_enter(st, p)) || (conn && (rc = ops_conn_visible(st, conn))))
		return rc;
	return ops_role_check(st, p, conn, need);
}

/*
 * Roles are granted to users (and their groups) only: an agent or a job
 * whose name is also a user's name holds none of its roles.
 */
static int not_a_user(const svc_principal *p, const svc_conn *conn)
{
	return error_set(SVC_EDENIED,
			 "'%s' is not a user: it holds no role on %s%s%s",
			 svc_principal_name(p),
			 conn ? "connection '" : "the store",
			 conn ? svc_conn_name(conn) : "",
			 conn ? "'" : "");
}

int ops_role_actor(authz_actor **out, svc_store *st, const svc_principal *p)
{
	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_USER)
		return not_a_user(p, NULL);
	return authz_actor_new(out, st, svc_principal_name(p));
}

int ops_role_check(svc_store *st, const svc_principal *p,
		   const svc_conn *conn, svc_role need)
{
	svc_role have = SVC_ROLE_NONE;

	if (svc_principal_kind_get(p) != SVC_PRINCIPAL_USER)
		return not_a_user(p, conn);
	/* a project's Creator or Administrator creates connections there */
	if (!conn && need == SVC_ROLE_CREATOR &&
	    authz_project_role(&have, st, svc_principal_name(p),
			       store_project_current(st)) == 0 &&
	    have >= SVC_ROLE_CREATOR)
		return 0;
	return svc_authz_require(st, svc_principal_name(p), conn, need);
}

int ops_conn(svc_conn **out, svc_store *st, const svc_principal *p,
	     const char *name_or_id, svc_role need)
{
	svc_conn *c = NULL;
	int rc;

	if (!name_or_id)
		return error_set(SVC_EINVALID, "no connection named");
	if ((rc = ops_enter(st, p)) ||
	    (rc = svc_store_conn_get(&c, st, name_or_id, 0)))
		return rc;
	if ((rc = ops_require(st, p, c, need))) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int ops_require_candidate(svc_store *st, const svc_principal *p,
			  const svc_conn *c)
{
	svc_conn *stored = NULL;
	int rc;

	if ((rc = ops_enter(st, p)))
		return rc;
	if (!svc_conn_id(c) ||
	    svc_store_conn_get(&stored, st, svc_conn_id(c), 0) != 0)
		return ops_require(st, p, NULL, SVC_ROLE_CREATOR);
	rc = ops_require(st, p, stored, SVC_ROLE_ADMIN);
	svc_conn_free(stored);
	return rc;
}

int svc_ops_role(svc_role *out, svc_store *st, const svc_principal *p,
		 const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_enter(st, p)) ||
	    (name_or_id && (rc = svc_store_conn_get(&c, st, name_or_id, 0))))
		return rc;
	if (c && (rc = ops_conn_visible(st, c))) {
		svc_conn_free(c);
		return rc;
	}
	rc = svc_authz_role(out, st, svc_principal_name(p), c);
	svc_conn_free(c);
	return rc;
}

int svc_ops_check_list(svc_check **out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_READER)))
		return rc;
	rc = svc_store_check_list(out, count, st, svc_conn_id(c));
	svc_conn_free(c);
	return rc;
}

int svc_ops_check_add(char **id, svc_store *st, const svc_principal *p,
		      const char *name_or_id, const char *kind,
		      const char *const *keys, const char *const *values,
		      size_t n)
{
	svc_conn *c = NULL;
	char *cfg = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_USER)))
		return rc;
	if (!(rc = svc_check_config(&cfg, st, kind, keys, values, n)))
		rc = svc_store_check_add(id, st, svc_conn_id(c), kind, cfg,
					 svc_principal_audit_name(p));
	free(cfg);
	svc_conn_free(c);
	return rc;
}

/* Load the check check_id of connection c, which p may use (User). */
static int own_check(svc_check **chk, svc_conn **c, svc_store *st,
		     const svc_principal *p, const char *name_or_id,
		     const char *check_id)
{
	int rc;

	if ((rc = ops_conn(c, st, p, name_or_id, SVC_ROLE_USER)))
		return rc;
	if (svc_store_check_get(chk, st, check_id) ||
	    strcmp((*chk)->conn_id, svc_conn_id(*c))) {
		svc_checks_free(*chk, *chk ? 1 : 0);
		*chk = NULL;
		return error_set(SVC_ENOTFOUND, "connection '%s' has no check '%s'",
				 svc_conn_name(*c), check_id);
	}
	return 0;
}

int svc_ops_check_remove(svc_store *st, const svc_principal *p,
			 const char *name_or_id, const char *check_id)
{
	svc_check *chk = NULL;
	svc_conn *c = NULL;
	int rc = own_check(&chk, &c, st, p, name_or_id, check_id);

	if (!rc)
		rc = svc_store_check_remove(st, chk->id,
					    svc_principal_audit_name(p));
	svc_checks_free(chk, chk ? 1 : 0);
	svc_conn_free(c);
	return rc;
}

int svc_ops_check_enable(svc_store *st, const svc_principal *p,
			 const char *name_or_id, const char *check_id,
			 int enabled)
{
	svc_check *chk = NULL;
	svc_conn *c = NULL;
	int rc = own_check(&chk, &c, st, p, name_or_id, check_id);

	if (!rc)
		rc = svc_store_check_enable(st, chk->id, enabled,
					    svc_principal_audit_name(p));
	svc_checks_free(chk, chk ? 1 : 0);
	svc_conn_free(c);
	return rc;
}

int svc_ops_approval_list(svc_check_run **out, char ***conn_names,
			  size_t *count, svc_store *st,
			  const svc_principal *p, int pending_only)
{
	svc_check_run *r = NULL;
	char **names = NULL;
	size_t n = 0, i, k = 0;
	int rc;

	/* approvers need no role: everyone may see what waits, in the
	 * projects it sees */
	if ((rc = ops_enter(st, p)) ||
	    (rc = svc_store_check_run_list(&r, &n, st, pending_only,
					   "approval")))
		return rc;
	if (!(names = calloc(n ? n : 1, sizeof(*names)))) {
		svc_check_runs_free(r, n);
		return error_oom();
	}
	for (i = 0; i < n; i++) {
		svc_conn *c = NULL;
		svc_check_run keep;

		/* the runs of connections deleted since, or of another
		 * project's, are left out; a shared one has its name here */
		if (svc_store_conn_get(&c, st, r[i].conn_id, 0))
			continue;
		if (ops_conn_as_seen(st, c)) {
			svc_conn_free(c);
			continue;
		}
		names[k] = strdup(svc_conn_name(c));
		svc_conn_free(c);
		if (!names[k]) {
			rc = error_oom();
			break;
		}
		keep = r[i];
		r[i] = r[k];
		r[k++] = keep;
	}
	svc_error_clear();
	if (rc) {
		svc_strings_free(names, k);
		svc_check_runs_free(r, n);
		return rc;
	}
	if (k < n) {
		/* the runs dropped go to an array of their own, freed */
		svc_check_run *tail = malloc((n - k) * sizeof(*tail));

		if (!tail) {
			svc_strings_free(names, k);
			svc_check_runs_free(r, n);
			return error_oom();
		}
		memcpy(tail, r + k, (n - k) * sizeof(*tail));
		svc_check_runs_free(tail, n - k);
	}
	*out = r;
	*count = k;
	if (conn_names)
		*conn_names = names;
	else
		svc_strings_free(names, k);
	return 0;
}

/*
 * Refuse p unless it is a user: an agent or a job decides no approval and
 * bypasses nothing, whatever its name.
 */
static int require_user(const svc_principal *p, const char *what,
			const char *check_run_id)
{
	if (svc_principal_kind_get(p) == SVC_PRINCIPAL_USER)
		return 0;
	return error_set(SVC_EDENIED, "'%s' is not a user: it cannot %s '%s'",
			 svc_principal_name(p), what, check_run_id);
}

/*
 * The audit record of a refused decision (who, on which run, why); the
 * refusal's message stays the last error.
 */
static void audit_refused(svc_store *st, const svc_principal *p,
			  const char *check_run_id, const char *decision)
{
	char *why = strdup(svc_error_last());
	svc_check_run *r = NULL;
	json_t *d;
	char *s;

	if (!why)
		return;
	d = json_pack("{s:s, s:s, s:s}", "check_run", check_run_id,
		      "decision", decision, "reason", why);
	s = d ? json_dumps(d, JSON_COMPACT) : NULL;
	/* a record that cannot be written does not change the answer */
	if (s) {
		if (svc_store_check_run_get(&r, st, check_run_id))
			r = NULL;
		(void)svc_store_audit_add(st, svc_principal_audit_name(p),
					  "approval-refused",
					  r ? r->conn_id : NULL, NULL, s);
	}
	error_set(SVC_EDENIED, "%s", why);
	svc_check_run_free(r);
	json_decref(d);
	free(s);
	free(why);
}

/*
 * 0 when the check run's connection is seen in p's project; else "no
 * check run", as for one that does not exist (another project's runs are
 * not revealed).
 */
static int run_visible(svc_store *st, const svc_principal *p,
		       const char *check_run_id)
{
	svc_check_run *r = NULL;
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_enter(st, p)) ||
	    (rc = svc_store_check_run_get(&r, st, check_run_id)))
		return rc;
	if (svc_store_conn_get(&c, st, r->conn_id, 0) ||
	    ops_conn_visible(st, c))
		rc = error_set(SVC_ENOTFOUND, "no check run '%s'",
			       check_run_id);
	svc_conn_free(c);
	svc_check_run_free(r);
	return rc;
}

int svc_ops_decide(svc_store *st, const svc_principal *p,
		   const char *check_run_id, const char *decision,
		   const char *comment, const char *defer_until)
{
	const char *names[2];
	int rc;

	names[0] = svc_principal_name(p);
	names[1] = svc_principal_real(p);
	rc = require_user(p, "decide approval", check_run_id);
	if (!rc)
		rc = run_visible(st, p, check_run_id);
	if (!rc)
		rc = authz_decide(st, check_run_id, names[0], names, 2,
				  svc_principal_audit_name(p), decision,
				  comment, defer_until);
	if (rc == SVC_EDENIED)
		audit_refused(st, p, check_run_id, decision);
	return rc;
}

int svc_ops_approval_decisions(svc_approval **out, size_t *count,
			       svc_store *st, const svc_principal *p,
			       const char *check_run_id)
{
	/* as svc_ops_approval_list: everyone may see them, in its projects */
	int rc = run_visible(st, p, check_run_id);

	return rc ? rc : svc_store_approval_list(out, count, st, check_run_id);
}

int svc_ops_bypass(svc_store *st, const svc_principal *p,
		   const char *check_run_id)
{
	int rc = require_user(p, "bypass check run", check_run_id);

	if (!rc)
		rc = run_visible(st, p, check_run_id);
	return rc ? rc : authz_bypass(st, check_run_id, svc_principal_name(p),
				      svc_principal_audit_name(p));
}
