/*
 * api_exchange.c - `svcconn export` and `svcconn import` against
 * svcconn-server, svcconn's own routes (Azure DevOps has no export):
 *
 * POST .../_apis/svcconn/export {"names": [NAME|ID...]} answers
 * {"count", "yaml"}: the YAML a local export without --include-secrets
 * writes (svc_ops_export without SVC_EXPORT_SECRETS: no secret value at
 * all).  Secrets never leave the server, so no request asks for them.
 *
 * POST .../_apis/svcconn/import[?replace=true] {"value": [ServiceEndpoint
 * ...]} creates (or replaces) every connection in one transaction
 * (svc_ops_conn_import): all or nothing, as a local import.  An entry
 * may carry the "id" an export file gives (and allPipelines, as a create
 * may), kept as a local import keeps them.  Each entry
 * is validated as a create's body is; one invalid entry refuses the
 * whole request before anything is written.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/exchange.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "server/server_int.h"

/** The most connections one import may carry. */
#define IMPORT_MAX 10000

int api_export(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_t *body = c->body_len ? srv_body_object(c) : json_object();
	json_t *names, *v;
	const char **list = NULL;
	char *text = NULL;
	size_t len = 0, count = 0, n, i;
	int rc;

	if (!body)
		return 0;
	names = json_object_get(body, "names");
	if (names && !json_is_null(names) && !json_is_array(names)) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': field 'names' must be an array of strings",
			  c->request);
		goto done;
	}
	n = json_array_size(names);
	if (n && !(list = calloc(n, sizeof(*list)))) {
		srv_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
		goto done;
	}
	json_array_foreach(names, i, v) {
		if (!json_is_string(v)) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': field 'names[%zu]' must be a string",
				  c->request, i);
			goto done;
		}
		list[i] = json_string_value(v);
	}
	if ((rc = svc_ops_export(&text, &len, &count, sh->store, c->who,
				 n ? list : NULL, n, 0))) {
		srv_lib_error(c, rc);
		goto done;
	}
	srv_reply(c, MHD_HTTP_OK,
		  json_pack("{s:I, s:s%}", "count", (json_int_t)count, "yaml",
			    text, len));
done:
	svc_secret_free(text, len);
	free(list);
	json_decref(body);
	return 0;
}

/*
 * The member an import takes beyond a create's, as a local import takes
 * it from the file: the connection's id (entry i of the body, e); -1 with
 * c answered when it is not a string.
 */
static int import_id(struct srv_call *c, svc_conn *conn, json_t *e, size_t i)
{
	json_t *id = json_object_get(e, "id");
	int rc;

	if (!id || json_is_null(id))
		return 0;
	if (!json_is_string(id))
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "'%s': field 'value[%zu].id' must be a string",
				 c->request, i);
	if ((rc = svc_conn_set_id(conn, json_string_value(id))))
		return srv_lib_error(c, rc);
	return 0;
}

int api_import(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *replace = srv_query(c, "replace");
	svc_conn **conns = NULL;
	json_t *body, *value, *e;
	size_t n = 0, i;
	int rc;

	if (!(body = srv_body_object(c)))
		return 0;
	value = json_object_get(body, "value");
	if (!json_is_array(value) || json_array_size(value) > IMPORT_MAX) {
		srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			  "'%s': field 'value' must be an array of at most %d ServiceEndpoints",
			  c->request, IMPORT_MAX);
		goto done;
	}
	if (json_array_size(value) &&
	    !(conns = calloc(json_array_size(value), sizeof(*conns)))) {
		srv_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
		goto done;
	}
	json_array_foreach(value, i, e) {
		if (!json_is_object(e)) {
			srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				  "'%s': field 'value[%zu]' must be a ServiceEndpoint",
				  c->request, i);
			goto done;
		}
		if (srv_conn_from_body(c, &conns[n], e))
			goto done;
		n++;
		if (import_id(c, conns[n - 1], e, i))
			goto done;
	}
	if ((rc = svc_ops_conn_import(sh->store, c->who, conns, n,
				      replace && strcmp(replace, "true") == 0
					      ? SVC_IMPORT_REPLACE : 0))) {
		srv_lib_error(c, rc);
		goto done;
	}
	srv_reply(c, MHD_HTTP_OK, json_pack("{s:I}", "count", (json_int_t)n));
done:
	svc_store_conn_list_free(conns, n);
	json_decref(body);
	return 0;
}
