/*
 * authz.h - who may use a connection: roles and groups, pipeline
 * permissions and permission requests, checks and their runs, approvals,
 * exclusive locks, and the usage history.
 *
 * These are the stored facts (kept by the store, each change one
 * transaction with an audit record, made through ops.h) and the decisions
 * made from them.  The
 * semantics follow ../shared/notes/checks-and-permissions.md; docs/authz.md
 * says where svcconn differs.
 *
 * Lists returned here are arrays of public structs whose strings are owned
 * by the list; each list type has its _free function.
 */
#ifndef SVCCONN_AUTHZ_H
#define SVCCONN_AUTHZ_H

#include <stddef.h>
#include <time.h>
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* ---- roles and groups --------------------------------------------------- */

/** Roles, in increasing power. */
typedef enum svc_role {
	SVC_ROLE_NONE = 0,    /**< no access */
	SVC_ROLE_READER = 1,  /**< view connections, never their secrets */
	SVC_ROLE_USER = 2,    /**< use; manage checks; permit pipelines */
	SVC_ROLE_CREATOR = 3, /**< create connections (store level only) */
	SVC_ROLE_ADMIN = 4    /**< everything on the connection */
} svc_role;

/** "Reader", "User", "Creator", "Administrator" ("none" for NONE). */
const char *svc_role_name(svc_role r);
/** Parse a role name (any case; "admin" too); SVC_EINVALID if unknown. */
int svc_role_parse(svc_role *out, const char *s);

/** One role assignment. */
typedef struct svc_role_entry {
	char *principal;  /**< user or group name */
	svc_role role;    /**< the role */
	int is_group;     /**< principal is a group */
} svc_role_entry;

/** Assignments on a connection or (conn_id NULL) the store. */
int svc_store_role_list(svc_role_entry **out, size_t *count, svc_store *st,
			const char *conn_id);
void svc_role_entries_free(svc_role_entry *e, size_t count);
/** Whether a connection inherits store-level roles (default on). */
int svc_store_inherit_get(svc_store *st, const char *conn_id, int *on);

/** Every group, or (group non-NULL) that group's members. */
int svc_store_group_list(char ***out, size_t *count, svc_store *st,
			 const char *group);
/** The groups principal belongs to. */
int svc_store_groups_of(char ***out, size_t *count, svc_store *st,
			const char *principal);
/** 1 when name is a group. */
int svc_store_group_exists(svc_store *st, const char *name);
void svc_strings_free(char **s, size_t count);

/* ---- pipeline permissions ----------------------------------------------- */

int svc_store_pipeline_list(char ***out, size_t *count, svc_store *st,
			    const char *conn_id);
/** 1 when pipeline may use the connection (open to all, or listed). */
int svc_store_pipeline_allowed(svc_store *st, const char *conn_id,
			       const char *pipeline, int *allowed);

/** A pending or decided request for a pipeline to use a connection. */
typedef struct svc_perm_request {
	char *id;           /**< request id (UUID) */
	char *conn_id;      /**< the connection */
	char *conn_name;    /**< its name now */
	char *pipeline;     /**< the pipeline asking */
	char *run_id;       /**< the run that asked first */
	char *requested_by; /**< who queued that run */
	char *at;           /**< when (UTC, ISO 8601) */
	char *status;       /**< "pending" or "permitted" */
	char *decided_by;   /**< who permitted, or NULL */
} svc_perm_request;

int svc_store_request_list(svc_perm_request **out, size_t *count,
			   svc_store *st, int pending_only);
void svc_perm_requests_free(svc_perm_request *r, size_t count);

/* ---- checks --------------------------------------------------------------- */

/** A check configured on a connection. */
typedef struct svc_check {
	char *id;          /**< check id (UUID) */
	char *conn_id;     /**< the connection */
	char *kind;        /**< approval, branch-control, business-hours,
			        rest-api, required-template, exclusive-lock */
	char *config;      /**< JSON object, kind-specific */
	int enabled;       /**< 0 when disabled */
	long long seq;     /**< creation order */
	char *created_by;  /**< who added it */
	char *created_at;  /**< when */
} svc_check;

/**
 * The categories of check kinds, in the order the gate evaluates them (as
 * Azure DevOps does): static checks (branch control, required template),
 * then approvals and checks (approval, business hours, REST API), then the
 * exclusive lock.  A category with a failure stops the later ones.
 */
typedef enum svc_check_category {
	SVC_CHECK_STATIC = 1,   /**< branch-control, required-template */
	SVC_CHECK_DYNAMIC = 3,  /**< approval, business-hours, rest-api */
	SVC_CHECK_LOCK = 5,     /**< exclusive-lock */
	SVC_CHECK_UNKNOWN = 9   /**< a kind this library does not know: last */
} svc_check_category;

