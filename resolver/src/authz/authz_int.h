/*
 * authz_int.h - the decisions of gate.c for callers that know more about
 * who acts than one name: the ops layer (src/ops/) passes the name roles
 * and approver lists are matched against, every name the principal is
 * known by (its real identity when impersonating), and the name the audit
 * log and the check run record.
 */
#ifndef SVC_AUTHZ_INT_H
#define SVC_AUTHZ_INT_H

#include <stddef.h>
#include "svcconn/authz.h"

/**
 * svc_authz_gate(); when its checks make no call, its writes are one
 * write transaction of the store (store_write_hold), which with held
 * non-NULL is left open on success (*held set to 1) for the caller's own
 * writes, ended by store_write_release.  On failure nothing is held.
 */
int authz_gate_hold(svc_gate_report **out, int *held, svc_store *st,
		    const svc_run *run, const char *const *conn_ids,
		    size_t nconns, int dry_run);
/**
 * svc_authz_decide() for actor (approvers and roles are matched against
 * it), refusing the approval when the run's requester is any of known_as
 * (or an impersonation "X as Y" of one of them), and recording the
 * decision as made by audit_name.
 */
int authz_decide(svc_store *st, const char *check_run_id, const char *actor,
		 const char *const *known_as, size_t nknown,
		 const char *audit_name, const char *decision,
		 const char *comment, const char *defer_until);
/** svc_authz_bypass() for actor, recorded as made by audit_name. */
int authz_bypass(svc_store *st, const char *check_run_id, const char *actor,
		 const char *audit_name);

/**
 * The stronger of actor's store-level role and its role in project
 * project_id (an id), with groups.
 */
int authz_project_role(svc_role *out, svc_store *st, const char *actor,
		       const char *project_id);

/**
 * One actor's roles for a walk over many connections (svc_ops_conn_list):
 * what holds whatever the connection (groups, the store-level role, the
 * project roles) is looked up once, within the read the walk holds.
 */
typedef struct authz_actor authz_actor;
/** Start with actor's groups; actor must outlive *out. */
int authz_actor_new(authz_actor **out, svc_store *st, const char *actor);
void authz_actor_free(authz_actor *a);
/** As svc_authz_role for a's actor. */
int authz_actor_role(svc_role *out, authz_actor *a, svc_store *st,
		     const svc_conn *conn);
/**
 * authz_actor_role for each of conns[0..n) into out[0..n), the roles on
 * all of them read in one walk (store_conn_roles_all): the same rule,
 * decided in bulk.
 */
int authz_actor_roles(svc_role *out, authz_actor *a, svc_store *st,
		      svc_conn *const *conns, size_t n);
/**
 * 1 when have is at least need, on a connection (on_conn) or on the
 * store: the comparison svc_authz_require makes.
 */
int authz_role_enough(int on_conn, svc_role have, svc_role need);

#endif
