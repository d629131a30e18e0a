/*
 * server_int.h - what server.c (HTTP, limits, authentication, routing)
 * and server_api.c (the resources) share.  Nothing here is exported.
 */
#ifndef SVC_SERVER_INT_H
#define SVC_SERVER_INT_H

#include <pthread.h>
#include <stddef.h>

#include <jansson.h>

#include "svcconn/catalog.h"
#include "svcconn/server.h"
#include "svcconn/ops.h"
#include "svcconn/store.h"

/* Retry-After of a 503 while the store's database cannot be reached:
 * seconds (the store tries to connect again at most once a second). */
#define SRV_UNAVAIL_RETRY_S "2"

/** Response headers a handler may add (srv_header_add). */
#define SRV_HEADERS_MAX 8

/** One request being answered, from routing to the response. */
struct srv_call {
	svc_server *srv;          /**< the server */
	const char *method;       /**< GET, POST, ... */
	const char *path;         /**< the path, without the query */
	const char *arg;          /**< the route's {id} segment, or NULL */
	const char *project;      /**< the path's project (project routes) */
	const char *body;         /**< request body (NUL-terminated) */
	size_t body_len;          /**< bytes in body */
	const char *request;      /**< "METHOD /path", for messages */
	const char *client;       /**< the client's address, for audits */
	const char *actor;        /**< the authenticated principal's name */
	svc_principal *who;       /**< the principal every ops call gets */
	const char *auth_method;  /**< "token" or "unixSocket" */
	const char *token_id;     /**< the token's id, or NULL */
	const char *scopes;       /**< the token's scopes, NULL: all */
	struct MHD_Connection *conn; /**< for query arguments */
	unsigned status;          /**< the response's status */
	json_t *out;              /**< the response's body, or NULL */
	char *page;               /**< a body that is not JSON (the
				       console's pages), or NULL; sent
				       instead of out, wiped and freed */
	size_t page_len;          /**< bytes in page */
	const char *page_type;    /**< page's Content-Type */
	char *headers[2 * SRV_HEADERS_MAX]; /**< more response headers:
				       name, value pairs (ours) */
	long long waited_ms;      /**< how long this request has waited
				       already (srv_wait), 0 at first */
	long long wait_ms;        /**< set by srv_wait: wait up to this
				       long for a change, then ask the
				       handler again; 0: answer now */
};

/** The parts of the server the resources use. */
struct srv_shared {
	svc_store *store;         /**< the open store (under lock) */
	svc_catalog *catalog;     /**< the types */
	const char *organization; /**< served organization */
	const char *openapi;      /**< the OpenAPI document (JSON text) */
	struct srv_oidc *oidc;    /**< the issuer's documents (api_oidc.c) */
	struct console *console;  /**< the web console's sessions
				       (console/console.c) */
	long job_lease_s;         /**< an agent's job's lease, seconds (0:
				       the default) */
};

/** The server's shared parts. */
const struct srv_shared *srv_shared(const svc_server *s);

/**
 * The token of the request (Authorization: Bearer, or Basic's password),
 * newly allocated (svc_secret_free(tok, (size_t)-1)), or NULL.
 */
char *srv_request_token(struct MHD_Connection *conn);

/** Query argument name of the request, or NULL. */
const char *srv_query(const struct srv_call *c, const char *name);

/**
 * Query argument name as a count from 1 to 1000000 into *out (0 when
 * absent); -1 with c answered (400) when it is something else.
 */
int srv_query_count(struct srv_call *c, const char *name, size_t *out);

/**
 * Answer with an error body {"message", "typeKey", ...} of status; returns
 * -1 (the call is answered, and failed).
 */