/** The category of the check kind named kind (SVC_CHECK_UNKNOWN if none). */
svc_check_category svc_check_kind_category(const char *kind);

/**
 * Build the JSON configuration of a check of kind from options given as
 * (key, value) pairs, the way `svcconn checks NAME add KIND` takes them:
 * approval: approvers (comma-separated users/groups), min, allow-requester
 * ("true"), instructions, timeout; branch-control: allowed; business-hours:
 * days, tz, start, end, timeout; rest-api: connection (a Generic
 * connection), method, url-suffix, headers (a JSON object), body, success
 * (an expression on root), retry-interval, timeout; required-template:
 * repo, ref, path; exclusive-lock: none.  Durations are like "30d", "12h",
 * "5m".  Every value is checked; a problem is SVC_EINVALID naming it.
 */
int svc_check_config(char **json, svc_store *st, const char *kind,
		     const char *const *keys, const char *const *values,
		     size_t n);
/** Checks of a connection (conn_id NULL: all) in creation order. */
int svc_store_check_list(svc_check **out, size_t *count, svc_store *st,
			 const char *conn_id);
int svc_store_check_get(svc_check **out, svc_store *st, const char *check_id);
void svc_checks_free(svc_check *c, size_t count);

/** Statuses of a check run. */
#define SVC_RUN_PENDING "pending"     /**< waiting (approval, hours, retry) */
#define SVC_RUN_PASSED "passed"       /**< passed (maybe until expires_at) */
#define SVC_RUN_APPROVED "approved"   /**< approval given */
#define SVC_RUN_REJECTED "rejected"   /**< an approver rejected: final */
#define SVC_RUN_FAILED "failed"       /**< failed: final */
#define SVC_RUN_TIMED_OUT "timed-out" /**< approval timed out: stage skipped */
#define SVC_RUN_BYPASSED "bypassed"   /**< an administrator bypassed it */

/** One evaluation of a check for one stage of one run. */
typedef struct svc_check_run {
	char *id;           /**< check run id (UUID) */
	char *check_id;     /**< the check */
	char *conn_id;      /**< its connection */
	char *kind;         /**< the check's kind */
	char *pipeline;     /**< the run's pipeline */
	char *run_id;       /**< the run */
	char *stage;        /**< the stage */
	char *requested_by; /**< who queued the run */
	char *status;       /**< SVC_RUN_* */
	char *state;        /**< JSON object, kind-specific (frozen approvers,
			         retry times, lock queue position...) */
	char *message;      /**< last outcome, for people */
	char *started_at;   /**< when the check started for this stage */
	char *updated_at;   /**< last change */
	long long version;  /**< bumped by every update (optimistic locking) */
} svc_check_run;

int svc_store_check_run_get(svc_check_run **out, svc_store *st,
			    const char *run_id);
/** Check runs; pending_only filters; kind may be NULL. */
int svc_store_check_run_list(svc_check_run **out, size_t *count,
			     svc_store *st, int pending_only,
			     const char *kind);
void svc_check_run_free(svc_check_run *r);
void svc_check_runs_free(svc_check_run *r, size_t count);

/** One approver's decision on an approval check run. */
typedef struct svc_approval {
	long long seq;      /**< order of decisions */
	char *check_run_id; /**< the check run */
	char *actor;        /**< who acted */
	char *as_approver;  /**< the approver entry it counts for (user or
			         group) */
	char *decision;     /**< "approve" or "reject" */
	char *comment;      /**< comment, or NULL */
	char *defer_until;  /**< approval effective from (UTC), or NULL */
	char *at;           /**< when */
} svc_approval;

int svc_store_approval_list(svc_approval **out, size_t *count, svc_store *st,
			    const char *check_run_id);
void svc_approvals_free(svc_approval *a, size_t count);

/* ---- exclusive locks ------------------------------------------------------ */

/** What an attempt to take a lock found. */
typedef enum svc_lock_result {
	SVC_LOCK_ACQUIRED = 0,  /**< held by the caller now (or already) */
	SVC_LOCK_WAITING = 1,   /**< queued behind holder */
	SVC_LOCK_CANCELED = 2   /**< a newer run replaced it (runLatest) */
} svc_lock_result;

/** Extend every lease of holder by lease_seconds from now. */
int svc_store_lock_renew(svc_store *st, const char *holder,
			 long lease_seconds);
/** Release every lock and queue place of holder. */
int svc_store_lock_release(svc_store *st, const char *holder);

/* ---- audit ---------------------------------------------------------------- */

/* ---- usage history -------------------------------------------------------- */

