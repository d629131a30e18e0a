/*
 * api_agents.c - the resources of agents: an agent registers itself.
 *
 *   POST /_apis/svcconn/agents  {"name": NAME}, with the one-time
 *        registration token as "Authorization: Bearer svcr_..." (never in
 *        the URL or the body): 201 {"name", "pool", "tokenId", "token",
 *        "expires"}, the agent's credential shown this once.
 *
 * The route is public for the server (no personal token): the
 * registration token is the authentication, checked, spent and audited by
 * svc_agent_register.  A refused token is a 401, a name taken a 409.
 */
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/agents.h"
#include "svcconn/secret.h"
#include "server/server_int.h"

int api_agent_register(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	char *reg = srv_request_token(c->conn), *cred = NULL;
	const char *name;
	json_error_t err;
	json_t *body, *out;
	svc_agent info;
	int rc;

	memset(&info, 0, sizeof(info));
	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	name = json_string_value(json_object_get(body, "name"));
	if (!name) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': the body must be a JSON object with field 'name' (a string)",
			  c->request);
		goto done;
	}
	if (!reg) {
		srv_error(c, MHD_HTTP_UNAUTHORIZED, "VssUnauthorizedException",
			  "%s: no registration token (Authorization: Bearer TOKEN)",
			  c->request);
		goto done;
	}
	rc = svc_agent_register(&cred, &info, sh->store, reg, strlen(reg),
				name, c->client, c->request);
	if (rc == SVC_EDENIED) {
		srv_error(c, MHD_HTTP_UNAUTHORIZED, "VssUnauthorizedException",
			  "%s: the registration token was refused",
			  c->request);
		goto done;
	}
	if (rc) {
		srv_lib_error(c, rc);
		goto done;
	}
	out = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", info.name, "pool",
			info.pool, "tokenId", info.token_id, "token", cred,
			"expires", (json_int_t)info.expires);
	srv_reply(c, MHD_HTTP_CREATED, out);
done:
	if (cred)
		svc_secret_free(cred, SVC_TOKEN_LEN);
	if (reg)
		svc_secret_free(reg, (size_t)-1);
	svc_agent_clear(&info);
	json_decref(body);
	return 0;
}
