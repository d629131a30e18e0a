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
};

/** The parts of the server the resources use. */
struct srv_shared {
	svc_store *store;         /**< the open store (under lock) */
	svc_catalog *catalog;     /**< the types */
	const char *organization; /**< served organization */
	const char *project;      /**< served project */
	const char *openapi;      /**< the OpenAPI document (JSON text) */
	struct srv_oidc *oidc;    /**< the issuer's documents (api_oidc.c) */
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

/** A resource handler: answers c (srv_reply / srv_error). */
typedef int (*srv_handler)(struct srv_call *c);

/** Where a route is served. */
enum srv_route_place {
	SRV_GLOBAL = 0,  /**< /_apis/... and /{org}/_apis/... */
	SRV_PROJECT = 1  /**< /{org}/{project}/_apis/... */
};

/** One route: method, path after the place, scope, handler. */
struct srv_route {
	const char *method;        /**< HTTP method */
	enum srv_route_place place; /**< global or project */
	const char *path;          /**< e.g. "_apis/serviceendpoint/endpoints";
				        one star segment (at the end, or
				        before more segments) matches one
				        segment: {id} */
	const char *scope;         /**< token scope needed (NULL: any) */
	int public_;               /**< 1: served without authentication */
	srv_handler handler;       /**< answers */
};

/* Handlers of api_pipelines.c: the registered pipelines. */
int api_pipelines_list(struct srv_call *c);
int api_pipelines_create(struct srv_call *c);
int api_pipelines_delete(struct srv_call *c);

/* The OIDC issuer's documents (api_oidc.c); issuer NULL: none served. */
struct srv_oidc;
int srv_oidc_new(struct srv_oidc **out, const char *issuer);
void srv_oidc_free(struct srv_oidc *o);
int api_oidc_discovery(struct srv_call *c);
int api_oidc_jwks(struct srv_call *c);
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
/** The JSON object of c's body, or NULL with c answered (400). */
json_t *srv_body_object(struct srv_call *c);

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
/** GET /_apis/audit/auditlog (api_audit.c). */
int api_audit_log(struct srv_call *c);
/** GET .../serviceendpoint/certificateexpiry (api_conn.c). */
int api_cert_expiry(struct srv_call *c);

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

/** /_apis/tokens/pats: GET, POST, DELETE ?authorizationId= (api_tokens.c). */
int api_tokens_list(struct srv_call *c);
int api_token_create(struct srv_call *c);
int api_token_revoke(struct srv_call *c);

/** GET /_apis/svcconn/oidc/keys, POST .../rotate (api_oidc_keys.c). */
int api_oidc_keys(struct srv_call *c);
int api_oidc_rotate(struct srv_call *c);

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

#endif
