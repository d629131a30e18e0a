/*
 * api_conn.c - the routes of svcconn-server for the connection verbs that
 * Azure DevOps' serviceendpoint API has no shape for, so that `svcconn
 * --server` does what it does locally: PATCH .../endpoints/{id} with
 * {"name": NEW} renames (svc_ops_conn_rename, audited as a rename, where
 * a PUT is an update); GET .../serviceendpoint/certificateexpiry lists
 * what `svcconn list` shows as EXPIRES, and POST .../certificateexpiry/
 * rescan records them again from the stored secrets (`expiring
 * --rescan`); and the certificate check a create or an update makes
 * before it stores (srv_certs_refused).
 *
 * As every route, each acts through the authority layer as the request's
 * principal, with no check of its own.
 */
#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/certs.h"
#include "server/server_int.h"
#include "util/buf.h"

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

/*
 * POST .../serviceendpoint/certificateexpiry/rescan: decrypt every
 * connection to record its certificates' expiry (svc_ops_cert_rescan);
 * {"scanned": N}.
 */
int api_cert_rescan(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	size_t n = 0;
	int rc;

	if ((rc = svc_ops_cert_rescan(&n, sh->store, c->who, sh->catalog)))
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I}", "scanned", (json_int_t)n));
}

/*
 * The certificates and keys of conn checked before a create or an update
 * stores it, as `svcconn create` and `edit` check them locally
 * (svc_ops_certs_check: secrets the body left out are read from the
 * store): a 400 naming every field at fault, -1, when one does not parse,
 * does not match its key or has expired; 0 otherwise.
 */
int srv_certs_refused(struct srv_call *c, const svc_conn *conn)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_buf msg = SVC_BUF_INIT;
	svc_cert_report *r = NULL;
	size_t i, n, shown = 0;
	int rc;

	if ((rc = svc_ops_certs_check(&r, sh->store, c->who, conn,
				      sh->catalog)))
		return srv_lib_error(c, rc);
	if (!svc_cert_report_with(r, SVC_CERT_ERRORS)) {
		svc_cert_report_free(r);
		return 0;
	}
	buf_init(&msg, 700, 0);
	buf_printf(&msg, "'%s': connection '%s'", c->request,
		   svc_conn_name(conn));
	n = svc_cert_report_count(r);
	for (i = 0; i < n; i++) {
		const svc_cert_item *it = svc_cert_report_at(r, i);

		if (!(it->problems & SVC_CERT_ERRORS))
			continue;
		if (buf_printf(&msg, "%s field '%s': %s", shown++ ? ";" : ":",
			       it->field, it->message ? it->message
						      : "certificate error") != 0)
			break;
	}
	srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException", "%s",
		  msg.ptr ? msg.ptr : "a certificate is not valid");
	buf_clear(&msg);
	svc_cert_report_free(r);
	return -1;
}
