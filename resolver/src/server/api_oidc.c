/*
 * api_oidc.c - the OIDC issuer's public documents, served by
 * svcconn-server without authentication (a cloud that trusts the issuer
 * fetches them): the discovery document at SVC_OIDC_DISCOVERY_PATH and
 * the signing keys at SVC_OIDC_JWKS_PATH (svcconn/oidc.h).
 *
 * Both are served only when the server was given its public URL
 * (--issuer); the issuer is never taken from a request.  The JWKS is
 * kept in memory and built again when the set of published keys changes:
 * each request lists the keys' ids and whether each is past its drop time
 * (one small query), so a rotation made by `svcconn oidc rotate` in
 * another process is served at once, and a retired key stops being
 * published when its time comes.
 *
 * Jobs get ID tokens as on Azure DevOps: the route behind
 * SYSTEM_OIDCREQUESTURI (POST .../hubs/build/plans/{job}/jobs/{job}/
 * oidctoken?serviceConnectionId=ID, the job's own token, answered
 * {"oidcToken"}; the authority is svc_ops_oidc_job_token), its resource
 * location for azure-devops-node-api (OPTIONS /_apis/distributedtask), and
 * the late-bound idToken of a WorkloadIdentityFederation connection in the
 * job's answers.  Each token is signed afresh and audited (oidc-issue).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/conn.h"
#include "svcconn/oidc.h"
#include "svcconn/ops.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "oidc/oidc_int.h"
#include "server/server_int.h"
#include "util/buf.h"
#include "util/clock.h"

struct srv_oidc {
	pthread_mutex_t lock; /**< guards the members below */
	char *issuer;         /**< the server's URL, or NULL: no issuer */
	char *discovery;      /**< the discovery document (JSON text) */
	char *jwks;           /**< the JWKS last built (JSON text), or NULL */
	char *keyset;         /**< the key set it was built from */
};

int srv_oidc_new(struct srv_oidc **out, const char *issuer)
{
	struct srv_oidc *o = calloc(1, sizeof(*o));
	int rc = 0;

	if (!o)
		return error_oom();
	pthread_mutex_init(&o->lock, NULL);
	if (issuer && (!(o->issuer = strdup(issuer)) ||
		       (rc = svc_oidc_discovery(&o->discovery, issuer)))) {
		rc = rc ? rc : error_oom();
		srv_oidc_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

void srv_oidc_free(struct srv_oidc *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o->issuer);
	free(o->discovery);
	free(o->jwks);
	free(o->keyset);
	free(o);
}

/* 404 when the server has no issuer; else 0. */
static int need_issuer(struct srv_call *c, const struct srv_oidc *o)
{
	if (o && o->issuer)
		return 0;
	return srv_error(c, MHD_HTTP_NOT_FOUND, "ApiResourceNotFoundException",
			 "'%s': this server is no OIDC issuer (start it with --issuer URL)",
			 c->request);
}

int api_oidc_discovery(struct srv_call *c)
{
	struct srv_oidc *o = srv_shared(c->srv)->oidc;
	json_error_t err;

	if (need_issuer(c, o))
		return -1;
	return srv_reply(c, MHD_HTTP_OK, json_loads(o->discovery, 0, &err));
}

/* The published key set now: "kid:p;" per key ("x" once past drop_at). */
static int keyset_now(svc_buf *out, svc_store *st)
{
	svc_oidc_key *keys = NULL;
	size_t n = 0, i;
	time_t now;
	int rc;

	if ((rc = clock_now(&now)) || (rc = svc_oidc_keys(&keys, &n, st)))
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = buf_printf(out, "%s:%c;", keys[i].kid,
				keys[i].drop_at && keys[i].drop_at <= (long long)now
					? 'x' : 'p');
	if (rc == 0 && n == 0)
		rc = buf_puts(out, "-");
	svc_oidc_keys_free(keys);
	return rc;
}

int api_oidc_jwks(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	struct srv_oidc *o = sh->oidc;
	svc_buf set = SVC_BUF_INIT;
	json_error_t err;
	json_t *doc = NULL;
	char *fresh = NULL;
	int rc;

	if (need_issuer(c, o))
		return -1;
	/* the store is ours: every handler runs under the store's lock */
	pthread_mutex_lock(&o->lock);
	rc = keyset_now(&set, sh->store);
	if (rc == 0 && (!o->jwks || !o->keyset || strcmp(o->keyset, set.ptr))) {
		/* a rotation or a drop (or the first request): build again */
		if ((rc = svc_oidc_jwks(&fresh, sh->store)) == 0) {
			/* building may have made the first key: list again */
			buf_reset(&set);
			rc = keyset_now(&set, sh->store);
		}
		if (rc == 0) {
			free(o->jwks);
			free(o->keyset);
			o->jwks = fresh;
			o->keyset = buf_detach(&set, NULL);
			fresh = NULL;
			rc = o->keyset ? 0 : error_oom();
		}
	}
	if (rc == 0)
		doc = json_loads(o->jwks, 0, &err);
	pthread_mutex_unlock(&o->lock);
	free(fresh);
	buf_clear(&set);
	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_OK, doc);
}

/* ---- ID tokens for jobs --------------------------------------------------- */

