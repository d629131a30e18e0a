/*
 * api_pipelines.c - the registered pipelines svcconn-server compiles
 * itself (svcconn/pipedef.h), shaped as Azure DevOps' Pipelines REST API
 * (pipelines 7.1): a Pipeline with configuration {type "yaml", path,
 * repository}.  Registering and removing need Administrator on the store,
 * listing Reader, through the authority layer as the request's principal.
 * GET .../_apis/svcconn/pipelines/{name}/source[?commit=SHA] answers
 * {origin, yaml}: the file the server reads for a job, fetched through the
 * repository's connection by the same call (svc_ops_pipeline_source), as
 * `svcconn pipelines source` prints it; the connection's secrets stay.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/ops.h"
#include "server/server_int.h"

/* The Pipeline of d. */
static json_t *pipeline_json(const svc_pipedef *d)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s?, s:{s:s, s:s}}},"
			 " s:s, s:I}",
			 "name", d->name, "folder", "\\",
			 "configuration", "type", "yaml", "path", d->path,
			 "repository", "url", d->url, "defaultBranch", d->branch,
			 "connection", "id", d->connection_id, "name",
			 d->connection,
			 "createdBy", d->created_by, "created",
			 (json_int_t)d->created);
}

int api_pipelines_list(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_pipedef *l = NULL;
	size_t n = 0, i;
	json_t *value;
	int rc;

	if ((rc = svc_ops_pipedef_list(&l, &n, sh->store, c->who)))
		return srv_lib_error(c, rc);
	value = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(value, pipeline_json(&l[i]));
	svc_pipedefs_free(l, n);
	return srv_reply(c, MHD_HTTP_OK,
			 json_pack("{s:I, s:o}", "count", (json_int_t)n,
				   "value", value));
}

/* String member path (a.b.c) of v, or NULL. */
static const char *str_at(json_t *v, const char *a, const char *b,
			  const char *k)
{
	if (a)
		v = json_object_get(v, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(json_object_get(v, k));
}

int api_pipelines_create(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const char *name, *path, *url, *branch, *conn;
	svc_pipedef *l = NULL;
	size_t n = 0, i;
	json_error_t err;
	json_t *body;
	int rc;

	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(body)) {
		json_decref(body);
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "the body of '%s' must be a JSON object (a Pipeline)",
				 c->request);
	}
	name = str_at(body, NULL, NULL, "name");
	path = str_at(body, "configuration", NULL, "path");
	url = str_at(body, "configuration", "repository", "url");
	branch = str_at(body, "configuration", "repository", "defaultBranch");
	conn = str_at(json_object_get(body, "configuration"), "repository",
		      "connection", "name");
	if (!conn)
		conn = str_at(json_object_get(body, "configuration"),
			      "repository", "connection", "id");
	if (!name || !path || !url || !conn) {
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field '%s' is required (a string)", c->request,
			       !name ? "name" : !path ? "configuration.path"
			       : !url ? "configuration.repository.url"
			       : "configuration.repository.connection.name");
		goto done;
	}
	if ((rc = svc_ops_pipedef_register(sh->store, c->who, name, conn, url,
					   path, branch)) ||
	    (rc = svc_ops_pipedef_list(&l, &n, sh->store, c->who))) {
		rc = srv_lib_error(c, rc);
		goto done;
	}
	for (i = 0; i < n && strcasecmp(l[i].name, name); i++)
		;
	rc = i < n ? srv_reply(c, MHD_HTTP_OK, pipeline_json(&l[i]))
		   : srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "InternalServerErrorException",
			       "'%s': the registered pipeline is not listed",
			       c->request);
done:
	svc_pipedefs_free(l, n);
	json_decref(body);
	return rc;
}

int api_pipelines_delete(struct srv_call *c)
{
	int rc = svc_ops_pipedef_remove(srv_shared(c->srv)->store, c->who,
					c->arg);

	return rc ? srv_lib_error(c, rc) : srv_reply(c, MHD_HTTP_NO_CONTENT, NULL);
}

int api_pipeline_source(struct srv_call *c)
{
	char *yaml = NULL, *origin = NULL;
	size_t len = 0;
	int rc;

	if ((rc = svc_ops_pipeline_source(&yaml, &len, &origin,
					  srv_shared(c->srv)->store, c->who,
					  c->arg, srv_query(c, "commit"))))
		return srv_lib_error(c, rc);
	rc = srv_reply(c, MHD_HTTP_OK,
		       json_pack("{s:s, s:s%}", "origin", origin, "yaml", yaml,
				 len));
	free(yaml);
	free(origin);
	return rc;
}
