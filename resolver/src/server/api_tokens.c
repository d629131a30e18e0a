/*
 * api_tokens.c - a user's personal access tokens over svcconn-server, in
 * the shape of Azure DevOps' PAT lifecycle API (tokens/pats 7.1-preview):
 *
 *   GET    /_apis/tokens/pats[?owner=USER | ?all=true]  {patTokens: [...]}
 *   POST   /_apis/tokens/pats {displayName, scope, days, owner}
 *          {patToken: {..., token}}: the token shown this once
 *   DELETE /_apis/tokens/pats?authorizationId=ID  revoke (204)
 *
 * Each PatToken carries Azure's members (authorizationId, displayName,
 * scope, validFrom, validTo) and svcconn's record beside them (owner, and
 * created, expires, lastUsed, revoked in seconds since the epoch).  Every
 * route needs scope full; the authority layer decides the rest (one's own
 * tokens, or anybody's as the store's Administrator).  The new token is
 * in the answer only, and wiped with it (svcconn-server's jansson wipes
 * every block it frees).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/secret.h"
#include "svcconn/tokens.h"
#include "server/server_int.h"

json_t *srv_iso_or_null(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char out[32];

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(out);
}

/* One PatToken (without the token). */
static json_t *pat_json(const svc_token_info *i)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:I, s:I, s:I}",
			 "authorizationId", i->id, "displayName", i->name,
			 "scope", i->scopes, "validFrom",
			 srv_iso_or_null(i->created), "validTo",
			 srv_iso_or_null(i->expires), "owner", i->owner,
			 "created", (json_int_t)i->created, "expires",
			 (json_int_t)i->expires, "lastUsed",
			 (json_int_t)i->last_used, "revoked",
			 (json_int_t)i->revoked);
}

int api_tokens_list(struct srv_call *c)
{
	const char *all = srv_query(c, "all");
	svc_token_info *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_token_list(&l, &n, srv_shared(c->srv)->store, c->who,
				     srv_query(c, "owner"),
				     all && !strcmp(all, "true"))))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, pat_json(&l[i]));
	svc_token_list_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:o, s:s}", "patTokens", a,
				   "continuationToken", ""));
}

int api_token_create(struct srv_call *c)
{
	svc_token_info info;
	json_t *body, *days, *o;
	const char *name, *scope, *owner;
	char *tok = NULL;
	int rc;

	memset(&info, 0, sizeof(info));
	if (!(body = srv_body_object(c)))
		return -1;
	name = json_string_value(json_object_get(body, "displayName"));
	scope = json_string_value(json_object_get(body, "scope"));
	owner = json_string_value(json_object_get(body, "owner"));
	days = json_object_get(body, "days");
	if (!name || (days && !json_is_integer(days)) ||
	    json_integer_value(days) < 0 ||
	    json_integer_value(days) > 100000) {
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field 'displayName' (a string) is required, 'days' is a number",
			       c->request);
		goto done;
	}
	if ((rc = svc_ops_token_create(&tok, &info, srv_shared(c->srv)->store,
				       c->who, owner, name,
				       scope ? scope : "endpoints:read",
				       (unsigned)json_integer_value(days)))) {
		rc = srv_lib_error(c, rc);
		goto done;
	}
	o = pat_json(&info);
	json_object_set_new(o, "token", json_string(tok));
	rc = srv_reply(c, MHD_HTTP_OK,
		       json_pack("{s:o, s:s}", "patToken", o, "patTokenError",
				 "none"));
done:
	svc_secret_free(tok, tok ? SVC_TOKEN_LEN : 0);
	svc_token_info_clear(&info);
	json_decref(body);
	return rc;
}

int api_token_revoke(struct srv_call *c)
{
	const char *id = srv_query(c, "authorizationId");
	int rc;

	if (!id || !*id)
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': authorizationId (the token's id) is required",
				 c->request);
	if ((rc = svc_ops_token_revoke(srv_shared(c->srv)->store, c->who, id)))
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}
