/*
 * store_write.h - the store's changes below the policy: every call that
 * changes what is stored, taking the acting name as a plain string.
 *
 * Only the ops layer (src/ops/: role checks, the requester rule, the audit
 * name of a principal) and the gate (src/authz/gate.c: check runs, locks,
 * permission requests, the usage history of a run it decided) call these.
 * They are not exported from libsvcconn: a front end changes the store
 * through svcconn/ops.h, and cannot skip its checks.  Tests and benchmarks
 * link the library's objects and may use them to set a store up.
 */
#ifndef SVC_STORE_WRITE_H
#define SVC_STORE_WRITE_H

#include <stddef.h>
#include "svcconn/authz.h"
#include "svcconn/projects.h"
#include "svcconn/certs.h"
#include "svcconn/store.h"

/* ---- connections and the store (from store.h) ---- */

/**
 * Create a new store: the directory (0700), the master key (0600) unless the
 * key file exists already, and the database (0600).  Fails with SVC_EEXISTS
 * when a database is already there.
 */
int svc_store_init(const svc_store_options *opts, const char *actor);
/**
 * Store a new, validated connection.  Assigns an id when c has none, sets
 * creator and times from actor and the clock (visible in c afterwards).
 * SVC_EEXISTS when the name (case-insensitive) or the id is taken.
 */
int svc_store_conn_create(svc_store *st, svc_conn *c, const char *actor);
/**
 * Replace the stored fields and metadata of the connection with c's id.
 * A secret field that is set but not loaded keeps its stored ciphertext.
 * The audit record names the keys that changed.
 */
int svc_store_conn_update(svc_store *st, svc_conn *c, const char *actor);
int svc_store_conn_rename(svc_store *st, const char *name_or_id,
			  const char *new_name, const char *actor);
/**
 * Delete a connection, even one that fails its integrity check.  Given the
 * id of one whose rows were removed from the database without the key
 * (the error of a read names it), drop it from the list of connections,
 * which accepts that removal.
 */
int svc_store_conn_delete(svc_store *st, const char *name_or_id,
			  const char *actor);
/**
 * Create (or with SVC_IMPORT_REPLACE, replace) many validated connections
 * in one transaction: all or nothing.
 */
int svc_store_conn_import(svc_store *st, svc_conn **conns, size_t count,
			  const char *actor, unsigned flags);
/**
 * Re-encrypt every secret under a new master key.  Interrupted at any
 * point, the store stays readable with the old or the new key.
 */
int svc_store_rekey(svc_store *st, const char *actor);
/**
 * Copy every row of st into the store at to (a PostgreSQL location, else
 * a store directory), which must hold no store (its schema is made when
 * it has none; the directory gets st's key file), and check the copy:
 * one entry per table into *out (free()), *count entries.  A refusal or
 * failure changes neither store (store_migrate.c).
 */
int store_migrate(svc_migrate_table **out, size_t *count, svc_store *st,
		  const char *to);

/* ---- authorization: roles, groups, pipelines, checks, runs, locks, audit, usage (from authz.h) ---- */

/**
 * Assign role to principal on a connection (conn_id) or on the store
 * (conn_id NULL).  SVC_ROLE_NONE removes the assignment.  Creator is a
 * store-level role only.
 */
int svc_store_role_set(svc_store *st, const char *conn_id,
		       const char *principal, svc_role role, const char *actor);
/** Assign role to principal in project (the same rules). */
int store_project_role_set(svc_store *st, const svc_project *project,
			   const char *principal, svc_role role,
			   const char *actor);

/* ---- projects and shares (store_projects.c, docs/projects.md) ---- */

/**
 * Create project name (unique case-insensitively, the rules of a
 * connection's name) with description (may be NULL); audited.  Its id
 * into *id (may be NULL; free()).
 */
int store_project_create(char **id, svc_store *st, const char *name,
			 const char *description, const char *actor);
/**
 * Delete a project with its roles, registered pipelines, pipeline
 * permissions and the shares into it; refused (SVC_EINVALID) for
 * "default" and for a project that still owns connections.  Audited.
 */
int store_project_delete(svc_store *st, const svc_project *project,
			 const char *actor);
/**
 * Share connection conn_id (an id) into project under name (NULL: its
 * own name; unique there among the names owned or shared) and
 * description; sharing again renames it there.  Refused (SVC_EINVALID)
 * into the project that owns it.  Audited.
 */
int store_share_set(svc_store *st, const char *conn_id,
		    const svc_project *project, const char *name,
		    const char *description, const char *actor);
/** Take a share back; SVC_ENOTFOUND when there is none.  Audited. */
int store_share_delete(svc_store *st, const char *conn_id,
		       const svc_project *project, const char *actor);

int svc_store_inherit_set(svc_store *st, const char *conn_id, int on,
			  const char *actor);
/** Groups: names share the principal namespace with users. */
int svc_store_group_create(svc_store *st, const char *group,
			   const char *actor);
int svc_store_group_delete(svc_store *st, const char *group,
			   const char *actor);
int svc_store_group_add(svc_store *st, const char *group, const char *member,
			const char *actor);
int svc_store_group_remove(svc_store *st, const char *group,
			   const char *member, const char *actor);
/** Open a connection to all pipelines, or restrict it to its list. */
int svc_store_conn_set_all_pipelines(svc_store *st, const char *conn_id,
				     int all, const char *actor);
int svc_store_pipeline_allow(svc_store *st, const char *conn_id,
			     const char *pipeline, const char *actor);
