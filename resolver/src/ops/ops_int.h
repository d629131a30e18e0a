/*
 * ops_int.h - what the files of the ops layer share: refusing a principal
 * what its role does not allow, and loading the connection a verb acts on.
 */
#ifndef SVC_OPS_INT_H
#define SVC_OPS_INT_H

#include "svcconn/ops.h"
#include "store/store_write.h"
#include "authz/authz_int.h"

/**
 * 0 when p holds at least need on conn (NULL: the store), else SVC_EDENIED
 * naming p, the role and the connection.
 */
int ops_require(svc_store *st, const svc_principal *p, const svc_conn *conn,
		svc_role need);
/**
 * ops_require once the project is entered and conn is known to be in it
 * (a connection of svc_store_conn_list): the role check alone.
 */
int ops_role_check(svc_store *st, const svc_principal *p,
		   const svc_conn *conn, svc_role need);
/**
 * p's roles for checks on many connections (authz_actor_roles), as
 * ops_role_check decides them one at a time; SVC_EDENIED when p is not a
 * user (it holds no role).
 */
int ops_role_actor(authz_actor **out, svc_store *st, const svc_principal *p);
/** Load name_or_id (no secrets) and require need on it. */
int ops_conn(svc_conn **out, svc_store *st, const svc_principal *p,
	     const char *name_or_id, svc_role need);
/**
 * The rights on a connection before it is stored (create or edit of c):
 * Administrator on the stored connection of c's id, else Creator on the
 * store.
 */
int ops_require_candidate(svc_store *st, const svc_principal *p,
			  const svc_conn *c);

/*
 * svc_ops_verify and svc_ops_verify_candidate in stages, for a caller
 * that runs the verifier's call (svc_verify: up to its time-out) without
 * holding the store for others meanwhile (svcconn-server releases its
 * store lock): load under the lock, verify, record under it again.
 */
/**
 * The stored connection name_or_id (User on it) without secrets into
 * *conn, with them into *secrets (svc_conn_free wipes), the host keys
 * pinned first with SVC_OPS_PIN_HOST_KEY (Administrator) into *pinned
 * (or NULL).
 */
int ops_verify_load(svc_conn **conn, svc_conn **secrets, char **pinned,
		    svc_store *st, const svc_principal *p,
		    const char *name_or_id, unsigned flags);
/** The audit record "verify" of r on c (never a secret; not failing). */
void ops_verify_record(svc_store *st, const svc_principal *p,
		       const svc_conn *c, const svc_verify_result *r);
/** A candidate c (create or edit) with its stored secrets, the rights checked. */
int ops_verify_candidate_load(svc_conn **full, svc_store *st,
			      const svc_principal *p, const svc_conn *c);

/**
 * Act in p's project (svc_principal_set_project): SVC_ENOTFOUND, one
 * message, for a project that does not exist or that p may not see.
 */
int ops_enter(svc_store *st, const svc_principal *p);
/**
 * 0 when c belongs to the project entered or is shared into it, else
 * SVC_ENOTFOUND as the store says it for an unknown id.
 */
int ops_conn_visible(svc_store *st, const svc_conn *c);
/**
 * For reading only (never stored back): a connection shared into the
 * project entered gets its name there.
 */
int ops_conn_as_seen(svc_store *st, svc_conn *c);

#endif
