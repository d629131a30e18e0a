/*
 * api_audit.c - the audit log over svcconn-server, in the shape of Azure
 * DevOps' audit log query (audit/auditlog 7.1): GET /_apis/audit/auditlog
 * [?batchSize=N] answers {decoratedAuditLogEntries: [...], hasMore}, the
 * newest records last as `svcconn audit` prints them.  Azure's startTime
 * and endTime, and svcconn's actionId, actor, connection, q (text) and
 * skip select records as svc_audit_filter does.  Each entry keeps
 * svcconn's record whole: id (the sequence number), timestamp, actor,
 * action, the connection's id and name, and details (the JSON text of
 * what changed, field keys only) with its parsed form in data.
 *
 * Through svc_ops_audit as the request's principal (Administrator on the
 * store), with no check of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/store.h"
#include "server/server_int.h"

int api_audit_log(struct srv_call *c)
{
	svc_audit_list *l = NULL;
	svc_audit_filter f;
	json_t *a;
	size_t i, n;
	int rc;

	memset(&f, 0, sizeof(f));
	f.version = SVC_AUDIT_FILTER_VERSION;
	if (srv_query_count(c, "batchSize", &f.limit) ||
	    srv_query_count(c, "skip", &f.skip))
		return -1;
	f.action = srv_query(c, "actionId");
	f.actor = srv_query(c, "actor");
	f.conn = srv_query(c, "connection");
	f.from = srv_query(c, "startTime");
	f.until = srv_query(c, "endTime");
	f.text = srv_query(c, "q");
	if ((rc = svc_ops_audit_query(&l, srv_shared(c->srv)->store, c->who,
				      &f)))
		return srv_lib_error(c, rc);
	a = json_array();
	n = svc_audit_list_count(l);
	for (i = 0; i < n; i++) {
		const svc_audit_entry *e = svc_audit_list_at(l, i);
		json_error_t jerr;
		json_t *data = json_loads(e->detail ? e->detail : "{}", 0, &jerr);

		json_array_append_new(a,
			json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
				  "id", (json_int_t)e->seq, "timestamp", e->at,
				  "actorDisplayName", e->actor, "actionId",
				  e->action, "connectionId", e->conn_id,
				  "connectionName", e->conn_name, "details",
				  e->detail ? e->detail : "", "data",
				  data ? data : json_object()));
	}
	svc_audit_list_free(l);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:o, s:b}", "decoratedAuditLogEntries", a,
				   "hasMore", 0));
}
