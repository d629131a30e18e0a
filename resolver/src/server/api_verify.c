/*
 * api_verify.c - does a connection work, asked of svcconn-server: the
 * server makes the verifier's call (svc_verify) with the secrets it
 * stores, and answers only the verifier's outcome and message, never a
 * secret.
 *
 * POST .../_apis/serviceendpoint/endpoints/{id}/verify[?pinHostKey=true]
 * verifies a stored connection (svc_ops_verify: `svcconn verify`); a
 * create or an update with ?verify=true verifies the connection about to
 * be stored first and stores nothing when the service refused it
 * (svc_ops_verify_candidate: `create/edit --verify`).  svcconn's own
 * route: Azure's endpointproxy answers a data source's result, not a
 * verification.  The roles are the ops layer's.
 *
 * The verifier's call (up to its time-out, 30 s) runs without the
 * server's store lock: the connection and its secrets are loaded under
 * it, the lock let go, the call made, and the lock taken again for the
 * audit record (and the rest of a create or update), so other requests
 * are served meanwhile.  Pinning an SSH host key (an Administrator's
 * rare call) stores the keys before the verification, under the lock.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/ops.h"
#include "svcconn/verify.h"
#include "ops/ops_int.h"
#include "server/server_int.h"

/* The JSON of a verification r. */
static json_t *result_json(const svc_verify_result *r)
{
	return json_pack("{s:s, s:s, s:o, s:i}", "outcome",
			 svc_verify_outcome_name(r->outcome), "message",
			 r->message ? r->message : "", "target",
			 srv_str_or_null(r->target), "httpStatus",
			 r->http_status);
}

/* 1 when the service accepted r (or no call can check the type). */
static int accepted(const svc_verify_result *r)
{
	return r->outcome == SVC_VERIFY_OK || r->outcome == SVC_VERIFY_LOCAL;
}

int api_endpoint_verify(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *pin = srv_query(c, "pinHostKey");
	svc_verify_result r = { 0 };
	svc_conn *conn = NULL, *full = NULL;
	char *keys = NULL;
	json_t *o;
	int rc;

	if ((rc = ops_verify_load(&conn, &full, &keys, sh->store, c->who,
				  c->arg,
				  pin && strcmp(pin, "true") == 0
					  ? SVC_OPS_PIN_HOST_KEY : 0)))
		return srv_lib_error(c, rc);
	srv_store_unlock(c);
	rc = svc_verify(&r, sh->catalog, full, NULL);
	srv_store_relock(c);
	svc_conn_free(full);
	if (rc) {
		free(keys);
		svc_conn_free(conn);
		return srv_lib_error(c, rc);
	}
	ops_verify_record(sh->store, c->who, conn, &r);
	o = result_json(&r);
	if (o)
		json_object_update_new(o, json_pack("{s:o, s:o}", "endpoint",
						    srv_endpoint_json(sh, conn, 0),
						    "pinnedHostKeys",
						    srv_str_or_null(keys)));
	rc = srv_reply(c, MHD_HTTP_OK, o);
	svc_verify_result_clear(&r);
	free(keys);
	svc_conn_free(conn);
	return rc;
}

int srv_verify_first(struct srv_call *c, const svc_conn *conn,
		     json_t **result)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *v = srv_query(c, "verify");
	svc_verify_result r;
	svc_conn *full = NULL;
	int rc;

	*result = NULL;
	if (!v || strcmp(v, "true") != 0)
		return 0;
	if ((rc = ops_verify_candidate_load(&full, sh->store, c->who, conn)))
		return srv_lib_error(c, rc);
	srv_store_unlock(c);
	rc = svc_verify(&r, sh->catalog, full, NULL);
	srv_store_relock(c);
	svc_conn_free(full);
	if (rc)
		return srv_lib_error(c, rc);
	if (!accepted(&r))
		rc = srv_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT,
			       "ServiceEndpointVerificationException",
			       "verification failed (%s): %s; nothing stored",
			       svc_verify_outcome_name(r.outcome),
			       r.message ? r.message : "");
	else if (!(*result = result_json(&r)))
		rc = srv_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	svc_verify_result_clear(&r);
	return rc;
}