/** SVC_ENOTFOUND when the pipeline was not in the list. */
int svc_store_pipeline_disallow(svc_store *st, const char *conn_id,
				const char *pipeline, const char *actor);
/**
 * Record that pipeline needs permission for conn_id; an existing pending
 * request for the same connection and pipeline is reused.  *id receives
 * the request's id (newly allocated).
 */
int svc_store_request_open(char **id, svc_store *st, const char *conn_id,
			   const char *pipeline, const char *run_id,
			   const char *requested_by);
/** Authorize the request's pipeline on its connection (one transaction). */
int svc_store_request_permit(svc_store *st, const char *id,
			     const char *actor);
/** Add a check; *id receives its id (newly allocated). */
int svc_store_check_add(char **id, svc_store *st, const char *conn_id,
			const char *kind, const char *config_json,
			const char *actor);
int svc_store_check_remove(svc_store *st, const char *check_id,
			   const char *actor);
int svc_store_check_enable(svc_store *st, const char *check_id, int enabled,
			   const char *actor);
/**
 * The run of check_id for (pipeline, run_id, stage): the existing one, or
 * a new one with status pending and the given initial state (created
 * atomically: two processes get the same run).
 */
int svc_store_check_run_start(svc_check_run **out, svc_store *st,
			      const char *check_id, const char *pipeline,
			      const char *run_id, const char *stage,
			      const char *requested_by,
			      const char *initial_state);
/**
 * Update status, state and message of a check run if its version is still
 * `version` (else SVC_EPENDING: someone else changed it; reload and retry).
 */
int svc_store_check_run_update(svc_store *st, const char *id,
			       long long version, const char *status,
			       const char *state, const char *message);
/**
 * The same, made by actor (NULL: the current identity).  A NULL status,
 * state or message keeps the stored one.  A change of status is audited
 * when it is to SVC_RUN_BYPASSED, or when actor is given.
 */
int svc_store_check_run_update_as(svc_store *st, const char *id,
				  long long version, const char *status,
				  const char *state, const char *message,
				  const char *actor);
/** Record a decision (audit record included). */
int svc_store_approval_add(svc_store *st, const char *check_run_id,
			   const char *actor, const char *as_approver,
			   const char *decision, const char *comment,
			   const char *defer_until);
/**
 * The status of approval run after approvals a (n), and its message (a
 * new string, free()), as the gate judges them; 0 or an error.
 */
typedef int (*svc_store_approval_judge_fn)(void *ctx,
					   const svc_check_run *run,
					   const svc_approval *a, size_t n,
					   const char **status, char **message);
/**
 * Record a decision as svc_store_approval_add does and, in the SAME
 * transaction, the check run's new status as judge (may be NULL: none)
 * finds it with the decision counted: a crash leaves both or neither, so
 * no decision is lost and no status is stale.  A run no longer pending
 * is SVC_EINVALID, nothing written.
 */
int svc_store_approval_decide(svc_store *st, const char *check_run_id,
			      const char *actor, const char *as_approver,
			      const char *decision, const char *comment,
			      const char *defer_until,
			      svc_store_approval_judge_fn judge, void *ctx);
/**
 * Try to take the exclusive lock of conn_id for holder ("pipeline/run/stage").
 * Expired leases are released first.  With sequential, waiters are served
 * in queue order; with runLatest (sequential 0) a newer waiter cancels
 * older waiting runs.  The lease lasts lease_seconds from now.  *holder_out
 * (newly allocated, may be NULL) names the current holder when waiting.
 */
int svc_store_lock_acquire(svc_lock_result *res, char **holder_out,
			   svc_store *st, const char *conn_id,
			   const char *holder, int sequential,
			   long lease_seconds);
/** Release the locks holder holds, keeping its places in queues. */
int svc_store_lock_release_held(svc_store *st, const char *holder);
/**
 * Append one audit record (its own transaction) for a decision made above
 * the store.  action: lower-case letters, digits and '-'; conn_id and
 * conn_name may be NULL; detail_json a JSON object (NULL: {}), never a
 * secret.  Changes made through the store are audited by the store.
 */
int svc_store_audit_add(svc_store *st, const char *actor, const char *action,
			const char *conn_id, const char *conn_name,
			const char *detail_json);
int svc_store_usage_add(svc_store *st, const svc_usage *u);
/**
 * svc_store_usage_add, unless the newest record of u's connection,
 * pipeline, run, stage and job has u's decision and message already: a
 * run that waits, asked again (each commit that can release it wakes it),
 * is recorded once until what it waits for changes.
 */
int store_usage_add_changed(svc_store *st, const svc_usage *u);
/**
 * An approver's decision on an approval check run: actor must be one of
 * the run's frozen approvers (or a member of an approver group), and not
 * the requester unless the check allows it.  decision is "approve" or
 * "reject"; defer_until (UTC, may be NULL) delays an approval.
 */
int svc_authz_decide(svc_store *st, const char *check_run_id,
		     const char *actor, const char *decision,
		     const char *comment, const char *defer_until);
/** An administrator of the connection bypasses a check run (audited). */
int svc_authz_bypass(svc_store *st, const char *check_run_id,
		     const char *actor);

/* ---- certificates (from certs.h) ---- */

/**
 * Decrypt every connection and record its earliest certificate expiry, in
 * one write transaction with one audit record ("cert-rescan") by actor.
 * *scanned (may be NULL) counts the connections.
 */
int svc_store_cert_rescan(size_t *scanned, svc_store *st,
			  const svc_catalog *cat, const char *actor);

#endif
