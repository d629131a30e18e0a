/*
 * api_oidc_keys.c - the OIDC issuer's signing keys over svcconn-server
 * (svcconn's own routes, for `svcconn oidc`):
 *
 *   GET  /_apis/svcconn/oidc/keys  {count, value: [{kid, alg, created,
 *        retired, signedUntil, publishedUntil}]} in seconds since the
 *        epoch (0: none); never a private key
 *   POST /_apis/svcconn/oidc/keys/rotate [{alg}]  a new current key,
 *        answered {kid}; the published key set (JWKS) follows by itself
 *
 * Through svc_ops_oidc_* as the request's principal (Reader, and
 * Administrator to rotate), with no check of its own.
 */
#include <string.h>
#include <stdlib.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/oidc.h"
#include "server/server_int.h"

int api_oidc_keys(struct srv_call *c)
{
	svc_oidc_key *k = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_oidc_keys(&k, &n, srv_shared(c->srv)->store, c->who)))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:I, s:I, s:I, s:I}", "kid", k[i].kid,
			"alg", k[i].alg, "created", (json_int_t)k[i].created,
			"retired", (json_int_t)k[i].retired, "signedUntil",
			(json_int_t)k[i].signed_until, "publishedUntil",
			(json_int_t)k[i].drop_at));
	svc_oidc_keys_free(k);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

int api_oidc_rotate(struct srv_call *c)
{
	json_t *body = NULL, *alg = NULL;
	char *kid = NULL;
	int rc;

	if (c->body_len) {
		if (!(body = srv_body_object(c)))
			return -1;
		alg = json_object_get(body, "alg");
		if (alg && !json_is_string(alg)) {
			json_decref(body);
			return srv_error(c, MHD_HTTP_BAD_REQUEST,
					 "ArgumentException",
					 "'%s': field 'alg' must be a string",
					 c->request);
		}
	}
	rc = svc_ops_oidc_rotate(&kid, srv_shared(c->srv)->store, c->who,
				 json_string_value(alg));
	json_decref(body);
	if (rc)
		return srv_lib_error(c, rc);
	rc = srv_reply(c, MHD_HTTP_OK, json_pack("{s:s}", "kid", kid));
	free(kid);
	return rc;
}
