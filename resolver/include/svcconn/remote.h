/*
 * remote.h - the client of svcconn-server: the verbs of svcconn/ops.h
 * asked of a server over HTTPS with a personal access token, returning the
 * same structures the ops calls return, and the same error codes (401 and
 * 403: SVC_EDENIED, 404: SVC_ENOTFOUND, 400: SVC_EINVALID, 409:
 * SVC_EEXISTS) with the server's message as svc_error_last().  So a front
 * end has one output path whether it acts on a local store or a server.
 *
 * Secrets travel one way: a connection's secret parameters are sent on
 * create and update (the request body is wiped once sent) and never come
 * back; a connection read from a server holds its set secrets as set but
 * not loaded.  The token is held in wiped memory, sent only as a bearer
 * header to the server it was given for (redirects are never followed),
 * never put in a URL or a message.
 */
#ifndef SVCCONN_REMOTE_H
#define SVCCONN_REMOTE_H

#include <stddef.h>

#include "svcconn/agents.h"
#include "svcconn/authz.h"
#include "svcconn/certs.h"
#include "svcconn/conn.h"
#include "svcconn/oidc.h"
#include "svcconn/pipedef.h"
#include "svcconn/pipeline.h"
#include "svcconn/projects.h"
#include "svcconn/store.h"
#include "svcconn/tokens.h"
#include "svcconn/users.h"
#include "svcconn/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/** A connection to one server, with its token. */
typedef struct svc_remote svc_remote;

#define SVC_REMOTE_OPTIONS_VERSION 1

/** How to reach a server. */
typedef struct svc_remote_options {
	unsigned version;     /**< SVC_REMOTE_OPTIONS_VERSION */
	const char *url;      /**< https://host[:port][/ORG/PROJECT]; without
				   ORG/PROJECT: default/default.  http:// only
				   on a loopback address (tests) */
	const char *token;    /**< the personal access token (copied) */
	size_t token_len;     /**< bytes of token */
	const char *ca_file;  /**< PEM file of CAs to trust beside the
				   system's, or NULL */
	long timeout_ms;      /**< per call; 0: 60 s */
} svc_remote_options;

/** Check the options, copy the token, read the CA file. No call is made. */
int svc_remote_new(svc_remote **out, const svc_remote_options *opts);
/** Wipe the token and free r (NULL accepted). */
void svc_remote_free(svc_remote *r);
/**
 * Act in project (a name, percent-encoded into the path) instead of the
 * URL's: the calls go to /ORG/PROJECT/... (docs/projects.md).
 */
int svc_remote_set_project(svc_remote *r, const char *project);

/**
 * GET /_apis/connectionData: the name the server knows the token's holder
 * by, in a new string (free()).
 */
int svc_remote_whoami(char **name, svc_remote *r);

/** As svc_ops_conn_list: every connection the holder may read. */
int svc_remote_conn_list(svc_conn ***out, size_t *count, svc_remote *r);
/** As svc_ops_conn_get without secrets (set secrets: set, not loaded). */
int svc_remote_conn_get(svc_conn **out, svc_remote *r,
			const char *name_or_id);
/**
 * As svc_remote_conn_get, with its serviceEndpointProjectReferences: the
 * name of the project owning it into *project (free(); NULL when the
 * server sent none) and the projects it is shared into into *shares
 * (svc_shares_free), as svc_ops_conn_shares.
 */
int svc_remote_conn_get_refs(svc_conn **out, char **project,
			     svc_share **shares, size_t *count,
			     svc_remote *r, const char *name_or_id);
/**
 * As svc_ops_conn_create: c (validated) is sent with its secrets; on
 * success c takes the id and the metadata the server gave it.
 */
int svc_remote_conn_create(svc_remote *r, svc_conn *c);
/**
 * As svc_ops_conn_update: c as read by svc_remote_conn_get and changed;
 * a secret not loaded keeps its stored value.
 */
