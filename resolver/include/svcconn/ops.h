/*
 * ops.h - the authority layer: every operation that reads or changes the
 * store, made by a principal.
 *
 * Front ends (the svcconn command line, a server, a console) call these and
 * nothing below them: each verb checks the principal's role (Reader, User,
 * Creator, Administrator; store-level roles inherited by connections unless
 * switched off; groups resolved from the store), the rules that do not
 * depend on roles (the requester of a run cannot approve it), and has the
 * store write its audit record under the principal's audit name.  A refusal
 * is SVC_EDENIED with svc_error_last() naming the principal, the role it
 * needs and the connection (or the store); nothing is changed then.
 *
 * docs/authz.md holds the matrix; docs/architecture.md where this sits.
 */
#ifndef SVCCONN_OPS_H
#define SVCCONN_OPS_H

#include <stddef.h>
#include "agents.h"
#include "authz.h"
#include "catalog.h"
#include "certs.h"
#include "errors.h"
#include "oidc.h"
#include "pipedef.h"
#include "pipeline.h"
#include "projects.h"
#include "store.h"
#include "tokens.h"
#include "users.h"
#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* ---- principals ----------------------------------------------------------- */

/** Who acts. */
typedef struct svc_principal svc_principal;

/** What kind of party a principal is. */
typedef enum svc_principal_kind {
	SVC_PRINCIPAL_USER = 1,  /**< a person (or a service account) */
	SVC_PRINCIPAL_AGENT = 2, /**< a build agent */
	SVC_PRINCIPAL_JOB = 3    /**< one job, for its lifetime */
} svc_principal_kind;

/**
 * The local user: the effective OS user (getpwuid_r(geteuid())),
 * authenticated by the operating system ("os").  With SVCCONN_USER set to
 * another name, the OS user impersonates that name: roles and approver
 * lists are matched against it, the audit log records "OSUSER as NAME",
 * and the requester rule knows both.
 */
int svc_principal_local(svc_principal **out);
/**
 * A principal a front end authenticated itself (a server: the owner of a
 * token, an agent, a job).  authn says how (e.g. "token", "mtls",
 * "job-token"); names are 1 to 256 characters without control characters.
 */
int svc_principal_new(svc_principal **out, svc_principal_kind kind,
		      const char *name, const char *authn);
/** Free; NULL is accepted. */
void svc_principal_free(svc_principal *p);
svc_principal_kind svc_principal_kind_get(const svc_principal *p);
/** The name roles and approver lists are matched against. */
const char *svc_principal_name(const svc_principal *p);
/** The authenticated identity (the OS user when impersonating). */
const char *svc_principal_real(const svc_principal *p);
/** How it authenticated ("os", "token", ...). */
const char *svc_principal_authn(const svc_principal *p);
/** The name the audit log records: "root as alice", else the name. */
const char *svc_principal_audit_name(const svc_principal *p);
/** 1 when the principal acts under another name than its own. */
int svc_principal_impersonating(const svc_principal *p);
/**
 * The project (a name or id; NULL: "default") every ops call by p acts
 * in: names are looked up there, new connections, pipeline permissions
 * and registered pipelines go there.  Checked at each call: a project
 * that does not exist or that p has no role in (a user: a role on the
 * store or in the project; "default" is every user's) is SVC_ENOTFOUND
 * with the same message, "no project named 'NAME'".  A connection of
 * another project is "no connection named ..." unless shared into this
 * one (docs/projects.md).
 */
int svc_principal_set_project(svc_principal *p, const char *project);
/** The project set, "default" when none was. */
const char *svc_principal_project(const svc_principal *p);

/**
 * The role p holds on the connection name_or_id (NULL: on the store), with
 * inheritance and groups: for "your role" displays.  No role is needed.
 */
int svc_ops_role(svc_role *out, svc_store *st, const svc_principal *p,
		 const char *name_or_id);

/* ---- connections ---------------------------------------------------------- */

/**
 * Create a new store (the directory 0700, the master key 0600 unless the
 * key file exists, the database 0600; SVC_EEXISTS when one is there) whose
 * Administrator is p (its name),
 * recorded as done by p's audit name.  No role is needed: there is no store
 * yet; whoever may write the directory may create one.
 */
int svc_ops_store_init(const svc_store_options *opts, const svc_principal *p);