/* The resource location of the oidctoken route, as Azure DevOps lists it. */
#define OIDCTOKEN_LOCATION "69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2"

int api_oidc_locations(struct srv_call *c)
{
	return srv_reply(c, MHD_HTTP_OK, json_pack(
		"{s:i, s:[{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}]}", "count",
		1, "value", "id", OIDCTOKEN_LOCATION, "area", "distributedtask",
		"resourceName", "oidctoken", "routeTemplate",
		"{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}",
		"resourceVersion", 1, "minVersion", "7.1", "maxVersion", "7.2",
		"releasedVersion", "7.1"));
}

/* s percent-encoded as one URL path segment onto b. */
static int put_segment(svc_buf *b, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			rc = buf_put(b, s, 1);
		else
			rc = buf_printf(b, "%%%02X", ch);
	}
	return rc;
}

json_t *srv_oidc_request_uri(const struct srv_call *c, const char *job_id)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_buf u = SVC_BUF_INIT;
	json_t *v = NULL;

	if (!sh->oidc || !sh->oidc->issuer)
		return json_null();
	buf_init(&u, 2048, 0);
	if (buf_printf(&u, "%s/", sh->oidc->issuer) == 0 &&
	    put_segment(&u, sh->organization) == 0 && buf_puts(&u, "/") == 0 &&
	    put_segment(&u, c->project ? c->project : "default") == 0 &&
	    buf_printf(&u, "/_apis/distributedtask/hubs/build/plans/%s/jobs/%s/oidctoken",
		       job_id, job_id) == 0)
		v = json_string(u.ptr);
	buf_clear(&u);
	return v;
}

/* The options of a token of this server for its project. */
static void token_options(svc_oidc_token_options *o, const struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);

	memset(o, 0, sizeof(*o));
	o->version = SVC_OIDC_TOKEN_OPTIONS_VERSION;
	o->issuer = sh->oidc->issuer;
	o->organization = sh->organization;
	o->project = c->project ? c->project : "default";
}

int srv_oidc_id_token(struct srv_call *c, json_t *ep, const svc_conn *conn,
		      const char *job_id)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *scheme = svc_conn_scheme(conn);
	json_t *params = json_object_get(json_object_get(ep, "authorization"),
					 "parameters");
	svc_oidc_token_options o;
	char *tok = NULL, *owner = NULL;
	json_t *sub;
	int rc;

	if (!sh->oidc || !sh->oidc->issuer || !json_is_object(params) ||
	    !scheme || strcasecmp(scheme, "WorkloadIdentityFederation") != 0)
		return 0;
	/* the caller's gate granted conn to the job: sign for it */
	token_options(&o, c);
	/* a shared connection's sub names the project that owns it */
	if ((rc = oidc_owner_project(&owner, sh->store, conn)))
		return srv_lib_error(c, rc);
	if (owner)
		o.project = owner;
	o.connection = svc_conn_name(conn);
	o.connection_id = svc_conn_id(conn);
	o.requester = job_id;
	if ((rc = svc_oidc_issue(&tok, sh->store, &o))) {
		free(owner);
		return srv_lib_error(c, rc);
	}
	json_object_set_new(params, "idToken", json_string(tok));
	svc_secret_free(tok, strlen(tok));
	/* what the cloud's federated credential must name, as Azure shows it */
	sub = json_sprintf("sc://%s/%s/%s", o.organization, o.project,
			   o.connection);
	json_object_set_new(params, "workloadIdentityFederationIssuer",
			    json_string(o.issuer));
	json_object_set_new(params, "workloadIdentityFederationSubject",
			    sub ? sub : json_null());
	free(owner);
	return 0;
}

/* The {planId} segment of c's path into plan (size bytes); 0, or -1. */
static int plan_of(char *plan, size_t size, const struct srv_call *c)
{
	const char *p = strstr(c->path, "/plans/");
	size_t n;

	if (!p)
		return -1;
	p += 7;
	n = strcspn(p, "/");
	if (n == 0 || n >= size)
		return -1;
	memcpy(plan, p, n);
	plan[n] = '\0';
	return 0;
}

int api_oidc_job_token(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *conn = srv_query(c, "serviceConnectionId");
	svc_oidc_token_options o;
	char plan[64], *tok = NULL;
	int rc;

	if (need_issuer(c, sh->oidc))
		return -1;
	/* a job's plan is itself: its plan id is its job id */
	if (plan_of(plan, sizeof(plan), c) || strcasecmp(plan, c->arg) != 0)
		return srv_error(c, MHD_HTTP_NOT_FOUND,
				 "ApiResourceNotFoundException",
				 "'%s': no plan '%s' of job '%s' (a job's plan id is its job id)",
				 c->request, plan_of(plan, sizeof(plan), c) ? "" : plan,
				 c->arg);
	if (!conn || !*conn)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': query argument 'serviceConnectionId' is required",
				 c->request);
	token_options(&o, c);
	if ((rc = svc_ops_oidc_job_token(&tok, sh->store, c->who, c->arg, conn,
					 &o)))
		return srv_lib_error(c, rc);
	rc = srv_reply(c, MHD_HTTP_OK, json_pack("{s:s}", "oidcToken", tok));
	svc_secret_free(tok, strlen(tok));
	return rc;
}