/** One use of a connection by a run. */
typedef struct svc_usage {
	long long id;       /**< record id */
	char *conn_id;      /**< the connection */
	char *conn_name;    /**< its name at the time */
	char *pipeline;     /**< the pipeline */
	char *run_id;       /**< the run */
	char *stage;        /**< stage, or NULL */
	char *job;          /**< job */
	char *requested_by; /**< who queued the run */
	char *decision;     /**< granted, denied, waiting, needs-permission,
			         skipped */
	char *message;      /**< why, when not granted */
	char *at;           /**< when the decision was made */
	char *result;       /**< Succeeded, SucceededWithIssues, Failed,
			         Canceled, Skipped, Abandoned, or NULL */
	char *finished_at;  /**< when the job ended, or NULL */
} svc_usage;

/**
 * Set the result of the granted records of (pipeline, run_id, stage, job)
 * that have none yet.
 */
int svc_store_usage_finish(svc_store *st, const char *pipeline,
			   const char *run_id, const char *stage,
			   const char *job, const char *result);
/** Newest first; limit 0 means all. */
int svc_store_usage_list(svc_usage **out, size_t *count, svc_store *st,
			 const char *conn_id, size_t limit);
void svc_usages_free(svc_usage *u, size_t count);

/* ---- decisions ------------------------------------------------------------ */

/**
 * The role actor holds on a connection (conn non-NULL) or on the store:
 * explicit assignments on the connection to actor or its groups decide;
 * without one, store-level assignments count when the connection inherits.
 */
int svc_authz_role(svc_role *out, svc_store *st, const char *actor,
		   const svc_conn *conn);
/**
 * 0 when actor holds at least role need; else SVC_EDENIED with the message
 * "permission denied: 'alice' needs the Administrator role on 'prod-arm'"
 * (or "on the store").
 */
int svc_authz_require(svc_store *st, const char *actor, const svc_conn *conn,
		      svc_role need);

/** A repository resource of a run (for branch control and templates). */
typedef struct svc_run_repo {
	const char *alias;   /**< resource alias ("self" for the pipeline's) */
	const char *name;    /**< repository name */
	const char *ref;     /**< its ref, or NULL (the default branch) */
} svc_run_repo;

/** What checks know of the run asking to use connections. */
typedef struct svc_run {
	const char *pipeline;      /**< pipeline name */
	const char *run_id;        /**< run id */
	const char *stage;         /**< stage (the unit checks gate) */
	const char *job;           /**< job, for the usage history */
	const char *branch;        /**< the run's branch, refs/heads/... */
	const char *requested_by;  /**< who queued the run */
	const char *extends;       /**< the pipeline's extends template
				        ("path" or "path@alias"), or NULL */
	const svc_run_repo *repos; /**< repository resources */
	size_t nrepos;             /**< entries in repos */
	int lock_sequential;       /**< lockBehavior: sequential */
	long lease_seconds;        /**< exclusive-lock lease (0: default) */
	const char *const *used;   /**< connections the job itself uses (the
				        usage history); NULL: all gated ones */
	size_t nused;              /**< entries in used */
	const char *source;        /**< where the pipeline's YAML came from,
				        recorded as the message of granted
				        usage records (NULL: nothing) */
} svc_run;

/** The outcome of gating a stage's connections. */
typedef enum svc_gate_status {
	SVC_GATE_GRANTED = 0,     /**< every connection may be used */
	SVC_GATE_NEEDS_PERMISSION,/**< a pipeline permission is missing */
	SVC_GATE_WAITING,         /**< a check is pending */
	SVC_GATE_DENIED,          /**< a check failed or was rejected */
	SVC_GATE_SKIPPED          /**< an approval timed out: skip the stage */
} svc_gate_status;

/** One line of a gate report: a permission or a check of a connection. */
typedef struct svc_gate_item {
	char *conn_id;       /**< the connection */
	char *conn_name;     /**< its name */
	char *what;          /**< "permission" or the check kind */
	char *check_id;      /**< the check, or NULL */
	char *check_run_id;  /**< its run for this stage, or NULL */
	char *request_id;    /**< a permission request, or NULL */
	svc_gate_status status; /**< this item's outcome */
	char *message;       /**< what it waits for, or why it failed */
} svc_gate_item;

typedef struct svc_gate_report {
	svc_gate_status status;  /**< the stage's outcome */
	svc_gate_item *items;    /**< every permission and check looked at */
	size_t nitems;           /**< entries in items */
} svc_gate_report;

/**
 * Gate a stage's use of connections (ids) for run: pipeline permissions
 * first (opening a permission request for each missing one), then every
 * enabled check of every connection in category order (branch control and
 * required template; approvals, REST calls and business hours; exclusive
 * locks), a final failure stopping the later categories.  Usage history is
 * recorded for each connection.  With dry_run nothing is started or
 * recorded: the report says what would be checked.
 */
int svc_authz_gate(svc_gate_report **out, svc_store *st, const svc_run *run,
		   const char *const *conn_ids, size_t nconns, int dry_run);
void svc_gate_report_free(svc_gate_report *r);
const char *svc_gate_status_name(svc_gate_status s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