int svc_remote_conn_update(svc_remote *r, svc_conn *c);
/** As svc_ops_conn_rename. */
int svc_remote_conn_rename(svc_remote *r, const char *name_or_id,
			   const char *new_name);
/** As svc_ops_cert_rescan: the server decrypts and records. */
int svc_remote_cert_rescan(size_t *scanned, svc_remote *r);
/**
 * As svc_ops_verify (POST .../endpoints/{id}/verify): the server makes
 * the call with the secrets it stores; *out (svc_verify_result_clear),
 * *conn (without secrets) and *pinned (free(); NULL unless
 * SVC_OPS_PIN_HOST_KEY pinned keys) as svc_ops_verify gives them.
 */
int svc_remote_verify(svc_verify_result *out, svc_conn **conn, char **pinned,
		      svc_remote *r, const char *name_or_id, unsigned flags);
/**
 * svc_remote_conn_create (c without an id) or svc_remote_conn_update,
 * verified by the server first (svc_ops_verify_candidate, ?verify=true):
 * the verification into *out (svc_verify_result_clear).  When the service
 * refused it nothing is stored and the error (SVC_ERROR) says
 * "verification failed (OUTCOME): MESSAGE; nothing stored".
 */
int svc_remote_conn_save_verified(svc_verify_result *out, svc_remote *r,
				  svc_conn *c);
/**
 * svc_remote_conn_create (c without an id) or svc_remote_conn_update,
 * verified first as svc_remote_conn_save_verified when out is not NULL,
 * with the fields unset[0..nunset) removed by the server (svcconn's
 * "unset": a PUT keeps a secret it leaves out, so edit --unset of a
 * secret names it).
 */
int svc_remote_conn_save(svc_verify_result *out, svc_remote *r, svc_conn *c,
			 const char *const *unset, size_t nunset);
/**
 * As svc_ops_export without SVC_EXPORT_SECRETS (the only export a server
 * gives): *text the YAML (free with svc_secret_free(*text, *len)).
 */
int svc_remote_export(char **text, size_t *len, size_t *count, svc_remote *r,
		      const char *const *names, size_t nnames);
/**
 * As svc_ops_conn_import (flags: SVC_IMPORT_REPLACE): every connection
 * sent with its secrets in one request, stored in one transaction on the
 * server, all or nothing.
 */
int svc_remote_conn_import(svc_remote *r, svc_conn **conns, size_t count,
			   unsigned flags);
/** As svc_ops_cert_expiry_list (free with svc_cert_expiry_list_free). */
int svc_remote_cert_expiry_list(svc_cert_expiry **out, size_t *count,
				svc_remote *r);
/** As svc_ops_pipeline_list (free with svc_strings_free). */
int svc_remote_pipeline_list(char ***out, size_t *count, svc_remote *r,
			     const char *name_or_id);
/** As svc_ops_pipeline_allow (allow 1) or svc_ops_pipeline_disallow. */
int svc_remote_pipeline_set(svc_remote *r, const char *name_or_id,
			    const char *pipeline, int allow);
/** As svc_ops_conn_set_all_pipelines. */
int svc_remote_conn_set_all_pipelines(svc_remote *r, const char *name_or_id,
				      int all);
/** As svc_ops_audit (limit 0: all). */
int svc_remote_audit(svc_audit_list **out, svc_remote *r, size_t limit);
/** As svc_ops_audit_query. */
int svc_remote_audit_query(svc_audit_list **out, svc_remote *r,
			   const svc_audit_filter *f);
/** As svc_ops_conn_delete. */
int svc_remote_conn_delete(svc_remote *r, const char *name_or_id);
/**
 * As svc_ops_approval_list (GET .../pipelines/approvals): the approval
 * check runs, their state holding the frozen approvers only; free with
 * svc_check_runs_free and svc_strings_free.
 */
int svc_remote_approval_list(svc_check_run **out, char ***conn_names,
			     size_t *count, svc_remote *r, int pending_only);
