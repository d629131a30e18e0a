/*
 * api_users.c - users' passwords (for the web console's sign-in) over
 * svcconn-server:
 *
 *   GET    /_apis/svcconn/users                  {count, value: [{name,
 *          changed}]}: never a hash
 *   PUT    /_apis/svcconn/users/{name}/password  {password}: set (204)
 *   DELETE /_apis/svcconn/users/{name}/password  remove (204)
 *
 * Every route needs scope full; the authority layer decides the rest (a
 * user's own password, or anybody's as the store's Administrator).  The
 * password is in the request's body only, which the server wipes, as
 * jansson's copy (svcconn-server's jansson wipes every block it frees).
 */
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/users.h"
#include "server/server_int.h"

int api_users_list(struct srv_call *c)
{
	svc_user_info *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = svc_ops_user_list(&l, &n, srv_shared(c->srv)->store, c->who)))
		return srv_lib_error(c, rc);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:o}", "name",
						   l[i].name, "changed",
						   (json_int_t)l[i].changed,
						   "changedAt",
						   srv_iso_or_null(l[i].changed)));
	svc_user_list_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", a));
}

int api_user_password_set(struct srv_call *c)
{
	json_t *body, *pw;
	int rc;

	if (!(body = srv_body_object(c)))
		return -1;
	pw = json_object_get(body, "password");
	if (!json_is_string(pw))
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field 'password' (a string) is required",
			       c->request);
	else if ((rc = svc_ops_password_set(srv_shared(c->srv)->store, c->who,
					    c->arg, json_string_value(pw),
					    json_string_length(pw))))
		rc = srv_lib_error(c, rc);
	else
		rc = srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
	json_decref(body);
	return rc;
}

int api_user_password_remove(struct srv_call *c)
{
	int rc = svc_ops_password_remove(srv_shared(c->srv)->store, c->who,
					 c->arg);

	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}