/** Store c (validated by the caller): Creator on the store. */
int svc_ops_conn_create(svc_store *st, const svc_principal *p, svc_conn *c);
/**
 * Load a connection: Reader; with SVC_GET_SECRETS, Administrator (the
 * secrets are revealed to the caller).
 */
int svc_ops_conn_get(svc_conn **out, svc_store *st, const svc_principal *p,
		     const char *name_or_id, unsigned flags);
/**
 * Load a connection (no secrets) to edit it and store it back with
 * svc_ops_conn_update: Administrator on it, so that nothing is prepared
 * for a principal that may not store it.
 */
int svc_ops_conn_edit(svc_conn **out, svc_store *st, const svc_principal *p,
		      const char *name_or_id);
/** The connections p may read (Reader), ordered by name, no secrets. */
int svc_ops_conn_list(svc_conn ***out, size_t *count, svc_store *st,
		      const svc_principal *p);
/** Replace the stored connection with c's id: Administrator on it. */
int svc_ops_conn_update(svc_store *st, const svc_principal *p, svc_conn *c);
/** Administrator on the connection. */
int svc_ops_conn_rename(svc_store *st, const svc_principal *p,
			const char *name_or_id, const char *new_name);
/**
 * Administrator on the connection (one refused as tampered too); given the
 * id of one whose rows were removed without the key, Administrator on the
 * store.
 */
int svc_ops_conn_delete(svc_store *st, const svc_principal *p,
			const char *name_or_id);
/**
 * Create (or with SVC_IMPORT_REPLACE, replace) many validated connections
 * in one transaction, all or nothing: Creator on the store, and with
 * SVC_IMPORT_REPLACE Administrator on every connection replaced.
 */
int svc_ops_conn_import(svc_store *st, const svc_principal *p,
			svc_conn **conns, size_t count, unsigned flags);
/**
 * Export the named connections (names NULL: every one) as YAML
 * (svc_export_yaml flags): Reader on each, Administrator with
 * SVC_EXPORT_SECRETS; one refused refuses the export.  *count receives the
 * number exported; *text (wiped by svc_secret_free) the YAML.
 */
int svc_ops_export(char **text, size_t *len, size_t *count, svc_store *st,
		   const svc_principal *p, const char *const *names,
		   size_t nnames, unsigned flags);
/** Re-encrypt every secret under a new key: Administrator on the store. */
int svc_ops_rekey(svc_store *st, const svc_principal *p);
/**
 * Copy the whole store into another database, to: a PostgreSQL location
 * or a store directory (SQLite), which must hold no store; every table
 * checked by its row count and checksum read back from the target, which
 * commits only when all match and its rows pass the integrity check.
 * Administrator on the store.  *out (free()) has *count tables.
 */
int svc_ops_store_migrate(svc_migrate_table **out, size_t *count,
			  svc_store *st, const svc_principal *p,
			  const char *to);
/** The audit log: Administrator on the store. */
int svc_ops_audit(svc_audit_list **out, svc_store *st, const svc_principal *p,
		  size_t limit);
/**
 * The audit records f selects (svc_store_audit_query), oldest first: the
 * same role as svc_ops_audit.
 */
int svc_ops_audit_query(svc_audit_list **out, svc_store *st,
			const svc_principal *p, const svc_audit_filter *f);
/** The usage history of a connection, newest first: Reader on it. */
int svc_ops_usage_list(svc_usage **out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *name_or_id,
		       size_t limit);

/* ---- certificates, verification and types ------------------------------- */

/** The recorded certificate expiry of the connections p may read. */
int svc_ops_cert_expiry_list(svc_cert_expiry **out, size_t *count,
			     svc_store *st, const svc_principal *p);
/**
 * svc_ops_conn_list and svc_ops_cert_expiry_list from one listing: the
 * connections p may read (*conns, unless conns is NULL; free with
 * svc_store_conn_list_free) and their recorded expiries (*exp, free with
 * svc_cert_expiry_list_free), p's visibility decided once for both.
 */
int svc_ops_conn_list_expiry(svc_conn ***conns, size_t *nconns,
			     svc_cert_expiry **exp, size_t *nexp,
			     svc_store *st, const svc_principal *p);
/** Decrypt every connection to record expiries: Administrator on the store. */
int svc_ops_cert_rescan(size_t *scanned, svc_store *st,
			const svc_principal *p, const svc_catalog *cat);
