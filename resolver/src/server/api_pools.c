/*
 * api_pools.c - agent pools and agents over svcconn-server, for `svcconn
 * pools` and `svcconn agents` against a server:
 *
 *   GET  /_apis/distributedtask/pools   {count, value: [TaskAgentPool]}, in
 *        Azure DevOps' shape (name, isHosted, poolType, createdBy,
 *        createdOn) with svcconn's own trusted and created (seconds)
 *   POST /_apis/distributedtask/pools {name, trusted}  create; the pool
 *   GET  /_apis/svcconn/agents  {count, value: [{name, pool: {name},
 *        tokenId, enabled, createdBy, created, lastUsed, revoked,
 *        expires}]} (seconds since the epoch, 0: none); never a credential
 *   DELETE /_apis/svcconn/agents/{name}  revoke (204)
 *   POST /_apis/svcconn/registrationtokens {pool, hours}  a one-time
 *        registration token {token, pool, expires}, shown this once
 *
 * Azure has no registration token (its agents register with a PAT) and
 * lists agents per pool by number; svcconn's agents are named, across
 * pools, so those routes are svcconn's own.  Every route acts through
 * svc_ops_pool_* and svc_ops_agent_* as the request's principal (the
 * store's Administrator), with no check of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/agents.h"
#include "svcconn/secret.h"
#include "server/server_int.h"

/* A TaskAgentPool as Azure DevOps writes one, with svcconn's members. */
static json_t *pool_json(const svc_pool *p)
{
	return json_pack("{s:s, s:b, s:s, s:o, s:o, s:b, s:I}", "name",
			 p->name, "isHosted", 0, "poolType", "automation",
			 "createdBy", srv_identity_ref(p->created_by),
			 "createdOn", srv_iso_or_null(p->created), "trusted",
			 p->trusted, "created", (json_int_t)p->created);
}

int api_pools_list(struct srv_call *c)
{
	svc_pool *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_pool_list(&l, &n, srv_shared(c->srv)->store, c->who)))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, pool_json(&l[i]));
	svc_pool_list_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

int api_pool_create(struct srv_call *c)
{
	json_t *body, *trusted;
	const char *name;
	int rc;

	if (!(body = srv_body_object(c)))
		return -1;
	name = json_string_value(json_object_get(body, "name"));
	trusted = json_object_get(body, "trusted");
	if (!name || (trusted && !json_is_boolean(trusted))) {
		json_decref(body);
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'name' (a string) is required, 'trusted' is a boolean",
				 c->request);
	}
	rc = svc_ops_pool_create(srv_shared(c->srv)->store, c->who, name,
				 json_is_true(trusted));
	rc = rc ? srv_lib_error(c, rc)
		: srv_reply(c, MHD_HTTP_OK,
			    json_pack("{s:s, s:b}", "name", name, "trusted",
				      json_is_true(trusted)));
	json_decref(body);
	return rc;
}

int api_agents_list(struct srv_call *c)
{
	svc_agent *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_agent_list(&l, &n, srv_shared(c->srv)->store, c->who)))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:s, s:{s:s}, s:s, s:b, s:o, s:I, s:I, s:I, s:I}",
			"name", l[i].name, "pool", "name", l[i].pool,
			"tokenId", l[i].token_id, "enabled", !l[i].revoked,
			"createdBy", srv_str_or_null(l[i].created_by),
			"created", (json_int_t)l[i].created, "lastUsed",
			(json_int_t)l[i].last_used, "revoked",
			(json_int_t)l[i].revoked, "expires",
			(json_int_t)l[i].expires));
	svc_agent_list_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

int api_agent_revoke(struct srv_call *c)
{
	int rc = svc_ops_agent_revoke(srv_shared(c->srv)->store, c->who, c->arg);

	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}

int api_registration_token(struct srv_call *c)
{
	json_t *body, *hours;
	const char *pool;
	long long expires = 0;
	char *tok = NULL;
	int rc;

	if (!(body = srv_body_object(c)))
		return -1;
	pool = json_string_value(json_object_get(body, "pool"));
	hours = json_object_get(body, "hours");
	if (!pool || (hours && !json_is_integer(hours)) ||
	    json_integer_value(hours) < 0 ||
	    json_integer_value(hours) > SVC_REGISTRATION_MAX_HOURS) {
		json_decref(body);
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'pool' (a string) is required, 'hours' is a number from 1 to %d",
				 c->request, SVC_REGISTRATION_MAX_HOURS);
	}
	rc = svc_ops_agent_registration_token(&tok, &expires,
					      srv_shared(c->srv)->store,
					      c->who, pool,
					      (unsigned)json_integer_value(hours));
	/* the token is in the answer only (this jansson wipes what it frees) */
	rc = rc ? srv_lib_error(c, rc)
		: srv_reply(c, MHD_HTTP_OK,
			    json_pack("{s:s, s:s, s:I}", "token", tok, "pool",
				      pool, "expires", (json_int_t)expires));
	svc_secret_free(tok, tok ? SVC_TOKEN_LEN : 0);
	json_decref(body);
	return rc;
}