/** As svc_ops_decide (PATCH .../pipelines/approvals). */
int svc_remote_decide(svc_remote *r, const char *check_run_id,
		      const char *decision, const char *comment,
		      const char *defer_until);
/** As svc_ops_bypass (POST .../svcconn/checkruns/{id}/bypass). */
int svc_remote_bypass(svc_remote *r, const char *check_run_id);

/** A job the server was asked to start (svc_remote_job_start). */
typedef struct svc_remote_job {
	svc_gate_status status;  /**< the gate's answer */
	char *message;           /**< the gate's items, one line each
				      ("CONNECTION: WHAT: MESSAGE"), or NULL */
	char *id;                /**< the job's id (granted) */
	char *token;             /**< the job access token (svcj_; secret,
				      wiped by svc_remote_job_free) */
	size_t token_len;        /**< bytes of token */
	long long lease_expires; /**< the lease ends then unless renewed */
	char *source;            /**< where the server took the pipeline */
	char *record;            /**< the job's state (JSON text: steps,
				      variables, connection ids; no secret) */
	char *endpoints;         /**< the granted connections as a JSON
				      array of ServiceEndpoints WITH their
				      secrets (wiped by svc_remote_job_free) */
	size_t endpoints_len;    /**< bytes of endpoints */
	char *oidc_request_uri;  /**< the answer's oidcRequestUri, or NULL */
	char *withheld;          /**< why the server withheld a fork's
				      secrets (secretsWithheld), or NULL */
} svc_remote_job;

/**
 * POST .../_apis/svcconn/jobs with an agent's credential: *out holds the
 * gate's status (a 202 is no error: waiting or needs-permission), and for
 * a granted job its id, token, record and endpoints.  The answer's body
 * is read into wiped memory.  A denied or skipped job is SVC_EDENIED.
 */
int svc_remote_job_start(svc_remote_job **out, svc_remote *r,
			 const svc_job_request *req);
/** Free j, wiping its token and endpoints; NULL accepted. */
void svc_remote_job_free(svc_remote_job *j);
/** POST .../jobs/ID/renew (the agent that started it): the new lease. */
int svc_remote_job_renew(long long *lease, svc_remote *r, const char *id);
/** POST .../jobs/ID/complete with result (the agent, or the job token). */
int svc_remote_job_complete(svc_remote *r, const char *id,
			    const char *result);

/**
 * The server of the agent registered in config_dir (agent.json: server,
 * CA file), with its credential (config_dir/credential, a private file of
 * ours) as the token; url (may be NULL) instead of agent.json's server,
 * e.g. https://host:port/ORG/PROJECT.  SVC_ENOTFOUND when no agent is
 * registered there.
 */
int svc_remote_agent_open(svc_remote **out, const char *config_dir,
			  const char *url);
/**
 * What Azure calls the collection URI of r's project
 * (https://host[:port]/ORG/, with the slash) and the project's name, new
 * strings (free()).
 */
int svc_remote_collection(char **uri, char **project, const svc_remote *r);
/** As svc_ops_usage_list (limit 0: all; free with svc_usages_free). */
int svc_remote_usage_list(svc_usage **out, size_t *count, svc_remote *r,
			  const char *name_or_id, size_t limit);
/** As svc_ops_request_list (free with svc_perm_requests_free). */
int svc_remote_request_list(svc_perm_request **out, size_t *count,
			    svc_remote *r, int pending_only);
/** As svc_ops_request_permit (*req may not be NULL here). */
int svc_remote_request_permit(svc_perm_request **req, svc_remote *r,
			      const char *id);
/** As svc_ops_check_list (free with svc_checks_free). */
int svc_remote_check_list(svc_check **out, size_t *count, svc_remote *r,
			  const char *name_or_id);
/** As svc_ops_check_add: the options are sent, the server builds the check. */
int svc_remote_check_add(char **id, svc_remote *r, const char *name_or_id,
			 const char *kind, const char *const *keys,
			 const char *const *values, size_t n);