/**
 * Check the certificates of c before it is stored (create or edit): the
 * secrets an edit did not load are read from the store.  Administrator on
 * the stored connection of c's id when there is one, else Creator on the
 * store.
 */
int svc_ops_certs_check(svc_cert_report **out, svc_store *st,
			const svc_principal *p, const svc_conn *c,
			const svc_catalog *cat);
/**
 * Verify c before it is stored (create/edit --verify), with the secrets an
 * edit did not load read from the store; the same roles as
 * svc_ops_certs_check.
 */
int svc_ops_verify_candidate(svc_verify_result *out, svc_store *st,
			     const svc_principal *p, const svc_conn *c,
			     const svc_catalog *cat);

/** Flags of svc_ops_verify. */
#define SVC_OPS_PIN_HOST_KEY 0x1u /**< SSH: store the host keys first */

/**
 * Verify a stored connection with a real call (User on it: the secrets are
 * used, never returned) and write an audit record ("verify").  With
 * SVC_OPS_PIN_HOST_KEY (Administrator, SSH only) the server's host keys are
 * stored in hostKey first and *pinned (may be NULL) receives them.  *conn
 * (may be NULL) receives the connection without secrets.
 */
int svc_ops_verify(svc_verify_result *out, svc_conn **conn, char **pinned,
		   svc_store *st, const svc_principal *p,
		   const svc_catalog *cat, const char *name_or_id,
		   unsigned flags);
/**
 * Install a custom type definition into the store's directory
 * (svc_catalog_install): Administrator on the store.
 */
int svc_ops_type_install(char **id, char **dest, svc_store *st,
			 const svc_principal *p, const char *file,
			 int replace, svc_diags *diags);
/**
 * Remove a custom type installed in the store's directory: Administrator
 * on the store; refused (SVC_EDENIED) for a built-in type or one that
 * connections use, SVC_ENOTFOUND for one unknown or defined elsewhere.
 */
int svc_ops_type_remove(svc_store *st, const svc_principal *p,
			const svc_catalog *cat, const char *id);

/* ---- pipeline permissions and permission requests ------------------------ */

/** The pipelines authorized on a connection: Reader on it. */
int svc_ops_pipeline_list(char ***out, size_t *count, svc_store *st,
			  const svc_principal *p, const char *name_or_id);
/** Authorize a pipeline: User on the connection. */
int svc_ops_pipeline_allow(svc_store *st, const svc_principal *p,
			   const char *name_or_id, const char *pipeline);
/** Take an authorization back: User on the connection. */
int svc_ops_pipeline_disallow(svc_store *st, const svc_principal *p,
			      const char *name_or_id, const char *pipeline);
/**
 * Open the connection to all pipelines (Administrator) or restrict it to
 * its list (User).
 */
int svc_ops_conn_set_all_pipelines(svc_store *st, const svc_principal *p,
				   const char *name_or_id, int all);
/** Permission requests of the connections p may read. */
int svc_ops_request_list(svc_perm_request **out, size_t *count,
			 svc_store *st, const svc_principal *p,
			 int pending_only);
/**
 * Permit a request's pipeline on its connection: User on it.  *req (may be
 * NULL; one entry, svc_perm_requests_free(*req, 1)) receives the request.
 */
int svc_ops_request_permit(svc_perm_request **req, svc_store *st,
			   const svc_principal *p, const char *id);

/* ---- security: roles, inheritance, groups -------------------------------- */

/**
 * The role assignments on a connection (name_or_id) or the store (NULL):
 * Reader there.  *inherit (may be NULL) receives the connection's
 * inheritance (1 for the store).
 */
int svc_ops_role_list(svc_role_entry **out, size_t *count, int *inherit,
		      svc_store *st, const svc_principal *p,
		      const char *name_or_id);
/**
 * Assign (SVC_ROLE_NONE: remove) a role on a connection or the store:
 * Administrator there.  Creator only on the store.
 */
int svc_ops_role_set(svc_store *st, const svc_principal *p,
		     const char *name_or_id, const char *principal,
		     svc_role role);
/** Switch a connection's inheritance of store roles: Administrator on it. */
int svc_ops_inherit_set(svc_store *st, const svc_principal *p,
			const char *name_or_id, int on);
/** Every group, or a group's members: Reader on the store. */
int svc_ops_group_list(char ***out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *group);
/** Administrator on the store, for each of the four. */
int svc_ops_group_create(svc_store *st, const svc_principal *p,
			 const char *group);
