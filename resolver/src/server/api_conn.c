/*
 * api_conn.c - the routes of svcconn-server for the connection verbs that
 * Azure DevOps' serviceendpoint API has no shape for, so that `svcconn
 * --server` does what it does locally: PATCH .../endpoints/{id} with
 * {"name": NEW} renames (svc_ops_conn_rename, audited as a rename, where
 * a PUT is an update); GET .../serviceendpoint/certificateexpiry lists
 * what `svcconn list` shows as EXPIRES.
 *
 * As every route, each acts through the authority layer as the request's
 * principal, with no check of its own.
 */
#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/certs.h"
#include "server/server_int.h"

int api_endpoint_rename(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_t *body, *name;
	int rc;

	if (!(body = srv_body_object(c)))
		return 0;
	name = json_object_get(body, "name");
	if (!json_is_string(name))
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field 'name' is required (a string)",
			       c->request);
	else if ((rc = svc_ops_conn_rename(sh->store, c->who, c->arg,
					   json_string_value(name))))
		rc = srv_lib_error(c, rc);
	else
		rc = srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
	json_decref(body);
	return rc;
}

/*
 * GET .../serviceendpoint/certificateexpiry: the recorded earliest expiry
 * of the certificates of each connection the principal may read
 * (svc_ops_cert_expiry_list), what `svcconn list` shows as EXPIRES.
 */
int api_cert_expiry(struct srv_call *c)
{
	svc_cert_expiry *l = NULL;
	size_t n = 0, i;
	json_t *value;
	int rc;

	if ((rc = svc_ops_cert_expiry_list(&l, &n, srv_shared(c->srv)->store,
					   c->who)))
		return srv_lib_error(c, rc);
	value = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(value,
			json_pack("{s:s, s:s, s:s, s:b, s:s?, s:I, s:s?, s:I, s:I, s:b}",
				  "connectionId", l[i].conn_id, "name",
				  l[i].name, "type", l[i].type, "known",
				  l[i].known, "field", l[i].field, "notAfter",
				  (json_int_t)l[i].not_after, "checkedAt",
				  l[i].checked_at, "secondsLeft",
				  (json_int_t)l[i].seconds_left, "daysLeft",
				  (json_int_t)l[i].days_left, "expired",
				  l[i].expired));
	svc_cert_expiry_list_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count",
				   (json_int_t)json_array_size(value), "value",
				   value));
}