/** As svc_ops_check_remove. */
int svc_remote_check_remove(svc_remote *r, const char *name_or_id,
			    const char *check_id);
/** As svc_ops_check_enable. */
int svc_remote_check_enable(svc_remote *r, const char *name_or_id,
			    const char *check_id, int enabled);
/**
 * As svc_ops_role_list on name_or_id (NULL: the store), with what
 * svc_ops_role answers for the token's holder in *mine, the holder's name
 * in *you and the connection's name in *conn_name (NULL for the store;
 * new strings, free()).
 */
int svc_remote_role_list(svc_role_entry **out, size_t *count, int *inherit,
			 svc_role *mine, char **you, char **conn_name,
			 svc_remote *r, const char *name_or_id);
/** As svc_ops_role_set (SVC_ROLE_NONE: revoke). */
int svc_remote_role_set(svc_remote *r, const char *name_or_id,
			const char *principal, svc_role role);
/**
 * As svc_ops_project_role_list and svc_ops_project_role_set: the roles in
 * r's project itself (GET and PATCH .../svcconn/security?scope=project).
 */
int svc_remote_project_role_list(svc_role_entry **out, size_t *count,
				 svc_remote *r);
int svc_remote_project_role_set(svc_remote *r, const char *principal,
				svc_role role);
/** As svc_ops_inherit_set. */
int svc_remote_inherit_set(svc_remote *r, const char *name_or_id, int on);
/** As svc_ops_group_list (free with svc_strings_free). */
int svc_remote_group_list(char ***out, size_t *count, svc_remote *r,
			  const char *group);
/** As svc_ops_group_create (create 1) or svc_ops_group_delete. */
int svc_remote_group_make(svc_remote *r, const char *group, int create);
/** As svc_ops_group_add (add 1) or svc_ops_group_remove. */
int svc_remote_group_member(svc_remote *r, const char *group,
			    const char *member, int add);
/** As svc_ops_pipedef_list (free with svc_pipedefs_free). */
int svc_remote_pipedef_list(svc_pipedef **out, size_t *count, svc_remote *r);
/** As svc_ops_pipedef_register (branch may be NULL). */
int svc_remote_pipedef_register(svc_remote *r, const char *name,
				const char *connection, const char *url,
				const char *path, const char *branch);
/**
 * As svc_ops_plan: opts->file and the templates it includes are read here,
 * by the walk the plan makes (paths relative to the current directory,
 * without ".."), and sent; the server plans them as the token's principal
 * in its project and the plan comes back (svc_plan_free).  SVC_PLAN_FETCH
 * and task directories are refused (SVC_EINVALID).
 */
int svc_remote_plan(svc_plan **out, svc_remote *r,
		    const svc_plan_options *opts);
/**
 * As svc_ops_pipeline_source (commit NULL: the branch's head): the server
 * fetches the file through the repository's connection; *yaml and
 * *origin new strings (free()).
 */
int svc_remote_pipeline_source(char **yaml, size_t *len, char **origin,
			       svc_remote *r, const char *pipeline,
			       const char *commit);
/** As svc_ops_pipedef_remove. */
int svc_remote_pipedef_remove(svc_remote *r, const char *name);
/**
 * As svc_ops_token_create (owner NULL: the token's holder): the new token
 * into *token (free with svc_secret_free(*token, SVC_TOKEN_LEN)).
 */
int svc_remote_token_create(char **token, svc_token_info *info,
			    svc_remote *r, const char *owner,
			    const char *name, const char *scopes,
			    unsigned days);
/** As svc_ops_token_list (free with svc_token_list_free). */
int svc_remote_token_list(svc_token_info **out, size_t *count,
			  svc_remote *r, const char *owner, int all);
/** As svc_ops_token_revoke. */
int svc_remote_token_revoke(svc_remote *r, const char *id);
/** As svc_ops_password_set (name NULL: the token's holder). */
int svc_remote_password_set(svc_remote *r, const char *name,
			    const char *password, size_t len);