int svc_ops_group_delete(svc_store *st, const svc_principal *p,
			 const char *group);
int svc_ops_group_add(svc_store *st, const svc_principal *p,
		      const char *group, const char *member);
int svc_ops_group_remove(svc_store *st, const svc_principal *p,
			 const char *group, const char *member);

/* ---- checks and approvals ------------------------------------------------- */

/** The checks of a connection in creation order: Reader on it. */
int svc_ops_check_list(svc_check **out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *name_or_id);
/**
 * Add a check of kind configured from (key, value) options
 * (svc_check_config): User on the connection.  *id receives its id.
 */
int svc_ops_check_add(char **id, svc_store *st, const svc_principal *p,
		      const char *name_or_id, const char *kind,
		      const char *const *keys, const char *const *values,
		      size_t n);
/** Remove a check of the connection: User on it. */
int svc_ops_check_remove(svc_store *st, const svc_principal *p,
			 const char *name_or_id, const char *check_id);
/** Enable or disable a check of the connection: User on it. */
int svc_ops_check_enable(svc_store *st, const svc_principal *p,
			 const char *name_or_id, const char *check_id,
			 int enabled);
/**
 * Approval check runs (pending_only: those waiting) of the connections
 * that exist, and in *conn_names (svc_strings_free) the name of each one's
 * connection.  Any principal may list them: approvers need not hold a role
 * on the connection.
 */
int svc_ops_approval_list(svc_check_run **out, char ***conn_names,
			  size_t *count, svc_store *st,
			  const svc_principal *p, int pending_only);
/**
 * Approve or reject ("approve", "reject") an approval check run, with a
 * comment and (approve) an effective time defer_until (UTC, may be NULL):
 * p must be one of the run's frozen approvers (or in an approver group),
 * and an approval is refused when the run was requested by p under any of
 * its names (its real identity too) unless the check allows the requester.
 * Only a user decides (an agent or a job: SVC_EDENIED).  A refusal
 * (SVC_EDENIED) is recorded in the audit log ("approval-refused").
 */
int svc_ops_decide(svc_store *st, const svc_principal *p,
		   const char *check_run_id, const char *decision,
		   const char *comment, const char *defer_until);
/**
 * The decisions taken on an approval check run, in order (free with
 * svc_approvals_free).  Anyone may read them, as svc_ops_approval_list.
 */
int svc_ops_approval_decisions(svc_approval **out, size_t *count,
			       svc_store *st, const svc_principal *p,
			       const char *check_run_id);
/** Bypass a check run: Administrator on its connection; a user only. */
int svc_ops_bypass(svc_store *st, const svc_principal *p,
		   const char *check_run_id);

/* ---- the OIDC issuer's signing keys (oidc.h) ---- */

/** The signing keys, never a private one: Reader on the store. */
int svc_ops_oidc_keys(svc_oidc_key **out, size_t *count, svc_store *st,
		      const svc_principal *p);
/**
 * A new current signing key (alg "RS256" or "ES256"; NULL: the default),
 * the current one retired: Administrator on the store.  Its id into *kid.
 */
int svc_ops_oidc_rotate(char **kid, svc_store *st, const svc_principal *p,
			const char *alg);
/**
 * A fresh ID token for job job_id and conn (a connection's id or name) that
 * the job was granted, asked by the job itself (p: its job token), while
 * it runs.  o gives the issuer, organization, project, audience and
 * lifetime; the connection's name and id and the requester (the job) are
 * set here.  SVC_EDENIED, audited, for another job's token, a job that
 * ended or a connection not granted to it.  *token as svc_oidc_issue's.
 */
int svc_ops_oidc_job_token(char **token, svc_store *st, const svc_principal *p,
			   const char *job_id, const char *conn,
			   const svc_oidc_token_options *o);

/* ---- registered pipelines (pipedef.h) ---- */

/**
 * Register pipeline name (1 to 128 characters: letters, digits, '-', '_',
 * '.', ' ') as the file path (relative, without '..' or empty segments)
 * of the repository url (https://, or http:// on a loopback host; no
 * credentials in it), read through connection (a git-capable type: git,
 * github, githubenterprise, bitbucket, externaltfs, generic, whose scheme
 * gives git a credential) at branch (NULL: the remote's default branch):
 * Administrator on the store and User on the connection.  Audited
 * ("pipeline-register").  SVC_EEXISTS when the name is taken.
 */