int srv_error(struct srv_call *c, unsigned status, const char *type_key,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** Answer with the library's error rc (status and type from the code); -1. */
int srv_lib_error(struct srv_call *c, int rc);
/**
 * Answer status with body v (the reference is taken; NULL: no memory, a
 * 500 unless status is 204); 0, or -1 for that 500.
 */
int srv_reply(struct srv_call *c, unsigned status, json_t *v);

/**
 * Answer status with a body that is not JSON: page (len bytes, taken:
 * wiped and freed after sending; NULL: no memory, a 500) of Content-Type
 * type.  0, or -1 for that 500.
 */
int srv_reply_page(struct srv_call *c, unsigned status, const char *type,
		   char *page, size_t len);
/** Add response header name: value (copied); 0, or -1 (no room, memory). */
int srv_header_add(struct srv_call *c, const char *name, const char *value);
/**
 * Inside a handler: let go of the store for a long wait that needs none
 * (a verification's outbound call), then take it again.  Nothing loaded
 * before is to be trusted as current afterwards; no store call between.
 */
void srv_store_unlock(struct srv_call *c);
void srv_store_relock(struct srv_call *c);
/**
 * Inside a handler that has answered (e.g. 202 "waiting"): instead of
 * sending that answer, wait up to ms milliseconds for a commit that can
 * change it (store_watch.h: any server's, on PostgreSQL), without the
 * store's lock and without holding a thread, then call the handler again
 * with c->waited_ms grown; at the end of the wait, or when the server
 * cannot wait (no watch, stopping, too many waiting), the answer is sent.
 */
void srv_wait(struct srv_call *c, long long ms);
/** Add Retry-After: seconds unless c has one already. */
void srv_retry_after(struct srv_call *c, const char *seconds);
/** Log line of the server (never a secret). */
void srv_log_line(const svc_server *s, svc_server_log_level level,
		  const char *line);

/** A resource handler: answers c (srv_reply / srv_error). */
typedef int (*srv_handler)(struct srv_call *c);

/** Where a route is served. */
enum srv_route_place {
	SRV_GLOBAL = 0,  /**< /_apis/... and /{org}/_apis/... */
	SRV_PROJECT = 1  /**< /{org}/{project}/_apis/... */
};

/** A public route that authenticates its caller itself. */
#define SRV_SELF_AUTH 2

/** One route: method, path after the place, scope, handler. */
struct srv_route {
	const char *method;        /**< HTTP method */
	enum srv_route_place place; /**< global or project */
	const char *path;          /**< e.g. "_apis/serviceendpoint/endpoints";
				        a star segment matches one
				        segment; the last star is {id};
				        a last "**" matches the rest (one
				        segment or more, no {id}) */
	const char *scope;         /**< token scope needed (NULL: any) */
	int public_;               /**< 1: served without authentication;
				        SRV_SELF_AUTH: the handler checks a
				        credential of its own (rate-limited
				        like a token) */
	srv_handler handler;       /**< answers */
};

/**
 * GET /_apis/svcconn/health (no authentication): 200 {"database":"ok"}
 * or 503 {"database":"unavailable"} with Retry-After (server_api.c).
 */
int api_health(struct srv_call *c);

/* Handlers of api_pipelines.c: the registered pipelines. */
int api_pipelines_list(struct srv_call *c);
int api_pipelines_create(struct srv_call *c);
int api_pipelines_delete(struct srv_call *c);
int api_pipeline_source(struct srv_call *c);
/* Handler of api_plan.c: `svcconn plan` of the files a client sends. */
int api_plan(struct srv_call *c);

/* The OIDC issuer's documents (api_oidc.c); issuer NULL: none served. */
struct srv_oidc;
int srv_oidc_new(struct srv_oidc **out, const char *issuer);
void srv_oidc_free(struct srv_oidc *o);
int api_oidc_discovery(struct srv_call *c);
int api_oidc_jwks(struct srv_call *c);
/** OPTIONS /_apis/distributedtask: the oidctoken route's location. */
int api_oidc_locations(struct srv_call *c);
/**
 * POST .../hubs/build/plans/{job}/jobs/{job}/oidctoken
 * ?serviceConnectionId=ID: {"oidcToken"} for the job's own token.
 */
int api_oidc_job_token(struct srv_call *c);
/** The oidctoken URL of job_id (a JSON string; null: no issuer). */
json_t *srv_oidc_request_uri(const struct srv_call *c, const char *job_id);
/**
 * For a WorkloadIdentityFederation connection conn granted to job_id (the
 * caller's decision), a fresh token as authorization.parameters.idToken
 * of its JSON ep (no issuer: nothing); 0, or -1 with c answered.
 */
int srv_oidc_id_token(struct srv_call *c, json_t *ep, const svc_conn *conn,
		      const char *job_id);
/*
 * The ServiceEndpoint JSON of c (server_api.c): secret parameters null,
 * unless secrets (a job's own granted connections only).
 */
json_t *srv_endpoint_json(const struct srv_shared *sh, const svc_conn *c,
			  int secrets);

/* api_agents.c: agents register themselves (public: the registration
 * token authenticates), start, renew and complete jobs; a job reads its
 * own connections */
int api_agent_register(struct srv_call *c);
int api_job_start(struct srv_call *c);
int api_job_renew(struct srv_call *c);
int api_job_complete(struct srv_call *c);
int api_job_endpoints(struct srv_call *c);
/** A JSON string of s, or null (server_api.c). */
json_t *srv_str_or_null(const char *s);
/** An IdentityRef as Azure DevOps writes one for name, or null. */
json_t *srv_identity_ref(const char *name);
/** The JSON object of c's body, or NULL with c answered (400). */
json_t *srv_body_object(struct srv_call *c);

/* api_projects.c: GET /_apis/projects, and Azure's share and unshare
 * calls at the organization: PATCH and DELETE
 * /{org}/_apis/serviceendpoint/endpoints/{id} */
int api_projects_list(struct srv_call *c);
/** POST /_apis/projects {name, description}; DELETE /_apis/projects/{id}. */
int api_project_create(struct srv_call *c);
int api_project_delete(struct srv_call *c);
int api_endpoint_share(struct srv_call *c);
int api_endpoint_unshare(struct srv_call *c);
/**
 * The serviceEndpointProjectReferences of conn: its owning project, then
 * the projects it is shared with, each with its name there; NULL when
 * they cannot be read.
 */
json_t *srv_project_refs(const struct srv_shared *sh, const svc_conn *conn);

/** PATCH .../endpoints/{id} {"name"}: rename (api_conn.c). */
int api_endpoint_rename(struct srv_call *c);
/** GET and PATCH .../pipelines/pipelinePermissions/endpoint/{id} (api_authz.c). */
int api_pipeline_permissions_get(struct srv_call *c);
int api_pipeline_permissions_update(struct srv_call *c);
/**
 * Refuse (400 naming each field, -1) a connection whose certificates or
 * keys are in error before it is stored; 0 when none is (api_conn.c).
 */
int srv_certs_refused(struct srv_call *c, const svc_conn *conn);
/*
 * Drop conn's fields (not its URL) before an update sets them again: all
 * of them, or with keep_secrets all but the secret ones (a secret not
 * given again keeps its stored value, as Azure DevOps keeps it).  The
 * API's PUT and the console's Edit.
 */
void srv_conn_drop_fields(svc_conn *conn, int keep_secrets);
/**
 * A new connection from the ServiceEndpoint body (name and type
 * required), its fields applied and validated; -1 with c answered (400)
 * when it is not one (server_api.c).
 */
int srv_conn_from_body(struct srv_call *c, svc_conn **out, json_t *body);
/** POST .../endpoints/{id}/verify[?pinHostKey=true] (api_verify.c). */
int api_endpoint_verify(struct srv_call *c);
/**
 * With ?verify=true on a create or update: verify conn before it is
 * stored (svc_ops_verify_candidate), refusing it (422, -1) when the
 * service did not accept it; *result the verification's JSON ({outcome,
 * message, target, httpStatus}), NULL without ?verify (api_verify.c).
 */
int srv_verify_first(struct srv_call *c, const svc_conn *conn,
		     json_t **result);
/** POST .../svcconn/export and .../svcconn/import (api_exchange.c). */
int api_export(struct srv_call *c);
int api_import(struct srv_call *c);
/** POST .../serviceendpoint/certificateexpiry/rescan (api_conn.c). */
int api_cert_rescan(struct srv_call *c);
/** GET /_apis/audit/auditlog (api_audit.c). */
int api_audit_log(struct srv_call *c);
/** GET .../serviceendpoint/certificateexpiry (api_conn.c). */
int api_cert_expiry(struct srv_call *c);

/* api_approvals.c: approvals (Azure's Approvals and Checks API) and
 * svcconn's bypass of a check run */
int api_approvals_list(struct srv_call *c);
int api_approval_get(struct srv_call *c);
int api_approvals_update(struct srv_call *c);
int api_check_run_bypass(struct srv_call *c);

/** GET .../serviceendpoint/{id}/executionhistory (api_history.c). */
int api_execution_history(struct srv_call *c);
/** GET .../svcconn/permissionrequests, POST .../{id}/permit (api_history.c). */
int api_requests_list(struct srv_call *c);
int api_request_permit(struct srv_call *c);
/** .../pipelines/checks/configurations[/{id}] (api_checks.c). */
int api_checks_list(struct srv_call *c);
int api_check_add(struct srv_call *c);
int api_check_remove(struct srv_call *c);
int api_check_update(struct srv_call *c);

/** .../svcconn/security[/{id}] and .../svcconn/groups[/{group}]
 * (api_security.c). */
int api_security_get(struct srv_call *c);
int api_security_update(struct srv_call *c);
int api_groups_get(struct srv_call *c);
int api_group_create(struct srv_call *c);
int api_group_delete(struct srv_call *c);
int api_group_update(struct srv_call *c);

/** Seconds since the epoch as an ISO 8601 time, or null for 0 (api_tokens.c). */
json_t *srv_iso_or_null(long long t);
/** /_apis/tokens/pats: GET, POST, DELETE ?authorizationId= (api_tokens.c). */
int api_tokens_list(struct srv_call *c);
int api_token_create(struct srv_call *c);
int api_token_revoke(struct srv_call *c);
/*
 * /_apis/svcconn/users: GET the users with a password; PUT and DELETE
 * users/{name}/password (api_users.c).
 */
int api_users_list(struct srv_call *c);
int api_user_password_set(struct srv_call *c);
int api_user_password_remove(struct srv_call *c);

/*
 * api_pools.c: GET and POST /_apis/distributedtask/pools; GET
 * /_apis/svcconn/agents, DELETE .../agents/{name}; POST
 * /_apis/svcconn/registrationtokens.
 */
int api_pools_list(struct srv_call *c);
int api_pool_create(struct srv_call *c);
int api_agents_list(struct srv_call *c);
int api_agent_revoke(struct srv_call *c);
int api_registration_token(struct srv_call *c);
/** GET /_apis/svcconn/oidc/keys, POST .../rotate (api_oidc_keys.c). */
int api_oidc_keys(struct srv_call *c);
int api_oidc_rotate(struct srv_call *c);

/* The web console (console/console.c): its pages under /console/. */
/**
 * The console's state: sessions ending idle_s seconds after their last
 * request and max_s after sign-in (0: 900 and 28800); https: the server
 * speaks TLS (the origin a form must come from).
 */
int console_new(struct console **out, unsigned idle_s, unsigned max_s,
		int https);
/** Free (the sessions are the store's); NULL accepted. */
void console_free(struct console *con);
int console_signin(struct srv_call *c);
/**
 * The console's answer to a sign-in while the address is rate-limited:
 * a 429 page saying when to try again (retry_s seconds), not JSON.
 */
int console_too_many(struct srv_call *c, unsigned retry_s);
int console_get(struct srv_call *c);
int console_post(struct srv_call *c);
/** GET /favicon.ico: 404 (the console's icon is /console/console.svg). */
int console_favicon(struct srv_call *c);

/** The routes (server_api.c), ended by an entry with method NULL. */
extern const struct srv_route srv_routes[];

/**
 * Match path (hostile input) against srv_routes for the served org and
 * project: the route into *route and its {id} segment into arg (argsz
 * bytes; a longer segment matches nothing).  Returns 1 when a route of
 * that method matches, 2 when only routes of other methods do, 0 when
 * none, -1 when the path names another organization or project.
 */
int srv_route_find(const struct srv_route **route, char *arg, size_t argsz,
		   const char *org, const char *project, const char *method,
		   const char *path);

/** Room for a project's name from a path (names are at most 64). */
#define SRV_PROJECT_MAX 256

/**
 * srv_route_find for every project of org: a project route's project
 * segment (hostile input, not checked against the store: the caller
 * does) into proj (projsz bytes; a longer or empty one matches nothing,
 * as another place), "" for a global route.
 */
int srv_route_match(const struct srv_route **route, char *arg, size_t argsz,
		    char *proj, size_t projsz, const char *org,
		    const char *method, const char *path);

/**
 * Under the store lock: make c->who act in c->project, answering 404
 * (-1) when the project does not exist or c->who may not see it (one
 * message for both); 0 when the handler may run.
 */
int srv_enter_project(struct srv_call *c);

#endif