/** As svc_ops_password_remove (name NULL: the token's holder). */
int svc_remote_password_remove(svc_remote *r, const char *name);
/** As svc_ops_user_list (free with svc_user_list_free). */
int svc_remote_user_list(svc_user_info **out, size_t *count, svc_remote *r);
/** As svc_ops_oidc_keys (free with svc_oidc_keys_free). */
int svc_remote_oidc_keys(svc_oidc_key **out, size_t *count, svc_remote *r);
/** As svc_ops_oidc_rotate (alg NULL: the default; *kid: free()). */
int svc_remote_oidc_rotate(char **kid, svc_remote *r, const char *alg);

/** As svc_ops_project_list (GET /_apis/projects; svc_projects_free). */
int svc_remote_project_list(svc_project **out, size_t *count, svc_remote *r);
/** As svc_ops_project_create (POST /_apis/projects; description may be NULL). */
int svc_remote_project_create(svc_remote *r, const char *name,
			      const char *description);
/** As svc_ops_project_delete (DELETE /_apis/projects/{name_or_id}). */
int svc_remote_project_delete(svc_remote *r, const char *name_or_id);
/**
 * As svc_ops_conn_share: connection name_or_id of r's project shared into
 * project (name, description may be NULL), by Azure's PATCH
 * /_apis/serviceendpoint/endpoints/{id}.
 */
int svc_remote_conn_share(svc_remote *r, const char *name_or_id,
			  const char *project, const char *name,
			  const char *description);
/** As svc_ops_conn_unshare (DELETE .../endpoints/{id}?projectIds=...&sharesOnly=true). */
int svc_remote_conn_unshare(svc_remote *r, const char *name_or_id,
			    const char *project);
/** As svc_ops_pool_list (free with svc_pool_list_free). */
int svc_remote_pool_list(svc_pool **out, size_t *count, svc_remote *r);
/** As svc_ops_pool_create. */
int svc_remote_pool_create(svc_remote *r, const char *name, int trusted);
/** As svc_ops_agent_list (free with svc_agent_list_free). */
int svc_remote_agent_list(svc_agent **out, size_t *count, svc_remote *r);
/** As svc_ops_agent_revoke. */
int svc_remote_agent_revoke(svc_remote *r, const char *name);
/**
 * As svc_ops_agent_registration_token (hours 0: the default): the token
 * into *token (free with svc_secret_free(*token, SVC_TOKEN_LEN)).
 */
int svc_remote_agent_registration_token(char **token, long long *expires,
					svc_remote *r, const char *pool,
					unsigned hours);
/**
 * The server's connection types (GET /_apis/serviceendpoint/types), or
 * the one type names (NULL: all; an alias or any case), as the JSON text
 * of an array of ServiceEndpointType (svc_type_json's shape) in a new
 * string (free()); an unknown type is an empty array.
 */
int svc_remote_types(char **out, svc_remote *r, const char *type);

/**
 * The login file: $XDG_CONFIG_HOME/svcconn/server.json, else
 * ~/.config/svcconn/server.json, in a new string.
 */
int svc_remote_login_path(char **out);
/**
 * Store {url, token, ca} in the login file: its directory made 0700, the
 * file replaced atomically by one created 0600.  ca may be NULL.
 */
int svc_remote_login_save(const char *url, const char *token,
			  size_t token_len, const char *ca_file);
/**
 * Read the login file (a private file of ours): its URL and CA file (new
 * strings, ca NULL when none) and its token (a secret: free with
 * svc_secret_free(token, token_len)).  SVC_ENOTFOUND when there is none.
 */
int svc_remote_login_load(char **url, char **token, size_t *token_len,
			  char **ca_file);
/** Remove the login file; SVC_ENOTFOUND when there was none. */
int svc_remote_login_remove(void);

/**
 * Make jansson wipe every block it frees (process-wide, for executables
 * whose JSON carries secrets: request bodies, the login file).
 */
void svc_json_wipe_on_free(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