int svc_ops_pipedef_register(svc_store *st, const svc_principal *p,
			     const char *name, const char *connection,
			     const char *url, const char *path,
			     const char *branch);
/** The registered pipelines, by name: Reader on the store. */
int svc_ops_pipedef_list(svc_pipedef **out, size_t *count, svc_store *st,
			 const svc_principal *p);
/** Remove a registered pipeline: Administrator on the store; audited. */
int svc_ops_pipedef_remove(svc_store *st, const svc_principal *p,
			   const char *name);
/**
 * The YAML of registered pipeline at commit (40 hex digits; NULL: the
 * head of its branch), fetched through its connection or taken from the
 * cache once verified (pipedef.h): *yaml (NUL-terminated, *len bytes, at
 * most SVC_PIPEDEF_YAML_MAX; free()) and *origin, "repository
 * CONNECTION@COMMIT:PATH", naming the commit used.  Reader on the store,
 * or an agent or a job (the server starting a job).  Errors name the
 * pipeline, the commit and the path.
 */
int svc_ops_pipeline_source(char **yaml, size_t *len, char **origin,
			    svc_store *st, const svc_principal *p,
			    const char *pipeline, const char *commit);

/**
 * The plan of a pipeline as p sees it in its project (docs/server.md):
 * opts->file and the templates it includes are read from files (nfiles
 * entries, see svc_plan_file; a file not among them does not exist),
 * never from the file system.  A reference resolves only against the
 * connections p may read (svc_ops_conn_list): one p may not read is
 * exactly a name that does not exist, and the closest names suggested are
 * readable ones.  With opts->pipeline, a resolved reference's
 * authorization (permission, checks) is shown as far as p may read them
 * (Reader on the connection, as svc_ops_pipeline_list and
 * svc_ops_check_list).  SVC_PLAN_FETCH and task directories are refused
 * (SVC_EINVALID): the task manifests are the server's; so are a path that
 * is absolute, holds "..", or is not normalised, more than 100 files or
 * more than 20 MiB, each naming the field.  svc_plan_free() the result.
 */
int svc_ops_plan(svc_plan **out, svc_store *st, const svc_principal *p,
		 const svc_plan_options *opts, const svc_plan_file *files,
		 size_t nfiles, const svc_catalog *cat);

/* ---- projects (projects.h, docs/projects.md) ---- */

/**
 * Create a project: Administrator on the store.  Its id into *id (may be
 * NULL; free()).
 */
int svc_ops_project_create(char **id, svc_store *st, const svc_principal *p,
			   const char *name, const char *description);
/**
 * The project called name_or_id (name or id) when p may see it (one
 * entry; svc_projects_free(*out, 1)); SVC_ENOTFOUND, one message for a
 * project that does not exist and one p may not see.
 */
int svc_ops_project_get(svc_project **out, svc_store *st,
			const svc_principal *p, const char *name_or_id);
/**
 * Have st look names up in p's project (checked as every verb checks it)
 * for the calls that take no principal: the plan, the gate, the store's
 * reads.  Every svc_ops_* verb does it itself.
 */
int svc_ops_project_enter(svc_store *st, const svc_principal *p);
/** The projects p may see (a role on the store or in them), by name. */
int svc_ops_project_list(svc_project **out, size_t *count, svc_store *st,
			 const svc_principal *p);
/**
 * Delete a project that owns no connection ("default" never):
 * Administrator on the store.
 */
int svc_ops_project_delete(svc_store *st, const svc_principal *p,
			   const char *name);
/**
 * Share connection name_or_id of p's project into project under name
 * (NULL: its own) and description: Administrator on the connection and
 * at least User in the target project (which p must see).
 */
int svc_ops_conn_share(svc_store *st, const svc_principal *p,
		       const char *name_or_id, const char *project,
		       const char *name, const char *description);
/** Take a share back: the same roles as svc_ops_conn_share. */
int svc_ops_conn_unshare(svc_store *st, const svc_principal *p,
			 const char *name_or_id, const char *project);
/** The projects a connection p may read is shared into (Reader on it). */
int svc_ops_conn_shares(svc_share **out, size_t *count, svc_store *st,
			const svc_principal *p, const char *name_or_id);
/**
 * The role assignments in p's project: Reader there.  Assign (NONE:
 * remove) one: Administrator there.
 */
int svc_ops_project_role_list(svc_role_entry **out, size_t *count,
			      svc_store *st, const svc_principal *p);
int svc_ops_project_role_set(svc_store *st, const svc_principal *p,
			     const char *principal, svc_role role);

/* ---- users' passwords (users.h) ---- */

/**
 * Set the password (len bytes; SVC_PASSWORD_MIN to SVC_PASSWORD_MAX) of
 * user name (NULL: p itself), replacing any: a user its own, the store's
 * Administrator anybody's.  Audited "password-set".
 */
int svc_ops_password_set(svc_store *st, const svc_principal *p,
			 const char *name, const char *password, size_t len);
/** Remove the password of name (NULL: p's own), as for set; audited. */
int svc_ops_password_remove(svc_store *st, const svc_principal *p,
			    const char *name);
/**
 * The users with a password and when it was set, by name (never a
 * hash): every one for the store's Administrator, else p alone (if set).
 */
int svc_ops_user_list(svc_user_info **out, size_t *count, svc_store *st,
		      const svc_principal *p);

/* ---- personal access tokens (tokens.h) ---- */

/**
 * A token for owner (NULL: p itself), shown once in *token (free it with
 * svc_secret_free(token, SVC_TOKEN_LEN)): a user for itself, the store's
 * Administrator for anybody.  Agents and jobs hold none.
 */
int svc_ops_token_create(char **token, svc_token_info *info, svc_store *st,
			 const svc_principal *p, const char *owner,
			 const char *name, const char *scopes, unsigned days);
/**
 * The tokens of owner (NULL: p's own), or with all every owner's: one's
 * own, or anybody's as the store's Administrator.  Never a secret.
 */
int svc_ops_token_list(svc_token_info **out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *owner, int all);
/** Revoke token id: one's own, or anybody's as the store's Administrator. */
int svc_ops_token_revoke(svc_store *st, const svc_principal *p,
			 const char *id);

/* ---- agent pools and agents (agents.h) ---- */

/**
 * Create a pool (trusted: its agents may supply pipeline YAML): a user
 * who is the store's Administrator, as for every verb below.
 */
int svc_ops_pool_create(svc_store *st, const svc_principal *p,
			const char *name, int trusted);
/** Every pool, by name. */
int svc_ops_pool_list(svc_pool **out, size_t *count, svc_store *st,
		      const svc_principal *p);
/**
 * A one-time registration token for pool, valid for hours (0: 24), shown
 * once in *token (svc_secret_free(*token, SVC_TOKEN_LEN)); its expiry in
 * *expires.
 */
int svc_ops_agent_registration_token(char **token, long long *expires,
				     svc_store *st, const svc_principal *p,
				     const char *pool, unsigned hours);
/** Every registered agent, by name (never a credential). */
int svc_ops_agent_list(svc_agent **out, size_t *count, svc_store *st,
		       const svc_principal *p);
/** Revoke an agent: its credential is refused from now on. */
int svc_ops_agent_revoke(svc_store *st, const svc_principal *p,
			 const char *name);

/* ---- jobs agents start through a server (agents.h) ---- */

/**
 * Start a job for the agent p: refused (SVC_EDENIED, audited) unless p is
 * a registered agent, not revoked, whose pool is trusted when req carries
 * YAML.  The pipeline is compiled and gated here; *out (svc_agent_job_free)
 * holds the gate's report, and when granted the job's id, token, lease and
 * only the granted connections with their secrets.  SVC_EINVALID with
 * (*out)->diags set for an invalid pipeline or job.
 */
int svc_ops_job_start(svc_agent_job **out, svc_store *st,
		      const svc_principal *p, const svc_catalog *cat,
		      const svc_job_request *req);
/**
 * Renew the lease of job id for lease_seconds more (0: the default, as
 * svc_job_request's): the agent that started it.
 */
int svc_ops_job_renew(long long *lease, svc_store *st,
		      const svc_principal *p, const char *id,
		      long lease_seconds);
/**
 * Complete job id with result (Succeeded, ..., Abandoned): the agent that
 * started it, or the job itself (its token).
 */
int svc_ops_job_complete(svc_store *st, const svc_principal *p,
			 const char *id, const char *result);
/**
 * The granted connections of job id with their secrets: the job itself
 * (its token) only, while it runs.
 */
int svc_ops_job_connections(svc_conn ***out, size_t *count, svc_store *st,
			    const svc_principal *p, const char *id);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
